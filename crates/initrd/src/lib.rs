//! The initial ramdisk: the archive of user programs the kernel finds `/bin/NAME` in.
//!
//! Early on the kernel has no disk driver and no file system, but it still needs programs to run.
//! So the build packs them into one archive (`tools/ferrite_tools/initrd.py`), the image builder
//! hands it to the bootloader as its ramdisk, and the bootloader loads it next to the kernel
//! (`BootInfo::ramdisk_addr` and `ramdisk_len`). This crate reads that archive in place. It does
//! not allocate, so it works before the heap exists, and it runs on the host under `cargo test`.
//!
//! The format is "new ASCII" cpio (newc), which Linux uses for its initramfs
//! (`Documentation/driver-api/early-userspace/buffer-format.rst` in the kernel sources). It is
//! about the simplest archive format in real use: each file is a fixed-size text header, its
//! name, then its bytes, and standard tools can list it (`cpio -t < initrd.cpio`):
//!
//! ```text
//!  +0    "070701"                    magic, 6 bytes
//!  +6    13 fields x 8 hex digits    c_ino c_mode c_uid c_gid c_nlink c_mtime c_filesize
//!                                    c_devmajor c_devminor c_rdevmajor c_rdevminor
//!                                    c_namesize c_check
//!  +110  name, c_namesize bytes      the last one NUL; then zeros up to a multiple of 4
//!        data, c_filesize bytes      then zeros up to a multiple of 4
//!        ...next header...
//!        "TRAILER!!!" entry          ends the archive
//! ```
//!
//! Design rules, which the Python writer follows too:
//!
//! 1. **Check everything once, up front.** The archive comes from the boot medium, and a broken
//!    build or a truncated copy is as likely as a hostile file. [`Archive::new`] checks every
//!    header, name, size and the trailer, with checked arithmetic and no indexing that can
//!    panic. After that a lookup cannot fail, so the kernel handles one error at boot instead of
//!    one per lookup.
//! 2. **One spelling per file.** Names are relative and canonical (see `path.rs`) and at most
//!    [`MAX_PATH_LEN`] bytes, so finding a file is a string comparison.
//! 3. **Names in strictly increasing byte order.** Without a heap there is nowhere to keep a set
//!    of the names seen so far. With sorted names a duplicate is caught by comparing each name
//!    with the one before it, and a lookup can stop once it has passed the name it wants. The
//!    writer sorts anyway so that builds are reproducible. An archive made by hand must be sorted
//!    too: `find bin etc | LC_ALL=C sort | cpio -o -H newc`.
//! 4. **After the trailer, only zeros.** GNU cpio pads its output to 512-byte blocks, and a
//!    loader may round a file up. Anything else is probably a second archive appended by mistake.
//!    Linux would read that one too; this reader refuses it rather than quietly ignore it.
//!
//! The reader keeps only the name, `c_mode` and the data. The other fields are checked to be
//! hexadecimal and then ignored, and so are the bytes of the padding. Hard links are not
//! supported: newc stores a linked file's data only with its last link, so an earlier link
//! would read as an empty file. Ferrite's writer never makes hard links.

#![no_std]
#![forbid(unsafe_code)]

mod error;
mod header;
mod path;

use core::cmp::Ordering;
use core::iter::FusedIterator;

pub use error::{Error, ErrorKind};
pub use header::{Field, CRC_MAGIC, FIELD_DIGITS, HEADER_LEN, MAGIC};

/// The name of the entry that ends an archive.
pub const TRAILER_NAME: &str = "TRAILER!!!";
/// The longest name accepted, in bytes and without the NUL. Long enough for any path the build
/// makes, and short enough that the kernel can copy a path into a fixed buffer. The Python writer
/// has the same limit, and `tests/test_initrd.py` checks that the two agree.
pub const MAX_PATH_LEN: usize = 255;
/// Headers, and the data after each name, start at multiples of this many bytes.
const ALIGN: usize = 4;

/// The bits of `c_mode` that give the file type (`S_IFMT` in POSIX `<sys/stat.h>`).
pub const S_IFMT: u32 = 0o170_000;
/// The file type of a regular file.
pub const S_IFREG: u32 = 0o100_000;
/// The file type of a directory.
pub const S_IFDIR: u32 = 0o040_000;
/// The execute permission bits for the owner, the group and others.
pub const EXECUTE_BITS: u32 = 0o111;

/// A validated archive, borrowing its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Archive<'a> {
    /// The entries, from the first header up to the trailer's header (not included).
    body: &'a [u8],
    /// The number of entries in `body`.
    len: usize,
}

/// One file or directory in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// The name as stored, without a leading slash: `bin/hello`.
    pub name: &'a str,
    /// `c_mode`: the file type and permission bits.
    pub mode: u32,
    /// The file's contents (empty for a directory).
    pub data: &'a [u8],
}

/// What kind of file an entry is, from the type bits of its mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Directory,
    /// Anything else: a symbolic link, a device node, a FIFO, a socket. Ferrite has no use for
    /// these yet, but they are not an error.
    Other,
}

impl Entry<'_> {
    /// The kind of file, from the `S_IFMT` bits of the mode.
    pub fn kind(&self) -> Kind {
        match self.mode & S_IFMT {
            S_IFREG => Kind::File,
            S_IFDIR => Kind::Directory,
            _ => Kind::Other,
        }
    }

    /// Whether this is a regular file with any execute bit set (owner, group or other). Ferrite
    /// has no users yet, so any of them will do.
    pub fn is_executable(&self) -> bool {
        self.kind() == Kind::File && self.mode & EXECUTE_BITS != 0
    }
}

impl<'a> Archive<'a> {
    /// Checks the whole archive (every header, name, size, the order of the names and the
    /// trailer) and returns it, or the first rule it breaks.
    pub fn new(bytes: &'a [u8]) -> Result<Archive<'a>, Error> {
        let mut offset = 0;
        let mut len: usize = 0;
        let mut previous: Option<&str> = None;
        loop {
            let named = read_name(bytes, offset)?;
            if named.name == TRAILER_NAME {
                check_zeros(bytes, named.name_end)?;
                return Ok(Archive {
                    // The trailer's header was read, so `offset` is inside `bytes`.
                    body: bytes.get(..offset).unwrap_or_default(),
                    len,
                });
            }
            let entry = read_data(bytes, offset, &named)?;
            let error = |kind| Error { offset, kind };
            path::check(named.name).map_err(error)?;
            match previous.map(|previous| named.name.cmp(previous)) {
                Some(Ordering::Less) => return Err(error(ErrorKind::OutOfOrder)),
                Some(Ordering::Equal) => return Err(error(ErrorKind::DuplicateName)),
                Some(Ordering::Greater) | None => {}
            }
            previous = Some(named.name);
            // Every entry takes at least a header, so the count stays far below usize::MAX.
            len = len.saturating_add(1);
            offset = entry.next;
        }
    }

    /// The entries in archive order, which is byte order of their names. The trailer is not
    /// one of them.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            body: self.body,
            offset: 0,
        }
    }

    /// The entry called `path`. Leading slashes are ignored, so `/bin/hello` and `bin/hello` find
    /// the same file. Nothing else is normalised: a path with `.`, `..`, `//` or a trailing
    /// slash finds nothing, because no name in a valid archive is spelled that way.
    pub fn find(&self, path: &str) -> Option<Entry<'a>> {
        let wanted = path.trim_start_matches(path::SEPARATOR);
        for entry in self.entries() {
            match entry.name.cmp(wanted) {
                Ordering::Less => {}
                Ordering::Equal => return Some(entry),
                // The names are sorted: every later one is greater still.
                Ordering::Greater => return None,
            }
        }
        None
    }

    /// The number of entries, not counting the trailer.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the archive holds nothing but its trailer.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The iterator [`Archive::entries`] returns.
#[derive(Debug, Clone)]
pub struct Entries<'a> {
    /// The validated entries, as in [`Archive`].
    body: &'a [u8],
    /// Where the next header starts.
    offset: usize,
}

impl<'a> Iterator for Entries<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.offset >= self.body.len() {
            return None;
        }
        // `Archive::new` read these same bytes without an error, so the `?`s never return. If
        // they did, the iteration would end rather than panic.
        let named = read_name(self.body, self.offset).ok()?;
        let entry = read_data(self.body, self.offset, &named).ok()?;
        self.offset = entry.next;
        Some(Entry {
            name: named.name,
            mode: named.mode,
            data: entry.data,
        })
    }
}

impl FusedIterator for Entries<'_> {}

/// An entry's header and name, read and checked.
struct Named<'a> {
    /// The name, without its NUL.
    name: &'a str,
    /// `c_mode`.
    mode: u32,
    /// `c_filesize`.
    file_size: u32,
    /// The offset just past the name's NUL.
    name_end: usize,
}

/// An entry's data, and where the next header starts.
struct Data<'a> {
    /// The file's contents.
    data: &'a [u8],
    /// The offset of the next header: the end of the data, rounded up to [`ALIGN`]. It may lie
    /// past the end of the archive when the padding is missing; the next read reports that.
    next: usize,
}

/// Reads the header and the name of the entry at `offset`.
fn read_name(bytes: &[u8], offset: usize) -> Result<Named<'_>, Error> {
    let error = |kind| Error { offset, kind };
    if offset >= bytes.len() {
        return Err(error(ErrorKind::MissingTrailer));
    }
    let header = header::parse(bytes, offset)?;
    let name_size = usize::try_from(header.name_size).map_err(|_| error(ErrorKind::NamePastEnd))?;
    if name_size == 0 {
        return Err(error(ErrorKind::EmptyName));
    }
    // The header fitted, so the name's start does not overflow; the end is checked.
    let name_start = offset.saturating_add(HEADER_LEN);
    let name_end = name_start
        .checked_add(name_size)
        .ok_or(error(ErrorKind::NamePastEnd))?;
    let raw = bytes
        .get(name_start..name_end)
        .ok_or(error(ErrorKind::NamePastEnd))?;
    let text = match raw.split_last() {
        Some((0, text)) if !text.contains(&0) => text,
        _ => return Err(error(ErrorKind::NameNotTerminated)),
    };
    let name = core::str::from_utf8(text).map_err(|_| error(ErrorKind::NameNotUtf8))?;
    Ok(Named {
        name,
        mode: header.mode,
        file_size: header.file_size,
        name_end,
    })
}

/// Finds the data of the entry at `offset`, whose name `named` describes.
fn read_data<'a>(bytes: &'a [u8], offset: usize, named: &Named<'a>) -> Result<Data<'a>, Error> {
    let past_end = Error {
        offset,
        kind: ErrorKind::DataPastEnd,
    };
    let size = usize::try_from(named.file_size).map_err(|_| past_end)?;
    let start = align_up(named.name_end).ok_or(past_end)?;
    let end = start.checked_add(size).ok_or(past_end)?;
    let data = bytes.get(start..end).ok_or(past_end)?;
    let next = align_up(end).ok_or(past_end)?;
    Ok(Data { data, next })
}

/// Checks that every byte of `bytes` from `from` on is zero.
fn check_zeros(bytes: &[u8], from: usize) -> Result<(), Error> {
    let rest = bytes.get(from..).unwrap_or_default();
    match rest.iter().position(|&byte| byte != 0) {
        None => Ok(()),
        Some(at) => Err(Error {
            // `from + at` is an index into `bytes`: it cannot overflow.
            offset: from.saturating_add(at),
            kind: ErrorKind::TrailingData,
        }),
    }
}

/// `offset` rounded up to a multiple of [`ALIGN`], or `None` if that overflows.
fn align_up(offset: usize) -> Option<usize> {
    Some(offset.checked_add(ALIGN - 1)? & !(ALIGN - 1))
}
