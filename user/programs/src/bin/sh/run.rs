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
//! What changes the shell itself must run in the shell's own process when it stands alone:
//! builtins (`cd`, `exit`, `export`...), functions, and the compound commands `if`, `while`,
//! `for`, `case` and `{ ...; }`, whose bodies may hold such builtins (`if x; then cd /; fi`).
//! In a pipeline, each of them runs in a child like any program. `( ... )` always runs in a
//! child: that is what it is for.
//!
//! `break`, `continue` and `return` do not unwind anything: the builtin records them in
//! [`Shell::control`], and every list and loop checks it after each command, stopping early
//! and passing it outwards until the loop or function it is meant for takes it.

use crate::builtins;
use crate::jobs::Jobs;
use crate::vars::Vars;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::Cell;
use runtime::abi::fcntl::*;
use runtime::abi::{self, wait, Errno};
use runtime::{eprintln, sys};
use shsyntax::{
    AndOr, Command, Compound, CompoundCommand, Connector, Environment, List, Pipeline, RedirKind,
    Redirection, Separator, SimpleCommand, Word,
};

/// Exit status for a command that was not found (as every POSIX shell reports it).
pub const NOT_FOUND: i32 = 127;
/// Exit status for a command that was found but could not be run.
pub const CANNOT_RUN: i32 = 126;
/// Status added to a signal's number when a program was killed by it (`$?` after Ctrl-C is 130).
const SIGNAL_BASE: i32 = 128;
/// Status of a command whose redirection or expansion failed.
const FAILED: i32 = 1;
/// How deeply functions may call one another: each call runs on the shell's stack, which is
/// 128 KiB, so a runaway recursion stops with a message instead of a crash.
pub const MAX_CALL_DEPTH: usize = 32;

/// A pending change of the flow, set by `break`, `continue` and `return`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Nothing: run on.
    None,
    /// `break N`: leave N enclosing loops.
    Break(usize),
    /// `continue N`: leave N - 1 loops and start the next round of the Nth.
    Continue(usize),
    /// `return`: leave the function.
    Return,
}

/// The shell's state while running commands.
#[derive(Clone)]
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
    /// The functions defined so far, by name.
    pub functions: BTreeMap<String, Rc<CompoundCommand>>,
    /// A pending `break`, `continue` or `return`.
    pub control: Control,
    /// How many loops enclose what runs now (`break` and `continue` need one).
    pub loops: usize,
    /// How many function calls enclose what runs now (`return` needs one).
    pub calls: usize,
    /// The status of the last command substitution, which is `$?` for a command of
    /// assignments alone (`x=$(false)` fails). Expansion only reads the shell, hence a cell.
    pub substitution_status: Cell<Option<i32>>,
}

impl Shell {
    /// A shell with `vars`, no jobs and no functions.
    pub fn new(vars: Vars) -> Shell {
        Shell {
            vars,
            jobs: Jobs::default(),
            interactive: false,
            exit: None,
            group: sys::getpgrp(),
            job_groups: true,
            history: Vec::new(),
            functions: BTreeMap::new(),
            control: Control::None,
            loops: 0,
            calls: 0,
            substitution_status: Cell::new(None),
        }
    }

    /// Whether the list being run must stop now: `exit`, or a pending `break`, `continue` or
    /// `return`.
    fn stopping(&self) -> bool {
        self.exit.is_some() || self.control != Control::None
    }

    /// Runs a parsed line; returns the status of its last command.
    pub fn run_list(&mut self, list: &List) -> i32 {
        for (and_or, separator) in &list.items {
            if self.stopping() {
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
            if self.stopping() {
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
                    exit_child(status)
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
            [single] if self.runs_here(single) => self.run_here(single),
            _ => {
                let pids = self.launch(pipeline, foreground);
                self.wait_foreground(&pids, &format!("{pipeline}"))
            }
        };
        if pipeline.negated {
            i32::from(status == 0)
        } else {
            status
        }
    }

    /// Whether `command`, standing alone, runs in the shell's own process.
    fn runs_here(&self, command: &Command) -> bool {
        match command {
            Command::Simple(simple) => match simple.words.first() {
                None => true,
                // A command substitution in the name would run twice (here, then again when
                // the command runs): such a command runs in a child.
                Some(word) if has_substitution(word) => false,
                Some(word) => shsyntax::expand_word(word, self)
                    .ok()
                    .and_then(|fields| fields.into_iter().next())
                    .is_some_and(|name| {
                        builtins::is_builtin(&name) || self.functions.contains_key(&name)
                    }),
            },
            Command::Compound(compound) => !matches!(compound.kind, Compound::Subshell(_)),
            Command::Function(_) => true,
        }
    }

    /// Runs `command` in the shell's own process.
    fn run_here(&mut self, command: &Command) -> i32 {
        match command {
            Command::Simple(simple) => self.run_simple_here(simple),
            Command::Compound(compound) => self
                .with_redirections(&compound.redirections, |shell| {
                    shell.run_compound(&compound.kind)
                }),
            Command::Function(function) => {
                self.functions
                    .insert(function.name.clone(), Rc::new((*function.body).clone()));
                0
            }
        }
    }

    /// A builtin, a function call, or assignments alone, in the shell's own process.
    fn run_simple_here(&mut self, command: &SimpleCommand) -> i32 {
        self.substitution_status.set(None);
        let Some(words) = self.expand_words(&command.words) else {
            return FAILED;
        };
        self.with_redirections(&command.redirections, |shell| {
            if words.is_empty() {
                // `NAME=value` alone sets a shell variable.
                for assignment in &command.assignments {
                    let Some(value) = shell.expand_one(&assignment.value) else {
                        return FAILED;
                    };
                    shell.vars.set(&assignment.name, value);
                }
                return shell.substitution_status.get().unwrap_or(0);
            }
            match shell.functions.get(&words[0]).cloned() {
                Some(body) => shell.call(&body, &words),
                None => builtins::run(shell, &words),
            }
        })
    }

    /// Runs `body` with `redirections` applied, and the descriptors put back afterwards.
    fn with_redirections(
        &mut self,
        redirections: &[Redirection],
        body: impl FnOnce(&mut Shell) -> i32,
    ) -> i32 {
        let mut saved = Vec::new();
        let status = match self.redirect(redirections, Some(&mut saved)) {
            Ok(()) => body(self),
            Err(()) => FAILED,
        };
        // Whatever the body printed goes out before its redirections are undone.
        runtime::print::flush();
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

    /// Calls the function `body` with `words` (its name, then its arguments as `$1`...).
    pub fn call(&mut self, body: &CompoundCommand, words: &[String]) -> i32 {
        if self.calls >= MAX_CALL_DEPTH {
            eprintln!(
                "sh: {}: functions nested too deeply ({MAX_CALL_DEPTH} calls)",
                words[0]
            );
            return FAILED;
        }
        let saved = core::mem::replace(&mut self.vars.positional, words[1..].to_vec());
        let loops = core::mem::replace(&mut self.loops, 0);
        self.calls += 1;
        let status =
            self.with_redirections(&body.redirections, |shell| shell.run_compound(&body.kind));
        self.calls -= 1;
        self.loops = loops;
        self.vars.positional = saved;
        if self.control == Control::Return {
            self.control = Control::None;
            return self.vars.status;
        }
        status
    }

    /// Runs a compound command (its redirections already applied).
    fn run_compound(&mut self, kind: &Compound) -> i32 {
        match kind {
            Compound::Group(list) => self.run_list(list),
            Compound::Subshell(list) => self.subshell(list),
            Compound::If {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    let status = self.run_list(condition);
                    if self.stopping() {
                        return status;
                    }
                    if status == 0 {
                        return self.run_list(body);
                    }
                }
                match otherwise {
                    Some(body) => self.run_list(body),
                    None => 0,
                }
            }
            Compound::While {
                until,
                condition,
                body,
            } => self.run_loop(|shell| {
                let test = shell.run_list(condition);
                if shell.stopping() || (test == 0) == *until {
                    return None;
                }
                Some(shell.run_list(body))
            }),
            Compound::For { name, words, body } => {
                let values = match words {
                    Some(words) => match self.expand_words(words) {
                        Some(values) => values,
                        None => return FAILED,
                    },
                    None => self.vars.positional.clone(),
                };
                let mut values = values.into_iter();
                self.run_loop(|shell| {
                    shell.vars.set(name, values.next()?);
                    Some(shell.run_list(body))
                })
            }
            Compound::Case { word, arms } => {
                let Some(subject) = self.expand_one(word) else {
                    return FAILED;
                };
                for arm in arms {
                    for pattern in &arm.patterns {
                        let pattern = match shsyntax::expand_pattern(pattern, self) {
                            Ok(pattern) => pattern,
                            Err(e) => {
                                eprintln!("sh: {e}");
                                return FAILED;
                            }
                        };
                        if shsyntax::glob::matches(&pattern, &subject) {
                            return self.run_list(&arm.body);
                        }
                    }
                }
                0
            }
        }
    }

    /// Runs a loop: `round` runs one round and gives its body's status, or `None` when the
    /// loop is over (the condition failed, the words ran out). Between rounds, takes a `break`
    /// or `continue` meant for this loop. The status is the last body's, 0 if none ran.
    fn run_loop(&mut self, mut round: impl FnMut(&mut Shell) -> Option<i32>) -> i32 {
        let mut status = 0;
        self.loops += 1;
        while let Some(last) = round(self) {
            status = last;
            if !self.next_round() {
                break;
            }
        }
        self.loops -= 1;
        self.vars.status = status;
        status
    }

    /// After a loop's body: takes a `break` or `continue` meant for this loop; returns whether
    /// the loop goes on.
    fn next_round(&mut self) -> bool {
        match self.control {
            Control::None => self.exit.is_none(),
            Control::Break(1) => {
                self.control = Control::None;
                false
            }
            Control::Continue(1) => {
                self.control = Control::None;
                true
            }
            Control::Break(n) => {
                self.control = Control::Break(n - 1);
                false
            }
            Control::Continue(n) => {
                self.control = Control::Continue(n - 1);
                false
            }
            Control::Return => false,
        }
    }

    /// `( list )`: the list in a child, a copy of the shell; returns its status.
    fn subshell(&mut self, list: &List) -> i32 {
        runtime::print::flush();
        match sys::fork() {
            Ok(0) => {
                self.interactive = false;
                let status = self.run_list(list);
                exit_child(self.exit.unwrap_or(status))
            }
            Ok(pid) => self.wait_foreground(&[pid], "( ... )"),
            Err(e) => {
                eprintln!(
                    "sh: cannot start a subshell: {}",
                    runtime::cli::describe_fork_error(e)
                );
                FAILED
            }
        }
    }

    /// The fields of `words`, expanded; `None` (the error reported) if one could not be.
    pub fn expand_words(&self, words: &[Word]) -> Option<Vec<String>> {
        let mut fields = Vec::new();
        for word in words {
            match shsyntax::expand_word(word, self) {
                Ok(expanded) => fields.extend(expanded),
                Err(e) => {
                    eprintln!("sh: {e}");
                    return None;
                }
            }
        }
        Some(fields)
    }

    /// `word` expanded as one string (an assignment's value, a `case` subject).
    fn expand_one(&self, word: &Word) -> Option<String> {
        shsyntax::expand_single(word, self)
            .map_err(|e| eprintln!("sh: {e}"))
            .ok()
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
        // The children inherit the output buffer: empty it first, or each would print it.
        runtime::print::flush();
        for (i, command) in pipeline.commands.iter().enumerate() {
            match sys::fork() {
                Ok(0) => {
                    if self.job_groups {
                        let _ = sys::setpgid(0, group);
                    }
                    if foreground && self.interactive && i == 0 {
                        give_terminal(sys::getpgrp());
                    }
                    // The shell ignores the job-control signals; its programs obey them.
                    for signal in JOB_CONTROL_SIGNALS {
                        let _ = runtime::signal::default(signal);
                    }
                    if i > 0 {
                        let _ = sys::dup2(pipes[i - 1].0, 0);
                    }
                    if i + 1 < count {
                        let _ = sys::dup2(pipes[i].1, 1);
                    }
                    close_pipes(&pipes);
                    let status = self.run_child(command);
                    exit_child(status)
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

    /// In a child: runs `command` there; returns only a status to exit with.
    fn run_child(&mut self, command: &Command) -> i32 {
        self.interactive = false;
        self.job_groups = false;
        let command = match command {
            Command::Simple(simple) => simple,
            Command::Compound(compound) => {
                if self.redirect(&compound.redirections, None).is_err() {
                    return FAILED;
                }
                return self.run_compound(&compound.kind);
            }
            Command::Function(_) => return self.run_here(command),
        };
        if self.redirect(&command.redirections, None).is_err() {
            return FAILED;
        }
        let Some(words) = self.expand_words(&command.words) else {
            return FAILED;
        };
        let Some(name) = words.first() else {
            // Only assignments and redirections: nothing to run.
            return 0;
        };
        if let Some(body) = self.functions.get(name).cloned() {
            return self.call(&body, &words);
        }
        if builtins::is_builtin(name) {
            return builtins::run(self, &words);
        }
        let mut assignments = Vec::new();
        for a in &command.assignments {
            let Some(value) = self.expand_one(&a.value) else {
                return FAILED;
            };
            assignments.push((a.name.clone(), value));
        }
        exec(name, &words, &self.vars.environment(&assignments))
    }

    /// Applies `redirections` in order. With `saved`, each descriptor's previous file is kept
    /// there (or `None` if it was closed), to be put back.
    fn redirect(
        &self,
        redirections: &[Redirection],
        mut saved: Option<&mut Vec<(i32, Option<i32>)>>,
    ) -> Result<(), ()> {
        for redirection in redirections {
            let fd = redirection.fd as i32;
            if let Some(saved) = saved.as_deref_mut() {
                runtime::print::flush();
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
                    let path = shsyntax::expand_redirect_target(word, self).map_err(|e| {
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

    /// Waits for every pid of a foreground job (`text` is its command line); returns the last
    /// one's status as `$?` reads. If the job stops instead (Ctrl-Z), it becomes a stopped job
    /// that `fg` and `bg` resume, and `$?` is 128 plus the stop signal, as bash says.
    pub fn wait_foreground(&mut self, pids: &[u32], text: &str) -> i32 {
        use runtime::abi::wait::WUNTRACED;
        // Only an interactive shell does job control; a script waits until the end.
        let options = if self.interactive { WUNTRACED } else { 0 };
        let mut last = NOT_FOUND;
        let mut stopped_by = None;
        let mut left = Vec::new();
        for &pid in pids {
            let status = loop {
                match sys::wait4(pid as i32, options) {
                    Ok(Some((_, status))) => break Some(status),
                    Ok(None) => {}
                    Err(Errno::EINTR) => {}
                    Err(_) => break None,
                }
            };
            match status {
                Some(status) if wait::stopped(status) => {
                    stopped_by = Some(wait::stop_signal(status));
                    left.push(pid);
                }
                Some(status) => {
                    last = status_code(status);
                    if pid == *pids.last().unwrap_or(&0) {
                        report_signal(status);
                    }
                }
                None => {}
            }
        }
        if self.interactive && !pids.is_empty() {
            give_terminal(self.group);
        }
        if let Some(signal) = stopped_by {
            let number = self.jobs.add_stopped(left, String::from(text));
            runtime::println!();
            runtime::println!("[{number}]+  Stopped  {text}");
            return SIGNAL_BASE + signal;
        }
        last
    }
}

impl Environment for Shell {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.var(name)
    }

    fn positional(&self) -> Vec<String> {
        self.vars.positional.clone()
    }

    /// Runs `list` in a child, a copy of the shell, with its standard output a pipe, and
    /// reads the pipe to its end.
    fn command_output(&self, list: &List) -> String {
        let Ok((reader, writer)) = sys::pipe2(O_CLOEXEC) else {
            eprintln!("sh: cannot make a pipe for $(...)");
            return String::new();
        };
        runtime::print::flush();
        match sys::fork() {
            Ok(0) => {
                let _ = sys::dup2(writer, 1);
                let _ = sys::close(reader);
                let _ = sys::close(writer);
                let mut child = self.clone();
                child.interactive = false;
                child.job_groups = false;
                let status = child.run_list(list);
                exit_child(child.exit.unwrap_or(status))
            }
            Ok(pid) => {
                let _ = sys::close(writer);
                let output = runtime::fs::read_to_end(reader).unwrap_or_default();
                let _ = sys::close(reader);
                let status = loop {
                    match sys::wait4(pid as i32, 0) {
                        Ok(Some((_, status))) => break status_code(status),
                        Err(Errno::EINTR) | Ok(None) => {}
                        Err(_) => break FAILED,
                    }
                };
                self.substitution_status.set(Some(status));
                String::from_utf8_lossy(&output).into_owned()
            }
            Err(e) => {
                let _ = sys::close(reader);
                let _ = sys::close(writer);
                eprintln!(
                    "sh: cannot run $(...): {}",
                    runtime::cli::describe_fork_error(e)
                );
                String::new()
            }
        }
    }

    fn read_dir(&self, dir: &str) -> Option<Vec<String>> {
        runtime::fs::read_dir(dir)
            .ok()
            .map(|entries| entries.into_iter().map(|e| e.name).collect())
    }
}

/// Whether `word` has a `$(...)` or `$((...))` in it.
fn has_substitution(word: &Word) -> bool {
    use shsyntax::{QuotedPart, WordPart};
    word.parts.iter().any(|part| match part {
        WordPart::Command(_) | WordPart::Arithmetic(_) => true,
        WordPart::DoubleQuoted(inner) => inner
            .iter()
            .any(|q| matches!(q, QuotedPart::Command(_) | QuotedPart::Arithmetic(_))),
        _ => false,
    })
}

/// Ends a child of the shell with `status`, its buffered output written first.
fn exit_child(status: i32) -> ! {
    runtime::print::flush();
    sys::exit_group(status)
}

/// The signals an interactive shell ignores so that only its jobs stop: Ctrl-Z's, and the ones
/// a background process gets for using the terminal (the shell itself hands the terminal to
/// its jobs and takes it back, from the background).
pub const JOB_CONTROL_SIGNALS: [i32; 3] = [
    abi::signal::SIGTSTP,
    abi::signal::SIGTTIN,
    abi::signal::SIGTTOU,
];

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
    match command {
        Command::Simple(simple) => simple
            .words
            .first()
            .map_or_else(String::new, |w| format!("{w}")),
        other => format!("{other}"),
    }
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
