//! Builds newc archives for the tests, byte by byte and apart from the reader under test, so
//! that a test can also build archives the reader must refuse.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the builder"
)]

/// Where each field sits in `Raw::fields`, in header order.
pub const INO: usize = 0;
pub const MODE: usize = 1;
pub const NLINK: usize = 4;
pub const FILESIZE: usize = 6;
pub const NAMESIZE: usize = 11;
pub const FIELD_COUNT: usize = 13;

/// Regular-file and directory modes as the tests use them.
pub const EXEC_FILE: u32 = 0o100_755;
pub const TEXT_FILE: u32 = 0o100_644;
pub const DIRECTORY: u32 = 0o040_755;

/// One entry exactly as it will be written, sizes included, so that they can be made wrong.
#[derive(Clone)]
pub struct Raw {
    pub magic: Vec<u8>,
    pub fields: [u32; FIELD_COUNT],
    /// The name's bytes, NUL included.
    pub name: Vec<u8>,
    pub data: Vec<u8>,
}

impl Raw {
    /// A well-formed entry.
    pub fn new(name: &str, mode: u32, data: &[u8]) -> Raw {
        let mut name = name.as_bytes().to_vec();
        name.push(0);
        let mut fields = [0; FIELD_COUNT];
        fields[MODE] = mode;
        fields[NLINK] = 1;
        fields[FILESIZE] = data.len() as u32;
        fields[NAMESIZE] = name.len() as u32;
        Raw {
            magic: b"070701".to_vec(),
            fields,
            name,
            data: data.to_vec(),
        }
    }

    /// The entry that ends an archive.
    pub fn trailer() -> Raw {
        Raw::new("TRAILER!!!", 0, b"")
    }

    /// Appends the entry. Fields are written in upper case (the Python writer uses lower case,
    /// so between the two both are tested).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.magic);
        for value in self.fields {
            out.extend_from_slice(format!("{value:08X}").as_bytes());
        }
        out.extend_from_slice(&self.name);
        pad(out);
        out.extend_from_slice(&self.data);
        pad(out);
    }
}

/// Zeros up to the next multiple of four bytes.
pub fn pad(out: &mut Vec<u8>) {
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// The entries, one after the other, with nothing added.
pub fn archive(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in entries {
        entry.write(&mut out);
    }
    out
}

/// A well-formed archive of `(name, mode, data)` entries, in the order given, and the trailer.
pub fn files(list: &[(&str, u32, &[u8])]) -> Vec<u8> {
    let mut entries: Vec<Raw> = list
        .iter()
        .map(|&(name, mode, data)| Raw::new(name, mode, data))
        .collect();
    entries.push(Raw::trailer());
    archive(&entries)
}
