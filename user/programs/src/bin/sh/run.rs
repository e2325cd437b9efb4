//! Running what the parser built: lists, and-or chains, pipelines, commands.
//!
//! A pipeline of *n* programs is built from four system calls, in this order:
//!
//! 1. `pipe` *n − 1* times: one pipe between each two neighbours;
//! 2. `fork` *n* times; each child puts itself in the job's process group (`setpgid`), makes
//!    the pipe ends its standard input and output (`dup2`), **closes every other pipe
//!    descriptor** (a reader only sees end of file once no writer is left, and a forgotten copy
//!    in any process is a writer), applies its redirections, and `execve`s its program;
//! 3. the shell closes its own copies of all the pipe descriptors, for the same reason;
//! 4. for a foreground job, the shell hands the terminal to the job's group (`TIOCSPGRP`, so
//!    Ctrl-C reaches the job and not the shell), waits for every child, and takes the terminal
//!    back.
//!
//! Builtins that change the shell itself (`cd`, `exit`, `export`...) run in the shell's own
//! process when they stand alone; in a pipeline they run in a child like any program.

use crate::builtins;
use crate::jobs::Jobs;
use crate::vars::Vars;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use runtime::abi::fcntl::*;
use runtime::abi::{self, wait, Errno};
use runtime::{eprintln, sys};
use shsyntax::{AndOr, Command, Connector, List, Pipeline, RedirKind, Separator};

/// Exit status for a command that was not found (as every POSIX shell reports it).
pub const NOT_FOUND: i32 = 127;
/// Exit status for a command that was found but could not be run.
pub const CANNOT_RUN: i32 = 126;
/// Status added to a signal's number when a program was killed by it (`$?` after Ctrl-C is 130).
const SIGNAL_BASE: i32 = 128;
/// Status of a command whose redirection failed.
const REDIRECT_FAILED: i32 = 1;

/// The shell's state while running commands.
pub struct Shell {
    /// Variables and special parameters.
    pub vars: Vars,
    /// Background jobs.
    pub jobs: Jobs,
    /// Whether it reads from a terminal (then it hands the terminal to foreground jobs).
    pub interactive: bool,
    /// Set by `exit`: the status to end with.
    pub exit: Option<i32>,
    /// The shell's own process group.
    pub group: u32,
    /// Whether each pipeline gets a process group of its own (job control). Not in the child
    /// shell that runs a background chain (`a && b &`): its programs stay in its group, the
    /// job's, so `kill %N` reaches them too.
    pub job_groups: bool,
    /// The lines typed this session, oldest first, for `history`.
    pub history: Vec<String>,
}

impl Shell {
    /// Runs a parsed line; returns the status of its last command.
    pub fn run_list(&mut self, list: &List) -> i32 {
        for (and_or, separator) in &list.items {
            if self.exit.is_some() {
                break;
            }
            let status = match separator {
                Separator::Sequential => self.run_and_or(and_or),
                Separator::Background => {
                    self.start_background(and_or);
                    0
                }
            };
            self.vars.status = status;
        }
        self.vars.status
    }

    /// Runs `a && b || c`: each pipeline decides whether the next runs.
    fn run_and_or(&mut self, and_or: &AndOr) -> i32 {
        let mut status = self.run_pipeline(&and_or.first, true);
        for (connector, pipeline) in &and_or.rest {
            if self.exit.is_some() {
                break;
            }
            let runs = match connector {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if runs {
                self.vars.status = status;
                status = self.run_pipeline(pipeline, true);
            }
        }
        status
    }

    /// Starts `and_or` without waiting: a single pipeline as its own job, a longer chain in a
    /// child shell that runs it.
    fn start_background(&mut self, and_or: &AndOr) {
        let pids = if and_or.rest.is_empty() {
            self.launch(&and_or.first, false)
        } else {
            match sys::fork() {
                Ok(0) => {
                    let _ = sys::setpgid(0, 0);
                    self.interactive = false;
                    self.job_groups = false;
                    let status = self.run_and_or(and_or);
                    sys::exit_group(status)
                }
                Ok(pid) => {
                    let _ = sys::setpgid(pid, pid);
                    alloc::vec![pid]
                }
                Err(e) => {
                    eprintln!(
                        "sh: cannot start a job: {}",
                        runtime::cli::describe_fork_error(e)
                    );
                    Vec::new()
                }
            }
        };
        if let Some(&last) = pids.last() {
            self.vars.last_background = Some(last);
            let number = self.jobs.add(pids, format!("{and_or}"));
            if self.interactive {
                runtime::println!("[{number}] {last}");
            }
        }
    }

    /// Runs a pipeline; waits for it when `foreground`. Returns its status.
    fn run_pipeline(&mut self, pipeline: &Pipeline, foreground: bool) -> i32 {
        let status = match pipeline.commands.as_slice() {
            [single] if builtins::is_special(self, single) => self.run_in_shell(single),
            _ => {
                let pids = self.launch(pipeline, foreground);
                self.wait_foreground(&pids)
            }
        };
        if pipeline.negated {
            i32::from(status == 0)
        } else {
            status
        }
    }

    /// Runs a builtin in the shell's own process, its redirections applied for the time it runs.
    fn run_in_shell(&mut self, command: &Command) -> i32 {
        let words = self.expand_words(command);
        let mut saved = Vec::new();
        let status = match self.redirect(command, Some(&mut saved)) {
            Ok(()) if words.is_empty() => {
                // `NAME=value` alone sets a shell variable.
                for assignment in &command.assignments {
                    let value = shsyntax::expand_single(&assignment.value, &self.vars);
                    self.vars.set(&assignment.name, value);
                }
                0
            }
            Ok(()) => builtins::run(self, &words),
            Err(()) => REDIRECT_FAILED,
        };
        for (fd, copy) in saved.into_iter().rev() {
            match copy {
                Some(copy) => {
                    let _ = sys::dup2(copy, fd);
                    let _ = sys::close(copy);
                }
                None => {
                    let _ = sys::close(fd);
                }
            }
        }
        status
    }

    /// The words of `command`, expanded into fields.
    fn expand_words(&self, command: &Command) -> Vec<String> {
        command
            .words
            .iter()
            .flat_map(|word| shsyntax::expand_word(word, &self.vars))
            .collect()
    }

    /// Forks one child per command, connected by pipes, in one new process group; returns
    /// their pids.
    fn launch(&mut self, pipeline: &Pipeline, foreground: bool) -> Vec<u32> {
        let count = pipeline.commands.len();
        let mut pipes = Vec::new();
        for _ in 1..count {
            match sys::pipe2(O_CLOEXEC) {
                Ok(ends) => pipes.push(ends),
                Err(e) => {
                    eprintln!("sh: cannot make a pipe: {}", e.description());
                    close_pipes(&pipes);
                    return Vec::new();
                }
            }
        }
        let mut pids = Vec::new();
        let mut group = 0;
        for (i, command) in pipeline.commands.iter().enumerate() {
            match sys::fork() {
                Ok(0) => {
                    if self.job_groups {
                        let _ = sys::setpgid(0, group);
                    }
                    if foreground && self.interactive && i == 0 {
                        give_terminal(sys::getpgrp());
                    }
                    if i > 0 {
                        let _ = sys::dup2(pipes[i - 1].0, 0);
                    }
                    if i + 1 < count {
                        let _ = sys::dup2(pipes[i].1, 1);
                    }
                    close_pipes(&pipes);
                    sys::exit_group(self.run_child(command))
                }
                Ok(pid) => {
                    if self.job_groups {
                        if group == 0 {
                            group = pid;
                        }
                        // Both sides set the group, so it is in place whichever runs first.
                        let _ = sys::setpgid(pid, group);
                    }
                    pids.push(pid);
                }
                Err(e) => {
                    eprintln!(
                        "sh: cannot start {}: {}",
                        command_name(command),
                        runtime::cli::describe_fork_error(e)
                    );
                    break;
                }
            }
        }
        close_pipes(&pipes);
        if foreground && self.interactive && group != 0 {
            give_terminal(group);
        }
        pids
    }

    /// In a child: applies the redirections and runs the command; returns only a status to
    /// exit with.
    fn run_child(&mut self, command: &Command) -> i32 {
        self.interactive = false;
        if self.redirect(command, None).is_err() {
            return REDIRECT_FAILED;
        }
        let words = self.expand_words(command);
        let Some(name) = words.first() else {
            // Only assignments and redirections: nothing to run.
            return 0;
        };
        if builtins::is_builtin(name) {
            return builtins::run(self, &words);
        }
        let assignments: Vec<(String, String)> = command
            .assignments
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    shsyntax::expand_single(&a.value, &self.vars),
                )
            })
            .collect();
        exec(name, &words, &self.vars.environment(&assignments))
    }

    /// Applies `command`'s redirections in order. With `saved`, each descriptor's previous
    /// file is kept there (or `None` if it was closed), to be put back.
    fn redirect(
        &self,
        command: &Command,
        mut saved: Option<&mut Vec<(i32, Option<i32>)>>,
    ) -> Result<(), ()> {
        for redirection in &command.redirections {
            let fd = redirection.fd as i32;
            if let Some(saved) = saved.as_deref_mut() {
                let copy = sys::fcntl(fd, F_DUPFD_CLOEXEC, 10).ok().map(|c| c as i32);
                saved.push((fd, copy));
            }
            let opened = match &redirection.kind {
                RedirKind::DupOut(from) | RedirKind::DupIn(from) => {
                    sys::dup2(*from as i32, fd).map(drop).map_err(|e| {
                        eprintln!("sh: {from}: {}", e.description());
                    })
                }
                RedirKind::Read(word) | RedirKind::Write(word) | RedirKind::Append(word) => {
                    let path = shsyntax::expand_redirect_target(word, &self.vars).map_err(|e| {
                        eprintln!("sh: {e}");
                    })?;
                    let flags = match redirection.kind {
                        RedirKind::Read(_) => O_RDONLY,
                        RedirKind::Write(_) => O_WRONLY | O_CREAT | O_TRUNC,
                        _ => O_WRONLY | O_CREAT | O_APPEND,
                    };
                    open_onto(&path, flags, fd).map_err(|e| {
                        eprintln!("sh: {path}: {}", e.description());
                    })
                }
            };
            opened?;
        }
        Ok(())
    }

    /// Waits for every pid of a foreground job; returns the last one's status as `$?` reads.
    fn wait_foreground(&mut self, pids: &[u32]) -> i32 {
        let mut last = NOT_FOUND;
        for &pid in pids {
            let status = loop {
                match sys::wait4(pid as i32, 0) {
                    Ok(Some((_, status))) => break Some(status),
                    Ok(None) => {}
                    Err(Errno::EINTR) => {}
                    Err(_) => break None,
                }
            };
            if let Some(status) = status {
                last = status_code(status);
                if pid == *pids.last().unwrap_or(&0) {
                    report_signal(status);
                }
            }
        }
        if self.interactive && !pids.is_empty() {
            give_terminal(self.group);
        }
        last
    }
}

/// Makes `group` the terminal's foreground process group.
pub fn give_terminal(group: u32) {
    let group = group as i32;
    let _ = sys::ioctl_set(0, abi::tty::TIOCSPGRP, &group);
}

/// `$?` for a wait status: the exit code, or 128 plus the signal.
pub fn status_code(status: i32) -> i32 {
    if wait::exited(status) {
        i32::from(wait::exit_code(status))
    } else {
        SIGNAL_BASE + wait::term_signal(status)
    }
}

/// Says that a foreground program was killed (Ctrl-C's SIGINT only needs the line ended).
fn report_signal(status: i32) {
    if wait::exited(status) {
        return;
    }
    let signal = wait::term_signal(status);
    match signal {
        abi::signal::SIGINT => runtime::println!(),
        abi::signal::SIGPIPE => {}
        _ => {
            let name = abi::signal::signal_name(signal).unwrap_or("?");
            eprintln!("sh: killed by {name}");
        }
    }
}

/// Closes both ends of every pipe.
fn close_pipes(pipes: &[(i32, i32)]) {
    for &(reader, writer) in pipes {
        let _ = sys::close(reader);
        let _ = sys::close(writer);
    }
}

/// Opens `path` with `flags` and makes it descriptor `fd`.
fn open_onto(path: &str, flags: u32, fd: i32) -> Result<(), Errno> {
    /// Permissions asked for a file a redirection creates (the umask takes some away).
    const NEW_FILE_MODE: u32 = 0o666;
    let opened = sys::open(path, flags, NEW_FILE_MODE)?;
    if opened != fd {
        sys::dup2(opened, fd)?;
        sys::close(opened)?;
    }
    Ok(())
}

/// A command's name as typed, for messages.
fn command_name(command: &Command) -> String {
    command
        .words
        .first()
        .map_or_else(String::new, |w| format!("{w}"))
}

/// Finds `name` on `PATH` (or takes it as a path if it has a `/`) and runs it; returns only
/// on failure, with the status to exit with.
fn exec(name: &str, words: &[String], environment: &[Vec<u8>]) -> i32 {
    let argv_bytes: Vec<Vec<u8>> = words
        .iter()
        .map(|w| format!("{w}\0").into_bytes())
        .collect();
    let argv: Vec<&[u8]> = argv_bytes.iter().map(|a| a.as_slice()).collect();
    let envp: Vec<&[u8]> = environment.iter().map(|e| e.as_slice()).collect();
    let candidates: Vec<String> = if name.contains('/') {
        alloc::vec![String::from(name)]
    } else {
        let path = environment
            .iter()
            .find_map(|e| e.strip_prefix(b"PATH="))
            .map(|p| String::from_utf8_lossy(p.strip_suffix(b"\0").unwrap_or(p)).into_owned())
            .unwrap_or_else(|| String::from("/bin"));
        path.split(':')
            .filter(|dir| !dir.is_empty())
            .map(|dir| format!("{dir}/{name}"))
            .collect()
    };
    let mut denied = None;
    for candidate in &candidates {
        let Ok(stat) = sys::stat(candidate) else {
            continue;
        };
        if abi::stat::file_type(stat.st_mode) != abi::stat::S_IFREG {
            continue;
        }
        let path = format!("{candidate}\0");
        let error = sys::execve(path.as_bytes(), &argv, &envp);
        denied = Some((candidate.clone(), error));
    }
    match denied {
        Some((path, error)) => {
            eprintln!("sh: {path}: {}", error.description());
            CANNOT_RUN
        }
        None if name.contains('/') => {
            eprintln!("sh: {name}: No such file or directory");
            NOT_FOUND
        }
        None => {
            eprintln!("sh: {name}: command not found");
            NOT_FOUND
        }
    }
}
