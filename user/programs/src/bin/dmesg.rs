//! `dmesg [-c]`: prints the kernel log (and with `-c` clears it after), read through the
//! `syslog` system call as Linux's `dmesg` reads it.
//!
//! The kernel keeps there what it has to say outside any program's output: the boot messages,
//! and which system calls a program asked for that Ferrite does not have (one line per program
//! and call).

#![no_std]
#![no_main]

extern crate alloc;

use runtime::abi::syslog::{
    SYSLOG_ACTION_READ_ALL, SYSLOG_ACTION_READ_CLEAR, SYSLOG_ACTION_SIZE_BUFFER,
};
use runtime::fs::write_all;
use runtime::{cli, sys};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "dmesg [-c]";

fn main() -> i32 {
    let args = match cli::parse("c", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    if !args.operands.is_empty() {
        return cli::show_usage(USAGE);
    }
    let size = match sys::syslog(SYSLOG_ACTION_SIZE_BUFFER, &mut []) {
        Ok(size) => size,
        Err(e) => return cli::error("the kernel log", e),
    };
    let mut text = alloc::vec![0u8; size];
    let action = if args.has('c') {
        SYSLOG_ACTION_READ_CLEAR
    } else {
        SYSLOG_ACTION_READ_ALL
    };
    match sys::syslog(action, &mut text) {
        Ok(count) => match write_all(1, &text[..count]) {
            Ok(()) => 0,
            Err(e) => cli::error("standard output", e),
        },
        Err(e) => cli::error("the kernel log", e),
    }
}
