//! The key queue: keys from the keyboard and the serial port, handed from interrupt handlers
//! to whoever reads them now (the kernel console or the terminal's worker: one at a time, by the
//! rule in [`super`]).
//!
//! Two rules shape it. An interrupt handler must never wait for a lock that the code it
//! interrupted may hold, or the CPU waits forever; and it should not allocate. So the queue is a
//! fixed ring of atomic words with no lock at all: the handlers (the only *producers*) write at
//! the tail, the reader (the only *consumer*) reads at the head. On one CPU the two handlers
//! never run at the same time (each runs with interrupts off), so there is one producer at any
//! moment; the consumer runs with interrupts on and may be interrupted anywhere, which the
//! order of the atomic operations allows for: a slot is written before the tail that publishes
//! it, and read before the head that frees it.
//!
//! The queue never makes an interrupt handler wait. When it is full, the serial handler stops
//! taking bytes from the UART and lets them wait there (back-pressure, see
//! [`crate::drivers::serial::on_interrupt`]); the consumer turns receiving back on once the
//! queue is half empty. The PS/2 keyboard has no such brake that would not lose keys anyway,
//! so a key it delivers into a full queue is dropped and counted; nobody types 256 keys ahead
//! of the console.
//!
//! The kernel console, an async task, waits for a key with `input::key().await`; the handlers
//! wake it after each push while it is the reader. The terminal's worker, a thread, blocks until
//! the handlers wake it.

use core::future::Future;
use core::pin::Pin;
use core::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use core::task::{Context, Poll, Waker};
use lineedit::Key;
use spin::Mutex;
use x86_64::instructions::interrupts;

/// Slots in the ring (a power of two, so wrapping is a mask). One slot stays empty to tell a
/// full ring from an empty one.
const CAPACITY: usize = 256;

/// A single-producer, single-consumer ring of keys, each coded as one word.
pub struct KeyQueue {
    slots: [AtomicU32; CAPACITY],
    /// Next slot to read. Written only by the consumer.
    head: AtomicUsize,
    /// Next slot to write. Written only by the producer.
    tail: AtomicUsize,
    /// Keys dropped because the ring was full.
    dropped: AtomicU64,
}

impl KeyQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        KeyQueue {
            slots: [const { AtomicU32::new(0) }; CAPACITY],
            head: AtomicUsize::new(0),
            tail: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Adds a key (producer side: interrupt handlers). Returns false, and counts, if full.
    pub fn push(&self, key: Key) -> bool {
        let tail = self.tail.load(Ordering::Relaxed);
        let next = (tail + 1) % CAPACITY;
        if next == self.head.load(Ordering::Acquire) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        self.slots[tail].store(key.to_bits(), Ordering::Relaxed);
        self.tail.store(next, Ordering::Release);
        true
    }

    /// Takes the oldest key (consumer side: the console), if any.
    pub fn pop(&self) -> Option<Key> {
        let head = self.head.load(Ordering::Relaxed);
        if head == self.tail.load(Ordering::Acquire) {
            return None;
        }
        let bits = self.slots[head].load(Ordering::Relaxed);
        self.head.store((head + 1) % CAPACITY, Ordering::Release);
        Key::from_bits(bits)
    }

    /// How many keys are waiting.
    pub fn len(&self) -> usize {
        let (head, tail) = (
            self.head.load(Ordering::Acquire),
            self.tail.load(Ordering::Acquire),
        );
        (tail + CAPACITY - head) % CAPACITY
    }

    /// Whether no key is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether another key fits.
    pub fn has_room(&self) -> bool {
        self.len() < CAPACITY - 1
    }

    /// Keys dropped so far because the queue was full.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Default for KeyQueue {
    fn default() -> Self {
        Self::new()
    }
}

/// The one queue both input devices feed.
pub static KEYS: KeyQueue = KeyQueue::new();

/// The task waiting for a key, if one is. Taken by the input interrupt handlers (to wake it),
/// and elsewhere only with interrupts off.
static KEY_WAITER: Mutex<Option<Waker>> = Mutex::new(None);

/// Whether the queue can take another key, for the serial handler's back-pressure.
pub fn has_room() -> bool {
    KEYS.has_room()
}

/// Takes the oldest key for `reader`, if it is the one that reads keys now ([`super::reader`]),
/// and lets serial input flow again once half the queue is free.
///
/// The rule makes one consumer at a time; when the keys change hands, the old reader may be
/// about to take one as the new one starts, so each take happens with interrupts off (atomic
/// on one CPU) and checks the rule inside.
pub fn take(reader: super::Reader) -> Option<Key> {
    interrupts::without_interrupts(|| {
        if super::reader() != reader {
            return None;
        }
        let key = KEYS.pop();
        if KEYS.len() < CAPACITY / 2 {
            crate::drivers::serial::resume_receive();
        }
        key
    })
}

/// Wakes the kernel console's task (when the console is handed back to it).
pub fn wake_console() {
    interrupts::without_interrupts(|| {
        if let Some(waker) = KEY_WAITER.lock().as_ref() {
            waker.wake_by_ref();
        }
    });
}

/// Adds a key from an interrupt handler and wakes whoever reads keys now: the terminal's worker
/// while a program session owns the console, else the kernel console's task.
pub fn push_from_interrupt(key: Key) {
    KEYS.push(key);
    match super::reader() {
        super::Reader::Terminal => super::kick(),
        super::Reader::KernelConsole => wake_console(),
    }
}

/// The next key, for a task: `input::key().await`.
pub fn key() -> NextKey {
    NextKey
}

/// Waits until the kernel console reads the keys (no program session holds the terminal):
/// `input::console_free().await`.
pub fn console_free() -> ConsoleFree {
    ConsoleFree
}

/// The future of [`console_free`].
pub struct ConsoleFree;

impl Future for ConsoleFree {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if super::reader() == super::Reader::KernelConsole {
            return Poll::Ready(());
        }
        interrupts::without_interrupts(|| *KEY_WAITER.lock() = Some(cx.waker().clone()));
        if super::reader() == super::Reader::Terminal {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    }
}

/// The future of [`key`].
pub struct NextKey;

impl Future for NextKey {
    type Output = Key;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Key> {
        if let Some(key) = take(super::Reader::KernelConsole) {
            return Poll::Ready(key);
        }
        // Register, then look again: a key pushed between the first look and the registration
        // would otherwise wake nobody.
        // A program session may hold the keys; `close_session` wakes this task again.
        interrupts::without_interrupts(|| *KEY_WAITER.lock() = Some(cx.waker().clone()));
        match take(super::Reader::KernelConsole) {
            Some(key) => Poll::Ready(key),
            None => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test_case]
    fn the_queue_keeps_order_and_drops_when_full() {
        let queue = KeyQueue::new();
        assert_eq!(queue.pop(), None);
        for i in 0..CAPACITY - 1 {
            assert!(queue.push(Key::Char(char::from(b'a' + (i % 26) as u8))));
        }
        assert!(!queue.push(Key::Enter), "one slot stays free");
        assert_eq!(queue.dropped(), 1);
        assert_eq!(queue.pop(), Some(Key::Char('a')));
        assert!(queue.push(Key::Enter), "room again");
        let mut last = None;
        while let Some(key) = queue.pop() {
            last = Some(key);
        }
        assert_eq!(last, Some(Key::Enter));
    }
}
