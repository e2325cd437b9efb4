//! Slabs: small blocks of one size class, cut from a chunk aligned to its own size.
//!
//! A request of at most [`MAX_SMALL`] bytes is rounded up to one of 12 *size classes* (8-byte
//! steps to 64, then 16-byte steps to 128). Each class takes 2 KiB chunks ("slabs") and cuts
//! them into blocks of its size. A block carries no header: Rust's allocator interface hands
//! `dealloc` the layout, so the class is computed again from the size, and the slab is found by
//! rounding the address down to the slab size, which is why a slab is aligned to its own size.
//! All slabs have one size so that slabs set up one after another tile without gaps, and so that
//! one bit per 2 KiB of the region (the *slab map*) can say whether a small block lives in a
//! slab or, filling a hole, in a chunk of its own. The slab's book-keeping (a [`SlabHeader`])
//! sits in its last 24 bytes.
//!
//! Allocating pops the slab's free list and freeing pushes: neither searches. The list is
//! threaded through the free blocks as 16-bit offsets from the slab's start, so a block's
//! address is one addition away and no multiplication or division by the block size is ever
//! needed; a new slab threads all its blocks at once, so a pop needs no second case for blocks
//! never handed out, and an empty list means a full slab. Each class
//! keeps a list of its slabs that have a free block; a slab whose last block is freed goes back
//! to the chunks unless it is its class's only such slab (so a loop that allocates and frees
//! one block does not set a slab up and tear it down each time).
//!
//! Why stop at 128 bytes? A slab class pays for its partly used slab (on average half of one),
//! and the classes above 128 would round as coarsely as a chunk's header and granule do
//! (32-byte steps): measured on the workloads, classes up to 256 bytes cost more memory than
//! they saved.

use super::{Heap, Pages, MAX_SMALL};
use crate::chunk::HEADER;

/// The block sizes. Every alignment up to 128 a request can ask for is met: a request's size is
/// first rounded up to its alignment, and every multiple of 16 (32, 64, ...) up to 128 is a
/// class that is itself a multiple of 16 (32, 64, ...), placed at a multiple of its size from
/// an address aligned to 2 KiB.
const CLASS_SIZES: [u16; CLASSES] = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128];
/// How many classes there are.
pub(crate) const CLASSES: usize = 12;
/// Bytes in a slab, of every class (one size, so slabs next to each other tile without gaps).
pub(crate) const SLAB_SIZE: usize = 2048;
/// Bytes of a slab's header, at the end of its payload.
const SLAB_HEADER: usize = core::mem::size_of::<SlabHeader>();
/// For each size in 8-byte steps (index `size / 8`, size a multiple of 8), the smallest class
/// that holds it.
const CLASS_FOR: [u8; MAX_SMALL / 8 + 1] = {
    let mut table = [0u8; MAX_SMALL / 8 + 1];
    let mut step = 0;
    let mut class = 0;
    while step < table.len() {
        while (CLASS_SIZES[class] as usize) < step * 8 {
            class += 1;
        }
        assert!(class < CLASSES);
        table[step] = class as u8;
        step += 1;
    }
    table
};
/// "No block" in a slab's free list (no block starts at this offset: slabs are smaller).
const NONE16: u16 = u16::MAX;

/// A slab's book-keeping, in its last bytes.
#[repr(C)]
struct SlabHeader {
    /// The next and previous slab of the class's list of slabs with a free block (0: none).
    next: usize,
    prev: usize,
    /// The first free block's offset from the slab's start, or [`NONE16`] when the slab is
    /// full.
    free_head: u16,
    /// Blocks in use.
    used: u16,
    /// Unused: the header's size, 24 bytes, is what the slabs' capacities were set with.
    _spare: u32,
}

/// The size class for `size` bytes aligned to `align`, or `None` if the request is a chunk.
#[inline]
pub fn class_of(size: usize, align: usize) -> Option<usize> {
    debug_assert!(align.is_power_of_two());
    if size > MAX_SMALL {
        return None;
    }
    let class = if align <= 8 {
        // The common case, without the rounding: blocks of every class are 8-aligned.
        CLASS_FOR[(size + 7) / 8]
    } else {
        // `align` is a power of two: round up with a mask, not a division.
        let rounded = size.max(1).checked_add(align - 1)? & !(align - 1);
        *CLASS_FOR.get(rounded / 8)?
    };
    let class = usize::from(class);
    // SAFETY: every entry of `CLASS_FOR` is a class (checked when it is built); knowing it
    // spares the bounds checks on the per-class arrays.
    unsafe { core::hint::assert_unchecked(class < CLASSES) };
    Some(class)
}

/// The block size of class `class`.
#[inline(always)]
pub const fn class_size(class: usize) -> usize {
    CLASS_SIZES[class] as usize
}

/// The slab size of class `class`.
#[inline(always)]
pub(crate) const fn slab_size(_class: usize) -> usize {
    SLAB_SIZE
}

/// Blocks a slab of class `class` holds: its payload (the slab less the next chunk's header)
/// less its own header, in blocks.
#[inline(always)]
const fn capacity(class: usize) -> usize {
    (slab_size(class) - HEADER - SLAB_HEADER) / class_size(class)
}

impl Heap {
    /// The bit of the slab map for the slab-sized, slab-aligned piece of the region at `addr`,
    /// as (word address, mask).
    #[inline(always)]
    fn slab_bit(&self, addr: usize) -> (*mut u64, u64) {
        let piece = (addr - self.base) / SLAB_SIZE;
        (
            (self.slab_map as *mut u64).wrapping_add(piece / 64),
            1 << (piece % 64),
        )
    }

    /// Whether the block at `addr` is in a slab (rather than a chunk of its own).
    #[inline(always)]
    pub(crate) fn in_slab(&self, addr: usize) -> bool {
        let (word, mask) = self.slab_bit(addr);
        // SAFETY: the slab map sits after the page map at the region's start, mapped from
        // `Heap::new` on and never given back; `addr` is inside the region, so its word is
        // inside the map.
        unsafe { *word & mask != 0 }
    }

    fn mark_slab(&mut self, slab: usize, is_slab: bool) {
        let (word, mask) = self.slab_bit(slab);
        // SAFETY: as in `in_slab`; `&mut self` makes this the only access.
        unsafe {
            if is_slab {
                *word |= mask;
            } else {
                *word &= !mask;
            }
        }
    }

    #[inline(always)]
    fn slab(&mut self, slab: usize, class: usize) -> &mut SlabHeader {
        let at = slab + slab_size(class) - HEADER - SLAB_HEADER;
        debug_assert!(self.is_mapped(at), "slab header at {at:#x} is not mapped");
        // SAFETY: `slab` is the payload of a live slab chunk of this class (its blocks'
        // addresses rounded down to the slab size, or the partial list's entries), which the
        // heap keeps mapped; its header is in its last bytes, 8-aligned, and `&mut self` makes
        // this the only reference to it.
        unsafe { &mut *(at as *mut SlabHeader) }
    }

    /// Allocates a block of class `class` from its first slab with room, if it has one.
    #[inline(always)]
    pub(crate) fn pop_small(&mut self, class: usize) -> Option<usize> {
        let slab = self.partial[class];
        if slab == 0 {
            return None;
        }
        let header = self.slab(slab, class);
        // A listed slab has a free block.
        let offset = header.free_head;
        debug_assert!(offset != NONE16, "a full slab in the list");
        let block = (slab + usize::from(offset)) as *const u16;
        // SAFETY: a free block's first two bytes hold the offset of the next free one; the
        // block is inside this mapped slab, and 8-aligned.
        let next_free = unsafe { block.read() };
        header.free_head = next_free;
        header.used += 1;
        if next_free == NONE16 {
            // Full: it leaves the list, whose head it was.
            let next = header.next;
            self.partial[class] = next;
            if next != 0 {
                self.slab(next, class).prev = 0;
            }
        }
        Some(slab + usize::from(offset))
    }

    /// Sets up a slab for class `class` and lists it (the class has none with room).
    pub(crate) fn new_slab(&mut self, class: usize, pages: &mut impl Pages) -> Option<usize> {
        let bytes = slab_size(class);
        let slab = self.alloc_chunk(bytes, bytes, pages)?;
        let size = class_size(class);
        for index in 0..capacity(class) {
            let next = if index + 1 < capacity(class) {
                ((index + 1) * size) as u16
            } else {
                NONE16
            };
            // SAFETY: the block is inside the slab just allocated, mapped and the heap's; its
            // first two bytes hold the free list's link.
            unsafe { ((slab + index * size) as *mut u16).write(next) };
        }
        *self.slab(slab, class) = SlabHeader {
            next: 0,
            prev: 0,
            free_head: 0,
            used: 0,
            _spare: 0,
        };
        self.partial[class] = slab;
        self.mark_slab(slab, true);
        self.stats.slabs += 1;
        self.stats.slabs_created += 1;
        Some(slab)
    }

    /// Frees the block at `addr` of class `class`.
    #[inline]
    pub(crate) fn free_small(&mut self, addr: usize, class: usize, pages: &mut impl Pages) {
        let slab = addr & !(slab_size(class) - 1);
        let head = self.partial[class];
        let header = self.slab(slab, class);
        let old_head = header.free_head;
        // SAFETY: the block is inside this mapped slab and no longer in use; its first two
        // bytes become the free-list link.
        unsafe { (addr as *mut u16).write(old_head) };
        header.free_head = (addr - slab) as u16;
        header.used -= 1;
        if old_head == NONE16 {
            // It was full.
            // It has a free block again: first in line, while its memory is still warm.
            header.next = head;
            header.prev = 0;
            if head != 0 {
                self.slab(head, class).prev = slab;
            }
            self.partial[class] = slab;
        } else if header.used == 0 && (head != slab || header.next != 0) {
            // Empty and not the class's only slab with room: back to the chunks.
            self.release_slab(slab, class, pages);
        }
    }

    /// Takes the empty slab `slab` off its class's list and frees its chunk (out of line, as
    /// in [`Heap::new_slab`]).
    #[inline(never)]
    fn release_slab(&mut self, slab: usize, class: usize, pages: &mut impl Pages) {
        let header = self.slab(slab, class);
        let (next, prev) = (header.next, header.prev);
        match prev {
            0 => self.partial[class] = next,
            prev => self.slab(prev, class).next = next,
        }
        if next != 0 {
            self.slab(next, class).prev = prev;
        }
        self.stats.slabs -= 1;
        self.mark_slab(slab, false);
        self.free_chunk(slab, pages);
    }

    /// Checks the slab lists: every listed slab has room, its free list holds exactly the
    /// blocks not in use, each once, and its links are consistent.
    pub(crate) fn check_slabs(&mut self) -> Result<(), &'static str> {
        for class in 0..CLASSES {
            let (mut slab, mut prev) = (self.partial[class], 0);
            let size = class_size(class);
            while slab != 0 {
                let (used, next, back, mut offset) = {
                    let header = self.slab(slab, class);
                    (header.used, header.next, header.prev, header.free_head)
                };
                if usize::from(used) >= capacity(class) || back != prev {
                    return Err("a listed slab has impossible counts or links");
                }
                let mut free = 0;
                while offset != NONE16 {
                    let offset_bytes = usize::from(offset);
                    if offset_bytes % size != 0
                        || offset_bytes / size >= capacity(class)
                        || free >= capacity(class)
                    {
                        return Err("a slab's free list is broken");
                    }
                    free += 1;
                    // SAFETY: a free block of this mapped slab, as just checked; its first two
                    // bytes are the free list's link.
                    offset = unsafe { ((slab + offset_bytes) as *const u16).read() };
                }
                if free + usize::from(used) != capacity(class) {
                    return Err("a slab's free list does not hold its free blocks");
                }
                prev = slab;
                slab = next;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn every_small_request_gets_a_class_that_holds_and_aligns_it() {
        for size in 1..=MAX_SMALL {
            for align in [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] {
                let Some(class) = class_of(size, align) else {
                    assert!(size.next_multiple_of(align) > MAX_SMALL);
                    continue;
                };
                let block = class_size(class);
                assert!(block >= size, "size {size}");
                assert_eq!(block % align.max(8), 0, "size {size} align {align}");
                if align <= 8 {
                    assert!(
                        class == 0 || class_size(class - 1) < size,
                        "smallest, {size}"
                    );
                }
            }
        }
        assert_eq!(class_of(MAX_SMALL + 1, 1), None);
        assert_eq!(class_of(8, 512), None);
        assert_eq!(class_of(24, 8).map(class_size), Some(24));
        assert_eq!(class_of(24, 16).map(class_size), Some(32));
    }

    #[test]
    fn slabs_hold_enough_and_offsets_fit_their_links() {
        for class in 0..CLASSES {
            assert!(capacity(class) >= 7, "class {class}");
            assert!(slab_size(class) <= usize::from(NONE16));
        }
    }
}
