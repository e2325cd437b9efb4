//! An in-memory index of a large directory: its names, the slots that hold them, and its empty
//! slots, so that a lookup in a directory of ten thousand files is a tree search, not a scan of
//! 157 blocks.
//!
//! The disk format has no index (see docs/disk-format.md: a directory is an array of entries),
//! so the index is built from the entries the first time a large directory is searched, and
//! every change to an entry goes through [`DirIndex::set`], which keeps it equal to the disk.
//! It is a cache, never the truth: dropping it (on a failure, or to save memory) only makes the
//! next search scan again. Linux's dentry cache plays the same part, and ext3's htree puts such
//! an index on the disk itself.

use crate::layout::Entry;
use alloc::collections::{BTreeMap, BTreeSet};
use alloc::vec::Vec;

/// One directory's index.
#[derive(Default)]
pub struct DirIndex {
    /// Name → (its slot, its entry).
    by_name: BTreeMap<Vec<u8>, (u64, Entry)>,
    /// Slot → the name in it.
    by_slot: BTreeMap<u64, Vec<u8>>,
    /// Empty slots (not `.` or `..`).
    empty: BTreeSet<u64>,
}

impl DirIndex {
    /// The entry named `name` with its slot, and the first empty slot.
    pub fn find(&self, name: &[u8]) -> (Option<(u64, Entry)>, Option<u64>) {
        (self.by_name.get(name).copied(), self.empty.first().copied())
    }

    /// Slot `slot` now holds `entry` (an empty one if its inode is 0).
    pub fn set(&mut self, slot: u64, entry: &Entry) {
        if let Some(old) = self.by_slot.remove(&slot) {
            self.by_name.remove(&old);
        }
        if entry.ino == 0 {
            self.empty.insert(slot);
        } else {
            self.empty.remove(&slot);
            let name = entry.name().to_vec();
            self.by_name.insert(name.clone(), (slot, *entry));
            self.by_slot.insert(slot, name);
        }
    }

    /// Names in the directory (other than `.` and `..`).
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether the directory has no names but `.` and `..`.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::KIND_REGULAR;

    #[test]
    fn set_keeps_names_slots_and_empties_in_step() {
        let mut index = DirIndex::default();
        index.set(2, &Entry::new(0, 0, b""));
        index.set(3, &Entry::new(7, KIND_REGULAR, b"a"));
        assert_eq!(
            index.find(b"a").0.map(|(slot, e)| (slot, e.ino)),
            Some((3, 7))
        );
        assert_eq!(index.find(b"a").1, Some(2));
        // Overwriting a slot forgets the name that was there.
        index.set(3, &Entry::new(8, KIND_REGULAR, b"b"));
        assert!(index.find(b"a").0.is_none());
        assert_eq!(index.len(), 1);
        index.set(2, &Entry::new(9, KIND_REGULAR, b"c"));
        assert_eq!(index.find(b"x").1, None);
        index.set(3, &Entry::new(0, 0, b""));
        assert_eq!(index.find(b"b").0, None);
        assert_eq!(index.find(b"b").1, Some(3));
    }
}
