//! Copies between the kernel and user memory: the only way the kernel touches a pointer a
//! program gave it.
//!
//! Every copy first checks the *range*: its end must not overflow and must lie below the user
//! limit, so that no program can make the kernel read or write kernel memory on its behalf.
//! What lies *inside* the range is checked by the MMU during the copy itself (see
//! `arch::x86_64::usercopy`): a page that is not mapped, not user-accessible, or (for a copy
//! to the user) not writable makes the copy fail, and the system call returns `EFAULT`.

use crate::arch::x86_64::usercopy;
use crate::mm::paging::PAGE_SIZE;
use crate::mm::space::USER_END;
use abi::Errno;
use alloc::vec::Vec;

/// Checks that `addr .. addr + len` lies in user space.
pub fn check_range(addr: u64, len: usize) -> Result<(), Errno> {
    let end = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
    if end > USER_END {
        return Err(Errno::EFAULT);
    }
    Ok(())
}

/// Copies `into.len()` bytes from user address `from`.
pub fn read(from: u64, into: &mut [u8]) -> Result<(), Errno> {
    check_range(from, into.len())?;
    // SAFETY: `into` is a valid kernel buffer of that length; the user range was checked to lie
    // below the user limit, so a fault is the only way the copy can go wrong.
    unsafe { usercopy::copy(into.as_mut_ptr(), from as *const u8, into.len()) }
        .map_err(|_| Errno::EFAULT)
}

/// Copies `bytes` to user address `to`.
pub fn write(to: u64, bytes: &[u8]) -> Result<(), Errno> {
    check_range(to, bytes.len())?;
    // SAFETY: as in `read`, the other way round.
    unsafe { usercopy::copy(to as *mut u8, bytes.as_ptr(), bytes.len()) }.map_err(|_| Errno::EFAULT)
}

/// A plain structure that may be copied from and to user memory byte for byte: every bit
/// pattern is a valid value, and it has no padding the kernel could leak.
///
/// # Safety
///
/// Implement only for `#[repr(C)]` types of integers with no padding bytes.
pub unsafe trait Plain: Copy + Default {}

// SAFETY: two i64s, no padding.
unsafe impl Plain for abi::Timespec {}
// SAFETY: two u64s, no padding.
unsafe impl Plain for abi::Iovec {}
// SAFETY: an integer.
unsafe impl Plain for u64 {}
// SAFETY: two `Timeval`s (two i64s each) and fourteen i64s, no padding.
unsafe impl Plain for abi::Rusage {}
// SAFETY: an integer.
unsafe impl Plain for i32 {}
// SAFETY: an integer (a futex word).
unsafe impl Plain for u32 {}
// SAFETY: a u64, an i64 and a u64: 24 bytes, no padding (asserted in `abi`).
unsafe impl Plain for abi::futex::RobustListHead {}
// SAFETY: two i16s, a u32, two i64s, an i32 and a u32, the holes C leaves as explicit fields:
// 32 bytes, no padding (asserted in `abi`).
unsafe impl Plain for abi::fcntl::Flock {}
// SAFETY: a 48-byte `IpcPerm` (i32s, u32s, u16s and u64s with its holes as fields), i64s,
// u64s and two i32s side by side: 120 bytes, no padding (asserted in `abi`).
unsafe impl Plain for abi::ipc::MsqidDs {}
// SAFETY: a 48-byte `IpcPerm` and seven 8-byte fields: 104 bytes, no padding (asserted).
unsafe impl Plain for abi::ipc::SemidDs {}
// SAFETY: a 48-byte `IpcPerm`, four 8-byte fields, two i32s side by side and three u64s: 112
// bytes, no padding (asserted in `abi`).
unsafe impl Plain for abi::ipc::ShmidDs {}
// SAFETY: a u16 and two i16s: 6 bytes, alignment 2, no padding (asserted in `abi`).
unsafe impl Plain for abi::ipc::SemBuf {}
// SAFETY: two i64s, no padding.
unsafe impl Plain for abi::Timeval {}
// SAFETY: two i32s, no padding.
unsafe impl Plain for abi::time::Timezone {}
// SAFETY: four i64s, no padding.
unsafe impl Plain for abi::Tms {}
// SAFETY: two u64s, no padding.
unsafe impl Plain for abi::Rlimit {}
// SAFETY: i64s, u64s, and u16s and u32s whose holes are explicit fields: 112 bytes, no padding
// (asserted in `abi`).
unsafe impl Plain for abi::Sysinfo {}
// SAFETY: six arrays of 65 bytes, alignment 1: no padding.
unsafe impl Plain for abi::Utsname {}
// SAFETY: four u32s, a u8 and 19 u8s: 36 bytes, no padding (asserted in `abi`).
unsafe impl Plain for abi::tty::Termios {}
// SAFETY: four u16s, no padding.
unsafe impl Plain for abi::tty::Winsize {}
// SAFETY: u64s, u32s in pairs and i64s, with the explicit `pad0`: 144 bytes, no padding.
unsafe impl Plain for abi::Stat {}
// SAFETY: i64s and u64s, and two i32s that fill one 8-byte slot: 120 bytes, no padding
// (asserted in `abi`).
unsafe impl Plain for abi::Statfs {}
// SAFETY: four u64s.
unsafe impl Plain for abi::SigAction {}
// SAFETY: an i32 and two i16s: 8 bytes, no padding (asserted in `abi`).
unsafe impl Plain for abi::poll::PollFd {}
// SAFETY: a u64, two i32s that fill one 8-byte slot, a u64: 24 bytes, no padding.
unsafe impl Plain for abi::Stack {}
// SAFETY: four i32s (the last the explicit padding) and fourteen u64s: 128 bytes, no padding.
unsafe impl Plain for abi::SigInfo {}
// SAFETY: two `Timeval`s of two i64s each.
unsafe impl Plain for abi::time::Itimerval {}
// SAFETY: a u64, a `Ucontext` (u64s, a `Stack`, a `Sigcontext` whose four u16s fill one 8-byte
// slot, a u64: 304 bytes, no padding) and a `SigInfo`: 440 bytes, no padding (asserted).
unsafe impl Plain for signals::RtSigframe {}
// SAFETY: as in `RtSigframe`'s context: 304 bytes, no padding (asserted in `abi`).
unsafe impl Plain for abi::ucontext::Ucontext {}

/// Reads one `T` from user address `from`.
pub fn read_value<T: Plain>(from: u64) -> Result<T, Errno> {
    let mut value = T::default();
    // SAFETY: `T: Plain`, so its bytes may be overwritten with any bytes.
    let bytes = unsafe {
        core::slice::from_raw_parts_mut(&mut value as *mut T as *mut u8, core::mem::size_of::<T>())
    };
    read(from, bytes)?;
    Ok(value)
}

/// Writes one `T` to user address `to`.
pub fn write_value<T: Plain>(to: u64, value: &T) -> Result<(), Errno> {
    // SAFETY: `T: Plain` has no padding, so all its bytes are initialised.
    let bytes = unsafe {
        core::slice::from_raw_parts(value as *const T as *const u8, core::mem::size_of::<T>())
    };
    write(to, bytes)
}

/// Reads the NUL-terminated string at `addr`, at most `max` bytes with the NUL (else
/// `ENAMETOOLONG`). Reads a page at a time, so that a string ending just before an unmapped page
/// is read without a fault.
pub fn read_c_string(mut addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
    let mut bytes = Vec::new();
    loop {
        let room = (PAGE_SIZE - addr % PAGE_SIZE) as usize;
        let take = room.min(max + 1 - bytes.len().min(max));
        let mut chunk = alloc::vec![0u8; take];
        read(addr, &mut chunk)?;
        if let Some(end) = chunk.iter().position(|&b| b == 0) {
            bytes.extend_from_slice(&chunk[..end]);
            if bytes.len() >= max {
                return Err(Errno::ENAMETOOLONG);
            }
            return Ok(bytes);
        }
        bytes.extend_from_slice(&chunk);
        if bytes.len() >= max {
            return Err(Errno::ENAMETOOLONG);
        }
        addr = addr.checked_add(take as u64).ok_or(Errno::EFAULT)?;
    }
}

/// Reads a null-terminated array of string pointers at `addr` (as `execve`'s `argv`), at most
/// `max_count` strings, their bytes (with NULs) charged to `budget` (`E2BIG` when it runs out). A
/// null `addr` is an empty array, as Linux allows.
pub fn read_string_array(
    addr: u64,
    max_count: usize,
    budget: &mut usize,
) -> Result<Vec<Vec<u8>>, Errno> {
    let mut strings = Vec::new();
    if addr == 0 {
        return Ok(strings);
    }
    loop {
        if strings.len() >= max_count {
            return Err(Errno::E2BIG);
        }
        let at = addr
            .checked_add((strings.len() * core::mem::size_of::<u64>()) as u64)
            .ok_or(Errno::EFAULT)?;
        let pointer: u64 = read_value(at)?;
        if pointer == 0 {
            return Ok(strings);
        }
        let string = read_c_string(pointer, (*budget).max(1)).map_err(|e| match e {
            Errno::ENAMETOOLONG => Errno::E2BIG,
            other => other,
        })?;
        *budget = budget.checked_sub(string.len() + 1).ok_or(Errno::E2BIG)?;
        strings.push(string);
    }
}
