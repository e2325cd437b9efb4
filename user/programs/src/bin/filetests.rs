//! `filetests`: files, directories, descriptors and pipes, tested from user space.
//!
//! Each case works under its own directory in `/tmp` and removes it, so the suite leaves
//! nothing behind (the host's leak check runs it and compares the kernel's counters). The
//! rules checked are Linux's: the same program would pass there.
//!
//! `filetests child-write FD TEXT` and `filetests child-check-closed FD` are not cases: the
//! exec cases run the program again with them, to see descriptors from the other side of an
//! `execve`. `filetests --quiet WORD...` runs only the cases whose names contain a WORD and
//! prints only failures: the `user_pipes` test kernel runs the pipe cases so, under several
//! timings.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use runtime::abi::fcntl::*;
use runtime::abi::{self, wait, Errno};
use runtime::fs::{read_dir, read_file, write_file, File};
use runtime::ktap::{expect_exit, spawn_child, wait_for, Case, Outcome};
use runtime::{cases, check, sys};

runtime::entry!(main);

/// Turns a system call's error into a case's failure message.
trait Context<T> {
    fn context(self, what: &str) -> Result<T, String>;
}

impl<T> Context<T> for Result<T, Errno> {
    fn context(self, what: &str) -> Result<T, String> {
        self.map_err(|e| format!("{what}: {}", e.name()))
    }
}

/// Checks that `result` is the error `want`.
fn expect_err<T: core::fmt::Debug>(result: Result<T, Errno>, want: Errno, what: &str) -> Outcome {
    match result {
        Err(e) if e == want => Ok(()),
        other => Err(format!("{what}: got {other:?}, want {}", want.name())),
    }
}

/// A scratch directory under `/tmp`, removed (with what is left in it, one level deep) when
/// dropped.
struct Scratch {
    path: String,
}

impl Scratch {
    fn new(name: &str) -> Result<Scratch, String> {
        let path = format!("/tmp/filetests-{name}");
        sys::mkdir(&path, 0o755).context(&path)?;
        Ok(Scratch { path })
    }

    /// The path of `name` in it.
    fn at(&self, name: &str) -> String {
        format!("{}/{name}", self.path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Ok(entries) = read_dir(&self.path) {
            for entry in entries.iter().filter(|e| e.name != "." && e.name != "..") {
                let path = self.at(&entry.name);
                if sys::unlink(&path).is_err() {
                    let _ = sys::rmdir(&path);
                }
            }
        }
        let _ = sys::rmdir(&self.path);
    }
}

/// The names in directory `path`, without `.` and `..`.
fn names(path: &str) -> Result<Vec<String>, String> {
    Ok(read_dir(path)
        .context(path)?
        .into_iter()
        .map(|e| e.name)
        .filter(|n| n != "." && n != "..")
        .collect())
}

fn create_write_seek_and_read_back() -> Outcome {
    let dir = Scratch::new("basic")?;
    let path = dir.at("notes.txt");
    let fd = sys::open(&path, O_RDWR | O_CREAT | O_EXCL, 0o644).context("create")?;
    check!(fd >= 3, "first free descriptor is {fd}, want 3 or more");
    check!(
        sys::write(fd, b"hello, world").context("write")? == 12,
        "short write"
    );
    check!(
        sys::lseek(fd, 7, SEEK_SET).context("lseek")? == 7,
        "lseek SET"
    );
    let mut buf = [0u8; 16];
    let n = sys::read(fd, &mut buf).context("read")?;
    check!(
        &buf[..n] == b"world",
        "read after seek gave {:?}",
        &buf[..n]
    );
    check!(
        sys::read(fd, &mut buf).context("read at end")? == 0,
        "no end of file"
    );
    check!(
        sys::lseek(fd, -5, SEEK_END).context("lseek END")? == 7,
        "lseek END"
    );
    check!(
        sys::lseek(fd, 2, SEEK_CUR).context("lseek CUR")? == 9,
        "lseek CUR"
    );
    expect_err(
        sys::lseek(fd, -100, SEEK_CUR),
        Errno::EINVAL,
        "seek before the start",
    )?;
    let stat = sys::fstat(fd).context("fstat")?;
    check!(stat.st_size == 12, "size {}", stat.st_size);
    check!(
        stat.st_mode == abi::stat::S_IFREG | 0o644,
        "mode {:o}",
        stat.st_mode
    );
    check!(stat.st_nlink == 1, "links {}", stat.st_nlink);
    sys::close(fd).context("close")?;
    expect_err(sys::close(fd), Errno::EBADF, "second close")?;
    let by_path = sys::stat(&path).context("stat")?;
    check!(
        by_path.st_ino == stat.st_ino,
        "stat and fstat disagree on the inode"
    );
    sys::unlink(&path).context("unlink")?;
    Ok(())
}

fn a_write_past_the_end_leaves_zeros_and_truncate_cuts() -> Outcome {
    let dir = Scratch::new("sparse")?;
    let file = File::open(&dir.at("f"), O_RDWR | O_CREAT, 0o644).context("create")?;
    sys::lseek(file.fd(), 4, SEEK_SET).context("seek")?;
    file.write_all(b"x").context("write")?;
    sys::lseek(file.fd(), 0, SEEK_SET).context("seek")?;
    check!(
        file.read_to_end().context("read")? == b"\0\0\0\0x",
        "gap not zeros"
    );
    sys::ftruncate(file.fd(), 2).context("ftruncate")?;
    check!(
        sys::fstat(file.fd()).context("fstat")?.st_size == 2,
        "ftruncate did not cut"
    );
    Ok(())
}

fn append_always_writes_at_the_end() -> Outcome {
    let dir = Scratch::new("append")?;
    let path = dir.at("log");
    write_file(&path, b"one\n").context("write")?;
    let fd = sys::open(&path, O_WRONLY | O_APPEND, 0).context("open")?;
    sys::lseek(fd, 0, SEEK_SET).context("seek")?;
    sys::write(fd, b"two\n").context("append")?;
    sys::close(fd).context("close")?;
    let text = read_file(&path).context("read")?;
    check!(
        text == b"one\ntwo\n",
        "file is {:?}",
        String::from_utf8_lossy(&text)
    );
    Ok(())
}

fn o_trunc_empties_and_o_excl_refuses_an_existing_file() -> Outcome {
    let dir = Scratch::new("trunc")?;
    let path = dir.at("f");
    write_file(&path, b"old contents").context("write")?;
    expect_err(
        sys::open(&path, O_WRONLY | O_CREAT | O_EXCL, 0o644),
        Errno::EEXIST,
        "O_EXCL",
    )?;
    let fd = sys::open(&path, O_WRONLY | O_TRUNC, 0).context("O_TRUNC")?;
    sys::close(fd).context("close")?;
    check!(
        sys::stat(&path).context("stat")?.st_size == 0,
        "O_TRUNC kept the bytes"
    );
    Ok(())
}

fn rename_replaces_an_existing_file() -> Outcome {
    let dir = Scratch::new("rename")?;
    let (a, b) = (dir.at("a"), dir.at("b"));
    write_file(&a, b"new").context("write a")?;
    write_file(&b, b"old").context("write b")?;
    let old = File::read_only(&b).context("open b")?;
    sys::rename(&a, &b).context("rename")?;
    expect_err(sys::stat(&a), Errno::ENOENT, "the old name")?;
    check!(
        read_file(&b).context("read b")? == b"new",
        "b is not the renamed file"
    );
    check!(
        old.read_to_end().context("read old")? == b"old",
        "the replaced file, still open"
    );
    check!(
        names(&dir.path)? == ["b"],
        "directory holds {:?}",
        names(&dir.path)?
    );
    Ok(())
}

fn a_hard_link_is_the_same_file_under_two_names() -> Outcome {
    let dir = Scratch::new("link")?;
    let (a, b) = (dir.at("a"), dir.at("b"));
    write_file(&a, b"shared").context("write a")?;
    sys::link(&a, &b).context("link")?;
    let (sa, sb) = (
        sys::stat(&a).context("stat a")?,
        sys::stat(&b).context("stat b")?,
    );
    check!(
        sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev,
        "two inodes"
    );
    check!(sa.st_nlink == 2, "nlink {} after link", sa.st_nlink);
    write_file(&b, b"changed").context("write b")?;
    check!(
        read_file(&a).context("read a")? == b"changed",
        "a write through b not seen at a"
    );
    sys::unlink(&a).context("unlink a")?;
    check!(
        sys::stat(&b).context("stat b")?.st_nlink == 1,
        "nlink after unlink"
    );
    expect_err(
        sys::link(&b, &b),
        Errno::EEXIST,
        "link onto an existing name",
    )?;
    expect_err(
        sys::link(&dir.path, &dir.at("d")),
        Errno::EPERM,
        "link of a directory",
    )?;
    expect_err(
        sys::link(&dir.at("none"), &a),
        Errno::ENOENT,
        "link of nothing",
    )?;
    // /dev is a file system of its own here and on Linux. (Not /proc: Linux's refuses the
    // lookup of a new name there with ENOENT before it compares the file systems.)
    expect_err(
        sys::link(&b, "/dev/filetests-link"),
        Errno::EXDEV,
        "link across file systems",
    )?;
    Ok(())
}

fn chmod_changes_the_permission_bits_only() -> Outcome {
    let dir = Scratch::new("chmod")?;
    let path = dir.at("f");
    write_file(&path, b"x").context("write")?;
    sys::chmod(&path, 0o751).context("chmod")?;
    let mode = sys::stat(&path).context("stat")?.st_mode;
    check!(mode == abi::stat::S_IFREG | 0o751, "mode {mode:o}");
    sys::chmod(&path, 0o100_640).context("chmod with type bits")?;
    let mode = sys::stat(&path).context("stat")?.st_mode;
    check!(
        mode == abi::stat::S_IFREG | 0o640,
        "the type bits were changed: {mode:o}"
    );
    expect_err(
        sys::chmod(&dir.at("none"), 0o644),
        Errno::ENOENT,
        "chmod of nothing",
    )?;
    Ok(())
}

fn utimensat_sets_the_modification_time() -> Outcome {
    let dir = Scratch::new("utimens")?;
    let path = dir.at("f");
    write_file(&path, b"x").context("write")?;
    let set = abi::Timespec {
        tv_sec: 1000,
        tv_nsec: 5,
    };
    sys::set_modified(&path, Some(set)).context("set the time")?;
    let stat = sys::stat(&path).context("stat")?;
    check!(
        (stat.st_mtime, stat.st_mtime_nsec) == (1000, 5),
        "mtime {}.{:09}",
        stat.st_mtime,
        stat.st_mtime_nsec
    );
    sys::set_modified(&path, None).context("set it to now")?;
    let now = sys::stat(&path).context("stat")?;
    check!(
        now.st_mtime >= 0 && (now.st_mtime, now.st_mtime_nsec) != (1000, 5),
        "not moved to now"
    );
    let bad = abi::Timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    expect_err(
        sys::set_modified(&path, Some(bad)),
        Errno::EINVAL,
        "a nanosecond field of 10^9",
    )?;
    expect_err(
        sys::set_modified(&dir.at("none"), None),
        Errno::ENOENT,
        "utimensat of nothing",
    )?;
    Ok(())
}

fn statfs_describes_each_file_system() -> Outcome {
    // Only what holds on Linux too, whatever file system its /tmp is.
    let tmp = sys::statfs("/tmp").context("statfs /tmp")?;
    check!(
        tmp.f_blocks > 0 && tmp.f_bfree <= tmp.f_blocks && tmp.f_bavail <= tmp.f_bfree,
        "/tmp blocks {} free {} available {}",
        tmp.f_blocks,
        tmp.f_bfree,
        tmp.f_bavail
    );
    check!(tmp.f_flags & abi::statfs::ST_RDONLY == 0, "/tmp read-only");
    check!(
        tmp.f_bsize > 0 && tmp.f_namelen >= 255,
        "/tmp bsize {} namelen {}",
        tmp.f_bsize,
        tmp.f_namelen
    );
    let proc = sys::statfs("/proc/self").context("statfs /proc")?;
    check!(
        proc.f_type == abi::statfs::PROC_SUPER_MAGIC,
        "/proc type {:#x}",
        proc.f_type
    );
    // Writing to /tmp takes space that statfs sees (once written back: hence the fsync).
    let dir = Scratch::new("statfs")?;
    let big = File::open(&dir.at("big"), O_WRONLY | O_CREAT, 0o644).context("create")?;
    big.write_all(&[1u8; 256 * 1024]).context("write")?;
    sys::fsync(big.fd()).context("fsync")?;
    let after = sys::statfs("/tmp").context("statfs again")?;
    check!(
        after.f_bfree < tmp.f_bfree,
        "free blocks {} then {}",
        tmp.f_bfree,
        after.f_bfree
    );
    expect_err(sys::statfs("/none"), Errno::ENOENT, "statfs of nothing")?;
    Ok(())
}

fn an_unlinked_file_lives_until_its_last_close() -> Outcome {
    let dir = Scratch::new("unlink")?;
    let path = dir.at("tmp");
    write_file(&path, b"still here").context("write")?;
    let file = File::read_only(&path).context("open")?;
    let copy = sys::dup(file.fd()).context("dup")?;
    sys::unlink(&path).context("unlink")?;
    expect_err(sys::stat(&path), Errno::ENOENT, "stat after unlink")?;
    check!(
        sys::fstat(file.fd()).context("fstat")?.st_nlink == 0,
        "links after unlink"
    );
    drop(file);
    let mut buf = [0u8; 32];
    let n = sys::read(copy, &mut buf).context("read through the last descriptor")?;
    check!(&buf[..n] == b"still here", "read {:?}", &buf[..n]);
    sys::close(copy).context("close")?;
    Ok(())
}

fn directories_nest_list_and_refuse_rmdir_while_full() -> Outcome {
    let dir = Scratch::new("dirs")?;
    let sub = dir.at("sub");
    sys::mkdir(&sub, 0o755).context("mkdir")?;
    expect_err(sys::mkdir(&sub, 0o755), Errno::EEXIST, "mkdir twice")?;
    write_file(&format!("{sub}/f"), b"x").context("write")?;
    expect_err(
        sys::rmdir(&sub),
        Errno::ENOTEMPTY,
        "rmdir of a full directory",
    )?;
    expect_err(sys::unlink(&sub), Errno::EISDIR, "unlink of a directory")?;
    expect_err(
        sys::rmdir(&format!("{sub}/f")),
        Errno::ENOTDIR,
        "rmdir of a file",
    )?;
    expect_err(
        sys::mkdir(&format!("{sub}/f/g"), 0o755),
        Errno::ENOTDIR,
        "mkdir under a file",
    )?;
    expect_err(
        sys::open(&format!("{sub}/f/"), O_RDONLY, 0),
        Errno::ENOTDIR,
        "file/",
    )?;
    expect_err(
        sys::open(&sub, O_WRONLY, 0),
        Errno::EISDIR,
        "a directory opened to write",
    )?;
    expect_err(
        sys::open(&format!("{sub}/f"), O_RDONLY | O_DIRECTORY, 0),
        Errno::ENOTDIR,
        "O_DIRECTORY",
    )?;
    let entries = read_dir(&sub).context("read_dir")?;
    let listed: Vec<(&str, u8)> = entries.iter().map(|e| (e.name.as_str(), e.kind)).collect();
    check!(
        listed
            == [
                (".", abi::dirent::DT_DIR),
                ("..", abi::dirent::DT_DIR),
                ("f", abi::dirent::DT_REG)
            ],
        "listing {listed:?}"
    );
    check!(
        sys::stat(&dir.path).context("stat")?.st_nlink == 3,
        "parent links"
    );
    sys::unlink(&format!("{sub}/f")).context("unlink")?;
    sys::rmdir(&sub).context("rmdir")?;
    Ok(())
}

fn rename_moves_directories_but_not_into_themselves() -> Outcome {
    let dir = Scratch::new("mvdir")?;
    let (a, b) = (dir.at("a"), dir.at("b"));
    sys::mkdir(&a, 0o755).context("mkdir a")?;
    sys::mkdir(&format!("{a}/inner"), 0o755).context("mkdir inner")?;
    expect_err(
        sys::rename(&a, &format!("{a}/inner/a")),
        Errno::EINVAL,
        "a into itself",
    )?;
    sys::rename(&a, &b).context("rename a b")?;
    check!(
        sys::stat(&format!("{b}/inner")).is_ok(),
        "inner did not move with its parent"
    );
    expect_err(
        sys::rename(&b, "/proc/b"),
        Errno::EXDEV,
        "across file systems",
    )?;
    sys::rmdir(&format!("{b}/inner")).context("rmdir inner")?;
    Ok(())
}

fn paths_resolve_dot_dotdot_and_the_working_directory() -> Outcome {
    let dir = Scratch::new("cwd")?;
    sys::mkdir(&dir.at("x"), 0o755).context("mkdir")?;
    let mut buf = [0u8; 256];
    let before = String::from(sys::getcwd(&mut buf).context("getcwd")?);
    sys::chdir(&dir.at("x")).context("chdir")?;
    write_file("../here", b"relative").context("write relative")?;
    let result = (|| {
        check!(
            sys::getcwd(&mut buf).context("getcwd")? == dir.at("x"),
            "cwd"
        );
        sys::chdir("./.././x/..").context("chdir dots")?;
        check!(
            sys::getcwd(&mut buf).context("getcwd")? == dir.path,
            "cwd after dots"
        );
        check!(
            read_file("here").context("read relative")? == b"relative",
            "relative read"
        );
        check!(
            read_file("/../../tmp/../tmp/filetests-cwd/here").is_ok(),
            "/.. stays at /"
        );
        expect_err(sys::chdir("here"), Errno::ENOTDIR, "chdir to a file")?;
        expect_err(
            sys::getcwd(&mut buf[..3]),
            Errno::ERANGE,
            "getcwd into a small buffer",
        )?;
        Ok(())
    })();
    sys::chdir(&before).context("chdir back")?;
    result
}

fn over_long_names_and_paths_are_refused() -> Outcome {
    let dir = Scratch::new("long")?;
    let long_name = "n".repeat(256);
    expect_err(
        sys::open(&dir.at(&long_name), O_CREAT | O_WRONLY, 0o644),
        Errno::ENAMETOOLONG,
        "256-byte name",
    )?;
    let fine = "n".repeat(255);
    let fd = sys::open(&dir.at(&fine), O_CREAT | O_WRONLY, 0o644).context("255-byte name")?;
    sys::close(fd).context("close")?;
    let long_path = format!("{}/{}", dir.path, "a/".repeat(2100));
    expect_err(
        sys::stat(&long_path),
        Errno::ENAMETOOLONG,
        "a 4200-byte path",
    )?;
    expect_err(
        sys::mkdir(&dir.at(&long_name), 0o755),
        Errno::ENAMETOOLONG,
        "mkdir of a long name",
    )?;
    expect_err(sys::open("", O_RDONLY, 0), Errno::ENOENT, "the empty path")?;
    Ok(())
}

/// Whether `/proc/mounts` says the file system that holds `path` (the mount with the longest
/// path that contains it) is mounted read-only.
fn mounted_read_only(path: &str) -> Result<bool, String> {
    let mounts = read_file("/proc/mounts").context("/proc/mounts")?;
    let mounts = String::from_utf8_lossy(&mounts);
    let contains = |mount: &str| {
        mount == "/"
            || path == mount
            || path.strip_prefix(mount).is_some_and(|r| r.starts_with('/'))
    };
    mounts
        .lines()
        .map(|line| line.split(' ').collect::<Vec<_>>())
        .filter(|fields| fields.get(1).is_some_and(|mount| contains(mount)))
        .max_by_key(|fields| fields[1].len())
        .and_then(|fields| {
            fields
                .get(3)
                .map(|access| access.split(',').any(|a| a == "ro"))
        })
        .ok_or_else(|| format!("/proc/mounts has no file system for {path}"))
}

fn the_root_bin_dev_and_proc_answer_as_mounted() -> Outcome {
    // The root is the read-only ramdisk on a boot without a disk, and the disk (writable)
    // otherwise: the case holds on both, and leaves nothing behind on a disk.
    check!(
        mounted_read_only("/bin")?,
        "/proc/mounts shows /bin writable"
    );
    let probe = format!("/filetests-probe-{}", sys::getpid());
    if mounted_read_only("/")? {
        expect_err(
            sys::open(&probe, O_CREAT | O_WRONLY, 0o644),
            Errno::EROFS,
            "create in a read-only /",
        )?;
    } else {
        let fd = sys::open(&probe, O_CREAT | O_EXCL | O_WRONLY, 0o644).context("create in /")?;
        sys::close(fd).context("close")?;
        sys::unlink(&probe).context("unlink from /")?;
        expect_err(sys::stat(&probe), Errno::ENOENT, "stat after unlink")?;
    }
    expect_err(sys::unlink("/bin/hello"), Errno::EROFS, "unlink from /bin")?;
    expect_err(sys::rmdir("/tmp"), Errno::EBUSY, "rmdir of a mount point")?;
    check!(
        sys::stat("/bin/sh").is_ok() || sys::stat("/bin/hello").is_ok(),
        "no /bin"
    );
    let null = File::open("/dev/null", O_RDWR, 0).context("/dev/null")?;
    null.write_all(b"gone").context("write /dev/null")?;
    check!(
        null.read_to_end().context("read /dev/null")?.is_empty(),
        "/dev/null gave bytes"
    );
    let zero = File::read_only("/dev/zero").context("/dev/zero")?;
    let mut buf = [7u8; 64];
    check!(
        zero.read(&mut buf).context("read zero")? == 64 && buf == [0; 64],
        "zeros"
    );
    let console = sys::stat("/dev/console").context("stat console")?;
    check!(
        abi::stat::file_type(console.st_mode) == abi::stat::S_IFCHR,
        "console mode"
    );
    check!(
        console.st_rdev == 0x501,
        "console is device {:#x}, want 5:1",
        console.st_rdev
    );
    let status = read_file("/proc/self/status").context("/proc/self/status")?;
    let text = String::from_utf8_lossy(&status);
    let pid_line = format!("Pid:\t{}", sys::getpid());
    check!(
        text.contains("Name:\tfiletests") && text.contains(&pid_line),
        "status: {text}"
    );
    let meminfo = read_file("/proc/meminfo").context("/proc/meminfo")?;
    check!(meminfo.starts_with(b"MemTotal:"), "meminfo");
    Ok(())
}

fn dup_and_dup2_share_one_position() -> Outcome {
    let dir = Scratch::new("dup")?;
    let file = File::open(&dir.at("f"), O_RDWR | O_CREAT, 0o644).context("create")?;
    let copy = sys::dup(file.fd()).context("dup")?;
    file.write_all(b"ab").context("write")?;
    sys::write(copy, b"cd").context("write through the copy")?;
    check!(
        sys::lseek(file.fd(), 0, SEEK_CUR).context("seek")? == 4,
        "positions are not shared"
    );
    let target = 40;
    check!(
        sys::dup2(copy, target).context("dup2")? == target,
        "dup2's result"
    );
    sys::write(target, b"ef").context("write through dup2")?;
    check!(
        sys::dup2(target, target).context("dup2 onto itself")? == target,
        "dup2 a a"
    );
    expect_err(
        sys::dup2(99, 5),
        Errno::EBADF,
        "dup2 of a closed descriptor",
    )?;
    sys::close(copy).context("close")?;
    sys::close(target).context("close")?;
    check!(
        read_file(&dir.at("f")).context("read")? == b"abcdef",
        "contents"
    );
    Ok(())
}

fn fcntl_duplicates_and_sets_close_on_exec() -> Outcome {
    let fd = sys::open("/dev/null", O_RDONLY | O_CLOEXEC, 0).context("open")?;
    check!(
        sys::fcntl(fd, F_GETFD, 0).context("F_GETFD")? == FD_CLOEXEC as usize,
        "O_CLOEXEC"
    );
    sys::fcntl(fd, F_SETFD, 0).context("F_SETFD")?;
    check!(
        sys::fcntl(fd, F_GETFD, 0).context("F_GETFD")? == 0,
        "F_SETFD 0"
    );
    let high = sys::fcntl(fd, F_DUPFD, 100).context("F_DUPFD")?;
    check!(high == 100, "F_DUPFD 100 gave {high}");
    check!(
        sys::fcntl(fd, F_GETFL, 0).context("F_GETFL")? & O_ACCMODE as usize == O_RDONLY as usize,
        "F_GETFL"
    );
    sys::close(high as i32).context("close")?;
    sys::close(fd).context("close")?;
    Ok(())
}

fn descriptors_are_inherited_across_fork_and_exec() -> Outcome {
    let dir = Scratch::new("inherit")?;
    let path = dir.at("out");
    let file = File::open(&path, O_WRONLY | O_CREAT, 0o644).context("create")?;
    file.write_all(b"parent;").context("write")?;
    let fd = file.fd();
    let child = spawn_child(|| match sys::write(fd, b"child;") {
        Ok(_) => 0,
        Err(_) => 1,
    })?;
    expect_exit(child, 0)?;
    let fd_text = format!("{fd}\0");
    let exec_child = spawn_child(|| {
        let argv: [&[u8]; 4] = [
            b"filetests\0",
            b"child-write\0",
            fd_text.as_bytes(),
            b"exec;\0",
        ];
        sys::execve(b"/bin/filetests\0", &argv, &[]);
        3
    })?;
    expect_exit(exec_child, 0)?;
    file.write_all(b"parent again").context("write")?;
    let text = read_file(&path).context("read")?;
    check!(
        text == b"parent;child;exec;parent again",
        "file is {:?}",
        String::from_utf8_lossy(&text)
    );
    Ok(())
}

fn close_on_exec_descriptors_close_at_exec() -> Outcome {
    let fd = sys::open("/dev/null", O_RDONLY | O_CLOEXEC, 0).context("open")?;
    let fd_text = format!("{fd}\0");
    let child = spawn_child(|| {
        let argv: [&[u8]; 3] = [b"filetests\0", b"child-check-closed\0", fd_text.as_bytes()];
        sys::execve(b"/bin/filetests\0", &argv, &[]);
        3
    })?;
    let result = expect_exit(child, 0);
    sys::close(fd).context("close")?;
    result
}

fn a_pipe_carries_bytes_and_ends_when_the_writer_closes() -> Outcome {
    let (reader, writer) = sys::pipe().context("pipe")?;
    /// Bytes the child sends: several times the pipe's buffer, so both sides block in turn.
    const TOTAL: usize = 100_000;
    let child = spawn_child(|| {
        let _ = sys::close(reader);
        let block = [b'p'; 1000];
        for _ in 0..TOTAL / block.len() {
            if runtime::fs::write_all(writer, &block).is_err() {
                return 1;
            }
        }
        0
    })?;
    sys::close(writer).context("close the writer")?;
    let bytes = runtime::fs::read_to_end(reader).context("read")?;
    sys::close(reader).context("close the reader")?;
    expect_exit(child, 0)?;
    check!(
        bytes.len() == TOTAL,
        "read {} of {TOTAL} bytes",
        bytes.len()
    );
    check!(
        bytes.iter().all(|&b| b == b'p'),
        "bytes changed in the pipe"
    );
    let stat = sys::fstat(0).context("fstat 0")?;
    check!(
        abi::stat::file_type(stat.st_mode) == abi::stat::S_IFCHR,
        "stdin is the console"
    );
    Ok(())
}

fn writing_to_a_pipe_without_readers_is_epipe_and_sigpipe() -> Outcome {
    let (reader, writer) = sys::pipe().context("pipe")?;
    sys::close(reader).context("close the reader")?;
    let child = spawn_child(|| {
        let _ = sys::write(writer, b"nobody listens");
        0 // not reached: SIGPIPE ends the child
    })?;
    sys::close(writer).context("close")?;
    let status = wait_for(child)?;
    check!(
        wait::signaled(status) && wait::term_signal(status) == abi::signal::SIGPIPE,
        "status {status:#x}, want killed by SIGPIPE"
    );
    Ok(())
}

fn pipes_refuse_seeks_and_wrong_directions() -> Outcome {
    let (reader, writer) = sys::pipe2(O_NONBLOCK).context("pipe2")?;
    expect_err(
        sys::lseek(reader, 0, SEEK_SET),
        Errno::ESPIPE,
        "lseek on a pipe",
    )?;
    expect_err(
        sys::write(reader, b"x"),
        Errno::EBADF,
        "write to the reading end",
    )?;
    expect_err(
        sys::read(writer, &mut [0; 1]),
        Errno::EBADF,
        "read from the writing end",
    )?;
    expect_err(
        sys::read(reader, &mut [0; 1]),
        Errno::EAGAIN,
        "an empty non-blocking pipe",
    )?;
    let stat = sys::fstat(reader).context("fstat")?;
    check!(
        abi::stat::file_type(stat.st_mode) == abi::stat::S_IFIFO,
        "mode {:o}",
        stat.st_mode
    );
    sys::close(reader).context("close")?;
    sys::close(writer).context("close")?;
    Ok(())
}

fn a_ping_pong_through_two_pipes_completes_every_round() -> Outcome {
    /// Round trips: each blocks both processes in turn.
    const ROUNDS: u32 = 1000;
    let (from_parent, to_child) = sys::pipe().context("pipe")?;
    let (from_child, to_parent) = sys::pipe().context("pipe")?;
    let child = spawn_child(|| {
        let _ = sys::close(to_child);
        let _ = sys::close(from_child);
        let mut byte = [0u8; 1];
        while sys::read(from_parent, &mut byte) == Ok(1) {
            byte[0] = byte[0].wrapping_add(1);
            if sys::write(to_parent, &byte) != Ok(1) {
                return 1;
            }
        }
        0
    })?;
    sys::close(from_parent).context("close")?;
    sys::close(to_parent).context("close")?;
    let mut byte = [0u8; 1];
    for round in 0..ROUNDS {
        let sent = (round % 200) as u8;
        sys::write(to_child, &[sent]).context("write")?;
        let n = sys::read(from_child, &mut byte).context("read")?;
        check!(
            n == 1 && byte[0] == sent.wrapping_add(1),
            "round {round}: got {n} bytes {byte:?}"
        );
    }
    sys::close(to_child).context("close")?;
    let result = expect_exit(child, 0);
    sys::close(from_child).context("close")?;
    result
}

fn two_writers_appending_at_once_lose_nothing() -> Outcome {
    let dir = Scratch::new("writers")?;
    let path = dir.at("shared");
    write_file(&path, b"").context("create")?;
    /// Lines each writer appends.
    const LINES: usize = 200;
    let mut children = Vec::new();
    for tag in [b'a', b'b'] {
        let path = path.clone();
        children.push(spawn_child(move || {
            let Ok(fd) = sys::open(&path, O_WRONLY | O_APPEND, 0) else {
                return 1;
            };
            let line = [tag; 8];
            for _ in 0..LINES {
                if sys::write(fd, &line) != Ok(8) {
                    return 2;
                }
                let _ = sys::sched_yield();
            }
            0
        })?);
    }
    for child in children {
        expect_exit(child, 0)?;
    }
    let text = read_file(&path).context("read")?;
    check!(
        text.len() == 2 * LINES * 8,
        "{} bytes, want {}",
        text.len(),
        2 * LINES * 8
    );
    for record in text.chunks(8) {
        check!(
            record == [b'a'; 8] || record == [b'b'; 8],
            "a torn record {record:?}"
        );
    }
    Ok(())
}

fn ten_thousand_files_in_one_directory() -> Outcome {
    let dir = Scratch::new("many")?;
    /// Files made.
    const COUNT: usize = 10_000;
    for i in 0..COUNT {
        let fd = sys::open(
            &dir.at(&format!("f{i}")),
            O_WRONLY | O_CREAT | O_EXCL,
            0o644,
        )
        .context("create")?;
        sys::close(fd).context("close")?;
    }
    let listed = names(&dir.path)?;
    check!(listed.len() == COUNT, "listed {} of {COUNT}", listed.len());
    check!(sys::stat(&dir.at("f9999")).is_ok(), "the last file");
    for i in 0..COUNT {
        sys::unlink(&dir.at(&format!("f{i}"))).context("unlink")?;
    }
    check!(names(&dir.path)?.is_empty(), "files left");
    Ok(())
}

fn a_process_runs_out_of_descriptors_with_emfile() -> Outcome {
    let mut opened = Vec::new();
    let result = loop {
        match sys::open("/dev/null", O_RDONLY, 0) {
            Ok(fd) => opened.push(fd),
            Err(e) => break e,
        }
    };
    let count = opened.len();
    for fd in opened {
        sys::close(fd).context("close")?;
    }
    check!(result == Errno::EMFILE, "stopped with {}", result.name());
    check!((1000..1024).contains(&count), "opened {count} more");
    Ok(())
}

/// Every case, by name, in the order they run.
const CASES: &[Case] = cases![
    create_write_seek_and_read_back,
    a_write_past_the_end_leaves_zeros_and_truncate_cuts,
    append_always_writes_at_the_end,
    o_trunc_empties_and_o_excl_refuses_an_existing_file,
    rename_replaces_an_existing_file,
    a_hard_link_is_the_same_file_under_two_names,
    chmod_changes_the_permission_bits_only,
    utimensat_sets_the_modification_time,
    statfs_describes_each_file_system,
    an_unlinked_file_lives_until_its_last_close,
    directories_nest_list_and_refuse_rmdir_while_full,
    rename_moves_directories_but_not_into_themselves,
    paths_resolve_dot_dotdot_and_the_working_directory,
    over_long_names_and_paths_are_refused,
    the_root_bin_dev_and_proc_answer_as_mounted,
    dup_and_dup2_share_one_position,
    fcntl_duplicates_and_sets_close_on_exec,
    descriptors_are_inherited_across_fork_and_exec,
    close_on_exec_descriptors_close_at_exec,
    a_pipe_carries_bytes_and_ends_when_the_writer_closes,
    writing_to_a_pipe_without_readers_is_epipe_and_sigpipe,
    pipes_refuse_seeks_and_wrong_directions,
    a_ping_pong_through_two_pipes_completes_every_round,
    two_writers_appending_at_once_lose_nothing,
    ten_thousand_files_in_one_directory,
    a_process_runs_out_of_descriptors_with_emfile,
];

/// The exec cases' other half: writes TEXT to inherited descriptor FD.
fn child_write(fd: &str, text: &str) -> i32 {
    match fd.parse::<i32>().map(|fd| sys::write(fd, text.as_bytes())) {
        Ok(Ok(n)) if n == text.len() => 0,
        _ => 1,
    }
}

/// The exec cases' other half: checks that descriptor FD was closed by the exec.
fn child_check_closed(fd: &str) -> i32 {
    match fd.parse::<i32>().map(sys::fstat) {
        Ok(Err(Errno::EBADF)) => 0,
        _ => 1,
    }
}

fn main() -> i32 {
    let args: Vec<&str> = runtime::args().collect();
    match args.as_slice() {
        [_, "child-write", fd, text] => child_write(fd, text),
        [_, "child-check-closed", fd] => child_check_closed(fd),
        [_] => runtime::ktap::run(CASES),
        [_, "--quiet", words @ ..] => runtime::ktap::run_quiet(CASES, words),
        _ => {
            runtime::eprintln!("usage: filetests [--quiet WORD...]");
            2
        }
    }
}
