//! `kill [-SIGNAL] PID...`: sends a signal (SIGTERM unless told; by number or name, `-9` or
//! `-KILL`) to each process. A negative PID names a process group (after `--`, or after a
//! signal). The command line is [`runtime::kill`]'s, shared with the shell's builtin, which also
//! takes job specs (`kill %1`).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use runtime::kill::{self, Mistake, Request};
use runtime::{cli, eprintln, println};

runtime::entry!(main);

fn main() -> i32 {
    let words: Vec<&str> = runtime::args().skip(1).collect();
    let (signal, targets) = match kill::parse(&words) {
        Ok(Request::Send { signal, targets }) => (signal, targets),
        Ok(Request::List) => {
            println!("{}", kill::names().collect::<Vec<_>>().join(" "));
            return 0;
        }
        Err(Mistake::UnknownSignal(name)) => {
            eprintln!("kill: unknown signal {name}");
            return cli::show_usage(kill::USAGE);
        }
        Err(Mistake::NoTarget) => {
            eprintln!("kill: no process named (a lone -N is a signal, not a process group)");
            return cli::show_usage(kill::USAGE);
        }
    };
    let mut status = 0;
    for word in targets {
        let Ok(pid) = word.parse::<i32>() else {
            eprintln!("kill: {word}: not a process id");
            status = cli::FAILURE;
            continue;
        };
        if let Err(e) = kill::send(pid, signal) {
            status = cli::error(word, e);
        }
    }
    status
}
