//! A test kernel for async tasks: the executor, wakers, `yield_now` and `sleep`. The harness runs
//! it under `-icount shift=0,align=off,sleep=off` (`timing = "exact"` below), so the timing
//! bounds are exact.

#![no_std]
#![no_main]
#![feature(custom_test_frameworks)]
#![test_runner(ferrite::testing::run_tests)]
#![reexport_test_harness_main = "test_main"]

extern crate alloc;

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::time::Duration;
use ferrite::arch::x86_64::read_tsc;
use ferrite::task::executor::{self, block_on};
use ferrite::task::{timer, yield_now};
use ferrite::time;
use spin::Mutex;

ferrite::test_kernel!(timing = "exact", races = true);

/// One timer tick, in nanoseconds: the most a sleep may overrun (plus the polling below).
const TICK_NS: u64 = 1_000_000_000 / time::TICK_HZ;
/// Allowance for the instructions between the tick and the task's own clock reading.
const SLACK_NS: u64 = 200_000;

#[test_case]
fn block_on_returns_the_futures_value() {
    assert_eq!(block_on(async { 6 * 7 }).unwrap(), 42);
}

#[test_case]
fn spawned_tasks_interleave_and_complete() {
    let before = executor::stats().completed;
    let log: Arc<Mutex<Vec<(usize, usize)>>> = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicUsize::new(0));
    for task in 0..3 {
        let (log, done) = (Arc::clone(&log), Arc::clone(&done));
        executor::spawn(async move {
            for step in 0..3 {
                log.lock().push((task, step));
                yield_now().await;
            }
            done.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
    }
    let waiting = Arc::clone(&done);
    block_on(async move {
        while waiting.load(Ordering::SeqCst) < 3 {
            yield_now().await;
        }
    })
    .unwrap();
    // Round-robin: every task takes its first step before any takes its second.
    let log = log.lock();
    let firsts: Vec<usize> = log.iter().take(3).map(|&(task, _)| task).collect();
    assert_eq!(firsts, [0, 1, 2], "{log:?}");
    assert_eq!(log.len(), 9);
    assert!(
        executor::stats().completed >= before + 4,
        "three tasks and block_on's own"
    );
}

#[test_case]
fn timers_fire_in_deadline_order_no_earlier_than_asked() {
    let wakes: Arc<Mutex<Vec<(u64, u64, u64)>>> = Arc::new(Mutex::new(Vec::new()));
    let asked = [70u64, 10, 50, 30, 80, 20, 60, 40];
    for ms in asked {
        let wakes = Arc::clone(&wakes);
        executor::spawn(async move {
            let sleep = timer::sleep(Duration::from_millis(ms));
            let deadline = sleep.deadline_ns();
            sleep.await;
            wakes.lock().push((ms, deadline, time::uptime_ns()));
        })
        .unwrap();
    }
    let watched = Arc::clone(&wakes);
    block_on(async move {
        while watched.lock().len() < asked.len() {
            timer::sleep(Duration::from_millis(5)).await;
        }
    })
    .unwrap();
    let wakes = wakes.lock();
    let order: Vec<u64> = wakes.iter().map(|&(ms, _, _)| ms).collect();
    assert_eq!(order, [10, 20, 30, 40, 50, 60, 70, 80]);
    for &(ms, deadline, woke) in wakes.iter() {
        assert!(
            woke >= deadline,
            "{ms} ms: woke {} ns early",
            deadline - woke
        );
        // How late is a matter of timing: bounded only under exact icount.
        if time::timing().is_exact() {
            assert!(
                woke - deadline <= TICK_NS + SLACK_NS,
                "{ms} ms: woke {} ns late",
                woke - deadline
            );
        }
    }
}

#[test_case]
fn a_sleeping_executor_halts_instead_of_polling() {
    let before = executor::stats();
    block_on(timer::sleep(Duration::from_millis(50))).unwrap();
    let after = executor::stats();
    assert!(
        after.halts > before.halts,
        "the CPU was halted while the task slept"
    );
    // Spawn, first poll, the tick that wakes it, and block_on's wrapper: a handful, not thousands.
    assert!(
        after.polls - before.polls <= 12,
        "{} polls for one sleep",
        after.polls - before.polls
    );
    assert_eq!(timer::sleepers(), 0);
}

#[test_case]
fn a_yield_round_trip_is_cheap() {
    const ROUNDS: u64 = 10_000;
    let cost = block_on(async {
        let start = read_tsc();
        for _ in 0..ROUNDS {
            yield_now().await;
        }
        (read_tsc() - start) / ROUNDS
    })
    .unwrap();
    // Under icount the TSC counts instructions (the tick handler's share included).
    ferrite::bench::report("task.yield_round_trip", cost, "instructions");
    if time::timing().is_exact() {
        assert!(cost < 20_000, "{cost} instructions per yield (debug build)");
    }
}
