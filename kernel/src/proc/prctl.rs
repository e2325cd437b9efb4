//! `prctl`: the attributes of a process or thread that have no system call of their own.
//!
//! Linux's `prctl` has some sixty options; programs use a handful, and those are here:
//!
//! - **A thread's name** (`PR_SET_NAME`, `PR_GET_NAME`): up to 15 bytes, what `/proc/PID/task/
//!   TID/comm` and `ps -L` show (and, for the first thread, `/proc/PID/comm`). A thread that
//!   never named itself goes by its program's name. `execve` forgets the names.
//! - **The parent-death signal** (`PR_SET_PDEATHSIG`, `PR_GET_PDEATHSIG`): a helper process asks
//!   to be told (usually killed) when the process that started it ends, so that it never
//!   outlives it. `fork` clears it; `execve` keeps it. Linux sends it when the parent *thread*
//!   ends; Ferrite, when the parent process does (the same for a single-threaded parent).
//! - **No new privileges** (`PR_SET_NO_NEW_PRIVS`, `PR_GET_NO_NEW_PRIVS`): a one-way switch,
//!   inherited by children and kept over `execve`, that sandboxes set before running untrusted
//!   code. Ferrite has no set-user-id programs to refuse, so the bit has nothing to forbid yet;
//!   it is kept and reported faithfully, because programs check that it stuck.
//! - **Dumpable** (`PR_SET_DUMPABLE`, `PR_GET_DUMPABLE`): whether a crash may leave a core
//!   file. Ferrite writes no core files; the flag is kept, reset to 1 by `execve`, as on Linux.
//!
//! Any other option is `EINVAL`, Linux's answer for an option it does not know.

use super::{with_table, Task};
use crate::mm::uaccess;
use crate::sched;
use abi::prctl::*;
use abi::Errno;
use alloc::boxed::Box;
use alloc::string::String;

/// The most bytes of a name (`TASK_COMM_LEN` less its NUL).
const NAME_MAX: usize = TASK_COMM_LEN - 1;

/// `prctl(option, arg2, arg3, arg4, arg5)`.
pub fn prctl(task: &Task, a: [u64; 6]) -> Result<usize, Errno> {
    let option = a[0] as u32;
    let rest_zero = |from: usize| a[from..5].iter().all(|&arg| arg == 0);
    match option {
        PR_SET_NAME => set_name(task, a[1]).map(|()| 0),
        PR_GET_NAME => {
            let mut bytes = [0u8; TASK_COMM_LEN];
            let name = name_of(task);
            let kept = name.len().min(NAME_MAX);
            bytes[..kept].copy_from_slice(&name.as_bytes()[..kept]);
            uaccess::write(a[1], &bytes).map(|()| 0)
        }
        PR_SET_PDEATHSIG => {
            let signal = i32::try_from(a[1]).map_err(|_| Errno::EINVAL)?;
            if !(0..=abi::signal::SIGRTMAX).contains(&signal) {
                return Err(Errno::EINVAL);
            }
            update(task, |record| record.death_signal = signal).map(|()| 0)
        }
        PR_GET_PDEATHSIG => {
            let signal = read(task, |record| record.death_signal)?;
            uaccess::write_value(a[1], &signal).map(|()| 0)
        }
        PR_SET_NO_NEW_PRIVS if a[1] == 1 && rest_zero(2) => {
            update(task, |record| record.no_new_privs = true).map(|()| 0)
        }
        PR_GET_NO_NEW_PRIVS if rest_zero(1) => read(task, |r| usize::from(r.no_new_privs)),
        PR_SET_DUMPABLE if a[1] <= 1 => {
            update(task, |record| record.dumpable = a[1] == 1).map(|()| 0)
        }
        PR_GET_DUMPABLE => read(task, |record| usize::from(record.dumpable)),
        _ => Err(Errno::EINVAL),
    }
}

/// Reads something of `task`'s process record.
fn read<R>(task: &Task, f: impl FnOnce(&super::Record) -> R) -> Result<R, Errno> {
    with_table(|table| table.processes.get(&task.pid).map(f)).ok_or(Errno::ESRCH)
}

/// Changes something of `task`'s process record.
fn update(task: &Task, f: impl FnOnce(&mut super::Record)) -> Result<(), Errno> {
    with_table(|table| table.processes.get_mut(&task.pid).map(f)).ok_or(Errno::ESRCH)
}

/// The calling thread's name: the one it gave itself, or its program's.
fn name_of(task: &Task) -> String {
    let me = sched::current();
    let own = with_table(|table| {
        let record = table.processes.get(&task.pid)?;
        record.member(me)?.name.as_deref().map(String::from)
    });
    own.unwrap_or_else(|| task.name.clone())
}

/// `PR_SET_NAME`: the string at `at`, cut to [`NAME_MAX`] bytes as Linux cuts it (a longer name
/// is no error), becomes the calling thread's name.
fn set_name(task: &Task, at: u64) -> Result<(), Errno> {
    // A byte at a time, so that a short name just before an unmapped page reads without a
    // fault, and a long one stops at the limit without needing its NUL.
    let mut bytes = alloc::vec::Vec::with_capacity(NAME_MAX);
    for i in 0..NAME_MAX as u64 {
        let mut byte = [0u8];
        uaccess::read(at.checked_add(i).ok_or(Errno::EFAULT)?, &mut byte)?;
        if byte[0] == 0 {
            break;
        }
        bytes.push(byte[0]);
    }
    // Made before the table's lock is taken; the old name is dropped after it is released.
    let mut name: Option<Box<str>> = Some(String::from_utf8_lossy(&bytes).into());
    let me = sched::current();
    with_table(|table| {
        let record = table.processes.get_mut(&task.pid).ok_or(Errno::ESRCH)?;
        let member = record.member_mut(me).ok_or(Errno::ESRCH)?;
        core::mem::swap(&mut member.name, &mut name);
        Ok(())
    })
}
