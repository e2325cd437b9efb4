//! Kernel threads: spawn, join, sleep, yield, and preemption by the timer.
//!
//! Each thread has its own kernel stack (with a guard page, see [`stack`]); switching threads
//! is switching stacks ([`context`]). Which thread runs, and when, is decided by the `sched`
//! crate's round-robin policy, tested on the host: the timer interrupt charges each tick to the
//! running thread, and when its time slice is over and another thread is ready, the interrupt
//! handler switches to it. That is *preemption*: a thread that never yields still gives up the
//! CPU. The boot thread (slot 0, on the boot stack, running the async executor) and the idle
//! thread (slot 1, halting the CPU) are threads like the others.
//!
//! Locking: the scheduler's state is one lock, always taken with interrupts off, so the timer
//! handler never waits for it. A thread is never switched away while it holds that lock: the
//! switch happens after it is released. Resources of exited threads (their stacks, their
//! closures) are released by [`join`], in ordinary thread context, never in the timer handler,
//! where freeing memory could wait for an allocator lock the interrupted thread holds.

pub mod stack;
pub mod sync;

use crate::arch::x86_64::context;
use crate::arch::x86_64::fpu::FpuState;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use sched::{Policy, Scheduler, State, ThreadId, Tick, MAX_THREADS};
use spin::Mutex;
use stack::Stack;
use x86_64::instructions::interrupts;

/// Ticks a thread may run before another ready thread gets the CPU: 2 ticks, 20 ms.
pub const TIME_SLICE_TICKS: u32 = 2;

/// What a thread runs; it returns the thread waiting to join it, if any, to be woken on exit.
type Entry = Box<dyn FnOnce() -> Option<ThreadId> + Send>;

/// Per-thread records that belong with the scheduler. Guarded by [`KERNEL`].
struct Threads {
    sched: Scheduler,
    entries: [Option<Entry>; MAX_THREADS],
    stacks: [Option<Stack>; MAX_THREADS],
    names: [&'static str; MAX_THREADS],
}

/// The scheduler and the thread records, once [`init`] has run. Taken only with interrupts off,
/// through [`locked`].
static KERNEL: Mutex<Option<Threads>> = Mutex::new(None);

/// Takes the scheduler lock. Interrupts must be off: a timer interrupt arriving while this CPU
/// holds the lock would spin on it in [`on_tick`] for ever. Checked here, where the mistake is
/// made, rather than found as a hang.
fn locked() -> spin::MutexGuard<'static, Option<Threads>> {
    debug_assert!(
        !interrupts::are_enabled(),
        "the scheduler lock taken with interrupts on"
    );
    KERNEL.lock()
}

/// Saved stack pointers, one per thread slot, written by the context switch.
struct SavedStacks([UnsafeCell<u64>; MAX_THREADS]);

// SAFETY: a slot is only read or written with interrupts off, on the one CPU, by the switch of
// the thread that owns it or to it; no two accesses can overlap.
unsafe impl Sync for SavedStacks {}

/// Each slot holds the stack pointer to resume its thread at, or 0 when there is none: the
/// thread is running (its pointer was consumed by the switch to it), or the slot is free or
/// being prepared. [`schedule`] refuses to switch to a 0, so a switch to a thread without a
/// saved context stops with a clear panic instead of running on a stale or null stack.
static SAVED_RSP: SavedStacks = SavedStacks([const { UnsafeCell::new(0) }; MAX_THREADS]);

/// What the switch installs for a thread that runs user code: its address space, the kernel
/// stack its traps enter on, and its FS base (thread-local storage). All 0 for a kernel thread,
/// which runs in the kernel's own address space.
struct UserContext {
    /// The physical address of the thread's top-level page table (CR3), or 0.
    root: core::sync::atomic::AtomicU64,
    /// Where its traps from user mode start on its kernel stack (TSS `rsp0`), or 0.
    kernel_entry: core::sync::atomic::AtomicU64,
    /// Its FS base.
    fs_base: core::sync::atomic::AtomicU64,
}

/// Per thread slot. Written by the thread itself (through [`set_address_space`] and friends),
/// read by the switch to it.
static USER: [UserContext; MAX_THREADS] = [const {
    UserContext {
        root: core::sync::atomic::AtomicU64::new(0),
        kernel_entry: core::sync::atomic::AtomicU64::new(0),
        fs_base: core::sync::atomic::AtomicU64::new(0),
    }
}; MAX_THREADS];

/// Makes the running thread run in the address space whose root table is at `root` (0: the
/// kernel's), from now on and whenever it is switched to.
pub fn set_address_space(root: u64) {
    interrupts::without_interrupts(|| {
        USER[current()].root.store(root, Ordering::Relaxed);
        load_root(root);
    });
}

/// Makes `top` the running thread's kernel entry stack for traps from user mode, now and
/// whenever it is switched to. For `arch::x86_64::user::enter`'s callback.
pub extern "C" fn set_kernel_entry(top: u64) {
    interrupts::without_interrupts(|| {
        USER[current()].kernel_entry.store(top, Ordering::Relaxed);
        crate::arch::x86_64::user::set_kernel_stack(top);
    });
}

/// Sets the running thread's FS base (the user's thread pointer), now and whenever it is
/// switched to.
pub fn set_fs_base(base: u64) {
    interrupts::without_interrupts(|| {
        USER[current()].fs_base.store(base, Ordering::Relaxed);
        x86_64::registers::model_specific::FsBase::write(x86_64::VirtAddr::new_truncate(base));
    });
}

/// Loads `root` (0: the kernel's tables) into CR3 unless it is there already: a CR3 write
/// flushes the TLB, which the next thread would pay for in misses.
fn load_root(root: u64) {
    use x86_64::registers::control::Cr3;
    let root = if root == 0 {
        crate::mm::kernel_root()
    } else {
        root
    };
    let (current, flags) = Cr3::read();
    if root != 0 && current.start_address().as_u64() != root {
        let frame =
            x86_64::structures::paging::PhysFrame::containing_address(x86_64::PhysAddr::new(root));
        // SAFETY: `root` is the kernel's top-level table or a process's, whose kernel half is the
        // kernel's (see `mm::space`), so the code running now stays mapped at the same address.
        unsafe { Cr3::write(frame, flags) };
    }
}

/// Installs what thread `next` runs with (see [`UserContext`]); with interrupts off, just
/// before the switch to it.
fn install(next: ThreadId) {
    let user = &USER[next];
    load_root(user.root.load(Ordering::Relaxed));
    let entry = user.kernel_entry.load(Ordering::Relaxed);
    if entry != 0 {
        crate::arch::x86_64::user::set_kernel_stack(entry);
        x86_64::registers::model_specific::FsBase::write(x86_64::VirtAddr::new_truncate(
            user.fs_base.load(Ordering::Relaxed),
        ));
    }
}

/// Each thread's x87/SSE registers while it is not running (see `arch::x86_64::fpu`).
struct FpuStates([UnsafeCell<FpuState>; MAX_THREADS]);

// SAFETY: as for `SavedStacks`: a slot is touched only with interrupts off, on the one CPU, by
// the switch away from or to its thread, or by `spawn` before its thread exists.
unsafe impl Sync for FpuStates {}

/// Zeroed, so in `.bss`; each slot gets `FpuState::initial` when its thread is made (the boot
/// thread's is saved from the CPU at its first switch).
static FPU: FpuStates = FpuStates([const { UnsafeCell::new(FpuState::zeroed()) }; MAX_THREADS]);

/// A function [`spawn`] calls between reserving the new thread's slot and starting it, with
/// interrupts on. Tests set it to yield there, which makes the window in which a
/// timer tick could once switch to the half-made thread certain instead of rare (issue 9).
static SPAWN_PAUSE: Mutex<Option<fn()>> = Mutex::new(None);

/// Sets (or clears) the function [`spawn`] runs inside its window; for tests.
pub fn set_spawn_pause(pause: Option<fn()>) {
    *SPAWN_PAUSE.lock() = pause;
}

/// Why a thread could not be spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// [`init`] has not run.
    NotStarted,
    /// All thread slots are taken.
    TooManyThreads,
    /// No memory for the thread's stack.
    OutOfMemory,
}

/// A spawned thread's result, shared between the thread and its [`JoinHandle`].
struct Packet<T> {
    result: Mutex<Option<T>>,
    joiner: Mutex<Option<ThreadId>>,
}

/// Waits for a thread and takes its result.
pub struct JoinHandle<T> {
    tid: ThreadId,
    packet: Arc<Packet<T>>,
}

impl<T> JoinHandle<T> {
    /// The thread's id.
    pub fn id(&self) -> ThreadId {
        self.tid
    }

    /// Whether the thread has produced its result (`join` will then not block for long).
    pub fn is_finished(&self) -> bool {
        interrupts::without_interrupts(|| self.packet.result.lock().is_some())
    }
}

/// Per thread slot: asked to stop (see [`request_stop`]).
static STOP: [core::sync::atomic::AtomicBool; MAX_THREADS] =
    [const { core::sync::atomic::AtomicBool::new(false) }; MAX_THREADS];

/// Per thread slot: blocked in [`block_interruptible`], so a stop request wakes it.
static INTERRUPTIBLE: [core::sync::atomic::AtomicBool; MAX_THREADS] =
    [const { core::sync::atomic::AtomicBool::new(false) }; MAX_THREADS];

/// As [`block_on_queue`], but a [`request_stop`] wakes the thread too. The caller must take
/// itself off its wait queue after waking (whoever woke it), and then check [`should_stop`].
/// Returns at once, without blocking, if a stop is already pending.
pub(crate) fn block_interruptible(enqueue: impl FnOnce(ThreadId) -> bool) {
    let me = current();
    if stop_requested(me) {
        return;
    }
    INTERRUPTIBLE[me].store(true, Ordering::Relaxed);
    block_on_queue(|me| {
        // Checked again with interrupts off: a stop requested after the check above, but
        // before the thread is marked blocked, would otherwise find it running and not wake it.
        !stop_requested(me) && enqueue(me)
    });
    INTERRUPTIBLE[me].store(false, Ordering::Relaxed);
}

/// As [`block_interruptible`], with a timeout: the thread also wakes once `timeout` has passed
/// (at tick granularity, never early). `None` waits without one.
pub(crate) fn block_interruptible_for(
    timeout: Option<Duration>,
    enqueue: impl FnOnce(ThreadId) -> bool,
) {
    let Some(timeout) = timeout else {
        return block_interruptible(enqueue);
    };
    let me = current();
    if stop_requested(me) {
        return;
    }
    // One tick more than the time covers, as in `sleep`: the first tick may come at once.
    let ticks = ticks_for(timeout) + 1;
    INTERRUPTIBLE[me].store(true, Ordering::Relaxed);
    interrupts::without_interrupts(|| {
        if stop_requested(me) || !enqueue(me) {
            return;
        }
        let blocked = locked()
            .as_mut()
            .is_some_and(|t| t.sched.block_current_for(ticks));
        if blocked {
            schedule();
        }
    });
    INTERRUPTIBLE[me].store(false, Ordering::Relaxed);
}

/// Whole ticks that cover `duration`.
fn ticks_for(duration: Duration) -> u64 {
    let tick_ns = 1_000_000_000 / crate::time::TICK_HZ;
    (duration.as_nanos() as u64).div_ceil(tick_ns)
}

/// Asks thread `tid` to stop at its next check of [`should_stop`]: Ferrite's `kill` is
/// cooperative, because a thread stopped at an arbitrary instruction could leave a lock held or
/// a structure half-changed. Returns false if there is no such thread (or it is boot or idle).
pub fn request_stop(tid: ThreadId) -> bool {
    if !(2..MAX_THREADS).contains(&tid) {
        return false;
    }
    interrupts::without_interrupts(|| {
        let mut guard = locked();
        let Some(threads) = guard.as_mut() else {
            return false;
        };
        match threads.sched.thread(tid).map(|t| t.state) {
            None | Some(State::Exited) => false,
            Some(state) => {
                STOP[tid].store(true, Ordering::Relaxed);
                // A sleeping thread notices at once, and so does one blocked interruptibly
                // (a pipe, a terminal), which takes itself off its queue when it wakes. A
                // thread blocked on a lock or a join is left alone: woken, it would queue itself
                // a second time, and a later release would wake the stale entry instead of a
                // real waiter.
                let interruptible =
                    state == State::Blocked && INTERRUPTIBLE[tid].load(Ordering::Relaxed);
                if matches!(state, State::Sleeping { .. }) || interruptible {
                    let _ = threads.sched.wake(tid);
                }
                true
            }
        }
    })
}

/// Withdraws the running thread's stop request: a process's thread does, once it has looked at
/// what the request was for (its pending signals), so that the next blocking call blocks again.
pub fn clear_stop() {
    STOP[current()].store(false, Ordering::Relaxed);
}

/// Whether the running thread has been asked to stop.
pub fn should_stop() -> bool {
    stop_requested(current())
}

/// Whether thread `tid` has been asked to stop (for a caller that already knows its own id).
pub fn stop_requested(tid: ThreadId) -> bool {
    STOP.get(tid)
        .is_some_and(|stop| stop.load(Ordering::Relaxed))
}

/// Threads nobody joins yet (the console's demos): joined once they finish, by
/// [`reap_finished`].
static ORPHANS: Mutex<alloc::vec::Vec<JoinHandle<()>>> = Mutex::new(alloc::vec::Vec::new());

/// Keeps `handle` to be joined when its thread finishes.
pub fn detach(handle: JoinHandle<()>) {
    ORPHANS.lock().push(handle);
}

/// Joins every detached thread that has finished, freeing its stack. Call from thread context.
pub fn reap_finished() -> usize {
    let finished: alloc::vec::Vec<JoinHandle<()>> = {
        let mut orphans = ORPHANS.lock();
        let (done, running): (alloc::vec::Vec<_>, alloc::vec::Vec<_>) =
            orphans.drain(..).partition(JoinHandle::is_finished);
        *orphans = running;
        done
    };
    let count = finished.len();
    finished.into_iter().for_each(JoinHandle::join);
    count
}

/// A thread's line for `ps`.
#[derive(Debug, Clone, Copy)]
pub struct ThreadInfo {
    /// Its id.
    pub id: ThreadId,
    /// Its name.
    pub name: &'static str,
    /// Its state.
    pub state: State,
    /// Ticks it has run.
    pub cpu_ticks: u64,
}

/// Makes the running code the boot thread and starts the idle thread. Call once, with the heap
/// and the timer up.
pub fn init() -> Result<(), SpawnError> {
    let idle_stack = Stack::map(1).map_err(|_| SpawnError::OutOfMemory)?;
    // SAFETY: the stack was just mapped for slot 1 and nothing runs on it yet.
    let idle_rsp = unsafe { context::prepare_stack(idle_stack.top(), thread_entry) };
    let mut threads = Threads {
        sched: Scheduler::new(Policy {
            time_slice: TIME_SLICE_TICKS,
        }),
        entries: [const { None }; MAX_THREADS],
        stacks: [const { None }; MAX_THREADS],
        names: [""; MAX_THREADS],
    };
    threads.names[0] = "boot";
    threads.names[1] = "idle";
    threads.entries[1] = Some(Box::new(|| loop {
        // Sleep until the next interrupt. If its handler made a thread ready (a disk request
        // done, a key for a reader), switch to it now rather than at the next tick: waiting
        // for the tick made every disk request cost up to 10 ms.
        HALTED_SINCE.store(crate::arch::x86_64::read_tsc(), Ordering::Relaxed);
        interrupts::enable_and_hlt();
        schedule();
    }));
    // (The idle closure never returns, so its type's `Option<ThreadId>` is never produced.)
    threads.stacks[1] = Some(idle_stack);
    interrupts::without_interrupts(|| {
        // SAFETY: interrupts are off and slot 1 is not running.
        unsafe {
            *SAVED_RSP.0[1].get() = idle_rsp;
            *FPU.0[1].get() = FpuState::initial();
        }
        *locked() = Some(threads);
    });
    Ok(())
}

/// Starts a thread running `f`, named `name`; returns a handle to join it.
///
/// The new thread's stop request (see [`request_stop`]) starts cleared.
pub fn spawn<T: Send + 'static>(
    name: &'static str,
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<JoinHandle<T>, SpawnError> {
    let packet = Arc::new(Packet {
        result: Mutex::new(None),
        joiner: Mutex::new(None),
    });
    let theirs = Arc::clone(&packet);
    let entry: Entry = Box::new(move || {
        let value = f();
        // With interrupts off, like every taker of these two locks: a thread preempted while
        // holding one would leave `join`, which spins on them with interrupts off, spinning
        // for ever on one CPU.
        interrupts::without_interrupts(|| {
            *theirs.result.lock() = Some(value);
            theirs.joiner.lock().take()
        })
    });
    // Creating a thread takes three steps, and the order matters: a timer tick can preempt this
    // code between any two of them. (1) Reserve a slot: the thread exists but is `New`, which
    // the scheduler never picks. (2) Map its stack and write the first context the switch will
    // load. (3) Only now make it ready. Made ready in step 1, as Ferrite once did, a tick during
    // step 2 could switch to it with no stack pointer saved (issue 9's double fault).
    let tid = interrupts::without_interrupts(|| {
        let mut guard = locked();
        let threads = guard.as_mut().ok_or(SpawnError::NotStarted)?;
        threads
            .sched
            .reserve()
            .map_err(|_| SpawnError::TooManyThreads)
    })?;
    let pause = *SPAWN_PAUSE.lock();
    if let Some(pause) = pause {
        pause();
    }
    let stack = match Stack::map(tid) {
        Ok(stack) => stack,
        Err(_) => {
            interrupts::without_interrupts(|| {
                if let Some(threads) = locked().as_mut() {
                    let _ = threads.sched.abandon(tid);
                }
            });
            return Err(SpawnError::OutOfMemory);
        }
    };
    // SAFETY: the stack was just mapped for this slot and nothing runs on it.
    let rsp = unsafe { context::prepare_stack(stack.top(), thread_entry) };
    STOP[tid].store(false, Ordering::Relaxed);
    USER_TICKS[tid].store(0, Ordering::Relaxed);
    let user = &USER[tid];
    user.root.store(0, Ordering::Relaxed);
    user.kernel_entry.store(0, Ordering::Relaxed);
    user.fs_base.store(0, Ordering::Relaxed);
    interrupts::without_interrupts(|| {
        // SAFETY: interrupts are off; the slot's thread is `New`, so no switch reads its saved
        // stack pointer or its FPU state before these writes.
        unsafe {
            *SAVED_RSP.0[tid].get() = rsp;
            *FPU.0[tid].get() = FpuState::initial();
        }
        let mut guard = locked();
        let threads = guard.as_mut().expect("threads were started above");
        threads.entries[tid] = Some(entry);
        threads.stacks[tid] = Some(stack);
        threads.names[tid] = name;
        threads
            .sched
            .start(tid)
            .expect("a reserved thread starts once");
    });
    Ok(JoinHandle { tid, packet })
}

/// Where a new thread starts (through the trampoline of [`context`]), with interrupts off.
extern "C" fn thread_entry() -> ! {
    let entry = interrupts::without_interrupts(|| {
        let mut guard = locked();
        let threads = guard.as_mut().expect("threads exist once one runs");
        let current = threads.sched.current();
        threads.entries[current].take()
    });
    interrupts::enable();
    // The closure's box is freed when the call returns, before the thread exits.
    let joiner = entry.and_then(|entry| entry());
    exit(joiner)
}

/// Ends the running thread, waking `joiner` if it waits. Never returns.
fn exit(joiner: Option<ThreadId>) -> ! {
    interrupts::disable();
    if let Some(threads) = locked().as_mut() {
        threads.sched.exit_current();
        if let Some(joiner) = joiner {
            let _ = threads.sched.wake(joiner);
        }
    }
    schedule();
    unreachable!("an exited thread was scheduled again");
}

/// TSC ticks the idle thread has spent halted since boot (`/proc/idle`). Under icount a halt
/// jumps the clock to the next timer deadline, so a benchmark that waits for a device subtracts
/// these to count only the instructions that ran.
static IDLE_TSC: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// When the idle thread last halted the CPU (0: the CPU is not halted).
static HALTED_SINCE: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// TSC ticks spent halted with nothing to run, since boot.
pub fn idle_tsc() -> u64 {
    IDLE_TSC.load(Ordering::Relaxed)
}

/// Called at the start of every interrupt, with its TSC: if the interrupt ended a halt, the
/// halt's length is idle time. (Only an interrupt ends a halt, and its handler may switch to
/// another thread before the idle thread runs again, so the idle thread cannot measure this
/// itself.)
pub fn interrupt_arrived(now: u64) {
    let since = HALTED_SINCE.swap(0, Ordering::Relaxed);
    if since != 0 {
        IDLE_TSC.fetch_add(now.saturating_sub(since), Ordering::Relaxed);
    }
}

/// Switches to the next thread if the scheduler picks another one. The running thread must
/// already be in the state it should wait in (ready, blocked, sleeping, exited).
pub fn schedule() {
    interrupts::without_interrupts(|| {
        let Some((previous, next)) = locked().as_mut().map(|t| t.sched.switch()) else {
            return;
        };
        if previous == next {
            return;
        }
        // Take the next thread's saved stack pointer, leaving 0: while it runs, it has none.
        // SAFETY: interrupts are off, and `next` is not running, so no switch touches its slot.
        let next_rsp = unsafe { core::mem::replace(&mut *SAVED_RSP.0[next].get(), 0) };
        assert!(
            next_rsp != 0,
            "switch from thread {previous} to thread {next}, which has no saved context"
        );
        install(next);
        CURRENT.store(next, Ordering::Relaxed);
        // SAFETY: interrupts are off and `previous` runs, `next` does not: no one else touches
        // either slot (see `FpuStates`).
        unsafe {
            (*FPU.0[previous].get()).save();
            (*FPU.0[next].get()).restore();
        }
        // SAFETY: interrupts are off; `previous` is the running thread (its slot receives the
        // stack pointer) and `next_rsp` was saved by a switch away from `next` or prepared by
        // `spawn` (a slot is 0 otherwise, checked above).
        unsafe { context::switch(SAVED_RSP.0[previous].get(), next_rsp) };
        // Running again. If a preemption brought us here, record what it cost.
        let start = PREEMPT_START.swap(0, Ordering::Relaxed);
        if start != 0 {
            let now = crate::arch::x86_64::read_tsc();
            PREEMPT_COST.store(now.saturating_sub(start), Ordering::Relaxed);
        }
    });
}

/// TSC when the tick that is preempting began (0: none in flight), for [`preempt_cost`].
static PREEMPT_START: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
/// TSC ticks from the start of the last preempting tick's handling to the next thread running.
static PREEMPT_COST: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// The load averages (`/proc/loadavg`, `sysinfo`). Changed by the timer interrupt; taken with
/// interrupts off.
static LOAD: Mutex<::sched::load::LoadAverage> = Mutex::new(::sched::load::LoadAverage::new());
/// Ticks between two samples of the load.
const LOAD_SAMPLE_TICKS: u64 = ::sched::load::SAMPLE_SECONDS * crate::time::TICK_HZ;

/// Index in [`CPU_TICKS`] of ticks spent in programs.
const USER_TICK: usize = 0;
/// Index in [`CPU_TICKS`] of ticks spent in the kernel.
const SYSTEM_TICK: usize = 1;
/// Index in [`CPU_TICKS`] of ticks spent idle.
const IDLE_TICK: usize = 2;

/// Where the CPU's ticks went, as the tick found it: `[user, system, idle]` (`/proc/stat`). A
/// tick that interrupts ring 3 is a program's; one that interrupts the idle thread is idle time;
/// any other is the kernel's (a system call, a kernel thread, an interrupt handler). Sampling
/// the interrupted mode at each tick is how Linux splits the time too: cheap, and right on
/// average.
static CPU_TICKS: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
/// Per thread slot: ticks that found its thread in ring 3 (the rest of its `cpu_ticks` it spent
/// in the kernel). Reset when the slot gets a new thread.
static USER_TICKS: [AtomicU64; MAX_THREADS] = [const { AtomicU64::new(0) }; MAX_THREADS];

/// The CPU's ticks since boot, `[user, system, idle]`.
pub fn cpu_ticks() -> [u64; 3] {
    CPU_TICKS
        .each_ref()
        .map(|ticks| ticks.load(Ordering::Relaxed))
}

/// Ticks that found thread `tid` running in ring 3.
pub fn user_ticks(tid: ThreadId) -> u64 {
    USER_TICKS
        .get(tid)
        .map_or(0, |ticks| ticks.load(Ordering::Relaxed))
}

/// The idle thread, once [`init`] has run: it runs only when nothing else can, so it is never
/// counted as load.
pub fn idle_thread() -> Option<ThreadId> {
    interrupts::without_interrupts(|| locked().as_ref().map(|t| t.sched.idle()))
}

/// The load averages over 1, 5 and 15 minutes.
pub fn load_average() -> ::sched::load::LoadAverage {
    interrupts::without_interrupts(|| *LOAD.lock())
}

/// Called by the timer interrupt after its EOI: charges the tick and preempts if the running
/// thread's slice is over. `tick_start` is the TSC when the interrupt's handling began;
/// `from_user` says whether the tick interrupted ring 3.
pub fn on_tick(tick_start: u64, from_user: bool) {
    let decision = locked().as_mut().map(|t| {
        let running = current();
        let kind = if running == t.sched.idle() {
            IDLE_TICK
        } else if from_user {
            USER_TICKS[running].fetch_add(1, Ordering::Relaxed);
            USER_TICK
        } else {
            SYSTEM_TICK
        };
        CPU_TICKS[kind].fetch_add(1, Ordering::Relaxed);
        if t.sched.now() % LOAD_SAMPLE_TICKS == 0 {
            // Threads that want the CPU: running or in the run queue, the idle thread aside.
            let idle = t.sched.idle();
            let active = (0..MAX_THREADS)
                .filter(|&tid| tid != idle)
                .filter_map(|tid| t.sched.thread(tid))
                .filter(|thread| matches!(thread.state, State::Running | State::Ready))
                .count();
            LOAD.lock().sample(active as u32);
        }
        t.sched.tick()
    });
    if decision == Some(Tick::Switch) {
        PREEMPT_START.store(tick_start, Ordering::Relaxed);
        schedule();
    }
}

/// The last preemption's cost, in TSC ticks (instructions under `-icount`): from the timer
/// interrupt's handler starting in one thread to the next thread running.
pub fn preempt_cost() -> u64 {
    PREEMPT_COST.load(Ordering::Relaxed)
}

/// Gives the rest of the running thread's slice to the next ready thread.
pub fn yield_now() {
    schedule();
}

/// Blocks the running thread for at least `duration` without using the CPU.
pub fn sleep(duration: Duration) {
    // One tick more than the duration covers: the first tick may come at once.
    let ticks = ticks_for(duration) + 1;
    interrupts::without_interrupts(|| {
        // A stop asked for before the sleep began ends it before it begins, as one asked for
        // during it does (see `request_stop`).
        if should_stop() {
            return;
        }
        if let Some(threads) = locked().as_mut() {
            threads.sched.sleep_current(ticks);
        }
        schedule();
    });
}

/// With interrupts off, runs `enqueue` (which puts the running thread on some wait queue and
/// says whether it must wait), then blocks the thread until [`wake`]. Doing both with interrupts
/// off is what keeps a wake from slipping in between and being lost.
pub(crate) fn block_on_queue(enqueue: impl FnOnce(ThreadId) -> bool) {
    interrupts::without_interrupts(|| {
        let me = current();
        if !enqueue(me) {
            return;
        }
        let blocked = locked().as_mut().is_some_and(|t| t.sched.block_current());
        if blocked {
            schedule();
        }
    });
}

/// Whether threads have been set up ([`init`] ran).
pub fn started() -> bool {
    interrupts::without_interrupts(|| locked().is_some())
}

/// Blocks the running thread until [`wake_thread`] (at once if a wake came first). Interrupts
/// must be off, and the caller must have made sure someone will wake it.
pub fn block_current() {
    block_on_queue(|_| true);
}

/// Makes a blocked thread ready; safe from interrupt handlers.
pub fn wake_thread(tid: ThreadId) {
    wake(tid);
}

/// Makes a blocked thread ready.
pub(crate) fn wake(tid: ThreadId) {
    interrupts::without_interrupts(|| {
        if let Some(threads) = locked().as_mut() {
            let _ = threads.sched.wake(tid);
        }
    });
}

/// The running thread's id, kept beside the scheduler's own record so that reading it takes no
/// lock: the system-call path asks for it on every call. Written only by [`schedule`], with
/// interrupts off, just before the switch to the thread it names.
static CURRENT: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);

/// The running thread's id (0 before [`init`]).
pub fn current() -> ThreadId {
    CURRENT.load(Ordering::Relaxed)
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish, frees its stack, and returns its result.
    pub fn join(self) -> T {
        loop {
            // Register as the joiner and check for the result with interrupts off, so the
            // thread cannot finish in between (the lost wake-up).
            let done = interrupts::without_interrupts(|| {
                if let Some(value) = self.packet.result.lock().take() {
                    return Some(value);
                }
                *self.packet.joiner.lock() = Some(current());
                if let Some(threads) = locked().as_mut() {
                    threads.sched.block_current();
                }
                None
            });
            if let Some(value) = done {
                reap(self.tid);
                return value;
            }
            schedule();
        }
    }
}

/// Frees an exited thread's slot and stack (from thread context, see the module notes).
fn reap(tid: ThreadId) {
    loop {
        // First the stack, while the slot stays taken (`Exited`): were the slot freed first, a
        // `spawn` in between could take it and find the old stack still mapped there.
        let stack = interrupts::without_interrupts(|| {
            let mut guard = locked();
            let threads = guard.as_mut()?;
            if threads.sched.thread(tid).map(|t| t.state) != Some(State::Exited) {
                return None; // still finishing its last steps: try again after a yield
            }
            Some(threads.stacks[tid].take())
        });
        let Some(stack) = stack else {
            yield_now();
            continue;
        };
        // The stack is dropped (unmapped, frames freed) here, with interrupts on.
        drop(stack);
        interrupts::without_interrupts(|| {
            if let Some(threads) = locked().as_mut() {
                let _ = threads.sched.reap(tid);
                // SAFETY: interrupts are off and the thread has exited for good: its last
                // switch away wrote this slot, and nothing will read it. A stale pointer left
                // here would resume a dead thread's unmapped stack if the slot were ever
                // switched to unstarted.
                unsafe { *SAVED_RSP.0[tid].get() = 0 };
                threads.entries[tid] = None;
                threads.names[tid] = "";
            }
        });
        return;
    }
}

/// Every live thread, for `ps`.
pub fn threads(mut visit: impl FnMut(ThreadInfo)) {
    let snapshot = interrupts::without_interrupts(|| {
        let guard = locked();
        let mut list = [None; MAX_THREADS];
        if let Some(threads) = guard.as_ref() {
            for (tid, slot) in list.iter_mut().enumerate() {
                *slot = threads.sched.thread(tid).map(|t| ThreadInfo {
                    id: tid,
                    name: threads.names[tid],
                    state: t.state,
                    cpu_ticks: t.cpu_ticks,
                });
            }
        }
        list
    });
    snapshot.iter().flatten().for_each(|info| visit(*info));
}
