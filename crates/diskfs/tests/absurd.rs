//! Disks with absurd numbers in them (sizes and block numbers near `u64::MAX` or `u32::MAX`,
//! name lengths past the field, counts past the log): each is refused at mount, or the
//! operation that meets it fails with an error. None may panic: in the kernel, a panic on disk
//! data would take the whole system down for one bad disk.

use diskfs::crc::crc32;
use diskfs::layout::{LogHeader, Superblock, BLOCK_SIZE, INODE_SIZE};
use diskfs::{format, BlockDevice, DiskFs, MemoryDisk};
use memfs::{Ino, Kind, ROOT};

/// Blocks in the test disk.
const BLOCKS: u32 = 1024;
/// Blocks of the large file: more than the cache holds, so reading it evicts everything else.
const BIG_BLOCKS: usize = 400;

/// A disk with a directory, a small file and a large one.
fn populated() -> (MemoryDisk, Superblock) {
    let mut disk = MemoryDisk::new(BLOCKS);
    let sb = Superblock::for_size(BLOCKS, Some(64), None).unwrap();
    format(&mut disk, &sb).unwrap();
    let (mut fs, _) = DiskFs::mount(disk, 64, &|| 0).unwrap();
    fs.create(ROOT, b"dir", Kind::Directory, 0o755).unwrap();
    let small = fs.create(ROOT, b"small", Kind::Regular, 0o644).unwrap();
    fs.write(small, 0, b"hello").unwrap();
    let big = fs.create(ROOT, b"big", Kind::Regular, 0o644).unwrap();
    fs.write(big, 0, &vec![7; BIG_BLOCKS * BLOCK_SIZE]).unwrap();
    (fs.unmount().map_err(|(_, e)| e).unwrap(), sb)
}

/// Overwrites `bytes.len()` bytes of block `block` at `at`.
fn poke(disk: &mut MemoryDisk, block: u32, at: usize, bytes: &[u8]) {
    let mut data = *disk.block(block);
    data[at..at + bytes.len()].copy_from_slice(bytes);
    disk.poke(block, &data);
}

/// Where inode `ino`'s bytes are: (block, offset).
fn inode_at(sb: &Superblock, ino: Ino) -> (u32, usize) {
    sb.inode_place(ino as u32).unwrap()
}

/// The name of the rule a mount of `disk` reports broken, or `None` if it mounts.
fn refusal(disk: MemoryDisk) -> Option<&'static str> {
    DiskFs::mount(disk, 64, &|| 0).err().map(|r| r.first.name)
}

#[test]
fn absurd_fields_are_refused_at_mount() {
    let (disk, sb) = populated();
    let (mut fs, _) = DiskFs::mount(disk.clone(), 64, &|| 0).unwrap();
    let small = fs.lookup(ROOT, b"small").unwrap();
    let big = fs.lookup(ROOT, b"big").unwrap();
    drop(fs);
    let edited = |edit: &dyn Fn(&mut MemoryDisk)| {
        let mut copy = disk.clone();
        edit(&mut copy);
        refusal(copy)
    };
    // Inode fields: sizes, block numbers.
    let (block, offset) = inode_at(&sb, small);
    let size = offset + 8;
    assert_eq!(
        edited(&|d| poke(d, block, size, &u64::MAX.to_le_bytes())),
        Some("bad-inode")
    );
    assert_eq!(
        edited(&|d| poke(d, block, size, &(u64::MAX / 2).to_le_bytes())),
        Some("bad-inode")
    );
    let (root_block, root_offset) = inode_at(&sb, ROOT);
    assert_eq!(
        edited(&|d| poke(d, root_block, root_offset + 8, &u64::MAX.to_le_bytes())),
        Some("bad-inode")
    );
    assert_eq!(
        edited(&|d| poke(d, root_block, root_offset + 32, &u32::MAX.to_le_bytes())),
        Some("block-out-of-range")
    );
    let (block, offset) = inode_at(&sb, big);
    for field in [80, 84] {
        // The indirect and the double indirect block.
        assert_eq!(
            edited(&|d| poke(d, block, offset + field, &u32::MAX.to_le_bytes())),
            Some("block-out-of-range")
        );
    }
    // A pointer in the large file's indirect block.
    let mut raw = [0u8; INODE_SIZE];
    raw.copy_from_slice(&disk.block(block)[offset..offset + INODE_SIZE]);
    let indirect = diskfs::layout::Inode::decode(&raw).unwrap().indirect;
    assert_eq!(
        edited(&|d| poke(d, indirect, 4 * 100, &u32::MAX.to_le_bytes())),
        Some("block-out-of-range")
    );
    // A directory entry whose name is longer than the field, or whose inode is past the last.
    let root_dir = sb.data_start;
    assert_eq!(
        edited(&|d| poke(d, root_dir, 2 * 64 + 4, &[255])),
        Some("bad-entry")
    );
    assert_eq!(
        edited(&|d| poke(d, root_dir, 2 * 64, &u32::MAX.to_le_bytes())),
        Some("bad-entry")
    );
    // Superblock counts (with a checksum that matches them).
    for change in [
        |sb: &mut Superblock| sb.block_count = u32::MAX,
        |sb: &mut Superblock| sb.inode_count = u32::MAX,
        |sb: &mut Superblock| sb.inode_count = u32::MAX - 1,
        |sb: &mut Superblock| sb.log_blocks = u32::MAX,
        |sb: &mut Superblock| sb.data_start = u32::MAX,
        |sb: &mut Superblock| sb.inode_table_start = u32::MAX,
    ] {
        let mut absurd = sb;
        change(&mut absurd);
        assert_eq!(
            edited(&|d| d.poke(0, &absurd.encode())),
            Some("bad-geometry")
        );
    }
    // The log: a count past its slots, a target past the disk (both with good checksums).
    let header = |edit: &dyn Fn(&mut [u8; BLOCK_SIZE])| {
        let mut block = LogHeader {
            sequence: 1,
            data_checksum: 0,
            targets: vec![sb.data_start],
        }
        .encode();
        edit(&mut block);
        let checksum = crc32(&block[..BLOCK_SIZE - 4]);
        block[BLOCK_SIZE - 4..].copy_from_slice(&checksum.to_le_bytes());
        block
    };
    let count = header(&|b| b[16..20].copy_from_slice(&u32::MAX.to_le_bytes()));
    assert_eq!(
        edited(&|d| d.poke(sb.log_start, &count)),
        Some("log-does-not-replay")
    );
    let target = header(&|b| b[24..28].copy_from_slice(&u32::MAX.to_le_bytes()));
    assert_eq!(
        edited(&|d| d.poke(sb.log_start, &target)),
        Some("log-does-not-replay")
    );
    // A truncated disk: the superblock names blocks the device does not have.
    let mut short = MemoryDisk::new(BLOCKS / 2);
    for block in 0..BLOCKS / 2 {
        short.poke(block, disk.block(block));
    }
    assert_eq!(refusal(short), Some("bad-geometry"));
}

/// The mount checks every block it reads, but a block can be read again later (after the
/// cache dropped it) and come back different: a failing disk, or one that someone else writes.
/// What the operations then meet must give errors, not panics.
#[test]
fn blocks_that_change_after_the_mount_give_errors() {
    let (disk, sb) = populated();
    let (mut fs, _) = DiskFs::mount(disk, 64, &|| 0).unwrap();
    let small = fs.lookup(ROOT, b"small").unwrap();
    let big = fs.lookup(ROOT, b"big").unwrap();
    let evict = |fs: &mut DiskFs<MemoryDisk>| {
        assert!(fs.cache().capacity() < BIG_BLOCKS);
        assert_eq!(fs.read_all(big).unwrap().len(), BIG_BLOCKS * BLOCK_SIZE);
    };

    // Root entry 2 (the first name) claims a 200-byte name: longer than the 56 bytes an entry
    // holds. A name that long matches its length byte, and must not be compared past the entry.
    let long = [b'x'; 200];
    let device = fs.cache().device();
    let mut data = *device.block(sb.data_start);
    data[2 * 64 + 4] = 200;
    device.poke(sb.data_start, &data);
    evict(&mut fs);
    assert_eq!(fs.unlink(ROOT, &long), Err(abi::Errno::ENOENT));
    assert_eq!(fs.rmdir(ROOT, &long), Err(abi::Errno::ENOENT));
    assert_eq!(
        fs.rename(ROOT, &long, ROOT, b"renamed"),
        Err(abi::Errno::ENOENT)
    );
    assert!(fs.lookup(ROOT, &long).is_err());
    assert!(!fs.has_failed());

    // The small file's size becomes absurd, then its first block number.
    let (block, offset) = inode_at(&sb, small);
    let device = fs.cache().device();
    let mut data = *device.block(block);
    data[offset + 8..offset + 16].copy_from_slice(&u64::MAX.to_le_bytes());
    device.poke(block, &data);
    evict(&mut fs);
    let mut buf = [0u8; 64];
    assert_eq!(fs.stat(small).err(), Some(abi::Errno::EIO));
    assert_eq!(fs.read(small, 0, &mut buf), Err(abi::Errno::EIO));
    assert_eq!(fs.read(small, u64::MAX - 1, &mut buf), Err(abi::Errno::EIO));
    assert_eq!(fs.write(small, u64::MAX - 1, b"x"), Err(abi::Errno::EFBIG));
    assert_eq!(fs.truncate(small, 1), Err(abi::Errno::EIO));
    let device = fs.cache().device();
    data[offset + 8..offset + 16].copy_from_slice(&5u64.to_le_bytes());
    data[offset + 32..offset + 36].copy_from_slice(&u32::MAX.to_le_bytes());
    device.poke(block, &data);
    evict(&mut fs);
    assert_eq!(fs.read(small, 0, &mut buf), Err(abi::Errno::EIO));
}

/// The log header's sequence number is only a name for the last transaction; a disk may hold
/// any value there, the last one included. The next commit starts again at 0.
#[test]
fn a_log_sequence_at_its_last_value_wraps_round() {
    let (mut disk, sb) = populated();
    let last = LogHeader {
        sequence: u64::MAX,
        data_checksum: 0,
        targets: Vec::new(),
    };
    disk.poke(sb.log_start, &last.encode());
    let (mut fs, _) = DiskFs::mount(disk, 64, &|| 0).unwrap();
    fs.create(ROOT, b"after", Kind::Regular, 0o644).unwrap();
    fs.sync().unwrap();
    let disk = fs.unmount().map_err(|(_, e)| e).unwrap();
    let header = LogHeader::decode(disk.block(sb.log_start), &sb).unwrap();
    assert_eq!(header.sequence, 0);
    assert_eq!(disk.block_count(), u64::from(BLOCKS));
    let (mut fs, _) = DiskFs::mount(disk, 64, &|| 0).unwrap();
    assert!(fs.lookup(ROOT, b"after").is_ok());
}
