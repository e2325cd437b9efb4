//! The consistency check: every rule of docs/disk-format.md, tested against a whole disk.
//!
//! The kernel runs it at every mount, after replaying the log, and refuses a disk that breaks a
//! rule: mounting a corrupt file system and writing to it would spread the damage (a block that
//! two files share gets overwritten through one of them; a bitmap that says "free" for a block in
//! use hands it out again). The Python fsck checks the same rules with its own code; each is the
//! other's test.
//!
//! The check reads each metadata block once, keeps one bit per block and a few bytes per inode,
//! and never follows a pointer it has not first checked, so a hostile disk can make it report
//! violations but not loop, overflow or read outside the file system.

use crate::cache::Cache;
use crate::device::BlockDevice;
use crate::layout::{
    bytes_at, entries, first_slot, pointer_at, words, Entry, Inode, Mapping, Superblock, Violation,
    BITS_PER_BLOCK, BLOCK_BYTES, BLOCK_SIZE, FIRST_DOUBLE, FIRST_INDIRECT, INODE_SIZE,
    KIND_DIRECTORY, MAX_FILE_BLOCKS, MAX_FILE_SIZE, MAX_LINK_TARGET, POINTERS_PER_BLOCK, ROOT,
};
use abi::Errno;
use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// The most violations a report lists (a wrecked disk has thousands; the first say enough).
pub const MAX_VIOLATIONS: usize = 100;

/// What the check found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Broken rules, in the order found.
    pub violations: Vec<Violation>,
    /// Violations found beyond [`MAX_VIOLATIONS`].
    pub more: usize,
    /// Inodes in use with no links: files unlinked while open when the system stopped.
    pub orphans: Vec<u32>,
    /// Regular files.
    pub files: u32,
    /// Directories.
    pub directories: u32,
    /// Blocks in use, metadata included.
    pub blocks_used: u32,
    /// Inodes in use.
    pub inodes_used: u32,
}

impl Report {
    /// Whether no rule is broken.
    pub fn is_clean(&self) -> bool {
        self.violations.is_empty()
    }

    /// Records a broken rule.
    fn add(&mut self, name: &'static str, detail: String) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(Violation::new(name, detail));
        } else {
            self.more = self.more.saturating_add(1);
        }
    }
}

/// A bit set over `0..len`.
struct Bits(Vec<u8>);

impl Bits {
    fn new(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(8)])
    }
    fn get(&self, i: usize) -> bool {
        self.0
            .get(i / 8)
            .is_some_and(|byte| byte & (1 << (i % 8)) != 0)
    }
    fn set(&mut self, i: usize) {
        if let Some(byte) = self.0.get_mut(i / 8) {
            *byte |= 1 << (i % 8);
        }
    }
}

/// What the check keeps of an inode.
#[derive(Clone, Copy, Default)]
struct Seen {
    /// In use (a non-zero mode), whatever its type.
    in_use: bool,
    /// In use, with a valid type.
    valid: bool,
    /// A directory.
    directory: bool,
    /// The kind byte an entry naming it must have.
    kind: u8,
    /// Its link count.
    links: u16,
    /// Entries naming it (other than `.` and `..`).
    refs: u32,
    /// Subdirectories (for a directory).
    subdirs: u32,
}

/// Reads a bitmap region (inside the disk: the geometry is checked) into memory.
fn read_bits<D: BlockDevice>(cache: &mut Cache<D>, start: u32, blocks: u32) -> Result<Bits, Errno> {
    let mut bits = Vec::with_capacity((blocks as usize).saturating_mul(BLOCK_SIZE));
    for block in start..start.saturating_add(blocks) {
        bits.extend_from_slice(cache.get(block)?);
    }
    Ok(Bits(bits))
}

/// Inode `ino`'s bytes (`ino` in 1..=inode_count, which the geometry puts in the inode table).
fn inode_bytes<D: BlockDevice>(
    cache: &mut Cache<D>,
    sb: &Superblock,
    ino: u32,
) -> Result<[u8; INODE_SIZE], Errno> {
    let (block, offset) = sb.inode_place(ino).ok_or(Errno::EIO)?;
    bytes_at(cache.get(block)?, offset)
        .copied()
        .ok_or(Errno::EIO)
}

/// Checks the file system `sb` describes on `cache`'s device (its log already replayed).
pub fn check<D: BlockDevice>(cache: &mut Cache<D>, sb: &Superblock) -> Result<Report, Errno> {
    let mut report = Report::default();
    // Everything below relies on the regions lying in order inside the device (the mount
    // decoded the superblock with this check; a caller with its own superblock gets it too).
    if let Err(bad) = sb.check_geometry(cache.device().block_count()) {
        report.add(bad.name, bad.detail);
        return Ok(report);
    }
    let inode_bits = read_bits(cache, sb.inode_bitmap_start, sb.inode_bitmap_blocks)?;
    let block_bits = read_bits(cache, sb.block_bitmap_start, sb.block_bitmap_blocks)?;
    check_reserved_bits(sb, &inode_bits, &block_bits, &mut report);

    let mut used = Bits::new(sb.block_count as usize);
    for block in 0..sb.data_start {
        used.set(block as usize);
    }
    let mut seen = vec![Seen::default(); (sb.inode_count as usize).saturating_add(1)];
    for ino in 1..=sb.inode_count {
        check_inode(
            cache,
            sb,
            ino,
            &inode_bits,
            &mut used,
            &mut seen,
            &mut report,
        )?;
    }
    let mut leaked = 0u32;
    for block in sb.data_start..sb.block_count {
        let (in_use, marked) = (used.get(block as usize), block_bits.get(block as usize));
        if in_use && !marked {
            report.add(
                "block-bitmap-mismatch",
                format!("block {block} is in use but free in the bitmap"),
            );
        } else if marked && !in_use {
            leaked = leaked.saturating_add(1);
            if leaked <= 3 {
                report.add(
                    "block-bitmap-mismatch",
                    format!("block {block} is marked in use but nothing uses it"),
                );
            }
        }
        report.blocks_used = report.blocks_used.saturating_add(u32::from(in_use));
    }
    report.blocks_used = report.blocks_used.saturating_add(sb.data_start);
    if leaked > 3 {
        report.add(
            "block-bitmap-mismatch",
            format!(
                "{} more blocks are marked in use but unused",
                leaked.saturating_sub(3)
            ),
        );
    }
    walk_tree(cache, sb, &mut seen, &mut report)?;
    for (ino, info) in seen.iter().enumerate().skip(1) {
        if !info.valid {
            continue;
        }
        report.inodes_used = report.inodes_used.saturating_add(1);
        let ino = ino as u32;
        if info.directory {
            report.directories = report.directories.saturating_add(1);
        } else {
            report.files = report.files.saturating_add(1);
        }
        if info.links == 0 && info.refs == 0 {
            report.orphans.push(ino);
        } else if info.refs == 0 && ino != ROOT {
            report.add(
                "unreachable-inode",
                format!("inode {ino} has {} links but no entry names it", info.links),
            );
        } else if info.directory {
            let expected = info.subdirs.saturating_add(2);
            if u32::from(info.links) != expected {
                report.add(
                    "bad-link-count",
                    format!(
                        "directory {ino} has {} links, expected {expected} (2 + {} subdirectories)",
                        info.links, info.subdirs
                    ),
                );
            }
        } else if u32::from(info.links) != info.refs {
            report.add(
                "bad-link-count",
                format!(
                    "inode {ino} has {} links, but {} entries name it",
                    info.links, info.refs
                ),
            );
        }
    }
    Ok(report)
}

/// The bits that must always be set: inode 0, the metadata blocks, the padding.
fn check_reserved_bits(sb: &Superblock, inodes: &Bits, blocks: &Bits, report: &mut Report) {
    let inode_end = (sb.inode_bitmap_blocks as usize).saturating_mul(BITS_PER_BLOCK as usize);
    let unset_inode = core::iter::once(0)
        .chain((sb.inode_count as usize).saturating_add(1)..inode_end)
        .find(|&i| !inodes.get(i));
    if let Some(i) = unset_inode {
        report.add(
            "bitmap-reserved-bits",
            format!("inode bitmap bit {i} is clear (it must always be set)"),
        );
    }
    let block_end = (sb.block_bitmap_blocks as usize).saturating_mul(BITS_PER_BLOCK as usize);
    let unset_block = (0..sb.data_start as usize)
        .chain(sb.block_count as usize..block_end)
        .find(|&i| !blocks.get(i));
    if let Some(i) = unset_block {
        report.add(
            "bitmap-reserved-bits",
            format!("block bitmap bit {i} is clear (it must always be set)"),
        );
    }
}

/// Claims `block` for inode `ino` (as its file block `index`, or an indirect block when `None`),
/// reporting a pointer out of range, past the end, or into a block already claimed. Returns
/// whether the block may be read.
#[allow(clippy::too_many_arguments)]
fn claim(
    sb: &Superblock,
    ino: u32,
    block: u32,
    index: Option<u64>,
    blocks: u64,
    used: &mut Bits,
    report: &mut Report,
) -> bool {
    let what = match index {
        Some(i) => format!("inode {ino} block {i}"),
        None => format!("an indirect block of inode {ino}"),
    };
    if !sb.is_data(block) {
        report.add(
            "block-out-of-range",
            format!(
                "{what} points at block {block}, outside the data area {}..{}",
                sb.data_start, sb.block_count
            ),
        );
        return false;
    }
    if let Some(i) = index {
        if i >= blocks {
            report.add(
                "block-past-end",
                format!("{what} (block {block}) lies past the end of its {blocks} blocks"),
            );
        }
    }
    if used.get(block as usize) {
        report.add(
            "block-shared",
            format!("{what}: block {block} is used twice"),
        );
        return false;
    }
    used.set(block as usize);
    true
}

/// Checks inode `ino` and claims its blocks.
fn check_inode<D: BlockDevice>(
    cache: &mut Cache<D>,
    sb: &Superblock,
    ino: u32,
    inode_bits: &Bits,
    used: &mut Bits,
    seen: &mut [Seen],
    report: &mut Report,
) -> Result<(), Errno> {
    let raw = inode_bytes(cache, sb, ino)?;
    let allocated = inode_bits.get(ino as usize);
    let [m0, m1, ..] = raw;
    let mode = u16::from_le_bytes([m0, m1]);
    if mode == 0 {
        if raw.iter().any(|&b| b != 0) {
            report.add("bad-inode", format!("free inode {ino} is not all zeros"));
        }
        if allocated {
            report.add(
                "inode-bitmap-mismatch",
                format!("inode {ino} is free but marked in use in the bitmap"),
            );
        }
        return Ok(());
    }
    if !allocated {
        report.add(
            "inode-bitmap-mismatch",
            format!("inode {ino} is in use but free in the bitmap"),
        );
    }
    let Some(info) = seen.get_mut(ino as usize) else {
        return Ok(()); // `seen` has a place for each inode
    };
    info.in_use = true;
    let Some(inode) = Inode::decode(&raw) else {
        report.add(
            "bad-inode",
            format!("inode {ino} has non-zero reserved bytes"),
        );
        return Ok(());
    };
    if !inode.is_regular() && !inode.is_directory() && !inode.is_symlink() {
        report.add(
            "bad-inode",
            format!(
                "inode {ino} has mode {:#o}: not a file, a directory or a symbolic link",
                inode.mode
            ),
        );
        return Ok(());
    }
    if inode.is_symlink() && !(1..=MAX_LINK_TARGET).contains(&inode.size) {
        report.add(
            "bad-inode",
            format!(
                "symbolic link {ino} has size {}, not 1 to {MAX_LINK_TARGET}",
                inode.size
            ),
        );
    }
    if inode.size > MAX_FILE_SIZE {
        report.add(
            "bad-inode",
            format!(
                "inode {ino} has size {}, more than a file can hold",
                inode.size
            ),
        );
        return Ok(());
    }
    let blocks = inode.blocks();
    if inode.is_directory() && (inode.size == 0 || inode.size % BLOCK_BYTES != 0) {
        report.add(
            "bad-directory-size",
            format!(
                "directory {ino} has size {}, not a positive multiple of {BLOCK_SIZE}",
                inode.size
            ),
        );
    }
    *info = Seen {
        in_use: true,
        valid: true,
        directory: inode.is_directory(),
        kind: inode.entry_kind(),
        links: inode.links,
        ..Seen::default()
    };
    let mut holes = Vec::new();
    for (i, &block) in inode.direct.iter().enumerate() {
        if block == 0 {
            holes.push(i as u64);
        } else {
            claim(sb, ino, block, Some(i as u64), blocks, used, report);
        }
    }
    if inode.indirect != 0 {
        if claim(sb, ino, inode.indirect, None, blocks, used, report) {
            let pointers = *cache.get(inode.indirect)?;
            claim_all(
                sb,
                ino,
                &pointers,
                FIRST_INDIRECT,
                blocks,
                used,
                report,
                &mut holes,
            );
        }
    } else {
        holes.push(FIRST_INDIRECT);
    }
    if inode.double_indirect != 0 {
        if claim(sb, ino, inode.double_indirect, None, blocks, used, report) {
            let level1 = *cache.get(inode.double_indirect)?;
            // The file block each indirect block listed here starts at.
            let bases = (FIRST_DOUBLE..).step_by(POINTERS_PER_BLOCK as usize);
            for (base, indirect) in bases.zip(words(&level1)) {
                if indirect == 0 {
                    holes.push(base);
                } else if claim(sb, ino, indirect, None, blocks, used, report) {
                    let pointers = *cache.get(indirect)?;
                    claim_all(sb, ino, &pointers, base, blocks, used, report, &mut holes);
                }
            }
        }
    } else {
        holes.push(FIRST_DOUBLE);
    }
    if inode.is_directory() {
        if let Some(&hole) = holes.iter().find(|&&h| h < blocks) {
            report.add(
                "directory-hole",
                format!("directory {ino} has no block {hole} of its {blocks}"),
            );
        }
    }
    Ok(())
}

/// Claims the data blocks an indirect block lists, file blocks `base` onwards; records the
/// first hole.
#[allow(clippy::too_many_arguments)]
fn claim_all(
    sb: &Superblock,
    ino: u32,
    pointers: &[u8],
    base: u64,
    blocks: u64,
    used: &mut Bits,
    report: &mut Report,
    holes: &mut Vec<u64>,
) {
    let mut hole_noted = false;
    for (index, block) in (base..).zip(words(pointers)) {
        if block != 0 {
            claim(sb, ino, block, Some(index), blocks, used, report);
        } else if !hole_noted {
            holes.push(index);
            hole_noted = true;
        }
    }
}

/// Block `index` of inode `inode`, or 0 (checked pointers only: a bad one reads as a hole).
fn file_block<D: BlockDevice>(
    cache: &mut Cache<D>,
    sb: &Superblock,
    inode: &Inode,
    index: u64,
) -> Result<u32, Errno> {
    let valid = |b: u32| if sb.is_data(b) { b } else { 0 };
    let pointer = |cache: &mut Cache<D>, block: u32, slot: usize| -> Result<u32, Errno> {
        if block == 0 {
            return Ok(0);
        }
        Ok(pointer_at(cache.get(block)?, slot).map_or(0, valid))
    };
    match Mapping::of(index) {
        Some(Mapping::Direct(i)) => Ok(inode.direct.get(i).copied().map_or(0, valid)),
        Some(Mapping::Indirect(i)) => pointer(cache, valid(inode.indirect), i),
        Some(Mapping::Double(i, j)) => {
            let level1 = pointer(cache, valid(inode.double_indirect), i)?;
            pointer(cache, level1, j)
        }
        None => Ok(0), // past the largest file
    }
}

/// Walks the tree from the root, checking every directory's entries and counting references.
fn walk_tree<D: BlockDevice>(
    cache: &mut Cache<D>,
    sb: &Superblock,
    seen: &mut [Seen],
    report: &mut Report,
) -> Result<(), Errno> {
    let root = seen.get(ROOT as usize).copied().unwrap_or_default();
    if !root.valid || !root.directory {
        report.add(
            "bad-root",
            format!("inode {ROOT} is not a directory in use"),
        );
        return Ok(());
    }
    let mut visited = Bits::new(seen.len());
    visited.set(ROOT as usize);
    let mut stack = vec![(ROOT, ROOT)];
    while let Some((dir, parent)) = stack.pop() {
        let Some(inode) = Inode::decode(&inode_bytes(cache, sb, dir)?) else {
            continue;
        };
        let mut names = BTreeSet::new();
        let mut subdirs = 0u32;
        let blocks = (inode.size / BLOCK_BYTES).min(MAX_FILE_BLOCKS);
        for index in 0..blocks {
            let block = file_block(cache, sb, &inode, index)?;
            if block == 0 {
                continue; // reported as a hole or a bad pointer already
            }
            let data = *cache.get(block)?;
            for (slot, bytes) in (first_slot(index)..).zip(entries(&data)) {
                let entry = Entry::decode(bytes);
                let at = format!("directory {dir} slot {slot}");
                if slot < 2 {
                    let (name, target): (&[u8], u32) = if slot == 0 {
                        (b".", dir)
                    } else {
                        (b"..", parent)
                    };
                    if entry.ino != target || entry.name() != name || entry.kind != KIND_DIRECTORY {
                        report.add(
                            "bad-dot-entries",
                            format!(
                                "{at} should be {:?} naming {target}",
                                core::str::from_utf8(name).unwrap_or("?")
                            ),
                        );
                    }
                    continue;
                }
                if entry.ino == 0 {
                    if bytes.iter().any(|&b| b != 0) {
                        report.add("bad-entry", format!("{at} is empty but not all zeros"));
                    }
                    continue;
                }
                let name = entry.name();
                if !entry.is_well_formed(bytes)
                    || name == b"."
                    || name == b".."
                    || name.iter().any(|&b| b == b'/' || b == 0)
                {
                    report.add("bad-entry", format!("{at} is malformed (name {name:?})"));
                    continue;
                }
                let Some(target) = seen.get(entry.ino as usize).copied() else {
                    report.add(
                        "bad-entry",
                        format!(
                            "{at} ({}) names inode {}, past the last",
                            show(name),
                            entry.ino
                        ),
                    );
                    continue;
                };
                if target.in_use && !target.valid {
                    report.add(
                        "bad-entry",
                        format!(
                            "{at} ({}) names inode {}, which is neither a file nor a directory",
                            show(name),
                            entry.ino
                        ),
                    );
                    continue;
                }
                if !target.valid {
                    report.add(
                        "entry-to-free-inode",
                        format!(
                            "{at} ({}) names inode {}, which is not in use",
                            show(name),
                            entry.ino
                        ),
                    );
                    continue;
                }
                let expected_kind = target.kind;
                if entry.kind != expected_kind {
                    report.add(
                        "bad-entry",
                        format!(
                            "{at} ({}) has kind {}, but inode {} is of kind {expected_kind}",
                            show(name),
                            entry.kind,
                            entry.ino
                        ),
                    );
                }
                if !names.insert(name.to_vec()) {
                    report.add(
                        "duplicate-name",
                        format!("{at}: {} appears twice", show(name)),
                    );
                }
                if let Some(named) = seen.get_mut(entry.ino as usize) {
                    named.refs = named.refs.saturating_add(1);
                }
                if target.directory {
                    subdirs = subdirs.saturating_add(1);
                    if visited.get(entry.ino as usize) {
                        report.add(
                            "directory-loop",
                            format!(
                                "{at} ({}) names directory {}, which is already in the tree",
                                show(name),
                                entry.ino
                            ),
                        );
                    } else {
                        visited.set(entry.ino as usize);
                        stack.push((entry.ino, dir));
                    }
                }
            }
        }
        if let Some(info) = seen.get_mut(dir as usize) {
            info.subdirs = subdirs;
        }
    }
    Ok(())
}

/// A name for a message.
fn show(name: &[u8]) -> String {
    format!("\"{}\"", String::from_utf8_lossy(name))
}
