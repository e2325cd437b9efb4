//! Every rule of the tree, checked on the host.

use super::*;
use alloc::vec;

const MIB: usize = 1 << 20;

fn fs() -> Fs<'static> {
    Fs::new(MIB, 0o755)
}

fn file(fs: &mut Fs<'static>, dir: Ino, name: &str) -> Ino {
    fs.create(dir, name.as_bytes(), Kind::Regular, 0o644)
        .unwrap()
}

fn dir(fs: &mut Fs<'static>, parent: Ino, name: &str) -> Ino {
    fs.create(parent, name.as_bytes(), Kind::Directory, 0o755)
        .unwrap()
}

fn contents(fs: &Fs<'_>, ino: Ino) -> Vec<u8> {
    let mut buf = vec![0; fs.stat(ino).unwrap().size as usize + 10];
    let n = fs.read(ino, 0, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn names(fs: &Fs<'_>, dir: Ino) -> Vec<Vec<u8>> {
    (0..)
        .map_while(|i| fs.entry(dir, i).unwrap())
        .map(|e| e.name)
        .collect()
}

#[test]
fn a_new_file_system_is_one_empty_root_directory() {
    let fs = fs();
    let root = fs.stat(ROOT).unwrap();
    assert_eq!(root.kind, Kind::Directory);
    assert_eq!(root.links, 2);
    assert_eq!(root.mode(), abi::stat::S_IFDIR | 0o755);
    assert_eq!(fs.lookup(ROOT, b"..").unwrap(), ROOT);
    assert_eq!(fs.lookup(ROOT, b".").unwrap(), ROOT);
    assert_eq!(names(&fs, ROOT), [b".".to_vec(), b"..".to_vec()]);
    assert_eq!(fs.inode_count(), 1);
}

#[test]
fn write_read_and_overwrite() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "a");
    assert_eq!(fs.write(f, 0, b"hello world").unwrap(), 11);
    assert_eq!(contents(&fs, f), b"hello world");
    fs.write(f, 6, b"there").unwrap();
    assert_eq!(contents(&fs, f), b"hello there");
    let mut buf = [0u8; 4];
    assert_eq!(fs.read(f, 8, &mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"ere");
    assert_eq!(fs.read(f, 11, &mut buf).unwrap(), 0);
    assert_eq!(fs.read(f, u64::MAX, &mut buf).unwrap(), 0);
}

#[test]
fn writing_past_the_end_fills_the_gap_with_zeros() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "a");
    fs.write(f, 4, b"x").unwrap();
    assert_eq!(contents(&fs, f), b"\0\0\0\0x");
}

#[test]
fn truncate_shortens_and_lengthens() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "a");
    fs.write(f, 0, b"abcdef").unwrap();
    fs.truncate(f, 2).unwrap();
    assert_eq!(contents(&fs, f), b"ab");
    fs.truncate(f, 4).unwrap();
    assert_eq!(contents(&fs, f), b"ab\0\0");
}

#[test]
fn capacity_is_enforced_and_refunded() {
    let mut fs: Fs<'static> = Fs::new(2 * NODE_COST + 100, 0o755);
    let f = file(&mut fs, ROOT, "a");
    assert_eq!(fs.write(f, 0, &[1; 101]), Err(Errno::ENOSPC));
    assert_eq!(fs.write(f, 0, &[1; 100]).unwrap(), 100);
    assert_eq!(fs.write(f, 100, &[1]), Err(Errno::ENOSPC));
    // A failed write changes nothing.
    assert_eq!(fs.stat(f).unwrap().size, 100);
    fs.truncate(f, 0).unwrap();
    assert_eq!(fs.used(), 2 * NODE_COST);
    fs.write(f, 0, &[1; 100]).unwrap();
    fs.unlink(ROOT, b"a").unwrap();
    assert_eq!(fs.used(), NODE_COST);
}

#[test]
fn a_write_beyond_the_capacity_is_too_big_not_out_of_space() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "a");
    assert_eq!(fs.write(f, MIB as u64, b"x"), Err(Errno::EFBIG));
    assert_eq!(fs.write(f, u64::MAX, b"x"), Err(Errno::EFBIG));
    assert_eq!(fs.truncate(f, u64::MAX), Err(Errno::EFBIG));
}

#[test]
fn inodes_cost_capacity_too() {
    let mut fs: Fs<'static> = Fs::new(3 * NODE_COST, 0o755);
    file(&mut fs, ROOT, "a");
    file(&mut fs, ROOT, "b");
    assert_eq!(
        fs.create(ROOT, b"c", Kind::Regular, 0o644),
        Err(Errno::ENOSPC)
    );
    assert_eq!(fs.lookup(ROOT, b"c"), Err(Errno::ENOENT));
}

#[test]
fn names_are_checked() {
    let mut fs = fs();
    let long = [b'x'; NAME_MAX + 1];
    assert_eq!(
        fs.create(ROOT, &long, Kind::Regular, 0),
        Err(Errno::ENAMETOOLONG)
    );
    assert!(fs.create(ROOT, &long[..NAME_MAX], Kind::Regular, 0).is_ok());
    assert_eq!(fs.lookup(ROOT, &long), Err(Errno::ENAMETOOLONG));
    assert_eq!(fs.create(ROOT, b"", Kind::Regular, 0), Err(Errno::ENOENT));
    assert_eq!(fs.create(ROOT, b".", Kind::Regular, 0), Err(Errno::EEXIST));
    assert_eq!(
        fs.create(ROOT, b"..", Kind::Directory, 0),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        fs.create(ROOT, b"a/b", Kind::Regular, 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        fs.create(ROOT, b"a\0", Kind::Regular, 0),
        Err(Errno::EINVAL)
    );
}

#[test]
fn creating_twice_is_refused() {
    let mut fs = fs();
    file(&mut fs, ROOT, "a");
    assert_eq!(fs.create(ROOT, b"a", Kind::Regular, 0), Err(Errno::EEXIST));
    assert_eq!(
        fs.create(ROOT, b"a", Kind::Directory, 0),
        Err(Errno::EEXIST)
    );
}

#[test]
fn files_are_not_directories() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "a");
    assert_eq!(fs.lookup(f, b"x"), Err(Errno::ENOTDIR));
    assert_eq!(fs.create(f, b"x", Kind::Regular, 0), Err(Errno::ENOTDIR));
    assert_eq!(fs.entry(f, 0), Err(Errno::ENOTDIR));
    assert_eq!(fs.read(ROOT, 0, &mut [0; 4]), Err(Errno::EISDIR));
    assert_eq!(fs.write(ROOT, 0, b"x"), Err(Errno::EISDIR));
}

#[test]
fn directory_links_count_children() {
    let mut fs = fs();
    let a = dir(&mut fs, ROOT, "a");
    dir(&mut fs, a, "b");
    dir(&mut fs, a, "c");
    file(&mut fs, a, "f");
    assert_eq!(fs.stat(ROOT).unwrap().links, 3);
    assert_eq!(fs.stat(a).unwrap().links, 4);
    assert_eq!(fs.lookup(a, b"..").unwrap(), ROOT);
    fs.rmdir(a, b"b").unwrap();
    assert_eq!(fs.stat(a).unwrap().links, 3);
}

#[test]
fn listing_is_dot_dotdot_then_sorted_names() {
    let mut fs = fs();
    let a = dir(&mut fs, ROOT, "a");
    for name in ["zeta", "alpha", "Mid", "beta"] {
        file(&mut fs, a, name);
    }
    let listed = names(&fs, a);
    let expected: Vec<&[u8]> = vec![b".", b"..", b"Mid", b"alpha", b"beta", b"zeta"];
    assert_eq!(listed, expected);
    let dotdot = fs.entry(a, 1).unwrap().unwrap();
    assert_eq!((dotdot.ino, dotdot.kind), (ROOT, Kind::Directory));
    assert_eq!(fs.entry(a, 6).unwrap(), None);
}

#[test]
fn unlink_removes_a_name_but_an_open_file_lives_on() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "a");
    fs.write(f, 0, b"still here").unwrap();
    fs.open(f).unwrap();
    fs.unlink(ROOT, b"a").unwrap();
    assert_eq!(fs.lookup(ROOT, b"a"), Err(Errno::ENOENT));
    assert_eq!(fs.stat(f).unwrap().links, 0);
    assert_eq!(contents(&fs, f), b"still here");
    fs.write(f, 10, b"!").unwrap();
    fs.close(f);
    assert_eq!(fs.stat(f), Err(Errno::ENOENT));
    assert_eq!(fs.inode_count(), 1);
    assert_eq!(fs.used(), NODE_COST);
}

#[test]
fn closing_a_named_file_keeps_it() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "a");
    fs.open(f).unwrap();
    fs.open(f).unwrap();
    fs.close(f);
    fs.close(f);
    assert!(fs.stat(f).is_ok());
}

#[test]
fn unlink_refuses_directories_and_rmdir_refuses_files() {
    let mut fs = fs();
    dir(&mut fs, ROOT, "d");
    file(&mut fs, ROOT, "f");
    assert_eq!(fs.unlink(ROOT, b"d"), Err(Errno::EISDIR));
    assert_eq!(fs.rmdir(ROOT, b"f"), Err(Errno::ENOTDIR));
    assert_eq!(fs.unlink(ROOT, b"nope"), Err(Errno::ENOENT));
    assert_eq!(fs.rmdir(ROOT, b"nope"), Err(Errno::ENOENT));
}

#[test]
fn rmdir_refuses_a_non_empty_directory_and_dot_names() {
    let mut fs = fs();
    let d = dir(&mut fs, ROOT, "d");
    file(&mut fs, d, "f");
    assert_eq!(fs.rmdir(ROOT, b"d"), Err(Errno::ENOTEMPTY));
    assert_eq!(fs.rmdir(d, b"."), Err(Errno::EINVAL));
    assert_eq!(fs.rmdir(d, b".."), Err(Errno::ENOTEMPTY));
    fs.unlink(d, b"f").unwrap();
    fs.rmdir(ROOT, b"d").unwrap();
    assert_eq!(fs.stat(d), Err(Errno::ENOENT));
    assert_eq!(fs.stat(ROOT).unwrap().links, 2);
}

#[test]
fn a_removed_directory_still_open_takes_no_new_entries() {
    let mut fs = fs();
    let d = dir(&mut fs, ROOT, "d");
    fs.open(d).unwrap();
    fs.rmdir(ROOT, b"d").unwrap();
    assert_eq!(fs.create(d, b"x", Kind::Regular, 0), Err(Errno::ENOENT));
    assert_eq!(names(&fs, d).len(), 2);
    fs.close(d);
    assert_eq!(fs.stat(d), Err(Errno::ENOENT));
}

#[test]
fn rename_moves_and_replaces_a_file_atomically() {
    let mut fs = fs();
    let a = file(&mut fs, ROOT, "a");
    let b = file(&mut fs, ROOT, "b");
    fs.write(a, 0, b"new").unwrap();
    fs.write(b, 0, b"old").unwrap();
    fs.rename(ROOT, b"a", ROOT, b"b").unwrap();
    assert_eq!(fs.lookup(ROOT, b"a"), Err(Errno::ENOENT));
    assert_eq!(fs.lookup(ROOT, b"b").unwrap(), a);
    assert_eq!(fs.stat(b), Err(Errno::ENOENT), "the replaced file is freed");
    assert_eq!(fs.used(), 2 * NODE_COST + 3);
}

#[test]
fn rename_keeps_a_replaced_open_file_readable() {
    let mut fs = fs();
    let a = file(&mut fs, ROOT, "a");
    let b = file(&mut fs, ROOT, "b");
    fs.write(b, 0, b"old").unwrap();
    fs.open(b).unwrap();
    fs.rename(ROOT, b"a", ROOT, b"b").unwrap();
    assert_eq!(fs.lookup(ROOT, b"b").unwrap(), a);
    assert_eq!(contents(&fs, b), b"old");
    fs.close(b);
    assert_eq!(fs.stat(b), Err(Errno::ENOENT));
}

#[test]
fn rename_onto_itself_changes_nothing() {
    let mut fs = fs();
    let a = file(&mut fs, ROOT, "a");
    fs.rename(ROOT, b"a", ROOT, b"a").unwrap();
    assert_eq!(fs.lookup(ROOT, b"a").unwrap(), a);
    assert_eq!(fs.stat(a).unwrap().links, 1);
}

#[test]
fn rename_moves_a_directory_and_its_dotdot() {
    let mut fs = fs();
    let x = dir(&mut fs, ROOT, "x");
    let y = dir(&mut fs, ROOT, "y");
    let d = dir(&mut fs, x, "d");
    file(&mut fs, d, "f");
    fs.rename(x, b"d", y, b"e").unwrap();
    assert_eq!(fs.lookup(y, b"e").unwrap(), d);
    assert_eq!(fs.lookup(d, b"..").unwrap(), y);
    assert_eq!(fs.stat(x).unwrap().links, 2);
    assert_eq!(fs.stat(y).unwrap().links, 3);
    assert!(fs.lookup(d, b"f").is_ok());
}

#[test]
fn rename_refuses_to_put_a_directory_inside_itself() {
    let mut fs = fs();
    let a = dir(&mut fs, ROOT, "a");
    let b = dir(&mut fs, a, "b");
    assert_eq!(fs.rename(ROOT, b"a", b, b"a"), Err(Errno::EINVAL));
    assert_eq!(fs.rename(ROOT, b"a", a, b"a"), Err(Errno::EINVAL));
    assert_eq!(fs.lookup(ROOT, b"a").unwrap(), a);
}

#[test]
fn rename_checks_kinds_and_emptiness_of_the_target() {
    let mut fs = fs();
    let d = dir(&mut fs, ROOT, "d");
    let full = dir(&mut fs, ROOT, "full");
    file(&mut fs, full, "x");
    dir(&mut fs, ROOT, "empty");
    file(&mut fs, ROOT, "f");
    assert_eq!(fs.rename(ROOT, b"d", ROOT, b"f"), Err(Errno::ENOTDIR));
    assert_eq!(fs.rename(ROOT, b"f", ROOT, b"d"), Err(Errno::EISDIR));
    assert_eq!(fs.rename(ROOT, b"d", ROOT, b"full"), Err(Errno::ENOTEMPTY));
    fs.rename(ROOT, b"d", ROOT, b"empty").unwrap();
    assert_eq!(fs.lookup(ROOT, b"empty").unwrap(), d);
    assert_eq!(fs.stat(ROOT).unwrap().links, 4, "root, ., full, empty(d)");
    assert_eq!(fs.rename(ROOT, b"missing", ROOT, b"z"), Err(Errno::ENOENT));
    assert_eq!(fs.rename(ROOT, b".", ROOT, b"z"), Err(Errno::EINVAL));
    assert_eq!(fs.rename(ROOT, b"f", ROOT, b".."), Err(Errno::EINVAL));
}

#[test]
fn a_read_only_file_system_refuses_every_change() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "f");
    dir(&mut fs, ROOT, "d");
    fs.set_read_only(true);
    assert_eq!(fs.create(ROOT, b"g", Kind::Regular, 0), Err(Errno::EROFS));
    assert_eq!(
        fs.create(ROOT, b"d", Kind::Directory, 0),
        Err(Errno::EEXIST),
        "EEXIST first"
    );
    assert_eq!(fs.write(f, 0, b"x"), Err(Errno::EROFS));
    assert_eq!(fs.truncate(f, 0), Err(Errno::EROFS));
    assert_eq!(fs.unlink(ROOT, b"f"), Err(Errno::EROFS));
    assert_eq!(fs.rmdir(ROOT, b"d"), Err(Errno::EROFS));
    assert_eq!(fs.rename(ROOT, b"f", ROOT, b"g"), Err(Errno::EROFS));
    assert_eq!(fs.set_perm(f, 0), Err(Errno::EROFS));
    // Opening (to read) still works.
    fs.open(f).unwrap();
    fs.close(f);
    assert!(fs.is_read_only());
}

#[test]
fn borrowed_bytes_are_copied_on_first_write_and_never_changed() {
    static ARCHIVE: [u8; 5] = *b"hello";
    let mut fs = fs();
    let f = fs.add_borrowed(ROOT, b"f", &ARCHIVE, 0o755).unwrap();
    assert_eq!(fs.borrowed(f).map(<[u8]>::as_ptr), Some(ARCHIVE.as_ptr()));
    assert_eq!(fs.used(), 2 * NODE_COST, "borrowed bytes cost nothing");
    fs.write(f, 0, b"J").unwrap();
    assert_eq!(contents(&fs, f), b"Jello");
    assert_eq!(ARCHIVE, *b"hello");
    assert_eq!(fs.borrowed(f), None);
    assert_eq!(fs.used(), 2 * NODE_COST + 5);
}

#[test]
fn truncating_a_borrowed_file_copies_only_what_stays() {
    static ARCHIVE: [u8; 5] = *b"hello";
    let mut fs = fs();
    let f = fs.add_borrowed(ROOT, b"f", &ARCHIVE, 0o644).unwrap();
    fs.truncate(f, 2).unwrap();
    assert_eq!(contents(&fs, f), b"he");
    assert_eq!(fs.used(), 2 * NODE_COST + 2);
}

#[test]
fn filling_works_on_a_sealed_file_system() {
    let mut fs = fs();
    fs.set_read_only(true);
    let bin = fs.ensure_directory(ROOT, b"bin", 0o755).unwrap();
    assert_eq!(fs.ensure_directory(ROOT, b"bin", 0o755).unwrap(), bin);
    let f = fs.add_borrowed(bin, b"sh", b"\x7fELF", 0o755).unwrap();
    assert_eq!(fs.stat(f).unwrap().perm, 0o755);
    assert_eq!(fs.ensure_directory(bin, b"sh", 0o755), Err(Errno::ENOTDIR));
}

#[test]
fn device_nodes_report_their_number_and_hold_no_bytes() {
    let mut fs = fs();
    let null = fs
        .create(ROOT, b"null", Kind::CharDevice(0x103), 0o666)
        .unwrap();
    let attr = fs.stat(null).unwrap();
    assert_eq!(attr.kind, Kind::CharDevice(0x103));
    assert_eq!(attr.mode(), abi::stat::S_IFCHR | 0o666);
    assert_eq!(fs.read(null, 0, &mut [0; 1]), Err(Errno::EINVAL));
    assert_eq!(
        fs.entry(ROOT, 2).unwrap().unwrap().kind,
        Kind::CharDevice(0x103)
    );
}

#[test]
fn changes_are_stamped_with_the_clock() {
    let mut fs = fs();
    fs.set_clock(100);
    let f = file(&mut fs, ROOT, "f");
    assert_eq!(fs.stat(f).unwrap().modified, 100);
    fs.set_clock(200);
    fs.write(f, 0, b"x").unwrap();
    assert_eq!(fs.stat(f).unwrap().modified, 200);
    assert_eq!(fs.stat(ROOT).unwrap().modified, 100);
    fs.set_clock(300);
    fs.unlink(ROOT, b"f").unwrap();
    assert_eq!(fs.stat(ROOT).unwrap().modified, 300);
}

#[test]
fn permission_bits_are_kept_to_twelve() {
    let mut fs = fs();
    let f = file(&mut fs, ROOT, "f");
    fs.set_perm(f, 0o177777).unwrap();
    assert_eq!(fs.stat(f).unwrap().perm, 0o7777);
}

#[test]
fn ten_thousand_files_in_one_directory() {
    let mut fs: Fs<'static> = Fs::new(64 * MIB, 0o755);
    let d = dir(&mut fs, ROOT, "many");
    for i in 0..10_000 {
        let name = alloc::format!("file{i:05}");
        let f = fs.create(d, name.as_bytes(), Kind::Regular, 0o644).unwrap();
        fs.write(f, 0, name.as_bytes()).unwrap();
    }
    assert_eq!(fs.stat(d).unwrap().size, 10_000);
    let f = fs.lookup(d, b"file04242").unwrap();
    assert_eq!(contents(&fs, f), b"file04242");
    for i in 0..10_000 {
        fs.unlink(d, alloc::format!("file{i:05}").as_bytes())
            .unwrap();
    }
    fs.rmdir(ROOT, b"many").unwrap();
    assert_eq!(fs.used(), NODE_COST);
    assert_eq!(fs.inode_count(), 1);
}

/// A model check: random operations on random names, after which the counts must agree with a
/// walk of the tree (links, used bytes, no unreachable inode left behind).
#[test]
fn random_operations_keep_every_count_consistent() {
    for seed in 1..=10 {
        let mut rng = xorshift::Rng::new(seed);
        let mut fs: Fs<'static> = Fs::new(64 * 1024, 0o755);
        let mut open: Vec<Ino> = Vec::new();
        let names: [&[u8]; 4] = [b"a", b"b", b"c", b"d"];
        for _ in 0..1_000 {
            let dirs = directories(&fs);
            let at = dirs[rng.below(dirs.len() as u64) as usize];
            let to = dirs[rng.below(dirs.len() as u64) as usize];
            let name = names[rng.below(4) as usize];
            let other = names[rng.below(4) as usize];
            let _ = match rng.below(9) {
                0 => fs.create(at, name, Kind::Regular, 0o644).map(drop),
                1 => fs.create(at, name, Kind::Directory, 0o755).map(drop),
                2 => fs.unlink(at, name),
                3 => fs.rmdir(at, name),
                4 => fs.rename(at, name, to, other),
                5 => fs.lookup(at, name).and_then(|f| {
                    let len = rng.below(3000) as usize;
                    fs.write(f, rng.below(100), &vec![7; len]).map(drop)
                }),
                6 => fs
                    .lookup(at, name)
                    .and_then(|f| fs.truncate(f, rng.below(50))),
                7 => fs.lookup(at, name).and_then(|f| {
                    open.push(f);
                    fs.open(f)
                }),
                _ => {
                    if let Some(f) = open.pop() {
                        fs.close(f);
                    }
                    Ok(())
                }
            };
            check_consistent(&fs, &open);
        }
        for f in open.drain(..) {
            fs.close(f);
        }
        check_consistent(&fs, &open);
    }
}

fn directories(fs: &Fs<'_>) -> Vec<Ino> {
    let mut found = vec![ROOT];
    let mut i = 0;
    while let Some(&d) = found.get(i) {
        for e in (2..).map_while(|n| fs.entry(d, n).unwrap()) {
            if e.kind == Kind::Directory {
                found.push(e.ino);
            }
        }
        i += 1;
    }
    found
}

fn check_consistent(fs: &Fs<'_>, open: &[Ino]) {
    let mut named: BTreeMap<Ino, u32> = BTreeMap::new();
    let mut used = 0;
    for d in directories(fs) {
        let mut subdirs = 0;
        for e in (2..).map_while(|n| fs.entry(d, n).unwrap()) {
            *named.entry(e.ino).or_default() += 1;
            if e.kind == Kind::Directory {
                subdirs += 1;
                assert_eq!(fs.parent(e.ino).unwrap(), d);
            }
        }
        assert_eq!(fs.stat(d).unwrap().links, 2 + subdirs, "links of dir {d}");
    }
    for (&ino, &count) in &named {
        let attr = fs.stat(ino).unwrap();
        if attr.kind == Kind::Regular {
            assert_eq!(attr.links, count);
        }
    }
    for (&ino, node) in &fs.nodes {
        let reachable = ino == ROOT || named.contains_key(&ino);
        assert!(
            reachable || open.contains(&ino),
            "inode {ino} is neither named nor open"
        );
        assert_eq!(
            node.opens as usize,
            open.iter().filter(|&&o| o == ino).count()
        );
        used += node.charged();
    }
    assert_eq!(fs.used(), used);
    assert!(fs.used() <= fs.capacity());
}

#[test]
fn a_hard_link_is_a_second_name_for_the_same_file() {
    let mut fs = fs();
    let a = file(&mut fs, ROOT, "a");
    fs.write(a, 0, b"shared").unwrap();
    let sub = dir(&mut fs, ROOT, "sub");
    fs.link(a, sub, b"b").unwrap();
    assert_eq!(fs.lookup(sub, b"b"), Ok(a));
    assert_eq!(fs.stat(a).unwrap().links, 2);
    fs.unlink(ROOT, b"a").unwrap();
    assert_eq!(contents(&fs, a), b"shared", "alive through its other name");
    assert_eq!(fs.stat(a).unwrap().links, 1);
    assert_eq!(fs.link(a, sub, b"b"), Err(Errno::EEXIST));
    assert_eq!(
        fs.link(sub, ROOT, b"d"),
        Err(Errno::EPERM),
        "directories cannot be linked"
    );
    fs.unlink(sub, b"b").unwrap();
    assert_eq!(fs.stat(a), Err(Errno::ENOENT), "gone with its last name");
}

#[test]
fn chmod_sets_the_permission_bits_only() {
    let mut fs = fs();
    let a = file(&mut fs, ROOT, "a");
    fs.set_perm(a, 0o100_755).unwrap();
    let attr = fs.stat(a).unwrap();
    assert_eq!((attr.perm, attr.kind), (0o755, Kind::Regular));
    fs.set_read_only(true);
    assert_eq!(fs.set_perm(a, 0o600), Err(Errno::EROFS));
    assert_eq!(fs.link(a, ROOT, b"b"), Err(Errno::EROFS));
}

#[test]
fn usage_counts_bytes_and_inodes() {
    let mut fs = fs();
    let (capacity, before, inodes) = fs.usage();
    let a = file(&mut fs, ROOT, "a");
    fs.write(a, 0, &[1; 1000]).unwrap();
    let (_, after, more) = fs.usage();
    assert_eq!(
        (capacity, after - before, more),
        (MIB, 1000 + NODE_COST, inodes + 1)
    );
}

#[test]
fn a_symbolic_link_holds_its_target_and_is_charged_for_it() {
    let mut fs = fs();
    let before = fs.used();
    let link = fs.symlink(ROOT, b"l", b"../somewhere").unwrap();
    assert_eq!(fs.readlink(link).unwrap(), b"../somewhere");
    let attr = fs.stat(link).unwrap();
    assert_eq!(
        (attr.kind, attr.perm, attr.size, attr.links),
        (Kind::Symlink, LINK_PERM, 12, 1)
    );
    assert_eq!(attr.mode(), abi::stat::S_IFLNK | 0o777);
    assert_eq!(fs.used() - before, NODE_COST + 12);
    // A link is not a file: no bytes to read, and a file is not a link.
    assert_eq!(fs.read(link, 0, &mut [0; 4]), Err(Errno::EINVAL));
    let a = file(&mut fs, ROOT, "a");
    assert_eq!(fs.readlink(a), Err(Errno::EINVAL));
    assert_eq!(entry_kind(&fs, ROOT, b"l"), Kind::Symlink);
    // It goes like a file: unlink, and its charge with it.
    fs.unlink(ROOT, b"l").unwrap();
    assert_eq!(fs.stat(link), Err(Errno::ENOENT));
}

fn entry_kind(fs: &Fs<'_>, dir: Ino, name: &[u8]) -> Kind {
    (0..)
        .map_while(|i| fs.entry(dir, i).unwrap())
        .find(|e| e.name == name)
        .unwrap()
        .kind
}

#[test]
fn symlink_errors_are_linuxs() {
    let mut fs = fs();
    file(&mut fs, ROOT, "a");
    assert_eq!(fs.symlink(ROOT, b"a", b"x"), Err(Errno::EEXIST));
    assert_eq!(fs.symlink(ROOT, b"l", b""), Err(Errno::ENOENT));
    let long = vec![b'x'; MAX_LINK_TARGET];
    assert_eq!(fs.symlink(ROOT, b"l", &long), Err(Errno::ENAMETOOLONG));
    assert_eq!(
        fs.create(ROOT, b"l", Kind::Symlink, 0o777),
        Err(Errno::EINVAL)
    );
    fs.set_read_only(true);
    assert_eq!(fs.symlink(ROOT, b"l", b"x"), Err(Errno::EROFS));
    assert_eq!(fs.symlink(ROOT, b"a", b"x"), Err(Errno::EEXIST));
}

#[test]
fn a_link_can_be_renamed_and_hard_linked() {
    let mut fs = fs();
    let d = dir(&mut fs, ROOT, "d");
    let link = fs.symlink(ROOT, b"l", b"target").unwrap();
    fs.rename(ROOT, b"l", d, b"m").unwrap();
    assert_eq!(fs.lookup(d, b"m"), Ok(link));
    fs.link(link, ROOT, b"again").unwrap();
    assert_eq!(fs.stat(link).unwrap().links, 2);
}
