//! Ferrite's disk file system: what is on the disk, and how it changes without ever being left
//! half-changed.
//!
//! The layers, bottom up:
//!
//! - [`device`]: a disk of 4 KiB blocks that can read, write and flush. The kernel's
//!   virtio-blk driver is one; the host tests use [`device::MemoryDisk`], which can also
//!   forget its unflushed writes, like a disk losing power.
//! - [`layout`]: the bytes of the superblock, inodes, directory entries and log header, as
//!   docs/disk-format.md specifies them, with decoders that name the rule a bad field breaks.
//! - [`cache`]: blocks kept in memory; changed blocks stay there until the log commits them.
//! - [`journal`]: the write-ahead log, which makes each group of changes all-or-nothing.
//! - [`fs`]: the operations the VFS calls (lookup, read, write, create, unlink, rename, ...).
//! - [`check`]: every rule of the format checked over a whole disk, at each mount.
//!
//! No unsafe code and no hardware: all of it runs under `cargo test` on the host, where a test
//! can cut the power after any write and check what a remount finds.
//!
//! And no panics on what a disk holds. A disk may have been written by another system, cut
//! short, damaged, or made to be hostile, so no number read from it is used to index a buffer or
//! in arithmetic that could overflow, and nothing unwraps: a bad value becomes a [`Violation`]
//! that refuses the mount, or `EIO` from the operation that met it, and the caller reports it.
//! The lints denied below hold every module to this; the few exceptions (tests, two helpers of
//! the test disk, the CRC table the compiler computes) each say why.

#![no_std]
#![forbid(unsafe_code)]
// What a disk says may be anything: a bad value must become an error, never a kernel panic.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

extern crate alloc;

pub mod cache;
pub mod check;
pub mod crc;
pub mod device;
pub mod fs;
pub mod index;
pub mod journal;
pub mod layout;

pub use device::{BlockDevice, IoError, MemoryDisk};
pub use fs::{format, DiskFs, MountReport, Refusal, Usage};
pub use layout::{Superblock, Violation, BLOCK_SIZE};
