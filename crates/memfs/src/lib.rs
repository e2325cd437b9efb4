//! A file system that lives in memory: directories, files and device nodes, with Unix's rules
//! for names, links and removal.
//!
//! Ferrite mounts three of these: the root, filled at boot from the ramdisk's programs and then
//! made read-only; `/tmp`, a writable tmpfs; and `/dev`, whose nodes name devices. They share
//! this one implementation because the tree is the same in all three; only where the bytes live
//! differs. A file from the ramdisk *borrows* its bytes from the archive the bootloader loaded,
//! so filling the root copies nothing; a file written at run time owns a buffer on the kernel
//! heap. Writing to a borrowed file first copies it (copy-on-write), so the archive itself is
//! never changed.
//!
//! The kernel's VFS addresses files by inode number ([`Ino`]), as Unix does: a directory entry
//! maps a name to an inode, and the inode holds the file. Two counts decide when an inode goes:
//! its *links* (directory entries naming it, plus, for a directory, its own `.` and each
//! child's `..`) and its *opens* (descriptions open on it). `unlink` removes a name; the data
//! stays while a program still has the file open, and goes with the last `close` (the classic
//! Unix temporary file). Every rule a program can observe is Linux's, with Linux's error numbers
//! ([`abi::Errno`]), because the VFS hands them to programs unchanged.
//!
//! Hard links name files, never directories, so a directory's parent is unique and `..` is a
//! pointer kept in the directory. A *symbolic link* is an inode of its own kind that holds a
//! path as its contents; this tree only stores it ([`Fs::symlink`], [`Fs::readlink`]), and the
//! VFS's path walk decides when to follow it. Permission bits are stored and reported but not
//! enforced: Ferrite has one user.
//!
//! The whole structure is pure data with no locking; the kernel puts each instance behind a
//! lock, and `cargo test` runs every rule here on the host.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;

/// An inode number, unique within one file system for as long as the inode exists.
pub type Ino = u64;

/// The root directory's inode number (1, as tmpfs and most Unix file systems number it).
pub const ROOT: Ino = 1;

/// The longest name of one directory entry, in bytes (Linux's `NAME_MAX`).
pub const NAME_MAX: usize = 255;

/// The longest target a symbolic link holds, its NUL included (Linux's `PATH_MAX`: a target is
/// a path).
pub const MAX_LINK_TARGET: usize = 4096;

/// The permission bits of every symbolic link (Linux's too; they are never checked).
pub const LINK_PERM: u32 = 0o777;

/// What an inode costs against the capacity besides its data: its record and directory entry.
/// Charged so that ten thousand empty files fill a small tmpfs instead of the kernel heap.
pub const NODE_COST: usize = 128;

/// What kind of file an inode is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file: bytes.
    Regular,
    /// A directory: names of other inodes.
    Directory,
    /// A character device; the number (Linux's `dev_t` encoding, see [`abi::stat`]) says which
    /// driver reads and writes it.
    CharDevice(u64),
    /// A symbolic link: a path that lookups follow.
    Symlink,
}

impl Kind {
    /// The file-type bits of a mode for this kind (`S_IFREG`, ...).
    pub const fn type_bits(self) -> u32 {
        match self {
            Kind::Regular => abi::stat::S_IFREG,
            Kind::Directory => abi::stat::S_IFDIR,
            Kind::CharDevice(_) => abi::stat::S_IFCHR,
            Kind::Symlink => abi::stat::S_IFLNK,
        }
    }
}

/// What `stat` reports about an inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attr {
    /// Its number.
    pub ino: Ino,
    /// Its kind.
    pub kind: Kind,
    /// Its size in bytes (for a directory, its number of entries, as tmpfs reports a count).
    pub size: u64,
    /// Its link count.
    pub links: u32,
    /// Its permission bits (`0o7777` at most).
    pub perm: u32,
    /// When its contents last changed (nanoseconds on the file system's clock).
    pub modified: u64,
    /// When its contents or its links last changed.
    pub changed: u64,
}

impl Attr {
    /// The full mode: file-type bits and permission bits.
    pub const fn mode(&self) -> u32 {
        self.kind.type_bits() | self.perm
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (`.` and `..` included).
    pub name: Vec<u8>,
    /// The inode it names.
    pub ino: Ino,
    /// That inode's kind.
    pub kind: Kind,
}

/// A regular file's bytes.
enum Data<'a> {
    /// Bytes that belong to someone else and are never written (a ramdisk's file).
    Borrowed(&'a [u8]),
    /// Bytes this file system owns.
    Owned(Vec<u8>),
}

impl Data<'_> {
    fn bytes(&self) -> &[u8] {
        match self {
            Data::Borrowed(bytes) => bytes,
            Data::Owned(bytes) => bytes,
        }
    }

    /// The bytes charged against the capacity: only owned ones.
    fn charged(&self) -> usize {
        match self {
            Data::Borrowed(_) => 0,
            Data::Owned(bytes) => bytes.len(),
        }
    }
}

/// What an inode holds.
enum Contents<'a> {
    /// A regular file.
    Regular(Data<'a>),
    /// A directory: its entries by name, and its parent (the root is its own parent).
    Directory {
        entries: BTreeMap<Vec<u8>, Ino>,
        parent: Ino,
    },
    /// A device node.
    Device(u64),
    /// A symbolic link: the path it holds.
    Symlink(Vec<u8>),
}

/// An inode.
struct Node<'a> {
    contents: Contents<'a>,
    /// Directory entries naming it; for a directory also its `.` and its children's `..`.
    links: u32,
    /// Open file descriptions on it.
    opens: u32,
    /// Permission bits.
    perm: u32,
    /// Last change of contents.
    modified: u64,
    /// Last change of contents or links.
    changed: u64,
}

impl Node<'_> {
    fn kind(&self) -> Kind {
        match self.contents {
            Contents::Regular(_) => Kind::Regular,
            Contents::Directory { .. } => Kind::Directory,
            Contents::Device(number) => Kind::CharDevice(number),
            Contents::Symlink(_) => Kind::Symlink,
        }
    }

    /// What the node costs against the capacity.
    fn charged(&self) -> usize {
        NODE_COST
            + match &self.contents {
                Contents::Regular(data) => data.charged(),
                Contents::Symlink(target) => target.len(),
                _ => 0,
            }
    }
}

/// One file system held in memory; `'a` is the lifetime of borrowed file contents.
pub struct Fs<'a> {
    /// Every live inode by number.
    nodes: BTreeMap<Ino, Node<'a>>,
    /// The number the next inode gets (numbers are never reused, so a stale one finds nothing).
    next_ino: Ino,
    /// Whether changes are refused with `EROFS`.
    read_only: bool,
    /// The most bytes (data plus [`NODE_COST`] per inode) it may hold.
    capacity: usize,
    /// The bytes it holds now, counted as for `capacity`.
    used: usize,
    /// The time stamped on changes; the owner keeps it current with [`Fs::set_clock`].
    clock: u64,
}

/// Checks a name for a new directory entry.
fn check_new_name(name: &[u8]) -> Result<(), Errno> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name == b"." || name == b".." {
        return Err(Errno::EEXIST);
    }
    if name.contains(&b'/') || name.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Makes `data` owned and `len` bytes long (new bytes are zeros); fails only if the heap has no
/// room.
fn resize_data(data: &mut Data<'_>, len: usize) -> Result<(), alloc::collections::TryReserveError> {
    if let Data::Borrowed(bytes) = data {
        let keep = &bytes[..bytes.len().min(len)];
        let mut owned = Vec::new();
        owned.try_reserve_exact(len)?;
        owned.extend_from_slice(keep);
        *data = Data::Owned(owned);
    }
    if let Data::Owned(vec) = data {
        if len > vec.len() {
            vec.try_reserve(len - vec.len())?;
        }
        vec.resize(len, 0);
        if len < vec.capacity() / 2 {
            // Give memory back when a file shrinks a lot, but not on every small cut.
            vec.shrink_to_fit();
        }
    }
    Ok(())
}

impl<'a> Fs<'a> {
    /// An empty, writable file system holding at most `capacity` bytes: just the root
    /// directory, with permissions `perm`.
    pub fn new(capacity: usize, perm: u32) -> Fs<'a> {
        let mut nodes = BTreeMap::new();
        let root = Node {
            contents: Contents::Directory {
                entries: BTreeMap::new(),
                parent: ROOT,
            },
            links: 2,
            opens: 0,
            perm,
            modified: 0,
            changed: 0,
        };
        nodes.insert(ROOT, root);
        Fs {
            nodes,
            next_ino: ROOT + 1,
            read_only: false,
            capacity,
            used: NODE_COST,
            clock: 0,
        }
    }

    /// Refuses (or again allows) every change from now on.
    pub fn set_read_only(&mut self, read_only: bool) {
        self.read_only = read_only;
    }

    /// Whether changes are refused.
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// Sets the time stamped on the next changes.
    pub fn set_clock(&mut self, now: u64) {
        self.clock = now;
    }

    /// Bytes held (data plus [`NODE_COST`] per inode).
    pub fn used(&self) -> usize {
        self.used
    }

    /// The most bytes it may hold.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Live inodes, the root included.
    pub fn inode_count(&self) -> usize {
        self.nodes.len()
    }

    fn node(&self, ino: Ino) -> Result<&Node<'a>, Errno> {
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, ino: Ino) -> Result<&mut Node<'a>, Errno> {
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn writable(&self) -> Result<(), Errno> {
        if self.read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// A directory's entries and parent; `ENOTDIR` for anything else.
    fn directory(&self, dir: Ino) -> Result<(&BTreeMap<Vec<u8>, Ino>, Ino), Errno> {
        match &self.node(dir)?.contents {
            Contents::Directory { entries, parent } => Ok((entries, *parent)),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn entries_mut(&mut self, dir: Ino) -> Result<&mut BTreeMap<Vec<u8>, Ino>, Errno> {
        match &mut self.node_mut(dir)?.contents {
            Contents::Directory { entries, .. } => Ok(entries),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// The inode `name` names in directory `dir` (`.` and `..` included).
    pub fn lookup(&self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let (entries, parent) = self.directory(dir)?;
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        match name {
            b"." => Ok(dir),
            b".." => Ok(parent),
            _ => entries.get(name).copied().ok_or(Errno::ENOENT),
        }
    }

    /// The parent of directory `dir` (the root's is itself).
    pub fn parent(&self, dir: Ino) -> Result<Ino, Errno> {
        Ok(self.directory(dir)?.1)
    }

    /// What `stat` says about `ino`.
    pub fn stat(&self, ino: Ino) -> Result<Attr, Errno> {
        let node = self.node(ino)?;
        let size = match &node.contents {
            Contents::Regular(data) => data.bytes().len() as u64,
            Contents::Directory { entries, .. } => entries.len() as u64,
            Contents::Device(_) => 0,
            // A link's size is its target's length, as `lstat` reports it on Linux.
            Contents::Symlink(target) => target.len() as u64,
        };
        Ok(Attr {
            ino,
            kind: node.kind(),
            size,
            links: node.links,
            perm: node.perm,
            modified: node.modified,
            changed: node.changed,
        })
    }

    /// Charges `bytes` more against the capacity (`ENOSPC` if they do not fit).
    fn charge(&mut self, bytes: usize) -> Result<(), Errno> {
        let used = self.used.checked_add(bytes).ok_or(Errno::ENOSPC)?;
        if used > self.capacity {
            return Err(Errno::ENOSPC);
        }
        self.used = used;
        Ok(())
    }

    /// Makes a new inode named `name` in directory `dir`.
    fn insert(
        &mut self,
        dir: Ino,
        name: &[u8],
        contents: Contents<'a>,
        perm: u32,
    ) -> Result<Ino, Errno> {
        check_new_name(name)?;
        let links_of_dir = self.node(dir)?.links;
        let (entries, _) = self.directory(dir)?;
        if links_of_dir == 0 {
            // The directory was removed while some program still had it as its working
            // directory: nothing can be created in it any more.
            return Err(Errno::ENOENT);
        }
        if entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let is_directory = matches!(contents, Contents::Directory { .. });
        let node = Node {
            contents,
            links: if is_directory { 2 } else { 1 },
            opens: 0,
            perm,
            modified: self.clock,
            changed: self.clock,
        };
        self.charge(node.charged())?;
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(ino, node);
        self.entries_mut(dir)?.insert(name.to_vec(), ino);
        let now = self.clock;
        let parent = self.node_mut(dir)?;
        if is_directory {
            parent.links += 1;
        }
        parent.modified = now;
        parent.changed = now;
        Ok(ino)
    }

    /// Creates an empty file, directory or device node `name` in `dir` with permissions `perm`.
    pub fn create(&mut self, dir: Ino, name: &[u8], kind: Kind, perm: u32) -> Result<Ino, Errno> {
        // A name that exists is `EEXIST` even on a read-only file system, as on Linux:
        // `mkdir -p` relies on it to walk past directories it cannot change.
        if self.lookup(dir, name).is_ok() && !name.is_empty() {
            return Err(Errno::EEXIST);
        }
        self.writable()?;
        let contents = match kind {
            Kind::Regular => Contents::Regular(Data::Owned(Vec::new())),
            Kind::Directory => Contents::Directory {
                entries: BTreeMap::new(),
                parent: dir,
            },
            Kind::CharDevice(number) => Contents::Device(number),
            // A link is made with its target, by `symlink`.
            Kind::Symlink => return Err(Errno::EINVAL),
        };
        self.insert(dir, name, contents, perm)
    }

    /// Makes a symbolic link `name` in `dir` holding `target` (any bytes but NUL; an empty
    /// target is `ENOENT`, as on Linux). Its permission bits are `0o777` and mean nothing: a
    /// link is followed, never opened.
    pub fn symlink(&mut self, dir: Ino, name: &[u8], target: &[u8]) -> Result<Ino, Errno> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= MAX_LINK_TARGET {
            return Err(Errno::ENAMETOOLONG);
        }
        if self.lookup(dir, name).is_ok() && !name.is_empty() {
            return Err(Errno::EEXIST);
        }
        self.writable()?;
        self.insert(dir, name, Contents::Symlink(target.to_vec()), LINK_PERM)
    }

    /// The path symbolic link `ino` holds; `EINVAL` for any other inode (`readlink` of a file).
    pub fn readlink(&self, ino: Ino) -> Result<&[u8], Errno> {
        match &self.node(ino)?.contents {
            Contents::Symlink(target) => Ok(target),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Adds a file whose bytes are borrowed (never copied unless written), even to a read-only
    /// file system: how the root is filled from the ramdisk before it is sealed.
    pub fn add_borrowed(
        &mut self,
        dir: Ino,
        name: &[u8],
        bytes: &'a [u8],
        perm: u32,
    ) -> Result<Ino, Errno> {
        self.insert(dir, name, Contents::Regular(Data::Borrowed(bytes)), perm)
    }

    /// The directory `name` in `dir`, made (even on a read-only file system, for filling it) if
    /// it does not exist yet.
    pub fn ensure_directory(&mut self, dir: Ino, name: &[u8], perm: u32) -> Result<Ino, Errno> {
        match self.lookup(dir, name) {
            Ok(ino) if self.node(ino)?.kind() == Kind::Directory => Ok(ino),
            Ok(_) => Err(Errno::ENOTDIR),
            Err(Errno::ENOENT) => {
                let contents = Contents::Directory {
                    entries: BTreeMap::new(),
                    parent: dir,
                };
                self.insert(dir, name, contents, perm)
            }
            Err(e) => Err(e),
        }
    }

    /// Frees `ino` if nothing names it and nothing has it open.
    fn release_if_unused(&mut self, ino: Ino) {
        let unused = self
            .nodes
            .get(&ino)
            .is_some_and(|node| node.links == 0 && node.opens == 0);
        if unused {
            if let Some(node) = self.nodes.remove(&ino) {
                self.used -= node.charged();
            }
        }
    }

    /// Takes the entry `name` out of `dir` and drops the links it held; returns the inode.
    fn detach(&mut self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        let ino = self.entries_mut(dir)?.remove(name).ok_or(Errno::ENOENT)?;
        let now = self.clock;
        let is_directory = {
            let node = self.node_mut(ino)?;
            let is_directory = node.kind() == Kind::Directory;
            // A directory loses its name and its own `.`: nothing names it any more.
            node.links = if is_directory { 0 } else { node.links - 1 };
            node.changed = now;
            is_directory
        };
        let parent = self.node_mut(dir)?;
        if is_directory {
            parent.links -= 1; // its `..`
        }
        parent.modified = now;
        parent.changed = now;
        Ok(ino)
    }

    /// Whether `ino` is a directory with entries in it.
    fn is_nonempty_directory(&self, ino: Ino) -> Result<bool, Errno> {
        Ok(match &self.node(ino)?.contents {
            Contents::Directory { entries, .. } => !entries.is_empty(),
            _ => false,
        })
    }

    /// Gives the file `ino` another name, `name` in `dir` (a hard link): both names are the same
    /// file, and it lives until the last name is removed and nothing has it open. A directory
    /// cannot be linked (`EPERM`, as on Linux): its `..` could then point two ways.
    pub fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        // Linux's order: the new name's directory, then the name, then the file.
        self.directory(dir)?;
        if self.lookup(dir, name).is_ok() && !name.is_empty() {
            return Err(Errno::EEXIST);
        }
        self.writable()?;
        check_new_name(name)?;
        if self.node(ino)?.kind() == Kind::Directory {
            return Err(Errno::EPERM);
        }
        if self.node(dir)?.links == 0 {
            return Err(Errno::ENOENT);
        }
        self.entries_mut(dir)?.insert(name.to_vec(), ino);
        let now = self.clock;
        let node = self.node_mut(ino)?;
        node.links += 1;
        node.changed = now;
        let parent = self.node_mut(dir)?;
        parent.modified = now;
        parent.changed = now;
        Ok(())
    }

    /// Sets when `ino`'s contents last changed (`utimensat`, `touch`); the change time becomes
    /// the clock's now, as on Linux, where only the kernel sets it.
    pub fn set_modified(&mut self, ino: Ino, modified: u64) -> Result<(), Errno> {
        self.writable()?;
        let now = self.clock;
        let node = self.node_mut(ino)?;
        node.modified = modified;
        node.changed = now;
        Ok(())
    }

    /// How full it is, for `statfs`: (bytes it may hold, bytes held, inodes).
    pub fn usage(&self) -> (usize, usize, usize) {
        (self.capacity, self.used, self.nodes.len())
    }

    /// Removes the name `name` of a non-directory from `dir`. The inode stays while it is open.
    pub fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        self.writable()?;
        let ino = self.lookup(dir, name)?;
        if self.node(ino)?.kind() == Kind::Directory {
            return Err(Errno::EISDIR);
        }
        self.detach(dir, name)?;
        self.release_if_unused(ino);
        Ok(())
    }

    /// Removes the empty directory `name` from `dir`.
    pub fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
        self.writable()?;
        match name {
            b"." => return Err(Errno::EINVAL),
            b".." => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        let ino = self.lookup(dir, name)?;
        if self.node(ino)?.kind() != Kind::Directory {
            return Err(Errno::ENOTDIR);
        }
        if self.is_nonempty_directory(ino)? {
            return Err(Errno::ENOTEMPTY);
        }
        self.detach(dir, name)?;
        self.release_if_unused(ino);
        Ok(())
    }

    /// Whether directory `ancestor` is `dir` or one of its ancestors.
    fn is_ancestor(&self, ancestor: Ino, mut dir: Ino) -> Result<bool, Errno> {
        loop {
            if dir == ancestor {
                return Ok(true);
            }
            let parent = self.parent(dir)?;
            if parent == dir {
                return Ok(false); // reached the root
            }
            dir = parent;
        }
    }

    /// Renames `from_name` in `from_dir` to `to_name` in `to_dir`, replacing what `to_name` named
    /// (a file by a file, an empty directory by a directory), as one step.
    pub fn rename(
        &mut self,
        from_dir: Ino,
        from_name: &[u8],
        to_dir: Ino,
        to_name: &[u8],
    ) -> Result<(), Errno> {
        self.writable()?;
        for name in [from_name, to_name] {
            if name == b"." || name == b".." {
                return Err(Errno::EINVAL);
            }
        }
        check_new_name(to_name)?;
        let ino = self.lookup(from_dir, from_name)?;
        self.directory(to_dir)?;
        if self.node(to_dir)?.links == 0 {
            return Err(Errno::ENOENT);
        }
        let moving_directory = self.node(ino)?.kind() == Kind::Directory;
        if moving_directory && self.is_ancestor(ino, to_dir)? {
            // A directory cannot go inside itself: it would cut the subtree off from the root.
            return Err(Errno::EINVAL);
        }
        match self.lookup(to_dir, to_name) {
            Ok(target) if target == ino => return Ok(()),
            Ok(target) => {
                let target_is_directory = self.node(target)?.kind() == Kind::Directory;
                match (moving_directory, target_is_directory) {
                    (true, false) => return Err(Errno::ENOTDIR),
                    (false, true) => return Err(Errno::EISDIR),
                    (true, true) if self.is_nonempty_directory(target)? => {
                        return Err(Errno::ENOTEMPTY)
                    }
                    _ => {}
                }
                self.detach(to_dir, to_name)?;
                self.release_if_unused(target);
            }
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        // Move the entry; its links move with it (a directory's `..` now counts at `to_dir`).
        self.entries_mut(from_dir)?.remove(from_name);
        self.entries_mut(to_dir)?.insert(to_name.to_vec(), ino);
        let now = self.clock;
        if moving_directory {
            self.node_mut(from_dir)?.links -= 1;
            self.node_mut(to_dir)?.links += 1;
            if let Contents::Directory { parent, .. } = &mut self.node_mut(ino)?.contents {
                *parent = to_dir;
            }
        }
        for dir in [from_dir, to_dir] {
            let node = self.node_mut(dir)?;
            node.modified = now;
            node.changed = now;
        }
        self.node_mut(ino)?.changed = now;
        Ok(())
    }

    /// Entry number `index` of directory `dir`: `.` is 0, `..` is 1, then the names in byte
    /// order; `None` past the end. (An index, not a name, is what a directory's open
    /// description remembers between `getdents` calls.)
    pub fn entry(&self, dir: Ino, index: usize) -> Result<Option<DirEntry>, Errno> {
        let (entries, parent) = self.directory(dir)?;
        let (name, ino): (&[u8], Ino) = match index {
            0 => (b".", dir),
            1 => (b"..", parent),
            _ => match entries.iter().nth(index - 2) {
                Some((name, &ino)) => (name, ino),
                None => return Ok(None),
            },
        };
        Ok(Some(DirEntry {
            name: name.to_vec(),
            ino,
            kind: self.node(ino)?.kind(),
        }))
    }

    /// A regular file's bytes; `EISDIR` for a directory, `EINVAL` for a device.
    fn data(&self, ino: Ino) -> Result<&Data<'a>, Errno> {
        match &self.node(ino)?.contents {
            Contents::Regular(data) => Ok(data),
            Contents::Directory { .. } => Err(Errno::EISDIR),
            Contents::Device(_) | Contents::Symlink(_) => Err(Errno::EINVAL),
        }
    }

    /// Reads from `offset` into `buf`; returns how many bytes (0 at or past the end).
    pub fn read(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let bytes = self.data(ino)?.bytes();
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        let Some(available) = bytes.get(start..) else {
            return Ok(0);
        };
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        Ok(n)
    }

    /// The bytes of a file that borrows them, without a copy (the kernel loads programs from
    /// the ramdisk so); `None` for a file that owns its bytes.
    pub fn borrowed(&self, ino: Ino) -> Option<&'a [u8]> {
        match self.data(ino).ok()? {
            Data::Borrowed(bytes) => Some(bytes),
            Data::Owned(_) => None,
        }
    }

    /// The owned, writable bytes of regular file `ino`, resized to `len` (a borrowed file is
    /// copied first); charges or refunds the difference against the capacity.
    fn resize(&mut self, ino: Ino, len: usize) -> Result<&mut Vec<u8>, Errno> {
        let old_charge = self.data(ino)?.charged();
        let growth = len.saturating_sub(old_charge);
        self.charge(growth)?;
        let Contents::Regular(data) = &mut self.node_mut(ino)?.contents else {
            return Err(Errno::EINVAL);
        };
        if resize_data(data, len).is_err() {
            // The heap itself is full: as good as a full file system to the program.
            self.used -= growth;
            return Err(Errno::ENOSPC);
        }
        self.used -= old_charge.saturating_sub(len);
        match &mut self.node_mut(ino)?.contents {
            Contents::Regular(Data::Owned(vec)) => Ok(vec),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Writes `bytes` at `offset`, growing the file (with zeros between its old end and
    /// `offset`); returns how many bytes were written.
    pub fn write(&mut self, ino: Ino, offset: u64, bytes: &[u8]) -> Result<usize, Errno> {
        self.writable()?;
        let start = usize::try_from(offset).map_err(|_| Errno::EFBIG)?;
        let end = start.checked_add(bytes.len()).ok_or(Errno::EFBIG)?;
        if end > self.capacity {
            return Err(Errno::EFBIG);
        }
        let len = self.data(ino)?.bytes().len().max(end);
        let vec = self.resize(ino, len)?;
        vec[start..end].copy_from_slice(bytes);
        let now = self.clock;
        let node = self.node_mut(ino)?;
        node.modified = now;
        node.changed = now;
        Ok(bytes.len())
    }

    /// Cuts or extends (with zeros) regular file `ino` to `len` bytes.
    pub fn truncate(&mut self, ino: Ino, len: u64) -> Result<(), Errno> {
        self.writable()?;
        let len = usize::try_from(len).map_err(|_| Errno::EFBIG)?;
        if len > self.capacity {
            return Err(Errno::EFBIG);
        }
        if self.data(ino)?.bytes().len() != len {
            self.resize(ino, len)?;
        }
        let now = self.clock;
        let node = self.node_mut(ino)?;
        node.modified = now;
        node.changed = now;
        Ok(())
    }

    /// Changes the permission bits of `ino`.
    pub fn set_perm(&mut self, ino: Ino, perm: u32) -> Result<(), Errno> {
        self.writable()?;
        let now = self.clock;
        let node = self.node_mut(ino)?;
        node.perm = perm & 0o7777;
        node.changed = now;
        Ok(())
    }

    /// Records that a description was opened on `ino` (it then outlives its last name).
    pub fn open(&mut self, ino: Ino) -> Result<(), Errno> {
        self.node_mut(ino)?.opens += 1;
        Ok(())
    }

    /// Records that a description on `ino` was closed; frees it if that was the last and it has
    /// no name left.
    pub fn close(&mut self, ino: Ino) {
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.opens = node.opens.saturating_sub(1);
        }
        self.release_if_unused(ino);
    }
}

#[cfg(test)]
mod tests;
