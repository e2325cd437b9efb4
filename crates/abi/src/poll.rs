//! Waiting on many descriptors: `poll`'s `struct pollfd` and event bits, and `select`'s
//! `fd_set`.
//!
//! From `asm-generic/poll.h` and `linux/posix_types.h`. `poll` takes an array of (descriptor,
//! events wanted) and fills in the events that happened; `select` takes up to three bitmaps of
//! descriptors (readable, writable, exceptional) and clears the bits of those not ready. Both are
//! answered from the same readiness bits: `select`'s "readable" is any of [`POLLIN_SET`].

/// Data may be read without blocking (or a reader would see end of file).
pub const POLLIN: i16 = 0x0001;
/// Urgent data (sockets' out-of-band data; a terminal's packet mode).
pub const POLLPRI: i16 = 0x0002;
/// Data may be written without blocking.
pub const POLLOUT: i16 = 0x0004;
/// An error (a pipe's writing end with no reader left). Always reported, never asked for.
pub const POLLERR: i16 = 0x0008;
/// Hang-up (a pipe's reading end with no writer left). Always reported.
pub const POLLHUP: i16 = 0x0010;
/// The descriptor is not open. Always reported.
pub const POLLNVAL: i16 = 0x0020;
/// Normal data may be read (the same as `POLLIN` for pipes and terminals).
pub const POLLRDNORM: i16 = 0x0040;
/// Priority data may be read.
pub const POLLRDBAND: i16 = 0x0080;
/// Normal data may be written (the same as `POLLOUT`).
pub const POLLWRNORM: i16 = 0x0100;
/// Priority data may be written.
pub const POLLWRBAND: i16 = 0x0200;

/// The events `select` counts as "readable" (Linux's `POLLIN_SET`).
pub const POLLIN_SET: i16 = POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR;
/// The events `select` counts as "writable".
pub const POLLOUT_SET: i16 = POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR;
/// The events `select` counts as "exceptional".
pub const POLLEX_SET: i16 = POLLPRI;

/// One entry of `poll`'s array (`struct pollfd`, 8 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    /// The descriptor (negative: the entry is skipped).
    pub fd: i32,
    /// The events wanted.
    pub events: i16,
    /// The events that happened, written by the kernel.
    pub revents: i16,
}

const _: () = assert!(core::mem::size_of::<PollFd>() == 8);

/// Descriptors an `fd_set` has room for (`__FD_SETSIZE`).
pub const FD_SETSIZE: usize = 1024;
/// 64-bit words of an `fd_set`.
pub const FD_SET_WORDS: usize = FD_SETSIZE / 64;
