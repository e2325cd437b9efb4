//! The ELF64 file layout: where each field sits, and reading it without trusting the file.
//!
//! An ELF file starts with a fixed 64-byte file header that says where the program header table
//! is; each 56-byte program header then describes one piece of the program (System V ABI, "Object
//! Files" chapter; the sizes and offsets below are the ELF64 ones). The loader needs nothing
//! else: section headers are for linkers and debuggers, so this crate never reads them.
//!
//! Every read here goes through [`bytes_at`], which takes a checked sub-slice and returns `None`
//! instead of indexing out of range, so no field read can panic whatever the file holds. The
//! structs only decode; deciding whether a value is acceptable is `lib.rs`'s job.

/// The four bytes every ELF file starts with: `0x7f` then `ELF`.
pub(crate) const MAGIC: [u8; 4] = *b"\x7fELF";

/// Index of `EI_CLASS` in `e_ident`: 32- or 64-bit layout.
pub(crate) const EI_CLASS: usize = 4;
/// Index of `EI_DATA` in `e_ident`: byte order of every multi-byte field.
pub(crate) const EI_DATA: usize = 5;
/// Index of `EI_VERSION` in `e_ident`: version of the identification bytes.
pub(crate) const EI_VERSION: usize = 6;
/// Index of `EI_OSABI` in `e_ident`: the OS ABI the file was built for.
pub(crate) const EI_OSABI: usize = 7;

/// `EI_CLASS` value for the 64-bit layout.
pub(crate) const ELFCLASS64: u8 = 2;
/// `EI_DATA` value for little-endian (two's complement) fields.
pub(crate) const ELFDATA2LSB: u8 = 1;
/// The only ELF version there is (`EV_CURRENT`), in both `EI_VERSION` and `e_version`.
pub(crate) const EV_CURRENT: u8 = 1;
/// `EI_OSABI` for plain System V; what rust-lld and most toolchains write.
pub(crate) const ELFOSABI_SYSV: u8 = 0;
/// `EI_OSABI` for GNU/Linux; GNU ld writes it when the file uses GNU extensions (e.g. IFUNC).
pub(crate) const ELFOSABI_GNU: u8 = 3;

/// `e_type` of a relocatable object (`.o`).
pub const ET_REL: u16 = 1;
/// `e_type` of an executable loaded at the addresses it names.
pub(crate) const ET_EXEC: u16 = 2;
/// `e_type` of a shared object or position-independent executable.
pub const ET_DYN: u16 = 3;
/// `e_type` of a core dump.
pub const ET_CORE: u16 = 4;
/// `e_machine` for AMD64 / Intel 64.
pub(crate) const EM_X86_64: u16 = 62;
/// `e_phnum` value meaning "more than 0xfffe headers; the real count is in section header 0".
pub(crate) const PN_XNUM: u16 = 0xffff;

/// Size of the ELF64 file header, and the only `e_ehsize` accepted.
pub(crate) const EHDR_SIZE: usize = 64;
/// Size of one ELF64 program header, and the only `e_phentsize` accepted.
pub(crate) const PHDR_SIZE: usize = 56;

/// Offset of `e_type` (u16) in the file header.
pub(crate) const E_TYPE: usize = 16;
/// Offset of `e_machine` (u16).
pub(crate) const E_MACHINE: usize = 18;
/// Offset of `e_version` (u32).
pub(crate) const E_VERSION: usize = 20;
/// Offset of `e_entry` (u64): the virtual address of the first instruction.
pub(crate) const E_ENTRY: usize = 24;
/// Offset of `e_phoff` (u64): file offset of the program header table.
pub(crate) const E_PHOFF: usize = 32;
/// Offset of `e_ehsize` (u16).
pub(crate) const E_EHSIZE: usize = 52;
/// Offset of `e_phentsize` (u16).
pub(crate) const E_PHENTSIZE: usize = 54;
/// Offset of `e_phnum` (u16).
pub(crate) const E_PHNUM: usize = 56;

/// Offset of `p_type` (u32) in a program header.
pub(crate) const P_TYPE: usize = 0;
/// Offset of `p_flags` (u32); in ELF64 it comes second, unlike ELF32.
pub(crate) const P_FLAGS: usize = 4;
/// Offset of `p_offset` (u64): where the segment's bytes start in the file.
pub(crate) const P_OFFSET: usize = 8;
/// Offset of `p_vaddr` (u64): where the segment starts in memory.
pub(crate) const P_VADDR: usize = 16;
/// Offset of `p_filesz` (u64): how many bytes come from the file.
pub(crate) const P_FILESZ: usize = 32;
/// Offset of `p_memsz` (u64): the size in memory; the part past `p_filesz` is zeroed (`.bss`).
pub(crate) const P_MEMSZ: usize = 40;
/// Offset of `p_align` (u64).
pub(crate) const P_ALIGN: usize = 48;

/// `p_type` of an unused entry.
#[cfg(any(test, feature = "corpus"))]
pub const PT_NULL: u32 = 0;
/// `p_type` of a segment to map into memory.
pub const PT_LOAD: u32 = 1;
/// `p_type` of the dynamic-linking table: the file needs a dynamic linker.
pub const PT_DYNAMIC: u32 = 2;
/// `p_type` naming the dynamic linker (program interpreter) to run first.
pub const PT_INTERP: u32 = 3;
/// `p_type` of auxiliary notes (build id, ABI tag); ignored.
#[cfg(any(test, feature = "corpus"))]
pub const PT_NOTE: u32 = 4;
/// `p_type` giving the program header table's own place in memory.
pub const PT_PHDR: u32 = 6;
/// `p_type` of the thread-local storage template.
pub const PT_TLS: u32 = 7;
/// `p_type` whose flags ask for an executable or non-executable stack; ignored here.
#[cfg(any(test, feature = "corpus"))]
pub const PT_GNU_STACK: u32 = 0x6474_e551;

/// `p_flags` bit: the segment may be executed.
pub const PF_X: u32 = 1;
/// `p_flags` bit: the segment may be written.
pub const PF_W: u32 = 2;
/// `p_flags` bit: the segment may be read.
pub const PF_R: u32 = 4;

/// The `N` bytes at `at`, or `None` if they do not all lie inside `bytes`.
fn bytes_at<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    let end = at.checked_add(N)?;
    bytes.get(at..end)?.try_into().ok()
}

/// The little-endian u16 at `at`.
pub(crate) fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    bytes_at(bytes, at).map(u16::from_le_bytes)
}

/// The little-endian u32 at `at`.
pub(crate) fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes_at(bytes, at).map(u32::from_le_bytes)
}

/// The little-endian u64 at `at`.
pub(crate) fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    bytes_at(bytes, at).map(u64::from_le_bytes)
}

/// The fields of the file header this crate looks at, decoded but not yet checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileHeader {
    /// `e_ident[EI_CLASS]`.
    pub class: u8,
    /// `e_ident[EI_DATA]`.
    pub data: u8,
    /// `e_ident[EI_VERSION]`.
    pub ident_version: u8,
    /// `e_ident[EI_OSABI]`.
    pub osabi: u8,
    /// `e_type`.
    pub e_type: u16,
    /// `e_machine`.
    pub machine: u16,
    /// `e_version`.
    pub version: u32,
    /// `e_entry`.
    pub entry: u64,
    /// `e_phoff`.
    pub phoff: u64,
    /// `e_ehsize`.
    pub ehsize: u16,
    /// `e_phentsize`.
    pub phentsize: u16,
    /// `e_phnum`.
    pub phnum: u16,
}

impl FileHeader {
    /// Decodes the header at the start of `bytes`; `None` if `bytes` is shorter than a header.
    ///
    /// The multi-byte fields are read as little-endian before `data` has been checked; they are
    /// only used once the caller has confirmed the file really is little-endian.
    pub(crate) fn decode(bytes: &[u8]) -> Option<FileHeader> {
        let h = bytes.get(..EHDR_SIZE)?;
        Some(FileHeader {
            class: *h.get(EI_CLASS)?,
            data: *h.get(EI_DATA)?,
            ident_version: *h.get(EI_VERSION)?,
            osabi: *h.get(EI_OSABI)?,
            e_type: u16_at(h, E_TYPE)?,
            machine: u16_at(h, E_MACHINE)?,
            version: u32_at(h, E_VERSION)?,
            entry: u64_at(h, E_ENTRY)?,
            phoff: u64_at(h, E_PHOFF)?,
            ehsize: u16_at(h, E_EHSIZE)?,
            phentsize: u16_at(h, E_PHENTSIZE)?,
            phnum: u16_at(h, E_PHNUM)?,
        })
    }
}

/// One program header, decoded but not yet checked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProgramHeader {
    /// `p_type`.
    pub p_type: u32,
    /// `p_flags`.
    pub flags: u32,
    /// `p_offset`.
    pub offset: u64,
    /// `p_vaddr`.
    pub vaddr: u64,
    /// `p_filesz`.
    pub filesz: u64,
    /// `p_memsz`.
    pub memsz: u64,
    /// `p_align`.
    pub align: u64,
}

impl ProgramHeader {
    /// Decodes one `PHDR_SIZE`-byte entry; `None` if `entry` is too short.
    pub(crate) fn decode(entry: &[u8]) -> Option<ProgramHeader> {
        Some(ProgramHeader {
            p_type: u32_at(entry, P_TYPE)?,
            flags: u32_at(entry, P_FLAGS)?,
            offset: u64_at(entry, P_OFFSET)?,
            vaddr: u64_at(entry, P_VADDR)?,
            filesz: u64_at(entry, P_FILESZ)?,
            memsz: u64_at(entry, P_MEMSZ)?,
            align: u64_at(entry, P_ALIGN)?,
        })
    }
}

/// Every entry of a program header table, numbered from 0 as `readelf -l` numbers them.
///
/// `table` is a slice whose length the caller has already checked; a short last entry (which
/// cannot happen then) would simply be left out rather than panic.
pub(crate) fn program_headers(table: &[u8]) -> impl Iterator<Item = (usize, ProgramHeader)> + '_ {
    table
        .chunks_exact(PHDR_SIZE)
        .enumerate()
        .filter_map(|(index, entry)| Some((index, ProgramHeader::decode(entry)?)))
}
