//! `_start`: where the kernel enters a program, and the System V start-up stack it reads.
//!
//! The kernel starts a new program at its ELF entry point with almost nothing set up: no frame
//! pointer, no thread pointer, and on the stack, from the stack pointer up (System V x86-64 ABI,
//! §3.4.1):
//!
//! ```text
//! rsp ->  argc                      8 bytes
//!         argv[0] .. argv[argc-1]   pointers to NUL-terminated strings
//!         0
//!         envp[0] .. envp[n-1]      "NAME=value" strings
//!         0
//!         auxv: (type, value) pairs, ending with (AT_NULL, 0)
//!         ... the strings themselves, higher up
//! ```
//!
//! `_start` is a few lines of assembly because no Rust function may run on a stack it did not
//! enter by `call`: it clears the frame pointer (the end of any backtrace), passes the stack
//! pointer as the first argument, aligns the stack to 16 bytes as the ABI wants at a call, and
//! calls [`start`].

use core::ffi::CStr;
use core::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

core::arch::global_asm!(
    ".globl _start",
    "_start:",
    "    xor ebp, ebp",
    "    mov rdi, rsp",
    "    and rsp, -16",
    "    call {start}",
    "    ud2",
    start = sym start,
);

extern "Rust" {
    /// The program's `main`, named by [`crate::entry!`].
    fn ferrite_main() -> i32;
}

/// argc, as the kernel passed it.
static ARGC: AtomicUsize = AtomicUsize::new(0);
/// argv, as the kernel passed it.
static ARGV: AtomicPtr<*const u8> = AtomicPtr::new(core::ptr::null_mut());
/// envp, as the kernel passed it.
static ENVP: AtomicPtr<*const u8> = AtomicPtr::new(core::ptr::null_mut());

/// Reads the start-up stack at `sp`, runs `main`, exits with its status.
extern "C" fn start(sp: *const usize) -> ! {
    // SAFETY: the kernel (or Linux) entered `_start` with `sp` pointing at argc, followed by
    // argc argument pointers and a null, then the environment pointers and a null: the layout
    // of the System V ABI.
    unsafe {
        let argc = *sp;
        let argv = sp.add(1) as *mut *const u8;
        let envp = argv.add(argc + 1);
        ARGC.store(argc, Ordering::Relaxed);
        ARGV.store(argv, Ordering::Relaxed);
        ENVP.store(envp, Ordering::Relaxed);
    }
    // SAFETY: `ferrite_main` is the program's `main`, defined by `entry!` with this signature.
    let status = unsafe { ferrite_main() };
    crate::print::flush();
    crate::sys::exit_group(status)
}

/// The string at `ptr`, if it is UTF-8.
///
/// # Safety
///
/// `ptr` must point at a NUL-terminated string that lives for the rest of the program.
unsafe fn string(ptr: *const u8) -> &'static str {
    // SAFETY: the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr.cast()) }.to_bytes();
    core::str::from_utf8(bytes).unwrap_or("<not UTF-8>")
}

/// The program's arguments, `argv[0]` (its name) first.
#[derive(Clone)]
pub struct Args {
    next: usize,
    end: usize,
    base: *const *const u8,
}

impl Iterator for Args {
    type Item = &'static str;
    fn next(&mut self) -> Option<&'static str> {
        if self.next >= self.end || self.base.is_null() {
            return None;
        }
        // SAFETY: `next < argc`, so this is one of the argument pointers `start` found, each a
        // NUL-terminated string on the start-up stack, which is never freed.
        let arg = unsafe { string(*self.base.add(self.next)) };
        self.next += 1;
        Some(arg)
    }
}

impl Args {
    /// How many arguments are left.
    pub fn remaining(&self) -> usize {
        self.end - self.next
    }
}

/// The program's arguments (`argv`), its own name first.
pub fn args() -> Args {
    Args {
        next: 0,
        end: ARGC.load(Ordering::Relaxed),
        base: ARGV.load(Ordering::Relaxed),
    }
}

/// The environment, as `NAME=value` strings.
pub fn env() -> impl Iterator<Item = &'static str> {
    let mut at = ENVP.load(Ordering::Relaxed) as *const *const u8;
    core::iter::from_fn(move || {
        if at.is_null() {
            return None;
        }
        // SAFETY: `at` walks the environment pointers `start` found, which end with a null;
        // the walk stops there and never reads past it.
        let ptr = unsafe { *at };
        if ptr.is_null() {
            return None;
        }
        // SAFETY: as above; the pointer is not the terminating null.
        unsafe { at = at.add(1) };
        // SAFETY: each environment pointer is a NUL-terminated string on the start-up stack.
        Some(unsafe { string(ptr) })
    })
}

/// The program's name (`argv[0]`), for messages.
pub fn program_name() -> &'static str {
    args().next().unwrap_or("?")
}
