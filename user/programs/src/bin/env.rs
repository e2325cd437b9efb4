//! `env [NAME=VALUE...] [PROGRAM [ARG...]]`: prints the environment, or runs PROGRAM (found
//! in `/bin` unless it has a `/`) with the environment plus the given variables.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use runtime::{cli, println, sys};

runtime::entry!(main);

/// The status when PROGRAM cannot be found or run (as `env` and shells report it).
const NOT_RUN: i32 = 127;

fn main() -> i32 {
    let words: Vec<&str> = runtime::args().skip(1).collect();
    let split = words
        .iter()
        .position(|w| !w.contains('='))
        .unwrap_or(words.len());
    let (settings, command) = words.split_at(split);
    if command.first().is_some_and(|w| w.starts_with('-')) {
        return cli::show_usage("env [NAME=VALUE...] [PROGRAM [ARG...]]");
    }
    let mut environment: Vec<String> = runtime::env().map(String::from).collect();
    for setting in settings {
        let name = setting.split('=').next().unwrap_or("");
        environment.retain(|e| e.split('=').next() != Some(name));
        environment.push(String::from(*setting));
    }
    let Some(program) = command.first() else {
        for entry in &environment {
            println!("{entry}");
        }
        return 0;
    };
    let path = if program.contains('/') {
        String::from(*program)
    } else {
        alloc::format!("/bin/{program}")
    };
    let with_nul = |s: &str| alloc::format!("{s}\0").into_bytes();
    let argv: Vec<Vec<u8>> = command.iter().map(|w| with_nul(w)).collect();
    let envp: Vec<Vec<u8>> = environment.iter().map(|e| with_nul(e)).collect();
    let argv: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
    let envp: Vec<&[u8]> = envp.iter().map(Vec::as_slice).collect();
    let error = sys::execve(&with_nul(&path), &argv, &envp);
    cli::error(program, error);
    NOT_RUN
}
