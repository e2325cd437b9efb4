//! The disk file system against a model, and against power cuts.
//!
//! The model is `memfs`, the in-memory file system whose rules are Linux's: every random
//! operation runs on both, and both must give the same answer and the same tree. The power-cut
//! tests stop the disk at a chosen write, keep a random subset of the writes it had not been
//! told to flush (a real disk may have done any of them), mount what is left, and require a
//! clean check and a tree equal to the model's at some commit no older than the last `sync`.

use abi::Errno;
use diskfs::layout::Superblock;
use diskfs::{format, DiskFs, MemoryDisk};
use memfs::{Fs, Ino, Kind, ROOT};
use std::collections::BTreeMap;
use xorshift::Rng;

/// Cache blocks for the tests (small, so eviction happens).
const CACHE: usize = 96;

/// A fresh disk of `blocks` blocks with an empty file system.
fn fresh(blocks: u32) -> MemoryDisk {
    let mut disk = MemoryDisk::new(blocks);
    let sb = Superblock::for_size(blocks, None, None).unwrap();
    format(&mut disk, &sb).unwrap();
    disk
}

fn mount(disk: MemoryDisk) -> DiskFs<MemoryDisk> {
    match DiskFs::mount(disk, CACHE, &|| 0) {
        Ok((fs, _)) => fs,
        Err(refusal) => panic!("mount refused: {refusal}"),
    }
}

/// What a tree holds: path → (is a directory, contents).
type Tree = BTreeMap<String, (bool, Vec<u8>)>;

/// The tree of a file system seen through `entries`, `stat` and `read`.
trait View {
    fn entries(&mut self, dir: Ino) -> Vec<(Vec<u8>, Ino)>;
    fn is_dir(&mut self, ino: Ino) -> bool;
    fn contents(&mut self, ino: Ino) -> Vec<u8>;
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino, Errno>;
    fn create(&mut self, dir: Ino, name: &[u8], kind: Kind) -> Result<(), Errno>;
    fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<(), Errno>;
    fn truncate(&mut self, ino: Ino, len: u64) -> Result<(), Errno>;
    fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno>;
    fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno>;
    fn rename(&mut self, from: Ino, a: &[u8], to: Ino, b: &[u8]) -> Result<(), Errno>;
    fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno>;
}

/// The changing calls, the same on both file systems.
macro_rules! changes {
    ($fs:ty) => {
        fn create(&mut self, dir: Ino, name: &[u8], kind: Kind) -> Result<(), Errno> {
            <$fs>::create(self, dir, name, kind, 0o644).map(drop)
        }
        fn write(&mut self, ino: Ino, offset: u64, data: &[u8]) -> Result<(), Errno> {
            <$fs>::write(self, ino, offset, data).map(drop)
        }
        fn truncate(&mut self, ino: Ino, len: u64) -> Result<(), Errno> {
            <$fs>::truncate(self, ino, len)
        }
        fn unlink(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
            <$fs>::unlink(self, dir, name)
        }
        fn rmdir(&mut self, dir: Ino, name: &[u8]) -> Result<(), Errno> {
            <$fs>::rmdir(self, dir, name)
        }
        fn rename(&mut self, from: Ino, a: &[u8], to: Ino, b: &[u8]) -> Result<(), Errno> {
            <$fs>::rename(self, from, a, to, b)
        }
        fn link(&mut self, ino: Ino, dir: Ino, name: &[u8]) -> Result<(), Errno> {
            <$fs>::link(self, ino, dir, name)
        }
    };
}

impl View for Fs<'static> {
    fn entries(&mut self, dir: Ino) -> Vec<(Vec<u8>, Ino)> {
        (2..)
            .map_while(|i| self.entry(dir, i).unwrap())
            .map(|e| (e.name, e.ino))
            .collect()
    }
    fn is_dir(&mut self, ino: Ino) -> bool {
        self.stat(ino).unwrap().kind == Kind::Directory
    }
    fn contents(&mut self, ino: Ino) -> Vec<u8> {
        let mut data = vec![0; self.stat(ino).unwrap().size as usize];
        let n = self.read(ino, 0, &mut data).unwrap();
        data.truncate(n);
        data
    }
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        Fs::lookup(self, dir, name)
    }
    changes!(Fs<'static>);
}

impl View for DiskFs<MemoryDisk> {
    fn entries(&mut self, dir: Ino) -> Vec<(Vec<u8>, Ino)> {
        let mut out = Vec::new();
        let mut index = 2;
        while let Some((entry, next)) = self.entry(dir, index).unwrap() {
            out.push((entry.name, entry.ino));
            index = next;
        }
        out
    }
    fn is_dir(&mut self, ino: Ino) -> bool {
        self.stat(ino).unwrap().kind == Kind::Directory
    }
    fn contents(&mut self, ino: Ino) -> Vec<u8> {
        self.read_all(ino).unwrap()
    }
    fn lookup(&mut self, dir: Ino, name: &[u8]) -> Result<Ino, Errno> {
        DiskFs::lookup(self, dir, name)
    }
    changes!(DiskFs<MemoryDisk>);
}

fn tree(fs: &mut dyn View) -> Tree {
    let mut out = Tree::new();
    let mut stack = vec![(String::new(), ROOT)];
    while let Some((path, dir)) = stack.pop() {
        for (name, ino) in fs.entries(dir) {
            let child = format!("{path}/{}", String::from_utf8_lossy(&name));
            if fs.is_dir(ino) {
                out.insert(child.clone(), (true, Vec::new()));
                stack.push((child, ino));
            } else {
                let data = fs.contents(ino);
                out.insert(child, (false, data));
            }
        }
    }
    out
}

/// Resolves a path of names from the root.
fn resolve(fs: &mut dyn View, path: &[&[u8]]) -> Result<Ino, Errno> {
    let mut ino = ROOT;
    for name in path {
        ino = fs.lookup(ino, name)?;
    }
    Ok(ino)
}

/// One random operation, by path.
#[derive(Debug, Clone)]
enum Op {
    Create(Vec<&'static [u8]>, bool),
    Write(Vec<&'static [u8]>, u64, Vec<u8>),
    Truncate(Vec<&'static [u8]>, u64),
    Unlink(Vec<&'static [u8]>),
    Rmdir(Vec<&'static [u8]>),
    Rename(Vec<&'static [u8]>, Vec<&'static [u8]>),
    Link(Vec<&'static [u8]>, Vec<&'static [u8]>),
}

const NAMES: [&[u8]; 5] = [b"a", b"b", b"notes.txt", b"dir", b"x"];

fn random_path(rng: &mut Rng) -> Vec<&'static [u8]> {
    let depth = 1 + rng.below(3) as usize;
    (0..depth)
        .map(|_| NAMES[rng.below(NAMES.len() as u64) as usize])
        .collect()
}

fn random_op(rng: &mut Rng, big: bool) -> Op {
    match rng.below(13) {
        0..=2 => Op::Create(random_path(rng), rng.below(3) == 0),
        3..=6 => {
            let max_len = if big { 70_000 } else { 9_000 };
            let len = rng.below(max_len) as usize;
            let fill = rng.next_u64() as u8;
            let data = (0..len).map(|i| fill.wrapping_add(i as u8)).collect();
            let offset = if rng.below(4) == 0 {
                rng.below(80_000)
            } else {
                0
            };
            Op::Write(random_path(rng), offset, data)
        }
        7 => Op::Truncate(random_path(rng), rng.below(60_000)),
        8 => Op::Unlink(random_path(rng)),
        9 => Op::Rmdir(random_path(rng)),
        10 => Op::Link(random_path(rng), random_path(rng)),
        _ => Op::Rename(random_path(rng), random_path(rng)),
    }
}

/// Applies `op` through either file system.
fn apply(fs: &mut dyn View, op: &Op) -> Result<(), Errno> {
    let parent = |fs: &mut dyn View, path: &[&[u8]]| resolve(fs, &path[..path.len() - 1]);
    let last = |path: &[&'static [u8]]| path[path.len() - 1];
    match op {
        Op::Create(path, dir) => {
            let p = parent(fs, path)?;
            let kind = if *dir { Kind::Directory } else { Kind::Regular };
            fs.create(p, last(path), kind)
        }
        Op::Write(path, offset, data) => {
            let ino = resolve(fs, path)?;
            fs.write(ino, *offset, data)
        }
        Op::Truncate(path, len) => {
            let ino = resolve(fs, path)?;
            fs.truncate(ino, *len)
        }
        Op::Unlink(path) => {
            let p = parent(fs, path)?;
            fs.unlink(p, last(path))
        }
        Op::Rmdir(path) => {
            let p = parent(fs, path)?;
            fs.rmdir(p, last(path))
        }
        Op::Rename(from, to) => {
            let f = parent(fs, from)?;
            let t = parent(fs, to)?;
            fs.rename(f, last(from), t, last(to))
        }
        Op::Link(from, to) => {
            let ino = resolve(fs, from)?;
            let t = parent(fs, to)?;
            fs.link(ino, t, last(to))
        }
    }
}

fn assert_clean(fs: &mut DiskFs<MemoryDisk>, context: &str) {
    let report = fs.check().unwrap();
    assert!(report.is_clean(), "{context}: {:?}", report.violations);
}

#[test]
fn random_operations_match_the_model() {
    for seed in 1..=12 {
        let mut rng = Rng::new(seed);
        let mut model = Fs::new(usize::MAX, 0o755);
        let mut disk = mount(fresh(4096));
        for step in 0..400 {
            let op = random_op(&mut rng, seed % 3 == 0);
            let expected = apply(&mut model, &op);
            let got = apply(&mut disk, &op);
            assert_eq!(got, expected, "seed {seed} step {step}: {op:?}");
            if rng.below(40) == 0 {
                let device = disk.unmount().map_err(|(_, e)| e).unwrap();
                disk = mount(device);
            }
        }
        assert_eq!(tree(&mut disk), tree(&mut model), "seed {seed}");
        assert_clean(&mut disk, &format!("seed {seed}"));
        let device = disk.unmount().map_err(|(_, e)| e).unwrap();
        let mut again = mount(device);
        assert_eq!(
            tree(&mut again),
            tree(&mut model),
            "seed {seed} after remount"
        );
    }
}

#[test]
fn random_operations_in_a_large_directory_match_the_model() {
    // Four hundred names make the root seven blocks long, so the disk file system searches it
    // through its in-memory index: every change must keep the index equal to the blocks.
    for seed in 1..=4 {
        let mut rng = Rng::new(seed + 100);
        let mut model = Fs::new(usize::MAX, 0o755);
        let mut disk = mount(fresh(4096));
        for i in 0..400 {
            let name = format!("pad-{i}");
            model
                .create(ROOT, name.as_bytes(), Kind::Regular, 0o644)
                .unwrap();
            disk.create(ROOT, name.as_bytes(), Kind::Regular, 0o644)
                .unwrap();
        }
        for step in 0..600 {
            let op = if rng.below(3) == 0 {
                let name = format!("pad-{}", rng.below(400));
                let leaked: &'static [u8] = Box::leak(name.into_bytes().into_boxed_slice());
                if rng.below(2) == 0 {
                    Op::Unlink(vec![leaked])
                } else {
                    Op::Rename(vec![leaked], random_path(&mut rng))
                }
            } else {
                random_op(&mut rng, false)
            };
            let expected = apply(&mut model, &op);
            let got = apply(&mut disk, &op);
            assert_eq!(got, expected, "seed {seed} step {step}: {op:?}");
            if rng.below(100) == 0 {
                let device = disk.unmount().map_err(|(_, e)| e).unwrap();
                disk = mount(device);
            }
        }
        assert_eq!(tree(&mut disk), tree(&mut model), "seed {seed}");
        assert_clean(&mut disk, &format!("seed {seed}"));
    }
}

#[test]
fn power_cut_at_any_write_leaves_a_committed_state() {
    let mut cuts = 0;
    let mut replays = 0;
    for seed in 1..=200u64 {
        let mut rng = Rng::new(seed * 7919);
        let mut model = Fs::new(usize::MAX, 0o755);
        let mut fs = mount(fresh(2048));
        let budget = 5 + rng.below(250);
        fs.cache().device().fail_after(budget);
        // States the disk may be found in: the last synced one and every commit since.
        let mut candidates = vec![tree(&mut model)];
        let mut cut = false;
        for _ in 0..300 {
            let op = random_op(&mut rng, false);
            let before = tree(&mut model);
            let commits = fs.commits();
            let expected = apply(&mut model, &op);
            let got = apply(&mut fs, &op);
            if fs.has_failed() || got == Err(Errno::EIO) {
                cut = true;
                candidates.push(before);
                candidates.push(tree(&mut model));
                break;
            }
            assert_eq!(got, expected, "seed {seed}: {op:?}");
            if fs.commits() != commits {
                candidates.push(before);
                candidates.push(tree(&mut model));
            }
            if rng.below(10) == 0 {
                if fs.sync().is_err() {
                    cut = true;
                    candidates.push(tree(&mut model));
                    break;
                }
                candidates = vec![tree(&mut model)];
            }
        }
        if !cut {
            continue;
        }
        cuts += 1;
        let crashed = fs.cache().device().crash(|_| rng.below(2) == 0);
        let (mut recovered, report) = DiskFs::mount(crashed, CACHE, &|| 0).unwrap();
        replays += usize::from(report.replay.blocks > 0);
        let found = tree(&mut recovered);
        assert!(
            candidates.contains(&found),
            "seed {seed}: after the cut at write {budget} the tree is none of the {} committed states: {:?}",
            candidates.len(),
            found.keys().collect::<Vec<_>>()
        );
        assert_clean(&mut recovered, &format!("seed {seed}"));
    }
    // The budgets are chosen so that most runs are cut, some of them in the middle of
    // installing a transaction (which the mount must replay).
    assert!(cuts >= 150, "only {cuts} of 200 runs were cut");
    assert!(replays >= 10, "only {replays} cuts left a log to replay");
}

#[test]
fn unlinked_open_file_lives_until_close_and_is_freed_at_mount_after_a_crash() {
    let mut fs = mount(fresh(1024));
    let file = fs.create(ROOT, b"tmp", Kind::Regular, 0o600).unwrap();
    fs.write(file, 0, &[7; 50_000]).unwrap();
    let free_before = fs.usage().free_blocks;
    fs.open(file).unwrap();
    fs.unlink(ROOT, b"tmp").unwrap();
    assert_eq!(fs.lookup(ROOT, b"tmp"), Err(Errno::ENOENT));
    assert_eq!(fs.read_all(file).unwrap(), vec![7; 50_000]);
    fs.sync().unwrap();
    // Power cut with the file still open: the next mount finds an orphan and frees it.
    let crashed = fs.cache().device().crash(|_| false);
    let (mut again, report) = DiskFs::mount(crashed, CACHE, &|| 0).unwrap();
    assert_eq!(report.orphans_freed, 1);
    assert!(again.usage().free_blocks > free_before);
    assert_clean(&mut again, "after freeing the orphan");
    // And a close frees it at once.
    let file = again.create(ROOT, b"tmp2", Kind::Regular, 0o600).unwrap();
    again.write(file, 0, &[1; 9000]).unwrap();
    let free = again.usage().free_blocks;
    again.open(file).unwrap();
    again.unlink(ROOT, b"tmp2").unwrap();
    assert_eq!(again.usage().free_blocks, free);
    again.close(file).unwrap();
    assert_eq!(again.usage().free_blocks, free + 3);
    assert_clean(&mut again, "after close");
}

#[test]
fn a_full_disk_gives_enospc_and_stays_consistent() {
    let mut fs = mount(fresh(256));
    let file = fs.create(ROOT, b"big", Kind::Regular, 0o644).unwrap();
    let chunk = vec![0xAB; 64 * 1024];
    let mut written = 0u64;
    loop {
        match fs.write(file, written, &chunk) {
            Ok(n) => written += n as u64,
            Err(e) => {
                assert_eq!(e, Errno::ENOSPC);
                break;
            }
        }
    }
    assert!(written > 100 * 4096, "only {written} bytes fit");
    assert_eq!(fs.usage().free_blocks, 0);
    assert_eq!(
        fs.create(ROOT, b"more", Kind::Directory, 0o755),
        Err(Errno::ENOSPC)
    );
    assert!(!fs.has_failed());
    assert_clean(&mut fs, "full");
    let data = fs.read_all(file).unwrap();
    assert_eq!(data.len() as u64, written);
    assert!(data.iter().all(|&b| b == 0xAB));
    fs.truncate(file, 0).unwrap();
    assert_clean(&mut fs, "emptied");
    let device = fs.unmount().map_err(|(_, e)| e).unwrap();
    let mut again = mount(device);
    assert_eq!(again.stat(file).unwrap().size, 0);
}

#[test]
fn a_file_through_the_double_indirect_block() {
    let mut fs = mount(fresh(16384));
    let file = fs.create(ROOT, b"large", Kind::Regular, 0o644).unwrap();
    // 5 MiB: past the 12 direct and 1,024 indirect blocks.
    let data: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    assert_eq!(fs.write(file, 0, &data).unwrap(), data.len());
    let device = fs.unmount().map_err(|(_, e)| e).unwrap();
    let mut fs = mount(device);
    assert_eq!(fs.read_all(file).unwrap(), data);
    // A hole far out reads as zeros, and a truncation back frees the indirect blocks.
    fs.write(file, 100 * 1024 * 1024, b"end").unwrap();
    let mut buf = [1u8; 16];
    fs.read(file, 50 * 1024 * 1024, &mut buf).unwrap();
    assert_eq!(buf, [0; 16]);
    let used = fs.usage().free_blocks;
    fs.truncate(file, 4096 * 12 + 5).unwrap();
    assert!(fs.usage().free_blocks > used + 1200);
    assert_clean(&mut fs, "after truncation");
    assert_eq!(fs.read_all(file).unwrap(), data[..4096 * 12 + 5]);
}

#[test]
fn many_files_in_one_directory() {
    let mut fs = mount(fresh(8192));
    for i in 0..2000 {
        let name = format!("file-{i:05}");
        let ino = fs
            .create(ROOT, name.as_bytes(), Kind::Regular, 0o644)
            .unwrap();
        fs.write(ino, 0, name.as_bytes()).unwrap();
    }
    let device = fs.unmount().map_err(|(_, e)| e).unwrap();
    let mut fs = mount(device);
    let names = fs.entries(ROOT);
    assert_eq!(names.len(), 2000);
    for i in (0..2000).step_by(97) {
        let name = format!("file-{i:05}");
        let ino = DiskFs::lookup(&mut fs, ROOT, name.as_bytes()).unwrap();
        assert_eq!(fs.read_all(ino).unwrap(), name.as_bytes());
    }
    assert_clean(&mut fs, "2000 files");
}

#[test]
fn names_and_errors() {
    let mut fs = mount(fresh(512));
    let long = [b'n'; 57];
    assert_eq!(
        fs.create(ROOT, &long, Kind::Regular, 0o644),
        Err(Errno::ENAMETOOLONG)
    );
    assert!(fs.create(ROOT, &long[..56], Kind::Regular, 0o644).is_ok());
    assert_eq!(
        fs.create(ROOT, b"..", Kind::Directory, 0o755),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        fs.create(ROOT, b"dev", Kind::CharDevice(1), 0o644),
        Err(Errno::EPERM)
    );
    let dir = fs.create(ROOT, b"d", Kind::Directory, 0o755).unwrap();
    let sub = fs.create(dir, b"e", Kind::Directory, 0o755).unwrap();
    assert_eq!(fs.rename(ROOT, b"d", sub, b"inside"), Err(Errno::EINVAL));
    assert_eq!(fs.rmdir(ROOT, b"d"), Err(Errno::ENOTEMPTY));
    assert_eq!(DiskFs::lookup(&mut fs, sub, b"..").unwrap(), dir);
    assert_eq!(fs.stat(dir).unwrap().links, 3);
    fs.rename(dir, b"e", ROOT, b"e2").unwrap();
    assert_eq!(DiskFs::lookup(&mut fs, sub, b"..").unwrap(), ROOT);
    assert_eq!(fs.stat(dir).unwrap().links, 2);
    fs.rmdir(ROOT, b"d").unwrap();
    assert_clean(&mut fs, "after renames");
}

#[test]
fn device_errors_are_reported_not_fatal() {
    let mut fs = mount(fresh(1024));
    let file = fs.create(ROOT, b"f", Kind::Regular, 0o644).unwrap();
    fs.write(file, 0, b"kept").unwrap();
    fs.sync().unwrap();
    fs.cache().device().fail_after(0);
    fs.write(file, 0, b"lost").unwrap();
    assert_eq!(fs.sync(), Err(Errno::EIO));
    assert!(fs.has_failed());
    assert_eq!(fs.create(ROOT, b"g", Kind::Regular, 0o644), Err(Errno::EIO));
    let crashed = fs.cache().device().crash(|_| true);
    let mut again = mount(crashed);
    let file = DiskFs::lookup(&mut again, ROOT, b"f").unwrap();
    assert_eq!(again.read_all(file).unwrap(), b"kept");
}

#[test]
fn symbolic_links_answer_as_memfs_and_survive_a_remount() {
    let mut model = Fs::new(usize::MAX, 0o755);
    let mut disk = mount(fresh(4096));
    let long = vec![b'x'; 4096];
    for (name, target) in [
        (&b"link"[..], &b"some/where"[..]),
        (b"link", b"again"),
        (b"empty", b""),
        (b"long", &long[..]),
        (b".", b"dot"),
    ] {
        let expected = model.symlink(ROOT, name, target).map(drop);
        let got = disk.symlink(ROOT, name, target).map(drop);
        assert_eq!(got, expected, "symlink {:?}", String::from_utf8_lossy(name));
    }
    let ino = disk.lookup(ROOT, b"link").unwrap();
    let attr = disk.stat(ino).unwrap();
    assert_eq!(
        (attr.kind, attr.size, attr.perm, attr.links),
        (Kind::Symlink, 10, 0o777, 1)
    );
    assert_eq!(disk.readlink(ino).unwrap(), b"some/where");
    assert_eq!(disk.read(ino, 0, &mut [0; 4]), Err(Errno::EINVAL));
    assert_eq!(disk.write(ino, 0, b"no"), Err(Errno::EINVAL));
    assert_eq!(disk.truncate(ino, 0), Err(Errno::EINVAL));
    let file = disk.create(ROOT, b"file", Kind::Regular, 0o644).unwrap();
    assert_eq!(disk.readlink(file), Err(Errno::EINVAL));
    let entry = (2..)
        .map_while(|i| disk.entry(ROOT, i).unwrap())
        .find(|(e, _)| e.name == b"link")
        .unwrap();
    assert_eq!(entry.0.kind, Kind::Symlink);
    // A hard link of the link, a rename, a clean check, a remount.
    disk.link(ino, ROOT, b"hard").unwrap();
    disk.rename(ROOT, b"link", ROOT, b"moved").unwrap();
    assert_clean(&mut disk, "with links");
    let device = disk.unmount().map_err(|(_, e)| e).unwrap();
    let mut disk = mount(device);
    let moved = disk.lookup(ROOT, b"moved").unwrap();
    assert_eq!(disk.readlink(moved).unwrap(), b"some/where");
    assert_eq!(disk.stat(moved).unwrap().links, 2);
    // Removing both names frees the inode and its block.
    let before = disk.usage();
    disk.unlink(ROOT, b"moved").unwrap();
    disk.unlink(ROOT, b"hard").unwrap();
    let after = disk.usage();
    assert_eq!(after.free_blocks, before.free_blocks + 1);
    assert_eq!(after.free_inodes, before.free_inodes + 1);
    assert_clean(&mut disk, "after unlink");
}
