//! Processes: a program in its own address space, run by one kernel thread.
//!
//! A process is three things. An **address space** ([`crate::mm::space`]) holding its program,
//! heap and stack. A **kernel thread** that runs it: the thread enters ring 3 with the
//! program's registers, and whenever the program makes a system call or is interrupted, the same
//! thread continues in ring 0 on its own kernel stack; so processes are scheduled and preempted
//! exactly like kernel threads, by the same code. And a **record** in the process table
//! ([`TABLE`]): pid, parent, name, and, once it has ended, its exit status, kept (a *zombie*)
//! until someone collects it with [`wait`].
//!
//! What only the running program's own thread uses (its address space, program break, open
//! files) is in a [`Task`], which that thread owns: it keeps it in its slot of [`TASKS`] while
//! the program runs, and its system-call handler and trap hooks borrow it from there
//! ([`with_current_task`]). What others read (`ps`, `wait`, `kill`) is in the table, behind a
//! lock.
//!
//! A program ends in one of three ways: it calls `exit`/`exit_group`; it faults (the kernel
//! prints one line naming it and the fault); or it is killed. Each ends the same way. The
//! handler that sees it (the system-call handler, [`user_exception`], [`returning_to_user`])
//! records the wait status in the task and *returns* `Next::Leave`, dropping what it held like
//! any function; `arch` then abandons the trap's own frames, which own nothing, and returns from
//! the `user::enter` in the thread's [`run`]. There the thread takes its task back, frees the
//! address space, closes the files, records the status and wakes whoever waits.

pub mod exec;
pub mod files;
pub mod futex;
pub mod info;
pub mod ipc;
pub mod mapping;
pub mod poll;
pub mod prctl;
pub mod procfs;
pub mod regions;
pub mod shared;
pub mod shm;
pub mod signal;
pub mod syscall;
pub mod thread;

use crate::arch::x86_64::fpu::FpuState;
use crate::arch::x86_64::trap::TrapFrame;
use crate::arch::x86_64::user::{self, Next};
use crate::fs::file::FdTable;
use crate::mm::space::{AddressSpace, FaultFix};
use crate::mm::uaccess;
use crate::sched;
use ::sched::ThreadId;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use core::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use shared::{Cwd, Files, Memory};
use x86_64::instructions::interrupts;

/// A process id. Linux's type is a signed 32-bit integer; ids here start at 1.
pub type Pid = u32;

/// A process's entry in the table.
struct Record {
    /// Its parent's pid (0: started by the kernel console).
    parent: Pid,
    /// Its program's name.
    name: String,
    /// Its threads, the one that started it first (its thread id is the pid) while it runs;
    /// none once it has ended.
    threads: Vec<Member>,
    /// The parent's thread, waiting while this process runs in its memory (`CLONE_VFORK`)
    /// until it calls `execve` or ends.
    vfork_parent: Option<ThreadId>,
    /// Set when the whole process is to end (`exit_group`, a fatal signal): the wait status.
    /// Each of its threads sees it on its way back to ring 3 and leaves.
    exiting: Option<i32>,
    /// Its program's canonical path (`/proc/PID/exe`), shared with its forked children (so a
    /// `fork` copies a pointer, not the path).
    exe: Arc<str>,
    /// `Some(wait status)` once it has ended: a zombie until waited for.
    status: Option<i32>,
    /// Threads blocked in [`wait`] for it.
    waiters: Vec<ThreadId>,
    /// Pages of user memory it has mapped: its [`Memory`]'s counter, while it runs.
    resident: Option<Arc<AtomicUsize>>,
    /// Its memory, while it runs, for `/proc/PID/maps`: weak, so the table never keeps an
    /// address space alive, and upgraded only after the table's lock is released (dropping
    /// the last reference frees frames, which must not happen with interrupts off).
    memory: Option<Weak<Memory>>,
    /// Its descriptor table, while it runs, for `/proc/PID/fd`: weak for the same reasons.
    files: Option<shared::WeakFiles>,
    /// Its thread, while it is blocked in `wait4` for a child to end.
    child_waiter: Option<ThreadId>,
    /// Whether its record goes as soon as it ends: an orphan with no `init` to adopt it.
    reap_on_exit: bool,
    /// Its process group: the processes a terminal's Ctrl-C reaches together (a shell puts
    /// each pipeline in one).
    group: Pid,
    /// Its session (the group of groups a login shell starts); only `getsid` reports it.
    session: Pid,
    /// Its signals: actions, mask, pending (others send to it, so they are here).
    signals: signal::State,
    /// Job control: stopped by this signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) until SIGCONT.
    stopped: Option<i32>,
    /// A change its parent's `wait4` has not reported yet (with `WUNTRACED` or `WCONTINUED`).
    unreported: Option<JobChange>,
    /// When it was made (by `fork`, or by the kernel), in timer ticks since boot (what `/proc`
    /// reports is in ticks too; reading the tick count is one load, cheaper than the clock).
    started: u64,
    /// Its arguments as `/proc/PID/cmdline` gives them: each followed by a NUL, at most
    /// [`CMDLINE_MAX`] bytes (a copy taken at `execve`, inherited across `fork`).
    cmdline: Vec<u8>,
    /// Its resource limits, if it changed any (`None`: the defaults). They belong to the
    /// process, not a thread: one thread's `setrlimit` binds them all, and `prlimit64` can
    /// reach another process's. Inherited across `fork`, kept by `execve`.
    limits: Option<alloc::boxed::Box<info::Limits>>,
    /// The signal it is sent when its parent ends (`PR_SET_PDEATHSIG`; 0: none). Not
    /// inherited by `fork`.
    death_signal: i32,
    /// Whether it gave up gaining privileges (`PR_SET_NO_NEW_PRIVS`): for good, and inherited.
    no_new_privs: bool,
    /// Whether it may be dumped (`PR_SET_DUMPABLE`): inherited by `fork`, set again by
    /// `execve`.
    dumpable: bool,
}

/// One thread of a process, as the table knows it.
struct Member {
    /// Its thread id (Linux's numbering, shared with pids).
    tid: Pid,
    /// The scheduler's thread that runs it (0 until that thread has started).
    thread: ThreadId,
    /// Its signal mask and the signals sent to it alone.
    signals: signal::ThreadState,
    /// Set when it must end though its process goes on (another thread called `execve`).
    must_leave: bool,
    /// The name it gave itself (`prctl(PR_SET_NAME)`), if any; otherwise it goes by its
    /// process's.
    name: Option<alloc::boxed::Box<str>>,
}

/// The most bytes of a program's arguments its record keeps for `/proc/PID/cmdline`: enough
/// for `ps` and `pidof`, which read the first kilobyte.
pub const CMDLINE_MAX: usize = 512;

/// A job-control change of a process, for its parent's `wait4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JobChange {
    /// It stopped, by this signal.
    Stopped(i32),
    /// It was continued.
    Continued,
}

impl Record {
    /// A new, running process's record, in process group `group` and session `session`, with
    /// one thread (whose id is the pid) blocking the signals of `blocked`.
    fn new(
        (pid, parent): (Pid, Pid),
        (name, exe): (String, Arc<str>),
        resident: Arc<AtomicUsize>,
        (group, session): (Pid, Pid),
        (signals, blocked): (signal::State, u64),
    ) -> Record {
        Record {
            threads: alloc::vec![Member {
                tid: pid,
                thread: 0,
                signals: signal::ThreadState::new(blocked),
                must_leave: false,
                name: None,
            }],
            exiting: None,
            vfork_parent: None,
            group,
            session,
            signals,
            stopped: None,
            unreported: None,
            parent,
            name,
            exe,
            status: None,
            waiters: Vec::new(),
            resident: Some(resident),
            memory: None,
            files: None,
            child_waiter: None,
            reap_on_exit: false,
            started: crate::time::ticks(),
            cmdline: Vec::new(),
            limits: None,
            death_signal: 0,
            no_new_privs: false,
            dumpable: true,
        }
    }
}

impl Record {
    /// The entry of the thread the scheduler knows as `thread`.
    fn member(&self, thread: ThreadId) -> Option<&Member> {
        self.threads.iter().find(|m| m.thread == thread)
    }

    /// The name its first thread (whose id is the pid) gave itself, if it did: what
    /// `/proc/PID/comm` shows, as on Linux.
    fn leader_name(&self) -> Option<&str> {
        let leader = self.threads.first()?;
        leader.name.as_deref()
    }

    /// The entry of the thread the scheduler knows as `thread`, to change.
    fn member_mut(&mut self, thread: ThreadId) -> Option<&mut Member> {
        self.threads.iter_mut().find(|m| m.thread == thread)
    }
}

/// The process that thread `tid` belongs to, if it runs.
fn process_of_tid(table: &Table, tid: Pid) -> Option<Pid> {
    if table
        .processes
        .get(&tid)
        .is_some_and(|r| r.status.is_none())
    {
        return Some(tid);
    }
    table
        .processes
        .iter()
        .find(|(_, r)| r.threads.iter().any(|m| m.tid == tid))
        .map(|(&pid, _)| pid)
}

/// The scheduler's threads that run process `pid`.
fn threads_of(pid: Pid) -> Vec<ThreadId> {
    with_table(|table| {
        table.processes.get(&pid).map_or_else(Vec::new, |r| {
            r.threads
                .iter()
                .map(|m| m.thread)
                .filter(|&t| t != 0)
                .collect()
        })
    })
}

/// Ends the whole of process `pid` with wait status `status` (`exit_group`, a fatal signal):
/// every other thread is asked to stop, and leaves on its way back to ring 3. The first
/// status set stands.
fn end_group(pid: Pid, status: i32) {
    let me = sched::current();
    // The status first, so that a thread the request reaches finds it.
    let others = with_table(|table| {
        let Some(record) = table.processes.get_mut(&pid) else {
            return Vec::new();
        };
        record.exiting.get_or_insert(status);
        record
            .threads
            .iter()
            .map(|m| m.thread)
            .filter(|&t| t != 0 && t != me)
            .collect()
    });
    for thread in others {
        sched::request_stop(thread);
    }
}

/// What the terminal needs from processes for job control (see `tty::JobControl`).
pub const JOB_CONTROL: crate::tty::JobControl = crate::tty::JobControl {
    signal_group: kill_group,
    check_access: signal::terminal_access,
};

/// The pid of `init`, which adopts orphans.
pub const INIT_PID: Pid = 1;

/// The process table and the next pid.
struct Table {
    processes: BTreeMap<Pid, Record>,
    next_pid: Pid,
}

/// The process table. Taken with interrupts off (briefly, never across a block).
static TABLE: spin::Mutex<Table> = spin::Mutex::new(Table {
    processes: BTreeMap::new(),
    next_pid: 1,
});

/// Runs `f` on the table with interrupts off.
fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    interrupts::without_interrupts(|| f(&mut TABLE.lock()))
}

/// What only the running program's thread uses.
pub struct Task {
    /// Its process's pid.
    pub pid: Pid,
    /// Its thread id (the pid, for a process's first thread).
    pub tid: Pid,
    /// Where its thread id is cleared, and a futex waiter woken, when it ends
    /// (`set_tid_address`, `CLONE_CHILD_CLEARTID`: how `pthread_join` learns it ended); 0: none.
    pub clear_child_tid: u64,
    /// Its robust futex list (`set_robust_list`): mutexes it holds that others must learn of
    /// if it dies holding them; 0: none.
    pub robust_list: u64,
    /// Its program's name.
    pub name: String,
    /// Its address space and heap (shared with the other threads of its process).
    pub memory: Arc<Memory>,
    /// Its user and group ids and its resource limits (see `info`); `None` while they are the
    /// first process's (root, the default limits), as for nearly every process: made at the
    /// first change, so that `fork` copies a null pointer and a `Task` stays small to move.
    pub account: Option<alloc::boxed::Box<info::Account>>,
    /// The wait status to report once the program has left ring 3 for good.
    pub status: i32,
    /// Whether each system call is printed with its result (the console's `trace`).
    pub trace: bool,
    /// One bit per system-call number this program has already been logged as calling in vain
    /// (`ENOSYS`): each missing call is logged once per program, not once per call. Made at the
    /// first such call: most programs never make one, and `fork` then copies a null pointer.
    pub reported_missing: Option<alloc::boxed::Box<[u64; MISSING_WORDS]>>,
    /// The exception that ended the program, if one did.
    pub fault: Option<Fault>,
    /// Its open files, by descriptor (shared with the other threads of its process).
    pub files: Files,
    /// Its working directory (shared with the other threads of its process).
    pub cwd: Cwd,
    /// What only its own thread keeps of its signals (the alternate stack).
    pub signal: signal::Thread,
}

/// Words of [`Task::reported_missing`]: a bit for each number up to 511 (Linux has about 460).
pub const MISSING_WORDS: usize = 8;

/// Per thread slot: the task its thread runs (`None` for a kernel thread). A process's thread
/// puts its `Task` here when the program starts and takes it back when the program is over
/// ([`run`]); in between, only that thread's system-call handler and trap hooks take the lock
/// ([`with_current_task`]), one at a time, so it is never contended.
static TASKS: [spin::Mutex<Option<Task>>; ::sched::MAX_THREADS] =
    [const { spin::Mutex::new(None) }; ::sched::MAX_THREADS];

/// Per thread slot: the memory of the process it runs, for the page-fault handler, which
/// cannot reach the `Task` (the system call it interrupted may be using it).
static MEMORY: [spin::Mutex<Option<Arc<Memory>>>; ::sched::MAX_THREADS] =
    [const { spin::Mutex::new(None) }; ::sched::MAX_THREADS];

/// Resolves a page fault at user address `addr` with error code `code`, hit by the running
/// process (from ring 3, or in the kernel's copy to or from its memory): a write to a
/// copy-on-write page, or a first touch of a stack page (see `mm::space`). True if the access
/// may be retried. Called with interrupts on.
pub fn resolve_user_fault(addr: u64, code: u64) -> bool {
    resolve_fault(addr, code) == FaultOutcome::Fixed
}

/// What became of a page fault in user memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FaultOutcome {
    /// The kernel fixed it: the access may be retried.
    Fixed,
    /// The access was wrong: `SIGSEGV` (or `EFAULT` for a system call's copy).
    Wrong,
    /// The page is past the end of a mapped file: `SIGBUS`, as on Linux.
    PastEnd,
}

/// [`resolve_user_fault`], telling a wrong access from one past the end of a mapped file.
fn resolve_fault(addr: u64, code: u64) -> FaultOutcome {
    use x86_64::structures::paging::PageTableFlags as Flags;
    let code = traps::PageFaultCode(code);
    if code.instruction_fetch() && code.present() {
        return FaultOutcome::Wrong;
    }
    let Some(memory) = MEMORY[sched::current()].lock().clone() else {
        return FaultOutcome::Wrong;
    };
    // The lock keeps the process's other threads off its page tables meanwhile.
    let mut map = memory.lock();
    let region = map
        .regions
        .find(addr)
        .filter(|_| !exec::STACK.contains(&addr));
    let allowed = region.is_some_and(|region| {
        let p = region.protection;
        p.read && (!code.write() || p.write) && (!code.instruction_fetch() || p.execute)
    });
    if let Some((object, shared)) = region.and_then(|r| r.backing.object()) {
        if !allowed {
            return FaultOutcome::Wrong;
        }
        let region = region.expect("an object's region was found above");
        let (object, protection) = (object.clone(), region.protection);
        let page = addr & !(crate::mm::paging::PAGE_SIZE - 1);
        let index = (region.offset + (page - region.start)) / crate::mm::paging::PAGE_SIZE;
        if !code.present() || shared {
            let fault = ObjectFault {
                page,
                index,
                shared,
                write: code.write(),
                present: code.present(),
                region: region.start..region.end,
            };
            return object_fault(&mut map, &*object, protection, fault);
        }
        // A store to a private copy of a file's page: copy-on-write, below.
    }
    // Where a page not present may be filled with zeros, and with which flags: the stack's
    // range, or a private anonymous region that allows this kind of access.
    let fill = if exec::STACK.contains(&addr) {
        (!code.instruction_fetch()).then_some(Flags::WRITABLE | Flags::NO_EXECUTE)
    } else {
        region
            .filter(|r| allowed && matches!(r.backing, regions::Backing::Anonymous))
            .map(|r| r.protection.flags())
    };
    match crate::mm::space::resolve_user_fault(addr, code.write(), code.present(), fill) {
        FaultFix::Unresolved => FaultOutcome::Wrong,
        FaultFix::Copied => FaultOutcome::Fixed,
        FaultFix::ZeroFilled => {
            map.space.count_faulted_in(1);
            FaultOutcome::Fixed
        }
    }
}

/// A fault on a page of a memory object's region that the object resolves.
struct ObjectFault {
    /// The page's address.
    page: u64,
    /// Its index in the object.
    index: u64,
    /// Whether the mapping is shared (else a private copy-on-write mapping).
    shared: bool,
    /// Whether the access was a store.
    write: bool,
    /// Whether the page was present (a store to a shared page mapped read-only).
    present: bool,
    /// The region it is in: the neighbours mapped with it stay inside.
    region: core::ops::Range<u64>,
}

/// Resolves `fault` on a page of `object` (see `mm::object`): a page not present gets the
/// object's frame, mapped read-only until the first store if it is shared (write-notify) and
/// copy-on-write if it is private; a store to a shared page mapped read-only marks the page
/// dirty and makes it writable.
fn object_fault(
    map: &mut shared::Map,
    object: &dyn crate::mm::object::MemoryObject,
    protection: regions::Protection,
    fault: ObjectFault,
) -> FaultOutcome {
    use crate::mm::object::PageError;
    use crate::mm::space::{COPY_ON_WRITE, SHARED};
    use x86_64::structures::paging::PageTableFlags as Flags;
    if fault.present {
        object.written(fault.index);
        return match map.space.allow_write(fault.page) {
            Ok(()) => FaultOutcome::Fixed,
            Err(_) => FaultOutcome::Wrong,
        };
    }
    let frame = match object.page(fault.index) {
        Ok(frame) => frame,
        Err(PageError::Beyond) => return FaultOutcome::PastEnd,
        Err(PageError::Failed) => return FaultOutcome::Wrong,
    };
    let mut flags = protection.flags();
    if fault.shared {
        flags |= SHARED;
        if fault.write {
            object.written(fault.index);
        } else {
            flags -= Flags::WRITABLE;
        }
    } else if protection.write {
        // A store now faults again, on a present page: copy-on-write makes the private copy.
        flags = (flags - Flags::WRITABLE) | COPY_ON_WRITE;
    }
    if map.space.map_frame(fault.page, frame, flags).is_err() {
        return FaultOutcome::Wrong;
    }
    // Fault-around (see `mm::object`): the window's other pages the object holds, read-only,
    // so that a store to one still faults (write-notify, copy-on-write).
    let read_only = (flags - Flags::WRITABLE)
        | if fault.shared || !protection.write {
            Flags::empty()
        } else {
            COPY_ON_WRITE
        };
    map_neighbours(map, object, &fault, read_only);
    FaultOutcome::Fixed
}

/// Maps the pages around `fault` (in its aligned window and its region) that `object` holds
/// and that are not mapped yet, with `flags`.
fn map_neighbours(
    map: &mut shared::Map,
    object: &dyn crate::mm::object::MemoryObject,
    fault: &ObjectFault,
    flags: x86_64::structures::paging::PageTableFlags,
) {
    use crate::mm::object::FAULT_AROUND_PAGES;
    use crate::mm::paging::PAGE_SIZE;
    let window = FAULT_AROUND_PAGES * PAGE_SIZE;
    let start = (fault.page & !(window - 1)).max(fault.region.start);
    let end = (fault.page & !(window - 1))
        .saturating_add(window)
        .min(fault.region.end);
    // The page at `start` is object page `first`; the window holds at most 16 pages.
    let first = fault.index - (fault.page - start) / PAGE_SIZE;
    let mut found = [(0, x86_64::PhysAddr::zero()); FAULT_AROUND_PAGES as usize];
    let mut count = 0;
    object.resident(first, (end - start) / PAGE_SIZE, &mut |index, frame| {
        if index != fault.index && count < found.len() {
            found[count] = (index, frame);
            count += 1;
        }
    });
    for &(index, frame) in &found[..count] {
        let page = start + (index - first) * PAGE_SIZE;
        if !map.space.is_mapped(page) {
            // A failure (no frame for a page table) leaves the page to its own fault.
            let _ = map.space.map_frame(page, frame, flags);
        }
    }
}

/// Makes `new` the memory the running thread's faults are resolved in (`execve` replaced it),
/// and lets `old` go: freed, unless another thread still uses it.
fn set_memory(old: Arc<Memory>, new: Arc<Memory>) {
    *MEMORY[sched::current()].lock() = Some(new);
    drop(old);
}

/// Per thread slot: the pid of the process it runs (0 for a kernel thread).
static PIDS: [AtomicU32; ::sched::MAX_THREADS] =
    [const { AtomicU32::new(0) }; ::sched::MAX_THREADS];

/// The pid of the process the running thread runs, if any (for `/proc/self`).
pub fn current_pid() -> Option<Pid> {
    let pid = PIDS.get(sched::current())?.load(Ordering::Relaxed);
    (pid != 0).then_some(pid)
}

/// The pid of the process thread `tid` runs, if it runs one. The kernel console asks before it
/// stops a thread: a process's thread is ended through its process (or not at all, for init).
pub fn process_of_thread(tid: ThreadId) -> Option<Pid> {
    let pid = PIDS.get(tid)?.load(Ordering::Relaxed);
    (pid != 0).then_some(pid)
}

/// Runs `f` on the running thread's task, if it runs a program; `None` on a kernel thread.
///
/// Only the task's own thread takes its slot, from the system-call handler or a trap hook,
/// and those never nest on one thread (an interrupt during a system call does not call them).
/// A second take while the first is held would be a bug, so it panics instead of spinning.
fn with_current_task<R>(f: impl FnOnce(&mut Task) -> R) -> Option<R> {
    let Some(mut slot) = TASKS[sched::current()].try_lock() else {
        panic!("a thread's task was taken twice at once");
    };
    slot.as_mut().map(f)
}

/// Why a program could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpawnError {
    /// No such file.
    NotFound,
    /// The file could not be read as a program (not executable, a directory, ...).
    File(abi::Errno),
    /// The file is not a program Ferrite can run.
    Exec(exec::ExecError),
    /// No memory for its address space.
    OutOfMemory,
    /// No thread could be started for it.
    Thread(sched::SpawnError),
}

impl core::fmt::Display for SpawnError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SpawnError::NotFound => f.write_str("no such program"),
            SpawnError::File(e) => write!(f, "cannot run it: {}", e.description()),
            SpawnError::Exec(exec::ExecError::Elf(e)) => {
                write!(f, "not a program Ferrite can run: {e}")
            }
            SpawnError::Exec(exec::ExecError::OutOfMemory) | SpawnError::OutOfMemory => {
                f.write_str("out of memory")
            }
            SpawnError::Exec(exec::ExecError::ArgumentsTooLong) => {
                f.write_str("arguments too long")
            }
            SpawnError::Thread(e) => write!(f, "no thread for it: {e:?}"),
        }
    }
}

/// Where `init` is in the file tree (the ramdisk puts it there).
pub const INIT_PATH: &str = "/bin/init";

/// Where the shell is.
pub const SHELL_PATH: &str = "/bin/sh";

/// Whether there is a shell to run.
pub fn shell_exists() -> bool {
    crate::fs::resolve("/", SHELL_PATH.as_bytes()).is_ok()
}

/// Starts `init` as process 1; call once at boot, before any other process. With `shell`, init
/// starts the shell on the console (and again if it ends); without, it only collects orphans.
pub fn start_init(shell: bool) -> Result<Pid, SpawnError> {
    let argv: &[&str] = if shell {
        &["init"]
    } else {
        &["init", "--no-shell"]
    };
    let pid = spawn(INIT_PATH, argv, &[], 0, false)?;
    debug_assert_eq!(pid, INIT_PID, "init must be the first process");
    if shell {
        // The keys go to the shell's terminal from the start; the kernel console waits until
        // init ends (see `run`).
        crate::tty::open_session(0);
    }
    Ok(pid)
}

/// The path of program `name`: as given if it contains a `/`, else under `/bin`.
pub fn program_path(name: &str) -> String {
    if name.contains('/') {
        String::from(name)
    } else {
        alloc::format!("/bin/{name}")
    }
}

/// Starts the program at `path` in the file tree with arguments `argv` (its name first) and
/// environment `envp`, as a child of `parent`; returns its pid. With `trace`, each of its system
/// calls is printed with its result.
pub fn spawn(
    path: &str,
    argv: &[&str],
    envp: &[&str],
    parent: Pid,
    trace: bool,
) -> Result<Pid, SpawnError> {
    let (file, exe) = crate::fs::read_program("/", path.as_bytes()).map_err(|e| match e {
        abi::Errno::ENOENT => SpawnError::NotFound,
        e => SpawnError::File(e),
    })?;
    let files = FdTable::console().map_err(SpawnError::File)?;
    let mut space = AddressSpace::new().map_err(|_| SpawnError::OutOfMemory)?;
    let argv_bytes: Vec<&[u8]> = argv.iter().map(|s| s.as_bytes()).collect();
    let envp_bytes: Vec<&[u8]> = envp.iter().map(|s| s.as_bytes()).collect();
    let seed = crate::arch::x86_64::read_tsc();
    let exe: Arc<str> = Arc::from(exe);
    let image = exec::load(&mut space, &exe, &file[..], &argv_bytes, &envp_bytes, seed)
        .map_err(SpawnError::Exec)?;
    let name = String::from(path.rsplit('/').next().unwrap_or(path));
    let pid = new_pid();
    let memory = Memory::new(space, image.brk, exec::MMAP_TOP, image.regions);
    let resident = memory.resident_counter();
    let weak_memory = Arc::downgrade(&memory);
    let files = Files::new(files);
    let weak_files = files.downgrade();
    let task = Task {
        pid,
        tid: pid,
        clear_child_tid: 0,
        robust_list: 0,
        name: name.clone(),
        memory,
        account: None,
        status: 0,
        trace,
        reported_missing: None,
        fault: None,
        files,
        cwd: Cwd::new(String::from("/")),
        signal: signal::Thread::default(),
    };
    let start = Start {
        frame: user::initial_frame(image.entry, image.stack_pointer),
        fpu: FpuState::initial(),
        fs_base: 0,
        child_tid: None,
    };
    // A program the kernel starts leads a group and a session of its own.
    let mut record = Record::new(
        (pid, parent),
        (name, exe),
        resident,
        (pid, pid),
        (signal::State::new(), 0),
    );
    record.memory = Some(weak_memory);
    record.files = Some(weak_files);
    record.cmdline = procfmt::cmdline(argv_bytes.iter().copied(), CMDLINE_MAX);
    start_thread(task, start, record)
}

/// The next unused pid.
fn new_pid() -> Pid {
    with_table(|table| {
        let pid = table.next_pid;
        table.next_pid += 1;
        pid
    })
}

/// The user-mode state a process's thread starts with.
struct Start {
    /// Its registers.
    frame: TrapFrame,
    /// Its x87/SSE registers.
    fpu: FpuState,
    /// Its FS base (thread pointer).
    fs_base: u64,
    /// Where it writes its own pid before starting, if anywhere (`CLONE_CHILD_SETTID`).
    child_tid: Option<u64>,
}

/// Enters `record` in the table and starts a thread that runs `task` from `start`.
fn start_thread(task: Task, start: Start, record: Record) -> Result<Pid, SpawnError> {
    let pid = task.pid;
    // The record first, so the table knows the process before it runs; its thread fills in
    // its scheduler id when it starts (see `run`).
    with_table(|table| table.processes.insert(pid, record));
    start_member(task, start).inspect_err(|_| {
        with_table(|table| table.processes.remove(&pid));
    })
}

/// Starts a scheduler thread that runs `task` from `start`; its entry is in its process's record
/// already. Returns its thread id.
fn start_member(task: Task, start: Start) -> Result<Pid, SpawnError> {
    let tid = task.tid;
    // The threads of processes that have ended are joined now, so their slots and stacks can
    // serve this one.
    sched::reap_finished();
    let handle = sched::spawn("process", move || run(task, start)).map_err(SpawnError::Thread)?;
    sched::detach(handle);
    Ok(tid)
}

/// `fork`: a child process with a copy-on-write copy of `task`'s address space and a copy of
/// its registers (`frame`, the system call's), in which the call returns 0. Returns its pid.
pub fn fork(task: &mut Task, frame: &TrapFrame) -> Result<Pid, abi::Errno> {
    fork_with(task, frame, None, None)
}

/// [`fork`], and the child writes its pid at `child_tid` in its own memory before it starts
/// (`clone`'s `CLONE_CHILD_SETTID`). With `borrowed_stack` (`CLONE_VM | CLONE_VFORK`, how
/// `posix_spawn` starts a program): the child *shares* the parent's memory, runs on that stack
/// (if not 0), and the parent waits until the child has called `execve` or ended, so that the
/// two never run in the same memory at once.
pub fn fork_with(
    task: &mut Task,
    frame: &TrapFrame,
    child_tid: Option<u64>,
    borrowed_stack: Option<u64>,
) -> Result<Pid, abi::Errno> {
    let memory = match borrowed_stack {
        None => task.memory.fork()?,
        Some(_) => task.memory.clone(),
    };
    let pid = new_pid();
    let resident = memory.resident_counter();
    let weak_memory = Arc::downgrade(&memory);
    let files = task.files.copy();
    let weak_files = files.downgrade();
    let child = Task {
        pid,
        tid: pid,
        clear_child_tid: 0,
        robust_list: 0,
        name: task.name.clone(),
        memory,
        account: task.account.clone(),
        status: 0,
        trace: task.trace,
        reported_missing: task.reported_missing.clone(),
        fault: None,
        files,
        cwd: task.cwd.copy(),
        signal: task.signal.clone(),
    };
    let mut child_frame = *frame;
    child_frame.rax = 0;
    if let Some(stack) = borrowed_stack.filter(|&stack| stack != 0) {
        child_frame.rsp = stack;
    }
    // The parent's x87/SSE registers are still in the CPU (the kernel never touches them).
    let mut fpu = FpuState::zeroed();
    fpu.save();
    let start = Start {
        frame: child_frame,
        fpu,
        fs_base: x86_64::registers::model_specific::FsBase::read().as_u64(),
        child_tid,
    };
    // The child is in its parent's group and session until it moves (`setpgid`, `setsid`), and
    // has its parent's signal actions and its calling thread's mask.
    let me = sched::current();
    let (ids, signals, (cmdline, exe), (limits, no_new_privs, dumpable)) = with_table(|table| {
        table.processes.get(&task.pid).map_or(
            (
                (task.pid, task.pid),
                (signal::State::new(), 0),
                (Vec::new(), Arc::from("")),
                (None, false, true),
            ),
            |r| {
                let blocked = r.member(me).map_or(0, |m| m.signals.blocked());
                let signals = (r.signals.inherit(), blocked);
                (
                    (r.group, r.session),
                    signals,
                    (r.cmdline.clone(), r.exe.clone()),
                    (r.limits.clone(), r.no_new_privs, r.dumpable),
                )
            },
        )
    });
    let name = (task.name.clone(), exe);
    let mut record = Record::new((pid, task.pid), name, resident, ids, signals);
    record.memory = Some(weak_memory);
    record.files = Some(weak_files);
    record.cmdline = cmdline;
    record.limits = limits;
    record.no_new_privs = no_new_privs;
    record.dumpable = dumpable;
    if borrowed_stack.is_some() {
        record.vfork_parent = Some(me);
    }
    start_thread(child, start, record).map_err(|_| abi::Errno::EAGAIN)?;
    if borrowed_stack.is_some() {
        // Until the child lets go of the memory ([`release_vfork_parent`]).
        let lent = || {
            with_table(|table| {
                table
                    .processes
                    .get(&pid)
                    .is_some_and(|r| r.vfork_parent.is_some())
            })
        };
        while lent() {
            sched::block_on_queue(|_| lent());
        }
    }
    Ok(pid)
}

/// Wakes the parent that lent process `pid` its memory (`CLONE_VFORK`): the child has called
/// `execve` or is ending, and uses that memory no more.
fn release_vfork_parent(pid: Pid) {
    let parent = with_table(|table| table.processes.get_mut(&pid)?.vfork_parent.take());
    if let Some(parent) = parent {
        sched::wake_thread(parent);
    }
}

/// The body of a process's thread: run the program until it ends, then clean up. The last of
/// a process's threads to end ends the process.
fn run(task: Task, start: Start) {
    let thread = sched::current();
    let (pid, tid) = (task.pid, task.tid);
    PIDS[thread].store(pid, Ordering::Relaxed);
    *MEMORY[thread].lock() = Some(task.memory.clone());
    sched::set_address_space(task.memory.lock().space.root());
    sched::set_fs_base(start.fs_base);
    // The table learns which scheduler thread this is; signals sent before it existed (between
    // `fork` and now) are looked at on the way out.
    let signalled = with_table(|table| {
        let record = table.processes.get_mut(&pid)?;
        let member = record.threads.iter_mut().find(|m| m.tid == tid)?;
        member.thread = thread;
        let member = &record.threads.iter().find(|m| m.tid == tid)?.signals;
        Some(record.exiting.is_some() || record.signals.deliverable(member))
    });
    if signalled == Some(true) {
        sched::request_stop(thread);
    }
    if let Some(at) = start.child_tid {
        // In its own address space now: a copy-on-write page is copied by the write. A bad
        // address is the program's problem, as on Linux.
        let _ = uaccess::write_value(at, &(tid as i32));
    }
    // From here until the program ends, only this thread's own switches touch these registers.
    start.fpu.restore();
    crate::time::reached(crate::time::Milestone::FirstUserInstruction);
    // The task goes into this thread's slot, where the system-call handler and the trap hooks
    // find it while the program runs.
    *TASKS[thread].lock() = Some(task);
    // SAFETY: the address space just installed maps the program at the frame's RIP and its
    // stack (`exec::load`, or the parent's, copied); the frame has user selectors.
    unsafe { user::enter(&start.frame, sched::set_kernel_entry) };
    // The thread is over: a handler returned `Next::Leave` (`exit`, a fault, a kill), possibly
    // from a trap with interrupts off. Everything it held was dropped when it returned; what
    // the program owned is in its task, taken back here and dropped below.
    interrupts::enable();
    let task = TASKS[thread]
        .lock()
        .take()
        .expect("a program's task stays in its thread's slot while it runs");
    // Still in the program's address space: tell whoever waits for this thread.
    thread::on_exit(&task);
    PIDS[thread].store(0, Ordering::Relaxed);
    sched::set_address_space(0);
    let Task {
        memory,
        status,
        fault,
        name,
        files,
        ..
    } = task;
    *MEMORY[thread].lock() = None;
    drop(memory);
    release_vfork_parent(pid);
    // Its files close before anyone learns it ended: a parent that waits and then looks finds
    // the pipes closed and the counts back (the last thread drops the last reference).
    drop(files);
    if let Some(fault) = fault {
        report_fault(pid, &name, &fault);
    }
    // Out of the process; if it was the last thread, the process has ended.
    let ended = with_table(|table| {
        let record = table.processes.get_mut(&pid)?;
        // By its scheduler id: its thread id may have changed (`execve` in a thread takes the pid).
        record.threads.retain(|m| m.thread != thread);
        if !record.threads.is_empty() {
            return None;
        }
        // Ended by `exit_group` or a signal, or else with the status of its last thread's `exit`
        // (as Linux reports it).
        let status = record.exiting.unwrap_or(status);
        Some(record_end(table, pid, status))
    });
    let Some(Ended {
        waiters,
        parent_signal,
        orphaned_stopped,
        death_signals,
    }) = ended
    else {
        return;
    };
    // Its record locks go with it (its `flock` locks went with its descriptions), and its
    // semaphore operations marked SEM_UNDO are undone.
    crate::fs::lock::release_everywhere(crate::fs::lock::Family::Record, u64::from(pid));
    ipc::process_ended(pid);
    for waiter in waiters {
        sched::wake_thread(waiter);
    }
    if let Some(wake) = parent_signal {
        wake.deliver();
    }
    for wake in death_signals {
        wake.deliver();
    }
    for group in orphaned_stopped {
        signal::hang_up(group);
    }
    if pid == INIT_PID && crate::tty::reader() == crate::tty::Reader::Terminal {
        // Init ran the console's session; with it gone, the kernel console takes over.
        crate::tty::close_session();
        crate::println!("init ended; the kernel console takes over");
    }
}

/// What is left to do once a process's end is recorded, after the table's lock is released.
struct Ended {
    /// Threads to wake: those waiting for it, its parent if blocked in `wait4`, and `init` if it
    /// adopted a zombie.
    waiters: Vec<ThreadId>,
    /// The parent's thread to interrupt for SIGCHLD, if it must be.
    parent_signal: Option<signal::Wake>,
    /// Process groups the end orphaned that have a stopped member: each is sent SIGHUP and
    /// SIGCONT (see `signal::hang_up`).
    orphaned_stopped: Vec<Pid>,
    /// The children's threads to interrupt for the signal they asked for when it ended.
    death_signals: Vec<signal::Wake>,
}

/// Records that `pid` ended with `status`: its children go to `init` (or, without one, are
/// reaped as they end), it becomes a zombie (or goes, if it is such an orphan itself, or its
/// parent ignores SIGCHLD), and its parent is sent SIGCHLD.
fn record_end(table: &mut Table, pid: Pid, status: i32) -> Ended {
    let mut wake = Vec::new();
    let (group, session) = table
        .processes
        .get(&pid)
        .map_or((0, 0), |r| (r.group, r.session));
    // The groups whose last tie to a parent outside them, in their session, may be this
    // process: its children's (the tie is this process itself) and its own (the tie is its
    // parent), as Linux's `kill_orphaned_pgrp` considers them. Looked at once the end is
    // recorded.
    let mut may_orphan = Vec::new();
    let init_alive = pid != INIT_PID
        && table
            .processes
            .get(&INIT_PID)
            .is_some_and(|init| init.status.is_none());
    let mut adopted_zombie = false;
    let mut gone = Vec::new();
    let mut bereaved = Vec::new();
    for (&child, record) in table.processes.iter_mut() {
        if record.parent != pid {
            continue;
        }
        if record.death_signal != 0 && record.status.is_none() {
            bereaved.push((child, record.death_signal));
        }
        if record.group != group && record.session == session && !may_orphan.contains(&record.group)
        {
            may_orphan.push(record.group);
        }
        if init_alive {
            record.parent = INIT_PID;
            adopted_zombie |= record.status.is_some();
        } else {
            record.parent = 0;
            record.reap_on_exit = true;
            if record.status.is_some() {
                gone.push(child);
            }
        }
    }
    for child in gone {
        table.processes.remove(&child);
    }
    // Children that asked for a signal when their parent ends (`PR_SET_PDEATHSIG`) get it,
    // from this process, as Linux sends it.
    let death_signals: Vec<signal::Wake> = bereaved
        .into_iter()
        .filter_map(|(child, signal)| {
            let info = abi::siginfo::SigInfo::from_process(signal, abi::siginfo::SI_USER, pid, 0);
            signal::queue(table, child, info).ok().flatten()
        })
        .collect();
    let nothing_more = |waiters, death_signals| Ended {
        waiters,
        parent_signal: None,
        orphaned_stopped: Vec::new(),
        death_signals,
    };
    let parent = match table.processes.get(&pid) {
        Some(record) => record.parent,
        None => return nothing_more(wake, death_signals),
    };
    if table
        .processes
        .get(&parent)
        .is_some_and(|p| p.group != group && p.session == session)
        && !may_orphan.contains(&group)
    {
        may_orphan.push(group);
    }
    let unwanted = signal::reaps_children(table, parent);
    let Some(record) = table.processes.get_mut(&pid) else {
        return nothing_more(wake, death_signals);
    };
    record.status = Some(status);
    record.resident = None;
    record.signals.disarm_timers();
    // Dropping a weak reference frees no frames and closes no files, so this may happen
    // under the lock.
    record.memory = None;
    record.files = None;
    record.reap_on_exit |= unwanted;
    wake.append(&mut record.waiters);
    if record.reap_on_exit {
        table.processes.remove(&pid);
    }
    let parent_signal = signal::queue(table, parent, signal::child_ended(pid, status))
        .ok()
        .flatten();
    let mut take_waiter = |pid: Pid| {
        table
            .processes
            .get_mut(&pid)
            .and_then(|p| p.child_waiter.take())
    };
    wake.extend(take_waiter(parent));
    if adopted_zombie {
        wake.extend(take_waiter(INIT_PID));
    }
    may_orphan.retain(|&group| signal::orphaned_and_stopped(table, group));
    Ended {
        waiters: wake,
        parent_signal,
        orphaned_stopped: may_orphan,
        death_signals,
    }
}

/// `wait4`'s core: the first child of `me` that `pid` selects (above 0: that child; 0: any in
/// `me`'s process group; -1: any; below -1: any in group `-pid`) that has ended, removed from
/// the table, as (pid, status); with `WUNTRACED` or `WCONTINUED` in `options`, also one that
/// stopped or was continued since the last report (it stays). Blocks until there is one, unless
/// `WNOHANG` (then `Ok(None)`). `ECHILD` if `me` has no such child, `EINTR` if a signal came.
pub fn wait_child(me: Pid, pid: i32, options: u32) -> Result<Option<(Pid, i32)>, abi::Errno> {
    use abi::wait::{WCONTINUED, WNOHANG, WUNTRACED};
    let my_group = group_of(me).map_or(0, |(group, _)| group);
    let wanted_group = match pid {
        0 => Some(my_group),
        pid if pid < -1 => Some(pid.unsigned_abs()),
        _ => None,
    };
    let selects = |child: Pid, record: &Record| {
        if pid > 0 {
            child == pid as Pid
        } else {
            wanted_group.is_none_or(|group| record.group == group)
        }
    };
    loop {
        let mut outcome = None;
        sched::block_on_queue(|thread| {
            with_table(|table| {
                let mut any = false;
                let mut found = None;
                for (&child, record) in table.processes.iter_mut() {
                    if record.parent != me || !selects(child, record) {
                        continue;
                    }
                    any = true;
                    if let Some(status) = record.status {
                        found = Some((child, status, true));
                        break;
                    }
                    let change = match record.unreported {
                        Some(JobChange::Stopped(signal)) if options & WUNTRACED != 0 => {
                            Some(abi::wait::wait_status_stopped(signal))
                        }
                        Some(JobChange::Continued) if options & WCONTINUED != 0 => {
                            Some(abi::wait::W_CONTINUED)
                        }
                        _ => None,
                    };
                    if let Some(status) = change {
                        record.unreported = None;
                        found = Some((child, status, false));
                        break;
                    }
                }
                if let Some((child, status, ended)) = found {
                    if ended {
                        table.processes.remove(&child);
                    }
                    outcome = Some(Ok(Some((child, status))));
                    return false;
                }
                if !any {
                    outcome = Some(Err(abi::Errno::ECHILD));
                    return false;
                }
                if options & WNOHANG != 0 {
                    outcome = Some(Ok(None));
                    return false;
                }
                if let Some(record) = table.processes.get_mut(&me) {
                    record.child_waiter = Some(thread);
                }
                true
            })
        });
        if let Some(outcome) = outcome {
            return outcome;
        }
        if sched::should_stop() {
            return Err(abi::Errno::EINTR);
        }
    }
}

/// Records that `pid` stopped by `signal` (`Some`) or continued (`None`), for its parent's
/// `wait4`, and queues the parent's SIGCHLD; returns the parent's thread to wake from `wait4`
/// and the parent's thread to interrupt for the signal (none if it set `SA_NOCLDSTOP`).
fn job_change(
    table: &mut Table,
    pid: Pid,
    signal: Option<i32>,
) -> (Option<ThreadId>, Option<ThreadId>) {
    let Some(record) = table.processes.get_mut(&pid) else {
        return (None, None);
    };
    record.stopped = signal;
    record.unreported = Some(signal.map_or(JobChange::Continued, JobChange::Stopped));
    let parent = record.parent;
    let waiter = table
        .processes
        .get_mut(&parent)
        .and_then(|p| p.child_waiter.take());
    let interrupt = signal::child_changed(table, parent, pid, signal);
    (waiter, interrupt)
}

/// Waits until process `pid` has ended, removes its record, and returns its wait status;
/// `None` if there is no such process.
pub fn wait(pid: Pid) -> Option<i32> {
    loop {
        let mut result = None;
        sched::block_on_queue(|me| {
            with_table(|table| match table.processes.get_mut(&pid) {
                None => {
                    result = Some(None);
                    false
                }
                Some(record) => match record.status {
                    Some(status) => {
                        table.processes.remove(&pid);
                        result = Some(Some(status));
                        false
                    }
                    None => {
                        record.waiters.push(me);
                        true
                    }
                },
            })
        });
        if let Some(result) = result {
            return result;
        }
    }
}

/// If process `pid` has ended, removes its record and returns `Some(status)`; `None` while it
/// runs or if there is no such process.
pub fn try_wait(pid: Pid) -> Option<i32> {
    with_table(|table| {
        let status = table.processes.get(&pid)?.status?;
        table.processes.remove(&pid);
        Some(status)
    })
}

/// Sends `signal` to process `pid` from the kernel (the console's `kill`, the terminal's
/// Ctrl-C): what it does is up to the program, as for any signal. Returns false if there is no
/// such running process.
pub fn kill(pid: Pid, signal: i32) -> bool {
    let info = abi::SigInfo::new(signal, abi::siginfo::SI_KERNEL);
    exists(pid) && signal::send(pid, info).is_ok()
}

/// The running processes in group `group` but `init`.
fn members_of(group: Pid) -> Vec<Pid> {
    with_table(|table| {
        table
            .processes
            .iter()
            .filter(|(&pid, r)| pid != INIT_PID && r.group == group && r.status.is_none())
            .map(|(&pid, _)| pid)
            .collect()
    })
}

/// Every running process but `init` and `except` (`kill(-1, sig)`'s targets).
fn everyone_but(except: Pid) -> Vec<Pid> {
    with_table(|table| {
        table
            .processes
            .iter()
            .filter(|(&pid, r)| pid != INIT_PID && pid != except && r.status.is_none())
            .map(|(&pid, _)| pid)
            .collect()
    })
}

/// Sends `signal` to every running process in group `group` but `init` (which no signal
/// ends, as on Linux); returns how many it reached.
pub fn kill_group(group: Pid, signal: i32) -> usize {
    members_of(group)
        .into_iter()
        .filter(|&pid| kill(pid, signal))
        .count()
}

/// Process `pid`'s (group, session), if it exists.
pub fn group_of(pid: Pid) -> Option<(Pid, Pid)> {
    with_table(|table| table.processes.get(&pid).map(|r| (r.group, r.session)))
}

/// `setpgid(pid, group)` for the caller `me`: moves `pid` (`me` or a child of it in its session)
/// into `group` (a new one named after `pid`, or an existing one in the same session).
pub fn set_group(me: Pid, pid: Pid, group: Pid) -> Result<(), abi::Errno> {
    use abi::Errno;
    with_table(|table| {
        let (my_session, my_group) = {
            let r = table.processes.get(&me).ok_or(Errno::ESRCH)?;
            (r.session, r.group)
        };
        let target = table.processes.get(&pid).ok_or(Errno::ESRCH)?;
        if pid != me && target.parent != me {
            return Err(Errno::ESRCH);
        }
        if target.session != my_session {
            return Err(Errno::EPERM);
        }
        if target.session == pid {
            return Err(Errno::EPERM); // a session leader stays in its group
        }
        let joins_existing = group != pid;
        if joins_existing
            && group != my_group
            && !table
                .processes
                .values()
                .any(|r| r.group == group && r.session == my_session)
        {
            return Err(Errno::EPERM);
        }
        if let Some(record) = table.processes.get_mut(&pid) {
            record.group = group;
        }
        Ok(())
    })
}

/// `setsid()` for `me`: a new session and group, both named after it; `EPERM` if it already
/// leads a group.
pub fn new_session(me: Pid) -> Result<Pid, abi::Errno> {
    with_table(|table| {
        if table.processes.values().any(|r| r.group == me) {
            return Err(abi::Errno::EPERM);
        }
        let record = table.processes.get_mut(&me).ok_or(abi::Errno::ESRCH)?;
        record.group = me;
        record.session = me;
        Ok(me)
    })
}

/// Whether process `pid` exists (running or a zombie).
pub fn exists(pid: Pid) -> bool {
    with_table(|table| table.processes.contains_key(&pid))
}

/// One process, for `ps`.
#[derive(Debug, Clone)]
pub struct ProcessInfo {
    /// Its pid.
    pub pid: Pid,
    /// Its parent's pid.
    pub parent: Pid,
    /// Its program.
    pub name: String,
    /// The scheduler thread running its first thread.
    pub thread: ThreadId,
    /// The scheduler threads running its threads (none once it has ended).
    pub threads: Vec<ThreadId>,
    /// Its wait status if it has ended.
    pub status: Option<i32>,
    /// Pages of user memory.
    pub resident: usize,
    /// Its process group.
    pub group: Pid,
    /// Its session.
    pub session: Pid,
    /// Whether job control has stopped it.
    pub stopped: bool,
    /// When it was made, in timer ticks since boot.
    pub started: u64,
    /// Its arguments, each followed by a NUL (see [`CMDLINE_MAX`]).
    pub cmdline: Vec<u8>,
    /// Its pending, blocked, ignored and caught signals.
    pub signals: procfmt::Signals,
}

/// Every process, by pid.
pub fn list() -> Vec<ProcessInfo> {
    with_table(|table| {
        table
            .processes
            .iter()
            .map(|(&pid, r)| ProcessInfo {
                pid,
                parent: r.parent,
                name: r.leader_name().map_or_else(|| r.name.clone(), String::from),
                thread: r.threads.first().map_or(0, |m| m.thread),
                threads: r.threads.iter().map(|m| m.thread).collect(),
                status: r.status,
                resident: r
                    .resident
                    .as_ref()
                    .map_or(0, |pages| pages.load(Ordering::Relaxed)),
                group: r.group,
                session: r.session,
                stopped: r.stopped.is_some(),
                started: r.started,
                cmdline: r.cmdline.clone(),
                signals: r.signals.sets(r.threads.first().map(|m| &m.signals)),
            })
            .collect()
    })
}

/// The last pid handed out (the count of processes made since boot).
pub fn last_pid() -> Pid {
    with_table(|table| table.next_pid - 1)
}

/// Renames process `pid` in the table, and keeps its new arguments and its program's path
/// (after `execve`).
fn rename(pid: Pid, name: &str, cmdline: Vec<u8>, exe: Arc<str>) {
    with_table(|table| {
        if let Some(record) = table.processes.get_mut(&pid) {
            record.name = String::from(name);
            record.cmdline = cmdline;
            record.exe = exe;
            // A new program goes by its own name, and may be dumped again.
            for member in &mut record.threads {
                member.name = None;
            }
            record.dumpable = true;
        }
    });
}

/// The canonical path of process `pid`'s program (`/proc/PID/exe`).
pub fn exe_of(pid: Pid) -> Option<Arc<str>> {
    with_table(|table| table.processes.get(&pid).map(|r| r.exe.clone()))
}

/// Makes `memory`'s counter the one the table reads for `pid`'s resident pages (after
/// `execve` replaced its memory).
fn count_resident(pid: Pid, memory: &Arc<Memory>) {
    let counter = memory.resident_counter();
    let weak = Arc::downgrade(memory);
    with_table(|table| {
        if let Some(record) = table.processes.get_mut(&pid) {
            record.resident = Some(counter);
            record.memory = Some(weak);
        }
    });
}

/// Process `pid`'s memory, while it runs (for `/proc/PID/maps`).
pub fn memory_of(pid: Pid) -> Option<Arc<Memory>> {
    let weak = with_table(|table| table.processes.get(&pid)?.memory.clone())?;
    // Upgraded here, with the table's lock released; the reference is dropped by the caller,
    // also outside it.
    weak.upgrade()
}

/// Process `pid`'s resource limits, if it runs.
pub fn limits_of(pid: Pid) -> Option<info::Limits> {
    with_table(|table| {
        let record = table.processes.get(&pid).filter(|r| r.status.is_none())?;
        Some(record.limits.as_deref().copied().unwrap_or_default())
    })
}

/// Replaces process `pid`'s limits by `limits` (`ESRCH` if it does not run).
pub fn set_limits(pid: Pid, limits: info::Limits) -> Result<(), abi::Errno> {
    // Allocated before the table's lock is taken (and freed after it is released, if the
    // process had one already).
    let mut boxed = Some(alloc::boxed::Box::new(limits));
    with_table(|table| {
        let record = table.processes.get_mut(&pid).filter(|r| r.status.is_none());
        let record = record.ok_or(abi::Errno::ESRCH)?;
        match &mut record.limits {
            Some(kept) => **kept = limits,
            none => *none = boxed.take(),
        }
        Ok(())
    })
}

/// Every running process's address space. Drop them with no lock held (the last reference to
/// one frees its frames).
pub fn all_memories() -> Vec<Arc<Memory>> {
    with_table(|table| {
        let weak = table.processes.values().filter_map(|r| r.memory.as_ref());
        weak.filter_map(Weak::upgrade).collect()
    })
}

/// Process `pid`'s descriptor table, while it runs (for `/proc/PID/fd`). Drop it with no lock
/// held (see [`shared::WeakFiles::upgrade`]).
pub fn files_of(pid: Pid) -> Option<Files> {
    let weak = with_table(|table| table.processes.get(&pid)?.files.clone())?;
    weak.upgrade()
}

/// One thread of a process, as `/proc/PID/task/TID` shows it.
#[derive(Debug, Clone)]
pub struct ThreadInfo {
    /// Its thread id.
    pub tid: Pid,
    /// The scheduler's thread that runs it (0 until it has started, and for a zombie).
    pub thread: ThreadId,
    /// Its process's signal sets, with its own mask and pending signals.
    pub signals: procfmt::Signals,
    /// The name it gave itself, if any (else it goes by its process's).
    pub name: Option<String>,
}

/// The threads of process `pid` by thread id, its first first; a zombie is the one thread that
/// ended, with its pid, as Linux lists it. `None` if there is no such process.
pub fn threads_of_process(pid: Pid) -> Option<Vec<ThreadInfo>> {
    with_table(|table| {
        let record = table.processes.get(&pid)?;
        if record.threads.is_empty() {
            let signals = record.signals.sets(None);
            return Some(alloc::vec![ThreadInfo {
                tid: pid,
                thread: 0,
                signals,
                name: None,
            }]);
        }
        let threads = record.threads.iter().map(|m| ThreadInfo {
            tid: m.tid,
            thread: m.thread,
            signals: record.signals.sets(Some(&m.signals)),
            name: m.name.as_deref().map(String::from),
        });
        Some(threads.collect())
    })
}

/// The process thread `tid` belongs to ([`process_of_tid`]), or the ended process whose pid it
/// is (a zombie is listed as its one thread, as Linux lists it).
pub fn process_of_thread_id(tid: Pid) -> Option<Pid> {
    with_table(|table| {
        process_of_tid(table, tid).or_else(|| table.processes.contains_key(&tid).then_some(tid))
    })
}

/// The parent of `pid` (0 if none).
pub fn parent_of(pid: Pid) -> Pid {
    with_table(|table| table.processes.get(&pid).map_or(0, |r| r.parent))
}

/// The signal a user-mode exception raises, as Linux maps them.
fn signal_for(vector: u8) -> i32 {
    use abi::signal::*;
    use traps::vector as v;
    match vector {
        v::DIVIDE_ERROR | v::X87_FLOATING_POINT | v::SIMD_FLOATING_POINT => SIGFPE,
        v::INVALID_OPCODE => SIGILL,
        v::BREAKPOINT | v::DEBUG => SIGTRAP,
        v::ALIGNMENT_CHECK => SIGBUS,
        _ => SIGSEGV,
    }
}

impl Fault {
    /// The signal the fault raises.
    fn signal(&self) -> i32 {
        if self.past_end {
            abi::signal::SIGBUS
        } else {
            signal_for(self.vector)
        }
    }

    /// The signal the fault raises, with the code and address Linux gives it.
    fn signal_info(&self) -> abi::SigInfo {
        use abi::siginfo::*;
        use traps::vector as v;
        let signal = self.signal();
        let (code, addr) = match self.vector {
            v::PAGE_FAULT if self.past_end => (BUS_ADRERR, self.cr2),
            v::PAGE_FAULT => {
                let code = traps::PageFaultCode(self.error_code);
                let kind = if code.present() {
                    SEGV_ACCERR
                } else {
                    SEGV_MAPERR
                };
                (kind, self.cr2)
            }
            v::DIVIDE_ERROR => (FPE_INTDIV, self.rip),
            v::INVALID_OPCODE => (ILL_ILLOPN, self.rip),
            v::BREAKPOINT => (TRAP_BRKPT, self.rip),
            v::ALIGNMENT_CHECK => (BUS_ADRALN, self.rip),
            // A general-protection fault tells nothing of an address: Linux sends SI_KERNEL.
            _ => (SI_KERNEL, 0),
        };
        SigInfo::fault(signal, code, addr)
    }
}

/// An exception that ended a program, kept to be reported once the program is gone.
#[derive(Debug, Clone, Copy)]
pub struct Fault {
    /// The exception vector.
    pub vector: u8,
    /// Where the program was.
    pub rip: u64,
    /// The error code the CPU pushed (for a page fault, what kind of access failed).
    pub error_code: u64,
    /// CR2: the address a page fault was about.
    pub cr2: u64,
    /// Whether the page fault was past the end of a mapped file (`SIGBUS`, not `SIGSEGV`).
    pub past_end: bool,
}

/// The trap hook for exceptions in ring 3. A page fault may be one the kernel resolves (a
/// copy-on-write page, a stack page not touched before): the access is retried. Anything else
/// raises the signal Linux raises for it (SIGSEGV, SIGILL, SIGFPE, ...), which a handler may
/// catch; if none does, the program ends, and its thread prints one line of explanation
/// afterwards ([`report_fault`]). Printing here could wait for the console lock, which the
/// thread this exception interrupted may hold, with interrupts off: for ever.
pub fn user_exception(frame: &mut TrapFrame, cr2: u64) -> Next {
    let vector = frame.vector as u8;
    let code = traps::PageFaultCode(frame.error_code);
    // The program was in ring 3 with interrupts on, so this may be preempted like the program
    // itself; and a signal frame is written to its memory, which may fault in turn.
    interrupts::enable();
    let outcome = (vector == traps::vector::PAGE_FAULT).then(|| resolve_fault(cr2, code.0));
    let next = if outcome == Some(FaultOutcome::Fixed) {
        Next::Resume
    } else {
        with_current_task(|task| {
            let fault = Fault {
                vector,
                rip: frame.rip,
                error_code: frame.error_code,
                cr2,
                past_end: outcome == Some(FaultOutcome::PastEnd),
            };
            task.fault = Some(fault);
            signal::force(task.pid, fault.signal_info());
            signal::deliver(task, frame, None)
        })
        .expect("an exception from ring 3 comes from a thread that runs a program")
    };
    interrupts::disable();
    next
}

/// Prints the line that says why program `name` (`pid`) was ended by `fault`.
fn report_fault(pid: Pid, name: &str, fault: &Fault) {
    let (mnemonic, exception) = traps::name(fault.vector).unwrap_or(("#??", "unknown exception"));
    let signal = fault.signal();
    let signal_name = abi::signal::signal_name(signal).unwrap_or("?");
    let rip = fault.rip;
    if fault.vector == traps::vector::PAGE_FAULT {
        let code = traps::PageFaultCode(fault.error_code);
        let cr2 = fault.cr2;
        let guard = if cr2 & !(crate::mm::paging::PAGE_SIZE - 1) == exec::STACK_GUARD {
            " (the stack's guard page: a stack overflow)"
        } else {
            ""
        };
        crate::println!(
            "pid {pid} ({name}): {exception} ({mnemonic}) at {rip:#x}, {code} at {cr2:#x}{guard}; killed ({signal_name})"
        );
    } else {
        crate::println!(
            "pid {pid} ({name}): {exception} ({mnemonic}) at {rip:#x}; killed ({signal_name})"
        );
    }
}

/// The trap hook run before every return to ring 3 from an interrupt: pending signals are
/// taken (see [`signal::deliver`]).
pub fn returning_to_user(frame: &mut TrapFrame) -> Next {
    if !sched::should_stop() {
        return Next::Resume;
    }
    interrupts::enable();
    let next = with_current_task(|task| signal::deliver(task, frame, None));
    interrupts::disable();
    next.unwrap_or(Next::Resume)
}
