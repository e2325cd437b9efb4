//! One newc header: a six-byte magic, then thirteen numbers of eight hexadecimal digits each.
//!
//! newc writes every number as text of a fixed width, so a header is always 110 bytes and each
//! field has a fixed place. There is no byte order to get wrong, and a header can be read in a
//! hex dump. The cost is that every digit has to be checked. `u32::from_str_radix` would accept
//! a leading `+`, so this module reads the digits itself. Both cases of `a`-`f` are accepted:
//! GNU cpio writes lower case and Linux's `gen_init_cpio` writes upper case.

use crate::error::{Error, ErrorKind};

/// The magic of the "new ASCII" format, the only one this reader accepts.
pub const MAGIC: &[u8; MAGIC_LEN] = b"070701";
/// The magic of the "new CRC" format: the same layout, but with a checksum of the data in
/// `c_check`. It gets its own error so that the message says what the file is.
pub const CRC_MAGIC: &[u8; MAGIC_LEN] = b"070702";
/// Length of the magic in bytes.
const MAGIC_LEN: usize = 6;
/// Each field is this many hexadecimal digits: 32 bits.
pub const FIELD_DIGITS: usize = 8;
/// The number of fields after the magic.
const FIELD_COUNT: usize = 13;
/// The size of a header in bytes (110).
pub const HEADER_LEN: usize = MAGIC_LEN + FIELD_COUNT * FIELD_DIGITS;
/// The fields are written in base 16.
const RADIX: u32 = 16;

/// A field of the header, in the order the header stores them. The names are those of cpio(5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `c_ino`: the inode number. Tools use it to find hard links; this reader ignores it.
    Ino,
    /// `c_mode`: the file type (`S_IFMT` bits) and permissions.
    Mode,
    /// `c_uid`: the owner. Ignored.
    Uid,
    /// `c_gid`: the group. Ignored.
    Gid,
    /// `c_nlink`: the number of links. Ignored.
    Nlink,
    /// `c_mtime`: the modification time. Ignored.
    Mtime,
    /// `c_filesize`: the number of data bytes after the name.
    FileSize,
    /// `c_devmajor`: the device the file was on. Ignored.
    DevMajor,
    /// `c_devminor`: the device the file was on. Ignored.
    DevMinor,
    /// `c_rdevmajor`: the device a device node stands for. Ignored.
    RdevMajor,
    /// `c_rdevminor`: the device a device node stands for. Ignored.
    RdevMinor,
    /// `c_namesize`: the length of the name, including its NUL.
    NameSize,
    /// `c_check`: the checksum in the CRC format, zero in newc. Ignored.
    Check,
}

impl Field {
    /// All fields, in header order.
    pub const ALL: [Field; FIELD_COUNT] = [
        Field::Ino,
        Field::Mode,
        Field::Uid,
        Field::Gid,
        Field::Nlink,
        Field::Mtime,
        Field::FileSize,
        Field::DevMajor,
        Field::DevMinor,
        Field::RdevMajor,
        Field::RdevMinor,
        Field::NameSize,
        Field::Check,
    ];

    /// The field's name in cpio(5), for error messages.
    pub fn name(self) -> &'static str {
        match self {
            Field::Ino => "c_ino",
            Field::Mode => "c_mode",
            Field::Uid => "c_uid",
            Field::Gid => "c_gid",
            Field::Nlink => "c_nlink",
            Field::Mtime => "c_mtime",
            Field::FileSize => "c_filesize",
            Field::DevMajor => "c_devmajor",
            Field::DevMinor => "c_devminor",
            Field::RdevMajor => "c_rdevmajor",
            Field::RdevMinor => "c_rdevminor",
            Field::NameSize => "c_namesize",
            Field::Check => "c_check",
        }
    }

    /// Where the field's first digit is, counted from the start of the header.
    pub fn offset(self) -> usize {
        // At most 6 + 12 * 8: cannot overflow.
        MAGIC_LEN + self as usize * FIELD_DIGITS
    }
}

/// The fields this reader uses. The others are checked to be hexadecimal, then dropped.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Header {
    /// `c_mode`.
    pub mode: u32,
    /// `c_filesize`.
    pub file_size: u32,
    /// `c_namesize`.
    pub name_size: u32,
}

/// Reads the header that starts at `offset` in `bytes`.
pub(crate) fn parse(bytes: &[u8], offset: usize) -> Result<Header, Error> {
    let error = |kind| Error { offset, kind };
    let header = offset
        .checked_add(HEADER_LEN)
        .and_then(|end| bytes.get(offset..end))
        .ok_or(error(ErrorKind::TruncatedHeader))?;
    let (magic, fields) = header
        .split_first_chunk::<MAGIC_LEN>()
        .ok_or(error(ErrorKind::TruncatedHeader))?;
    if magic == CRC_MAGIC {
        return Err(error(ErrorKind::CrcFormat));
    }
    if magic != MAGIC {
        return Err(error(ErrorKind::BadMagic));
    }
    let mut parsed = Header::default();
    for (field, digits) in Field::ALL
        .into_iter()
        .zip(fields.chunks_exact(FIELD_DIGITS))
    {
        let value = parse_hex(digits).map_err(|bad| Error {
            // Inside the header, whose end did not overflow: saturation never happens.
            offset: offset.saturating_add(field.offset()).saturating_add(bad),
            kind: ErrorKind::BadHexDigit(field),
        })?;
        match field {
            Field::Mode => parsed.mode = value,
            Field::FileSize => parsed.file_size = value,
            Field::NameSize => parsed.name_size = value,
            _ => {}
        }
    }
    Ok(parsed)
}

/// The value of a field's digits, or the index of the first byte that is not a hex digit.
fn parse_hex(digits: &[u8]) -> Result<u32, usize> {
    digits
        .iter()
        .enumerate()
        .try_fold(0u32, |value, (at, &byte)| {
            let digit = char::from(byte).to_digit(RADIX).ok_or(at)?;
            // Eight digits always fit in 32 bits; checked all the same, so it cannot wrap.
            value
                .checked_mul(RADIX)
                .and_then(|value| value.checked_add(digit))
                .ok_or(at)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_tile_the_header() {
        assert_eq!(HEADER_LEN, 110);
        assert_eq!(Field::Ino.offset(), MAGIC.len());
        for pair in Field::ALL.windows(2) {
            assert_eq!(pair[0].offset() + FIELD_DIGITS, pair[1].offset());
        }
        assert_eq!(Field::Check.offset() + FIELD_DIGITS, HEADER_LEN);
    }

    #[test]
    fn hex_digits_in_either_case_and_nothing_else() {
        assert_eq!(parse_hex(b"0000001f"), Ok(0x1f));
        assert_eq!(parse_hex(b"DEADBEEF"), Ok(0xDEAD_BEEF));
        assert_eq!(parse_hex(b"ffffffff"), Ok(u32::MAX));
        assert_eq!(parse_hex(b"+0000001"), Err(0));
        assert_eq!(parse_hex(b"0000 001"), Err(4));
        assert_eq!(parse_hex(b"0x000001"), Err(1));
        assert_eq!(parse_hex(b"0000000\xc3"), Err(7));
    }
}
