//! Signals as pure logic: what the kernel decides about a signal before it touches a register.
//!
//! A signal is a message of one number sent to a process. Most of what Linux does with one is
//! bookkeeping that needs no hardware, and it lives here so that `cargo test` can check it on the
//! host: what a signal does by default ([`default_action`]), how pending signals wait and in
//! which order they are taken ([`Pending`]), how `rt_sigprocmask` changes the mask
//! ([`change_mask`]), which interrupted system calls `SA_RESTART` starts again ([`restarts`]),
//! where the signal frame goes on the user stack ([`frame_layout`]), which flags a program may
//! change through `rt_sigreturn` ([`restored_flags`]) and what `sigaltstack` accepts
//! ([`AltStack`]). The kernel (`proc::signal`) does the rest: it keeps this state per process,
//! wakes the receiver, and writes and reads the frames.
//!
//! Everything follows Linux x86_64 (`kernel/signal.c`, `arch/x86/kernel/signal.c`,
//! `man 7 signal`), so a C library's signal code works unchanged.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

use abi::siginfo::SigInfo;
use abi::signal::{self as sig, SigAction, Stack};
use abi::ucontext::{Ucontext, FPSTATE_SIZE};
use abi::{nr, Errno};
use alloc::vec::Vec;

/// What a signal does when its action is `SIG_DFL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultAction {
    /// The process ends, killed by the signal.
    Terminate,
    /// The process ends and (on a system that writes them) dumps core. Ferrite writes no core
    /// files, so this ends the process like [`DefaultAction::Terminate`], without the core bit
    /// in the wait status, as Linux does with core dumps off.
    Core,
    /// Nothing happens; the signal is thrown away when it is sent.
    Ignore,
    /// The process stops until SIGCONT (job control).
    Stop,
    /// A stopped process continues; otherwise nothing happens.
    Continue,
}

/// The default action of signal `signal` (`man 7 signal`'s table); real-time signals terminate.
pub const fn default_action(signal: i32) -> DefaultAction {
    use DefaultAction::*;
    match signal {
        sig::SIGCHLD | sig::SIGURG | sig::SIGWINCH => Ignore,
        sig::SIGCONT => Continue,
        sig::SIGSTOP | sig::SIGTSTP | sig::SIGTTIN | sig::SIGTTOU => Stop,
        sig::SIGQUIT
        | sig::SIGILL
        | sig::SIGTRAP
        | sig::SIGABRT
        | sig::SIGBUS
        | sig::SIGFPE
        | sig::SIGSEGV
        | sig::SIGXCPU
        | sig::SIGXFSZ
        | sig::SIGSYS => Core,
        _ => Terminate,
    }
}

/// Whether `action` throws signal `signal` away: `SIG_IGN`, or `SIG_DFL` for a signal whose
/// default is to do nothing. Such a signal is discarded when it is sent, unless it is blocked
/// (the action may change before it is unblocked). SIGCONT is among them: its one effect, waking
/// a stopped process, happens when it is sent.
pub const fn ignores(action: &SigAction, signal: i32) -> bool {
    match action.handler {
        sig::SIG_IGN => true,
        sig::SIG_DFL => matches!(
            default_action(signal),
            DefaultAction::Ignore | DefaultAction::Continue
        ),
        _ => false,
    }
}

/// Signals a fault raises: taken before any other pending signal, so a handler sees the fault
/// it belongs to (Linux's `SYNCHRONOUS_MASK`).
pub const SYNCHRONOUS: u64 = (1 << (sig::SIGSEGV - 1))
    | (1 << (sig::SIGBUS - 1))
    | (1 << (sig::SIGILL - 1))
    | (1 << (sig::SIGTRAP - 1))
    | (1 << (sig::SIGFPE - 1))
    | (1 << (sig::SIGSYS - 1));

/// The most instances of real-time signals one process may have queued (Linux's default
/// `RLIMIT_SIGPENDING` is in the thousands; a teaching kernel needs far fewer).
pub const MAX_QUEUED: usize = 64;

/// What happened to a signal given to [`Pending::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// It is pending now.
    Queued,
    /// A classic signal that was already pending: the two count as one.
    Merged,
    /// A real-time signal that did not fit in the queue (`EAGAIN` for `sigqueue`).
    Full,
}

/// Signals sent but not yet taken, with what each sender said (`siginfo_t`).
///
/// A classic signal (1 to 31) is pending or not: sent twice before it is taken, it is taken
/// once. A real-time signal (32 to 64) queues each time it is sent, in order.
#[derive(Debug, Clone, Default)]
pub struct Pending {
    /// One bit per pending signal (see [`abi::signal::bit`]).
    set: u64,
    /// What each pending instance carries, oldest first.
    queue: Vec<SigInfo>,
}

impl Pending {
    /// Nothing pending.
    pub const fn new() -> Pending {
        Pending {
            set: 0,
            queue: Vec::new(),
        }
    }

    /// The pending signals, one bit each.
    pub const fn set(&self) -> u64 {
        self.set
    }

    /// Makes `info` pending. A number outside 1..=64 is refused as [`Added::Full`] (callers check
    /// first).
    pub fn add(&mut self, info: SigInfo) -> Added {
        let Some(bit) = sig::bit(info.signo) else {
            return Added::Full;
        };
        let realtime = info.signo >= sig::SIGRTMIN;
        if self.set & bit != 0 && !realtime {
            return Added::Merged;
        }
        if self.queue.len() >= MAX_QUEUED {
            return Added::Full;
        }
        self.set |= bit;
        self.queue.push(info);
        Added::Queued
    }

    /// Takes the next signal allowed by `allowed` (a set): a synchronous one first, then the
    /// lowest-numbered, the oldest instance of it.
    pub fn take(&mut self, allowed: u64) -> Option<SigInfo> {
        let ready = self.set & allowed;
        if ready == 0 {
            return None;
        }
        let choose = if ready & SYNCHRONOUS != 0 {
            ready & SYNCHRONOUS
        } else {
            ready
        };
        // The lowest set bit is the lowest-numbered signal.
        self.take_signal(choose.trailing_zeros() as i32 + 1)
    }

    /// Takes the oldest pending instance of `signal`, if any.
    pub fn take_signal(&mut self, signal: i32) -> Option<SigInfo> {
        let bit = sig::bit(signal)?;
        let index = self.queue.iter().position(|info| info.signo == signal)?;
        let info = self.queue.remove(index);
        if !self.queue.iter().any(|info| info.signo == signal) {
            self.set &= !bit;
        }
        Some(info)
    }

    /// Throws away every pending instance of the signals in `set` (an action became "ignore";
    /// SIGCONT cancels pending stops and a stop cancels a pending SIGCONT).
    pub fn discard(&mut self, set: u64) {
        self.queue
            .retain(|info| sig::bit(info.signo).is_some_and(|bit| bit & set == 0));
        self.set &= !set;
    }
}

/// The blocked set after `rt_sigprocmask(how, set)` with `old` blocked: SIGKILL and SIGSTOP
/// never block. `EINVAL` for an unknown `how`.
pub const fn change_mask(how: u32, old: u64, set: u64) -> Result<u64, Errno> {
    let new = match how {
        sig::SIG_BLOCK => old | set,
        sig::SIG_UNBLOCK => old & !set,
        sig::SIG_SETMASK => set,
        _ => return Err(Errno::EINVAL),
    };
    Ok(new & !sig::UNBLOCKABLE)
}

/// The system calls that `SA_RESTART` starts again when a handler interrupted them
/// (`man 7 signal`, "Interruption of system calls and library functions by signal
/// handlers"): reads and writes of slow devices, `wait4`, and opening a device that waits.
/// Every other interrupted call fails with `EINTR` after a handler, whatever the flags: the
/// sleeps (`nanosleep`, `pause`, `rt_sigsuspend`, `rt_sigtimedwait`) and, later, `poll` and
/// `select`.
pub const RESTARTABLE: &[usize] = &[
    nr::READ,
    nr::WRITE,
    nr::READV,
    nr::WRITEV,
    nr::PREAD64,
    nr::PWRITE64,
    nr::IOCTL,
    nr::WAIT4,
    nr::OPEN,
    nr::OPENAT,
    nr::FCNTL,
];

/// Whether call `number`, interrupted by a signal whose handler has `flags`, starts again
/// (true) or fails with `EINTR` (false).
pub fn restarts(number: usize, flags: u64) -> bool {
    flags & sig::SA_RESTART != 0 && RESTARTABLE.contains(&number)
}

/// Bytes below the interrupted stack pointer that the System V ABI lets a function use without
/// moving RSP (the red zone): a signal frame must not land on them.
pub const RED_ZONE: u64 = 128;
/// The alignment Linux gives the FPU image in a frame (what `xsave` needs; `fxsave` needs 16).
pub const FPSTATE_ALIGN: u64 = 64;
/// The stack alignment the ABI wants at a call.
pub const STACK_ALIGN: u64 = 16;

/// The signal frame on the user stack (`struct rt_sigframe`, arch/x86/include/asm/sigframe.h):
/// the address the handler returns to, then the context, then the signal's information. The
/// FPU image is above it (see [`frame_layout`]). The handler starts with RSP pointing at
/// `pretcode`, as if `pretcode` had called it, so its `ret` goes to the restorer, which calls
/// `rt_sigreturn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RtSigframe {
    /// The restorer (`sa_restorer`).
    pub pretcode: u64,
    /// The interrupted context; `rt_sigreturn` reads it back.
    pub uc: Ucontext,
    /// What the handler's second argument points to.
    pub info: SigInfo,
}

/// Offset of [`RtSigframe::uc`] in the frame.
pub const UC_OFFSET: u64 = core::mem::offset_of!(RtSigframe, uc) as u64;
/// Offset of [`RtSigframe::info`] in the frame.
pub const INFO_OFFSET: u64 = core::mem::offset_of!(RtSigframe, info) as u64;
/// Bytes of the frame.
pub const FRAME_SIZE: u64 = core::mem::size_of::<RtSigframe>() as u64;

const _: () = assert!(FRAME_SIZE == 440);

/// Where a frame goes: the frame itself (the handler's RSP) and the FPU image above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameLayout {
    /// The frame's address: RSP when the handler starts (`16n + 8`, as just after a call).
    pub frame: u64,
    /// The 512-byte `fxsave` image's address (64-byte aligned).
    pub fpstate: u64,
}

/// Where the frame for a signal goes, given the interrupted RSP `sp` and the stack to use:
/// `Some(top)` for the alternate stack's top, `None` for the interrupted stack (below its red
/// zone). `None` if the arithmetic would wrap (a stack pointer near 0: the write will fault
/// instead). Linux's `get_sigframe`.
pub fn frame_layout(sp: u64, alternate_top: Option<u64>) -> Option<FrameLayout> {
    let top = match alternate_top {
        Some(top) => top,
        None => sp.checked_sub(RED_ZONE)?,
    };
    let fpstate = top.checked_sub(FPSTATE_SIZE as u64)? & !(FPSTATE_ALIGN - 1);
    let frame = (fpstate.checked_sub(FRAME_SIZE)? & !(STACK_ALIGN - 1)).checked_sub(8)?;
    Some(FrameLayout { frame, fpstate })
}

/// The RFLAGS bits a program may change through the context it hands `rt_sigreturn`
/// (Linux's `FIX_EFLAGS`): the arithmetic flags, direction, trap, alignment check and resume.
/// Interrupts, I/O privilege and the rest stay as the kernel had them.
pub const USER_FLAGS: u64 = 0x0004_0000 // AC
    | 0x0001_0000 // RF
    | 0x0000_0800 // OF
    | 0x0000_0400 // DF
    | 0x0000_0100 // TF
    | 0x0000_0080 // SF
    | 0x0000_0040 // ZF
    | 0x0000_0010 // AF
    | 0x0000_0004 // PF
    | 0x0000_0001; // CF

/// The flags after `rt_sigreturn`: `saved`'s user-changeable bits over `current`'s others.
pub const fn restored_flags(current: u64, saved: u64) -> u64 {
    (current & !USER_FLAGS) | (saved & USER_FLAGS)
}

/// The flags a handler starts with: the interrupted ones without direction, trap and resume
/// (the ABI wants DF clear at a call; single-stepping does not follow into the handler).
pub const fn handler_flags(interrupted: u64) -> u64 {
    interrupted & !(0x0000_0400 | 0x0000_0100 | 0x0001_0000)
}

/// A thread's alternate signal stack, as `sigaltstack` set it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AltStack {
    /// Its lowest address (0: none).
    pub base: u64,
    /// Its size (0: none).
    pub size: u64,
    /// Whether it is disarmed while a handler runs on it (`SS_AUTODISARM`).
    pub autodisarm: bool,
}

impl AltStack {
    /// Whether one is set.
    pub const fn enabled(&self) -> bool {
        self.size != 0
    }

    /// Whether `sp` is on it (strictly inside: Linux's `on_sig_stack`).
    pub const fn contains(&self, sp: u64) -> bool {
        self.enabled() && sp > self.base && sp - self.base <= self.size
    }

    /// What `sigaltstack` reports for it, with RSP `sp`.
    pub const fn report(&self, sp: u64) -> Stack {
        let ss_flags = if !self.enabled() {
            sig::SS_DISABLE
        } else if self.contains(sp) {
            sig::SS_ONSTACK
        } else {
            0
        };
        Stack {
            ss_sp: self.base,
            ss_flags: ss_flags
                | if self.autodisarm {
                    sig::SS_AUTODISARM
                } else {
                    0
                },
            pad: 0,
            ss_size: self.size,
        }
    }

    /// The stack a handler with `flags` runs on when the interrupted RSP is `sp`: `Some(top)` of
    /// this one if the handler asked (`SA_ONSTACK`) and the thread is not on it already.
    pub const fn top_for(&self, flags: u64, sp: u64) -> Option<u64> {
        if flags & sig::SA_ONSTACK != 0 && self.enabled() && !self.contains(sp) {
            Some(self.base + self.size)
        } else {
            None
        }
    }

    /// `sigaltstack(new, ...)` with RSP `sp`: the stack to keep. `EPERM` while running on the
    /// current one, `EINVAL` for unknown flags, `ENOMEM` if smaller than `MINSIGSTKSZ`.
    pub const fn set(&self, new: &Stack, sp: u64) -> Result<AltStack, Errno> {
        if self.contains(sp) {
            return Err(Errno::EPERM);
        }
        let autodisarm = new.ss_flags & sig::SS_AUTODISARM != 0;
        match new.ss_flags & !sig::SS_AUTODISARM {
            sig::SS_DISABLE => Ok(AltStack {
                base: 0,
                size: 0,
                autodisarm: false,
            }),
            // SS_ONSTACK is accepted as 0, as Linux does for old programs.
            0 | sig::SS_ONSTACK => {
                if (new.ss_size as usize) < sig::MINSIGSTKSZ {
                    return Err(Errno::ENOMEM);
                }
                Ok(AltStack {
                    base: new.ss_sp,
                    size: new.ss_size,
                    autodisarm,
                })
            }
            _ => Err(Errno::EINVAL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use abi::siginfo::{SEGV_MAPERR, SI_USER};

    fn info(signo: i32) -> SigInfo {
        SigInfo::from_process(signo, SI_USER, 1, 0)
    }

    #[test]
    fn defaults_follow_the_manual() {
        assert_eq!(default_action(sig::SIGKILL), DefaultAction::Terminate);
        assert_eq!(default_action(sig::SIGSEGV), DefaultAction::Core);
        assert_eq!(default_action(sig::SIGCHLD), DefaultAction::Ignore);
        assert_eq!(default_action(sig::SIGTSTP), DefaultAction::Stop);
        assert_eq!(default_action(sig::SIGCONT), DefaultAction::Continue);
        assert_eq!(default_action(40), DefaultAction::Terminate);
        let default = SigAction::default();
        assert!(ignores(&default, sig::SIGCHLD) && ignores(&default, sig::SIGCONT));
        assert!(!ignores(&default, sig::SIGTERM));
        let ignore = SigAction {
            handler: sig::SIG_IGN,
            ..SigAction::default()
        };
        assert!(ignores(&ignore, sig::SIGTERM));
        let handled = SigAction {
            handler: 0x40_1000,
            ..SigAction::default()
        };
        assert!(!ignores(&handled, sig::SIGCHLD));
    }

    #[test]
    fn classic_signals_merge_and_real_time_ones_queue() {
        let mut pending = Pending::new();
        assert_eq!(pending.add(info(sig::SIGUSR1)), Added::Queued);
        assert_eq!(pending.add(info(sig::SIGUSR1)), Added::Merged);
        assert_eq!(pending.add(info(34)), Added::Queued);
        assert_eq!(pending.add(info(34)), Added::Queued);
        assert_eq!(pending.take_signal(sig::SIGUSR1).map(|i| i.signo), Some(10));
        assert_eq!(pending.take_signal(sig::SIGUSR1), None);
        assert!(pending.take_signal(34).is_some());
        assert_eq!(pending.set(), sig::bit(34).unwrap(), "one instance left");
        assert!(pending.take_signal(34).is_some());
        assert_eq!(pending.set(), 0);
        for _ in 0..MAX_QUEUED {
            pending.add(info(40));
        }
        assert_eq!(pending.add(info(40)), Added::Full);
        assert_eq!(pending.add(info(0)), Added::Full);
    }

    #[test]
    fn faults_come_first_then_the_lowest_number() {
        let mut pending = Pending::new();
        pending.add(info(sig::SIGTERM));
        pending.add(info(sig::SIGHUP));
        pending.add(SigInfo::fault(sig::SIGSEGV, SEGV_MAPERR, 8));
        let all = u64::MAX;
        assert_eq!(pending.take(all).map(|i| i.signo), Some(sig::SIGSEGV));
        assert_eq!(pending.take(all).map(|i| i.signo), Some(sig::SIGHUP));
        let hup_blocked = !sig::bit(sig::SIGTERM).unwrap();
        assert_eq!(pending.take(hup_blocked), None, "SIGTERM is not allowed");
        assert_eq!(pending.take(all).map(|i| i.signo), Some(sig::SIGTERM));
        assert_eq!(pending.take(all), None);
    }

    #[test]
    fn discarding_forgets_every_instance() {
        let mut pending = Pending::new();
        pending.add(info(35));
        pending.add(info(35));
        pending.add(info(sig::SIGINT));
        pending.discard(sig::bit(35).unwrap());
        assert_eq!(pending.set(), sig::bit(sig::SIGINT).unwrap());
        assert_eq!(pending.take_signal(35), None);
    }

    #[test]
    fn masks_never_hold_kill_or_stop() {
        let kill = sig::bit(sig::SIGKILL).unwrap();
        let usr1 = sig::bit(sig::SIGUSR1).unwrap();
        assert_eq!(change_mask(sig::SIG_BLOCK, 0, kill | usr1), Ok(usr1));
        assert_eq!(change_mask(sig::SIG_UNBLOCK, usr1, usr1), Ok(0));
        assert_eq!(
            change_mask(sig::SIG_SETMASK, usr1, u64::MAX),
            Ok(!sig::UNBLOCKABLE)
        );
        assert_eq!(change_mask(3, 0, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn only_slow_calls_restart_and_only_with_sa_restart() {
        assert!(restarts(nr::READ, sig::SA_RESTART));
        assert!(!restarts(nr::READ, 0));
        assert!(!restarts(nr::NANOSLEEP, sig::SA_RESTART));
        assert!(!restarts(nr::PAUSE, sig::SA_RESTART));
    }

    #[test]
    fn frames_are_aligned_below_the_red_zone() {
        let sp = 0x7fff_f000;
        let layout = frame_layout(sp, None).unwrap();
        assert_eq!(layout.fpstate % FPSTATE_ALIGN, 0);
        assert!(layout.fpstate + FPSTATE_SIZE as u64 <= sp - RED_ZONE);
        assert_eq!((layout.frame + 8) % STACK_ALIGN, 0, "as just after a call");
        assert!(layout.frame + FRAME_SIZE <= layout.fpstate);
        let alternate = frame_layout(sp, Some(0x1000_4000)).unwrap();
        assert!(alternate.fpstate + FPSTATE_SIZE as u64 <= 0x1000_4000);
        assert_eq!(frame_layout(100, None), None);
    }

    #[test]
    fn sigreturn_keeps_the_kernels_flags() {
        let interrupts_on = 0x202;
        let forged = 0xffff_ffff;
        let restored = restored_flags(interrupts_on, forged);
        assert_eq!(restored & 0x200, 0x200, "IF stays");
        assert_eq!(restored & 0x3000, 0, "IOPL stays 0");
        assert_eq!(restored & 0x1, 1, "CF comes back");
        assert_eq!(handler_flags(0x202 | 0x400 | 0x100), 0x202);
    }

    #[test]
    fn alternate_stacks() {
        let none = AltStack::default();
        assert_eq!(none.report(0x5000).ss_flags, sig::SS_DISABLE);
        let new = Stack {
            ss_sp: 0x1000,
            ss_flags: 0,
            pad: 0,
            ss_size: 0x2000,
        };
        let alt = none.set(&new, 0x9000).unwrap();
        assert_eq!(alt.report(0x9000).ss_flags, 0);
        assert_eq!(alt.report(0x2000).ss_flags, sig::SS_ONSTACK);
        assert_eq!(alt.top_for(sig::SA_ONSTACK, 0x9000), Some(0x3000));
        assert_eq!(alt.top_for(sig::SA_ONSTACK, 0x2000), None, "already on it");
        assert_eq!(alt.top_for(0, 0x9000), None);
        assert_eq!(alt.set(&new, 0x2000), Err(Errno::EPERM));
        let small = Stack {
            ss_size: 100,
            ..new
        };
        assert_eq!(none.set(&small, 0), Err(Errno::ENOMEM));
        let bad = Stack { ss_flags: 8, ..new };
        assert_eq!(none.set(&bad, 0), Err(Errno::EINVAL));
        let off = Stack {
            ss_flags: sig::SS_DISABLE,
            ..new
        };
        assert_eq!(alt.set(&off, 0x9000), Ok(AltStack::default()));
    }
}
