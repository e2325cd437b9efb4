//! A test kernel that boots like the real one and checks what the banner put on the screen and
//! what the bootloader handed over.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

use bootloader_api::info::MemoryRegion;
use ferrite::platform::banner::{self, MemorySummary};

ferrite::test_kernel!(firmware = "bios uefi");

fn memory_map() -> &'static [MemoryRegion] {
    ferrite::testing::boot().memory_map
}

#[test_case]
fn banner_is_the_first_line_on_screen() {
    let first = ferrite::console::with_grid(|grid| {
        let mut line = [' '; 8];
        for (slot, ch) in line.iter_mut().zip(grid.row_text(0)) {
            *slot = ch;
        }
        line
    });
    assert_eq!(first, Some(['F', 'e', 'r', 'r', 'i', 't', 'e', ' ']));
}

#[test_case]
fn framebuffer_mode_is_sane() {
    let mode = ferrite::console::mode().expect("QEMU's VGA gives a framebuffer");
    assert!(mode.width >= 640 && mode.height >= 480);
    assert!(mode.stride >= mode.width);
    assert!(mode.bytes_per_pixel >= 3);
}

#[test_case]
fn memory_map_has_usable_ram() {
    let summary = MemorySummary::of(memory_map());
    // The harness starts QEMU with 256 MiB; most of it must be usable.
    assert!(
        summary.usable > 128 * 1024 * 1024,
        "usable: {}",
        summary.usable
    );
    assert!(summary.bootloader > 0, "the bootloader marks what it used");
}

#[test_case]
fn memory_regions_are_sorted_and_disjoint() {
    for pair in memory_map().windows(2) {
        assert!(pair[0].start < pair[0].end);
        assert!(
            pair[0].end <= pair[1].start,
            "{:?} overlaps {:?}",
            pair[0],
            pair[1]
        );
    }
}

#[test_case]
fn firmware_is_recognised() {
    assert_ne!(banner::firmware(memory_map()), banner::Firmware::Unknown);
}
