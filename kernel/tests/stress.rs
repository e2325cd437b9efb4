//! A stress test kernel for threads: thousands of spawn, exit, join, stop, sleep, yield and mutex
//! operations from several threads at once while a CPU-bound thread keeps the timer preempting,
//! ending with the frame and heap counters exactly where they started.
//!
//! The unit-sized tests in `threads.rs` each prove one rule; this one looks for the bugs that
//! only show when the rules meet: a slot reused while its old thread is still leaving, a wake
//! arriving for a thread that is being reaped, a lock handed over during a spawn. The harness
//! boots it under exact icount, real timing and seeded jitter (`races = true` below), so each boot
//! tries other interleavings; the work itself is the same every boot (each worker draws its
//! operations from its own fixed seed).

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use core::time::Duration;
use ferrite::mm::{frames, heap, paging::PAGE_SIZE};
use ferrite::sched::{self, sync::Mutex, JoinHandle};
use xorshift::Rng;

ferrite::test_kernel!(timing = "exact", races = true);

/// Threads that issue operations at once.
const WORKERS: u64 = 4;
/// Rounds each worker runs; each round is several operations.
const ROUNDS: u64 = 300;
/// Children a worker may have alive at once.
const MAX_CHILDREN: usize = 3;
/// Rounds of the CPU-bound thread's loop between its yields (about a tenth of a tick).
const SPINNER_BURST: u64 = 20_000;
/// Increments one mutex child makes.
const INCREMENTS: u64 = 20;

/// What the workers count, to check the totals at the end.
struct Shared {
    counter: Mutex<u64>,
    increments_expected: AtomicU64,
    operations: AtomicU64,
}

impl Shared {
    fn op(&self) {
        self.operations.fetch_add(1, Ordering::Relaxed);
    }
}

/// One child thread's kind of work; returns a value its parent checks.
fn spawn_child(shared: &Arc<Shared>, kind: u64, token: u64) -> JoinHandle<u64> {
    let shared = Arc::clone(shared);
    let handle = sched::spawn("child", move || match kind {
        // Compute and exit at once.
        0 => token * 3,
        // Contend for the mutex, yielding while holding it.
        1 => {
            for _ in 0..INCREMENTS {
                let mut value = shared.counter.lock();
                let seen = *value;
                sched::yield_now();
                *value = seen + 1;
                shared.op();
            }
            token * 3
        }
        // Sleep a little (a tick or two), then exit.
        2 => {
            sched::sleep(Duration::from_millis(1));
            token * 3
        }
        // Run until asked to stop (the parent's `kill`), yielding meanwhile.
        _ => {
            while !sched::should_stop() {
                sched::yield_now();
                shared.op();
            }
            token * 3
        }
    });
    handle.expect("a slot and a stack for every child")
}

/// A worker: a fixed random sequence of spawns, joins, stops, sleeps, yields and locks.
fn worker(shared: Arc<Shared>, seed: u64) {
    let mut rng = Rng::new(seed);
    let mut children: Vec<(JoinHandle<u64>, u64, u64)> = Vec::new();
    for round in 0..ROUNDS {
        if children.len() < MAX_CHILDREN {
            // Sleeping children cost a tick of emulated time each: keep them rare.
            let kind = match rng.below(16) {
                0 => 2,
                1..=5 => 1,
                6..=9 => 3,
                _ => 0,
            };
            if kind == 1 {
                shared
                    .increments_expected
                    .fetch_add(INCREMENTS, Ordering::Relaxed);
            }
            let token = seed * 1_000_000 + round;
            children.push((spawn_child(&shared, kind, token), kind, token));
            shared.op();
        }
        match rng.below(8) {
            // Join the oldest child, stopping it first if it runs until told.
            0..=3 if !children.is_empty() => {
                let (child, kind, token) = children.remove(0);
                if kind == 3 {
                    assert!(
                        sched::request_stop(child.id()),
                        "a live child can be stopped"
                    );
                    shared.op();
                }
                assert_eq!(child.join(), token * 3);
                shared.op();
            }
            4 => {
                sched::yield_now();
                shared.op();
            }
            5 => {
                *shared.counter.lock() += 0;
                shared.op();
            }
            6 if rng.below(8) == 0 => {
                sched::sleep(Duration::from_millis(1));
                shared.op();
            }
            _ => {}
        }
    }
    for (child, kind, token) in children {
        if kind == 3 {
            sched::request_stop(child.id());
        }
        assert_eq!(child.join(), token * 3);
        shared.op();
    }
}

/// Spawns `count` threads that all wait for one flag, then releases and joins them: every
/// thread slot the stress can use has had its stack mapped once (and its page tables made).
fn warm_up(count: usize) {
    let go = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = (0..count)
        .map(|_| {
            let go = Arc::clone(&go);
            sched::spawn("warm", move || {
                while !go.load(Ordering::Relaxed) {
                    sched::yield_now();
                }
            })
            .unwrap()
        })
        .collect();
    go.store(true, Ordering::Relaxed);
    handles.into_iter().for_each(JoinHandle::join);
}

#[test_case]
fn thousands_of_thread_operations_leave_nothing_behind() {
    // Boot, idle, the spinner, the workers and their children, with room to spare.
    warm_up(2 + WORKERS as usize * (MAX_CHILDREN + 1) + 4);
    let frames_before = frames::counts().unwrap().free + sched::stack::kept_pages() as usize;
    let (heap_before, (_, heap_mapped_before)) = heap::stats().unwrap();
    let ticks_before = ferrite::time::ticks();
    // Boot, idle and the console terminal's worker.
    let mut threads_before = 0;
    sched::threads(|_| threads_before += 1);

    let stop = Arc::new(AtomicBool::new(false));
    let spinner_stop = Arc::clone(&stop);
    let spins = Arc::new(AtomicU64::new(0));
    let spinner_count = Arc::clone(&spins);
    // CPU-bound in bursts: it never blocks, and a burst is long enough for ticks to preempt it,
    // but it yields between bursts. Spinning for ever, it would take a whole slice in every
    // round of the run queue and leave the workers (whose operations are the test) a crawl.
    let spinner = sched::spawn("spinner", move || {
        while !spinner_stop.load(Ordering::Relaxed) {
            for _ in 0..SPINNER_BURST {
                spinner_count.fetch_add(1, Ordering::Relaxed);
            }
            sched::yield_now();
        }
    })
    .unwrap();

    let shared = Arc::new(Shared {
        counter: Mutex::new(0),
        increments_expected: AtomicU64::new(0),
        operations: AtomicU64::new(0),
    });
    let workers: Vec<_> = (1..=WORKERS)
        .map(|seed| {
            let shared = Arc::clone(&shared);
            sched::spawn("worker", move || worker(shared, seed)).unwrap()
        })
        .collect();
    workers.into_iter().for_each(JoinHandle::join);
    stop.store(true, Ordering::Relaxed);
    spinner.join();

    let operations = shared.operations.load(Ordering::Relaxed);
    let ticks = ferrite::time::ticks() - ticks_before;
    ferrite::println!("# stress: {operations} operations in {ticks} ticks");
    assert!(operations >= 5_000, "only {operations} operations ran");

    assert_eq!(
        *shared.counter.lock(),
        shared.increments_expected.load(Ordering::Relaxed),
        "the mutex lost no increment"
    );
    let spun = spins.load(Ordering::Relaxed);
    drop((shared, stop, spins));
    assert!(spun > 0, "the CPU-bound thread ran too");
    let mut live = 0;
    sched::threads(|_| live += 1);
    assert_eq!(
        live, threads_before,
        "only the threads from before are left"
    );
    // The heap may have grown for the peak of live threads (it keeps a reserve of what it
    // maps, and may have given back some of what it had before); every other frame, every
    // stack's among them, must be back (or kept mapped for the next thread: `sched::stack`).
    let heap_mapped_after = heap::stats().unwrap().1 .1;
    let page = PAGE_SIZE as usize;
    assert_eq!(
        frames::counts().unwrap().free
            + sched::stack::kept_pages() as usize
            + heap_mapped_after / page,
        frames_before + heap_mapped_before / page,
        "every stack's frames came back (the heap maps {heap_mapped_after} bytes, {heap_mapped_before} before)"
    );
    let heap_after = heap::stats().unwrap().0;
    assert_eq!(
        (heap_after.live_blocks, heap_after.requested_bytes),
        (heap_before.live_blocks, heap_before.requested_bytes),
        "every closure, packet and handle was freed"
    );
}
