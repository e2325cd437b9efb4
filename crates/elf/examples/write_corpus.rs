//! Writes the malformed corpus out as files, one per case, so the kernel's `exec` can be tested
//! on exactly the inputs the parser's own tests refuse.
//!
//! ```text
//! cargo run --example write_corpus --features corpus -- <directory>
//! ```
//!
//! Each file is `<directory>/<case name>.elf`; every one must be refused by `exec`.

use std::path::PathBuf;
use std::process::ExitCode;

/// Exit status for a usage or I/O error.
const FAILURE: u8 = 1;

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        eprintln!("usage: write_corpus <directory>");
        return ExitCode::from(FAILURE);
    };
    let dir = PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return ExitCode::from(FAILURE);
    }
    let cases = elf::corpus::cases();
    for case in &cases {
        let path = dir.join(format!("{}.elf", case.name));
        if let Err(e) = std::fs::write(&path, &case.bytes) {
            eprintln!("cannot write {}: {e}", path.display());
            return ExitCode::from(FAILURE);
        }
    }
    println!("wrote {} files to {}", cases.len(), dir.display());
    ExitCode::SUCCESS
}
