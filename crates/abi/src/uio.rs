//! Scatter-gather buffers for `writev` and `readv`: `struct iovec`.
//!
//! musl's `printf` writes its buffer and the new text with one `writev` of two of these.

/// One buffer of a `writev`/`readv` list (`struct iovec`, 16 bytes).
///
/// The base is a `u64`, not a pointer, on purpose: the value comes from user space and is only
/// a claim about where a buffer is until the kernel has checked that the whole range lies in
/// the caller's mapped user memory. Keeping it an integer means kernel code cannot dereference
/// it by accident; the user runtime converts its pointers with `as u64`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iovec {
    /// User address of the first byte.
    pub base: u64,
    /// Length in bytes.
    pub len: u64,
}

impl Iovec {
    /// An empty buffer at address 0.
    pub const fn zeroed() -> Self {
        Iovec { base: 0, len: 0 }
    }
}

/// The most buffers one call may pass (POSIX's `IOV_MAX`); more fail with `EINVAL`.
pub const UIO_MAXIOV: usize = 1024;

const _: () = assert!(core::mem::size_of::<Iovec>() == 16);
const _: () = assert!(core::mem::offset_of!(Iovec, len) == 8);
