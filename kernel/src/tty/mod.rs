//! The console as a terminal: `/dev/console`, with a line discipline between the keys and the
//! programs that read them.
//!
//! A terminal is more than a wire. Between the keyboard and `read` sits the *line discipline*
//! (the host-tested `tty` crate): in canonical mode it collects a line, echoes it, lets the user
//! erase and fix it, and hands it to a reader only at Enter; Ctrl-D at the start of a line is end
//! of file; Ctrl-C is not input at all but a signal, SIGINT, to the terminal's *foreground
//! process group*. A program that wants every key at once (the shell's own line editor) turns
//! canonical mode and echo off with `TCSETS`, as on Linux.
//!
//! **Who owns the keys.** The keys arrive in one queue ([`input`]), and one reader at a time may
//! take them: [`reader`] says which, and [`input::take`] gives a key to no one else. The rule:
//!
//! * While a *program session* holds the terminal, the terminal's worker reads the keys. A
//!   session opens with [`open_session`] and closes with [`close_session`], and only two places
//!   do either: `proc` when `init` starts the shell at boot and when `init` ends, and the kernel
//!   console (`monitor`) around a program it runs in the foreground.
//! * Otherwise the kernel console reads them (it is the *kernel session*).
//!
//! The worker is a kernel thread: it turns each key into the bytes a terminal sends (arrows as
//! escape sequences), feeds them to the line discipline, prints the echo, sends the signals and
//! wakes the readers. The work is done in a thread and not in the interrupt handler because
//! echoing prints, and printing takes the console's lock, which the interrupted code may hold.

pub mod input;

use crate::fs::device::{self, ioctl_reply, Device};
use crate::mm::uaccess;
use crate::sched;
use crate::sync::IrqMutex;
use ::sched::ThreadId;
use ::tty::{LineDiscipline, Read, ReadTimer};
use abi::tty::{Termios, Winsize};
use abi::Errno;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use lineedit::Key;

/// Columns reported when there is no framebuffer (the serial line's usual width).
const SERIAL_COLS: u16 = 80;
/// Rows reported when there is no framebuffer.
const SERIAL_ROWS: u16 = 24;
/// The longest UTF-8 sequence.
const UTF8_MAX: usize = 4;
/// The most bytes one key turns into (`ESC [ 3 ~` for Delete).
const KEY_BYTES: usize = 4;
/// Nanoseconds in a tenth of a second, the unit of `VTIME`.
const TENTH_NS: u64 = 100_000_000;

/// The line discipline. Taken by the worker and by readers, briefly, never by an interrupt
/// handler; interrupts off so a holder is never preempted.
static LDISC: IrqMutex<LineDiscipline> = IrqMutex::new(LineDiscipline::new());
/// Threads blocked in `read` until the line discipline has something for them.
static READERS: IrqMutex<Vec<ThreadId>> = IrqMutex::new(Vec::new());
/// Whether a program session holds the terminal, so its worker reads the keys (see the module
/// notes). Changed only by [`open_session`] and [`close_session`].
static SESSION: AtomicBool = AtomicBool::new(false);
/// The worker thread's id, once started (0: none).
static WORKER: AtomicUsize = AtomicUsize::new(0);
/// The foreground process group: whom Ctrl-C signals (`TIOCSPGRP` sets it); 0 for none.
static FOREGROUND: AtomicI32 = AtomicI32::new(0);
/// The start of a UTF-8 sequence the last write ended in, and its length.
static CARRY: spin::Mutex<([u8; UTF8_MAX], usize)> = spin::Mutex::new(([0; UTF8_MAX], 0));

/// The console terminal.
pub struct ConsoleTty;

/// The one console terminal, behind `/dev/console` and `/dev/tty`.
pub static CONSOLE_TTY: ConsoleTty = ConsoleTty;

/// How the terminal sends a signal to a process group (Ctrl-C's `SIGINT`): `group`, `signal`,
/// and it returns how many processes it reached. Processes live in the layer above the
/// terminal, so the root hands this in ([`start`]) instead of the terminal naming them.
pub type SignalGroup = fn(group: u32, signal: i32) -> usize;

/// Asks whether the running program may use the terminal whose foreground group is the first
/// argument, as job control decides: `Ok` for a program in the foreground (or a kernel thread);
/// for one in the background, the second argument (SIGTTIN to read, SIGTTOU to write or change
/// settings) is sent to its group and the answer is `EINTR`, unless it ignores or blocks that
/// signal (then `EIO` for SIGTTIN, `Ok` for SIGTTOU), as on Linux.
pub type CheckAccess = fn(foreground: u32, signal: i32) -> Result<(), Errno>;

/// What the terminal needs from the processes above it, handed in by the root at [`start`].
#[derive(Clone, Copy)]
pub struct JobControl {
    /// Sends the signal keys' signals (Ctrl-C, Ctrl-Z, Ctrl-\) to the foreground group.
    pub signal_group: SignalGroup,
    /// Checks a background program's access.
    pub check_access: CheckAccess,
}

/// The [`JobControl`] the root handed to [`start`].
static JOB_CONTROL: spin::Once<JobControl> = spin::Once::new();

/// Job control's check for the running program's use of the terminal (see [`CheckAccess`]).
fn check_access(signal: i32) -> Result<(), Errno> {
    let foreground = FOREGROUND.load(Ordering::Relaxed);
    match JOB_CONTROL.get() {
        Some(jobs) if foreground > 0 => (jobs.check_access)(foreground as u32, signal),
        _ => Ok(()),
    }
}

/// Why the terminal could not start.
#[derive(Debug)]
pub enum StartError {
    /// `/dev/console` or `/dev/tty` already had a driver.
    Register(Errno),
    /// The worker thread could not be made.
    Spawn(sched::SpawnError),
}

/// Puts the terminal behind `/dev/console` and `/dev/tty` and starts its worker thread; once,
/// at boot, after the scheduler. `jobs` is how it signals process groups.
pub fn start(jobs: JobControl) -> Result<(), StartError> {
    JOB_CONTROL.call_once(|| jobs);
    for number in [device::CONSOLE, device::TTY] {
        device::register(number, &CONSOLE_TTY).map_err(StartError::Register)?;
    }
    let handle = sched::spawn("tty", worker).map_err(StartError::Spawn)?;
    WORKER.store(handle.id(), Ordering::Relaxed);
    sched::detach(handle);
    Ok(())
}

/// Who may take keys from the queue now: the one rule of the module notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader {
    /// The kernel console: no program session holds the terminal.
    KernelConsole,
    /// The terminal's worker, for the program session that holds the terminal.
    Terminal,
}

/// Who reads the keys now.
pub fn reader() -> Reader {
    if SESSION.load(Ordering::Acquire) {
        Reader::Terminal
    } else {
        Reader::KernelConsole
    }
}

/// Gives the keys to a program session whose foreground group is `group` (0: none yet), with
/// the settings a new terminal has (a program that changed them and ended must not leave them
/// changed).
pub fn open_session(group: i32) {
    {
        let mut ldisc = LDISC.lock();
        ldisc.set_termios(Termios::linux_default());
        ldisc.flush_input();
    }
    FOREGROUND.store(group, Ordering::Relaxed);
    SESSION.store(true, Ordering::Release);
    kick();
}

/// The terminal's foreground process group while a program session holds it (`/proc`'s
/// `tpgid`).
pub fn foreground_group() -> Option<i32> {
    let group = FOREGROUND.load(Ordering::Relaxed);
    (SESSION.load(Ordering::Acquire) && group != 0).then_some(group)
}

/// Ends the program session: the keys go back to the kernel console.
pub fn close_session() {
    SESSION.store(false, Ordering::Release);
    FOREGROUND.store(0, Ordering::Relaxed);
    LDISC.lock().flush_input();
    input::wake_console();
}

/// Wakes the worker: a key has arrived, or a session opened. Safe from interrupt handlers.
pub fn kick() {
    let worker = WORKER.load(Ordering::Relaxed);
    if worker != 0 && reader() == Reader::Terminal {
        sched::wake_thread(worker);
    }
}

/// The worker: while a session holds the terminal, every key goes through the line discipline.
fn worker() {
    let mut echo: Vec<u8> = Vec::new();
    loop {
        // Block until a session holds the terminal and a key is there; the check and the block
        // happen with interrupts off, so the handler's wake cannot fall in between.
        sched::block_on_queue(|_| reader() != Reader::Terminal || input::KEYS.is_empty());
        if reader() != Reader::Terminal {
            continue;
        }
        while let Some(key) = input::take(Reader::Terminal) {
            receive_key(key, &mut echo);
        }
    }
}

/// The bytes a terminal sends for `key` (an xterm's, for the keys that have no byte).
fn key_bytes(key: Key, out: &mut [u8; KEY_BYTES]) -> &[u8] {
    /// Backspace, as terminals send it (DEL).
    const DEL: u8 = 0x7f;
    /// Ctrl-C.
    const ETX: u8 = 0x03;
    /// Ctrl-U.
    const NAK: u8 = 0x15;
    let sequence: &[u8] = match key {
        Key::Char(c) => return c.encode_utf8(out).as_bytes(),
        Key::Control(byte) => {
            out[0] = byte;
            return &out[..1];
        }
        Key::Enter => b"\r",
        Key::Tab => b"\t",
        Key::Backspace => &[DEL],
        Key::Cancel => &[ETX],
        Key::Kill => &[NAK],
        Key::Delete => b"\x1b[3~",
        Key::Up => b"\x1b[A",
        Key::Down => b"\x1b[B",
        Key::Right => b"\x1b[C",
        Key::Left => b"\x1b[D",
        Key::Home => b"\x1b[H",
        Key::End => b"\x1b[F",
    };
    out[..sequence.len()].copy_from_slice(sequence);
    &out[..sequence.len()]
}

/// Feeds one key to the line discipline; prints the echo, sends a signal, wakes readers.
fn receive_key(key: Key, echo: &mut Vec<u8>) {
    let mut buffer = [0u8; KEY_BYTES];
    let bytes = key_bytes(key, &mut buffer);
    echo.clear();
    let (signal, readable) = {
        let mut ldisc = LDISC.lock();
        let mut signal = None;
        for &byte in bytes {
            signal = ldisc
                .receive(byte, &mut |out: &[u8]| echo.extend_from_slice(out))
                .or(signal);
        }
        (signal, ldisc.can_read())
    };
    if !echo.is_empty() {
        // The line discipline ends an echoed line with "\r\n" (ONLCR); the console's writers
        // add the "\r" themselves.
        drop_cr_before_lf(echo);
        print_utf8(echo);
    }
    if let Some(signal) = signal {
        let group = FOREGROUND.load(Ordering::Relaxed);
        if let (true, Some(jobs)) = (group > 0, JOB_CONTROL.get()) {
            (jobs.signal_group)(group as u32, signal.number());
        }
    }
    if readable || signal.is_some() {
        wake_readers();
    }
}

/// Removes each `\r` that comes right before a `\n`.
fn drop_cr_before_lf(bytes: &mut Vec<u8>) {
    let mut kept = 0;
    for i in 0..bytes.len() {
        let byte = bytes[i];
        if byte == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
            continue;
        }
        bytes[kept] = byte;
        kept += 1;
    }
    bytes.truncate(kept);
}

/// Wakes every blocked reader (each looks again, and blocks again if there is nothing for it).
fn wake_readers() {
    let readers = core::mem::take(&mut *READERS.lock());
    for reader in readers {
        sched::wake_thread(reader);
    }
    crate::fs::poll::notify();
}

/// Prints `bytes` as text; an incomplete sequence at the end is kept for the next call.
fn print_utf8(bytes: &[u8]) -> usize {
    for piece in bytes.utf8_chunks() {
        crate::print!("{}", piece.valid());
        let invalid = piece.invalid();
        if !invalid.is_empty() {
            let at_end = core::ptr::eq(invalid.as_ptr_range().end, bytes.as_ptr_range().end);
            if at_end && invalid.len() < UTF8_MAX {
                return invalid.len();
            }
            crate::print!("\u{fffd}");
        }
    }
    0
}

impl ConsoleTty {
    /// The window size: the screen's grid, or a serial terminal's usual size.
    fn window_size() -> Winsize {
        let (cols, rows) =
            crate::console::with_grid(|grid| (grid.cols() as u16, grid.rows() as u16))
                .unwrap_or((SERIAL_COLS, SERIAL_ROWS));
        Winsize {
            ws_row: rows,
            ws_col: cols,
            ..Winsize::zeroed()
        }
    }

    /// Blocks until the line discipline may have something to read, or `deadline` (uptime in
    /// nanoseconds) passes. `EINTR` if the reader is being stopped.
    fn wait_for_input(deadline: Option<u64>) -> Result<(), Errno> {
        match deadline {
            Some(deadline) => {
                // A timed raw-mode read (VTIME): look every tick until the deadline.
                let now = crate::time::uptime_ns();
                if now < deadline && !LDISC.lock().can_read() {
                    sched::sleep(core::time::Duration::from_nanos(
                        (deadline - now).min(TENTH_NS),
                    ));
                }
            }
            None => {
                sched::block_interruptible(|me| {
                    if LDISC.lock().can_read() {
                        return false;
                    }
                    READERS.lock().push(me);
                    true
                });
                let me = sched::current();
                READERS.lock().retain(|&t| t != me);
            }
        }
        if sched::should_stop() {
            return Err(Errno::EINTR);
        }
        Ok(())
    }
}

impl Device for ConsoleTty {
    fn read(&self, buf: &mut [u8], nonblocking: bool) -> Result<usize, Errno> {
        crate::time::reached(crate::time::Milestone::ShellPrompt);
        check_access(abi::signal::SIGTTIN)?;
        if buf.is_empty() {
            return Ok(0);
        }
        let timer = LDISC.lock().read_timer();
        let mut deadline = match timer {
            ReadTimer::Overall { tenths } => {
                Some(crate::time::uptime_ns() + u64::from(tenths) * TENTH_NS)
            }
            ReadTimer::None | ReadTimer::InterByte { .. } => None,
        };
        loop {
            let available_before = LDISC.lock().available();
            match LDISC.lock().read(buf) {
                Read::Data(n) => return Ok(n),
                Read::EndOfFile => return Ok(0),
                Read::WouldBlock if nonblocking => return Err(Errno::EAGAIN),
                Read::WouldBlock => {}
            }
            if let ReadTimer::InterByte { tenths } = timer {
                // The clock starts with the first byte and restarts with each one.
                if available_before > 0 && deadline.is_none() {
                    deadline = Some(crate::time::uptime_ns() + u64::from(tenths) * TENTH_NS);
                }
            }
            if deadline.is_some_and(|d| crate::time::uptime_ns() >= d) {
                return Ok(LDISC.lock().read_after_timeout(buf));
            }
            Self::wait_for_input(deadline)?;
        }
    }

    fn write(&self, data: &[u8]) -> Result<usize, Errno> {
        if LDISC.lock().termios().c_lflag & abi::tty::TOSTOP != 0 {
            check_access(abi::signal::SIGTTOU)?;
        }
        // The line discipline counts columns (to erase a tab correctly later); the bytes are
        // printed as they are, since the console already ends lines as a terminal expects.
        LDISC.lock().write(data, &mut |_| {});
        let mut carry = CARRY.lock();
        let (mut pending, carried) = *carry;
        let mut rest = data;
        if carried > 0 {
            // Complete the sequence the last write ended in, a byte at a time.
            let mut filled = carried;
            while filled < UTF8_MAX && !rest.is_empty() {
                pending[filled] = rest[0];
                rest = &rest[1..];
                filled += 1;
                if core::str::from_utf8(&pending[..filled]).is_ok() {
                    break;
                }
            }
            let left = print_utf8(&pending[..filled]);
            if left == filled && rest.is_empty() {
                *carry = (pending, filled);
                return Ok(data.len());
            }
            if left > 0 {
                crate::print!("\u{fffd}");
            }
        }
        let left = print_utf8(rest);
        let mut kept = [0u8; UTF8_MAX];
        kept[..left].copy_from_slice(&rest[rest.len() - left..]);
        *carry = (kept, left);
        Ok(data.len())
    }

    fn ioctl(&self, request: u32, arg: u64) -> Result<usize, Errno> {
        use abi::tty::*;
        match request {
            TCGETS => {
                let termios = *LDISC.lock().termios();
                ioctl_reply(arg, &termios)
            }
            TCSETS | TCSETSW | TCSETSF => {
                check_access(abi::signal::SIGTTOU)?;
                let termios: Termios = uaccess::read_value(arg)?;
                let mut ldisc = LDISC.lock();
                if request == TCSETSF {
                    ldisc.flush_input();
                }
                ldisc.set_termios(termios);
                drop(ldisc);
                wake_readers(); // a mode change may make input readable
                Ok(0)
            }
            TIOCGWINSZ => ioctl_reply(arg, &Self::window_size()),
            TIOCGPGRP => ioctl_reply(arg, &FOREGROUND.load(Ordering::Relaxed)),
            TIOCSPGRP => {
                check_access(abi::signal::SIGTTOU)?;
                let group: i32 = uaccess::read_value(arg)?;
                if group <= 0 {
                    return Err(Errno::EINVAL);
                }
                FOREGROUND.store(group, Ordering::Relaxed);
                Ok(0)
            }
            TIOCSCTTY => Ok(0), // the console is every session's terminal
            FIONREAD => {
                let available = LDISC.lock().available() as i32;
                ioctl_reply(arg, &available)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn seekable(&self) -> bool {
        false
    }

    fn poll(&self) -> i16 {
        use abi::poll::*;
        let readable = if LDISC.lock().can_read() {
            POLLIN | POLLRDNORM
        } else {
            0
        };
        readable | POLLOUT | POLLWRNORM
    }
}
