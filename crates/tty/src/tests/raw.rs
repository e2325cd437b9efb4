//! Non-canonical mode: VMIN, VTIME, and switching modes with input pending.

use abi::tty::{ICANON, VMIN, VTIME};

use super::{data, Got, Term};
use crate::{ReadTimer, CAPACITY};

/// A terminal in non-canonical mode with the given VMIN and VTIME.
fn raw(vmin: u8, vtime: u8) -> Term {
    Term::with(|t| {
        t.c_lflag &= !ICANON;
        t.c_cc[VMIN] = vmin;
        t.c_cc[VTIME] = vtime;
    })
}

/// Switches canonical mode on or off.
fn canonical(t: &mut Term, on: bool) {
    t.set(|t| {
        if on {
            t.c_lflag |= ICANON;
        } else {
            t.c_lflag &= !ICANON;
        }
    });
}

#[test]
fn vmin_1_returns_each_byte_at_once() {
    let mut t = raw(1, 0);
    assert_eq!(t.read(64), Got::Block);
    t.type_in(b"a");
    assert!(t.tty.can_read());
    assert_eq!(t.read(64), data(b"a"));
    assert_eq!(t.read(64), Got::Block);
}

#[test]
fn vmin_0_vtime_0_is_a_poll_that_may_return_nothing() {
    let mut t = raw(0, 0);
    assert_eq!(t.read(64), data(b""));
    assert!(!t.tty.can_read(), "poll reports nothing to read");
    t.type_in(b"xy");
    assert_eq!(t.read(64), data(b"xy"));
}

#[test]
fn vmin_3_waits_for_three_bytes() {
    let mut t = raw(3, 0);
    t.type_in(b"ab");
    assert_eq!(t.read(64), Got::Block);
    assert!(!t.tty.can_read());
    t.type_in(b"cd");
    assert!(t.tty.can_read());
    assert_eq!(t.read(64), data(b"abcd"));
}

#[test]
fn vmin_never_waits_for_more_than_the_buffer_holds() {
    let mut t = raw(3, 0);
    t.type_in(b"ab");
    assert_eq!(t.read(1), data(b"a"));
}

#[test]
fn raw_mode_does_no_editing() {
    let mut t = raw(1, 0);
    t.type_in(b"a\x7fb\x15\x17\x04\n");
    assert_eq!(t.read(64), data(b"a\x7fb\x15\x17\x04\n"));
}

#[test]
fn raw_mode_still_maps_carriage_return() {
    let mut t = raw(1, 0);
    t.type_in(b"\r");
    assert_eq!(t.read(64), data(b"\n"));
}

#[test]
fn the_read_timer_follows_vmin_and_vtime() {
    assert_eq!(raw(1, 0).tty.read_timer(), ReadTimer::None);
    assert_eq!(raw(0, 5).tty.read_timer(), ReadTimer::Overall { tenths: 5 });
    assert_eq!(
        raw(2, 7).tty.read_timer(),
        ReadTimer::InterByte { tenths: 7 }
    );
    let canonical = Term::with(|t| t.c_cc[VTIME] = 5);
    assert_eq!(canonical.tty.read_timer(), ReadTimer::None);
}

#[test]
fn an_overall_timeout_ends_an_empty_read_with_zero() {
    let mut t = raw(0, 5);
    assert_eq!(t.read(64), Got::Block);
    assert_eq!(t.tty.read_after_timeout(&mut [0; 64]), 0);
    t.type_in(b"a");
    assert_eq!(t.read(64), data(b"a"), "with input there, no waiting");
}

#[test]
fn an_inter_byte_timeout_returns_fewer_than_vmin_bytes() {
    let mut t = raw(4, 5);
    t.type_in(b"ab");
    assert_eq!(t.read(64), Got::Block);
    let mut buf = [0; 64];
    assert_eq!(t.tty.read_after_timeout(&mut buf), 2);
    assert_eq!(&buf[..2], b"ab");
}

#[test]
fn poll_wants_vmin_bytes_only_without_vtime() {
    let mut t = raw(3, 0);
    t.type_in(b"a");
    assert!(!t.tty.can_read());
    let mut t = raw(3, 1);
    t.type_in(b"a");
    assert!(t.tty.can_read());
}

#[test]
fn fionread_counts_every_byte_in_raw_mode() {
    let mut t = raw(1, 0);
    t.type_in(b"ab\ncd");
    assert_eq!(t.tty.available(), 5);
}

#[test]
fn going_raw_makes_a_partial_line_readable() {
    let mut t = Term::new();
    t.type_in(b"ab\ncd");
    canonical(&mut t, false);
    assert_eq!(t.tty.available(), 5);
    assert_eq!(t.read(64), data(b"ab\ncd"));
}

#[test]
fn going_raw_drops_the_eof_marks() {
    let mut t = Term::new();
    t.type_in(b"ab\x04\x04");
    canonical(&mut t, false);
    assert_eq!(t.tty.available(), 2);
    assert_eq!(t.read(64), data(b"ab"));
}

#[test]
fn going_canonical_makes_pending_bytes_the_start_of_the_edit_line() {
    let mut t = raw(1, 0);
    t.type_in(b"ab");
    canonical(&mut t, true);
    assert_eq!(t.read(64), Got::Block);
    assert_eq!(t.tty.available(), 0);
    t.type_in(b"\x7fc\n");
    assert_eq!(t.read(64), data(b"ac\n"));
}

#[test]
fn going_canonical_keeps_complete_lines_separate() {
    let mut t = raw(1, 0);
    t.type_in(b"one\ntwo\nthr");
    canonical(&mut t, true);
    assert_eq!(t.read(64), data(b"one\n"));
    assert_eq!(t.read(64), data(b"two\n"));
    assert_eq!(t.read(64), Got::Block);
    t.type_in(b"ee\n");
    assert_eq!(t.read(64), data(b"three\n"));
}

#[test]
fn a_full_ring_in_raw_mode_drops_bytes_and_rings() {
    let mut t = raw(1, 0);
    t.type_in(&[b'a'; CAPACITY + 10]);
    assert_eq!(t.tty.available(), CAPACITY);
    let bells = t.screen().iter().filter(|&&b| b == b'\x07').count();
    assert_eq!(bells, 10);
}

#[test]
fn a_full_ring_left_by_raw_mode_can_still_end_its_line() {
    let mut t = raw(1, 0);
    t.type_in(&[b'a'; CAPACITY]);
    canonical(&mut t, true);
    t.type_in(b"\n");
    let line = std::vec![b'a'; CAPACITY];
    assert_eq!(
        t.read(2 * CAPACITY),
        Got::Data(line),
        "delivered, without the newline"
    );
    t.type_in(b"x\n");
    assert_eq!(t.read(64), data(b"x\n"));
}
