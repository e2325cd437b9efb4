//! System statistics for `sysinfo`: `struct sysinfo`, from `linux/sysinfo.h`.
//!
//! On x86_64 `long` is 8 bytes, so the header's trailing `_f` padding array is empty, but C
//! still pads after `procs` (to align `totalhigh`) and after `mem_unit` (to a multiple of 8): 112
//! bytes in all. Those holes are explicit fields here, so the structure has no padding the
//! kernel could leak.

/// What `sysinfo` reports (`struct sysinfo`, 112 bytes on x86_64). Memory sizes are in units of
/// `mem_unit` bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sysinfo {
    /// Seconds since boot.
    pub uptime: i64,
    /// Load averages over 1, 5 and 15 minutes, scaled by 65,536 (`1 << SI_LOAD_SHIFT`).
    pub loads: [u64; 3],
    /// Usable memory.
    pub totalram: u64,
    /// Free memory.
    pub freeram: u64,
    /// Shared memory.
    pub sharedram: u64,
    /// Memory used by buffers.
    pub bufferram: u64,
    /// Swap space.
    pub totalswap: u64,
    /// Free swap space.
    pub freeswap: u64,
    /// Processes.
    pub procs: u16,
    /// The header's `pad`.
    pub pad: u16,
    /// C's hole before `totalhigh`.
    pub pad_to_totalhigh: u32,
    /// High memory (none on x86_64).
    pub totalhigh: u64,
    /// Free high memory.
    pub freehigh: u64,
    /// The unit of the memory fields, in bytes.
    pub mem_unit: u32,
    /// C's hole at the end.
    pub pad_to_end: u32,
}

/// The shift of the fixed-point load averages.
pub const SI_LOAD_SHIFT: u32 = 16;

const _: () = assert!(core::mem::size_of::<Sysinfo>() == 112);
const _: () = assert!(core::mem::offset_of!(Sysinfo, procs) == 80);
const _: () = assert!(core::mem::offset_of!(Sysinfo, totalhigh) == 88);
const _: () = assert!(core::mem::offset_of!(Sysinfo, mem_unit) == 104);
