//! [`Exclusive`]: a static value that one caller at a time may borrow, without `static mut`.
//!
//! A Ferrite program has one thread, so a static buffer needs no lock against other threads.
//! What it must survive is *re-entry*: a panic while printing prints again, and a `static mut`
//! would then hand out a second `&mut` to the same buffer without a word. `Exclusive` lends its
//! value through [`Exclusive::try_with`], which refuses a second borrow while the first is out,
//! so re-entry gets `None` and the caller does something else (prints unbuffered, say).

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A value behind a flag that admits one borrower at a time.
pub struct Exclusive<T> {
    busy: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: `value` is reached only through `try_with`, whose atomic swap admits one borrower at
// a time, so at most one `&mut T` exists at any moment; handing that to another thread is sound
// when `T` is `Send`.
unsafe impl<T: Send> Sync for Exclusive<T> {}

impl<T> Exclusive<T> {
    /// Wraps `value`; in a `static` it is built at compile time.
    pub const fn new(value: T) -> Self {
        Exclusive {
            busy: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Runs `f` with the value, or returns `None` if it is already lent out (re-entry).
    pub fn try_with<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.busy.swap(true, Ordering::Acquire) {
            return None;
        }
        // SAFETY: `busy` was clear and this call set it, so no other borrow exists until it is
        // cleared below, after `f` has given the reference up.
        let result = f(unsafe { &mut *self.value.get() });
        self.busy.store(false, Ordering::Release);
        Some(result)
    }
}
