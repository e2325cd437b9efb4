//! The rules for entry names: relative, canonical, and short enough for a fixed buffer.
//!
//! cpio stores whatever string its writer was given (`./bin/x`, `/bin/x`, `bin//x`), and some
//! extractors have let `../` in a name write outside their target directory. This reader gives
//! every file exactly one spelling: components joined by single slashes, none of them empty,
//! `.` or `..`. Two names are then the same path exactly when they are the same bytes, so
//! [`Archive::find`](crate::Archive::find) can compare strings, the order check can catch
//! duplicates, and a future kernel that copies the archive into a real file system cannot be
//! made to climb out of its root.

use crate::error::ErrorKind;
use crate::MAX_PATH_LEN;

/// Separates the components of a name.
pub(crate) const SEPARATOR: char = '/';
/// The component that means "this directory".
const CURRENT: &str = ".";
/// The component that means "the parent directory".
const PARENT: &str = "..";

/// Checks `name` (without its NUL) against the rules above.
pub(crate) fn check(name: &str) -> Result<(), ErrorKind> {
    if name.is_empty() {
        return Err(ErrorKind::EmptyName);
    }
    if name.len() > MAX_PATH_LEN {
        return Err(ErrorKind::NameTooLong);
    }
    if name.starts_with(SEPARATOR) {
        return Err(ErrorKind::AbsoluteName);
    }
    for component in name.split(SEPARATOR) {
        match component {
            "" => return Err(ErrorKind::EmptyComponent),
            CURRENT => return Err(ErrorKind::DotComponent),
            PARENT => return Err(ErrorKind::ParentComponent),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_relative_names_pass() {
        for name in ["bin", "bin/hello", "a/b/c", "...", ".hidden", "x..y", "ü/ñ"] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn each_rule_has_its_error() {
        let cases = [
            ("", ErrorKind::EmptyName),
            ("/bin/x", ErrorKind::AbsoluteName),
            ("/", ErrorKind::AbsoluteName),
            ("bin//x", ErrorKind::EmptyComponent),
            ("bin/", ErrorKind::EmptyComponent),
            (".", ErrorKind::DotComponent),
            ("./bin", ErrorKind::DotComponent),
            ("bin/./x", ErrorKind::DotComponent),
            ("..", ErrorKind::ParentComponent),
            ("bin/../../etc", ErrorKind::ParentComponent),
        ];
        for (name, kind) in cases {
            assert_eq!(check(name), Err(kind), "{name:?}");
        }
    }

    #[test]
    fn the_length_limit_counts_bytes() {
        let long = [b'a'; MAX_PATH_LEN + 1];
        let long = core::str::from_utf8(&long).unwrap_or_default();
        assert_eq!(check(&long[..MAX_PATH_LEN]), Ok(()));
        assert_eq!(check(long), Err(ErrorKind::NameTooLong));
    }
}
