//! Signals: Linux's way of interrupting a program with a number, and of running a function of
//! the program's choosing (a *handler*) when it arrives.
//!
//! **Sending.** A signal is sent to a process (`kill`, the terminal's Ctrl-C, a child that ends,
//! a timer) or raised by the program itself (a fault, a write to a pipe with no reader). Either
//! way it becomes *pending* in the process's record in the table ([`State`]), with what the
//! sender said (`siginfo_t`). A signal the process ignores is thrown away at once; one it blocks
//! waits. Otherwise the sender asks the process's thread to stop what it is doing
//! (`sched::request_stop`): a thread asleep or blocked in a pipe, a terminal read or `wait4` wakes,
//! and its call fails with `EINTR` on the way out.
//!
//! **Taking.** Pending signals are looked at in one place: on the way back to ring 3, from a
//! system call or an interrupt, when the thread's stop flag is set ([`deliver`]). That check
//! costs the fast path nothing new: it is the one that used to end a killed program. Each
//! pending, unblocked signal is then taken in turn, synchronous faults first:
//!
//! * its default action ends the process (SIGTERM, SIGKILL, SIGSEGV, ...) or does nothing
//!   (SIGCHLD, SIGWINCH, ...); stopping (SIGSTOP, SIGTSTP) arrives with job control and does
//!   nothing yet;
//! * a handler gets a *signal frame* on the user stack (or the alternate stack), laid out exactly
//!   as Linux lays it out (`struct rt_sigframe`: the return address, a `ucontext_t` with every
//!   register, the mask and the x87/SSE state, then the `siginfo_t`), and the saved frame is
//!   changed so that the program "returns" into the handler with the signal number, the info
//!   and the context as its three arguments. The handler returns to the C library's *restorer*
//!   (`SA_RESTORER`), which calls `rt_sigreturn`; that reads the context back ([`sigreturn`]).
//!
//! **Interrupted calls.** A blocking call a signal interrupts returns `EINTR` to the dispatcher.
//! If a handler then runs with `SA_RESTART` and the call is one that may restart, the kernel
//! rewinds RIP over the `syscall` instruction and puts the call number back in RAX, so the
//! program makes the call again when the handler returns; if no handler ran at all (the signal
//! turned out to be ignored), every call restarts. Otherwise the program sees `EINTR`.
//!
//! What only the program's own thread uses (its alternate stack, the mask `rt_sigsuspend` put
//! aside) is in its `Task` ([`Thread`]); what senders need (the actions, the blocked set, the
//! pending signals) is in the table, behind its lock. The decisions themselves (default actions,
//! the pending queue, frame placement, masks) are pure logic in the `signals` crate.

use super::{with_table, Pid, Table, Task, INIT_PID};
use crate::arch::x86_64::fpu::FpuState;
use crate::arch::x86_64::trap::TrapFrame;
use crate::arch::x86_64::user::{self, Next, SYSCALL_INSTRUCTION_LEN};
use crate::mm::uaccess;
use crate::sched;
use abi::siginfo::{self, SigInfo};
use abi::signal::{self as sig, SigAction, Stack};
use abi::ucontext::{Sigcontext, Ucontext, FPSTATE_SW_RESERVED};
use abi::{Errno, Timeval};
use alloc::boxed::Box;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use signals::{AltStack, DefaultAction, Pending, RtSigframe};

/// Signals there are (1 to 64).
const NSIG: usize = sig::SIGRTMAX as usize;

/// A process's signal state that others read or change: what each signal does, which are
/// pending for the process as a whole. Kept in its table record, under the table's lock; each
/// thread's own mask and pending signals are beside it, in the thread's entry ([`ThreadState`]).
pub(super) struct State {
    /// The action for each signal, by number minus one; `None` while every one is the default,
    /// as in most programs, so that `fork` copies nothing.
    actions: Option<Box<[SigAction; NSIG]>>,
    /// Signals sent to the process (any thread that does not block one may take it) and not
    /// yet taken.
    pending: Pending,
    /// The real-time interval timer (`alarm`, `setitimer(ITIMER_REAL)`), if armed.
    alarm: Option<Alarm>,
    /// The CPU-time interval timers, if armed: `ITIMER_VIRTUAL` (user time) and `ITIMER_PROF`
    /// (user and system time), by [`CpuClock`].
    cpu_timers: [Option<CpuTimer>; 2],
}

/// What a CPU-time interval timer counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CpuClock {
    /// The process's time in ring 3 (`ITIMER_VIRTUAL`, SIGVTALRM).
    User = 0,
    /// Its time in ring 3 and in the kernel on its behalf (`ITIMER_PROF`, SIGPROF).
    UserAndSystem = 1,
}

impl CpuClock {
    /// The clock `setitimer`'s `which` names, `None` for `ITIMER_REAL` (or another value).
    fn of(which: i32) -> Option<CpuClock> {
        match which {
            abi::time::ITIMER_VIRTUAL => Some(CpuClock::User),
            abi::time::ITIMER_PROF => Some(CpuClock::UserAndSystem),
            _ => None,
        }
    }

    /// The signal its timer sends.
    fn signal(self) -> i32 {
        match self {
            CpuClock::User => sig::SIGVTALRM,
            CpuClock::UserAndSystem => sig::SIGPROF,
        }
    }
}

/// An armed CPU-time timer: the CPU time left before it fires, counted down a tick at a time
/// by the ticks that find one of the process's threads running.
#[derive(Debug, Clone, Copy)]
struct CpuTimer {
    /// Nanoseconds of CPU time until it fires.
    left: u64,
    /// The period it re-arms with (0: once).
    interval: u64,
}

/// An armed `ITIMER_REAL`.
#[derive(Debug, Clone, Copy)]
struct Alarm {
    /// When it next fires, in nanoseconds since boot.
    deadline: u64,
    /// The period it re-arms with (0: once).
    interval: u64,
}

impl State {
    /// A new program's: every action the default, nothing blocked or pending.
    pub(super) fn new() -> State {
        State {
            actions: None,
            pending: Pending::new(),
            alarm: None,
            cpu_timers: [None; 2],
        }
    }

    /// A `fork` child's: the parent's actions; nothing pending, no timer (Linux's children
    /// inherit no interval timer).
    pub(super) fn inherit(&self) -> State {
        State {
            actions: self.actions.clone(),
            pending: Pending::new(),
            alarm: None,
            cpu_timers: [None; 2],
        }
    }

    /// Disarms every interval timer: the process has ended, and a zombie's timers would only
    /// make the tick look for them.
    pub(super) fn disarm_timers(&mut self) {
        self.alarm = None;
        self.cpu_timers = [None; 2];
    }

    /// The action for `signal` (1..=64).
    fn action(&self, signal: i32) -> SigAction {
        self.actions
            .as_ref()
            .map_or_else(SigAction::default, |actions| actions[index(signal)])
    }

    /// Makes `action` the action for `signal` (1..=64).
    fn set_action(&mut self, signal: i32, action: SigAction) {
        if self.actions.is_none() && action == SigAction::default() {
            return;
        }
        let actions = self
            .actions
            .get_or_insert_with(|| Box::new([SigAction::default(); NSIG]));
        actions[index(signal)] = action;
    }

    /// Whether a signal is pending for the process that `thread` does not block, or for
    /// `thread` itself.
    pub(super) fn deliverable(&self, thread: &ThreadState) -> bool {
        (self.pending.set() | thread.pending.set()) & !thread.blocked != 0
    }

    /// The sets `/proc/PID/status` and `stat` show: pending, blocked, ignored, caught.
    pub(super) fn sets(&self, thread: Option<&ThreadState>) -> procfmt::Signals {
        let (mut ignored, mut caught) = (0, 0);
        for (bit, action) in self.actions.iter().flat_map(|a| a.iter()).enumerate() {
            match action.handler {
                sig::SIG_DFL => {}
                sig::SIG_IGN => ignored |= 1 << bit,
                _ => caught |= 1 << bit,
            }
        }
        procfmt::Signals {
            pending: self.pending.set() | thread.map_or(0, |t| t.pending.set()),
            blocked: thread.map_or(0, |t| t.blocked),
            ignored,
            caught,
        }
    }
}

/// One thread's signal state that others read or change: its mask, and the signals sent to it
/// alone (`tgkill`, its own faults). Kept in its entry in the process's record.
#[derive(Clone)]
pub(super) struct ThreadState {
    /// The blocked signals (never SIGKILL or SIGSTOP).
    blocked: u64,
    /// Signals sent to this thread and not yet taken.
    pending: Pending,
}

impl ThreadState {
    /// A thread that blocks `blocked` (its creator's mask, as `fork` and `clone` pass it on).
    pub(super) fn new(blocked: u64) -> ThreadState {
        ThreadState {
            blocked,
            pending: Pending::new(),
        }
    }

    /// The blocked set.
    pub(super) fn blocked(&self) -> u64 {
        self.blocked
    }
}

/// The slot of signal `signal` (1..=64) in an action table.
fn index(signal: i32) -> usize {
    (signal - 1) as usize
}

/// What only a program's own thread uses, in its `Task`.
#[derive(Debug, Clone, Default)]
pub struct Thread {
    /// Its alternate signal stack (`sigaltstack`).
    altstack: AltStack,
    /// The mask `rt_sigsuspend` replaced, restored once a handler's frame has saved it.
    saved_mask: Option<u64>,
    /// Set by `rt_sigreturn` to the RAX it restored: the way out puts it in the frame (past the
    /// dispatcher, which stores results, and whose check would refuse an old `-EINTR` as a
    /// success) and restores every register.
    restored_rax: Option<u64>,
}

impl Thread {
    /// After `execve`: no alternate stack (it was in the old program's memory).
    pub fn exec(&mut self) {
        *self = Thread::default();
    }
}

/// Whom a queued signal must reach: threads to interrupt (the receiver; a parent told of a
/// child's stop), threads blocked in `wait4` whose wait it ends (the receiver's own, or such a
/// parent's), and a stopped process that SIGCONT continues, every thread of which must wake.
/// Collected under the table's lock, carried out after, without allocating.
#[derive(Default)]
pub(super) struct Wake {
    interrupt: [Option<::sched::ThreadId>; 2],
    waiting: [Option<::sched::ThreadId>; 2],
    continued: Option<Pid>,
}

impl Wake {
    /// Adds a thread to interrupt.
    fn interrupt(&mut self, thread: ::sched::ThreadId) {
        if let Some(slot) = self.interrupt.iter_mut().find(|s| s.is_none()) {
            *slot = Some(thread);
        }
    }

    /// Adds a thread to wake from `wait4`.
    fn end_wait(&mut self, thread: Option<::sched::ThreadId>) {
        if let Some(slot) = self.waiting.iter_mut().find(|s| s.is_none()) {
            *slot = thread;
        }
    }

    /// Whether there is nobody to reach.
    fn is_empty(&self) -> bool {
        self.continued.is_none()
            && self
                .interrupt
                .iter()
                .chain(&self.waiting)
                .all(Option::is_none)
    }

    /// Carries it out (call after the table's lock is released).
    pub(super) fn deliver(self) {
        for thread in self.interrupt.into_iter().flatten() {
            sched::request_stop(thread);
        }
        for waiter in self.waiting.into_iter().flatten() {
            // Blocked in `wait4`: woken, it sees the stop (or the change) and returns.
            sched::wake_thread(waiter);
        }
        if let Some(pid) = self.continued {
            for thread in super::threads_of(pid) {
                sched::request_stop(thread);
            }
        }
    }
}

/// The signals that stop a process by default.
const STOP_SIGNALS: u64 = (1 << (sig::SIGSTOP - 1))
    | (1 << (sig::SIGTSTP - 1))
    | (1 << (sig::SIGTTIN - 1))
    | (1 << (sig::SIGTTOU - 1));
/// SIGCONT's bit.
const CONT: u64 = 1 << (sig::SIGCONT - 1);
/// SIGKILL's bit.
const KILL: u64 = 1 << (sig::SIGKILL - 1);

/// Queues `info` for process `pid` in `table`. `Ok(Some(wake))` if one of its threads must be
/// interrupted (the first that does not block the signal), `Ok(None)` if the signal was thrown
/// away or only waits (every thread blocks it, or the thread has not started: it looks when it
/// does); `ESRCH` if there is no such process. A zombie takes no signal, without error. `init`
/// takes only the signals it has handlers for (Linux's rule: the first process must not end by
/// accident).
pub(super) fn queue(table: &mut Table, pid: Pid, info: SigInfo) -> Result<Option<Wake>, Errno> {
    queue_for(table, pid, None, info)
}

/// [`queue`], or with `tid` the same for one thread of the process (`tgkill`): only that thread
/// may take it. Stopping, continuing and killing act on the whole process either way.
fn queue_for(
    table: &mut Table,
    pid: Pid,
    tid: Option<Pid>,
    info: SigInfo,
) -> Result<Option<Wake>, Errno> {
    let Some(bit) = sig::bit(info.signo) else {
        return Err(Errno::EINVAL);
    };
    let mut wake = Wake::default();
    // Job control acts when the signal is sent, whatever becomes of the signal itself: SIGCONT
    // continues a stopped process (and cancels pending stops), a stop cancels a pending SIGCONT.
    // (The lookup is for SIGCONT alone: every other signal pays for one lookup, below.)
    let stopped = bit == CONT
        && table
            .processes
            .get(&pid)
            .is_some_and(|r| r.stopped.is_some());
    if stopped {
        let (waiter, parent) = super::job_change(table, pid, None);
        wake.end_wait(waiter);
        if let Some(parent) = parent {
            wake.interrupt(parent);
        }
    }
    let record = table.processes.get_mut(&pid).ok_or(Errno::ESRCH)?;
    if record.status.is_some() {
        return Ok(None);
    }
    if bit == CONT {
        record.signals.pending.discard(STOP_SIGNALS);
        if stopped {
            wake.continued = Some(pid);
        }
    } else if bit & STOP_SIGNALS != 0 {
        record.signals.pending.discard(CONT);
    }
    let done = |wake: Wake| Ok((!wake.is_empty()).then_some(wake));
    let action = record.signals.action(info.signo);
    if pid == INIT_PID && action.handler == sig::SIG_DFL {
        return done(wake);
    }
    // One thread's own signal, unless it acts on the whole process.
    let whole_process = bit & (STOP_SIGNALS | CONT | KILL) != 0;
    let only = tid.filter(|_| !whole_process);
    let target = record
        .threads
        .iter()
        .position(|m| only.is_none_or(|tid| m.tid == tid) && m.signals.blocked & bit == 0);
    if only.is_some() && !record.threads.iter().any(|m| Some(m.tid) == only) {
        return Err(Errno::ESRCH);
    }
    if target.is_some() && signals::ignores(&action, info.signo) {
        return done(wake);
    }
    match only.and_then(|tid| record.threads.iter_mut().find(|m| m.tid == tid)) {
        Some(member) => member.signals.pending.add(info),
        None => record.signals.pending.add(info),
    };
    let Some(thread) = target.map(|i| record.threads[i].thread) else {
        return done(wake);
    };
    if thread != 0 {
        wake.interrupt(thread);
    }
    wake.end_wait(record.child_waiter.take());
    done(wake)
}

/// The SIGCHLD that tells `parent` its child `pid` stopped (by `signal`) or continued (`None`),
/// queued unless the parent asked not to hear of stops (`SA_NOCLDSTOP`); the parent's thread to
/// interrupt, if any.
pub(super) fn child_changed(
    table: &mut Table,
    parent: Pid,
    pid: Pid,
    signal: Option<i32>,
) -> Option<::sched::ThreadId> {
    let record = table.processes.get(&parent)?;
    if record.signals.action(sig::SIGCHLD).flags & sig::SA_NOCLDSTOP != 0 {
        return None;
    }
    let info = match signal {
        Some(signal) => SigInfo::child(siginfo::CLD_STOPPED, pid, signal, 0, 0),
        None => SigInfo::child(siginfo::CLD_CONTINUED, pid, sig::SIGCONT, 0, 0),
    };
    let wake = queue(table, parent, info).ok().flatten()?;
    wake.interrupt[0]
}

/// Stops the running process by `signal` until SIGCONT (or SIGKILL): its parent is told, its
/// other threads are asked to stop too, and this one sleeps here, on its way back to ring 3,
/// where it holds nothing.
fn stop(pid: Pid, signal: i32) {
    let me = sched::current();
    let (waiter, parent, others) = with_table(|table| {
        let (waiter, parent) = super::job_change(table, pid, Some(signal));
        let others: alloc::vec::Vec<_> =
            table
                .processes
                .get(&pid)
                .map_or_else(alloc::vec::Vec::new, |r| {
                    r.threads
                        .iter()
                        .map(|m| m.thread)
                        .filter(|&t| t != me && t != 0)
                        .collect()
                });
        (waiter, parent, others)
    });
    if let Some(waiter) = waiter {
        sched::wake_thread(waiter);
    }
    if let Some(parent) = parent {
        sched::request_stop(parent);
    }
    for thread in others {
        sched::request_stop(thread);
    }
    wait_while_stopped(pid);
}

/// Sleeps while the running thread's process is stopped (until SIGCONT, or SIGKILL, or its end).
fn wait_while_stopped(pid: Pid) {
    let stays_stopped = || {
        with_table(|table| {
            table.processes.get(&pid).is_some_and(|r| {
                r.stopped.is_some() && r.exiting.is_none() && r.signals.pending.set() & KILL == 0
            })
        })
    };
    while stays_stopped() {
        sched::block_interruptible(|_| stays_stopped());
        sched::clear_stop();
    }
}

/// Whether process group `group` is *orphaned* (POSIX): no running member has a parent in
/// another group of the same session, the shell that could continue it with `fg`. `init`, the
/// parent of every orphan, does not count, as on Linux.
fn orphaned(table: &Table, group: Pid) -> bool {
    !table.processes.values().any(|r| {
        r.group == group
            && r.status.is_none()
            && r.parent != INIT_PID
            && table
                .processes
                .get(&r.parent)
                .is_some_and(|p| p.group != group && p.session == r.session && p.status.is_none())
    })
}

/// Whether process group `group` is orphaned and has a stopped member: what a process's end
/// must look for in the groups it may have orphaned (see [`hang_up`]). The process that ended
/// is already a zombie, so it counts neither as a member nor as a parent.
pub(super) fn orphaned_and_stopped(table: &Table, group: Pid) -> bool {
    orphaned(table, group)
        && table
            .processes
            .values()
            .any(|r| r.group == group && r.status.is_none() && r.stopped.is_some())
}

/// Sends SIGHUP, then SIGCONT, to every process in `group`, which a process's end has just
/// orphaned while a member was stopped (POSIX's rule; Linux's `kill_orphaned_pgrp`). The stopped
/// member waited for a shell's `fg`, but no process is left in the session, outside the group,
/// that could send it; rather than leave it stopped for ever, the kernel wakes the group with a
/// hang-up, which ends a program that does not expect it, and a SIGCONT, so that the signal is
/// taken at once. SIGHUP is queued first: a continued process takes its pending signals on its
/// way back to user space, the hang-up among them.
pub(super) fn hang_up(group: Pid) {
    super::kill_group(group, sig::SIGHUP);
    super::kill_group(group, sig::SIGCONT);
}

/// Whether process `pid`'s group is orphaned.
fn in_orphaned_group(pid: Pid) -> bool {
    with_table(|table| {
        table
            .processes
            .get(&pid)
            .is_some_and(|r| orphaned(table, r.group))
    })
}

/// Job control's rule for the terminal (see `tty::CheckAccess`): the running process may use the
/// terminal if it is in the `foreground` group (or not in that group's session); otherwise its
/// group gets `signal` (SIGTTIN, SIGTTOU) and the call `EINTR`, unless the process ignores or
/// blocks the signal: then a read fails with `EIO` and anything else goes ahead. In an orphaned
/// group, where the stop would last for ever, the call fails with `EIO` instead.
pub fn terminal_access(foreground: u32, signal: i32) -> Result<(), Errno> {
    let Some(pid) = super::current_pid() else {
        return Ok(());
    };
    let bit = sig::bit(signal).unwrap_or(0);
    let verdict = with_table(|table| {
        let record = table.processes.get(&pid)?;
        if record.group == foreground {
            return None;
        }
        // Only a process of the foreground group's own session is "in the background" (a new
        // session, such as the shell init starts after the last one ended, takes the terminal
        // freely; so does anyone once the foreground group has gone).
        let foreground_session = table
            .processes
            .values()
            .find(|r| r.group == foreground && r.status.is_none())
            .map(|r| r.session);
        if foreground_session != Some(record.session) {
            return None;
        }
        let action = record.signals.action(signal);
        let blocked = record
            .member(sched::current())
            .is_some_and(|m| m.signals.blocked & bit != 0);
        let orphaned = orphaned(table, record.group);
        Some((
            record.group,
            blocked || action.handler == sig::SIG_IGN,
            orphaned,
        ))
    });
    match verdict {
        None => Ok(()),
        Some((_, true, _)) if signal == sig::SIGTTIN => Err(Errno::EIO),
        Some((_, true, _)) => Ok(()),
        // A stop would never be undone: the call fails instead.
        Some((_, false, true)) => Err(Errno::EIO),
        Some((group, false, false)) => {
            super::kill_group(group, signal);
            Err(Errno::EINTR)
        }
    }
}

/// Sends `info` to process `pid` (see [`queue`]).
pub fn send(pid: Pid, info: SigInfo) -> Result<(), Errno> {
    if let Some(wake) = with_table(|table| queue(table, pid, info))? {
        wake.deliver();
    }
    Ok(())
}

/// Raises `info` in the running thread as the kernel's answer to what it just did (a fault, a
/// bad signal frame): the signal cannot be blocked or ignored away, so if it is either, its
/// action becomes the default and it is unblocked (Linux's `force_sig_info`). Taken at the next
/// [`deliver`].
pub(super) fn force(pid: Pid, info: SigInfo) {
    let Some(bit) = sig::bit(info.signo) else {
        return;
    };
    let me = sched::current();
    with_table(|table| {
        if let Some(record) = table.processes.get_mut(&pid) {
            let action = record.signals.action(info.signo);
            let Some(member) = record.threads.iter_mut().find(|m| m.thread == me) else {
                return;
            };
            let blocked = member.signals.blocked & bit != 0;
            member.signals.blocked &= !bit;
            member.signals.pending.add(info);
            if blocked || action.handler == sig::SIG_IGN {
                record.signals.set_action(info.signo, SigAction::default());
            }
        }
    });
    sched::request_stop(me);
}

/// Asks the running thread to look at its signals on its way out if one it does not block is
/// pending (after its mask changed, or when it starts).
pub(super) fn recheck(pid: Pid) {
    let me = sched::current();
    if with_table(|table| {
        table.processes.get(&pid).is_some_and(|r| {
            r.member(me)
                .is_some_and(|m| r.signals.deliverable(&m.signals))
        })
    }) {
        sched::request_stop(me);
    }
}

/// What the running thread is to do next on its way out, as [`deliver`] finds it.
enum Due {
    /// Leave: its process is ending, with this wait status.
    Leave(i32),
    /// Wait: its process is stopped.
    Stopped,
    /// Take this signal, with this action.
    Take(SigInfo, SigAction),
}

/// The running thread's next [`Due`], if any (taking the signal off its pending set).
fn next_due(pid: Pid) -> Option<Due> {
    let me = sched::current();
    with_table(|table| {
        let record = table.processes.get_mut(&pid)?;
        if let Some(status) = record.exiting {
            return Some(Due::Leave(status));
        }
        if record.stopped.is_some() && record.signals.pending.set() & KILL == 0 {
            return Some(Due::Stopped);
        }
        let i = record.threads.iter().position(|m| m.thread == me)?;
        if record.threads[i].must_leave {
            return Some(Due::Leave(0));
        }
        let open = !record.threads[i].signals.blocked;
        let info = match record.threads[i].signals.pending.take(open) {
            Some(info) => info,
            None => record.signals.pending.take(open)?,
        };
        Some(Due::Take(info, record.signals.action(info.signo)))
    })
}

/// Takes the running program's pending signals on its way back to ring 3 (its stop flag was
/// set); `syscall` is the call's number if it is returning from one, whose result is in RAX.
/// Returns [`Next::Leave`] if a signal ended the program (its wait status is in `task`).
/// Call with interrupts on: frames are written to user memory. Out of line and cold: the way
/// out of every system call tests the stop flag and only then comes here.
#[cold]
#[inline(never)]
pub(super) fn deliver(task: &mut Task, frame: &mut TrapFrame, mut syscall: Option<usize>) -> Next {
    sched::clear_stop();
    let restore_all = task.signal.restored_rax.take().map(|rax| frame.rax = rax);
    let pid = task.pid;
    let mut handled = false;
    loop {
        let (info, action) = match next_due(pid) {
            None => break,
            Some(Due::Leave(status)) => {
                task.status = status;
                return Next::Leave;
            }
            Some(Due::Stopped) => {
                wait_while_stopped(pid);
                continue;
            }
            Some(Due::Take(info, action)) => (info, action),
        };
        match action.handler {
            sig::SIG_IGN => continue,
            sig::SIG_DFL => match signals::default_action(info.signo) {
                DefaultAction::Ignore | DefaultAction::Continue => continue,
                // The terminal's stops are dropped in an orphaned group: nobody in its session
                // outside it could ever continue it (POSIX; SIGSTOP itself still stops).
                DefaultAction::Stop if info.signo != sig::SIGSTOP && in_orphaned_group(pid) => {
                    continue
                }
                DefaultAction::Stop => stop(pid, info.signo),
                DefaultAction::Terminate | DefaultAction::Core => {
                    // The whole process ends, every thread of it.
                    task.status = abi::wait::wait_status_signaled(info.signo);
                    super::end_group(pid, task.status);
                    return Next::Leave;
                }
            },
            _ => {
                if let Some(number) = syscall.take() {
                    if interrupted(frame) && signals::restarts(number, action.flags) {
                        restart(frame, number);
                    }
                }
                match push_frame(task, frame, &info, &action) {
                    Ok(()) => {
                        handled = true;
                        task.fault = None;
                    }
                    Err(_) => {
                        // No room for the frame (a bad stack, no restorer): SIGSEGV, which ends
                        // the program if it was SIGSEGV's own handler that could not start.
                        if info.signo == sig::SIGSEGV {
                            with_table(|table| {
                                if let Some(r) = table.processes.get_mut(&pid) {
                                    r.signals.set_action(sig::SIGSEGV, SigAction::default());
                                }
                            });
                        }
                        force(pid, SigInfo::new(sig::SIGSEGV, siginfo::SI_KERNEL));
                        sched::clear_stop();
                    }
                }
            }
        }
    }
    if let Some(number) = syscall {
        if interrupted(frame) {
            // Interrupted, but no handler ran: the call starts again, as if nothing happened.
            restart(frame, number);
        }
    }
    if !handled {
        if let Some(mask) = task.signal.saved_mask.take() {
            set_blocked(pid, mask);
        }
    }
    if restore_all.is_some() {
        Next::Restore
    } else {
        Next::Resume
    }
}

/// Whether the system call returning in `frame` failed with `EINTR`.
fn interrupted(frame: &TrapFrame) -> bool {
    frame.rax == abi::encode(Err(Errno::EINTR)) as u64
}

/// Makes the program execute system call `number` again when it resumes.
fn restart(frame: &mut TrapFrame, number: usize) {
    frame.rax = number as u64;
    frame.rip -= SYSCALL_INSTRUCTION_LEN;
}

/// Replaces the running thread's blocked set with `mask` (less SIGKILL and SIGSTOP), and asks
/// for delivery if that unblocked a pending signal.
fn set_blocked(pid: Pid, mask: u64) {
    let me = sched::current();
    with_table(|table| {
        if let Some(member) = table.processes.get_mut(&pid).and_then(|r| r.member_mut(me)) {
            member.signals.blocked = mask & !sig::UNBLOCKABLE;
        }
    });
    recheck(pid);
}

/// The running thread's blocked set.
fn blocked(pid: Pid) -> u64 {
    let me = sched::current();
    with_table(|table| {
        table
            .processes
            .get(&pid)
            .and_then(|r| r.member(me))
            .map_or(0, |m| m.signals.blocked)
    })
}

/// Writes the frame for a handler of `info` and points `frame` at the handler.
fn push_frame(
    task: &mut Task,
    frame: &mut TrapFrame,
    info: &SigInfo,
    action: &SigAction,
) -> Result<(), Errno> {
    if action.flags & sig::SA_RESTORER == 0 {
        // x86_64 has no other way back from a handler; Linux refuses the same way.
        return Err(Errno::EFAULT);
    }
    let pid = task.pid;
    let now_blocked = blocked(pid);
    let old_mask = task.signal.saved_mask.unwrap_or(now_blocked);
    let alternate = task.signal.altstack.top_for(action.flags, frame.rsp);
    let layout = signals::frame_layout(frame.rsp, alternate).ok_or(Errno::EFAULT)?;
    // The x87/SSE registers are still the program's (the kernel never touches them).
    let mut fpu = FpuState::zeroed();
    fpu.save();
    // `fxsave` leaves the last 48 bytes alone; zero says "no extended state follows".
    fpu.bytes_mut()[FPSTATE_SW_RESERVED..].fill(0);
    uaccess::write(layout.fpstate, fpu.bytes())?;
    let fault = task.fault.filter(|_| info.code > 0);
    let context = Sigcontext {
        r8: frame.r8,
        r9: frame.r9,
        r10: frame.r10,
        r11: frame.r11,
        r12: frame.r12,
        r13: frame.r13,
        r14: frame.r14,
        r15: frame.r15,
        rdi: frame.rdi,
        rsi: frame.rsi,
        rbp: frame.rbp,
        rbx: frame.rbx,
        rdx: frame.rdx,
        rax: frame.rax,
        rcx: frame.rcx,
        rsp: frame.rsp,
        rip: frame.rip,
        eflags: frame.rflags,
        cs: frame.cs as u16,
        gs: 0,
        fs: 0,
        ss: frame.ss as u16,
        err: fault.map_or(0, |f| f.error_code),
        trapno: fault.map_or(0, |f| u64::from(f.vector)),
        oldmask: old_mask,
        cr2: fault.map_or(0, |f| f.cr2),
        fpstate: layout.fpstate,
        reserved1: [0; 8],
    };
    let signal_frame = RtSigframe {
        pretcode: action.restorer,
        uc: Ucontext {
            uc_flags: abi::ucontext::UC_SIGCONTEXT_SS | abi::ucontext::UC_STRICT_RESTORE_SS,
            uc_link: 0,
            uc_stack: task.signal.altstack.report(frame.rsp),
            uc_mcontext: context,
            uc_sigmask: old_mask,
        },
        info: *info,
    };
    uaccess::write_value(layout.frame, &signal_frame)?;
    // The frame is written: from here nothing can fail.
    task.signal.saved_mask = None;
    frame.rdi = info.signo as u64;
    frame.rsi = layout.frame + signals::INFO_OFFSET;
    frame.rdx = layout.frame + signals::UC_OFFSET;
    frame.rax = 0;
    frame.rsp = layout.frame;
    frame.rip = action.handler;
    frame.rflags = signals::handler_flags(frame.rflags);
    // A handler starts with clean x87/SSE state, as on Linux.
    FpuState::reset();
    if alternate.is_some() && task.signal.altstack.autodisarm {
        task.signal.altstack = AltStack::default();
    }
    let bit = sig::bit(info.signo).unwrap_or(0);
    let also = if action.flags & sig::SA_NODEFER != 0 {
        0
    } else {
        bit
    };
    let me = sched::current();
    with_table(|table| {
        if let Some(record) = table.processes.get_mut(&pid) {
            if let Some(member) = record.member_mut(me) {
                member.signals.blocked = (now_blocked | action.mask | also) & !sig::UNBLOCKABLE;
            }
            if action.flags & sig::SA_RESETHAND != 0 {
                record.signals.set_action(info.signo, SigAction::default());
            }
        }
    });
    Ok(())
}

/// `rt_sigreturn()`: back from a handler. Reads the context the handler's frame holds (RSP is
/// just past the return address the handler's `ret` popped) and makes it the program's
/// registers, mask, x87/SSE state and alternate stack. A frame that cannot be read or would
/// return outside user space raises SIGSEGV (which ends the program unless it handles that).
pub fn sigreturn(task: &mut Task, frame: &mut TrapFrame) -> Result<usize, Errno> {
    let pid = task.pid;
    let at = frame.rsp.wrapping_sub(8);
    // Read into place (the FPU image is 512 bytes: never moved once read).
    let mut fpu = FpuState::zeroed();
    let restored = uaccess::read_value::<Ucontext>(at + signals::UC_OFFSET).and_then(|context| {
        let m = &context.uc_mcontext;
        if !user::is_user_address(m.rip) || !user::is_user_address(m.rsp) {
            return Err(Errno::EFAULT);
        }
        if m.fpstate != 0 {
            uaccess::read(m.fpstate, fpu.bytes_mut())?;
            fpu.sanitize();
        }
        Ok(context)
    });
    let Ok(context) = restored else {
        force(pid, SigInfo::new(sig::SIGSEGV, siginfo::SI_KERNEL));
        return Err(Errno::EFAULT);
    };
    let m = context.uc_mcontext;
    frame.r8 = m.r8;
    frame.r9 = m.r9;
    frame.r10 = m.r10;
    frame.r11 = m.r11;
    frame.r12 = m.r12;
    frame.r13 = m.r13;
    frame.r14 = m.r14;
    frame.r15 = m.r15;
    frame.rdi = m.rdi;
    frame.rsi = m.rsi;
    frame.rbp = m.rbp;
    frame.rbx = m.rbx;
    frame.rdx = m.rdx;
    frame.rcx = m.rcx;
    frame.rsp = m.rsp;
    frame.rip = m.rip;
    frame.rflags = signals::restored_flags(frame.rflags, m.eflags);
    // CS and SS stay the user selectors the entry pushed, whatever the frame says.
    if m.fpstate == 0 {
        FpuState::reset();
    } else {
        fpu.restore();
    }
    if let Ok(altstack) = task.signal.altstack.set(&context.uc_stack, m.rsp) {
        task.signal.altstack = altstack;
    }
    task.signal.restored_rax = Some(m.rax);
    set_blocked(pid, context.uc_sigmask);
    // Out through the slow way, which puts RAX back, restores every register and takes any
    // signal the restored mask let through.
    sched::request_stop(sched::current());
    Ok(0)
}

/// `EINVAL` unless `size` is the kernel's signal-set size, as every `rt_sig*` call requires.
fn check_set_size(size: usize) -> Result<(), Errno> {
    if size == sig::SIGSET_SIZE {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// `rt_sigaction(signal, act, oldact, sigsetsize)`.
pub fn sigaction(
    task: &Task,
    signal: i32,
    new: u64,
    old: u64,
    setsize: usize,
) -> Result<usize, Errno> {
    check_set_size(setsize)?;
    let bit = sig::bit(signal).ok_or(Errno::EINVAL)?;
    if new != 0 && bit & sig::UNBLOCKABLE != 0 {
        return Err(Errno::EINVAL);
    }
    let new = if new == 0 {
        None
    } else {
        let mut action: SigAction = uaccess::read_value(new)?;
        action.mask &= !sig::UNBLOCKABLE;
        Some(action)
    };
    let previous = with_table(|table| {
        let record = table.processes.get_mut(&task.pid)?;
        let previous = record.signals.action(signal);
        if let Some(action) = new {
            record.signals.set_action(signal, action);
            if signals::ignores(&action, signal) {
                // Linux throws away what is pending of a signal that becomes ignored.
                record.signals.pending.discard(bit);
                for member in &mut record.threads {
                    member.signals.pending.discard(bit);
                }
            }
        }
        Some(previous)
    })
    .ok_or(Errno::ESRCH)?;
    if old != 0 {
        uaccess::write_value(old, &previous)?;
    }
    Ok(0)
}

/// `rt_sigprocmask(how, set, oldset, sigsetsize)`.
pub fn sigprocmask(
    task: &Task,
    how: u32,
    set: u64,
    old: u64,
    setsize: usize,
) -> Result<usize, Errno> {
    check_set_size(setsize)?;
    let current = blocked(task.pid);
    if set != 0 {
        let set: u64 = uaccess::read_value(set)?;
        let new = signals::change_mask(how, current, set)?;
        set_blocked(task.pid, new);
    }
    if old != 0 {
        uaccess::write_value(old, &current)?;
    }
    Ok(0)
}

/// `rt_sigpending(set, sigsetsize)`: the pending signals that are blocked.
pub fn sigpending(task: &Task, out: u64, setsize: usize) -> Result<usize, Errno> {
    if setsize > sig::SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let me = sched::current();
    let set = with_table(|table| {
        let record = table.processes.get(&task.pid)?;
        let member = record.member(me)?;
        Some((record.signals.pending.set() | member.signals.pending.set()) & member.signals.blocked)
    })
    .unwrap_or(0);
    uaccess::write(out, &set.to_le_bytes()[..setsize])?;
    Ok(0)
}

/// Sleeps until a signal interrupts the thread; always `EINTR`.
fn sleep_until_signal() -> Result<usize, Errno> {
    while !sched::should_stop() {
        sched::block_interruptible(|_| true);
    }
    Err(Errno::EINTR)
}

/// `pause()`: sleeps until a signal is taken.
pub fn pause() -> Result<usize, Errno> {
    sleep_until_signal()
}

/// `rt_sigsuspend(mask, sigsetsize)`: sleeps with `mask` as the blocked set until a signal is
/// taken; the old mask comes back when its handler returns.
pub fn sigsuspend(task: &mut Task, mask: u64, setsize: usize) -> Result<usize, Errno> {
    check_set_size(setsize)?;
    let mask: u64 = uaccess::read_value(mask)?;
    replace_mask(task, mask);
    sleep_until_signal()
}

/// Makes `mask` the blocked set for the length of a wait (`rt_sigsuspend`, `ppoll`,
/// `pselect6`), keeping the old one: a handler's frame saves that one, so it comes back when the
/// handler returns; a wait that ends otherwise puts it back with [`restore_mask`].
pub(super) fn replace_mask(task: &mut Task, mask: u64) {
    task.signal.saved_mask = Some(blocked(task.pid));
    set_blocked(task.pid, mask);
}

/// Puts back the mask [`replace_mask`] kept, if it is still kept.
pub(super) fn restore_mask(task: &mut Task) {
    if let Some(mask) = task.signal.saved_mask.take() {
        set_blocked(task.pid, mask);
    }
}

/// `rt_sigtimedwait(set, info, timeout, sigsetsize)`: takes a pending signal of `set` without
/// running its handler, waiting for one until `timeout` (for ever if 0); `EAGAIN` when it runs
/// out, `EINTR` if another signal came.
pub fn sigtimedwait(
    task: &mut Task,
    set: u64,
    info_out: u64,
    timeout: u64,
    setsize: usize,
) -> Result<usize, Errno> {
    check_set_size(setsize)?;
    let wanted: u64 = uaccess::read_value::<u64>(set)? & !sig::UNBLOCKABLE;
    let deadline = if timeout == 0 {
        None
    } else {
        let time: abi::Timespec = uaccess::read_value(timeout)?;
        if !time.is_valid() {
            return Err(Errno::EINVAL);
        }
        let ns = (time.tv_sec as u64)
            .saturating_mul(abi::time::NSEC_PER_SEC as u64)
            .saturating_add(time.tv_nsec as u64);
        Some(crate::time::uptime_ns().saturating_add(ns))
    };
    let pid = task.pid;
    let me = sched::current();
    let take = || {
        with_table(|table| {
            let record = table.processes.get_mut(&pid)?;
            let member = record.member_mut(me)?;
            match member.signals.pending.take(wanted) {
                Some(info) => Some(info),
                None => record.signals.pending.take(wanted),
            }
        })
    };
    // While it waits, the wanted signals wake it even if blocked (Linux unblocks them for the
    // wait); the mask is the same again before it returns.
    let before = blocked(pid);
    with_table(|table| {
        if let Some(member) = table.processes.get_mut(&pid).and_then(|r| r.member_mut(me)) {
            member.signals.blocked &= !wanted;
        }
    });
    let taken = loop {
        if let Some(info) = take() {
            break Ok(info);
        }
        if sched::should_stop() {
            break Err(Errno::EINTR);
        }
        match deadline {
            None => sched::block_interruptible(|_| true),
            Some(deadline) => {
                let now = crate::time::uptime_ns();
                if now >= deadline {
                    break Err(Errno::EAGAIN);
                }
                sched::sleep(core::time::Duration::from_nanos(deadline - now));
            }
        }
    };
    set_blocked(pid, before);
    let info = taken?;
    if info_out != 0 {
        uaccess::write_value(info_out, &info)?;
    }
    Ok(info.signo as usize)
}

/// `sigaltstack(new, old)`, with the program's RSP `sp`.
pub fn sigaltstack(task: &mut Task, new: u64, old: u64, sp: u64) -> Result<usize, Errno> {
    let report = task.signal.altstack.report(sp);
    if new != 0 {
        let stack: Stack = uaccess::read_value(new)?;
        task.signal.altstack = task.signal.altstack.set(&stack, sp)?;
    }
    if old != 0 {
        uaccess::write_value(old, &report)?;
    }
    Ok(0)
}

/// `kill(pid, signal)`: to one process (`pid` > 0), the caller's group (0), every process but
/// `init` and the caller (-1), or group `-pid`. Signal 0 only checks that the target exists.
pub fn kill(task: &Task, pid: i32, signal: i32) -> Result<usize, Errno> {
    if !(0..=sig::SIGRTMAX).contains(&signal) {
        return Err(Errno::EINVAL);
    }
    let info = SigInfo::from_process(signal, siginfo::SI_USER, task.pid, 0);
    let targets: alloc::vec::Vec<Pid> = match pid {
        i32::MIN => return Err(Errno::ESRCH),
        pid if pid > 0 => alloc::vec![pid as Pid],
        -1 => super::everyone_but(task.pid),
        pid => {
            let group = if pid == 0 {
                super::group_of(task.pid).map_or(0, |(group, _)| group)
            } else {
                pid.unsigned_abs()
            };
            super::members_of(group)
        }
    };
    if targets.is_empty() || (pid > 0 && !super::exists(pid as Pid)) {
        return Err(Errno::ESRCH);
    }
    if signal != 0 {
        for target in targets {
            send(target, info)?;
        }
    }
    Ok(0)
}

/// `tgkill(tgid, tid, signal)` and, with `tgid` `None`, `tkill(tid, signal)`: to one thread,
/// found by its id (in process `tgid`, if given).
pub fn tgkill(task: &Task, tgid: Option<i32>, tid: i32, signal: i32) -> Result<usize, Errno> {
    if tid <= 0 || tgid.is_some_and(|tgid| tgid <= 0) || !(0..=sig::SIGRTMAX).contains(&signal) {
        return Err(Errno::EINVAL);
    }
    let tid = tid as Pid;
    let info = SigInfo::from_process(signal, siginfo::SI_TKILL, task.pid, 0);
    let wake = with_table(|table| {
        let pid = super::process_of_tid(table, tid).ok_or(Errno::ESRCH)?;
        if tgid.is_some_and(|tgid| tgid as Pid != pid) {
            return Err(Errno::ESRCH);
        }
        if signal == 0 {
            return Ok(None);
        }
        queue_for(table, pid, Some(tid), info)
    })?;
    if let Some(wake) = wake {
        wake.deliver();
    }
    Ok(0)
}

/// The earliest deadline of any armed alarm, `u64::MAX` if none: the tick compares against it
/// and looks at the table only when one is due.
static NEXT_ALARM: AtomicU64 = AtomicU64::new(u64::MAX);

/// Called on each timer tick with the time since boot: sends SIGALRM to every process whose
/// alarm is due, and re-arms the periodic ones.
pub fn on_tick(now: u64) {
    if now < NEXT_ALARM.load(Ordering::Relaxed) {
        return;
    }
    let mut wakes = alloc::vec::Vec::new();
    with_table(|table| {
        let due: alloc::vec::Vec<Pid> = table
            .processes
            .iter_mut()
            .filter_map(|(&pid, record)| {
                let alarm = record.signals.alarm.as_mut()?;
                if alarm.deadline > now {
                    return None;
                }
                if alarm.interval == 0 {
                    record.signals.alarm = None;
                } else {
                    alarm.deadline = now + alarm.interval;
                }
                Some(pid)
            })
            .collect();
        for pid in due {
            let info = SigInfo::new(sig::SIGALRM, siginfo::SI_KERNEL);
            if let Ok(Some(wake)) = queue(table, pid, info) {
                wakes.push(wake);
            }
        }
        refresh_next_alarm(table);
    });
    for wake in wakes {
        wake.deliver();
    }
}

/// Whether any process may have an armed CPU-time timer: the tick looks at the table only
/// then. Set by `setitimer`, cleared by a tick that finds none.
static CPU_TIMERS_ARMED: AtomicBool = AtomicBool::new(false);

/// The CPU time a tick stands for.
const NS_PER_TICK: u64 = 1_000_000_000 / crate::time::TICK_HZ;

/// Called on each timer tick (`from_user`: it interrupted ring 3): charges the tick to the
/// CPU-time timers of the running thread's process, and sends SIGVTALRM or SIGPROF for those
/// that run out. Sampling, as the CPU-time clocks do: a tick's whole 10 ms goes to whoever it
/// finds running, which is right on average.
pub fn on_cpu_tick(from_user: bool) {
    if !CPU_TIMERS_ARMED.load(Ordering::Relaxed) {
        return;
    }
    let me = sched::current();
    let mut wakes: [Option<Wake>; 2] = [None, None];
    with_table(|table| {
        let mut armed = false;
        let mut due: [Option<(Pid, i32)>; 2] = [None, None];
        for (&pid, record) in table.processes.iter_mut() {
            if record.signals.cpu_timers.iter().all(Option::is_none) {
                continue;
            }
            armed = true;
            if record.member(me).is_none() {
                continue;
            }
            for clock in [CpuClock::User, CpuClock::UserAndSystem] {
                let slot = &mut record.signals.cpu_timers[clock as usize];
                let Some(timer) = slot else {
                    continue;
                };
                if clock == CpuClock::User && !from_user {
                    continue;
                }
                timer.left = timer.left.saturating_sub(NS_PER_TICK);
                if timer.left == 0 {
                    if timer.interval == 0 {
                        *slot = None;
                    } else {
                        timer.left = timer.interval;
                    }
                    due[clock as usize] = Some((pid, clock.signal()));
                }
            }
        }
        CPU_TIMERS_ARMED.store(armed, Ordering::Relaxed);
        for (wake, (pid, signal)) in wakes.iter_mut().zip(due).filter_map(|(w, d)| Some((w, d?))) {
            let info = SigInfo::new(signal, siginfo::SI_KERNEL);
            *wake = queue(table, pid, info).ok().flatten();
        }
    });
    for wake in wakes.into_iter().flatten() {
        wake.deliver();
    }
}

/// Arms (or with a zero value disarms) `pid`'s timer of `clock` and returns its old setting.
fn set_cpu_timer(pid: Pid, clock: CpuClock, value: u64, interval: u64) -> abi::time::Itimerval {
    with_table(|table| {
        let Some(record) = table.processes.get_mut(&pid) else {
            return abi::time::Itimerval::default();
        };
        let slot = &mut record.signals.cpu_timers[clock as usize];
        let old = report_cpu_timer(*slot);
        *slot = (value != 0).then_some(CpuTimer {
            left: value,
            interval,
        });
        if value != 0 {
            CPU_TIMERS_ARMED.store(true, Ordering::Relaxed);
        }
        old
    })
}

/// What `getitimer` says about a CPU-time timer.
fn report_cpu_timer(timer: Option<CpuTimer>) -> abi::time::Itimerval {
    timer.map_or_else(abi::time::Itimerval::default, |t| abi::time::Itimerval {
        it_interval: ns_timeval(t.interval),
        it_value: ns_timeval(t.left),
    })
}

/// Recomputes [`NEXT_ALARM`] from the table.
fn refresh_next_alarm(table: &Table) {
    let next = table
        .processes
        .values()
        .filter_map(|r| r.signals.alarm.map(|a| a.deadline))
        .min()
        .unwrap_or(u64::MAX);
    NEXT_ALARM.store(next, Ordering::Relaxed);
}

/// Nanoseconds in a microsecond.
const NS_PER_US: u64 = 1_000;
/// Microseconds in a second.
const US_PER_S: u64 = 1_000_000;

/// A `timeval` as nanoseconds; `EINVAL` if negative or its microseconds are out of range.
fn timeval_ns(time: &Timeval) -> Result<u64, Errno> {
    if time.tv_sec < 0 || !(0..US_PER_S as i64).contains(&time.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok((time.tv_sec as u64)
        .saturating_mul(US_PER_S)
        .saturating_add(time.tv_usec as u64)
        .saturating_mul(NS_PER_US))
}

/// Nanoseconds as a `timeval`.
fn ns_timeval(ns: u64) -> Timeval {
    let us = ns.div_ceil(NS_PER_US);
    Timeval {
        tv_sec: (us / US_PER_S) as i64,
        tv_usec: (us % US_PER_S) as i64,
    }
}

/// Arms (or with a zero value disarms) `pid`'s `ITIMER_REAL` and returns its old setting.
fn set_alarm(pid: Pid, value: u64, interval: u64) -> abi::time::Itimerval {
    let now = crate::time::uptime_ns();
    with_table(|table| {
        let Some(record) = table.processes.get_mut(&pid) else {
            return abi::time::Itimerval::default();
        };
        let old = report_alarm(record.signals.alarm, now);
        record.signals.alarm = (value != 0).then(|| Alarm {
            deadline: now.saturating_add(value),
            interval,
        });
        refresh_next_alarm(table);
        old
    })
}

/// What `getitimer` says about `alarm` at time `now`.
fn report_alarm(alarm: Option<Alarm>, now: u64) -> abi::time::Itimerval {
    alarm.map_or_else(abi::time::Itimerval::default, |a| abi::time::Itimerval {
        it_interval: ns_timeval(a.interval),
        // An alarm due this very tick still reports a moment left, as Linux does.
        it_value: ns_timeval(a.deadline.saturating_sub(now).max(NS_PER_US)),
    })
}

/// `alarm(seconds)`: SIGALRM in `seconds` (0 cancels); returns the seconds the previous alarm
/// had left, rounded to the nearest (and at least 1 if one was armed), as Linux does.
pub fn alarm(task: &Task, seconds: u32) -> Result<usize, Errno> {
    let ns = u64::from(seconds) * US_PER_S * NS_PER_US;
    let old = set_alarm(task.pid, ns, 0).it_value;
    let mut left = old.tv_sec as usize;
    if (left == 0 && old.tv_usec != 0) || old.tv_usec >= (US_PER_S / 2) as i64 {
        left += 1;
    }
    Ok(left)
}

/// `setitimer(which, new, old)`: `ITIMER_REAL` counts real time, `ITIMER_VIRTUAL` and
/// `ITIMER_PROF` the process's CPU time (see [`on_cpu_tick`]).
pub fn setitimer(task: &Task, which: i32, new: u64, old: u64) -> Result<usize, Errno> {
    let clock = CpuClock::of(which);
    if clock.is_none() && which != abi::time::ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let setting: abi::time::Itimerval = if new == 0 {
        abi::time::Itimerval::default()
    } else {
        uaccess::read_value(new)?
    };
    let value = timeval_ns(&setting.it_value)?;
    let interval = timeval_ns(&setting.it_interval)?;
    let previous = match clock {
        Some(clock) => set_cpu_timer(task.pid, clock, value, interval),
        None => set_alarm(task.pid, value, interval),
    };
    if old != 0 {
        uaccess::write_value(old, &previous)?;
    }
    Ok(0)
}

/// `getitimer(which, out)`.
pub fn getitimer(task: &Task, which: i32, out: u64) -> Result<usize, Errno> {
    let clock = CpuClock::of(which);
    if clock.is_none() && which != abi::time::ITIMER_REAL {
        return Err(Errno::EINVAL);
    }
    let now = crate::time::uptime_ns();
    let current = with_table(|table| {
        table
            .processes
            .get(&task.pid)
            .map_or_else(Default::default, |r| match clock {
                Some(clock) => report_cpu_timer(r.signals.cpu_timers[clock as usize]),
                None => report_alarm(r.signals.alarm, now),
            })
    });
    uaccess::write_value(out, &current)?;
    Ok(0)
}

/// The SIGCHLD a parent gets when child `pid` ends with wait status `status`.
pub(super) fn child_ended(pid: Pid, status: i32) -> SigInfo {
    use abi::wait;
    if wait::signaled(status) {
        SigInfo::child(siginfo::CLD_KILLED, pid, wait::term_signal(status), 0, 0)
    } else {
        SigInfo::child(
            siginfo::CLD_EXITED,
            pid,
            i32::from(wait::exit_code(status)),
            0,
            0,
        )
    }
}

/// Whether `parent` lets its ended children go at once instead of keeping zombies: SIGCHLD
/// ignored explicitly, or `SA_NOCLDWAIT`.
pub(super) fn reaps_children(table: &Table, parent: Pid) -> bool {
    table.processes.get(&parent).is_some_and(|r| {
        let action = r.signals.action(sig::SIGCHLD);
        action.handler == sig::SIG_IGN || action.flags & sig::SA_NOCLDWAIT != 0
    })
}

/// After `execve`: handlers go back to the default (the code they pointed to is gone); ignored
/// signals stay ignored, and the mask and pending signals stay.
pub(super) fn exec(task: &mut Task) {
    task.signal.exec();
    with_table(|table| {
        if let Some(record) = table.processes.get_mut(&task.pid) {
            if let Some(actions) = record.signals.actions.as_mut() {
                for action in actions.iter_mut() {
                    if action.handler != sig::SIG_IGN {
                        *action = SigAction::default();
                    }
                }
            }
        }
    });
}
