//! A test kernel for interrupt routing and time. The harness boots it under
//! `-icount shift=0,align=off,sleep=off` (`timing = "exact"` below),
//! where QEMU's clocks follow the instruction count, so the rates measured here are exact and
//! the tolerances can be tight.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

use core::time::Duration;
use ferrite::arch::x86_64::{pic, read_tsc};
use ferrite::{interrupts, time};

ferrite::test_kernel!(timing = "exact");

/// Ticks the rate test waits for: 0.5 s of virtual time.
const RATE_TICKS: u64 = 50;
/// Tolerance of the tick rate against the TSC's calibration: 0.5 %.
const RATE_TOLERANCE_PPM: u64 = 5_000;

fn calibration() -> time::Calibration {
    ferrite::testing::boot()
        .calibration
        .expect("interrupts are set up at boot")
}

#[test_case]
fn the_legacy_pics_are_fully_masked() {
    assert_eq!(pic::masks(), 0xFFFF);
}

#[test_case]
fn the_madt_override_moves_the_pit_irq_to_gsi_2() {
    // QEMU's MADT, like most PCs', wires ISA IRQ 0 to I/O APIC input 2.
    let platform = &interrupts::controllers().expect("controllers").platform;
    assert_eq!(platform.route_isa_irq(0).gsi, 2);
    assert_eq!(
        platform.route_isa_irq(1).gsi,
        1,
        "the keyboard has no override"
    );
    assert!(platform.cpus >= 1);
}

#[test_case]
fn the_apic_timer_calibrates_to_qemus_rate() {
    // QEMU's APIC timer counts at 1 GHz before the divisor of 16.
    let hz = calibration().apic_timer_hz;
    let expected = 1_000_000_000 / 16;
    assert!(
        hz.abs_diff(expected) * 1_000 <= expected,
        "{hz} Hz is not within 0.1% of {expected}"
    );
}

#[test_case]
fn the_tick_rate_matches_the_calibration() {
    let cal = calibration();
    // Start on a tick boundary, then time RATE_TICKS ticks with the TSC.
    let first = time::ticks();
    while time::ticks() == first {
        x86_64::instructions::hlt();
    }
    let (start_ticks, start_tsc) = (time::ticks(), read_tsc());
    while time::ticks() < start_ticks + RATE_TICKS {
        x86_64::instructions::hlt();
    }
    let elapsed_tsc = read_tsc() - start_tsc;
    let measured_ns = u128::from(elapsed_tsc) * 1_000_000_000 / u128::from(cal.tsc_hz);
    let expected_ns = u128::from(RATE_TICKS) * 1_000_000_000 / u128::from(time::TICK_HZ);
    let error_ppm = measured_ns.abs_diff(expected_ns) * 1_000_000 / expected_ns;
    ferrite::bench::report("timer.tick_rate_error", error_ppm as u64, "ppm");
    assert!(
        error_ppm <= u128::from(RATE_TOLERANCE_PPM),
        "{RATE_TICKS} ticks took {measured_ns} ns, expected {expected_ns} ns ({error_ppm} ppm off)"
    );
}

#[test_case]
fn uptime_never_goes_backwards_and_advances() {
    let start = time::uptime_ns();
    let mut previous = start;
    for _ in 0..20_000 {
        let now = time::uptime_ns();
        assert!(now >= previous, "uptime went back from {previous} to {now}");
        previous = now;
    }
    assert!(previous > start, "uptime did not advance");
}

#[test_case]
fn busy_sleep_waits_at_least_as_long_as_asked() {
    let asked = Duration::from_millis(30);
    let start = time::uptime_ns();
    time::busy_sleep(asked);
    let slept = time::uptime_ns() - start;
    let asked_ns = asked.as_nanos() as u64;
    assert!(slept >= asked_ns, "slept {slept} ns, asked {asked_ns}");
    // Not much more: less than one tick of slack.
    assert!(
        slept < asked_ns + 1_000_000_000 / time::TICK_HZ,
        "slept {slept} ns for {asked_ns}"
    );
}
