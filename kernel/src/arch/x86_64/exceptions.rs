//! What the kernel does with each exception: resume a breakpoint, hand an expected fault back to
//! its probe, and for anything else print everything the CPU told us, then stop.
//!
//! An exception the kernel did not expect means a bug in the kernel, and the only useful thing
//! left to do is to explain it well: which exception (by name, not only number), what its error
//! code says in words, the faulting address for a page fault (CR2, SDM Vol. 3A §4.7), and every
//! register as it was, on the screen for a person and on serial for the host. Then the kernel
//! panics, which halts it, or in a test kernel fails the running test.
//!
//! A double fault whose CR2 lies in the kernel stack's guard page is reported as what it almost
//! always is: a kernel stack overflow. The page fault on the guard page could not be delivered
//! because delivering it needs stack, so the CPU raised a double fault instead, which runs on its
//! own IST stack (see [`super::gdt`]) and can still print.

use super::probe;
use super::trap::{hooks, GuardPage, TrapFrame};
use core::fmt;
use core::sync::atomic::{AtomicU64, Ordering};
use traps::{vector, PageFaultCode, SelectorErrorCode};

/// How many `int3` breakpoints the kernel has taken and resumed.
static BREAKPOINTS: AtomicU64 = AtomicU64::new(0);

/// How many breakpoints have been taken since boot.
pub fn breakpoints() -> u64 {
    BREAKPOINTS.load(Ordering::Relaxed)
}

/// Handles one trap; called by [`super::trap`] with the saved state.
pub fn handle(frame: &mut TrapFrame) {
    let vector = frame.vector as u8;
    if vector == vector::BREAKPOINT {
        // int3 is a trap: RIP already points past it, so returning resumes the code.
        BREAKPOINTS.fetch_add(1, Ordering::Relaxed);
        log::info!("breakpoint (#BP) at {:#x}, resuming", frame.rip - 1);
        return;
    }
    let cr2 = ::x86_64::registers::control::Cr2::read_raw();
    if vector == vector::PAGE_FAULT {
        if let Some(fixup) = super::usercopy::fault_fixup(frame.rip) {
            // A copy to or from user memory met a page it may not touch. A copy-on-write or
            // demand-zero page is resolved and the copy retried; anything else it reports.
            if let Some(hooks) = hooks() {
                // The copy runs in a system call, with interrupts on: resolving may take locks
                // that a preempted thread holds, so it must be preemptible too.
                ::x86_64::instructions::interrupts::enable();
                let resolved = (hooks.resolve_user_fault)(cr2, frame.error_code);
                ::x86_64::instructions::interrupts::disable();
                if resolved {
                    return;
                }
            }
            frame.rip = fixup;
            return;
        }
    }
    let guard = guard_page(cr2);
    if probe::armed() {
        if let Some(resume) = probe::catch(vector, frame.error_code, frame.rip, cr2) {
            if probe::report_caught() {
                print(&Diagnostic { frame, cr2, guard });
            }
            frame.rip = resume;
            return;
        }
    }
    print(&Diagnostic { frame, cr2, guard });
    if vector == vector::DOUBLE_FAULT {
        match guard {
            Some(GuardPage::KernelStack) => panic!(
                "kernel stack overflow: the stack reached its guard page at {cr2:#x} (double fault)"
            ),
            Some(GuardPage::Thread(thread)) => panic!(
                "thread {thread} stack overflow: its stack reached its guard page at {cr2:#x} (double fault)"
            ),
            Some(GuardPage::ExceptionStack(slot)) => panic!(
                "exception stack {slot} overflow: it reached its guard page at {cr2:#x} (double fault)"
            ),
            None => {}
        }
    }
    match traps::name(vector) {
        Some((mnemonic, name)) => {
            panic!("unhandled exception {mnemonic} {name} at {:#x}", frame.rip)
        }
        None => panic!("unexpected interrupt on vector {vector}"),
    }
}

/// The guard page `address` lies in, as the registered hooks say.
fn guard_page(address: u64) -> Option<GuardPage> {
    hooks().and_then(|hooks| (hooks.guard_page)(address))
}

/// Prints the full diagnostic for a trap through the registered hooks (on every output, without
/// waiting for any lock). Before any are registered there is nowhere to print; the panic that
/// follows an unexpected trap still reports it.
pub fn report(frame: &TrapFrame, cr2: u64) {
    print(&Diagnostic {
        frame,
        cr2,
        guard: guard_page(cr2),
    });
}

/// Prints a diagnostic through the registered `report` hook, if there is one.
fn print(diagnostic: &Diagnostic<'_>) {
    if let Some(hooks) = hooks() {
        (hooks.report)(format_args!("{diagnostic}"));
    }
}

/// A trap described for a person: see the module documentation for what it includes.
pub struct Diagnostic<'a> {
    /// The saved state.
    pub frame: &'a TrapFrame,
    /// CR2 when the trap arrived.
    pub cr2: u64,
    /// The guard page CR2 lies in, if any.
    pub guard: Option<GuardPage>,
}

impl fmt::Display for Diagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let frame = self.frame;
        let vector = frame.vector as u8;
        match traps::name(vector) {
            Some((mnemonic, name)) => {
                writeln!(f, "\nEXCEPTION {mnemonic} {name} (vector {vector})")?
            }
            None => writeln!(f, "\nINTERRUPT vector {vector} (no handler)")?,
        }
        match (vector, self.guard) {
            (vector::DOUBLE_FAULT, Some(GuardPage::KernelStack)) => writeln!(
                f,
                "  kernel stack overflow: CR2 {:#x} is in the stack's guard page",
                self.cr2
            )?,
            (vector::DOUBLE_FAULT, Some(GuardPage::Thread(thread))) => writeln!(
                f,
                "  thread {thread} stack overflow: CR2 {:#x} is in its stack's guard page",
                self.cr2
            )?,
            (vector::DOUBLE_FAULT, Some(GuardPage::ExceptionStack(slot))) => writeln!(
                f,
                "  exception stack {slot} overflow: CR2 {:#x} is in its guard page",
                self.cr2
            )?,
            _ => {}
        }
        if vector == vector::PAGE_FAULT {
            let code = PageFaultCode(frame.error_code);
            writeln!(f, "  error code {:#x}: {code}", frame.error_code)?;
            writeln!(f, "  address (CR2) {:#018x}", self.cr2)?;
        } else if traps::has_selector_error_code(vector) {
            let code = SelectorErrorCode(frame.error_code);
            writeln!(f, "  error code {:#x}: {code}", frame.error_code)?;
        } else if vector < traps::EXCEPTION_VECTORS && traps::pushes_error_code(vector) {
            writeln!(f, "  error code {:#x}", frame.error_code)?;
        }
        writeln!(
            f,
            "  RIP {:#018x}  CS {:#06x}  RFLAGS {:#010x}",
            frame.rip, frame.cs, frame.rflags
        )?;
        writeln!(f, "  RSP {:#018x}  SS {:#06x}", frame.rsp, frame.ss)?;
        let registers = [
            ("RAX", frame.rax),
            ("RBX", frame.rbx),
            ("RCX", frame.rcx),
            ("RDX", frame.rdx),
            ("RSI", frame.rsi),
            ("RDI", frame.rdi),
            ("RBP", frame.rbp),
            ("R8 ", frame.r8),
            ("R9 ", frame.r9),
            ("R10", frame.r10),
            ("R11", frame.r11),
            ("R12", frame.r12),
            ("R13", frame.r13),
            ("R14", frame.r14),
            ("R15", frame.r15),
        ];
        // Three to a line: 3 × 24 columns fits an 80-column terminal.
        for line in registers.chunks(3) {
            f.write_str(" ")?;
            for (name, value) in line {
                write!(f, " {name} {value:#018x}")?;
            }
            f.write_str("\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::message_contains;

    fn frame(vector: u8, error_code: u64) -> TrapFrame {
        TrapFrame {
            r15: 15,
            r14: 14,
            r13: 13,
            r12: 12,
            r11: 11,
            r10: 10,
            r9: 9,
            r8: 8,
            rbp: 0xBB,
            rdi: 0xD1,
            rsi: 0x51,
            rdx: 0xDD,
            rcx: 0xCC,
            rbx: 0xB0,
            rax: 0xA0,
            vector: u64::from(vector),
            error_code,
            rip: 0xffff_ffff_8000_1234,
            cs: 0x8,
            rflags: 0x246,
            rsp: 0xffff_ff00_0001_0000,
            ss: 0x10,
        }
    }

    #[test_case]
    fn a_page_fault_diagnostic_names_the_fault_and_decodes_its_code() {
        let frame = frame(vector::PAGE_FAULT, PageFaultCode::WRITE);
        let text = Diagnostic {
            frame: &frame,
            cr2: 0xdead_b000,
            guard: None,
        };
        for expected in [
            "EXCEPTION #PF page fault (vector 14)",
            "error code 0x2: not present, write, kernel mode, data access",
            "address (CR2) 0x00000000deadb000",
            "RIP 0xffffffff80001234",
            "RAX 0x00000000000000a0",
            "R15 0x000000000000000f",
        ] {
            assert!(
                message_contains(format_args!("{text}"), expected),
                "missing {expected:?}"
            );
        }
    }

    #[test_case]
    fn a_general_protection_diagnostic_decodes_the_selector() {
        let frame = frame(vector::GENERAL_PROTECTION, 5 << 3);
        let text = Diagnostic {
            frame: &frame,
            cr2: 0,
            guard: None,
        };
        assert!(message_contains(
            format_args!("{text}"),
            "error code 0x28: GDT index 5"
        ));
        assert!(!message_contains(format_args!("{text}"), "CR2"));
    }

    #[test_case]
    fn a_double_fault_in_the_guard_page_says_stack_overflow() {
        let frame = frame(vector::DOUBLE_FAULT, 0);
        let text = Diagnostic {
            frame: &frame,
            cr2: 0xffff_ff00_0000_0008,
            guard: Some(GuardPage::KernelStack),
        };
        assert!(message_contains(
            format_args!("{text}"),
            "kernel stack overflow"
        ));
        let elsewhere = Diagnostic {
            frame: &frame,
            cr2: 0x1000,
            guard: None,
        };
        assert!(!message_contains(
            format_args!("{elsewhere}"),
            "kernel stack overflow"
        ));
    }
}
