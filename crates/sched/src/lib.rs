//! The scheduler's decisions, as pure logic: which thread runs next, when the running one has
//! had its turn, who sleeps until when, who waits for what, and how much CPU time each used.
//!
//! A preemptive scheduler is two things tangled together: *mechanism* (saving one thread's
//! registers, loading another's, on a timer interrupt) and *policy* (which thread, and for how
//! long). The mechanism must be written against the hardware; the policy need not. This crate is
//! the policy, with no hardware in it, so every rule is tested on the host: fairness between
//! CPU-bound threads, sleepers woken in deadline order and never early, wait queues that are
//! first-in first-out, and the *lost wake-up* rule (a wake that arrives before the thread has
//! finished going to sleep must not be lost).
//!
//! # The policy
//!
//! Round robin with time slices: ready threads wait in one FIFO queue; the running thread keeps
//! the CPU for at most [`Policy::time_slice`] ticks, then goes to the back of the queue if
//! another thread is ready. A thread that blocks (sleeps, waits for a lock, joins another)
//! leaves the queue until it is woken. When no thread is ready the *idle* thread runs (the kernel
//! halts the CPU in it). Round robin is the simplest policy that cannot starve anyone: with *n*
//! ready threads, each runs at least once every *n* slices.
//!
//! Everything is fixed-size ([`MAX_THREADS`]) because the kernel calls into it from the timer
//! interrupt, where allocating memory is not allowed.

#![no_std]
#![forbid(unsafe_code)]

pub mod load;

/// Most threads alive at once (the idle thread included). Each process is a thread, so this is
/// also the most processes: 128 lets `forktest` keep 100 children alive beside the console,
/// `init` and the kernel's own threads, while the timer's scan of all slots stays short.
pub const MAX_THREADS: usize = 128;

/// A thread's number: its slot in the table.
pub type ThreadId = usize;

/// What a thread is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No thread in this slot.
    Free,
    /// The slot is taken but the thread cannot run yet: the kernel is still preparing its stack
    /// and first context. Never in the run queue; [`Scheduler::start`] makes it ready.
    New,
    /// Waiting in the run queue for its turn.
    Ready,
    /// On the CPU.
    Running,
    /// Off the run queue until woken (a wait queue, a join).
    Blocked,
    /// Off the run queue until the clock passes `until` (in ticks) or it is woken.
    Sleeping {
        /// The tick at which it becomes ready again.
        until: u64,
    },
    /// Finished; its slot is freed once someone has collected the result.
    Exited,
}

/// The scheduling policy's one knob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Ticks a thread may run before another ready thread gets the CPU.
    pub time_slice: u32,
}

/// What the timer tick decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// The running thread keeps the CPU.
    Continue,
    /// Switch: the running thread's slice is over (or the idle thread runs and someone woke).
    Switch,
}

/// Why a thread could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchedError {
    /// All [`MAX_THREADS`] slots are taken.
    TooManyThreads,
    /// The thread id is not a live thread in a state that allows this.
    BadThread,
}

/// A fixed-capacity FIFO of thread ids.
#[derive(Debug, Clone)]
pub struct Fifo {
    slots: [ThreadId; MAX_THREADS],
    head: usize,
    len: usize,
}

impl Default for Fifo {
    fn default() -> Self {
        Self::new()
    }
}

impl Fifo {
    /// An empty queue.
    pub const fn new() -> Self {
        Fifo {
            slots: [0; MAX_THREADS],
            head: 0,
            len: 0,
        }
    }

    /// Adds `tid` at the back; false if full (it cannot be, with one entry per thread at most).
    pub fn push(&mut self, tid: ThreadId) -> bool {
        if self.len == MAX_THREADS {
            return false;
        }
        self.slots[(self.head + self.len) % MAX_THREADS] = tid;
        self.len += 1;
        true
    }

    /// Takes the front.
    pub fn pop(&mut self) -> Option<ThreadId> {
        if self.len == 0 {
            return None;
        }
        let tid = self.slots[self.head];
        self.head = (self.head + 1) % MAX_THREADS;
        self.len -= 1;
        Some(tid)
    }

    /// Removes `tid` wherever it is; whether it was there.
    pub fn remove(&mut self, tid: ThreadId) -> bool {
        let Some(at) = (0..self.len).find(|&i| self.slots[(self.head + i) % MAX_THREADS] == tid)
        else {
            return false;
        };
        for i in at..self.len - 1 {
            self.slots[(self.head + i) % MAX_THREADS] =
                self.slots[(self.head + i + 1) % MAX_THREADS];
        }
        self.len -= 1;
        true
    }

    /// How many are queued.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// One thread's scheduling record.
#[derive(Debug, Clone, Copy)]
pub struct Thread {
    /// Its state.
    pub state: State,
    /// Ticks it has spent running.
    pub cpu_ticks: u64,
    /// A wake-up arrived while it was still running on its way to block: the next block returns
    /// at once instead of sleeping through it.
    pub wake_pending: bool,
}

const FREE: Thread = Thread {
    state: State::Free,
    cpu_ticks: 0,
    wake_pending: false,
};

/// The scheduler's state: the threads, the run queue, the running thread and the clock.
pub struct Scheduler {
    threads: [Thread; MAX_THREADS],
    run_queue: Fifo,
    current: ThreadId,
    idle: ThreadId,
    slice_left: u32,
    policy: Policy,
    now: u64,
}

impl Scheduler {
    /// A scheduler whose running thread is the caller (slot 0, the boot thread) and whose idle
    /// thread is slot 1.
    pub fn new(policy: Policy) -> Self {
        let mut threads = [FREE; MAX_THREADS];
        threads[0].state = State::Running;
        threads[1].state = State::Ready; // idle: never in the run queue, chosen when it is empty
        Scheduler {
            threads,
            run_queue: Fifo::new(),
            current: 0,
            idle: 1,
            slice_left: policy.time_slice,
            policy,
            now: 0,
        }
    }

    /// The idle thread's id.
    pub fn idle(&self) -> ThreadId {
        self.idle
    }

    /// The running thread.
    pub fn current(&self) -> ThreadId {
        self.current
    }

    /// A thread's record.
    pub fn thread(&self, tid: ThreadId) -> Option<&Thread> {
        self.threads.get(tid).filter(|t| t.state != State::Free)
    }

    /// The clock, in ticks.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Takes a free slot for a new thread, which cannot run until [`Scheduler::start`]; returns
    /// its id.
    ///
    /// Creating a thread is two steps because the kernel has work to do between them (map a
    /// stack, write the first context the switch will load) and the timer can interrupt that
    /// work. A thread that became ready at once could be picked by a tick in between and be
    /// switched to with no context at all. So the slot is reserved first (`New`, invisible to
    /// [`Scheduler::switch`]) and the thread joins the run queue only when its context exists.
    pub fn reserve(&mut self) -> Result<ThreadId, SchedError> {
        let tid = self
            .threads
            .iter()
            .position(|t| t.state == State::Free)
            .ok_or(SchedError::TooManyThreads)?;
        self.threads[tid] = Thread {
            state: State::New,
            cpu_ticks: 0,
            wake_pending: false,
        };
        Ok(tid)
    }

    /// Makes a reserved thread ready to run: call once its first context is in place.
    pub fn start(&mut self, tid: ThreadId) -> Result<(), SchedError> {
        match self.threads.get(tid).map(|t| t.state) {
            Some(State::New) => {
                self.make_ready(tid);
                Ok(())
            }
            _ => Err(SchedError::BadThread),
        }
    }

    /// Gives back a reserved slot whose thread will never start (its stack could not be had).
    pub fn abandon(&mut self, tid: ThreadId) -> Result<(), SchedError> {
        match self.threads.get(tid).map(|t| t.state) {
            Some(State::New) => {
                self.threads[tid] = FREE;
                Ok(())
            }
            _ => Err(SchedError::BadThread),
        }
    }

    /// The timer interrupt: advances the clock, charges the tick to the running thread, wakes
    /// sleepers whose time has come, and says whether to switch.
    pub fn tick(&mut self) -> Tick {
        self.now += 1;
        self.threads[self.current].cpu_ticks += 1;
        for tid in 0..MAX_THREADS {
            if let State::Sleeping { until } = self.threads[tid].state {
                if until <= self.now {
                    self.make_ready(tid);
                }
            }
        }
        self.slice_left = self.slice_left.saturating_sub(1);
        let others_ready = !self.run_queue.is_empty();
        if others_ready && (self.current == self.idle || self.slice_left == 0) {
            Tick::Switch
        } else {
            Tick::Continue
        }
    }

    /// Puts `tid` in the run queue. A thread is ready at most once: queued twice, it would run
    /// twice per round and, once it exits, a stale entry would switch to a dead thread. That is
    /// a kernel bug, caught here where it happens rather than where it crashes.
    fn make_ready(&mut self, tid: ThreadId) {
        assert!(
            !matches!(
                self.threads[tid].state,
                State::Ready | State::Free | State::Exited
            ),
            "thread {tid} made ready while {:?}",
            self.threads[tid].state
        );
        self.threads[tid].state = State::Ready;
        if tid != self.idle {
            self.run_queue.push(tid);
        }
    }

    /// Picks the next thread to run and makes it current: the running thread, if it is still
    /// runnable, goes to the back of the queue; the front of the queue runs, or the idle thread
    /// if the queue is empty. Returns (previous, next).
    pub fn switch(&mut self) -> (ThreadId, ThreadId) {
        let previous = self.current;
        if self.threads[previous].state == State::Running {
            self.make_ready(previous);
        }
        let next = self.run_queue.pop().unwrap_or(self.idle);
        self.threads[next].state = State::Running;
        self.current = next;
        self.slice_left = self.policy.time_slice;
        (previous, next)
    }

    /// The running thread gives up the rest of its slice.
    pub fn yield_now(&mut self) -> (ThreadId, ThreadId) {
        self.switch()
    }

    /// The running thread blocks until [`Scheduler::wake`]. If a wake already arrived (the lost
    /// wake-up case), it stays runnable and this returns `false`: do not switch.
    pub fn block_current(&mut self) -> bool {
        let thread = &mut self.threads[self.current];
        if thread.wake_pending {
            thread.wake_pending = false;
            return false;
        }
        thread.state = State::Blocked;
        true
    }

    /// As [`Scheduler::block_current`], but a timer wakes the thread after `ticks` ticks if no
    /// [`Scheduler::wake`] came first (a wait with a timeout, as `poll` makes). Returns `false`,
    /// and does not block, if a wake already arrived.
    pub fn block_current_for(&mut self, ticks: u64) -> bool {
        let now = self.now;
        let thread = &mut self.threads[self.current];
        if thread.wake_pending {
            thread.wake_pending = false;
            return false;
        }
        thread.state = State::Sleeping {
            until: now + ticks.max(1),
        };
        true
    }

    /// The running thread sleeps for `ticks` ticks (at least until the clock has advanced that
    /// far). Zero ticks is a yield.
    pub fn sleep_current(&mut self, ticks: u64) {
        if ticks > 0 {
            self.threads[self.current].state = State::Sleeping {
                until: self.now + ticks,
            };
        }
    }

    /// Makes a blocked or sleeping thread ready. Waking the running thread records the wake so
    /// its next block does not sleep (see [`Scheduler::block_current`]); waking a ready thread
    /// does nothing.
    pub fn wake(&mut self, tid: ThreadId) -> Result<(), SchedError> {
        let thread = self.threads.get_mut(tid).ok_or(SchedError::BadThread)?;
        match thread.state {
            State::Blocked | State::Sleeping { .. } => {
                self.make_ready(tid);
                Ok(())
            }
            State::Running => {
                thread.wake_pending = true;
                Ok(())
            }
            State::Ready => Ok(()),
            State::Free | State::New | State::Exited => Err(SchedError::BadThread),
        }
    }

    /// The running thread has finished.
    pub fn exit_current(&mut self) {
        self.threads[self.current].state = State::Exited;
    }

    /// Frees an exited thread's slot (after its result was collected).
    pub fn reap(&mut self, tid: ThreadId) -> Result<Thread, SchedError> {
        match self.threads.get(tid) {
            Some(t) if t.state == State::Exited => {
                let record = *t;
                self.threads[tid] = FREE;
                Ok(record)
            }
            _ => Err(SchedError::BadThread),
        }
    }

    /// Removes a thread that is ready, blocked or sleeping (a `kill`); it becomes Exited.
    pub fn kill(&mut self, tid: ThreadId) -> Result<(), SchedError> {
        if tid == self.idle || tid == self.current {
            return Err(SchedError::BadThread);
        }
        match self.threads.get(tid).map(|t| t.state) {
            Some(State::Ready) => {
                self.run_queue.remove(tid);
            }
            Some(State::Blocked | State::Sleeping { .. }) => {}
            _ => return Err(SchedError::BadThread),
        }
        self.threads[tid].state = State::Exited;
        Ok(())
    }

    /// Threads in the run queue.
    pub fn ready_count(&self) -> usize {
        self.run_queue.len()
    }
}

/// Threads waiting for something (a lock, a semaphore, a condition), first come first served.
#[derive(Debug, Clone, Default)]
pub struct WaitQueue {
    waiting: Fifo,
}

impl WaitQueue {
    /// An empty queue.
    pub const fn new() -> Self {
        WaitQueue {
            waiting: Fifo::new(),
        }
    }

    /// Adds `tid` at the back (the caller then blocks it).
    pub fn enqueue(&mut self, tid: ThreadId) -> bool {
        self.waiting.push(tid)
    }

    /// The longest-waiting thread, to be woken.
    pub fn wake_one(&mut self) -> Option<ThreadId> {
        self.waiting.pop()
    }

    /// Every waiting thread, oldest first, through `wake`.
    pub fn wake_all(&mut self, mut wake: impl FnMut(ThreadId)) {
        while let Some(tid) = self.waiting.pop() {
            wake(tid);
        }
    }

    /// Whether no thread waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;
    use xorshift::Rng;

    const POLICY: Policy = Policy { time_slice: 3 };

    /// A new thread, reserved and started at once (its context is "ready" on the host).
    fn add(s: &mut Scheduler) -> ThreadId {
        let tid = s.reserve().unwrap();
        s.start(tid).unwrap();
        tid
    }

    /// Runs `ticks` timer ticks, switching when the scheduler says so; returns who ran each tick.
    fn run(s: &mut Scheduler, ticks: usize) -> Vec<ThreadId> {
        (0..ticks)
            .map(|_| {
                let ran = s.current();
                if s.tick() == Tick::Switch {
                    s.switch();
                }
                ran
            })
            .collect()
    }

    #[test]
    fn two_cpu_bound_threads_share_the_cpu_in_slices() {
        let mut s = Scheduler::new(POLICY);
        s.exit_current();
        let (a, b) = (add(&mut s), add(&mut s));
        s.switch();
        let ran = run(&mut s, 30);
        assert_eq!(&ran[..9], &[a, a, a, b, b, b, a, a, a]);
        let share_a = ran.iter().filter(|&&t| t == a).count();
        assert_eq!(share_a, 15, "an even split");
        // Fairness bound: neither waits more than one slice per other ready thread.
        for window in ran.windows(POLICY.time_slice as usize * 2) {
            assert!(window.contains(&a) && window.contains(&b));
        }
        assert_eq!(s.thread(a).unwrap().cpu_ticks, 15);
    }

    #[test]
    fn the_idle_thread_runs_only_when_nobody_else_can() {
        let mut s = Scheduler::new(POLICY);
        s.exit_current();
        let (_, idle) = s.switch();
        assert_eq!(idle, s.idle());
        assert_eq!(run(&mut s, 5), [idle; 5]);
        let t = add(&mut s);
        assert_eq!(
            s.tick(),
            Tick::Switch,
            "a ready thread preempts idle at once"
        );
        assert_eq!(s.switch().1, t);
    }

    #[test]
    fn sleepers_wake_in_deadline_order_never_early() {
        let mut s = Scheduler::new(Policy { time_slice: 1 });
        let sleepers: Vec<(ThreadId, u64)> =
            [7u64, 2, 5].iter().map(|&d| (add(&mut s), d)).collect();
        // Each sleeper runs once and goes to sleep for its duration.
        let mut woke_at = Vec::new();
        let mut asleep_since = [0u64; MAX_THREADS];
        for _ in 0..3 {
            let (_, next) = s.switch();
            let &(_, ticks) = sleepers.iter().find(|(t, _)| *t == next).unwrap();
            asleep_since[next] = s.now();
            s.sleep_current(ticks);
        }
        s.switch(); // the boot thread again
        for _ in 0..10 {
            s.tick();
            while s.ready_count() > 0 {
                let (_, next) = s.switch();
                if next != 0 {
                    woke_at.push((next, s.now()));
                    s.exit_current();
                }
            }
        }
        let order: Vec<ThreadId> = woke_at.iter().map(|&(t, _)| t).collect();
        assert_eq!(order, [sleepers[1].0, sleepers[2].0, sleepers[0].0]);
        for (tid, at) in woke_at {
            let &(_, ticks) = sleepers.iter().find(|(t, _)| *t == tid).unwrap();
            assert!(at >= asleep_since[tid] + ticks, "thread {tid} woke early");
            assert!(at <= asleep_since[tid] + ticks, "thread {tid} woke late");
        }
    }

    #[test]
    fn a_wake_before_the_block_is_not_lost() {
        let mut s = Scheduler::new(POLICY);
        let me = s.current();
        // Another party wakes us while we are still running, about to block.
        s.wake(me).unwrap();
        assert!(!s.block_current(), "the pending wake keeps us running");
        assert_eq!(s.thread(me).unwrap().state, State::Running);
        // Without a pending wake, blocking blocks.
        assert!(s.block_current());
        assert_eq!(s.thread(me).unwrap().state, State::Blocked);
    }

    #[test]
    fn a_timed_block_ends_with_a_wake_or_its_timeout() {
        let mut s = Scheduler::new(POLICY);
        let me = s.current();
        s.wake(me).unwrap();
        assert!(!s.block_current_for(5), "a pending wake is not lost");
        assert!(s.block_current_for(5));
        s.wake(me).unwrap();
        assert_eq!(
            s.thread(me).unwrap().state,
            State::Ready,
            "woken before the timeout"
        );
        // Unwoken, the timer ends it.
        let _ = s.switch();
        assert!(s.block_current_for(2));
        for _ in 0..2 {
            let _ = s.tick();
        }
        assert_eq!(s.thread(me).unwrap().state, State::Ready, "timed out");
    }

    #[test]
    fn wait_queues_are_first_come_first_served() {
        let mut s = Scheduler::new(POLICY);
        let mut queue = WaitQueue::new();
        let threads: Vec<ThreadId> = (0..4).map(|_| add(&mut s)).collect();
        for &t in &threads {
            let (_, next) = s.switch();
            assert_eq!(next, t);
            queue.enqueue(t);
            assert!(s.block_current());
        }
        assert_eq!(queue.wake_one(), Some(threads[0]));
        let mut rest = Vec::new();
        queue.wake_all(|t| {
            rest.push(t);
            s.wake(t).unwrap();
        });
        assert_eq!(rest, &threads[1..]);
        assert!(queue.is_empty());
        assert_eq!(s.ready_count(), 3 + 1, "three woken, and the boot thread");
    }

    #[test]
    fn exit_reap_and_kill() {
        let mut s = Scheduler::new(POLICY);
        let worker = add(&mut s);
        let victim = add(&mut s);
        assert_eq!(s.kill(victim), Ok(()));
        assert_eq!(s.kill(s.idle()), Err(SchedError::BadThread));
        let (_, next) = s.switch();
        assert_eq!(next, worker, "the killed thread left the run queue");
        s.exit_current();
        assert_eq!(s.reap(worker).map(|t| t.state), Ok(State::Exited));
        assert_eq!(
            s.reap(worker).err(),
            Some(SchedError::BadThread),
            "reaped once"
        );
        assert_eq!(s.wake(worker), Err(SchedError::BadThread));
        assert_eq!(s.reserve(), Ok(worker), "the slot is reused");
    }

    /// The spawn race of issue 9: a thread must not be chosen between taking its slot and
    /// having a context to switch to, however many ticks and yields come in between.
    #[test]
    fn a_reserved_thread_never_runs_before_it_is_started() {
        let mut s = Scheduler::new(POLICY);
        let other = add(&mut s);
        let new = s.reserve().unwrap();
        assert_eq!(s.thread(new).unwrap().state, State::New);
        assert_eq!(s.ready_count(), 1, "only the started thread is queued");
        for _ in 0..20 {
            if s.tick() == Tick::Switch {
                s.switch();
            }
            assert_ne!(s.current(), new);
            s.yield_now();
            assert_ne!(s.current(), new);
        }
        assert_eq!(
            s.wake(new),
            Err(SchedError::BadThread),
            "nobody can wake it early"
        );
        assert_eq!(s.kill(new), Err(SchedError::BadThread));
        assert_eq!(s.start(new), Ok(()));
        assert_eq!(s.start(new), Err(SchedError::BadThread), "started once");
        let mut ran = Vec::new();
        for _ in 0..4 {
            ran.push(s.yield_now().1);
        }
        assert!(ran.contains(&new) && ran.contains(&other));
    }

    #[test]
    fn an_abandoned_reservation_frees_the_slot() {
        let mut s = Scheduler::new(POLICY);
        let new = s.reserve().unwrap();
        assert_eq!(s.abandon(new), Ok(()));
        assert!(s.thread(new).is_none());
        assert_eq!(s.abandon(new), Err(SchedError::BadThread));
        assert_eq!(s.reserve(), Ok(new));
        let started = add(&mut s);
        assert_eq!(
            s.abandon(started),
            Err(SchedError::BadThread),
            "only a New thread"
        );
    }

    #[test]
    fn the_table_is_bounded() {
        let mut s = Scheduler::new(POLICY);
        for _ in 2..MAX_THREADS {
            add(&mut s);
        }
        assert_eq!(s.reserve(), Err(SchedError::TooManyThreads));
    }

    /// Random mixes of ticks, yields, sleeps, blocks and wakes: the invariants hold after every
    /// step: exactly one running thread, the run queue holds exactly the ready threads (idle
    /// excepted), and no ready thread waits longer than one slice (plus a switch) per thread.
    #[test]
    fn random_schedules_keep_the_invariants() {
        for seed in 1..=100u64 {
            let mut rng = Rng::new(seed);
            let mut s = Scheduler::new(Policy {
                time_slice: 1 + rng.below(4) as u32,
            });
            let mut blocked: Vec<ThreadId> = Vec::new();
            let mut reserved: Vec<ThreadId> = Vec::new();
            for _ in 0..6 {
                add(&mut s);
            }
            let mut waited = [0u64; MAX_THREADS];
            for step in 0..3000 {
                // Every thread that held the CPU during this step, even briefly.
                let mut ran = Vec::from([s.current()]);
                match rng.below(10) {
                    0 if s.current() != s.idle() => s.sleep_current(1 + rng.below(5)),
                    1 if s.current() != s.idle() => {
                        if s.block_current() {
                            blocked.push(s.current());
                        }
                    }
                    2 if !blocked.is_empty() => {
                        let t = blocked.swap_remove(rng.below(blocked.len() as u64) as usize);
                        s.wake(t).unwrap();
                    }
                    3 => {
                        s.yield_now();
                        ran.push(s.current());
                    }
                    // Threads being created: reserved, started some steps later.
                    4 if reserved.len() < 3 => {
                        if let Ok(t) = s.reserve() {
                            reserved.push(t);
                        }
                    }
                    5 if !reserved.is_empty() => {
                        let t = reserved.swap_remove(rng.below(reserved.len() as u64) as usize);
                        s.start(t).unwrap();
                    }
                    6 if s.current() != s.idle() && s.current() != 0 && s.ready_count() > 0 => {
                        // The running thread exits and is reaped: slots get reused.
                        let t = s.current();
                        s.exit_current();
                        s.switch();
                        s.reap(t).unwrap();
                        ran.push(s.current());
                    }
                    _ => {}
                }
                let current_state = s.thread(s.current()).unwrap().state;
                if current_state != State::Running || s.tick() == Tick::Switch {
                    s.switch();
                }
                ran.push(s.current());
                let running = (0..MAX_THREADS)
                    .filter(|&t| s.threads[t].state == State::Running)
                    .count();
                assert_eq!(running, 1, "seed {seed} step {step}");
                assert!(
                    !reserved.contains(&s.current()),
                    "seed {seed} step {step}: a reserved thread runs"
                );
                let ready = (0..MAX_THREADS)
                    .filter(|&t| t != s.idle() && s.threads[t].state == State::Ready)
                    .count();
                assert_eq!(
                    ready,
                    s.ready_count(),
                    "seed {seed} step {step}: queue and states disagree"
                );
                for (t, waited) in waited.iter_mut().enumerate() {
                    if s.threads[t].state == State::Ready && t != s.idle() && !ran.contains(&t) {
                        *waited += 1;
                        // FIFO: at most every other thread ahead, each for a slice plus the
                        // step that switches away from it.
                        let live = (0..MAX_THREADS)
                            .filter(|&t| s.thread(t).is_some_and(|t| t.state != State::New))
                            .count() as u64;
                        let bound = (live + 1) * (u64::from(s.policy.time_slice) + 1);
                        assert!(
                            *waited <= bound,
                            "seed {seed}: thread {t} starved ({waited} steps)"
                        );
                    } else {
                        *waited = 0;
                    }
                }
            }
        }
    }
}
