//! `sh`: Ferrite's shell.
//!
//! `sh` reads commands from the terminal, with line editing and history; `sh FILE [ARGS]` runs
//! a script; `sh -c COMMANDS` runs one line. The language (pipelines, redirections, `;`, `&&`,
//! `||`, `&`, quoting, variables) is parsed by the host-tested `shsyntax` crate; this program
//! runs what it parses ([`run`]), keeps background jobs ([`jobs`]) and the builtins that change
//! the shell itself ([`builtins`]), and reads lines ([`editor`]).
//!
//! A line with a syntax error is refused as a whole, with one line saying where and why, and
//! the shell goes on; a script stops at its first syntax error, as POSIX shells do.

#![no_std]
#![no_main]

extern crate alloc;

mod builtins;
mod editor;
mod jobs;
mod run;
mod vars;

use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use editor::{Editor, Line, Plain};
use run::Shell;
use runtime::{eprintln, println, sys};

runtime::entry!(main);

/// The status for a syntax error (and for being called wrongly), as in other shells.
const SYNTAX: i32 = 2;

fn main() -> i32 {
    let args: Vec<String> = runtime::args().map(String::from).collect();
    let pid = sys::getpid();
    let mut shell = Shell::new(vars::Vars::from_environment(pid));
    match args.get(1).map(String::as_str) {
        Some("-c") => {
            let Some(line) = args.get(2) else {
                eprintln!("usage: sh [-c COMMANDS | FILE [ARGS...]]");
                return SYNTAX;
            };
            // As in every POSIX shell, the word after the commands is `$0`, then `$1`...
            if let Some(name) = args.get(3) {
                shell.vars.name = name.clone();
                shell.vars.positional = args[4..].to_vec();
            }
            run_line(&mut shell, line);
            shell.exit.unwrap_or(shell.vars.status)
        }
        Some(path) => {
            let fd = match sys::open(path, runtime::abi::fcntl::O_RDONLY, 0) {
                Ok(fd) => fd,
                Err(e) => {
                    eprintln!("sh: {path}: {}", e.description());
                    return run::NOT_FOUND;
                }
            };
            if is_binary(fd) {
                // As bash and dash do: a program, an image or an archive is not a script.
                eprintln!("sh: {path}: cannot execute binary file");
                let _ = sys::close(fd);
                return run::CANNOT_RUN;
            }
            shell.vars.name = String::from(path);
            shell.vars.positional = args[2..].to_vec();
            script(&mut shell, Plain::new(fd), path)
        }
        None => match Editor::new(program_names()) {
            Some(editor) => interactive(&mut shell, editor),
            None => script(&mut shell, Plain::new(0), "standard input"),
        },
    }
}

/// Bytes of a script looked at for a NUL, which no text has (bash looks at its first line).
const BINARY_PROBE: usize = 256;

/// Whether the file open on `fd` starts with a NUL byte in its first [`BINARY_PROBE`] bytes;
/// leaves its position at the start.
fn is_binary(fd: i32) -> bool {
    let mut start = [0u8; BINARY_PROBE];
    let read = sys::read(fd, &mut start).unwrap_or(0);
    let _ = sys::lseek(fd, 0, runtime::abi::fcntl::SEEK_SET);
    start[..read].contains(&0)
}

/// Parses and runs one line; a syntax error is reported and the line skipped.
fn run_line(shell: &mut Shell, line: &str) {
    match shsyntax::parse(line) {
        Ok(list) => {
            shell.run_list(&list);
        }
        Err(e) => {
            eprintln!("sh: {e}");
            shell.vars.status = SYNTAX;
        }
    }
}

/// The interactive loop: prompt, read, run, report finished jobs. A line that is not finished
/// (an open quote, a trailing `|`, an `if` without its `fi`) is continued on the next, after
/// the continuation prompt `> `; Ctrl-C abandons the whole command.
fn interactive(shell: &mut Shell, mut editor: Editor) -> i32 {
    shell.interactive = true;
    for signal in run::JOB_CONTROL_SIGNALS {
        let _ = runtime::signal::ignore(signal);
    }
    println!("Ferrite shell. 'help' lists the builtins, 'ls /bin' the programs; Ctrl-D leaves.");
    let mut pending = String::new();
    while shell.exit.is_none() {
        let prompt = if pending.is_empty() {
            report_jobs(shell);
            prompt()
        } else {
            String::from(CONTINUATION_PROMPT)
        };
        let line = match editor.read(&prompt) {
            Line::Text(line) => line,
            Line::Cancelled => {
                pending.clear();
                continue;
            }
            Line::End if pending.is_empty() => break,
            Line::End => {
                eprintln!("sh: the command was not finished at the end of input; it did not run");
                pending.clear();
                continue;
            }
        };
        if !pending.is_empty() {
            pending.push('\n');
        }
        pending.push_str(&line);
        match shsyntax::parse(&pending) {
            Err(e) if e.is_incomplete() => continue,
            Ok(list) => {
                if !pending.trim().is_empty() {
                    shell.history.push(pending.clone());
                }
                shell.run_list(&list);
            }
            Err(e) => {
                shell.history.push(pending.clone());
                eprintln!("sh: {e}");
                shell.vars.status = SYNTAX;
            }
        }
        pending.clear();
    }
    shell.exit.unwrap_or(0)
}

/// The prompt for the next line of an unfinished command, as POSIX's `PS2` defaults.
const CONTINUATION_PROMPT: &str = "> ";

/// Announces background jobs that have ended.
fn report_jobs(shell: &mut Shell) {
    shell.jobs.poll();
    for job in shell.jobs.take_done() {
        let how = match job.status {
            Some(status) if runtime::abi::wait::exited(status) => {
                match runtime::abi::wait::exit_code(status) {
                    0 => String::from("Done"),
                    code => format!("Exit {code}"),
                }
            }
            Some(status) => {
                let signal = runtime::abi::wait::term_signal(status);
                String::from(runtime::abi::signal::signal_name(signal).unwrap_or("Killed"))
            }
            None => String::from("Done"),
        };
        println!("[{}] {how}  {}", job.number, job.text);
    }
}

/// The prompt: the working directory, then `$`.
fn prompt() -> String {
    let mut buf = [0u8; 4096];
    let cwd = sys::getcwd(&mut buf).unwrap_or("?");
    format!("{cwd} $ ")
}

/// Runs a script's lines; a line left incomplete (an open quote, a trailing `|`) continues on
/// the next. Stops at the first syntax error.
fn script(shell: &mut Shell, mut lines: Plain, name: &str) -> i32 {
    let mut pending = String::new();
    let mut number = 0;
    // The line the command being collected started on (for the message if it never ends).
    let mut first = 1;
    while shell.exit.is_none() {
        let line = match lines.read() {
            Line::Text(line) => line,
            Line::End | Line::Cancelled => break,
        };
        number += 1;
        if pending.is_empty() {
            first = number;
        } else {
            pending.push('\n');
        }
        pending.push_str(&line);
        match shsyntax::parse(&pending) {
            Ok(list) => {
                shell.run_list(&list);
                pending.clear();
            }
            Err(e) if e.is_incomplete() => {}
            Err(e) => {
                eprintln!("sh: {name}: line {number}: {e}");
                return SYNTAX;
            }
        }
    }
    if !pending.is_empty() {
        if let Err(e) = shsyntax::parse(&pending) {
            eprintln!("sh: {name}: line {first}: {e} (at the end of the file)");
            return SYNTAX;
        }
    }
    shell.exit.unwrap_or(shell.vars.status)
}

/// The builtins and the programs in `/bin`, for Tab to complete (kept for the shell's life).
fn program_names() -> &'static [&'static str] {
    let mut names: Vec<&'static str> = builtins::names().collect();
    if let Ok(entries) = runtime::fs::read_dir("/bin") {
        for entry in entries {
            if entry.name != "." && entry.name != ".." {
                names.push(Box::leak(entry.name.into_boxed_str()));
            }
        }
    }
    names.sort_unstable();
    names.dedup();
    Box::leak(names.into_boxed_slice())
}
