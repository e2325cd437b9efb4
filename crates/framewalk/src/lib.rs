//! Following a chain of frame pointers up a stack: how the kernel prints a backtrace.
//!
//! Compiled with frame pointers (`-C force-frame-pointers=yes`), every function starts with
//! `push rbp; mov rbp, rsp`. So RBP always points at a two-word record on the stack: the
//! caller's RBP, and above it the return address into the caller. Following the saved RBPs is a
//! walk from the innermost call outwards, and the return addresses are the backtrace. The other
//! way, unwind tables (`.eh_frame`), needs no register set aside, but reading them means a DWARF
//! call-frame interpreter in the kernel; a frame pointer costs one register and two
//! instructions per call, and the walk is a loop a reader can check by eye.
//!
//! A backtrace is printed when something has already gone wrong, so the walk trusts nothing it
//! reads: a frame must lie inside the stack it started on, be 8-byte aligned, and lie above the
//! one before (callers' frames are at higher addresses, because the stack grows down). The walk
//! stops at the first frame that breaks a rule, at a zero return address or saved RBP (where a
//! thread's first function was entered), or after [`MAX_FRAMES`]. Reading memory is the
//! caller's business (a closure), so the rules are tested here on the host with a made-up
//! stack, and the kernel's closure is a plain load that the bounds make safe.

#![no_std]

use core::ops::Range;

/// The most frames a walk yields: deeper than any sane kernel call chain, shallow enough that a
/// corrupted chain that happens to keep the rules still ends.
pub const MAX_FRAMES: usize = 64;

/// Bytes of one frame record: the saved RBP and the return address.
const RECORD: u64 = 16;

/// The return addresses of the frames above `rbp`, innermost first, on the stack `stack` (the
/// range of addresses it may occupy); `read` loads the 64-bit word at an address inside it.
pub fn frames<R: Fn(u64) -> u64>(rbp: u64, stack: Range<u64>, read: R) -> Frames<R> {
    Frames {
        rbp,
        stack,
        read,
        yielded: 0,
    }
}

/// The walk: an iterator of return addresses (see [`frames`]).
pub struct Frames<R> {
    /// The frame record to read next (0 once the walk is over).
    rbp: u64,
    /// Where frame records may lie.
    stack: Range<u64>,
    /// Loads a word.
    read: R,
    /// Return addresses yielded so far.
    yielded: usize,
}

impl<R: Fn(u64) -> u64> Iterator for Frames<R> {
    type Item = u64;

    fn next(&mut self) -> Option<u64> {
        let rbp = self.rbp;
        let inside = rbp >= self.stack.start
            && rbp
                .checked_add(RECORD)
                .is_some_and(|end| end <= self.stack.end);
        if rbp == 0 || !inside || rbp % 8 != 0 || self.yielded == MAX_FRAMES {
            self.rbp = 0;
            return None;
        }
        let caller_rbp = (self.read)(rbp);
        let return_address = (self.read)(rbp + 8);
        if return_address == 0 {
            self.rbp = 0;
            return None;
        }
        // The next record must be further up the stack, or the walk could go round for ever.
        self.rbp = if caller_rbp > rbp { caller_rbp } else { 0 };
        self.yielded += 1;
        Some(return_address)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::collections::BTreeMap;
    use std::vec::Vec;

    /// A made-up stack: words by address.
    fn stack(words: &[(u64, u64)]) -> BTreeMap<u64, u64> {
        words.iter().copied().collect()
    }

    fn walk(memory: &BTreeMap<u64, u64>, rbp: u64, range: Range<u64>) -> Vec<u64> {
        frames(rbp, range, |at| {
            *memory.get(&at).expect("the walk read outside the stack")
        })
        .collect()
    }

    #[test]
    fn a_chain_of_three_frames_gives_three_return_addresses_innermost_first() {
        let memory = stack(&[
            (0x1000, 0x1040),
            (0x1008, 0xaaa),
            (0x1040, 0x1080),
            (0x1048, 0xbbb),
            (0x1080, 0),
            (0x1088, 0xccc),
        ]);
        assert_eq!(walk(&memory, 0x1000, 0x1000..0x2000), [0xaaa, 0xbbb, 0xccc]);
    }

    #[test]
    fn a_zero_return_address_ends_the_walk() {
        let memory = stack(&[
            (0x1000, 0x1040),
            (0x1008, 0xaaa),
            (0x1040, 0x1080),
            (0x1048, 0),
        ]);
        assert_eq!(walk(&memory, 0x1000, 0x1000..0x2000), [0xaaa]);
    }

    #[test]
    fn a_frame_outside_the_stack_or_misaligned_is_never_read() {
        // The saved RBP points below the stack, past its top, or between words: the walk stops
        // without reading there (the lookup would panic).
        for bad in [0x0800, 0x1ff8, 0x1044] {
            let memory = stack(&[(0x1000, bad), (0x1008, 0xaaa)]);
            assert_eq!(walk(&memory, 0x1000, 0x1000..0x2000), [0xaaa], "{bad:#x}");
        }
        let memory = stack(&[]);
        assert!(walk(&memory, 0x3000, 0x1000..0x2000).is_empty());
    }

    #[test]
    fn a_chain_that_turns_back_down_the_stack_ends() {
        // A loop (a frame pointing at itself or below) would otherwise never end.
        let memory = stack(&[(0x1040, 0x1040), (0x1048, 0xaaa)]);
        assert_eq!(walk(&memory, 0x1040, 0x1000..0x2000), [0xaaa]);
        let memory = stack(&[
            (0x1040, 0x1000),
            (0x1048, 0xaaa),
            (0x1000, 0x1040),
            (0x1008, 0xbbb),
        ]);
        assert_eq!(walk(&memory, 0x1040, 0x1000..0x2000), [0xaaa]);
    }

    #[test]
    fn a_walk_stops_after_the_most_frames() {
        let words: Vec<(u64, u64)> = (0..100u64)
            .flat_map(|i| {
                [
                    (0x1000 + i * 16, 0x1000 + (i + 1) * 16),
                    (0x1008 + i * 16, 0x5000 + i),
                ]
            })
            .collect();
        let memory = stack(&words);
        assert_eq!(walk(&memory, 0x1000, 0x1000..0x2000).len(), MAX_FRAMES);
    }
}
