//! `usertests`: the system-call interface tested from user space, in the spirit of xv6's
//! program of the same name. Each test is a function that returns `Ok(())` or says what went
//! wrong; the results are printed as KTAP (`ok 3 name`), the same report the kernel's own test
//! kernels print, so the host's harness reads them with the same parser.
//!
//! The tests only use what a program can do: system calls with good and deliberately bad
//! arguments. A bad pointer must come back as `EFAULT`, never as a crash of the program or the
//! kernel; an unknown call as `ENOSYS`; memory from `brk` and `mmap` must be zeroed and usable,
//! and given back when released.
//!
//! `usertests --quiet WORD...` runs only the cases whose names contain a WORD and prints only
//! the failures; the cases that hold on any Linux run that way on the host too
//! (`tests/test_linux_differential.py`), so Ferrite's answers are checked against Linux's.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use runtime::abi::{self, nr, wait, Errno, Iovec, Timespec};
use runtime::ktap::{expect_exit, nap, spawn_child, wait_for, Case, Outcome};
use runtime::sys;
use runtime::{cases, check};

runtime::entry!(main);

/// A kernel address: the kernel image's base.
const KERNEL_ADDRESS: usize = 0xffff_ffff_8000_0000;
/// An address in user space that nothing maps (between the program and the stack).
const UNMAPPED: usize = 0x5000_0000_0000;
/// One past the end of user space (2^47).
const USER_SPACE_END: usize = 1 << 47;
/// Bytes in a page.
const PAGE: usize = 4096;
/// The top of the stack: the last page below the end of user space stays unmapped.
const STACK_TOP: usize = USER_SPACE_END - 2 * PAGE;
/// How far the stack may grow (Ferrite's `exec::STACK_PAGES`; Linux's limit is larger).
const STACK_BYTES: usize = 32 * PAGE;
/// A call number Linux has and Ferrite will not have soon: `uselib` (134), which loaded a.out
/// shared libraries (Linux builds it only with `CONFIG_USELIB`, off by default since 2019).
const UNIMPLEMENTED_CALL: usize = 134;
/// One more than Linux's highest call number: no such call anywhere.
const NO_SUCH_CALL: usize = 100_000;

/// Makes call `number` with `args` (the rest zero) and decodes the result.
fn call(number: usize, args: &[usize]) -> Result<usize, Errno> {
    let mut all = [0usize; 6];
    all[..args.len()].copy_from_slice(args);
    // SAFETY: the tests pass pointers that are valid, or invalid on purpose: the kernel must
    // refuse the invalid ones without touching anything of ours.
    abi::decode(unsafe { sys::raw(number, all) })
}

fn expect_err<T: core::fmt::Debug>(result: Result<T, Errno>, want: Errno, what: &str) -> Outcome {
    check!(
        matches!(result, Err(e) if e == want),
        "{what}: got {result:?}, want {want:?}"
    );
    Ok(())
}

fn write_returns_its_length() -> Outcome {
    let text = b"usertests: a line through write\n";
    let n = sys::write(1, text).map_err(|e| alloc::format!("{e:?}"))?;
    check!(n == text.len(), "wrote {n} of {}", text.len());
    Ok(())
}

fn write_from_a_null_pointer_is_efault() -> Outcome {
    expect_err(
        call(nr::WRITE, &[1, 0, 16]),
        Errno::EFAULT,
        "write(1, NULL, 16)",
    )
}

fn write_from_a_kernel_address_is_efault() -> Outcome {
    expect_err(
        call(nr::WRITE, &[1, KERNEL_ADDRESS, 16]),
        Errno::EFAULT,
        "write from the kernel",
    )
}

fn write_from_an_unmapped_page_is_efault() -> Outcome {
    expect_err(
        call(nr::WRITE, &[1, UNMAPPED, 16]),
        Errno::EFAULT,
        "write from unmapped memory",
    )
}

fn write_across_the_end_of_user_space_is_efault() -> Outcome {
    expect_err(
        call(nr::WRITE, &[1, USER_SPACE_END - 8, 16]),
        Errno::EFAULT,
        "write across 2^47",
    )
}

fn write_with_a_wrapping_length_is_efault() -> Outcome {
    let text = b"x";
    expect_err(
        call(nr::WRITE, &[1, text.as_ptr() as usize, usize::MAX]),
        Errno::EFAULT,
        "length wraps",
    )
}

fn write_to_a_bad_descriptor_is_ebadf() -> Outcome {
    let text = b"x";
    expect_err(
        call(nr::WRITE, &[7, text.as_ptr() as usize, 1]),
        Errno::EBADF,
        "write(7)",
    )
}

fn read_into_a_kernel_address_is_efault() -> Outcome {
    // Refused before it would wait for a key: the range is checked first.
    expect_err(
        call(nr::READ, &[0, KERNEL_ADDRESS, 16]),
        Errno::EFAULT,
        "read(0) into the kernel",
    )?;
    expect_err(
        call(nr::READ, &[0, USER_SPACE_END - 4, 16]),
        Errno::EFAULT,
        "read across 2^47",
    )
}

fn read_from_a_bad_descriptor_is_ebadf() -> Outcome {
    let mut buffer = [0u8; 4];
    let got = sys::read(9, &mut buffer);
    check!(got == Err(Errno::EBADF), "read(9) returned {got:?}");
    Ok(())
}

fn writev_gathers_every_buffer() -> Outcome {
    let (a, b) = (b"usertests: writev ", b"in two pieces\n");
    let iov = [
        Iovec {
            base: a.as_ptr() as u64,
            len: a.len() as u64,
        },
        Iovec {
            base: b.as_ptr() as u64,
            len: b.len() as u64,
        },
    ];
    let n = call(nr::WRITEV, &[1, iov.as_ptr() as usize, 2]);
    check!(n == Ok(a.len() + b.len()), "writev returned {n:?}");
    Ok(())
}

fn writev_with_a_bad_vector_is_efault() -> Outcome {
    expect_err(
        call(nr::WRITEV, &[1, KERNEL_ADDRESS, 1]),
        Errno::EFAULT,
        "iovec in the kernel",
    )?;
    let iov = [Iovec {
        base: KERNEL_ADDRESS as u64,
        len: 8,
    }];
    expect_err(
        call(nr::WRITEV, &[1, iov.as_ptr() as usize, 1]),
        Errno::EFAULT,
        "buffer in the kernel",
    )
}

fn writev_with_too_many_buffers_is_einval() -> Outcome {
    expect_err(
        call(nr::WRITEV, &[1, 0, abi::uio::UIO_MAXIOV + 1]),
        Errno::EINVAL,
        "iovcnt 1025",
    )
}

fn getpid_and_getppid_answer() -> Outcome {
    let pid = sys::getpid();
    check!(pid > 0, "getpid returned {pid}");
    check!(
        call(nr::GETTID, &[]) == Ok(pid as usize),
        "gettid differs from getpid"
    );
    let _ = sys::getppid();
    Ok(())
}

fn an_unimplemented_call_is_enosys() -> Outcome {
    expect_err(call(UNIMPLEMENTED_CALL, &[]), Errno::ENOSYS, "uselib")?;
    expect_err(call(NO_SUCH_CALL, &[]), Errno::ENOSYS, "call 100000")
}

fn sched_yield_returns_zero() -> Outcome {
    check!(sys::sched_yield().is_ok(), "sched_yield failed");
    Ok(())
}

fn the_monotonic_clock_advances_across_a_sleep() -> Outcome {
    let clock = abi::time::CLOCK_MONOTONIC;
    let before = sys::clock_gettime(clock).map_err(|e| alloc::format!("{e:?}"))?;
    let nap = Timespec {
        tv_sec: 0,
        tv_nsec: 30_000_000,
    };
    sys::nanosleep(&nap).map_err(|e| alloc::format!("{e:?}"))?;
    let after = sys::clock_gettime(clock).map_err(|e| alloc::format!("{e:?}"))?;
    let elapsed = (after.tv_sec - before.tv_sec) * 1_000_000_000 + (after.tv_nsec - before.tv_nsec);
    check!(
        elapsed >= 30_000_000,
        "slept 30 ms, the clock moved {elapsed} ns"
    );
    Ok(())
}

fn clock_gettime_into_read_only_memory_is_efault() -> Outcome {
    // The program's own code is mapped read-only: the kernel may not write there either.
    let code = the_monotonic_clock_advances_across_a_sleep as usize;
    let clock = abi::time::CLOCK_MONOTONIC as usize;
    expect_err(
        call(nr::CLOCK_GETTIME, &[clock, code]),
        Errno::EFAULT,
        "time into .text",
    )?;
    expect_err(
        call(nr::CLOCK_GETTIME, &[clock, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "time into the kernel",
    )?;
    expect_err(
        call(nr::CLOCK_GETTIME, &[99, UNMAPPED]),
        Errno::EINVAL,
        "clock 99",
    )
}

fn nanosleep_checks_its_argument() -> Outcome {
    expect_err(
        call(nr::NANOSLEEP, &[0, 0]),
        Errno::EFAULT,
        "nanosleep(NULL)",
    )?;
    let bad = Timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000_000,
    };
    expect_err(
        call(nr::NANOSLEEP, &[&bad as *const Timespec as usize, 0]),
        Errno::EINVAL,
        "tv_nsec 1e9",
    )
}

fn brk_grows_zeroed_memory_and_shrinks_back() -> Outcome {
    let start = sys::brk(0);
    check!(start % PAGE == 0 && start > 0, "initial break {start:#x}");
    let grown = sys::brk(start + 3 * PAGE);
    check!(grown == start + 3 * PAGE, "brk did not grow: {grown:#x}");
    // SAFETY: the three pages above the old break were just given to us.
    let words = unsafe { core::slice::from_raw_parts_mut(start as *mut u64, 3 * PAGE / 8) };
    check!(
        words.iter().all(|&w| w == 0),
        "fresh heap memory is not zeroed"
    );
    words.fill(0xA5A5_A5A5_A5A5_A5A5);
    check!(sys::brk(start) == start, "brk did not shrink");
    check!(
        sys::brk(start + PAGE) == start + PAGE,
        "brk did not grow again"
    );
    // SAFETY: the page above the break, given back and given anew.
    let again = unsafe { core::slice::from_raw_parts(start as *const u64, PAGE / 8) };
    check!(
        again.iter().all(|&w| w == 0),
        "memory given back and taken again kept old data"
    );
    check!(sys::brk(start) == start, "brk did not shrink");
    check!(
        sys::brk(1) == start,
        "a break below the start must be refused (the old break comes back)"
    );
    Ok(())
}

fn mmap_gives_zeroed_pages_and_munmap_takes_them() -> Outcome {
    let prot = abi::mman::PROT_READ | abi::mman::PROT_WRITE;
    let at = sys::mmap_anonymous(5 * PAGE, prot).map_err(|e| alloc::format!("{e:?}"))?;
    check!(at % PAGE == 0, "mapping at {at:#x} is not page-aligned");
    // SAFETY: five pages were just mapped there, readable and writable.
    let bytes = unsafe { core::slice::from_raw_parts_mut(at as *mut u8, 5 * PAGE) };
    check!(bytes.iter().all(|&b| b == 0), "fresh mapping is not zeroed");
    bytes.fill(1);
    // SAFETY: nothing uses the mapping after this.
    unsafe { sys::munmap(at, 5 * PAGE) }.map_err(|e| alloc::format!("{e:?}"))?;
    // The pages are gone: the kernel cannot read them for us any more.
    expect_err(
        call(nr::WRITE, &[1, at, 1]),
        Errno::EFAULT,
        "write from unmapped pages",
    )
}

/// This process's resident memory, from the `VmRSS` line of `/proc/self/status`, in KiB.
fn resident_kib() -> Result<usize, alloc::string::String> {
    let fd = sys::open("/proc/self/status", abi::fcntl::O_RDONLY, 0)
        .map_err(|e| alloc::format!("open /proc/self/status: {e:?}"))?;
    let mut text = [0u8; 512];
    let n = sys::read(fd, &mut text).map_err(|e| alloc::format!("read: {e:?}"));
    let _ = sys::close(fd);
    let text = core::str::from_utf8(&text[..n?]).map_err(|_| "status is not UTF-8")?;
    text.lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| alloc::format!("no VmRSS line in {text:?}"))
}

/// Runs `touch`, which should bring exactly one new page into this process (`what` says how),
/// and checks that `VmRSS` grew by that page. (`VmRSS` is read twice first, so that its own
/// reading uses no new stack when it counts.)
fn grows_by_one_page(what: &str, touch: impl FnOnce() -> Outcome) -> Outcome {
    resident_kib()?;
    let before = resident_kib()?;
    touch()?;
    let after = resident_kib()?;
    check!(
        after == before + PAGE / 1024,
        "resident memory went from {before} to {after} KiB: one page of stack was {what}"
    );
    Ok(())
}

fn the_stack_grows_on_demand_in_zeroed_pages() -> Outcome {
    // The lowest page the stack may reach: far below every frame this program uses, so
    // nothing has touched it yet.
    let deep = STACK_TOP - STACK_BYTES;
    grows_by_one_page("touched", || {
        // SAFETY: `deep` lies in this process's stack range, below every live frame; only this
        // test uses it, and the kernel maps it on the first touch.
        let (first, again) = unsafe {
            let first = core::ptr::read_volatile(deep as *const u64);
            core::ptr::write_volatile(deep as *mut u64, 0x5ca1ab1e);
            (first, core::ptr::read_volatile(deep as *const u64))
        };
        check!(
            first == 0,
            "an untouched stack page read {first:#x}, not zero"
        );
        check!(again == 0x5ca1ab1e, "the stack page did not keep a write");
        Ok(())
    })
}

fn the_kernel_writes_into_an_untouched_stack_page() -> Outcome {
    // The second-lowest stack page, untouched, filled by `read` from a pipe: the kernel's copy
    // meets the missing page itself and must map it, not fail with EFAULT.
    let deep = STACK_TOP - STACK_BYTES + PAGE;
    let text = b"demand-zero";
    let (r, w) = sys::pipe().map_err(|e| alloc::format!("pipe: {e:?}"))?;
    let filled = grows_by_one_page("filled", || {
        let written = sys::write(w, text);
        let read = call(nr::READ, &[r as usize, deep, text.len()]);
        check!(written == Ok(text.len()), "write to the pipe: {written:?}");
        check!(
            read == Ok(text.len()),
            "read into an untouched stack page: {read:?}"
        );
        // SAFETY: the kernel has just mapped and filled these bytes of this process's stack.
        let got = unsafe { core::slice::from_raw_parts(deep as *const u8, text.len()) };
        check!(got == text, "the stack page holds {got:?}");
        Ok(())
    });
    let _ = (sys::close(r), sys::close(w));
    filled
}

fn mmap_refuses_writable_and_executable_at_once() -> Outcome {
    let prot = abi::mman::PROT_READ | abi::mman::PROT_WRITE | abi::mman::PROT_EXEC;
    expect_err(
        sys::mmap_anonymous(PAGE, prot),
        Errno::EACCES,
        "W+X mapping",
    )
}

fn mmap_and_munmap_check_their_arguments() -> Outcome {
    let prot = abi::mman::PROT_READ as usize;
    let private_anonymous = (abi::mman::MAP_PRIVATE | abi::mman::MAP_ANONYMOUS) as usize;
    expect_err(
        call(nr::MMAP, &[0, 0, prot, private_anonymous, usize::MAX, 0]),
        Errno::EINVAL,
        "length 0",
    )?;
    expect_err(
        call(nr::MUNMAP, &[PAGE + 1, PAGE]),
        Errno::EINVAL,
        "unaligned munmap",
    )?;
    expect_err(
        call(nr::MUNMAP, &[PAGE, 0]),
        Errno::EINVAL,
        "munmap of 0 bytes",
    )?;
    expect_err(
        call(nr::MUNMAP, &[USER_SPACE_END - PAGE, 2 * PAGE]),
        Errno::EINVAL,
        "munmap past user space",
    )
}

fn the_heap_serves_many_sizes() -> Outcome {
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    for i in 0..200usize {
        let size = 1 + (i * 977) % 70_000; // small and large (mmap) blocks
        blocks.push(alloc::vec![(i % 251) as u8; size]);
    }
    for (i, block) in blocks.iter().enumerate() {
        check!(
            block.iter().all(|&b| b == (i % 251) as u8),
            "block {i} was overwritten"
        );
    }
    Ok(())
}

fn arch_prctl_sets_and_reads_the_fs_base() -> Outcome {
    let tls = [0u64; 4];
    let base = tls.as_ptr() as usize;
    sys::set_fs_base(base).map_err(|e| alloc::format!("{e:?}"))?;
    let mut read_back = 0u64;
    let get = abi::arch_prctl::ARCH_GET_FS as usize;
    call(nr::ARCH_PRCTL, &[get, &mut read_back as *mut u64 as usize])
        .map_err(|e| alloc::format!("{e:?}"))?;
    check!(
        read_back as usize == base,
        "FS base {read_back:#x}, set {base:#x}"
    );
    let set = abi::arch_prctl::ARCH_SET_FS as usize;
    expect_err(
        call(nr::ARCH_PRCTL, &[set, KERNEL_ADDRESS]),
        Errno::EPERM,
        "FS base in the kernel",
    )?;
    expect_err(
        call(nr::ARCH_PRCTL, &[get, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "ARCH_GET_FS into the kernel",
    )?;
    expect_err(
        call(nr::ARCH_PRCTL, &[0x9999, 0]),
        Errno::EINVAL,
        "unknown code",
    )
}

fn the_start_up_stack_holds_argv_and_auxv() -> Outcome {
    let name = runtime::args().next().unwrap_or("");
    check!(name == "usertests", "argv[0] is {name:?}");
    Ok(())
}

fn fork_returns_zero_in_the_child_and_its_pid_in_the_parent() -> Outcome {
    let me = sys::getpid();
    let child = spawn_child(|| i32::from(sys::getppid() == me) + 40)?;
    check!(child != me && child != 0, "fork returned {child}");
    expect_exit(child, 41)
}

fn exit_statuses_keep_their_low_eight_bits() -> Outcome {
    let a = spawn_child(|| 255)?;
    expect_exit(a, 255)?;
    let b = spawn_child(|| 256 + 7)?;
    expect_exit(b, 7)
}

fn wait4_without_children_is_echild() -> Outcome {
    let got = sys::wait4(-1, 0);
    check!(got == Err(Errno::ECHILD), "wait4 returned {got:?}");
    Ok(())
}

fn wait4_with_wnohang_returns_at_once() -> Outcome {
    let child = spawn_child(|| {
        nap(50);
        3
    })?;
    let early = sys::wait4(child as i32, wait::WNOHANG);
    check!(
        early == Ok(None),
        "WNOHANG on a running child returned {early:?}"
    );
    expect_exit(child, 3)
}

fn wait4_checks_its_arguments() -> Outcome {
    expect_err(
        call(nr::WAIT4, &[usize::MAX, 0, 0x8000, 0]),
        Errno::EINVAL,
        "bad options",
    )?;
    let child = spawn_child(|| 0)?;
    expect_err(
        call(nr::WAIT4, &[child as usize, KERNEL_ADDRESS, 0, 0]),
        Errno::EFAULT,
        "status in the kernel",
    )?;
    expect_exit(child, 0)
}

fn copy_on_write_keeps_parent_and_child_apart() -> Outcome {
    let mut page = alloc::vec![1u8; 3 * PAGE];
    let child = spawn_child(|| {
        let before = page.iter().all(|&b| b == 1);
        page.fill(2);
        nap(20);
        // The parent's write (below) must not reach the child either.
        i32::from(before && page.iter().all(|&b| b == 2))
    })?;
    nap(5);
    page[PAGE] = 3;
    expect_exit(child, 1)?;
    check!(
        page[0] == 1 && page[PAGE] == 3 && page[2 * PAGE] == 1,
        "the child's writes reached the parent"
    );
    Ok(())
}

fn the_kernel_writes_through_copy_on_write_pages() -> Outcome {
    // clock_gettime writes into a page that fork made copy-on-write: the kernel's copy must
    // resolve the fault, not return EFAULT, and the parent's copy must stay as it was.
    let mut time = Timespec {
        tv_sec: -1,
        tv_nsec: -1,
    };
    let child = spawn_child(|| {
        let clock = abi::time::CLOCK_MONOTONIC as usize;
        let ok = call(
            nr::CLOCK_GETTIME,
            &[clock, &mut time as *mut Timespec as usize],
        )
        .is_ok();
        i32::from(ok && time.tv_sec >= 0)
    })?;
    expect_exit(child, 1)?;
    check!(
        time.tv_sec == -1,
        "the child's clock_gettime wrote into the parent"
    );
    Ok(())
}

fn fork_copies_the_heap_and_the_thread_pointer() -> Outcome {
    let data: Vec<u64> = (0..2000).collect();
    let tls = [0u64; 2];
    sys::set_fs_base(tls.as_ptr() as usize).map_err(|e| alloc::format!("{e:?}"))?;
    let child = spawn_child(|| {
        let mut fs = 0u64;
        let get = abi::arch_prctl::ARCH_GET_FS as usize;
        let _ = call(nr::ARCH_PRCTL, &[get, &mut fs as *mut u64 as usize]);
        let heap_ok = data.iter().enumerate().all(|(i, &v)| v == i as u64);
        i32::from(heap_ok) + 2 * i32::from(fs as usize == tls.as_ptr() as usize)
    })?;
    expect_exit(child, 3)
}

fn exec_replaces_the_program_and_passes_argv() -> Outcome {
    // `crash` with no known kind prints its usage and exits with 2: proof that it ran, with
    // the arguments given.
    let child = spawn_child(|| {
        let e = sys::execve(
            b"/bin/crash\0",
            &[b"crash\0", b"no-such-kind\0"],
            &[b"FERRITE=1\0"],
        );
        100 + e as i32
    })?;
    expect_exit(child, 2)
}

fn exec_failures_return_to_the_caller() -> Outcome {
    let e = sys::execve(b"/bin/no-such-program\0", &[b"x\0"], &[]);
    check!(e == Errno::ENOENT, "missing program: {e:?}");
    let e = sys::execve(b"/bin\0", &[b"x\0"], &[]);
    check!(e == Errno::EACCES, "a directory: {e:?}");
    expect_err(
        call(nr::EXECVE, &[KERNEL_ADDRESS, 0, 0]),
        Errno::EFAULT,
        "path in the kernel",
    )?;
    let argv = [KERNEL_ADDRESS, 0];
    let path = b"/bin/hello\0";
    expect_err(
        call(
            nr::EXECVE,
            &[path.as_ptr() as usize, argv.as_ptr() as usize, 0],
        ),
        Errno::EFAULT,
        "argv[0] in the kernel",
    )?;
    let long = alloc::vec![b'a'; 5000];
    let mut long_path = long.clone();
    long_path.push(0);
    expect_err(
        call(nr::EXECVE, &[long_path.as_ptr() as usize, 0, 0]),
        Errno::ENAMETOOLONG,
        "a 5000-byte path",
    )?;
    // Still here: every failure left the program as it was.
    Ok(())
}

fn exec_of_a_huge_argument_list_is_e2big() -> Outcome {
    let mut big = alloc::vec![b'x'; 40 * 1024];
    big.push(0);
    let e = sys::execve(b"/bin/hello\0", &[&big], &[]);
    check!(e == Errno::E2BIG, "40 KiB of arguments: {e:?}");
    Ok(())
}

fn kill_ends_a_running_child() -> Outcome {
    let child = spawn_child(|| loop {
        core::hint::spin_loop();
    })?;
    nap(20);
    sys::kill(child, abi::signal::SIGKILL).map_err(|e| alloc::format!("kill: {e:?}"))?;
    let status = wait_for(child)?;
    check!(
        wait::signaled(status) && wait::term_signal(status) == abi::signal::SIGKILL,
        "status {status:#x}"
    );
    Ok(())
}

fn kill_ends_a_sleeping_child_at_once() -> Outcome {
    let child = spawn_child(|| {
        nap(60_000);
        0
    })?;
    nap(10);
    let before =
        sys::clock_gettime(abi::time::CLOCK_MONOTONIC).map_err(|e| alloc::format!("{e:?}"))?;
    sys::kill(child, abi::signal::SIGTERM).map_err(|e| alloc::format!("kill: {e:?}"))?;
    let status = wait_for(child)?;
    let after =
        sys::clock_gettime(abi::time::CLOCK_MONOTONIC).map_err(|e| alloc::format!("{e:?}"))?;
    check!(
        wait::signaled(status) && wait::term_signal(status) == abi::signal::SIGTERM,
        "status {status:#x}"
    );
    check!(
        after.tv_sec - before.tv_sec < 5,
        "the sleeper took {} s to die",
        after.tv_sec - before.tv_sec
    );
    Ok(())
}

fn kill_checks_its_arguments() -> Outcome {
    let me = sys::getpid();
    check!(sys::kill(me, 0).is_ok(), "signal 0 to myself");
    check!(
        sys::kill(me, abi::signal::SIGCHLD).is_ok(),
        "an ignored signal"
    );
    expect_err(
        call(nr::KILL, &[me as usize, 65]),
        Errno::EINVAL,
        "signal 65",
    )?;
    expect_err(
        call(nr::KILL, &[999_999, 0]),
        Errno::ESRCH,
        "no such process",
    )
}

fn process_groups_follow_setpgid_and_setsid() -> Outcome {
    let me = sys::getpid();
    let group = sys::getpgrp();
    let child = spawn_child(move || {
        // A child starts in its parent's group; it may move into a group of its own, but a
        // new session is refused to a group leader.
        if sys::getpgrp() != group {
            return 1;
        }
        if sys::setpgid(0, 0).is_err() || sys::getpgrp() != sys::getpid() {
            return 2;
        }
        if sys::setsid() != Err(Errno::EPERM) {
            return 3;
        }
        0
    })?;
    expect_exit(child, 0)?;
    expect_err(
        call(nr::SETPGID, &[999_999, 0]),
        Errno::ESRCH,
        "setpgid of a process that does not exist",
    )?;
    expect_err(
        call(nr::SETPGID, &[me as usize, 999_999]),
        Errno::EPERM,
        "setpgid into a group that does not exist",
    )
}

fn kill_of_a_group_reaches_every_member_and_no_one_else() -> Outcome {
    let mut members = Vec::new();
    let leader = spawn_child(|| {
        let _ = sys::setpgid(0, 0);
        loop {
            nap(1000);
        }
    })?;
    let _ = sys::setpgid(leader, leader);
    members.push(leader);
    let follower = spawn_child(|| loop {
        nap(1000);
    })?;
    sys::setpgid(follower, leader).map_err(|e| alloc::format!("setpgid: {e:?}"))?;
    members.push(follower);
    let bystander = spawn_child(|| {
        nap(300);
        7
    })?;
    sys::kill_group(leader, abi::signal::SIGTERM).map_err(|e| alloc::format!("kill: {e:?}"))?;
    for pid in members {
        let status = wait_for(pid)?;
        check!(
            wait::signaled(status) && wait::term_signal(status) == abi::signal::SIGTERM,
            "member {pid}: status {status:#x}"
        );
    }
    expect_exit(bystander, 7)
}

fn no_signal_ends_init() -> Outcome {
    check!(
        sys::kill(1, abi::signal::SIGKILL).is_ok(),
        "kill(1, SIGKILL) is allowed and ignored"
    );
    nap(50);
    check!(sys::kill(1, 0).is_ok(), "init is still there");
    check!(
        runtime::fs::read_file("/proc/1/status").is_ok_and(|s| s.starts_with(b"Name:\tinit")),
        "init is still running"
    );
    Ok(())
}

fn an_orphan_is_adopted_and_collected_by_init() -> Outcome {
    let child = spawn_child(|| {
        let me = sys::getpid();
        match sys::fork() {
            // The grandchild: wait (up to 5 s) until init adopts it, then end.
            Ok(0) => {
                for _ in 0..500 {
                    if sys::getppid() == 1 {
                        sys::exit_group(0);
                    }
                    nap(10);
                }
                // Never adopted: stay, so the test sees it.
                loop {
                    nap(1000);
                }
            }
            Ok(grandchild) => (grandchild - me) as i32,
            Err(_) => 0,
        }
    })?;
    let status = wait_for(child)?;
    check!(
        wait::exited(status) && wait::exit_code(status) > 0,
        "the child could not fork: {status:#x}"
    );
    let grandchild = child + u32::from(wait::exit_code(status));
    for _ in 0..300 {
        if sys::kill(grandchild, 0) == Err(Errno::ESRCH) {
            return Ok(());
        }
        nap(10);
    }
    let _ = sys::kill(grandchild, abi::signal::SIGKILL);
    Err(alloc::format!(
        "orphan {grandchild} was not adopted and collected by init within 3 s"
    ))
}

fn many_processes_at_once() -> Outcome {
    let mut children = Vec::new();
    for i in 0..40 {
        children.push(spawn_child(move || {
            nap(20);
            i
        })?);
    }
    for (i, child) in children.into_iter().enumerate() {
        expect_exit(child, i as u8)?;
    }
    Ok(())
}

fn a_crashing_child_is_reported_to_its_parent() -> Outcome {
    let child = spawn_child(|| {
        // SAFETY: deliberately invalid: the kernel must end this child only.
        unsafe { core::ptr::write_volatile(core::hint::black_box(16usize) as *mut u64, 1) };
        0
    })?;
    let status = wait_for(child)?;
    check!(
        wait::signaled(status) && wait::term_signal(status) == abi::signal::SIGSEGV,
        "status {status:#x}"
    );
    Ok(())
}

/// 2024-01-01 00:00:00 UTC: every real-time clock set by a person reads later than this.
const YEAR_2024: i64 = 1_704_067_200;
/// The clock ids Linux has on every machine (the alarm clocks, 8 and 9, need an RTC alarm).
const CLOCKS: [i32; 9] = [0, 1, 2, 3, 4, 5, 6, 7, 11];
/// Clock ids Linux does not have: `CLOCK_SGI_CYCLE` (10, gone), and beyond the last.
const BAD_CLOCKS: [usize; 4] = [10, 12, 16, 99];
/// Ten milliseconds in nanoseconds: the coarsest resolution a clock may report here.
const TEN_MS: i64 = 10_000_000;

/// `Timespec` as nanoseconds.
fn ns(t: &Timespec) -> i64 {
    t.tv_sec * 1_000_000_000 + t.tv_nsec
}

/// Reads `clock`, as a test failure if it cannot.
fn now(clock: i32) -> Result<Timespec, alloc::string::String> {
    sys::clock_gettime(clock).map_err(|e| alloc::format!("clock {clock}: {e:?}"))
}

fn the_real_time_clock_gives_todays_date() -> Outcome {
    let real = now(abi::time::CLOCK_REALTIME)?;
    check!(
        real.tv_sec > YEAR_2024,
        "CLOCK_REALTIME reads {} s: before 2024",
        real.tv_sec
    );
    let mut tv = abi::Timeval::default();
    call(nr::GETTIMEOFDAY, &[&mut tv as *mut _ as usize, 0])
        .map_err(|e| alloc::format!("{e:?}"))?;
    let mut stored = 0i64;
    let seconds = call(nr::TIME, &[&mut stored as *mut i64 as usize]);
    check!(
        (tv.tv_sec - real.tv_sec).abs() <= 2 && (0..1_000_000).contains(&tv.tv_usec),
        "gettimeofday {tv:?}, clock_gettime {real:?}"
    );
    check!(
        seconds == Ok(stored as usize) && (stored - real.tv_sec).abs() <= 2,
        "time returned {seconds:?} and stored {stored}"
    );
    let mut zone = [-1i32; 2];
    call(nr::GETTIMEOFDAY, &[0, zone.as_mut_ptr() as usize])
        .map_err(|e| alloc::format!("tz: {e:?}"))?;
    check!(
        zone[1] == 0,
        "tz_dsttime is {} (always 0 on Linux)",
        zone[1]
    );
    Ok(())
}

fn every_clock_reads_forward_and_has_a_resolution() -> Outcome {
    for clock in CLOCKS {
        let first = now(clock)?;
        let second = now(clock)?;
        check!(ns(&second) >= ns(&first), "clock {clock} went back");
        let mut res = Timespec::default();
        call(
            nr::CLOCK_GETRES,
            &[clock as usize, &mut res as *mut _ as usize],
        )
        .map_err(|e| alloc::format!("clock_getres({clock}): {e:?}"))?;
        check!(
            res.tv_sec == 0 && (1..=TEN_MS).contains(&res.tv_nsec),
            "clock {clock}: resolution {res:?}"
        );
        check!(
            call(nr::CLOCK_GETRES, &[clock as usize, 0]) == Ok(0),
            "clock_getres({clock}, NULL)"
        );
    }
    let mono = ns(&now(abi::time::CLOCK_MONOTONIC)?);
    let boot = ns(&now(abi::time::CLOCK_BOOTTIME)?);
    check!(
        boot >= mono,
        "CLOCK_BOOTTIME {boot} is behind CLOCK_MONOTONIC {mono}"
    );
    Ok(())
}

fn bad_clocks_and_time_pointers_are_einval_and_efault() -> Outcome {
    let mut t = Timespec::default();
    let out = &mut t as *mut Timespec as usize;
    for clock in BAD_CLOCKS {
        expect_err(
            call(nr::CLOCK_GETTIME, &[clock, out]),
            Errno::EINVAL,
            "clock_gettime",
        )?;
        expect_err(
            call(nr::CLOCK_GETRES, &[clock, out]),
            Errno::EINVAL,
            "clock_getres",
        )?;
    }
    let mono = abi::time::CLOCK_MONOTONIC as usize;
    expect_err(
        call(nr::CLOCK_GETTIME, &[mono, 0]),
        Errno::EFAULT,
        "clock_gettime(NULL)",
    )?;
    expect_err(
        call(nr::CLOCK_GETRES, &[mono, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "clock_getres",
    )?;
    expect_err(
        call(nr::GETTIMEOFDAY, &[KERNEL_ADDRESS, 0]),
        Errno::EFAULT,
        "tv in the kernel",
    )?;
    expect_err(
        call(nr::GETTIMEOFDAY, &[0, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "tz in the kernel",
    )?;
    check!(
        call(nr::GETTIMEOFDAY, &[0, 0]) == Ok(0),
        "gettimeofday(NULL, NULL)"
    );
    expect_err(
        call(nr::TIME, &[KERNEL_ADDRESS]),
        Errno::EFAULT,
        "time into the kernel",
    )?;
    check!(
        call(nr::TIME, &[0]).is_ok_and(|s| s as i64 > YEAR_2024),
        "time(NULL)"
    );
    Ok(())
}

/// `clock_nanosleep(clock, flags, &time, NULL)`.
fn clock_nanosleep(clock: i32, flags: u32, time: &Timespec) -> Result<usize, Errno> {
    call(
        nr::CLOCK_NANOSLEEP,
        &[
            clock as usize,
            flags as usize,
            time as *const Timespec as usize,
            0,
        ],
    )
}

fn clock_nanosleep_sleeps_for_a_span_or_until_a_time() -> Outcome {
    use abi::time::{CLOCK_MONOTONIC, CLOCK_REALTIME, TIMER_ABSTIME};
    let nap = Timespec {
        tv_sec: 0,
        tv_nsec: 20_000_000,
    };
    let before = ns(&now(CLOCK_MONOTONIC)?);
    check!(
        clock_nanosleep(CLOCK_MONOTONIC, 0, &nap) == Ok(0),
        "relative sleep"
    );
    let after = ns(&now(CLOCK_MONOTONIC)?);
    check!(
        after - before >= 20_000_000,
        "slept {} ns of 20 ms",
        after - before
    );
    for clock in [CLOCK_MONOTONIC, CLOCK_REALTIME] {
        let deadline = ns(&now(clock)?) + 20_000_000;
        let until = Timespec {
            tv_sec: deadline / 1_000_000_000,
            tv_nsec: deadline % 1_000_000_000,
        };
        check!(
            clock_nanosleep(clock, TIMER_ABSTIME, &until) == Ok(0),
            "clock {clock}: absolute"
        );
        let woke = ns(&now(clock)?);
        check!(
            woke >= deadline,
            "clock {clock}: woke {} ns early",
            deadline - woke
        );
    }
    // A deadline in the past returns at once.
    let past = Timespec {
        tv_sec: 1,
        tv_nsec: 0,
    };
    let before = ns(&now(CLOCK_MONOTONIC)?);
    check!(
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past) == Ok(0),
        "past deadline"
    );
    let waited = ns(&now(CLOCK_MONOTONIC)?) - before;
    check!(waited < 1_000_000_000, "a past deadline waited {waited} ns");
    Ok(())
}

fn clock_nanosleep_checks_its_arguments() -> Outcome {
    use abi::time::*;
    let short = Timespec {
        tv_sec: 0,
        tv_nsec: 1000,
    };
    expect_err(clock_nanosleep(99, 0, &short), Errno::EINVAL, "clock 99")?;
    for clock in [
        CLOCK_THREAD_CPUTIME_ID,
        CLOCK_MONOTONIC_RAW,
        CLOCK_MONOTONIC_COARSE,
    ] {
        expect_err(
            clock_nanosleep(clock, 0, &short),
            Errno::EOPNOTSUPP,
            "no sleeping on it",
        )?;
    }
    let mono = CLOCK_MONOTONIC as usize;
    expect_err(
        call(nr::CLOCK_NANOSLEEP, &[mono, 0, 0, 0]),
        Errno::EFAULT,
        "NULL time",
    )?;
    for bad in [(0, 1_000_000_000), (-1, 0), (0, -1)] {
        let time = Timespec {
            tv_sec: bad.0,
            tv_nsec: bad.1,
        };
        expect_err(
            clock_nanosleep(CLOCK_MONOTONIC, 0, &time),
            Errno::EINVAL,
            "bad time",
        )?;
        expect_err(
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &time),
            Errno::EINVAL,
            "bad deadline",
        )?;
    }
    // Other flag bits are ignored, and `rem` is not written when nothing interrupts.
    check!(
        clock_nanosleep(CLOCK_MONOTONIC, 0x10, &short) == Ok(0),
        "flag 0x10"
    );
    let time = &short as *const Timespec as usize;
    check!(
        call(nr::CLOCK_NANOSLEEP, &[mono, 0, time, KERNEL_ADDRESS]) == Ok(0),
        "an unused rem"
    );
    Ok(())
}

/// A `Utsname` field up to its NUL.
fn field(bytes: &[u8]) -> &[u8] {
    &bytes[..bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len())]
}

fn uname_says_linux_on_x86_64_with_a_version_number() -> Outcome {
    let names = sys::uname().map_err(|e| alloc::format!("{e:?}"))?;
    check!(
        field(&names.sysname) == b"Linux",
        "sysname {:?}",
        field(&names.sysname)
    );
    check!(
        field(&names.machine) == b"x86_64",
        "machine {:?}",
        field(&names.machine)
    );
    let release = core::str::from_utf8(field(&names.release)).unwrap_or("");
    let mut numbers = release.split(['.', '-']).map(|n| n.parse::<u32>());
    check!(
        matches!((numbers.next(), numbers.next()), (Some(Ok(major)), Some(Ok(_))) if major >= 3),
        "release {release:?} is not a Linux version of 3.0 or later"
    );
    check!(!field(&names.nodename).is_empty(), "no nodename");
    expect_err(
        call(nr::UNAME, &[KERNEL_ADDRESS]),
        Errno::EFAULT,
        "uname into the kernel",
    )
}

/// `getresuid` (or `getresgid`): the real, effective and saved ids.
fn getres(number: usize) -> Result<[u32; 3], alloc::string::String> {
    let mut ids = [u32::MAX; 3];
    let [a, b, c] = [0, 1, 2].map(|i| &mut ids[i] as *mut u32 as usize);
    call(number, &[a, b, c]).map_err(|e| alloc::format!("getres*id: {e:?}"))?;
    Ok(ids)
}

fn the_ids_agree_with_each_other() -> Outcome {
    let uids = getres(nr::GETRESUID)?;
    let gids = getres(nr::GETRESGID)?;
    let plain = [nr::GETUID, nr::GETEUID, nr::GETGID, nr::GETEGID].map(|n| call(n, &[]));
    check!(
        plain == [uids[0], uids[1], gids[0], gids[1]].map(|id| Ok(id as usize)),
        "get*id say {plain:?}, getres*id {uids:?} {gids:?}"
    );
    expect_err(
        call(nr::GETGROUPS, &[usize::MAX, 0]),
        Errno::EINVAL,
        "getgroups(-1)",
    )?;
    check!(call(nr::GETGROUPS, &[0, 0]).is_ok(), "getgroups(0, NULL)");
    expect_err(
        call(
            nr::GETRESUID,
            &[KERNEL_ADDRESS, KERNEL_ADDRESS, KERNEL_ADDRESS],
        ),
        Errno::EFAULT,
        "getresuid into the kernel",
    )?;
    let minus_one = u32::MAX as usize;
    expect_err(call(nr::SETUID, &[minus_one]), Errno::EINVAL, "setuid(-1)")?;
    expect_err(call(nr::SETGID, &[minus_one]), Errno::EINVAL, "setgid(-1)")?;
    let unchanged = [minus_one; 3];
    check!(
        call(nr::SETRESUID, &unchanged) == Ok(0),
        "setresuid(-1, -1, -1)"
    );
    check!(
        call(nr::SETREGID, &unchanged[..2]) == Ok(0),
        "setregid(-1, -1)"
    );
    check!(
        call(nr::SETUID, &[uids[0] as usize]) == Ok(0),
        "setuid(getuid())"
    );
    check!(
        call(nr::GETRESUID, &[0, 0, 0]).is_err(),
        "getresuid(NULL...)"
    );
    Ok(())
}

fn root_may_become_another_user_and_not_come_back() -> Outcome {
    let child = spawn_child(|| {
        let other = 1234;
        if call(nr::GETEUID, &[]) != Ok(0) {
            // Not root (on a host's Linux): no other id may be taken.
            return if call(nr::SETUID, &[other]) == Err(Errno::EPERM) {
                0
            } else {
                1
            };
        }
        if call(nr::SETGID, &[other]) != Ok(0) || call(nr::GETEGID, &[]) != Ok(other) {
            return 2;
        }
        if call(nr::SETUID, &[other]) != Ok(0) {
            return 3;
        }
        match getres(nr::GETRESUID) {
            Ok(ids) if ids == [other as u32; 3] => {}
            _ => return 4,
        }
        // All three ids are another user's now: root is gone for good.
        if call(nr::SETUID, &[0]) != Err(Errno::EPERM)
            || call(nr::SETRESUID, &[0, 0, 0]) != Err(Errno::EPERM)
            || call(nr::SETGID, &[0]) != Err(Errno::EPERM)
        {
            return 5;
        }
        // But a process may always set an id to one of its own.
        if call(nr::SETREUID, &[other, other]) != Ok(0) {
            return 6;
        }
        0
    })?;
    expect_exit(child, 0)
}

fn getrandom_fills_buffers_and_checks_its_flags() -> Outcome {
    use abi::random::*;
    let (mut a, mut b) = ([0u8; 64], [0u8; 64]);
    let fill = |buf: &mut [u8], flags: u32| {
        call(
            nr::GETRANDOM,
            &[buf.as_mut_ptr() as usize, buf.len(), flags as usize],
        )
    };
    check!(fill(&mut a, 0) == Ok(64), "getrandom of 64 bytes");
    check!(fill(&mut b, GRND_NONBLOCK) == Ok(64), "GRND_NONBLOCK");
    check!(a != b && a != [0; 64], "two draws: {a:?} and {b:?}");
    for flags in [GRND_RANDOM, GRND_INSECURE, GRND_NONBLOCK | GRND_INSECURE] {
        check!(fill(&mut a, flags) == Ok(64), "flags {flags:#x}");
    }
    for flags in [8, GRND_RANDOM | GRND_INSECURE, 0x8000_0000] {
        expect_err(fill(&mut a, flags), Errno::EINVAL, "bad flags")?;
    }
    expect_err(
        call(nr::GETRANDOM, &[KERNEL_ADDRESS, 8, 0]),
        Errno::EFAULT,
        "into the kernel",
    )?;
    // The flags are checked before the buffer.
    expect_err(
        call(nr::GETRANDOM, &[KERNEL_ADDRESS, 8, 8]),
        Errno::EINVAL,
        "both wrong",
    )?;
    check!(call(nr::GETRANDOM, &[0, 0, 0]) == Ok(0), "0 bytes");
    // A buffer that runs into an unmapped page: the bytes before it.
    let prot = abi::mman::PROT_READ | abi::mman::PROT_WRITE;
    let at = sys::mmap_anonymous(2 * PAGE, prot).map_err(|e| alloc::format!("{e:?}"))?;
    // SAFETY: the second page of the mapping just made; nothing uses it.
    unsafe { sys::munmap(at + PAGE, PAGE) }.map_err(|e| alloc::format!("{e:?}"))?;
    let got = call(nr::GETRANDOM, &[at + PAGE - 16, 64, 0]);
    // SAFETY: nothing uses the first page after this.
    let _ = unsafe { sys::munmap(at, PAGE) };
    check!(got == Ok(16), "16 bytes before an unmapped page: {got:?}");
    Ok(())
}

fn the_random_devices_give_random_bytes() -> Outcome {
    for path in ["/dev/urandom", "/dev/random"] {
        let fd =
            sys::open(path, abi::fcntl::O_RDWR, 0).map_err(|e| alloc::format!("{path}: {e:?}"))?;
        let (mut a, mut b) = ([0u8; 32], [0u8; 32]);
        let reads = (sys::read(fd, &mut a), sys::read(fd, &mut b));
        let wrote = sys::write(fd, b"some more entropy");
        let _ = sys::close(fd);
        check!(reads == (Ok(32), Ok(32)), "{path}: reads {reads:?}");
        check!(a != b && a != [0; 32], "{path}: {a:?} then {b:?}");
        check!(wrote == Ok(17), "{path}: write {wrote:?}");
    }
    Ok(())
}

/// `prlimit64(0, resource, new, old)` for the caller.
fn prlimit(
    resource: u32,
    new: Option<&abi::Rlimit>,
    old: &mut abi::Rlimit,
) -> Result<usize, Errno> {
    let new = new.map_or(0, |n| n as *const abi::Rlimit as usize);
    call(
        nr::PRLIMIT64,
        &[0, resource as usize, new, old as *mut abi::Rlimit as usize],
    )
}

fn resource_limits_are_read_and_checked() -> Outcome {
    use abi::resource::*;
    let mut limit = abi::Rlimit::default();
    let out = &mut limit as *mut abi::Rlimit as usize;
    for resource in 0..RLIM_NLIMITS {
        call(nr::GETRLIMIT, &[resource as usize, out]).map_err(|e| alloc::format!("{e:?}"))?;
        check!(
            limit.rlim_cur <= limit.rlim_max,
            "resource {resource}: {limit:?}"
        );
    }
    call(nr::GETRLIMIT, &[RLIMIT_NOFILE as usize, out]).map_err(|e| alloc::format!("{e:?}"))?;
    check!(limit.rlim_cur >= 64, "RLIMIT_NOFILE {limit:?}");
    let nlimits = RLIM_NLIMITS as usize;
    expect_err(
        call(nr::GETRLIMIT, &[nlimits, out]),
        Errno::EINVAL,
        "getrlimit(16)",
    )?;
    expect_err(
        call(nr::GETRLIMIT, &[7, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "getrlimit into the kernel",
    )?;
    // setrlimit and prlimit64 read the new limit before they look at the resource.
    expect_err(
        call(nr::SETRLIMIT, &[nlimits, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "setrlimit",
    )?;
    expect_err(
        call(nr::PRLIMIT64, &[0, nlimits, KERNEL_ADDRESS, 0]),
        Errno::EFAULT,
        "prlimit64",
    )?;
    expect_err(
        call(nr::PRLIMIT64, &[0, nlimits, 0, 0]),
        Errno::EINVAL,
        "prlimit64(16)",
    )?;
    let inverted = abi::Rlimit {
        rlim_cur: 10,
        rlim_max: 5,
    };
    let inverted_at = &inverted as *const abi::Rlimit as usize;
    expect_err(
        call(nr::SETRLIMIT, &[7, inverted_at]),
        Errno::EINVAL,
        "soft above hard",
    )?;
    expect_err(
        call(nr::PRLIMIT64, &[999_999, 7, 0, 0]),
        Errno::ESRCH,
        "no such process",
    )?;
    Ok(())
}

fn a_lowered_limit_is_kept_and_inherited() -> Outcome {
    use abi::resource::RLIMIT_NOFILE;
    let child = spawn_child(|| {
        let mut old = abi::Rlimit::default();
        if prlimit(RLIMIT_NOFILE, None, &mut old).is_err() {
            return 1;
        }
        let lower = abi::Rlimit {
            rlim_cur: 100,
            rlim_max: old.rlim_max,
        };
        let mut previous = abi::Rlimit::default();
        if prlimit(RLIMIT_NOFILE, Some(&lower), &mut previous) != Ok(0) || previous != old {
            return 2;
        }
        let grandchild = spawn_child(|| {
            let mut now = abi::Rlimit::default();
            i32::from(prlimit(RLIMIT_NOFILE, None, &mut now).is_ok() && now.rlim_cur == 100)
        });
        match grandchild.map(|pid| expect_exit(pid, 1)) {
            Ok(Ok(())) => 0,
            _ => 3,
        }
    })?;
    expect_exit(child, 0)
}

fn usage_times_and_system_statistics_answer() -> Outcome {
    use abi::resource::*;
    let mut usage = abi::Rusage::default();
    let out = &mut usage as *mut abi::Rusage as usize;
    for who in [RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD] {
        check!(
            call(nr::GETRUSAGE, &[who as usize, out]) == Ok(0),
            "getrusage({who})"
        );
    }
    call(nr::GETRUSAGE, &[RUSAGE_SELF as usize, out]).map_err(|e| alloc::format!("{e:?}"))?;
    check!(usage.ru_maxrss > 0, "ru_maxrss {}", usage.ru_maxrss);
    expect_err(
        call(nr::GETRUSAGE, &[5, out]),
        Errno::EINVAL,
        "getrusage(5)",
    )?;
    expect_err(
        call(nr::GETRUSAGE, &[-2i32 as usize, out]),
        Errno::EINVAL,
        "RUSAGE_BOTH",
    )?;
    expect_err(
        call(nr::GETRUSAGE, &[0, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "into the kernel",
    )?;
    let mut tms = abi::Tms::default();
    let ticks = call(nr::TIMES, &[&mut tms as *mut abi::Tms as usize]);
    check!(
        ticks.is_ok_and(|t| t > 0) && tms.tms_utime >= 0,
        "times: {ticks:?} {tms:?}"
    );
    check!(call(nr::TIMES, &[0]).is_ok(), "times(NULL)");
    expect_err(
        call(nr::TIMES, &[KERNEL_ADDRESS]),
        Errno::EFAULT,
        "times into the kernel",
    )?;
    let mut info = abi::Sysinfo::default();
    call(nr::SYSINFO, &[&mut info as *mut abi::Sysinfo as usize])
        .map_err(|e| alloc::format!("{e:?}"))?;
    let unit = u64::from(info.mem_unit);
    check!(
        info.uptime > 0 && info.procs >= 1 && unit >= 1 && info.freeram <= info.totalram,
        "sysinfo {info:?}"
    );
    check!(
        info.totalram * unit >= 16 << 20,
        "totalram {} x {unit}",
        info.totalram
    );
    expect_err(call(nr::SYSINFO, &[0]), Errno::EFAULT, "sysinfo(NULL)")
}

fn a_new_file_is_stamped_with_the_date() -> Outcome {
    let path = "/tmp/usertests-dated";
    let flags = abi::fcntl::O_CREAT | abi::fcntl::O_WRONLY | abi::fcntl::O_TRUNC;
    let fd = sys::open(path, flags, 0o644).map_err(|e| alloc::format!("{path}: {e:?}"))?;
    let written = sys::write(fd, b"dated");
    let stat = sys::fstat(fd);
    let _ = sys::close(fd);
    let _ = sys::unlink(path);
    let real = now(abi::time::CLOCK_REALTIME)?;
    let stat = stat.map_err(|e| alloc::format!("fstat: {e:?}"))?;
    check!(written == Ok(5), "write: {written:?}");
    check!(
        (stat.st_mtime - real.tv_sec).abs() <= 5 && (stat.st_ctime - real.tv_sec).abs() <= 5,
        "modified at {} and changed at {} s, the clock reads {} s",
        stat.st_mtime,
        stat.st_ctime,
        real.tv_sec
    );
    Ok(())
}

fn sched_getaffinity_reports_a_cpu() -> Outcome {
    let mut mask = [0u64; 4];
    let at = mask.as_mut_ptr() as usize;
    let got = call(nr::SCHED_GETAFFINITY, &[0, 8, at]);
    check!(
        got == Ok(8) && mask[0] != 0,
        "sched_getaffinity: {got:?}, mask {mask:?}"
    );
    for size in [0, 4, 12] {
        expect_err(
            call(nr::SCHED_GETAFFINITY, &[0, size, at]),
            Errno::EINVAL,
            "a bad size",
        )?;
    }
    expect_err(
        call(nr::SCHED_GETAFFINITY, &[999_999, 8, at]),
        Errno::ESRCH,
        "no such process",
    )?;
    expect_err(
        call(nr::SCHED_GETAFFINITY, &[0, 8, KERNEL_ADDRESS]),
        Errno::EFAULT,
        "the kernel",
    )
}

/// A scratch directory in `/tmp` for one case, named after it and the pid (the root is read-only
/// on Ferrite; on the host the same path is the host's `/tmp`); removed with all it holds when
/// dropped.
struct Scratch(alloc::string::String);

impl Scratch {
    fn new(case: &str) -> Result<Scratch, alloc::string::String> {
        let path = alloc::format!("/tmp/usertests-{case}-{}", sys::getpid());
        let _ = runtime::fs::remove_tree(path.as_bytes());
        sys::mkdir(&path, 0o755).map_err(|e| alloc::format!("mkdir {path}: {e:?}"))?;
        Ok(Scratch(path))
    }

    /// The path of `name` inside it.
    fn at(&self, name: &str) -> alloc::string::String {
        alloc::format!("{}/{name}", self.0)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = runtime::fs::remove_tree(self.0.as_bytes());
    }
}

/// Makes the file `path` holding `text`.
fn make_file(path: &str, text: &[u8]) -> Outcome {
    use abi::fcntl::*;
    let fd = sys::open(path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        .map_err(|e| alloc::format!("create {path}: {e:?}"))?;
    let written = sys::write(fd, text);
    let _ = sys::close(fd);
    check!(written == Ok(text.len()), "write {path}: {written:?}");
    Ok(())
}

/// The contents of the file at `path` (at most 64 bytes), opened with `flags` more.
fn file_text(path: &str, flags: u32) -> Result<Vec<u8>, Errno> {
    let fd = sys::open(path, abi::fcntl::O_RDONLY | flags, 0)?;
    let mut buffer = [0u8; 64];
    let n = sys::read(fd, &mut buffer);
    let _ = sys::close(fd);
    Ok(buffer[..n?].to_vec())
}

/// The target of the link at `path`, as text.
fn link_text(path: &str) -> Result<Vec<u8>, Errno> {
    let mut buffer = [0u8; 256];
    let n = sys::readlink(path, &mut buffer)?;
    Ok(buffer[..n].to_vec())
}

/// The file type of `stat`'s mode.
fn file_type(stat: &abi::Stat) -> u32 {
    abi::stat::file_type(stat.st_mode)
}

fn symbolic_links_are_followed_and_lstat_sees_them() -> Outcome {
    use abi::stat::{S_IFDIR, S_IFLNK, S_IFREG};
    let dir = Scratch::new("links")?;
    let (file, link) = (dir.at("file"), dir.at("link"));
    make_file(&file, b"hello")?;
    sys::symlink("file", &link).map_err(|e| alloc::format!("symlink: {e:?}"))?;
    let followed = sys::stat(&link).map_err(|e| alloc::format!("stat: {e:?}"))?;
    let itself = sys::lstat(&link).map_err(|e| alloc::format!("lstat: {e:?}"))?;
    check!(
        file_type(&followed) == S_IFREG && followed.st_size == 5,
        "stat through the link: mode {:o} size {}",
        followed.st_mode,
        followed.st_size
    );
    check!(
        file_type(&itself) == S_IFLNK && itself.st_size == 4,
        "lstat of the link: mode {:o} size {}",
        itself.st_mode,
        itself.st_size
    );
    let text = link_text(&link);
    check!(text.as_deref() == Ok(b"file"), "readlink: {text:?}");
    let read = file_text(&link, 0);
    check!(
        read.as_deref() == Ok(b"hello"),
        "read through the link: {read:?}"
    );
    // A link to a directory: its files are reached through it, and `..` is the target's parent.
    sys::mkdir(&dir.at("sub"), 0o755).map_err(|e| alloc::format!("mkdir: {e:?}"))?;
    make_file(&dir.at("sub/inner"), b"in")?;
    let absolute = dir.at("sub");
    sys::symlink(&absolute, &dir.at("sublink")).map_err(|e| alloc::format!("symlink: {e:?}"))?;
    let inner = file_text(&dir.at("sublink/inner"), 0);
    check!(
        inner.as_deref() == Ok(b"in"),
        "a file through a directory link: {inner:?}"
    );
    let up = file_text(&dir.at("sublink/../file"), 0);
    check!(up.as_deref() == Ok(b"hello"), "`..` after a link: {up:?}");
    let slash = sys::lstat(&alloc::format!("{}/", dir.at("sublink")));
    check!(
        slash.as_ref().map(file_type) == Ok(S_IFDIR),
        "lstat of `link/` follows it: {:?}",
        slash.map(|s| s.st_mode)
    );
    // Removing the link leaves the file.
    sys::unlink(&link).map_err(|e| alloc::format!("unlink: {e:?}"))?;
    check!(
        sys::stat(&file).is_ok(),
        "unlinking the link removed the file"
    );
    Ok(())
}

fn symlink_and_readlink_errors_are_linuxs() -> Outcome {
    let dir = Scratch::new("linkerrors")?;
    let (file, link) = (dir.at("file"), dir.at("link"));
    make_file(&file, b"x")?;
    sys::symlink("file", &link).map_err(|e| alloc::format!("symlink: {e:?}"))?;
    expect_err(
        sys::symlink("y", &file),
        Errno::EEXIST,
        "symlink over a file",
    )?;
    expect_err(
        sys::symlink("y", &link),
        Errno::EEXIST,
        "symlink over a link",
    )?;
    expect_err(
        sys::symlink("", &dir.at("empty")),
        Errno::ENOENT,
        "an empty target",
    )?;
    expect_err(
        sys::symlink("y", &dir.at("none/link")),
        Errno::ENOENT,
        "in a missing directory",
    )?;
    expect_err(
        sys::symlink("y", &dir.at("file/link")),
        Errno::ENOTDIR,
        "under a file",
    )?;
    let mut buffer = [0u8; 16];
    expect_err(
        sys::readlink(&file, &mut buffer),
        Errno::EINVAL,
        "readlink of a file",
    )?;
    expect_err(
        sys::readlink(&dir.at("none"), &mut buffer),
        Errno::ENOENT,
        "readlink of nothing",
    )?;
    expect_err(
        sys::readlink(&link, &mut []),
        Errno::EINVAL,
        "a zero-sized buffer",
    )?;
    let path = alloc::format!("{link}\0");
    expect_err(
        call(nr::READLINK, &[path.as_ptr() as usize, KERNEL_ADDRESS, 16]),
        Errno::EFAULT,
        "readlink into the kernel",
    )?;
    expect_err(
        call(nr::SYMLINK, &[KERNEL_ADDRESS, path.as_ptr() as usize]),
        Errno::EFAULT,
        "a target in the kernel",
    )?;
    // A short buffer gets the start of the target, and no NUL.
    let mut two = [0u8; 2];
    let n = sys::readlink(&link, &mut two);
    check!(
        n == Ok(2) && &two == b"fi",
        "readlink into 2 bytes: {n:?} {two:?}"
    );
    // O_NOFOLLOW refuses a link in the last component, and only there.
    expect_err(
        file_text(&link, abi::fcntl::O_NOFOLLOW),
        Errno::ELOOP,
        "O_NOFOLLOW on a link",
    )?;
    let plain = file_text(&file, abi::fcntl::O_NOFOLLOW);
    check!(plain.is_ok(), "O_NOFOLLOW on a file: {plain:?}");
    Ok(())
}

fn symbolic_link_loops_end_in_eloop() -> Outcome {
    // Linux follows at most 40 links in one lookup: a chain of 40 resolves, of 41 does not.
    const MAX_FOLLOWS: usize = 40;
    let dir = Scratch::new("loops")?;
    make_file(&dir.at("l0"), b"end")?;
    for i in 1..=MAX_FOLLOWS + 1 {
        let target = alloc::format!("l{}", i - 1);
        sys::symlink(&target, &dir.at(&alloc::format!("l{i}")))
            .map_err(|e| alloc::format!("symlink l{i}: {e:?}"))?;
    }
    let forty = file_text(&dir.at(&alloc::format!("l{MAX_FOLLOWS}")), 0);
    check!(
        forty.as_deref() == Ok(b"end"),
        "a chain of 40 links: {forty:?}"
    );
    let over = dir.at(&alloc::format!("l{}", MAX_FOLLOWS + 1));
    expect_err(sys::stat(&over), Errno::ELOOP, "a chain of 41 links")?;
    // A link to itself, and two to each other.
    let (me, ping, pong) = (dir.at("me"), dir.at("ping"), dir.at("pong"));
    for (target, path) in [("me", &me), ("pong", &ping), ("ping", &pong)] {
        sys::symlink(target, path).map_err(|e| alloc::format!("symlink {path}: {e:?}"))?;
    }
    expect_err(sys::stat(&me), Errno::ELOOP, "stat of a link to itself")?;
    expect_err(file_text(&ping, 0), Errno::ELOOP, "open of a loop")?;
    expect_err(
        sys::stat(&alloc::format!("{me}/x")),
        Errno::ELOOP,
        "a loop in the middle",
    )?;
    check!(sys::lstat(&me).is_ok(), "lstat of a loop sees the link");
    Ok(())
}

fn a_dangling_link_is_created_through() -> Outcome {
    use abi::fcntl::*;
    let dir = Scratch::new("dangling")?;
    let link = dir.at("link");
    sys::symlink("target", &link).map_err(|e| alloc::format!("symlink: {e:?}"))?;
    expect_err(sys::stat(&link), Errno::ENOENT, "stat of a dangling link")?;
    expect_err(
        sys::open(&link, O_CREAT | O_EXCL | O_WRONLY, 0o644),
        Errno::EEXIST,
        "O_CREAT | O_EXCL on a link",
    )?;
    make_file(&link, b"made")?;
    let made = file_text(&dir.at("target"), 0);
    check!(
        made.as_deref() == Ok(b"made"),
        "the target made through the link: {made:?}"
    );
    // rename moves the link, not its target.
    let moved = dir.at("moved");
    sys::rename(&link, &moved).map_err(|e| alloc::format!("rename: {e:?}"))?;
    let text = link_text(&moved);
    check!(
        text.as_deref() == Ok(b"target"),
        "the renamed link: {text:?}"
    );
    // A hard link of a link is a second name for the link.
    sys::link(&moved, &dir.at("hard")).map_err(|e| alloc::format!("link: {e:?}"))?;
    let hard = sys::lstat(&dir.at("hard")).map_err(|e| alloc::format!("lstat: {e:?}"))?;
    check!(
        file_type(&hard) == abi::stat::S_IFLNK && hard.st_nlink == 2,
        "the hard link: mode {:o} links {}",
        hard.st_mode,
        hard.st_nlink
    );
    Ok(())
}

fn readlink_of_proc_self_exe_names_the_program() -> Outcome {
    let text = link_text("/proc/self/exe").map_err(|e| alloc::format!("readlink: {e:?}"))?;
    check!(
        text.first() == Some(&b'/') && text.ends_with(b"/usertests"),
        "/proc/self/exe is {:?}",
        alloc::string::String::from_utf8_lossy(&text)
    );
    let itself = sys::lstat("/proc/self/exe").map_err(|e| alloc::format!("lstat: {e:?}"))?;
    check!(
        file_type(&itself) == abi::stat::S_IFLNK,
        "lstat: mode {:o}",
        itself.st_mode
    );
    let followed = sys::stat("/proc/self/exe").map_err(|e| alloc::format!("stat: {e:?}"))?;
    check!(
        file_type(&followed) == abi::stat::S_IFREG,
        "stat: mode {:o}",
        followed.st_mode
    );
    Ok(())
}

/// `chown`-family call `number` on the NUL-terminated `path` (or descriptor) with `owner` and
/// `group` (-1: leave as it is).
fn chown_call(number: usize, target: usize, owner: u32, group: u32) -> Result<usize, Errno> {
    call(number, &[target, owner as usize, group as usize])
}

fn chown_to_ones_own_ids_succeeds() -> Outcome {
    let dir = Scratch::new("chown")?;
    let (file, link) = (dir.at("file"), dir.at("link"));
    make_file(&file, b"x")?;
    sys::symlink("file", &link).map_err(|e| alloc::format!("symlink: {e:?}"))?;
    let (uid, gid) = (
        call(nr::GETUID, &[]).unwrap_or(0) as u32,
        call(nr::GETGID, &[]).unwrap_or(0) as u32,
    );
    let keep = u32::MAX;
    let path = alloc::format!("{file}\0");
    let link_path = alloc::format!("{link}\0");
    for (number, target, what) in [
        (nr::CHOWN, path.as_ptr() as usize, "chown"),
        (nr::LCHOWN, link_path.as_ptr() as usize, "lchown"),
    ] {
        let got = chown_call(number, target, uid, gid);
        check!(got == Ok(0), "{what} to my own ids: {got:?}");
        let got = chown_call(number, target, keep, keep);
        check!(got == Ok(0), "{what} leaving both: {got:?}");
    }
    let fd =
        sys::open(&file, abi::fcntl::O_RDONLY, 0).map_err(|e| alloc::format!("open: {e:?}"))?;
    let got = chown_call(nr::FCHOWN, fd as usize, uid, keep);
    let bad = chown_call(nr::FCHOWN, 99, uid, gid);
    let _ = sys::close(fd);
    check!(got == Ok(0), "fchown: {got:?}");
    expect_err(bad, Errno::EBADF, "fchown of a closed descriptor")?;
    let got = call(
        nr::FCHOWNAT,
        &[
            abi::fcntl::AT_FDCWD as usize,
            link_path.as_ptr() as usize,
            uid as usize,
            gid as usize,
            0x100,
        ],
    );
    check!(got == Ok(0), "fchownat with AT_SYMLINK_NOFOLLOW: {got:?}");
    let none = alloc::format!("{}\0", dir.at("none"));
    expect_err(
        chown_call(nr::CHOWN, none.as_ptr() as usize, uid, gid),
        Errno::ENOENT,
        "chown of nothing",
    )?;
    expect_err(
        chown_call(nr::CHOWN, KERNEL_ADDRESS, uid, gid),
        Errno::EFAULT,
        "a path in the kernel",
    )?;
    expect_err(
        call(
            nr::FCHOWNAT,
            &[
                abi::fcntl::AT_FDCWD as usize,
                path.as_ptr() as usize,
                0,
                0,
                0x8000_0000,
            ],
        ),
        Errno::EINVAL,
        "fchownat with an unknown flag",
    )
}

fn chown_to_another_user_is_eperm() -> Outcome {
    // Ferrite records no owners: every file is root's, and no other id can be given to one.
    let dir = Scratch::new("chownother")?;
    let file = dir.at("file");
    make_file(&file, b"x")?;
    let path = alloc::format!("{file}\0");
    expect_err(
        chown_call(nr::CHOWN, path.as_ptr() as usize, 1000, u32::MAX),
        Errno::EPERM,
        "chown to user 1000",
    )?;
    expect_err(
        chown_call(nr::CHOWN, path.as_ptr() as usize, u32::MAX, 1000),
        Errno::EPERM,
        "chown to group 1000",
    )
}

fn dup3_sets_close_on_exec_and_refuses_the_same_descriptor() -> Outcome {
    use abi::fcntl::{FD_CLOEXEC, F_GETFD, O_CLOEXEC};
    /// A descriptor number nothing else in the test uses.
    const TARGET: usize = 40;
    let (read, write) = sys::pipe().map_err(|e| alloc::format!("pipe: {e:?}"))?;
    let got = call(nr::DUP3, &[read as usize, TARGET, O_CLOEXEC as usize]);
    let flags = sys::fcntl(TARGET as i32, F_GETFD, 0);
    let plain = call(nr::DUP3, &[write as usize, TARGET, 0]);
    let plain_flags = sys::fcntl(TARGET as i32, F_GETFD, 0);
    let same = call(nr::DUP3, &[read as usize, read as usize, 0]);
    let bad_flags = call(nr::DUP3, &[read as usize, TARGET, 1]);
    let closed = call(nr::DUP3, &[99, TARGET, 0]);
    let negative = call(nr::DUP3, &[read as usize, usize::MAX, 0]);
    for fd in [read, write, TARGET as i32] {
        let _ = sys::close(fd);
    }
    check!(got == Ok(TARGET), "dup3 with O_CLOEXEC: {got:?}");
    check!(
        flags == Ok(FD_CLOEXEC as usize),
        "its descriptor flags: {flags:?}"
    );
    check!(
        plain == Ok(TARGET) && plain_flags == Ok(0),
        "dup3 over it without flags: {plain:?}, flags {plain_flags:?}"
    );
    expect_err(same, Errno::EINVAL, "dup3 onto itself")?;
    expect_err(bad_flags, Errno::EINVAL, "an unknown flag")?;
    expect_err(closed, Errno::EBADF, "a closed descriptor")?;
    expect_err(negative, Errno::EBADF, "a negative new descriptor")
}

/// `sendfile(out, in, offset, count)`, `offset` null or pointing at `*at`.
fn sendfile(out: i32, input: i32, at: Option<&mut i64>, count: usize) -> Result<usize, Errno> {
    let offset = at.map_or(0, |at| at as *mut i64 as usize);
    call(nr::SENDFILE, &[out as usize, input as usize, offset, count])
}

fn sendfile_copies_with_and_without_an_offset() -> Outcome {
    use abi::fcntl::*;
    let dir = Scratch::new("sendfile")?;
    let path = dir.at("digits");
    make_file(&path, b"0123456789")?;
    let input = sys::open(&path, O_RDONLY, 0).map_err(|e| alloc::format!("open: {e:?}"))?;
    let (pipe_read, pipe_write) = sys::pipe().map_err(|e| alloc::format!("pipe: {e:?}"))?;
    let result = (|| -> Outcome {
        let mut buffer = [0u8; 16];
        let sent = sendfile(pipe_write, input, None, 4);
        let position = sys::lseek(input, 0, SEEK_CUR);
        let n = sys::read(pipe_read, &mut buffer).unwrap_or(0);
        check!(
            sent == Ok(4) && position == Ok(4) && &buffer[..n] == b"0123",
            "from the position: sent {sent:?}, position {position:?}, read {:?}",
            &buffer[..n]
        );
        let mut at = 6i64;
        let sent = sendfile(pipe_write, input, Some(&mut at), 100);
        let position = sys::lseek(input, 0, SEEK_CUR);
        let n = sys::read(pipe_read, &mut buffer).unwrap_or(0);
        check!(
            sent == Ok(4) && at == 10 && position == Ok(4) && &buffer[..n] == b"6789",
            "from an offset: sent {sent:?}, offset {at}, position {position:?}, read {:?}",
            &buffer[..n]
        );
        let end = sendfile(pipe_write, input, Some(&mut at), 100);
        check!(end == Ok(0), "at the end: {end:?}");
        expect_err(
            sendfile(pipe_write, pipe_read, None, 4),
            Errno::EINVAL,
            "from a pipe",
        )?;
        expect_err(
            sendfile(input, input, None, 4),
            Errno::EBADF,
            "to a read-only descriptor",
        )?;
        expect_err(
            sendfile(pipe_write, 99, None, 4),
            Errno::EBADF,
            "from a closed one",
        )?;
        expect_err(
            sendfile(99, input, None, 4),
            Errno::EBADF,
            "to a closed one",
        )?;
        let mut negative = -1i64;
        expect_err(
            sendfile(pipe_write, input, Some(&mut negative), 4),
            Errno::EINVAL,
            "a negative offset",
        )?;
        expect_err(
            call(
                nr::SENDFILE,
                &[pipe_write as usize, input as usize, KERNEL_ADDRESS, 4],
            ),
            Errno::EFAULT,
            "an offset in the kernel",
        )
    })();
    for fd in [input, pipe_read, pipe_write] {
        let _ = sys::close(fd);
    }
    result
}

fn madvise_accepts_advice_and_dontneed_zeroes() -> Outcome {
    use abi::mman::*;
    let prot = PROT_READ | PROT_WRITE;
    let at = sys::mmap_anonymous(2 * PAGE, prot).map_err(|e| alloc::format!("mmap: {e:?}"))?;
    // SAFETY: two pages were just mapped there, readable and writable.
    let bytes = unsafe { core::slice::from_raw_parts_mut(at as *mut u8, 2 * PAGE) };
    bytes.fill(0xaa);
    let madvise =
        |addr: usize, len: usize, advice: i32| call(nr::MADVISE, &[addr, len, advice as usize]);
    let result = (|| -> Outcome {
        for advice in [
            MADV_NORMAL,
            MADV_RANDOM,
            MADV_SEQUENTIAL,
            MADV_WILLNEED,
            MADV_DONTDUMP,
        ] {
            let got = madvise(at, 2 * PAGE, advice);
            check!(got == Ok(0), "advice {advice}: {got:?}");
        }
        check!(
            bytes.iter().all(|&b| b == 0xaa),
            "harmless advice changed the memory"
        );
        let got = madvise(at, PAGE, MADV_DONTNEED);
        check!(got == Ok(0), "MADV_DONTNEED: {got:?}");
        check!(
            bytes[..PAGE].iter().all(|&b| b == 0),
            "after MADV_DONTNEED the page is not zero"
        );
        check!(
            bytes[PAGE..].iter().all(|&b| b == 0xaa),
            "MADV_DONTNEED reached past its range"
        );
        let got = madvise(at, 0, MADV_NORMAL);
        check!(got == Ok(0), "an empty range: {got:?}");
        expect_err(
            madvise(at + 1, PAGE, MADV_NORMAL),
            Errno::EINVAL,
            "an unaligned address",
        )?;
        expect_err(madvise(at, PAGE, 9999), Errno::EINVAL, "unknown advice")?;
        expect_err(
            madvise(UNMAPPED, PAGE, MADV_NORMAL),
            Errno::ENOMEM,
            "unmapped memory",
        )
    })();
    // SAFETY: nothing uses the mapping after this.
    let _ = unsafe { sys::munmap(at, 2 * PAGE) };
    result
}

fn mremap_grows_shrinks_and_moves() -> Outcome {
    use abi::mman::*;
    let prot = PROT_READ | PROT_WRITE;
    let at = sys::mmap_anonymous(PAGE, prot).map_err(|e| alloc::format!("mmap: {e:?}"))?;
    // SAFETY: one page was just mapped there, readable and writable.
    unsafe { core::slice::from_raw_parts_mut(at as *mut u8, PAGE) }.fill(7);
    let mremap = |old: usize, old_size: usize, new_size: usize, flags: u32| {
        call(nr::MREMAP, &[old, old_size, new_size, flags as usize, 0])
    };
    expect_err(
        mremap(at + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE),
        Errno::EINVAL,
        "unaligned",
    )?;
    expect_err(
        mremap(at, PAGE, 2 * PAGE, 0x80),
        Errno::EINVAL,
        "an unknown flag",
    )?;
    expect_err(
        mremap(at, PAGE, 2 * PAGE, MREMAP_FIXED),
        Errno::EINVAL,
        "MREMAP_FIXED alone",
    )?;
    expect_err(
        mremap(at, PAGE, 0, MREMAP_MAYMOVE),
        Errno::EINVAL,
        "to nothing",
    )?;
    expect_err(
        mremap(UNMAPPED, PAGE, 2 * PAGE, MREMAP_MAYMOVE),
        Errno::EFAULT,
        "unmapped memory",
    )?;
    let grown = mremap(at, PAGE, 4 * PAGE, MREMAP_MAYMOVE)
        .map_err(|e| alloc::format!("grow to 4 pages: {e:?}"))?;
    // SAFETY: mremap says four pages are mapped at `grown`, readable and writable.
    let bytes = unsafe { core::slice::from_raw_parts_mut(grown as *mut u8, 4 * PAGE) };
    check!(
        bytes[..PAGE].iter().all(|&b| b == 7),
        "the contents did not move with it"
    );
    check!(
        bytes[PAGE..].iter().all(|&b| b == 0),
        "the new pages are not zeroed"
    );
    bytes[4 * PAGE - 1] = 9;
    let shrunk = mremap(grown, 4 * PAGE, 2 * PAGE, 0);
    check!(
        shrunk == Ok(grown),
        "shrink in place: {shrunk:?}, was at {grown:#x}"
    );
    let gone = call(nr::WRITE, &[1, grown + 3 * PAGE, 1]);
    // SAFETY: nothing uses the mapping after this.
    let _ = unsafe { sys::munmap(grown, 2 * PAGE) };
    expect_err(gone, Errno::EFAULT, "a page past the shrunk end")
}

fn rseq_answers_enosys() -> Outcome {
    // Ferrite has no restartable sequences and says so; glibc then does without them.
    let area = [0u64; 4];
    expect_err(
        call(nr::RSEQ, &[area.as_ptr() as usize, 32, 0, 0]),
        Errno::ENOSYS,
        "rseq",
    )
}

/// Every test, by name, in the order they run.
const TESTS: &[Case] = cases![
    write_returns_its_length,
    write_from_a_null_pointer_is_efault,
    write_from_a_kernel_address_is_efault,
    write_from_an_unmapped_page_is_efault,
    write_across_the_end_of_user_space_is_efault,
    write_with_a_wrapping_length_is_efault,
    write_to_a_bad_descriptor_is_ebadf,
    read_into_a_kernel_address_is_efault,
    read_from_a_bad_descriptor_is_ebadf,
    writev_gathers_every_buffer,
    writev_with_a_bad_vector_is_efault,
    writev_with_too_many_buffers_is_einval,
    getpid_and_getppid_answer,
    an_unimplemented_call_is_enosys,
    sched_yield_returns_zero,
    the_monotonic_clock_advances_across_a_sleep,
    clock_gettime_into_read_only_memory_is_efault,
    nanosleep_checks_its_argument,
    brk_grows_zeroed_memory_and_shrinks_back,
    mmap_gives_zeroed_pages_and_munmap_takes_them,
    the_stack_grows_on_demand_in_zeroed_pages,
    the_kernel_writes_into_an_untouched_stack_page,
    mmap_refuses_writable_and_executable_at_once,
    mmap_and_munmap_check_their_arguments,
    the_heap_serves_many_sizes,
    arch_prctl_sets_and_reads_the_fs_base,
    the_start_up_stack_holds_argv_and_auxv,
    fork_returns_zero_in_the_child_and_its_pid_in_the_parent,
    exit_statuses_keep_their_low_eight_bits,
    wait4_without_children_is_echild,
    wait4_with_wnohang_returns_at_once,
    wait4_checks_its_arguments,
    copy_on_write_keeps_parent_and_child_apart,
    the_kernel_writes_through_copy_on_write_pages,
    fork_copies_the_heap_and_the_thread_pointer,
    exec_replaces_the_program_and_passes_argv,
    exec_failures_return_to_the_caller,
    exec_of_a_huge_argument_list_is_e2big,
    kill_ends_a_running_child,
    kill_ends_a_sleeping_child_at_once,
    kill_checks_its_arguments,
    process_groups_follow_setpgid_and_setsid,
    kill_of_a_group_reaches_every_member_and_no_one_else,
    no_signal_ends_init,
    an_orphan_is_adopted_and_collected_by_init,
    many_processes_at_once,
    a_crashing_child_is_reported_to_its_parent,
    the_real_time_clock_gives_todays_date,
    every_clock_reads_forward_and_has_a_resolution,
    bad_clocks_and_time_pointers_are_einval_and_efault,
    clock_nanosleep_sleeps_for_a_span_or_until_a_time,
    clock_nanosleep_checks_its_arguments,
    uname_says_linux_on_x86_64_with_a_version_number,
    the_ids_agree_with_each_other,
    root_may_become_another_user_and_not_come_back,
    getrandom_fills_buffers_and_checks_its_flags,
    the_random_devices_give_random_bytes,
    resource_limits_are_read_and_checked,
    a_lowered_limit_is_kept_and_inherited,
    usage_times_and_system_statistics_answer,
    a_new_file_is_stamped_with_the_date,
    sched_getaffinity_reports_a_cpu,
    symbolic_links_are_followed_and_lstat_sees_them,
    symlink_and_readlink_errors_are_linuxs,
    symbolic_link_loops_end_in_eloop,
    a_dangling_link_is_created_through,
    readlink_of_proc_self_exe_names_the_program,
    chown_to_ones_own_ids_succeeds,
    chown_to_another_user_is_eperm,
    dup3_sets_close_on_exec_and_refuses_the_same_descriptor,
    sendfile_copies_with_and_without_an_offset,
    madvise_accepts_advice_and_dontneed_zeroes,
    mremap_grows_shrinks_and_moves,
    rseq_answers_enosys,
];

fn main() -> i32 {
    let args: Vec<&str> = runtime::args().collect();
    match args.as_slice() {
        [_] => runtime::ktap::run(TESTS),
        [_, "--quiet", words @ ..] => runtime::ktap::run_quiet(TESTS, words),
        _ => {
            runtime::eprintln!("usage: usertests [--quiet WORD...]");
            2
        }
    }
}
