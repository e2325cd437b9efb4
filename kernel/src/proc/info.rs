//! The small calls programs make at start-up: the time, who they are, what machine this is,
//! random bytes, their limits and what they have used.
//!
//! None of these is deep, but each is exact: C libraries and programs such as BusyBox call them
//! before `main` and check what comes back. Each follows Linux x86_64 (6.x), including the
//! order in which Linux checks its arguments, which decides the error a program sees when
//! several are wrong (`getrandom` checks its flags before the buffer, `prlimit64` reads the new
//! limit before it looks at the resource). The answers were compared with the host's Linux by
//! running the same calls there (`usertests --quiet`, in `tests/test_linux_differential.py`).
//!
//! What Ferrite has less of than Linux, and how it answers:
//!
//! - **Clocks.** `CLOCK_REALTIME` is the real-time clock's date at boot plus the uptime
//!   (`crate::time`); nothing sets it yet (`clock_settime` and `settimeofday` are `ENOSYS`).
//!   The CPU-time clocks count the scheduler's 10 ms ticks; the per-process clock ids that
//!   `clock_getcpuclockid` makes (negative numbers) are `EINVAL`.
//! - **Identity.** One user, root, but the ids are real: each process keeps its real,
//!   effective and saved user and group ids, inherits them over `fork` and keeps them over
//!   `execve`, and the `set*id` calls follow Linux's rules (root may set any id; others only
//!   their own). Nothing checks them yet: files do not look at owners.
//! - **Limits.** Kept in the process table, one set per process (all its threads see one
//!   `setrlimit`; `prlimit64` reaches another process's), inherited over `fork` and kept over
//!   `execve`. Reported with the values that hold in fact (the descriptor table's size, the
//!   stack exec gives); `RLIMIT_NOFILE`, `RLIMIT_AS` and `RLIMIT_DATA` are enforced.
//! - **Accounting.** A process's CPU time is its thread's ticks; user and system time are not
//!   told apart (all of it is reported as user time), and the children's is not collected yet
//!   (0, as `wait4`'s `rusage`).
//! - **`rseq`** stays `ENOSYS`: glibc registers restartable sequences at start-up if it can and
//!   carries on without them when the kernel says `ENOSYS` (as it must on kernels before 4.18).

use super::Task;
use crate::mm::paging::PAGE_SIZE;
use crate::mm::uaccess;
use abi::resource::{Rlimit, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_NLIMITS};
use abi::time::*;
use abi::{Errno, Timespec};

/// Nanoseconds in a second.
const NS_PER_S: u64 = 1_000_000_000;
/// Nanoseconds in one of the scheduler's ticks: the resolution of the coarse and CPU clocks.
const NS_PER_TICK: u64 = NS_PER_S / crate::time::TICK_HZ;

/// `struct timespec` of `ns` nanoseconds.
fn timespec(ns: u64) -> Timespec {
    Timespec {
        tv_sec: (ns / NS_PER_S) as i64,
        tv_nsec: (ns % NS_PER_S) as i64,
    }
}

/// The CPU time of the running thread (and so of its process: one thread each), in
/// nanoseconds, at the tick's resolution.
fn cpu_time_ns() -> u64 {
    let me = crate::sched::current();
    let mut ticks = 0;
    crate::sched::threads(|thread| {
        if thread.id == me {
            ticks = thread.cpu_ticks;
        }
    });
    ticks * NS_PER_TICK
}

/// The part of [`cpu_time_ns`] the ticks found in ring 3, and the part in the kernel.
fn user_and_system_ns() -> (u64, u64) {
    let total = cpu_time_ns();
    let user = (crate::sched::user_ticks(crate::sched::current()) * NS_PER_TICK).min(total);
    (user, total - user)
}

/// `ns` as a `timeval`.
fn timeval(ns: u64) -> Timeval {
    Timeval {
        tv_sec: (ns / NS_PER_S) as i64,
        tv_usec: (ns % NS_PER_S / 1_000) as i64,
    }
}

/// Reads clock `clock` now; `EINVAL` for an id Ferrite does not have.
fn read_clock(clock: i32) -> Result<u64, Errno> {
    let coarse = |ns: u64| ns - ns % NS_PER_TICK;
    match clock {
        // TAI's offset from UTC is 0 until `adjtimex` sets it, on Linux too.
        CLOCK_REALTIME | CLOCK_TAI => Ok(crate::time::realtime_ns()),
        CLOCK_REALTIME_COARSE => {
            Ok(crate::time::boot_epoch_ns() + coarse(crate::time::uptime_ns()))
        }
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME => Ok(crate::time::uptime_ns()),
        CLOCK_MONOTONIC_COARSE => Ok(coarse(crate::time::uptime_ns())),
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => Ok(cpu_time_ns()),
        _ => Err(Errno::EINVAL),
    }
}

/// `clock_gettime(clock, tp)`.
#[inline(never)]
pub fn clock_gettime(clock: i32, out: u64) -> Result<usize, Errno> {
    let now = read_clock(clock)?;
    uaccess::write_value(out, &timespec(now))?;
    Ok(0)
}

/// `clock_getres(clock, res)`: 1 ns for the clocks read from the TSC (its true resolution is
/// finer still), a tick for the coarse and CPU-time ones. `res` may be null.
#[inline(never)]
pub fn clock_getres(clock: i32, out: u64) -> Result<usize, Errno> {
    read_clock(clock)?;
    let resolution = match clock {
        CLOCK_REALTIME_COARSE
        | CLOCK_MONOTONIC_COARSE
        | CLOCK_PROCESS_CPUTIME_ID
        | CLOCK_THREAD_CPUTIME_ID => NS_PER_TICK,
        _ => 1,
    };
    if out != 0 {
        uaccess::write_value(out, &timespec(resolution))?;
    }
    Ok(0)
}

/// `clock_nanosleep(clock, flags, request, remain)`: sleeps for `request`, or with
/// `TIMER_ABSTIME` until the clock reads `request` (at once if it is past). As Linux: an
/// unknown clock is `EINVAL`, one that cannot be slept on (the coarse, raw and thread-CPU
/// clocks) `EOPNOTSUPP`, other flag bits are ignored. Sleeping on the process's CPU clock, which
/// stands still while the only thread sleeps, is `EOPNOTSUPP` too (Linux would sleep until a
/// signal). A signal cuts the sleep short with `EINTR`, and a relative sleep writes the time left
/// to `remain` (if not null), as `nanosleep` does.
#[inline(never)]
pub fn clock_nanosleep(clock: i32, flags: u32, request: u64, remain: u64) -> Result<usize, Errno> {
    let now = read_clock(clock)?;
    if !matches!(
        clock,
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_TAI
    ) {
        return Err(Errno::EOPNOTSUPP);
    }
    let time: Timespec = uaccess::read_value(request)?;
    if !time.is_valid() {
        return Err(Errno::EINVAL);
    }
    let ns = (time.tv_sec as u64)
        .saturating_mul(NS_PER_S)
        .saturating_add(time.tv_nsec as u64);
    let span = if flags & TIMER_ABSTIME != 0 {
        ns.saturating_sub(now)
    } else {
        ns
    };
    if span > 0 {
        let until = crate::time::uptime_ns().saturating_add(span);
        crate::sched::sleep(core::time::Duration::from_nanos(span));
        let left = until.saturating_sub(crate::time::uptime_ns());
        if crate::sched::should_stop() && left > 0 {
            if flags & TIMER_ABSTIME == 0 && remain != 0 {
                let rest = Timespec {
                    tv_sec: (left / NS_PER_S) as i64,
                    tv_nsec: (left % NS_PER_S) as i64,
                };
                uaccess::write_value(remain, &rest)?;
            }
            return Err(Errno::EINTR);
        }
    }
    Ok(0)
}

/// `gettimeofday(tv, tz)`: either may be null; the time zone is always UTC (zeros), which is
/// what Linux keeps until a program sets one.
#[inline(never)]
pub fn gettimeofday(tv: u64, tz: u64) -> Result<usize, Errno> {
    if tv != 0 {
        let now = crate::time::realtime_ns();
        let time = Timeval {
            tv_sec: (now / NS_PER_S) as i64,
            tv_usec: (now % NS_PER_S / 1_000) as i64,
        };
        uaccess::write_value(tv, &time)?;
    }
    if tz != 0 {
        uaccess::write_value(tz, &Timezone::default())?;
    }
    Ok(0)
}

/// `time(tloc)`: seconds since 1970, also stored at `tloc` unless it is null.
#[inline(never)]
pub fn time(tloc: u64) -> Result<usize, Errno> {
    let seconds = crate::time::realtime_ns() / NS_PER_S;
    if tloc != 0 {
        uaccess::write_value(tloc, &seconds)?;
    }
    Ok(seconds as usize)
}

/// What `uname` answers. `sysname` is "Linux" because Ferrite speaks Linux's system-call
/// interface, and programs ask `uname` to learn which interface they are on (BusyBox, Python's
/// `platform`, configure scripts); gVisor and WSL 1 answer "Linux" for the same reason. The
/// release is a Linux version number because C libraries parse it: glibc before 2.36 refused
/// to start ("FATAL: kernel too old") below its minimum (3.2 on x86_64), and programs pick
/// features by it. "6.1.0" is Debian 12's kernel, the one Ferrite's answers are compared with;
/// the "-ferrite" suffix, in the place where distributions put theirs, tells a person the truth.
const UTSNAME: abi::Utsname = abi::Utsname {
    sysname: abi::Utsname::field("Linux"),
    nodename: abi::Utsname::field("ferrite"),
    release: abi::Utsname::field(RELEASE),
    version: abi::Utsname::field(concat!("#1 Ferrite ", env!("CARGO_PKG_VERSION"))),
    machine: abi::Utsname::field("x86_64"),
    domainname: abi::Utsname::field("(none)"),
};
/// The kernel release `uname -r` prints.
pub const RELEASE: &str = "6.1.0-ferrite";

/// `uname(buf)`.
#[inline(never)]
pub fn uname(out: u64) -> Result<usize, Errno> {
    uaccess::write_value(out, &UTSNAME)?;
    Ok(0)
}

/// `getrandom(buf, count, flags)`: `count` bytes (at most `MAX_RW_COUNT` a call, as every
/// read) from the kernel's generator ([`crate::drivers::random`]), which is seeded at boot, so
/// it never blocks and the flags change nothing; unknown flags, and `GRND_INSECURE` with
/// `GRND_RANDOM`, are `EINVAL`. A buffer that faults part-way returns the bytes written
/// before the fault, as on Linux; one that faults at once is `EFAULT`.
#[inline(never)]
pub fn getrandom(buf: u64, count: usize, flags: u32) -> Result<usize, Errno> {
    use abi::random::*;
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_INSECURE | GRND_RANDOM) == GRND_INSECURE | GRND_RANDOM
    {
        return Err(Errno::EINVAL);
    }
    let count = count.min(MAX_RW_COUNT);
    uaccess::check_range(buf, count)?;
    let mut chunk = [0u8; RANDOM_CHUNK];
    let mut done = 0;
    while done < count {
        // Never across a page boundary: a fault then means that page, and every byte before
        // it was written, which is the count Linux returns.
        let at = buf + done as u64;
        let to_boundary = (PAGE_SIZE - at % PAGE_SIZE) as usize;
        let take = (count - done).min(RANDOM_CHUNK).min(to_boundary);
        crate::drivers::random::fill(&mut chunk[..take]);
        let copied = uaccess::write(at, &chunk[..take]);
        chunk.fill(0);
        if copied.is_err() {
            return if done == 0 {
                Err(Errno::EFAULT)
            } else {
                Ok(done)
            };
        }
        done += take;
    }
    Ok(done)
}

/// The most bytes one read (or `getrandom`) transfers: `INT_MAX` rounded down to a page.
const MAX_RW_COUNT: usize = (i32::MAX as usize) & !4095;
/// Bytes generated and copied out at a time.
const RANDOM_CHUNK: usize = 256;

/// A process's user and group ids: real (who started it), effective (what it acts as) and
/// saved (what it may go back to). Inherited over `fork`, kept over `execve`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Credentials {
    /// Real, effective and saved user ids.
    pub uid: [u32; 3],
    /// Real, effective and saved group ids.
    pub gid: [u32; 3],
}

/// Which of a [`Credentials`] pair of triples a call changes.
#[derive(Clone, Copy)]
enum Ids {
    /// The user ids.
    User,
    /// The group ids.
    Group,
}

/// The id that means "leave this one as it is" in `setreuid` and `setresuid`, and is not a
/// valid id for `setuid`.
const UNCHANGED: u32 = u32::MAX;
/// Indices into a triple.
const REAL: usize = 0;
/// The effective id's index.
const EFFECTIVE: usize = 1;
/// The saved id's index.
const SAVED: usize = 2;

impl Credentials {
    /// Whether the process may set any id: Linux's `CAP_SETUID` and `CAP_SETGID`, which a
    /// process has exactly while its effective user id is 0 (the capabilities follow the
    /// effective uid when no security bits are set).
    fn privileged(&self) -> bool {
        self.uid[EFFECTIVE] == 0
    }

    fn ids(&mut self, which: Ids) -> &mut [u32; 3] {
        match which {
            Ids::User => &mut self.uid,
            Ids::Group => &mut self.gid,
        }
    }
}

/// What a thread may be given other than the defaults: its ids ([`Task::account`]). (Its
/// process's limits are in the process table.)
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Account {
    /// Its user and group ids.
    pub creds: Credentials,
}

/// `task`'s ids (the defaults if it never changed them).
fn account(task: &Task) -> Account {
    task.account.as_deref().copied().unwrap_or_default()
}

/// `task`'s ids, to change.
fn account_mut(task: &mut Task) -> &mut Account {
    task.account.get_or_insert_with(Default::default)
}

/// `getuid`, `geteuid`, `getgid`, `getegid`.
pub fn get_id(task: &Task, number: usize) -> usize {
    use abi::nr;
    let creds = task
        .account
        .as_ref()
        .map_or(Credentials::default(), |a| a.creds);
    (match number {
        nr::GETUID => creds.uid[REAL],
        nr::GETEUID => creds.uid[EFFECTIVE],
        nr::GETGID => creds.gid[REAL],
        _ => creds.gid[EFFECTIVE],
    }) as usize
}

/// `getresuid(ruid, euid, suid)` and `getresgid`: the three ids, to three pointers.
#[inline(never)]
pub fn getres(task: &Task, group: bool, out: [u64; 3]) -> Result<usize, Errno> {
    let creds = account(task).creds;
    let ids = if group { creds.gid } else { creds.uid };
    for (&at, id) in out.iter().zip(ids) {
        uaccess::write_value(at, &(id as i32))?;
    }
    Ok(0)
}

/// `setuid(id)` and `setgid(id)`: privileged, all three ids; otherwise only the effective one,
/// and only to the real or saved id (`EPERM`). `(uid_t)-1` is `EINVAL`.
#[inline(never)]
pub fn set_id(task: &mut Task, group: bool, id: u32) -> Result<usize, Errno> {
    if id == UNCHANGED {
        return Err(Errno::EINVAL);
    }
    let creds = &mut account_mut(task).creds;
    let privileged = creds.privileged();
    let ids = creds.ids(if group { Ids::Group } else { Ids::User });
    if privileged {
        *ids = [id; 3];
    } else if id == ids[REAL] || id == ids[SAVED] {
        ids[EFFECTIVE] = id;
    } else {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

/// `setreuid(real, effective)` and `setregid`: -1 leaves an id. Unprivileged, the real id may
/// become the effective one and the effective id the real or saved one. The saved id follows the
/// new effective id when the real id is set or the effective id set to other than the old
/// real id (Linux's rule, so that a set-uid program can drop its privilege for good).
#[inline(never)]
pub fn set_re_id(task: &mut Task, group: bool, real: u32, effective: u32) -> Result<usize, Errno> {
    let creds = &mut account_mut(task).creds;
    let privileged = creds.privileged();
    let ids = creds.ids(if group { Ids::Group } else { Ids::User });
    let old = *ids;
    let real_ok = real == UNCHANGED || real == old[REAL] || real == old[EFFECTIVE];
    let effective_ok = effective == UNCHANGED || old.contains(&effective);
    if !privileged && (!real_ok || !effective_ok) {
        return Err(Errno::EPERM);
    }
    if real != UNCHANGED {
        ids[REAL] = real;
    }
    if effective != UNCHANGED {
        ids[EFFECTIVE] = effective;
    }
    if real != UNCHANGED || (effective != UNCHANGED && effective != old[REAL]) {
        ids[SAVED] = ids[EFFECTIVE];
    }
    Ok(0)
}

/// `setresuid(real, effective, saved)` and `setresgid`: -1 leaves an id; unprivileged, each
/// new id must be one of the three old ones.
#[inline(never)]
pub fn set_res_id(task: &mut Task, group: bool, new: [u32; 3]) -> Result<usize, Errno> {
    let creds = &mut account_mut(task).creds;
    let privileged = creds.privileged();
    let ids = creds.ids(if group { Ids::Group } else { Ids::User });
    let old = *ids;
    if !privileged && !new.iter().all(|id| *id == UNCHANGED || old.contains(id)) {
        return Err(Errno::EPERM);
    }
    for (slot, id) in ids.iter_mut().zip(new) {
        if id != UNCHANGED {
            *slot = id;
        }
    }
    Ok(0)
}

/// `getgroups(size, list)`: Ferrite's processes have no supplementary groups (as Linux's first
/// process, and everything it starts without `setgroups`), so the answer is 0 and nothing is
/// written; a negative size is `EINVAL`.
#[inline(never)]
pub fn getgroups(size: i32) -> Result<usize, Errno> {
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// A process's resource limits, by `RLIMIT_*` number, inherited across `fork` and `execve`.
/// Enforced: `RLIMIT_NOFILE` (the descriptor table hands out none at or above it: `EMFILE`),
/// `RLIMIT_AS` and `RLIMIT_DATA` (see [`MemoryLimits`]). `RLIMIT_STACK` says what is true (the
/// stack's fixed range); the others are kept and reported only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits([Rlimit; RLIM_NLIMITS as usize]);

impl Default for Limits {
    /// What a process of the kernel's starts with: what holds in fact for the descriptors
    /// (the table's size) and the stack (the pages `execve` reserves), no limit on the rest.
    fn default() -> Limits {
        let mut limits = [Rlimit::INFINITE; RLIM_NLIMITS as usize];
        let files = crate::fs::file::MAX_FDS as u64;
        limits[RLIMIT_NOFILE as usize] = Rlimit {
            rlim_cur: files,
            rlim_max: files,
        };
        let stack = super::exec::STACK_PAGES * PAGE_SIZE;
        limits[RLIMIT_STACK as usize] = Rlimit {
            rlim_cur: stack,
            rlim_max: stack,
        };
        Limits(limits)
    }
}

/// Held while a limit changes (see [`exchange_limit`]): a blocking lock, since changes are rare
/// and the descriptor table's copy is set under it too.
static LIMITS_CHANGING: crate::sched::sync::Mutex<()> = crate::sched::sync::Mutex::new(());

/// Replaces limit `resource` of process `pid` by `new` (for `task`, which asks) and returns the
/// old one, by Linux's rules: an unknown resource or a soft limit above the hard one is
/// `EINVAL`; more descriptors than the table holds is `EPERM` (Linux's `nr_open`); raising a
/// hard limit needs privilege; a process that does not run is `ESRCH`.
fn exchange_limit(
    task: &Task,
    pid: super::Pid,
    resource: u32,
    new: Option<Rlimit>,
) -> Result<Rlimit, Errno> {
    if resource >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let Some(new) = new else {
        let limits = super::limits_of(pid).ok_or(Errno::ESRCH)?;
        return Ok(limits.0[resource as usize]);
    };
    // One change at a time, from reading the limits to the descriptor table's copy: two
    // threads changing limits at once would otherwise each write back a copy read before the
    // other's change (losing it, or restoring a hard limit the other had lowered, unchecked).
    let _changing = LIMITS_CHANGING.lock();
    let mut limits = super::limits_of(pid).ok_or(Errno::ESRCH)?;
    let old = limits.0[resource as usize];
    if new.rlim_cur > new.rlim_max {
        return Err(Errno::EINVAL);
    }
    if resource == RLIMIT_NOFILE && new.rlim_max > crate::fs::file::MAX_FDS as u64 {
        return Err(Errno::EPERM);
    }
    if new.rlim_max > old.rlim_max && !account(task).creds.privileged() {
        return Err(Errno::EPERM);
    }
    limits.0[resource as usize] = new;
    super::set_limits(pid, limits)?;
    if resource == RLIMIT_NOFILE {
        // At most MAX_FDS (checked above), so the cast cannot truncate. The table is kept by
        // the descriptor table, shared by the process's threads.
        let most = new.rlim_cur as usize;
        if pid == task.pid {
            task.files.set_limit(most);
        } else if let Some(files) = super::files_of(pid) {
            files.set_limit(most);
        }
    }
    Ok(old)
}

/// The limits on a process's memory that `brk`, `mmap` and `mremap` enforce: `RLIMIT_AS` on
/// all of it, `RLIMIT_DATA` on its heap and private writable mappings. Both count what is
/// mapped, touched or not, from the regions (see `regions`), the heap and the stack's range:
/// Linux's accounting.
#[derive(Debug, Clone, Copy)]
pub struct MemoryLimits {
    /// `RLIMIT_AS`'s soft limit, in bytes.
    address_space: u64,
    /// `RLIMIT_DATA`'s soft limit, in bytes.
    data: u64,
}

impl MemoryLimits {
    /// Whether `map` may grow by `bytes` more (`data`: private writable bytes, which
    /// `RLIMIT_DATA` counts too).
    pub fn allow(&self, map: &super::shared::Map, bytes: u64, data: bool) -> bool {
        let heap = map.brk.next_multiple_of(PAGE_SIZE) - map.brk_start;
        let stack = super::exec::STACK_TOP - super::exec::STACK_BOTTOM;
        let mapped = map.regions.bytes() + heap + stack;
        let data_bytes = map.regions.data_bytes() + heap + if data { bytes } else { 0 };
        mapped.saturating_add(bytes) <= self.address_space && data_bytes <= self.data
    }
}

/// `task`'s process's memory limits.
pub fn memory_limits(task: &Task) -> MemoryLimits {
    use abi::resource::{RLIMIT_AS, RLIMIT_DATA};
    let limits = super::limits_of(task.pid).unwrap_or_default();
    MemoryLimits {
        address_space: limits.0[RLIMIT_AS as usize].rlim_cur,
        data: limits.0[RLIMIT_DATA as usize].rlim_cur,
    }
}

/// `prlimit64(pid, resource, new, old)`: the limits of process `pid` (0: the caller's). Linux
/// lets a process reach another's when their user ids match or it has `CAP_SYS_RESOURCE`;
/// Ferrite keeps ids per thread, out of reach here, so another process's limits need
/// privilege (an effective user id of 0, which every process has unless it gave it up):
/// `EPERM` otherwise, and `ESRCH` for a pid nobody has.
#[inline(never)]
pub fn prlimit64(
    task: &mut Task,
    pid: i32,
    resource: u32,
    new: u64,
    old: u64,
) -> Result<usize, Errno> {
    let new = if new == 0 {
        None
    } else {
        Some(uaccess::read_value::<Rlimit>(new)?)
    };
    let target = match pid {
        0 => task.pid,
        pid if pid < 0 => return Err(Errno::ESRCH),
        // A thread's id names its process, as on Linux.
        pid => super::process_of_thread_id(pid as super::Pid).unwrap_or(pid as super::Pid),
    };
    if target != task.pid && !account(task).creds.privileged() {
        return Err(if super::exists(target) {
            Errno::EPERM
        } else {
            Errno::ESRCH
        });
    }
    let previous = exchange_limit(task, target, resource, new)?;
    if old != 0 {
        uaccess::write_value(old, &previous)?;
    }
    Ok(0)
}

/// `getrlimit(resource, rlim)`.
#[inline(never)]
pub fn getrlimit(task: &mut Task, resource: u32, out: u64) -> Result<usize, Errno> {
    let limit = exchange_limit(task, task.pid, resource, None)?;
    uaccess::write_value(out, &limit)?;
    Ok(0)
}

/// `setrlimit(resource, rlim)`.
#[inline(never)]
pub fn setrlimit(task: &mut Task, resource: u32, new: u64) -> Result<usize, Errno> {
    let new: Rlimit = uaccess::read_value(new)?;
    exchange_limit(task, task.pid, resource, Some(new)).map(|_| 0)
}

/// `getrusage(who, usage)`: `RUSAGE_SELF` and `RUSAGE_THREAD` (one thread per process: the
/// same) report the CPU time and the largest resident size; `RUSAGE_CHILDREN` zeros, as the
/// children's use is not collected yet.
#[inline(never)]
pub fn getrusage(task: &Task, who: i32, out: u64) -> Result<usize, Errno> {
    use abi::resource::{RUSAGE_CHILDREN, RUSAGE_SELF, RUSAGE_THREAD};
    let usage = match who {
        RUSAGE_SELF | RUSAGE_THREAD => {
            let (user, system) = user_and_system_ns();
            abi::Rusage {
                ru_utime: timeval(user),
                ru_stime: timeval(system),
                ru_maxrss: (task.memory.lock().space.resident_pages() as u64 * PAGE_SIZE / 1024)
                    as i64,
                ..abi::Rusage::default()
            }
        }
        RUSAGE_CHILDREN => abi::Rusage::default(),
        _ => return Err(Errno::EINVAL),
    };
    uaccess::write_value(out, &usage)?;
    Ok(0)
}

/// `times(buf)`: the CPU times in clock ticks (`USER_HZ`, 100 a second); returns the ticks
/// since boot (Linux's count starts at an arbitrary point, so programs only subtract two).
#[inline(never)]
pub fn times(out: u64) -> Result<usize, Errno> {
    let per_tick = NS_PER_S / USER_HZ as u64;
    if out != 0 {
        let (user, system) = user_and_system_ns();
        let tms = Tms {
            tms_utime: (user / per_tick) as i64,
            tms_stime: (system / per_tick) as i64,
            ..Tms::default()
        };
        uaccess::write_value(out, &tms)?;
    }
    Ok((crate::time::uptime_ns() / per_tick) as usize)
}

/// `sysinfo(info)`: the uptime, the load averages, the memory from the frame allocator, and the
/// process count; no swap.
#[inline(never)]
pub fn sysinfo(out: u64) -> Result<usize, Errno> {
    let page = PAGE_SIZE;
    let (total, free) = crate::mm::frames::counts()
        .map_or((0, 0), |c| (c.usable as u64 * page, c.free as u64 * page));
    let info = abi::Sysinfo {
        uptime: (crate::time::uptime_ns() / NS_PER_S) as i64,
        loads: crate::sched::load_average().for_sysinfo(),
        totalram: total,
        freeram: free,
        procs: super::list().len().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..abi::Sysinfo::default()
    };
    uaccess::write_value(out, &info)?;
    Ok(0)
}

/// Bytes of the CPU mask Ferrite reports: one `unsigned long`, as Linux does for a machine
/// of up to 64 CPUs.
const CPU_MASK_BYTES: usize = 8;

/// `sched_getaffinity(pid, size, mask)`: one CPU, so the mask is bit 0. As Linux: a size that
/// is not a whole number of `unsigned long`s, or too small for every CPU, is `EINVAL`; returns
/// the bytes written.
#[inline(never)]
pub fn sched_getaffinity(task: &Task, pid: i32, size: usize, out: u64) -> Result<usize, Errno> {
    if size == 0 || size % CPU_MASK_BYTES != 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0 && pid as super::Pid != task.pid && !(pid > 0 && super::exists(pid as super::Pid)) {
        return Err(Errno::ESRCH);
    }
    uaccess::write_value(out, &1u64)?;
    Ok(CPU_MASK_BYTES)
}
