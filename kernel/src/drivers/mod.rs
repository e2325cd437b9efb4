//! Device drivers: the hardware the kernel talks to, each in its own module.
//!
//! Drivers sit low (see the layers in `lib.rs`): they know nothing of threads, the terminal or
//! the console, which use them. Where a driver needs the layer above, it is handed what it needs:
//! a key goes to the function the interrupt handler passes in, and a driver that waits for its
//! device (virtio-blk) blocks through the [`Waiting`] functions the root installs once there
//! are threads, and polls before that.

pub mod framebuffer;
pub mod fw_cfg;
pub mod i8042;
pub mod keyboard;
pub mod pci;
pub mod pit;
pub mod qemu_exit;
pub mod random;
pub mod rtc;
pub mod serial;
pub mod virtio_blk;

use ::sched::ThreadId;

/// How a driver waits for its device once there are threads. The scheduler sits above the
/// drivers, so the root installs its functions here at boot ([`install_waiting`]).
#[derive(Debug, Clone, Copy)]
pub struct Waiting {
    /// The running thread: the one to wake when the device answers.
    pub current: fn() -> ThreadId,
    /// Blocks the running thread until `ready()` holds; a wake re-checks it.
    pub block_until: fn(ready: &dyn Fn() -> bool),
    /// Wakes a blocked thread; safe in an interrupt handler.
    pub wake: fn(ThreadId),
}

/// The scheduler's [`Waiting`] functions, once there are threads.
static WAITING: spin::Once<Waiting> = spin::Once::new();

/// Lets drivers block instead of polling; once, when the scheduler has started.
pub fn install_waiting(waiting: Waiting) {
    WAITING.call_once(|| waiting);
}

/// The scheduler's functions, if there are threads to block.
pub fn waiting() -> Option<&'static Waiting> {
    WAITING.get()
}
