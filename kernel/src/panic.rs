//! What happens when the kernel panics.
//!
//! A `no_std` program must say what a panic does (`#[panic_handler]`): there is no unwinder and
//! no process to end. Ferrite prints the message and where it came from, on both outputs and
//! never waiting for a lock, then either reports the panic to the test harness (if a test kernel
//! is running one) or stops the CPU, leaving the message on the screen.
//!
//! There is exactly one panic handler, here; test kernels change what it does through
//! [`crate::testing`], not by bringing their own.

use crate::arch::x86_64::halt_forever;
use crate::console;
use crate::testing;
use core::panic::PanicInfo;
use textgrid::{Rgb, Style};

/// White on red, so a panic is unmistakable on the screen.
const PANIC_STYLE: Style = Style {
    fg: Rgb::new(0xFF, 0xFF, 0xFF),
    bg: Rgb::new(0xAA, 0x00, 0x00),
};

#[panic_handler]
fn panic(info: &PanicInfo<'_>) -> ! {
    x86_64::instructions::interrupts::disable();
    match info.location() {
        Some(at) => console::write_fmt_panicking(
            PANIC_STYLE,
            format_args!(
                "\nKERNEL PANIC at {}:{}: {}\n",
                at.file(),
                at.line(),
                info.message()
            ),
        ),
        None => console::write_fmt_panicking(
            PANIC_STYLE,
            format_args!("\nKERNEL PANIC: {}\n", info.message()),
        ),
    }
    testing::on_panic(info);
    halt_forever()
}
