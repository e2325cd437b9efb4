//! `df [-i]`: how full each mounted file system is, from `/proc/mounts` and `statfs`, in KiB
//! (or, with `-i`, in inodes), with the columns POSIX's `df -P` prints.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use runtime::{cli, println, sys};

runtime::entry!(main);

/// The unit of the columns: KiB.
const KIB: u64 = 1024;

fn main() -> i32 {
    let args = match cli::parse("i", "df [-i]") {
        Ok(args) if args.operands.is_empty() => args,
        Ok(_) => return cli::show_usage("df [-i]"),
        Err(status) => return status,
    };
    let mounts = match runtime::fs::read_file("/proc/mounts") {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return cli::error("/proc/mounts", e),
    };
    let inodes = args.has('i');
    if inodes {
        println!(
            "{:<12} {:>10} {:>10} {:>10} {:>5} Mounted on",
            "Filesystem", "Inodes", "IUsed", "IFree", "IUse%"
        );
    } else {
        println!(
            "{:<12} {:>10} {:>10} {:>10} {:>5} Mounted on",
            "Filesystem", "1K-blocks", "Used", "Available", "Use%"
        );
    }
    let mut status = 0;
    for line in mounts.lines() {
        let mut fields = line.split(' ');
        let (Some(kind), Some(path)) = (fields.next(), fields.next()) else {
            continue;
        };
        let stat = match sys::statfs(path) {
            Ok(stat) => stat,
            Err(e) => {
                status = cli::error(path, e);
                continue;
            }
        };
        let (total, free) = if inodes {
            (stat.f_files, stat.f_ffree)
        } else {
            let block = u64::try_from(stat.f_bsize).unwrap_or(0);
            (stat.f_blocks * block / KIB, stat.f_bavail * block / KIB)
        };
        let used = total.saturating_sub(free);
        // Rounded up, as df does: a file system 99.1% full shows 100%.
        let percent = if total == 0 {
            String::from("-")
        } else {
            alloc::format!("{}%", (used * 100).div_ceil(total))
        };
        println!("{kind:<12} {total:>10} {used:>10} {free:>10} {percent:>5} {path}");
    }
    status
}
