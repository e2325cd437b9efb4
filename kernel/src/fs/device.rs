//! Character devices and `/dev`: the files that are drivers.
//!
//! On Unix a device is a file: `/dev/null` is opened, read and written like any other, and what
//! happens is up to a driver. The link between the two is the *device number* a device node
//! carries (`st_rdev`, a major number for the driver and a minor for the unit): opening a node
//! finds the driver registered for its number, and the open file talks to that driver instead
//! of the file system. So `/dev` is an ordinary `memfs` tree holding nothing but such nodes,
//! and the numbers are Linux's, so `ls -l /dev` reads as it would there.

use super::memory::MemFs;
use super::Kind;
use crate::mm::uaccess;
use abi::Errno;

/// Linux's encoding of a device number for small majors and minors (`makedev`).
pub const fn device_number(major: u64, minor: u64) -> u64 {
    (major << 8) | minor
}

/// Memory devices' major number (`/dev/null`, `/dev/zero`).
const MEMORY_MAJOR: u64 = 1;
/// Terminals' major number for `/dev/tty` and `/dev/console`.
const TTY_MAJOR: u64 = 5;

/// `/dev/null`: reads end at once, writes vanish.
pub const NULL: u64 = device_number(MEMORY_MAJOR, 3);
/// `/dev/zero`: reads give zeros, writes vanish.
pub const ZERO: u64 = device_number(MEMORY_MAJOR, 5);
/// `/dev/random`: random bytes (the same as `/dev/urandom` since Linux 5.6).
pub const RANDOM: u64 = device_number(MEMORY_MAJOR, 8);
/// `/dev/urandom`: random bytes from the kernel's generator.
pub const URANDOM: u64 = device_number(MEMORY_MAJOR, 9);
/// `/dev/tty`: the process's terminal (Ferrite has one, the console).
pub const TTY: u64 = device_number(TTY_MAJOR, 0);
/// `/dev/console`: the system console, keyboard and screen plus the serial line.
pub const CONSOLE: u64 = device_number(TTY_MAJOR, 1);

/// A driver behind a device node.
pub trait Device: Sync {
    /// Reads into `buf`; may block.
    fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, Errno>;
    /// Writes `data`.
    fn write(&self, data: &[u8]) -> Result<usize, Errno>;
    /// A device-specific request with an argument (often a user pointer).
    fn ioctl(&self, _request: u32, _arg: u64) -> Result<usize, Errno> {
        Err(Errno::ENOTTY)
    }
    /// Whether `lseek` works (and does nothing): true for the memory devices, false for
    /// terminals, as on Linux.
    fn seekable(&self) -> bool {
        true
    }
    /// Which `POLL*` events are ready now (`poll`, `select`). A device that can be waited on
    /// calls [`super::poll::notify`] when this may have changed. The default, always ready to
    /// read and write, is right for the memory devices.
    fn poll(&self) -> i16 {
        abi::poll::POLLIN | abi::poll::POLLRDNORM | abi::poll::POLLOUT | abi::poll::POLLWRNORM
    }
}

/// `/dev/null`.
struct Null;

impl Device for Null {
    fn read(&self, _buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        Ok(0)
    }

    fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        Ok(data.len())
    }
}

/// `/dev/zero`.
struct Zero;

impl Device for Zero {
    fn read(&self, buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        buf.fill(0);
        Ok(buf.len())
    }

    fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        Ok(data.len())
    }
}

/// `/dev/random` and `/dev/urandom`: reads give bytes of the kernel's generator
/// ([`crate::drivers::random`]) and never block (it is seeded at boot); what is written is
/// mixed into the generator, as on Linux, where it credits no entropy either.
struct Random;

impl Device for Random {
    fn read(&self, buf: &mut [u8], _nonblocking: bool) -> Result<usize, Errno> {
        crate::drivers::random::fill(buf);
        Ok(buf.len())
    }

    fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        crate::drivers::random::mix(data);
        Ok(data.len())
    }
}

/// Most drivers [`register`] can hold.
const MAX_REGISTERED: usize = 8;

/// Drivers of layers above the file tree (the terminal), each under its device number. They
/// register themselves at boot, so this layer never names them; `/dev/null` and `/dev/zero`
/// and the random devices are this module's own. Opening a device node reads the table; nothing in an interrupt
/// handler does, so a plain spin lock is enough.
static REGISTERED: spin::Mutex<[Option<Registered>; MAX_REGISTERED]> =
    spin::Mutex::new([None; MAX_REGISTERED]);

/// A device number and the driver behind it.
type Registered = (u64, &'static dyn Device);

/// Makes `driver` the one behind device number `number`: `EEXIST` if another has it already,
/// `ENOSPC` if the table is full.
pub fn register(number: u64, driver: &'static dyn Device) -> Result<(), Errno> {
    if self::driver(number).is_some() {
        return Err(Errno::EEXIST);
    }
    let mut table = REGISTERED.lock();
    let slot = table
        .iter_mut()
        .find(|slot| slot.is_none())
        .ok_or(Errno::ENOSPC)?;
    *slot = Some((number, driver));
    Ok(())
}

/// The driver behind device number `number`, if any.
pub fn driver(number: u64) -> Option<&'static dyn Device> {
    match number {
        NULL => Some(&Null),
        ZERO => Some(&Zero),
        RANDOM | URANDOM => Some(&Random),
        _ => REGISTERED
            .lock()
            .iter()
            .flatten()
            .find(|(n, _)| *n == number)
            .map(|&(_, driver)| driver),
    }
}

/// The nodes of `/dev`: (name, number, permissions).
const NODES: [(&str, u64, u32); 6] = [
    ("console", CONSOLE, 0o600),
    ("null", NULL, 0o666),
    ("random", RANDOM, 0o666),
    ("tty", TTY, 0o666),
    ("urandom", URANDOM, 0o666),
    ("zero", ZERO, 0o666),
];

/// The directory of `/dev` that POSIX shared memory lives in.
pub const SHM_DIRECTORY: &str = "shm";
/// Its permissions: everyone may make files there, and only remove their own (sticky).
const SHM_PERM: u32 = 0o1777;

/// A fresh, read-only `/dev`.
pub fn devfs() -> Result<MemFs, Errno> {
    MemFs::sealed("devfs", |fs| {
        for (name, number, perm) in NODES {
            fs.create(memfs::ROOT, name.as_bytes(), Kind::CharDevice(number), perm)?;
        }
        // Where a tmpfs is mounted for POSIX shared memory (`shm_open` opens files there);
        // writable by all and sticky, as on Linux.
        fs.create(
            memfs::ROOT,
            SHM_DIRECTORY.as_bytes(),
            Kind::Directory,
            SHM_PERM,
        )?;
        Ok(())
    })
}

/// Copies a `T` the kernel answers an `ioctl` with to the program's `arg`.
pub fn ioctl_reply<T: uaccess::Plain>(arg: u64, value: &T) -> Result<usize, Errno> {
    uaccess::write_value(arg, value)?;
    Ok(0)
}
