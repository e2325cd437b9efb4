//! Physical memory, one 4 KiB frame at a time: a bitmap allocator that can free.
//!
//! The kernel needs physical frames for page tables, for the heap, and later for programs'
//! memory. The bootloader's memory map says which ranges of RAM are usable; the allocator must
//! hand out each usable frame at most once, take frames back, and never hand out anything else
//! (the kernel image, the bootloader's page tables and boot information, firmware areas, memory
//! holes).
//!
//! # Why a bitmap
//!
//! One bit per frame, set when the frame is in use (or not RAM at all), and a second bitmap that
//! remembers which frames are RAM the memory map called usable. For the 256 MiB QEMU machine that
//! is 2 × 65 536 bits, 16 KiB; for 16 GiB, 1 MiB: 1/16 384 of the memory it describes. Freeing is clearing a bit, and the bit makes a double free detectable, which the
//! kernel reports instead of corrupting memory. Finding a free frame scans 64 frames per word and
//! starts where the last search ended (*next fit*), so after the first pass over a mostly-free
//! map an allocation usually looks at one word.
//!
//! The alternative, a *buddy allocator*, keeps free lists of blocks of 2^k frames and splits and
//! merges them. It finds large physically contiguous blocks quickly, which DMA buffers and 2 MiB
//! pages want, at the cost of more metadata and more code. Ferrite allocates single frames (page
//! tables, heap pages), where a bitmap is simpler and as fast; [`FrameBitmap::allocate_contiguous`]
//! covers the rare contiguous request by scanning, slowly but correctly.
//!
//! The bitmap lives in memory the caller provides, so it works before the kernel has a heap.

#![no_std]
#![forbid(unsafe_code)]

/// Bytes in a frame.
pub const FRAME_SIZE: u64 = 4096;
/// Frames described by one word of the bitmap.
const BITS: usize = u64::BITS as usize;

/// Why a frame could not be freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeError {
    /// The frame number is beyond the memory the bitmap describes.
    OutOfRange,
    /// The frame is not allocated: a double free, or a frame that was never RAM.
    NotAllocated,
}

/// Frames in use and free.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Frames the memory map called usable (whether free or handed out since).
    pub usable: usize,
    /// Usable frames not handed out.
    pub free: usize,
}

impl Counts {
    /// Usable frames handed out.
    pub fn used(&self) -> usize {
        self.usable - self.free
    }
}

/// Two bitmaps of frames: `words` (bit set = in use, or not usable) and `usable_words` (bit set
/// = usable RAM), so [`FrameBitmap::free`] can tell an allocated frame from one that never was.
pub struct FrameBitmap<'a> {
    words: &'a mut [u64],
    usable_words: &'a mut [u64],
    frames: usize,
    usable: usize,
    free: usize,
    /// Word where the next search starts.
    hint: usize,
}

/// Words of storage needed for `frames` frames (both bitmaps).
pub const fn words_for(frames: usize) -> usize {
    2 * frames.div_ceil(BITS)
}

impl<'a> FrameBitmap<'a> {
    /// A bitmap for frames `0..frames` in `storage` (at least [`words_for`] words), with every
    /// frame marked in use. Usable memory is then added with [`FrameBitmap::add_usable`].
    /// Returns `None` if the storage is too small.
    pub fn new(storage: &'a mut [u64], frames: usize) -> Option<Self> {
        let half = frames.div_ceil(BITS);
        let (words, usable_words) = storage.get_mut(..2 * half)?.split_at_mut(half);
        words.fill(u64::MAX);
        usable_words.fill(0);
        Some(FrameBitmap {
            words,
            usable_words,
            frames,
            usable: 0,
            free: 0,
            hint: 0,
        })
    }

    /// Marks frames `start..end` usable and free (clipped to the bitmap). Frames already usable
    /// are left as they are, so overlapping ranges are harmless.
    ///
    /// A word at a time: the boot adds every frame of RAM here, 65,536 for 256 MiB, and frame
    /// by frame that cost a million instructions.
    pub fn add_usable(&mut self, start: usize, end: usize) {
        for (index, mask) in word_masks(start, end.min(self.frames)) {
            let new = mask & !self.usable_words[index];
            self.usable_words[index] |= new;
            self.words[index] &= !new;
            let count = new.count_ones() as usize;
            self.usable += count;
            self.free += count;
        }
    }

    /// Marks frames `start..end`, which must be usable and free, as in use for good (the
    /// bitmap's own storage, say). Returns how many were actually free and are now taken.
    pub fn reserve(&mut self, start: usize, end: usize) -> usize {
        let mut taken = 0;
        for (index, mask) in word_masks(start, end.min(self.frames)) {
            let free = mask & self.usable_words[index] & !self.words[index];
            self.words[index] |= free;
            taken += free.count_ones() as usize;
        }
        self.free -= taken;
        taken
    }

    fn is_usable(&self, frame: usize) -> bool {
        self.usable_words[frame / BITS] & (1 << (frame % BITS)) != 0
    }

    fn is_set(&self, frame: usize) -> bool {
        self.words[frame / BITS] & (1 << (frame % BITS)) != 0
    }

    fn set(&mut self, frame: usize) {
        self.words[frame / BITS] |= 1 << (frame % BITS);
    }

    fn clear(&mut self, frame: usize) {
        self.words[frame / BITS] &= !(1 << (frame % BITS));
    }

    /// Hands out one free frame (its number), or `None` if none is left.
    pub fn allocate(&mut self) -> Option<usize> {
        if self.free == 0 {
            return None;
        }
        let count = self.words.len();
        for step in 0..count {
            let index = (self.hint + step) % count;
            let word = self.words[index];
            if word != u64::MAX {
                let frame = index * BITS + word.trailing_ones() as usize;
                if frame >= self.frames {
                    continue; // the padding bits of the last word are never free
                }
                self.set(frame);
                self.free -= 1;
                self.hint = index;
                return Some(frame);
            }
        }
        None
    }

    /// Hands out `count` physically contiguous free frames whose first frame number is a
    /// multiple of `align` (a power of two), or `None`. Scans the whole bitmap: for rare requests.
    pub fn allocate_contiguous(&mut self, count: usize, align: usize) -> Option<usize> {
        if count == 0 || !align.is_power_of_two() || count > self.free {
            return None;
        }
        let mut start = 0;
        while start + count <= self.frames {
            match (start..start + count).find(|&frame| self.is_set(frame)) {
                Some(used) => start = (used + 1).next_multiple_of(align),
                None => {
                    (start..start + count).for_each(|frame| self.set(frame));
                    self.free -= count;
                    return Some(start);
                }
            }
        }
        None
    }

    /// Takes frame `frame` back.
    pub fn free(&mut self, frame: usize) -> Result<(), FreeError> {
        if frame >= self.frames {
            return Err(FreeError::OutOfRange);
        }
        if !self.is_set(frame) || !self.is_usable(frame) {
            return Err(FreeError::NotAllocated);
        }
        self.clear(frame);
        self.free += 1;
        Ok(())
    }

    /// Whether `frame` is usable and in use (handed out, or taken by [`FrameBitmap::reserve`]).
    pub fn is_allocated(&self, frame: usize) -> bool {
        frame < self.frames && self.is_usable(frame) && self.is_set(frame)
    }

    /// Usable and free frame counts.
    pub fn counts(&self) -> Counts {
        Counts {
            usable: self.usable,
            free: self.free,
        }
    }

    /// Frames the bitmap describes (usable or not).
    pub fn frames(&self) -> usize {
        self.frames
    }
}

/// The words of a bitmap that frames `start..end` fall in, each with the mask of those frames'
/// bits in it.
fn word_masks(start: usize, end: usize) -> impl Iterator<Item = (usize, u64)> {
    let words = if start < end {
        start / BITS..end.div_ceil(BITS)
    } else {
        0..0
    };
    words.map(move |index| {
        let first = (index * BITS).max(start) - index * BITS;
        let last = ((index + 1) * BITS).min(end) - index * BITS; // exclusive
        let below_last = if last == BITS {
            u64::MAX
        } else {
            (1 << last) - 1
        };
        (index, below_last & !((1u64 << first) - 1))
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeSet;
    use std::vec;
    use std::vec::Vec;
    use xorshift::Rng;

    /// A map with holes: usable 10..300, 400..1000, 1030..1100 of 1100 frames.
    fn holey(storage: &mut [u64]) -> FrameBitmap<'_> {
        let mut map = FrameBitmap::new(storage, 1100).unwrap();
        map.add_usable(10, 300);
        map.add_usable(400, 1000);
        map.add_usable(1030, 5000);
        map.add_usable(950, 960); // overlaps: no change
        map
    }

    fn usable(frame: usize) -> bool {
        (10..300).contains(&frame) || (400..1000).contains(&frame) || (1030..1100).contains(&frame)
    }

    #[test]
    fn storage_must_be_large_enough() {
        let mut small = vec![0u64; 2];
        assert!(FrameBitmap::new(&mut small, 65).is_none());
        assert!(FrameBitmap::new(&mut small, 64).is_some());
        assert_eq!(words_for(65), 4);
    }

    #[test]
    fn hands_out_every_usable_frame_once_and_nothing_else() {
        let mut storage = vec![0u64; words_for(1100)];
        let mut map = holey(&mut storage);
        let start = map.counts();
        assert_eq!(
            start,
            Counts {
                usable: 290 + 600 + 70,
                free: 960
            }
        );
        let mut seen = BTreeSet::new();
        while let Some(frame) = map.allocate() {
            assert!(usable(frame), "frame {frame} is not usable");
            assert!(seen.insert(frame), "frame {frame} handed out twice");
        }
        assert_eq!(seen.len(), 960);
        assert_eq!(map.counts().free, 0);
        for frame in seen {
            map.free(frame).unwrap();
        }
        assert_eq!(map.counts(), start, "freeing everything restores the start");
    }

    #[test]
    fn double_frees_and_foreign_frames_are_refused() {
        let mut storage = vec![0u64; words_for(1100)];
        let mut map = holey(&mut storage);
        let frame = map.allocate().unwrap();
        assert_eq!(map.free(frame), Ok(()));
        assert_eq!(map.free(frame), Err(FreeError::NotAllocated));
        assert_eq!(map.free(5), Err(FreeError::NotAllocated), "never usable");
        assert_eq!(map.free(1100), Err(FreeError::OutOfRange));
        assert_eq!(map.counts().free, 960);
    }

    #[test]
    fn reserve_takes_free_frames_for_good() {
        let mut storage = vec![0u64; words_for(1100)];
        let mut map = holey(&mut storage);
        assert_eq!(map.reserve(0, 20), 10, "only 10..20 were usable");
        assert_eq!(map.counts().free, 950);
        assert!((0..20).all(|f| map.allocate() != Some(f)));
    }

    #[test]
    fn contiguous_runs_are_aligned_and_skip_holes() {
        let mut storage = vec![0u64; words_for(1100)];
        let mut map = holey(&mut storage);
        let run = map.allocate_contiguous(200, 128).unwrap();
        assert_eq!(
            run, 512,
            "the first 128-aligned 200-frame run inside usable memory"
        );
        assert!((run..run + 200).all(|f| map.is_allocated(f)));
        assert_eq!(map.allocate_contiguous(700, 1), None, "no run that long");
        assert_eq!(map.allocate_contiguous(0, 1), None);
        assert_eq!(
            map.allocate_contiguous(1, 3),
            None,
            "alignment must be a power of two"
        );
    }

    #[test]
    fn ranges_are_added_and_reserved_exactly_across_word_edges() {
        for seed in 1..=100u64 {
            let mut rng = Rng::new(seed);
            let frames = 1 + rng.below(700) as usize;
            let mut storage = vec![0u64; words_for(frames)];
            let mut map = FrameBitmap::new(&mut storage, frames).unwrap();
            let mut usable = vec![false; frames];
            let mut taken = vec![false; frames];
            for _ in 0..8 {
                let a = rng.below(frames as u64 + 70) as usize;
                let b = rng.below(frames as u64 + 70) as usize;
                let (start, end) = (a.min(b), a.max(b));
                if rng.below(3) == 0 {
                    let expected = (start..end.min(frames))
                        .filter(|&f| usable[f] && !taken[f])
                        .count();
                    (start..end.min(frames)).for_each(|f| taken[f] |= usable[f]);
                    assert_eq!(map.reserve(start, end), expected, "seed {seed}");
                } else {
                    (start..end.min(frames)).for_each(|f| usable[f] = true);
                    map.add_usable(start, end);
                }
                let free = (0..frames).filter(|&f| usable[f] && !taken[f]).count();
                let expected = Counts {
                    usable: usable.iter().filter(|&&u| u).count(),
                    free,
                };
                assert_eq!(map.counts(), expected, "seed {seed}");
            }
            let mut handed = vec![false; frames];
            while let Some(frame) = map.allocate() {
                assert!(
                    usable[frame] && !taken[frame] && !handed[frame],
                    "seed {seed}"
                );
                handed[frame] = true;
            }
        }
    }

    #[test]
    fn random_sequences_keep_the_invariants() {
        for seed in 1..=200u64 {
            let mut rng = Rng::new(seed);
            let mut storage = vec![0u64; words_for(1100)];
            let mut map = holey(&mut storage);
            let start = map.counts();
            let mut held: Vec<usize> = Vec::new();
            for _ in 0..2_000 {
                if rng.below(3) != 0 || held.is_empty() {
                    match map.allocate() {
                        Some(frame) => {
                            assert!(usable(frame));
                            assert!(!held.contains(&frame), "seed {seed}: frame {frame} twice");
                            held.push(frame);
                        }
                        None => assert_eq!(held.len(), 960, "seed {seed}: ran out early"),
                    }
                } else {
                    let frame = held.swap_remove(rng.below(held.len() as u64) as usize);
                    assert_eq!(map.free(frame), Ok(()));
                }
                assert_eq!(map.counts().free, 960 - held.len());
            }
            for frame in held.drain(..) {
                map.free(frame).unwrap();
            }
            assert_eq!(map.counts(), start, "seed {seed}");
        }
    }
}
