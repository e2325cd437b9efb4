//! `/proc/PID/fd/N`: the text of a descriptor's link, which says what the descriptor is open on.
//!
//! Programs read these links to learn what an inherited descriptor is (`ls -l /proc/self/fd`,
//! `lsof`, a shell checking whether its input is a terminal by name, a daemon closing every
//! descriptor but its log), so the text is Linux's: the path a file, directory or device was
//! opened by, with ` (deleted)` after it once its last name is gone; and for an object that has
//! no path, its kind and inode number in brackets, `pipe:[INO]`, the same number `fstat` gives
//! as `st_ino`.

use alloc::format;
use alloc::string::String;

/// What a descriptor is open on, as its link describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Open<'a> {
    /// A file, directory or device, opened by a path.
    Path {
        /// Its canonical absolute path.
        path: &'a str,
        /// Whether its last name has been removed since (it lives on while open).
        deleted: bool,
    },
    /// One end of a pipe, by the pipe's inode number.
    Pipe(u64),
}

/// What `readlink` of a descriptor's link returns.
pub fn fd_target(open: Open<'_>) -> String {
    match open {
        Open::Path {
            path,
            deleted: false,
        } => String::from(path),
        Open::Path {
            path,
            deleted: true,
        } => format!("{path} (deleted)"),
        Open::Pipe(ino) => format!("pipe:[{ino}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_its_path_and_a_pipe_its_inode_in_brackets() {
        let file = Open::Path {
            path: "/tmp/notes",
            deleted: false,
        };
        assert_eq!(fd_target(file), "/tmp/notes");
        assert_eq!(fd_target(Open::Pipe(81234)), "pipe:[81234]");
    }

    #[test]
    fn a_removed_file_says_so_after_its_path() {
        let file = Open::Path {
            path: "/tmp/gone",
            deleted: true,
        };
        assert_eq!(fd_target(file), "/tmp/gone (deleted)");
    }
}
