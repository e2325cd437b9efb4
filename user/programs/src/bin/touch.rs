//! `touch FILE...`: makes each file that does not exist, empty. (Ferrite keeps no access
//! times and cannot set times yet, so an existing file is left as it is.)

#![no_std]
#![no_main]

use runtime::abi::fcntl::{O_CREAT, O_WRONLY};
use runtime::{cli, sys};

runtime::entry!(main);

/// Permissions asked for a new file (the umask takes some away).
const MODE: u32 = 0o666;

fn main() -> i32 {
    let args = match cli::parse("", "touch FILE...") {
        Ok(args) if !args.operands.is_empty() => args,
        Ok(_) => return cli::show_usage("touch FILE..."),
        Err(status) => return status,
    };
    let mut status = 0;
    for path in &args.operands {
        match sys::open(path, O_WRONLY | O_CREAT, MODE) {
            Ok(fd) => {
                let _ = sys::close(fd);
            }
            Err(e) => status = cli::error(path, e),
        }
    }
    status
}
