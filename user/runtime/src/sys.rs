//! System calls: the `syscall` instruction, and one safe wrapper per call.
//!
//! The convention is Linux's (and so Ferrite's): the call's number in RAX, up to six arguments
//! in RDI, RSI, RDX, R10, R8, R9 (R10, not RCX, because `syscall` itself overwrites RCX with the
//! return address and R11 with the flags), the result in RAX. A result between -4095 and -1 is
//! a negated error number; [`abi::decode`] turns it into a `Result`.
//!
//! Pointers cross the boundary as plain integers: the kernel treats each as an allegation and
//! checks it, so a wrapper here may pass any address, and a wrong one gets `EFAULT`, not a
//! crash. `sysfuzz` relies on that.

use abi::{nr, Errno, Timespec};
use core::arch::asm;

/// Makes system call `number` with six arguments (unused ones are ignored by the kernel) and
/// returns the raw result.
///
/// # Safety
///
/// The call may read or write memory at any address among the arguments, as the call defines:
/// the caller must make sure that memory is valid for that, or accept what the kernel does
/// with it (for `sysfuzz`, an error).
#[inline(always)]
pub unsafe fn raw(number: usize, args: [usize; 6]) -> usize {
    let result: usize;
    // SAFETY: `syscall` enters the kernel, which preserves every register but RAX (the result),
    // RCX and R11 (clobbered by the instruction itself); memory effects are the caller's
    // contract.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number => result,
            in("rdi") args[0],
            in("rsi") args[1],
            in("rdx") args[2],
            in("r10") args[3],
            in("r8") args[4],
            in("r9") args[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    result
}

/// Makes system call `number`, which takes no arguments: only RAX is set, which makes the
/// cheapest calls (`getpid`) a few instructions cheaper than through [`raw`].
#[inline(always)]
fn call0(number: usize) -> Result<usize, Errno> {
    let result: usize;
    // SAFETY: as in `raw`; the call reads no argument and touches no memory of ours.
    unsafe {
        asm!(
            "syscall",
            inlateout("rax") number => result,
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    abi::decode(result)
}

/// A call that touches no memory of ours.
fn call(number: usize, args: [usize; 6]) -> Result<usize, Errno> {
    // SAFETY: every caller passes a call that reads or writes no user memory.
    abi::decode(unsafe { raw(number, args) })
}

/// Writes `bytes` to descriptor `fd`; returns how many were written.
pub fn write(fd: i32, bytes: &[u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel reads `bytes.len()` bytes at `bytes`, a valid slice.
    abi::decode(unsafe {
        raw(
            nr::WRITE,
            [fd as usize, bytes.as_ptr() as usize, bytes.len(), 0, 0, 0],
        )
    })
}

/// Reads into `buffer` from descriptor `fd`; returns how many bytes arrived (0: end of file).
pub fn read(fd: i32, buffer: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the kernel writes at most `buffer.len()` bytes into `buffer`, a valid slice.
    abi::decode(unsafe {
        raw(
            nr::READ,
            [
                fd as usize,
                buffer.as_mut_ptr() as usize,
                buffer.len(),
                0,
                0,
                0,
            ],
        )
    })
}

/// Ends the whole process with `status`.
pub fn exit_group(status: i32) -> ! {
    let _ = call(nr::EXIT_GROUP, [status as usize, 0, 0, 0, 0, 0]);
    // Only a broken kernel returns from exit_group; `exit` is the last resort.
    let _ = call(nr::EXIT, [status as usize, 0, 0, 0, 0, 0]);
    loop {
        core::hint::spin_loop();
    }
}

/// This process's id.
pub fn getpid() -> u32 {
    call0(nr::GETPID).unwrap_or(0) as u32
}

/// The parent's process id.
pub fn getppid() -> u32 {
    call0(nr::GETPPID).unwrap_or(0) as u32
}

/// Gives the CPU to another ready thread, if any.
pub fn sched_yield() -> Result<(), Errno> {
    call0(nr::SCHED_YIELD).map(drop)
}

/// Sleeps for `duration`.
pub fn nanosleep(duration: &Timespec) -> Result<(), Errno> {
    // SAFETY: the kernel reads one `Timespec` at `duration`; the remainder pointer is null.
    abi::decode(unsafe {
        raw(
            nr::NANOSLEEP,
            [duration as *const Timespec as usize, 0, 0, 0, 0, 0],
        )
    })
    .map(drop)
}

/// Reads clock `clock` (for example [`abi::time::CLOCK_MONOTONIC`]).
pub fn clock_gettime(clock: i32) -> Result<Timespec, Errno> {
    let mut now = Timespec::default();
    // SAFETY: the kernel writes one `Timespec` into `now`.
    abi::decode(unsafe {
        raw(
            nr::CLOCK_GETTIME,
            [
                clock as usize,
                &mut now as *mut Timespec as usize,
                0,
                0,
                0,
                0,
            ],
        )
    })?;
    Ok(now)
}

/// The system's names (`uname`).
pub fn uname() -> Result<abi::Utsname, Errno> {
    let mut names = abi::Utsname::default();
    // SAFETY: the kernel writes one `Utsname` into `names`.
    abi::decode(unsafe {
        raw(
            nr::UNAME,
            [&mut names as *mut abi::Utsname as usize, 0, 0, 0, 0, 0],
        )
    })?;
    Ok(names)
}

/// Sets the program break to `address` (0: just ask); returns the break now in force.
pub fn brk(address: usize) -> usize {
    // brk never fails in the usual sense: it returns the old break when it cannot move it.
    call(nr::BRK, [address, 0, 0, 0, 0, 0]).unwrap_or(0)
}

/// Maps `length` bytes of fresh, zeroed, private memory with `prot`; returns its address.
pub fn mmap_anonymous(length: usize, prot: u32) -> Result<usize, Errno> {
    let flags = (abi::mman::MAP_PRIVATE | abi::mman::MAP_ANONYMOUS) as usize;
    call(nr::MMAP, [0, length, prot as usize, flags, usize::MAX, 0])
}

/// Maps `length` bytes of the file `fd` from `offset`, with `prot` and `flags` (`MAP_SHARED` or
/// `MAP_PRIVATE`), wherever the kernel chooses; returns the address.
pub fn mmap(length: usize, prot: u32, flags: u32, fd: i32, offset: u64) -> Result<usize, Errno> {
    call(
        nr::MMAP,
        [
            0,
            length,
            prot as usize,
            flags as usize,
            fd as usize,
            offset as usize,
        ],
    )
}

/// Unmaps `length` bytes at `address`.
///
/// # Safety
///
/// Nothing may use that memory afterwards.
pub unsafe fn munmap(address: usize, length: usize) -> Result<(), Errno> {
    call(nr::MUNMAP, [address, length, 0, 0, 0, 0]).map(drop)
}

/// Sets the FS base, the thread pointer thread-local storage is addressed through.
pub fn set_fs_base(address: usize) -> Result<(), Errno> {
    call(
        nr::ARCH_PRCTL,
        [abi::arch_prctl::ARCH_SET_FS as usize, address, 0, 0, 0, 0],
    )
    .map(drop)
}

/// Creates a child process, a copy of this one; returns the child's pid in the parent and 0
/// in the child.
pub fn fork() -> Result<u32, Errno> {
    // Buffered output goes out first, or both processes would print it.
    crate::print::flush();
    call0(nr::FORK).map(|pid| pid as u32)
}

/// Waits for a child (`pid`, or any with -1) to end; returns its pid and wait status
/// (decode it with `abi::wait`), or `Ok(None)` with `WNOHANG` when none has ended yet.
pub fn wait4(pid: i32, options: u32) -> Result<Option<(u32, i32)>, Errno> {
    let mut status: i32 = 0;
    // SAFETY: the kernel writes one i32 into `status`; no rusage is asked for.
    let child = abi::decode(unsafe {
        raw(
            nr::WAIT4,
            [
                pid as usize,
                &mut status as *mut i32 as usize,
                options as usize,
                0,
                0,
                0,
            ],
        )
    })?;
    Ok((child != 0).then_some((child as u32, status)))
}

/// Sends `signal` to process `pid`.
pub fn kill(pid: u32, signal: i32) -> Result<(), Errno> {
    call(nr::KILL, [pid as usize, signal as usize, 0, 0, 0, 0]).map(drop)
}

/// Replaces this program with the one at `path`, with arguments `argv` and environment `envp`
/// (each string NUL-terminated: `b"hello\0"`). Returns only on failure.
pub fn execve(path: &[u8], argv: &[&[u8]], envp: &[&[u8]]) -> Errno {
    // Buffered output goes out first: the new program starts with an empty buffer.
    crate::print::flush();
    let mut argv_pointers: alloc::vec::Vec<usize> =
        argv.iter().map(|s| s.as_ptr() as usize).collect();
    argv_pointers.push(0);
    let mut envp_pointers: alloc::vec::Vec<usize> =
        envp.iter().map(|s| s.as_ptr() as usize).collect();
    envp_pointers.push(0);
    let args = [
        path.as_ptr() as usize,
        argv_pointers.as_ptr() as usize,
        envp_pointers.as_ptr() as usize,
        0,
        0,
        0,
    ];
    // SAFETY: the kernel reads the NUL-terminated strings and the null-terminated pointer
    // arrays, all alive for the call.
    match abi::decode(unsafe { raw(nr::EXECVE, args) }) {
        Ok(_) => Errno::EIO, // execve does not return on success
        Err(e) => e,
    }
}

/// A path as the kernel wants it: the bytes and a NUL. `EINVAL` for a path with a NUL inside,
/// which the kernel would cut short.
pub struct CPath(alloc::vec::Vec<u8>);

impl CPath {
    /// `path` with a NUL added (a `str`, or bytes for a name that is not UTF-8).
    pub fn new(path: &(impl AsRef<[u8]> + ?Sized)) -> Result<CPath, Errno> {
        let path = path.as_ref();
        if path.contains(&0) {
            return Err(Errno::EINVAL);
        }
        let mut bytes = alloc::vec::Vec::with_capacity(path.len() + 1);
        bytes.extend_from_slice(path);
        bytes.push(0);
        Ok(CPath(bytes))
    }

    /// The address to pass the kernel.
    pub fn as_arg(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// A call whose only memory argument is the NUL-terminated path in `args[at]`.
fn path_call(
    number: usize,
    path: &(impl AsRef<[u8]> + ?Sized),
    at: usize,
    mut args: [usize; 6],
) -> Result<usize, Errno> {
    let path = CPath::new(path)?;
    args[at] = path.as_arg();
    // SAFETY: the kernel reads the NUL-terminated string `path`, alive for the call; no other
    // argument is an address.
    abi::decode(unsafe { raw(number, args) })
}

/// Opens (or with `O_CREAT` creates, with permissions `mode`) the file at `path`; returns the
/// new descriptor.
pub fn open(path: &(impl AsRef<[u8]> + ?Sized), flags: u32, mode: u32) -> Result<i32, Errno> {
    let args = [
        abi::fcntl::AT_FDCWD as usize,
        0,
        flags as usize,
        mode as usize,
        0,
        0,
    ];
    path_call(nr::OPENAT, path, 1, args).map(|fd| fd as i32)
}

/// Closes descriptor `fd`.
pub fn close(fd: i32) -> Result<(), Errno> {
    call(nr::CLOSE, [fd as usize, 0, 0, 0, 0, 0]).map(drop)
}

/// Moves `fd`'s position (`whence`: `SEEK_SET`, `SEEK_CUR`, `SEEK_END`); returns the new one.
pub fn lseek(fd: i32, offset: i64, whence: u32) -> Result<u64, Errno> {
    call(
        nr::LSEEK,
        [fd as usize, offset as usize, whence as usize, 0, 0, 0],
    )
    .map(|p| p as u64)
}

/// What the kernel knows about the file open on `fd`.
pub fn fstat(fd: i32) -> Result<abi::Stat, Errno> {
    let mut stat = abi::Stat::zeroed();
    // SAFETY: the kernel writes one `struct stat` into `stat`.
    abi::decode(unsafe {
        raw(
            nr::FSTAT,
            [
                fd as usize,
                &mut stat as *mut abi::Stat as usize,
                0,
                0,
                0,
                0,
            ],
        )
    })?;
    Ok(stat)
}

/// What the kernel knows about the file at `path`.
pub fn stat(path: &str) -> Result<abi::Stat, Errno> {
    stat_at(path, 0)
}

/// The status of the file at `path` itself: a symbolic link is reported as one (`S_IFLNK`),
/// not followed.
pub fn lstat(path: &str) -> Result<abi::Stat, Errno> {
    stat_at(path, abi::fcntl::AT_SYMLINK_NOFOLLOW)
}

/// `newfstatat(AT_FDCWD, path, ..., flags)`.
fn stat_at(path: &str, flags: u32) -> Result<abi::Stat, Errno> {
    let mut stat = abi::Stat::zeroed();
    let path = CPath::new(path)?;
    let args = [
        abi::fcntl::AT_FDCWD as usize,
        path.as_arg(),
        &mut stat as *mut abi::Stat as usize,
        flags as usize,
        0,
        0,
    ];
    // SAFETY: the kernel reads the path and writes one `struct stat` into `stat`.
    abi::decode(unsafe { raw(nr::NEWFSTATAT, args) })?;
    Ok(stat)
}

/// Fills `buffer` with `linux_dirent64` records of the directory open on `fd`; 0 at the end.
pub fn getdents64(fd: i32, buffer: &mut [u8]) -> Result<usize, Errno> {
    let args = [
        fd as usize,
        buffer.as_mut_ptr() as usize,
        buffer.len(),
        0,
        0,
        0,
    ];
    // SAFETY: the kernel writes at most `buffer.len()` bytes into `buffer`.
    abi::decode(unsafe { raw(nr::GETDENTS64, args) })
}

/// Makes the directory `path`.
pub fn mkdir(path: &str, mode: u32) -> Result<(), Errno> {
    path_call(nr::MKDIR, path, 0, [0, mode as usize, 0, 0, 0, 0]).map(drop)
}

/// Removes the empty directory `path` (a `str`, or bytes for a name that is not UTF-8).
pub fn rmdir(path: &(impl AsRef<[u8]> + ?Sized)) -> Result<(), Errno> {
    path_call(nr::RMDIR, path, 0, [0; 6]).map(drop)
}

/// Removes the name `path` (a file's data goes when it is no longer open).
pub fn unlink(path: &(impl AsRef<[u8]> + ?Sized)) -> Result<(), Errno> {
    path_call(nr::UNLINK, path, 0, [0; 6]).map(drop)
}

/// Gives the file `from` the second name `to` (a hard link).
pub fn link(from: &str, to: &str) -> Result<(), Errno> {
    let (from, to) = (CPath::new(from)?, CPath::new(to)?);
    // SAFETY: the kernel reads the two NUL-terminated paths, alive for the call.
    abi::decode(unsafe { raw(nr::LINK, [from.as_arg(), to.as_arg(), 0, 0, 0, 0]) }).map(drop)
}

/// Makes `path` a symbolic link holding `target`.
pub fn symlink(target: &str, path: &str) -> Result<(), Errno> {
    let (target, path) = (CPath::new(target)?, CPath::new(path)?);
    // SAFETY: the kernel reads the two NUL-terminated strings, alive for the call.
    abi::decode(unsafe { raw(nr::SYMLINK, [target.as_arg(), path.as_arg(), 0, 0, 0, 0]) }).map(drop)
}

/// The target of the symbolic link `path`, into `buffer`; returns its length (cut to the
/// buffer's, with no NUL).
pub fn readlink(path: &str, buffer: &mut [u8]) -> Result<usize, Errno> {
    let path = CPath::new(path)?;
    let args = [
        path.as_arg(),
        buffer.as_mut_ptr() as usize,
        buffer.len(),
        0,
        0,
        0,
    ];
    // SAFETY: the kernel reads the path and writes at most `buffer.len()` bytes into `buffer`.
    abi::decode(unsafe { raw(nr::READLINK, args) })
}

/// Sets the modification time of the file at `path` to `modified`, or to now if `None`
/// (`utimensat(AT_FDCWD, path, ...)`; the access time is left as it is).
pub fn set_modified(path: &str, modified: Option<abi::Timespec>) -> Result<(), Errno> {
    let path = CPath::new(path)?;
    let omit = abi::Timespec {
        tv_sec: 0,
        tv_nsec: abi::time::UTIME_OMIT,
    };
    let now = abi::Timespec {
        tv_sec: 0,
        tv_nsec: abi::time::UTIME_NOW,
    };
    let times = [omit, modified.unwrap_or(now)];
    let args = [
        abi::fcntl::AT_FDCWD as usize,
        path.as_arg(),
        times.as_ptr() as usize,
        0,
        0,
        0,
    ];
    // SAFETY: the kernel reads the NUL-terminated path and the two timespecs, alive for the call.
    abi::decode(unsafe { raw(nr::UTIMENSAT, args) }).map(drop)
}

/// Sets the permission bits of the file at `path`.
pub fn chmod(path: &str, mode: u32) -> Result<(), Errno> {
    path_call(nr::CHMOD, path, 0, [0, mode as usize, 0, 0, 0, 0]).map(drop)
}

/// The statistics of the file system that holds `path`.
pub fn statfs(path: &str) -> Result<abi::Statfs, Errno> {
    let path = CPath::new(path)?;
    let mut out = abi::Statfs::default();
    let args = [
        path.as_arg(),
        &mut out as *mut abi::Statfs as usize,
        0,
        0,
        0,
        0,
    ];
    // SAFETY: the kernel reads the NUL-terminated path and writes one `Statfs` into `out`,
    // both alive for the call.
    abi::decode(unsafe { raw(nr::STATFS, args) })?;
    Ok(out)
}

/// Renames `from` to `to`, replacing what `to` named.
pub fn rename(from: &str, to: &str) -> Result<(), Errno> {
    let (from, to) = (CPath::new(from)?, CPath::new(to)?);
    // SAFETY: the kernel reads the two NUL-terminated paths, alive for the call.
    abi::decode(unsafe { raw(nr::RENAME, [from.as_arg(), to.as_arg(), 0, 0, 0, 0]) }).map(drop)
}

/// A second descriptor for what `fd` is open on; returns it.
pub fn dup(fd: i32) -> Result<i32, Errno> {
    call(nr::DUP, [fd as usize, 0, 0, 0, 0, 0]).map(|fd| fd as i32)
}

/// Makes `new` a copy of `old` (closing what `new` was).
pub fn dup2(old: i32, new: i32) -> Result<i32, Errno> {
    call(nr::DUP2, [old as usize, new as usize, 0, 0, 0, 0]).map(|fd| fd as i32)
}

/// A new pipe with `flags` (`O_CLOEXEC`, `O_NONBLOCK`): (reading end, writing end).
pub fn pipe2(flags: u32) -> Result<(i32, i32), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: the kernel writes two i32s into `fds`.
    abi::decode(unsafe {
        raw(
            nr::PIPE2,
            [fds.as_mut_ptr() as usize, flags as usize, 0, 0, 0, 0],
        )
    })?;
    Ok((fds[0], fds[1]))
}

/// Waits up to `timeout_ms` milliseconds (negative: for ever, 0: not at all) until one of
/// `fds` is ready for what its entry asks; returns how many entries have events.
pub fn poll(fds: &mut [abi::poll::PollFd], timeout_ms: i32) -> Result<usize, Errno> {
    // SAFETY: the kernel reads and writes `fds.len()` entries of `fds`, alive for the call.
    abi::decode(unsafe {
        raw(
            nr::POLL,
            [
                fds.as_mut_ptr() as usize,
                fds.len(),
                timeout_ms as isize as usize,
                0,
                0,
                0,
            ],
        )
    })
}

/// A new pipe: (reading end, writing end).
pub fn pipe() -> Result<(i32, i32), Errno> {
    pipe2(0)
}

/// Changes the working directory to `path`.
pub fn chdir(path: &str) -> Result<(), Errno> {
    path_call(nr::CHDIR, path, 0, [0; 6]).map(drop)
}

/// The working directory, written into `buffer`.
pub fn getcwd(buffer: &mut [u8]) -> Result<&str, Errno> {
    let args = [buffer.as_mut_ptr() as usize, buffer.len(), 0, 0, 0, 0];
    // SAFETY: the kernel writes at most `buffer.len()` bytes into `buffer`.
    let len = abi::decode(unsafe { raw(nr::GETCWD, args) })?;
    let path = buffer.get(..len.saturating_sub(1)).ok_or(Errno::ERANGE)?;
    core::str::from_utf8(path).map_err(|_| Errno::EILSEQ)
}

/// `fcntl(fd, command, arg)` for the commands whose argument is a number.
pub fn fcntl(fd: i32, command: u32, arg: usize) -> Result<usize, Errno> {
    call(nr::FCNTL, [fd as usize, command as usize, arg, 0, 0, 0])
}

/// Makes the changes of the file system holding `fd` durable (the disk's log commits).
pub fn fsync(fd: i32) -> Result<(), Errno> {
    call(nr::FSYNC, [fd as usize, 0, 0, 0, 0, 0]).map(drop)
}

/// Makes every file system's changes durable.
pub fn sync() {
    let _ = call0(nr::SYNC);
}

/// Restarts or powers off the machine (`abi::reboot::LINUX_REBOOT_CMD_*`), after the kernel
/// has synced the disk; returns only on failure.
pub fn reboot(command: u32) -> Errno {
    use abi::reboot::{LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2};
    let args = [
        LINUX_REBOOT_MAGIC1 as usize,
        LINUX_REBOOT_MAGIC2 as usize,
        command as usize,
        0,
        0,
        0,
    ];
    match call(nr::REBOOT, args) {
        Ok(_) => Errno::EIO,
        Err(e) => e,
    }
}

/// `syslog(action, buffer, len)` (`klogctl`): reads or clears the kernel log; returns the bytes
/// read, or the size asked for.
pub fn syslog(action: i32, buffer: &mut [u8]) -> Result<usize, Errno> {
    let len = i32::try_from(buffer.len()).unwrap_or(i32::MAX);
    let args = [
        action as usize,
        buffer.as_mut_ptr() as usize,
        len as usize,
        0,
        0,
        0,
    ];
    // SAFETY: the kernel writes at most `len` bytes into `buffer`, which is alive and writable.
    abi::decode(unsafe { raw(nr::SYSLOG, args) })
}

/// Sets the size of the file open on `fd`.
pub fn ftruncate(fd: i32, length: u64) -> Result<(), Errno> {
    call(nr::FTRUNCATE, [fd as usize, length as usize, 0, 0, 0, 0]).map(drop)
}

/// Reads a `T` a terminal `ioctl` request writes (`TCGETS`, `TIOCGWINSZ`, ...).
pub fn ioctl_get<T: Default>(fd: i32, request: u32) -> Result<T, Errno> {
    let mut value = T::default();
    let args = [
        fd as usize,
        request as usize,
        &mut value as *mut T as usize,
        0,
        0,
        0,
    ];
    // SAFETY: the request writes one `T` at the address; the caller names a request whose
    // argument is a `T`.
    abi::decode(unsafe { raw(nr::IOCTL, args) })?;
    Ok(value)
}

/// Makes a terminal `ioctl` request that reads a `T` (`TCSETS`, `TIOCSPGRP`, ...).
pub fn ioctl_set<T>(fd: i32, request: u32, value: &T) -> Result<(), Errno> {
    let args = [
        fd as usize,
        request as usize,
        value as *const T as usize,
        0,
        0,
        0,
    ];
    // SAFETY: the request reads one `T` at the address.
    abi::decode(unsafe { raw(nr::IOCTL, args) }).map(drop)
}

/// Starts a new session and process group led by this process; returns its id.
pub fn setsid() -> Result<u32, Errno> {
    call0(nr::SETSID).map(|id| id as u32)
}

/// Moves process `pid` (0: this one) into process group `group` (0: a new one named after it).
pub fn setpgid(pid: u32, group: u32) -> Result<(), Errno> {
    call(nr::SETPGID, [pid as usize, group as usize, 0, 0, 0, 0]).map(drop)
}

/// This process's process group.
pub fn getpgrp() -> u32 {
    call0(nr::GETPGRP).map_or(0, |id| id as u32)
}

/// Sends `signal` to every process in `group`.
pub fn kill_group(group: u32, signal: i32) -> Result<(), Errno> {
    let pid = (group as i32).wrapping_neg();
    call(nr::KILL, [pid as usize, signal as usize, 0, 0, 0, 0]).map(drop)
}
