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

use super::i8042::{command, NoAnswer, I8042};
use lineedit::Key;
use pc_keyboard::layouts::{AnyLayout, Azerty, De105Key, Dvorak104Key, Uk105Key, Us104Key};
use pc_keyboard::{DecodedKey, HandleControl, KeyCode, Keyboard, ScancodeSet1};
use spin::Mutex;

/// Configuration bit 0: IRQ 1 when the first (keyboard) port has a byte.
const CONFIG_IRQ1: u8 = 1 << 0;
/// Configuration bit 4: the first port's clock is disabled.
const CONFIG_CLOCK_DISABLED: u8 = 1 << 4;
/// Configuration bit 6: translate to scancode set 1.
const CONFIG_TRANSLATE: u8 = 1 << 6;
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

impl From<NoAnswer> for KeyboardError {
    fn from(_: NoAnswer) -> Self {
        KeyboardError::NoController
    }
}

/// Sets the controller up to interrupt on IRQ 1 with translated scancodes, and the decoder with
/// the default layout. Call with interrupts off, before routing IRQ 1.
pub fn init() -> Result<(), KeyboardError> {
    let default = layout(DEFAULT_LAYOUT).ok_or(KeyboardError::UnknownLayout)?;
    // SAFETY: a PC's 8042; called at boot with interrupts off, before IRQ 1 is routed.
    let mut controller = unsafe { I8042::new() };
    // Bytes left over from the firmware would decode as garbage.
    for _ in 0..DRAIN_LIMIT {
        if !controller.has_data() {
            break;
        }
        controller.take_data();
    }
    controller.command(command::READ_CONFIG)?;
    let config = controller.read_data()?;
    let wanted = (config | CONFIG_IRQ1 | CONFIG_TRANSLATE) & !CONFIG_CLOCK_DISABLED;
    if wanted != config {
        controller.command(command::WRITE_CONFIG)?;
        controller.write_data(wanted)?;
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
        DecodedKey::Unicode('\t') => Some(Key::Tab),
        DecodedKey::Unicode(c) if !c.is_control() => Some(Key::Char(c)),
        // Other Ctrl-letters (Ctrl-D, Ctrl-Z, ...): for a program's terminal.
        DecodedKey::Unicode(c) if c < ' ' => Some(Key::Control(c as u8)),
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
/// to `push` (the terminal's key queue, which sits above the drivers and is handed in).
pub fn on_interrupt(push: impl Fn(Key)) {
    // SAFETY: a PC's 8042, in its interrupt handler (interrupts off): the controller raised
    // IRQ 1, so a byte is waiting, and taking it is what lets the next interrupt come.
    let byte = unsafe { I8042::new() }.take_data();
    let mut guard = KEYBOARD.lock();
    let Some((keyboard, _)) = guard.as_mut() else {
        return;
    };
    if let Ok(Some(event)) = keyboard.add_byte(byte) {
        if let Some(key) = keyboard.process_keyevent(event).and_then(to_key) {
            push(key);
        }
    }
}
