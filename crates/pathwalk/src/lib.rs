//! Path lookup with symbolic links: the rules of a walk, over any tree of directories.
//!
//! A path is walked one component at a time from a starting directory. A *symbolic link* met on
//! the way is a small file holding another path; the walk reads it and continues along that path
//! instead, as if the link's text had been written in place of its name. Two rules decide which
//! links are followed, and they are Linux's:
//!
//! - a link that is not the last component is always followed (`/usr/lib/x` through a link
//!   `lib` must reach `x`), and so is a last component followed by a `/` (`link/` names what the
//!   link points to, a directory or nothing);
//! - the last component is followed unless the caller says not to: `lstat`, `readlink`,
//!   `unlink`, `rename`, `open` with `O_NOFOLLOW` and the `*at` calls with
//!   `AT_SYMLINK_NOFOLLOW` act on the link itself.
//!
//! A link can point at itself, or two at each other, so a walk that only followed would never
//! end. Linux bounds the number of links one lookup may follow at 40 ([`MAX_FOLLOWS`]) and
//! answers `ELOOP` past it; the bound also catches long chains that are not loops, which is
//! the price of needing no memory of where the walk has been.
//!
//! The walk keeps the directories it went through on a stack, so `..` is a pop: after a link to
//! `/a/b` was followed, `..` leads to `/a`, the target's parent, not back to the directory that
//! held the link. That is what the stack of a walk through the real tree gives for free, and
//! it is what Linux does too. A target starting with `/` empties the stack down to the root.
//!
//! The tree is a trait ([`Tree`]), so the kernel's VFS (mounts and all) and this crate's host
//! tests walk with the same code.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use abi::Errno;
use alloc::vec::Vec;

/// The most symbolic links one lookup follows before it answers `ELOOP` (Linux's `MAXSYMLINKS`).
pub const MAX_FOLLOWS: usize = 40;

/// The longest name of one component, in bytes (Linux's `NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// What a walk needs to know about a tree.
pub trait Tree {
    /// A node of the tree: a directory, a file, a link (cheap to clone: a handle).
    type Node: Clone;
    /// What `name` names in directory `dir` (`.` and `..` never reach here).
    fn lookup(&self, dir: &Self::Node, name: &[u8]) -> Result<Self::Node, Errno>;
    /// Whether `node` is a directory.
    fn is_directory(&self, node: &Self::Node) -> bool;
    /// The path a symbolic link holds; `None` if `node` is not a link.
    fn link_target(&self, node: &Self::Node) -> Result<Option<Vec<u8>>, Errno>;
}

/// A walk in progress: the directories from the root down to where it is, each with the name
/// it was reached by (the root's is empty).
pub struct Walk<N> {
    /// The nodes walked through, the root first; never empty.
    stack: Vec<(N, Vec<u8>)>,
    /// Links followed so far in this lookup.
    follows: usize,
}

/// Whether a walk follows a symbolic link in the last component of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Last {
    /// Follow it (`stat`, `open`).
    Follow,
    /// Stop at the link itself (`lstat`, `O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`).
    NoFollow,
}

/// One component of a path, as the walk takes it. Empty components (from `//` or a trailing
/// `/`) are kept as [`Step::Stay`]: they mean "this must be a directory".
#[derive(PartialEq, Eq)]
enum Step {
    /// `.` or an empty component: stay, in a directory.
    Stay,
    /// `..`: back to the directory below on the stack.
    Up,
    /// A name to look up.
    Down(Vec<u8>),
}

impl<N: Clone> Walk<N> {
    /// A walk standing at `root`.
    pub fn new(root: N) -> Walk<N> {
        Walk {
            stack: alloc::vec![(root, Vec::new())],
            follows: 0,
        }
    }

    /// Where the walk stands.
    pub fn top(&self) -> &N {
        &self.stack[self.stack.len() - 1].0
    }

    /// The names from the root down to where the walk stands: its canonical path, one name per
    /// directory (empty for the root).
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.stack[1..].iter().map(|(_, name)| name.as_slice())
    }

    /// Back to the root (for a path, or a link target, that starts with `/`).
    fn back_to_root(&mut self) {
        self.stack.truncate(1);
    }

    /// Counts one more link followed: `ELOOP` past [`MAX_FOLLOWS`].
    fn count_follow(&mut self) -> Result<(), Errno> {
        self.follows += 1;
        if self.follows > MAX_FOLLOWS {
            return Err(Errno::ELOOP);
        }
        Ok(())
    }

    /// Walks `path` from where the walk stands (from the root if it starts with `/`),
    /// following links as the module notes say; `last` decides the last component's link.
    pub fn walk<T: Tree<Node = N>>(
        &mut self,
        tree: &T,
        path: &[u8],
        last: Last,
    ) -> Result<(), Errno> {
        if path.first() == Some(&b'/') {
            self.back_to_root();
        }
        // What is still to walk: the rest of `path` from `at`, and on top of it the target of
        // each link being followed, each with how far it has been read (a target is taken in
        // place of the link's name). A name is copied only when it lands on the stack, and a
        // walk that meets no link allocates nothing else.
        let mut at = 0;
        let mut links: Vec<(Vec<u8>, usize)> = Vec::new();
        loop {
            while links.last().is_some_and(|(text, read)| *read > text.len()) {
                links.pop();
            }
            let (text, read) = match links.last_mut() {
                Some((text, read)) => (text.as_slice(), read),
                None if at <= path.len() => (path, &mut at),
                None => return Ok(()),
            };
            let rest = text.get(*read..).unwrap_or_default();
            let end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
            let step = match &rest[..end] {
                b"" | b"." => Step::Stay,
                b".." => Step::Up,
                name => Step::Down(name.to_vec()),
            };
            *read += end + 1;
            match step {
                Step::Stay | Step::Up => {
                    if !tree.is_directory(self.top()) {
                        return Err(Errno::ENOTDIR);
                    }
                    if step == Step::Up && self.stack.len() > 1 {
                        self.stack.pop();
                    }
                }
                Step::Down(name) => {
                    if name.len() > NAME_MAX {
                        return Err(Errno::ENAMETOOLONG);
                    }
                    // The tree's lookup answers ENOTDIR if the top is not a directory.
                    let next = tree.lookup(self.top(), &name)?;
                    let is_last =
                        at > path.len() && links.iter().all(|(text, read)| *read > text.len());
                    let target = if is_last && last == Last::NoFollow {
                        None
                    } else {
                        tree.link_target(&next)?
                    };
                    match target {
                        None => self.stack.push((next, name)),
                        Some(target) => {
                            self.count_follow()?;
                            if target.is_empty() {
                                // An empty link names nothing.
                                return Err(Errno::ENOENT);
                            }
                            if target.first() == Some(&b'/') {
                                self.back_to_root();
                            }
                            links.push((target, 0));
                        }
                    }
                }
            }
        }
    }

    /// Walks to the directory that holds `path`'s last component and returns that component,
    /// for the calls that make or remove a name (`open` with `O_CREAT`, `mkdir`, `symlink`,
    /// `unlink`...). With [`Last::Follow`], a last component that is a link is followed to the
    /// name it points at (so `open(O_CREAT)` through a dangling link makes the link's target).
    /// `path` must have a last component (the caller deals with `/` and a trailing `/`).
    pub fn walk_parent<T: Tree<Node = N>>(
        &mut self,
        tree: &T,
        path: &[u8],
        last: Last,
    ) -> Result<Vec<u8>, Errno> {
        let mut path = path.to_vec();
        loop {
            let (dir_part, name) = split_last(&path);
            if path.first() == Some(&b'/') {
                self.back_to_root();
            }
            self.walk(tree, dir_part, Last::Follow)?;
            if !tree.is_directory(self.top()) {
                return Err(Errno::ENOTDIR);
            }
            let name = name.to_vec();
            if last == Last::NoFollow || matches!(name.as_slice(), b"" | b"." | b"..") {
                return Ok(name);
            }
            let target = match tree.lookup(self.top(), &name) {
                Ok(node) => tree.link_target(&node)?,
                Err(_) => None,
            };
            match target {
                None => return Ok(name),
                Some(target) => {
                    self.count_follow()?;
                    if target.is_empty() {
                        return Err(Errno::ENOENT);
                    }
                    path = target;
                }
            }
        }
    }
}

/// Splits `path` into the part before its last `/` and the name after it (`("", path)` when
/// there is no `/`); a path starting with `/` keeps that `/` in neither part.
pub fn split_last(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&b| b == b'/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => (&b""[..], path),
    }
}

#[cfg(test)]
mod tests;
