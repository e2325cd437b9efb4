//! `siginfo_t`: what a handler installed with `SA_SIGINFO` learns about the signal it got.
//!
//! From `asm-generic/siginfo.h`. The structure is 128 bytes: three `int`s (number, errno,
//! code), padding to 8, then a union whose meaning depends on the signal and on `si_code`. The
//! code says who sent it: a value of 0 or below comes from a program (`SI_USER` from `kill`,
//! `SI_TKILL` from `tkill`), a positive one from the kernel, and then its meaning depends on the
//! signal (for SIGSEGV, `SEGV_MAPERR` means nothing was mapped at the address). Ferrite fills the
//! three union layouts it sends: the sender's pid and uid, a faulting address, and a child's
//! pid, uid and status.

/// Bytes of a `siginfo_t`.
pub const SI_MAX_SIZE: usize = 128;

/// `si_code`: sent by `kill` (or `raise`).
pub const SI_USER: i32 = 0;
/// `si_code`: sent by the kernel (for example, `alarm`'s SIGALRM).
pub const SI_KERNEL: i32 = 0x80;
/// `si_code`: sent by `sigqueue`.
pub const SI_QUEUE: i32 = -1;
/// `si_code`: sent by a POSIX timer.
pub const SI_TIMER: i32 = -2;
/// `si_code`: sent by `tkill` or `tgkill`.
pub const SI_TKILL: i32 = -6;

/// SIGILL `si_code`: illegal operand (Linux's code for `#UD`).
pub const ILL_ILLOPN: i32 = 2;
/// SIGFPE `si_code`: integer division by zero.
pub const FPE_INTDIV: i32 = 1;
/// SIGSEGV `si_code`: nothing is mapped at the address.
pub const SEGV_MAPERR: i32 = 1;
/// SIGSEGV `si_code`: something is mapped there, but not for this kind of access.
pub const SEGV_ACCERR: i32 = 2;
/// SIGBUS `si_code`: a misaligned access.
pub const BUS_ADRALN: i32 = 1;
/// SIGBUS `si_code`: no such physical address (a page of a mapped file past the file's end).
pub const BUS_ADRERR: i32 = 2;
/// SIGTRAP `si_code`: a breakpoint.
pub const TRAP_BRKPT: i32 = 1;
/// SIGCHLD `si_code`: the child called `exit`.
pub const CLD_EXITED: i32 = 1;
/// SIGCHLD `si_code`: a signal killed the child.
pub const CLD_KILLED: i32 = 2;
/// SIGCHLD `si_code`: a signal killed the child and it dumped core.
pub const CLD_DUMPED: i32 = 3;
/// SIGCHLD `si_code`: the child stopped.
pub const CLD_STOPPED: i32 = 5;
/// SIGCHLD `si_code`: the stopped child continued.
pub const CLD_CONTINUED: i32 = 6;

/// Words of the union after the three `int`s and their padding.
const UNION_WORDS: usize = 14;

/// `siginfo_t`, 128 bytes. The union is kept as words; the constructors and accessors below
/// put each field where C's layout has it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigInfo {
    /// The signal's number.
    pub signo: i32,
    /// An error number to go with it (0: Linux never sets it for the signals Ferrite sends).
    pub errno: i32,
    /// Who sent it, or why (`SI_*`, `SEGV_*`, `CLD_*`...).
    pub code: i32,
    /// Padding before the union, which is 8-byte aligned.
    pad: i32,
    /// The union.
    fields: [u64; UNION_WORDS],
}

const _: () = assert!(core::mem::size_of::<SigInfo>() == SI_MAX_SIZE);

impl SigInfo {
    /// A signal with only its number and code: the union is all zero.
    pub const fn new(signo: i32, code: i32) -> SigInfo {
        SigInfo {
            signo,
            errno: 0,
            code,
            pad: 0,
            fields: [0; UNION_WORDS],
        }
    }

    /// Sent by a program: `si_pid` and `si_uid` (offsets 16 and 20).
    pub const fn from_process(signo: i32, code: i32, pid: u32, uid: u32) -> SigInfo {
        let mut info = SigInfo::new(signo, code);
        info.fields[0] = pid as u64 | ((uid as u64) << 32);
        info
    }

    /// Raised by a fault: `si_addr` (offset 16), the address the access was about (for a
    /// page fault) or of the faulting instruction.
    pub const fn fault(signo: i32, code: i32, addr: u64) -> SigInfo {
        let mut info = SigInfo::new(signo, code);
        info.fields[0] = addr;
        info
    }

    /// SIGCHLD for child `pid`: `si_pid`, `si_uid`, then `si_status` (offset 24: the exit code,
    /// or the signal), `si_utime` and `si_stime` (offsets 32 and 40, in clock ticks).
    pub const fn child(code: i32, pid: u32, status: i32, utime: u64, stime: u64) -> SigInfo {
        let mut info = SigInfo::from_process(crate::signal::SIGCHLD, code, pid, 0);
        info.fields[1] = status as u32 as u64;
        info.fields[2] = utime;
        info.fields[3] = stime;
        info
    }

    /// `si_pid`, for the layouts that have it.
    pub const fn pid(&self) -> u32 {
        self.fields[0] as u32
    }

    /// `si_addr`, for a fault's layout.
    pub const fn addr(&self) -> u64 {
        self.fields[0]
    }

    /// `si_status`, for SIGCHLD's layout.
    pub const fn status(&self) -> i32 {
        self.fields[1] as u32 as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of `info` from `offset`, as C reads them.
    fn bytes(info: &SigInfo, offset: usize, len: usize) -> Vec<u8> {
        let mut all = Vec::new();
        for v in [info.signo, info.errno, info.code, info.pad] {
            all.extend_from_slice(&v.to_le_bytes());
        }
        for w in info.fields {
            all.extend_from_slice(&w.to_le_bytes());
        }
        all[offset..offset + len].to_vec()
    }

    #[test]
    fn fields_sit_where_c_puts_them() {
        let info = SigInfo::from_process(10, SI_TKILL, 77, 5);
        assert_eq!(bytes(&info, 8, 4), SI_TKILL.to_le_bytes());
        assert_eq!(bytes(&info, 16, 4), 77u32.to_le_bytes());
        assert_eq!(bytes(&info, 20, 4), 5u32.to_le_bytes());
        let child = SigInfo::child(CLD_EXITED, 9, 3, 0, 0);
        assert_eq!(bytes(&child, 24, 4), 3i32.to_le_bytes());
        assert_eq!((child.pid(), child.status()), (9, 3));
        let fault = SigInfo::fault(11, SEGV_MAPERR, 0xdead_0000);
        assert_eq!(bytes(&fault, 16, 8), 0xdead_0000u64.to_le_bytes());
    }
}
