//! Reading an untrusted ELF64 file and describing the static x86-64 program inside it.
//!
//! `exec` hands the kernel a file a user wrote. Before the kernel maps a single page it must know
//! that every number in that file is sane, because the numbers become page-table entries: a
//! segment "at" `0xffff_8000_0000_0000` would be a user mapping over the kernel, a segment that is
//! writable and executable would undo W^X, and `p_offset + p_filesz` past the end of the file
//! would copy kernel heap into the process. So this crate decodes the file by hand, checks every
//! field it uses, and only then offers a [`Program`] whose segments the loader can map without
//! looking again.
//!
//! Design rules, which reviews can cite:
//!
//! 1. **Every input is possible.** No indexing, no unchecked arithmetic, no `unwrap`: any byte
//!    string, including a truncated or hostile one, yields `Ok` or an [`ElfError`], never a panic.
//!    Clippy lints (denied below) and a mutation fuzz test hold the crate to this.
//! 2. **Static executables only.** Ferrite has no dynamic linker, so ET_DYN (PIE),
//!    PT_INTERP and PT_DYNAMIC are refused with messages that say how to relink. What remains is
//!    what rust-lld and `musl-gcc -static` build: ET_EXEC at fixed addresses.
//! 3. **Whole pages, one permission each.** The loader maps pages, so two segments may not
//!    touch the same 4 KiB page ([`PAGE_SIZE`]), and no segment may be writable and executable.
//! 4. **Checked once, trusted after.** [`parse`] does all the checking; [`Program`]'s accessors
//!    re-read the already-checked headers and cannot fail.
//! 5. **No allocation, no unsafe.** The crate runs inside the kernel on whatever heap state exec
//!    finds, so it borrows the file and keeps nothing else.
//!
//! The checks run in this order; the first failure is reported:
//!
//! ```text
//! file header    magic, length, class, byte order, versions, OS ABI, type, machine, header sizes
//! header table   count (1..=max_segments), table inside the file
//! each header    PT_INTERP / PT_DYNAMIC refused; PT_LOAD fields (below); PT_TLS fields;
//!                at most one PT_PHDR and one PT_TLS
//! all PT_LOADs   at least one; total p_memsz <= max_memsz; no two share a page
//! addresses      entry in an executable segment; PT_PHDR and the TLS image inside loaded bytes
//! ```
//!
//! A PT_LOAD passes when: `p_filesz <= p_memsz`; its file bytes lie in the file; `p_vaddr +
//! p_memsz` neither overflows nor passes [`Limits::end`]; `p_vaddr >= Limits::lowest`; `p_align`
//! is 0, 1 or a power of two and `p_offset ≡ p_vaddr (mod p_align)`; it is not both W and X.
//! A PT_LOAD with `p_memsz == 0` passes the same checks and is then ignored: it maps nothing,
//! so [`Program::segments`] leaves it out and it cannot share a page or hold the entry point.
//! Header types the loader does not act on (PT_NOTE, PT_GNU_STACK, PT_GNU_RELRO, ...) are ignored.
//!
//! ```
//! let limits = elf::Limits {
//!     lowest: 0x1000,
//!     end: 0x0000_8000_0000_0000,
//!     max_segments: 16,
//!     max_memsz: 64 << 20,
//! };
//! assert!(matches!(elf::parse(b"MZ", &limits), Err(elf::ElfError::TooShort { len: 2 })));
//! ```

#![no_std]
#![forbid(unsafe_code)]
// Rule 1, checked by the compiler for the parser; the test support opts out in its own modules.
#![deny(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[cfg(any(test, feature = "corpus"))]
extern crate alloc;
#[cfg(test)]
extern crate std;

#[cfg(any(test, feature = "corpus"))]
pub mod corpus;
mod error;
mod raw;
#[cfg(test)]
mod tests;

pub use error::ElfError;

use raw::{program_headers, FileHeader, ProgramHeader};
use raw::{EHDR_SIZE, ELFCLASS64, ELFDATA2LSB, ELFOSABI_GNU, ELFOSABI_SYSV, EM_X86_64};
use raw::{ET_DYN, ET_EXEC, EV_CURRENT, MAGIC, PF_R, PF_W, PF_X, PHDR_SIZE, PN_XNUM};
use raw::{PT_DYNAMIC, PT_INTERP, PT_LOAD, PT_PHDR, PT_TLS};

/// The granule of the loader's mappings: one x86-64 small page (Intel SDM Vol. 3A §4.5). Two
/// segments may not touch the same page, since a page has one set of permissions.
pub const PAGE_SIZE: u64 = 4096;

/// What the kernel is willing to load; the caller picks these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Lowest address a segment may start at. Keep page 0 unmapped (e.g. 0x1000 or 0x10000) so
    /// that null-pointer dereferences fault.
    pub lowest: u64,
    /// Exclusive end of user space, e.g. `0x0000_8000_0000_0000` (the top of the lower canonical
    /// half with 4-level paging); anything reaching past it is refused.
    pub end: u64,
    /// The most program headers a file may have, counting every type, not only PT_LOAD. It bounds
    /// the parser's work, which is quadratic in this number (the page-sharing check).
    pub max_segments: usize,
    /// The most memory all PT_LOAD segments together may need (sum of `p_memsz`), in bytes. Also
    /// caps the size of one thread's TLS block.
    pub max_memsz: u64,
}

/// Access rights of a segment, from its `p_flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Perm {
    /// PF_R: the segment may be read.
    pub read: bool,
    /// PF_W: the segment may be written.
    pub write: bool,
    /// PF_X: the segment may be executed.
    pub execute: bool,
}

impl Perm {
    /// The rights that `p_flags` grants; the OS- and processor-specific bits are ignored.
    fn from_flags(flags: u32) -> Perm {
        Perm {
            read: flags & PF_R != 0,
            write: flags & PF_W != 0,
            execute: flags & PF_X != 0,
        }
    }
}

/// One checked PT_LOAD segment: map `memsz` bytes at `vaddr`, copy `data` to its start, and zero
/// the rest.
///
/// Guaranteed: `data.len() <= memsz`, `0 < memsz`, `lowest <= vaddr`, `vaddr + memsz <= end`
/// without overflow, not both writable and executable, and no other segment touches its pages.
/// `vaddr` need not be page-aligned: the loader maps the pages from `vaddr` rounded down to
/// `vaddr + memsz` rounded up, and must zero the bytes of those pages that `data` does not fill.
/// With page-aligned [`Limits`], the rounded range still lies within them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Virtual address of the first byte.
    pub vaddr: u64,
    /// Size in memory, in bytes; the part after `data` is zero (`.bss`).
    pub memsz: u64,
    /// The `p_filesz` bytes from the file that start the segment.
    pub data: &'a [u8],
    /// Access rights.
    pub perm: Perm,
    /// `p_align` as written (0 or 1 mean none; else a power of two).
    pub align: u64,
}

/// The thread-local storage template from PT_TLS: each thread's TLS block starts as a copy of
/// the `filesz` bytes at `vaddr`, followed by `memsz - filesz` zero bytes.
///
/// Guaranteed: `filesz <= memsz <= max_memsz`, `align` is 0, 1 or a power of two, and the
/// image `vaddr..vaddr + filesz` lies in bytes a segment loads from the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tls {
    /// Address of the initialisation image (`.tdata`).
    pub vaddr: u64,
    /// Size of the initialisation image.
    pub filesz: u64,
    /// Size of the whole block (`.tdata` + `.tbss`).
    pub memsz: u64,
    /// Required alignment of the block.
    pub align: u64,
}

/// A checked static executable, borrowing the file it came from.
#[derive(Debug, Clone, Copy)]
pub struct Program<'a> {
    /// The whole file.
    bytes: &'a [u8],
    /// The program header table, inside `bytes`, `phnum * PHDR_SIZE` long.
    table: &'a [u8],
    /// `e_entry`, inside an executable segment.
    entry: u64,
    /// `e_phnum`.
    phnum: u16,
    /// Where the program header table is in the process's memory, if anywhere.
    phdr_vaddr: Option<u64>,
    /// The PT_TLS template, if any.
    tls: Option<Tls>,
}

impl<'a> Program<'a> {
    /// The address of the first instruction (`e_entry`), inside an executable segment.
    pub fn entry(&self) -> u64 {
        self.entry
    }

    /// The non-empty PT_LOAD segments, in program header order.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'a>> + '_ {
        loaded(self.table).filter_map(|(_, ph)| segment(self.bytes, &ph))
    }

    /// Where the program headers are in memory, for the auxiliary vector's `AT_PHDR`.
    ///
    /// PT_PHDR's address if the file has one (checked to lie in loaded file bytes); otherwise
    /// the address at which a PT_LOAD maps the file bytes holding the table; `None` if no
    /// segment maps them (the process then cannot find its own headers, e.g. for TLS setup).
    pub fn phdr_vaddr(&self) -> Option<u64> {
        self.phdr_vaddr
    }

    /// The number of program headers (`e_phnum`), for `AT_PHNUM`.
    pub fn phnum(&self) -> u16 {
        self.phnum
    }

    /// The size of one program header (`e_phentsize`, always 56 here), for `AT_PHENT`.
    pub fn phentsize(&self) -> u16 {
        // PHDR_SIZE is 56, checked equal to e_phentsize; the cast cannot truncate.
        PHDR_SIZE as u16
    }

    /// The thread-local storage template, if the program has a PT_TLS header.
    pub fn tls(&self) -> Option<Tls> {
        self.tls
    }
}

/// Checks `bytes` as a static x86-64 executable within `limits` and describes it.
pub fn parse<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Program<'a>, ElfError> {
    let header = check_file_header(bytes)?;
    let table = header_table(bytes, &header, limits)?;

    let mut any_load = false;
    let mut total_memsz = 0u64;
    let mut phdr: Option<(usize, ProgramHeader)> = None;
    let mut tls: Option<(usize, ProgramHeader)> = None;
    for (index, ph) in program_headers(table) {
        match ph.p_type {
            PT_LOAD => {
                check_load(index, &ph, bytes.len(), limits)?;
                any_load = true;
                total_memsz = total_memsz.saturating_add(ph.memsz);
            }
            PT_INTERP => return Err(ElfError::Interpreter { index }),
            PT_DYNAMIC => return Err(ElfError::Dynamic { index }),
            PT_PHDR => keep_one(&mut phdr, index, ph, "PT_PHDR")?,
            PT_TLS => {
                check_tls(index, &ph, limits)?;
                keep_one(&mut tls, index, ph, "PT_TLS")?;
            }
            _ => {}
        }
    }
    if !any_load {
        return Err(ElfError::NoLoadSegments);
    }
    if total_memsz > limits.max_memsz {
        return Err(ElfError::HugeMemsz {
            total: total_memsz,
            max: limits.max_memsz,
        });
    }
    check_shared_pages(table)?;
    check_entry(table, header.entry)?;

    let table_size = table.len() as u64;
    let phdr_vaddr = match phdr {
        Some((index, ph)) => {
            if !in_loaded_bytes(table, ph.vaddr, table_size) {
                return Err(ElfError::PhdrNotLoaded {
                    index,
                    vaddr: ph.vaddr,
                    size: table_size,
                });
            }
            Some(ph.vaddr)
        }
        None => table_address(table, header.phoff, table_size),
    };
    let tls = match tls {
        Some((index, ph)) => {
            if ph.filesz > 0 && !in_loaded_bytes(table, ph.vaddr, ph.filesz) {
                return Err(ElfError::TlsNotLoaded {
                    index,
                    vaddr: ph.vaddr,
                    filesz: ph.filesz,
                });
            }
            Some(Tls {
                vaddr: ph.vaddr,
                filesz: ph.filesz,
                memsz: ph.memsz,
                align: ph.align,
            })
        }
        None => None,
    };

    Ok(Program {
        bytes,
        table,
        entry: header.entry,
        phnum: header.phnum,
        phdr_vaddr,
        tls,
    })
}

/// Decodes the file header and checks that it describes an x86-64 ELF64 executable.
fn check_file_header(bytes: &[u8]) -> Result<FileHeader, ElfError> {
    // Magic first, even in a short file: "not an ELF file" helps more than "too short" when
    // someone runs a shell script.
    if let Some(found) = bytes.first_chunk::<4>() {
        if *found != MAGIC {
            return Err(ElfError::BadMagic { found: *found });
        }
    }
    let too_short = ElfError::TooShort { len: bytes.len() };
    let h = FileHeader::decode(bytes).ok_or(too_short)?;
    if h.class != ELFCLASS64 {
        return Err(ElfError::NotElf64 { class: h.class });
    }
    if h.data != ELFDATA2LSB {
        return Err(ElfError::NotLittleEndian { data: h.data });
    }
    if h.ident_version != EV_CURRENT {
        return Err(ElfError::BadIdentVersion {
            version: h.ident_version,
        });
    }
    if h.version != u32::from(EV_CURRENT) {
        return Err(ElfError::BadVersion { version: h.version });
    }
    if h.osabi != ELFOSABI_SYSV && h.osabi != ELFOSABI_GNU {
        return Err(ElfError::UnsupportedOsAbi { abi: h.osabi });
    }
    if h.e_type == ET_DYN {
        return Err(ElfError::PositionIndependent);
    }
    if h.e_type != ET_EXEC {
        return Err(ElfError::NotExecutable { e_type: h.e_type });
    }
    if h.machine != EM_X86_64 {
        return Err(ElfError::WrongMachine { machine: h.machine });
    }
    if usize::from(h.ehsize) != EHDR_SIZE {
        return Err(ElfError::BadHeaderSize { ehsize: h.ehsize });
    }
    if usize::from(h.phentsize) != PHDR_SIZE {
        return Err(ElfError::BadProgramHeaderSize {
            phentsize: h.phentsize,
        });
    }
    Ok(h)
}

/// Checks the program header count and returns the table, a slice of the file.
fn header_table<'a>(
    bytes: &'a [u8],
    h: &FileHeader,
    limits: &Limits,
) -> Result<&'a [u8], ElfError> {
    match h.phnum {
        0 => return Err(ElfError::NoProgramHeaders),
        PN_XNUM => return Err(ElfError::ExtendedProgramHeaderCount),
        n if usize::from(n) > limits.max_segments => {
            return Err(ElfError::TooManyProgramHeaders {
                count: n,
                max: limits.max_segments,
            })
        }
        _ => {}
    }
    // At most 0xfffe entries of 56 bytes: far from overflowing, so saturation never happens.
    let size = usize::from(h.phnum).saturating_mul(PHDR_SIZE);
    let outside = ElfError::ProgramHeadersOutsideFile {
        offset: h.phoff,
        size: size as u64,
        file_len: bytes.len(),
    };
    let start = usize::try_from(h.phoff).map_err(|_| outside)?;
    let end = start.checked_add(size).ok_or(outside)?;
    bytes.get(start..end).ok_or(outside)
}

/// Checks one PT_LOAD header against the file and the limits.
fn check_load(
    index: usize,
    ph: &ProgramHeader,
    file_len: usize,
    limits: &Limits,
) -> Result<(), ElfError> {
    if ph.filesz > ph.memsz {
        return Err(ElfError::FileszExceedsMemsz {
            index,
            filesz: ph.filesz,
            memsz: ph.memsz,
        });
    }
    // An empty file range reads nothing, so where it points does not matter; linkers give a
    // .bss-only segment whatever offset comes next, which can be the end of the file.
    if ph.filesz > 0 {
        let end = ph
            .offset
            .checked_add(ph.filesz)
            .ok_or(ElfError::FileRangeOverflow {
                index,
                offset: ph.offset,
                filesz: ph.filesz,
            })?;
        if end > file_len as u64 {
            return Err(ElfError::FileRangePastEnd {
                index,
                start: ph.offset,
                end,
                file_len,
            });
        }
    }
    let end = ph
        .vaddr
        .checked_add(ph.memsz)
        .ok_or(ElfError::AddressOverflow {
            index,
            vaddr: ph.vaddr,
            memsz: ph.memsz,
        })?;
    if ph.vaddr < limits.lowest {
        return Err(ElfError::BelowLowest {
            index,
            vaddr: ph.vaddr,
            lowest: limits.lowest,
        });
    }
    if end > limits.end {
        return Err(ElfError::PastUserEnd {
            index,
            vaddr: ph.vaddr,
            end,
            limit: limits.end,
        });
    }
    if !align_ok(ph.align) {
        return Err(ElfError::BadAlign {
            index,
            align: ph.align,
        });
    }
    // With a power-of-two alignment `a`, `x % a` is `x & (a - 1)`; 0 and 1 mean "no alignment"
    // (and `a - 1` cannot wrap once `a > 1`).
    if ph.align > 1 && (ph.offset ^ ph.vaddr) & ph.align.wrapping_sub(1) != 0 {
        return Err(ElfError::MisalignedOffset {
            index,
            offset: ph.offset,
            vaddr: ph.vaddr,
            align: ph.align,
        });
    }
    let perm = Perm::from_flags(ph.flags);
    if perm.write && perm.execute {
        return Err(ElfError::WritableAndExecutable {
            index,
            vaddr: ph.vaddr,
        });
    }
    Ok(())
}

/// Checks the PT_TLS header's own fields; where its image lies is checked once all the
/// PT_LOADs are known.
fn check_tls(index: usize, ph: &ProgramHeader, limits: &Limits) -> Result<(), ElfError> {
    if ph.filesz > ph.memsz {
        return Err(ElfError::TlsFileszExceedsMemsz {
            index,
            filesz: ph.filesz,
            memsz: ph.memsz,
        });
    }
    if !align_ok(ph.align) {
        return Err(ElfError::TlsBadAlign {
            index,
            align: ph.align,
        });
    }
    if ph.memsz > limits.max_memsz {
        return Err(ElfError::TlsTooLarge {
            index,
            memsz: ph.memsz,
            max: limits.max_memsz,
        });
    }
    Ok(())
}

/// Whether `align` is an acceptable `p_align`: 0 or 1 (none), or a power of two.
fn align_ok(align: u64) -> bool {
    align <= 1 || align.is_power_of_two()
}

/// Stores the first header of a kind that may appear only once; refuses a second.
fn keep_one(
    slot: &mut Option<(usize, ProgramHeader)>,
    index: usize,
    ph: ProgramHeader,
    kind: &'static str,
) -> Result<(), ElfError> {
    if slot.is_some() {
        return Err(ElfError::Duplicate { index, kind });
    }
    *slot = Some((index, ph));
    Ok(())
}

/// The PT_LOAD headers that map something (`p_memsz > 0`), with their indices.
fn loaded(table: &[u8]) -> impl Iterator<Item = (usize, ProgramHeader)> + '_ {
    program_headers(table).filter(|(_, ph)| ph.p_type == PT_LOAD && ph.memsz > 0)
}

/// A checked PT_LOAD header as a [`Segment`]; `None` only if the header was never checked.
fn segment<'a>(bytes: &'a [u8], ph: &ProgramHeader) -> Option<Segment<'a>> {
    let data = if ph.filesz == 0 {
        &[][..]
    } else {
        let start = usize::try_from(ph.offset).ok()?;
        let len = usize::try_from(ph.filesz).ok()?;
        bytes.get(start..start.checked_add(len)?)?
    };
    Some(Segment {
        vaddr: ph.vaddr,
        memsz: ph.memsz,
        data,
        perm: Perm::from_flags(ph.flags),
        align: ph.align,
    })
}

/// The numbers of the first and last pages a non-empty segment touches.
fn pages(ph: &ProgramHeader) -> Option<(u64, u64)> {
    let last_byte = ph.vaddr.checked_add(ph.memsz.checked_sub(1)?)?;
    Some((ph.vaddr / PAGE_SIZE, last_byte / PAGE_SIZE))
}

/// Refuses two segments that touch a common page. Compares every pair: segments need not be
/// sorted, and `Limits::max_segments` keeps the pairs few.
fn check_shared_pages(table: &[u8]) -> Result<(), ElfError> {
    for (first, a) in loaded(table) {
        for (second, b) in loaded(table).filter(|&(i, _)| i > first) {
            let (Some((a_lo, a_hi)), Some((b_lo, b_hi))) = (pages(&a), pages(&b)) else {
                continue;
            };
            if a_lo <= b_hi && b_lo <= a_hi {
                return Err(ElfError::SharedPage {
                    first,
                    second,
                    page: a_lo.max(b_lo).saturating_mul(PAGE_SIZE),
                });
            }
        }
    }
    Ok(())
}

/// Checks that `entry` is inside an executable segment. Segments do not overlap, so at most one
/// holds it.
fn check_entry(table: &[u8], entry: u64) -> Result<(), ElfError> {
    let holder = loaded(table).find(|(_, ph)| {
        entry
            .checked_sub(ph.vaddr)
            .is_some_and(|into| into < ph.memsz)
    });
    match holder {
        None => Err(ElfError::EntryNotLoaded { entry }),
        Some((index, ph)) if ph.flags & PF_X == 0 => {
            Err(ElfError::EntryNotExecutable { entry, index })
        }
        Some(_) => Ok(()),
    }
}

/// Whether `vaddr..vaddr + size` lies inside the file-backed part (`p_vaddr..p_vaddr +
/// p_filesz`) of one segment: memory that will hold bytes copied from the file.
fn in_loaded_bytes(table: &[u8], vaddr: u64, size: u64) -> bool {
    let Some(end) = vaddr.checked_add(size) else {
        return false;
    };
    loaded(table).any(|(_, ph)| {
        ph.vaddr <= vaddr && ph.vaddr.checked_add(ph.filesz).is_some_and(|e| end <= e)
    })
}

/// The address at which some segment maps the file bytes `phoff..phoff + size`, if one does.
fn table_address(table: &[u8], phoff: u64, size: u64) -> Option<u64> {
    let end = phoff.checked_add(size)?;
    loaded(table).find_map(|(_, ph)| {
        let into = phoff.checked_sub(ph.offset)?;
        if end > ph.offset.checked_add(ph.filesz)? {
            return None;
        }
        ph.vaddr.checked_add(into)
    })
}
