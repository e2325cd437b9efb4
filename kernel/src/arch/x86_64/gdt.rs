//! The global descriptor table and the task state segment: the CPU's segments, and the stacks
//! it switches to for the worst exceptions.
//!
//! In 64-bit mode segmentation is mostly switched off: code and data segments still exist, but
//! their base and limit are ignored (SDM Vol. 3A §3.2.4). The GDT is still needed for two
//! things. A code segment's descriptor says "64-bit code" and at which *privilege level* (ring 0
//! for the kernel, ring 3 for user programs), and `CS` must select one: the low two bits of the
//! selector in `CS` are the privilege the CPU runs at. And the GDT holds the descriptor of the
//! *task state segment*, whose only jobs in long mode are to name the stack for entering ring 0
//! from user mode (`rsp0`, which [`set_kernel_stack`] points at the running thread's kernel
//! stack on every switch) and the seven stacks of the *interrupt stack table* (IST, SDM
//! §6.14.5).
//!
//! The order of the descriptors is not free: `syscall` and `sysret` do not read the GDT but
//! compute the selectors from one base in the STAR register (SDM Vol. 2B, SYSRET): the kernel's
//! code at base, its data at base + 8; the user's data at base' + 8 and code at base' + 16. So
//! the table is null, kernel code, kernel data, user data, user code, TSS.
//!
//! An IDT gate that names an IST slot makes the CPU load that stack before it pushes the
//! exception frame, whatever the stack pointer was. Ferrite gives three exceptions their own:
//!
//! * **double fault**: raised when delivering an exception fails, typically because the kernel
//!   stack overflowed into its guard page and the CPU could not push the page fault's frame. On
//!   the same broken stack the double fault would fail too, and a third failure resets the
//!   machine (a triple fault) without a word. On its own stack the handler can report.
//! * **NMI**: can arrive at any instruction, including the few in the trap entry code where the
//!   stack is not yet in a state to take another frame (and, later, right after `syscall`, when
//!   the stack pointer is still the user's).
//! * **machine check**: reports a hardware error, possibly in the very memory the current stack
//!   lives in.
//!
//! The IST stacks are static arrays, each page-aligned with one page below it that is not part
//! of the stack: its *guard page*. Once the page-table API is up, the kernel unmaps those pages
//! ([`ist_guard_pages`]), so a handler that overflows its IST stack faults at once instead of
//! quietly writing over whatever lies below.

use crate::sync::TakeOnce;
use ::x86_64::instructions::segmentation::{Segment, CS, DS, ES, SS};
use ::x86_64::instructions::tables::load_tss;
use ::x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use ::x86_64::structures::paging::{PageSize, Size4KiB};
use ::x86_64::structures::tss::TaskStateSegment;
use ::x86_64::VirtAddr;
use core::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

/// IST slot (0-based, as the TSS array counts) of the double-fault stack.
pub const DOUBLE_FAULT_IST: u16 = 0;
/// IST slot of the NMI stack.
pub const NMI_IST: u16 = 1;
/// IST slot of the machine-check stack.
pub const MACHINE_CHECK_IST: u16 = 2;
/// How many IST stacks Ferrite uses.
const IST_STACKS: usize = 3;
/// Size of each IST stack: enough for the trap frame and a formatted diagnostic.
pub const IST_STACK_SIZE: usize = 32 * 1024;

/// Bytes in a page (the guard page's size).
const PAGE: usize = Size4KiB::SIZE as usize;

/// A stack and the guard page below it, page-aligned so the guard is a whole page of its own.
/// (The CPU also aligns the stack pointer to 16 bytes when it switches stacks.)
#[repr(C, align(4096))]
struct Stack {
    guard: [u8; PAGE],
    stack: [u8; IST_STACK_SIZE],
}

/// The IST stacks, in `.bss`. Taken once by [`init`], whose TSS then owns them.
static IST: TakeOnce<[Stack; IST_STACKS]> = TakeOnce::new(
    [const {
        Stack {
            guard: [0; PAGE],
            stack: [0; IST_STACK_SIZE],
        }
    }; IST_STACKS],
);
/// The task state segment. Written once in [`init`], then only read, by the CPU.
static TSS: TakeOnce<TaskStateSegment> = TakeOnce::new(TaskStateSegment::new());
/// The GDT. Written once in [`init`], then only read, by the CPU.
static GDT: TakeOnce<GlobalDescriptorTable> = TakeOnce::new(GlobalDescriptorTable::new());

/// The selectors [`init`] loaded; proof that the GDT and TSS are in place.
#[derive(Debug, Clone, Copy)]
pub struct Segments {
    /// The kernel's 64-bit code segment.
    pub kernel_code: SegmentSelector,
    /// The kernel's data segment (also the stack segment).
    pub kernel_data: SegmentSelector,
    /// The user's data and stack segment (ring 3).
    pub user_data: SegmentSelector,
    /// The user's 64-bit code segment (ring 3).
    pub user_code: SegmentSelector,
    /// The task state segment.
    pub tss: SegmentSelector,
}

/// Where the IST stack in `slot` starts (its top: stacks grow down), for diagnostics.
pub fn ist_stack_range(slot: u16) -> Option<core::ops::Range<u64>> {
    let top = IST_TOPS.get(usize::from(slot))?.load(Ordering::Relaxed);
    (top != 0).then(|| top - IST_STACK_SIZE as u64..top)
}

/// The top of each IST stack, once [`init`] has placed them.
static IST_TOPS: [AtomicU64; IST_STACKS] = [const { AtomicU64::new(0) }; IST_STACKS];

/// The guard page of each IST stack, once [`init`] has placed them.
static IST_GUARDS: [AtomicU64; IST_STACKS] = [const { AtomicU64::new(0) }; IST_STACKS];

/// The guard pages below the IST stacks (for the kernel to unmap once it can, and to name a
/// fault in one); empty before [`init`].
pub fn ist_guard_pages() -> impl Iterator<Item = (u16, u64)> + Clone {
    (0..IST_STACKS as u16)
        .map(|slot| (slot, IST_GUARDS[usize::from(slot)].load(Ordering::Relaxed)))
        .filter(|&(_, page)| page != 0)
}

/// The TSS once [`init`] has loaded it, for [`set_kernel_stack`]. The CPU reads it, so after
/// `init` no Rust reference to it is kept: the one field that changes is written through this
/// pointer. (The TSS is a packed structure, so `rsp0` sits at offset 4, not 8-aligned: the
/// write must be an unaligned one.)
static TSS_LOADED: AtomicPtr<TaskStateSegment> = AtomicPtr::new(core::ptr::null_mut());

/// Makes `top` the stack the CPU switches to when an interrupt or exception arrives in ring 3
/// (`rsp0` in the TSS). The scheduler calls it on every switch with the next thread's kernel
/// stack, so a user program interrupted on this CPU lands on its own thread's stack.
pub fn set_kernel_stack(top: u64) {
    let tss = TSS_LOADED.load(Ordering::Relaxed);
    if tss.is_null() {
        return;
    }
    // SAFETY: `tss` is the static TSS `init` loaded, which lives for ever and to which no Rust
    // reference exists after `init`; the CPU only reads `rsp0` on a privilege change, which
    // cannot happen while the kernel runs this write with interrupts in whatever state: an
    // interrupt taken meanwhile arrives from ring 0 and does not read it.
    unsafe {
        core::ptr::addr_of_mut!((*tss).privilege_stack_table[0])
            .write_unaligned(VirtAddr::new(top));
    }
}

/// Builds the TSS and GDT, loads them, and reloads every segment register. Call once, with
/// interrupts off (as they are at boot).
pub fn init() -> Segments {
    let stacks = IST.take().expect("gdt::init runs once");
    let tss = TSS.take().expect("gdt::init runs once");
    for (slot, stack) in stacks.iter_mut().enumerate() {
        // The top of the array: the first push goes just below it.
        let top = VirtAddr::from_ptr(stack.stack.as_ptr_range().end);
        tss.interrupt_stack_table[slot] = top;
        IST_TOPS[slot].store(top.as_u64(), Ordering::Relaxed);
        IST_GUARDS[slot].store(stack.guard.as_ptr() as u64, Ordering::Relaxed);
    }
    let tss: *mut TaskStateSegment = tss;

    let gdt = GDT.take().expect("gdt::init runs once");
    let segments = Segments {
        kernel_code: gdt.append(Descriptor::kernel_code_segment()),
        kernel_data: gdt.append(Descriptor::kernel_data_segment()),
        user_data: gdt.append(Descriptor::user_data_segment()),
        user_code: gdt.append(Descriptor::user_code_segment()),
        // SAFETY: `tss` comes from a `&'static mut` just above; the descriptor only records its
        // address and the CPU reads the TSS from there.
        tss: gdt.append(Descriptor::tss_segment(unsafe { &*tss })),
    };
    TSS_LOADED.store(tss, Ordering::Relaxed);
    let gdt: &'static GlobalDescriptorTable = gdt;
    gdt.load();
    // SAFETY: the GDT just loaded holds these descriptors at these selectors, and it is a static
    // that is never changed again, so the segment registers stay valid. CS is reloaded with a
    // far return by the x86_64 crate; the data registers just take the selector. Loading the TSS
    // marks its descriptor busy, which is why it happens exactly once.
    unsafe {
        CS::set_reg(segments.kernel_code);
        SS::set_reg(segments.kernel_data);
        DS::set_reg(segments.kernel_data);
        ES::set_reg(segments.kernel_data);
        load_tss(segments.tss);
    }
    segments
}
