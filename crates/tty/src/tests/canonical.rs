//! Canonical mode: assembling, editing and delivering lines.

use std::vec::Vec;

use abi::tty::{ECHOE, ECHOKE, IEXTEN, VEOL, VEOL2, VERASE};

use super::{data, Got, Term};
use crate::{Read, CAPACITY, DISABLED};

/// The erase key (DEL, what Backspace sends).
const ERASE: &[u8] = b"\x7f";
/// The kill key (Ctrl-U).
const KILL: &[u8] = b"\x15";
/// The word-erase key (Ctrl-W).
const WERASE: &[u8] = b"\x17";
/// The end-of-file key (Ctrl-D).
const EOF: &[u8] = b"\x04";
/// One column wiped.
const WIPE: &[u8] = b"\x08 \x08";

/// `WIPE` `columns` times.
fn wipes(columns: usize) -> Vec<u8> {
    WIPE.repeat(columns)
}

#[test]
fn a_line_is_not_readable_until_its_newline() {
    let mut t = Term::new();
    t.type_in(b"hello");
    assert_eq!(t.read(64), Got::Block);
    assert!(!t.tty.can_read());
    t.type_in(b"\n");
    assert!(t.tty.can_read());
    assert_eq!(t.read(64), data(b"hello\n"));
    assert_eq!(t.read(64), Got::Block);
}

#[test]
fn enter_sends_carriage_return_which_icrnl_makes_a_newline() {
    let mut t = Term::new();
    t.type_in(b"ls\r");
    assert_eq!(t.read(64), data(b"ls\n"));
}

#[test]
fn a_small_buffer_splits_a_line_across_reads() {
    let mut t = Term::new();
    t.type_in(b"abcdefg\n");
    assert_eq!(t.read(3), data(b"abc"));
    assert_eq!(t.read(3), data(b"def"));
    assert_eq!(t.read(3), data(b"g\n"));
    assert_eq!(t.read(3), Got::Block);
}

#[test]
fn two_lines_typed_before_a_read_come_out_in_two_reads() {
    let mut t = Term::new();
    t.type_in(b"one\ntwo\n");
    assert_eq!(t.read(64), data(b"one\n"));
    assert_eq!(t.read(64), data(b"two\n"));
    assert_eq!(t.read(64), Got::Block);
}

#[test]
fn an_empty_buffer_reads_zero_and_takes_nothing() {
    let mut t = Term::new();
    t.type_in(b"x\n");
    assert_eq!(t.tty.read(&mut []), Read::Data(0));
    assert_eq!(t.read(8), data(b"x\n"));
}

#[test]
fn erase_removes_the_last_character_and_wipes_it() {
    let mut t = Term::new();
    t.type_in(b"abc");
    assert_eq!(t.screen(), b"abc");
    t.type_in(ERASE);
    assert_eq!(t.screen(), WIPE);
    t.type_in(b"\n");
    assert_eq!(t.read(64), data(b"ab\n"));
}

#[test]
fn erase_removes_a_whole_multibyte_character() {
    for text in ["é", "€", "🦀"] {
        let mut t = Term::new();
        t.type_in(b"a");
        t.type_in(text.as_bytes());
        t.type_in(ERASE);
        t.type_in(b"\n");
        assert_eq!(t.read(64), data(b"a\n"), "erasing {text}");
    }
}

#[test]
fn erasing_a_wide_character_wipes_two_columns() {
    let mut t = Term::new();
    t.type_in("中é".as_bytes());
    t.screen();
    t.type_in(ERASE);
    assert_eq!(t.screen(), wipes(1), "é is one column");
    t.type_in(ERASE);
    assert_eq!(t.screen(), wipes(2), "中 is two columns");
}

#[test]
fn erase_on_an_empty_line_does_nothing_and_shows_nothing() {
    let mut t = Term::new();
    t.type_in(b"\x7f\x7f\x15\x17");
    assert_eq!(t.screen(), b"");
    t.type_in(b"a\n");
    assert_eq!(t.read(64), data(b"a\n"));
}

#[test]
fn erase_never_reaches_into_a_completed_line() {
    let mut t = Term::new();
    t.type_in(b"ab\n");
    t.screen();
    t.type_in(b"\x7f\x7f\x15");
    assert_eq!(t.screen(), b"");
    assert_eq!(t.read(64), data(b"ab\n"));
}

#[test]
fn without_echoe_erase_shows_the_erase_key() {
    let mut t = Term::with(|t| t.c_lflag &= !ECHOE);
    t.type_in(b"ab\x7f");
    assert_eq!(t.screen(), b"ab^?");
    t.type_in(b"\n");
    assert_eq!(t.read(64), data(b"a\n"));
}

#[test]
fn erasing_a_control_character_wipes_both_columns_of_its_caret_form() {
    let mut t = Term::new();
    t.type_in(b"x\x01");
    assert_eq!(t.screen(), b"x^A");
    t.type_in(ERASE);
    assert_eq!(t.screen(), wipes(2));
    t.type_in(b"\n");
    assert_eq!(t.read(64), data(b"x\n"));
}

#[test]
fn erasing_a_tab_moves_back_to_where_it_began() {
    let mut t = Term::new();
    // The prompt leaves the cursor at column 2; "ab" takes it to 4, the tab to 8.
    t.write(b"$ ");
    t.type_in(b"ab\t");
    t.screen();
    t.type_in(ERASE);
    assert_eq!(t.screen(), b"\x08\x08\x08\x08");
    t.type_in(ERASE);
    assert_eq!(t.screen(), WIPE, "then b, one column");
}

#[test]
fn kill_with_echoke_wipes_the_whole_line() {
    let mut t = Term::new();
    t.write(b"$ ");
    t.type_in("ab中\x01".as_bytes());
    t.screen();
    t.type_in(KILL);
    assert_eq!(t.screen(), wipes(6), "a, b, two for 中, two for ^A");
    t.type_in(b"c\n");
    assert_eq!(t.read(64), data(b"c\n"));
}

#[test]
fn kill_without_echoke_shows_the_key_and_a_newline() {
    let mut t = Term::with(|t| t.c_lflag &= !ECHOKE);
    t.type_in(b"ab\x15");
    assert_eq!(t.screen(), b"ab^U\r\n");
    t.type_in(b"c\n");
    assert_eq!(t.read(64), data(b"c\n"));
}

#[test]
fn word_erase_takes_trailing_blanks_then_the_word() {
    let mut t = Term::new();
    t.type_in(b"echo hello  ");
    t.screen();
    t.type_in(WERASE);
    assert_eq!(t.screen(), wipes(7), "two blanks and five letters");
    t.type_in(WERASE);
    t.type_in(b"ls\n");
    assert_eq!(t.read(64), data(b"ls\n"));
}

#[test]
fn word_erase_is_an_extension_that_needs_iexten() {
    let mut t = Term::with(|t| t.c_lflag &= !IEXTEN);
    t.type_in(b"ab\x17\n");
    assert_eq!(t.read(64), data(b"ab\x17\n"));
}

#[test]
fn eof_at_the_start_of_a_line_reads_as_end_of_file_exactly_once() {
    let mut t = Term::new();
    t.type_in(EOF);
    assert!(t.tty.can_read());
    assert_eq!(t.tty.available(), 0, "the VEOF is not a byte to read");
    assert_eq!(t.read(64), Got::Eof);
    assert_eq!(t.read(64), Got::Block);
    t.type_in(b"x\n");
    assert_eq!(t.read(64), data(b"x\n"), "the terminal is still usable");
}

#[test]
fn eof_in_the_middle_of_a_line_delivers_it_without_newline() {
    let mut t = Term::new();
    t.type_in(b"abc\x04");
    assert_eq!(t.read(64), data(b"abc"));
    assert_eq!(t.read(64), Got::Block, "not an end of file");
}

#[test]
fn eof_is_never_shown() {
    let mut t = Term::new();
    t.type_in(b"ab\x04\x04");
    assert_eq!(t.screen(), b"ab");
}

#[test]
fn a_line_ended_by_eof_read_in_pieces_gives_no_false_end_of_file() {
    let mut t = Term::new();
    t.type_in(b"abcd\x04");
    assert_eq!(t.read(2), data(b"ab"));
    assert_eq!(t.read(2), data(b"cd"));
    assert_eq!(t.read(2), Got::Block);
}

#[test]
fn eof_after_a_newline_is_an_end_of_file_of_its_own() {
    let mut t = Term::new();
    t.type_in(b"x\n\x04");
    assert_eq!(t.read(64), data(b"x\n"));
    assert_eq!(t.read(64), Got::Eof);
    assert_eq!(t.read(64), Got::Block);
}

#[test]
fn veol_ends_a_line_and_is_delivered_with_it() {
    let mut t = Term::with(|t| t.c_cc[VEOL] = b';');
    t.type_in(b"a;b");
    assert_eq!(t.screen(), b"a;b");
    assert_eq!(t.read(64), data(b"a;"));
    assert_eq!(t.read(64), Got::Block);
}

#[test]
fn veol2_is_an_extension_that_needs_iexten() {
    let mut t = Term::with(|t| {
        t.c_cc[VEOL2] = b'|';
        t.c_lflag &= !IEXTEN;
    });
    t.type_in(b"a|b\n");
    assert_eq!(t.read(64), data(b"a|b\n"));
    t.set(|t| t.c_lflag |= IEXTEN);
    t.type_in(b"a|b");
    assert_eq!(t.read(64), data(b"a|"));
}

#[test]
fn lnext_makes_a_signal_key_plain_data() {
    let mut t = Term::new();
    t.type_in(b"a\x16\x03b\n");
    assert!(t.signals.is_empty());
    assert_eq!(t.screen(), b"a^\x08^Cb\r\n");
    assert_eq!(t.read(64), data(b"a\x03b\n"));
}

#[test]
fn a_literal_newline_does_not_end_the_line_and_erases_as_two_columns() {
    let mut t = Term::new();
    t.type_in(b"a\x16\n");
    assert_eq!(t.read(64), Got::Block);
    assert_eq!(t.screen(), b"a^\x08^J");
    t.type_in(ERASE);
    assert_eq!(t.screen(), wipes(2));
    t.type_in(b"\x16\nb\n");
    assert_eq!(t.read(64), data(b"a\nb\n"));
}

#[test]
fn reprint_shows_the_line_again_on_a_new_line() {
    let mut t = Term::new();
    t.type_in(b"ab");
    t.screen();
    t.type_in(b"\x12");
    assert_eq!(t.screen(), b"^R\r\nab");
    t.type_in(b"\n");
    assert_eq!(t.read(64), data(b"ab\n"), "the key itself is not input");
}

#[test]
fn a_disabled_key_matches_nothing_not_even_nul() {
    // VEOL and VEOL2 are 0 by default: NUL must not end a line.
    let mut t = Term::with(|t| t.c_cc[VERASE] = DISABLED);
    t.type_in(b"a\0b\x7f");
    assert_eq!(t.read(64), Got::Block);
    t.type_in(b"\n");
    assert_eq!(t.read(64), data(b"a\0b\x7f\n"));
}

#[test]
fn a_full_line_stops_growing_rings_and_enter_still_ends_it() {
    let mut t = Term::new();
    t.type_in(&[b'a'; 5000]);
    let screen = t.screen();
    let bells = screen.iter().filter(|&&b| b == b'\x07').count();
    assert_eq!(bells, 5000 - (CAPACITY - 1));
    t.type_in(b"\n");
    let mut line = std::vec![b'a'; CAPACITY - 1];
    line.push(b'\n');
    assert_eq!(t.read(2 * CAPACITY), Got::Data(line));
    t.type_in(b"ok\n");
    assert_eq!(t.read(64), data(b"ok\n"));
}

#[test]
fn a_full_line_never_keeps_half_a_character() {
    let mut t = Term::new();
    // One free byte before the reserve: no room for the two bytes of é.
    t.type_in(&[b'a'; CAPACITY - 2]);
    t.screen();
    t.type_in("é".as_bytes());
    assert_eq!(t.screen(), b"\x07", "one bell, for the whole character");
    t.type_in(b"b\n");
    let mut line = std::vec![b'a'; CAPACITY - 2];
    line.extend_from_slice(b"b\n");
    assert_eq!(t.read(2 * CAPACITY), Got::Data(line));
}

#[test]
fn the_editing_keys_still_work_on_a_full_line() {
    let mut t = Term::new();
    t.type_in(&[b'a'; CAPACITY]);
    t.type_in(ERASE);
    t.type_in(b"b");
    t.screen();
    t.type_in(b"c");
    assert_eq!(t.screen(), b"\x07", "full again after the b");
    t.type_in(KILL);
    t.type_in(b"x\n");
    assert_eq!(t.read(64), data(b"x\n"));
}

#[test]
fn unread_lines_are_never_lost_to_new_typing() {
    let mut t = Term::new();
    const LINE: &[u8] = b"0123456789abcde\n";
    let lines = CAPACITY / LINE.len();
    for _ in 0..lines {
        t.type_in(LINE);
    }
    assert_eq!(t.tty.available(), CAPACITY);
    t.screen();
    t.type_in(b"zz\n");
    assert_eq!(
        t.screen(),
        b"\x07\x07\x07",
        "no room, not even for the newline"
    );
    for _ in 0..lines {
        assert_eq!(t.read(64), data(LINE));
    }
    assert_eq!(t.read(64), Got::Block);
    t.type_in(b"new\n");
    assert_eq!(t.read(64), data(b"new\n"));
}

#[test]
fn fionread_counts_completed_lines_but_not_the_edit_line_or_eof() {
    let mut t = Term::new();
    t.type_in(b"ab\ncd\n\x04ef");
    assert_eq!(t.tty.available(), 6);
    assert_eq!(t.read(64), data(b"ab\n"));
    assert_eq!(t.tty.available(), 3);
}

#[test]
fn flush_input_discards_lines_and_the_edit_line() {
    let mut t = Term::new();
    t.type_in(b"ab\ncd");
    t.tty.flush_input();
    assert_eq!(t.tty.available(), 0);
    assert!(!t.tty.can_read());
    t.type_in(b"\n");
    assert_eq!(t.read(64), data(b"\n"), "cd is gone too");
}
