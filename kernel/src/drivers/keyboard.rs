//! The PS/2 keyboard: scancodes from the i8042 controller, decoded into keys.
//!
//! The PC's keyboard controller (the Intel 8042, emulated by QEMU and by the chipset of real PCs,
//! which often fake it over USB) has a data port (0x60), a status/command port (0x64), and raises
//! ISA IRQ 1 when a byte from the keyboard is waiting. Each byte is part of a *scancode*: which
//! physical key went down or up, in "scancode set 1" after the controller's translation, which
//! the firmware leaves on. Turning key positions into characters depends on the keyboard's layout
//! and on the modifier keys held; the `pc-keyboard` crate does that, for several layouts.
//!
//! [`init`] makes sure the controller will interrupt (the configuration byte's IRQ 1 enable bit,
//! which UEFI firmware may leave off because it polls) and empties its buffer. [`on_interrupt`]
//! runs in the IRQ handler: it reads one byte, feeds the decoder, and pushes a finished key onto
//! the input queue. The decoder's state is only touched there (and, for a layout change, with
//! interrupts off), so its lock is never contended.

use crate::input;
use ::x86_64::instructions::port::Port;
use lineedit::Key;
use pc_keyboard::layouts::{AnyLayout, Azerty, De105Key, Dvorak104Key, Uk105Key, Us104Key};
use pc_keyboard::{DecodedKey, HandleControl, KeyCode, Keyboard, ScancodeSet1};
use spin::Mutex;

/// The controller's data port: scancodes in, data for commands.
const DATA: u16 = 0x60;
/// Reading: the status register. Writing: a controller command.
const STATUS_COMMAND: u16 = 0x64;
/// Status bit 0: a byte is waiting in the output buffer (for us to read).
const OUTPUT_FULL: u8 = 1 << 0;
/// Status bit 1: the input buffer is full (the controller has not taken our last byte yet).
const INPUT_FULL: u8 = 1 << 1;
/// Command: read the configuration byte.
const READ_CONFIG: u8 = 0x20;
/// Command: write the configuration byte.
const WRITE_CONFIG: u8 = 0x60;
/// Configuration bit 0: IRQ 1 when the first (keyboard) port has a byte.
const CONFIG_IRQ1: u8 = 1 << 0;
/// Configuration bit 4: the first port's clock is disabled.
const CONFIG_CLOCK_DISABLED: u8 = 1 << 4;
/// Configuration bit 6: translate to scancode set 1.
const CONFIG_TRANSLATE: u8 = 1 << 6;
/// How many status polls to wait for the controller before giving up.
const POLL_LIMIT: u32 = 100_000;
/// Most stale bytes drained from the buffer at start.
const DRAIN_LIMIT: u32 = 32;

/// The layouts the console offers, by the name `keymap` takes.
pub const LAYOUTS: [&str; 5] = ["us", "uk", "de", "azerty", "dvorak"];

/// The layout used at boot: `FERRITE_KEYMAP` when the kernel was built, else US.
pub const DEFAULT_LAYOUT: &str = match option_env!("FERRITE_KEYMAP") {
    Some(name) => name,
    None => "us",
};

fn layout(name: &str) -> Option<AnyLayout> {
    Some(match name {
        "us" => AnyLayout::Us104Key(Us104Key),
        "uk" => AnyLayout::Uk105Key(Uk105Key),
        "de" => AnyLayout::De105Key(De105Key),
        "azerty" => AnyLayout::Azerty(Azerty),
        "dvorak" => AnyLayout::Dvorak104Key(Dvorak104Key),
        _ => return None,
    })
}

/// The decoder and the name of its layout. Taken in the IRQ handler, and with interrupts off
/// elsewhere.
static KEYBOARD: Mutex<Option<(Keyboard<AnyLayout, ScancodeSet1>, &'static str)>> =
    Mutex::new(None);

/// Why the keyboard could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyboardError {
    /// The controller did not answer in time (there may be none).
    NoController,
    /// `FERRITE_KEYMAP` names no layout Ferrite knows.
    UnknownLayout,
}

fn status() -> u8 {
    // SAFETY: reading the 8042 status register has no side effects.
    unsafe { Port::<u8>::new(STATUS_COMMAND).read() }
}

fn wait_until(ready: impl Fn(u8) -> bool) -> Result<(), KeyboardError> {
    (0..POLL_LIMIT)
        .find(|_| ready(status()))
        .map(|_| ())
        .ok_or(KeyboardError::NoController)
}

fn command(byte: u8) -> Result<(), KeyboardError> {
    wait_until(|s| s & INPUT_FULL == 0)?;
    // SAFETY: a documented 8042 command, written when the controller is ready for it.
    unsafe { Port::<u8>::new(STATUS_COMMAND).write(byte) };
    Ok(())
}

fn read_data() -> Result<u8, KeyboardError> {
    wait_until(|s| s & OUTPUT_FULL != 0)?;
    // SAFETY: a byte is waiting (status bit 0); reading port 0x60 takes it.
    Ok(unsafe { Port::<u8>::new(DATA).read() })
}

fn write_data(byte: u8) -> Result<(), KeyboardError> {
    wait_until(|s| s & INPUT_FULL == 0)?;
    // SAFETY: the data byte of a command just sent, written when the controller is ready.
    unsafe { Port::<u8>::new(DATA).write(byte) };
    Ok(())
}

/// Sets the controller up to interrupt on IRQ 1 with translated scancodes, and the decoder with
/// the default layout. Call with interrupts off, before routing IRQ 1.
pub fn init() -> Result<(), KeyboardError> {
    let default = layout(DEFAULT_LAYOUT).ok_or(KeyboardError::UnknownLayout)?;
    // Bytes left over from the firmware would decode as garbage.
    for _ in 0..DRAIN_LIMIT {
        if status() & OUTPUT_FULL == 0 {
            break;
        }
        // SAFETY: a byte is waiting; reading it discards it.
        unsafe { Port::<u8>::new(DATA).read() };
    }
    command(READ_CONFIG)?;
    let config = read_data()?;
    let wanted = (config | CONFIG_IRQ1 | CONFIG_TRANSLATE) & !CONFIG_CLOCK_DISABLED;
    if wanted != config {
        command(WRITE_CONFIG)?;
        write_data(wanted)?;
    }
    *KEYBOARD.lock() = Some((
        Keyboard::new(
            ScancodeSet1::new(),
            default,
            HandleControl::MapLettersToUnicode,
        ),
        DEFAULT_LAYOUT,
    ));
    Ok(())
}

/// The current layout's name.
pub fn layout_name() -> &'static str {
    ::x86_64::instructions::interrupts::without_interrupts(|| {
        KEYBOARD.lock().as_ref().map_or("none", |k| k.1)
    })
}

/// Switches to layout `name` (one of [`LAYOUTS`]); false if there is no such layout.
pub fn set_layout(name: &str) -> bool {
    let Some(index) = LAYOUTS.iter().position(|&l| l == name) else {
        return false;
    };
    let Some(new) = layout(name) else {
        return false;
    };
    ::x86_64::instructions::interrupts::without_interrupts(|| {
        *KEYBOARD.lock() = Some((
            Keyboard::new(ScancodeSet1::new(), new, HandleControl::MapLettersToUnicode),
            LAYOUTS[index],
        ));
    });
    true
}

/// Turns what the decoder produced into a console key.
fn to_key(decoded: DecodedKey) -> Option<Key> {
    /// Control codes that `MapLettersToUnicode` produces for Ctrl-letter, and other ASCII
    /// controls the layouts emit.
    const CTRL_A: char = '\u{1}';
    const CTRL_C: char = '\u{3}';
    const CTRL_E: char = '\u{5}';
    const CTRL_U: char = '\u{15}';
    const BACKSPACE: char = '\u{8}';
    const DELETE: char = '\u{7f}';
    match decoded {
        DecodedKey::Unicode('\n' | '\r') => Some(Key::Enter),
        DecodedKey::Unicode(BACKSPACE) => Some(Key::Backspace),
        DecodedKey::Unicode(DELETE) => Some(Key::Delete),
        DecodedKey::Unicode(CTRL_C) => Some(Key::Cancel),
        DecodedKey::Unicode(CTRL_U) => Some(Key::Kill),
        DecodedKey::Unicode(CTRL_A) => Some(Key::Home),
        DecodedKey::Unicode(CTRL_E) => Some(Key::End),
        DecodedKey::Unicode(c) if !c.is_control() => Some(Key::Char(c)),
        DecodedKey::RawKey(KeyCode::ArrowUp) => Some(Key::Up),
        DecodedKey::RawKey(KeyCode::ArrowDown) => Some(Key::Down),
        DecodedKey::RawKey(KeyCode::ArrowLeft) => Some(Key::Left),
        DecodedKey::RawKey(KeyCode::ArrowRight) => Some(Key::Right),
        DecodedKey::RawKey(KeyCode::Home) => Some(Key::Home),
        DecodedKey::RawKey(KeyCode::End) => Some(Key::End),
        _ => None,
    }
}

/// The IRQ 1 handler's work: one byte from the controller into the decoder, and a finished key
/// onto the input queue.
pub fn on_interrupt() {
    // SAFETY: the controller raised IRQ 1, so a byte is waiting; reading port 0x60 takes it (and
    // must, or the controller raises no further interrupts).
    let byte = unsafe { Port::<u8>::new(DATA).read() };
    let mut guard = KEYBOARD.lock();
    let Some((keyboard, _)) = guard.as_mut() else {
        return;
    };
    if let Ok(Some(event)) = keyboard.add_byte(byte) {
        if let Some(key) = keyboard.process_keyevent(event).and_then(to_key) {
            input::push_from_interrupt(key);
        }
    }
}
