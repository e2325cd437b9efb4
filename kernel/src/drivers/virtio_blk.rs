//! virtio-blk: a disk, driven over PCI through one virtqueue, completing by interrupt.
//!
//! The device is QEMU's `virtio-blk-pci` (virtio 1.x, "modern"). The driver follows the
//! start-up sequence of the virtio spec §3.1.1: reset, acknowledge, negotiate features, set up
//! the queue, say DRIVER_OK. Its registers are found through the device's vendor capabilities
//! (`crates/virtio` has the numbers), each naming a BAR and an offset, all mapped uncached.
//!
//! A request is a chain of three descriptors in the queue's descriptor table: a 16-byte header
//! the device reads (read, write or flush, and the sector), the data (4 KiB: one file-system
//! block), and one status byte the device writes. The driver puts the chain's head in the
//! *available* ring, bumps the ring's index, and writes the queue's number to its *notify*
//! register. The device does the transfer, puts the head in the *used* ring, bumps that index,
//! and sends an MSI-X message, which arrives as [`crate::interrupts::vector::DISK`]: the handler
//! wakes the thread that waits. Before interrupts are on (the mount at boot) the driver polls
//! the used index instead.
//!
//! One request at a time: the file system above holds its lock across each request, so a deeper
//! queue would sit empty. A request carries up to [`MAX_RUN`] consecutive blocks, each in a
//! descriptor of its own (virtio's scatter-gather): the log writes its slots, and a sequential
//! read fetches a file's blocks, as runs, because under emulation each request costs far more
//! than the bytes it moves. The data goes through bounce pages the driver owns, so the cache's
//! buffers need no physical addresses.

use crate::drivers::pci::{self, msix, Bar, Device};
use crate::mm::{self, DmaPage};
use core::sync::atomic::{fence, AtomicUsize, Ordering};
use diskfs::{layout::Block, BlockDevice, IoError};
use virtio::{cap, cfg, common, feature, request, status, QueueLayout};

/// Entries in the queue: a request takes a header, its data pages and a status.
const QUEUE_SIZE: u16 = 64;
/// The most blocks one request carries: a run of consecutive blocks read or written at once
/// (each block its own descriptor, pointing at its own bounce page).
const MAX_RUN: usize = 32;
/// The one queue a block device has (spec §5.2.2: "requestq").
const QUEUE: u16 = 0;
/// Sectors in a file-system block.
const SECTORS_PER_BLOCK: u64 = diskfs::BLOCK_SIZE as u64 / virtio::SECTOR_SIZE;
/// The MSI-X table entry the queue uses.
const QUEUE_VECTOR: u16 = 0;
/// Polls of the used index before a request without interrupts is given up.
const POLL_LIMIT: u64 = 1 << 28;
/// Where the status byte is in the request page (the header is at 0).
const STATUS_OFFSET: u64 = 64;

/// The thread waiting for a completion (0: none). The interrupt handler wakes it.
static WAITER: AtomicUsize = AtomicUsize::new(0);

/// Why the device could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VirtioError {
    /// No virtio-blk device on the bus.
    NotFound,
    /// A capability the driver needs is missing or points outside its BAR.
    MissingCapability(u8),
    /// The device offers no virtio 1.x interface.
    Legacy,
    /// The device did not accept the features.
    FeaturesRefused,
    /// The device's queue is too small or unusable.
    Queue,
    /// No MSI-X capability, or its vector could not be set.
    NoMsix,
    /// Memory for the queue or the registers' mapping could not be had.
    NoMemory,
}

/// A window of device registers, mapped uncached.
#[derive(Clone, Copy)]
struct Registers(u64);

impl Registers {
    fn read8(&self, at: usize) -> u8 {
        // SAFETY: `self.0` maps this capability's structure (checked against its length when
        // made), and the offsets used are the spec's fields within it.
        unsafe { core::ptr::read_volatile((self.0 + at as u64) as *const u8) }
    }
    fn read16(&self, at: usize) -> u16 {
        // SAFETY: as in `read8`.
        unsafe { core::ptr::read_volatile((self.0 + at as u64) as *const u16) }
    }
    fn read32(&self, at: usize) -> u32 {
        // SAFETY: as in `read8`.
        unsafe { core::ptr::read_volatile((self.0 + at as u64) as *const u32) }
    }
    fn write8(&self, at: usize, value: u8) {
        // SAFETY: as in `read8`.
        unsafe { core::ptr::write_volatile((self.0 + at as u64) as *mut u8, value) }
    }
    fn write16(&self, at: usize, value: u16) {
        // SAFETY: as in `read8`.
        unsafe { core::ptr::write_volatile((self.0 + at as u64) as *mut u16, value) }
    }
    fn write32(&self, at: usize, value: u32) {
        // SAFETY: as in `read8`.
        unsafe { core::ptr::write_volatile((self.0 + at as u64) as *mut u32, value) }
    }
    /// A 64-bit register, as two 32-bit writes (low first), which the spec allows.
    fn write64(&self, at: usize, value: u64) {
        self.write32(at, value as u32);
        self.write32(at + 4, (value >> 32) as u32);
    }
}

/// DMA memory the driver shares with the device, accessed by offset.
struct Shared(DmaPage);

impl Shared {
    fn put16(&self, at: usize, value: u16) {
        // SAFETY: `at + 2` is within the page (the queue layout fits in it), which the driver
        // owns for good; the device reads it only after the fence that precedes a notify.
        unsafe { core::ptr::write_volatile((self.0.virt + at as u64) as *mut u16, value) }
    }
    fn put32(&self, at: usize, value: u32) {
        // SAFETY: as in `put16`.
        unsafe { core::ptr::write_volatile((self.0.virt + at as u64) as *mut u32, value) }
    }
    fn put64(&self, at: usize, value: u64) {
        // SAFETY: as in `put16`.
        unsafe { core::ptr::write_volatile((self.0.virt + at as u64) as *mut u64, value) }
    }
    fn get16(&self, at: usize) -> u16 {
        // SAFETY: as in `put16`; the device writes the used ring, so every read is volatile.
        unsafe { core::ptr::read_volatile((self.0.virt + at as u64) as *const u16) }
    }
    fn bytes(&mut self) -> &mut [u8; 4096] {
        // SAFETY: the page is the driver's alone and 4 KiB long; the device touches it only
        // while a request is in flight, when the driver does not (it waits).
        unsafe { &mut *(self.0.virt as *mut [u8; 4096]) }
    }
}

/// The disk.
pub struct VirtioBlk {
    /// Its PCI function.
    pub pci: pci::Address,
    /// The common configuration.
    common: Registers,
    /// The queue's notify register.
    notify: Registers,
    /// The split virtqueue.
    queue: Shared,
    /// Its layout.
    layout: QueueLayout,
    /// The request header and status.
    request: Shared,
    /// The data pages of the request in flight.
    data: alloc::vec::Vec<Shared>,
    /// The next available-ring index.
    next_avail: u16,
    /// The used-ring index seen last.
    last_used: u16,
    /// Blocks of 4 KiB.
    blocks: u64,
    /// The features agreed.
    features: u64,
}

/// The first virtio-blk device on the bus, started.
pub fn probe(devices: &[Device], apic_id: u8, vector: u8) -> Result<VirtioBlk, VirtioError> {
    let device = devices
        .iter()
        .find(|d| {
            d.vendor == virtio::VENDOR
                && matches!(
                    d.device,
                    virtio::DEVICE_BLOCK_MODERN | virtio::DEVICE_BLOCK_TRANSITIONAL
                )
        })
        .ok_or(VirtioError::NotFound)?;
    device.enable();
    let find = |kind: u8| -> Result<(Registers, u32, u8), VirtioError> {
        for offset in device.capabilities(virtio::PCI_CAP_VENDOR) {
            let a = device.address;
            if a.read8(offset + cap::CFG_TYPE) != kind {
                continue;
            }
            let bar = a.read8(offset + cap::BAR);
            let at = u64::from(a.read32(offset + cap::OFFSET));
            let len = u64::from(a.read32(offset + cap::LENGTH));
            let Some(Bar::Memory { address, size }) = device.bar(bar) else {
                continue;
            };
            if at + len > size {
                return Err(VirtioError::MissingCapability(kind));
            }
            // SAFETY: the range lies inside a memory BAR of this device (checked above): device
            // registers, not RAM.
            let mapped = unsafe { mm::map_mmio_range(address + at, len) };
            let base = mapped.ok_or(VirtioError::NoMemory)?;
            let multiplier = if kind == cfg::NOTIFY {
                a.read32(offset + cap::NOTIFY_MULTIPLIER)
            } else {
                0
            };
            return Ok((Registers(base), multiplier, offset));
        }
        Err(VirtioError::MissingCapability(kind))
    };
    let (common_regs, _, _) = find(cfg::COMMON)?;
    let (notify_base, multiplier, _) = find(cfg::NOTIFY)?;
    let (device_regs, _, _) = find(cfg::DEVICE)?;
    let c = common_regs;

    // Reset, then acknowledge and say a driver is here.
    c.write8(common::DEVICE_STATUS, 0);
    while c.read8(common::DEVICE_STATUS) != 0 {
        core::hint::spin_loop();
    }
    c.write8(common::DEVICE_STATUS, status::ACKNOWLEDGE);
    c.write8(common::DEVICE_STATUS, status::ACKNOWLEDGE | status::DRIVER);
    let mut offered = 0u64;
    for half in 0..2u32 {
        c.write32(common::DEVICE_FEATURE_SELECT, half);
        offered |= u64::from(c.read32(common::DEVICE_FEATURE)) << (32 * half);
    }
    let fail = |e| {
        c.write8(common::DEVICE_STATUS, status::FAILED);
        e
    };
    let features = virtio::negotiate_block(offered).map_err(|_| fail(VirtioError::Legacy))?;
    for half in 0..2u32 {
        c.write32(common::DRIVER_FEATURE_SELECT, half);
        c.write32(common::DRIVER_FEATURE, (features >> (32 * half)) as u32);
    }
    let handshake = status::ACKNOWLEDGE | status::DRIVER | status::FEATURES_OK;
    c.write8(common::DEVICE_STATUS, handshake);
    if c.read8(common::DEVICE_STATUS) & status::FEATURES_OK == 0 {
        return Err(fail(VirtioError::FeaturesRefused));
    }

    // MSI-X: table entry 0 sends `vector` to this CPU's local APIC.
    let table = msix::table(device).ok_or_else(|| fail(VirtioError::NoMsix))?;
    let Some(Bar::Memory { address, .. }) = device.bar(table.bar) else {
        return Err(fail(VirtioError::NoMsix));
    };
    // SAFETY: the MSI-X table lies in a memory BAR of this device.
    let entries = unsafe {
        mm::map_mmio_range(
            address + table.offset,
            msix::ENTRY_SIZE * u64::from(table.size),
        )
    }
    .ok_or_else(|| fail(VirtioError::NoMemory))?;
    let entry = Registers(entries + msix::ENTRY_SIZE * u64::from(QUEUE_VECTOR));
    entry.write64(
        0,
        msix::MESSAGE_ADDRESS | (u64::from(apic_id) << msix::DESTINATION_SHIFT),
    );
    entry.write32(8, u32::from(vector));
    entry.write32(msix::VECTOR_CONTROL as usize, 0);
    msix::enable(device, &table);

    // The queue.
    c.write16(common::QUEUE_SELECT, QUEUE);
    let max = c.read16(common::QUEUE_SIZE);
    if max == 0 {
        return Err(fail(VirtioError::Queue));
    }
    let size = QUEUE_SIZE.min(max);
    let layout = QueueLayout::new(size).ok_or_else(|| fail(VirtioError::Queue))?;
    let queue = Shared(mm::dma_page().ok_or_else(|| fail(VirtioError::NoMemory))?);
    let request_page = Shared(mm::dma_page().ok_or_else(|| fail(VirtioError::NoMemory))?);
    let mut data = alloc::vec::Vec::with_capacity(MAX_RUN);
    for _ in 0..MAX_RUN {
        data.push(Shared(
            mm::dma_page().ok_or_else(|| fail(VirtioError::NoMemory))?,
        ));
    }
    c.write16(common::QUEUE_SIZE, size);
    c.write64(common::QUEUE_DESC, queue.0.phys);
    c.write64(common::QUEUE_DRIVER, queue.0.phys + layout.avail as u64);
    c.write64(common::QUEUE_DEVICE, queue.0.phys + layout.used as u64);
    c.write16(common::MSIX_CONFIG, virtio::NO_VECTOR);
    c.write16(common::QUEUE_MSIX_VECTOR, QUEUE_VECTOR);
    if c.read16(common::QUEUE_MSIX_VECTOR) != QUEUE_VECTOR {
        return Err(fail(VirtioError::NoMsix));
    }
    let notify_off = c.read16(common::QUEUE_NOTIFY_OFF);
    c.write16(common::QUEUE_ENABLE, 1);
    c.write8(common::DEVICE_STATUS, handshake | status::DRIVER_OK);

    // The capacity, in 512-byte sectors, is the device configuration's first field.
    let sectors = u64::from(device_regs.read32(0)) | (u64::from(device_regs.read32(4)) << 32);
    Ok(VirtioBlk {
        pci: device.address,
        common: c,
        notify: Registers(notify_base.0 + u64::from(notify_off) * u64::from(multiplier)),
        queue,
        layout,
        request: request_page,
        data,
        next_avail: 0,
        last_used: 0,
        blocks: sectors / SECTORS_PER_BLOCK,
        features,
    })
}

/// Called for [`crate::interrupts::vector::DISK`]: a request is done; wake its thread.
pub fn on_interrupt() {
    let waiter = WAITER.load(Ordering::Acquire);
    if let (true, Some(waiting)) = (waiter != 0, super::waiting()) {
        (waiting.wake)(waiter);
    }
}

impl VirtioBlk {
    /// Bytes on the disk.
    pub fn bytes(&self) -> u64 {
        self.blocks * diskfs::BLOCK_SIZE as u64
    }

    /// Sends one request and waits for it: `kind` at `sector`, with the first `pages` data pages
    /// (written by the device for a read).
    fn submit(&mut self, kind: u32, sector: u64, pages: usize) -> Result<(), IoError> {
        let q = &self.queue;
        let l = &self.layout;
        self.request.bytes()[..request::HEADER_SIZE]
            .copy_from_slice(&virtio::request_header(kind, sector));
        self.request.bytes()[STATUS_OFFSET as usize] = 0xFF;
        // The chain: header (device reads) → data pages → status (device writes).
        let data_flags = if kind == request::IN {
            virtio::DESC_WRITE
        } else {
            0
        };
        let chain = core::iter::once((self.request.0.phys, request::HEADER_SIZE as u32, 0u16))
            .chain(
                self.data[..pages]
                    .iter()
                    .map(|page| (page.0.phys, diskfs::BLOCK_SIZE as u32, data_flags)),
            )
            .chain(core::iter::once((
                self.request.0.phys + STATUS_OFFSET,
                1,
                virtio::DESC_WRITE,
            )));
        let n = pages + 2;
        for (i, (address, len, flags)) in chain.enumerate() {
            let at = l.desc(i as u16);
            let last = i + 1 == n;
            q.put64(at, address);
            q.put32(at + 8, len);
            q.put16(at + 12, flags | if last { 0 } else { virtio::DESC_NEXT });
            q.put16(at + 14, if last { 0 } else { i as u16 + 1 });
        }
        q.put16(l.avail_entry(self.next_avail), 0);
        // The descriptors and the entry before the index that publishes them, and the index
        // before the notify (spec §2.7.13).
        fence(Ordering::SeqCst);
        self.next_avail = self.next_avail.wrapping_add(1);
        let waiting =
            super::waiting().filter(|_| ::x86_64::instructions::interrupts::are_enabled());
        if let Some(waiting) = waiting {
            WAITER.store((waiting.current)(), Ordering::Release);
        }
        q.put16(l.avail_idx(), self.next_avail);
        fence(Ordering::SeqCst);
        self.notify.write16(0, QUEUE);
        let done = |q: &Shared| q.get16(l.used_idx()) != self.last_used;
        if let Some(waiting) = waiting {
            while !done(q) {
                (waiting.block_until)(&|| done(q));
            }
            WAITER.store(0, Ordering::Release);
        } else {
            let mut polls = 0u64;
            while !done(q) {
                polls += 1;
                if polls > POLL_LIMIT {
                    log::error!("virtio-blk: no completion after {POLL_LIMIT} polls");
                    return Err(IoError);
                }
                core::hint::spin_loop();
            }
        }
        fence(Ordering::SeqCst);
        self.last_used = self.last_used.wrapping_add(1);
        match self.request.bytes()[STATUS_OFFSET as usize] {
            request::STATUS_OK => Ok(()),
            code => {
                let device = self.common.read8(common::DEVICE_STATUS);
                let reset = if device & status::NEEDS_RESET != 0 {
                    " (the device needs a reset)"
                } else {
                    ""
                };
                log::error!(
                    "virtio-blk: request {kind} at sector {sector} failed: status {code}{reset}"
                );
                Err(IoError)
            }
        }
    }
}

impl BlockDevice for VirtioBlk {
    fn block_count(&self) -> u64 {
        self.blocks
    }

    fn read(&mut self, block: u32, buf: &mut Block) -> Result<(), IoError> {
        self.read_run(block, buf)
    }

    fn write(&mut self, block: u32, buf: &Block) -> Result<(), IoError> {
        self.write_run(block, &[buf])
    }

    fn flush(&mut self) -> Result<(), IoError> {
        if self.features & feature::BLK_FLUSH == 0 {
            return Ok(()); // no write cache: every write is already durable
        }
        self.submit(request::FLUSH, 0, 0)
    }

    fn max_run(&self) -> usize {
        MAX_RUN
    }

    fn read_run(&mut self, first: u32, bytes: &mut [u8]) -> Result<(), IoError> {
        let count = bytes.len() / diskfs::BLOCK_SIZE;
        if count == 0 || count > MAX_RUN || u64::from(first) + count as u64 > self.blocks {
            return Err(IoError);
        }
        self.submit(request::IN, u64::from(first) * SECTORS_PER_BLOCK, count)?;
        for (chunk, page) in bytes
            .chunks_exact_mut(diskfs::BLOCK_SIZE)
            .zip(&mut self.data)
        {
            chunk.copy_from_slice(page.bytes());
        }
        Ok(())
    }

    fn write_run(&mut self, first: u32, blocks: &[&Block]) -> Result<(), IoError> {
        let count = blocks.len();
        if count == 0 || count > MAX_RUN || u64::from(first) + count as u64 > self.blocks {
            return Err(IoError);
        }
        for (block, page) in blocks.iter().zip(&mut self.data) {
            page.bytes().copy_from_slice(*block);
        }
        self.submit(request::OUT, u64::from(first) * SECTORS_PER_BLOCK, count)
    }
}
