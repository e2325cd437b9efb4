//! The CMOS real-time clock: the date and time, read once at boot.
//!
//! Every PC keeps the calendar in a battery-backed Motorola MC146818-compatible clock, reached
//! through two I/O ports: write a register's number to port 0x70, then read its value from port
//! 0x71. The date is six registers (seconds, minutes, hours, day of month, month, year within
//! the century), and status register B says how they are encoded: binary-coded decimal or
//! binary, 12- or 24-hour (datasheet, "Register B"). Firmware almost always leaves them BCD and
//! 24-hour, but the decoding (in the host-tested `calendar` crate) handles every combination.
//!
//! The clock updates its registers once a second, and a read in the middle of that update can
//! mix two seconds (59 seconds of the old minute with the new minute: a minute off). Status
//! register A's update-in-progress bit is set for the 244 µs before an update; so the driver
//! waits for it to clear, reads everything, and reads again until two readings agree.
//!
//! Ferrite reads the clock only at boot: [`crate::time`] keeps the result as the boot's Unix
//! time and counts on from it with the TSC, which is far finer than the RTC's one second. The
//! clock is taken to be UTC (QEMU's default, `-rtc base=utc`; Linux's too) and its century to be
//! the 21st: the century register is only found through the ACPI FADT, and no PC clock still
//! set is from before 2000. Port 0x70's top bit masks NMIs; like Linux, the driver leaves it 0.

use ::x86_64::instructions::port::{Port, PortWriteOnly};
use calendar::{DateTime, RtcError, RtcRegisters};

/// Port that selects a CMOS register.
const SELECT: u16 = 0x70;
/// Port that reads (or writes) the selected register.
const DATA: u16 = 0x71;
/// Register: seconds.
const SECONDS: u8 = 0x00;
/// Register: minutes.
const MINUTES: u8 = 0x02;
/// Register: hours (top bit: PM, in 12-hour form).
const HOURS: u8 = 0x04;
/// Register: day of the month.
const DAY: u8 = 0x07;
/// Register: month.
const MONTH: u8 = 0x08;
/// Register: year within the century.
const YEAR: u8 = 0x09;
/// Status register A: bit 7 is "update in progress".
const STATUS_A: u8 = 0x0a;
/// Status register B: the encoding (`calendar::RTC_BINARY`, `calendar::RTC_24_HOUR`).
const STATUS_B: u8 = 0x0b;
/// Status register A's update-in-progress bit.
const UPDATE_IN_PROGRESS: u8 = 1 << 7;
/// The most times the registers are read while waiting for two readings to agree; a clock
/// that never agrees with itself is broken.
const MAX_READINGS: usize = 10;
/// The most polls of the update-in-progress bit: the update takes under 2 ms, and a poll is a
/// port read of about a microsecond, so this is far more than a working clock needs.
const MAX_UPDATE_POLLS: usize = 100_000;

/// Why the clock could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// The update-in-progress bit never cleared, or two readings never agreed.
    NeverSettled,
    /// The registers do not hold a date (no clock there, or a dead battery).
    Invalid(RtcError),
}

/// Reads CMOS register `register`.
fn read_register(register: u8) -> u8 {
    let mut select = PortWriteOnly::<u8>::new(SELECT);
    let mut data = Port::<u8>::new(DATA);
    // SAFETY: ports 0x70 and 0x71 are the CMOS index and data ports on every PC; selecting a
    // register below 0x80 leaves NMIs enabled, and reading a clock register changes nothing.
    // Only this driver uses the ports, once, at boot.
    unsafe {
        select.write(register);
        data.read()
    }
}

/// Whether the clock is about to update its registers (status register A).
pub fn updating() -> bool {
    read_register(STATUS_A) & UPDATE_IN_PROGRESS != 0
}

/// One reading of the date registers, after waiting for any update to finish.
fn read_registers() -> Result<RtcRegisters, Error> {
    if !(0..MAX_UPDATE_POLLS).any(|_| !updating()) {
        return Err(Error::NeverSettled);
    }
    Ok(RtcRegisters {
        seconds: read_register(SECONDS),
        minutes: read_register(MINUTES),
        hours: read_register(HOURS),
        day: read_register(DAY),
        month: read_register(MONTH),
        year: read_register(YEAR),
        century: None,
        status_b: read_register(STATUS_B),
    })
}

/// The date and time the clock holds, in UTC.
pub fn read() -> Result<DateTime, Error> {
    let mut previous = read_registers()?;
    for _ in 0..MAX_READINGS {
        let current = read_registers()?;
        if current == previous {
            return current.decode().map_err(Error::Invalid);
        }
        previous = current;
    }
    Err(Error::NeverSettled)
}
