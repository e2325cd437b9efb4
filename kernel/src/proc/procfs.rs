//! `/proc`: what the kernel knows, as text files written at the moment they are read.
//!
//! Nothing here is stored. Each file is a function that renders the kernel's current state
//! (the process table, the frame and heap counters, the clock) into text, and a read takes the
//! bytes it asked for from that text. So `cat /proc/meminfo` always shows the present, and the
//! user-space `ps` and `free` are ordinary programs that open files and parse lines: the kernel
//! needs no special call for them, and a learner can read the same files by hand.
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

/// A file `/proc` serves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum File {
    /// `/proc/meminfo`: frames and heap.
    Meminfo,
    /// `/proc/uptime`: seconds since boot.
    Uptime,
    /// `/proc/mounts`: the mount table.
    Mounts,
    /// `/proc/PID/status`: one process.
    Status,
    /// `/proc/boot`: when the boot's milestones were reached.
    Boot,
    /// `/proc/idle`: time-stamp counter ticks the CPU spent halted (Ferrite's own file).
    Idle,
    /// `/proc/PID/exe`: a symbolic link to the process's program (glibc's start-up reads it).
    Exe,
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
const TOP: [(&str, File); 5] = [
    ("boot", File::Boot),
    ("idle", File::Idle),
    ("meminfo", File::Meminfo),
    ("mounts", File::Mounts),
    ("uptime", File::Uptime),
];
/// A process directory's files; their inode is the directory's plus their index plus 1.
const PER_PROCESS: [(&str, File); 2] = [("status", File::Status), ("exe", File::Exe)];

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

/// The text of `file` (of process `pid`, for per-process files).
fn render(pid: crate::proc::Pid, file: File) -> Result<String, Errno> {
    let mut text = String::new();
    match file {
        File::Meminfo => {
            let counts = crate::mm::frames::counts().ok_or(Errno::EIO)?;
            let _ = writeln!(
                text,
                "MemTotal:  {:>10} kB",
                counts.usable as u64 * PAGE / KIB
            );
            let _ = writeln!(
                text,
                "MemFree:   {:>10} kB",
                counts.free as u64 * PAGE / KIB
            );
            if let Some((stats, (limit, mapped))) = crate::mm::heap::stats() {
                let _ = writeln!(text, "KernelHeap:{:>10} kB", mapped as u64 / KIB);
                let _ = writeln!(text, "HeapLimit: {:>10} kB", limit as u64 / KIB);
                let _ = writeln!(
                    text,
                    "HeapUsed:  {:>10} kB",
                    stats.requested_bytes as u64 / KIB
                );
                let _ = writeln!(text, "HeapBlocks:{:>10}", stats.live_blocks);
            }
        }
        File::Boot => {
            for (name, at) in crate::time::milestones() {
                let _ = writeln!(text, "{name}_tsc {at}");
            }
        }
        File::Idle => {
            let _ = writeln!(text, "idle_tsc {}", crate::sched::idle_tsc());
        }
        // A link has no text: it is read with `readlink`.
        File::Exe => return Err(Errno::EINVAL),
        File::Uptime => {
            let ns = crate::time::uptime_ns();
            let centis = ns / 10_000_000;
            let _ = writeln!(text, "{}.{:02}", centis / 100, centis % 100);
        }
        File::Mounts => {
            for (path, kind, read_only) in crate::fs::mounts() {
                let access = if read_only { "ro" } else { "rw" };
                let _ = writeln!(text, "{kind} {path} {kind} {access} 0 0");
            }
        }
        File::Status => {
            let info = crate::proc::list()
                .into_iter()
                .find(|p| p.pid == pid)
                .ok_or(Errno::ENOENT)?;
            let state = if info.status.is_some() {
                "Z (zombie)"
            } else {
                let mut state = None;
                crate::sched::threads(|t| {
                    if t.id == info.thread {
                        state = Some(t.state);
                    }
                });
                linux_state(state)
            };
            let _ = writeln!(text, "Name:\t{}", info.name);
            let _ = writeln!(text, "State:\t{state}");
            let _ = writeln!(text, "Pid:\t{}", info.pid);
            let _ = writeln!(text, "PPid:\t{}", info.parent);
            let _ = writeln!(text, "Threads:\t1");
            let _ = writeln!(text, "VmRSS:\t{} kB", info.resident as u64 * PAGE / KIB);
        }
    }
    Ok(text)
}

/// A live process's `State:` line in Linux's letters, from its thread's state: `R` for a thread
/// that runs or could run now, `S` for one that waits (a sleep, a pipe, a child, the terminal).
fn linux_state(thread: Option<::sched::State>) -> &'static str {
    use ::sched::State;
    match thread {
        Some(State::Sleeping { .. } | State::Blocked) => "S (sleeping)",
        _ => "R (running)",
    }
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
        let text = render(pid, file)?;
        let bytes = text.as_bytes();
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
