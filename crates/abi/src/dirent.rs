//! Directory entries as `getdents64` returns them: `struct linux_dirent64`.
//!
//! The call fills a buffer with variable-length records, each a fixed 19-byte header followed
//! by the name and a NUL, padded so the next record starts 8-aligned; `d_reclen` is the distance
//! to the next record. Because of that padding `size_of::<LinuxDirent64>()` is 24, not 19: a
//! writer must place the name at [`NAME_OFFSET`], never at the structure's size. The type codes
//! are the file-type bits of the mode shifted down by 12 (glibc's `IFTODT`), so they need no
//! table of their own.

/// Offset of the name within a record: the size of the header without trailing padding.
pub const NAME_OFFSET: usize = 19;

/// Entry type: not known; the reader must `stat` the file to find out.
pub const DT_UNKNOWN: u8 = 0;
/// Entry type: FIFO.
pub const DT_FIFO: u8 = 1;
/// Entry type: character device.
pub const DT_CHR: u8 = 2;
/// Entry type: directory.
pub const DT_DIR: u8 = 4;
/// Entry type: block device.
pub const DT_BLK: u8 = 6;
/// Entry type: regular file.
pub const DT_REG: u8 = 8;
/// Entry type: symbolic link.
pub const DT_LNK: u8 = 10;
/// Entry type: socket.
pub const DT_SOCK: u8 = 12;

/// The fixed header of one directory record; the NUL-terminated name follows at [`NAME_OFFSET`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinuxDirent64 {
    /// Inode number of the entry.
    pub d_ino: u64,
    /// Position to pass to `lseek` to resume reading after this entry.
    pub d_off: i64,
    /// Length of the whole record: header, name, NUL and padding.
    pub d_reclen: u16,
    /// Entry type, one of the `DT_*` values.
    pub d_type: u8,
}

impl LinuxDirent64 {
    /// A header with every field 0.
    pub const fn zeroed() -> Self {
        LinuxDirent64 {
            d_ino: 0,
            d_off: 0,
            d_reclen: 0,
            d_type: 0,
        }
    }

    /// The `d_reclen` of a record whose name is `name_len` bytes (without the NUL): header, name
    /// and NUL, rounded up to a multiple of 8.
    pub const fn record_len(name_len: usize) -> usize {
        (NAME_OFFSET + name_len + 1).next_multiple_of(8)
    }

    /// The header as it lies in memory (x86_64 is little-endian), ready to copy to user space
    /// followed by the name.
    pub fn header_bytes(&self) -> [u8; NAME_OFFSET] {
        let mut bytes = [0; NAME_OFFSET];
        bytes[0..8].copy_from_slice(&self.d_ino.to_le_bytes());
        bytes[8..16].copy_from_slice(&self.d_off.to_le_bytes());
        bytes[16..18].copy_from_slice(&self.d_reclen.to_le_bytes());
        bytes[18] = self.d_type;
        bytes
    }
}

/// The `d_type` for a file of mode `mode`: its `S_IF*` bits shifted down by 12.
pub const fn dt_from_mode(mode: u32) -> u8 {
    ((mode & crate::stat::S_IFMT) >> 12) as u8
}

const _: () = assert!(core::mem::offset_of!(LinuxDirent64, d_off) == 8);
const _: () = assert!(core::mem::offset_of!(LinuxDirent64, d_reclen) == 16);
const _: () = assert!(core::mem::offset_of!(LinuxDirent64, d_type) == 18);
const _: () = assert!(core::mem::offset_of!(LinuxDirent64, d_type) + 1 == NAME_OFFSET);
const _: () = assert!(core::mem::size_of::<LinuxDirent64>() == 24);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stat::{S_IFDIR, S_IFLNK, S_IFREG};

    #[test]
    fn record_lengths_are_8_aligned() {
        assert_eq!(LinuxDirent64::record_len(1), 24); // "." : 19 + 1 + 1 = 21 -> 24
        assert_eq!(LinuxDirent64::record_len(4), 24); // 19 + 4 + 1 = 24 exactly
        assert_eq!(LinuxDirent64::record_len(5), 32);
        assert_eq!(LinuxDirent64::record_len(255), 280);
    }

    #[test]
    fn header_bytes_are_little_endian() {
        let header = LinuxDirent64 {
            d_ino: 0x0102,
            d_off: -1,
            d_reclen: 24,
            d_type: DT_DIR,
        };
        let bytes = header.header_bytes();
        assert_eq!(bytes[0..2], [0x02, 0x01]);
        assert_eq!(bytes[8..16], [0xff; 8]);
        assert_eq!(bytes[16..18], [24, 0]);
        assert_eq!(bytes[18], DT_DIR);
        assert_eq!(LinuxDirent64::default(), LinuxDirent64::zeroed());
    }

    #[test]
    fn types_from_modes() {
        assert_eq!(dt_from_mode(S_IFDIR | 0o755), DT_DIR);
        assert_eq!(dt_from_mode(S_IFREG | 0o644), DT_REG);
        assert_eq!(dt_from_mode(S_IFLNK), DT_LNK);
    }
}
