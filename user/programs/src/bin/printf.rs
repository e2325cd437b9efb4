//! `printf FORMAT [ARG...]`: prints the arguments as the format says (see the `printf` crate,
//! where the formatting lives and is tested): `printf '%s has %d files\n' /tmp 3`.
//!
//! An argument that should be a number and is not is reported, printed as 0, and makes the
//! exit status 1; the rest is still printed, as GNU's printf does.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use runtime::fs::write_all;
use runtime::{cli, eprintln};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "printf FORMAT [ARG...]";

fn main() -> i32 {
    let args: Vec<String> = runtime::args().skip(1).map(String::from).collect();
    // `--` may come first (`printf -- -%s x`); no other option exists.
    let args = match args.split_first() {
        Some((first, rest)) if first == "--" => rest,
        _ => &args[..],
    };
    let Some((format, rest)) = args.split_first() else {
        return cli::show_usage(USAGE);
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    let out = printf::printf(format, &rest);
    let status = if out.errors.is_empty() {
        0
    } else {
        cli::FAILURE
    };
    for error in &out.errors {
        eprintln!("printf: {error}");
    }
    match write_all(1, &out.text) {
        Ok(()) => status,
        Err(e) => cli::error("standard output", e),
    }
}
