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
//! Inode numbers encode what they are: a process's directory is `pid << 8`, its files
//! `pid << 8 | n`, and the top-level files `n` (pid 0). `self` is a directory entry that names
//! the calling process's own directory (Linux makes it a symbolic link). `PID/exe` is a symbolic
//! link to the process's program, as on Linux.

use crate::fs::{Attr, DirEntry, FileSystem, Ino, Kind};
use abi::Errno;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// The root directory's inode.
const ROOT: Ino = 1;
/// Bits of an inode number below the pid.
const PID_SHIFT: u32 = 8;
/// Bytes in a KiB, the unit of `/proc/meminfo`.
const KIB: u64 = 1024;
/// Bytes in a page or frame.
const PAGE: u64 = crate::mm::paging::PAGE_SIZE;
/// Nanoseconds in a second.
const NS_PER_S: u64 = 1_000_000_000;

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
    /// `/proc/PID/status`: one process, as `Key:\tvalue` lines.
    Status,
    /// `/proc/PID/stat`: one process, as one line of numbers.
    ProcessStat,
    /// `/proc/PID/cmdline`: its arguments, NUL-terminated.
    Cmdline,
    /// `/proc/boot`: when the boot's milestones were reached.
    Boot,
    /// `/proc/idle`: time-stamp counter ticks the CPU spent halted (Ferrite's own file).
    Idle,
    /// `/proc/PID/exe`: a symbolic link to the process's program (glibc's start-up reads it).
    Exe,
    /// `/proc/PID/maps`: its regions, the heap and the stack, a line each.
    Maps,
}

impl File {
    /// What kind of file it is: all are text, but `exe`, a link.
    fn kind(self) -> Kind {
        if self == File::Exe {
            Kind::Symlink
        } else {
            Kind::Regular
        }
    }
}

/// The top-level files, with their names; their inode is their index plus 2.
const TOP: [(&str, File); 7] = [
    ("boot", File::Boot),
    ("idle", File::Idle),
    ("loadavg", File::Loadavg),
    ("meminfo", File::Meminfo),
    ("mounts", File::Mounts),
    ("stat", File::Stat),
    ("uptime", File::Uptime),
];
/// A process directory's files; their inode is the directory's plus their index plus 1.
const PER_PROCESS: [(&str, File); 5] = [
    ("cmdline", File::Cmdline),
    ("exe", File::Exe),
    ("stat", File::ProcessStat),
    ("status", File::Status),
    ("maps", File::Maps),
];

/// What an inode number stands for.
enum Node {
    Root,
    Process(crate::proc::Pid),
    File(crate::proc::Pid, File),
}

fn decode(ino: Ino) -> Result<Node, Errno> {
    let pid = (ino >> PID_SHIFT) as crate::proc::Pid;
    let index = (ino & ((1 << PID_SHIFT) - 1)) as usize;
    match (pid, index) {
        (0, 1) => Ok(Node::Root),
        (0, i) => TOP
            .get(i.wrapping_sub(2))
            .map(|f| Node::File(0, f.1))
            .ok_or(Errno::ENOENT),
        (pid, 0) if crate::proc::exists(pid) => Ok(Node::Process(pid)),
        (pid, i) if crate::proc::exists(pid) => PER_PROCESS
            .get(i - 1)
            .map(|f| Node::File(pid, f.1))
            .ok_or(Errno::ENOENT),
        _ => Err(Errno::ENOENT),
    }
}

fn process_dir(pid: crate::proc::Pid) -> Ino {
    (pid as Ino) << PID_SHIFT
}

/// The bytes of `file` (of process `pid`, for per-process files).
fn render(pid: crate::proc::Pid, file: File) -> Result<Vec<u8>, Errno> {
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
        File::Exe => return Err(Errno::EINVAL),
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
        File::Status | File::ProcessStat | File::Cmdline => {
            let info = crate::proc::list()
                .into_iter()
                .find(|p| p.pid == pid)
                .ok_or(Errno::ENOENT)?;
            match file {
                // A zombie's memory is gone, and with it its arguments: empty, as on Linux
                // (`ps` then shows its name in brackets).
                File::Cmdline if info.status.is_some() => return Ok(Vec::new()),
                File::Cmdline => return Ok(info.cmdline),
                File::Status => procfmt::status(&process(&info)),
                _ => procfmt::stat(&process(&info)),
            }
        }
    };
    Ok(text.into_bytes())
}

/// `/proc/PID/maps`: process `pid`'s regions, its heap and its stack, in address order (empty
/// for a zombie, whose memory is gone, as on Linux).
fn maps(pid: crate::proc::Pid) -> String {
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

/// What `stat` and `status` say about the process `info` describes.
fn process(info: &crate::proc::ProcessInfo) -> procfmt::Process<'_> {
    // The state is its first thread's, as Linux shows it; the times are all its threads'.
    let (mut thread_state, mut cpu_ticks, mut user_ticks) = (None, 0, 0);
    crate::sched::threads(|t| {
        if t.id == info.thread {
            thread_state = Some(t.state);
        }
        if info.threads.contains(&t.id) {
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
        name: &info.name,
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
        signals: info.signals,
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
        match decode(dir)? {
            Node::Root => {
                if name == b"self" {
                    return Ok(process_dir(
                        crate::proc::current_pid().ok_or(Errno::ENOENT)?,
                    ));
                }
                if let Some(i) = TOP.iter().position(|(n, _)| n.as_bytes() == name) {
                    return Ok(i as Ino + 2);
                }
                let pid = core::str::from_utf8(name)
                    .ok()
                    .and_then(|s| s.parse::<crate::proc::Pid>().ok())
                    .filter(|&pid| pid > 0 && crate::proc::exists(pid))
                    .ok_or(Errno::ENOENT)?;
                Ok(process_dir(pid))
            }
            Node::Process(pid) => PER_PROCESS
                .iter()
                .position(|(n, _)| n.as_bytes() == name)
                .map(|i| process_dir(pid) + i as Ino + 1)
                .ok_or(Errno::ENOENT),
            Node::File(..) => Err(Errno::ENOTDIR),
        }
    }

    fn stat(&self, ino: Ino) -> Result<Attr, Errno> {
        let (kind, perm, links) = match decode(ino)? {
            Node::Root | Node::Process(_) => (Kind::Directory, 0o555, 2),
            Node::File(_, File::Exe) => (Kind::Symlink, 0o777, 1),
            Node::File(..) => (Kind::Regular, 0o444, 1),
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
        let Node::File(pid, file) = decode(ino)? else {
            return Err(Errno::EISDIR);
        };
        let bytes = render(pid, file)?;
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
        let mut names: Vec<(String, Ino, Kind)> = match decode(dir)? {
            Node::Root => {
                let mut list: Vec<(String, Ino, Kind)> = TOP
                    .iter()
                    .enumerate()
                    .map(|(i, (n, _))| (String::from(*n), i as Ino + 2, Kind::Regular))
                    .collect();
                list.extend(
                    crate::proc::list()
                        .into_iter()
                        .map(|p| (format!("{}", p.pid), process_dir(p.pid), Kind::Directory)),
                );
                list
            }
            Node::Process(pid) => PER_PROCESS
                .iter()
                .enumerate()
                .map(|(i, (n, file))| {
                    (
                        String::from(*n),
                        process_dir(pid) + i as Ino + 1,
                        file.kind(),
                    )
                })
                .collect(),
            Node::File(..) => return Err(Errno::ENOTDIR),
        };
        names.insert(0, (String::from("."), dir, Kind::Directory));
        names.insert(1, (String::from(".."), ROOT, Kind::Directory));
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
            Node::File(pid, File::Exe) => crate::proc::exe_of(pid)
                .filter(|path| !path.is_empty())
                .map(|path| path.as_bytes().to_vec())
                .ok_or(Errno::ENOENT),
            _ => Err(Errno::EINVAL),
        }
    }
}
