//! `mkdir [-p] DIR...`: makes directories; with `-p`, the missing parents too, and no error for
//! one that exists.

#![no_std]
#![no_main]

extern crate alloc;

use runtime::{cli, sys, Errno};

runtime::entry!(main);

/// Permissions asked for (the umask takes some away).
const MODE: u32 = 0o777;

fn main() -> i32 {
    let args = match cli::parse("p", "mkdir [-p] DIR...") {
        Ok(args) if !args.operands.is_empty() => args,
        Ok(_) => return cli::show_usage("mkdir [-p] DIR..."),
        Err(status) => return status,
    };
    let mut status = 0;
    for path in &args.operands {
        let result = if args.has('p') {
            make_parents(path)
        } else {
            sys::mkdir(path, MODE)
        };
        if let Err(e) = result {
            status = cli::error(path, e);
        }
    }
    status
}

/// Makes `path` and every missing directory above it.
fn make_parents(path: &str) -> Result<(), Errno> {
    let mut prefix = alloc::string::String::new();
    for part in path.split('/') {
        prefix.push_str(part);
        if !part.is_empty() {
            match sys::mkdir(&prefix, MODE) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(e),
            }
        }
        prefix.push('/');
    }
    match sys::stat(path) {
        Ok(stat) if runtime::abi::stat::file_type(stat.st_mode) == runtime::abi::stat::S_IFDIR => {
            Ok(())
        }
        Ok(_) => Err(Errno::ENOTDIR),
        Err(e) => Err(e),
    }
}
