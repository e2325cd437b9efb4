//! `crash KIND`: does one thing a program must not do, so the tests (and a curious learner) can
//! see the kernel end just this program, with one line naming the fault, and carry on.

#![no_std]
#![no_main]

use core::arch::asm;
use runtime::{eprintln, println};

runtime::entry!(main);

/// Each kind, and what it does.
const KINDS: [(&str, &str); 10] = [
    ("null", "write to address 0"),
    ("kernel", "read a kernel address"),
    ("nx", "jump into a non-executable page (the stack)"),
    ("ud2", "execute an invalid instruction"),
    ("divide", "divide by zero"),
    ("hlt", "halt the CPU (a privileged instruction)"),
    ("cli", "turn interrupts off (a privileged instruction)"),
    (
        "stack",
        "recurse until the stack overflows into its guard page",
    ),
    ("wild", "jump to a non-canonical address"),
    (
        "sgdt",
        "read the GDT's address (refused by UMIP where the CPU has it)",
    ),
];

/// A kernel address: the kernel image's base.
const KERNEL_ADDRESS: usize = 0xffff_ffff_8000_0000;
/// An address in the hole between the halves.
const NON_CANONICAL: usize = 0x8000_0000_0000_0000;

fn main() -> i32 {
    let Some(kind) = runtime::args().nth(1) else {
        return usage();
    };
    println!("crash: {kind}");
    // SAFETY: none of this is safe; that is the point. Each block does exactly what its kind
    // says, and the kernel is expected to end the program.
    unsafe {
        match kind {
            "null" => core::ptr::write_volatile(core::hint::black_box(0usize) as *mut u64, 1),
            "kernel" => {
                let _ = core::ptr::read_volatile(KERNEL_ADDRESS as *const u64);
            }
            "nx" => {
                let code = [0xc3u8; 16]; // `ret`, on the stack
                let f: extern "C" fn() = core::mem::transmute(code.as_ptr());
                f();
            }
            "ud2" => asm!("ud2"),
            "divide" => {
                asm!("xor edx, edx", "xor ecx, ecx", "div ecx", out("eax") _, out("edx") _, out("ecx") _)
            }
            "hlt" => asm!("hlt"),
            "cli" => asm!("cli"),
            "stack" => {
                let depth = recurse(0);
                println!("recursion ended at depth {depth}?");
            }
            "wild" => {
                let f: extern "C" fn() = core::mem::transmute(NON_CANONICAL);
                f();
            }
            "sgdt" => {
                let mut gdtr = [0u8; 10];
                asm!("sgdt [{}]", in(reg) gdtr.as_mut_ptr());
                println!(
                    "sgdt was allowed: limit {:#x}",
                    u16::from_le_bytes([gdtr[0], gdtr[1]])
                );
                return 0;
            }
            _ => return usage(),
        }
    }
    println!("crash: {kind} did not crash");
    1
}

/// Recurses for ever, with a frame the compiler cannot remove.
#[inline(never)]
#[expect(unconditional_recursion, reason = "the point is to overflow the stack")]
fn recurse(depth: u64) -> u64 {
    let frame = [depth; 64];
    core::hint::black_box(&frame);
    recurse(depth + 1) + core::hint::black_box(frame[0])
}

fn usage() -> i32 {
    eprintln!("usage: crash KIND, where KIND is one of:");
    for (name, what) in KINDS {
        eprintln!("  {name:<7} {what}");
    }
    2
}
