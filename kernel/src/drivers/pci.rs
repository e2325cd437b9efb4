//! PCI: finding the devices on the bus, reading what they are and where their registers are,
//! and turning on the parts a driver needs.
//!
//! Every PCI function has a 256-byte *configuration space*: who made it (vendor and device
//! ids), what it is (class), where its registers are (the *base address registers*, BARs, which
//! the firmware filled in), and a linked list of *capabilities* (MSI-X among them). On a PC the
//! configuration space is reached through two I/O ports, "configuration mechanism #1": write
//! the function's address to `CONFIG_ADDRESS` (0xCF8), then read or write 32 bits at
//! `CONFIG_DATA` (0xCFC). (PCI Express adds a memory-mapped window, ECAM, that QEMU's `pc`
//! machine does not have; the ports work everywhere.)
//!
//! Enumeration starts at bus 0 and follows PCI-to-PCI bridges to the buses behind them; a
//! device answers vendor `0xFFFF` where nothing is. A device whose header says it is
//! multi-function has up to eight functions, each its own device to a driver.

use ::x86_64::instructions::port::Port;
use alloc::vec::Vec;
use spin::Mutex;

/// The address port: enable bit, bus, device, function, register.
const CONFIG_ADDRESS: u16 = 0xCF8;
/// The data port: the 32 bits at the address last written.
const CONFIG_DATA: u16 = 0xCFC;
/// `CONFIG_ADDRESS`'s enable bit.
const CONFIG_ENABLE: u32 = 1 << 31;

/// Configuration-space offsets (the header common to every type, and type 0's BARs).
pub mod reg {
    /// Vendor id (16 bits); `0xFFFF` where no function is.
    pub const VENDOR: u8 = 0x00;
    /// Device id (16 bits).
    pub const DEVICE: u8 = 0x02;
    /// Command register (16 bits).
    pub const COMMAND: u8 = 0x04;
    /// Status register (16 bits).
    pub const STATUS: u8 = 0x06;
    /// Programming interface, subclass, class (bytes 9, 10, 11).
    pub const CLASS: u8 = 0x08;
    /// Header type (8 bits): layout in bits 0-6, multi-function in bit 7.
    pub const HEADER_TYPE: u8 = 0x0E;
    /// The first base address register.
    pub const BAR0: u8 = 0x10;
    /// A bridge's secondary bus number (type 1 header).
    pub const SECONDARY_BUS: u8 = 0x19;
    /// The offset of the first capability (8 bits).
    pub const CAPABILITIES: u8 = 0x34;
    /// The interrupt pin (8 bits): 0 none, 1-4 INTA-INTD.
    pub const INTERRUPT_PIN: u8 = 0x3D;
}

/// Command register bits.
pub mod command {
    /// The device answers memory accesses to its BARs.
    pub const MEMORY: u16 = 1 << 1;
    /// The device may read and write memory itself (DMA).
    pub const BUS_MASTER: u16 = 1 << 2;
    /// The device's legacy INTx line is off.
    pub const INTX_DISABLE: u16 = 1 << 10;
}

/// The status register's "has a capability list" bit.
const STATUS_CAPABILITIES: u16 = 1 << 4;
/// Header type bit: more functions than function 0.
const MULTI_FUNCTION: u8 = 0x80;
/// Header layout 1: a PCI-to-PCI bridge.
const HEADER_BRIDGE: u8 = 0x01;
/// Class and subclass of a PCI-to-PCI bridge.
const CLASS_BRIDGE: (u8, u8) = (0x06, 0x04);
/// Devices on a bus.
const DEVICES_PER_BUS: u8 = 32;
/// Functions in a device.
const FUNCTIONS: u8 = 8;
/// BARs in a type 0 header.
pub const BAR_COUNT: u8 = 6;
/// A BAR's "I/O space" bit.
const BAR_IO: u32 = 1;
/// A memory BAR's type field: 64-bit.
const BAR_64: u32 = 0b100;
/// Capability id: MSI-X.
pub const CAP_MSIX: u8 = 0x11;

/// The ports; taken for each access, so two threads never interleave an address and its data.
static PORTS: Mutex<()> = Mutex::new(());

/// One function's place on the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Address {
    /// Bus number.
    pub bus: u8,
    /// Device number (0-31).
    pub device: u8,
    /// Function number (0-7).
    pub function: u8,
}

impl Address {
    /// The 32 bits written to `CONFIG_ADDRESS` for register `offset` (rounded down to 4).
    fn config_address(&self, offset: u8) -> u32 {
        CONFIG_ENABLE
            | (u32::from(self.bus) << 16)
            | (u32::from(self.device) << 11)
            | (u32::from(self.function) << 8)
            | u32::from(offset & 0xFC)
    }

    /// Reads the 32 bits at `offset` (a multiple of 4).
    pub fn read32(&self, offset: u8) -> u32 {
        // Interrupts off while the lock is held: a thread preempted between the two port
        // accesses would keep every other thread spinning on the lock for a time slice.
        ::x86_64::instructions::interrupts::without_interrupts(|| {
            let _ports = PORTS.lock();
            // SAFETY: 0xCF8/0xCFC are the PC's configuration ports; selecting a register and
            // reading it has no side effect on the registers this kernel reads.
            unsafe {
                Port::<u32>::new(CONFIG_ADDRESS).write(self.config_address(offset));
                Port::<u32>::new(CONFIG_DATA).read()
            }
        })
    }

    /// Writes the 32 bits at `offset` (a multiple of 4).
    pub fn write32(&self, offset: u8, value: u32) {
        ::x86_64::instructions::interrupts::without_interrupts(|| {
            let _ports = PORTS.lock();
            // SAFETY: as in `read32`; the callers write only registers whose effect they own
            // (the command register, MSI-X control).
            unsafe {
                Port::<u32>::new(CONFIG_ADDRESS).write(self.config_address(offset));
                Port::<u32>::new(CONFIG_DATA).write(value);
            }
        })
    }

    /// Reads the 16 bits at `offset` (even).
    pub fn read16(&self, offset: u8) -> u16 {
        (self.read32(offset) >> (8 * (offset & 2))) as u16
    }

    /// Reads the byte at `offset`.
    pub fn read8(&self, offset: u8) -> u8 {
        (self.read32(offset) >> (8 * (offset & 3))) as u8
    }

    /// Writes the 16 bits at `offset` (even), keeping the other half of the word.
    pub fn write16(&self, offset: u8, value: u16) {
        let shift = 8 * (offset & 2);
        let word = self.read32(offset) & !(0xFFFF << shift);
        self.write32(offset, word | (u32::from(value) << shift));
    }
}

impl core::fmt::Display for Address {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{:02x}:{:02x}.{}", self.bus, self.device, self.function)
    }
}

/// Where a BAR's registers are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bar {
    /// Memory at this physical address, this many bytes long.
    Memory {
        /// Its physical address.
        address: u64,
        /// Its size.
        size: u64,
    },
    /// I/O ports from this one.
    Io(u16),
}

/// A function found on the bus.
#[derive(Debug, Clone, Copy)]
pub struct Device {
    /// Where it is.
    pub address: Address,
    /// Who made it.
    pub vendor: u16,
    /// Which device of theirs.
    pub device: u16,
    /// Class, subclass, programming interface.
    pub class: (u8, u8, u8),
}

impl Device {
    /// BAR `index`, sized by the classic probe (write all ones, read back which bits stick);
    /// `None` if unused. Memory decoding is turned off during the probe, so the device never
    /// answers at the all-ones address.
    pub fn bar(&self, index: u8) -> Option<Bar> {
        let a = self.address;
        let offset = reg::BAR0 + 4 * index;
        let low = a.read32(offset);
        if low & BAR_IO != 0 {
            let port = (low & !0b11) as u16;
            return (port != 0).then_some(Bar::Io(port));
        }
        let wide = low & 0b110 == BAR_64 && index + 1 < BAR_COUNT;
        let high = if wide { a.read32(offset + 4) } else { 0 };
        let command = a.read16(reg::COMMAND);
        a.write16(reg::COMMAND, command & !command::MEMORY);
        a.write32(offset, !0);
        let mut mask = u64::from(a.read32(offset) & !0xF);
        a.write32(offset, low);
        if wide {
            a.write32(offset + 4, !0);
            mask |= u64::from(a.read32(offset + 4)) << 32;
            a.write32(offset + 4, high);
        } else {
            mask |= 0xFFFF_FFFF_0000_0000;
        }
        a.write16(reg::COMMAND, command);
        let address = u64::from(low & !0xF) | (u64::from(high) << 32);
        let size = (!mask).wrapping_add(1);
        (address != 0 && size != 0).then_some(Bar::Memory { address, size })
    }

    /// The offsets of its capabilities with id `id`, in list order.
    pub fn capabilities(&self, id: u8) -> Vec<u8> {
        let a = self.address;
        let mut found = Vec::new();
        if a.read16(reg::STATUS) & STATUS_CAPABILITIES == 0 {
            return found;
        }
        let mut offset = a.read8(reg::CAPABILITIES) & 0xFC;
        // A list longer than the space can hold is a loop: stop.
        for _ in 0..48 {
            if offset < 0x40 {
                break;
            }
            if a.read8(offset) == id {
                found.push(offset);
            }
            offset = a.read8(offset + 1) & 0xFC;
        }
        found
    }

    /// Lets the device answer at its memory BARs and do DMA, with INTx off (MSI-X instead).
    pub fn enable(&self) {
        let command = self.address.read16(reg::COMMAND);
        self.address.write16(
            reg::COMMAND,
            command | command::MEMORY | command::BUS_MASTER | command::INTX_DISABLE,
        );
    }
}

/// Every function on every bus reachable from bus 0.
pub fn enumerate() -> Vec<Device> {
    let mut found = Vec::new();
    let mut buses = alloc::vec![0u8];
    let mut seen = [false; 256];
    while let Some(bus) = buses.pop() {
        if core::mem::replace(&mut seen[bus as usize], true) {
            continue;
        }
        for device in 0..DEVICES_PER_BUS {
            for function in 0..FUNCTIONS {
                let address = Address {
                    bus,
                    device,
                    function,
                };
                let vendor = address.read16(reg::VENDOR);
                if vendor == 0xFFFF {
                    if function == 0 {
                        break; // no device here at all
                    }
                    continue;
                }
                let class_word = address.read32(reg::CLASS);
                let class = (
                    (class_word >> 24) as u8,
                    (class_word >> 16) as u8,
                    (class_word >> 8) as u8,
                );
                let header = address.read8(reg::HEADER_TYPE);
                if header & 0x7F == HEADER_BRIDGE && (class.0, class.1) == CLASS_BRIDGE {
                    buses.push(address.read8(reg::SECONDARY_BUS));
                }
                found.push(Device {
                    address,
                    vendor,
                    device: address.read16(reg::DEVICE),
                    class,
                });
                if function == 0 && header & MULTI_FUNCTION == 0 {
                    break;
                }
            }
        }
    }
    found
}

/// MSI-X: the device writes a message to the local APIC's address instead of raising a pin.
///
/// The capability says where the *table* is (a BAR and an offset); each 16-byte entry holds a
/// message address, the data to write there, and a mask bit. The message address 0xFEE00000
/// with the destination APIC id in bits 12-19 and the data holding the vector make the write an
/// interrupt on that CPU (SDM Vol. 3A §11.11, "Message signalled interrupts").
pub mod msix {
    use super::Device;

    /// Message control (16 bits, at the capability + 2): table size - 1 in bits 0-10.
    const CONTROL: u8 = 2;
    /// Table offset and BAR (32 bits at + 4): BAR in bits 0-2.
    const TABLE: u8 = 4;
    /// Control bit: MSI-X on.
    const ENABLE: u16 = 1 << 15;
    /// Control bit: every vector masked.
    const FUNCTION_MASK: u16 = 1 << 14;
    /// Bytes in a table entry.
    pub const ENTRY_SIZE: u64 = 16;
    /// The local APIC's message address.
    pub const MESSAGE_ADDRESS: u64 = 0xFEE0_0000;
    /// Where the destination APIC id goes in the address.
    pub const DESTINATION_SHIFT: u32 = 12;
    /// An entry's vector-control word: bit 0 masks it.
    pub const VECTOR_CONTROL: u64 = 12;

    /// Where a device's MSI-X table is.
    #[derive(Debug, Clone, Copy)]
    pub struct Table {
        /// The capability's offset.
        pub capability: u8,
        /// Which BAR holds the table.
        pub bar: u8,
        /// Where in that BAR.
        pub offset: u64,
        /// Entries.
        pub size: u16,
    }

    /// The device's MSI-X table, if it has the capability.
    pub fn table(device: &Device) -> Option<Table> {
        let capability = *device.capabilities(super::CAP_MSIX).first()?;
        let control = device.address.read16(capability + CONTROL);
        let table = device.address.read32(capability + TABLE);
        Some(Table {
            capability,
            bar: (table & 0b111) as u8,
            offset: u64::from(table & !0b111),
            size: (control & 0x7FF) + 1,
        })
    }

    /// Turns MSI-X on (with no vector masked as a whole; each entry keeps its own mask).
    pub fn enable(device: &Device, table: &Table) {
        let a = device.address;
        let control = a.read16(table.capability + CONTROL);
        a.write16(
            table.capability + CONTROL,
            (control | ENABLE) & !FUNCTION_MASK,
        );
    }
}
