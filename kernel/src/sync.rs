//! Synchronisation building blocks that the kernel needs before it has threads.
//!
//! Two: [`IrqMutex`], a spin lock that keeps interrupts off while held (see its notes for the
//! hang that made it necessary), and [`TakeOnce`], a static whose contents can be borrowed
//! mutably exactly once. The console needs a large buffer that lives forever; building it on the stack and
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

/// A spin lock that keeps interrupts off while it is held, for data that code running with
/// interrupts off also needs (the heap, the frame allocator, the page tables).
///
/// Why: on one CPU, a thread preempted while holding an ordinary spin lock leaves the lock taken
/// until it runs again. Anyone else who wants the lock spins meanwhile; with interrupts on, the
/// timer soon preempts the spinner and the holder finishes. But code that runs with interrupts
/// *off* (a trap handler, or a section that must not be preempted, like the process table's)
/// spins for ever: no tick comes to let the holder run. Ferrite hung exactly so, once in a few
/// thousand processes: a process's end updated the table with interrupts off, the update freed
/// memory, and the heap's lock was held by a thread the timer had preempted in the middle of a
/// `free`. With this lock no holder can be preempted, so anyone may take it, interrupts on or
/// off (Linux's `spin_lock_irqsave`).
pub struct IrqMutex<T> {
    inner: spin::Mutex<T>,
}

impl<T> IrqMutex<T> {
    /// A lock around `value`.
    pub const fn new(value: T) -> IrqMutex<T> {
        IrqMutex {
            inner: spin::Mutex::new(value),
        }
    }

    /// Turns interrupts off (remembering whether they were on) and takes the lock.
    pub fn lock(&self) -> IrqMutexGuard<'_, T> {
        let enabled = x86_64::instructions::interrupts::are_enabled();
        x86_64::instructions::interrupts::disable();
        IrqMutexGuard {
            guard: core::mem::ManuallyDrop::new(self.inner.lock()),
            enabled,
        }
    }

    /// As [`IrqMutex::lock`], but gives up at once if the lock is taken (for the panic path).
    pub fn try_lock(&self) -> Option<IrqMutexGuard<'_, T>> {
        let enabled = x86_64::instructions::interrupts::are_enabled();
        x86_64::instructions::interrupts::disable();
        match self.inner.try_lock() {
            Some(guard) => Some(IrqMutexGuard {
                guard: core::mem::ManuallyDrop::new(guard),
                enabled,
            }),
            None => {
                if enabled {
                    x86_64::instructions::interrupts::enable();
                }
                None
            }
        }
    }
}

/// The holder of an [`IrqMutex`]: releases the lock, then turns interrupts back on if they were.
pub struct IrqMutexGuard<'a, T> {
    guard: core::mem::ManuallyDrop<spin::MutexGuard<'a, T>>,
    enabled: bool,
}

impl<T> core::ops::Deref for IrqMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T> core::ops::DerefMut for IrqMutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T> Drop for IrqMutexGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the guard is dropped exactly once, here, and not used after.
        unsafe { core::mem::ManuallyDrop::drop(&mut self.guard) };
        if self.enabled {
            x86_64::instructions::interrupts::enable();
        }
    }
}
