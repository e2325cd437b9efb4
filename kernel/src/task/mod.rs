//! Cooperative multitasking with `async`/`await`: tasks, an executor, wakers, timers.
//!
//! A Rust `async fn` compiles to a state machine (a `Future`) that runs until it must wait, then
//! returns `Poll::Pending`, having arranged to be *woken* when it can go on. An *executor* keeps
//! the tasks, polls the ones that were woken, and sleeps when none is ready. No task is ever
//! interrupted by another: a task runs until it awaits. That is cooperative multitasking, and it
//! is cheap (a task is one heap allocation, a switch is a function call), at the price that one
//! task that loops without awaiting stops all the others. Preemptive threads, a later chapter,
//! remove that price.
//!
//! Ferrite's pieces:
//!
//! * [`executor`]: the task table, the ready queue, `spawn`, and the run loop that halts the CPU
//!   when nothing is ready without missing a wake-up;
//! * [`waker`]: wakers that are nothing but a task's slot number, so waking (or dropping) one
//!   never allocates or takes a lock, which is what lets interrupt handlers wake tasks;
//! * [`timer`]: `sleep(duration)`, driven by the APIC timer's tick;
//! * [`yield_now`]: give the other tasks a turn.
//!
//! Input (keys from the keyboard and serial port) becomes awaitable in [`crate::tty::input`].

pub mod executor;
pub mod timer;
pub mod waker;

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

/// Returns `Pending` once, having woken its own task, so every other ready task runs before this
/// one continues.
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
