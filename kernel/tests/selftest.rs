//! A test kernel that tests the test harness: built normally it passes; built with
//! `FERRITE_SELFTEST_BREAK` set, its middle test breaks in the chosen way, and the host's system
//! tests (`tests/system/test_breakage.py`) check that the harness fails it and names it.
//!
//! The ways to break: `assert` (a failed assertion), `panic` (an explicit panic), `loop` (a
//! hang), `triple_fault` (an exception with no IDT to handle it, so the CPU resets).

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

use x86_64::structures::DescriptorTablePointer;
use x86_64::VirtAddr;

ferrite::test_kernel!();

/// How the middle test breaks; read when the test kernel is compiled.
const BREAK: Option<&str> = option_env!("FERRITE_SELFTEST_BREAK");

#[test_case]
fn first_passes() {
    assert_eq!(core::hint::black_box(2) + 2, 4);
}

#[test_case]
fn second_breaks() {
    match BREAK {
        None | Some("") => {}
        Some("assert") => assert_eq!(2 + 2, 5, "broken on purpose"),
        Some("panic") => panic!("broken on purpose"),
        Some("loop") => loop {
            x86_64::instructions::hlt();
        },
        Some("triple_fault") => {
            let empty = DescriptorTablePointer {
                limit: 0,
                base: VirtAddr::new(0),
            };
            // SAFETY: loading an empty IDT is exactly the breakage this test wants: the next
            // exception cannot be delivered, which escalates to a double fault and then to a
            // triple fault that resets the CPU. Nothing after this line is meant to run.
            unsafe { x86_64::instructions::tables::lidt(&empty) };
            x86_64::instructions::interrupts::int3();
        }
        Some(other) => panic!("unknown FERRITE_SELFTEST_BREAK value {other:?}"),
    }
}

#[test_case]
fn third_runs_only_if_unbroken() {
    assert!(
        BREAK.is_none_or(str::is_empty),
        "runs only if the breakage let it"
    );
}
