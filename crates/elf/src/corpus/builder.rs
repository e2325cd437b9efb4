//! Writing a correct ELF64 file from a description of its program headers.
//!
//! The builder does the bookkeeping a linker does, so a test only says what it means: where
//! each segment goes in memory and what it holds. File offsets are chosen the way linkers
//! choose them (congruent to the address modulo the page size, so a loader could map the file
//! directly), and the header fields are written from the same constants the parser checks.

use alloc::vec;
use alloc::vec::Vec;

use crate::raw::{EHDR_SIZE, ELFCLASS64, ELFDATA2LSB, ELFOSABI_SYSV, EM_X86_64};
use crate::raw::{EI_CLASS, EI_DATA, EI_OSABI, EI_VERSION, EV_CURRENT, MAGIC, PHDR_SIZE};
use crate::raw::{E_EHSIZE, E_ENTRY, E_MACHINE, E_PHENTSIZE, E_PHNUM, E_PHOFF, E_TYPE, E_VERSION};
use crate::raw::{PT_LOAD, P_ALIGN, P_FILESZ, P_FLAGS, P_MEMSZ, P_OFFSET, P_TYPE, P_VADDR};
use crate::PAGE_SIZE;

/// Offset of `p_paddr` in a program header: unused by loaders, written equal to `p_vaddr` as
/// linkers do.
const P_PADDR: usize = 24;
/// `p_align` of headers that are not segments: 8 bytes, as linkers write for notes and TLS.
const OTHER_ALIGN: u64 = 8;

/// Where a program header's file bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// These bytes, placed at the first free offset congruent to `vaddr`.
    Bytes(Vec<u8>),
    /// The file from offset 0: file header, program header table, then these bytes. Linkers
    /// usually make the first segment this way, so the headers are loaded too.
    Headers(Vec<u8>),
    /// Exactly the program header table.
    Table,
    /// `filesz` bytes starting `skip` bytes into the file range of spec `spec`, e.g. a TLS
    /// image inside the data segment.
    Inside {
        /// Index of the spec whose bytes these are.
        spec: usize,
        /// Bytes to skip from that spec's `p_offset`.
        skip: u64,
        /// `p_filesz`.
        filesz: u64,
    },
    /// Nothing in the file: `p_offset` and `p_filesz` 0 (PT_GNU_STACK, pure bss).
    Empty,
}

/// One program header to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// `p_type`.
    pub p_type: u32,
    /// `p_flags`.
    pub flags: u32,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// Bytes of memory after the file bytes (`p_memsz - p_filesz`), e.g. `.bss`.
    pub zeroed: u64,
    /// `p_align`.
    pub align: u64,
    /// Where the file bytes are.
    pub body: Body,
}

impl Spec {
    /// A page-aligned PT_LOAD with `data` from the file and `zeroed` bytes after it.
    pub fn load(flags: u32, vaddr: u64, data: Vec<u8>, zeroed: u64) -> Spec {
        let body = Body::Bytes(data);
        Spec {
            p_type: PT_LOAD,
            flags,
            vaddr,
            zeroed,
            align: PAGE_SIZE,
            body,
        }
    }

    /// A header of any type at `vaddr` whose file bytes are `body`.
    pub fn other(p_type: u32, flags: u32, vaddr: u64, body: Body) -> Spec {
        Spec {
            p_type,
            flags,
            vaddr,
            zeroed: 0,
            align: OTHER_ALIGN,
            body,
        }
    }
}

/// A description of a whole file; [`Builder::build`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Builder {
    /// `e_entry`.
    pub entry: u64,
    /// `e_type`.
    pub e_type: u16,
    /// The program headers, in table order.
    pub specs: Vec<Spec>,
}

impl Builder {
    /// Lays out and writes the file: file header, program header table, the bytes of any
    /// [`Body::Headers`], then each [`Body::Bytes`] in spec order at the first offset congruent
    /// to its `vaddr` modulo the page size (or its `align`, if larger).
    pub fn build(&self) -> Vec<u8> {
        let table_end = (EHDR_SIZE + self.specs.len() * PHDR_SIZE) as u64;
        let mut file = vec![0u8; table_end as usize];
        for spec in &self.specs {
            if let Body::Headers(extra) = &spec.body {
                file.extend_from_slice(extra);
            }
        }
        // (p_offset, p_filesz) of each spec; `Inside` ones are resolved once the rest are placed.
        let mut ranges = Vec::new();
        for spec in &self.specs {
            ranges.push(match &spec.body {
                Body::Headers(extra) => (0, table_end + extra.len() as u64),
                Body::Table => (EHDR_SIZE as u64, table_end - EHDR_SIZE as u64),
                Body::Empty | Body::Inside { .. } => (0, 0),
                Body::Bytes(data) => {
                    let modulus = spec.align.max(PAGE_SIZE);
                    let cursor = file.len() as u64;
                    let offset = cursor + (spec.vaddr.wrapping_sub(cursor) & (modulus - 1));
                    file.resize(offset as usize, 0);
                    file.extend_from_slice(data);
                    (offset, data.len() as u64)
                }
            });
        }
        for (index, spec) in self.specs.iter().enumerate() {
            if let Body::Inside {
                spec: outer,
                skip,
                filesz,
            } = spec.body
            {
                ranges[index] = (ranges[outer].0 + skip, filesz);
            }
        }

        file[..MAGIC.len()].copy_from_slice(&MAGIC);
        file[EI_CLASS] = ELFCLASS64;
        file[EI_DATA] = ELFDATA2LSB;
        file[EI_VERSION] = EV_CURRENT;
        file[EI_OSABI] = ELFOSABI_SYSV;
        put(&mut file, E_TYPE, 2, self.e_type.into());
        put(&mut file, E_MACHINE, 2, EM_X86_64.into());
        put(&mut file, E_VERSION, 4, EV_CURRENT.into());
        put(&mut file, E_ENTRY, 8, self.entry);
        put(&mut file, E_PHOFF, 8, EHDR_SIZE as u64);
        put(&mut file, E_EHSIZE, 2, EHDR_SIZE as u64);
        put(&mut file, E_PHENTSIZE, 2, PHDR_SIZE as u64);
        put(&mut file, E_PHNUM, 2, self.specs.len() as u64);
        for (index, (spec, (offset, filesz))) in self.specs.iter().zip(ranges).enumerate() {
            let field = |f: usize| EHDR_SIZE + index * PHDR_SIZE + f;
            put(&mut file, field(P_TYPE), 4, spec.p_type.into());
            put(&mut file, field(P_FLAGS), 4, spec.flags.into());
            put(&mut file, field(P_OFFSET), 8, offset);
            put(&mut file, field(P_VADDR), 8, spec.vaddr);
            put(&mut file, field(P_PADDR), 8, spec.vaddr);
            put(&mut file, field(P_FILESZ), 8, filesz);
            put(
                &mut file,
                field(P_MEMSZ),
                8,
                filesz.wrapping_add(spec.zeroed),
            );
            put(&mut file, field(P_ALIGN), 8, spec.align);
        }
        file
    }
}

/// Writes the low `size` bytes of `value`, little-endian, at `at`.
pub fn put(file: &mut [u8], at: usize, size: usize, value: u64) {
    file[at..at + size].copy_from_slice(&value.to_le_bytes()[..size]);
}

/// Overwrites field `field` (a `P_*` offset, `size` bytes) of program header `index` in a file
/// whose table starts right after the file header, as the builder's do.
pub fn put_phdr(file: &mut [u8], index: usize, field: usize, size: usize, value: u64) {
    put(file, EHDR_SIZE + index * PHDR_SIZE + field, size, value);
}
