//! The page map: one bit per page of the heap's region, set while the page is mapped.
//!
//! The region is address space; only the pages the heap has asked the kernel for are memory.
//! Taking memory from a free chunk maps the pages it reaches that are not mapped yet
//! ([`Heap::commit`]), and a free chunk large enough, when the heap already holds more free mapped
//! memory than its reserve, gives its whole pages back ([`Heap::decommit`]). The map sits at the
//! region's start and is mapped for the heap's life.

use super::{Heap, Pages, PAGE_SIZE};

impl Heap {
    pub(crate) fn page_index(&self, addr: usize) -> usize {
        (addr - self.base) / PAGE_SIZE
    }

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

    pub(crate) fn set_mapped(&mut self, page: usize, mapped: bool) {
        let word = self.map_word(page);
        // SAFETY: as in `is_mapped`.
        unsafe {
            if mapped {
                *word |= 1 << (page % 64);
            } else {
                *word &= !(1 << (page % 64));
            }
        }
    }

    /// Whether pages `first..end` are all mapped: a word of the page map at a time.
    #[inline(always)]
    pub(crate) fn all_mapped(&self, first: usize, end: usize) -> bool {
        let mut page = first;
        while page < end {
            let n = (end - page).min(64 - page % 64);
            let mask = if n == 64 { !0 } else { (1u64 << n) - 1 };
            // SAFETY: as in `is_mapped`.
            let word = unsafe { *self.map_word(page) } >> (page % 64);
            if word & mask != mask {
                return false;
            }
            page += n;
        }
        true
    }

    /// Maps every unmapped page that overlaps `from..to`. False if the kernel refused.
    #[inline(always)]
    pub(crate) fn commit(&mut self, from: usize, to: usize, pages: &mut impl Pages) -> bool {
        let (first, end) = (self.page_index(from), self.page_index(to - 1) + 1);
        self.all_mapped(first, end) || self.map_missing(first, end, pages)
    }

    /// [`Heap::commit`]'s slow part: maps the runs of unmapped pages among `first..end`.
    #[cold]
    #[inline(never)]
    pub(crate) fn map_missing(&mut self, first: usize, end: usize, pages: &mut impl Pages) -> bool {
        let mut page = first;
        while page < end {
            if self.is_mapped(self.base + page * PAGE_SIZE) {
                page += 1;
                continue;
            }
            let mut run = page;
            while run < end && !self.is_mapped(self.base + run * PAGE_SIZE) {
                run += 1;
            }
            if !pages.map(self.base + page * PAGE_SIZE, (run - page) * PAGE_SIZE) {
                return false;
            }
            for p in page..run {
                self.set_mapped(p, true);
            }
            self.stats.mapped_pages += run - page;
            page = run;
        }
        true
    }

    /// Unmaps every mapped page inside `from..to` (both page aligned).
    pub(crate) fn decommit(&mut self, from: usize, to: usize, pages: &mut impl Pages) {
        let (first, end) = (self.page_index(from), self.page_index(to));
        let mut page = first;
        while page < end {
            // SAFETY: as in `is_mapped`.
            let word = unsafe { *self.map_word(page) } >> (page % 64);
            if word == 0 {
                // No mapped page in the rest of this word: skip to the next.
                page = (page / 64 + 1) * 64;
                continue;
            }
            page += word.trailing_zeros() as usize;
            if page >= end {
                break;
            }
            let mut run = page;
            while run < end && self.is_mapped(self.base + run * PAGE_SIZE) {
                self.set_mapped(run, false);
                run += 1;
            }
            pages.unmap(self.base + page * PAGE_SIZE, (run - page) * PAGE_SIZE);
            self.stats.mapped_pages -= run - page;
            self.stats.released_pages += run - page;
            page = run;
        }
    }

    /// Bytes in free chunks that are mapped: what giving pages back could still return.
    pub(crate) fn spare(&self) -> usize {
        let unmapped = (self.end - self.base) / PAGE_SIZE - self.stats.mapped_pages;
        self.stats.free_bytes.saturating_sub(unmapped * PAGE_SIZE)
    }

    /// Mapped free bytes the heap keeps: [`crate::RESERVE`], or a quarter of what is mapped if
    /// that is more, so a busy heap with many holes does not unmap and map pages at every turn.
    pub(crate) fn reserve(&self) -> usize {
        crate::RESERVE.max(self.stats.mapped_pages * PAGE_SIZE / 4)
    }
}
