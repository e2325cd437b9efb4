//! `diskstress`: workloads for the disk file system's tests.
//!
//! - `diskstress crash SEED`: for ever (until the machine is killed), a seeded stream of file
//!   operations in `/stress`: appends, renames over other files, unlinks, truncations, and now
//!   and then an `fsync`, after which it prints `diskstress: synced N` (N operations done).
//!   Every append writes a *record* that describes itself (a header with its number and
//!   length, then bytes computed from the number), so a checker can tell any byte that was
//!   never written. The host test (tests/system/test_disk.py) replays the same stream from the
//!   seed and checks that the disk, after the kill, holds the state after some operation no
//!   earlier than the last `fsync` reported.
//! - `diskstress files N DIR`: makes N files in DIR, each holding its own name, then reads them
//!   all back through a listing.
//! - `diskstress check-files N DIR`: checks what `files` made (after a reboot, say).
//! - `diskstress big MIB PATH`: writes a file of MIB MiB of a pattern, `fsync`s it, reads it
//!   back; `diskstress check-big MIB PATH` reads it again.
//!
//! Each prints `diskstress: ok` when all is well, or what went wrong and exits with status 1.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use runtime::abi::fcntl::{O_APPEND, O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY};
use runtime::fs::File;
use runtime::{cli, println, sys, Errno};
use xorshift::Rng;

runtime::entry!(main);

/// The usage line.
const USAGE: &str =
    "diskstress crash SEED | files N DIR | check-files N DIR | big MIB PATH | check-big MIB PATH";
/// The crash workload's directory.
const STRESS_DIR: &str = "/stress";
/// Files the crash workload uses (`f0` to `f7`).
const SLOTS: u64 = 8;
/// The largest append's body.
const MAX_APPEND: u64 = 24 * 1024;
/// A record's header: magic, number, body length.
const RECORD_MAGIC: &[u8; 4] = b"REC!";
/// Bytes in a record's header.
const HEADER: usize = 12;
/// Bytes in a MiB.
const MIB: usize = 1024 * 1024;

fn main() -> i32 {
    let args = match cli::parse("", USAGE) {
        Ok(args) => args,
        Err(status) => return status,
    };
    let words: Vec<&str> = args.operands.iter().map(String::as_str).collect();
    let number = |text: &str| text.parse::<u64>().ok();
    let result = match words.as_slice() {
        ["crash", seed] => match number(seed) {
            Some(seed) => crash(seed),
            None => return cli::show_usage(USAGE),
        },
        ["files", n, dir] => match number(n) {
            Some(n) => make_files(n, dir).and_then(|()| check_files(n, dir)),
            None => return cli::show_usage(USAGE),
        },
        ["check-files", n, dir] => match number(n) {
            Some(n) => check_files(n, dir),
            None => return cli::show_usage(USAGE),
        },
        ["big", mib, path] => match number(mib) {
            Some(mib) => write_big(mib as usize, path).and_then(|()| check_big(mib as usize, path)),
            None => return cli::show_usage(USAGE),
        },
        ["check-big", mib, path] => match number(mib) {
            Some(mib) => check_big(mib as usize, path),
            None => return cli::show_usage(USAGE),
        },
        _ => return cli::show_usage(USAGE),
    };
    match result {
        Ok(()) => {
            println!("diskstress: ok");
            0
        }
        Err(message) => {
            println!("diskstress: FAILED: {message}");
            1
        }
    }
}

/// An error with what was being done.
fn failed(what: &str, e: Errno) -> String {
    format!("{what}: {}", e.description())
}

/// Byte `k` of record `id`'s body (the host test computes the same).
fn body_byte(id: u64, k: usize) -> u8 {
    (id.wrapping_mul(31).wrapping_add(k as u64 * 7) % 251) as u8
}

/// Record `id` with a body of `len` bytes.
fn record(id: u64, len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + len);
    bytes.extend_from_slice(RECORD_MAGIC);
    bytes.extend_from_slice(&(id as u32).to_le_bytes());
    bytes.extend_from_slice(&(len as u32).to_le_bytes());
    bytes.extend((0..len).map(|k| body_byte(id, k)));
    bytes
}

/// The path of slot `slot`.
fn slot_path(slot: u64) -> String {
    format!("{STRESS_DIR}/f{slot}")
}

/// The crash workload; returns only on an error.
///
/// The operation stream depends only on the seed and on which slots hold a file, which the
/// workload tracks itself: the host replays it without knowing what the disk said.
fn crash(seed: u64) -> Result<(), String> {
    match sys::mkdir(STRESS_DIR, 0o755) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(failed("mkdir /stress", e)),
    }
    let mut rng = Rng::new(seed);
    let mut present = [false; SLOTS as usize];
    // Start from nothing: remove what a previous run left.
    for slot in 0..SLOTS {
        let _ = sys::unlink(&slot_path(slot));
    }
    let _ = File::open(STRESS_DIR, O_RDONLY, 0).and_then(|dir| sys::fsync(dir.fd()));
    println!("diskstress: started");
    for op in 1u64.. {
        let slot = rng.below(SLOTS);
        let path = slot_path(slot);
        match rng.below(100) {
            0..=54 => {
                let len = 1 + rng.below(MAX_APPEND) as usize;
                let file = File::open(&path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
                    .map_err(|e| failed(&format!("open {path}"), e))?;
                file.write_all(&record(op, len))
                    .map_err(|e| failed(&format!("append to {path}"), e))?;
                present[slot as usize] = true;
            }
            55..=66 => {
                let to = rng.below(SLOTS);
                if present[slot as usize] {
                    sys::rename(&path, &slot_path(to))
                        .map_err(|e| failed(&format!("rename {path}"), e))?;
                    present[slot as usize] = slot == to;
                    present[to as usize] = true;
                }
            }
            67..=76 => {
                if present[slot as usize] {
                    sys::unlink(&path).map_err(|e| failed(&format!("unlink {path}"), e))?;
                    present[slot as usize] = false;
                }
            }
            77..=84 => {
                if present[slot as usize] {
                    File::open(&path, O_WRONLY | O_TRUNC, 0)
                        .map_err(|e| failed(&format!("truncate {path}"), e))?;
                }
            }
            _ => {
                let dir =
                    File::open(STRESS_DIR, O_RDONLY, 0).map_err(|e| failed("open /stress", e))?;
                sys::fsync(dir.fd()).map_err(|e| failed("fsync", e))?;
                println!("diskstress: synced {op}");
            }
        }
    }
    Ok(())
}

/// The path of file `i` of `dir`.
fn numbered(dir: &str, i: u64) -> String {
    format!("{dir}/file-{i:05}")
}

/// Makes `n` files in `dir`, each holding its own name.
fn make_files(n: u64, dir: &str) -> Result<(), String> {
    match sys::mkdir(dir, 0o755) {
        Ok(()) | Err(Errno::EEXIST) => {}
        Err(e) => return Err(failed(&format!("mkdir {dir}"), e)),
    }
    for i in 0..n {
        let path = numbered(dir, i);
        runtime::fs::write_file(&path, path.as_bytes()).map_err(|e| failed(&path, e))?;
    }
    let dir_file = File::open(dir, O_RDONLY, 0).map_err(|e| failed(dir, e))?;
    sys::fsync(dir_file.fd()).map_err(|e| failed("fsync", e))
}

/// Checks that `dir` holds exactly the `n` files [`make_files`] made.
fn check_files(n: u64, dir: &str) -> Result<(), String> {
    let entries = runtime::fs::read_dir(dir).map_err(|e| failed(dir, e))?;
    let mut seen = vec![false; n as usize];
    let mut count = 0;
    for entry in entries {
        let name = entry.name.as_str();
        if name == "." || name == ".." {
            continue;
        }
        count += 1;
        let index = name
            .strip_prefix("file-")
            .and_then(|i| i.parse::<u64>().ok())
            .filter(|&i| i < n)
            .ok_or_else(|| format!("unexpected entry {name}"))?;
        if core::mem::replace(&mut seen[index as usize], true) {
            return Err(format!("{name} listed twice"));
        }
        let path = numbered(dir, index);
        let data = runtime::fs::read_file(&path).map_err(|e| failed(&path, e))?;
        if data != path.as_bytes() {
            return Err(format!("{path} holds {} wrong bytes", data.len()));
        }
    }
    if count != n {
        return Err(format!("{count} files listed, not {n}"));
    }
    Ok(())
}

/// Byte `at` of the big file.
fn big_byte(at: usize) -> u8 {
    ((at / 4096) as u8).wrapping_mul(13) ^ (at as u8)
}

/// Writes the big file, a MiB at a time, and makes it durable.
fn write_big(mib: usize, path: &str) -> Result<(), String> {
    let file =
        File::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644).map_err(|e| failed(path, e))?;
    let mut chunk = vec![0u8; MIB];
    for m in 0..mib {
        for (k, byte) in chunk.iter_mut().enumerate() {
            *byte = big_byte(m * MIB + k);
        }
        file.write_all(&chunk)
            .map_err(|e| failed(&format!("{path} at {m} MiB"), e))?;
    }
    sys::fsync(file.fd()).map_err(|e| failed("fsync", e))
}

/// Reads the big file back and compares every byte.
fn check_big(mib: usize, path: &str) -> Result<(), String> {
    let file = File::open(path, O_RDONLY, 0).map_err(|e| failed(path, e))?;
    let mut chunk = vec![0u8; MIB];
    for m in 0..mib {
        let mut got = 0;
        while got < MIB {
            match file.read(&mut chunk[got..]) {
                Ok(0) => return Err(format!("{path} ends at {} bytes", m * MIB + got)),
                Ok(n) => got += n,
                Err(e) => return Err(failed(path, e)),
            }
        }
        if let Some(k) = (0..MIB).find(|&k| chunk[k] != big_byte(m * MIB + k)) {
            return Err(format!("{path}: byte {} is wrong", m * MIB + k));
        }
    }
    let mut more = [0u8; 1];
    match file.read(&mut more) {
        Ok(0) => Ok(()),
        _ => Err(format!("{path} is longer than {mib} MiB")),
    }
}
