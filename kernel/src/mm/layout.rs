//! Where things are in the kernel's virtual address space: the one map of it.
//!
//! x86_64 has 48-bit virtual addresses, sign-extended to 64 bits: the lower half
//! (`0x0000_0000_0000_0000..=0x0000_7fff_ffff_ffff`) is where user programs will live, the upper
//! half (`0xffff_8000_0000_0000..`) belongs to the kernel, and the hole between is
//! *non-canonical*: touching it raises a general protection fault, not a page fault. Each of
//! the 512 entries of the top-level page table covers 512 GiB, so the bootloader places each
//! region it maps in its own entry where it can.
//!
//! ```text
//! 0xffff_ffff_ffff_ffff ┐
//!                       │ kernel image (code, rodata, data, bss): linked here, see
//! 0xffff_ffff_8000_0000 ┘ kernel/.cargo/config.toml; the top 2 GiB, as the `kernel` code model wants
//!                         ...
//! 0xffff_ff00_0002_0fff ┐
//!                       │ kernel stack, KERNEL_STACK_SIZE bytes, grows down
//! 0xffff_ff00_0000_1000 ┘
//! 0xffff_ff00_0000_0000   guard page: never mapped, so overflowing the stack faults
//!                         ...
//! 0xffff_fe00_03ff_ffff ┐
//!                       │ kernel heap: KERNEL_HEAP_MAX bytes reserved, mapped as it grows
//! 0xffff_fe00_0000_0000 ┘ (the allocator's page table first, then data pages)
//!                         ...
//! 0xffff_fd00_01ff_ffff ┐ thread stacks: slot n at THREAD_STACKS_START + n * THREAD_STACK_SLOT,
//!                       │ each a guard page (never mapped) and THREAD_STACK_SIZE bytes above it,
//! 0xffff_fd00_0000_0000 ┘ mapped when the thread is spawned
//!                         ...
//! 0xffff_fc00_0000_0000 ┐ device registers (the local APIC, the I/O APIC), mapped uncached
//!                       │ page by page as drivers ask ([`crate::mm::map_mmio`]); never RAM
//!                         ...
//!   (chosen by the bootloader, each in a free 512 GiB slot from 0xffff_8000_0000_0000 up:)
//!                         all physical memory, mapped at `Boot::physical_memory_offset`
//!                         boot information, framebuffer, the ramdisk
//! 0xffff_8000_0000_0000
//!                         (non-canonical hole)
//! 0x0000_7fff_ffff_efff ┐ user space: each process's own (see `mm::space`), from 64 KiB to
//!                       │ one page below the boundary
//! 0x0000_0000_0001_0000 ┘
//! ```
//!
//! The bootloader is told to keep all its mappings in the upper half
//! (`dynamic_range_start` in `BOOTLOADER_CONFIG`), so the whole lower half is free for user
//! programs. (It still identity-maps a few pages of its own low in the kernel's tables; those
//! are not copied into any process.)
//!
//! The stack's place is fixed (rather than left to the bootloader) so the double-fault handler
//! can tell a stack overflow from other faults by the faulting address alone.

/// Where the bootloader may place its own mappings (physical memory, boot information,
/// framebuffer, ramdisk): the start of the kernel half...
pub const DYNAMIC_START: u64 = 0xffff_8000_0000_0000;
/// ... up to just below the physical memory map.
pub const DYNAMIC_END: u64 = PHYSICAL_MEMORY_START - 1;
/// Where all physical memory is mapped (by the kernel, see `mm::physmap`): its own top-level
/// slot (496), so up to 512 GiB.
pub const PHYSICAL_MEMORY_START: u64 = 0xffff_f800_0000_0000;

/// Where the kernel image is linked (`--image-base` in `kernel/.cargo/config.toml`).
pub const KERNEL_BASE: u64 = 0xffff_ffff_8000_0000;

use crate::mm::paging::PAGE_SIZE;

/// Lowest address of the kernel stack's guard page. The bootloader leaves one unmapped page at
/// the address it is given for the stack, and maps the stack right above it.
pub const KERNEL_STACK_GUARD: u64 = 0xffff_ff00_0000_0000;

/// Bytes of kernel stack the bootloader maps above the guard page. 128 KiB: deep enough for
/// formatting and recursion in tests, small enough that an overflow test finishes quickly.
pub const KERNEL_STACK_SIZE: u64 = 128 * 1024;

/// Lowest address of the kernel stack proper.
pub const KERNEL_STACK_BOTTOM: u64 = KERNEL_STACK_GUARD + PAGE_SIZE;

/// One past the highest address of the kernel stack: where it starts, since it grows down.
pub const KERNEL_STACK_TOP: u64 = KERNEL_STACK_BOTTOM + KERNEL_STACK_SIZE;

/// Where the kernel heap's region starts: its own top-level slot (508), which the bootloader
/// never picks for its own mappings (it takes the first free slots of the lower half).
pub const KERNEL_HEAP_START: u64 = 0xffff_fe00_0000_0000;

/// The most the kernel heap may grow to, in bytes. 64 MiB is a quarter of the 256 MiB test
/// machine; the allocator's page table for it (20 bytes per page) takes 320 KiB, mapped at boot.
pub const KERNEL_HEAP_MAX: u64 = 64 * 1024 * 1024;

/// Where device registers are mapped, uncached: their own top-level slot (504), up to
/// `MMIO_MAX` bytes.
pub const MMIO_START: u64 = 0xffff_fc00_0000_0000;
/// The most address space device mappings take.
pub const MMIO_MAX: u64 = 1024 * 1024 * 1024;

/// Where thread stacks are: their own top-level slot (506).
pub const THREAD_STACKS_START: u64 = 0xffff_fd00_0000_0000;
/// Address space per thread: a guard page, the stack, and unused space up to the next slot.
pub const THREAD_STACK_SLOT: u64 = 256 * 1024;
/// Bytes of stack a thread gets. 64 KiB: a quarter of the slot, plenty for kernel work.
pub const THREAD_STACK_SIZE: u64 = 64 * 1024;

/// A kernel address in each top-level slot the kernel maps into after boot: the heap, thread
/// stacks and device registers. Their top-level tables are made at boot, so every address
/// space that copies the kernel half sees what is mapped there later (see `mm::space`).
pub const KERNEL_TOP_LEVEL_SLOTS: &[u64] = &[KERNEL_HEAP_START, THREAD_STACKS_START, MMIO_START];

/// The lowest address of thread slot `slot`'s stack (just above its guard page).
pub fn thread_stack_bottom(slot: usize) -> u64 {
    THREAD_STACKS_START + slot as u64 * THREAD_STACK_SLOT + PAGE_SIZE
}

/// The stack `address` lies on, as the range of its addresses: the boot stack, or a thread's
/// (for a backtrace, which may read only where a stack is mapped). `None` elsewhere, an
/// exception stack included.
pub fn stack_of(address: u64) -> Option<core::ops::Range<u64>> {
    if (KERNEL_STACK_BOTTOM..KERNEL_STACK_TOP).contains(&address) {
        return Some(KERNEL_STACK_BOTTOM..KERNEL_STACK_TOP);
    }
    let offset = address.checked_sub(THREAD_STACKS_START)?;
    let slot = (offset / THREAD_STACK_SLOT) as usize;
    let bottom = thread_stack_bottom(slot);
    let inside =
        slot < sched::MAX_THREADS && (bottom..bottom + THREAD_STACK_SIZE).contains(&address);
    inside.then_some(bottom..bottom + THREAD_STACK_SIZE)
}

/// The thread slot whose guard page holds `address`, if any.
pub fn thread_stack_guard_of(address: u64) -> Option<usize> {
    let offset = address.checked_sub(THREAD_STACKS_START)?;
    let slot = (offset / THREAD_STACK_SLOT) as usize;
    (slot < sched::MAX_THREADS && offset % THREAD_STACK_SLOT < PAGE_SIZE).then_some(slot)
}

/// The guard page `address` lies in, if any: the trap path's `guard_page` hook.
pub fn guard_page(address: u64) -> Option<crate::arch::x86_64::trap::GuardPage> {
    use crate::arch::x86_64::trap::GuardPage;
    if in_kernel_stack_guard(address) {
        return Some(GuardPage::KernelStack);
    }
    let page = address & !(PAGE_SIZE - 1);
    if let Some((slot, _)) =
        crate::arch::x86_64::gdt::ist_guard_pages().find(|&(_, guard)| guard == page)
    {
        return Some(GuardPage::ExceptionStack(slot));
    }
    thread_stack_guard_of(address).map(GuardPage::Thread)
}

/// Whether `address` lies in the kernel stack's guard page: an access there is a stack overflow.
pub fn in_kernel_stack_guard(address: u64) -> bool {
    (KERNEL_STACK_GUARD..KERNEL_STACK_BOTTOM).contains(&address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn the_kernel_runs_on_the_stack_the_map_describes() {
        let marker = 0u8;
        let here = core::ptr::addr_of!(marker) as u64;
        assert!(
            (KERNEL_STACK_BOTTOM..KERNEL_STACK_TOP).contains(&here),
            "a local at {here:#x} is not on the kernel stack"
        );
    }

    #[test_case]
    fn the_guard_page_is_below_the_stack() {
        assert!(in_kernel_stack_guard(KERNEL_STACK_GUARD));
        assert!(in_kernel_stack_guard(KERNEL_STACK_BOTTOM - 1));
        assert!(!in_kernel_stack_guard(KERNEL_STACK_BOTTOM));
    }
}
