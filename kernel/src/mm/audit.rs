//! The W^X audit: no page may be both writable and executable.
//!
//! A page that is writable and executable lets a bug that writes memory become a bug that runs
//! code of the attacker's choosing; "write xor execute" closes that door. It takes two CPU
//! features, both of which the kernel checks are on: EFER.NXE, without which the no-execute bit
//! is reserved and ignored (SDM Vol. 3A §4.6), and CR0.WP, without which ring 0 may write
//! read-only pages anyway (§4.6.1). Then the page tables must say the right thing: the kernel's
//! code read-only and executable, everything else non-executable.
//!
//! The audit walks every present mapping (all four levels, huge pages included), combines each
//! level's flags as the CPU does, and counts the pages that come out writable and executable.

use super::PAGE_TABLES;
use x86_64::registers::control::{Cr0, Cr0Flags};
use x86_64::registers::model_specific::{Efer, EferFlags};
use x86_64::VirtAddr;

/// What the audit found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// EFER.NXE is on: the no-execute bit is honoured.
    pub nx_enabled: bool,
    /// CR0.WP is on: read-only pages are read-only in ring 0 too.
    pub write_protect: bool,
    /// Bytes of address space mapped, in all.
    pub mapped_bytes: u64,
    /// Bytes mapped both writable and executable.
    pub writable_and_executable_bytes: u64,
    /// The first writable and executable mapping, if any.
    pub first_violation: Option<VirtAddr>,
}

impl Report {
    /// Whether the kernel keeps W^X.
    pub fn passed(&self) -> bool {
        self.nx_enabled && self.write_protect && self.writable_and_executable_bytes == 0
    }
}

/// Walks the active page tables and reports.
pub fn run() -> Report {
    let mut report = Report {
        nx_enabled: Efer::read().contains(EferFlags::NO_EXECUTE_ENABLE),
        write_protect: Cr0::read().contains(Cr0Flags::WRITE_PROTECT),
        mapped_bytes: 0,
        writable_and_executable_bytes: 0,
        first_violation: None,
    };
    if let Some(tables) = PAGE_TABLES.lock().as_ref() {
        tables.walk(|addr, bytes, writable, executable| {
            report.mapped_bytes += bytes;
            if writable && executable {
                report.writable_and_executable_bytes += bytes;
                report.first_violation.get_or_insert(addr);
            }
        });
    }
    report
}
