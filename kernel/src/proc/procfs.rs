//! `/proc`: what the kernel knows, as text files written at the moment they are read.
//!
//! Nothing here is stored. Each file is a function that renders the kernel's current state
//! (the process table, the frame and heap counters, the clock) into text, and a read takes the
//! bytes it asked for from that text. So `cat /proc/meminfo` always shows the present, and `ps`,
//! `top` and `free` are ordinary programs that open files and parse lines: the kernel needs no
//! special call for them, and a learner can read the same files by hand.
//!
//! The files Linux has are in Linux's formats (proc(5)), because programs built for Linux parse
//! them by position: busybox's `ps` and `top` read `/proc/PID/stat` with `sscanf`, `top` reads
//! the first line of `/proc/stat` and `/proc/meminfo`'s keys, `pidof` compares names from `stat`
//! and `cmdline`. The layouts themselves are written by the host-tested `procfmt` crate; this
//! module gathers the numbers. Ferrite's own files (`boot`, `idle`) and lines (the kernel heap's
//! in `meminfo`) come after or beside Linux's, where no Linux parser looks.
//!
//! Each process's directory also holds two directories whose entries come and go with it.
//! `fd/` has one symbolic link per open descriptor, named by its number, whose text says what
//! the descriptor is open on (the path it was opened by, or `pipe:[INO]`): how `ls -l`, `lsof`
//! or a program that closes "every descriptor it inherited" learns what it holds without any
//! call of its own. `task/` has one directory per thread, named by its thread id, with the
//! thread's own `stat` and `status` (its state, its times, its signal mask): how `ps -L` and
//! `top -H` see threads, which share one process directory.
//!
//! Nothing is stored, so an inode number must say by itself what it names: a pid and a file, a
//! pid and a descriptor, or a thread id and a file. The packing is `procfmt::inode`'s (drawn
//! there, and host-tested); a thread's nodes carry only its thread id, and the process is found
//! from it, since pids and thread ids are one numbering. `self` is a symbolic link whose text is
//! the calling process's pid, so a path through it is the process's own directory and
//! `/proc/self/fd/N` has the canonical path `/proc/PID/fd/N`, as on Linux. `PID/exe` is a
//! symbolic link to the process's program, as on Linux.

use crate::fs::file::{Object, OpenFile, MAX_FDS};
use crate::fs::{Attr, DirEntry, FileSystem, Ino, Kind};
use crate::proc::{Pid, ProcessInfo, ThreadInfo};
use abi::Errno;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write;
use procfmt::inode::{self, Node as Number};

/// The root directory's top-level index.
const ROOT_INDEX: u32 = 1;
/// The root directory's inode: its index, with no id or space (see `procfmt::inode`).
const ROOT: Ino = ROOT_INDEX as Ino;
/// The top-level index of the first top-level file, after the root.
const FIRST_TOP: u32 = ROOT_INDEX + 1;
/// Bytes in a KiB, the unit of `/proc/meminfo`.
const KIB: u64 = 1024;
/// Bytes in a page or frame.
const PAGE: u64 = crate::mm::paging::PAGE_SIZE;
/// Nanoseconds in a second.
const NS_PER_S: u64 = 1_000_000_000;
/// The permissions of the directories anyone may list: `r-x` for all.
const DIRECTORY_PERM: u32 = 0o555;
/// The permissions of `fd/`: its owner's alone (`r-x------`), as on Linux.
const FD_DIRECTORY_PERM: u32 = 0o500;
/// The permissions of a text file: readable by all.
const FILE_PERM: u32 = 0o444;
/// The permissions of `exe`: a link's, all bits.
const LINK_PERM: u32 = 0o777;
/// A descriptor's link: read and search for its owner if the descriptor reads...
const FD_READ_PERM: u32 = 0o500;
/// ...write and search if it writes (so `lrwx------` for one that does both, as on Linux).
const FD_WRITE_PERM: u32 = 0o300;

// Every descriptor has a number: `MAX_FDS` fits in an inode number's index.
const _: () = assert!(MAX_FDS as u32 <= inode::MAX_INDEX);

/// A file `/proc` serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum File {
    /// `/proc/meminfo`: frames and heap.
    Meminfo,
    /// `/proc/uptime`: seconds since boot, and seconds idle.
    Uptime,
    /// `/proc/mounts`: the mount table.
    Mounts,
    /// `/proc/stat`: CPU time by kind, the boot time, process counts.
    Stat,
    /// `/proc/loadavg`: load averages, runnable and all threads, the last pid.
    Loadavg,
    /// `/proc/PID/status`: one process (or thread), as `Key:\tvalue` lines.
    Status,
    /// `/proc/PID/stat`: one process (or thread), as one line of numbers.
    ProcessStat,
    /// `/proc/PID/cmdline`: its arguments, NUL-terminated.
    Cmdline,
    /// `/proc/PID/comm`: its name, as `stat` shows it, on a line.
    Comm,
    /// `/proc/boot`: when the boot's milestones were reached.
    Boot,
    /// `/proc/idle`: time-stamp counter ticks the CPU spent halted (Ferrite's own file).
    Idle,
    /// `/proc/PID/exe`: a symbolic link to the process's program (glibc's start-up reads it).
    Exe,
    /// `/proc/PID/maps`: its regions, the heap and the stack, a line each.
    Maps,
    /// `/proc/self`: a symbolic link to the reader's own directory (its pid).
    SelfLink,
}

impl File {
    /// What kind of file it is: all are text, but `exe` and `self`, links.
    fn kind(self) -> Kind {
        if matches!(self, File::Exe | File::SelfLink) {
            Kind::Symlink
        } else {
            Kind::Regular
        }
    }
}

/// An entry of a process's directory: a file, or one of its two directories.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// A file.
    File(File),
    /// `fd/`: a link per descriptor.
    Fds,
    /// `task/`: a directory per thread.
    Tasks,
}

/// The top-level files, with their names; their index is their position plus [`FIRST_TOP`].
const TOP: [(&str, File); 8] = [
    ("boot", File::Boot),
    ("idle", File::Idle),
    ("loadavg", File::Loadavg),
    ("meminfo", File::Meminfo),
    ("mounts", File::Mounts),
    ("self", File::SelfLink),
    ("stat", File::Stat),
    ("uptime", File::Uptime),
];
/// A process directory's entries; their index is their position plus 1 (0 is the directory).
const PER_PROCESS: [(&str, Entry); 8] = [
    ("cmdline", Entry::File(File::Cmdline)),
    ("exe", Entry::File(File::Exe)),
    ("stat", Entry::File(File::ProcessStat)),
    ("status", Entry::File(File::Status)),
    ("maps", Entry::File(File::Maps)),
    ("comm", Entry::File(File::Comm)),
    ("fd", Entry::Fds),
    ("task", Entry::Tasks),
];
/// A thread directory's files (`task/TID/`), numbered as [`PER_PROCESS`]'s are. Those that are
/// the process's (`cmdline`, `exe`, `maps`) are the same text as in the process's directory.
const PER_THREAD: [(&str, File); 6] = [
    ("cmdline", File::Cmdline),
    ("comm", File::Comm),
    ("exe", File::Exe),
    ("maps", File::Maps),
    ("stat", File::ProcessStat),
    ("status", File::Status),
];

/// What an inode number stands for, checked against what exists now.
enum Node {
    /// `/proc`.
    Root,
    /// A top-level file.
    Top(File),
    /// `/proc/PID`.
    Process(Pid),
    /// A file of `/proc/PID`.
    ProcessFile(Pid, File),
    /// `/proc/PID/fd`.
    Fds(Pid),
    /// `/proc/PID/fd/N`: process, descriptor.
    Fd(Pid, i32),
    /// `/proc/PID/task`.
    Tasks(Pid),
    /// `/proc/PID/task/TID`: process, thread.
    Thread(Pid, Pid),
    /// A file of `/proc/PID/task/TID`: process, thread, file.
    ThreadFile(Pid, Pid, File),
}

/// The inode number of `number` (every index `/proc` makes fits: its tables are short and
/// descriptors are below `MAX_FDS`, checked above).
fn ino(number: Number) -> Ino {
    inode::encode(number).expect("/proc's indexes fit in an inode number")
}

/// The inode of process `pid`'s directory.
fn process_dir(pid: Pid) -> Ino {
    ino(Number::Process { pid, index: 0 })
}

/// The inode of `entry` in process `pid`'s directory.
fn process_entry(pid: Pid, entry: Entry) -> Ino {
    let position = PER_PROCESS.iter().position(|(_, e)| *e == entry);
    let position = position.expect("every entry kind is in PER_PROCESS");
    ino(Number::Process {
        pid,
        index: position as u32 + 1,
    })
}

/// The inode of thread `tid`'s directory.
fn thread_dir(tid: Pid) -> Ino {
    ino(Number::Thread { tid, index: 0 })
}

/// The number a name in `/proc` stands for (a pid, a thread id, a descriptor): decimal digits
/// only, without a sign or leading zeros, as Linux reads them (so `+1` and `01` name nothing).
fn number_name(name: &[u8]) -> Option<u32> {
    let digits = name.iter().all(u8::is_ascii_digit);
    if name.is_empty() || !digits || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    core::str::from_utf8(name).ok()?.parse().ok()
}

/// The description behind process `pid`'s descriptor `fd`, if it is open.
fn open_file(pid: Pid, fd: i32) -> Option<Arc<OpenFile>> {
    // The table is dropped here, with no lock held (it may be the last reference).
    crate::proc::files_of(pid)?.get(fd).ok()
}

/// Process `pid`'s thread `tid`, if it has it.
fn thread_of(pid: Pid, tid: Pid) -> Option<ThreadInfo> {
    crate::proc::threads_of_process(pid)?
        .into_iter()
        .find(|t| t.tid == tid)
}

/// What `ino` stands for now: `ENOENT` for a number `/proc` never makes, and for one whose
/// process, thread or descriptor is gone.
fn decode(ino: Ino) -> Result<Node, Errno> {
    let number = inode::decode(ino).ok_or(Errno::ENOENT)?;
    let node = match number {
        Number::Top(ROOT_INDEX) => Some(Node::Root),
        Number::Top(index) => TOP
            .get(index.wrapping_sub(FIRST_TOP) as usize)
            .map(|(_, file)| Node::Top(*file)),
        Number::Process { pid, index } if crate::proc::exists(pid) => match index {
            0 => Some(Node::Process(pid)),
            i => PER_PROCESS
                .get(i as usize - 1)
                .map(|(_, entry)| match entry {
                    Entry::File(file) => Node::ProcessFile(pid, *file),
                    Entry::Fds => Node::Fds(pid),
                    Entry::Tasks => Node::Tasks(pid),
                }),
        },
        Number::Process { .. } => None,
        Number::Fd { pid, fd } => {
            let fd = fd as i32;
            open_file(pid, fd).map(|_| Node::Fd(pid, fd))
        }
        Number::Thread { tid, index } => {
            crate::proc::process_of_thread_id(tid).and_then(|pid| match index {
                0 => Some(Node::Thread(pid, tid)),
                i => PER_THREAD
                    .get(i as usize - 1)
                    .map(|(_, file)| Node::ThreadFile(pid, tid, *file)),
            })
        }
    };
    node.ok_or(Errno::ENOENT)
}

/// What the link of a descriptor open on `file` says (see `procfmt::fd_target`).
fn fd_target(file: &OpenFile) -> Result<String, Errno> {
    let open = match (file.object(), file.opened_path()) {
        (Object::PipeReader(_) | Object::PipeWriter(_), _) => {
            // The number `fstat` gives the pipe.
            procfmt::Open::Pipe(file.stat()?.st_ino)
        }
        (_, Some(path)) => {
            // Unlinked while open: no name is left, and the file lives until it closes.
            let deleted = file
                .vnode()
                .is_some_and(|node| node.stat().map_or(true, |attr| attr.links == 0));
            procfmt::Open::Path { path, deleted }
        }
        (_, None) => return Err(Errno::ENOENT),
    };
    Ok(procfmt::fd_target(open))
}

/// The bytes of `file` (of process `pid`, for per-process files; seen from its thread `tid`,
/// for a thread's).
fn render(pid: Pid, tid: Option<Pid>, file: File) -> Result<Vec<u8>, Errno> {
    let text = match file {
        File::Meminfo => meminfo()?,
        File::Boot => {
            let mut text = String::new();
            for (name, at) in crate::time::milestones() {
                let _ = writeln!(text, "{name}_tsc {at}");
            }
            text
        }
        File::Idle => format!("idle_tsc {}\n", crate::sched::idle_tsc()),
        // A link has no text: it is read with `readlink`.
        File::Exe | File::SelfLink => return Err(Errno::EINVAL),
        File::Uptime => procfmt::uptime(crate::time::uptime_ns(), idle_ns()),
        File::Mounts => {
            let mut text = String::new();
            for (path, kind, read_only) in crate::fs::mounts() {
                let access = if read_only { "ro" } else { "rw" };
                let _ = writeln!(text, "{kind} {path} {kind} {access} 0 0");
            }
            text
        }
        File::Stat => stat(),
        File::Maps => maps(pid),
        File::Loadavg => {
            let (running, total) = thread_counts();
            let loads = crate::sched::load_average().hundredths();
            procfmt::loadavg(loads, running, total, crate::proc::last_pid())
        }
        File::Status | File::ProcessStat | File::Cmdline | File::Comm => {
            let info = crate::proc::list()
                .into_iter()
                .find(|p| p.pid == pid)
                .ok_or(Errno::ENOENT)?;
            let thread = match tid {
                Some(tid) => Some(thread_of(pid, tid).ok_or(Errno::ENOENT)?),
                None => None,
            };
            match file {
                // A zombie's memory is gone, and with it its arguments: empty, as on Linux
                // (`ps` then shows its name in brackets).
                File::Cmdline if info.status.is_some() => return Ok(Vec::new()),
                File::Cmdline => return Ok(info.cmdline),
                // A thread that named itself (`prctl(PR_SET_NAME)`) goes by its own name.
                File::Comm => {
                    let own = thread.as_ref().and_then(|t| t.name.as_deref());
                    format!("{}\n", procfmt::comm(own.unwrap_or(&info.name)))
                }
                File::Status => procfmt::status(&process(&info, thread.as_ref())),
                _ => procfmt::stat(&process(&info, thread.as_ref())),
            }
        }
    };
    Ok(text.into_bytes())
}

/// `/proc/PID/maps`: process `pid`'s regions, its heap and its stack, in address order (empty
/// for a zombie, whose memory is gone, as on Linux).
fn maps(pid: Pid) -> String {
    use crate::proc::exec::{STACK_BOTTOM, STACK_TOP};
    use crate::proc::regions::{Backing, Region};
    let Some(memory) = crate::proc::memory_of(pid) else {
        return String::new();
    };
    let mut lines: Vec<(Region, &str)> = Vec::new();
    let map = memory.lock();
    for region in map.regions.iter() {
        lines.push((region.clone(), ""));
    }
    let anonymous = |start, end, name| {
        let protection = crate::proc::regions::Protection {
            read: true,
            write: true,
            execute: false,
        };
        let backing = Backing::Anonymous;
        let region = Region {
            start,
            end,
            protection,
            backing,
            offset: 0,
            path: None,
        };
        (region, name)
    };
    let heap_end = map.brk.next_multiple_of(crate::mm::paging::PAGE_SIZE);
    if heap_end > map.brk_start {
        lines.push(anonymous(map.brk_start, heap_end, "[heap]"));
    }
    lines.push(anonymous(STACK_BOTTOM, STACK_TOP, "[stack]"));
    drop(map);
    lines.sort_by_key(|(region, _)| region.start);
    let mut text = String::new();
    for (region, name) in &lines {
        let p = region.protection;
        let name = region.path.as_deref().unwrap_or(name);
        procfmt::maps_line(
            &mut text,
            &procfmt::Mapping {
                start: region.start,
                end: region.end,
                read: p.read,
                write: p.write,
                execute: p.execute,
                shared: region.backing.is_shared(),
                offset: region.offset,
                device: (0, 0),
                inode: 0,
                name,
            },
        );
    }
    // `memory` is dropped here, outside the process table's lock (see `memory_of`).
    text
}

/// What `stat` and `status` say about the process `info` describes, or, given one of its
/// threads, about that thread (`task/TID`).
fn process<'a>(info: &'a ProcessInfo, thread: Option<&'a ThreadInfo>) -> procfmt::Process<'a> {
    // The process's state is its first thread's, as Linux shows it, and its times are all its
    // threads'; a thread's are its own. A thread not started yet (or ended) has no scheduler
    // thread, so none of the scheduler's is counted for it.
    let (tid, shown, signals) = match thread {
        Some(t) => (t.tid, t.thread, t.signals),
        None => (info.pid, info.thread, info.signals),
    };
    let counted = |id| match thread {
        Some(t) => t.thread != 0 && id == t.thread,
        None => info.threads.contains(&id),
    };
    let (mut thread_state, mut cpu_ticks, mut user_ticks) = (None, 0, 0);
    crate::sched::threads(|t| {
        if t.id == shown {
            thread_state = Some(t.state);
        }
        if counted(t.id) {
            cpu_ticks += t.cpu_ticks;
            user_ticks += crate::sched::user_ticks(t.id).min(t.cpu_ticks);
        }
    });
    let state = if info.status.is_some() {
        procfmt::State::Zombie
    } else if info.stopped {
        procfmt::State::Stopped
    } else {
        linux_state(thread_state)
    };
    // Every process is started on the one terminal; its foreground group is -1 while the
    // kernel console, not a program, holds the keys.
    let tpgid = crate::tty::foreground_group().unwrap_or(-1);
    // A zombie has no memory left.
    let resident = if state == procfmt::State::Zombie {
        0
    } else {
        info.resident as u64
    };
    procfmt::Process {
        pid: info.pid,
        tid,
        name: thread.and_then(|t| t.name.as_deref()).unwrap_or(&info.name),
        state: Some(state),
        ppid: info.parent,
        pgrp: info.group,
        session: info.session,
        tty_nr: crate::fs::device::CONSOLE as u32,
        tpgid,
        // Every process runs as root (the set*id calls change only the caller's own view).
        uid: 0,
        gid: 0,
        // The ticks that found its thread in ring 3, and the rest of the ticks it ran.
        utime: to_user_hz(user_ticks),
        stime: to_user_hz(cpu_ticks - user_ticks),
        // A zombie is one thread that ended, as Linux counts it.
        threads: info.threads.len().max(1) as u32,
        start_time: to_user_hz(info.started),
        // Every page Ferrite maps is resident (nothing is swapped, and a page made on first
        // touch is counted when it is made), so the virtual size is the resident size.
        vsize: resident * PAGE,
        rss: resident,
        signals,
        exit_code: info.status.unwrap_or(0),
    }
}

/// A live process's state in Linux's terms, from its thread's state: running for a thread that
/// runs or could run now, sleeping for one that waits (a sleep, a pipe, a child, the terminal).
fn linux_state(thread: Option<::sched::State>) -> procfmt::State {
    use ::sched::State;
    match thread {
        Some(State::Sleeping { .. } | State::Blocked) => procfmt::State::Sleeping,
        _ => procfmt::State::Running,
    }
}

/// Kernel timer ticks in clock ticks of `USER_HZ`, the unit `/proc` counts time in.
fn to_user_hz(ticks: u64) -> u64 {
    ticks * abi::time::USER_HZ as u64 / crate::time::TICK_HZ
}

/// Nanoseconds the CPU has spent halted with nothing to run.
fn idle_ns() -> u64 {
    crate::time::calibration().map_or(0, |cal| {
        (u128::from(crate::sched::idle_tsc()) * u128::from(NS_PER_S) / u128::from(cal.tsc_hz))
            as u64
    })
}

/// Threads that can run now (running or in the run queue), and all threads; the idle thread,
/// which stands in when nothing can run, is neither (Linux does not count its own either).
fn thread_counts() -> (u32, u32) {
    let (mut running, mut total) = (0, 0);
    let idle = crate::sched::idle_thread();
    crate::sched::threads(|t| {
        if Some(t.id) == idle {
            return;
        }
        total += 1;
        if matches!(t.state, ::sched::State::Running | ::sched::State::Ready) {
            running += 1;
        }
    });
    (running, total)
}

/// `/proc/meminfo`: Linux's lines, then the kernel heap's (Ferrite's own, read by its `free`).
fn meminfo() -> Result<String, Errno> {
    let counts = crate::mm::frames::counts().ok_or(Errno::EIO)?;
    let kib = |pages: usize| pages as u64 * PAGE / KIB;
    let anon: usize = crate::proc::list()
        .iter()
        .filter(|p| p.status.is_none())
        .map(|p| p.resident)
        .sum();
    let heap = crate::mm::heap::stats();
    let mut text = procfmt::meminfo(&procfmt::Memory {
        total: kib(counts.usable),
        free: kib(counts.free),
        // No cache is dropped to make room: what is free is what is available.
        available: kib(counts.free),
        anon: kib(anon),
        // The kernel heap holds the kernel's objects, which Linux counts as slab.
        slab: heap.map_or(0, |(_, (_, mapped))| mapped as u64 / KIB),
        ..procfmt::Memory::default()
    });
    if let Some((stats, (limit, mapped))) = heap {
        procfmt::meminfo_line(&mut text, "KernelHeap", mapped as u64 / KIB);
        procfmt::meminfo_line(&mut text, "HeapLimit", limit as u64 / KIB);
        procfmt::meminfo_line(&mut text, "HeapUsed", stats.requested_bytes as u64 / KIB);
        let _ = writeln!(text, "{:<16}{:>8}", "HeapBlocks:", stats.live_blocks);
    }
    Ok(text)
}

/// `/proc/stat`: the CPU's time split into programs, kernel and idle, in clock ticks; the boot
/// time; the processes made since boot; the threads that can run.
fn stat() -> String {
    let [user, system, idle] = crate::sched::cpu_ticks().map(to_user_hz);
    let cpu = procfmt::CpuTimes {
        user,
        system,
        idle,
        ..procfmt::CpuTimes::default()
    };
    let (running, _) = thread_counts();
    let counters = procfmt::Counters {
        boot_time: crate::time::boot_epoch_ns() / NS_PER_S,
        processes: u64::from(crate::proc::last_pid()),
        running,
        ..procfmt::Counters::default()
    };
    // One CPU: the total and CPU 0 are the same.
    procfmt::stat_file(&cpu, &[cpu], &counters)
}

/// The `/proc` file system.
pub struct ProcFs;

impl FileSystem for ProcFs {
    fn type_name(&self) -> &'static str {
        "proc"
    }

    fn usage(&self) -> crate::fs::Usage {
        crate::fs::Usage {
            magic: abi::statfs::PROC_SUPER_MAGIC,
            block_size: PAGE,
            ..crate::fs::Usage::default()
        }
    }

    fn root(&self) -> Ino {
        ROOT
    }

    fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let number = |n: Option<u32>| n.ok_or(Errno::ENOENT);
        match decode(dir)? {
            Node::Root => {
                if let Some(i) = TOP.iter().position(|(n, _)| n.as_bytes() == name) {
                    return Ok(ino(Number::Top(i as u32 + FIRST_TOP)));
                }
                let pid = number(number_name(name))?;
                if pid == 0 || !crate::proc::exists(pid) {
                    return Err(Errno::ENOENT);
                }
                Ok(process_dir(pid))
            }
            Node::Process(pid) => PER_PROCESS
                .iter()
                .find(|(n, _)| n.as_bytes() == name)
                .map(|(_, entry)| process_entry(pid, *entry))
                .ok_or(Errno::ENOENT),
            Node::Fds(pid) => {
                let fd = number(number_name(name).filter(|&fd| fd <= inode::MAX_INDEX))?;
                open_file(pid, fd as i32).ok_or(Errno::ENOENT)?;
                Ok(ino(Number::Fd { pid, fd }))
            }
            Node::Tasks(pid) => {
                let tid = number(number_name(name))?;
                thread_of(pid, tid).ok_or(Errno::ENOENT)?;
                Ok(thread_dir(tid))
            }
            Node::Thread(_, tid) => PER_THREAD
                .iter()
                .position(|(n, _)| n.as_bytes() == name)
                .map(|i| {
                    ino(Number::Thread {
                        tid,
                        index: i as u32 + 1,
                    })
                })
                .ok_or(Errno::ENOENT),
            Node::Top(_) | Node::ProcessFile(..) | Node::Fd(..) | Node::ThreadFile(..) => {
                Err(Errno::ENOTDIR)
            }
        }
    }

    fn stat(&self, ino: Ino) -> Result<Attr, Errno> {
        let (kind, perm, links) = match decode(ino)? {
            Node::Root | Node::Process(_) | Node::Tasks(_) | Node::Thread(..) => {
                (Kind::Directory, DIRECTORY_PERM, 2)
            }
            Node::Fds(_) => (Kind::Directory, FD_DIRECTORY_PERM, 2),
            // The link's permissions say how the descriptor is open.
            Node::Fd(pid, fd) => {
                let file = open_file(pid, fd).ok_or(Errno::ENOENT)?;
                let mut perm = 0;
                if file.readable() {
                    perm |= FD_READ_PERM;
                }
                if file.writable() {
                    perm |= FD_WRITE_PERM;
                }
                (Kind::Symlink, perm, 1)
            }
            Node::Top(file) | Node::ProcessFile(_, file) | Node::ThreadFile(_, _, file) => {
                match file.kind() {
                    Kind::Symlink => (Kind::Symlink, LINK_PERM, 1),
                    kind => (kind, FILE_PERM, 1),
                }
            }
        };
        Ok(Attr {
            ino,
            kind,
            size: 0, // made when read, so unknown: Linux reports 0 too
            links,
            perm,
            modified: 0,
            changed: 0,
        })
    }

    fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let bytes = match decode(ino)? {
            Node::Top(file) => render(0, None, file)?,
            Node::ProcessFile(pid, file) => render(pid, None, file)?,
            Node::ThreadFile(pid, tid, file) => render(pid, Some(tid), file)?,
            // A link has no text to read: it is read with `readlink`.
            Node::Fd(..) => return Err(Errno::EINVAL),
            _ => return Err(Errno::EISDIR),
        };
        let start = (offset as usize).min(bytes.len());
        let n = buf.len().min(bytes.len() - start);
        buf[..n].copy_from_slice(&bytes[start..start + n]);
        Ok(n)
    }

    fn write(&self, _ino: Ino, _offset: u64, _data: &[u8]) -> Result<usize, Errno> {
        Err(Errno::EACCES)
    }

    fn truncate(&self, _ino: Ino, _len: u64) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    fn create(&self, _dir: Ino, _name: &[u8], _kind: Kind, _perm: u32) -> Result<Ino, Errno> {
        Err(Errno::EACCES)
    }

    fn unlink(&self, _dir: Ino, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    fn rmdir(&self, _dir: Ino, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    fn rename(&self, _: Ino, _: &[u8], _: Ino, _: &[u8]) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }

    fn entry(&self, dir: Ino, index: usize) -> Result<Option<(DirEntry, usize)>, Errno> {
        let (parent, mut names): (Ino, Vec<(String, Ino, Kind)>) = match decode(dir)? {
            Node::Root => {
                let mut list: Vec<(String, Ino, Kind)> = TOP
                    .iter()
                    .enumerate()
                    .map(|(i, (n, file))| {
                        let number = Number::Top(i as u32 + FIRST_TOP);
                        (String::from(*n), ino(number), file.kind())
                    })
                    .collect();
                list.extend(
                    crate::proc::list()
                        .into_iter()
                        .map(|p| (format!("{}", p.pid), process_dir(p.pid), Kind::Directory)),
                );
                (ROOT, list)
            }
            Node::Process(pid) => {
                let list = PER_PROCESS.iter().map(|(n, entry)| {
                    let kind = match entry {
                        Entry::File(file) => file.kind(),
                        Entry::Fds | Entry::Tasks => Kind::Directory,
                    };
                    (String::from(*n), process_entry(pid, *entry), kind)
                });
                (ROOT, list.collect())
            }
            Node::Fds(pid) => {
                // A process that has ended has no descriptors left.
                let fds = crate::proc::files_of(pid).map_or_else(Vec::new, |f| f.descriptors());
                let list = fds.into_iter().map(|fd| {
                    let number = Number::Fd { pid, fd: fd as u32 };
                    (format!("{fd}"), ino(number), Kind::Symlink)
                });
                (process_dir(pid), list.collect())
            }
            Node::Tasks(pid) => {
                let threads = crate::proc::threads_of_process(pid).unwrap_or_default();
                let list = threads
                    .into_iter()
                    .map(|t| (format!("{}", t.tid), thread_dir(t.tid), Kind::Directory));
                (process_dir(pid), list.collect())
            }
            Node::Thread(pid, tid) => {
                let list = PER_THREAD.iter().enumerate().map(|(i, (n, file))| {
                    let number = Number::Thread {
                        tid,
                        index: i as u32 + 1,
                    };
                    (String::from(*n), ino(number), file.kind())
                });
                (process_entry(pid, Entry::Tasks), list.collect())
            }
            Node::Top(_) | Node::ProcessFile(..) | Node::Fd(..) | Node::ThreadFile(..) => {
                return Err(Errno::ENOTDIR)
            }
        };
        names.insert(0, (String::from("."), dir, Kind::Directory));
        names.insert(1, (String::from(".."), parent, Kind::Directory));
        Ok(names.into_iter().nth(index).map(|(name, ino, kind)| {
            let entry = DirEntry {
                name: name.into_bytes(),
                ino,
                kind,
            };
            (entry, index + 1)
        }))
    }

    fn open(&self, ino: Ino) -> Result<(), Errno> {
        decode(ino).map(drop)
    }

    fn close(&self, _ino: Ino) {}

    fn readlink(&self, ino: Ino) -> Result<Vec<u8>, Errno> {
        match decode(ino)? {
            Node::ProcessFile(pid, File::Exe) | Node::ThreadFile(pid, _, File::Exe) => {
                crate::proc::exe_of(pid)
                    .filter(|path| !path.is_empty())
                    .map(|path| path.as_bytes().to_vec())
                    .ok_or(Errno::ENOENT)
            }
            // A kernel thread has no directory of its own.
            Node::Top(File::SelfLink) => crate::proc::current_pid()
                .map(|pid| format!("{pid}").into_bytes())
                .ok_or(Errno::ENOENT),
            Node::Fd(pid, fd) => {
                let file = open_file(pid, fd).ok_or(Errno::ENOENT)?;
                // The description is dropped after the text is made, with no lock held: if its
                // process closed it meanwhile, this drop closes it.
                Ok(fd_target(&file)?.into_bytes())
            }
            _ => Err(Errno::EINVAL),
        }
    }
}
