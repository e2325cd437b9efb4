//! KTAP version 1: how a Ferrite test kernel tells the host what passed.
//!
//! A test kernel has one dependable way to talk to the machine that started it: text on the
//! serial port. KTAP (the Kernel Test Anything Protocol, the format Linux's KUnit prints) gives
//! that text a grammar the host can check line by line:
//!
//! ```text
//! KTAP version 1
//! 1..2
//! # a diagnostic line, free text
//! ok 1 ferrite::mm::tests::frames_are_aligned
//! not ok 2 ferrite::mm::tests::heap_grows
//! ```
//!
//! The plan line (`1..N`) comes first, so a host that sees fewer than N results knows the kernel
//! stopped early (a hang, a triple fault, a reset) instead of finishing. That is the point of
//! the format: silence is never mistaken for success.
//!
//! This crate only writes; the parser lives in the host tools (`tools/ferrite_tools/ktap.py`).
//! Writing goes through [`core::fmt::Write`], so the same code runs in the kernel (into the
//! serial port) and in host tests (into a `String`).

#![no_std]
#![forbid(unsafe_code)]

use core::fmt::{self, Write};

/// The line that opens every KTAP version 1 report.
pub const VERSION_LINE: &str = "KTAP version 1";

/// How one test ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// The test passed.
    Ok,
    /// The test failed.
    NotOk,
    /// The test did not run; the reason is reported after `# SKIP`.
    Skip(&'a str),
}

/// Writes the opening of a report: the version line and the plan for `count` tests.
pub fn header(out: &mut impl Write, count: usize) -> fmt::Result {
    writeln!(out, "{VERSION_LINE}")?;
    writeln!(out, "1..{count}")
}

/// Writes the result line for test number `number` (counting from 1) called `name`.
///
/// A name may not contain `#` (it starts a directive) or a line break (it would end the line),
/// so those characters are written as `_`.
pub fn result(
    out: &mut impl Write,
    number: usize,
    name: &str,
    outcome: Outcome<'_>,
) -> fmt::Result {
    let status = match outcome {
        Outcome::Ok | Outcome::Skip(_) => "ok",
        Outcome::NotOk => "not ok",
    };
    write!(out, "{status} {number} ")?;
    for ch in name.chars() {
        out.write_char(if matches!(ch, '#' | '\n' | '\r') {
            '_'
        } else {
            ch
        })?;
    }
    if let Outcome::Skip(reason) = outcome {
        write!(out, " # SKIP {reason}")?;
    }
    out.write_char('\n')
}

/// Writes `message` as diagnostic lines: every line of it behind `# `.
pub fn diagnostic(out: &mut impl Write, message: fmt::Arguments<'_>) -> fmt::Result {
    let mut lines = DiagnosticWriter {
        out,
        at_line_start: true,
    };
    lines.write_fmt(message)?;
    if !lines.at_line_start {
        lines.out.write_char('\n')?;
    }
    Ok(())
}

/// Prefixes each line that passes through it with `# `.
struct DiagnosticWriter<'w, W: Write> {
    out: &'w mut W,
    at_line_start: bool,
}

impl<W: Write> Write for DiagnosticWriter<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            if self.at_line_start {
                self.out.write_str("# ")?;
                self.at_line_start = false;
            }
            self.out.write_char(ch)?;
            if ch == '\n' {
                self.at_line_start = true;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    #[test]
    fn a_whole_report() {
        let mut out = String::new();
        header(&mut out, 3).unwrap();
        result(&mut out, 1, "boots", Outcome::Ok).unwrap();
        diagnostic(&mut out, format_args!("left: {}\nright: {}", 1, 2)).unwrap();
        result(&mut out, 2, "adds", Outcome::NotOk).unwrap();
        result(&mut out, 3, "smp", Outcome::Skip("one CPU")).unwrap();
        assert_eq!(
            out,
            "KTAP version 1\n1..3\nok 1 boots\n# left: 1\n# right: 2\nnot ok 2 adds\n\
             ok 3 smp # SKIP one CPU\n"
        );
    }

    #[test]
    fn names_cannot_break_the_line_or_start_a_directive() {
        let mut out = String::new();
        result(&mut out, 7, "a#b\nc", Outcome::Ok).unwrap();
        assert_eq!(out, "ok 7 a_b_c\n");
    }

    #[test]
    fn a_diagnostic_that_ends_in_a_newline_adds_no_empty_line() {
        let mut out = String::new();
        diagnostic(&mut out, format_args!("one\n")).unwrap();
        assert_eq!(out, "# one\n");
    }
}
