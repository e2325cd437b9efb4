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
    get32, Entry, Inode, Superblock, Violation, BITS_PER_BLOCK, BLOCK_SIZE, DIRECT,
    ENTRIES_PER_BLOCK, ENTRY_SIZE, INODE_SIZE, KIND_DIRECTORY, KIND_REGULAR, POINTERS_PER_BLOCK,
    ROOT,
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
            self.more += 1;
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
    /// Its link count.
    links: u16,
    /// Entries naming it (other than `.` and `..`).
    refs: u32,
    /// Subdirectories (for a directory).
    subdirs: u32,
}

/// Reads a bitmap region into memory.
fn read_bits<D: BlockDevice>(cache: &mut Cache<D>, start: u32, blocks: u32) -> Result<Bits, Errno> {
    let mut bits = Vec::with_capacity(blocks as usize * BLOCK_SIZE);
    for block in start..start + blocks {
        bits.extend_from_slice(cache.get(block)?);
    }
    Ok(Bits(bits))
}

/// Checks the file system `sb` describes on `cache`'s device (its log already replayed).
pub fn check<D: BlockDevice>(cache: &mut Cache<D>, sb: &Superblock) -> Result<Report, Errno> {
    let mut report = Report::default();
    let inode_bits = read_bits(cache, sb.inode_bitmap_start, sb.inode_bitmap_blocks)?;
    let block_bits = read_bits(cache, sb.block_bitmap_start, sb.block_bitmap_blocks)?;
    check_reserved_bits(sb, &inode_bits, &block_bits, &mut report);

    let mut used = Bits::new(sb.block_count as usize);
    for block in 0..sb.data_start {
        used.set(block as usize);
    }
    let mut seen = vec![Seen::default(); sb.inode_count as usize + 1];
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
            leaked += 1;
            if leaked <= 3 {
                report.add(
                    "block-bitmap-mismatch",
                    format!("block {block} is marked in use but nothing uses it"),
                );
            }
        }
        report.blocks_used += u32::from(in_use);
    }
    report.blocks_used += sb.data_start;
    if leaked > 3 {
        report.add(
            "block-bitmap-mismatch",
            format!("{} more blocks are marked in use but unused", leaked - 3),
        );
    }
    walk_tree(cache, sb, &mut seen, &mut report)?;
    for (ino, info) in seen.iter().enumerate().skip(1) {
        if !info.valid {
            continue;
        }
        report.inodes_used += 1;
        let ino = ino as u32;
        if info.directory {
            report.directories += 1;
        } else {
            report.files += 1;
        }
        if info.links == 0 && info.refs == 0 {
            report.orphans.push(ino);
        } else if info.refs == 0 && ino != ROOT {
            report.add(
                "unreachable-inode",
                format!("inode {ino} has {} links but no entry names it", info.links),
            );
        } else if info.directory {
            let expected = 2 + info.subdirs;
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
    let inode_end = sb.inode_bitmap_blocks as usize * BITS_PER_BLOCK as usize;
    let unset_inode = core::iter::once(0)
        .chain(sb.inode_count as usize + 1..inode_end)
        .find(|&i| !inodes.get(i));
    if let Some(i) = unset_inode {
        report.add(
            "bitmap-reserved-bits",
            format!("inode bitmap bit {i} is clear (it must always be set)"),
        );
    }
    let block_end = sb.block_bitmap_blocks as usize * BITS_PER_BLOCK as usize;
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
    let (block, offset) = sb.inode_place(ino);
    let raw: [u8; INODE_SIZE] = cache.get(block)?[offset..offset + INODE_SIZE]
        .try_into()
        .map_err(|_| Errno::EIO)?;
    let allocated = inode_bits.get(ino as usize);
    let mode = u16::from_le_bytes([raw[0], raw[1]]);
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
    seen[ino as usize].in_use = true;
    let Some(inode) = Inode::decode(&raw) else {
        report.add(
            "bad-inode",
            format!("inode {ino} has non-zero reserved bytes"),
        );
        return Ok(());
    };
    if !inode.is_regular() && !inode.is_directory() {
        report.add(
            "bad-inode",
            format!(
                "inode {ino} has mode {:#o}: neither a file nor a directory",
                inode.mode
            ),
        );
        return Ok(());
    }
    if inode.size > crate::layout::MAX_FILE_BLOCKS * BLOCK_SIZE as u64 {
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
    if inode.is_directory() && (inode.size == 0 || inode.size % BLOCK_SIZE as u64 != 0) {
        report.add(
            "bad-directory-size",
            format!(
                "directory {ino} has size {}, not a positive multiple of {BLOCK_SIZE}",
                inode.size
            ),
        );
    }
    seen[ino as usize] = Seen {
        in_use: true,
        valid: true,
        directory: inode.is_directory(),
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
    let first_indirect = DIRECT as u64;
    if inode.indirect != 0 {
        if claim(sb, ino, inode.indirect, None, blocks, used, report) {
            let pointers = *cache.get(inode.indirect)?;
            claim_all(
                sb,
                ino,
                &pointers,
                first_indirect,
                blocks,
                used,
                report,
                &mut holes,
            );
        }
    } else {
        holes.push(first_indirect);
    }
    let first_double = first_indirect + POINTERS_PER_BLOCK;
    if inode.double_indirect != 0 {
        if claim(sb, ino, inode.double_indirect, None, blocks, used, report) {
            let level1 = *cache.get(inode.double_indirect)?;
            for j in 0..POINTERS_PER_BLOCK as usize {
                let base = first_double + j as u64 * POINTERS_PER_BLOCK;
                let indirect = get32(&level1, j * 4);
                if indirect == 0 {
                    holes.push(base);
                } else if claim(sb, ino, indirect, None, blocks, used, report) {
                    let pointers = *cache.get(indirect)?;
                    claim_all(sb, ino, &pointers, base, blocks, used, report, &mut holes);
                }
            }
        }
    } else {
        holes.push(first_double);
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
    for k in 0..POINTERS_PER_BLOCK as usize {
        let block = get32(pointers, k * 4);
        if block != 0 {
            claim(sb, ino, block, Some(base + k as u64), blocks, used, report);
        } else if !hole_noted {
            holes.push(base + k as u64);
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
    let pointer = |cache: &mut Cache<D>, block: u32, slot: u64| -> Result<u32, Errno> {
        if block == 0 {
            return Ok(0);
        }
        Ok(valid(get32(cache.get(block)?, slot as usize * 4)))
    };
    if index < DIRECT as u64 {
        return Ok(valid(inode.direct[index as usize]));
    }
    let index = index - DIRECT as u64;
    if index < POINTERS_PER_BLOCK {
        return pointer(cache, valid(inode.indirect), index);
    }
    let index = index - POINTERS_PER_BLOCK;
    let level1 = pointer(
        cache,
        valid(inode.double_indirect),
        index / POINTERS_PER_BLOCK,
    )?;
    pointer(cache, level1, index % POINTERS_PER_BLOCK)
}

/// Walks the tree from the root, checking every directory's entries and counting references.
fn walk_tree<D: BlockDevice>(
    cache: &mut Cache<D>,
    sb: &Superblock,
    seen: &mut [Seen],
    report: &mut Report,
) -> Result<(), Errno> {
    let root = seen[ROOT as usize];
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
        let (block, offset) = sb.inode_place(dir);
        let Some(inode) = Inode::decode(&cache.get(block)?[offset..offset + INODE_SIZE]) else {
            continue;
        };
        let mut names = BTreeSet::new();
        let mut subdirs = 0;
        let blocks = (inode.size / BLOCK_SIZE as u64).min(crate::layout::MAX_FILE_BLOCKS);
        for index in 0..blocks {
            let block = file_block(cache, sb, &inode, index)?;
            if block == 0 {
                continue; // reported as a hole or a bad pointer already
            }
            let data = *cache.get(block)?;
            for s in 0..ENTRIES_PER_BLOCK {
                let slot = index * ENTRIES_PER_BLOCK as u64 + s as u64;
                let bytes = &data[s * ENTRY_SIZE..(s + 1) * ENTRY_SIZE];
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
                let expected_kind = if target.directory {
                    KIND_DIRECTORY
                } else {
                    KIND_REGULAR
                };
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
                seen[entry.ino as usize].refs += 1;
                if target.directory {
                    subdirs += 1;
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
        seen[dir as usize].subdirs = subdirs;
    }
    Ok(())
}

/// A name for a message.
fn show(name: &[u8]) -> String {
    format!("\"{}\"", String::from_utf8_lossy(name))
}
