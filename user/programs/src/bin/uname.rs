//! `uname`: the system's names, from the `uname` system call.
//!
//! Options as POSIX's `uname`: `-s` the system's name (the default), `-n` the host's, `-r` the
//! kernel's release, `-v` its version, `-m` the machine; `-a` all of them, in that order. The
//! kernel says why it answers "Linux" (see `kernel/src/proc/info.rs`).

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use runtime::{cli, println};

runtime::entry!(main);

/// A field of `struct utsname` up to its NUL.
fn text(field: &[u8]) -> &str {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    core::str::from_utf8(&field[..end]).unwrap_or("?")
}

fn main() -> i32 {
    let args = match cli::parse("asnrvm", "uname [-asnrvm]") {
        Ok(args) => args,
        Err(status) => return status,
    };
    if !args.operands.is_empty() {
        return cli::show_usage("uname [-asnrvm]");
    }
    let names = match runtime::sys::uname() {
        Ok(names) => names,
        Err(e) => return cli::error("uname", e),
    };
    let all = args.has('a');
    let fields = [
        ('s', &names.sysname),
        ('n', &names.nodename),
        ('r', &names.release),
        ('v', &names.version),
        ('m', &names.machine),
    ];
    let mut chosen: Vec<&str> = fields
        .iter()
        .filter(|(letter, _)| all || args.has(*letter))
        .map(|(_, field)| text(&field[..]))
        .collect();
    if chosen.is_empty() {
        chosen.push(text(&names.sysname));
    }
    println!("{}", chosen.join(" "));
    0
}
