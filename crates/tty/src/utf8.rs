//! Just enough UTF-8 to treat a character as one unit.
//!
//! The keyboard driver and a serial terminal send UTF-8, one byte at a time. The discipline
//! stores bytes, but a user erases *characters*: Backspace after "é" must take both of its
//! bytes, or the line keeps half a character that no program can decode. The encoding makes
//! this cheap (RFC 3629 §3): a character's first byte says how long the character is, and the
//! bytes after it (`10xx_xxxx`) never start one, so the start of the last character is found by
//! walking back at most four bytes, without decoding the line from its beginning.

/// The longest encoding of a character, in bytes.
pub(crate) const MAX_LEN: usize = 4;
/// The top two bits of every continuation byte.
const CONTINUATION_TAG: u8 = 0b1000_0000;
/// Selects the top two bits of a byte.
const TOP_TWO_BITS: u8 = 0b1100_0000;

/// Whether `byte` continues a character rather than starting one.
pub(crate) fn is_continuation(byte: u8) -> bool {
    byte & TOP_TWO_BITS == CONTINUATION_TAG
}

/// How long the character that `lead` starts is: the count of its leading one bits, or 1 for
/// ASCII and for bytes that cannot start a character.
pub(crate) fn sequence_len(lead: u8) -> usize {
    match lead.leading_ones() {
        ones @ 2..=4 => ones as usize,
        _ => 1,
    }
}

/// The character `bytes` encode, if they are exactly one valid character.
pub(crate) fn decode(bytes: &[u8]) -> Option<char> {
    let mut chars = core::str::from_utf8(bytes).ok()?.chars();
    let first = chars.next()?;
    chars.next().is_none().then_some(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_come_from_the_lead_byte() {
        assert_eq!(sequence_len(b'a'), 1);
        assert_eq!(sequence_len("é".as_bytes()[0]), 2);
        assert_eq!(sequence_len("€".as_bytes()[0]), 3);
        assert_eq!(sequence_len("🦀".as_bytes()[0]), 4);
        // A continuation byte or 0xFF starts nothing: treated as a lone byte.
        assert_eq!(sequence_len(0x80), 1);
        assert_eq!(sequence_len(0xff), 1);
        assert!(is_continuation("é".as_bytes()[1]));
        assert!(!is_continuation(b'a'));
    }

    #[test]
    fn decode_takes_exactly_one_character() {
        assert_eq!(decode("€".as_bytes()), Some('€'));
        assert_eq!(decode(b"ab"), None);
        assert_eq!(decode(&"€".as_bytes()[..2]), None);
        assert_eq!(decode(b""), None);
    }
}
