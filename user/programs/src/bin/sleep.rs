//! `sleep SECONDS`: waits that long (a decimal fraction is allowed: `sleep 0.5`).

#![no_std]
#![no_main]

use runtime::abi::Timespec;
use runtime::{cli, sys};

runtime::entry!(main);

/// Nanoseconds in a second.
const NANOS: i64 = 1_000_000_000;

fn main() -> i32 {
    let args = match cli::parse("", "sleep SECONDS") {
        Ok(args) => args,
        Err(status) => return status,
    };
    let [seconds] = args.operands.as_slice() else {
        return cli::show_usage("sleep SECONDS");
    };
    let Some(time) = parse(seconds) else {
        return cli::show_usage("sleep SECONDS");
    };
    match sys::nanosleep(&time) {
        Ok(()) => 0,
        Err(e) => cli::error("nanosleep", e),
    }
}

/// `12` or `0.25` as a time.
fn parse(text: &str) -> Option<Timespec> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let tv_sec: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) || tv_sec < 0 {
        return None;
    }
    let mut tv_nsec: i64 = 0;
    for (i, digit) in fraction.bytes().enumerate() {
        tv_nsec += i64::from(digit - b'0') * (NANOS / 10i64.pow(i as u32 + 1));
    }
    Some(Timespec { tv_sec, tv_nsec })
}
