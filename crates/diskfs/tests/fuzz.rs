//! Mutated disks: whatever the bytes, mounting either refuses with a named rule or gives a file
//! system that works without a panic, and whose check stays clean after more changes.

use diskfs::layout::{Superblock, BLOCK_SIZE};
use diskfs::{format, BlockDevice, DiskFs, MemoryDisk};
use memfs::{Kind, ROOT};
use xorshift::Rng;

/// A small file system with directories, files and one large file.
fn populated() -> (MemoryDisk, Superblock) {
    let mut disk = MemoryDisk::new(1024);
    let sb = Superblock::for_size(1024, Some(64), None).unwrap();
    format(&mut disk, &sb).unwrap();
    let (mut fs, _) = DiskFs::mount(disk, 64, &|| 0).unwrap();
    let dir = fs.create(ROOT, b"dir", Kind::Directory, 0o755).unwrap();
    for i in 0..20u8 {
        let parent = if i % 2 == 0 { ROOT } else { dir };
        let ino = fs
            .create(parent, &[b'f', b'a' + i], Kind::Regular, 0o644)
            .unwrap();
        fs.write(ino, 0, &vec![i; 300 * usize::from(i)]).unwrap();
    }
    let big = fs.create(dir, b"big", Kind::Regular, 0o644).unwrap();
    fs.write(big, 0, &vec![9; 80 * BLOCK_SIZE]).unwrap();
    (fs.unmount().map_err(|(_, e)| e).unwrap(), sb)
}

/// Walks the tree and reads everything, as a program listing the disk would.
fn exercise(fs: &mut DiskFs<MemoryDisk>) {
    let mut stack = vec![ROOT];
    let mut visited = 0;
    while let Some(dir) = stack.pop() {
        visited += 1;
        assert!(visited < 1000, "the tree of a mounted disk has no loops");
        let mut index = 2;
        while let Ok(Some((entry, next))) = fs.entry(dir, index) {
            index = next;
            match entry.kind {
                Kind::Directory => stack.push(entry.ino),
                _ => {
                    let _ = fs.read_all(entry.ino);
                }
            }
        }
    }
    let new = fs.create(ROOT, b"new", Kind::Regular, 0o644);
    if let Ok(ino) = new {
        let _ = fs.write(ino, 0, &[1; 20_000]);
    }
    let _ = fs.unlink(ROOT, b"fa");
    let _ = fs.rename(ROOT, b"dir", ROOT, b"moved");
}

#[test]
fn mutated_disks_are_refused_or_work() {
    let (disk, sb) = populated();
    let (mut refused, mut mounted) = (0, 0);
    for seed in 1..=400u64 {
        let mut rng = Rng::new(seed);
        let mut disk = disk.clone();
        let flips = 1 + rng.below(4);
        for _ in 0..flips {
            // Mostly blocks that are parsed (the log's slots are not, unless committed);
            // sometimes any block.
            let parsed = [
                0,
                sb.log_start,
                sb.inode_bitmap_start,
                sb.block_bitmap_start,
                sb.inode_table_start,
                sb.inode_table_start + 1,
                sb.data_start + rng.below(8) as u32,
            ];
            let block = if rng.below(4) == 0 {
                rng.below(1024) as u32
            } else {
                parsed[rng.below(parsed.len() as u64) as usize]
            };
            let mut data = *disk.block(block);
            let at = rng.below(BLOCK_SIZE as u64) as usize;
            match rng.below(3) {
                0 => data[at] ^= 1 << rng.below(8),
                1 => data[at] = rng.next_u64() as u8,
                _ => data[at..(at + 4).min(BLOCK_SIZE)].fill(0xFF),
            }
            disk.poke(block, &data);
        }
        assert_eq!(disk.block_count(), 1024);
        match DiskFs::mount(disk, 64, &|| 0) {
            Err(refusal) => {
                assert!(!refusal.first.name.is_empty(), "seed {seed}");
                refused += 1;
            }
            Ok((mut fs, _)) => {
                mounted += 1;
                exercise(&mut fs);
                if !fs.has_failed() {
                    let report = fs.check().unwrap();
                    assert!(report.is_clean(), "seed {seed}: {:?}", report.violations);
                }
            }
        }
    }
    assert!(
        refused > 50 && mounted > 50,
        "{refused} refused, {mounted} mounted"
    );
}

#[test]
fn each_named_corruption_is_refused() {
    let (disk, sb) = populated();
    let refuse = |edit: &dyn Fn(&mut MemoryDisk)| {
        let mut copy = disk.clone();
        edit(&mut copy);
        DiskFs::mount(copy, 64, &|| 0).err().map(|r| r.first.name)
    };
    let poke = |disk: &mut MemoryDisk, block: u32, at: usize, bytes: &[u8]| {
        let mut data = *disk.block(block);
        data[at..at + bytes.len()].copy_from_slice(bytes);
        disk.poke(block, &data);
    };
    assert_eq!(refuse(&|d| poke(d, 0, 0, b"X")), Some("bad-magic"));
    // The block bitmap says the root directory's block is free.
    let root_block = sb.data_start;
    assert_eq!(
        refuse(&|d| {
            let mut data = *d.block(sb.block_bitmap_start);
            data[(root_block / 8) as usize] &= !(1 << (root_block % 8));
            d.poke(sb.block_bitmap_start, &data)
        }),
        Some("block-bitmap-mismatch")
    );
    // The root's first direct block points outside the disk.
    assert_eq!(
        refuse(&|d| poke(d, sb.inode_table_start, 32, &5_000_000u32.to_le_bytes())),
        Some("block-out-of-range")
    );
    // A log header with a good checksum and a target in the superblock.
    assert_eq!(
        refuse(&|d| {
            let header = diskfs::layout::LogHeader {
                sequence: 1,
                data_checksum: 0,
                targets: vec![0],
            };
            d.poke(sb.log_start, &header.encode())
        }),
        Some("log-does-not-replay")
    );
    // "dir"'s ".." made to point at "dir" itself: a loop.
    assert!(refuse(&|d| {
        let (mut fs, _) = DiskFs::mount(d.clone(), 64, &|| 0).unwrap();
        let dir = fs.lookup(ROOT, b"dir").unwrap();
        let block = {
            // The directory's first block: find it through stat-free means, by scanning.
            (sb.data_start..1024)
                .find(|&b| {
                    let data = fs.cache().device().block(b);
                    data[..4] == (dir as u32).to_le_bytes() && &data[8..9] == b"."
                })
                .unwrap()
        };
        // Entry 2 of the root names "dir"; make a new entry in "dir" name the root.
        let mut data = *d.block(block);
        let entry = diskfs::layout::Entry::new(ROOT as u32, diskfs::layout::KIND_DIRECTORY, b"up");
        entry.encode(diskfs::layout::entry_bytes_mut(&mut data, 20).unwrap());
        d.poke(block, &data);
    })
    .is_some_and(|name| name == "directory-loop"));
}
