//! Checks every number in the crate against the Linux headers Debian installs, so a typo (or an
//! octal flag copied as decimal) fails here rather than in a user program.
//!
//! The headers come from `linux-libc-dev` (the kernel's UAPI headers) and, for the few values
//! only the C library defines, from `libc6-dev`. A missing header fails the test with the command
//! that installs it: skipping would let a wrong number pass unnoticed. The header reader is
//! `defines.rs`.

mod defines;

use abi::Errno;
use defines::Defines;

/// The Debian package of the kernel's UAPI headers.
const KERNEL_HEADERS: &str = "linux-libc-dev";
/// The Debian package of glibc's headers.
const LIBC_HEADERS: &str = "libc6-dev";

/// `(name, value)` pairs for constants of one crate module, named as in the header.
macro_rules! crate_values {
    ($module:ident :: { $($name:ident),* $(,)? }) => {
        [$( (stringify!($name), abi::$module::$name as i128) ),*]
    };
}

#[test]
fn system_call_numbers_and_names_match_unistd_64() {
    let defines = Defines::load(KERNEL_HEADERS, &["x86_64-linux-gnu/asm/unistd_64.h"]);
    let header: Vec<(String, usize)> = defines
        .with_prefix("__NR_")
        .into_iter()
        .map(|(name, value)| {
            let number = value.unwrap_or_else(|| panic!("{name} has no plain value"));
            (
                name["__NR_".len()..].to_string(),
                usize::try_from(number).unwrap(),
            )
        })
        .collect();
    assert!(
        header.len() > 300,
        "only {} __NR_ lines: not the right header?",
        header.len()
    );

    // Header to table: every call is there, under its number.
    for (name, number) in &header {
        assert_eq!(
            abi::nr::name(*number),
            Some(name.as_str()),
            "__NR_{name} = {number}"
        );
    }
    // Table to header: the table names nothing the header does not define.
    for number in 0..abi::nr::COUNT {
        if let Some(name) = abi::nr::name(number) {
            assert!(
                header.contains(&(name.to_string(), number)),
                "table entry {number} {name}"
            );
        }
    }
    let highest = header.iter().map(|&(_, number)| number).max().unwrap();
    assert_eq!(
        abi::nr::COUNT,
        highest + 1,
        "regenerate with gen/syscall_table.py"
    );

    // The named constants.
    for &(constant, number) in abi::nr::IMPLEMENTED {
        let macro_name = format!("__NR_{}", constant.to_ascii_lowercase());
        assert_eq!(
            defines.value(&macro_name),
            Some(number as i128),
            "nr::{constant}"
        );
    }
}

#[test]
fn errno_values_match_errno_base_and_errno() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &["asm-generic/errno-base.h", "asm-generic/errno.h"],
    );
    let from_kernel = defines.with_prefix("E");

    // Crate to header: every variant has its header value.
    let ours: Vec<(&str, i128)> = Errno::ALL
        .iter()
        .map(|&errno| (errno.name(), errno as i128))
        .collect();
    defines.check(&ours);

    // Header to crate: every name the header defines is a variant or one of the aliases.
    let aliases = [
        ("EWOULDBLOCK", Errno::EWOULDBLOCK),
        ("EDEADLOCK", Errno::EDEADLOCK),
        ("ENOTSUP", Errno::ENOTSUP),
    ];
    for (name, value) in from_kernel {
        let value = value.unwrap_or_else(|| panic!("{name} has no plain value"));
        let errno = Errno::from_raw(i32::try_from(value).unwrap())
            .unwrap_or_else(|| panic!("{name} = {value} is not an Errno"));
        let is_alias = aliases
            .iter()
            .any(|&(alias, target)| alias == name && target == errno);
        assert!(
            errno.name() == name || is_alias,
            "{name} = {value} is {}",
            errno.name()
        );
    }
    assert_eq!(
        defines.value("EWOULDBLOCK"),
        Some(Errno::EWOULDBLOCK as i128)
    );
    assert_eq!(defines.value("EDEADLOCK"), Some(Errno::EDEADLOCK as i128));

    // ENOTSUP is POSIX's name, which only the C library defines (as EOPNOTSUPP).
    let with_glibc = defines.and_load(LIBC_HEADERS, &["x86_64-linux-gnu/bits/errno.h"]);
    assert_eq!(with_glibc.value("ENOTSUP"), Some(Errno::ENOTSUP as i128));
}

#[test]
fn signal_numbers_match_asm_signal() {
    let defines = Defines::load(KERNEL_HEADERS, &["x86_64-linux-gnu/asm/signal.h"]);
    let ours: Vec<(&str, i128)> = abi::signal::ALL
        .iter()
        .map(|&(name, number)| (name, number as i128))
        .collect();
    defines.check(&ours);
    defines.check(&crate_values!(signal::{SIGRTMIN}));

    // Header to crate: every classic signal number has a name, the header's or an alias's.
    let aliases = ["SIGIOT", "SIGPOLL", "SIGLOST", "SIGUNUSED"];
    for (name, value) in defines.with_prefix("SIG") {
        let Some(number) = value.and_then(|v| i32::try_from(v).ok()) else {
            continue;
        };
        if !(1..=31).contains(&number) {
            continue;
        }
        let ours = abi::signal::signal_name(number);
        assert!(
            ours == Some(&name) || aliases.contains(&name.as_str()),
            "{name} = {number}"
        );
    }

    // The kernel's _NSIG (64) is not in x86's UAPI header; glibc states it as __SIGRTMAX.
    let glibc = Defines::load(LIBC_HEADERS, &["x86_64-linux-gnu/bits/signum-arch.h"]);
    assert_eq!(
        glibc.value("__SIGRTMAX"),
        Some(abi::signal::SIGRTMAX as i128)
    );
}

#[test]
fn signal_actions_and_stacks_match_signal_defs() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &[
            "x86_64-linux-gnu/asm/signal.h",
            "asm-generic/signal-defs.h",
            "linux/signal.h",
        ],
    );
    defines.check(&crate_values!(signal::{
        SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_RESTORER, SA_ONSTACK, SA_RESTART, SA_NODEFER,
        SA_RESETHAND, SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, SS_ONSTACK, SS_DISABLE, MINSIGSTKSZ,
    }));
}

#[test]
fn siginfo_codes_match_asm_generic_siginfo() {
    let defines = Defines::load(KERNEL_HEADERS, &["asm-generic/siginfo.h"]);
    defines.check(&crate_values!(siginfo::{
        SI_MAX_SIZE, SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_TKILL, ILL_ILLOPN, FPE_INTDIV,
        SEGV_MAPERR, SEGV_ACCERR, BUS_ADRALN, TRAP_BRKPT, CLD_EXITED, CLD_KILLED, CLD_DUMPED,
        CLD_STOPPED, CLD_CONTINUED,
    }));
    let ucontext = Defines::load(KERNEL_HEADERS, &["x86_64-linux-gnu/asm/ucontext.h"]);
    ucontext.check(&crate_values!(ucontext::{
        UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS,
    }));
}

#[test]
fn mmap_flags_match_mman() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &[
            "asm-generic/mman-common.h",
            "linux/mman.h",
            "x86_64-linux-gnu/asm/mman.h",
        ],
    );
    defines.check(&crate_values!(mman::{
        PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC,
        MAP_SHARED, MAP_PRIVATE, MAP_TYPE, MAP_FIXED, MAP_ANONYMOUS, MAP_STACK,
        MAP_FIXED_NOREPLACE,
    }));
}

#[test]
fn clock_ids_match_linux_time() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/time.h"]);
    defines.check(&crate_values!(time::{
        CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID,
        CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE, CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME, CLOCK_TAI,
        TIMER_ABSTIME,
    }));
}

#[test]
fn resource_values_match_resource_headers() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &["asm-generic/resource.h", "linux/resource.h"],
    );
    defines.check(&crate_values!(resource::{
        RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD,
        RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_DATA, RLIMIT_STACK, RLIMIT_CORE, RLIMIT_RSS,
        RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_MEMLOCK, RLIMIT_AS, RLIMIT_LOCKS, RLIMIT_SIGPENDING,
        RLIMIT_MSGQUEUE, RLIMIT_NICE, RLIMIT_RTPRIO, RLIMIT_RTTIME, RLIM_NLIMITS,
    }));
}

#[test]
fn getrandom_flags_match_linux_random() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/random.h"]);
    defines.check(&crate_values!(random::{GRND_NONBLOCK, GRND_RANDOM, GRND_INSECURE}));
}

#[test]
fn the_load_average_shift_matches_linux_sysinfo() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/sysinfo.h"]);
    defines.check(&crate_values!(sysinfo::{SI_LOAD_SHIFT}));
}

#[test]
fn interval_timers_match_linux_time() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/time.h"]);
    defines.check(&crate_values!(time::{ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF}));
}

#[test]
fn poll_events_and_fd_sets_match_poll_and_posix_types() {
    let defines = Defines::load(KERNEL_HEADERS, &["asm-generic/poll.h"]);
    defines.check(&crate_values!(poll::{
        POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL, POLLRDNORM, POLLRDBAND, POLLWRNORM,
        POLLWRBAND,
    }));
    let types = Defines::load(KERNEL_HEADERS, &["linux/posix_types.h"]);
    assert_eq!(
        types.value("__FD_SETSIZE"),
        Some(abi::poll::FD_SETSIZE as i128)
    );
}

#[test]
fn auxv_types_match_auxvec() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &["linux/auxvec.h", "x86_64-linux-gnu/asm/auxvec.h"],
    );
    defines.check(&crate_values!(auxv::{
        AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY, AT_UID,
        AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_RANDOM,
        AT_EXECFN, AT_SYSINFO_EHDR, AT_MINSIGSTKSZ,
    }));
}

#[test]
fn prctl_options_match_linux_prctl() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/prctl.h"]);
    defines.check(&crate_values!(prctl::{
        PR_SET_PDEATHSIG,
        PR_GET_PDEATHSIG,
        PR_GET_DUMPABLE,
        PR_SET_DUMPABLE,
        PR_SET_NAME,
        PR_GET_NAME,
        PR_SET_NO_NEW_PRIVS,
        PR_GET_NO_NEW_PRIVS
    }));
}

#[test]
fn arch_prctl_codes_match_asm_prctl() {
    let defines = Defines::load(KERNEL_HEADERS, &["x86_64-linux-gnu/asm/prctl.h"]);
    defines.check(&crate_values!(arch_prctl::{ARCH_SET_GS, ARCH_SET_FS, ARCH_GET_FS, ARCH_GET_GS}));
}

#[test]
fn open_and_fcntl_values_match_fcntl() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &["asm-generic/fcntl.h", "linux/fcntl.h", "linux/fs.h"],
    );
    defines.check(&crate_values!(fcntl::{
        O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE, O_CREAT, O_EXCL, O_NOCTTY, O_TRUNC, O_APPEND,
        O_NONBLOCK, O_LARGEFILE, O_DIRECTORY, O_NOFOLLOW, O_CLOEXEC,
        AT_FDCWD, AT_SYMLINK_NOFOLLOW, AT_REMOVEDIR, AT_EMPTY_PATH,
        F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, FD_CLOEXEC,
        F_GETLK, F_SETLK, F_SETLKW, F_RDLCK, F_WRLCK, F_UNLCK, LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN,
        SEEK_SET, SEEK_CUR, SEEK_END,
    }));
}

#[test]
fn wait_values_match_wait_headers() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/wait.h"]);
    defines.check(&crate_values!(wait::{WNOHANG, WUNTRACED, WCONTINUED}));
    let glibc = Defines::load(LIBC_HEADERS, &["x86_64-linux-gnu/bits/waitstatus.h"]);
    assert_eq!(
        glibc.value("__W_CONTINUED"),
        Some(abi::wait::W_CONTINUED as i128)
    );
    assert_eq!(
        glibc.value("__WCOREFLAG"),
        Some(abi::wait::WCOREFLAG as i128)
    );
}

#[test]
fn terminal_values_match_ioctls_and_termbits() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &[
            "asm-generic/ioctls.h",
            "asm-generic/termbits.h",
            "asm-generic/termbits-common.h",
        ],
    );
    defines.check(&crate_values!(tty::{
        TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCSCTTY, TIOCGPGRP, TIOCSPGRP, TIOCGWINSZ,
        TIOCSWINSZ, FIONREAD, NCCS,
        VINTR, VQUIT, VERASE, VKILL, VEOF, VTIME, VMIN, VSWTC, VSTART, VSTOP, VSUSP, VEOL,
        VREPRINT, VDISCARD, VWERASE, VLNEXT, VEOL2,
        ICRNL, IXON, OPOST, ONLCR, B38400, CS8, CREAD, HUPCL,
        ISIG, ICANON, ECHO, ECHOE, ECHOK, ECHONL, TOSTOP, ECHOCTL, ECHOKE, IEXTEN,
    }));
}

#[test]
fn reboot_values_match_linux_reboot() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/reboot.h"]);
    defines.check(&crate_values!(reboot::{
        LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_MAGIC2A, LINUX_REBOOT_MAGIC2B,
        LINUX_REBOOT_MAGIC2C, LINUX_REBOOT_CMD_RESTART, LINUX_REBOOT_CMD_HALT,
        LINUX_REBOOT_CMD_POWER_OFF,
    }));
}

#[test]
fn file_types_match_linux_stat_and_dirent_types_follow() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/stat.h"]);
    defines.check(&crate_values!(stat::{
        S_IFMT, S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK, S_IFDIR, S_IFCHR, S_IFIFO,
    }));
    // d_type is the file type shifted down by 12 (glibc's IFTODT); glibc's DT_* are an enum
    // this reader cannot evaluate, so check the rule instead.
    use abi::dirent::*;
    for (mode_name, dt) in [
        ("S_IFIFO", DT_FIFO),
        ("S_IFCHR", DT_CHR),
        ("S_IFDIR", DT_DIR),
        ("S_IFBLK", DT_BLK),
        ("S_IFREG", DT_REG),
        ("S_IFLNK", DT_LNK),
        ("S_IFSOCK", DT_SOCK),
    ] {
        assert_eq!(
            defines.value(mode_name).map(|mode| mode >> 12),
            Some(dt as i128),
            "{mode_name}"
        );
    }
}

#[test]
fn clone_flags_match_linux_sched() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/sched.h"]);
    defines.check(&crate_values!(sched::{
        CSIGNAL, CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND, CLONE_VFORK, CLONE_PARENT,
        CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS, CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID,
        CLONE_DETACHED, CLONE_CHILD_SETTID,
    }));
}

#[test]
fn futex_operations_match_linux_futex() {
    let defines = Defines::load(KERNEL_HEADERS, &["linux/futex.h"]);
    defines.check(&crate_values!(futex::{
        FUTEX_WAIT, FUTEX_WAKE, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP,
        FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET, FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME,
        FUTEX_BITSET_MATCH_ANY, FUTEX_WAITERS, FUTEX_OWNER_DIED, FUTEX_TID_MASK,
        ROBUST_LIST_LIMIT,
    }));
}

#[test]
fn system_v_ipc_matches_linux_ipc_msg_and_sem() {
    let defines = Defines::load(
        KERNEL_HEADERS,
        &["linux/ipc.h", "linux/msg.h", "linux/sem.h"],
    );
    defines.check(&crate_values!(ipc::{
        IPC_CREAT, IPC_EXCL, IPC_NOWAIT, IPC_RMID, IPC_SET, IPC_STAT, IPC_64,
        MSG_NOERROR, MSG_EXCEPT, MSGMAX, MSGMNB, GETPID, GETVAL, GETALL, GETNCNT, GETZCNT,
        SETVAL, SETALL, SEM_UNDO, SEMVMX, SEMMSL, SEMOPM,
    }));
}

#[test]
fn sizes_of_arrays_match_uio_and_utsname() {
    let uio = Defines::load(KERNEL_HEADERS, &["linux/uio.h"]);
    uio.check(&crate_values!(uio::{UIO_MAXIOV}));
    let utsname = Defines::load(KERNEL_HEADERS, &["linux/utsname.h"]);
    assert_eq!(
        utsname.value("__NEW_UTS_LEN").map(|len| len + 1),
        Some(abi::utsname::FIELD_LEN as i128)
    );
}

#[test]
#[should_panic(expected = "install it with: sudo apt-get install linux-libc-dev")]
fn a_missing_header_fails_with_the_install_command() {
    Defines::load(KERNEL_HEADERS, &["linux/no-such-header-for-ferrite.h"]);
}
