//! `reboot`: restarts the machine. The kernel commits the disk's log first, so nothing written
//! before is lost.

#![no_std]
#![no_main]

use runtime::abi::reboot::LINUX_REBOOT_CMD_RESTART;
use runtime::{cli, sys};

runtime::entry!(main);

fn main() -> i32 {
    let args = match cli::parse("", "reboot") {
        Ok(args) => args,
        Err(status) => return status,
    };
    if !args.operands.is_empty() {
        return cli::show_usage("reboot");
    }
    cli::error("reboot", sys::reboot(LINUX_REBOOT_CMD_RESTART))
}
