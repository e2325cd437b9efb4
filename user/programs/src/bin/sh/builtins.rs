//! The commands the shell runs itself: those that change the shell (`cd`, `exit`, `export`,
//! `unset`, `wait`, `read`, `shift`, `break`, `continue`, `return`, `eval`) or only make sense
//! inside it (`jobs`, `history`), `test` and `[` (which every `if` asks, and which need no
//! process of their own), plus `help`.

use crate::run::{Control, Shell};
use crate::vars;
use alloc::string::String;
use alloc::vec::Vec;
use runtime::{eprintln, println, sys};

/// The builtins, with one line each for `help`.
const BUILTINS: [(&str, &str); 23] = [
    (
        "cd",
        "cd [DIR | -]: change the working directory (default $HOME; - is the previous one)",
    ),
    ("exit", "exit [STATUS]: leave the shell"),
    (
        "export",
        "export [NAME[=VALUE]...]: give variables to the programs the shell starts",
    ),
    ("unset", "unset NAME...: forget variables"),
    ("jobs", "jobs: list the jobs: running in the background, or stopped (Ctrl-Z)"),
    (
        "fg",
        "fg [%N]: bring a job to the foreground, continuing it if stopped (default: the newest)",
    ),
    ("bg", "bg [%N]: continue a stopped job in the background (default: the newest)"),
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
    (
        "test",
        "test EXPR, [ EXPR ]: -f/-d/-e/-s/-x FILE, -n/-z STR, A = B, A != B, N -eq/-lt/... M, !, -a, -o",
    ),
    ("[", "[ EXPR ]: the same as test"),
    (
        "read",
        "read [-r] [NAME...]: read a line into variables (REPLY if none), split at blanks",
    ),
    ("shift", "shift [N]: drop the first N positional parameters (default 1)"),
    ("break", "break [N]: leave the innermost (or Nth) enclosing loop"),
    ("continue", "continue [N]: start the next round of the innermost (or Nth) loop"),
    ("return", "return [STATUS]: leave the function (status default $?)"),
    ("eval", "eval ARGS...: run the arguments, joined by blanks, as a command line"),
    (":", ": [ARGS...]: do nothing, successfully"),
    ("true", "true: succeed"),
    ("false", "false: fail"),
    ("kill", "kill [-SIGNAL] PID|%JOB...: send a signal (default TERM); kill -l lists them"),
];

/// The status of a builtin used wrongly.
const USAGE: i32 = 2;

/// Whether `name` is a builtin.
pub fn is_builtin(name: &str) -> bool {
    BUILTINS.iter().any(|(n, _)| *n == name)
}

/// Every builtin's name, for Tab completion.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|(name, _)| *name)
}

/// Runs builtin `words[0]` (or, with no words, the command's assignments); returns its status.
pub fn run(shell: &mut Shell, words: &[String]) -> i32 {
    let args: alloc::vec::Vec<&str> = words.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => 0,
        ["cd"] => cd(shell, None),
        ["cd", "-"] => {
            let Some(previous) = shell.vars.get("OLDPWD").map(String::from) else {
                eprintln!("sh: cd: OLDPWD is not set");
                return 1;
            };
            let status = cd(shell, Some(&previous));
            if status == 0 {
                println!("{previous}");
            }
            status
        }
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
                } else if job.stopped {
                    "Stopped"
                } else {
                    "Running"
                };
                println!("[{}] {} {state}  {}", job.number, job.last, job.text);
            }
            0
        }
        ["kill", rest @ ..] => kill(shell, rest),
        ["fg"] => foreground(shell, "%+"),
        ["fg", spec] => foreground(shell, spec),
        ["bg"] => background(shell, "%+"),
        ["bg", spec] => background(shell, spec),
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
            println!(
                "a; b, a && b, a || b, a &, 'quotes', \"$VAR\", $?, NAME=value, *.txt, $(cmd),"
            );
            println!("$((1 + 2)), if/elif/else/fi, while/until ... do ... done, for x in ...; do ...; done,");
            println!(
                "case $x in a|b) ...;; esac, f() {{ ...; }}, {{ ...; }}, ( ... ). Ctrl-C stops the"
            );
            println!("program in front, Ctrl-D at an empty prompt leaves the shell.");
            0
        }
        [":" | "true", ..] => 0,
        ["false", ..] => 1,
        ["test", rest @ ..] => test(rest, "test"),
        ["[", rest @ ..] => match rest.split_last() {
            Some((&"]", inner)) => test(inner, "["),
            _ => {
                eprintln!("sh: [: missing ']'");
                USAGE
            }
        },
        ["read", rest @ ..] => read(shell, rest),
        ["shift"] => shift(shell, "1"),
        ["shift", n] => shift(shell, n),
        ["break" | "continue", rest @ ..] => loop_control(shell, args[0], rest),
        ["return"] => {
            let status = shell.vars.status;
            give_back(shell, status)
        }
        ["return", code] => match code.parse::<i32>() {
            Ok(code) => give_back(shell, code & 0xff),
            Err(_) => usage("return [STATUS]"),
        },
        ["eval", rest @ ..] => {
            let line = rest.join(" ");
            match shsyntax::parse(&line) {
                Ok(list) => shell.run_list(&list),
                Err(e) => {
                    eprintln!("sh: eval: {e}");
                    USAGE
                }
            }
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

/// The number of the job `spec` names (`%N`, `%+`, or a bare `N`), with a message if none.
fn job_number(shell: &mut Shell, command: &str, spec: &str) -> Option<usize> {
    shell.jobs.poll();
    let spec = if spec.starts_with('%') {
        String::from(spec)
    } else {
        alloc::format!("%{spec}")
    };
    match shell.jobs.find(&spec) {
        Some(job) if !job.pids.is_empty() => Some(job.number),
        _ => {
            eprintln!("sh: {command}: {spec}: no such job");
            None
        }
    }
}

/// `fg`: hands the terminal to the job, continues it, and waits for it as for any foreground
/// command (it may stop again).
fn foreground(shell: &mut Shell, spec: &str) -> i32 {
    let Some(number) = job_number(shell, "fg", spec) else {
        return 1;
    };
    let Some(job) = shell.jobs.take(number) else {
        return 1;
    };
    println!("{}", job.text);
    crate::run::give_terminal(job.group);
    let _ = runtime::kill::send(-(job.group as i32), runtime::abi::signal::SIGCONT);
    shell.wait_foreground(&job.pids, &job.text)
}

/// `bg`: continues a stopped job where it is, in the background.
fn background(shell: &mut Shell, spec: &str) -> i32 {
    let Some(number) = job_number(shell, "bg", spec) else {
        return 1;
    };
    let Some(group) = shell
        .jobs
        .find(&alloc::format!("%{number}"))
        .map(|j| j.group)
    else {
        return 1;
    };
    if let Err(e) = runtime::kill::send(-(group as i32), runtime::abi::signal::SIGCONT) {
        eprintln!("sh: bg: {}", e.description());
        return 1;
    }
    shell.jobs.mark_running(number);
    if let Some(job) = shell.jobs.find(&alloc::format!("%{number}")) {
        println!("[{number}] {} &", job.text);
    }
    0
}

/// `test` and `[`: the expression in `args`; status 0 true, 1 false, 2 for a mistake.
fn test(args: &[&str], name: &str) -> i32 {
    use shsyntax::condition::{FileInfo, FileKind};
    let stat = |path: &str| {
        let stat = sys::stat(path).ok()?;
        let kind = match runtime::abi::stat::file_type(stat.st_mode) {
            runtime::abi::stat::S_IFREG => FileKind::Regular,
            runtime::abi::stat::S_IFDIR => FileKind::Directory,
            _ => FileKind::Other,
        };
        Some(FileInfo {
            kind,
            size: u64::try_from(stat.st_size).unwrap_or(0),
            mode: stat.st_mode & 0o7777,
        })
    };
    match shsyntax::condition::evaluate(args, &stat) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(e) => {
            eprintln!("sh: {name}: {e}");
            USAGE
        }
    }
}

/// `read [-r] [NAME...]`: one line of standard input, read a byte at a time so that nothing
/// after the line is taken from the programs that read next.
fn read(shell: &mut Shell, args: &[&str]) -> i32 {
    let (raw, names) = match args {
        ["-r", names @ ..] => (true, names),
        names => (false, names),
    };
    if let Some(bad) = names.iter().find(|n| !vars::is_name(n)) {
        eprintln!("sh: read: '{bad}': not a valid name");
        return USAGE;
    }
    runtime::print::flush();
    let mut line = Vec::new();
    let mut ended = false;
    loop {
        let mut byte = [0u8; 1];
        match sys::read(0, &mut byte) {
            Ok(1) => {}
            Ok(_) => {
                ended = true;
                break;
            }
            Err(runtime::Errno::EINTR) => continue,
            Err(e) => {
                eprintln!("sh: read: {}", e.description());
                return 1;
            }
        }
        match byte[0] {
            b'\n' => break,
            // Without -r, a backslash escapes the next character, a newline included.
            b'\\' if !raw => {
                let mut next = [0u8; 1];
                if sys::read(0, &mut next) == Ok(1) && next[0] != b'\n' {
                    line.push(next[0]);
                }
            }
            other => line.push(other),
        }
    }
    let text = String::from_utf8_lossy(&line).into_owned();
    let default = ["REPLY"];
    let names: &[&str] = if names.is_empty() { &default } else { names };
    let mut rest = text.trim_start_matches([' ', '\t']);
    for (index, name) in names.iter().enumerate() {
        let value = if index + 1 == names.len() {
            rest.trim_end_matches([' ', '\t'])
        } else {
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            let (field, after) = rest.split_at(end);
            rest = after.trim_start_matches([' ', '\t']);
            field
        };
        shell.vars.set(name, String::from(value));
    }
    i32::from(ended)
}

/// `shift N`.
fn shift(shell: &mut Shell, n: &str) -> i32 {
    match n.parse::<usize>() {
        Ok(n) if n <= shell.vars.positional.len() => {
            shell.vars.positional.drain(..n);
            0
        }
        Ok(n) => {
            eprintln!(
                "sh: shift: {n}: there are only {} positional parameters",
                shell.vars.positional.len()
            );
            1
        }
        Err(_) => usage("shift [N]"),
    }
}

/// `break [N]` and `continue [N]`.
fn loop_control(shell: &mut Shell, which: &str, args: &[&str]) -> i32 {
    let n = match args {
        [] => 1,
        [n] => match n.parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => return usage(&alloc::format!("{which} [N], N 1 or more")),
        },
        _ => return usage(&alloc::format!("{which} [N]")),
    };
    if shell.loops == 0 {
        eprintln!("sh: {which}: only meaningful in a loop");
        return 1;
    }
    // Leaving more loops than there are leaves them all, as other shells do.
    let n = n.min(shell.loops);
    shell.control = if which == "break" {
        Control::Break(n)
    } else {
        Control::Continue(n)
    };
    0
}

/// `return STATUS`.
fn give_back(shell: &mut Shell, status: i32) -> i32 {
    if shell.calls == 0 {
        eprintln!("sh: return: only meaningful in a function");
        return 1;
    }
    shell.vars.status = status;
    shell.control = Control::Return;
    status
}

/// `cd`.
fn cd(shell: &mut Shell, dir: Option<&str>) -> i32 {
    let target = match dir {
        Some(dir) => String::from(dir),
        None => String::from(shell.vars.get("HOME").unwrap_or("/")),
    };
    let mut buf = [0u8; 4096];
    let before = sys::getcwd(&mut buf).map(String::from).ok();
    match sys::chdir(&target) {
        Ok(()) => {
            let mut buf = [0u8; 4096];
            if let Ok(path) = sys::getcwd(&mut buf) {
                let path = String::from(path);
                shell.vars.set("PWD", path);
            }
            if let Some(before) = before {
                shell.vars.set("OLDPWD", before);
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
