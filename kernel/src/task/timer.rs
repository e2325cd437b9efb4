//! `sleep(duration)` for tasks, driven by the timer tick.
//!
//! A sleeping task's waker goes into a priority queue ordered by deadline. On every tick the
//! timer interrupt ([`on_tick`]) wakes the tasks whose deadline has passed, earliest first. The
//! queue's lock is taken by the interrupt handler, so task code takes it only with interrupts
//! off; on one CPU the two can then never wait for each other. Pushing may allocate (the heap
//! grows), but only in task code; the handler only pops, which never allocates, and the wakers it
//! drops are the executor's, whose drop does nothing.
//!
//! A sleep ends no earlier than asked (the future checks the clock itself) and, since wakers run
//! on ticks, at most one tick (10 ms) later, plus whatever the other tasks take before this one is
//! polled again.

use crate::time;
use alloc::collections::BinaryHeap;
use core::cmp::{Ordering as CmpOrdering, Reverse};
use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU64, Ordering};
use core::task::{Context, Poll, Waker};
use core::time::Duration;
use spin::Mutex;
use x86_64::instructions::interrupts;

/// A sleeping task: when, in which order it asked, and whom to wake.
struct Sleeper {
    deadline_ns: u64,
    order: u64,
    waker: Waker,
}

impl PartialEq for Sleeper {
    fn eq(&self, other: &Self) -> bool {
        (self.deadline_ns, self.order) == (other.deadline_ns, other.order)
    }
}

impl Eq for Sleeper {}

impl PartialOrd for Sleeper {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Sleeper {
    /// By deadline, then by who asked first, so equal deadlines wake in order.
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (self.deadline_ns, self.order).cmp(&(other.deadline_ns, other.order))
    }
}

/// The sleepers, earliest deadline on top. Taken by the tick handler; elsewhere only with
/// interrupts off.
static SLEEPERS: Mutex<BinaryHeap<Reverse<Sleeper>>> = Mutex::new(BinaryHeap::new());
/// Hands out the tie-breaking order.
static NEXT_ORDER: AtomicU64 = AtomicU64::new(0);

/// Waits at least `duration`.
pub fn sleep(duration: Duration) -> Sleep {
    let now = time::uptime_ns();
    Sleep {
        deadline_ns: now.saturating_add(duration.as_nanos().min(u128::from(u64::MAX)) as u64),
    }
}

/// The future of [`sleep`].
pub struct Sleep {
    deadline_ns: u64,
}

impl Sleep {
    /// When the sleep ends, in uptime nanoseconds.
    pub fn deadline_ns(&self) -> u64 {
        self.deadline_ns
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if time::uptime_ns() >= self.deadline_ns {
            return Poll::Ready(());
        }
        let sleeper = Sleeper {
            deadline_ns: self.deadline_ns,
            order: NEXT_ORDER.fetch_add(1, Ordering::Relaxed),
            waker: cx.waker().clone(),
        };
        interrupts::without_interrupts(|| SLEEPERS.lock().push(Reverse(sleeper)));
        Poll::Pending
    }
}

/// Called by the timer interrupt: wakes every sleeper whose deadline is at or before `now_ns`.
pub fn on_tick(now_ns: u64) {
    let mut sleepers = SLEEPERS.lock();
    while sleepers
        .peek()
        .is_some_and(|Reverse(s)| s.deadline_ns <= now_ns)
    {
        if let Some(Reverse(sleeper)) = sleepers.pop() {
            sleeper.waker.wake();
        }
    }
}

/// How many sleepers are waiting.
pub fn sleepers() -> usize {
    interrupts::without_interrupts(|| SLEEPERS.lock().len())
}
