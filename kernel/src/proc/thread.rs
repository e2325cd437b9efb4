//! Threads of a process: `clone` with `CLONE_THREAD`, and what happens when one ends.
//!
//! Linux has no separate "thread" object: a thread is a task like a process, created by `clone`
//! with flags that say what it shares with its creator. `pthread_create` asks for everything:
//! the memory (`CLONE_VM`), the descriptor table (`CLONE_FILES`), the working directory
//! (`CLONE_FS`), the signal handlers (`CLONE_SIGHAND`) and the process itself (`CLONE_THREAD`:
//! the same pid, one more thread id). Ferrite offers exactly that combination, `fork`'s (nothing
//! shared), and `posix_spawn`'s (`CLONE_VM | CLONE_VFORK`: a new process that borrows the
//! memory until it calls `execve`); other mixtures answer `EINVAL`.
//!
//! A new thread is one more scheduler thread running the same program: its `Task` holds
//! references to the process's [`Memory`](super::shared::Memory) and
//! [`Files`](super::shared::Files), and its entry ([`Member`]) in the process's record in the
//! table holds its signal mask and the signals sent to it alone. It starts on the stack the C
//! library allocated for it, with the thread pointer (`CLONE_SETTLS`) pointing at its
//! thread-local storage, and `clone` returning 0 in it.
//!
//! **Ending.** `exit` ends one thread; `exit_group`, a fatal signal or a fault nobody handles end
//! every thread of the process ([`super::end_group`]: the others are asked to stop and leave on
//! their way back to ring 3). A thread that ends clears the word `set_tid_address` named and
//! wakes a waiter on it (that is how `pthread_join` learns it is over), and marks the robust
//! mutexes it still held as their owner having died. The last thread to end ends the process.

use super::{futex, signal, with_table, Member, Start, Task};
use crate::arch::x86_64::fpu::FpuState;
use crate::arch::x86_64::trap::TrapFrame;
use crate::mm::space::USER_END;
use crate::mm::uaccess;
use crate::sched;
use abi::futex::{
    RobustListHead, FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS, ROBUST_LIST_LIMIT,
};
use abi::sched::*;
use abi::Errno;

/// What `pthread_create` asks to share: every flag must be present for a thread.
const THREAD: u64 = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD;
/// The other flags a thread may be created with.
const THREAD_EXTRAS: u64 = CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED;

/// `clone(flags, stack, parent_tid, child_tid, tls)` for a thread: starts a new thread of
/// `task`'s process, with `frame`'s registers but RSP `stack` (if not 0) and RAX 0. Returns its
/// thread id.
pub fn clone(task: &mut Task, frame: &TrapFrame, a: [u64; 6]) -> Result<usize, Errno> {
    let (flags, stack, parent_tid, child_tid, tls) = (a[0], a[1], a[2], a[3], a[4]);
    if flags & THREAD != THREAD || flags & !(THREAD | THREAD_EXTRAS | CSIGNAL) != 0 {
        return Err(Errno::EINVAL);
    }
    let fs_base = if flags & CLONE_SETTLS != 0 {
        if tls >= USER_END {
            return Err(Errno::EPERM);
        }
        tls
    } else {
        x86_64::registers::model_specific::FsBase::read().as_u64()
    };
    let tid = super::new_pid();
    let me = sched::current();
    // Its entry first, with its creator's mask, so that signals sent from now on count it.
    with_table(|table| {
        let record = table.processes.get_mut(&task.pid).ok_or(Errno::ESRCH)?;
        if record.exiting.is_some() {
            return Err(Errno::EAGAIN);
        }
        let blocked = record.member(me).map_or(0, |m| m.signals.blocked());
        record.threads.push(Member {
            tid,
            thread: 0,
            signals: signal::ThreadState::new(blocked),
            must_leave: false,
            name: None,
        });
        Ok(())
    })?;
    if flags & CLONE_PARENT_SETTID != 0 {
        // The memory is shared: the creator writes it, before the thread can run.
        if let Err(e) = uaccess::write_value(parent_tid, &(tid as i32)) {
            forget(task.pid, tid);
            return Err(e);
        }
    }
    let thread = Task {
        pid: task.pid,
        tid,
        clear_child_tid: if flags & CLONE_CHILD_CLEARTID != 0 {
            child_tid
        } else {
            0
        },
        robust_list: 0,
        name: task.name.clone(),
        memory: task.memory.clone(),
        account: task.account.clone(),
        status: 0,
        trace: task.trace,
        reported_missing: None,
        fault: None,
        files: task.files.share(),
        cwd: task.cwd.share(),
        // No alternate signal stack: the creator's is its own.
        signal: signal::Thread::default(),
    };
    let mut thread_frame = *frame;
    thread_frame.rax = 0;
    if stack != 0 {
        thread_frame.rsp = stack;
    }
    // The creator's x87/SSE registers are still in the CPU (the kernel never touches them).
    let mut fpu = FpuState::zeroed();
    fpu.save();
    let start = Start {
        frame: thread_frame,
        fpu,
        fs_base,
        child_tid: (flags & CLONE_CHILD_SETTID != 0).then_some(child_tid),
    };
    match super::start_member(thread, start) {
        Ok(tid) => Ok(tid as usize),
        Err(_) => {
            forget(task.pid, tid);
            Err(Errno::EAGAIN)
        }
    }
}

/// Takes thread `tid`'s entry out of process `pid`'s record (it could not start).
fn forget(pid: super::Pid, tid: super::Pid) {
    with_table(|table| {
        if let Some(record) = table.processes.get_mut(&pid) {
            record.threads.retain(|m| m.tid != tid);
        }
    });
}

/// `set_tid_address(tidptr)`: where the thread's id is cleared when it ends; returns the id.
pub fn set_tid_address(task: &mut Task, at: u64) -> Result<usize, Errno> {
    task.clear_child_tid = at;
    Ok(task.tid as usize)
}

/// `set_robust_list(head, len)`.
pub fn set_robust_list(task: &mut Task, head: u64, len: usize) -> Result<usize, Errno> {
    if len != core::mem::size_of::<RobustListHead>() {
        return Err(Errno::EINVAL);
    }
    task.robust_list = head;
    Ok(0)
}

/// `get_robust_list(tid, head_out, len_out)`: the caller's own (`tid` 0 or its id) only.
pub fn get_robust_list(task: &Task, tid: i32, head_out: u64, len_out: u64) -> Result<usize, Errno> {
    if tid != 0 && tid as u32 != task.tid {
        return Err(Errno::EPERM);
    }
    uaccess::write_value(head_out, &task.robust_list)?;
    uaccess::write_value(len_out, &(core::mem::size_of::<RobustListHead>() as u64))?;
    Ok(0)
}

/// What a thread does as it ends, still in its address space: marks the robust mutexes it held,
/// then clears its id where `set_tid_address` said and wakes one waiter there. Faults in either
/// are the program's problem and are ignored, as on Linux.
pub(super) fn on_exit(task: &Task) {
    if task.robust_list != 0 {
        release_robust_list(task);
    }
    if task.clear_child_tid != 0 && uaccess::write_value(task.clear_child_tid, &0u32).is_ok() {
        futex::wake_one(task, task.clear_child_tid);
    }
}

/// Walks the thread's robust list (at most [`ROBUST_LIST_LIMIT`] entries, so a loop cannot
/// hang the kernel) and marks each mutex it owns.
fn release_robust_list(task: &Task) {
    let Ok(head) = uaccess::read_value::<RobustListHead>(task.robust_list) else {
        return;
    };
    // The low bit of an entry pointer marks a priority-inheritance mutex.
    let pending = head.list_op_pending & !1;
    let mut entry = head.next & !1;
    for _ in 0..ROBUST_LIST_LIMIT {
        if entry == task.robust_list || entry == 0 {
            break;
        }
        let Ok(next) = uaccess::read_value::<u64>(entry) else {
            return;
        };
        if entry != pending {
            owner_died(task, entry.wrapping_add_signed(head.futex_offset));
        }
        entry = next & !1;
    }
    if pending != 0 {
        owner_died(task, pending.wrapping_add_signed(head.futex_offset));
    }
}

/// If the mutex word at `at` names the ending thread as its owner, marks it
/// `FUTEX_OWNER_DIED` (keeping `FUTEX_WAITERS`) and wakes a waiter if there is one.
fn owner_died(task: &Task, at: u64) {
    let Ok(word) = uaccess::read_value::<u32>(at) else {
        return;
    };
    if word & FUTEX_TID_MASK != task.tid {
        return;
    }
    let marked = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if uaccess::write_value(at, &marked).is_ok() && word & FUTEX_WAITERS != 0 {
        futex::wake_one(task, at);
    }
}

/// Before `execve` replaces the program: every other thread of the process ends, and the
/// caller becomes its only thread, with the process's id as its thread id (Linux's rule).
pub(super) fn become_only_thread(task: &mut Task) {
    let me = sched::current();
    let pid = task.pid;
    let others = with_table(|table| {
        let Some(record) = table.processes.get_mut(&pid) else {
            return alloc::vec::Vec::new();
        };
        let mut others = alloc::vec::Vec::new();
        for member in &mut record.threads {
            if member.thread != me {
                member.must_leave = true;
                others.push(member.thread);
            }
        }
        others
    });
    if others.is_empty() {
        return;
    }
    for thread in others.into_iter().filter(|&t| t != 0) {
        sched::request_stop(thread);
    }
    // They leave on their way back to ring 3; a blocked one is woken by the request.
    while with_table(|table| {
        table
            .processes
            .get(&pid)
            .is_some_and(|r| r.threads.len() > 1)
    }) {
        sched::sleep(core::time::Duration::from_millis(1));
        sched::clear_stop();
    }
    // Stop requests withdrawn above may have been for signals: look again on the way out.
    signal::recheck(pid);
    with_table(|table| {
        if let Some(record) = table.processes.get_mut(&pid) {
            if let Some(member) = record.member_mut(me) {
                member.tid = pid;
            }
        }
    });
    task.tid = pid;
    task.clear_child_tid = 0;
    task.robust_list = 0;
}
