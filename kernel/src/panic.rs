//! What happens when the kernel panics.
//!
//! A `no_std` program must say what a panic does (`#[panic_handler]`): there is no unwinder and
//! no process to end. Ferrite prints the message and where it came from, and a backtrace (the
//! return addresses of the calls that led here, found by following the saved frame pointers:
//! see `crates/framewalk`), on both outputs and never waiting for a lock, then either reports
//! the panic to the test harness (if a test kernel is running one) or stops the CPU, leaving
//! the message on the screen. The kernel prints addresses only: it carries no symbol table. The
//! host's tools, which have the kernel's ELF file and its debug information, add the function,
//! file and line to each (`ferrite_tools.symbolize`) wherever they show the log.
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
    print_backtrace();
    testing::on_panic(info);
    halt_forever()
}

/// What starts the backtrace's lines; the host's tools look for it.
const BACKTRACE_HEADER: &str = "backtrace (return addresses, innermost first):";

/// Prints the return addresses of the calls that led to the panic handler.
fn print_backtrace() {
    if !cfg!(debug_assertions) {
        // Release builds have no frame pointers (see kernel/Cargo.toml): RBP is an ordinary
        // register there, and a walk would print nonsense.
        console::write_fmt_panicking(
            PANIC_STYLE,
            format_args!(
                "backtrace: none in a release build (a debug build keeps frame pointers)\n"
            ),
        );
        return;
    }
    let rbp = crate::arch::x86_64::frame_pointer();
    let Some(stack) = crate::mm::layout::stack_of(rbp) else {
        // An exception stack, or a frame pointer gone wrong: nothing that is safe to read.
        console::write_fmt_panicking(
            PANIC_STYLE,
            format_args!("backtrace: none (RBP {rbp:#x} is on no known stack)\n"),
        );
        return;
    };
    console::write_fmt_panicking(PANIC_STYLE, format_args!("{BACKTRACE_HEADER}\n"));
    // SAFETY: `frames` reads only 8-byte-aligned words inside `stack`, which is mapped: it is
    // the stack this code runs on.
    let read = |at: u64| unsafe { (at as *const u64).read_volatile() };
    for (n, address) in framewalk::frames(rbp, stack, read).enumerate() {
        console::write_fmt_panicking(PANIC_STYLE, format_args!("  #{n} {address:#018x}\n"));
    }
}
