//! Chunks: byte-granular blocks with boundary tags, kept in segregated free lists.
//!
//! Every block larger than a slab block, and every slab, is a *chunk*: a run of memory that
//! starts with an 8-byte header word (its size, a multiple of 16, and three flag bits) and whose
//! payload, right after the header, is 16-byte aligned. Chunks tile the grown part of the region
//! without gaps, so the chunk after `c` starts at `c + size`; the last one is followed by a
//! *sentinel*, a header of size 0 that is never free, so merging never runs off the end.
//!
//! A free chunk also keeps its size in its last word (the *footer*) and has its flag `FREE` set;
//! the chunk after a free chunk has `PREV_FREE` set in its header. Freeing a chunk therefore
//! finds a free neighbour on either side in constant time and merges with it (Knuth's boundary
//! tags): two free chunks are never side by side. An allocated chunk needs only its header, 8
//! bytes, and rounds to 16 bytes: on average 16 bytes of overhead a block.
//!
//! Free chunks sit in one of [`BINS`] lists by size: one list per size up to 1 KiB (16-byte
//! steps, an exact fit), then eight lists per doubling; below 64 KiB a size finds its list in a
//! table. A bitmap says which lists are non-empty, so finding the smallest list whose chunks
//! all fit a request is a few bit operations, however many chunks there are (the idea of TLSF,
//! Masmano et al. 2004), and the allocator takes that list's first chunk: a *good fit*, never
//! more than an eighth larger than needed unless no closer list has a chunk. An earlier
//! version first looked through a few chunks of the request's own list for the smallest that
//! fits; that walk cost instructions on every allocation, and without it the benchmark
//! workloads' median efficiency at first failure stayed the same (one seed of `torture` ran
//! out 0.6% earlier, another as late as before). Only when no list surely fits does the
//! allocator search chunk by chunk (chunks in the request's own list may be large enough), so
//! memory runs out only when no free chunk can hold the request. An aligned request first looks
//! at a few chunks from its own list on, since any of them may hold it once aligned.
//!
//! Splitting and merging try to leave the lists alone, since large free chunks are split and
//! merged all the time. A block is cut from the *end* of the free chunk it comes from
//! ([`Heap::carve`]), so the rest keeps its address and its place in its list: when it stays in
//! the same list, the split is two header writes and a footer. Freeing a block after a free
//! chunk grows that chunk in place the same way, and freeing one before a free chunk hands it
//! that chunk's place in its list ([`Heap::refile`]). An aligned request takes the highest
//! aligned place in the chunk, for the same reason. The exception is a chunk that may have
//! pages given back (below): it is cut from its start, since the heap fills its region from
//! the bottom and its high pages are the ones likely not mapped; an aligned request takes
//! the lowest aligned place in it at once, without first looking through other lists (the
//! top of the heap is such a chunk, so this is common).
//!
//! Alignment skips bytes, and a 64-byte aligned block would often leave 16 to 48 of them
//! before it: too few for a free chunk, or a free chunk no chunk request could use. Fewer
//! than [`SLIVER`] skipped bytes therefore *lead* the block: its chunk starts where the free
//! chunk did, with its real header there, and the word before its payload carries the flag
//! [`LEAD`] and says where the chunk ends, with the lead's length in the word before it, so
//! that freeing the block finds the real start. Leftovers under [`SLIVER`] after an aligned
//! block stay with it the same way. An earlier version left every such gap of 32 bytes or
//! more as a free chunk: a list push on allocation and a merge on free, for bytes nothing
//! would take. (The `torture` benchmark asks for 64-byte alignment in a quarter of its large
//! requests; it went from 110 to 106 instructions an operation on the host.)
//!
//! One free chunk is in no list: the *top*, the free chunk just before the sentinel (dlmalloc's
//! *wilderness*). When no list holds a chunk that surely fits, a request is cut from the top's
//! start ([`Heap::carve_top`]), and a block freed just below the top merges into it, neither
//! touching a list. The searches that look at every free chunk put the top in its list first
//! and take it out again after ([`Heap::alloc_chunk_slow`]), so it is never overlooked. While
//! the top was listed like any chunk, every allocation from it scanned the list bitmap up to the
//! top's list and checked whether the rest changed lists.
//!
//! A free chunk's whole pages (the ones that hold neither its header and list links nor its
//! footer) may be unmapped; the chunk then carries `RELEASED`, and taking memory from it maps
//! the pages it needs first. The whole region starts as one such chunk. A bitmap at the region's
//! start, one bit a page, records which pages are mapped.

use super::{Heap, Pages, PAGE_SIZE};

/// The header word before every chunk's payload.
pub(crate) const HEADER: usize = 8;
/// Chunk sizes and payload addresses are multiples of this.
pub(crate) const GRANULE: usize = 16;
/// The smallest chunk: a free chunk holds its header, two list links and its footer.
pub(crate) const MIN_CHUNK: usize = 32;
/// Bytes left over beside an aligned block, or after a block cut from a chunk's start, stay
/// with the block when there are fewer than this (128): a free chunk that small would only
/// ever hold a small block, which comes from a slab, so it would be listed, and merged again,
/// for nothing.
pub(crate) const SLIVER: usize = 128;
/// Bytes at a free chunk's start that must stay mapped: the header and the two links.
const FREE_HEAD: usize = 3 * HEADER;
/// Header flag: this chunk is free.
pub(crate) const FREE: usize = 1;
/// Header flag: the chunk before this one is free (its footer holds its size).
pub(crate) const PREV_FREE: usize = 2;
/// Header flag (free chunks): some of this chunk's whole pages may be unmapped.
const RELEASED: usize = 4;
/// Flag of the word before an allocated block's payload: the chunk does not start there but
/// `lead` bytes earlier (the word before this one), where its real header is. An aligned
/// block takes the few bytes its alignment skips this way rather than leave them as a free
/// chunk too small to be of use.
pub(crate) const LEAD: usize = 8;
/// The header's flag bits (the size is a multiple of 16, so its low four bits are free).
const FLAGS: usize = GRANULE - 1;
/// Sizes below this (1 KiB) have a list each.
const EXACT_BINS: usize = 64;
/// Lists per doubling above the exact ones, as a power of two.
const SUB_BIN_BITS: u32 = 3;
/// How many free lists there are: enough for every chunk of a region smaller than
/// [`MAX_REGION`] (the largest, just under 2^46 bytes, is in list 351).
pub(crate) const BINS: usize = 384;
/// Regions must be smaller than this (64 TiB), so that every chunk has a list.
pub(crate) const MAX_REGION: usize = 1 << 46;
/// Chunks an aligned request's first, bounded search looks at before it settles for a list
/// that surely fits.
const NEAR_TRIES: usize = 4;
/// Words in the bitmap of non-empty lists.
pub(crate) const BIN_WORDS: usize = BINS / 64;

/// The chunk size for a request of `size` bytes: the header, rounded to the granule.
#[inline(always)]
pub(crate) fn chunk_size(size: usize) -> usize {
    // The granule is a power of two: round up with a mask (`size` is at most `isize::MAX`,
    // as a `Layout` guarantees, so nothing overflows).
    ((size + HEADER + GRANULE - 1) & !(GRANULE - 1)).max(MIN_CHUNK)
}

/// The list a free chunk of `size` bytes belongs in.
#[inline(always)]
pub(crate) fn bin_of(size: usize) -> usize {
    debug_assert!(size < MAX_REGION, "a chunk larger than any region");
    let bin = bin_of_any(size);
    // SAFETY: every size below `MAX_REGION`, as every chunk's is, has a list (a host test
    // checks the largest); knowing it spares the bounds checks on `bins`.
    unsafe { core::hint::assert_unchecked(bin < BINS) };
    bin
}

/// Chunk sizes below this (64 KiB) find their list in [`BIN_TABLE`].
const TABLE_SIZES: usize = 64 * 1024;

/// The list of every chunk size below [`TABLE_SIZES`], by size in granules: a load instead of
/// [`bin_of_any`]'s arithmetic (a dozen instructions) on the hottest paths, where nearly every
/// chunk is smaller. 4 KiB; every entry fits a byte.
static BIN_TABLE: [u8; TABLE_SIZES / GRANULE] = {
    let mut table = [0u8; TABLE_SIZES / GRANULE];
    let mut units = 0;
    while units < table.len() {
        let bin = bin_by_arithmetic(units * GRANULE);
        assert!(bin <= u8::MAX as usize);
        table[units] = bin as u8;
        units += 1;
    }
    table
};

/// [`bin_of`] for any size: past the last list for sizes no chunk has.
#[inline(always)]
fn bin_of_any(size: usize) -> usize {
    match BIN_TABLE.get(size / GRANULE) {
        Some(&bin) => usize::from(bin),
        None => bin_by_arithmetic(size),
    }
}

/// The list for `size`, computed.
#[inline(always)]
const fn bin_by_arithmetic(size: usize) -> usize {
    let units = size / GRANULE;
    if units < EXACT_BINS {
        return units;
    }
    // `log` >= 6 is the doubling; the leading one and the next three bits, `units >> (log -
    // 3)`, are 8 + which of its eight lists. (`units | 1` has the same leading one, and is
    // known not to be zero.)
    let log = (usize::BITS - 1 - (units | 1).leading_zeros()) as usize;
    let exact_log = EXACT_BINS.trailing_zeros() as usize;
    (log << SUB_BIN_BITS) + (units >> (log - SUB_BIN_BITS as usize)) + EXACT_BINS
        - (exact_log << SUB_BIN_BITS)
        - (1 << SUB_BIN_BITS)
}

/// The first list whose chunks all hold `size` bytes (a chunk size): `size`'s own list if
/// `size` is its smallest size, else the next one. (It may be past the last list for a
/// request larger than any region.)
#[inline(always)]
pub(crate) fn bin_ceil(size: usize) -> usize {
    // One list past that of the size a granule smaller: for an exact list that is the
    // size's own, and above, the first list whose smallest size is `size` or more.
    bin_of_any(size - GRANULE) + 1
}

/// Whether free chunks of `a` and `b` bytes belong in the same list, without computing either
/// list: below 1 KiB only equal sizes do; above, sizes whose four leading bits agree (the leading
/// one and the three that pick one of the doubling's eight lists), which is when they differ only
/// in bits below those four. A size that passes the last list's range counts as its own list
/// here, which only costs a needless move from one list to the same.
#[inline(always)]
pub(crate) fn same_bin(a: usize, b: usize) -> bool {
    let top = 1usize << (usize::BITS - 1 - a.leading_zeros());
    let below = if a < EXACT_BINS * GRANULE {
        GRANULE
    } else {
        top >> SUB_BIN_BITS
    };
    (a ^ b) < below
}

/// A list head's back link: the list's number, tagged with a low bit that no chunk address has.
#[inline(always)]
fn list_tag(bin: usize) -> usize {
    (bin << 1) | 1
}

/// The list a head's back link names.
#[inline(always)]
fn list_of_tag(tag: usize) -> usize {
    let bin = tag >> 1;
    // SAFETY: back links are made by `list_tag` from lists that exist.
    unsafe { core::hint::assert_unchecked(bin < BINS) };
    bin
}

/// The smallest chunk size list `bin` holds (the tests check the lists against it).
#[cfg(test)]
pub(crate) fn bin_floor(bin: usize) -> usize {
    if bin < EXACT_BINS {
        return bin * GRANULE;
    }
    let k = bin - EXACT_BINS;
    let sub = k % (1 << SUB_BIN_BITS);
    let log = k / (1 << SUB_BIN_BITS) + 6;
    (((1 << SUB_BIN_BITS) + sub) << (log - SUB_BIN_BITS as usize)) * GRANULE
}

/// Where, if anywhere, a payload of chunk size `size` aligned to `align` fits in the free chunk
/// at `c` of `len` bytes. (Skipped bytes at the front either lead the block or form a free
/// chunk of their own; see the module documentation.)
#[inline(always)]
fn fit(c: usize, len: usize, size: usize, align: usize) -> Option<usize> {
    // `align` is a power of two: round up with a mask, not a division.
    let payload = (c + HEADER + align - 1) & !(align - 1);
    (payload - HEADER + size <= c + len).then_some(payload)
}

/// For taking from a chunk under a page, which has no whole page to map again.
struct NoMapping;

impl Pages for NoMapping {
    fn map(&mut self, _from: usize, _bytes: usize) -> bool {
        false
    }

    fn unmap(&mut self, _from: usize, _bytes: usize) {}
}

impl Heap {
    // ---- raw words -----------------------------------------------------------------------------

    /// Reads the metadata word at `addr`.
    #[inline(always)]
    pub(crate) fn load(&self, addr: usize) -> usize {
        debug_assert!(self.is_mapped(addr), "metadata at {addr:#x} is not mapped");
        // SAFETY: callers pass only addresses of chunk headers, footers and links and of slab
        // headers, which the heap's invariants keep mapped and owned by the heap (debug builds
        // check the page's map bit); all are 8-byte aligned.
        unsafe { (addr as *const usize).read() }
    }

    /// Writes the metadata word at `addr`.
    #[inline(always)]
    pub(crate) fn store(&mut self, addr: usize, value: usize) {
        debug_assert!(self.is_mapped(addr), "metadata at {addr:#x} is not mapped");
        // SAFETY: as in `load`; `&mut self` means no other reference to heap memory is used
        // by the heap meanwhile.
        unsafe { (addr as *mut usize).write(value) }
    }

    // ---- free lists ----------------------------------------------------------------------------

    /// Puts the free chunk `c` of `size` bytes at the head of its list.
    #[inline(always)]
    fn link(&mut self, c: usize, size: usize) {
        self.link_at(bin_of(size), c);
    }

    /// Puts the free chunk `c` at the head of list `bin`.
    #[inline(always)]
    fn link_at(&mut self, bin: usize, c: usize) {
        let head = self.bins[bin];
        self.store(c + HEADER, head);
        self.store(c + 2 * HEADER, list_tag(bin));
        if head != 0 {
            self.store(head + 2 * HEADER, c);
        }
        self.bins[bin] = c;
        self.nonempty[bin / 64] |= 1 << (bin % 64);
    }

    /// Takes the free chunk `c` out of its list. Its back link says which list when it is the
    /// head, so the size need not be turned into a list number again.
    #[inline(always)]
    fn unlink(&mut self, c: usize) {
        let (next, prev) = (self.load(c + HEADER), self.load(c + 2 * HEADER));
        if prev & 1 != 0 {
            let bin = list_of_tag(prev);
            self.bins[bin] = next;
            if next == 0 {
                self.nonempty[bin / 64] &= !(1 << (bin % 64));
            }
        } else {
            self.store(prev + HEADER, next);
        }
        if next != 0 {
            self.store(next + 2 * HEADER, prev);
        }
    }

    /// Takes the free chunk `c`, the head of list `bin`, out of it.
    #[inline(always)]
    fn unlink_head(&mut self, bin: usize, c: usize) {
        debug_assert_eq!(self.bins[bin], c);
        let next = self.load(c + HEADER);
        self.bins[bin] = next;
        if next == 0 {
            self.nonempty[bin / 64] &= !(1 << (bin % 64));
        } else {
            self.store(next + 2 * HEADER, list_tag(bin));
        }
    }

    /// Tags `c..c + size` as a free chunk (with `released`, 0 or `RELEASED`) and lists it.
    #[inline(always)]
    fn put_free(&mut self, c: usize, size: usize, released: usize) {
        self.store(c, size | FREE | released);
        self.store(c + size - HEADER, size);
        self.link(c, size);
    }

    /// Makes `c..c + size`, which ends at the sentinel, the top: a free chunk out of the
    /// lists, whose pages may not be mapped.
    #[inline(always)]
    pub(crate) fn make_top(&mut self, c: usize, size: usize) {
        self.store(c, size | FREE | RELEASED);
        self.store(c + size - HEADER, size);
        self.top = c;
    }

    /// Puts the top, if there is one, in its list, for the searches that look at every list.
    #[inline(always)]
    fn list_top(&mut self) {
        let top = core::mem::take(&mut self.top);
        if top != 0 {
            self.link(top, self.load(top) & !FLAGS);
        }
    }

    /// Takes the free chunk before the sentinel, if there is one, out of its list as the top.
    #[inline(always)]
    fn adopt_top(&mut self) {
        let sentinel = self.end - HEADER;
        if self.top == 0 && self.load(sentinel) & PREV_FREE != 0 {
            let size = self.load(sentinel - HEADER);
            let c = sentinel - size;
            self.unlink(c);
            let header = self.load(c);
            self.store(c, header | RELEASED);
            self.top = c;
        }
    }

    /// Cuts a chunk of `size` bytes out of the top `skip` bytes (at least [`SLIVER`]) after its
    /// start, which become a free chunk of their own, if the top holds that and a free chunk
    /// after it; maps what the block, the header and links of the new top and the gap's
    /// footer reach first. Returns as [`Heap::carve_top`] does.
    #[inline(never)]
    fn carve_top_gap(
        &mut self,
        size: usize,
        skip: usize,
        pages: &mut impl Pages,
    ) -> Option<Option<usize>> {
        let top = self.top;
        let len = self.load(top) & !FLAGS;
        if skip + size + MIN_CHUNK > len {
            return None;
        }
        let start = top + skip;
        let rest = start + size;
        if !self.commit(start - HEADER, rest + FREE_HEAD, pages) {
            return Some(None);
        }
        // (The gap's header and links are the old top's, which are mapped.)
        self.put_free(top, skip, RELEASED);
        self.store(start, size | PREV_FREE);
        self.make_top(rest, len - skip - size);
        self.stats.free_bytes -= size;
        Some(Some(start + HEADER))
    }

    /// Cuts a chunk of `size` bytes off the start of the top, if it holds that and a free
    /// chunk after it; maps what the block and the new top's header reach first. Returns its
    /// payload, `Some(None)` if those pages could not be mapped, or `None` if the top is
    /// too small.
    #[inline(always)]
    fn carve_top(&mut self, size: usize, pages: &mut impl Pages) -> Option<Option<usize>> {
        let top = self.top;
        let len = self.load(top) & !FLAGS;
        if size + MIN_CHUNK > len {
            return None;
        }
        let rest = top + size;
        if !self.commit(top, rest + FREE_HEAD, pages) {
            return Some(None);
        }
        self.store(top, size);
        self.make_top(rest, len - size);
        self.stats.free_bytes -= size;
        Some(Some(top + HEADER))
    }

    /// Moves the free chunk `old`'s place in its list to `new` (the same list): the links
    /// around it are pointed at `new`, and the list's bitmap bit stays as it is.
    #[inline(always)]
    fn relink(&mut self, old: usize, new: usize) {
        let (next, prev) = (self.load(old + HEADER), self.load(old + 2 * HEADER));
        self.store(new + HEADER, next);
        self.store(new + 2 * HEADER, prev);
        if prev & 1 != 0 {
            self.bins[list_of_tag(prev)] = new;
        } else {
            self.store(prev + HEADER, new);
        }
        if next != 0 {
            self.store(next + 2 * HEADER, new);
        }
    }

    /// Makes `c..c + size` a free chunk in place of the listed free chunk `old` of `old_size`
    /// bytes, which it overlaps (a split leaves a remainder; a merge grows a neighbour). When
    /// both sizes fall in the same list, which is the common case for large free chunks, the
    /// new chunk just takes the old one's place in it.
    #[inline(always)]
    fn refile(&mut self, old: usize, old_size: usize, c: usize, size: usize, released: usize) {
        self.store(c, size | FREE | released);
        self.store(c + size - HEADER, size);
        if same_bin(size, old_size) {
            if old != c {
                self.relink(old, c);
            }
        } else {
            self.unlink(old);
            self.link(c, size);
        }
    }

    /// The first non-empty list at or after `bin`.
    #[inline(always)]
    fn first_nonempty(&self, bin: usize) -> Option<usize> {
        let mut word = bin / 64;
        let mut bits = self.nonempty.get(word)? & (!0u64 << (bin % 64));
        loop {
            if bits != 0 {
                return Some(word * 64 + bits.trailing_zeros() as usize);
            }
            // (Lists past the region's largest chunk are always empty.)
            if word >= self.last_word {
                return None;
            }
            word += 1;
            bits = *self.nonempty.get(word)?;
        }
    }

    /// The chunk size that surely holds a chunk of `size` bytes aligned to `align`, wherever
    /// the free chunk starts.
    #[inline(always)]
    fn need(size: usize, align: usize) -> usize {
        if align <= GRANULE {
            size
        } else {
            size + align - GRANULE
        }
    }

    /// Allocates a chunk of `size` bytes (a [`chunk_size`]) whose payload is aligned to `align`;
    /// returns the payload's address.
    ///
    /// The common cases are inline: the head of the first non-empty list whose every chunk is
    /// large enough is taken, and the block cut off its end ([`Heap::carve`]), or for an
    /// aligned request the highest aligned place in it ([`Heap::carve_aligned`]); a chunk
    /// that may have pages given back is cut from its start instead, if those pages are all
    /// mapped ([`Heap::carve_front`]).
    #[inline(always)]
    pub(crate) fn alloc_chunk(
        &mut self,
        size: usize,
        align: usize,
        pages: &mut impl Pages,
    ) -> Option<usize> {
        if let Some(bin) = self.first_nonempty(bin_ceil(size)) {
            let c = self.bins[bin];
            let header = self.load(c);
            if header & RELEASED == 0 {
                if align <= GRANULE {
                    return Some(self.carve(c, header, bin, size));
                }
                if let Some(payload) = self.carve_aligned(c, header, bin, size, align) {
                    return Some(payload);
                }
            } else if align <= GRANULE {
                if let Some(payload) = self.carve_front(c, header, bin, size, pages) {
                    return payload;
                }
            } else {
                // The lowest aligned place; bytes skipped before it lead the block.
                let skip = (c + HEADER).wrapping_neg() & (align - 1);
                if skip < SLIVER {
                    if let Some(cut) = self.carve_front(c, header, bin, size + skip, pages) {
                        return self.lead(cut, skip, size);
                    }
                }
                return self.alloc_aligned_front(c, header, size, align, pages);
            }
        } else if self.top != 0 {
            // No list holds a chunk that surely fits: the top, at its lowest aligned place.
            let skip = (self.top + HEADER).wrapping_neg() & (align - 1);
            let payload = if skip < SLIVER {
                self.carve_top(size + skip, pages)
                    .map(|cut| self.lead(cut, skip, size))
            } else {
                self.carve_top_gap(size, skip, pages)
            };
            if let Some(payload) = payload {
                return payload;
            }
        }
        self.alloc_chunk_slow(size, align, pages)
    }

    /// [`Heap::alloc_chunk`] for an aligned request whose chunk, `c` (with `header`), may have
    /// pages given back: like [`Heap::carve_front`], the lowest aligned place in it, so that
    /// the rest keeps the high pages; the search if it does not hold the block once aligned,
    /// or its pages cannot be mapped.
    #[inline(never)]
    fn alloc_aligned_front(
        &mut self,
        c: usize,
        header: usize,
        size: usize,
        align: usize,
        pages: &mut impl Pages,
    ) -> Option<usize> {
        match fit(c, header & !FLAGS, size, align) {
            Some(payload) if self.take(c, payload, size, pages) => Some(payload),
            _ => self.alloc_chunk_slow(size, align, pages),
        }
    }

    /// [`Heap::alloc_chunk`] for everything but its common case: an alignment beyond the
    /// granule, a chunk whose pages may need mapping, or no list that surely fits.
    #[inline(never)]
    fn alloc_chunk_slow(
        &mut self,
        size: usize,
        align: usize,
        pages: &mut impl Pages,
    ) -> Option<usize> {
        self.list_top();
        let found = self.alloc_chunk_search(size, align, pages);
        self.adopt_top();
        found
    }

    /// [`Heap::alloc_chunk_slow`] with the top in the lists.
    #[inline(always)]
    fn alloc_chunk_search(
        &mut self,
        size: usize,
        align: usize,
        pages: &mut impl Pages,
    ) -> Option<usize> {
        let align = align.max(GRANULE);
        // In order: a few chunks of the lists from the request's own on that may fit once
        // aligned (an aligned request only); the head of the first list that surely fits; and
        // if there is none, every chunk that may fit.
        let found = if align == GRANULE {
            None
        } else {
            self.find_in(bin_of(size), size, align, NEAR_TRIES)
        };
        let found = found
            .or_else(|| self.find_fast(size, align))
            .or_else(|| self.find_in(bin_of(size), size, align, usize::MAX));
        let (c, payload) = found?;
        self.take(c, payload, size, pages).then_some(payload)
    }

    /// A free chunk where a chunk of `size` bytes aligned to `align` surely fits, found in
    /// constant time: the head of the first non-empty list whose every chunk is large enough.
    #[inline(always)]
    fn find_fast(&self, size: usize, align: usize) -> Option<(usize, usize)> {
        let c = self.bins[self.first_nonempty(bin_ceil(Heap::need(size, align)))?];
        let payload = fit(c, self.load(c) & !FLAGS, size, align);
        debug_assert!(
            payload.is_some(),
            "a list above the request holds a chunk too small"
        );
        payload.map(|p| (c, p))
    }

    /// First fit among the chunks of the non-empty lists from `bin` on, looking at `tries`
    /// chunks at most.
    #[inline(always)]
    fn find_in(
        &self,
        bin: usize,
        size: usize,
        align: usize,
        mut tries: usize,
    ) -> Option<(usize, usize)> {
        let mut bin = self.first_nonempty(bin)?;
        loop {
            let mut c = self.bins[bin];
            while c != 0 {
                if tries == 0 {
                    return None;
                }
                tries -= 1;
                if let Some(payload) = fit(c, self.load(c) & !FLAGS, size, align) {
                    return Some((c, payload));
                }
                c = self.load(c + HEADER);
            }
            bin = self.first_nonempty(bin + 1)?;
        }
    }

    /// Cuts a chunk of `size` bytes whose payload is aligned to `align` (more than the granule)
    /// from the free chunk `c` (with `header`), the head of list `bin`, whose pages are all
    /// mapped, as high in it as it goes; returns its payload, or `None` if it does not fit.
    /// Fewer than [`SLIVER`] bytes before the block lead it, and as few after it stay with it.
    #[inline(always)]
    fn carve_aligned(
        &mut self,
        c: usize,
        header: usize,
        bin: usize,
        size: usize,
        align: usize,
    ) -> Option<usize> {
        let len = header & !FLAGS;
        let top = c + len;
        // `align` is a power of two: round down with a mask.
        let payload = (top - size + HEADER) & !(align - 1);
        let mut start = payload.checked_sub(HEADER)?;
        let mut front = start.checked_sub(c)?;
        let mut lead = 0;
        if front < SLIVER {
            // Too little to leave free: the block leads with it.
            (start, lead, front) = (c, front, 0);
        }
        let mut size = size + lead;
        let tail = top - start - size;
        if tail < SLIVER {
            size += tail;
            let after = self.load(top);
            self.store(top, after & !PREV_FREE);
        } else {
            // (The chunk at `top` says already that a free chunk comes before it.)
            self.put_free(start + size, tail, 0);
        }
        if front == 0 {
            self.unlink_head(bin, c);
            self.store(start, size);
        } else {
            self.shrink_head(c, bin, front);
            self.store(start, size | PREV_FREE);
        }
        if lead != 0 {
            self.mark_lead(start, lead, size);
        }
        self.stats.free_bytes -= size;
        Some(payload)
    }

    /// Cuts a chunk of `size` bytes off the start of the free chunk `c` (with `header`), the
    /// head of list `bin`, which may have pages given back (it is often the large free chunk
    /// at the top of what the heap uses): the rest keeps the high pages, which are the ones
    /// likely not mapped; the pages the block and the header and links of the rest reach are
    /// mapped first. Returns the payload, `Some(None)` if those pages could not be mapped, or
    /// `None` if the rest would be too small to be a chunk.
    #[inline(always)]
    fn carve_front(
        &mut self,
        c: usize,
        header: usize,
        bin: usize,
        size: usize,
        pages: &mut impl Pages,
    ) -> Option<Option<usize>> {
        let len = header & !FLAGS;
        if size + MIN_CHUNK > len {
            return None;
        }
        let tail = len - size;
        let rest = c + size;
        if !self.commit(c, rest + FREE_HEAD, pages) {
            return Some(None);
        }
        // The rest is often the heap's large top chunk, past the table of lists: compare
        // sizes rather than compute its list.
        if same_bin(tail, len) {
            self.relink(c, rest);
        } else {
            self.unlink_head(bin, c);
            self.link(rest, tail);
        }
        self.store(rest, tail | FREE | RELEASED);
        self.store(c + len - HEADER, tail);
        self.store(c, size);
        self.stats.free_bytes -= size;
        Some(Some(c + HEADER))
    }

    /// Cuts a chunk of `size` bytes off the end of the free chunk `c` (with `header`), the head
    /// of list `bin`, whose pages are all mapped; returns its payload. What is left keeps `c`'s
    /// address, so when it stays in the same list (large free chunks, split again and again)
    /// the lists are not touched at all; a remainder too small to be a chunk goes with the
    /// block.
    #[inline(always)]
    fn carve(&mut self, c: usize, header: usize, bin: usize, size: usize) -> usize {
        let len = header & !FLAGS;
        let tail = len - size;
        let next = c + len;
        let after = self.load(next);
        self.store(next, after & !PREV_FREE);
        if tail < MIN_CHUNK {
            self.unlink_head(bin, c);
            self.store(c, len);
            self.stats.free_bytes -= len;
            return c + HEADER;
        }
        let block = c + tail;
        self.store(block, size | PREV_FREE);
        self.shrink_head(c, bin, tail);
        self.stats.free_bytes -= size;
        block + HEADER
    }

    /// Makes the free chunk `c`, the head of list `bin`, its first `len` bytes only (the rest
    /// has been taken): a new header and footer, and another list if `len` belongs in one.
    #[inline(always)]
    fn shrink_head(&mut self, c: usize, bin: usize, len: usize) {
        self.store(c, len | FREE);
        self.store(c + len - HEADER, len);
        let new_bin = bin_of(len);
        if new_bin != bin {
            self.unlink_head(bin, c);
            self.link_at(new_bin, c);
        }
    }

    /// A chunk for a small request from a free chunk under 1 KiB, if there is one: one word of
    /// the list bitmap says.
    #[inline(always)]
    pub(crate) fn alloc_from_hole(&mut self, layout: core::alloc::Layout) -> Option<usize> {
        if layout.align() > GRANULE {
            return None;
        }
        let size = chunk_size(layout.size());
        self.list_top();
        let holes = self.nonempty[0] & (!0u64 << bin_of(size));
        let found = (holes != 0)
            .then(|| self.bins[holes.trailing_zeros() as usize])
            .filter(|&c| self.take(c, c + HEADER, size, &mut NoMapping))
            .map(|c| c + HEADER);
        self.adopt_top();
        found
    }

    /// Takes a chunk of `size` bytes with its payload at `payload` out of the free chunk `c`;
    /// what is left before and after goes back to the lists. False (and `c` untouched) if
    /// pages that were given back could not be mapped again.
    #[inline(always)]
    fn take(&mut self, c: usize, payload: usize, size: usize, pages: &mut impl Pages) -> bool {
        let header = self.load(c);
        let len = header & !FLAGS;
        let released = header & RELEASED;
        // Skipped bytes too few to be of use free lead the block; a remainder after it too.
        let skip = payload - HEADER - c;
        let (gap, lead) = if skip < SLIVER { (0, skip) } else { (skip, 0) };
        let size = if len - skip - size < SLIVER {
            len - gap
        } else {
            size + lead
        };
        let tail = len - gap - size;
        let start = c + gap;
        if released != 0 {
            // Map what the block covers, plus the footer of the gap before it and the header
            // and links of the remainder after it.
            let from = if gap > 0 { start - HEADER } else { c };
            let to = start + size + if tail > 0 { FREE_HEAD } else { 0 };
            if !self.commit(from, to, pages) {
                return false;
            }
        }
        let next = start + size;
        if gap == 0 && tail > 0 {
            // The usual split: the remainder replaces `c`, often in the same list.
            self.refile(c, len, next, tail, released);
        } else {
            self.unlink(c);
            if gap > 0 {
                self.put_free(c, gap, released);
            }
            if tail > 0 {
                self.put_free(next, tail, released);
            } else {
                let after = self.load(next);
                self.store(next, after & !PREV_FREE);
            }
        }
        self.store(start, size | if gap > 0 { PREV_FREE } else { 0 });
        if lead != 0 {
            self.mark_lead(start, lead, size);
        }
        self.stats.free_bytes -= size;
        true
    }

    /// The payload of a block of `size` bytes aligned `skip` bytes into the chunk cut for it
    /// (`cut`, the payload it would have without the skip, if the cut succeeded), the skipped
    /// bytes leading it.
    #[inline(always)]
    fn lead(&mut self, cut: Option<usize>, skip: usize, size: usize) -> Option<usize> {
        let payload = cut?;
        if skip != 0 {
            self.mark_lead(payload - HEADER, skip, size + skip);
        }
        Some(payload + skip)
    }

    /// Marks the allocated chunk at `start` of `size` bytes as one whose payload comes `lead`
    /// bytes (16 or more) later than usual: the word before the payload says so with [`LEAD`]
    /// and the bytes from there to the chunk's end, and the word before that holds `lead`.
    #[inline(always)]
    fn mark_lead(&mut self, start: usize, lead: usize, size: usize) {
        debug_assert!(lead >= GRANULE && lead % GRANULE == 0);
        self.store(start + lead - HEADER, lead);
        self.store(start + lead, (size - lead) | LEAD);
    }

    /// Frees the chunk whose payload is at `payload`, merging it with free neighbours, and gives
    /// whole pages back if the policy says so (see [`crate::RESERVE`]).
    ///
    /// A free chunk before it grows in place: its list changes only if its size passes into
    /// the next list. A free chunk after it hands over its place in its list the same way.
    #[inline(always)]
    pub(crate) fn free_chunk(&mut self, payload: usize, pages: &mut impl Pages) {
        let mut c = payload - HEADER;
        let mut header = self.load(c);
        if header & LEAD != 0 {
            c -= self.load(c - HEADER);
            header = self.load(c);
        }
        debug_assert!(header & FREE == 0, "double free at {payload:#x}");
        let size = header & !FLAGS;
        self.stats.free_bytes += size;
        let next = c + size;
        let next_header = self.load(next);
        let (start, total) = if header & PREV_FREE == 0 {
            if next_header & FREE == 0 {
                // No free neighbour: a chunk of its own.
                self.store(next, next_header | PREV_FREE);
                self.put_free(c, size, 0);
                (c, size)
            } else {
                // It takes the place of the free chunk after it.
                let next_size = next_header & !FLAGS;
                let total = size + next_size;
                if next == self.top {
                    self.make_top(c, total);
                } else {
                    self.refile(next, next_size, c, total, next_header & RELEASED);
                }
                (c, total)
            }
        } else {
            let prev_size = self.load(c - HEADER);
            let prev = c - prev_size;
            let prev_header = self.load(prev);
            let mut released = prev_header & RELEASED;
            let mut total = prev_size + size;
            if next_header & FREE == 0 {
                self.store(next, next_header | PREV_FREE);
            } else if next == self.top {
                // Both neighbours are free and the one after is the top: all three are.
                self.unlink(prev);
                total += next_header & !FLAGS;
                self.make_top(prev, total);
                return self.after_free(prev, total, pages);
            } else {
                // Both neighbours are free: the one after leaves its list.
                self.unlink(next);
                total += next_header & !FLAGS;
                released |= next_header & RELEASED;
            }
            self.refile(prev, prev_size, prev, total, released);
            (prev, total)
        };
        self.after_free(start, total, pages);
    }

    /// Gives pages of the free chunk `start` of `total` bytes back if the policy says so.
    #[inline(always)]
    fn after_free(&mut self, start: usize, total: usize, pages: &mut impl Pages) {
        if total >= crate::RELEASE_MIN && self.stats.free_bytes > self.release_above {
            self.release(start, total, pages);
        }
    }

    /// Gives the whole pages of the free chunk `c` of `size` bytes back, all but the ones with
    /// its header and links and with its footer.
    #[cold]
    #[inline(never)]
    fn release(&mut self, c: usize, size: usize, pages: &mut impl Pages) {
        let from = (c + FREE_HEAD).next_multiple_of(PAGE_SIZE);
        let to = (c + size - HEADER) / PAGE_SIZE * PAGE_SIZE;
        if from < to {
            let header = self.load(c);
            self.store(c, header | RELEASED);
            let excess = self.stats.free_bytes - self.keep_free();
            self.decommit(from, to, excess.div_ceil(PAGE_SIZE), pages);
        }
        // The heap is shrinking: cached chunks go back too, so that they merge and keep no
        // page mapped that could go. (The cache is empty when this runs inside the flush.)
        if self.cached_bytes != 0 {
            self.flush_cache(pages);
        }
    }

    /// The size of the allocated chunk whose payload is at `payload`.
    pub(crate) fn chunk_len(&self, payload: usize) -> usize {
        self.load(payload - HEADER) & !FLAGS
    }

    /// Grows or shrinks the allocated chunk at `payload` to `size` bytes (a [`chunk_size`]) in
    /// place, using a free chunk after it; false if that cannot be done.
    pub(crate) fn resize_chunk(
        &mut self,
        payload: usize,
        size: usize,
        pages: &mut impl Pages,
    ) -> bool {
        self.list_top();
        let done = self.resize_listed(payload, size, pages);
        self.adopt_top();
        done
    }

    /// [`Heap::resize_chunk`] with the top in the lists.
    fn resize_listed(&mut self, payload: usize, size: usize, pages: &mut impl Pages) -> bool {
        let start = payload - HEADER;
        let header = self.load(start);
        let len = header & !FLAGS;
        if header & LEAD != 0 {
            // A block with a lead (aligned) stays as it is: shrinking keeps its bytes, and
            // growing takes a new block.
            return size <= len;
        }
        if size <= len {
            if len - size >= MIN_CHUNK {
                // Cut the end off as an allocated chunk and free it: that merges it as usual.
                self.store(start, size | (header & PREV_FREE));
                self.store(start + size, len - size);
                self.free_chunk(start + size + HEADER, pages);
            }
            return true;
        }
        let next = start + len;
        let next_header = self.load(next);
        let next_len = next_header & !FLAGS;
        if next_header & FREE == 0 || len + next_len < size {
            return false;
        }
        let released = next_header & RELEASED;
        let total = len + next_len;
        let size = if total - size < MIN_CHUNK {
            total
        } else {
            size
        };
        let tail = total - size;
        if released != 0
            && !self.commit(
                next,
                start + size + if tail > 0 { FREE_HEAD } else { 0 },
                pages,
            )
        {
            return false;
        }
        self.unlink(next);
        self.store(start, size | (header & PREV_FREE));
        if tail > 0 {
            self.put_free(start + size, tail, released);
        } else {
            let after = self.load(start + size);
            self.store(start + size, after & !PREV_FREE);
        }
        self.stats.free_bytes -= size - len;
        true
    }

    /// Checks the chunks' invariants; see [`Heap::check`].
    pub(crate) fn check_chunks(&self) -> Result<(), &'static str> {
        let mut c = self.first;
        let mut prev_free = false;
        let (mut free_bytes, mut free_chunks) = (0, 0);
        let sentinel = self.end - HEADER;
        while c < sentinel {
            let header = self.load(c);
            let size = header & !FLAGS;
            if size < MIN_CHUNK || size % GRANULE != 0 || c + size > sentinel {
                return Err("chunk with a bad size");
            }
            if (header & PREV_FREE != 0) != prev_free {
                return Err("PREV_FREE disagrees with the chunk before");
            }
            let free = header & FREE != 0;
            if free {
                if prev_free {
                    return Err("two free chunks side by side");
                }
                if self.load(c + size - HEADER) != size {
                    return Err("free chunk whose footer disagrees");
                }
                if !self.is_mapped(c + FREE_HEAD - 1) {
                    return Err("free chunk whose links are not mapped");
                }
                free_bytes += size;
                free_chunks += 1;
            }
            if !free || header & RELEASED == 0 {
                let mut page = c / PAGE_SIZE * PAGE_SIZE;
                while page < c + size {
                    if !self.is_mapped(page.max(self.base)) {
                        return Err("a page of a block is not mapped");
                    }
                    page += PAGE_SIZE;
                }
            }
            prev_free = free;
            c += size;
        }
        if c != sentinel || self.load(sentinel) & !PREV_FREE != 0 {
            return Err("the chunks do not end at the sentinel");
        }
        if (self.load(sentinel) & PREV_FREE != 0) != prev_free {
            return Err("the sentinel's PREV_FREE disagrees");
        }
        if free_bytes != self.stats.free_bytes {
            return Err("free byte count disagrees");
        }
        let mut listed = 0;
        for bin in 0..BINS {
            let mut c = self.bins[bin];
            if (c != 0) != (self.nonempty[bin / 64] & (1 << (bin % 64)) != 0) {
                return Err("the bitmap of lists disagrees");
            }
            let mut prev = list_tag(bin);
            while c != 0 {
                let header = self.load(c);
                if header & FREE == 0 || bin_of(header & !FLAGS) != bin {
                    return Err("a listed chunk is not free or in the wrong list");
                }
                if self.load(c + 2 * HEADER) != prev {
                    return Err("a list's back link is wrong");
                }
                listed += 1;
                prev = c;
                c = self.load(c + HEADER);
            }
        }
        if self.top != 0 {
            let sentinel = self.end - HEADER;
            if self.load(self.top) & FREE == 0
                || self.top + (self.load(self.top) & !FLAGS) != sentinel
            {
                return Err("the top is not the free chunk before the sentinel");
            }
            listed += 1;
        }
        if listed != free_chunks {
            return Err("free chunks missing from the lists");
        }
        let mut mapped = 0;
        for page in 0..(self.end - self.base) / PAGE_SIZE {
            if self.is_mapped(self.base + page * PAGE_SIZE) {
                mapped += 1;
            }
        }
        let below = self.page_index(self.mapped_below);
        if below > 0 && !self.all_mapped(0, below) {
            return Err("a page below the mapped frontier is not mapped");
        }
        let last = (self.end - self.base) / PAGE_SIZE - 1;
        if (self.page_index(self.mapped_top)..last)
            .any(|page| self.is_mapped(self.base + page * PAGE_SIZE))
        {
            return Err("a page above the mapped top is mapped");
        }
        if mapped != self.stats.mapped_pages {
            return Err("mapped page count disagrees with the page map");
        }
        Ok(())
    }
}
