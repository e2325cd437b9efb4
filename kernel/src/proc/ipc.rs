//! System V IPC: message queues and semaphore sets, shared by unrelated processes through keys.
//!
//! A message queue is a mailbox in the kernel: `msgsnd` puts a typed message in, `msgrcv` takes
//! the first one (or the first of a type) out, and either waits while the queue is full or
//! empty. A semaphore set is an array of counters that `semop` changes by a *list* of
//! operations applied all at once or not at all, waiting while one of them cannot go ahead: the
//! primitive many operating-systems courses build their producer-consumer and dining-philosopher
//! exercises on. (Shared memory segments, the third kind, are memory rather than messages, and
//! live in [`super::shm`].)
//!
//! Keys and ids, message selection and the all-or-nothing rule are pure logic in the `sysvipc`
//! crate, tested on the host. Here are the objects themselves, in one table behind a lock taken
//! with interrupts off, and the waiting: a process that must wait queues itself and checks again
//! in one step with the lock held, so no change slips in between, and every change wakes every
//! waiter, which looks again. Messages are copied from and to user memory outside the lock (a
//! copy may fault). Every process is root here, so the permission bits are kept and reported
//! but never refuse anyone.
//!
//! `SEM_UNDO` operations are remembered per process and semaphore set, and reversed when the
//! process ends, so a process killed inside a critical section does not leave its semaphore
//! taken for ever.

use super::{Pid, Task};
use crate::mm::uaccess;
use crate::sched;
use crate::sync::IrqMutex;
use ::sched::ThreadId;
use abi::ipc::*;
use abi::Errno;
use alloc::vec::Vec;
use core::time::Duration;
use sysvipc::{Message, Queue, Registry, SemOp, SemOutcome};

/// The permission bits of a `*get` flag word.
const MODE_BITS: u32 = 0o777;

/// A message queue and what `IPC_STAT` reports of it.
struct MessageQueue {
    /// The messages.
    queue: Queue,
    /// Permission bits.
    mode: u32,
    /// Last send, last receive, last change (seconds since 1970).
    times: (i64, i64, i64),
    /// Last sender, last receiver.
    pids: (Pid, Pid),
}

/// A semaphore set and what `IPC_STAT` and `GETPID` report of it.
struct SemaphoreSet {
    /// The values.
    values: Vec<u16>,
    /// The last process to change each.
    pids: Vec<Pid>,
    /// Permission bits.
    mode: u32,
    /// Last `semop`, last change (seconds since 1970).
    times: (i64, i64),
}

/// What a waiting thread waits for (for `GETNCNT` and `GETZCNT`).
#[derive(Clone, Copy)]
struct Waiter {
    /// The thread.
    thread: ThreadId,
    /// The semaphore set, semaphore, and whether it waits for zero; `None` for a queue.
    semaphore: Option<(i32, u16, bool)>,
}

/// A process's adjustments for its `SEM_UNDO` operations on one set, reversed when it ends.
struct Undo {
    /// The process.
    pid: Pid,
    /// The semaphore set.
    set: i32,
    /// What to add to each semaphore when it ends.
    adjust: Vec<i32>,
}

/// Every queue and set, and who waits.
struct State {
    /// The message queues.
    queues: Registry<MessageQueue>,
    /// The semaphore sets.
    sets: Registry<SemaphoreSet>,
    /// Threads waiting for a change.
    waiters: Vec<Waiter>,
    /// Pending `SEM_UNDO` adjustments.
    undo: Vec<Undo>,
}

/// The IPC objects. Taken with interrupts off, briefly.
static IPC: IrqMutex<State> = IrqMutex::new(State {
    queues: Registry::new(),
    sets: Registry::new(),
    waiters: Vec::new(),
    undo: Vec::new(),
});

/// Seconds since 1970, for the objects' times.
pub(super) fn now() -> i64 {
    (crate::time::realtime_ns() / 1_000_000_000) as i64
}

/// Wakes every waiter: each looks again at what it waited for.
fn wake_all() {
    let waiters = core::mem::take(&mut IPC.lock().waiters);
    for waiter in waiters {
        sched::wake_thread(waiter.thread);
    }
}

/// Sleeps until something changes, if `blocked` (checked with the lock held) still says the
/// caller must wait; `EINTR` if a signal came. `semaphore` is what it waits for, if a semaphore.
fn wait(
    semaphore: Option<(i32, u16, bool)>,
    timeout: Option<Duration>,
    blocked: impl Fn(&mut State) -> bool,
) -> Result<(), Errno> {
    sched::block_interruptible_for(timeout, |thread| {
        let mut state = IPC.lock();
        let wait = blocked(&mut state);
        if wait {
            state.waiters.push(Waiter { thread, semaphore });
        }
        wait
    });
    let me = sched::current();
    {
        // The lists give their storage back once empty: idle IPC holds no heap memory.
        let mut state = IPC.lock();
        state.waiters.retain(|w| w.thread != me);
        if state.waiters.is_empty() {
            state.waiters = Vec::new();
        }
    }
    if sched::should_stop() {
        return Err(Errno::EINTR);
    }
    Ok(())
}

/// `msgget(key, flags)`.
pub fn msgget(key: i32, flags: u32) -> Result<usize, Errno> {
    let make = || {
        Ok(MessageQueue {
            queue: Queue::new(MSGMNB),
            mode: flags & MODE_BITS,
            times: (0, 0, now()),
            pids: (0, 0),
        })
    };
    let id = IPC.lock().queues.get(key, flags, make, |_| Ok(()))?;
    Ok(id as usize)
}

/// `msgsnd(id, msgp, size, flags)`: `msgp` points at a `long` type (above 0) followed by `size`
/// bytes of text.
pub fn msgsnd(task: &Task, id: i32, msgp: u64, size: usize, flags: u32) -> Result<usize, Errno> {
    if size > MSGMAX {
        return Err(Errno::EINVAL);
    }
    let kind: u64 = uaccess::read_value(msgp)?;
    let kind = kind as i64;
    if kind < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = alloc::vec![0u8; size];
    uaccess::read(msgp + 8, &mut text)?;
    let mut message = Some(Message { kind, text });
    let mut seen = false;
    loop {
        {
            let mut state = IPC.lock();
            let queue = state.queues.find_again(id, &mut seen)?;
            if size > queue.queue.capacity {
                return Err(Errno::EINVAL);
            }
            if queue.queue.fits(size) {
                if let Some(message) = message.take() {
                    queue.queue.push(message);
                }
                queue.times.0 = now();
                queue.pids.0 = task.pid;
                drop(state);
                wake_all();
                return Ok(0);
            }
        }
        if flags & IPC_NOWAIT != 0 {
            return Err(Errno::EAGAIN);
        }
        wait(None, None, |state| {
            state.queues.find(id).is_ok_and(|q| !q.queue.fits(size))
        })?;
    }
}

/// `msgrcv(id, msgp, size, type, flags)`: takes a message chosen by `wanted` (see
/// `sysvipc::Queue::select`) and writes its type and at most `size` bytes of text at `msgp`;
/// returns the bytes of text.
pub fn msgrcv(
    task: &Task,
    id: i32,
    msgp: u64,
    size: usize,
    wanted: i64,
    flags: u32,
) -> Result<usize, Errno> {
    if (size as isize) < 0 {
        return Err(Errno::EINVAL);
    }
    let mut seen = false;
    let message = loop {
        {
            let mut state = IPC.lock();
            let queue = state.queues.find_again(id, &mut seen)?;
            if let Some(index) = queue.queue.select(wanted, flags) {
                let length = queue.queue.messages[index].text.len();
                if length > size && flags & MSG_NOERROR == 0 {
                    return Err(Errno::E2BIG);
                }
                let message = queue.queue.take(index);
                queue.times.1 = now();
                queue.pids.1 = task.pid;
                drop(state);
                wake_all();
                break message.ok_or(Errno::EIDRM)?;
            }
        }
        if flags & IPC_NOWAIT != 0 {
            return Err(Errno::ENOMSG);
        }
        wait(None, None, |state| {
            state
                .queues
                .find(id)
                .is_ok_and(|q| q.queue.select(wanted, flags).is_none())
        })?;
    };
    let length = message.text.len().min(size);
    uaccess::write_value(msgp, &(message.kind as u64))?;
    uaccess::write(msgp + 8, &message.text[..length])?;
    Ok(length)
}

/// `msgctl(id, command, buf)`: `IPC_STAT`, `IPC_SET` (mode and size) and `IPC_RMID`.
pub fn msgctl(id: i32, command: u32, buf: u64) -> Result<usize, Errno> {
    match command & !IPC_64 {
        IPC_STAT => {
            let status = {
                let mut state = IPC.lock();
                let key = state.queues.key(id).ok_or(Errno::EINVAL)?;
                let q = state.queues.find(id)?;
                MsqidDs {
                    msg_perm: IpcPerm {
                        key,
                        mode: q.mode,
                        ..IpcPerm::default()
                    },
                    msg_stime: q.times.0,
                    msg_rtime: q.times.1,
                    msg_ctime: q.times.2,
                    msg_cbytes: q.queue.bytes as u64,
                    msg_qnum: q.queue.messages.len() as u64,
                    msg_qbytes: q.queue.capacity as u64,
                    msg_lspid: q.pids.0 as i32,
                    msg_lrpid: q.pids.1 as i32,
                    ..MsqidDs::default()
                }
            };
            uaccess::write_value(buf, &status)?;
            Ok(0)
        }
        IPC_SET => {
            let wanted: MsqidDs = uaccess::read_value(buf)?;
            {
                let mut state = IPC.lock();
                let q = state.queues.find(id)?;
                q.mode = wanted.msg_perm.mode & MODE_BITS;
                q.queue.capacity = usize::try_from(wanted.msg_qbytes).map_err(|_| Errno::EINVAL)?;
                q.times.2 = now();
            }
            // A bigger queue may let a sender go on.
            wake_all();
            Ok(0)
        }
        IPC_RMID => {
            IPC.lock().queues.remove(id)?;
            wake_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// `semget(key, count, flags)`: a set of `count` semaphores, all 0.
pub fn semget(key: i32, count: i32, flags: u32) -> Result<usize, Errno> {
    let count = usize::try_from(count).map_err(|_| Errno::EINVAL)?;
    if count > SEMMSL {
        return Err(Errno::EINVAL);
    }
    let make = || {
        if count == 0 {
            return Err(Errno::EINVAL);
        }
        Ok(SemaphoreSet {
            values: alloc::vec![0; count],
            pids: alloc::vec![0; count],
            mode: flags & MODE_BITS,
            times: (0, now()),
        })
    };
    let check = |set: &SemaphoreSet| {
        if count > set.values.len() {
            Err(Errno::EINVAL)
        } else {
            Ok(())
        }
    };
    let id = IPC.lock().sets.get(key, flags, make, check)?;
    Ok(id as usize)
}

/// `semop(id, sops, count)` and `semtimedop` (with a `Timespec` span at `timeout`, or none).
pub fn semop(task: &Task, id: i32, sops: u64, count: usize, timeout: u64) -> Result<usize, Errno> {
    if count == 0 {
        return Err(Errno::EINVAL);
    }
    if count > SEMOPM {
        return Err(Errno::E2BIG);
    }
    let mut raw = alloc::vec![SemBuf::default(); count];
    for (n, op) in raw.iter_mut().enumerate() {
        *op = uaccess::read_value(sops + (n * core::mem::size_of::<SemBuf>()) as u64)?;
    }
    let deadline = if timeout == 0 {
        None
    } else {
        let span: abi::Timespec = uaccess::read_value(timeout)?;
        if !span.is_valid() {
            return Err(Errno::EINVAL);
        }
        let ns = (span.tv_sec as u64)
            .saturating_mul(1_000_000_000)
            .saturating_add(span.tv_nsec as u64);
        Some(crate::time::uptime_ns().saturating_add(ns))
    };
    let ops: Vec<SemOp> = raw
        .iter()
        .map(|b| SemOp {
            number: b.sem_num,
            change: b.sem_op,
        })
        .collect();
    let mut seen = false;
    loop {
        let waits_on = {
            let mut state = IPC.lock();
            let set = state.sets.find_again(id, &mut seen)?;
            match sysvipc::semop(&mut set.values, &ops, SEMVMX)? {
                SemOutcome::Done => {
                    for op in &ops {
                        set.pids[usize::from(op.number)] = task.pid;
                    }
                    set.times.0 = now();
                    let size = set.values.len();
                    remember_undo(&mut state, task.pid, id, size, &raw);
                    drop(state);
                    wake_all();
                    return Ok(0);
                }
                SemOutcome::Wait { number, for_zero } => (number, for_zero),
            }
        };
        let (number, for_zero) = waits_on;
        let nowait = raw
            .iter()
            .any(|b| b.sem_num == number && b.sem_flg & IPC_NOWAIT as i16 != 0);
        if nowait {
            return Err(Errno::EAGAIN);
        }
        let left = match deadline {
            None => None,
            Some(deadline) => {
                let now = crate::time::uptime_ns();
                if now >= deadline {
                    return Err(Errno::EAGAIN);
                }
                Some(Duration::from_nanos(deadline - now))
            }
        };
        wait(Some((id, number, for_zero)), left, |state| {
            state.sets.find(id).is_ok_and(|set| {
                let mut values = set.values.clone();
                matches!(
                    sysvipc::semop(&mut values, &ops, SEMVMX),
                    Ok(SemOutcome::Wait { .. })
                )
            })
        })?;
    }
}

/// Records the reverse of `ops`' `SEM_UNDO` operations for process `pid` on set `id` (of
/// `size` semaphores).
fn remember_undo(state: &mut State, pid: Pid, id: i32, size: usize, ops: &[SemBuf]) {
    for op in ops.iter().filter(|op| op.sem_flg & SEM_UNDO != 0) {
        let index = match state.undo.iter().position(|u| u.pid == pid && u.set == id) {
            Some(index) => index,
            None => {
                state.undo.push(Undo {
                    pid,
                    set: id,
                    adjust: alloc::vec![0; size],
                });
                state.undo.len() - 1
            }
        };
        state.undo[index].adjust[usize::from(op.sem_num)] -= i32::from(op.sem_op);
    }
}

/// `semctl(id, number, command, arg)`: values (`GETVAL`, `SETVAL`, `GETALL`, `SETALL`), who
/// waits (`GETNCNT`, `GETZCNT`), the last process (`GETPID`), `IPC_STAT`, `IPC_SET`, `IPC_RMID`.
pub fn semctl(task: &Task, id: i32, number: i32, command: u32, arg: u64) -> Result<usize, Errno> {
    let command = command & !IPC_64;
    let index = usize::try_from(number).ok();
    match command {
        GETVAL | GETPID | GETNCNT | GETZCNT => {
            let mut state = IPC.lock();
            let waiting = |for_zero: bool| {
                state
                    .waiters
                    .iter()
                    .filter(|w| w.semaphore == index.map(|i| (id, i as u16, for_zero)))
                    .count()
            };
            let (more, zero) = (waiting(false), waiting(true));
            let set = state.sets.find(id)?;
            let i = index
                .filter(|&i| i < set.values.len())
                .ok_or(Errno::EINVAL)?;
            Ok(match command {
                GETVAL => usize::from(set.values[i]),
                GETPID => set.pids[i] as usize,
                GETNCNT => more,
                _ => zero,
            })
        }
        SETVAL => {
            let value = u16::try_from(arg as i32)
                .ok()
                .filter(|&v| v <= SEMVMX)
                .ok_or(Errno::ERANGE)?;
            {
                let mut state = IPC.lock();
                let set = state.sets.find(id)?;
                let i = index
                    .filter(|&i| i < set.values.len())
                    .ok_or(Errno::EINVAL)?;
                set.values[i] = value;
                set.pids[i] = task.pid;
                set.times.1 = now();
                // Linux's rule: a value set outright cancels what would have been undone.
                for undo in state.undo.iter_mut().filter(|u| u.set == id) {
                    undo.adjust[i] = 0;
                }
            }
            wake_all();
            Ok(0)
        }
        GETALL => {
            let values = IPC.lock().sets.find(id)?.values.clone();
            let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
            uaccess::write(arg, &bytes)?;
            Ok(0)
        }
        SETALL => {
            let size = IPC.lock().sets.find(id)?.values.len();
            let mut bytes = alloc::vec![0u8; size * 2];
            uaccess::read(arg, &mut bytes)?;
            let values: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect();
            if values.iter().any(|&v| v > SEMVMX) {
                return Err(Errno::ERANGE);
            }
            {
                let mut state = IPC.lock();
                let set = state.sets.find(id)?;
                if set.values.len() != values.len() {
                    return Err(Errno::EIDRM);
                }
                set.values = values;
                set.pids.fill(task.pid);
                set.times.1 = now();
                state.undo.retain(|u| u.set != id);
            }
            wake_all();
            Ok(0)
        }
        IPC_STAT => {
            let status = {
                let mut state = IPC.lock();
                let key = state.sets.key(id).ok_or(Errno::EINVAL)?;
                let set = state.sets.find(id)?;
                SemidDs {
                    sem_perm: IpcPerm {
                        key,
                        mode: set.mode,
                        ..IpcPerm::default()
                    },
                    sem_otime: set.times.0,
                    sem_ctime: set.times.1,
                    sem_nsems: set.values.len() as u64,
                    ..SemidDs::default()
                }
            };
            uaccess::write_value(arg, &status)?;
            Ok(0)
        }
        IPC_SET => {
            let wanted: SemidDs = uaccess::read_value(arg)?;
            let mut state = IPC.lock();
            let set = state.sets.find(id)?;
            set.mode = wanted.sem_perm.mode & MODE_BITS;
            set.times.1 = now();
            Ok(0)
        }
        IPC_RMID => {
            {
                let mut state = IPC.lock();
                state.sets.remove(id)?;
                state.undo.retain(|u| u.set != id);
            }
            wake_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// When process `pid` ends: its `SEM_UNDO` adjustments are applied (each value kept within
/// 0 and `SEMVMX`), and waiters look again.
pub fn process_ended(pid: Pid) {
    let changed = {
        let mut state = IPC.lock();
        if !state.undo.iter().any(|u| u.pid == pid) {
            return;
        }
        let undo: Vec<Undo> = {
            let (mine, others) = core::mem::take(&mut state.undo)
                .into_iter()
                .partition(|u| u.pid == pid);
            state.undo = others;
            mine
        };
        if state.undo.is_empty() {
            state.undo = Vec::new();
        }
        for entry in undo {
            if let Ok(set) = state.sets.find(entry.set) {
                for (value, adjust) in set.values.iter_mut().zip(&entry.adjust) {
                    let new = (i32::from(*value) + adjust).clamp(0, i32::from(SEMVMX));
                    *value = new as u16;
                }
            }
        }
        true
    };
    if changed {
        wake_all();
    }
}
