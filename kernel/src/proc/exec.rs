//! Loading a program: its ELF segments into a fresh address space, and the System V start-up
//! stack above them.
//!
//! The ELF file is untrusted input (a learner's own program can be added to the ramdisk), so it
//! is parsed by the host-tested `elf` crate, which checks every field against the user half's
//! limits before the loader sees a single address. The loader's own half is simple:
//!
//! 1. Each `PT_LOAD` segment gets fresh, zeroed pages covering `vaddr .. vaddr + memsz`, with
//!    the segment's permissions: readable always, writable only if it says W, executable only if
//!    it says X (the parser refuses W+X). The file's bytes are copied in; the rest (`.bss`)
//!    stays zero.
//! 2. A stack of up to [`STACK_PAGES`] pages ending at [`STACK_TOP`], with the page below left
//!    unmapped as its guard: a program that overflows its stack faults and is ended, rather than
//!    running into whatever lies below. Only the pages the start-up data needs are mapped now;
//!    the others are *demand-zero* ([`STACK`]): the first touch maps a zeroed page (see
//!    `mm::space`), so a program pays only for the stack it uses.
//! 3. The start-up data on that stack, as the System V ABI lays it out: `argc`, the `argv`
//!    pointers and a null, the `envp` pointers and a null, the auxiliary vector (what the C
//!    library wants to know: where the program headers are, the page size, the entry point, 16
//!    random bytes), and above them the strings themselves. See `user/runtime/src/start.rs` for
//!    the same layout read from the other side.

use super::regions::{Backing, Protection, Region, Regions};
use crate::mm::paging::PAGE_SIZE;
use crate::mm::space::{AddressSpace, SpaceError, USER_END, USER_START};
use abi::auxv;
use alloc::sync::Arc;
use alloc::vec::Vec;
use x86_64::structures::paging::PageTableFlags as Flags;

/// The top of every program's stack: just below the last page of user space, which stays
/// unmapped (see `mm::space::USER_END`).
pub const STACK_TOP: u64 = USER_END - PAGE_SIZE;
/// Pages the stack may grow to: 128 KiB.
pub const STACK_PAGES: u64 = 32;
/// The lowest address of the stack.
pub const STACK_BOTTOM: u64 = STACK_TOP - STACK_PAGES * PAGE_SIZE;
/// The stack's range: a page in it that is not mapped yet is mapped, zeroed, when first touched.
pub const STACK: core::ops::Range<u64> = STACK_BOTTOM..STACK_TOP;
/// The stack's guard page, never mapped.
pub const STACK_GUARD: u64 = STACK_BOTTOM - PAGE_SIZE;
/// Where anonymous `mmap`s are placed, growing down from here: far below the stack.
pub const MMAP_TOP: u64 = 0x7000_0000_0000;
/// The highest address a program's segments may reach: below the mapping region.
pub const PROGRAM_END: u64 = 0x4000_0000_0000;
/// The most segment memory one program may ask for: 256 MiB, the test machine's RAM.
const MAX_IMAGE_BYTES: u64 = 256 * 1024 * 1024;
/// The most program headers the loader accepts.
const MAX_SEGMENTS: usize = 32;
/// The most bytes of arguments and environment together (Linux's limit is far larger; a
/// quarter of the stack keeps room for the program).
pub const MAX_ARG_BYTES: usize = 32 * 1024;

/// Why a program could not be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecError {
    /// The file is not an ELF program Ferrite can run; the parser says why.
    Elf(elf::ElfError),
    /// Memory ran out while mapping it.
    OutOfMemory,
    /// The arguments and environment are larger than [`MAX_ARG_BYTES`].
    ArgumentsTooLong,
}

impl From<SpaceError> for ExecError {
    fn from(_: SpaceError) -> ExecError {
        // The parser has already checked every range, so only memory can run out.
        ExecError::OutOfMemory
    }
}

/// Where a loaded program starts, and the regions its segments fill.
pub struct Image {
    /// The program's segments, as regions (for `/proc/PID/maps`, `munmap` and `mprotect`).
    pub regions: Regions,
    /// The entry point.
    pub entry: u64,
    /// The stack pointer at entry, pointing at `argc`.
    pub stack_pointer: u64,
    /// The first address above every segment, page-aligned: where the heap (`brk`) begins.
    pub brk: u64,
}

/// The limits a program's segments are checked against.
fn limits() -> elf::Limits {
    elf::Limits {
        lowest: USER_START,
        end: PROGRAM_END,
        max_segments: MAX_SEGMENTS,
        max_memsz: MAX_IMAGE_BYTES,
    }
}

/// Checks `bytes` as a program without loading it (for a clear error before anything is made).
pub fn check(bytes: &[u8]) -> Result<(), ExecError> {
    elf::parse(bytes, &limits())
        .map(drop)
        .map_err(ExecError::Elf)
}

/// Loads the program in `bytes`, found at `path`, into `space` (which must have an empty user
/// half) with arguments `argv` and environment `envp`; `seed` makes the 16 bytes of `AT_RANDOM`.
pub fn load(
    space: &mut AddressSpace,
    path: &Arc<str>,
    bytes: &[u8],
    argv: &[&[u8]],
    envp: &[&[u8]],
    seed: u64,
) -> Result<Image, ExecError> {
    let program = elf::parse(bytes, &limits()).map_err(ExecError::Elf)?;
    let mut brk = USER_START;
    let mut regions = Regions::default();
    for segment in program.segments() {
        if segment.memsz == 0 {
            continue;
        }
        let first = segment.vaddr & !(PAGE_SIZE - 1);
        let end = (segment.vaddr + segment.memsz).next_multiple_of(PAGE_SIZE);
        let mut flags = Flags::empty();
        if segment.perm.write {
            flags |= Flags::WRITABLE;
        }
        if !segment.perm.execute {
            flags |= Flags::NO_EXECUTE;
        }
        space.map_zeroed(first, (end - first) / PAGE_SIZE, flags)?;
        if !space.write(segment.vaddr, segment.data) {
            return Err(ExecError::OutOfMemory);
        }
        // Two segments may share a page (the parser allows it): the region starts after the
        // one before.
        let start = first.max(regions.iter().last().map_or(first, |r| r.end));
        if start < end {
            regions.insert(Region {
                start,
                end,
                protection: Protection {
                    read: true,
                    write: segment.perm.write,
                    execute: segment.perm.execute,
                },
                backing: Backing::Program,
                offset: file_offset(bytes, &segment).saturating_sub(segment.vaddr - start),
                path: Some(path.clone()),
            });
        }
        brk = brk.max(end);
    }
    let aux = Auxiliary {
        phdr: program.phdr_vaddr().unwrap_or(0),
        phnum: u64::from(program.phnum()),
        phent: u64::from(program.phentsize()),
        entry: program.entry(),
        seed,
    };
    let stack_pointer = build_stack(space, argv, envp, &aux)?;
    Ok(Image {
        regions,
        entry: program.entry(),
        stack_pointer,
        brk,
    })
}

/// Where `segment`'s bytes start in the file `bytes` (0 for a segment with none, `.bss`).
fn file_offset(bytes: &[u8], segment: &elf::Segment) -> u64 {
    if segment.data.is_empty() {
        return 0;
    }
    (segment.data.as_ptr() as usize - bytes.as_ptr() as usize) as u64
}

/// What the auxiliary vector tells the program.
struct Auxiliary {
    phdr: u64,
    phnum: u64,
    phent: u64,
    entry: u64,
    seed: u64,
}

/// Maps the stack pages the start-up data needs and writes it below [`STACK_TOP`]; returns the
/// stack pointer (16-byte aligned, pointing at argc). The rest of the stack is left to demand.
fn build_stack(
    space: &mut AddressSpace,
    argv: &[&[u8]],
    envp: &[&[u8]],
    aux: &Auxiliary,
) -> Result<u64, ExecError> {
    let string_bytes: usize = argv.iter().chain(envp).map(|s| s.len() + 1).sum();
    if string_bytes > MAX_ARG_BYTES {
        return Err(ExecError::ArgumentsTooLong);
    }
    // The strings, then 16 random bytes, packed at the top.
    let mut strings: Vec<u8> = Vec::with_capacity(string_bytes + RANDOM_BYTES);
    let mut offsets = Vec::with_capacity(argv.len() + envp.len());
    for s in argv.iter().chain(envp) {
        offsets.push(strings.len() as u64);
        strings.extend_from_slice(s);
        strings.push(0);
    }
    let random_offset = strings.len() as u64;
    let mut rng = xorshift::Rng::new(aux.seed);
    for _ in 0..RANDOM_BYTES / 8 {
        strings.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    let strings_start = (STACK_TOP - strings.len() as u64) & !(WORD - 1);
    let execfn = offsets.first().map_or(0, |&o| strings_start + o);
    let auxv: [(u64, u64); 10] = [
        (auxv::AT_PHDR, aux.phdr),
        (auxv::AT_PHENT, aux.phent),
        (auxv::AT_PHNUM, aux.phnum),
        (auxv::AT_PAGESZ, PAGE_SIZE),
        (auxv::AT_ENTRY, aux.entry),
        (auxv::AT_UID, 0),
        (auxv::AT_GID, 0),
        (auxv::AT_RANDOM, strings_start + random_offset),
        (auxv::AT_EXECFN, execfn),
        (auxv::AT_NULL, 0),
    ];
    let mut words: Vec<u64> = Vec::with_capacity(3 + offsets.len() + 2 * auxv.len());
    words.push(argv.len() as u64);
    words.extend(offsets[..argv.len()].iter().map(|o| strings_start + o));
    words.push(0);
    words.extend(offsets[argv.len()..].iter().map(|o| strings_start + o));
    words.push(0);
    for (key, value) in auxv {
        words.extend([key, value]);
    }
    let stack_pointer = (strings_start - words.len() as u64 * WORD) & !(STACK_ALIGN - 1);
    if stack_pointer < STACK_BOTTOM {
        return Err(ExecError::ArgumentsTooLong);
    }
    let first_page = stack_pointer & !(PAGE_SIZE - 1);
    space.map_zeroed(
        first_page,
        (STACK_TOP - first_page) / PAGE_SIZE,
        Flags::WRITABLE | Flags::NO_EXECUTE,
    )?;
    let word_bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let written = space.write(strings_start, &strings) && space.write(stack_pointer, &word_bytes);
    if written {
        Ok(stack_pointer)
    } else {
        Err(ExecError::OutOfMemory)
    }
}

/// Bytes in a stack word.
const WORD: u64 = 8;
/// The stack pointer's alignment at a program's entry (System V ABI).
const STACK_ALIGN: u64 = 16;
/// Bytes of `AT_RANDOM` data.
const RANDOM_BYTES: usize = 16;
