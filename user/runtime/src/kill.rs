//! `kill`'s command line, shared by the `/bin/kill` program and the shell's `kill` builtin (which
//! adds job specs, `%1`, as shells do: only the shell knows its jobs).
//!
//! The forms are procps's: `kill [-SIGNAL | -s SIGNAL] [--] TARGET...` and `kill -l`. A signal is
//! a number or a name with or without `SIG` (`-9`, `-KILL`, `-SIGKILL`). A target is a pid; a
//! negative one names a process group, and since `-5` would read as a signal, a group comes after
//! `--` unless a signal was given first (`kill -9 -5`, `kill -- -5`). A signal with no target
//! (`kill -1`) is a usage error, never a target: it once killed process group 1.

use abi::signal;
use alloc::vec::Vec;

/// What a `kill` command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// Send `signal` to each target, as written (the caller resolves pids and job specs).
    Send {
        /// The signal's number.
        signal: i32,
        /// The targets, at least one.
        targets: Vec<&'a str>,
    },
    /// `kill -l`: list the signals.
    List,
}

/// Why a `kill` command line is wrong.
#[derive(Debug, PartialEq, Eq)]
pub enum Mistake<'a> {
    /// No target to send to.
    NoTarget,
    /// A signal name or number that does not exist.
    UnknownSignal(&'a str),
}

/// The usage line.
pub const USAGE: &str = "kill [-SIGNAL | -s SIGNAL] [--] PID|-GROUP... | kill -l";

/// Parses `words` (the arguments after `kill`).
pub fn parse<'a>(words: &[&'a str]) -> Result<Request<'a>, Mistake<'a>> {
    let mut signal = signal::SIGTERM;
    let mut rest = words;
    match rest {
        ["-l" | "-L"] => return Ok(Request::List),
        ["-s", name, more @ ..] => {
            signal = by_name_or_number(name).ok_or(Mistake::UnknownSignal(name))?;
            rest = more;
        }
        ["--", ..] => {}
        [first, more @ ..] if first.starts_with('-') && first.len() > 1 => {
            let name = &first[1..];
            signal = by_name_or_number(name).ok_or(Mistake::UnknownSignal(name))?;
            rest = more;
        }
        _ => {}
    }
    if let ["--", more @ ..] = rest {
        rest = more;
    }
    if rest.is_empty() {
        return Err(Mistake::NoTarget);
    }
    Ok(Request::Send {
        signal,
        targets: rest.to_vec(),
    })
}

/// A signal's number from its number or name (with or without `SIG`, any case).
pub fn by_name_or_number(text: &str) -> Option<i32> {
    if let Ok(number) = text.parse::<i32>() {
        return (0..=signal::SIGRTMAX).contains(&number).then_some(number);
    }
    let upper = text.to_ascii_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    (1..=signal::SIGRTMAX).find(|&n| {
        signal::signal_name(n).is_some_and(|full| full.strip_prefix("SIG").unwrap_or(full) == name)
    })
}

/// Every signal's name without `SIG`, in number order, for `kill -l`.
pub fn names() -> impl Iterator<Item = &'static str> {
    (1..=signal::SIGRTMAX)
        .filter_map(signal::signal_name)
        .map(|full| full.strip_prefix("SIG").unwrap_or(full))
}

/// Sends `signal` to `target`, a pid or (negative) a process group.
pub fn send(target: i32, signal: i32) -> Result<(), abi::Errno> {
    if target < 0 {
        crate::sys::kill_group(target.unsigned_abs(), signal)
    } else {
        crate::sys::kill(target as u32, signal)
    }
}
