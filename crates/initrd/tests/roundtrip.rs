//! Archives built by hand read back entry for entry, and lookups find what they should.

mod common;

use common::{files, Raw, DIRECTORY, EXEC_FILE, TEXT_FILE};
use initrd::{Archive, Entry, Kind};

const HELLO: &[u8] = b"\x7fELF pretend program";
const ODD: &[u8] = b"seven b";

fn sample() -> Vec<u8> {
    files(&[
        ("bin", DIRECTORY, b""),
        ("bin/hello", EXEC_FILE, HELLO),
        ("bin/odd", EXEC_FILE, ODD),
        ("etc", DIRECTORY, b""),
        ("etc/empty", TEXT_FILE, b""),
        ("etc/grüße", TEXT_FILE, "hallo\n".as_bytes()),
    ])
}

#[test]
fn a_hand_built_archive_reads_back_entry_for_entry() {
    let bytes = sample();
    let archive = Archive::new(&bytes).expect("a well-formed archive");
    let entries: Vec<Entry<'_>> = archive.entries().collect();
    let expected = [
        ("bin", DIRECTORY, &b""[..]),
        ("bin/hello", EXEC_FILE, HELLO),
        ("bin/odd", EXEC_FILE, ODD),
        ("etc", DIRECTORY, b""),
        ("etc/empty", TEXT_FILE, b""),
        ("etc/grüße", TEXT_FILE, b"hallo\n"),
    ];
    assert_eq!(entries.len(), expected.len());
    assert_eq!(archive.len(), expected.len());
    assert!(!archive.is_empty());
    for (entry, (name, mode, data)) in entries.iter().zip(expected) {
        assert_eq!((entry.name, entry.mode, entry.data), (name, mode, data));
    }
}

#[test]
fn kinds_and_execute_bits() {
    let bytes = files(&[
        ("bin", DIRECTORY, b""),
        ("bin/group-only", 0o100_010, b"x"),
        ("bin/plain", 0o100_644, b"x"),
        ("dev", DIRECTORY, b""),
        ("dev/link", 0o120_777, b"target"),
    ]);
    let archive = Archive::new(&bytes).expect("valid");
    let kind = |path| archive.find(path).map(|entry| entry.kind());
    let exec = |path| archive.find(path).map(|entry| entry.is_executable());
    assert_eq!(kind("bin"), Some(Kind::Directory));
    assert_eq!(
        exec("bin"),
        Some(false),
        "directories have x bits but are not programs"
    );
    assert_eq!(kind("bin/plain"), Some(Kind::File));
    assert_eq!(exec("bin/plain"), Some(false));
    assert_eq!(exec("bin/group-only"), Some(true));
    assert_eq!(kind("dev/link"), Some(Kind::Other));
    assert_eq!(exec("dev/link"), Some(false));
}

#[test]
fn find_strips_leading_slashes_and_nothing_else() {
    let bytes = sample();
    let archive = Archive::new(&bytes).expect("valid");
    for path in ["bin/hello", "/bin/hello", "//bin/hello"] {
        assert_eq!(archive.find(path).map(|e| e.data), Some(HELLO), "{path}");
    }
    for path in [
        "./bin/hello",
        "bin//hello",
        "bin/hello/",
        "bin/../bin/hello",
        "",
        "/",
        "bin/hell",
        "bin/hello2",
        "zzz",
    ] {
        assert_eq!(archive.find(path), None, "{path:?}");
    }
    assert_eq!(
        archive.find("etc/grüße").map(|e| e.data),
        Some(&b"hallo\n"[..])
    );
}

#[test]
fn an_archive_of_only_a_trailer_is_empty() {
    let bytes = files(&[]);
    let archive = Archive::new(&bytes).expect("valid");
    assert!(archive.is_empty());
    assert_eq!(archive.len(), 0);
    assert_eq!(archive.entries().count(), 0);
    assert_eq!(archive.find("bin/hello"), None);
}

#[test]
fn zero_padding_after_the_trailer_is_allowed_even_unaligned() {
    let mut bytes = sample();
    bytes.resize(bytes.len().next_multiple_of(512) + 3, 0);
    assert_eq!(Archive::new(&bytes).expect("zero padding is fine").len(), 6);

    // The trailer's own padding may be missing too: the archive may end just after its NUL.
    let mut bytes = sample();
    while bytes.last() == Some(&0) && !bytes.ends_with(b"TRAILER!!!\0") {
        bytes.pop();
    }
    assert!(bytes.ends_with(b"TRAILER!!!\0"));
    assert_eq!(Archive::new(&bytes).expect("no padding is fine").len(), 6);
}

#[test]
fn fields_the_reader_ignores_may_hold_anything_hexadecimal() {
    let mut hello = Raw::new("bin/hello", EXEC_FILE, HELLO);
    // ino, uid, gid, nlink, mtime, the device numbers and the checksum.
    for field in [0, 2, 3, 4, 5, 7, 8, 9, 10, 12] {
        hello.fields[field] = 0xFFFF_FFFF;
    }
    let bytes = common::archive(&[hello, Raw::trailer()]);
    let archive = Archive::new(&bytes).expect("valid");
    assert_eq!(archive.find("bin/hello").map(|e| e.data), Some(HELLO));
}

#[test]
fn entries_may_come_without_their_parent_directories() {
    let bytes = files(&[("bin/hello", EXEC_FILE, HELLO)]);
    let archive = Archive::new(&bytes).expect("valid");
    assert_eq!(archive.find("bin"), None);
    assert!(archive.find("/bin/hello").is_some());
}
