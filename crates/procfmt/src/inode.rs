//! Inode numbers for `/proc`: which file a number stands for, packed into the number itself.
//!
//! `/proc` stores nothing, so it has no table of inodes to look a number up in: each number
//! must say by itself what it names, and the file system decodes it on every call. A process's
//! directory holds files (`stat`, `maps`), a directory of its descriptors (`fd/`, one entry per
//! open descriptor, up to `RLIMIT_NOFILE`) and a directory of its threads (`task/`, one
//! directory per thread id, each with files of its own). So a number needs room for a pid *and*
//! a descriptor, or a thread id *and* a file. Both ids are 32 bits wide, and together they would
//! fill the 64 bits; but a thread id names its process too (pids and thread ids are one
//! numbering, as on Linux), so a thread's nodes carry only the thread id, and the kernel finds
//! the process that has it. The layout:
//!
//! ```text
//!  63                      32 31        24 23                        0
//! +--------------------------+------------+---------------------------+
//! |  id: a pid or thread id  |   space    |           index           |
//! +--------------------------+------------+---------------------------+
//!   0 for the top level        0: /proc, /proc/PID and its files (index 0: the directory)
//!                              1: /proc/PID/fd/N (index: the descriptor N)
//!                              2: /proc/PID/task/TID and its files (id: TID; index 0: the
//!                                 directory)
//! ```
//!
//! Which file an index means is the kernel's table's business: this module only packs and
//! unpacks, so that the arithmetic is tested here rather than trusted.

/// Bits of the index.
const INDEX_BITS: u32 = 24;
/// Bits of the space, above the index.
const SPACE_BITS: u32 = 8;
/// Where the id starts.
const ID_SHIFT: u32 = INDEX_BITS + SPACE_BITS;
/// The index's mask.
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
/// The space's mask, once shifted down.
const SPACE_MASK: u64 = (1 << SPACE_BITS) - 1;
/// The largest index (and so descriptor) a number can carry.
pub const MAX_INDEX: u32 = INDEX_MASK as u32;

/// The space of the top level, of a process's directory and of its files.
const SPACE_PROCESS: u64 = 0;
/// The space of a process's descriptor links.
const SPACE_FD: u64 = 1;
/// The space of a thread's directory and its files.
const SPACE_THREAD: u64 = 2;

/// What an inode number of `/proc` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A top-level node: `/proc` itself or one of its files, by index.
    Top(u32),
    /// Process `pid`'s directory (index 0) or an entry in it (index 1 and up).
    Process {
        /// The process.
        pid: u32,
        /// 0: the directory itself; else which entry.
        index: u32,
    },
    /// Process `pid`'s descriptor `fd`, a link in `/proc/PID/fd`.
    Fd {
        /// The process.
        pid: u32,
        /// The descriptor.
        fd: u32,
    },
    /// Thread `tid`'s directory, `/proc/PID/task/TID` (index 0), or a file in it.
    Thread {
        /// The thread.
        tid: u32,
        /// 0: the directory itself; else which file.
        index: u32,
    },
}

/// `node`'s number; `None` if its index does not fit ([`MAX_INDEX`]).
pub fn encode(node: Node) -> Option<u64> {
    let (id, space, index) = match node {
        Node::Top(index) => (0, SPACE_PROCESS, index),
        Node::Process { pid, index } => (pid, SPACE_PROCESS, index),
        Node::Fd { pid, fd } => (pid, SPACE_FD, fd),
        Node::Thread { tid, index } => (tid, SPACE_THREAD, index),
    };
    (index <= MAX_INDEX)
        .then(|| (u64::from(id) << ID_SHIFT) | (space << INDEX_BITS) | u64::from(index))
}

/// What number `ino` stands for; `None` for a number [`encode`] never makes.
pub fn decode(ino: u64) -> Option<Node> {
    let id = (ino >> ID_SHIFT) as u32;
    let space = (ino >> INDEX_BITS) & SPACE_MASK;
    let index = (ino & INDEX_MASK) as u32;
    match (space, id) {
        (SPACE_PROCESS, 0) => Some(Node::Top(index)),
        (SPACE_PROCESS, pid) => Some(Node::Process { pid, index }),
        (SPACE_FD, pid) if pid != 0 => Some(Node::Fd { pid, fd: index }),
        (SPACE_THREAD, tid) if tid != 0 => Some(Node::Thread { tid, index }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_node_comes_back_from_its_number() {
        let nodes = [
            Node::Top(1),
            Node::Top(8),
            Node::Process { pid: 1, index: 0 },
            Node::Process {
                pid: u32::MAX,
                index: 9,
            },
            Node::Fd { pid: 42, fd: 0 },
            Node::Fd {
                pid: 42,
                fd: MAX_INDEX,
            },
            Node::Thread { tid: 43, index: 0 },
            Node::Thread {
                tid: u32::MAX,
                index: 3,
            },
        ];
        for node in nodes {
            assert_eq!(decode(encode(node).unwrap()), Some(node), "{node:?}");
        }
    }

    #[test]
    fn numbers_of_different_nodes_differ() {
        let numbers = [
            encode(Node::Process { pid: 42, index: 0 }),
            encode(Node::Process { pid: 42, index: 1 }),
            encode(Node::Fd { pid: 42, fd: 0 }),
            encode(Node::Fd { pid: 42, fd: 1 }),
            encode(Node::Thread { tid: 42, index: 0 }),
            encode(Node::Thread { tid: 42, index: 1 }),
            encode(Node::Process { pid: 43, index: 0 }),
            encode(Node::Top(1)),
        ];
        for (i, a) in numbers.iter().enumerate() {
            for b in &numbers[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn the_top_level_keeps_its_small_numbers() {
        // The root is inode 1 and the top-level files follow it, as before descriptors and
        // threads had numbers.
        assert_eq!(encode(Node::Top(1)), Some(1));
        assert_eq!(encode(Node::Top(7)), Some(7));
        assert_eq!(
            encode(Node::Process { pid: 1, index: 0 }),
            Some(1 << ID_SHIFT)
        );
    }

    #[test]
    fn an_index_too_large_has_no_number() {
        assert_eq!(
            encode(Node::Fd {
                pid: 1,
                fd: MAX_INDEX + 1
            }),
            None
        );
    }

    #[test]
    fn numbers_no_node_has_are_refused() {
        assert_eq!(
            decode((3 << INDEX_BITS) | (1 << ID_SHIFT)),
            None,
            "unknown space"
        );
        assert_eq!(decode(SPACE_FD << INDEX_BITS), None, "descriptor of pid 0");
        assert_eq!(decode(SPACE_THREAD << INDEX_BITS), None, "thread 0");
    }
}
