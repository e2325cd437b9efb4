//! A test kernel for physical frames, the page table API and the W^X audit.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

use ferrite::arch::x86_64::probe;
use ferrite::mm::paging::{MapError, PageSize, UnmapError, PAGE_SIZE};
use ferrite::mm::{audit, frames, PAGE_TABLES};
use traps::{vector, PageFaultCode};
use x86_64::structures::paging::PageTableFlags as Flags;
use x86_64::{PhysAddr, VirtAddr};

ferrite::test_kernel!(firmware = "bios uefi");

/// A lower-half address no one maps (the bootloader's regions are at other top-level slots),
/// checked by each test before use.
const SCRATCH: u64 = 0x0000_5555_0000_0000;

fn offset() -> u64 {
    ferrite::testing::boot()
        .physical_memory_offset
        .expect("physical memory is mapped")
}

fn with_tables<R>(f: impl FnOnce(&mut ferrite::mm::paging::PageTables) -> R) -> R {
    f(PAGE_TABLES
        .lock()
        .as_mut()
        .expect("memory management is up"))
}

/// Allocates every free frame, chaining them through their own first word (there is no heap to
/// keep a list in), and returns the head of the chain and how many there were.
fn take_all_frames() -> (Option<PhysAddr>, usize) {
    let (mut head, mut count) = (None::<PhysAddr>, 0);
    while let Some(frame) = frames::allocate() {
        assert!(
            frame.as_u64() >= frames::LOW_MEMORY_END,
            "low memory is never handed out"
        );
        let link = head.map_or(0, |h| h.as_u64());
        // SAFETY: the frame was just handed out to this test, and physical memory is mapped.
        unsafe { ((frame.as_u64() + offset()) as *mut u64).write(link) };
        head = Some(frame);
        count += 1;
    }
    (head, count)
}

/// Frees a chain made by `take_all_frames`, up to `limit` frames; returns the rest of it.
fn free_chain(mut head: Option<PhysAddr>, limit: usize) -> Option<PhysAddr> {
    for _ in 0..limit {
        let Some(frame) = head else { break };
        // SAFETY: the frame is still held by this test and holds the next link.
        let next = unsafe { ((frame.as_u64() + offset()) as *const u64).read() };
        frames::free(frame).expect("the frame was allocated");
        head = (next != 0).then(|| PhysAddr::new(next));
    }
    head
}

#[test_case]
fn all_frames_can_be_taken_and_given_back() {
    let before = frames::counts().unwrap();
    let (head, count) = take_all_frames();
    assert_eq!(count, before.free, "every free frame was handed out");
    assert_eq!(frames::counts().unwrap().free, 0);
    assert_eq!(free_chain(head, usize::MAX), None);
    assert_eq!(
        frames::counts().unwrap(),
        before,
        "the count returns to where it was"
    );
}

#[test_case]
fn a_double_free_is_refused() {
    let frame = frames::allocate().unwrap();
    assert_eq!(frames::free(frame), Ok(()));
    assert_eq!(frames::free(frame), Err(::frames::FreeError::NotAllocated));
}

#[test_case]
fn map_translate_protect_unmap() {
    let page = VirtAddr::new(SCRATCH);
    with_tables(|t| assert!(t.translate(page).is_none()));
    let frame = frames::allocate().unwrap();
    with_tables(|t| t.map(page, frame, Flags::WRITABLE | Flags::NO_EXECUTE)).unwrap();
    let translation = with_tables(|t| t.translate(page + 0x123u64)).unwrap();
    assert_eq!(translation.phys, frame + 0x123u64);
    assert_eq!(translation.size, PageSize::Size4KiB);
    assert!(translation.writable && !translation.executable);
    // Written through the new mapping, read through the physical memory mapping.
    // SAFETY: the page was just mapped to a frame this test owns.
    let probe = unsafe { probe::write(SCRATCH, 0xFE22_17E0) };
    assert!(probe.fault.is_none());
    // SAFETY: the same frame, through the bootloader's mapping of physical memory.
    let through_physical = unsafe { ((frame.as_u64() + offset()) as *const u64).read() };
    assert_eq!(through_physical, 0xFE22_17E0);
    assert_eq!(
        with_tables(|t| t.map(page, frame, Flags::WRITABLE)),
        Err(MapError::AlreadyMapped(frame))
    );
    // Read-only now: a write faults as a protection violation.
    with_tables(|t| t.set_flags(page, Flags::NO_EXECUTE)).unwrap();
    // SAFETY: the page is read-only, so the write faults and does not happen.
    let fault = unsafe { probe::write(SCRATCH, 1) }
        .fault
        .expect("read-only");
    assert_eq!((fault.vector, fault.cr2), (vector::PAGE_FAULT, SCRATCH));
    assert_eq!(
        fault.error_code,
        PageFaultCode::PRESENT | PageFaultCode::WRITE
    );
    assert_eq!(with_tables(|t| t.unmap(page)), Ok(frame));
    assert_eq!(with_tables(|t| t.unmap(page)), Err(UnmapError::NotMapped));
    // SAFETY: SCRATCH was just unmapped: the read faults and touches nothing.
    let fault = unsafe { probe::read(SCRATCH) }.0.fault.expect("unmapped");
    assert_eq!(fault.error_code, 0, "not present, read");
    frames::free(frame).unwrap();
}

#[test_case]
fn mapping_without_frames_fails_and_leaves_no_trace() {
    // A page in an empty top-level slot needs three new tables; leave only two frames.
    let page = VirtAddr::new(SCRATCH + (1 << 39));
    with_tables(|t| assert!(t.translate(page).is_none()));
    let before = frames::counts().unwrap();
    let (head, _) = take_all_frames();
    let rest = free_chain(head, 2);
    assert_eq!(frames::counts().unwrap().free, 2);
    let target = PhysAddr::new(0x20_0000);
    assert_eq!(
        with_tables(|t| t.map(page, target, Flags::NO_EXECUTE)),
        Err(MapError::OutOfFrames)
    );
    assert_eq!(
        frames::counts().unwrap().free,
        2,
        "the frames it took were given back"
    );
    with_tables(|t| assert!(t.translate(page).is_none()));
    free_chain(rest, usize::MAX);
    assert_eq!(frames::counts().unwrap(), before);
}

#[test_case]
fn misaligned_requests_are_refused() {
    let frame = PhysAddr::new(0x20_0000);
    assert_eq!(
        with_tables(|t| t.map(VirtAddr::new(SCRATCH + 8), frame, Flags::empty())),
        Err(MapError::Unaligned)
    );
    assert_eq!(
        with_tables(|t| t.unmap(VirtAddr::new(SCRATCH + 1))),
        Err(UnmapError::Unaligned)
    );
}

#[test_case]
fn the_wx_audit_passes_and_catches_a_violation() {
    let boot = ferrite::testing::boot().memory.unwrap().audit;
    assert!(boot.nx_enabled && boot.write_protect);
    assert!(boot.passed(), "at boot: {boot:?}");
    let page = VirtAddr::new(SCRATCH + 2 * PAGE_SIZE);
    let frame = frames::allocate().unwrap();
    with_tables(|t| t.map(page, frame, Flags::WRITABLE)).unwrap();
    let report = audit::run();
    assert!(!report.passed());
    assert_eq!(report.first_violation, Some(page));
    assert_eq!(report.writable_and_executable_bytes, PAGE_SIZE);
    with_tables(|t| t.unmap(page)).unwrap();
    frames::free(frame).unwrap();
    assert!(audit::run().passed());
}

#[test_case]
fn the_apic_registers_are_mapped_uncached_in_the_device_region() {
    let controllers = ferrite::interrupts::controllers().expect("interrupts are up");
    let base = controllers.local_apic.registers();
    assert!(
        (ferrite::mm::layout::MMIO_START
            ..ferrite::mm::layout::MMIO_START + ferrite::mm::layout::MMIO_MAX)
            .contains(&base),
        "{base:#x}"
    );
    let t = with_tables(|t| t.translate(VirtAddr::new(base))).unwrap();
    assert_eq!(t.phys.as_u64(), controllers.platform.local_apic);
    assert!(
        t.flags.contains(Flags::NO_CACHE | Flags::WRITE_THROUGH) && !t.executable,
        "{t:?}"
    );
    assert_eq!(t.size, PageSize::Size4KiB);
}

#[test_case]
fn kernel_code_is_read_only_and_executable_and_data_is_not_executable() {
    let code = VirtAddr::new(ferrite::init as usize as u64);
    let t = with_tables(|t| t.translate(code)).unwrap();
    assert!(!t.writable && t.executable, "kernel code: {t:?}");
    static DATA: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(1);
    let data = with_tables(|t| t.translate(VirtAddr::from_ptr(&DATA))).unwrap();
    assert!(data.writable && !data.executable, "kernel data: {data:?}");
    let stack_local = 0u8;
    let stack = with_tables(|t| t.translate(VirtAddr::from_ptr(&stack_local))).unwrap();
    assert!(stack.writable && !stack.executable, "stack: {stack:?}");
}

#[test_case]
fn the_kernel_maps_physical_memory_itself_with_large_pages() {
    use bootloader_api::info::MemoryRegionKind;
    let boot = ferrite::testing::boot();
    let map = boot.memory.unwrap().physical_map;
    assert_eq!(map.offset, ferrite::mm::layout::PHYSICAL_MEMORY_START);
    assert_eq!(offset(), map.offset, "everyone uses the kernel's own map");
    assert!(map.end >= 4 << 30, "the first 4 GiB are mapped");
    let top = boot
        .memory_map
        .iter()
        .filter(|r| r.kind == MemoryRegionKind::Usable)
        .map(|r| r.end)
        .max()
        .unwrap();
    with_tables(|t| {
        let last = t.translate(VirtAddr::new(map.offset + top - 8)).unwrap();
        assert_eq!(last.phys, PhysAddr::new(top - 8), "the last byte of RAM");
        assert_eq!(
            last.size,
            PageSize::Size1GiB,
            "QEMU's `-cpu max` has 1 GiB pages"
        );
        assert!(last.writable && !last.executable);
        assert!(
            t.translate(VirtAddr::new(map.offset + map.end)).is_none(),
            "nothing past the end (the bootloader mapped up to 1 TiB)"
        );
        // No top-level entry leads back to the top-level table: the recursive entry is gone.
        for index in 0..512u64 {
            let itself = VirtAddr::new_truncate(
                (index << 39) | (index << 30) | (index << 21) | (index << 12),
            );
            let found = t.translate(itself).map(|tr| tr.phys);
            assert_ne!(found, Some(t.root()), "entry {index} is recursive");
        }
    });
}
