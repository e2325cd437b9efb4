//! What every command-line program needs: options in the Unix style, a usage line, and errors
//! that name the program, the file and the reason.
//!
//! Options follow POSIX's utility conventions (`getopt`): single letters after a `-`, several
//! may share one (`-la`), a letter that takes a value takes the rest of the word or the next
//! word (`-n5`, `-n 5`), `--` ends the options, and `-` alone is an operand (standard input).

use crate::{eprintln, sys};
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;

/// The exit status for being called wrongly (a usage error), as the standard utilities use.
pub const USAGE: i32 = 2;
/// The exit status for an error while working (a file that cannot be read, ...).
pub const FAILURE: i32 = 1;

/// The options and operands a program was given.
#[derive(Debug, Default)]
pub struct Args {
    /// Each option letter given, with its value if it takes one, in order.
    pub options: Vec<(char, Option<String>)>,
    /// The operands (file names and such), in order.
    pub operands: Vec<String>,
}

impl Args {
    /// Whether option `letter` was given.
    pub fn has(&self, letter: char) -> bool {
        self.options.iter().any(|(c, _)| *c == letter)
    }

    /// The value of the last `letter` option given.
    pub fn value(&self, letter: char) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(c, _)| *c == letter)
            .and_then(|(_, v)| v.as_deref())
    }
}

/// Parses the program's arguments against `spec`: the option letters it takes, each followed
/// by `:` if it takes a value (`"n:"` for `head`). On an unknown option or a missing value,
/// prints what was wrong and `usage`, and returns `Err` with the status to exit with.
pub fn parse(spec: &str, usage: &str) -> Result<Args, i32> {
    let mut args = Args::default();
    let mut words = crate::args().skip(1);
    while let Some(word) = words.next() {
        if word == "--" {
            args.operands.extend(words.by_ref().map(String::from));
            break;
        }
        let Some(letters) = word.strip_prefix('-').filter(|l| !l.is_empty()) else {
            args.operands.push(String::from(word));
            continue;
        };
        for (at, letter) in letters.char_indices() {
            let Some(found) = spec.find(letter).filter(|_| letter != ':') else {
                eprintln!("{}: unknown option -{letter}", crate::start::program_name());
                return Err(show_usage(usage));
            };
            if spec[found + letter.len_utf8()..].starts_with(':') {
                let rest = &letters[at + letter.len_utf8()..];
                let value = if rest.is_empty() {
                    words.next()
                } else {
                    Some(rest)
                };
                let Some(value) = value else {
                    eprintln!(
                        "{}: option -{letter} needs a value",
                        crate::start::program_name()
                    );
                    return Err(show_usage(usage));
                };
                args.options.push((letter, Some(String::from(value))));
                break;
            }
            args.options.push((letter, None));
        }
    }
    Ok(args)
}

/// Prints `usage: LINE` on standard error; returns [`USAGE`].
pub fn show_usage(line: &str) -> i32 {
    eprintln!("usage: {line}");
    USAGE
}

/// Prints `PROGRAM: WHAT: REASON` on standard error; returns [`FAILURE`].
pub fn error(what: &str, e: Errno) -> i32 {
    eprintln!(
        "{}: {what}: {}",
        crate::start::program_name(),
        e.description()
    );
    FAILURE
}

/// What a failed `fork` means, in words: `EAGAIN` there is the process table (or the thread
/// table) being full, which its general description ("try again") does not say.
pub fn describe_fork_error(e: Errno) -> &'static str {
    match e {
        Errno::EAGAIN => "too many processes; try again when some have ended",
        Errno::ENOMEM => "out of memory for a new process",
        other => other.description(),
    }
}

/// Opens `path` to read, `-` meaning standard input.
pub fn open_input(path: &str) -> Result<i32, Errno> {
    if path == "-" {
        Ok(0)
    } else {
        sys::open(path, abi::fcntl::O_RDONLY, 0)
    }
}

/// Closes `fd` unless it is standard input.
pub fn close_input(fd: i32) {
    if fd != 0 {
        let _ = sys::close(fd);
    }
}

/// The operands, or `-` (standard input) if there are none.
pub fn inputs(args: &Args) -> Vec<String> {
    if args.operands.is_empty() {
        alloc::vec![String::from("-")]
    } else {
        args.operands.clone()
    }
}

/// Calls `each` with every chunk read from `fd` until end of file.
pub fn for_each_chunk(
    fd: i32,
    mut each: impl FnMut(&[u8]) -> Result<(), Errno>,
) -> Result<(), Errno> {
    read_chunks(fd, |chunk| each(chunk).map(|()| More::Yes))
}

/// Whether a reader wants more input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum More {
    /// Go on reading.
    Yes,
    /// Stop: what was wanted has been read.
    No,
}

/// Calls `each` with every chunk read from `fd` until end of file, or until `each` answers
/// [`More::No`]. A program that has what it wants stops reading at once (`head -n 2` does not
/// drain an endless pipe): when it exits, the writer's next write fails with `EPIPE`.
pub fn read_chunks(
    fd: i32,
    mut each: impl FnMut(&[u8]) -> Result<More, Errno>,
) -> Result<(), Errno> {
    let mut buffer = alloc::vec![0u8; CHUNK];
    loop {
        match sys::read(fd, &mut buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if each(&buffer[..n])? == More::No {
                    return Ok(());
                }
            }
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// Which end of a copy failed, so the message names the right file: a full disk is the
/// output's fault, not the input's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyError {
    /// Reading the input failed.
    Read(Errno),
    /// Writing the output failed.
    Write(Errno),
}

/// Copies everything readable from `input` to `output`.
pub fn copy(input: i32, output: i32) -> Result<(), CopyError> {
    let mut failed_write = None;
    let read = for_each_chunk(input, |chunk| {
        crate::fs::write_all(output, chunk).inspect_err(|&e| failed_write = Some(e))
    });
    match (failed_write, read) {
        (Some(e), _) => Err(CopyError::Write(e)),
        (None, Err(e)) => Err(CopyError::Read(e)),
        (None, Ok(())) => Ok(()),
    }
}

/// Whether two open files are one file (the same inode on the same file system).
pub fn same_file(a: &abi::Stat, b: &abi::Stat) -> bool {
    a.st_dev == b.st_dev && a.st_ino == b.st_ino
}

/// For `cp` and `mv`: refuses a copy or move of a file onto itself, which would otherwise empty
/// it (`cp f f` opens `f` for writing, truncating it, before reading a byte). Prints Linux's
/// words and returns the status to exit with; `Ok` if `destination` is another file or does
/// not exist.
pub fn refuse_same_file(source: &str, destination: &str) -> Result<(), i32> {
    match (sys::stat(source), sys::stat(destination)) {
        (Ok(a), Ok(b)) if same_file(&a, &b) => {
            eprintln!(
                "{}: '{source}' and '{destination}' are the same file",
                crate::start::program_name()
            );
            Err(FAILURE)
        }
        _ => Ok(()),
    }
}

/// Bytes read per call by the programs that stream.
const CHUNK: usize = 16 * 1024;

/// For `cp` and `mv`: each (source, destination) pair the operands `SOURCE... TARGET` mean:
/// into the directory TARGET if it is one (each source by its last name), else TARGET itself,
/// which then takes only one source (`ENOTDIR` otherwise, naming TARGET).
pub fn copy_targets(operands: &[String]) -> Result<Vec<(String, String)>, (String, Errno)> {
    let Some((target, sources)) = operands.split_last() else {
        return Ok(Vec::new());
    };
    let into_directory =
        sys::stat(target).is_ok_and(|s| abi::stat::file_type(s.st_mode) == abi::stat::S_IFDIR);
    if sources.len() > 1 && !into_directory {
        return Err((target.clone(), Errno::ENOTDIR));
    }
    Ok(sources
        .iter()
        .map(|source| {
            let destination = if into_directory {
                let name = source
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or(source);
                alloc::format!("{}/{name}", target.trim_end_matches('/'))
            } else {
                target.clone()
            };
            (source.clone(), destination)
        })
        .collect())
}
