//! The 8253/8254 programmable interval timer: the one clock on a PC whose frequency is known.
//!
//! The PIT counts down at 1.193182 MHz (a third of the original PC's 14.31818 MHz colour-burst
//! crystal, divided by four), on every PC since 1981 and in every emulator. Ferrite does not use
//! it for ticks (the local APIC timer does that), only as a ruler: a [`Stopwatch`] on channel 2
//! counts PIT cycles while the kernel goes on with its work, and [`crate::time`] counts the TSC
//! across the same interval to learn its frequency.
//!
//! Channel 2 is the one meant for this: it is wired to the PC speaker, and its *gate* input and
//! its *output* can be driven and read through port 0x61, so software can start it and see it
//! finish without any interrupt. In mode 0 ("interrupt on terminal count") the output goes high
//! when the count reaches zero (8254 datasheet, "Mode 0").

use ::x86_64::instructions::port::{Port, PortWriteOnly};

/// The PIT's input clock, in Hz.
pub const FREQUENCY_HZ: u64 = 1_193_182;

/// Channel 2's data port.
const CHANNEL2_DATA: u16 = 0x42;
/// The mode/command register.
const COMMAND: u16 = 0x43;
/// The PC's system control port B: speaker gate and data, and the PIT's channel 2 output.
const CONTROL_B: u16 = 0x61;
/// Port B bit 0: channel 2's gate (counting is enabled while it is high).
const GATE2: u8 = 1 << 0;
/// Port B bit 1: connects channel 2's output to the speaker. Kept clear: silence.
const SPEAKER: u8 = 1 << 1;
/// Port B bit 5: channel 2's output, readable.
const OUT2: u8 = 1 << 5;
/// Command: channel 2 (bits 6-7 = 10), low then high byte (bits 4-5 = 11), mode 0 (bits 1-3 =
/// 000), binary counting (bit 0 = 0).
const CHANNEL2_MODE0_LOHI: u8 = 0b1011_0000;
/// Command: channel 2 (bits 6-7 = 10), "counter latch" (bits 4-5 = 00): the count is copied
/// to the output latch, so the two byte reads that follow see one consistent value.
const CHANNEL2_LATCH: u8 = 0b1000_0000;
/// The count a [`Stopwatch`] starts from: the largest, 65535 cycles, about 55 ms.
const FULL_COUNT: u16 = u16::MAX;

/// Channel 2 counting down from [`FULL_COUNT`] while the kernel does other work; read without
/// waiting. In mode 0 the output goes high when the count passes zero, so a reading can tell
/// that more than the whole count has gone by (and then says nothing more precise).
pub struct Stopwatch {
    /// Port B as it was, with the gate and the speaker off.
    idle: u8,
}

impl Stopwatch {
    /// Starts counting now.
    pub fn start() -> Self {
        let mut control = Port::<u8>::new(CONTROL_B);
        let mut command = PortWriteOnly::<u8>::new(COMMAND);
        let mut data = PortWriteOnly::<u8>::new(CHANNEL2_DATA);
        // SAFETY: ports 0x42, 0x43 and 0x61 are the PIT's channel 2 and the PC's control port B,
        // as on every PC; the writes program channel 2 (which only drives the speaker, and the
        // speaker is disconnected here) and its gate. Other bits of port B are written back.
        unsafe {
            let idle = control.read() & !(GATE2 | SPEAKER);
            control.write(idle);
            command.write(CHANNEL2_MODE0_LOHI);
            data.write(FULL_COUNT as u8);
            data.write((FULL_COUNT >> 8) as u8);
            control.write(idle | GATE2);
            Self { idle }
        }
    }

    /// PIT cycles since [`Self::start`], or `None` once the whole count has run out.
    pub fn elapsed(&self) -> Option<u16> {
        let mut control = Port::<u8>::new(CONTROL_B);
        let mut command = PortWriteOnly::<u8>::new(COMMAND);
        let mut data = Port::<u8>::new(CHANNEL2_DATA);
        // SAFETY: latching and reading channel 2's count and port B changes nothing but the
        // latch, which only this code reads.
        let (count, expired) = unsafe {
            command.write(CHANNEL2_LATCH);
            let low = data.read();
            let high = data.read();
            // The output after the count: if it is high now, the count read may have wrapped.
            (u16::from_le_bytes([low, high]), control.read() & OUT2 != 0)
        };
        (!expired).then_some(FULL_COUNT - count)
    }

    /// Stops channel 2.
    pub fn stop(self) {
        let mut control = Port::<u8>::new(CONTROL_B);
        // SAFETY: port B, written back as it was with the gate off.
        unsafe { control.write(self.idle) };
    }
}
