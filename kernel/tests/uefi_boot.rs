//! A test kernel that the harness boots through OVMF. It checks that it really came up under
//! UEFI, so a harness that silently fell back to BIOS would fail it.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

use ferrite::platform::banner::{self, Firmware};
use ferrite::testing::boot;

ferrite::test_kernel!(firmware = "uefi");

#[test_case]
fn memory_map_comes_from_uefi() {
    let boot = boot();
    assert_eq!(banner::firmware(boot.memory_map), Firmware::Uefi);
    assert_eq!(boot.firmware, Firmware::Uefi);
}

#[test_case]
fn firmware_reported_the_acpi_tables() {
    let boot = boot();
    assert!(
        boot.rsdp_addr.is_some(),
        "UEFI passes the RSDP in its configuration table"
    );
}

#[test_case]
fn console_draws_on_the_gop_framebuffer() {
    assert!(ferrite::console::mode().is_some());
}
