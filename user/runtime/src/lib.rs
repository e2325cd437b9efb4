//! Ferrite's user runtime: everything a Rust program needs between the kernel's `execve` and its
//! own `main`, and nothing more.
//!
//! A user program cannot use Rust's `std`: `std` is written against an operating system's C
//! library, and Ferrite has none. It uses `core` and `alloc` instead, and this crate supplies
//! the pieces `std` would have:
//!
//! * [`start`]: the entry point `_start`, which reads the System V start-up stack the kernel
//!   built (argc, argv, envp, auxv), remembers it, calls the program's `main` and exits with its
//!   status.
//! * [`sys`]: the `syscall` instruction and one wrapper per system call. The numbers, structure
//!   layouts and error codes come from the `abi` crate, the same definitions the kernel uses,
//!   and they are Linux's, so a program built on this runtime would also run on Linux.
//! * [`print!`], [`println!`], [`eprintln!`]: formatted output on descriptors 1 and 2.
//! * [`linux`]: the calls only Linux answers (module loading, mounting), for `bench` on Linux.
//! * [`heap`]: a global allocator over `brk` (small blocks) and `mmap` (large ones).
//! * a panic handler that prints the message and exits with status 101, as Rust's does.
//!
//! A program is `#![no_std]` and `#![no_main]`, and names its `main` with [`entry!`].

#![no_std]

extern crate alloc;

pub mod cell;
pub mod cli;
pub mod fs;
pub mod heap;
pub mod kill;
pub mod ktap;
pub mod linux;
pub mod print;
pub mod signal;
pub mod start;
pub mod sys;
pub mod thread;

pub use abi;
pub use abi::Errno;
pub use start::{args, env, Args};

/// The exit status of a program that panicked, as Rust programs on Linux use.
pub const PANIC_EXIT_STATUS: i32 = 101;

/// Names the program's `main` function: `fn main() -> i32`, whose result is the exit status.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        /// The program's entry, called by the runtime's `_start`.
        #[export_name = "ferrite_main"]
        pub fn __ferrite_main() -> i32 {
            $main()
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    eprintln!("{}: {}", start::program_name(), info);
    sys::exit_group(PANIC_EXIT_STATUS)
}
