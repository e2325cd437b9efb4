//! `syslog(2)` (`klogctl` in C): the kernel log's actions, from `linux/syslog.h`.
//!
//! Despite the name, the system call has nothing to do with the `syslog` daemon: it reads the
//! kernel's own log, which is how `dmesg` works.

/// Close the log: does nothing.
pub const SYSLOG_ACTION_CLOSE: i32 = 0;
/// Open the log: does nothing.
pub const SYSLOG_ACTION_OPEN: i32 = 1;
/// Read what has not been read yet, waiting for text if there is none.
pub const SYSLOG_ACTION_READ: i32 = 2;
/// Read the newest text, at most the given length, without consuming it.
pub const SYSLOG_ACTION_READ_ALL: i32 = 3;
/// As `SYSLOG_ACTION_READ_ALL`, then clear the log.
pub const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
/// Clear the log.
pub const SYSLOG_ACTION_CLEAR: i32 = 5;
/// Stop printing messages on the console.
pub const SYSLOG_ACTION_CONSOLE_OFF: i32 = 6;
/// Print messages on the console again.
pub const SYSLOG_ACTION_CONSOLE_ON: i32 = 7;
/// Set the lowest level printed on the console.
pub const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
/// How many bytes are unread.
pub const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
/// The log buffer's size.
pub const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;
