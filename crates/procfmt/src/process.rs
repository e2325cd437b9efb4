//! One process's files: `/proc/PID/stat`, `status` and `cmdline`; and one thread's,
//! `/proc/PID/task/TID/stat` and `status`.
//!
//! `stat` is for programs: one line, every field a number found by its position, the name
//! alone in parentheses because it is the one field that may hold spaces. `status` is for
//! people, and for programs that want one field by its name: `Key:` and a tab, in an order that
//! has only grown over Linux's history. `cmdline` is the program's arguments as it received
//! them, each ended by a NUL.
//!
//! A thread's `stat` and `status` are its process's, seen from the thread: the first field of
//! `stat` and the `Pid:` line are the thread's id while `Tgid:` stays the process's, and the
//! state, times and signal mask are the thread's own. The thread count is the process's in
//! both views, as on Linux.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

/// Bytes in a page on x86_64: the unit of `rss` in `/proc/PID/stat`.
pub const PAGE_SIZE: u64 = 4096;
/// Bytes in a KiB, the unit `status` writes as `kB`.
const KIB: u64 = 1024;
/// The longest name Linux keeps for a process (`TASK_COMM_LEN` is 16 bytes with the NUL).
pub const COMM_LEN: usize = 15;
/// The signal a child's end sends its parent by default (`exit_signal` in `stat`): SIGCHLD.
const SIGCHLD: u32 = 17;
/// A normal process's priority as `stat` shows it: 20 plus its nice value (0).
const DEFAULT_PRIORITY: i32 = 20;
/// The resident-size limit `stat` shows when there is none (`RLIM_INFINITY`).
const NO_LIMIT: u64 = u64::MAX;

/// A process's state, as one of Linux's letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Running, or ready to run (`R`).
    Running,
    /// Waiting for something that a signal may interrupt: a sleep, a pipe, a child (`S`).
    Sleeping,
    /// Stopped by a job-control signal until SIGCONT (`T`).
    Stopped,
    /// Ended, and not yet waited for by its parent (`Z`).
    Zombie,
}

impl State {
    /// The letter of the third field of `stat`.
    pub fn letter(self) -> char {
        match self {
            State::Running => 'R',
            State::Sleeping => 'S',
            State::Stopped => 'T',
            State::Zombie => 'Z',
        }
    }

    /// The `State:` value of `status`: the letter and a word in parentheses.
    pub fn description(self) -> &'static str {
        match self {
            State::Running => "R (running)",
            State::Sleeping => "S (sleeping)",
            State::Stopped => "T (stopped)",
            State::Zombie => "Z (zombie)",
        }
    }
}

/// A process's signal sets, one bit per signal (bit 0 is signal 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    /// Sent and not yet taken.
    pub pending: u64,
    /// Blocked by its mask.
    pub blocked: u64,
    /// Set to be ignored (`SIG_IGN`).
    pub ignored: u64,
    /// Caught by a handler of its own.
    pub caught: u64,
}

/// What `stat` and `status` say about one process.
#[derive(Debug, Clone, Default)]
pub struct Process<'a> {
    /// Its pid (its thread-group id: `Tgid:`).
    pub pid: u32,
    /// The thread these lines describe: the pid itself for the process's own files, a
    /// thread's id for `/proc/PID/task/TID` (the first field of `stat`, `Pid:`).
    pub tid: u32,
    /// Its program's name (shortened to [`COMM_LEN`] bytes when written).
    pub name: &'a str,
    /// Its state.
    pub state: Option<State>,
    /// Its parent's pid (0: none).
    pub ppid: u32,
    /// Its process group.
    pub pgrp: u32,
    /// Its session.
    pub session: u32,
    /// Its controlling terminal's device number, encoded by [`tty_nr`] (0: none).
    pub tty_nr: u32,
    /// The terminal's foreground process group (-1: no terminal).
    pub tpgid: i32,
    /// Its user and group id (real, effective, saved and file-system ids are all the same).
    pub uid: u32,
    /// Its group id.
    pub gid: u32,
    /// Clock ticks it ran in user mode.
    pub utime: u64,
    /// Clock ticks it ran in the kernel.
    pub stime: u64,
    /// Its threads.
    pub threads: u32,
    /// When it started, in clock ticks since boot.
    pub start_time: u64,
    /// Its virtual memory size in bytes.
    pub vsize: u64,
    /// Its resident memory in pages.
    pub rss: u64,
    /// Its signal sets.
    pub signals: Signals,
    /// Its wait status once it has ended (0 while it runs).
    pub exit_code: i32,
}

/// The device number `stat` writes for a terminal: the major number in bits 8 to 15, the minor
/// number's low byte in bits 0 to 7 and its upper bits from bit 20 (Linux's `new_encode_dev`).
pub fn tty_nr(major: u32, minor: u32) -> u32 {
    const MINOR_LOW: u32 = 0xff;
    const MAJOR_SHIFT: u32 = 8;
    const MINOR_HIGH_SHIFT: u32 = 12;
    (minor & MINOR_LOW) | (major << MAJOR_SHIFT) | ((minor & !MINOR_LOW) << MINOR_HIGH_SHIFT)
}

/// `name` as Linux keeps it for a process: at most [`COMM_LEN`] bytes, cut at a character
/// boundary.
pub fn comm(name: &str) -> &str {
    let mut end = name.len().min(COMM_LEN);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

/// `/proc/PID/stat`: one line of 52 fields in proc(5)'s order.
pub fn stat(p: &Process<'_>) -> String {
    let state = p.state.unwrap_or(State::Running);
    let mut line = String::new();
    // 1-8: pid, (comm), state, ppid, pgrp, session, tty_nr, tpgid.
    let _ = write!(
        line,
        "{} ({}) {} {} {} {} {} {}",
        p.tid,
        comm(p.name),
        state.letter(),
        p.ppid,
        p.pgrp,
        p.session,
        p.tty_nr,
        p.tpgid
    );
    // 9-13: flags, minflt, cminflt, majflt, cmajflt.
    line.push_str(" 0 0 0 0 0");
    // 14-17: utime, stime, cutime, cstime (children's times are not collected).
    let _ = write!(line, " {} {} 0 0", p.utime, p.stime);
    // 18-22: priority, nice, num_threads, itrealvalue (always 0 since Linux 2.6.17), starttime.
    let _ = write!(
        line,
        " {DEFAULT_PRIORITY} 0 {} 0 {}",
        p.threads, p.start_time
    );
    // 23-25: vsize (bytes), rss (pages), rsslim.
    let _ = write!(line, " {} {} {NO_LIMIT}", p.vsize, p.rss);
    // 26-30: startcode, endcode, startstack, kstkesp, kstkeip.
    line.push_str(" 0 0 0 0 0");
    // 31-34: signal, blocked, sigignore, sigcatch (decimal bit masks).
    let s = p.signals;
    let _ = write!(
        line,
        " {} {} {} {}",
        s.pending, s.blocked, s.ignored, s.caught
    );
    // 35-41: wchan, nswap, cnswap, exit_signal, processor, rt_priority, policy (SCHED_OTHER).
    let _ = write!(line, " 0 0 0 {SIGCHLD} 0 0 0");
    // 42-44: delayacct_blkio_ticks, guest_time, cguest_time.
    line.push_str(" 0 0 0");
    // 45-51: start_data, end_data, start_brk, arg_start, arg_end, env_start, env_end.
    line.push_str(" 0 0 0 0 0 0 0");
    // 52: exit_code.
    let _ = writeln!(line, " {}", p.exit_code);
    line
}

/// `/proc/PID/status`: `Key:\tvalue` lines, in Linux's order. A zombie has no memory, so its
/// `Vm` lines are left out, as Linux leaves them out.
pub fn status(p: &Process<'_>) -> String {
    let state = p.state.unwrap_or(State::Running);
    let mut text = String::new();
    let _ = writeln!(text, "Name:\t{}", comm(p.name));
    let _ = writeln!(text, "State:\t{}", state.description());
    let _ = writeln!(text, "Tgid:\t{}", p.pid);
    let _ = writeln!(text, "Ngid:\t0");
    let _ = writeln!(text, "Pid:\t{}", p.tid);
    let _ = writeln!(text, "PPid:\t{}", p.ppid);
    let _ = writeln!(text, "TracerPid:\t0");
    let (u, g) = (p.uid, p.gid);
    let _ = writeln!(text, "Uid:\t{u}\t{u}\t{u}\t{u}");
    let _ = writeln!(text, "Gid:\t{g}\t{g}\t{g}\t{g}");
    let _ = writeln!(text, "NStgid:\t{}", p.pid);
    let _ = writeln!(text, "NSpid:\t{}", p.tid);
    let _ = writeln!(text, "NSpgid:\t{}", p.pgrp);
    let _ = writeln!(text, "NSsid:\t{}", p.session);
    if state != State::Zombie {
        kib_field(&mut text, "VmSize", p.vsize / KIB);
        kib_field(&mut text, "VmRSS", p.rss * PAGE_SIZE / KIB);
    }
    let _ = writeln!(text, "Threads:\t{}", p.threads);
    let s = p.signals;
    let _ = writeln!(text, "SigPnd:\t{:016x}", s.pending);
    let _ = writeln!(text, "ShdPnd:\t{:016x}", s.pending);
    let _ = writeln!(text, "SigBlk:\t{:016x}", s.blocked);
    let _ = writeln!(text, "SigIgn:\t{:016x}", s.ignored);
    let _ = writeln!(text, "SigCgt:\t{:016x}", s.caught);
    // One CPU: the mask is CPU 0 alone.
    let _ = writeln!(text, "Cpus_allowed:\t1");
    let _ = writeln!(text, "Cpus_allowed_list:\t0");
    text
}

/// A memory line of `status`: the key, a tab, the number right-aligned in 8 columns, ` kB`.
fn kib_field(text: &mut String, key: &str, kib: u64) {
    let _ = writeln!(text, "{key}:\t{kib:>8} kB");
}

/// `/proc/PID/cmdline`: each argument followed by a NUL, at most `limit` bytes.
pub fn cmdline<'a, I>(argv: I, limit: usize) -> Vec<u8>
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: Clone,
{
    let argv = argv.into_iter();
    // One allocation of the final size: this runs at every `execve`.
    let size: usize = argv.clone().map(|arg| arg.len() + 1).sum();
    let mut bytes = Vec::with_capacity(size.min(limit));
    for arg in argv {
        bytes.extend_from_slice(arg);
        bytes.push(0);
        if bytes.len() >= limit {
            bytes.truncate(limit);
            break;
        }
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sleeper() -> Process<'static> {
        Process {
            pid: 42,
            tid: 42,
            name: "sleep",
            state: Some(State::Sleeping),
            ppid: 7,
            pgrp: 42,
            session: 7,
            tty_nr: tty_nr(5, 1),
            tpgid: 42,
            utime: 3,
            stime: 1,
            threads: 1,
            start_time: 250,
            vsize: 2 * 1024 * 1024,
            rss: 100,
            signals: Signals {
                pending: 0,
                blocked: 1 << 1,
                ignored: 1 << 2,
                caught: 1 << 9,
            },
            ..Process::default()
        }
    }

    #[test]
    fn stat_has_52_fields_in_procs_order() {
        let line = stat(&sleeper());
        assert!(line.ends_with('\n'));
        let fields: Vec<&str> = line.trim_end().split(' ').collect();
        assert_eq!(fields.len(), 52, "{line}");
        assert_eq!(
            &fields[..8],
            ["42", "(sleep)", "S", "7", "42", "7", "1281", "42"]
        );
        assert_eq!((fields[13], fields[14]), ("3", "1"), "utime, stime");
        assert_eq!(
            (fields[17], fields[18], fields[19]),
            ("20", "0", "1"),
            "priority, nice, threads"
        );
        assert_eq!(fields[21], "250", "starttime");
        assert_eq!(
            (fields[22], fields[23]),
            ("2097152", "100"),
            "vsize in bytes, rss in pages"
        );
        assert_eq!(fields[24], "18446744073709551615", "rsslim");
        assert_eq!(&fields[30..34], ["0", "2", "4", "512"], "signal sets");
        assert_eq!(fields[37], "17", "exit_signal");
        assert_eq!(fields[51], "0", "exit_code");
    }

    /// busybox splits the line at the *last* `)`, then reads the rest with `sscanf`: a name
    /// with spaces and parentheses must not shift the fields after it.
    #[test]
    fn a_name_with_spaces_keeps_the_fields_in_place() {
        let mut p = sleeper();
        p.name = "a (b) c";
        let line = stat(&p);
        let rest = &line[line.rfind(')').unwrap() + 2..];
        assert_eq!(rest.trim_end().split(' ').count(), 50);
        assert!(rest.starts_with("S 7 42 7 1281 42 "));
    }

    #[test]
    fn names_are_cut_to_fifteen_bytes_on_a_character_boundary() {
        assert_eq!(comm("sixteen-letters!"), "sixteen-letters");
        assert_eq!(comm("short"), "short");
        // 14 ASCII bytes and a two-byte character: the character does not fit.
        assert_eq!(comm("abcdefghijklmné"), "abcdefghijklmn");
    }

    #[test]
    fn states_have_linuxs_letters() {
        let letters: String = [
            State::Running,
            State::Sleeping,
            State::Stopped,
            State::Zombie,
        ]
        .iter()
        .map(|s| s.letter())
        .collect();
        assert_eq!(letters, "RSTZ");
        assert_eq!(State::Stopped.description(), "T (stopped)");
    }

    #[test]
    fn status_is_tab_separated_keys_in_linuxs_order() {
        let text = status(&sleeper());
        let keys: Vec<&str> = text.lines().map(|l| l.split(':').next().unwrap()).collect();
        let order = [
            "Name", "State", "Tgid", "Pid", "PPid", "Uid", "Gid", "VmSize", "VmRSS",
        ];
        let at = |k: &str| keys.iter().position(|x| *x == k).unwrap();
        assert!(order.windows(2).all(|w| at(w[0]) < at(w[1])), "{text}");
        assert!(at("VmRSS") < at("Threads") && at("Threads") < at("SigPnd"));
        assert!(text.contains("State:\tS (sleeping)\n"));
        assert!(text.contains("Uid:\t0\t0\t0\t0\n"));
        assert!(text.contains("VmSize:\t    2048 kB\n"));
        assert!(text.contains("VmRSS:\t     400 kB\n"));
        assert!(text.contains("SigBlk:\t0000000000000002\n"));
        assert!(text.contains("SigCgt:\t0000000000000200\n"));
    }

    #[test]
    fn a_threads_view_has_its_own_id_and_its_processs_group_id() {
        let mut p = sleeper();
        p.tid = 44;
        p.threads = 3;
        let line = stat(&p);
        let fields: Vec<&str> = line.trim_end().split(' ').collect();
        assert_eq!((fields[0], fields[19]), ("44", "3"), "tid, num_threads");
        let text = status(&p);
        assert!(text.contains("Tgid:\t42\nNgid:\t0\nPid:\t44\n"), "{text}");
        assert!(text.contains("NStgid:\t42\nNSpid:\t44\n"), "{text}");
        assert!(text.contains("Threads:\t3\n"), "{text}");
    }

    #[test]
    fn a_zombie_has_no_memory_lines() {
        let mut p = sleeper();
        p.state = Some(State::Zombie);
        let text = status(&p);
        assert!(text.contains("State:\tZ (zombie)\n"));
        assert!(!text.contains("Vm"));
        assert!(stat(&p).starts_with("42 (sleep) Z "));
    }

    #[test]
    fn cmdline_ends_each_argument_with_a_nul_and_stops_at_the_limit() {
        let argv: [&[u8]; 3] = [b"sleep", b"100", b""];
        assert_eq!(cmdline(argv, 64), b"sleep\x00100\x00\x00");
        assert_eq!(cmdline(argv, 7), b"sleep\x001");
        assert!(cmdline([], 64).is_empty());
    }

    #[test]
    fn terminal_numbers_are_encoded_as_linux_does() {
        assert_eq!(tty_nr(5, 1), 0x501);
        assert_eq!(tty_nr(136, 0x102), 0x10_8802);
    }
}
