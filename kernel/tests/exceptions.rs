//! A test kernel for the exception paths: each fault is raised on purpose through a probe
//! (`ferrite::arch::x86_64::probe`), and the test checks what the CPU reported to the handler:
//! the vector, the exact faulting instruction, CR2 and the error code bits.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

use ferrite::arch::x86_64::{exceptions, probe};
use ferrite::mm::layout;
use traps::{vector, PageFaultCode};

ferrite::test_kernel!();

#[test_case]
fn breakpoint_resumes_and_counts() {
    let before = exceptions::breakpoints();
    for _ in 0..3 {
        probe::breakpoint();
    }
    assert_eq!(exceptions::breakpoints(), before + 3);
}

#[test_case]
fn divide_error_reports_the_faulting_instruction() {
    let probe = probe::divide_by_zero();
    let fault = probe.fault.expect("dividing by zero raises #DE");
    assert_eq!(fault.vector, vector::DIVIDE_ERROR);
    assert_eq!(
        fault.rip, probe.instruction,
        "#DE is a fault: RIP is the div itself"
    );
}

#[test_case]
fn invalid_opcode_reports_the_faulting_instruction() {
    let probe = probe::invalid_opcode();
    let fault = probe.fault.expect("ud2 raises #UD");
    assert_eq!(fault.vector, vector::INVALID_OPCODE);
    assert_eq!(fault.rip, probe.instruction);
}

#[test_case]
fn reading_the_guard_page_is_a_not_present_read_fault_at_that_address() {
    let address = layout::KERNEL_STACK_GUARD + 0x128;
    // SAFETY: the guard page is never mapped: the read faults and touches nothing.
    let (probe, value) = unsafe { probe::read(address) };
    assert_eq!(value, None);
    let fault = probe.fault.expect("the guard page is not mapped");
    assert_eq!(fault.vector, vector::PAGE_FAULT);
    assert_eq!(fault.cr2, address, "CR2 holds the exact address");
    assert_eq!(fault.rip, probe.instruction);
    let code = PageFaultCode(fault.error_code);
    assert!(!code.present() && !code.write() && !code.user() && !code.instruction_fetch());
}

#[test_case]
fn writing_the_guard_page_is_a_not_present_write_fault() {
    let address = layout::KERNEL_STACK_GUARD + 0xFF8;
    // SAFETY: the guard page is never mapped, so the write faults and does not happen.
    let probe = unsafe { probe::write(address, 0x5EED) };
    let fault = probe.fault.expect("the guard page is not mapped");
    assert_eq!((fault.vector, fault.cr2), (vector::PAGE_FAULT, address));
    assert_eq!(fault.error_code, PageFaultCode::WRITE);
}

#[test_case]
fn writing_kernel_code_is_a_protection_fault() {
    let code_address = ferrite::arch::x86_64::halt_forever as usize as u64;
    // SAFETY: kernel code is mapped read-only and CR0.WP makes that binding in ring 0, so the
    // write faults. If it did not, it would overwrite the first bytes of `halt_forever`, and the
    // assertion below fails the test kernel before anything calls it.
    let probe = unsafe { probe::write(code_address, 0xCC) };
    let fault = probe.fault.expect("kernel code is not writable");
    assert_eq!(
        (fault.vector, fault.cr2),
        (vector::PAGE_FAULT, code_address)
    );
    assert_eq!(
        fault.error_code,
        PageFaultCode::PRESENT | PageFaultCode::WRITE
    );
}

#[test_case]
fn a_non_canonical_address_is_a_general_protection_fault() {
    // SAFETY: a non-canonical address faults before any memory is touched.
    let (probe, _) = unsafe { probe::read(0x8000_0000_0000_0000) };
    let fault = probe.fault.expect("a non-canonical address raises #GP");
    assert_eq!(fault.vector, vector::GENERAL_PROTECTION);
    assert_eq!(fault.error_code, 0, "no selector is involved");
    assert_eq!(fault.rip, probe.instruction);
}

#[test_case]
fn every_exception_stack_has_an_unmapped_guard_page_below_it() {
    let guards = ferrite::arch::x86_64::gdt::ist_guard_pages();
    assert_eq!(
        guards.clone().count(),
        3,
        "double fault, NMI, machine check"
    );
    for (slot, page) in guards {
        let stack = ferrite::arch::x86_64::gdt::ist_stack_range(slot).unwrap();
        assert_eq!(
            page + 4096,
            stack.start,
            "the guard lies right below stack {slot}"
        );
        // SAFETY: the guard page is unmapped: the read faults and touches nothing.
        let (probe, value) = unsafe { probe::read(page + 8) };
        assert_eq!(value, None, "guard page of stack {slot} is mapped");
        assert_eq!(probe.fault.unwrap().error_code, 0, "not present, read");
        assert_eq!(
            layout::guard_page(page + 8),
            Some(ferrite::arch::x86_64::trap::GuardPage::ExceptionStack(slot))
        );
    }
}

#[test_case]
fn a_mapped_read_works_and_reports_no_fault() {
    let value: u64 = 0x0123_4567_89AB_CDEF;
    // SAFETY: the address is a local variable's: ordinary memory.
    let (probe, read) = unsafe { probe::read(core::ptr::addr_of!(value) as u64) };
    assert!(probe.fault.is_none());
    assert_eq!(read, Some(value));
}
