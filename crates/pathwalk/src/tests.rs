//! The walk's rules over a small tree built in the test.

use super::*;
use alloc::collections::BTreeMap;
use alloc::vec;

/// A node of the test tree: its number.
type Id = usize;

/// What a test node is.
enum Entry {
    Dir(BTreeMap<Vec<u8>, Id>),
    File,
    Link(Vec<u8>),
}

/// A tree of numbered nodes; 0 is the root.
struct TestTree {
    nodes: Vec<Entry>,
}

impl TestTree {
    fn new() -> TestTree {
        TestTree {
            nodes: vec![Entry::Dir(BTreeMap::new())],
        }
    }

    fn add(&mut self, dir: Id, name: &str, entry: Entry) -> Id {
        let id = self.nodes.len();
        self.nodes.push(entry);
        if let Entry::Dir(entries) = &mut self.nodes[dir] {
            entries.insert(name.as_bytes().to_vec(), id);
        }
        id
    }

    fn dir(&mut self, parent: Id, name: &str) -> Id {
        self.add(parent, name, Entry::Dir(BTreeMap::new()))
    }

    fn link(&mut self, parent: Id, name: &str, target: &str) -> Id {
        self.add(parent, name, Entry::Link(target.as_bytes().to_vec()))
    }
}

impl Tree for TestTree {
    type Node = Id;

    fn lookup(&self, dir: &Id, name: &[u8]) -> Result<Id, Errno> {
        match &self.nodes[*dir] {
            Entry::Dir(entries) => entries.get(name).copied().ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn is_directory(&self, node: &Id) -> bool {
        matches!(self.nodes[*node], Entry::Dir(_))
    }

    fn link_target(&self, node: &Id) -> Result<Option<Vec<u8>>, Errno> {
        Ok(match &self.nodes[*node] {
            Entry::Link(target) => Some(target.clone()),
            _ => None,
        })
    }
}

/// /a/b/file, /a/up -> .., /abs -> /a/b, /rel -> a/b/file, /dangling -> nowhere,
/// /self -> self, /ping -> pong, /pong -> ping, /empty -> "".
fn sample() -> (TestTree, Id, Id, Id) {
    let mut tree = TestTree::new();
    let a = tree.dir(0, "a");
    let b = tree.dir(a, "b");
    let file = tree.add(b, "file", Entry::File);
    tree.link(a, "up", "..");
    tree.link(0, "abs", "/a/b");
    tree.link(0, "rel", "a/b/file");
    tree.link(0, "dangling", "nowhere");
    tree.link(0, "self", "self");
    tree.link(0, "ping", "pong");
    tree.link(0, "pong", "ping");
    tree.link(0, "empty", "");
    (tree, a, b, file)
}

fn walk(tree: &TestTree, path: &str, last: Last) -> Result<(Id, Vec<Vec<u8>>), Errno> {
    let mut w = Walk::new(0);
    w.walk(tree, path.as_bytes(), last)?;
    Ok((*w.top(), w.names().map(<[u8]>::to_vec).collect()))
}

#[test]
fn plain_paths_walk_as_before() {
    let (tree, a, b, file) = sample();
    assert_eq!(walk(&tree, "/a/b/file", Last::Follow).unwrap().0, file);
    assert_eq!(walk(&tree, "/a/./b/..", Last::Follow).unwrap().0, a);
    assert_eq!(walk(&tree, "/../..", Last::Follow).unwrap().0, 0);
    assert_eq!(walk(&tree, "a//b/", Last::Follow).unwrap().0, b);
    assert_eq!(walk(&tree, "/a/b/file/", Last::Follow), Err(Errno::ENOTDIR));
    assert_eq!(
        walk(&tree, "/a/b/file/x", Last::Follow),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(walk(&tree, "/a/nope", Last::Follow), Err(Errno::ENOENT));
}

#[test]
fn links_in_the_middle_are_always_followed() {
    let (tree, _, b, file) = sample();
    for last in [Last::Follow, Last::NoFollow] {
        assert_eq!(walk(&tree, "/abs/file", last).unwrap().0, file);
        let (node, names) = walk(&tree, "/abs/", last).unwrap();
        assert_eq!(node, b);
        assert_eq!(
            names,
            [b"a".to_vec(), b"b".to_vec()],
            "a trailing slash follows"
        );
    }
}

#[test]
fn the_last_link_is_followed_only_when_asked() {
    let (tree, _, _, file) = sample();
    assert_eq!(walk(&tree, "/rel", Last::Follow).unwrap().0, file);
    let (node, names) = walk(&tree, "/rel", Last::NoFollow).unwrap();
    assert!(matches!(tree.nodes[node], Entry::Link(_)));
    assert_eq!(names, [b"rel".to_vec()]);
    assert_eq!(walk(&tree, "/dangling", Last::Follow), Err(Errno::ENOENT));
    assert!(walk(&tree, "/dangling", Last::NoFollow).is_ok());
}

#[test]
fn dot_dot_after_a_link_goes_to_the_targets_parent() {
    let (tree, a, _, _) = sample();
    // /abs -> /a/b, so /abs/.. is /a, not the root that holds the link.
    let (node, names) = walk(&tree, "/abs/..", Last::Follow).unwrap();
    assert_eq!(node, a);
    assert_eq!(names, [b"a".to_vec()]);
    // /a/up -> .. (relative to /a): the root.
    assert_eq!(walk(&tree, "/a/up/a/b", Last::Follow).unwrap().1.len(), 2);
    assert_eq!(walk(&tree, "/a/up", Last::Follow).unwrap().0, 0);
}

#[test]
fn loops_end_in_eloop() {
    let (tree, _, _, _) = sample();
    assert_eq!(walk(&tree, "/self", Last::Follow), Err(Errno::ELOOP));
    assert_eq!(walk(&tree, "/ping/x", Last::NoFollow), Err(Errno::ELOOP));
    assert!(walk(&tree, "/self", Last::NoFollow).is_ok());
}

#[test]
fn forty_links_are_followed_and_the_forty_first_is_eloop() {
    let mut tree = TestTree::new();
    let end = tree.add(0, "l0", Entry::File);
    for i in 1..=MAX_FOLLOWS + 1 {
        tree.link(0, &alloc::format!("l{i}"), &alloc::format!("l{}", i - 1));
    }
    let forty = alloc::format!("/l{MAX_FOLLOWS}");
    assert_eq!(walk(&tree, &forty, Last::Follow).unwrap().0, end);
    let forty_one = alloc::format!("/l{}", MAX_FOLLOWS + 1);
    assert_eq!(walk(&tree, &forty_one, Last::Follow), Err(Errno::ELOOP));
}

#[test]
fn an_empty_link_names_nothing() {
    let (tree, _, _, _) = sample();
    assert_eq!(walk(&tree, "/empty", Last::Follow), Err(Errno::ENOENT));
}

#[test]
fn over_long_names_are_refused() {
    let (tree, _, _, _) = sample();
    let long = "x".repeat(NAME_MAX + 1);
    assert_eq!(walk(&tree, &long, Last::Follow), Err(Errno::ENAMETOOLONG));
}

#[test]
fn the_parent_walk_stops_before_the_last_name() {
    let (tree, a, b, _) = sample();
    let mut w = Walk::new(0);
    assert_eq!(
        w.walk_parent(&tree, b"/abs/new", Last::Follow).unwrap(),
        b"new"
    );
    assert_eq!(*w.top(), b);
    // Not following: the link's own directory and name (unlink, rename, lstat).
    let mut w = Walk::new(0);
    assert_eq!(
        w.walk_parent(&tree, b"/rel", Last::NoFollow).unwrap(),
        b"rel"
    );
    assert_eq!(*w.top(), 0);
    // Following a dangling link: its target's directory and name (open with O_CREAT).
    let mut w = Walk::new(0);
    assert_eq!(
        w.walk_parent(&tree, b"/dangling", Last::Follow).unwrap(),
        b"nowhere"
    );
    assert_eq!(*w.top(), 0);
    let mut w = Walk::new(0);
    assert_eq!(
        w.walk_parent(&tree, b"/rel", Last::Follow).unwrap(),
        b"file"
    );
    assert_eq!(*w.top(), b);
    let mut w = Walk::new(0);
    assert_eq!(
        w.walk_parent(&tree, b"/self", Last::Follow),
        Err(Errno::ELOOP)
    );
    let mut w = Walk::new(0);
    assert_eq!(
        w.walk_parent(&tree, b"a/b/file/x", Last::Follow),
        Err(Errno::ENOTDIR)
    );
    let _ = a;
}

#[test]
fn split_last_parts() {
    assert_eq!(split_last(b"/a/b"), (&b"/a"[..], &b"b"[..]));
    assert_eq!(split_last(b"b"), (&b""[..], &b"b"[..]));
    assert_eq!(split_last(b"/b"), (&b""[..], &b"b"[..]));
}
