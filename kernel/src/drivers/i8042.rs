//! The 8042 keyboard controller: two I/O ports, a status byte, and a handful of commands.
//!
//! The PS/2 keyboard does not talk to the CPU directly; the 8042 controller (long since a part
//! of the chipset, and emulated by QEMU) sits between them. Port 0x60 carries data both ways,
//! port 0x64 reads the controller's status and takes its commands. Two status bits govern every
//! exchange: *output full* (a byte waits for the CPU) and *input full* (the controller has not
//! yet taken the CPU's last byte). The keyboard driver uses the controller to configure itself
//! and read scancodes; power management uses it to pulse the CPU's reset line, the way PCs have
//! restarted since the IBM PC/AT. Both go through [`I8042`], the one owner of the two ports.

use ::x86_64::instructions::port::Port;

/// The data port: scancodes in, command data out.
const DATA: u16 = 0x60;
/// Reading: the status register. Writing: a controller command.
const STATUS_COMMAND: u16 = 0x64;
/// Status bit 0: a byte is waiting in the output buffer (for the CPU to read).
const OUTPUT_FULL: u8 = 1 << 0;
/// Status bit 1: the input buffer is full (the controller has not taken the last byte yet).
const INPUT_FULL: u8 = 1 << 1;
/// How many status polls to wait for the controller before giving up.
const POLL_LIMIT: u32 = 100_000;

/// Commands the kernel sends.
pub mod command {
    /// Read the configuration byte (it arrives on the data port).
    pub const READ_CONFIG: u8 = 0x20;
    /// Write the configuration byte (send it on the data port next).
    pub const WRITE_CONFIG: u8 = 0x60;
    /// Pulse the CPU's reset line.
    pub const PULSE_RESET: u8 = 0xFE;
}

/// The controller did not become ready within the poll limit (there may be none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoAnswer;

/// The controller's two ports.
pub struct I8042 {
    data: Port<u8>,
    status_command: Port<u8>,
}

impl I8042 {
    /// A handle on the controller's ports.
    ///
    /// # Safety
    ///
    /// The machine must be a PC (ports 0x60 and 0x64 belong to the 8042), and exchanges through
    /// two handles must not interleave: the kernel uses it at boot, in the keyboard's interrupt
    /// handler and to reboot, each with interrupts off.
    pub const unsafe fn new() -> I8042 {
        I8042 {
            data: Port::new(DATA),
            status_command: Port::new(STATUS_COMMAND),
        }
    }

    fn status(&mut self) -> u8 {
        // SAFETY: reading the 8042 status register has no side effects.
        unsafe { self.status_command.read() }
    }

    fn wait_until(&mut self, ready: impl Fn(u8) -> bool) -> Result<(), NoAnswer> {
        (0..POLL_LIMIT)
            .find(|_| ready(self.status()))
            .map(|_| ())
            .ok_or(NoAnswer)
    }

    /// Whether a byte waits in the output buffer.
    pub fn has_data(&mut self) -> bool {
        self.status() & OUTPUT_FULL != 0
    }

    /// Sends a controller command once it can take one.
    pub fn command(&mut self, byte: u8) -> Result<(), NoAnswer> {
        self.wait_until(|s| s & INPUT_FULL == 0)?;
        // SAFETY: a documented 8042 command, written when the controller is ready for it.
        unsafe { self.status_command.write(byte) };
        Ok(())
    }

    /// Waits for a byte in the output buffer and takes it.
    pub fn read_data(&mut self) -> Result<u8, NoAnswer> {
        self.wait_until(|s| s & OUTPUT_FULL != 0)?;
        Ok(self.take_data())
    }

    /// Takes the byte in the output buffer without waiting: for the interrupt handler, which
    /// runs because one is there (and must read it, or no further interrupt comes).
    pub fn take_data(&mut self) -> u8 {
        // SAFETY: reading port 0x60 takes the waiting byte (or returns a stale one if none).
        unsafe { self.data.read() }
    }

    /// Sends a command's data byte once the controller can take it.
    pub fn write_data(&mut self, byte: u8) -> Result<(), NoAnswer> {
        self.wait_until(|s| s & INPUT_FULL == 0)?;
        // SAFETY: the data byte of a command just sent, written when the controller is ready.
        unsafe { self.data.write(byte) };
        Ok(())
    }

    /// Pulses the CPU's reset line: the machine restarts. Sent even if the controller never
    /// reports ready, since the caller has nothing better to try first.
    pub fn pulse_reset(&mut self) {
        let _ = self.wait_until(|s| s & INPUT_FULL == 0);
        // SAFETY: the documented reset command; resetting the machine is what the caller wants.
        unsafe { self.status_command.write(command::PULSE_RESET) };
    }
}
