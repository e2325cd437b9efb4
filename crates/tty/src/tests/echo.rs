//! Echo: what the screen shows of the input.

use abi::tty::{ECHO, ECHOCTL, ECHONL, ICANON, OPOST, VERASE};

use super::{data, Term};

#[test]
fn typed_characters_are_shown_and_enter_as_cr_nl() {
    let mut t = Term::new();
    t.type_in(b"hi\r");
    assert_eq!(t.screen(), b"hi\r\n");
}

#[test]
fn with_echo_off_nothing_is_shown() {
    let mut t = Term::with(|t| t.c_lflag &= !ECHO);
    t.type_in(b"secret\x7fx\x01\x15pw\x17pass\n");
    t.type_in(&[b'a'; 5000]);
    assert_eq!(t.screen(), b"", "no echo, no wipe, no bell");
    assert_eq!(t.read(64), data(b"pass\n"));
}

#[test]
fn echonl_shows_the_newline_even_with_echo_off() {
    let mut t = Term::with(|t| t.c_lflag = (t.c_lflag & !ECHO) | ECHONL);
    t.type_in(b"pw\r");
    assert_eq!(t.screen(), b"\r\n");
    assert_eq!(t.read(64), data(b"pw\n"));
}

#[test]
fn echonl_is_for_canonical_mode_only() {
    let mut t = Term::with(|t| t.c_lflag = (t.c_lflag & !(ECHO | ICANON)) | ECHONL);
    t.type_in(b"a\n");
    assert_eq!(t.screen(), b"");
}

#[test]
fn echoctl_shows_control_characters_as_caret_letters() {
    // Erase on Ctrl-H (`stty erase ^H`), so DEL is data and shows as ^?.
    let mut t = Term::with(|t| t.c_cc[VERASE] = 0x08);
    t.type_in(b"\x01\x1b\x7f");
    assert_eq!(t.screen(), b"^A^[^?");
}

#[test]
fn without_echoctl_control_characters_are_sent_as_they_are() {
    let mut t = Term::with(|t| t.c_lflag &= !ECHOCTL);
    t.type_in(b"\x01");
    assert_eq!(t.screen(), b"\x01");
}

#[test]
fn a_tab_is_shown_as_itself() {
    let mut t = Term::new();
    t.type_in(b"\t");
    assert_eq!(t.screen(), b"\t");
}

#[test]
fn without_opost_a_newline_is_shown_bare() {
    let mut t = Term::with(|t| t.c_oflag &= !OPOST);
    t.type_in(b"a\r");
    assert_eq!(t.screen(), b"a\n");
}

#[test]
fn utf8_is_shown_unchanged() {
    let mut t = Term::new();
    t.type_in("é中🦀".as_bytes());
    assert_eq!(t.screen(), "é中🦀".as_bytes());
}

#[test]
fn raw_mode_echoes_too_unless_echo_is_off() {
    let mut t = Term::with(|t| t.c_lflag &= !ICANON);
    t.type_in(b"a\x01\n");
    assert_eq!(t.screen(), b"a^A\r\n");
    t.set(|t| t.c_lflag &= !ECHO);
    t.type_in(b"b");
    assert_eq!(t.screen(), b"");
}
