//! `bench`: what user space costs, measured from user space with the time-stamp counter, and
//! printed as `BENCH` lines. Under QEMU's `-icount shift=0` the counter advances once per guest
//! instruction, so the figures are exact instruction counts (`./x.py bench` runs it that way,
//! through the `user_bench` test kernel); elsewhere they are cycles.
//!
//! * `syscall.null_round_trip`: `getpid`, from user mode into the kernel and back;
//! * `sched.yield_alone`: `sched_yield` with nothing else to run (the scheduler's own path,
//!   with no switch);
//! * `signal.kill_handler_return`: `kill` of itself with SIGUSR1, the handler's frame, the
//!   handler (which only counts), and `rt_sigreturn` back;
//! * `clone.thread_create_join`: `clone` of a thread that ends at once, and waiting for it on the
//!   futex the kernel wakes as it ends (what `pthread_create` and `pthread_join` cost beneath
//!   the C library);
//! * `futex.ping_pong_round_trip`: two threads of one process handing a word back and
//!   forth with `FUTEX_WAKE` and `FUTEX_WAIT` (two switches that keep the page tables);
//! * `process.switch_round_trip`: two processes taking turns with `sched_yield` (each turn
//!   switches threads and page tables);
//! * `process.fork_exit_wait`: `fork`, the child's `exit`, the parent's `wait4`;
//! * `process.spawn_hello`: the same with an `execve` of `hello` in the child;
//! * `pipe.ping_pong_round_trip`: a byte to a child through one pipe and back through another;
//! * `poll.ready_pipe`: `poll` of the reading end of a pipe that holds a byte, with no timeout:
//!   the call finds it ready at once (what an event loop pays per wake-up, beneath the waiting);
//! * `time.clock_gettime`: `clock_gettime(CLOCK_MONOTONIC)` as a system call (C libraries on
//!   Linux answer it in user space from the vDSO instead; the call is what both kernels share);
//! * `file.tmpfs_write_read_4k`: a 4 KiB `write` to a file in `/tmp`, then a read of it back (each after an `lseek` to the start).
//! * `mm.first_touch`: the first write to a page of fresh anonymous memory, per page: the fault,
//!   a zeroed frame mapped, the write retried (the `mmap` and `munmap` around it are left out).
//! * `mm.file_map_touch_unmap_1m`: `mmap` of a 1 MiB file in `/tmp` (`MAP_SHARED`, read-only),
//!   a load from each of its 256 pages, `munmap`: the whole round.
//!
//! `bench init` is for a system where the benchmark is the first process, Linux's `/init` in an
//! initramfs (`tools/ferrite_tools/peer.py` boots Debian's kernel that way, to compare Ferrite
//! with Linux on the same emulated machine). There it also reports
//! `boot.tsc_at_first_user_instruction`, the counter as its `main` starts (a few instructions after
//! the kernel entered it), which QEMU set to 0 at reset: the whole boot, in instructions and the
//! halted time the clock skips (see below).
//! And it powers the machine off at the end instead of exiting, because Linux panics when its
//! first process exits. The mode is asked for by an argument, not guessed from the pid: in
//! Ferrite's `user_bench` test kernel the benchmark is process 1 too, and must exit there.
//!
//! On Linux, when `peer.py` has put the disk's kernel modules in the initramfs (`/lib/modules`,
//! with the order to load them in `/lib/modules/load-order`) and attached an ext4 disk, `bench
//! init` then loads them, mounts the disk on `/mnt` and measures the disk figures there too.
//!
//! `bench disk` measures the disk file system instead, in the current directory (which must be
//! on the disk; `./x.py bench` runs it at `/` of a fresh disk). These figures leave out the time
//! the CPU sat halted waiting for the disk (`/proc/idle`): under icount a halt jumps the clock to
//! the next timer tick, so the waits are not instructions, and how many there are depends on the
//! host. What remains is what Ferrite itself executed. On Linux the halted time comes from
//! `/proc/timer_list` instead (see [`IdleClock`]), and the read-back figure starts after Linux
//! has been told to drop its clean page cache, since 6 MiB of other files push nothing out of
//! it:
//!
//! * `disk.write_fsync_4k`: a 4 KiB write over the start of a file, then `fsync` (one commit of
//!   the log: the block and the inode, logged, flushed, installed);
//! * `disk.seq_write_per_kib`: a 1 MiB file written 64 KiB at a time, then `fsync`, per KiB;
//! * `disk.seq_read_per_kib`: the same file read back 64 KiB at a time after other files have
//!   pushed it out of the block cache, per KiB.

#![no_std]
#![no_main]

extern crate alloc;

use core::sync::atomic::{AtomicU32, Ordering};
use runtime::abi::fcntl::{O_CREAT, O_RDWR, O_TRUNC};
use runtime::abi::reboot::LINUX_REBOOT_CMD_POWER_OFF;
use runtime::abi::time::CLOCK_MONOTONIC;
use runtime::{println, sys, thread};

runtime::entry!(main);

/// Calls per figure for the cheap operations.
const ROUNDS: u64 = 2_000;
/// Rounds for the expensive ones.
const PROCESS_ROUNDS: u64 = 20;
/// Programs started for the spawn figure (each prints a line).
const SPAWN_ROUNDS: u64 = 5;
/// The pid of a system's first process, the only one `bench init` acts as init in.
const INIT_PID: u32 = 1;

/// The time-stamp counter (allowed in ring 3 unless the kernel sets CR4.TSD, which Ferrite
/// does not).
fn tsc() -> u64 {
    // SAFETY: `rdtsc` only reads the counter into registers.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Prints one figure in the format the host's bench tool reads.
fn report(name: &str, value: u64) {
    println!("BENCH {name}={value} unit=instructions");
}

fn main() -> i32 {
    // First, before any system call: as the first process, this is how long the boot took.
    let first_instruction = tsc();
    match runtime::args().nth(1) {
        Some("disk") => match disk(Cache::PushedOut) {
            Some(()) => 0,
            None => {
                println!("bench: a disk benchmark failed");
                1
            }
        },
        Some("init") if sys::getpid() == INIT_PID => {
            println!("BENCH boot.tsc_at_first_user_instruction={first_instruction} unit=tsc");
            let status = figures();
            if status == 0 && linux_disk().is_none() {
                println!("bench: no disk figures on Linux");
            }
            power_off(status)
        }
        _ => figures(),
    }
}

/// Ends the system this program is the first process of, once its figures are out. Linux
/// panics when its first process exits; powering off instead makes QEMU exit cleanly. Returns
/// only if the kernel refused, with the status to exit with.
fn power_off(status: i32) -> i32 {
    if status != 0 {
        println!("bench: failed with status {status}");
    }
    runtime::print::flush();
    let refused = sys::reboot(LINUX_REBOOT_CMD_POWER_OFF);
    println!("bench: power-off refused: {}", refused.description());
    status
}

/// The system-call, process, pipe and tmpfs figures; returns the exit status.
fn figures() -> i32 {
    // A warm-up call: the first touches pages the later ones find mapped.
    let _ = sys::getpid();
    let start = tsc();
    for _ in 0..ROUNDS {
        core::hint::black_box(sys::getpid());
    }
    report("syscall.null_round_trip", (tsc() - start) / ROUNDS);

    // Alone: the benchmark has no child yet and nothing else is runnable, so each call comes
    // straight back.
    let _ = sys::sched_yield();
    let start = tsc();
    for _ in 0..ROUNDS {
        let _ = sys::sched_yield();
    }
    report("sched.yield_alone", (tsc() - start) / ROUNDS);

    match thread_create_join() {
        Some(cost) => report("clone.thread_create_join", cost),
        None => println!("bench: thread create and join failed"),
    }
    match futex_ping_pong() {
        Some(cost) => report("futex.ping_pong_round_trip", cost),
        None => println!("bench: futex ping-pong failed"),
    }
    match signal_round_trip() {
        Some(cost) => report("signal.kill_handler_return", cost),
        None => return 1,
    }

    let Ok(child) = sys::fork() else {
        println!("bench: fork failed");
        return 1;
    };
    if child == 0 {
        for _ in 0..ROUNDS {
            let _ = sys::sched_yield();
        }
        sys::exit_group(0);
    }
    let start = tsc();
    for _ in 0..ROUNDS {
        let _ = sys::sched_yield();
    }
    let elapsed = tsc() - start;
    let _ = sys::wait4(child as i32, 0);
    report("process.switch_round_trip", elapsed / ROUNDS);

    let start = tsc();
    for _ in 0..PROCESS_ROUNDS {
        match sys::fork() {
            Ok(0) => sys::exit_group(0),
            Ok(pid) => {
                let _ = sys::wait4(pid as i32, 0);
            }
            Err(_) => return 1,
        }
    }
    report("process.fork_exit_wait", (tsc() - start) / PROCESS_ROUNDS);

    let start = tsc();
    for _ in 0..SPAWN_ROUNDS {
        match sys::fork() {
            Ok(0) => {
                sys::execve(b"/bin/hello\0", &[b"hello\0"], &[]);
                sys::exit_group(127)
            }
            Ok(pid) => {
                let _ = sys::wait4(pid as i32, 0);
            }
            Err(_) => return 1,
        }
    }
    report("process.spawn_hello", (tsc() - start) / SPAWN_ROUNDS);

    match pipe_ping_pong() {
        Some(cost) => report("pipe.ping_pong_round_trip", cost),
        None => return 1,
    }
    match poll_ready_pipe() {
        Some(cost) => report("poll.ready_pipe", cost),
        None => return 1,
    }
    let start = tsc();
    for _ in 0..ROUNDS {
        if sys::clock_gettime(CLOCK_MONOTONIC).is_err() {
            return 1;
        }
    }
    report("time.clock_gettime", (tsc() - start) / ROUNDS);
    match tmpfs_write_read() {
        Some(cost) => report("file.tmpfs_write_read_4k", cost),
        None => return 1,
    }
    match first_touch() {
        Some(cost) => report("mm.first_touch", cost),
        None => return 1,
    }
    match file_map_touch_unmap() {
        Some(cost) => report("mm.file_map_touch_unmap_1m", cost),
        None => return 1,
    }
    0
}

/// `poll` of a pipe's reading end that holds a byte: the cost of one call.
fn poll_ready_pipe() -> Option<u64> {
    use runtime::abi::poll::{PollFd, POLLIN};
    let (reader, writer) = sys::pipe().ok()?;
    (sys::write(writer, b"x").ok()? == 1).then_some(())?;
    let mut fds = [PollFd {
        fd: reader,
        events: POLLIN,
        revents: 0,
    }];
    let mut ready = 0;
    let start = tsc();
    for _ in 0..ROUNDS {
        ready += sys::poll(&mut fds, 0).ok()?;
    }
    let cost = (tsc() - start) / ROUNDS;
    let _ = sys::close(reader);
    let _ = sys::close(writer);
    (ready == ROUNDS as usize && fds[0].revents == POLLIN).then_some(cost)
}

/// The mapped file's size for `mm.file_map_touch_unmap_1m`.
const MAPPED_FILE_BYTES: usize = 1024 * 1024;
/// Rounds of that figure.
const MAP_ROUNDS: u64 = 10;

/// Maps a 1 MiB file in `/tmp`, loads a byte of each page, unmaps it: the cost of a round.
fn file_map_touch_unmap() -> Option<u64> {
    use runtime::abi::mman::{MAP_SHARED, PROT_READ};
    let path = "/tmp/bench-map.dat";
    let fd = sys::open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600).ok()?;
    let block = [0x5au8; FILE_BLOCK];
    for _ in 0..MAPPED_FILE_BYTES / FILE_BLOCK {
        (sys::write(fd, &block).ok()? == FILE_BLOCK).then_some(())?;
    }
    let round = || -> Option<u64> {
        let start = sys::mmap(MAPPED_FILE_BYTES, PROT_READ, MAP_SHARED, fd, 0).ok()?;
        let mut sum = 0u64;
        for page in 0..MAPPED_FILE_BYTES / PAGE_BYTES {
            // SAFETY: the page lies inside the readable mapping just made.
            sum += u64::from(unsafe {
                core::ptr::read_volatile((start + page * PAGE_BYTES) as *const u8)
            });
        }
        // SAFETY: the mapping was made above and nothing refers to it any more.
        unsafe { sys::munmap(start, MAPPED_FILE_BYTES) }.ok()?;
        Some(sum)
    };
    round()?; // warm-up
    let begin = tsc();
    let mut sum = 0;
    for _ in 0..MAP_ROUNDS {
        sum += round()?;
    }
    let cost = (tsc() - begin) / MAP_ROUNDS;
    let _ = sys::close(fd);
    let _ = sys::unlink(path);
    let expected = MAP_ROUNDS * (MAPPED_FILE_BYTES / PAGE_BYTES) as u64 * u64::from(block[0]);
    (sum == expected).then_some(cost)
}

/// Pages of anonymous memory touched for `mm.first_touch`.
const TOUCH_PAGES: usize = 256;
/// Bytes in a page.
const PAGE_BYTES: usize = 4096;

/// Maps [`TOUCH_PAGES`] pages of anonymous memory and writes a byte to each; the cost of one
/// first touch.
fn first_touch() -> Option<u64> {
    use runtime::abi::mman::{PROT_READ, PROT_WRITE};
    let bytes = TOUCH_PAGES * PAGE_BYTES;
    let start = sys::mmap_anonymous(bytes, PROT_READ | PROT_WRITE).ok()?;
    let begin = tsc();
    for page in 0..TOUCH_PAGES {
        // SAFETY: the page lies inside the writable mapping just made, which nothing else uses.
        unsafe { core::ptr::write_volatile((start + page * PAGE_BYTES) as *mut u8, 1) };
    }
    let elapsed = tsc() - begin;
    // SAFETY: the mapping was made above and nothing refers to it any more.
    unsafe { sys::munmap(start, bytes) }.ok()?;
    Some(elapsed / TOUCH_PAGES as u64)
}

/// Handler runs counted by [`count_signal`].
static SIGNALS: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The benchmark's signal handler: counts.
extern "C" fn count_signal(_signal: i32) {
    SIGNALS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
}

/// `kill` of itself, through the handler and back with `rt_sigreturn`; the cost of one.
fn signal_round_trip() -> Option<u64> {
    use runtime::abi::signal::{SigAction, SIGUSR1};
    runtime::signal::set_handler(SIGUSR1, count_signal, 0, 0).ok()?;
    let me = sys::getpid();
    sys::kill(me, SIGUSR1).ok()?;
    let start = tsc();
    for _ in 0..ROUNDS {
        sys::kill(me, SIGUSR1).ok()?;
    }
    let elapsed = tsc() - start;
    runtime::signal::set_action(SIGUSR1, &SigAction::default()).ok()?;
    let seen = SIGNALS.load(core::sync::atomic::Ordering::Relaxed);
    if seen != ROUNDS + 1 {
        println!("bench: {seen} signals handled, want {}", ROUNDS + 1);
        return None;
    }
    Some(elapsed / ROUNDS)
}

/// Threads started and joined one after another in `thread.create_join`.
const THREAD_ROUNDS: u64 = 200;
/// Bytes of stack a benchmark thread gets (they call nothing deep).
const THREAD_STACK: usize = 16 * 1024;
/// A benchmark thread's id word, cleared by the kernel when it ends.
static THREAD_TID: AtomicU32 = AtomicU32::new(0);
/// The futex ping-pong's ball: 1 while the second thread's turn, 0 while the first's.
static BALL: AtomicU32 = AtomicU32::new(0);

/// A thread that ends at once.
extern "C" fn end_at_once(_: u64) -> ! {
    thread::exit(0)
}

/// Starts a thread that ends at once and waits for it to end; the cost of one.
fn thread_create_join() -> Option<u64> {
    let mut stack = alloc::vec![0u8; THREAD_STACK];
    let mut once = || {
        // SAFETY: each thread is joined before the next starts, so one uses the stack at a time.
        let thread =
            unsafe { thread::spawn(stack.as_mut_ptr(), stack.len(), &THREAD_TID, end_at_once, 0) };
        thread.ok().map(thread::Thread::join)
    };
    once()?;
    let start = tsc();
    for _ in 0..THREAD_ROUNDS {
        once()?;
    }
    Some((tsc() - start) / THREAD_ROUNDS)
}

/// The second thread of the ping-pong: `rounds` times, waits for the ball and hands it back.
extern "C" fn return_ball(rounds: u64) -> ! {
    for _ in 0..rounds {
        while BALL.load(Ordering::Acquire) != 1 {
            let _ = thread::wait(&BALL, 0, true);
        }
        BALL.store(0, Ordering::Release);
        let _ = thread::wake(&BALL, 1, true);
    }
    thread::exit(0)
}

/// Two threads of one process handing a word back and forth with `FUTEX_WAKE` and
/// `FUTEX_WAIT`; the cost of a round trip (two wakes, two waits, two switches).
fn futex_ping_pong() -> Option<u64> {
    let mut stack = alloc::vec![0u8; THREAD_STACK];
    BALL.store(0, Ordering::Release);
    // SAFETY: the stack is this thread's alone, and it is joined below before the stack goes.
    let partner = unsafe {
        thread::spawn(
            stack.as_mut_ptr(),
            stack.len(),
            &THREAD_TID,
            return_ball,
            ROUNDS + 1,
        )
    }
    .ok()?;
    let round = || {
        BALL.store(1, Ordering::Release);
        let _ = thread::wake(&BALL, 1, true);
        while BALL.load(Ordering::Acquire) != 0 {
            let _ = thread::wait(&BALL, 1, true);
        }
    };
    round();
    let start = tsc();
    for _ in 0..ROUNDS {
        round();
    }
    let elapsed = tsc() - start;
    partner.join();
    Some(elapsed / ROUNDS)
}

/// One byte to a child and back, through two pipes; the cost of a round trip.
fn pipe_ping_pong() -> Option<u64> {
    // `pipe` gives (reading end, writing end).
    let (from_parent, to_child) = sys::pipe().ok()?;
    let (from_child, to_parent) = sys::pipe().ok()?;
    let child = sys::fork().ok()?;
    let mut byte = [0u8; 1];
    if child == 0 {
        // The child echoes every byte until its input ends. It closes the ends it does not
        // use first: holding the writing end of its own input, it would never see that end.
        let _ = sys::close(to_child);
        let _ = sys::close(from_child);
        while sys::read(from_parent, &mut byte) == Ok(1) {
            if sys::write(to_parent, &byte) != Ok(1) {
                break;
            }
        }
        sys::exit_group(0);
    }
    let _ = sys::close(from_parent);
    let _ = sys::close(to_parent);
    // A warm-up round trip: both sides have touched their pages and pipes.
    let _ = sys::write(to_child, b"w");
    let _ = sys::read(from_child, &mut byte);
    let start = tsc();
    let mut echoed = 0;
    for _ in 0..ROUNDS {
        let _ = sys::write(to_child, b"p");
        if sys::read(from_child, &mut byte) == Ok(1) && byte == *b"p" {
            echoed += 1;
        }
    }
    let cost = (tsc() - start) / ROUNDS;
    let _ = sys::close(to_child);
    let _ = sys::wait4(child as i32, 0);
    let _ = sys::close(from_child);
    // Every round must have been a real round trip, or the figure means nothing.
    (echoed == ROUNDS).then_some(cost)
}

/// Bytes written and read back per round of the tmpfs figure.
const FILE_BLOCK: usize = 4096;
/// Rounds of the tmpfs figure.
const FILE_ROUNDS: u64 = 200;

/// A 4 KiB write at the start of a tmpfs file, then a positioned read of it back.
fn tmpfs_write_read() -> Option<u64> {
    let path = "/tmp/bench.dat";
    let fd = sys::open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600).ok()?;
    let block = [0x5au8; FILE_BLOCK];
    let mut back = [0u8; FILE_BLOCK];
    let mut round = || -> Option<()> {
        sys::lseek(fd, 0, runtime::abi::fcntl::SEEK_SET).ok()?;
        (sys::write(fd, &block).ok()? == FILE_BLOCK).then_some(())?;
        sys::lseek(fd, 0, runtime::abi::fcntl::SEEK_SET).ok()?;
        (sys::read(fd, &mut back).ok()? == FILE_BLOCK).then_some(())
    };
    round()?; // warm-up: the file's buffer exists from here on
    let start = tsc();
    for _ in 0..FILE_ROUNDS {
        round()?;
    }
    let cost = (tsc() - start) / FILE_ROUNDS;
    let _ = sys::close(fd);
    let _ = sys::unlink(path);
    (back == block).then_some(cost)
}

/// Rounds of the write-and-fsync figure.
const FSYNC_ROUNDS: u64 = 20;
/// The sequential figures' file, and the unit they are reported per.
const SEQUENTIAL_BYTES: usize = 1024 * 1024;
/// Bytes per `write` or `read` call of the sequential figures.
const SEQUENTIAL_CHUNK: usize = 64 * 1024;
/// Bytes in a KiB.
const KIB: u64 = 1024;
/// Bytes written to push the sequential file out of the kernel's block cache (4 MiB).
const EVICTING_BYTES: usize = 6 * 1024 * 1024;

/// Where [`Busy`] learns how long the CPU sat halted.
#[derive(Clone, Copy)]
enum IdleClock {
    /// Ferrite's `/proc/idle`: `idle_tsc N`, time-stamp counter ticks spent halted.
    Ferrite,
    /// Linux's `/proc/timer_list` (root only, with `/proc` mounted): each CPU's
    /// `.idle_sleeptime` and `.iowait_sleeptime`, the nanoseconds its idle loop ran with no task
    /// waiting for I/O and with one waiting. Both together are the halted time; the counter
    /// ticks per nanosecond come from `CLOCK_MONOTONIC` over the same stretch. Linux clocks
    /// them from entering its idle loop to leaving it, not around the halt alone, so the idle
    /// loop's own instructions are left out of Linux's figures too, which can only make them
    /// smaller.
    Linux,
}

/// Linux's list of timers and per-CPU idle times.
const TIMER_LIST: &str = "/proc/timer_list";

impl IdleClock {
    /// The clock this kernel has, if any.
    fn find() -> Option<IdleClock> {
        [IdleClock::Ferrite, IdleClock::Linux]
            .into_iter()
            .find(|clock| clock.idle().is_some())
    }

    /// The halted time so far: counter ticks on Ferrite, nanoseconds on Linux.
    fn idle(self) -> Option<u64> {
        match self {
            IdleClock::Ferrite => {
                let text = runtime::fs::read_file("/proc/idle").ok()?;
                let text = core::str::from_utf8(&text).ok()?;
                text.trim().strip_prefix("idle_tsc ")?.parse().ok()
            }
            IdleClock::Linux => {
                let text = runtime::fs::read_file(TIMER_LIST).ok()?;
                let text = core::str::from_utf8(&text).ok()?;
                // The first CPU's lines, `  .idle_sleeptime   : 123 nsecs` (the machine has one).
                let field = |name: &str| -> Option<u64> {
                    let line = text.lines().find(|l| l.trim_start().starts_with(name))?;
                    let value = line.split_once(':')?.1.trim().strip_suffix("nsecs")?;
                    value.trim().parse().ok()
                };
                Some(field(".idle_sleeptime")? + field(".iowait_sleeptime")?)
            }
        }
    }
}

/// Nanoseconds of `CLOCK_MONOTONIC`.
fn monotonic_ns() -> Option<u64> {
    let now = sys::clock_gettime(runtime::abi::time::CLOCK_MONOTONIC).ok()?;
    u64::try_from(now.tv_sec)
        .ok()?
        .checked_mul(1_000_000_000)?
        .checked_add(u64::try_from(now.tv_nsec).ok()?)
}

/// A clock of what ran: the time-stamp counter less the halted time.
struct Busy {
    /// Where the halted time comes from.
    clock: IdleClock,
    /// The counter at the start.
    tsc: u64,
    /// The halted time at the start.
    idle: u64,
    /// `CLOCK_MONOTONIC` at the start, on Linux (whose halted time is in nanoseconds).
    ns: u64,
}

impl Busy {
    /// Starts measuring.
    fn start(clock: IdleClock) -> Option<Busy> {
        let idle = clock.idle()?;
        let ns = match clock {
            IdleClock::Ferrite => 0,
            IdleClock::Linux => monotonic_ns()?,
        };
        Some(Busy {
            clock,
            tsc: tsc(),
            idle,
            ns,
        })
    }

    /// Ticks that ran since the start.
    fn elapsed(&self) -> Option<u64> {
        let ticks = tsc() - self.tsc;
        // The two clocks are read next to each other, before the long read of the idle time
        // (as `start` reads them after it), so they cover the same stretch, and the ratio of
        // the two is the counter's true rate, not skewed by the read.
        let ns = match self.clock {
            IdleClock::Ferrite => 0,
            IdleClock::Linux => monotonic_ns()?.checked_sub(self.ns)?.max(1),
        };
        let idle = self.clock.idle()? - self.idle;
        let halted = match self.clock {
            IdleClock::Ferrite => idle,
            IdleClock::Linux => {
                // Nanoseconds to counter ticks, at the rate the two ran at over this stretch.
                u64::try_from(u128::from(idle) * u128::from(ticks) / u128::from(ns)).ok()?
            }
        };
        Some(ticks.saturating_sub(halted))
    }
}

/// What happens to the sequential file between writing and reading it back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cache {
    /// Only the other files written after it push it out (Ferrite's block cache is small).
    PushedOut,
    /// Linux is also asked to drop its clean page cache (`/proc/sys/vm/drop_caches`), which
    /// 128 MiB of memory would otherwise keep the file in.
    Dropped,
}

/// Where the disk's kernel modules are in Linux's initramfs, `NAME.ko` each (peer.py).
const MODULE_DIR: &str = "/lib/modules";
/// The names of those modules, one a line, in the order they must be loaded (peer.py).
const LOAD_ORDER: &str = "/lib/modules/load-order";
/// The first virtio disk, as Linux names it.
const DISK_DEVICE: &str = "/dev/vda";
/// Where the disk is mounted.
const MOUNT_POINT: &str = "/mnt";

/// On Linux with the disk's modules in the initramfs: loads them, mounts the ext4 disk on
/// [`MOUNT_POINT`] and prints the disk figures measured there. `Some` also when there is no
/// module list (no disk was asked for); `None`, after a line that says why, on a failure.
fn linux_disk() -> Option<()> {
    let Ok(list) = runtime::fs::read_file(LOAD_ORDER) else {
        return Some(());
    };
    let Ok(list) = core::str::from_utf8(&list) else {
        println!("bench: {LOAD_ORDER} is not text");
        return None;
    };
    for name in list.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = alloc::format!("{MODULE_DIR}/{name}.ko");
        let loaded = sys::open(path.as_str(), runtime::abi::fcntl::O_RDONLY, 0).and_then(|fd| {
            let loaded = runtime::linux::finit_module(fd);
            let _ = sys::close(fd);
            loaded
        });
        if let Err(e) = loaded {
            println!(
                "bench: loading the module {path} failed: {}",
                e.description()
            );
            return None;
        }
    }
    // devtmpfs holds a node for each device the kernel has, the disk's among them.
    let mounts = [
        ("devtmpfs", "/dev", "devtmpfs"),
        ("proc", "/proc", "proc"),
        (DISK_DEVICE, MOUNT_POINT, "ext4"),
    ];
    for (source, target, fstype) in mounts {
        if let Err(e) = runtime::linux::mount(source, target, fstype) {
            println!(
                "bench: mounting {source} on {target} as {fstype} failed: {}",
                e.description()
            );
            return None;
        }
    }
    if let Err(e) = sys::chdir(MOUNT_POINT) {
        println!("bench: cd {MOUNT_POINT} failed: {}", e.description());
        return None;
    }
    let measured = disk(Cache::Dropped);
    if measured.is_none() {
        println!("bench: a disk benchmark failed on {DISK_DEVICE}");
    }
    measured
}

/// The disk figures, in the current directory.
fn disk(cache: Cache) -> Option<()> {
    use runtime::abi::fcntl::{O_RDONLY, O_WRONLY, SEEK_SET};
    let clock = IdleClock::find()?;
    let block = [0x5au8; FILE_BLOCK];
    let fd = sys::open("bench-fsync.dat", O_WRONLY | O_CREAT | O_TRUNC, 0o600).ok()?;
    let round = || -> Option<()> {
        sys::lseek(fd, 0, SEEK_SET).ok()?;
        (sys::write(fd, &block).ok()? == FILE_BLOCK).then_some(())?;
        sys::fsync(fd).ok()
    };
    round()?; // warm-up: the file's block is allocated from here on
    let busy = Busy::start(clock)?;
    for _ in 0..FSYNC_ROUNDS {
        round()?;
    }
    report("disk.write_fsync_4k", busy.elapsed()? / FSYNC_ROUNDS);
    let _ = sys::close(fd);

    let chunk = alloc::vec![0xa5u8; SEQUENTIAL_CHUNK];
    let write_file = |path: &str, bytes: usize| -> Option<u64> {
        let fd = sys::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600).ok()?;
        let busy = Busy::start(clock)?;
        for _ in 0..bytes / SEQUENTIAL_CHUNK {
            runtime::fs::write_all(fd, &chunk).ok()?;
        }
        sys::fsync(fd).ok()?;
        let cost = busy.elapsed()?;
        let _ = sys::close(fd);
        Some(cost)
    };
    let cost = write_file("bench-seq.dat", SEQUENTIAL_BYTES)?;
    report(
        "disk.seq_write_per_kib",
        cost / (SEQUENTIAL_BYTES as u64 / KIB),
    );
    write_file("bench-evict.dat", EVICTING_BYTES)?;
    if cache == Cache::Dropped {
        // 1: the clean page cache (both files were fsynced, so all of theirs is clean).
        runtime::fs::write_file("/proc/sys/vm/drop_caches", b"1").ok()?;
    }

    let fd = sys::open("bench-seq.dat", O_RDONLY, 0).ok()?;
    let mut back = alloc::vec![0u8; SEQUENTIAL_CHUNK];
    let busy = Busy::start(clock)?;
    let mut total = 0;
    loop {
        match sys::read(fd, &mut back).ok()? {
            0 => break,
            n => total += n,
        }
    }
    let cost = busy.elapsed()?;
    let _ = sys::close(fd);
    (total == SEQUENTIAL_BYTES && back.iter().all(|&b| b == 0xa5)).then_some(())?;
    report(
        "disk.seq_read_per_kib",
        cost / (SEQUENTIAL_BYTES as u64 / KIB),
    );
    for path in ["bench-fsync.dat", "bench-seq.dat", "bench-evict.dat"] {
        let _ = sys::unlink(path);
    }
    Some(())
}
