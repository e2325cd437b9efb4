//! The Ferrite kernel binary: where the bootloader jumps.
//!
//! `entry_point!` declares `kernel_main` as the entry with the right signature and embeds
//! [`ferrite::BOOTLOADER_CONFIG`] in the ELF, where the bootloader reads it before loading us.
//! All the work happens in the `ferrite` library, so test kernels boot the same code.

#![no_std]
#![no_main]

use bootloader_api::{entry_point, BootInfo};

entry_point!(kernel_main, config = &ferrite::BOOTLOADER_CONFIG);

/// What `init` found, kept for the life of the kernel so tasks can borrow it.
static BOOT: spin::Once<ferrite::Boot> = spin::Once::new();

fn kernel_main(boot_info: &'static mut BootInfo) -> ! {
    // The boot's first stage (firmware and bootloader) ends here.
    ferrite::time::reached_at(
        ferrite::time::Milestone::KernelEntry,
        ferrite::arch::x86_64::read_tsc(),
    );
    let boot: &'static ferrite::Boot = BOOT.call_once(|| ferrite::init(boot_info));
    // Who gets the console: the shell (through init), or the kernel's own console, when the
    // host asked for it or there is no shell to run.
    let shell =
        ferrite::console::session() == fwcfg::Session::Shell && ferrite::proc::shell_exists();
    // Process 1, which adopts orphans and starts the shell (which then holds the terminal), if
    // the ramdisk has it; the kernel console works without.
    match ferrite::proc::start_init(shell) {
        Ok(pid) => log::info!("init: started as pid {pid}"),
        Err(e) => log::warn!("init: not started ({e}); orphans are collected by the kernel"),
    }
    log::info!("boot complete");
    ferrite::time::reached(ferrite::time::Milestone::BootComplete);
    // The console is one task among others on the executor.
    ferrite::task::executor::spawn(ferrite::monitor::run(boot))
        .expect("the task table is empty at boot");
    ferrite::task::executor::run()
}
