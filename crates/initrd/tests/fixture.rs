//! The fixture the Python writer made (`tests/test_initrd.py` writes it with `pack()` and checks
//! that `pack()` still writes exactly these bytes). Reading it here, entry by entry, is what keeps
//! the writer and this reader in agreement about the format.

use initrd::{Archive, Kind};

const SAMPLE: &[u8] = include_bytes!("fixtures/sample.cpio");

/// The contents of `bin/hello` in the fixture: the ELF magic, then the bytes 0 to 59.
fn hello_contents() -> Vec<u8> {
    let mut data = b"\x7fELF".to_vec();
    data.extend(0..60u8);
    data
}

#[test]
fn the_python_writers_archive_reads_entry_by_entry() {
    let archive = Archive::new(SAMPLE).expect("the fixture is valid");
    let hello = hello_contents();
    let motd = b"Welcome to Ferrite.\nThis file came from the initrd.\n";
    // The writer adds the parent directories (mode 040755) and sorts by name.
    let expected: [(&str, u32, &[u8]); 6] = [
        ("bin", 0o040_755, b""),
        ("bin/args", 0o100_755, b"not a multiple of 4"),
        ("bin/hello", 0o100_755, &hello),
        ("etc", 0o040_755, b""),
        ("etc/empty", 0o100_644, b""),
        ("etc/motd", 0o100_644, motd),
    ];
    assert_eq!(archive.len(), expected.len());
    let mut entries = archive.entries();
    for (name, mode, data) in expected {
        let entry = entries.next().expect("as many entries as expected");
        assert_eq!((entry.name, entry.mode, entry.data), (name, mode, data));
    }
    assert_eq!(entries.next(), None);
}

#[test]
fn lookups_in_the_fixture() {
    let archive = Archive::new(SAMPLE).expect("the fixture is valid");
    let hello = archive.find("/bin/hello").expect("/bin/hello is there");
    assert_eq!(hello.kind(), Kind::File);
    assert!(hello.is_executable());
    assert_eq!(hello.data, hello_contents().as_slice());
    assert_eq!(archive.find("bin/args").map(|e| e.data.len()), Some(19));
    let motd = archive.find("/etc/motd").expect("/etc/motd is there");
    assert!(!motd.is_executable());
    assert_eq!(archive.find("/etc/empty").map(|e| e.data), Some(&b""[..]));
    assert_eq!(
        archive.find("/etc").map(|e| e.kind()),
        Some(Kind::Directory)
    );
    assert_eq!(archive.find("/bin/missing"), None);
}
