//! Why an archive was refused, and where.
//!
//! The ramdisk comes from the boot medium, so a broken build, a truncated copy or a hand-edited
//! file all end up here. The kernel can only print the error and stop, so the error has to say
//! enough to find the fault with a hex dump: what rule was broken and at which byte. Every kind
//! has its own variant, because "bad archive" sends the reader back to reading the format.

use core::fmt;

use crate::header::Field;
use crate::{MAX_PATH_LEN, TRAILER_NAME};

/// An archive that [`Archive::new`](crate::Archive::new) refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error {
    /// Where the problem is, in bytes from the start of the archive: the start of the offending
    /// entry's header, except where [`ErrorKind`] says otherwise for a variant.
    pub offset: usize,
    /// Which rule the archive breaks.
    pub kind: ErrorKind,
}

/// The rules an archive can break. Unless a variant says otherwise, [`Error::offset`] is the
/// start of the header of the entry that breaks the rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The archive ends part-way through a 110-byte header (offset: where the header starts).
    TruncatedHeader,
    /// A header does not start with the newc magic `070701`.
    BadMagic,
    /// A header starts with `070702`, the checksummed variant of newc, which Ferrite does not use.
    CrcFormat,
    /// A header field is not eight hexadecimal digits (offset: the first bad byte).
    BadHexDigit(Field),
    /// An entry's name is empty (`c_namesize` is 0, or 1 for just the NUL).
    EmptyName,
    /// The name's last byte (as `c_namesize` counts) is not NUL, or a NUL comes before it.
    NameNotTerminated,
    /// The name is not valid UTF-8.
    NameNotUtf8,
    /// The name, as long as `c_namesize` says, runs past the end of the archive.
    NamePastEnd,
    /// The data, as long as `c_filesize` says, or the padding before it, runs past the end.
    DataPastEnd,
    /// The name is longer than [`MAX_PATH_LEN`] bytes.
    NameTooLong,
    /// The name starts with `/`; names are relative to the archive's root.
    AbsoluteName,
    /// The name has an empty component: `a//b`, or a trailing `/`.
    EmptyComponent,
    /// The name has a `.` component, a second spelling of a path.
    DotComponent,
    /// The name has a `..` component, which would climb out of the archive.
    ParentComponent,
    /// The name sorts before the previous entry's; names must increase, byte by byte.
    OutOfOrder,
    /// The name is the same as the previous entry's.
    DuplicateName,
    /// The archive ends without a `TRAILER!!!` entry (offset: the end of the last entry).
    MissingTrailer,
    /// A byte after the trailer's name is not zero (offset: that byte).
    TrailingData,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::TruncatedHeader => write!(f, "the archive ends inside a header"),
            ErrorKind::BadMagic => write!(f, "a header does not start with the newc magic 070701"),
            ErrorKind::CrcFormat => write!(
                f,
                "a header has the magic 070702 (newc with checksums); only 070701 is accepted"
            ),
            ErrorKind::BadHexDigit(field) => {
                write!(f, "field {} is not 8 hexadecimal digits", field.name())
            }
            ErrorKind::EmptyName => write!(f, "an entry has an empty name"),
            ErrorKind::NameNotTerminated => {
                write!(f, "a name does not end with exactly one NUL byte")
            }
            ErrorKind::NameNotUtf8 => write!(f, "a name is not valid UTF-8"),
            ErrorKind::NamePastEnd => write!(f, "a name runs past the end of the archive"),
            ErrorKind::DataPastEnd => write!(f, "file data runs past the end of the archive"),
            ErrorKind::NameTooLong => write!(f, "a name is longer than {MAX_PATH_LEN} bytes"),
            ErrorKind::AbsoluteName => write!(f, "a name starts with '/'"),
            ErrorKind::EmptyComponent => {
                write!(f, "a name has an empty component ('//' or a trailing '/')")
            }
            ErrorKind::DotComponent => write!(f, "a name has a '.' component"),
            ErrorKind::ParentComponent => write!(f, "a name has a '..' component"),
            ErrorKind::OutOfOrder => write!(f, "a name sorts before the previous entry's"),
            ErrorKind::DuplicateName => write!(f, "a name repeats the previous entry's"),
            ErrorKind::MissingTrailer => {
                write!(f, "the archive ends without a {TRAILER_NAME} entry")
            }
            ErrorKind::TrailingData => write!(f, "non-zero bytes follow the {TRAILER_NAME} entry"),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bad initrd at byte {0} ({0:#x}): {1}",
            self.offset, self.kind
        )
    }
}

impl core::error::Error for Error {}
