//! Files for programs: a descriptor that closes itself, whole-file reads, directory listings.
//!
//! The system calls in [`crate::sys`] are one-to-one with the kernel's; this module is the
//! little a program wants on top of them so that `cat` or `ls` is a page, not three.

use crate::sys;
use abi::Errno;
use alloc::string::String;
use alloc::vec::Vec;

/// An open descriptor, closed when dropped.
pub struct File {
    fd: i32,
}

impl File {
    /// Opens `path` with `flags` (and `mode` for a new file).
    pub fn open(path: &(impl AsRef<[u8]> + ?Sized), flags: u32, mode: u32) -> Result<File, Errno> {
        sys::open(path, flags, mode).map(|fd| File { fd })
    }

    /// Opens `path` to read.
    pub fn read_only(path: &str) -> Result<File, Errno> {
        File::open(path, abi::fcntl::O_RDONLY, 0)
    }

    /// The descriptor.
    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Reads into `buffer`; 0 at the end.
    pub fn read(&self, buffer: &mut [u8]) -> Result<usize, Errno> {
        sys::read(self.fd, buffer)
    }

    /// Writes all of `bytes`.
    pub fn write_all(&self, bytes: &[u8]) -> Result<(), Errno> {
        write_all(self.fd, bytes)
    }

    /// Everything from the position to the end.
    pub fn read_to_end(&self) -> Result<Vec<u8>, Errno> {
        read_to_end(self.fd)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        let _ = sys::close(self.fd);
    }
}

/// The bytes read per call by the whole-file helpers.
const CHUNK: usize = 4096;

/// Writes all of `bytes` to `fd`, however many calls it takes.
pub fn write_all(fd: i32, mut bytes: &[u8]) -> Result<(), Errno> {
    while !bytes.is_empty() {
        match sys::write(fd, bytes) {
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => bytes = &bytes[n..],
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Everything `fd` gives until end of file.
pub fn read_to_end(fd: i32) -> Result<Vec<u8>, Errno> {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; CHUNK];
    loop {
        match sys::read(fd, &mut chunk)? {
            0 => return Ok(bytes),
            n => bytes.extend_from_slice(&chunk[..n]),
        }
    }
}

/// The whole file at `path`.
pub fn read_file(path: &str) -> Result<Vec<u8>, Errno> {
    File::read_only(path)?.read_to_end()
}

/// Makes (or empties) the file at `path` and writes `bytes` to it.
pub fn write_file(path: &str, bytes: &[u8]) -> Result<(), Errno> {
    use abi::fcntl::*;
    File::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)?.write_all(bytes)
}

/// One entry of a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name (a name that is not UTF-8 has its odd bytes replaced here).
    pub name: String,
    /// Its name exactly as the directory holds it, to name it back to the kernel.
    pub bytes: Vec<u8>,
    /// Its inode number.
    pub ino: u64,
    /// Its type (`abi::dirent::DT_DIR`, ...).
    pub kind: u8,
}

/// The entries of the directory at `path`, `.` and `..` included, in the kernel's order.
pub fn read_dir(path: &(impl AsRef<[u8]> + ?Sized)) -> Result<Vec<DirEntry>, Errno> {
    read_dir_with(path, 0)
}

/// [`read_dir`], opening `path` with `flags` more (`O_NOFOLLOW`: a symbolic link is not
/// listed as the directory it points to, but is `ENOTDIR`).
fn read_dir_with(path: &(impl AsRef<[u8]> + ?Sized), flags: u32) -> Result<Vec<DirEntry>, Errno> {
    use abi::fcntl::*;
    let dir = File::open(path, O_RDONLY | O_DIRECTORY | flags, 0)?;
    let mut entries = Vec::new();
    let mut buffer = alloc::vec![0u8; CHUNK];
    loop {
        let n = sys::getdents64(dir.fd(), &mut buffer)?;
        if n == 0 {
            return Ok(entries);
        }
        let mut at = 0;
        while at < n {
            let record = &buffer[at..n];
            let field = |range: core::ops::Range<usize>| record.get(range).ok_or(Errno::EIO);
            let ino = u64::from_le_bytes(field(0..8)?.try_into().map_err(|_| Errno::EIO)?);
            let len = u16::from_le_bytes(field(16..18)?.try_into().map_err(|_| Errno::EIO)?);
            let kind = *field(18..19)?.first().ok_or(Errno::EIO)?;
            let name_bytes = field(abi::dirent::NAME_OFFSET..len as usize)?;
            let name_end = name_bytes
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_bytes.len());
            entries.push(DirEntry {
                name: String::from_utf8_lossy(&name_bytes[..name_end]).into_owned(),
                bytes: name_bytes[..name_end].to_vec(),
                ino,
                kind,
            });
            if len == 0 {
                return Err(Errno::EIO);
            }
            at += len as usize;
        }
    }
}

/// Removes `path` and, if it is a directory, everything under it (names that are not UTF-8
/// included). The first error ends the removal; what was removed stays removed.
pub fn remove_tree(path: &[u8]) -> Result<(), Errno> {
    // A link to a directory is removed as a link, never walked into.
    match read_dir_with(path, abi::fcntl::O_NOFOLLOW) {
        Ok(entries) => {
            for entry in entries
                .iter()
                .filter(|e| e.bytes != b"." && e.bytes != b"..")
            {
                let mut child = path.to_vec();
                child.push(b'/');
                child.extend_from_slice(&entry.bytes);
                remove_tree(&child)?;
            }
            sys::rmdir(path)
        }
        Err(Errno::ENOTDIR) => sys::unlink(path),
        Err(e) => Err(e),
    }
}
