//! `futex`: the kernel half of user-space locks.
//!
//! A futex is a 32-bit word in user memory. Locking and unlocking happen in user space with
//! atomic instructions; only a thread that must wait asks the kernel (`FUTEX_WAIT`: sleep if the
//! word still holds the value I saw), and only a thread that releases a lock someone waits for
//! asks it to wake them (`FUTEX_WAKE`). The numbers and the robust-list layout are Linux's
//! (`linux/futex.h`), checked against Debian's header by this crate's tests.

/// Sleep while the word equals the given value (a relative timeout).
pub const FUTEX_WAIT: u32 = 0;
/// Wake up to the given number of waiters.
pub const FUTEX_WAKE: u32 = 1;
/// Wake some waiters and move the rest to another futex.
pub const FUTEX_REQUEUE: u32 = 3;
/// `FUTEX_REQUEUE`, only if the word still holds a given value.
pub const FUTEX_CMP_REQUEUE: u32 = 4;
/// Change a second word and wake waiters on both, depending on its old value.
pub const FUTEX_WAKE_OP: u32 = 5;
/// `FUTEX_WAIT` with a bit set naming what to wait for, and an absolute timeout.
pub const FUTEX_WAIT_BITSET: u32 = 9;
/// `FUTEX_WAKE` of the waiters whose bit set meets the given one.
pub const FUTEX_WAKE_BITSET: u32 = 10;
/// The futex is private to the process (no other address space maps it): a faster lookup.
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
/// An absolute timeout is on `CLOCK_REALTIME` (else `CLOCK_MONOTONIC`).
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
/// The bits of the operation that name the command.
pub const FUTEX_CMD_MASK: u32 = !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
/// A bit set that matches every waiter.
pub const FUTEX_BITSET_MATCH_ANY: u32 = 0xffff_ffff;

/// In a robust mutex's word: somebody waits for it.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
/// In a robust mutex's word: its owner died holding it.
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
/// In a robust mutex's word: the owner's thread id.
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// The most entries of a robust list the kernel walks when a thread dies (a loop in the list
/// must not hang it).
pub const ROBUST_LIST_LIMIT: usize = 2048;

/// The head of a thread's robust list (`struct robust_list_head`), in user memory.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RobustListHead {
    /// The first entry (an entry's first word points at the next; the last at the head).
    pub next: u64,
    /// Where an entry's futex word is, relative to the entry.
    pub futex_offset: i64,
    /// An entry being added or removed when the thread died, or 0.
    pub list_op_pending: u64,
}

const _: () = assert!(core::mem::size_of::<RobustListHead>() == 24);
