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

#![no_std]
#![forbid(unsafe_code)]

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
