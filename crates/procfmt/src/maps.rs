//! `/proc/PID/maps`: one line per mapping, as `pmap`, debuggers and `ldd`-like tools read it.
//!
//! Each line is `start-end perms offset major:minor inode`, then, for a mapping with a name
//! (a file's path, `[heap]`, `[stack]`), spaces up to a fixed column and the name. The numbers
//! are hexadecimal, at least eight digits for the addresses and the offset, two for the device;
//! the inode is decimal. `perms` is four letters: `r`, `w`, `x` or `-` each, then `p` for a
//! private mapping or `s` for a shared one (proc(5)).

use alloc::string::String;
use core::fmt::Write;

/// The column a mapping's name starts at, counted from 0 (Linux pads with spaces to it).
const NAME_COLUMN: usize = 73;

/// One mapping, as a line of `/proc/PID/maps` describes it.
#[derive(Debug, Clone, Copy)]
pub struct Mapping<'a> {
    /// The first address.
    pub start: u64,
    /// One past the last address.
    pub end: u64,
    /// Readable.
    pub read: bool,
    /// Writable.
    pub write: bool,
    /// Executable.
    pub execute: bool,
    /// Shared with other processes (`s`), or private (`p`).
    pub shared: bool,
    /// The offset in the file of `start` (0 for anonymous memory).
    pub offset: u64,
    /// The file's device, as (major, minor).
    pub device: (u32, u32),
    /// The file's inode (0 for anonymous memory).
    pub inode: u64,
    /// The name: a path, `[heap]`, `[stack]`, or empty.
    pub name: &'a str,
}

/// Appends `mapping`'s line, with its newline, to `text`.
pub fn maps_line(text: &mut String, mapping: &Mapping<'_>) {
    let line_start = text.len();
    let flag = |on: bool, letter: char| if on { letter } else { '-' };
    let _ = write!(
        text,
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {}",
        mapping.start,
        mapping.end,
        flag(mapping.read, 'r'),
        flag(mapping.write, 'w'),
        flag(mapping.execute, 'x'),
        if mapping.shared { 's' } else { 'p' },
        mapping.offset,
        mapping.device.0,
        mapping.device.1,
        mapping.inode,
    );
    if !mapping.name.is_empty() {
        let used = text.len() - line_start;
        let padding = NAME_COLUMN.saturating_sub(used).max(1);
        text.extend(core::iter::repeat_n(' ', padding));
        text.push_str(mapping.name);
    }
    text.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heap() -> Mapping<'static> {
        Mapping {
            start: 0x4c_d000,
            end: 0x4f_0000,
            read: true,
            write: true,
            execute: false,
            shared: false,
            offset: 0,
            device: (0, 0),
            inode: 0,
            name: "[heap]",
        }
    }

    #[test]
    fn a_named_line_pads_the_name_to_its_column() {
        let mut text = String::new();
        maps_line(&mut text, &heap());
        assert_eq!(
            text,
            "004cd000-004f0000 rw-p 00000000 00:00 0                                  [heap]\n"
        );
        assert_eq!(text.find('['), Some(NAME_COLUMN));
    }

    #[test]
    fn an_anonymous_line_ends_after_the_inode() {
        let mut text = String::new();
        let mapping = Mapping {
            start: 0x7f00_0000_0000,
            end: 0x7f00_0000_3000,
            write: false,
            shared: true,
            name: "",
            ..heap()
        };
        maps_line(&mut text, &mapping);
        assert_eq!(text, "7f0000000000-7f0000003000 r--s 00000000 00:00 0\n");
    }
}
