//! Real executables: if the host has gcc with a static C library, or rustc, link a program the
//! way a student would and check that it parses (and that PIE and dynamic variants are refused).
//! Ignored by default because it needs the host toolchain: `cargo test --release -- --ignored`.

use std::format;
use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::string::String;
use std::vec::Vec;
use std::{eprintln, println};

use crate::{parse, ElfError, Limits};

/// Limits like the kernel's: user space from 64 KiB to the top of the lower half.
const HOST_LIMITS: Limits = Limits {
    lowest: 0x1_0000,
    end: 0x0000_8000_0000_0000,
    max_segments: 32,
    max_memsz: 256 << 20,
};

/// A scratch directory for this test run.
fn scratch() -> PathBuf {
    std::env::temp_dir().join(format!("elf-host-test-{}", std::process::id()))
}

/// Compiles `source` (saved as `file`) with `compiler` and `flags`; `None` if that fails.
fn link(compiler: &str, file: &str, source: &str, flags: &[&str]) -> Option<Vec<u8>> {
    let dir = scratch();
    fs::create_dir_all(&dir).ok()?;
    let src = dir.join(file);
    fs::write(&src, source).ok()?;
    let out = dir.join(format!("{file}-{}", flags.join("")));
    let status = Command::new(compiler)
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .status()
        .ok()?;
    status.success().then(|| fs::read(&out).ok()).flatten()
}

/// A C program with data, bss and a thread-local.
const C_SOURCE: &str =
    "int counter = 1; _Thread_local int tls = 7;\nint main(void) { return counter + tls; }\n";

/// Prints what the parser made of a real file.
fn show(what: &str, file: &[u8]) {
    let program = parse(file, &HOST_LIMITS).unwrap_or_else(|e| panic!("{what} refused: {e}"));
    let mut lines = String::new();
    for s in program.segments() {
        lines += &format!(
            "  {:#010x} memsz {:#8x} filesz {:#8x} {:?}\n",
            s.vaddr,
            s.memsz,
            s.data.len(),
            s.perm
        );
    }
    println!(
        "{what}: entry {:#x}, phdr {:x?}, tls {:x?}\n{lines}",
        program.entry(),
        program.phdr_vaddr(),
        program.tls()
    );
    assert!(
        program.phdr_vaddr().is_some(),
        "static start-up code needs AT_PHDR"
    );
    assert!(program.tls().is_some());
}

#[test]
#[ignore = "needs gcc with a static libc on the host"]
fn gcc_static_executable_parses() {
    let Some(file) = link("gcc", "hello.c", C_SOURCE, &["-static", "-no-pie", "-O2"]) else {
        eprintln!("gcc -static is not available; skipped");
        return;
    };
    show("gcc -static", &file);
    if let Some(pie) = link("gcc", "hello.c", C_SOURCE, &["-static-pie", "-O2"]) {
        assert!(matches!(
            parse(&pie, &HOST_LIMITS),
            Err(ElfError::PositionIndependent)
        ));
    }
    if let Some(dynamic) = link("gcc", "hello.c", C_SOURCE, &["-no-pie", "-O2"]) {
        let refused = parse(&dynamic, &HOST_LIMITS);
        assert!(matches!(refused, Err(ElfError::Interpreter { .. })));
    }
    let _ = fs::remove_dir_all(scratch());
}

#[test]
#[ignore = "needs rustc on the host"]
fn rustc_static_executable_parses() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let source = "thread_local!(static T: u8 = 1);\nfn main() { T.with(|t| println!(\"{t}\")); }\n";
    let flags = [
        "-O",
        "-Crelocation-model=static",
        "-Ctarget-feature=+crt-static",
    ];
    let Some(file) = link(&rustc, "hello.rs", source, &flags) else {
        eprintln!("rustc cannot link a static executable here; skipped");
        return;
    };
    show("rustc static", &file);
    let _ = fs::remove_dir_all(scratch());
}
