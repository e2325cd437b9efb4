//! QEMU's firmware configuration device: reads the small files the host passes with
//! `-fw_cfg name=opt/...,string=...` (the layout is decoded by the host-tested `fwcfg` crate).
//!
//! The device is QEMU's, not a PC's: on real hardware the signature check fails and every read
//! says "no such file", which is what a kernel should assume there.

use ::x86_64::instructions::port::{Port, PortWriteOnly};
use fwcfg::{DirEntry, DIR_ENTRY_SIZE, FILE_DIR_KEY, SIGNATURE, SIGNATURE_KEY};

/// The selector port (16-bit writes): which item the data port reads.
const SELECTOR_PORT: u16 = 0x510;
/// The data port (8-bit reads): the selected item's next byte.
const DATA_PORT: u16 = 0x511;

/// The device's two ports. Each read selects its item afresh, so no state is kept between
/// calls; callers must not interleave reads (boot-time use only, before other threads run).
struct FwCfg {
    selector: PortWriteOnly<u16>,
    data: Port<u8>,
}

impl FwCfg {
    fn new() -> FwCfg {
        FwCfg {
            selector: PortWriteOnly::new(SELECTOR_PORT),
            data: Port::new(DATA_PORT),
        }
    }

    /// Selects item `key` and fills `buf` with its first bytes.
    fn read(&mut self, key: u16, buf: &mut [u8]) {
        // SAFETY: 0x510/0x511 are QEMU's fw_cfg ports on x86; selecting an item and reading
        // bytes has no effect beyond the device's read position. Where no device answers, reads
        // return 0xFF and writes go nowhere.
        unsafe {
            self.selector.write(key);
            for byte in buf.iter_mut() {
                *byte = self.data.read();
            }
        }
    }

    /// Reads the selected item's next bytes into `buf`.
    fn next_bytes(&mut self, buf: &mut [u8]) {
        for byte in buf.iter_mut() {
            // SAFETY: as in `read`: reading the data port only advances the read position.
            *byte = unsafe { self.data.read() };
        }
    }
}

/// Reads the fw_cfg file `name` into `buf`; returns its contents (at most `buf.len()` bytes),
/// or `None` if there is no fw_cfg device or no such file.
pub fn read_file<'a>(name: &str, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let mut device = FwCfg::new();
    let mut signature = [0; SIGNATURE.len()];
    device.read(SIGNATURE_KEY, &mut signature);
    if signature != SIGNATURE {
        return None;
    }
    let mut count = [0; 4];
    device.read(FILE_DIR_KEY, &mut count);
    let mut found = None;
    for _ in 0..fwcfg::dir_count(count) {
        let mut record = [0; DIR_ENTRY_SIZE];
        device.next_bytes(&mut record);
        if let Some(entry) = DirEntry::parse(&record).filter(|e| e.name() == name) {
            found = Some(entry);
            break;
        }
    }
    let entry = found?;
    let len = buf.len().min(entry.size as usize);
    device.read(entry.select, &mut buf[..len]);
    Some(&buf[..len])
}
