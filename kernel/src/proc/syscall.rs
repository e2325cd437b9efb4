//! The system-call dispatcher: Linux's numbers and conventions, Ferrite's implementations.
//!
//! The `syscall` entry (`arch::x86_64::user`) saves the program's registers in a trap frame on
//! its thread's kernel stack and calls [`handle`]. The call's number is in RAX and its arguments
//! in RDI, RSI, RDX, R10, R8 and R9; the result goes back in RAX, a negated errno for a failure.
//! Every number, flag and structure here is Linux x86_64's (the `abi` crate, checked against
//! Debian's kernel headers), so a static Linux program that keeps to these calls runs
//! unchanged. A call Ferrite does not have returns `ENOSYS` and is reported once by name, so a
//! learner sees what a program wanted.
//!
//! Interrupts are on while a call runs: a long call (`nanosleep`) is preempted like anything
//! else, and a call may block.
//!
//! Each call's body is kept out of line (`#[inline(never)]`): inlined, their buffers made the
//! dispatcher's stack frame 800 bytes deep and every call, `getpid` too, paid for setting it up.

use super::{files, futex, info, ipc, signal, thread, with_current_task, Task};
use crate::arch::x86_64::trap::TrapFrame;
use crate::arch::x86_64::user::Next;
use crate::mm::paging::PAGE_SIZE;
use crate::mm::space::USER_END;
use crate::mm::uaccess;
use crate::sched;
use abi::fcntl::{AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, O_CREAT, O_TRUNC, O_WRONLY};
use abi::{nr, Errno};
use x86_64::instructions::interrupts;
use x86_64::structures::paging::PageTableFlags as Flags;

/// Nanoseconds in a second: the bound of `tv_nsec`.
const NANOS_PER_SECOND: u64 = 1_000_000_000;
/// The registered system-call handler: runs the call in RAX and writes its result there.
/// Returns whether the program goes on ([`Next::Resume`]) or is over ([`Next::Leave`]: it
/// called `exit`, or a `kill` came while the call ran); `arch` then follows that, after this
/// function has returned and dropped whatever it held.
pub fn handle(frame: &mut TrapFrame) -> Next {
    interrupts::enable();
    let next = with_current_task(|task| {
        let number = frame.rax as usize;
        if number == nr::EXIT || number == nr::EXIT_GROUP {
            return exit(task, frame, number);
        }
        let result = dispatch(task, frame, number);
        if task.trace {
            trace(task, number, frame, Some(result));
        }
        frame.rax = abi::encode(result) as u64;
        if sched::stop_requested(sched::current()) {
            // Signals are pending (or `rt_sigreturn` asks for the full way out).
            let restartable = (number != nr::RT_SIGRETURN).then_some(number);
            return super::signal::deliver(task, frame, restartable);
        }
        Next::Resume
    });
    interrupts::disable();
    next.unwrap_or_else(|| {
        frame.rax = abi::encode(Err(Errno::ENOSYS)) as u64;
        Next::Resume
    })
}

/// `exit(status)` ends the calling thread (the process too, if it was the last);
/// `exit_group(status)` ends every thread of the process.
#[cold]
fn exit(task: &mut Task, frame: &TrapFrame, number: usize) -> Next {
    if task.trace {
        trace(task, number, frame, None);
    }
    task.status = abi::wait::wait_status_exited(frame.rdi as u8);
    if number == nr::EXIT_GROUP {
        super::end_group(task.pid, task.status);
    }
    Next::Leave
}

/// Runs call `number` with the arguments in `frame` (RDI, RSI, RDX, R10, R8, R9). `frame` is
/// also there for the calls that copy the registers (`fork`) or replace them (`execve`).
fn dispatch(task: &mut Task, frame: &mut TrapFrame, number: usize) -> Result<usize, Errno> {
    let a = [
        frame.rdi, frame.rsi, frame.rdx, frame.r10, frame.r8, frame.r9,
    ];
    match number {
        nr::FORK | nr::VFORK => super::fork(task, frame).map(|pid| pid as usize),
        nr::CLONE => clone(task, frame, a),
        nr::EXECVE => execve(task, frame, a[0], a[1], a[2]),
        nr::WAIT4 => wait4(task, a[0] as i32, a[1], a[2] as u32, a[3]),
        nr::KILL => signal::kill(task, a[0] as i32, a[1] as i32),
        nr::TKILL => signal::tgkill(task, None, a[0] as i32, a[1] as i32),
        nr::TGKILL => signal::tgkill(task, Some(a[0] as i32), a[1] as i32, a[2] as i32),
        nr::RT_SIGACTION => signal::sigaction(task, a[0] as i32, a[1], a[2], a[3] as usize),
        nr::RT_SIGPROCMASK => signal::sigprocmask(task, a[0] as u32, a[1], a[2], a[3] as usize),
        nr::RT_SIGPENDING => signal::sigpending(task, a[0], a[1] as usize),
        nr::RT_SIGSUSPEND => signal::sigsuspend(task, a[0], a[1] as usize),
        nr::RT_SIGTIMEDWAIT => signal::sigtimedwait(task, a[0], a[1], a[2], a[3] as usize),
        nr::RT_SIGRETURN => signal::sigreturn(task, frame),
        nr::SIGALTSTACK => signal::sigaltstack(task, a[0], a[1], frame.rsp),
        nr::PAUSE => signal::pause(),
        nr::ALARM => signal::alarm(task, a[0] as u32),
        nr::SETITIMER => signal::setitimer(task, a[0] as i32, a[1], a[2]),
        nr::GETITIMER => signal::getitimer(task, a[0] as i32, a[1]),
        nr::POLL => super::poll::poll(task, a[0], a[1] as usize, a[2] as i32),
        nr::PPOLL => super::poll::ppoll(task, a),
        nr::SELECT => super::poll::select(task, a),
        nr::PSELECT6 => super::poll::pselect6(task, a),
        nr::SETPGID => {
            let pid = if a[0] == 0 {
                task.pid
            } else {
                a[0] as super::Pid
            };
            let group = if a[1] == 0 { pid } else { a[1] as super::Pid };
            if (a[1] as i32) < 0 {
                return Err(Errno::EINVAL);
            }
            super::set_group(task.pid, pid, group).map(|()| 0)
        }
        nr::GETPGID | nr::GETSID => {
            let pid = if a[0] == 0 {
                task.pid
            } else {
                a[0] as super::Pid
            };
            let (group, session) = super::group_of(pid).ok_or(Errno::ESRCH)?;
            Ok((if number == nr::GETPGID {
                group
            } else {
                session
            }) as usize)
        }
        nr::GETPGRP => Ok(super::group_of(task.pid).map_or(0, |(group, _)| group) as usize),
        nr::SETSID => super::new_session(task.pid).map(|pid| pid as usize),
        nr::READ => files::read(task, a[0] as i32, a[1], a[2] as usize),
        nr::WRITE => files::write(task, a[0] as i32, a[1], a[2] as usize),
        nr::READV => files::vectored(task, a[0] as i32, a[1], a[2] as usize, false),
        nr::WRITEV => files::vectored(task, a[0] as i32, a[1], a[2] as usize, true),
        nr::PREAD64 => {
            files::positioned(task, a[0] as i32, a[1], a[2] as usize, a[3] as i64, false)
        }
        nr::PWRITE64 => {
            files::positioned(task, a[0] as i32, a[1], a[2] as usize, a[3] as i64, true)
        }
        nr::OPEN => files::openat(task, AT_FDCWD, a[0], a[1] as u32, a[2] as u32),
        nr::CREAT => files::openat(
            task,
            AT_FDCWD,
            a[0],
            O_CREAT | O_WRONLY | O_TRUNC,
            a[1] as u32,
        ),
        nr::OPENAT => files::openat(task, a[0] as i32, a[1], a[2] as u32, a[3] as u32),
        nr::CLOSE => files::close(task, a[0] as i32),
        nr::LSEEK => files::lseek(task, a[0] as i32, a[1] as i64, a[2] as u32),
        nr::STAT => files::fstatat(task, AT_FDCWD, a[0], a[1], 0),
        nr::LSTAT => files::fstatat(task, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW),
        nr::FSTAT => files::fstat(task, a[0] as i32, a[1]),
        nr::NEWFSTATAT => files::fstatat(task, a[0] as i32, a[1], a[2], a[3] as u32),
        nr::ACCESS => files::faccessat(task, AT_FDCWD, a[0], a[1] as u32),
        nr::FACCESSAT | nr::FACCESSAT2 => files::faccessat(task, a[0] as i32, a[1], a[2] as u32),
        nr::GETDENTS64 => files::getdents64(task, a[0] as i32, a[1], a[2] as usize),
        nr::MKDIR => files::mkdirat(task, AT_FDCWD, a[0], a[1] as u32),
        nr::MKDIRAT => files::mkdirat(task, a[0] as i32, a[1], a[2] as u32),
        nr::RMDIR => files::unlinkat(task, AT_FDCWD, a[0], AT_REMOVEDIR),
        nr::UNLINK => files::unlinkat(task, AT_FDCWD, a[0], 0),
        nr::UNLINKAT => files::unlinkat(task, a[0] as i32, a[1], a[2] as u32),
        nr::RENAME => {
            let fd = AT_FDCWD as u64;
            files::renameat(task, [fd, a[0], fd, a[1], 0, 0])
        }
        nr::RENAMEAT => files::renameat(task, [a[0], a[1], a[2], a[3], 0, 0]),
        nr::RENAMEAT2 => files::renameat(task, a),
        nr::LINK => files::linkat(task, [AT_FDCWD as u64, a[0], AT_FDCWD as u64, a[1], 0]),
        nr::LINKAT => files::linkat(task, [a[0], a[1], a[2], a[3], a[4]]),
        nr::SYMLINK => files::symlinkat(task, a[0], AT_FDCWD, a[1]),
        nr::SYMLINKAT => files::symlinkat(task, a[0], a[1] as i32, a[2]),
        nr::READLINK => files::readlinkat(task, AT_FDCWD, a[0], a[1], a[2] as usize),
        nr::READLINKAT => files::readlinkat(task, a[0] as i32, a[1], a[2], a[3] as usize),
        nr::CHOWN => files::fchownat(task, AT_FDCWD, a[0], (a[1] as u32, a[2] as u32), 0),
        nr::LCHOWN => files::fchownat(
            task,
            AT_FDCWD,
            a[0],
            (a[1] as u32, a[2] as u32),
            AT_SYMLINK_NOFOLLOW,
        ),
        nr::FCHOWN => files::fchown(task, a[0] as i32, (a[1] as u32, a[2] as u32)),
        nr::FCHOWNAT => files::fchownat(
            task,
            a[0] as i32,
            a[1],
            (a[2] as u32, a[3] as u32),
            a[4] as u32,
        ),
        nr::CHMOD => files::fchmodat(task, AT_FDCWD, a[0], a[1] as u32, 0),
        nr::FCHMOD => files::fchmod(task, a[0] as i32, a[1] as u32),
        nr::FCHMODAT => files::fchmodat(task, a[0] as i32, a[1], a[2] as u32, a[3] as u32),
        nr::STATFS => files::statfs(task, a[0], a[1]),
        nr::UTIMENSAT => files::utimensat(task, a[0] as i32, a[1], a[2], a[3] as u32),
        nr::FSTATFS => files::fstatfs(task, a[0] as i32, a[1]),
        nr::SENDFILE => files::sendfile(task, a[0] as i32, a[1] as i32, a[2], a[3] as usize),
        nr::DUP => files::dup(task, a[0] as i32),
        nr::DUP2 => files::dup3(task, a[0] as i32, a[1] as i32, 0, true),
        nr::DUP3 => files::dup3(task, a[0] as i32, a[1] as i32, a[2] as u32, false),
        nr::PIPE => files::pipe2(task, a[0], 0),
        nr::PIPE2 => files::pipe2(task, a[0], a[1] as u32),
        nr::CHDIR => files::chdir(task, a[0]),
        nr::FCHDIR => files::fchdir(task, a[0] as i32),
        nr::GETCWD => files::getcwd(task, a[0], a[1] as usize),
        nr::FCNTL => files::fcntl(task, a[0] as i32, a[1] as u32, a[2]),
        nr::FLOCK => files::flock(task, a[0] as i32, a[1] as u32),
        // System V IPC: message queues and semaphore sets (`ipc`).
        nr::MSGGET => ipc::msgget(a[0] as i32, a[1] as u32),
        nr::MSGSND => ipc::msgsnd(task, a[0] as i32, a[1], a[2] as usize, a[3] as u32),
        nr::MSGRCV => ipc::msgrcv(
            task,
            a[0] as i32,
            a[1],
            a[2] as usize,
            a[3] as i64,
            a[4] as u32,
        ),
        nr::MSGCTL => ipc::msgctl(a[0] as i32, a[1] as u32, a[2]),
        nr::SEMGET => ipc::semget(a[0] as i32, a[1] as i32, a[2] as u32),
        nr::SHMGET => super::shm::shmget(task, a[0] as i32, a[1], a[2] as u32),
        nr::SHMAT => super::shm::shmat(task, a[0] as i32, a[1], a[2] as u32),
        nr::SHMDT => super::shm::shmdt(task, a[0]),
        nr::SHMCTL => super::shm::shmctl(a[0] as i32, a[1] as u32, a[2]),
        nr::SEMOP => ipc::semop(task, a[0] as i32, a[1], a[2] as usize, 0),
        nr::SEMTIMEDOP => ipc::semop(task, a[0] as i32, a[1], a[2] as usize, a[3]),
        nr::SEMCTL => ipc::semctl(task, a[0] as i32, a[1] as i32, a[2] as u32, a[3]),
        nr::IOCTL => files::ioctl(task, a[0] as i32, a[1] as u32, a[2]),
        nr::FTRUNCATE => files::ftruncate(task, a[0] as i32, a[1] as i64),
        nr::TRUNCATE => files::truncate(task, a[0], a[1] as i64),
        nr::FSYNC | nr::FDATASYNC | nr::SYNCFS => files::fsync(task, a[0] as i32),
        nr::SYNC => {
            // Linux's sync(2) reports nothing; errors reach the log.
            if let Err(e) = crate::fs::sync_all() {
                log::error!("sync: {}", e.name());
            }
            Ok(0)
        }
        nr::REBOOT => reboot(a),
        nr::UMASK => Ok(crate::fs::file::UMASK as usize),
        nr::GETPID => Ok(task.pid as usize),
        nr::GETTID => Ok(task.tid as usize),
        nr::SET_TID_ADDRESS => thread::set_tid_address(task, a[0]),
        nr::SET_ROBUST_LIST => thread::set_robust_list(task, a[0], a[1] as usize),
        nr::GET_ROBUST_LIST => thread::get_robust_list(task, a[0] as i32, a[1], a[2]),
        nr::FUTEX => futex::futex(task, a[0], a[1] as u32, a[2] as u32, [a[3], a[4], a[5]]),
        nr::GETPPID => Ok(super::parent_of(task.pid) as usize),
        nr::SCHED_YIELD => {
            sched::yield_now();
            Ok(0)
        }
        nr::NANOSLEEP => nanosleep(a[0], a[1]),
        nr::BRK => Ok(brk(task, a[0]) as usize),
        nr::MMAP => mmap(task, a),
        nr::MUNMAP => munmap(task, a[0], a[1]),
        nr::MPROTECT => mprotect(task, a[0], a[1], a[2] as u32),
        nr::MREMAP => super::mapping::mremap(task, a),
        nr::MADVISE => super::mapping::madvise(task, a[0], a[1], a[2] as i32),
        nr::MSYNC => super::mapping::msync(task, a[0], a[1], a[2] as u32),
        // Deliberately absent: glibc registers restartable sequences at start-up and, told
        // ENOSYS, does without them (and this is no missing call to report).
        nr::RSEQ => Err(Errno::ENOSYS),
        nr::ARCH_PRCTL => arch_prctl(a[0] as u32, a[1]),
        nr::PRCTL => super::prctl::prctl(task, a),
        // Time, identity, the machine, random bytes, limits and usage: `info`.
        nr::CLOCK_GETTIME => info::clock_gettime(a[0] as i32, a[1]),
        nr::CLOCK_GETRES => info::clock_getres(a[0] as i32, a[1]),
        nr::CLOCK_NANOSLEEP => info::clock_nanosleep(a[0] as i32, a[1] as u32, a[2], a[3]),
        nr::GETTIMEOFDAY => info::gettimeofday(a[0], a[1]),
        nr::TIME => info::time(a[0]),
        nr::UNAME => info::uname(a[0]),
        nr::GETUID | nr::GETEUID | nr::GETGID | nr::GETEGID => Ok(info::get_id(task, number)),
        nr::GETRESUID => info::getres(task, false, [a[0], a[1], a[2]]),
        nr::GETRESGID => info::getres(task, true, [a[0], a[1], a[2]]),
        nr::SETUID => info::set_id(task, false, a[0] as u32),
        nr::SETGID => info::set_id(task, true, a[0] as u32),
        nr::SETREUID => info::set_re_id(task, false, a[0] as u32, a[1] as u32),
        nr::SETREGID => info::set_re_id(task, true, a[0] as u32, a[1] as u32),
        nr::SETRESUID => info::set_res_id(task, false, [a[0] as u32, a[1] as u32, a[2] as u32]),
        nr::SETRESGID => info::set_res_id(task, true, [a[0] as u32, a[1] as u32, a[2] as u32]),
        nr::GETGROUPS => info::getgroups(a[0] as i32),
        nr::GETRANDOM => info::getrandom(a[0], a[1] as usize, a[2] as u32),
        nr::PRLIMIT64 => info::prlimit64(task, a[0] as i32, a[1] as u32, a[2], a[3]),
        nr::GETRLIMIT => info::getrlimit(task, a[0] as u32, a[1]),
        nr::SETRLIMIT => info::setrlimit(task, a[0] as u32, a[1]),
        nr::GETRUSAGE => info::getrusage(task, a[0] as i32, a[1]),
        nr::TIMES => info::times(a[0]),
        nr::SYSINFO => info::sysinfo(a[0]),
        nr::SCHED_GETAFFINITY => info::sched_getaffinity(task, a[0] as i32, a[1] as usize, a[2]),
        nr::SYSLOG => syslog(a[0] as i32, a[1], a[2] as i32),
        _ => {
            report_unimplemented(task, number);
            Err(Errno::ENOSYS)
        }
    }
}

/// Arguments shown in a trace line: the first three (most calls' meaningful ones; a trace is a
/// learner's view, not a full `strace`).
const TRACED_ARGS: usize = 3;

/// Prints one trace line for a call: `[pid 3] write(0x1, 0x401000, 0xe) = 14`; `None` for a
/// call that does not return (`exit`).
#[cold]
#[inline(never)]
fn trace(task: &Task, number: usize, frame: &TrapFrame, result: Option<Result<usize, Errno>>) {
    let name = abi::nr::name(number).unwrap_or("unknown");
    crate::print!("[pid {}] {name}(", task.pid);
    for (i, arg) in [frame.rdi, frame.rsi, frame.rdx][..TRACED_ARGS]
        .iter()
        .enumerate()
    {
        let separator = if i == 0 { "" } else { ", " };
        crate::print!("{separator}{arg:#x}");
    }
    match result {
        Some(Ok(value)) => crate::println!(") = {value}"),
        Some(Err(e)) => crate::println!(") = -{} {}", e as i32, e.name()),
        None => crate::println!(") = ? (exits, status {:#x})", frame.rdi as u8),
    }
}

/// Logs, once per program and call number, that a program asked for a call Ferrite does not
/// have: to the kernel log (`dmesg`), and on the console too only if a learner asked for that
/// (`enosys live`), so the note never lands inside the program's own output.
#[cold]
#[inline(never)]
fn report_unimplemented(task: &mut Task, number: usize) {
    // Numbers beyond the table share its last bit, so a fuzzer's random numbers are reported
    // once in all, not once each.
    let index = number.min(super::MISSING_WORDS * 64 - 1);
    let (word, bit) = (index / 64, 1u64 << (index % 64));
    let reported = task
        .reported_missing
        .get_or_insert_with(|| alloc::boxed::Box::new([0; super::MISSING_WORDS]));
    if reported[word] & bit != 0 {
        return;
    }
    reported[word] |= bit;
    let name = abi::nr::name(number).unwrap_or("unknown");
    let (pid, program) = (task.pid, &task.name);
    macro_rules! note {
        () => {
            format_args!(
                "pid {pid} ({program}): system call {number} ({name}) is not implemented; it returns ENOSYS"
            )
        };
    }
    if crate::klog::enosys_live() {
        crate::println!("{}", note!());
    }
    crate::klog::line(note!());
}

/// `syslog(action, buf, len)`: the kernel log, for `dmesg`. Reading is never destructive here
/// except with `READ_CLEAR`; the waiting `READ` (a log daemon's) is not offered (`EINVAL`).
#[inline(never)]
fn syslog(action: i32, buf: u64, len: i32) -> Result<usize, Errno> {
    use abi::syslog::*;
    match action {
        SYSLOG_ACTION_CLOSE
        | SYSLOG_ACTION_OPEN
        | SYSLOG_ACTION_CONSOLE_OFF
        | SYSLOG_ACTION_CONSOLE_ON
        | SYSLOG_ACTION_CONSOLE_LEVEL => Ok(0),
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            // Linux's checks, in Linux's order: a null buffer or a negative length is EINVAL.
            if buf == 0 || len < 0 {
                return Err(Errno::EINVAL);
            }
            let mut text = alloc::vec![0u8; (len as usize).min(crate::klog::BYTES)];
            let count = crate::klog::read_newest(&mut text);
            uaccess::write(buf, &text[..count])?;
            if action == SYSLOG_ACTION_READ_CLEAR {
                crate::klog::clear();
            }
            Ok(count)
        }
        SYSLOG_ACTION_CLEAR => {
            crate::klog::clear();
            Ok(0)
        }
        SYSLOG_ACTION_SIZE_UNREAD => Ok(crate::klog::len()),
        SYSLOG_ACTION_SIZE_BUFFER => Ok(crate::klog::BYTES),
        _ => Err(Errno::EINVAL),
    }
}

#[inline(never)]
/// `reboot(magic1, magic2, cmd, arg)`: commits every file system, then restarts or powers off.
fn reboot(a: [u64; 6]) -> Result<usize, Errno> {
    use abi::reboot::*;
    let (magic1, magic2, command) = (a[0] as u32, a[1] as u32, a[2] as u32);
    if magic1 != LINUX_REBOOT_MAGIC1 || !is_magic2(magic2) {
        return Err(Errno::EINVAL);
    }
    if !matches!(
        command,
        LINUX_REBOOT_CMD_RESTART | LINUX_REBOOT_CMD_HALT | LINUX_REBOOT_CMD_POWER_OFF
    ) {
        return Err(Errno::EINVAL);
    }
    if let Err(e) = crate::fs::sync_all() {
        log::error!("reboot: the disk could not be synced: {}", e.name());
    }
    match command {
        LINUX_REBOOT_CMD_RESTART => crate::platform::power::reboot(),
        _ => {
            let error = crate::platform::power::shutdown();
            log::error!("power off failed: {error}");
            Err(Errno::EIO)
        }
    }
}

/// `nanosleep(req, rem)`: a signal cuts the sleep short with `EINTR`, and `rem` (if not null)
/// gets the time that was left.
fn nanosleep(request: u64, remaining: u64) -> Result<usize, Errno> {
    let time: abi::Timespec = uaccess::read_value(request)?;
    if time.tv_sec < 0 || !(0..NANOS_PER_SECOND as i64).contains(&time.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let duration = core::time::Duration::new(time.tv_sec as u64, time.tv_nsec as u32);
    let until = crate::time::uptime_ns().saturating_add(duration.as_nanos() as u64);
    sched::sleep(duration);
    if sched::should_stop() {
        // A signal cut it short: `EINTR`, and the time still to sleep for a caller that asks.
        let left = until.saturating_sub(crate::time::uptime_ns());
        if left > 0 {
            if remaining != 0 {
                let rest = abi::Timespec {
                    tv_sec: (left / NANOS_PER_SECOND) as i64,
                    tv_nsec: (left % NANOS_PER_SECOND) as i64,
                };
                uaccess::write_value(remaining, &rest)?;
            }
            return Err(Errno::EINTR);
        }
    }
    Ok(0)
}

/// The most the heap may grow to.
const MAX_HEAP: u64 = 256 * 1024 * 1024;
/// The largest single mapping `mmap` makes: 64 GiB of address space, which costs nothing
/// until it is touched.
pub const MAX_MAPPING: u64 = 64 << 30;

/// `brk(addr)`: moves the program break to `addr` if it can, and returns the break in force
/// (Linux's convention: the unchanged break means failure).
#[inline(never)]
fn brk(task: &mut Task, addr: u64) -> u64 {
    let limits = info::memory_limits(task);
    let mut map = task.memory.lock();
    if addr < map.brk_start || addr > map.brk_start + MAX_HEAP {
        return map.brk;
    }
    if addr > map.brk && !limits.allow(&map, addr - map.brk, true) {
        return map.brk;
    }
    let old_end = map.brk.next_multiple_of(PAGE_SIZE);
    let new_end = addr.next_multiple_of(PAGE_SIZE);
    match new_end.cmp(&old_end) {
        core::cmp::Ordering::Greater => {
            if map.regions.overlaps(old_end, new_end) {
                return map.brk; // a mapping is in the way
            }
            let pages = (new_end - old_end) / PAGE_SIZE;
            let flags = Flags::WRITABLE | Flags::NO_EXECUTE;
            if map.space.map_zeroed(old_end, pages, flags).is_err() {
                return map.brk;
            }
        }
        core::cmp::Ordering::Less => {
            map.space.unmap(new_end, (old_end - new_end) / PAGE_SIZE);
        }
        core::cmp::Ordering::Equal => {}
    }
    map.brk = addr;
    addr
}

/// `mmap(addr, length, prot, flags, fd, offset)`: see [`super::regions`]. Private anonymous
/// memory is only recorded (its pages are filled on first touch); shared anonymous memory is
/// mapped at once, marked to stay shared across `fork`; a file's pages come from its object
/// in `fs::pagecache` on first touch, shared or copy-on-write. Without `MAP_FIXED` the address
/// is a hint Ferrite ignores: mappings go in the highest gap below `exec::MMAP_TOP`.
#[inline(never)]
fn mmap(task: &mut Task, a: [u64; 6]) -> Result<usize, Errno> {
    use super::mapping::Placement;
    use super::regions::{Backing, Protection, Region};
    use abi::mman::*;
    let (addr, length, prot, flags) = (a[0], a[1], a[2] as u32, a[3] as u32);
    let (fd, offset) = (a[4] as i32, a[5]);
    if length == 0 || length > MAX_MAPPING {
        return Err(if length == 0 {
            Errno::EINVAL
        } else {
            Errno::ENOMEM
        });
    }
    let shared = match flags & MAP_TYPE {
        MAP_PRIVATE => false,
        MAP_SHARED | MAP_SHARED_VALIDATE => true,
        _ => return Err(Errno::EINVAL),
    };
    let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 || (fixed && addr % PAGE_SIZE != 0) {
        return Err(Errno::EINVAL);
    }
    if prot & PROT_WRITE != 0 && prot & PROT_EXEC != 0 {
        // Ferrite keeps every page writable or executable, never both (W^X).
        return Err(Errno::EACCES);
    }
    let length = length.next_multiple_of(PAGE_SIZE);
    let protection = Protection::from_prot(prot);
    let backing = if flags & MAP_ANONYMOUS != 0 {
        if shared {
            Backing::Shared
        } else {
            Backing::Anonymous
        }
    } else {
        let file = task.files.get(fd)?;
        if offset % PAGE_SIZE != 0 {
            return Err(Errno::EINVAL);
        }
        let node = match file.object() {
            crate::fs::file::Object::Inode(node) if !node.is_directory() => node,
            // Pipes, directories and devices have no pages to map.
            _ => return Err(Errno::ENODEV),
        };
        // Linux's checks: the descriptor must allow reading, and a shared writable mapping
        // writing (and not only appending).
        let appends = file.flags() & abi::fcntl::O_APPEND != 0;
        let may_write = !shared || (file.writable() && !appends);
        if !file.readable() || (prot & PROT_WRITE != 0 && !may_write) {
            return Err(Errno::EACCES);
        }
        let object = crate::fs::pagecache::object_of(node)?;
        file.keep_pages(&object);
        Backing::Object {
            object,
            shared,
            may_write,
        }
    };
    let limits = info::memory_limits(task);
    let mut map = task.memory.lock();
    if !limits.allow(&map, length, protection.write && !shared) {
        return Err(Errno::ENOMEM);
    }
    let placement = match (fixed, flags & MAP_FIXED != 0) {
        (false, _) => Placement::Anywhere,
        (true, replace) => Placement::Fixed { replace },
    };
    let start = super::mapping::place(&mut map, addr, length, placement)?;
    if let Backing::Shared = backing {
        let flags = protection.flags() | crate::mm::space::SHARED;
        map.space
            .map_zeroed(start, length / PAGE_SIZE, flags)
            .map_err(|_| Errno::ENOMEM)?;
    }
    // Anything else is mapped page by page as it is first touched (see `resolve_user_fault`).
    map.regions.insert(Region {
        start,
        end: start + length,
        protection,
        backing,
        offset: if flags & MAP_ANONYMOUS != 0 {
            0
        } else {
            offset
        },
        path: None,
    });
    Ok(start as usize)
}

/// `munmap(addr, length)`: the regions in the range are cut (split if the range is inside
/// one), and the frames present there freed.
#[inline(never)]
fn munmap(task: &mut Task, addr: u64, length: u64) -> Result<usize, Errno> {
    if addr % PAGE_SIZE != 0 || length == 0 {
        return Err(Errno::EINVAL);
    }
    let end = addr
        .checked_add(length.next_multiple_of(PAGE_SIZE))
        .filter(|&end| end <= USER_END)
        .ok_or(Errno::EINVAL)?;
    let mut map = task.memory.lock();
    map.regions.remove(addr, end);
    map.space.unmap(addr, (end - addr) / PAGE_SIZE);
    Ok(0)
}

/// `mprotect(addr, length, prot)`: changes the protection of mapped memory (C libraries make
/// their relocated data read-only this way): the regions, split at the bounds, and the pages
/// already present. Never writable and executable at once (W^X). A range with a hole in it is
/// `ENOMEM`, as on Linux. `PROT_NONE` pages already present stay readable (x86 cannot map a
/// page unreadable); those not yet touched stay absent.
#[inline(never)]
fn mprotect(task: &mut Task, addr: u64, length: u64, prot: u32) -> Result<usize, Errno> {
    use abi::mman::*;
    if addr % PAGE_SIZE != 0 || prot & !(PROT_READ | PROT_WRITE | PROT_EXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if prot & PROT_WRITE != 0 && prot & PROT_EXEC != 0 {
        return Err(Errno::EACCES);
    }
    let end = addr
        .checked_add(length.next_multiple_of(PAGE_SIZE))
        .filter(|&end| end <= USER_END)
        .ok_or(Errno::ENOMEM)?;
    let pages = (end - addr) / PAGE_SIZE;
    let mut map = task.memory.lock();
    let heap = map.brk_start..map.brk.next_multiple_of(PAGE_SIZE);
    let in_stack = addr >= super::exec::STACK_BOTTOM && end <= super::exec::STACK_TOP;
    let in_heap = addr >= heap.start && end <= heap.end;
    if !(in_stack || in_heap || map.regions.covers(addr, end)) {
        return Err(Errno::ENOMEM);
    }
    let read_only =
        |r: &super::regions::Region| r.start < end && addr < r.end && !r.backing.may_write();
    if prot & PROT_WRITE != 0 && map.regions.iter().any(read_only) {
        // A shared mapping of a file opened read-only stays read-only. (Checked before any
        // region changes; Linux may have changed those before the one it refuses.)
        return Err(Errno::EACCES);
    }
    map.regions
        .protect(addr, end, super::regions::Protection::from_prot(prot));
    let (write, execute) = (prot & PROT_WRITE != 0, prot & PROT_EXEC != 0);
    map.space
        .protect(addr, pages, write, execute)
        .map_err(|_| Errno::ENOMEM)?;
    if write {
        // A shared page of a file stays read-only until its first store, which tells its
        // object the page is dirty (see `mm::object`).
        let notified: alloc::vec::Vec<(u64, u64)> = map
            .regions
            .iter()
            .filter(|r| r.start < end && addr < r.end && r.backing.object().is_some_and(|o| o.1))
            .map(|r| (r.start.max(addr), r.end.min(end)))
            .collect();
        for (from, to) in notified {
            let _ = map
                .space
                .protect(from, (to - from) / PAGE_SIZE, false, execute);
        }
    }
    Ok(0)
}

/// `arch_prctl(code, addr)`: the FS base (thread-local storage).
#[inline(never)]
fn arch_prctl(code: u32, addr: u64) -> Result<usize, Errno> {
    use abi::arch_prctl::*;
    match code {
        ARCH_SET_FS => {
            if addr >= USER_END {
                return Err(Errno::EPERM);
            }
            sched::set_fs_base(addr);
            Ok(0)
        }
        ARCH_GET_FS => {
            let base = x86_64::registers::model_specific::FsBase::read().as_u64();
            uaccess::write_value(addr, &base)?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `clone(flags, stack, parent_tid, child_tid, tls)`: a thread (see `thread`), or the fork-like
/// form (no sharing, `SIGCHLD` on exit, and the tid bookkeeping flags), which is how C
/// libraries implement `fork`.
#[inline(never)]
fn clone(task: &mut Task, frame: &TrapFrame, a: [u64; 6]) -> Result<usize, Errno> {
    use abi::sched::{CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID};
    use abi::sched::{CLONE_THREAD, CLONE_VFORK, CLONE_VM};
    let (flags, stack, parent_tid, child_tid) = (a[0], a[1], a[2], a[3]);
    if flags & CLONE_THREAD != 0 {
        return thread::clone(task, frame, a);
    }
    // `posix_spawn`'s form: a process that borrows the memory until it calls `execve`.
    let lends = CLONE_VM | CLONE_VFORK;
    let borrowed_stack = (flags & lends == lends).then_some(stack);
    // glibc's `fork` asks for the tid bookkeeping flags too; they are honoured (the clear at
    // exit is moot without threads: nobody waits on that futex).
    let bookkeeping = CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID;
    let sharing = if borrowed_stack.is_some() { lends } else { 0 };
    if flags & !(bookkeeping | sharing) != abi::signal::SIGCHLD as u64 {
        return Err(Errno::EINVAL);
    }
    let set_child_tid = (flags & CLONE_CHILD_SETTID != 0).then_some(child_tid);
    let pid = super::fork_with(task, frame, set_child_tid, borrowed_stack)?;
    if flags & CLONE_PARENT_SETTID != 0 {
        uaccess::write_value(parent_tid, &(pid as i32))?;
    }
    Ok(pid as usize)
}

/// The most arguments plus environment strings `execve` accepts.
const MAX_STRINGS: usize = 1024;

/// `execve(path, argv, envp)`: replaces the program. Everything is read and the new image built
/// before the old one is touched, so a failure returns to the old program with an error.
#[inline(never)]
fn execve(
    task: &mut Task,
    frame: &mut TrapFrame,
    path: u64,
    argv: u64,
    envp: u64,
) -> Result<usize, Errno> {
    let path = uaccess::read_c_string(path, crate::fs::PATH_MAX)?;
    let mut budget = super::exec::MAX_ARG_BYTES;
    let argv = uaccess::read_string_array(argv, MAX_STRINGS, &mut budget)?;
    let envp = uaccess::read_string_array(envp, MAX_STRINGS, &mut budget)?;
    let (file, exe) = crate::fs::read_program(&task.cwd.get(), &path)?;
    let mut space = crate::mm::space::AddressSpace::new().map_err(|_| Errno::ENOMEM)?;
    let argv: alloc::vec::Vec<&[u8]> = argv.iter().map(|s| s.as_slice()).collect();
    let envp: alloc::vec::Vec<&[u8]> = envp.iter().map(|s| s.as_slice()).collect();
    let seed = crate::arch::x86_64::read_tsc();
    let exe: alloc::sync::Arc<str> = exe.into();
    let image = super::exec::load(&mut space, &exe, &file[..], &argv, &envp, seed).map_err(
        |e| match e {
            super::exec::ExecError::Elf(_) => Errno::ENOEXEC,
            super::exec::ExecError::OutOfMemory => Errno::ENOMEM,
            super::exec::ExecError::ArgumentsTooLong => Errno::E2BIG,
        },
    )?;
    // Past the point of no return: the other threads end, then the new image replaces the old.
    thread::become_only_thread(task);
    sched::set_address_space(space.root());
    let memory = super::Memory::new(space, image.brk, super::exec::MMAP_TOP, image.regions);
    super::count_resident(task.pid, &memory);
    super::set_memory(core::mem::replace(&mut task.memory, memory.clone()), memory);
    // A parent that lent its memory (`CLONE_VFORK`) has it back.
    super::release_vfork_parent(task.pid);
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(&path);
    task.name = alloc::string::String::from_utf8_lossy(name).into_owned();
    task.reported_missing = None;
    task.files.exec();
    signal::exec(task);
    let cmdline = procfmt::cmdline(argv.iter().copied(), super::CMDLINE_MAX);
    super::rename(task.pid, &task.name, cmdline, exe);
    sched::set_fs_base(0);
    crate::arch::x86_64::fpu::FpuState::initial().restore();
    *frame = crate::arch::x86_64::user::initial_frame(image.entry, image.stack_pointer);
    Ok(0)
}

/// `wait4(pid, wstatus, options, rusage)`: collects an ended child. `rusage`, if given, is
/// written as zeros (Ferrite does not account resources per process yet).
#[inline(never)]
fn wait4(task: &Task, pid: i32, status: u64, options: u32, rusage: u64) -> Result<usize, Errno> {
    use abi::wait::{WCONTINUED, WNOHANG, WUNTRACED};
    if options & !(WNOHANG | WUNTRACED | WCONTINUED) != 0 {
        return Err(Errno::EINVAL);
    }
    // Check the pointers first, so a bad one does not cost the child's status.
    if status != 0 {
        uaccess::check_range(status, core::mem::size_of::<i32>())?;
    }
    if rusage != 0 {
        uaccess::write_value(rusage, &abi::Rusage::default())?;
    }
    match super::wait_child(task.pid, pid, options)? {
        None => Ok(0),
        Some((child, wait_status)) => {
            if status != 0 {
                uaccess::write(status, &wait_status.to_le_bytes())?;
            }
            Ok(child as usize)
        }
    }
}
