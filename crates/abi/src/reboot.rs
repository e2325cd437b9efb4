//! `reboot(2)`: the two magic numbers that guard it, and what it can be asked to do.
//!
//! From `linux/reboot.h`. The magic numbers are there so that a stray call with random
//! arguments cannot restart the machine; the second is one of a few dates (Linus Torvalds's and
//! his daughters' birthdays), of which Linux accepts any.

/// The first argument, always.
pub const LINUX_REBOOT_MAGIC1: u32 = 0xfee1_dead;
/// The second argument: one of these.
pub const LINUX_REBOOT_MAGIC2: u32 = 672_274_793;
/// Also accepted as the second argument.
pub const LINUX_REBOOT_MAGIC2A: u32 = 85_072_278;
/// Also accepted as the second argument.
pub const LINUX_REBOOT_MAGIC2B: u32 = 369_367_448;
/// Also accepted as the second argument.
pub const LINUX_REBOOT_MAGIC2C: u32 = 537_993_216;
/// Restart the machine.
pub const LINUX_REBOOT_CMD_RESTART: u32 = 0x0123_4567;
/// Stop the machine and leave it on.
pub const LINUX_REBOOT_CMD_HALT: u32 = 0xcdef_0123;
/// Stop the machine and turn it off.
pub const LINUX_REBOOT_CMD_POWER_OFF: u32 = 0x4321_fedc;

/// Whether `magic2` is one of the numbers Linux accepts.
pub const fn is_magic2(magic2: u32) -> bool {
    matches!(
        magic2,
        LINUX_REBOOT_MAGIC2 | LINUX_REBOOT_MAGIC2A | LINUX_REBOOT_MAGIC2B | LINUX_REBOOT_MAGIC2C
    )
}
