//! Output processing: program output on its way to the screen.

use std::vec::Vec;

use abi::tty::{Termios, ONLCR, OPOST};

use super::Term;
use crate::process_output;

/// The chunks `process_output` passes on for `bytes` under `termios`.
fn chunks(termios: &Termios, bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut chunks = Vec::new();
    process_output(termios, bytes, &mut |chunk: &[u8]| {
        chunks.push(chunk.to_vec())
    });
    chunks
}

#[test]
fn onlcr_turns_each_newline_into_cr_nl() {
    let out = chunks(&Termios::linux_default(), b"a\nb\n\nc").concat();
    assert_eq!(out, b"a\r\nb\r\n\r\nc");
}

#[test]
fn output_goes_out_in_runs_not_bytes() {
    let out = chunks(&Termios::linux_default(), b"hello\nworld");
    assert_eq!(out, [&b"hello"[..], b"\r\n", b"world"]);
}

#[test]
fn onlcr_needs_opost_and_opost_alone_changes_nothing() {
    let mut termios = Termios::linux_default();
    termios.c_oflag = ONLCR;
    assert_eq!(chunks(&termios, b"a\n").concat(), b"a\n");
    termios.c_oflag = OPOST;
    assert_eq!(chunks(&termios, b"a\n").concat(), b"a\n");
}

#[test]
fn empty_output_sends_nothing() {
    assert!(chunks(&Termios::linux_default(), b"").is_empty());
    assert!(chunks(&Termios::zeroed(), b"").is_empty());
}

#[test]
fn write_uses_the_terminals_current_settings() {
    let mut t = Term::new();
    t.write(b"x\n");
    assert_eq!(t.screen(), b"x\r\n");
    t.set(|t| t.c_oflag &= !OPOST);
    t.write(b"x\n");
    assert_eq!(t.screen(), b"x\n");
}
