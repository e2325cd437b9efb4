//! QEMU's firmware configuration device (fw_cfg), as pure logic: the layout of its file
//! directory, and the run options Ferrite reads from it.
//!
//! fw_cfg is how QEMU hands data to the firmware (the boot order, ACPI tables, the kernel for
//! `-kernel`). Anyone can add a file of their own with `-fw_cfg name=opt/NAME,string=VALUE`;
//! names under `opt/` are left to users by QEMU's documentation (docs/specs/fw_cfg.rst). That makes
//! it the simplest way for the host to give a test kernel a parameter without rebuilding it:
//! Ferrite's test harness passes the timing a concurrency test runs under this way.
//!
//! On x86 the device is two I/O ports: a 16-bit *selector* and an 8-bit *data* port. Writing a
//! key to the selector rewinds that item; each read of the data port returns its next byte. Key
//! [`SIGNATURE_KEY`] reads "QEMU"; key [`FILE_DIR_KEY`] is the directory: a big-endian 32-bit
//! count, then that many [`DirEntry`] records of [`DIR_ENTRY_SIZE`] bytes. The kernel does the
//! port access; this crate decodes what it reads, so it is tested on the host.

#![no_std]
#![forbid(unsafe_code)]

/// The selector key of the signature item.
pub const SIGNATURE_KEY: u16 = 0x0000;
/// What the signature item reads on QEMU.
pub const SIGNATURE: [u8; 4] = *b"QEMU";
/// The selector key of the file directory.
pub const FILE_DIR_KEY: u16 = 0x0019;
/// Bytes in one directory record: size (4), select (2), reserved (2), name (56).
pub const DIR_ENTRY_SIZE: usize = 64;
/// Bytes of a file name in a record, the terminating NUL included.
pub const NAME_SIZE: usize = 56;

/// One file in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DirEntry {
    /// The file's size in bytes.
    pub size: u32,
    /// The selector key that reads it.
    pub select: u16,
    name: [u8; NAME_SIZE],
}

impl DirEntry {
    /// Decodes one record (all fields are big-endian). `None` if the name is not NUL-terminated
    /// UTF-8: a record the kernel should not trust.
    pub fn parse(record: &[u8; DIR_ENTRY_SIZE]) -> Option<DirEntry> {
        let size = u32::from_be_bytes([record[0], record[1], record[2], record[3]]);
        let select = u16::from_be_bytes([record[4], record[5]]);
        let mut name = [0; NAME_SIZE];
        name.copy_from_slice(&record[8..]);
        let entry = DirEntry { size, select, name };
        entry.checked_name().map(|_| entry)
    }

    fn checked_name(&self) -> Option<&str> {
        let end = self.name.iter().position(|&b| b == 0)?;
        core::str::from_utf8(&self.name[..end]).ok()
    }

    /// The file's name, such as `opt/ferrite/timing`.
    pub fn name(&self) -> &str {
        self.checked_name().unwrap_or("")
    }
}

/// The number of records that follow the directory's count.
pub fn dir_count(count: [u8; 4]) -> u32 {
    u32::from_be_bytes(count)
}

/// The fw_cfg file that says how a test kernel's timer behaves (see [`Timing`]).
pub const TIMING_FILE: &str = "opt/ferrite/timing";

/// How the timer's ticks fall, as the harness asked through [`TIMING_FILE`].
///
/// A concurrency bug shows only when an interrupt lands between two particular instructions.
/// Under QEMU's `-icount`, ticks land on the same instruction every run: exact figures, one
/// interleaving. `Jitter` keeps icount's repeatability but makes every tick's handler spin for a
/// seeded random time, so the code between ticks, and so the instruction each tick lands on,
/// differs from seed to seed, while the same seed gives the same run again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Under `-icount`, no jitter: every figure is exact and repeatable.
    Exact,
    /// Under `-icount`, with seeded jitter on each tick.
    Jitter {
        /// The seed of the jitter's random sequence.
        seed: u64,
    },
    /// Real emulation time (TCG without icount, or KVM), or nobody said: timings vary.
    Real,
}

impl Timing {
    /// Parses the file's text: `exact`, `real`, or `jitter=SEED` (decimal). `None` for anything
    /// else, which the kernel reports instead of guessing.
    pub fn parse(text: &str) -> Option<Timing> {
        match text.trim() {
            "exact" => Some(Timing::Exact),
            "real" => Some(Timing::Real),
            other => {
                let seed = other.strip_prefix("jitter=")?;
                if seed.is_empty() || !seed.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                seed.parse().ok().map(|seed| Timing::Jitter { seed })
            }
        }
    }

    /// Whether time figures are exact (so tight timing bounds may be asserted).
    pub fn is_exact(self) -> bool {
        self == Timing::Exact
    }
}

/// The fw_cfg file that asks the kernel for its `BENCH` lines (any contents): `./x.py bench`
/// passes it; a person at `./x.py run` does not, and sees no measurements among the messages.
pub const BENCH_FILE: &str = "opt/ferrite/bench";

/// The fw_cfg file that says who gets the console at boot (see [`Session`]).
pub const SESSION_FILE: &str = "opt/ferrite/session";

/// Who owns the console after boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Session {
    /// `init` starts `/bin/sh` on the console, as a real system does (the default, and what a
    /// machine without fw_cfg gets).
    Shell,
    /// The kernel's own console keeps the keys (`init` only collects orphans): what the tests
    /// of the kernel's commands ask for, and the fallback when there is no shell.
    Kernel,
}

impl Session {
    /// Parses the file's text: `shell` or `kernel`.
    pub fn parse(text: &str) -> Option<Session> {
        match text.trim() {
            "shell" => Some(Session::Shell),
            "kernel" => Some(Session::Kernel),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    fn record(size: u32, select: u16, name: &str) -> [u8; DIR_ENTRY_SIZE] {
        let mut r = [0; DIR_ENTRY_SIZE];
        r[..4].copy_from_slice(&size.to_be_bytes());
        r[4..6].copy_from_slice(&select.to_be_bytes());
        r[8..8 + name.len()].copy_from_slice(name.as_bytes());
        r
    }

    #[test]
    fn sessions_parse_and_nothing_else_does() {
        assert_eq!(Session::parse("shell\n"), Some(Session::Shell));
        assert_eq!(Session::parse("kernel"), Some(Session::Kernel));
        assert_eq!(Session::parse("Kernel"), None);
        assert_eq!(Session::parse(""), None);
    }

    #[test]
    fn records_decode_big_endian_with_their_name() {
        let entry = DirEntry::parse(&record(9, 0x0123, "opt/ferrite/timing")).unwrap();
        assert_eq!(
            (entry.size, entry.select, entry.name()),
            (9, 0x0123, "opt/ferrite/timing")
        );
        assert_eq!(dir_count([0, 0, 1, 2]), 258);
    }

    #[test]
    fn a_name_without_its_nul_or_not_utf8_is_refused() {
        let mut full = record(1, 2, "");
        full[8..].fill(b'a');
        assert_eq!(DirEntry::parse(&full), None);
        let mut bad = record(1, 2, "x");
        bad[8] = 0xFF;
        assert_eq!(DirEntry::parse(&bad), None);
        let longest = "n".repeat(NAME_SIZE - 1).to_string();
        assert_eq!(
            DirEntry::parse(&record(1, 2, &longest)).unwrap().name(),
            longest
        );
    }

    #[test]
    fn timing_options_parse_and_anything_else_is_refused() {
        assert_eq!(Timing::parse("exact"), Some(Timing::Exact));
        assert_eq!(Timing::parse("real\n"), Some(Timing::Real));
        assert_eq!(
            Timing::parse("jitter=42"),
            Some(Timing::Jitter { seed: 42 })
        );
        for bad in [
            "",
            "jitter=",
            "jitter=-1",
            "jitter=+1",
            "jitter=1x",
            "Exact",
            "jitter=99999999999999999999",
        ] {
            assert_eq!(Timing::parse(bad), None, "{bad:?}");
        }
        assert!(Timing::Exact.is_exact() && !Timing::Real.is_exact());
    }
}
