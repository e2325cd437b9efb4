//! `date`: the date and time, in UTC, from `CLOCK_REALTIME`.
//!
//! `date` prints `Mon Dec  7 19:33:13 UTC 2026`, the C locale's form; `date +FORMAT` prints
//! FORMAT with these conversions, as GNU's `date` and `strftime(3)` do: `%a %A %b %B %h` (day
//! and month names), `%d %e %m %y %Y %C %j %u %w` (numbers of the date), `%H %I %k %l %M %S %p`
//! (of the time), `%s` (seconds since 1970), `%N` (nanoseconds), `%F %T %D %R %c %x %X`
//! (combinations), `%Z %z` (`UTC`, `+0000`), `%n %t %%`. Another conversion is an error, as
//! are options other than `-u` (UTC, which every time here is already) and `-d @SECONDS` (that
//! moment instead of now); both exit with status 2. Ferrite keeps no time zone: UTC throughout.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use calendar::{DateTime, MONTHS, WEEKDAYS};
use core::fmt::Write;
use runtime::{cli, eprintln, println};

runtime::entry!(main);

/// The usage line.
const USAGE: &str = "date [-u] [-d @SECONDS] [+FORMAT]";
/// Full weekday names, Sunday first.
const FULL_WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
/// Full month names.
const FULL_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// A moment: the calendar date and the exact time it came from.
struct Moment {
    date: DateTime,
    seconds: i64,
    nanos: i64,
}

/// `format` with the conversions done; `Err` names the first unknown conversion.
fn render(format: &str, m: &Moment) -> Result<String, char> {
    let d = &m.date;
    let mut out = String::new();
    let mut chars = format.chars();
    let hour12 = if d.hour % 12 == 0 { 12 } else { d.hour % 12 };
    let day_of_year = calendar::days_from_civil(d.year, d.month, d.day)
        - calendar::days_from_civil(d.year, 1, 1)
        + 1;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(conversion) = chars.next() else {
            out.push('%');
            break;
        };
        let month = MONTHS[(d.month - 1) as usize];
        let _ = match conversion {
            'a' => write!(out, "{}", WEEKDAYS[d.weekday()]),
            'A' => write!(out, "{}", FULL_WEEKDAYS[d.weekday()]),
            'b' | 'h' => write!(out, "{month}"),
            'B' => write!(out, "{}", FULL_MONTHS[(d.month - 1) as usize]),
            'c' => write!(
                out,
                "{} {month} {:>2} {:02}:{:02}:{:02} {}",
                WEEKDAYS[d.weekday()],
                d.day,
                d.hour,
                d.minute,
                d.second,
                d.year
            ),
            'C' => write!(out, "{:02}", d.year / 100),
            'd' => write!(out, "{:02}", d.day),
            'D' | 'x' => write!(out, "{:02}/{:02}/{:02}", d.month, d.day, d.year % 100),
            'e' => write!(out, "{:>2}", d.day),
            'F' => write!(out, "{}-{:02}-{:02}", d.year, d.month, d.day),
            'H' => write!(out, "{:02}", d.hour),
            'I' => write!(out, "{hour12:02}"),
            'j' => write!(out, "{day_of_year:03}"),
            'k' => write!(out, "{:>2}", d.hour),
            'l' => write!(out, "{hour12:>2}"),
            'm' => write!(out, "{:02}", d.month),
            'M' => write!(out, "{:02}", d.minute),
            'n' => writeln!(out),
            'N' => write!(out, "{:09}", m.nanos),
            'p' => write!(out, "{}", if d.hour < 12 { "AM" } else { "PM" }),
            'R' => write!(out, "{:02}:{:02}", d.hour, d.minute),
            's' => write!(out, "{}", m.seconds),
            'S' => write!(out, "{:02}", d.second),
            't' => write!(out, "\t"),
            'T' | 'X' => write!(out, "{:02}:{:02}:{:02}", d.hour, d.minute, d.second),
            'u' => write!(out, "{}", if d.weekday() == 0 { 7 } else { d.weekday() }),
            'w' => write!(out, "{}", d.weekday()),
            'y' => write!(out, "{:02}", d.year % 100),
            'Y' => write!(out, "{}", d.year),
            'z' => write!(out, "+0000"),
            'Z' => write!(out, "UTC"),
            '%' => write!(out, "%"),
            other => return Err(other),
        };
    }
    Ok(out)
}

fn main() -> i32 {
    let args = match cli::parse("ud:", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    let moment = match args.value('d') {
        Some(text) => match text.strip_prefix('@').and_then(|s| s.parse::<i64>().ok()) {
            Some(seconds) => Moment {
                date: DateTime::from_unix_seconds(seconds),
                seconds,
                nanos: 0,
            },
            None => {
                eprintln!("date: invalid date '{text}' (only @SECONDS is understood)");
                return cli::USAGE;
            }
        },
        None => match runtime::sys::clock_gettime(runtime::abi::time::CLOCK_REALTIME) {
            Ok(now) => Moment {
                date: DateTime::from_unix_seconds(now.tv_sec),
                seconds: now.tv_sec,
                nanos: now.tv_nsec,
            },
            Err(e) => return cli::error("clock_gettime", e),
        },
    };
    match args.operands.as_slice() {
        [] => println!("{}", moment.date),
        [format] if format.starts_with('+') => match render(&format[1..], &moment) {
            Ok(text) => println!("{text}"),
            Err(conversion) => {
                eprintln!("date: unknown conversion %{conversion}");
                return cli::USAGE;
            }
        },
        [other, ..] => {
            eprintln!("date: invalid date '{other}' (setting the date is not supported)");
            return cli::show_usage(USAGE);
        }
    }
    0
}
