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
//!    then `syscall` and the CPU's protections (SMEP, SMAP, UMIP),
//! 5. boot banner,
//! 6. memory: the frame allocator, the page table API, the heap, the W^X audit; then the guard
//!    pages below the exception (IST) stacks are unmapped,
//! 7. the legacy PICs remapped and masked,
//! 8. ACPI: the MADT (interrupt controllers) and the FADT (power),
//! 9. the local APIC and the first I/O APIC,
//! 10. the timer, calibrated against the PIT, and its tick; the date from the real-time clock;
//!     the random-number generator seeded,
//! 11. the COM1 and keyboard interrupts,
//! 12. threads (the boot thread and the idle thread), which need the heap and the tick; then the
//!     system-call handler, the ramdisk of user programs, the PCI bus and the virtio-blk disk on
//!     it, the file tree (the disk as `/` when it mounts, else the ramdisk), and the console
//!     terminal's worker thread,
//! 13. interrupts on, then a summary in the log.
//!
//! Each step returns what the next ones need (`mm::init` the memory, `interrupts::init` the
//! controllers the timer and the input are programmed through), so a step that fails makes the
//! steps that depend on it skip, and the summary says which. Without ACPI tables the kernel still
//! boots and prints, but has no interrupts, so no timer, no input and no threads; the log says so.
//!
//! # Layers
//!
//! The modules are stacked. A module may name the modules of its own layer and of the layers
//! below it, never one above: the lower layers can be read, and tested, without the upper ones.
//! When a lower layer needs something from above (a driver waking a thread, the terminal sending
//! a signal to a process group), it declares a hook and the root fills it in at boot (the trap
//! path's `TrapHooks` is the first example). The test `tests/test_layers.py` reads this list and
//! fails, naming file and line, on any `crate::` path that points upward.
//!
//! 1. [`sync`]: spin locks and one-time cells, for before there are threads.
//! 2. [`arch`]: what is specific to x86_64: GDT, TSS, IDT, the trap entry, exceptions, the
//!    context switch, entering ring 3 and the `syscall` entry, the user-copy routine, the APICs'
//!    registers.
//! 3. [`mm`]: the address-space layout, physical frames, page tables, per-process address
//!    spaces, the W^X audit, the kernel heap, device mappings, and copies to and from user memory
//!    (`mm::uaccess`).
//! 4. [`drivers`]: devices: the 16550 serial port, the 8042 and the PS/2 keyboard, the PIT, the
//!    CMOS real-time clock, the framebuffer, QEMU's exit device and firmware configuration, PCI
//!    and the virtio-blk disk; and the random-number generator (the CPU's `RDRAND` and ChaCha20).
//! 5. [`console`], [`bench`]: output: the text console on the framebuffer mirrored to serial
//!    (`print!`), and `BENCH` lines for the host.
//! 6. [`time`]: calibration against the PIT, the tick, `uptime`, the date (`CLOCK_REALTIME`,
//!    from the real-time clock at boot), the test timing (jitter).
//! 7. [`klog`], [`logger`]: the kernel log (`dmesg`) and the `log` back end writing to it and
//!    to the console.
//! 8. [`platform`]: the machine as the firmware describes it: the boot banner, the ACPI tables
//!    (MADT, FADT), ACPI power-off and reboot.
//! 9. [`sched`]: kernel threads: spawn, join, sleep, preemption, blocking locks.
//! 10. [`task`]: async tasks: the executor, wakers, `sleep`.
//! 11. [`fs`]: the file tree: the VFS, files and descriptors' open files, pipes, the memory file
//!     system, the ramdisk, the disk (the `diskfs` crate on the virtio disk), device files.
//! 12. [`tty`]: the terminal: the key queue the interrupt handlers fill, and the line
//!     discipline between the keys, the screen and the programs.
//! 13. [`proc`]: processes: the ELF loader, the process table, `/proc`, and the system calls
//!     (Linux's numbers and conventions).
//! 14. [`interrupts`]: vectors, routing through the APICs, the one EOI, and each interrupt handed
//!     to the layer that serves it; the trap hooks `arch` calls. It names the scheduler, the
//!     terminal and processes, so it sits above them, with the root.
//! 15. [`monitor`]: the kernel console: the prompt and its built-in commands, until (or instead
//!     of) the first program.
//! 16. [`testing`], [`panic`] and the root (this file and `main.rs`): the in-kernel KTAP test
//!     runner, what a kernel panic prints and does, and [`init`], which wires the layers together.
//!
//! Each folder groups what a reader studies together, and no folder's files name a folder above.
//!
#![no_std]
#![cfg_attr(test, no_main)]
#![warn(missing_docs)]
#![feature(alloc_error_handler)]
#![feature(custom_test_frameworks)]
#![test_runner(crate::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

pub mod arch;
pub mod bench;
pub mod console;
pub mod drivers;
pub mod fs;
pub mod interrupts;
pub mod klog;
pub mod logger;
pub mod mm;
pub mod monitor;
pub mod panic;
pub mod platform;
pub mod proc;
pub mod sched;
pub mod sync;
pub mod task;
pub mod testing;
pub mod time;
pub mod tty;

use alloc::boxed::Box;
use bootloader_api::config::{BootloaderConfig, Mapping};
use bootloader_api::info::MemoryRegion;
use bootloader_api::BootInfo;
use mm::layout;
use platform::{acpi, banner};

/// What the kernel asks of the bootloader. Every kernel binary (the real one and each test
/// kernel) passes this to `entry_point!`, so all of them boot the same way.
pub const BOOTLOADER_CONFIG: BootloaderConfig = {
    let mut config = BootloaderConfig::new_default();
    // No map of all physical memory (the kernel makes its own, see `mm::physmap`), but one
    // recursive entry in the top-level table, through which the kernel reaches its page tables
    // until that map exists.
    config.mappings.page_table_recursive = Some(Mapping::Dynamic);
    // Everything the bootloader places itself goes in the kernel half, below the kernel's own
    // regions, so the lower half stays free for user programs (see `layout`).
    config.mappings.dynamic_range_start = Some(layout::DYNAMIC_START);
    config.mappings.dynamic_range_end = Some(layout::DYNAMIC_END);
    // The kernel stack at a fixed place, above an unmapped guard page (see `layout`).
    config.mappings.kernel_stack = Mapping::FixedAddress(layout::KERNEL_STACK_GUARD);
    config.kernel_stack_size = layout::KERNEL_STACK_SIZE;
    config
};

pub use platform::{banner::VERSION, Boot};

/// Brings the kernel up, in order: one step a line, each handing the next what it needs. A step
/// that cannot run (no ACPI tables, no memory) makes the steps that need it skip, visibly in the
/// summary, instead of stopping the boot. After `init` the console, the serial port and logging
/// all work.
pub fn init(boot_info: &'static mut BootInfo) -> Boot {
    drivers::serial::init(); // 1. serial first: from here a failure can be reported
    console::init(boot_info.framebuffer.take()); // 2. the framebuffer console, if any
    logger::init(); // 3. the `log` facade, writing to both
    let segments = arch::x86_64::init(interrupts::TRAP_HOOKS); // 4. GDT, TSS, IDT: faults report
    time::begin_calibration(); // 4b. the PIT measures the TSC while the next steps work
    banner::print(boot_info); // 5. who we are, what the machine looks like
    let handed = Handed::from(&*boot_info);
    let (memory, unguarded) = memory(&handed); // 6. frames, page tables, heap; IST guard pages
    let offset = memory.as_ref().ok().map(|m| m.physical_map.offset);
    arch::x86_64::pic::remap_and_mask(); // 7. the legacy PICs silenced, ACPI or not
    let controllers = controllers(handed.rsdp_addr, offset); // 8, 9. ACPI tables, then the APICs
    let apics = controllers.as_ref().ok().copied();
    let tick = apics.map(|c| time::init(c.local_apic, interrupts::vector::TIMER)); // 10. the tick
    let entropy = drivers::random::init(); // 10b. the random-number generator, seeded
    log::info!("random: seeded from {entropy:?}");
    let keyboard = apics.map(interrupts::enable_input); // 11. COM1 and keyboard interrupts
    let threads = (memory.is_ok() && tick.is_some()).then(sched::init); // 12. boot and idle threads
    let threads_run = matches!(threads, Some(Ok(())));
    install_hooks(threads_run); // 12b. system calls, and drivers that block instead of polling
    let ramdisk = ramdisk(&handed); // 12c. the user programs
    let disk = apics.filter(|_| memory.is_ok()).map(probe_disk); // 12d. PCI, and on it the disk
    let (device, disk_error) = split_disk(disk);
    let procfs = Box::new(proc::procfs::ProcFs);
    let files = memory.is_ok().then(|| fs::init(device, procfs)); // 12e. the tree: disk or ramdisk
    let terminal = threads_run.then(|| tty::start(proc::JOB_CONTROL)); // 12f. the terminal
    if apics.is_some() {
        ::x86_64::instructions::interrupts::enable(); // 13. interrupts on, now that all is routed
    }
    log_summary(&Outcome {
        memory: &memory,
        controllers: &controllers,
        tick: tick.as_ref(),
        keyboard,
        threads,
        ramdisk,
        ramdisk_len: handed.ramdisk_len,
        disk_error,
        files,
        terminal,
        unguarded,
    });
    Boot {
        memory_map: handed.memory_map,
        firmware: banner::firmware(handed.memory_map),
        rsdp_addr: handed.rsdp_addr,
        physical_memory_offset: offset,
        segments,
        calibration: tick,
        memory: memory.ok(),
    }
}

/// What the bootloader handed over that the steps after the banner need, as plain values.
struct Handed {
    memory_map: &'static [MemoryRegion],
    recursive_index: Option<u16>,
    rsdp_addr: Option<u64>,
    ramdisk_addr: Option<u64>,
    ramdisk_len: u64,
}

impl From<&'static BootInfo> for Handed {
    fn from(boot_info: &'static BootInfo) -> Self {
        Handed {
            memory_map: &boot_info.memory_regions,
            recursive_index: boot_info.recursive_index.into_option(),
            rsdp_addr: boot_info.rsdp_addr.into_option(),
            ramdisk_addr: boot_info.ramdisk_addr.into_option(),
            ramdisk_len: boot_info.ramdisk_len,
        }
    }
}

/// Step 6: memory management from the bootloader's map, then the guard pages below the
/// exception (IST) stacks; returns how many of those could not be unmapped.
fn memory(handed: &Handed) -> (Result<mm::MemoryInfo, mm::MemoryError>, usize) {
    // SAFETY: the memory map and the recursive entry are the bootloader's (`Handed` is made only
    // from its `BootInfo`), and this runs once, before anything else touches page tables.
    let memory = unsafe { mm::init(handed.memory_map, handed.recursive_index) };
    let ist_guards = arch::x86_64::gdt::ist_guard_pages().map(|(_, page)| page);
    let unguarded = ist_guards
        .filter(|&page| !mm::unmap_guard_page(page))
        .count();
    (memory, unguarded)
}

/// Steps 8 and 9: the ACPI tables (MADT, FADT), then the interrupt controllers they name.
fn controllers(
    rsdp_addr: Option<u64>,
    offset: Option<u64>,
) -> Result<&'static interrupts::Controllers, acpi::AcpiError> {
    // SAFETY: the RSDP address is the firmware's, through the bootloader, and `offset` is where
    // `mm::init` mapped all physical memory, for good.
    let platform = unsafe { acpi::discover(rsdp_addr, offset) }?;
    // SAFETY: the platform was just read from this machine's tables; memory as above.
    unsafe { interrupts::init(platform, offset) }
}

/// Step 12b: the hooks through which a lower layer reaches a higher one (see the layers above).
/// The trap hooks went in at step 4 and the terminal's at 12f, each with the step that needs it.
fn install_hooks(threads_run: bool) {
    arch::x86_64::user::register(proc::syscall::handle);
    fs::pagecache::install_unmapper(proc::mapping::unmap_object_from);
    if threads_run {
        drivers::install_waiting(drivers::Waiting {
            current: sched::current,
            block_until: |ready| sched::block_on_queue(|_| !ready()),
            wake: sched::wake_thread,
        });
    }
}

/// Step 12c: the ramdisk of user programs, if the bootloader loaded one.
fn ramdisk(handed: &Handed) -> Result<usize, fs::ramdisk::RamdiskError> {
    // SAFETY: the address and length are the bootloader's mapping of the ramdisk, kept for ever.
    unsafe { fs::ramdisk::init(handed.ramdisk_addr, handed.ramdisk_len) }
}

/// Step 12d: the PCI bus, and the virtio disk on it.
fn probe_disk(
    controllers: &'static interrupts::Controllers,
) -> Result<drivers::virtio_blk::VirtioBlk, drivers::virtio_blk::VirtioError> {
    let devices = drivers::pci::enumerate();
    let apic = controllers.local_apic.id();
    drivers::virtio_blk::probe(&devices, apic, interrupts::vector::DISK)
}

/// The disk to mount, and why there is none when one was there but unusable (no disk at all is
/// not worth a line).
fn split_disk(
    disk: Option<Result<drivers::virtio_blk::VirtioBlk, drivers::virtio_blk::VirtioError>>,
) -> (
    Option<drivers::virtio_blk::VirtioBlk>,
    Option<drivers::virtio_blk::VirtioError>,
) {
    match disk {
        Some(Ok(device)) => (Some(device), None),
        Some(Err(drivers::virtio_blk::VirtioError::NotFound)) | None => (None, None),
        Some(Err(e)) => (None, Some(e)),
    }
}

/// What the file tree was built from.
fn log_files(info: &fs::FsInfo) {
    let programs = alloc::format!("{} files, {} KiB, borrowed", info.files, info.bytes / 1024);
    match &info.disk {
        fs::DiskOutcome::Mounted { bytes, report } => {
            log::info!(
                "disk: {} MiB, mounted on / ({} files, {} directories, {} of {} blocks used)",
                bytes / banner::MIB,
                report.check.files,
                report.check.directories,
                report.check.blocks_used,
                bytes / diskfs::BLOCK_SIZE as u64
            );
            if report.replay.blocks > 0 {
                log::info!(
                    "disk: the log held a committed transaction: {} blocks replayed",
                    report.replay.blocks
                );
            }
            if report.orphans_freed > 0 {
                log::info!(
                    "disk: {} orphan files freed (unlinked while open at the crash)",
                    report.orphans_freed
                );
            }
            log::info!("files: / on disk, /bin from the ramdisk ({programs}), /dev, /tmp, /proc");
        }
        fs::DiskOutcome::Refused(refusal) => {
            log::error!("disk refused: {refusal}");
            log::info!(
                "files: / from the ramdisk ({programs}, read-only), /dev, /tmp (writable), /proc"
            );
        }
        fs::DiskOutcome::Absent => {
            log::info!("files: / from the ramdisk ({programs}), /dev, /tmp, /proc");
        }
    }
}

/// What each boot step came to, for [`log_summary`].
struct Outcome<'a> {
    memory: &'a Result<mm::MemoryInfo, mm::MemoryError>,
    controllers: &'a Result<&'static interrupts::Controllers, acpi::AcpiError>,
    tick: Option<&'a time::Calibration>,
    keyboard: Option<Result<(), drivers::keyboard::KeyboardError>>,
    threads: Option<Result<(), sched::SpawnError>>,
    ramdisk: Result<usize, fs::ramdisk::RamdiskError>,
    ramdisk_len: u64,
    disk_error: Option<drivers::virtio_blk::VirtioError>,
    files: Option<Result<fs::FsInfo, abi::Errno>>,
    terminal: Option<Result<(), tty::StartError>>,
    unguarded: usize,
}

/// The boot's outcome in a few log lines: what each step found, and what was skipped for want
/// of another.
fn log_summary(outcome: &Outcome<'_>) {
    let Outcome {
        memory,
        controllers,
        tick,
        keyboard,
        threads,
        ..
    } = outcome;
    match memory {
        Ok(info) => {
            let counts = info.frames_at_boot;
            let audit = if info.audit.passed() {
                "passed"
            } else {
                "FAILED"
            };
            log::info!(
                "memory: {} frames usable, {} free ({} MiB); W^X audit {audit}",
                counts.usable,
                counts.free,
                counts.free as u64 * ::frames::FRAME_SIZE / banner::MIB
            );
        }
        Err(e) => log::error!("memory management unavailable: {e:?}"),
    }
    if let Err(e) = controllers {
        log::error!("no interrupts: {e}; no timer, no keyboard, no threads");
    }
    if let Some(cal) = tick {
        let invariant = if cal.invariant_tsc {
            "invariant"
        } else {
            "not invariant"
        };
        let jitter = match time::timing() {
            ::fwcfg::Timing::Jitter { seed } => alloc::format!(", jitter seed {seed}"),
            _ => alloc::string::String::new(),
        };
        log::info!(
            "timer: APIC timer {} Hz, TSC {} Hz ({invariant}), tick {} Hz{jitter}",
            cal.apic_timer_hz,
            cal.tsc_hz,
            time::TICK_HZ
        );
    }
    if let Some(Err(e)) = keyboard {
        log::warn!("keyboard: {e:?}; serial input only");
    }
    match threads {
        Some(Err(e)) => log::error!("no threads: {e:?}"),
        None => log::warn!("no threads: they need both the heap and the timer"),
        Some(Ok(())) => {}
    }
    match &outcome.ramdisk {
        Ok(entries) => log::info!(
            "ramdisk: {entries} entries, {} KiB",
            outcome.ramdisk_len / 1024
        ),
        Err(fs::ramdisk::RamdiskError::Missing) => log::warn!("no ramdisk: no user programs"),
        Err(fs::ramdisk::RamdiskError::Invalid(e)) => log::error!("ramdisk refused: {e}"),
    }
    if let Some(Err(e)) = &outcome.terminal {
        log::error!("no terminal ({e:?}): programs cannot read the console");
    }
    if let Some(e) = &outcome.disk_error {
        log::error!("disk: virtio-blk unusable: {e:?}");
    }
    match &outcome.files {
        Some(Ok(info)) => log_files(info),
        Some(Err(e)) => log::error!("no file tree: {}", e.description()),
        None => log::warn!("no file tree: no memory management"),
    }
    if outcome.unguarded > 0 {
        log::warn!(
            "{} exception stacks have no guard page (it could not be unmapped)",
            outcome.unguarded
        );
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
test_kernel!();
