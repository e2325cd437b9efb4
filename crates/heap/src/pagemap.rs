//! The page map: one bit per page of the heap's region, set while the page is mapped.
//!
//! The region is address space; only the pages the heap has asked the kernel for are memory.
//! Taking memory from a free chunk maps the pages it reaches that are not mapped yet
//! ([`Heap::commit`]), and a free chunk large enough, when the heap already holds more free mapped
//! memory than its reserve, gives its whole pages back ([`Heap::decommit`]). The map sits at the
//! region's start and is mapped for the heap's life.
//!
//! Two shortcuts keep the map off the common paths. The heap fills its region from the bottom,
//! so it keeps a *frontier*, [`Heap::mapped_below`]: every page below it is mapped, and a block
//! that ends below it needs no look at the map. Mapping moves the frontier up past the mapped
//! run that follows it; unmapping moves it down to the first page given back. And whether a
//! free gives pages back is one compare of the free byte count against a threshold
//! ([`Heap::update_release_threshold`]) that changes only when the mapped page count does.
//! Giving pages back looks only below [`Heap::mapped_top`], above which nothing is mapped but
//! the region's last page: the free chunk at the top of the heap reaches the region's end, and
//! most of it has never been mapped.
//! When the map is read or written, it is a 64-bit word (64 pages) at a time.

use super::{Heap, Pages, PAGE_SIZE};

/// How far past the reserve the mapped free bytes may go before pages go back (down to the
/// reserve): a release gives back at least this much, not a page at each free.
const RELEASE_SLACK: usize = crate::RELEASE_MIN;

impl Heap {
    #[inline(always)]
    pub(crate) fn page_index(&self, addr: usize) -> usize {
        (addr - self.base) / PAGE_SIZE
    }

    #[inline(always)]
    pub(crate) fn map_word(&self, page: usize) -> *mut u64 {
        (self.base as *mut u64).wrapping_add(page / 64)
    }

    /// Whether the page holding `addr` is mapped.
    #[inline]
    pub(crate) fn is_mapped(&self, addr: usize) -> bool {
        if addr < self.base || addr >= self.end {
            return false;
        }
        let page = self.page_index(addr);
        // SAFETY: the page map is at the region's start, mapped from `new` on and never given
        // back, and `page` is inside the region, so its word is inside the map.
        unsafe { *self.map_word(page) & (1 << (page % 64)) != 0 }
    }

    /// Whether pages `first..end` are all mapped: a word of the page map at a time.
    #[inline(always)]
    pub(crate) fn all_mapped(&self, first: usize, end: usize) -> bool {
        if first / 64 == (end - 1) / 64 {
            // The usual case, pages within one word: one mask.
            let mask = (!0u64 >> (64 - (end - first))) << (first % 64);
            // SAFETY: as in `is_mapped`.
            return unsafe { *self.map_word(first) } & mask == mask;
        }
        let mut page = first;
        while page < end {
            let (word, mask, n) = self.map_bits(page, end);
            // SAFETY: as in `is_mapped`.
            if unsafe { *word } & mask != mask {
                return false;
            }
            page += n;
        }
        true
    }

    /// Maps every unmapped page that overlaps `from..to`. False if the kernel refused.
    #[inline(always)]
    pub(crate) fn commit(&mut self, from: usize, to: usize, pages: &mut impl Pages) -> bool {
        to <= self.mapped_below || self.commit_slow(from, to, pages)
    }

    /// [`Heap::commit`] past the mapped frontier: a look at the page map, and the mapping.
    #[inline(never)]
    fn commit_slow(&mut self, from: usize, to: usize, pages: &mut impl Pages) -> bool {
        let (first, end) = (self.page_index(from), self.page_index(to - 1) + 1);
        self.all_mapped(first, end) || self.map_missing(first, end, pages)
    }

    /// The page map's bits for pages `page..end`, as far as they lie in `page`'s word: the
    /// word's address, the mask of those bits, and how many pages that covers.
    #[inline(always)]
    fn map_bits(&self, page: usize, end: usize) -> (*mut u64, u64, usize) {
        let n = (end - page).min(64 - page % 64);
        let ones = if n == 64 { !0 } else { (1u64 << n) - 1 };
        (self.map_word(page), ones << (page % 64), n)
    }

    /// [`Heap::commit`]'s slow part: maps the runs of unmapped pages among `first..end`, a word
    /// of the page map at a time (a run that crosses a word is mapped in two calls).
    #[cold]
    #[inline(never)]
    pub(crate) fn map_missing(&mut self, first: usize, end: usize, pages: &mut impl Pages) -> bool {
        let mut page = first;
        let mut mapped = true;
        'words: while page < end {
            let (word, mask, n) = self.map_bits(page, end);
            // SAFETY: as in `is_mapped`.
            let mut missing = !unsafe { *word } & mask;
            while missing != 0 {
                let (start, count, run) = first_run(missing);
                let from = page / 64 * 64 + start;
                if !pages.map(self.base + from * PAGE_SIZE, count * PAGE_SIZE) {
                    mapped = false;
                    break 'words;
                }
                // SAFETY: as in `is_mapped`; `&mut self` makes this the only access.
                unsafe { *word |= run };
                missing &= !run;
                self.stats.mapped_pages += count;
                self.mapped_top = self.mapped_top.max(self.base + (from + count) * PAGE_SIZE);
            }
            page += n;
        }
        self.update_release_threshold();
        self.advance_mapped_below();
        mapped
    }

    /// Moves [`Heap::mapped_below`] up past the mapped pages that now follow it.
    fn advance_mapped_below(&mut self) {
        let pages = (self.end - self.base) / PAGE_SIZE;
        let mut page = self.page_index(self.mapped_below);
        while page < pages {
            // SAFETY: as in `is_mapped`.
            let word = unsafe { *self.map_word(page) } >> (page % 64);
            let run = word.trailing_ones() as usize;
            page += run;
            if run == 0 || page % 64 != 0 {
                // An unmapped page: the run ends here.
                break;
            }
        }
        self.mapped_below = self.base + page.min(pages) * PAGE_SIZE;
    }

    /// Unmaps up to `limit` of the mapped pages inside `from..to` (both page aligned), the
    /// highest first, a word of the page map at a time: the low pages of a free chunk are the
    /// ones the next allocations from it take. Nothing at or above [`Heap::mapped_top`] is
    /// looked at: a free chunk that reaches the region's end (most often the one that gives
    /// pages back) would otherwise have the whole unused rest of the region read.
    pub(crate) fn decommit(
        &mut self,
        from: usize,
        to: usize,
        limit: usize,
        pages: &mut impl Pages,
    ) {
        let at_top = to >= self.mapped_top;
        let to = to.min(self.mapped_top);
        if from >= to || limit == 0 {
            return;
        }
        let first = self.page_index(from);
        let mut end = self.page_index(to);
        let mut left = limit;
        // No page from `clear` to `to` is mapped (when the loop ends); `unmapped` is the lowest
        // page given back.
        let (mut clear, mut unmapped) = (end, end);
        while end > first && left > 0 {
            let word_first = ((end - 1) / 64 * 64).max(first);
            let (word, mask, _) = self.map_bits(word_first, end);
            // SAFETY: as in `is_mapped`.
            let mut present = unsafe { *word } & mask;
            while present != 0 && left > 0 {
                let (start, count, run) = last_run(present, left);
                unmapped = word_first / 64 * 64 + start;
                pages.unmap(self.base + unmapped * PAGE_SIZE, count * PAGE_SIZE);
                // SAFETY: as in `is_mapped`; `&mut self` makes this the only access.
                unsafe { *word &= !run };
                present &= !run;
                left -= count;
                self.stats.mapped_pages -= count;
                self.stats.released_pages += count;
            }
            clear = if present == 0 { word_first } else { unmapped };
            end = word_first;
        }
        if left < limit {
            self.mapped_below = self.mapped_below.min(self.base + unmapped * PAGE_SIZE);
            self.update_release_threshold();
        }
        if at_top {
            self.mapped_top = self.base + clear * PAGE_SIZE;
        }
    }

    /// Recomputes [`Heap::release_above`] after the number of mapped pages changed.
    ///
    /// Pages go back when the free bytes that are mapped pass the reserve by [`RELEASE_SLACK`]:
    /// the reserve is [`crate::RESERVE`], or a quarter of what is mapped if that is more, so a
    /// busy heap with many holes does not unmap and map pages at every turn. The mapped free
    /// bytes are the free bytes less the unmapped pages (all of them in free chunks), so the
    /// test on every free is one compare of the free byte count against this threshold.
    pub(crate) fn update_release_threshold(&mut self) {
        let pages = (self.end - self.base) / PAGE_SIZE;
        let unmapped = (pages - self.stats.mapped_pages) * PAGE_SIZE;
        let reserve = crate::RESERVE.max(self.stats.mapped_pages * PAGE_SIZE / 4);
        self.release_above = unmapped + reserve + RELEASE_SLACK;
    }

    /// The free bytes (mapped or not) a release brings the heap down to: the unmapped ones
    /// and the reserve.
    pub(crate) fn keep_free(&self) -> usize {
        self.release_above - RELEASE_SLACK
    }
}

/// The highest run of set bits in `bits` (not zero), cut to its top `limit` bits (`limit` >
/// 0): where it starts, how long it is, and its mask.
#[inline(always)]
fn last_run(bits: u64, limit: usize) -> (usize, usize, u64) {
    let top = 63 - bits.leading_zeros() as usize;
    let len = ((bits << (63 - top)).leading_ones() as usize).min(limit);
    let ones = if len == 64 { !0 } else { (1u64 << len) - 1 };
    let start = top + 1 - len;
    (start, len, ones << start)
}

/// The lowest run of set bits in `bits` (not zero): where it starts, how long it is, and its
/// mask.
#[inline(always)]
fn first_run(bits: u64) -> (usize, usize, u64) {
    let start = bits.trailing_zeros() as usize;
    let len = (bits >> start).trailing_ones() as usize;
    let ones = if len == 64 { !0 } else { (1u64 << len) - 1 };
    (start, len, ones << start)
}
