//! Every rule the reader enforces, broken once, with the error and the offset it reports.

mod common;

use common::{archive, files, Raw, DIRECTORY, EXEC_FILE, FILESIZE, NAMESIZE, TEXT_FILE};
use initrd::{Archive, Error, ErrorKind, Field, HEADER_LEN};

/// The reader's verdict on `bytes`, as (offset, kind).
fn refusal(bytes: &[u8]) -> (usize, ErrorKind) {
    match Archive::new(bytes) {
        Ok(archive) => panic!("accepted an archive of {} entries", archive.len()),
        Err(Error { offset, kind }) => (offset, kind),
    }
}

/// An archive whose second entry is `bad`, and the offset where that entry starts.
fn second(bad: Raw) -> (Vec<u8>, usize) {
    let first = Raw::new("a", TEXT_FILE, b"12345");
    let mut bytes = archive(&[first]);
    let at = bytes.len();
    bad.write(&mut bytes);
    Raw::trailer().write(&mut bytes);
    (bytes, at)
}

/// `Raw::new(name, …)` with its NUL-terminated name replaced by `raw_name`, sizes to match.
fn with_raw_name(raw_name: &[u8]) -> Raw {
    let mut entry = Raw::new("x", TEXT_FILE, b"data");
    entry.name = raw_name.to_vec();
    entry.fields[NAMESIZE] = raw_name.len() as u32;
    entry
}

#[test]
fn truncated_header() {
    let bytes = files(&[("a", TEXT_FILE, b"1234")]);
    // Cut inside the trailer's header: the entry before is complete.
    let trailer_at = bytes.len() - 124;
    assert_eq!(
        refusal(&bytes[..trailer_at + 50]),
        (trailer_at, ErrorKind::TruncatedHeader)
    );
    assert_eq!(
        refusal(&bytes[..HEADER_LEN - 1]),
        (0, ErrorKind::TruncatedHeader)
    );
}

#[test]
fn bad_magic_and_the_crc_format() {
    let mut entry = Raw::new("b", TEXT_FILE, b"");
    entry.magic = b"070707".to_vec(); // the old portable ("odc") format
    let (bytes, at) = second(entry);
    assert_eq!(refusal(&bytes), (at, ErrorKind::BadMagic));

    let mut entry = Raw::new("b", TEXT_FILE, b"");
    entry.magic = b"070702".to_vec();
    let (bytes, at) = second(entry);
    assert_eq!(refusal(&bytes), (at, ErrorKind::CrcFormat));
    assert_eq!(
        refusal(b"hello, this is not a cpio archive at all").1,
        ErrorKind::TruncatedHeader
    );
    assert_eq!(refusal(&[b'x'; 200]), (0, ErrorKind::BadMagic));
}

#[test]
fn a_non_hex_digit_names_its_field_and_points_at_the_byte() {
    for (index, field) in Field::ALL.into_iter().enumerate() {
        let (mut bytes, at) = second(Raw::new("b", TEXT_FILE, b""));
        let digit = at + 6 + index * 8 + 3;
        bytes[digit] = b'g';
        assert_eq!(
            refusal(&bytes),
            (digit, ErrorKind::BadHexDigit(field)),
            "{field:?}"
        );
        let message = Archive::new(&bytes).unwrap_err().to_string();
        assert!(message.contains(field.name()), "{message}");
        assert!(message.contains(&format!("byte {digit} ")), "{message}");
    }
    let (mut bytes, at) = second(Raw::new("b", TEXT_FILE, b""));
    bytes[at + 6] = b'+';
    assert_eq!(
        refusal(&bytes),
        (at + 6, ErrorKind::BadHexDigit(Field::Ino))
    );
}

#[test]
fn name_problems() {
    let mut entry = Raw::new("b", TEXT_FILE, b"");
    entry.name.clear();
    entry.fields[NAMESIZE] = 0;
    let (bytes, at) = second(entry);
    assert_eq!(refusal(&bytes), (at, ErrorKind::EmptyName));

    let (bytes, at) = second(with_raw_name(b"\0"));
    assert_eq!(refusal(&bytes), (at, ErrorKind::EmptyName));

    for raw in [&b"bx"[..], b"b\0x\0", b"\0\0"] {
        let (bytes, at) = second(with_raw_name(raw));
        assert_eq!(
            refusal(&bytes),
            (at, ErrorKind::NameNotTerminated),
            "{raw:?}"
        );
    }

    let (bytes, at) = second(with_raw_name(b"b\xff\0"));
    assert_eq!(refusal(&bytes), (at, ErrorKind::NameNotUtf8));

    let mut entry = Raw::new("b", TEXT_FILE, b"");
    entry.fields[NAMESIZE] = 0xFFFF_FFFF;
    let (bytes, at) = second(entry);
    assert_eq!(refusal(&bytes), (at, ErrorKind::NamePastEnd));
}

#[test]
fn data_past_the_end() {
    let mut entry = Raw::new("b", TEXT_FILE, b"1234");
    entry.fields[FILESIZE] = 1000;
    let (bytes, at) = second(entry);
    assert_eq!(refusal(&bytes), (at, ErrorKind::DataPastEnd));

    let mut entry = Raw::new("b", TEXT_FILE, b"");
    entry.fields[FILESIZE] = 0xFFFF_FFFF;
    let (bytes, at) = second(entry);
    assert_eq!(refusal(&bytes), (at, ErrorKind::DataPastEnd));

    // The last entry's data is cut short, and there is no trailer after it.
    let bytes = archive(&[Raw::new("b", TEXT_FILE, b"12345678")]);
    assert_eq!(
        refusal(&bytes[..bytes.len() - 2]),
        (0, ErrorKind::DataPastEnd)
    );
}

#[test]
fn names_must_be_relative_canonical_and_short() {
    let long = "x".repeat(initrd::MAX_PATH_LEN + 1);
    let cases = [
        ("/bin/hello", ErrorKind::AbsoluteName),
        ("bin//hello", ErrorKind::EmptyComponent),
        ("bin/", ErrorKind::EmptyComponent),
        ("./bin", ErrorKind::DotComponent),
        ("bin/.", ErrorKind::DotComponent),
        ("..", ErrorKind::ParentComponent),
        ("b/../../etc/passwd", ErrorKind::ParentComponent),
        (long.as_str(), ErrorKind::NameTooLong),
    ];
    for (name, kind) in cases {
        let (bytes, at) = second(Raw::new(name, TEXT_FILE, b"x"));
        assert_eq!(refusal(&bytes), (at, kind), "{name:?}");
    }
    let longest = "x".repeat(initrd::MAX_PATH_LEN);
    assert!(Archive::new(&second(Raw::new(&longest, TEXT_FILE, b"")).0).is_ok());
}

#[test]
fn names_must_increase() {
    let bytes = files(&[
        ("bin", DIRECTORY, b""),
        ("bin/b", EXEC_FILE, b""),
        ("bin/a", EXEC_FILE, b""),
    ]);
    // "bin\0" ends at 114, padded to 116; "bin/b\0" ends at 116 + 116 = 232, no padding.
    assert_eq!(refusal(&bytes), (232, ErrorKind::OutOfOrder));

    let bytes = files(&[("bin/a", EXEC_FILE, b"1"), ("bin/a", EXEC_FILE, b"2")]);
    assert_eq!(refusal(&bytes), (120, ErrorKind::DuplicateName));
}

#[test]
fn the_trailer_must_be_there() {
    let bytes = archive(&[Raw::new("a", TEXT_FILE, b"1234")]);
    assert_eq!(refusal(&bytes), (bytes.len(), ErrorKind::MissingTrailer));
    assert_eq!(refusal(b""), (0, ErrorKind::MissingTrailer));
    // A trailer in the wrong case is just an odd, out-of-order name.
    let bytes = files(&[("a", TEXT_FILE, b"1234"), ("Trailer!!!", 0, b"")]);
    assert_eq!(refusal(&bytes).1, ErrorKind::OutOfOrder);
}

#[test]
fn only_zeros_may_follow_the_trailer() {
    let mut bytes = files(&[("a", TEXT_FILE, b"1234")]);
    let end = bytes.len();
    bytes.extend_from_slice(&[0, 0, 0, 0, 0, 7]);
    assert_eq!(refusal(&bytes), (end + 5, ErrorKind::TrailingData));

    // A second archive appended by mistake.
    let mut bytes = files(&[("a", TEXT_FILE, b"1234")]);
    let end = bytes.len();
    bytes.extend(files(&[("b", TEXT_FILE, b"5678")]));
    assert_eq!(refusal(&bytes), (end, ErrorKind::TrailingData));

    // The trailer's data counts as "after the trailer".
    let mut trailer = Raw::trailer();
    trailer.data = b"junk".to_vec();
    trailer.fields[FILESIZE] = 4;
    let bytes = archive(&[trailer]);
    // The name ends at 110 + 11 = 121, zeros pad it to 124, then comes "junk".
    assert_eq!(refusal(&bytes), (124, ErrorKind::TrailingData));
}

#[test]
fn messages_give_the_offset_in_decimal_and_hex() {
    let error = Archive::new(b"").unwrap_err();
    assert_eq!(
        error.to_string(),
        "bad initrd at byte 0 (0x0): the archive ends without a TRAILER!!! entry"
    );
    let mut entry = Raw::new("b", TEXT_FILE, b"");
    entry.magic = b"070702".to_vec();
    let (bytes, at) = second(entry);
    let message = Archive::new(&bytes).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("bad initrd at byte {at} ({at:#x}): ")),
        "{message}"
    );
    assert!(message.contains("070702"), "{message}");
}
