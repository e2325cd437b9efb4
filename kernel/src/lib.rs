//! Ferrite: a small x86_64 kernel written to be read.
//!
//! This crate is the whole kernel as a library; `main.rs` is a few lines that hand the
//! bootloader's information to [`init`] and then wait. Keeping the kernel a library lets every
//! test kernel (the unit tests below and each file in `tests/`) boot the same code the real
//! kernel runs.
//!
//! # Design principles
//!
//! Reviews cite these by number.
//!
//! 1. **Explain why.** Every module opens with what the hardware expects and why the code is
//!    shaped as it is; a reader learns the OS from the source.
//! 2. **Unsafe is small, wrapped and proved.** Each `unsafe` block carries a `// SAFETY:`
//!    argument; raw hardware access lives in a few typed wrappers.
//! 3. **Order is explicit.** [`init`] runs the boot steps in sequence, one line of comment each;
//!    nothing initialises itself lazily behind the reader's back.
//! 4. **Shared state is locked or atomic**, never a bare `static mut`, and each lock says what it
//!    guards.
//! 5. **Pure logic lives where the host can test it** (`crates/`); QEMU tests are for what needs
//!    the machine.
//!
//! # Boot order
//!
//! firmware → bootloader (BIOS stages or UEFI loader) → [`init`]:
//!
//! 1. serial port (so that anything after it can report failure),
//! 2. framebuffer console,
//! 3. logger,
//! 4. CPU tables: GDT, TSS with the IST stacks, IDT (from here a fault is reported, not a reset),
//! 5. boot banner,
//! 6. memory: the frame allocator, the page table API, the heap, the W^X audit,
//! 7. interrupt controllers (PICs masked, MADT, local and I/O APIC) and the calibrated timer
//!    tick,
//! 8. threads (the boot thread and the idle thread); then interrupts on.
//!
//! # Module map
//!
//! * [`arch`]: what is specific to x86_64: GDT, TSS, IDT, the trap entry, exceptions.
//! * [`banner`]: the boot banner and the memory map summary.
//! * [`bench`]: measurements reported to the host as `BENCH` lines.
//! * [`layout`]: the map of the kernel's virtual address space.
//! * [`acpi`]: the firmware's tables: MADT (interrupt controllers), FADT (power).
//! * [`interrupts`]: vectors, routing through the APICs, the one EOI.
//! * [`time`]: calibration against the PIT, the tick, `uptime`.
//! * [`mm`]: physical frames, page tables, the W^X audit, the kernel heap.
//! * [`drivers`]: devices: the 16550 serial port, the framebuffer, QEMU's exit device.
//! * [`console`]: the text console on the framebuffer, mirrored to serial; `print!`.
//! * [`logger`]: the `log` facade's back end.
//! * [`panic`]: what a kernel panic prints and does.
//! * [`sync`]: synchronisation building blocks for before there are threads.
//! * [`input`]: the lock-free queue of keys from interrupt handlers to the console.
//! * [`shell`]: the kernel console: line editor and built-in commands.
//! * [`power`]: ACPI power-off and reboot.
//! * [`sched`]: kernel threads: spawn, join, sleep, preemption, blocking locks.
//! * [`task`]: async tasks: the executor, wakers, `sleep`.
//! * [`testing`]: the in-kernel test runner that reports KTAP over serial.

#![no_std]
#![cfg_attr(test, no_main)]
#![feature(alloc_error_handler)]
#![feature(custom_test_frameworks)]
#![test_runner(crate::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

pub mod acpi;
pub mod arch;
pub mod banner;
pub mod bench;
pub mod console;
pub mod drivers;
pub mod input;
pub mod interrupts;
pub mod layout;
pub mod logger;
pub mod mm;
pub mod panic;
pub mod power;
pub mod sched;
pub mod shell;
pub mod sync;
pub mod task;
pub mod testing;
pub mod time;

use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::info::MemoryRegion;
use bootloader_api::BootInfo;

/// What the kernel asks of the bootloader. Every kernel binary (the real one and each test
/// kernel) passes this to `entry_point!`, so all of them boot the same way.
pub const BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    // Map all physical memory at an offset the bootloader chooses; the memory manager will use
    // it to reach page tables and frames.
    config.mappings.physical_memory = Some(Mapping::Dynamic);
    // The kernel stack at a fixed place, above an unmapped guard page (see `layout`).
    config.mappings.kernel_stack = Mapping::FixedAddress(layout::KERNEL_STACK_GUARD);
    config.kernel_stack_size = layout::KERNEL_STACK_SIZE;
    config
};

/// The kernel's version, as Cargo knows it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What the bootloader handed over that later steps need, kept after [`init`] has taken the
/// framebuffer for the console.
#[derive(Debug, Clone, Copy)]
pub struct Boot {
    /// The physical memory map, as the bootloader left it.
    pub memory_map: &'static [MemoryRegion],
    /// Which firmware booted the machine, as the memory map tells.
    pub firmware: banner::Firmware,
    /// Physical address of the ACPI root table (RSDP), if the firmware reported one.
    pub rsdp_addr: Option<u64>,
    /// Virtual address where all physical memory is mapped.
    pub physical_memory_offset: Option<u64>,
    /// The segments the GDT holds, loaded by [`arch::x86_64::init`].
    pub segments: arch::x86_64::gdt::Segments,
    /// What timer calibration measured, if interrupts could be set up.
    pub calibration: Option<time::Calibration>,
    /// What memory management found at boot, if it could start.
    pub memory: Option<mm::MemoryInfo>,
}

/// Brings the kernel up, in order. Everything that needs the boot information takes it from
/// here; after `init` the console, the serial port and logging all work.
pub fn init(boot_info: &'static mut BootInfo) -> Boot {
    // 1. Serial first: from here on a failure can be reported to the host.
    drivers::serial::init();
    // 2. The framebuffer console, if the firmware gave us a framebuffer.
    console::init(boot_info.framebuffer.take());
    // 3. The `log` facade, writing to both of the above.
    logger::init();
    // 4. The CPU's descriptor tables: from here an exception prints a diagnostic.
    let segments = arch::x86_64::init();
    // 5. Say who we are and what the machine looks like.
    banner::print(boot_info);
    // 6. Memory: frames, page tables, and a check that no page is writable and executable.
    let memory = match mm::init(
        &boot_info.memory_regions,
        boot_info.physical_memory_offset.into_option(),
    ) {
        Ok(info) => {
            let counts = info.frames_at_boot;
            log::info!(
                "memory: {} frames usable, {} free ({} MiB); W^X audit {}",
                counts.usable,
                counts.free,
                counts.free as u64 * ::frames::FRAME_SIZE / (1024 * 1024),
                if info.audit.passed() {
                    "passed"
                } else {
                    "FAILED"
                }
            );
            Some(info)
        }
        Err(e) => {
            log::error!("memory management unavailable: {e:?}");
            None
        }
    };
    // 7. Interrupt controllers and the timer tick, then interrupts on. Without ACPI there are no
    //    interrupts: the kernel still runs, and says so.
    let rsdp_addr = boot_info.rsdp_addr.into_option();
    let physical_memory_offset = boot_info.physical_memory_offset.into_option();
    let calibration = match interrupts::init(rsdp_addr, physical_memory_offset) {
        Ok(_) => {
            let calibration = time::calibration();
            if let Some(cal) = calibration {
                log::info!(
                    "timer: APIC timer {} Hz, TSC {} Hz ({}), tick {} Hz{}",
                    cal.apic_timer_hz,
                    cal.tsc_hz,
                    if cal.invariant_tsc {
                        "invariant"
                    } else {
                        "not invariant"
                    },
                    time::TICK_HZ,
                    match time::timing() {
                        ::fwcfg::Timing::Jitter { seed } => {
                            alloc::format!(", jitter seed {seed}")
                        }
                        _ => alloc::string::String::new(),
                    }
                );
            }
            if let Err(e) = interrupts::enable_input() {
                log::warn!("keyboard: {e:?}; serial input only");
            }
            // 8. Threads: this code becomes the boot thread, and the idle thread starts.
            if let Err(e) = sched::init() {
                log::error!("no threads: {e:?}");
            }
            ::x86_64::instructions::interrupts::enable();
            calibration
        }
        Err(e) => {
            log::error!("no interrupts: {e}");
            None
        }
    };
    let memory_map: &'static [MemoryRegion] = &boot_info.memory_regions;
    Boot {
        memory_map,
        firmware: banner::firmware(memory_map),
        rsdp_addr,
        physical_memory_offset,
        segments,
        calibration,
        memory,
    }
}

/// What happens when an infallible allocation fails: the kernel heap's report, then a panic.
#[alloc_error_handler]
fn alloc_error(layout: core::alloc::Layout) -> ! {
    mm::heap::out_of_memory(layout)
}

/// The `bootloader_api` crate, for the [`test_kernel!`] macro's expansion in test kernels.
#[doc(hidden)]
pub use bootloader_api as __bootloader_api;

// The unit-test kernel (`cargo test --lib`): every `#[test_case]` in the kernel's modules.
#[cfg(test)]
test_kernel!(test_main);
