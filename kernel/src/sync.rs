//! Synchronisation building blocks that the kernel needs before it has threads.
//!
//! For now this is one: [`TakeOnce`], a static whose contents can be borrowed mutably exactly
//! once. The console needs a large buffer that lives forever; building it on the stack and
//! moving it into a static would overflow the boot stack, and a bare `static mut` would let
//! two callers hold `&mut` to it at once. `TakeOnce` hands out the one `&'static mut` and
//! refuses every later request, which an atomic flag makes true even across CPUs.

use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicBool, Ordering};

/// A static value that can be taken, as `&'static mut`, exactly once.
pub struct TakeOnce<T> {
    taken: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the only access to `value` is through `take`, which the atomic swap lets succeed once,
// so at most one `&mut T` ever exists; sending that to another CPU is sound when T is Send.
unsafe impl<T: Send> Sync for TakeOnce<T> {}

impl<T> TakeOnce<T> {
    /// Wraps `value`; in a `static` it is built at compile time and lives in `.bss`/`.data`.
    pub const fn new(value: T) -> Self {
        Self {
            taken: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// The value, the first time; `None` on every later call.
    pub fn take(&'static self) -> Option<&'static mut T> {
        if self.taken.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: the swap above returned false exactly once in the life of this static, so this
        // is the only `&mut` to `value` ever made, and `'static` is right for a static.
        Some(unsafe { &mut *self.value.get() })
    }
}
