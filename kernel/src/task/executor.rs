//! The executor: a table of tasks, a queue of the ones that are ready, and a loop that polls
//! them and halts the CPU when there is nothing to do.
//!
//! Tasks live in a fixed table of [`MAX_TASKS`] slots. A task's waker is its slot number and the
//! slot's *generation* (see [`super::waker`]); waking it sets the slot's "queued" flag and, if the
//! flag was clear, puts the slot on the ready queue. The flag makes every task appear at most
//! once on the queue, so the queue (a ring of `MAX_TASKS + 1` atomic words) can never overflow,
//! and a task woken a hundred times before it runs is polled once. Wakers may be called from
//! interrupt handlers: pushing is done with interrupts off, which on one CPU makes every producer
//! take its turn.
//!
//! When there is nothing to do, the executor's thread blocks (the idle thread then halts the
//! CPU, and other threads run); a wake makes it ready again. Before threads exist it halts
//! the CPU itself. Halting without losing a wake-up: the loop turns interrupts off, looks at the queue, and only
//! if it is empty executes `sti; hlt`. An interrupt that arrives after the check is held until
//! `sti` has taken effect, which is after `hlt` has started, so it wakes the CPU instead of being
//! missed (the same pattern as [`crate::tty::input::next_key`]).

use super::waker;
use alloc::boxed::Box;
use alloc::sync::Arc;
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use core::task::{Context, Poll};
use spin::Mutex;
use x86_64::instructions::interrupts;

/// Most tasks alive at once.
pub const MAX_TASKS: usize = 256;
/// Ring slots: one more than the tasks, so a full ring is told from an empty one.
const RING: usize = MAX_TASKS + 1;

/// A task: a future that runs until it completes.
type TaskFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What a slot of the table holds.
enum Entry {
    /// No task.
    Free,
    /// The task is being polled right now (its future is out of the table).
    Running,
    /// A task waiting to be polled or woken.
    Waiting(TaskFuture),
}

/// The task table. Only the executor and `spawn` take this lock, never an interrupt handler.
static TASKS: Mutex<[Entry; MAX_TASKS]> = Mutex::new([const { Entry::Free }; MAX_TASKS]);
/// Per slot: bumped when a task ends, so wakers of the old task do nothing.
static GENERATION: [AtomicU32; MAX_TASKS] = [const { AtomicU32::new(0) }; MAX_TASKS];
/// Per slot: on the ready queue now.
static QUEUED: [AtomicBool; MAX_TASKS] = [const { AtomicBool::new(false) }; MAX_TASKS];
/// The ready queue: slots, oldest at `HEAD`.
static READY: [AtomicUsize; RING] = [const { AtomicUsize::new(0) }; RING];
static HEAD: AtomicUsize = AtomicUsize::new(0);
static TAIL: AtomicUsize = AtomicUsize::new(0);
/// Statistics for `ps`-like reporting and the tests.
static POLLS: AtomicU64 = AtomicU64::new(0);
static COMPLETED: AtomicU64 = AtomicU64::new(0);
static HALTS: AtomicU64 = AtomicU64::new(0);

/// Why a task could not be spawned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// All [`MAX_TASKS`] slots are taken.
    TableFull,
}

/// Counters of the executor's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Tasks alive (waiting or running).
    pub tasks: usize,
    /// Polls so far.
    pub polls: u64,
    /// Tasks that have completed.
    pub completed: u64,
    /// Times the executor halted the CPU for lack of work.
    pub halts: u64,
}

/// Queues `slot` if its generation is still `generation` and it is not queued already. Called
/// by wakers, from tasks or interrupt handlers.
pub(super) fn wake(slot: usize, generation: u32) {
    if slot >= MAX_TASKS || GENERATION[slot].load(Ordering::Acquire) != generation {
        return;
    }
    if QUEUED[slot].swap(true, Ordering::AcqRel) {
        return;
    }
    interrupts::without_interrupts(|| {
        let tail = TAIL.load(Ordering::Relaxed);
        READY[tail].store(slot, Ordering::Relaxed);
        TAIL.store((tail + 1) % RING, Ordering::Release);
        // The thread running the executor may be blocked waiting for work: make it ready.
        if let Some(thread) = *EXECUTOR_THREAD.lock() {
            crate::sched::wake_thread(thread);
        }
    });
}

/// The thread that runs the executor's loop, once it has started (it blocks when idle).
static EXECUTOR_THREAD: Mutex<Option<sched::ThreadId>> = Mutex::new(None);

/// Takes the oldest ready slot.
fn pop_ready() -> Option<usize> {
    let head = HEAD.load(Ordering::Relaxed);
    if head == TAIL.load(Ordering::Acquire) {
        return None;
    }
    let slot = READY[head].load(Ordering::Relaxed);
    HEAD.store((head + 1) % RING, Ordering::Release);
    Some(slot)
}

/// Adds a task; it runs the next time the executor polls.
pub fn spawn(future: impl Future<Output = ()> + Send + 'static) -> Result<(), SpawnError> {
    let future: TaskFuture = Box::pin(future);
    let slot = {
        let mut tasks = TASKS.lock();
        let slot = tasks
            .iter()
            .position(|e| matches!(e, Entry::Free))
            .ok_or(SpawnError::TableFull)?;
        tasks[slot] = Entry::Waiting(future);
        slot
    };
    wake(slot, GENERATION[slot].load(Ordering::Acquire));
    Ok(())
}

/// Polls every task that is ready now, once each (a task woken again while running is polled
/// again in this call). Returns how many polls it made.
pub fn run_ready() -> usize {
    let mut polls = 0;
    while let Some(slot) = pop_ready() {
        QUEUED[slot].store(false, Ordering::Release);
        let entry = core::mem::replace(&mut TASKS.lock()[slot], Entry::Running);
        let Entry::Waiting(mut future) = entry else {
            TASKS.lock()[slot] = entry;
            continue;
        };
        let generation = GENERATION[slot].load(Ordering::Acquire);
        let waker = waker::for_task(slot, generation);
        polls += 1;
        POLLS.fetch_add(1, Ordering::Relaxed);
        match future.as_mut().poll(&mut Context::from_waker(&waker)) {
            Poll::Ready(()) => {
                // Stale wakers of this task now do nothing; the slot is free for another.
                GENERATION[slot].fetch_add(1, Ordering::AcqRel);
                QUEUED[slot].store(false, Ordering::Release);
                TASKS.lock()[slot] = Entry::Free;
                COMPLETED.fetch_add(1, Ordering::Relaxed);
                drop(future);
            }
            Poll::Pending => TASKS.lock()[slot] = Entry::Waiting(future),
        }
    }
    polls
}

/// Halts the CPU until an interrupt, unless a task is ready; never misses a wake-up (see the
/// module documentation).
fn idle() {
    interrupts::disable();
    if HEAD.load(Ordering::Acquire) == TAIL.load(Ordering::Acquire) {
        HALTS.fetch_add(1, Ordering::Relaxed);
        if crate::sched::started() {
            // Block this thread until a wake queues a task; the idle thread halts the CPU and
            // other threads run meanwhile. Interrupts stay off from the check to the block, and
            // a wake that comes first is remembered by the scheduler, so none is lost.
            *EXECUTOR_THREAD.lock() = Some(crate::sched::current());
            crate::sched::block_current();
            interrupts::enable();
        } else {
            interrupts::enable_and_hlt();
        }
    } else {
        interrupts::enable();
    }
}

/// Runs the tasks forever.
pub fn run() -> ! {
    loop {
        run_ready();
        idle();
    }
}

/// Runs `future` as a task, with the other tasks, until it completes; returns its output.
pub fn block_on<T: Send + 'static>(
    future: impl Future<Output = T> + Send + 'static,
) -> Result<T, SpawnError> {
    let result: Arc<Mutex<Option<T>>> = Arc::new(Mutex::new(None));
    let slot = Arc::clone(&result);
    spawn(async move {
        let value = future.await;
        *slot.lock() = Some(value);
    })?;
    loop {
        run_ready();
        if let Some(value) = result.lock().take() {
            return Ok(value);
        }
        idle();
    }
}

/// What the executor has done so far.
pub fn stats() -> Stats {
    let tasks = TASKS
        .lock()
        .iter()
        .filter(|e| !matches!(e, Entry::Free))
        .count();
    Stats {
        tasks,
        polls: POLLS.load(Ordering::Relaxed),
        completed: COMPLETED.load(Ordering::Relaxed),
        halts: HALTS.load(Ordering::Relaxed),
    }
}
