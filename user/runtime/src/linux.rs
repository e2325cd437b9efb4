//! System calls only Linux answers: loading a kernel module and mounting a file system.
//!
//! Ferrite builds its drivers and file systems in and mounts its disk itself, so it implements
//! neither call (it answers `ENOSYS`), and the `abi` crate, which lists the calls Ferrite
//! implements, does not number them. They are here for `bench`, which also runs as the first
//! process of Debian's kernel (tools/ferrite_tools/peer.py): there Linux's virtio and ext4
//! drivers are modules, and nothing but `bench` is there to load them and mount the disk. The
//! numbers are Linux's, from `arch/x86/entry/syscalls/syscall_64.tbl`.

use crate::sys::{raw, CPath};
use abi::Errno;

/// `mount(source, target, fstype, flags, data)`.
pub const MOUNT: usize = 165;
/// `finit_module(fd, param_values, flags)`: loads the module in an open file.
pub const FINIT_MODULE: usize = 313;

/// Loads the kernel module in the file open on `fd`, with no parameters and no flags (so Linux
/// checks the module's version magic against its own, as `modprobe` leaves it to).
pub fn finit_module(fd: i32) -> Result<(), Errno> {
    let no_parameters = b"\0";
    let args = [fd as usize, no_parameters.as_ptr() as usize, 0, 0, 0, 0];
    // SAFETY: the only address is the NUL-terminated empty string above, alive for the call,
    // which the kernel only reads.
    abi::decode(unsafe { raw(FINIT_MODULE, args) }).map(drop)
}

/// Mounts `source` (a device, or a name for a file system without one) on the directory
/// `target` as a file system of type `fstype`, with no flags and no options.
pub fn mount(source: &str, target: &str, fstype: &str) -> Result<(), Errno> {
    let (source, target, fstype) = (
        CPath::new(source)?,
        CPath::new(target)?,
        CPath::new(fstype)?,
    );
    let args = [source.as_arg(), target.as_arg(), fstype.as_arg(), 0, 0, 0];
    // SAFETY: the three addresses are NUL-terminated strings alive for the call, which the
    // kernel only reads; the options address is null, which it takes as no options.
    abi::decode(unsafe { raw(MOUNT, args) }).map(drop)
}
