//! `touch FILE...`: makes each file that does not exist, empty, and sets each file's
//! modification time to now (`utimensat`). Ferrite keeps no access time, and its clock counts
//! from boot (there is no real-time clock yet), so "now" is the time since boot.

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
        let touched = sys::open(path, O_WRONLY | O_CREAT, MODE)
            .and_then(sys::close)
            .and_then(|()| sys::set_modified(path, None));
        if let Err(e) = touched {
            status = cli::error(path, e);
        }
    }
    status
}
