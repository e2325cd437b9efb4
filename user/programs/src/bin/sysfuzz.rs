//! `sysfuzz [SEED] [CALLS]`: makes CALLS (default 10,000) random system calls with random
//! arguments, in children of [`BATCH`] calls each, from SEED (default 1). The kernel must
//! survive every one: answer with a result or an error, or end the child that did something
//! fatal to itself (unmapped its own code, say); never panic, never hang, never leak. The same
//! seed makes the same calls, so a failure is reproduced by its seed, which the first line names.
//!
//! The arguments are drawn from values that find bugs: 0, small numbers, -1, boundaries of the
//! address space, pointers into a buffer of this program's (filled with random bytes), into
//! unmapped memory and into the kernel. The numbers are drawn from all of Linux's (and a little
//! beyond), so every call Ferrite implements is reached, with about 20 tries each in a default
//! run. A few calls would wait for ever and are kept from doing so: `read` never from the
//! console (descriptors 0-2: nobody types), `nanosleep`, `clock_nanosleep`, `rt_sigtimedwait`
//! and the waits on many descriptors a microsecond (`poll` none), `pause` and `rt_sigsuspend`
//! (which wait for a signal nobody sends) become `sched_yield`, and `kill`, `tkill` and `tgkill`
//! are never aimed at the parent.
//!
//! Random paths create random files, so the fuzzer works in a scratch directory of its own,
//! `/tmp/sysfuzz-PID` (in memory), and removes it with everything in it at the end. Every string
//! a call could read from the buffer is kept inside that directory: its `/` bytes are replaced,
//! and a name that would be `.` or `..` is changed, so no path can start at `/` or climb out.

#![no_std]
#![no_main]

extern crate alloc;

use runtime::abi::fcntl::{F_SETLK, F_SETLKW, LOCK_NB};
use runtime::abi::futex::{FUTEX_CMD_MASK, FUTEX_WAIT, FUTEX_WAIT_BITSET};
use runtime::abi::ipc::{IPC_CREAT, IPC_NOWAIT};
use runtime::abi::{nr, wait, Timespec};
use runtime::cell::Exclusive;
use runtime::{println, sys};
use xorshift::Rng;

runtime::entry!(main);

/// Calls per child: a child that dies early (it may `exit`, or unmap its own stack) takes only
/// its batch with it.
const BATCH: u32 = 100;
/// Calls when no count is given.
const DEFAULT_CALLS: u32 = 10_000;
/// The highest Linux call number worth trying, and a little beyond.
const HIGHEST_CALL: u64 = 460;
/// Bytes of the buffer that "valid" pointers point into.
const BUFFER_BYTES: usize = 8192;
/// Kernel addresses: the kernel image and the physical memory map.
const KERNEL_ADDRESSES: [u64; 2] = [0xffff_ffff_8000_0000, 0xffff_8000_0000_0000];
/// User addresses nothing maps.
const UNMAPPED: [u64; 3] = [0x1000, 0x5000_0000_0000, 0x7fff_ffff_f000];
/// The first non-canonical address.
const NON_CANONICAL: u64 = 0x8000_0000_0000;

/// The buffer valid pointers point into.
static BUFFER: Exclusive<[u8; BUFFER_BYTES]> = Exclusive::new([0; BUFFER_BYTES]);

fn main() -> i32 {
    let mut args = runtime::args().skip(1);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let calls: u32 = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_CALLS);
    println!("sysfuzz: seed {seed}, {calls} calls in batches of {BATCH} (replay: run sysfuzz {seed} {calls})");
    let me = sys::getpid();
    let scratch = alloc::format!("/tmp/sysfuzz-{me}");
    if let Err(e) = sys::mkdir(&scratch, 0o755).and_then(|()| sys::chdir(&scratch)) {
        println!("sysfuzz: cannot work in {scratch}: {}", e.description());
        return 1;
    }
    let (mut made, mut batches, mut died) = (0u32, 0u32, 0u32);
    while made < calls {
        let count = BATCH.min(calls - made);
        let batch_seed = seed
            .wrapping_mul(1_000_003)
            .wrapping_add(u64::from(batches));
        match sys::fork() {
            Ok(0) => sys::exit_group(fuzz(batch_seed, count, me)),
            Ok(child) => {
                // Collect this batch's child and whatever it forked that has ended.
                while let Ok(Some((pid, status))) = sys::wait4(-1, 0) {
                    if pid == child {
                        died += u32::from(!wait::exited(status));
                        break;
                    }
                }
            }
            Err(e) => {
                println!("sysfuzz: fork failed: {e:?}");
                return 1;
            }
        }
        made += count;
        batches += 1;
    }
    // Children the fuzzed calls forked: collect the rest.
    while let Ok(Some(_)) = sys::wait4(-1, 0) {}
    let _ = sys::chdir("/");
    if let Err(e) = runtime::fs::remove_tree(scratch.as_bytes()) {
        println!("sysfuzz: could not remove {scratch}: {}", e.description());
        return 1;
    }
    println!("sysfuzz: seed {seed}: {made} calls in {batches} children ({died} ended by a fault or signal); the kernel survived");
    0
}

/// One child's work: `count` random calls from `seed`. Never returns if a call ends it.
fn fuzz(seed: u64, count: u32, parent: u32) -> i32 {
    BUFFER
        .try_with(|buffer| fuzz_with(seed, count, parent, buffer))
        .expect("the fuzzing buffer is borrowed once, here")
}

/// [`fuzz`], with the buffer valid pointers point into.
fn fuzz_with(seed: u64, count: u32, parent: u32, buffer: &mut [u8; BUFFER_BYTES]) -> i32 {
    let mut rng = Rng::new(seed);
    for _ in 0..count {
        for chunk in buffer.chunks_mut(8) {
            chunk.copy_from_slice(&rng.next_u64().to_le_bytes()[..chunk.len()]);
        }
        let number = rng.below(HIGHEST_CALL) as usize;
        let mut args = [0u64; 6];
        for arg in &mut args {
            *arg = argument(&mut rng, buffer);
        }
        let number = tame(number, &mut args, buffer, parent);
        keep_paths_here(&args, buffer);
        let args = args.map(|a| a as usize);
        // SAFETY: none: that is the point. Whatever the call does to this child's memory, the
        // kernel must cope; the child may die, the parent carries on.
        let _ = unsafe { sys::raw(number, args) };
    }
    0
}

/// A random argument: one of the values that find bugs.
fn argument(rng: &mut Rng, buffer: &[u8]) -> u64 {
    let base = buffer.as_ptr() as u64;
    match rng.below(10) {
        0 => 0,
        1 => rng.below(16),
        2 => u64::MAX,
        3 => base + rng.below(BUFFER_BYTES as u64),
        4 => base,
        5 => UNMAPPED[rng.below(UNMAPPED.len() as u64) as usize],
        6 => KERNEL_ADDRESSES[rng.below(KERNEL_ADDRESSES.len() as u64) as usize] + rng.below(4096),
        7 => NON_CANONICAL - rng.below(16),
        8 => 1 << rng.below(64),
        _ => rng.next_u64(),
    }
}

/// A pid nobody has.
const NO_SUCH_PID: u64 = i32::MAX as u64;
/// A System V IPC key no program makes.
const NO_SUCH_KEY: u64 = 0x5359_5346;
/// A descriptor the fuzzer never has open.
const CLOSED_FD: u64 = 5;

/// Keeps the few calls that could wait for ever (or end the run) from doing so; returns the call
/// to make instead of `number`.
fn tame(number: usize, args: &mut [u64; 6], buffer: &mut [u8], parent: u32) -> usize {
    match number {
        // They wait for a signal, and nobody sends one.
        nr::PAUSE | nr::RT_SIGSUSPEND => return nr::SCHED_YIELD,
        // Descriptors 0-2 are the console, shared with the shell that runs this. Nobody types,
        // so a read would wait for ever; new settings, flags or an `flock` lock would change the
        // terminal for everyone (the lock would outlive this process); a copy could be read
        // later. Calls on them go to a closed descriptor.
        nr::READ
        | nr::READV
        | nr::PREAD64
        | nr::IOCTL
        | nr::FCNTL
        | nr::DUP
        | nr::DUP2
        | nr::DUP3
        | nr::FLOCK
            if (0..=2).contains(&(args[0] as i32)) =>
        {
            args[0] = CLOSED_FD
        }
        // A pipe's reader would wait for ever for this process, its only writer.
        nr::PIPE | nr::PIPE2 => args[0] = 0,
        nr::POLL => args[2] = 0,
        // A sleep of a microsecond (or, for `clock_nanosleep` with `TIMER_ABSTIME`, until a
        // microsecond after the clock's start: long past). The clock and flags stay random.
        nr::NANOSLEEP
        | nr::CLOCK_NANOSLEEP
        | nr::RT_SIGTIMEDWAIT
        | nr::PPOLL
        | nr::SELECT
        | nr::PSELECT6 => {
            let nap = Timespec {
                tv_sec: 0,
                tv_nsec: 1000,
            };
            let bytes: [u8; 16] = timespec_bytes(&nap);
            buffer[..16].copy_from_slice(&bytes);
            // Where each takes its time: nanosleep's request first, clock_nanosleep's request
            // and rt_sigtimedwait's and ppoll's timeout third, select's and pselect6's fifth (a
            // timeval for select, whose two words read as a microsecond).
            let at = match number {
                nr::NANOSLEEP => 0,
                nr::SELECT | nr::PSELECT6 => 4,
                _ => 2,
            };
            args[at] = buffer.as_ptr() as u64;
        }
        // A futex wait whose word holds the value would wait for ever: it gets the microsecond
        // as its timeout (a span for `FUTEX_WAIT`, a time long past for `FUTEX_WAIT_BITSET`).
        nr::FUTEX
            if matches!(
                args[1] as u32 & FUTEX_CMD_MASK,
                FUTEX_WAIT | FUTEX_WAIT_BITSET
            ) =>
        {
            let nap = Timespec {
                tv_sec: 0,
                tv_nsec: 1000,
            };
            buffer[..16].copy_from_slice(&timespec_bytes(&nap));
            args[3] = buffer.as_ptr() as u64;
        }
        // A lock another description or process holds would be waited for: never wait.
        nr::FLOCK => args[1] |= u64::from(LOCK_NB),
        nr::FCNTL if args[1] as u32 == F_SETLKW => args[1] = u64::from(F_SETLK),
        // System V objects outlive the process that made them (the leak check would count
        // them): the fuzzer only asks for a key nobody made. And it never waits on one.
        nr::MSGGET | nr::SEMGET | nr::SHMGET => {
            args[0] = NO_SUCH_KEY;
            let flags = if number == nr::MSGGET { 1 } else { 2 };
            args[flags] &= !u64::from(IPC_CREAT);
        }
        nr::MSGSND => args[3] |= u64::from(IPC_NOWAIT),
        nr::MSGRCV => args[4] |= u64::from(IPC_NOWAIT),
        nr::SEMOP | nr::SEMTIMEDOP => {
            let nap = Timespec {
                tv_sec: 0,
                tv_nsec: 1000,
            };
            buffer[..16].copy_from_slice(&timespec_bytes(&nap));
            args[3] = buffer.as_ptr() as u64;
            return nr::SEMTIMEDOP;
        }
        nr::TKILL if args[0] as u32 == parent || args[0] as i32 <= 0 => args[0] = NO_SUCH_PID,
        nr::TGKILL if args[1] as u32 == parent || args[1] as i32 <= 0 => args[1] = NO_SUCH_PID,
        // Not the parent, not everyone (-1), not a whole group (0 and below).
        nr::KILL if args[0] as u32 == parent || args[0] as i32 <= 0 => args[0] = NO_SUCH_PID,
        // A successful exec of a real program would run it to its end (`spin` never ends); the
        // path is always this buffer's random bytes.
        nr::EXECVE => args[0] = buffer.as_ptr() as u64,
        _ => {}
    }
    number
}

/// Makes every NUL-terminated string that an argument points to in `buffer` a name inside the
/// working directory: no `/` (so neither absolute nor nested), and neither `.` nor `..`.
fn keep_paths_here(args: &[u64; 6], buffer: &mut [u8]) {
    let base = buffer.as_ptr() as u64;
    for &arg in args {
        let Some(start) = arg
            .checked_sub(base)
            .and_then(|at| usize::try_from(at).ok())
        else {
            continue;
        };
        let Some(text) = buffer.get_mut(start..) else {
            continue;
        };
        let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
        for byte in &mut text[..end] {
            if *byte == b'/' {
                *byte = b'_';
            }
        }
        if matches!(&text[..end], b"." | b"..") {
            text[0] = b'_';
        }
    }
}

/// The bytes of a timespec, as the kernel reads them.
fn timespec_bytes(time: &Timespec) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&time.tv_sec.to_le_bytes());
    bytes[8..].copy_from_slice(&time.tv_nsec.to_le_bytes());
    bytes
}
