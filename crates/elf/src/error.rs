//! Why a file was refused: one variant per check, each carrying the values that failed it.
//!
//! The person who reads these messages is a student whose program did not start, so each one
//! names the field, the value found and the limit it broke, in the words `readelf -h -l` uses.
//! A number called "segment N" or "program header N" is the entry's index in the program header
//! table, counting from 0, the same number `readelf -l` prints in its section-to-segment mapping.

use core::fmt;

use crate::raw::{ET_CORE, ET_REL};

/// Everything [`parse`](crate::parse) can refuse a file for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElfError {
    /// The file is shorter than the 64-byte ELF header.
    TooShort {
        /// The file's length in bytes.
        len: usize,
    },
    /// The file does not start with `\x7fELF`.
    BadMagic {
        /// The first four bytes found.
        found: [u8; 4],
    },
    /// `EI_CLASS` is not ELFCLASS64 (2): a 32-bit or corrupt file.
    NotElf64 {
        /// The class byte found.
        class: u8,
    },
    /// `EI_DATA` is not ELFDATA2LSB (1): the fields are not little-endian.
    NotLittleEndian {
        /// The data-encoding byte found.
        data: u8,
    },
    /// `EI_VERSION` is not 1.
    BadIdentVersion {
        /// The identification version found.
        version: u8,
    },
    /// `e_version` is not 1.
    BadVersion {
        /// The object file version found.
        version: u32,
    },
    /// `EI_OSABI` is neither System V (0) nor GNU/Linux (3).
    UnsupportedOsAbi {
        /// The OS ABI byte found.
        abi: u8,
    },
    /// `e_type` is ET_DYN: a position-independent executable or a shared library.
    PositionIndependent,
    /// `e_type` is neither ET_EXEC nor ET_DYN: an object file, a core dump, or garbage.
    NotExecutable {
        /// The `e_type` found.
        e_type: u16,
    },
    /// `e_machine` is not EM_X86_64 (62).
    WrongMachine {
        /// The `e_machine` found.
        machine: u16,
    },
    /// `e_ehsize` is not 64, the ELF64 header size.
    BadHeaderSize {
        /// The `e_ehsize` found.
        ehsize: u16,
    },
    /// `e_phentsize` is not 56, the ELF64 program header size.
    BadProgramHeaderSize {
        /// The `e_phentsize` found.
        phentsize: u16,
    },
    /// `e_phnum` is 0: nothing to load.
    NoProgramHeaders,
    /// `e_phnum` is PN_XNUM (0xffff), which moves the real count into section header 0.
    ExtendedProgramHeaderCount,
    /// There are more program headers (of any type) than [`Limits::max_segments`](crate::Limits).
    TooManyProgramHeaders {
        /// The `e_phnum` found.
        count: u16,
        /// The limit.
        max: usize,
    },
    /// The program header table does not lie inside the file (or its end overflows).
    ProgramHeadersOutsideFile {
        /// `e_phoff`.
        offset: u64,
        /// The table's size, `e_phnum * 56`.
        size: u64,
        /// The file's length.
        file_len: usize,
    },
    /// A PT_INTERP header asks for a dynamic linker.
    Interpreter {
        /// Index of the PT_INTERP header.
        index: usize,
    },
    /// A PT_DYNAMIC header: the program needs dynamic linking.
    Dynamic {
        /// Index of the PT_DYNAMIC header.
        index: usize,
    },
    /// A second PT_PHDR or PT_TLS header; the ABI allows one of each.
    Duplicate {
        /// Index of the second header.
        index: usize,
        /// Its type's name.
        kind: &'static str,
    },
    /// A PT_LOAD has more bytes in the file than in memory.
    FileszExceedsMemsz {
        /// Index of the segment.
        index: usize,
        /// Its `p_filesz`.
        filesz: u64,
        /// Its `p_memsz`.
        memsz: u64,
    },
    /// A PT_LOAD's `p_offset + p_filesz` does not fit in 64 bits.
    FileRangeOverflow {
        /// Index of the segment.
        index: usize,
        /// Its `p_offset`.
        offset: u64,
        /// Its `p_filesz`.
        filesz: u64,
    },
    /// A PT_LOAD's file bytes run past the end of the file.
    FileRangePastEnd {
        /// Index of the segment.
        index: usize,
        /// First file byte (`p_offset`).
        start: u64,
        /// One past the last file byte.
        end: u64,
        /// The file's length.
        file_len: usize,
    },
    /// A PT_LOAD's `p_vaddr + p_memsz` does not fit in 64 bits.
    AddressOverflow {
        /// Index of the segment.
        index: usize,
        /// Its `p_vaddr`.
        vaddr: u64,
        /// Its `p_memsz`.
        memsz: u64,
    },
    /// A PT_LOAD starts below [`Limits::lowest`](crate::Limits) (for example at address 0).
    BelowLowest {
        /// Index of the segment.
        index: usize,
        /// Its `p_vaddr`.
        vaddr: u64,
        /// The lowest address allowed.
        lowest: u64,
    },
    /// A PT_LOAD reaches past [`Limits::end`](crate::Limits), e.g. into the kernel half.
    PastUserEnd {
        /// Index of the segment.
        index: usize,
        /// Its `p_vaddr`.
        vaddr: u64,
        /// One past its last byte, `p_vaddr + p_memsz`.
        end: u64,
        /// The exclusive end of user space.
        limit: u64,
    },
    /// A PT_LOAD's `p_align` is neither 0, 1 nor a power of two.
    BadAlign {
        /// Index of the segment.
        index: usize,
        /// Its `p_align`.
        align: u64,
    },
    /// A PT_LOAD's `p_offset` and `p_vaddr` differ modulo `p_align`.
    MisalignedOffset {
        /// Index of the segment.
        index: usize,
        /// Its `p_offset`.
        offset: u64,
        /// Its `p_vaddr`.
        vaddr: u64,
        /// Its `p_align`.
        align: u64,
    },
    /// A PT_LOAD is both writable and executable (W^X).
    WritableAndExecutable {
        /// Index of the segment.
        index: usize,
        /// Its `p_vaddr`.
        vaddr: u64,
    },
    /// There is no PT_LOAD header at all.
    NoLoadSegments,
    /// The PT_LOAD segments together need more memory than [`Limits::max_memsz`](crate::Limits).
    HugeMemsz {
        /// The sum of every `p_memsz` (saturated at `u64::MAX`).
        total: u64,
        /// The limit.
        max: u64,
    },
    /// Two PT_LOAD segments touch the same page, which can only have one set of permissions.
    SharedPage {
        /// Index of the earlier segment.
        first: usize,
        /// Index of the later segment.
        second: usize,
        /// Address of the lowest page both touch.
        page: u64,
    },
    /// `e_entry` is not inside any PT_LOAD segment.
    EntryNotLoaded {
        /// `e_entry`.
        entry: u64,
    },
    /// `e_entry` is inside a PT_LOAD segment that is not executable.
    EntryNotExecutable {
        /// `e_entry`.
        entry: u64,
        /// Index of the segment holding it.
        index: usize,
    },
    /// PT_PHDR names memory that does not hold file bytes of any PT_LOAD segment.
    PhdrNotLoaded {
        /// Index of the PT_PHDR header.
        index: usize,
        /// Its `p_vaddr`.
        vaddr: u64,
        /// The table's size, `e_phnum * 56`.
        size: u64,
    },
    /// PT_TLS has more initialised bytes than its whole size.
    TlsFileszExceedsMemsz {
        /// Index of the PT_TLS header.
        index: usize,
        /// Its `p_filesz`.
        filesz: u64,
        /// Its `p_memsz`.
        memsz: u64,
    },
    /// PT_TLS's `p_align` is neither 0, 1 nor a power of two.
    TlsBadAlign {
        /// Index of the PT_TLS header.
        index: usize,
        /// Its `p_align`.
        align: u64,
    },
    /// PT_TLS's per-thread block is larger than [`Limits::max_memsz`](crate::Limits).
    TlsTooLarge {
        /// Index of the PT_TLS header.
        index: usize,
        /// Its `p_memsz`.
        memsz: u64,
        /// The limit.
        max: u64,
    },
    /// PT_TLS's initialisation image is not inside the file bytes of a PT_LOAD segment.
    TlsNotLoaded {
        /// Index of the PT_TLS header.
        index: usize,
        /// Its `p_vaddr`.
        vaddr: u64,
        /// Its `p_filesz`.
        filesz: u64,
    },
}

/// A reader-friendly name for an `e_type` that is not an executable.
fn type_name(e_type: u16) -> &'static str {
    match e_type {
        ET_REL => "a relocatable object file (ET_REL)",
        ET_CORE => "a core dump (ET_CORE)",
        _ => "an unknown file type",
    }
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match *self {
            TooShort { len } => write!(f, "the file is {len} bytes, shorter than the 64-byte ELF header"),
            BadMagic { found } => write!(f, "not an ELF file: it starts with {found:02x?}, not 7f 45 4c 46"),
            NotElf64 { class } => write!(f, "EI_CLASS is {class}, not 2 (ELFCLASS64); only 64-bit files can be loaded"),
            NotLittleEndian { data } => write!(f, "EI_DATA is {data}, not 1 (little-endian)"),
            BadIdentVersion { version } => write!(f, "EI_VERSION is {version}, not 1"),
            BadVersion { version } => write!(f, "e_version is {version}, not 1"),
            UnsupportedOsAbi { abi } => write!(f, "EI_OSABI is {abi}, neither 0 (System V) nor 3 (GNU/Linux)"),
            PositionIndependent => write!(f, "position-independent executables are not supported; link with -static / -no-pie"),
            NotExecutable { e_type } => write!(f, "e_type is {e_type}: {}, not an executable (ET_EXEC)", type_name(e_type)),
            WrongMachine { machine } => write!(f, "e_machine is {machine}, not 62 (x86-64)"),
            BadHeaderSize { ehsize } => write!(f, "e_ehsize is {ehsize}, not 64"),
            BadProgramHeaderSize { phentsize } => write!(f, "e_phentsize is {phentsize}, not 56"),
            NoProgramHeaders => write!(f, "the file has no program headers, so nothing to load"),
            ExtendedProgramHeaderCount => write!(f, "e_phnum is 0xffff (PN_XNUM); extended program header counts are not supported"),
            TooManyProgramHeaders { count, max } => write!(f, "{count} program headers, more than the limit of {max}"),
            ProgramHeadersOutsideFile { offset, size, file_len } => write!(f, "the program header table at offset {offset:#x} ({size:#x} bytes) runs past the end of the {file_len:#x}-byte file"),
            Interpreter { index } => write!(f, "program header {index} is PT_INTERP: the program is dynamically linked; link with -static"),
            Dynamic { index } => write!(f, "program header {index} is PT_DYNAMIC: the program needs dynamic linking; link with -static"),
            Duplicate { index, kind } => write!(f, "program header {index} is a second {kind}; only one is allowed"),
            FileszExceedsMemsz { index, filesz, memsz } => write!(f, "segment {index}: p_filesz {filesz:#x} is larger than p_memsz {memsz:#x}"),
            FileRangeOverflow { index, offset, filesz } => write!(f, "segment {index}: p_offset {offset:#x} + p_filesz {filesz:#x} overflows"),
            FileRangePastEnd { index, start, end, file_len } => write!(f, "segment {index}: file bytes {start:#x}..{end:#x} run past the end of the {file_len:#x}-byte file"),
            AddressOverflow { index, vaddr, memsz } => write!(f, "segment {index}: p_vaddr {vaddr:#x} + p_memsz {memsz:#x} overflows"),
            BelowLowest { index, vaddr, lowest } => write!(f, "segment {index}: starts at {vaddr:#x}, below the lowest user address {lowest:#x}"),
            PastUserEnd { index, vaddr, end, limit } => write!(f, "segment {index}: memory {vaddr:#x}..{end:#x} reaches past the end of user space at {limit:#x}"),
            BadAlign { index, align } => write!(f, "segment {index}: p_align {align:#x} is not a power of two"),
            MisalignedOffset { index, offset, vaddr, align } => write!(f, "segment {index}: p_offset {offset:#x} and p_vaddr {vaddr:#x} differ modulo p_align {align:#x}"),
            WritableAndExecutable { index, vaddr } => write!(f, "segment {index} at {vaddr:#x} is both writable and executable, which W^X forbids"),
            NoLoadSegments => write!(f, "the file has no PT_LOAD segment, so nothing to load"),
            HugeMemsz { total, max } => write!(f, "the segments need {total:#x} bytes of memory, more than the limit of {max:#x}"),
            SharedPage { first, second, page } => write!(f, "segments {first} and {second} share the page at {page:#x}; each page can have only one set of permissions"),
            EntryNotLoaded { entry } => write!(f, "the entry point {entry:#x} is not inside any PT_LOAD segment"),
            EntryNotExecutable { entry, index } => write!(f, "the entry point {entry:#x} is in segment {index}, which is not executable"),
            PhdrNotLoaded { index, vaddr, size } => write!(f, "program header {index} (PT_PHDR) puts the {size:#x}-byte table at {vaddr:#x}, which no segment loads from the file"),
            TlsFileszExceedsMemsz { index, filesz, memsz } => write!(f, "program header {index} (PT_TLS): p_filesz {filesz:#x} is larger than p_memsz {memsz:#x}"),
            TlsBadAlign { index, align } => write!(f, "program header {index} (PT_TLS): p_align {align:#x} is not a power of two"),
            TlsTooLarge { index, memsz, max } => write!(f, "program header {index} (PT_TLS): p_memsz {memsz:#x} is more than the limit of {max:#x}"),
            TlsNotLoaded { index, vaddr, filesz } => write!(f, "program header {index} (PT_TLS): the {filesz:#x}-byte image at {vaddr:#x} is not loaded from the file by any segment"),
        }
    }
}
