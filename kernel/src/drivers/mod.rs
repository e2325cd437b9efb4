//! Device drivers: the hardware the kernel talks to, each in its own module.
//!
//! Drivers know nothing of tasks or the console; the console uses them. (virtio-blk blocks the
//! thread that waits for the disk, through the scheduler's wait primitive.)

pub mod framebuffer;
pub mod fw_cfg;
pub mod i8042;
pub mod keyboard;
pub mod pci;
pub mod pit;
pub mod qemu_exit;
pub mod serial;
pub mod virtio_blk;
