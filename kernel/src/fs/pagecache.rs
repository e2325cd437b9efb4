//! The pages of mapped files: one copy of each in memory, shared by every mapping, `read` and
//! `write`.
//!
//! `mmap(MAP_SHARED)` of a file promises two things: every process that maps the file sees one
//! memory (a store by one is a load by the others), and that memory *is* the file (`read` sees
//! what was stored, a `write` shows up in the mapping, and the bytes reach the disk). Linux keeps
//! every file's pages in one page cache, so `read`, `write` and mappings all touch the same
//! frames. Ferrite's file systems keep their own bytes (tmpfs in heap vectors, the disk in
//! blocks), so this module keeps pages only for files that are *mapped*: a [`FileObject`] per
//! file, made by the first `mmap`, found by any later `mmap` of the same file through a table
//! of weak references, and gone with the last mapping, or later, with the last description
//! that mapped it (`OpenFile::keep_pages`), so that a program mapping its file again and again
//! reads it only once.
//!
//! While an object lives, its pages are the newest bytes of their part of the file, and the
//! file system's copy may be older. Three hooks in [`super::file::OpenFile`] keep the two views
//! one:
//!
//! * a `read` takes the file system's bytes, then lays the object's pages over them
//!   ([`overlay`]): what a mapping stored is read back at once, before any write-back;
//! * a `write` goes to the file system, then into the object's pages that hold that part
//!   ([`written`]), so mappings see it;
//! * a truncation clears the object's bytes past the new end ([`truncated`]), so a file grown
//!   again reads zeros there, and drops the pages wholly past it: the next touch of such a page
//!   is past the end of the file, `SIGBUS`. Those pages also leave every mapping at once, as on
//!   Linux, private copies made by stores included: the process layer looks for the regions
//!   backed by the object in every address space (there is no reverse map; truncating a mapped
//!   file is rare enough to pay for the search), through a hook it installs at boot.
//!
//! Dirty pages (the write-notify scheme of [`crate::mm::object`]) are written back by `msync`,
//! `fsync`, and when the object goes. It goes when the last mapping does, and its last act is
//! the write-back; only then does it leave the table. A process that maps the file meanwhile
//! waits for that, so it never reads from the file system bytes the dying object has not yet
//! written.
//!
//! Pages are brought in when first touched, and only those: mapping a 1 GiB file and reading one
//! byte reads one page. A page past the file's end (the end rounded up to a page) is `SIGBUS`,
//! as on Linux; the bytes past the end inside the last page read as zeros and are never written
//! back, so stores there never make the file longer.

use super::{FileKey, Vnode};
use crate::mm::object::{MemoryObject, PageError, Pages};
use crate::mm::paging::PAGE_SIZE;
use crate::sched;
use crate::sched::sync::Mutex;
use crate::sync::IrqMutex;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};
use core::ops::Range;
use core::sync::atomic::{AtomicUsize, Ordering};

/// A mapped file's pages (see the module notes).
pub struct FileObject {
    /// The file. The object holds it open (the file system's open count), so a file removed
    /// while mapped keeps its bytes until the last mapping goes, as on Linux.
    node: Vnode,
    /// Its pages in memory. A blocking lock: bringing a page in may read the disk.
    pages: Mutex<Pages>,
}

/// Every live object, by file. Weak: the mappings own the objects.
static OBJECTS: IrqMutex<BTreeMap<FileKey, Weak<FileObject>>> = IrqMutex::new(BTreeMap::new());

/// Objects alive (or still writing back). While none is, the hooks cost one load.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// The object of the file `node` names, made (and the file held open) if it has none.
pub fn object_of(node: &Vnode) -> Result<Arc<FileObject>, Errno> {
    let key = node.key();
    loop {
        {
            let mut objects = OBJECTS.lock();
            match objects.get(&key).map(Weak::upgrade) {
                Some(Some(object)) => return Ok(object),
                Some(None) => {} // going away: wait until it has written back and left
                None => {
                    node.mount.fs.open(node.ino)?;
                    let object = Arc::new(FileObject {
                        node: node.clone(),
                        pages: Mutex::new(Pages::default()),
                    });
                    objects.insert(key, Arc::downgrade(&object));
                    LIVE.fetch_add(1, Ordering::Relaxed);
                    return Ok(object);
                }
            }
        }
        sched::yield_now();
    }
}

/// The live object of the file `node` names, if it has one.
fn find(node: &Vnode) -> Option<Arc<FileObject>> {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return None;
    }
    OBJECTS.lock().get(&node.key())?.upgrade()
}

/// Lays the mapped pages of `node`'s file over `buf`, just read from the file system at
/// `offset`: where a page is in memory, its bytes are the newest.
pub fn overlay(node: &Vnode, offset: u64, buf: &mut [u8]) {
    let Some(object) = find(node) else {
        return;
    };
    let mut pages = object.pages.lock();
    let (first, count) = page_span(offset, buf.len());
    for (index, bytes) in pages.pages_mut(first, count) {
        if let Some((in_page, in_buf)) = overlap(index, offset, buf.len()) {
            buf[in_buf].copy_from_slice(&bytes[in_page]);
        }
    }
}

/// Puts `data`, just written to the file system at `offset`, into the mapped pages of `node`'s
/// file that hold that part, so every mapping sees it.
pub fn written(node: &Vnode, offset: u64, data: &[u8]) {
    let Some(object) = find(node) else {
        return;
    };
    let mut pages = object.pages.lock();
    let (first, count) = page_span(offset, data.len());
    for (index, bytes) in pages.pages_mut(first, count) {
        if let Some((in_page, in_data)) = overlap(index, offset, data.len()) {
            bytes[in_page].copy_from_slice(&data[in_data]);
        }
    }
}

/// The first page and the number of pages that `len` bytes from `offset` touch.
fn page_span(offset: u64, len: usize) -> (u64, u64) {
    let first = offset / PAGE_SIZE;
    let end = (offset + len as u64).div_ceil(PAGE_SIZE);
    (first, end - first)
}

/// Where page `index` and `len` bytes of the file from `offset` overlap: the range inside the
/// page, and the same bytes' range inside the buffer. `None` if they do not.
fn overlap(index: u64, offset: u64, len: usize) -> Option<(Range<usize>, Range<usize>)> {
    let page_start = index * PAGE_SIZE;
    let from = offset.max(page_start);
    let to = (offset + len as u64).min(page_start + PAGE_SIZE);
    (from < to).then(|| {
        (
            (from - page_start) as usize..(to - page_start) as usize,
            (from - offset) as usize..(to - offset) as usize,
        )
    })
}

/// Takes an object's pages from index `first` on out of every mapping of it, in every process.
/// The process layer's, installed at boot: the file tree cannot see address spaces (see the
/// layers in `lib.rs`).
pub type Unmapper = fn(object: &Arc<dyn MemoryObject>, first: u64);

/// The installed [`Unmapper`] (none in a kernel without processes).
static UNMAPPER: spin::Once<Unmapper> = spin::Once::new();

/// Installs the [`Unmapper`] truncation calls.
pub fn install_unmapper(unmapper: Unmapper) {
    UNMAPPER.call_once(|| unmapper);
}

/// `node`'s file now ends at `len`: the mapped pages' bytes past it become zeros, and pages
/// wholly past it are dropped from the object and from every mapping (see the module notes).
pub fn truncated(node: &Vnode, len: u64) {
    let Some(object) = find(node) else {
        return;
    };
    let (last, inside) = (len / PAGE_SIZE, (len % PAGE_SIZE) as usize);
    let first_gone = last + u64::from(inside > 0);
    {
        let mut pages = object.pages.lock();
        for (index, bytes) in pages.pages_mut(last, u64::MAX - last) {
            let from = if index == last { inside } else { 0 };
            bytes[from..].fill(0);
        }
        pages.forget_from(first_gone);
    }
    // With the object's lock released: a fault takes an address space's lock, then the
    // object's, and the unmapper takes address spaces' locks. A fault meanwhile on a page that
    // is gone finds the file shorter, and is SIGBUS.
    if let Some(unmap) = UNMAPPER.get() {
        let object: Arc<dyn MemoryObject> = object;
        unmap(&object, first_gone);
    }
}

/// Writes `node`'s file's dirty mapped pages back (`fsync` calls this before it makes the file
/// system durable).
pub fn write_back(node: &Vnode) -> Result<(), Errno> {
    match find(node) {
        Some(object) => object.write_back(0, u64::MAX, false),
        None => Ok(()),
    }
}

impl MemoryObject for FileObject {
    fn page(&self, index: u64) -> Result<x86_64::PhysAddr, PageError> {
        let mut pages = self.pages.lock();
        pages.get_or_fill(index, |bytes| {
            let size = self.node.stat().map_err(|_| PageError::Failed)?.size;
            let start = index.checked_mul(PAGE_SIZE).ok_or(PageError::Beyond)?;
            if start >= size {
                return Err(PageError::Beyond);
            }
            let want = ((size - start).min(PAGE_SIZE)) as usize;
            let mut done = 0;
            while done < want {
                let n = self
                    .node
                    .mount
                    .fs
                    .read(self.node.ino, start + done as u64, &mut bytes[done..want])
                    .map_err(|_| PageError::Failed)?;
                if n == 0 {
                    break;
                }
                done += n;
            }
            Ok(done)
        })
    }

    fn written(&self, index: u64) {
        self.pages.lock().mark_dirty(index);
    }

    fn resident(&self, first: u64, count: u64, each: &mut dyn FnMut(u64, x86_64::PhysAddr)) {
        self.pages.lock().each_resident(first, count, each);
    }

    fn write_back(&self, first: u64, count: u64, durable: bool) -> Result<(), Errno> {
        let pages = self.pages.lock();
        if pages.any_dirty() {
            let size = self.node.stat()?.size;
            for (index, bytes) in pages.dirty(first, count) {
                let start = index * PAGE_SIZE;
                if start >= size {
                    continue; // past a truncation: nothing of it is in the file
                }
                let len = (size - start).min(PAGE_SIZE) as usize;
                self.node
                    .mount
                    .fs
                    .write(self.node.ino, start, &bytes[..len])?;
            }
        }
        drop(pages);
        if durable {
            self.node.mount.fs.sync()?;
        }
        Ok(())
    }
}

impl Drop for FileObject {
    /// The last mapping is gone: the dirty pages go to the file, the file is let go, and only
    /// then does the object leave the table (see the module notes).
    fn drop(&mut self) {
        if let Err(e) = self.write_back(0, u64::MAX, false) {
            log::warn!(
                "pages of a mapped file (inode {}) could not be written back: {e:?}",
                self.node.ino
            );
        }
        self.node.mount.fs.close(self.node.ino);
        let mut objects = OBJECTS.lock();
        let key = self.node.key();
        if objects.get(&key).is_some_and(|w| w.strong_count() == 0) {
            objects.remove(&key);
        }
        LIVE.fetch_sub(1, Ordering::Relaxed);
    }
}
