//! Advisory file locks: `fcntl`'s record locks and `flock`.
//!
//! Two processes that update one file (a mailbox, a database, a log) agree to lock what they
//! are about to change. The kernel only keeps the table of who holds what and makes a waiter
//! sleep until the way is clear; `read` and `write` never look at it (the locks are
//! *advisory*). Which ranges conflict, and how a new lock replaces, splits or merges an
//! owner's others, is pure logic in the `filelocks` crate, tested on the host; this module
//! keeps one [`filelocks::Locks`] of each kind per locked file and does the waiting.
//!
//! **Owners.** A record lock belongs to a *process*: it goes when the process ends, and also,
//! by a famous POSIX rule, when the process closes *any* descriptor of that file, even one it
//! never locked through. A `flock` lock belongs to an *open file description*: descriptors
//! `dup`ed or inherited by `fork` share it, and it goes when the last of them closes. The two
//! kinds never meet, as on Linux.
//!
//! **Waiting** (`F_SETLKW`, `flock` without `LOCK_NB`). A waiter checks for a conflict and
//! queues itself in one step, with the table's lock held and interrupts off, so a release
//! cannot slip between the two; every release wakes every waiter, and each looks again. A
//! signal ends the wait with `EINTR`.
//!
//! **Deadlocks.** Two processes that each hold a record lock and wait for the other's would
//! sleep for ever, so a record-lock waiter notes whose lock is in its way, and before it sleeps
//! follows those notes from that owner (`filelocks::would_deadlock`): if they lead back to the
//! caller, the request fails with `EDEADLK` instead, as on Linux. The check and the queueing are
//! one step under the table's lock, so of two processes that close a cycle at the same moment,
//! exactly one is refused. A wake-up (every release wakes every waiter) erases the notes with
//! the queue, and a waiter that still finds its way blocked checks again: a note never outlives
//! the wait it describes, which would make a later request see a deadlock that is not there.
//! `flock` waits are never checked (Linux does not check them either): their owners are open
//! file descriptions, which any number of processes may share.

use super::Vnode;
use crate::sched;
use crate::sync::IrqMutex;
use ::sched::ThreadId;
use abi::Errno;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use filelocks::{Kind, Locks, Owner, Wait};

pub use super::FileKey;

/// The key of the file `node` names.
pub fn key_of(node: &Vnode) -> FileKey {
    node.key()
}

/// Which kind of lock: a process's record locks, or descriptions' `flock` locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `fcntl(F_SETLK)`: byte ranges, owned by processes.
    Record,
    /// `flock`: the whole file, owned by open file descriptions.
    Whole,
}

/// One file's locks, of both families.
#[derive(Default)]
struct FileLocks {
    /// Record locks.
    record: Locks,
    /// `flock` locks.
    whole: Locks,
}

impl FileLocks {
    /// The locks of `family`.
    fn of(&mut self, family: Family) -> &mut Locks {
        match family {
            Family::Record => &mut self.record,
            Family::Whole => &mut self.whole,
        }
    }
}

/// A thread asleep until a lock in its way goes.
struct Waiter {
    /// The thread, to wake.
    thread: ThreadId,
    /// For a record lock, whom its process waits for (an edge of the deadlock check's graph);
    /// `None` for `flock`, whose waits the check leaves out.
    wait: Option<Wait>,
}

/// Every locked file's locks, and the threads waiting for one to go. Taken with interrupts
/// off (a waiter looks at it as it blocks).
struct Table {
    /// The files that have locks.
    files: BTreeMap<FileKey, FileLocks>,
    /// Threads waiting for a conflicting lock to go.
    waiters: Vec<Waiter>,
}

impl Table {
    /// Whom record-lock owner `owner` waits for, if it is asleep in `F_SETLKW`.
    fn waits_for(&self, owner: Owner) -> Option<Owner> {
        filelocks::waited_for(self.waiters.iter().filter_map(|w| w.wait.as_ref()), owner)
    }
}

/// The lock table.
static TABLE: IrqMutex<Table> = IrqMutex::new(Table {
    files: BTreeMap::new(),
    waiters: Vec::new(),
});

/// The first lock of another owner that would stop `owner` from locking `start..end` of `file`
/// as `kind` (`F_GETLK`).
pub fn conflict(
    file: FileKey,
    family: Family,
    owner: Owner,
    kind: Kind,
    (start, end): (u64, u64),
) -> Option<filelocks::Lock> {
    let mut table = TABLE.lock();
    let locks = table.files.get_mut(&file)?.of(family);
    locks.conflict(owner, kind, start, end)
}

/// Makes `owner`'s locks on `start..end` of `file` be `kind` (`None`: unlocks). With `wait`,
/// sleeps while another owner's lock is in the way (`EINTR` if a signal comes; for a record
/// lock, `EDEADLK` if the holder waits, directly or through others, for `owner`); without,
/// that is `EAGAIN`.
pub fn set(
    file: FileKey,
    family: Family,
    owner: Owner,
    kind: Option<Kind>,
    (start, end): (u64, u64),
    wait: bool,
) -> Result<(), Errno> {
    loop {
        let taken = {
            let mut table = TABLE.lock();
            let locks = table.files.entry(file).or_default().of(family);
            let blocked = kind.is_some_and(|k| locks.conflict(owner, k, start, end).is_some());
            if !blocked {
                locks.set(owner, kind, start, end);
                forget_if_unlocked(&mut table, file);
            }
            !blocked
        };
        if taken {
            // An unlock, or a write lock turned into a read lock, may clear someone's way.
            wake_waiters();
            return Ok(());
        }
        if !wait {
            return Err(Errno::EAGAIN);
        }
        let Some(kind) = kind else {
            return Ok(());
        };
        let mut deadlock = false;
        sched::block_interruptible(|me| {
            let mut table = TABLE.lock();
            let Some(blocker) = table
                .files
                .get_mut(&file)
                .and_then(|f| f.of(family).conflict(owner, kind, start, end))
                .map(|lock| lock.owner)
            else {
                return false;
            };
            let wait = (family == Family::Record).then_some(Wait { owner, blocker });
            if wait.is_some() && filelocks::would_deadlock(owner, blocker, |o| table.waits_for(o)) {
                deadlock = true;
                return false;
            }
            table.waiters.push(Waiter { thread: me, wait });
            true
        });
        let me = sched::current();
        {
            let mut table = TABLE.lock();
            table.waiters.retain(|w| w.thread != me);
            if table.waiters.is_empty() {
                table.waiters = Vec::new();
            }
        }
        if deadlock {
            return Err(Errno::EDEADLK);
        }
        if sched::should_stop() {
            return Err(Errno::EINTR);
        }
    }
}

/// Drops every lock `owner` holds on `file` in `family` (a process closed a descriptor of it).
pub fn release(file: FileKey, family: Family, owner: Owner) {
    let released = {
        let mut table = TABLE.lock();
        let released = table
            .files
            .get_mut(&file)
            .is_some_and(|f| f.of(family).release(owner));
        forget_if_unlocked(&mut table, file);
        released
    };
    if released {
        wake_waiters();
    }
}

/// Drops every lock `owner` holds on any file in `family` (a process ended).
pub fn release_everywhere(family: Family, owner: Owner) {
    let released = {
        let mut table = TABLE.lock();
        let mut released = false;
        for locks in table.files.values_mut() {
            released |= locks.of(family).release(owner);
        }
        table
            .files
            .retain(|_, f| !f.record.is_empty() || !f.whole.is_empty());
        if table.files.is_empty() {
            table.files = BTreeMap::new();
        }
        released
    };
    if released {
        wake_waiters();
    }
}

/// Takes `file`'s entry out of the table once it has no locks left, and gives the table's
/// storage back to the heap once no file has any: a kernel with no locks holds no memory for
/// them (and the leak checks, which count heap blocks, agree).
fn forget_if_unlocked(table: &mut Table, file: FileKey) {
    if table
        .files
        .get(&file)
        .is_some_and(|f| f.record.is_empty() && f.whole.is_empty())
    {
        table.files.remove(&file);
    }
    if table.files.is_empty() {
        table.files = BTreeMap::new();
    }
}

/// Wakes every waiter: each looks again at what was in its way. Their notes of whom they wait
/// for go with the queue: one still blocked writes its note again as it queues again.
fn wake_waiters() {
    let waiters = {
        let mut table = TABLE.lock();
        if table.waiters.is_empty() {
            return;
        }
        core::mem::take(&mut table.waiters)
    };
    for waiter in waiters {
        sched::wake_thread(waiter.thread);
    }
}
