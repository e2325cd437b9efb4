//! Patterns: `*`, `?` and `[...]`, for pathname expansion (`ls *.rs`) and `case`.
//!
//! XCU §2.13 defines one pattern language for both. `*` matches any string, `?` any one
//! character, `[abc]` one of those characters, `[a-z]` a range, `[!a]` (or `[^a]`) any but
//! those; a backslash makes the next character ordinary, which is how quoting reaches a
//! pattern: the expander writes `\*` for a `*` that was quoted, so `"*"` matches only a star.
//!
//! Pathname expansion matches each `/`-separated part of a pattern against the names in one
//! directory, asking the shell for them (`read_dir`), so this module never touches a file system
//! and is tested on the host. A name starting with `.` matches only a part that starts with a
//! literal `.`, as in every shell: `*` does not list hidden files. A pattern that matches
//! nothing stays as written (`ls *.none` passes `*.none`, and `ls` says it does not exist).
//!
//! Matching is the classic two-pointer walk with one saved `*`: linear in practice, and never
//! recursive, so no pattern can overflow the stack.

use alloc::string::String;
use alloc::vec::Vec;

/// Whether `text` has a character that makes it a pattern: an unescaped `*`, `?` or `[`.
pub fn has_pattern(text: &str) -> bool {
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '*' | '?' | '[' => return true,
            _ => {}
        }
    }
    false
}

/// The text a pattern stands for when nothing is special in it: its escapes removed.
pub fn unescape(pattern: &str) -> String {
    let mut out = String::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

/// One element of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    /// A character that matches itself.
    Char(char),
    /// `?`.
    One,
    /// `*`.
    Any,
    /// `[...]`: ranges (a single character is a range of one), and whether it is negated.
    Class(Vec<(char, char)>, bool),
}

/// Cuts `pattern` into items. A `[` with no closing `]` is an ordinary character.
fn items(pattern: &str) -> Vec<Item> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut items = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        match chars[at] {
            '\\' if at + 1 < chars.len() => {
                items.push(Item::Char(chars[at + 1]));
                at += 2;
            }
            '*' => {
                // Several stars match what one does.
                if items.last() != Some(&Item::Any) {
                    items.push(Item::Any);
                }
                at += 1;
            }
            '?' => {
                items.push(Item::One);
                at += 1;
            }
            '[' => match class(&chars[at + 1..]) {
                Some((item, used)) => {
                    items.push(item);
                    at += 1 + used;
                }
                None => {
                    items.push(Item::Char('['));
                    at += 1;
                }
            },
            c => {
                items.push(Item::Char(c));
                at += 1;
            }
        }
    }
    items
}

/// Reads a bracket expression after its `[`: the class and how many characters it took, its
/// `]` included; `None` if it is not closed. A `]` first in the class is a member.
fn class(chars: &[char]) -> Option<(Item, usize)> {
    let mut at = 0;
    let negated = matches!(chars.first(), Some('!' | '^'));
    if negated {
        at += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(at)?;
        if c == ']' && !first {
            return Some((Item::Class(ranges, negated), at + 1));
        }
        first = false;
        let (low, next) = match c {
            '\\' => (*chars.get(at + 1)?, at + 2),
            c => (c, at + 1),
        };
        if chars.get(next) == Some(&'-') && chars.get(next + 1).is_some_and(|&c| c != ']') {
            let high = *chars.get(next + 1)?;
            ranges.push((low, high));
            at = next + 2;
        } else {
            ranges.push((low, low));
            at = next;
        }
    }
}

/// Whether `item` (not `*`) matches the character `c`.
fn matches_one(item: &Item, c: char) -> bool {
    match item {
        Item::Char(expected) => *expected == c,
        Item::One => true,
        Item::Class(ranges, negated) => {
            ranges.iter().any(|&(low, high)| low <= c && c <= high) != *negated
        }
        Item::Any => true,
    }
}

/// Whether `pattern` matches the whole of `text`.
pub fn matches(pattern: &str, text: &str) -> bool {
    let items = items(pattern);
    let text: Vec<char> = text.chars().collect();
    let (mut i, mut t) = (0, 0);
    // Where the last `*` was, and where in the text it was tried up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match items.get(i) {
            Some(Item::Any) => {
                star = Some((i, t));
                i += 1;
            }
            Some(item) if matches_one(item, text[t]) => {
                i += 1;
                t += 1;
            }
            _ => match star {
                // Let the last `*` take one more character, and try again after it.
                Some((star_item, star_text)) => {
                    i = star_item + 1;
                    t = star_text + 1;
                    star = Some((star_item, star_text + 1));
                }
                None => return false,
            },
        }
    }
    items[i..].iter().all(|item| *item == Item::Any)
}

/// The paths `pattern` matches, sorted, with `read_dir(dir)` giving the names in `dir` (`""` is
/// the working directory); empty if none (the caller then keeps the pattern as written).
pub fn expand(pattern: &str, read_dir: &dyn Fn(&str) -> Option<Vec<String>>) -> Vec<String> {
    let absolute = pattern.starts_with('/');
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    let mut found = alloc::vec![String::from(if absolute { "/" } else { "" })];
    for (index, part) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        let mut next = Vec::new();
        for base in &found {
            if !has_pattern(part) {
                // A plain part is taken as it is; whether it exists is found out later.
                next.push(join(base, &unescape(part)));
                continue;
            }
            let Some(names) = read_dir(if base.is_empty() { "." } else { base }) else {
                continue;
            };
            let hidden_ok = part.starts_with('.') || part.starts_with("\\.");
            for name in names {
                if name == "." || name == ".." || (name.starts_with('.') && !hidden_ok) {
                    continue;
                }
                if matches(part, &name) {
                    next.push(join(base, &name));
                }
            }
        }
        if !last {
            // Only directories can hold the next part: keep those a listing can open.
            next.retain(|path| read_dir(path).is_some());
        }
        found = next;
        if found.is_empty() {
            return found;
        }
    }
    if pattern.ends_with('/') {
        for path in &mut found {
            path.push('/');
        }
    }
    found.sort();
    found
}

/// `base` and `name` joined by one `/`.
fn join(base: &str, name: &str) -> String {
    let mut path = String::from(base);
    if !path.is_empty() && !path.ends_with('/') {
        path.push('/');
    }
    path.push_str(name);
    path
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeMap;
    use std::string::ToString;
    use std::vec;

    #[test]
    fn stars_questions_and_classes() {
        assert!(matches("*.rs", "main.rs"));
        assert!(!matches("*.rs", "main.rc"));
        assert!(matches("a*b*c", "aXXbYYc"));
        assert!(matches("a*b*c", "abc"));
        assert!(!matches("a*b*c", "acb"));
        assert!(matches("?", "é"));
        assert!(!matches("?", ""));
        assert!(matches("[abc]x", "bx"));
        assert!(matches("[a-c][!0-9]", "cz"));
        assert!(!matches("[a-c][!0-9]", "c5"));
        assert!(matches("[^a]", "b"));
        assert!(matches("[]]", "]"));
        assert!(matches("[", "["), "an unclosed bracket is a character");
        assert!(matches("*", ""));
        assert!(matches("**", "anything"));
    }

    #[test]
    fn escapes_make_characters_ordinary() {
        assert!(matches("\\*", "*"));
        assert!(!matches("\\*", "x"));
        assert!(matches("a\\?", "a?"));
        assert!(!has_pattern("a\\*b"));
        assert!(has_pattern("a*"));
        assert_eq!(unescape("a\\*b"), "a*b");
    }

    fn tree() -> BTreeMap<&'static str, Vec<String>> {
        let mut dirs = BTreeMap::new();
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        dirs.insert(
            ".",
            names(&[".", "..", "a.rs", "b.rs", "c.txt", ".hidden.rs", "src"]),
        );
        dirs.insert("src", names(&["main.rs", "lib.rs"]));
        dirs.insert("/", names(&["bin", "tmp"]));
        dirs.insert("/bin", names(&["ls", "cat"]));
        dirs.insert("/tmp", names(&[]));
        dirs
    }

    #[test]
    fn paths_expand_part_by_part_and_sorted() {
        let dirs = tree();
        let read = |dir: &str| dirs.get(dir).cloned();
        assert_eq!(
            expand("*.rs", &read),
            vec!["a.rs", "b.rs"],
            "no hidden file"
        );
        assert_eq!(expand(".*.rs", &read), vec![".hidden.rs"]);
        assert_eq!(expand("src/*.rs", &read), vec!["src/lib.rs", "src/main.rs"]);
        assert_eq!(expand("*/main.rs", &read), vec!["src/main.rs"]);
        assert_eq!(expand("/bin/c*", &read), vec!["/bin/cat"]);
        assert_eq!(expand("/*/", &read), vec!["/bin/", "/tmp/"]);
        assert!(expand("*.none", &read).is_empty());
    }
}
