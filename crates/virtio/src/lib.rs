//! Virtio 1.x, the parts a block driver needs: the PCI capability numbers, the status and
//! feature bits, the common configuration registers, the layout of a split virtqueue, and the
//! block device's request format.
//!
//! Virtio is the standard way a virtual machine's devices talk to its guest (OASIS "Virtual I/O
//! Device (VIRTIO) Version 1.2", cited below as "spec §n"). A device and its driver share
//! *virtqueues* in guest memory: the driver puts buffers in, the device takes them out, does the
//! work, and hands them back. Over PCI, the device's registers are found through *vendor
//! capabilities* in its configuration space, each pointing into one of its memory BARs.
//!
//! Everything here is numbers and arithmetic, so the host checks it; the kernel's driver
//! (`kernel/src/drivers/virtio/`) does the memory and register accesses.

#![no_std]
#![forbid(unsafe_code)]

/// The PCI vendor of every virtio device (Red Hat's, donated to virtio).
pub const VENDOR: u16 = 0x1AF4;
/// A block device in the transitional numbering (legacy interface too).
pub const DEVICE_BLOCK_TRANSITIONAL: u16 = 0x1001;
/// A block device in the modern numbering: 0x1040 + device type 2 (spec §4.1.2.1).
pub const DEVICE_BLOCK_MODERN: u16 = 0x1042;

/// The capability id of a vendor-specific PCI capability.
pub const PCI_CAP_VENDOR: u8 = 0x09;

/// What a virtio PCI capability points at (`cfg_type`, spec §4.1.4).
pub mod cfg {
    /// The common configuration: features, status, queues.
    pub const COMMON: u8 = 1;
    /// Where the driver writes to notify a queue.
    pub const NOTIFY: u8 = 2;
    /// The interrupt status (for INTx; MSI-X does without).
    pub const ISR: u8 = 3;
    /// The device-specific configuration (a block device's capacity, ...).
    pub const DEVICE: u8 = 4;
}

/// Offsets in a virtio PCI capability (`struct virtio_pci_cap`, spec §4.1.4).
pub mod cap {
    /// `cfg_type`: which structure.
    pub const CFG_TYPE: u8 = 3;
    /// `bar`: which BAR holds it.
    pub const BAR: u8 = 4;
    /// `offset`: where in the BAR (32 bits).
    pub const OFFSET: u8 = 8;
    /// `length`: how long (32 bits).
    pub const LENGTH: u8 = 12;
    /// The notify capability's `notify_off_multiplier` (32 bits).
    pub const NOTIFY_MULTIPLIER: u8 = 16;
}

/// Offsets in the common configuration (`struct virtio_pci_common_cfg`, spec §4.1.4.3).
pub mod common {
    /// Which 32 bits of the device's features `DEVICE_FEATURE` shows.
    pub const DEVICE_FEATURE_SELECT: usize = 0x00;
    /// The device's features, 32 at a time.
    pub const DEVICE_FEATURE: usize = 0x04;
    /// Which 32 bits of the driver's features `DRIVER_FEATURE` takes.
    pub const DRIVER_FEATURE_SELECT: usize = 0x08;
    /// The features the driver accepts, 32 at a time.
    pub const DRIVER_FEATURE: usize = 0x0C;
    /// The MSI-X vector for configuration changes (16 bits).
    pub const MSIX_CONFIG: usize = 0x10;
    /// How many queues the device has (16 bits).
    pub const NUM_QUEUES: usize = 0x12;
    /// The device status (8 bits, [`super::status`]).
    pub const DEVICE_STATUS: usize = 0x14;
    /// Which queue the registers below describe (16 bits).
    pub const QUEUE_SELECT: usize = 0x16;
    /// The queue's size: the device's maximum, then the driver's choice (16 bits).
    pub const QUEUE_SIZE: usize = 0x18;
    /// The queue's MSI-X vector (16 bits).
    pub const QUEUE_MSIX_VECTOR: usize = 0x1A;
    /// 1 to start using the queue (16 bits).
    pub const QUEUE_ENABLE: usize = 0x1C;
    /// The queue's index into the notify area (16 bits).
    pub const QUEUE_NOTIFY_OFF: usize = 0x1E;
    /// The descriptor table's physical address (64 bits).
    pub const QUEUE_DESC: usize = 0x20;
    /// The available ring's physical address (64 bits).
    pub const QUEUE_DRIVER: usize = 0x28;
    /// The used ring's physical address (64 bits).
    pub const QUEUE_DEVICE: usize = 0x30;
}

/// Device status bits (spec §2.1).
pub mod status {
    /// The guest has noticed the device.
    pub const ACKNOWLEDGE: u8 = 1;
    /// The guest knows how to drive it.
    pub const DRIVER: u8 = 2;
    /// The driver is ready: the device may work.
    pub const DRIVER_OK: u8 = 4;
    /// Feature negotiation is finished.
    pub const FEATURES_OK: u8 = 8;
    /// The device has hit an error it cannot recover from.
    pub const NEEDS_RESET: u8 = 64;
    /// The driver gave up on the device.
    pub const FAILED: u8 = 128;
}

/// Feature bits.
pub mod feature {
    /// The device is read-only (block, spec §5.2.3).
    pub const BLK_RO: u64 = 1 << 5;
    /// The device has a write cache and understands flush requests (block).
    pub const BLK_FLUSH: u64 = 1 << 9;
    /// The device follows virtio 1.x, not the legacy interface (spec §6).
    pub const VERSION_1: u64 = 1 << 32;
}

/// MSI-X: "no vector" for a queue or the configuration.
pub const NO_VECTOR: u16 = 0xFFFF;

/// Why a device's features cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureError {
    /// It only speaks the legacy interface.
    NotVersion1,
}

/// The features the driver accepts from those a block device `offered`: virtio 1.x (required),
/// and the read-only and flush bits, which change what the driver does. Nothing else: a feature
/// the driver does not understand must not be accepted.
pub fn negotiate_block(offered: u64) -> Result<u64, FeatureError> {
    if offered & feature::VERSION_1 == 0 {
        return Err(FeatureError::NotVersion1);
    }
    Ok(offered & (feature::VERSION_1 | feature::BLK_RO | feature::BLK_FLUSH))
}

/// Descriptor flag: the buffer continues in the descriptor `next` names.
pub const DESC_NEXT: u16 = 1;
/// Descriptor flag: the device writes this buffer (otherwise it reads it).
pub const DESC_WRITE: u16 = 2;
/// Bytes in a descriptor: address (64), length (32), flags (16), next (16).
pub const DESC_SIZE: usize = 16;

/// Where the three parts of a split virtqueue of `size` entries lie in one block of memory
/// (spec §2.7): the descriptor table (16-byte aligned), the available ring (2-byte aligned), and
/// the used ring (4-byte aligned).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLayout {
    /// Entries (a power of two, at most 32,768).
    pub size: u16,
    /// Offset of the available ring: `flags`, `idx`, `ring[size]`, `used_event`.
    pub avail: usize,
    /// Offset of the used ring: `flags`, `idx`, `ring[size]` of (id 32, len 32), `avail_event`.
    pub used: usize,
    /// Bytes in all.
    pub total: usize,
}

impl QueueLayout {
    /// The layout for `size` entries; `None` if it is not a power of two.
    pub const fn new(size: u16) -> Option<QueueLayout> {
        if size == 0 || !size.is_power_of_two() {
            return None;
        }
        let n = size as usize;
        let avail = n * DESC_SIZE;
        let avail_len = 2 + 2 + 2 * n + 2;
        let used = (avail + avail_len).next_multiple_of(4);
        let used_len = 2 + 2 + 8 * n + 2;
        Some(QueueLayout {
            size,
            avail,
            used,
            total: used + used_len,
        })
    }

    /// Offset of available-ring entry `i` (taken modulo the size).
    pub const fn avail_entry(&self, i: u16) -> usize {
        self.avail + 4 + 2 * (i % self.size) as usize
    }

    /// Offset of the available ring's `idx`.
    pub const fn avail_idx(&self) -> usize {
        self.avail + 2
    }

    /// Offset of the used ring's `idx`.
    pub const fn used_idx(&self) -> usize {
        self.used + 2
    }

    /// Offset of used-ring entry `i` (taken modulo the size): its `id`, then its `len`.
    pub const fn used_entry(&self, i: u16) -> usize {
        self.used + 4 + 8 * (i % self.size) as usize
    }

    /// Offset of descriptor `i`.
    pub const fn desc(&self, i: u16) -> usize {
        DESC_SIZE * i as usize
    }
}

/// A block request's type (spec §5.2.6).
pub mod request {
    /// Read sectors.
    pub const IN: u32 = 0;
    /// Write sectors.
    pub const OUT: u32 = 1;
    /// Make earlier writes durable.
    pub const FLUSH: u32 = 4;
    /// Bytes in the request header: type (32), reserved (32), sector (64).
    pub const HEADER_SIZE: usize = 16;
    /// The status the device writes: done.
    pub const STATUS_OK: u8 = 0;
    /// The status: the device failed.
    pub const STATUS_IOERR: u8 = 1;
    /// The status: not supported.
    pub const STATUS_UNSUPP: u8 = 2;
}

/// Bytes in a virtio-blk sector, the unit of `sector` and `capacity`, whatever the disk's own.
pub const SECTOR_SIZE: u64 = 512;

/// The header of a block request of type `kind` at `sector`.
pub fn request_header(kind: u32, sector: u64) -> [u8; request::HEADER_SIZE] {
    let mut header = [0u8; request::HEADER_SIZE];
    header[..4].copy_from_slice(&kind.to_le_bytes());
    header[8..].copy_from_slice(&sector.to_le_bytes());
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_layout_follows_the_alignment_rules() {
        let q = QueueLayout::new(16).unwrap();
        assert_eq!(q.avail, 256);
        // avail: 2 + 2 + 32 + 2 = 38 bytes, so the used ring starts at 294 rounded up to 296.
        assert_eq!(q.used, 296);
        assert_eq!(q.total, 296 + 2 + 2 + 128 + 2);
        assert_eq!(q.avail_entry(17), 256 + 4 + 2);
        assert_eq!(q.used_entry(16), 296 + 4);
        assert!(
            QueueLayout::new(64).unwrap().total <= 4096,
            "64 entries fit one page"
        );
        assert_eq!(QueueLayout::new(12), None);
        assert_eq!(QueueLayout::new(0), None);
    }

    #[test]
    fn negotiation_keeps_only_what_the_driver_knows() {
        let offered = feature::VERSION_1 | feature::BLK_FLUSH | (1 << 1) | (1 << 28);
        assert_eq!(
            negotiate_block(offered),
            Ok(feature::VERSION_1 | feature::BLK_FLUSH)
        );
        assert_eq!(
            negotiate_block(feature::BLK_FLUSH),
            Err(FeatureError::NotVersion1)
        );
    }

    #[test]
    fn request_header_bytes() {
        let h = request_header(request::OUT, 0x0102_0304_0506_0708);
        assert_eq!(&h[..4], &[1, 0, 0, 0]);
        assert_eq!(&h[4..8], &[0; 4]);
        assert_eq!(&h[8..], &[8, 7, 6, 5, 4, 3, 2, 1]);
    }
}
