//! The commands the shell runs itself: those that change the shell (`cd`, `exit`, `export`,
//! `unset`, `wait`) or only make sense inside it (`jobs`, `history`), plus `help`.

use crate::run::Shell;
use crate::vars;
use alloc::string::String;
use runtime::{eprintln, println, sys};
use shsyntax::Command;

/// The builtins, with one line each for `help`.
const BUILTINS: [(&str, &str); 10] = [
    (
        "cd",
        "cd [DIR]: change the working directory (default $HOME)",
    ),
    ("exit", "exit [STATUS]: leave the shell"),
    (
        "export",
        "export [NAME[=VALUE]...]: give variables to the programs the shell starts",
    ),
    ("unset", "unset NAME...: forget variables"),
    ("jobs", "jobs: list the background jobs"),
    (
        "kill",
        "kill [-SIGNAL] PID|%JOB...: send a signal (default TERM) to processes or jobs; kill -l lists them",
    ),
    (
        "wait",
        "wait [%N|PID]: wait for a background job (default: all of them)",
    ),
    ("pwd", "pwd: print the working directory"),
    (
        "history",
        "history: the lines typed so far (Up and Down recall them)",
    ),
    ("help", "help: this list"),
];

/// The status of a builtin used wrongly.
const USAGE: i32 = 2;

/// Whether `name` is a builtin.
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|(n, _)| *n == name)
}

/// Whether `command` must run in the shell's own process: a builtin, or only assignments.
pub fn is_special(shell: &Shell, command: &Command) -> bool {
    match command.words.first() {
        None => true,
        Some(word) => shsyntax::expand_word(word, &shell.vars)
            .first()
            .is_some_and(|name| is_builtin(name)),
    }
}

/// Runs builtin `words[0]` (or, with no words, the command's assignments); returns its status.
pub fn run(shell: &mut Shell, words: &[String]) -> i32 {
    let args: alloc::vec::Vec<&str> = words.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => 0,
        ["cd"] => cd(shell, None),
        ["cd", dir] => cd(shell, Some(dir)),
        ["cd", ..] => usage("cd [DIR]"),
        ["exit"] => {
            shell.exit = Some(shell.vars.status);
            shell.vars.status
        }
        ["exit", code] => match code.parse::<i32>() {
            Ok(code) => {
                shell.exit = Some(code & 0xff);
                code & 0xff
            }
            Err(_) => usage("exit [STATUS]"),
        },
        ["export"] => {
            for line in shell.vars.listing() {
                println!("{line}");
            }
            0
        }
        ["export", names @ ..] => set_each(shell, names, true),
        ["unset", names @ ..] => {
            for name in names {
                shell.vars.unset(name);
            }
            0
        }
        ["jobs"] => {
            shell.jobs.poll();
            for job in shell.jobs.list() {
                let state = if job.pids.is_empty() {
                    "Done"
                } else {
                    "Running"
                };
                println!("[{}] {} {state}  {}", job.number, job.last, job.text);
            }
            0
        }
        ["kill", rest @ ..] => kill(shell, rest),
        ["wait"] => shell.jobs.wait(None).unwrap_or(0),
        ["wait", which] => {
            let number = shell.jobs.find(which).map(|j| j.number);
            let number = number.or_else(|| {
                let pid: u32 = which.parse().ok()?;
                shell.jobs.list().find(|j| j.last == pid).map(|j| j.number)
            });
            match number.and_then(|n| shell.jobs.wait(Some(n))) {
                Some(status) => status,
                None => {
                    eprintln!("sh: wait: {which}: no such job");
                    NO_SUCH_JOB
                }
            }
        }
        ["pwd"] => {
            let mut buf = [0u8; 4096];
            match sys::getcwd(&mut buf) {
                Ok(path) => {
                    println!("{path}");
                    0
                }
                Err(e) => {
                    eprintln!("sh: pwd: {}", e.description());
                    1
                }
            }
        }
        ["history"] => {
            for (i, line) in shell.history.iter().enumerate() {
                println!("{:5}  {line}", i + 1);
            }
            0
        }
        ["help"] => {
            println!("Builtins:");
            for (_, line) in BUILTINS {
                println!("  {line}");
            }
            println!("Programs are in /bin (ls /bin). Syntax: a | b, > f, >> f, < f, 2> f, 2>&1,");
            println!("a; b, a && b, a || b, a &, 'quotes', \"$VAR\", $?, NAME=value. Ctrl-C stops");
            println!("the program in front, Ctrl-D at an empty prompt leaves the shell.");
            0
        }
        [name, ..] => {
            eprintln!("sh: {name}: wrong arguments");
            USAGE
        }
    }
}

/// The status `wait` returns for a job that does not exist (bash's).
const NO_SUCH_JOB: i32 = 127;

/// Prints a usage line; returns the usage status.
fn usage(line: &str) -> i32 {
    eprintln!("usage: {line}");
    USAGE
}

/// `kill`: as `/bin/kill` ([`runtime::kill`]), and a target may be a job spec (`%1`, `%%`),
/// which names the job's whole process group, as in every shell with job control.
fn kill(shell: &mut Shell, words: &[&str]) -> i32 {
    use runtime::kill::{Mistake, Request};
    let (signal, targets) = match runtime::kill::parse(words) {
        Ok(Request::Send { signal, targets }) => (signal, targets),
        Ok(Request::List) => {
            let names: alloc::vec::Vec<&str> = runtime::kill::names().collect();
            println!("{}", names.join(" "));
            return 0;
        }
        Err(Mistake::UnknownSignal(name)) => {
            eprintln!("sh: kill: {name}: unknown signal");
            return usage(runtime::kill::USAGE);
        }
        Err(Mistake::NoTarget) => return usage(runtime::kill::USAGE),
    };
    shell.jobs.poll();
    let mut status = 0;
    for target in targets {
        let pid = if target.starts_with('%') {
            match shell.jobs.find(target) {
                Some(job) if !job.pids.is_empty() => Some(-(job.group as i32)),
                Some(_) => {
                    eprintln!("sh: kill: {target}: the job has ended");
                    status = 1;
                    continue;
                }
                None => None,
            }
        } else {
            target.parse::<i32>().ok()
        };
        let Some(pid) = pid else {
            eprintln!("sh: kill: {target}: no such job or process id");
            status = 1;
            continue;
        };
        if let Err(e) = runtime::kill::send(pid, signal) {
            eprintln!("sh: kill: {target}: {}", e.description());
            status = 1;
        }
    }
    status
}

/// `cd`.
fn cd(shell: &mut Shell, dir: Option<&str>) -> i32 {
    let target = match dir {
        Some(dir) => String::from(dir),
        None => String::from(shell.vars.get("HOME").unwrap_or("/")),
    };
    match sys::chdir(&target) {
        Ok(()) => {
            let mut buf = [0u8; 4096];
            if let Ok(path) = sys::getcwd(&mut buf) {
                let path = String::from(path);
                shell.vars.set("PWD", path);
            }
            0
        }
        Err(e) => {
            eprintln!("sh: cd: {target}: {}", e.description());
            1
        }
    }
}

/// `export NAME[=VALUE]...`.
fn set_each(shell: &mut Shell, names: &[&str], export: bool) -> i32 {
    let mut status = 0;
    for item in names {
        let (name, value) = match item.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (*item, None),
        };
        if !vars::is_name(name) {
            eprintln!("sh: export: '{name}': not a valid name");
            status = 1;
            continue;
        }
        if let Some(value) = value {
            shell.vars.set(name, String::from(value));
        }
        if export {
            shell.vars.export(name);
        }
    }
    status
}
