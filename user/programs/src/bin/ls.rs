//! `ls [-la] [PATH...]`: lists directories (names in byte order, hidden ones only with `-a`)
//! and names files. `-l` adds the type and permissions, links, size and inode number.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use runtime::abi::stat::{self, file_type};
use runtime::{cli, println, sys};

runtime::entry!(main);

fn main() -> i32 {
    let args = match cli::parse("la", "ls [-la] [PATH...]") {
        Ok(args) => args,
        Err(status) => return status,
    };
    let paths = if args.operands.is_empty() {
        alloc::vec![String::from(".")]
    } else {
        args.operands.clone()
    };
    let mut status = 0;
    let long = args.has('l');
    for (i, path) in paths.iter().enumerate() {
        // A long listing shows a symbolic link itself (and where it points), as Linux's does.
        let info = match status_of(path, long) {
            Ok(info) => info,
            Err(e) => {
                status = cli::error(path, e);
                continue;
            }
        };
        if file_type(info.st_mode) != stat::S_IFDIR {
            show(path, path, &info, long);
            continue;
        }
        if paths.len() > 1 {
            println!("{}{path}:", if i > 0 { "\n" } else { "" });
        }
        let mut names: Vec<String> = match runtime::fs::read_dir(path) {
            Ok(entries) => entries.into_iter().map(|e| e.name).collect(),
            Err(e) => {
                status = cli::error(path, e);
                continue;
            }
        };
        names.retain(|n| args.has('a') || !n.starts_with('.'));
        names.sort();
        for name in names {
            let full = alloc::format!("{}/{name}", path.trim_end_matches('/'));
            match status_of(&full, long) {
                Ok(info) => show(&name, &full, &info, long),
                Err(_) => println!("{name}"),
            }
        }
    }
    status
}

/// The status of `path`: of a symbolic link itself with `long`, else of what it names.
fn status_of(path: &str, long: bool) -> Result<runtime::abi::Stat, runtime::Errno> {
    if long {
        sys::lstat(path)
    } else {
        sys::stat(path)
    }
}

/// One line for a file: its name, or with `long` the details too (and a link's target).
fn show(name: &str, path: &str, info: &runtime::abi::Stat, long: bool) {
    if !long {
        println!("{name}");
        return;
    }
    let kind = match file_type(info.st_mode) {
        stat::S_IFDIR => 'd',
        stat::S_IFCHR => 'c',
        stat::S_IFIFO => 'p',
        stat::S_IFLNK => 'l',
        _ => '-',
    };
    let mut mode = String::new();
    mode.push(kind);
    /// Read, write, execute, for owner, group and others, from the high bit down.
    const LETTERS: [char; 3] = ['r', 'w', 'x'];
    for bit in (0..9).rev() {
        let on = info.st_mode & (1 << bit) != 0;
        mode.push(if on { LETTERS[2 - bit % 3] } else { '-' });
    }
    let size = if kind == 'c' {
        alloc::format!("{},{}", info.st_rdev >> 8, info.st_rdev & 0xff)
    } else {
        alloc::format!("{}", info.st_size)
    };
    let mut target = [0u8; 256];
    let arrow = match kind {
        'l' => match sys::readlink(path, &mut target) {
            Ok(n) => alloc::format!(" -> {}", String::from_utf8_lossy(&target[..n])),
            Err(_) => String::new(),
        },
        _ => String::new(),
    };
    println!(
        "{mode} {:>3} {:>8} {:>6} {name}{arrow}",
        info.st_nlink, size, info.st_ino
    );
}
