//! The signal keys (ISIG): Ctrl-C, Ctrl-\ and Ctrl-Z.

use abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use abi::tty::{ECHO, ECHOCTL, ICANON, ISIG, VINTR};

use super::{data, Got, Term};
use crate::{Signal, DISABLED, NOFLSH};

#[test]
fn ctrl_c_flushes_the_input_shows_caret_c_and_asks_for_sigint() {
    let mut t = Term::new();
    t.type_in(b"done\npartial");
    t.screen();
    t.type_in(b"\x03");
    assert_eq!(t.signals, [Signal::Interrupt]);
    assert_eq!(Signal::Interrupt.number(), SIGINT);
    assert_eq!(t.screen(), b"^C");
    assert_eq!(t.tty.available(), 0);
    assert_eq!(t.read(64), Got::Block, "the completed line went too");
    t.type_in(b"x\n");
    assert_eq!(t.read(64), data(b"x\n"), "and so did the partial one");
}

#[test]
fn quit_and_suspend_keys_ask_for_their_signals() {
    let mut t = Term::new();
    t.type_in(b"\x1c\x1a");
    assert_eq!(t.signals, [Signal::Quit, Signal::Suspend]);
    assert_eq!(t.screen(), b"^\\^Z");
    assert_eq!(Signal::Quit.number(), SIGQUIT);
    assert_eq!(Signal::Suspend.number(), SIGTSTP);
}

#[test]
fn without_isig_ctrl_c_is_data() {
    let mut t = Term::with(|t| t.c_lflag &= !ISIG);
    t.type_in(b"\x03\n");
    assert!(t.signals.is_empty());
    assert_eq!(t.screen(), b"^C\r\n");
    assert_eq!(t.read(64), data(b"\x03\n"));
}

#[test]
fn a_disabled_signal_key_is_data() {
    let mut t = Term::with(|t| t.c_cc[VINTR] = DISABLED);
    t.type_in(b"\x03\n");
    assert!(t.signals.is_empty());
    assert_eq!(t.read(64), data(b"\x03\n"));
}

#[test]
fn noflsh_keeps_the_input_when_a_signal_key_is_typed() {
    let mut t = Term::with(|t| t.c_lflag |= NOFLSH);
    t.type_in(b"ab\ncd\x03");
    assert_eq!(t.signals, [Signal::Interrupt]);
    assert_eq!(t.read(64), data(b"ab\n"));
    t.type_in(b"\n");
    assert_eq!(t.read(64), data(b"cd\n"));
}

#[test]
fn signal_keys_work_in_raw_mode_too() {
    let mut t = Term::with(|t| t.c_lflag &= !ICANON);
    t.type_in(b"a\x03b");
    assert_eq!(t.signals, [Signal::Interrupt]);
    assert_eq!(t.read(64), data(b"b"));
}

#[test]
fn the_echo_of_a_signal_key_follows_the_echo_flags() {
    let mut t = Term::with(|t| t.c_lflag &= !ECHO);
    t.type_in(b"\x03");
    assert_eq!(t.screen(), b"");
    t.set(|t| t.c_lflag = (t.c_lflag | ECHO) & !ECHOCTL);
    t.type_in(b"\x03");
    assert_eq!(t.screen(), b"\x03");
    assert_eq!(t.signals.len(), 2);
}
