//! The kernel console: a prompt on the screen and the serial line at once, a line editor, and
//! built-in commands to look at the machine.
//!
//! Keys arrive from the PS/2 keyboard and from the serial terminal through one queue
//! ([`crate::tty::input`]); the line editor (`lineedit` crate) turns them into a line and tells the
//! displays what to redraw; the parser (`shellcmd` crate) turns a finished line into a command
//! or an error that says what was wrong. Only running the commands happens here. Later, when
//! Ferrite runs programs, this loop becomes the user-space shell, and the parser goes with it.

use crate::arch::x86_64::{cpuid, exceptions, probe};
use crate::drivers::keyboard;
use crate::interrupts;
use crate::mm::layout;
use crate::platform::banner::MemorySummary;
use crate::platform::power;
use crate::platform::Boot;
use crate::time;
use crate::tty::input;
use crate::{print, println};
use core::fmt::{self, Write};
use lineedit::{LineEditor, Outcome, MAX_LINE};
use shellcmd::{Command, FaultKind, ParseError};

/// What the console prints before each line.
pub const PROMPT: &str = "ferrite> ";
/// Bytes a line can take as UTF-8 (each character at most four).
const LINE_BYTES: usize = MAX_LINE * 4;

/// The console's output: everything goes through `print!`, to the screen and serial alike.
struct Out;

impl Write for Out {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        print!("{s}");
        Ok(())
    }
}

/// A line, as UTF-8 in a fixed buffer.
struct LineBuffer {
    bytes: [u8; LINE_BYTES],
    len: usize,
}

impl Write for LineBuffer {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl LineBuffer {
    fn as_str(&self) -> &str {
        // Only whole `&str`s are ever copied in, so the bytes are valid UTF-8.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

/// Runs the console: a task that awaits keys, forever.
pub async fn run(boot: &'static Boot) {
    let mut editor = LineEditor::with_words(&shellcmd::NAMES);
    // Whether this line already got the "too long" message: once per line is enough.
    let mut warned = false;
    // While a program session (the shell) owns the console, this console waits its turn.
    input::console_free().await;
    println!("Type 'help' for the commands.");
    print!("{PROMPT}");
    loop {
        let key = input::key().await;
        let Ok(outcome) = editor.feed(key, &mut Out) else {
            continue;
        };
        match outcome {
            Outcome::Editing => {}
            Outcome::Submitted => {
                let mut line = LineBuffer {
                    bytes: [0; LINE_BYTES],
                    len: 0,
                };
                let _ = editor.line(&mut line);
                editor.clear();
                warned = false;
                execute(line.as_str(), boot);
                report_background();
                print!("{PROMPT}");
            }
            Outcome::TooLong if !warned => {
                warned = true;
                println!(
                    "\n[a line holds at most {MAX_LINE} characters: this one will be discarded at Enter; Backspace or Ctrl-U to shorten it]"
                );
                print!("{PROMPT}");
                let _ = editor.redraw(&mut Out);
            }
            Outcome::TooLong => {}
            Outcome::Rejected(length) => {
                warned = false;
                println!(
                    "[line of {length} characters discarded, not run: a line holds at most {MAX_LINE}]"
                );
                print!("{PROMPT}");
            }
            Outcome::Cancelled => {
                editor.clear();
                warned = false;
                print!("{PROMPT}");
            }
            Outcome::Listed => {
                print!("{PROMPT}");
                let _ = editor.redraw(&mut Out);
            }
        }
    }
}

/// Parses and runs one line.
pub fn execute(line: &str, boot: &Boot) {
    match shellcmd::parse(line) {
        Ok(command) => run_command(command, boot),
        Err(error) => report(error),
    }
}

fn report(error: ParseError<'_>) {
    println!("{error}");
}

fn run_command(command: Command<'_>, boot: &Boot) {
    match command {
        Command::Empty => {}
        Command::Help(None) => {
            /// The usage column's width; a longer usage puts its summary on the next line.
            const USAGE_COLUMN: usize = 34;
            println!("Commands (Tab completes a command name):");
            for entry in shellcmd::COMMANDS.iter() {
                if entry.usage.chars().count() < USAGE_COLUMN {
                    println!("  {:<USAGE_COLUMN$} {}", entry.usage, entry.summary);
                } else {
                    println!(
                        "  {}\n  {:<USAGE_COLUMN$} {}",
                        entry.usage, "", entry.summary
                    );
                }
            }
        }
        Command::Help(Some(name)) => {
            if let Some(entry) = shellcmd::help_for(name) {
                println!("{}\n  {}", entry.usage, entry.summary);
            }
        }
        Command::Echo(text) => println!("{text}"),
        Command::Uptime => {
            let ns = time::uptime_ns();
            println!(
                "up {}.{:06} s",
                ns / 1_000_000_000,
                ns % 1_000_000_000 / 1_000
            );
        }
        Command::Ticks => {
            let counts = interrupts::counts();
            println!("ticks: {} at {} Hz", time::ticks(), time::TICK_HZ);
            println!(
                "interrupts: keyboard {}, serial {}, spurious {}, APIC errors {}",
                counts.keyboard, counts.com1, counts.spurious, counts.apic_errors
            );
            println!(
                "input: {} keys dropped (keyboard, queue full); serial input {}",
                input::KEYS.dropped(),
                if crate::drivers::serial::receive_paused() {
                    "paused until the console catches up"
                } else {
                    "flowing"
                }
            );
        }
        Command::Mem => mem(boot),
        Command::Memtest => memtest(boot),
        Command::Cpu => cpu(boot),
        // Home, erase the screen, and (xterm's extension) the terminal's scrollback too.
        Command::Clear => print!("\u{1b}[H\u{1b}[2J\u{1b}[3J"),
        Command::Keymap(None) => {
            println!(
                "layout: {} (available: {})",
                keyboard::layout_name(),
                Commas(&keyboard::LAYOUTS)
            );
        }
        Command::Keymap(Some(name)) => {
            if keyboard::set_layout(name) {
                println!("layout: {name}");
            } else {
                println!(
                    "keymap: unknown layout \"{name}\"; available: {}",
                    Commas(&keyboard::LAYOUTS)
                );
            }
        }
        Command::Fault(kind) => fault(kind),
        Command::Ps => ps(),
        Command::Spawn(demo) => spawn_demo(demo),
        Command::Kill(id)
            if id == crate::proc::INIT_PID as usize
                && crate::proc::exists(crate::proc::INIT_PID) =>
        {
            println!("kill: process 1 is init, which no signal ends (as on Linux)");
        }
        Command::Kill(id) => {
            let process = u32::try_from(id)
                .ok()
                .filter(|&pid| crate::proc::kill(pid, abi::signal::SIGKILL));
            // A thread that runs a program belongs to its process: stopping the thread alone
            // would leave a process with no thread (for init, one that no longer collects
            // orphans). So a process's thread is ended with its process, and init's not at all.
            let owner = crate::proc::process_of_thread(id);
            if process.is_some() {
                println!("kill: process {id} is ended");
            } else if owner == Some(crate::proc::INIT_PID) {
                println!(
                    "kill: thread {id} runs init (process 1), which no signal ends (as on Linux)"
                );
            } else if let Some(pid) = owner {
                if crate::proc::kill(pid, abi::signal::SIGKILL) {
                    println!("kill: thread {id} runs process {pid}; process {pid} is ended");
                } else {
                    println!("kill: thread {id} runs process {pid}, which is already ending");
                }
            } else if crate::sched::request_stop(id) {
                println!("kill: asked thread {id} to stop");
            } else {
                println!("kill: no process or thread {id} that can be stopped (see ps; boot and idle cannot)");
            }
        }
        Command::Dmesg => {
            let mut text = alloc::vec![0u8; crate::klog::BYTES];
            let count = crate::klog::read_newest(&mut text);
            crate::print!("{}", alloc::string::String::from_utf8_lossy(&text[..count]));
        }
        Command::Enosys(mode) => {
            if let Some(live) = mode {
                crate::klog::set_enosys_live(live);
            }
            if crate::klog::enosys_live() {
                println!(
                    "enosys: missing system calls are printed as programs make them, and logged"
                );
            } else {
                println!("enosys: missing system calls are only logged; 'dmesg' shows them");
            }
        }
        Command::Run(line) => run_program(line, false),
        Command::Trace(line) => run_program(line, true),
        Command::Reboot => {
            sync_disk();
            power::reboot()
        }
        Command::Shutdown => {
            sync_disk();
            let error = power::shutdown();
            println!("shutdown: cannot power off: {error}");
        }
    }
}

/// Commits the disk's log before the machine stops, saying so if it cannot.
fn sync_disk() {
    if let Err(e) = crate::fs::sync_all() {
        println!("the disk could not be synced: {}", e.description());
    }
}

/// Items, comma-separated (or "none"): layout names, thread ids.
struct Commas<'a, T>(&'a [T]);

impl<T: fmt::Display> fmt::Display for Commas<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("none");
        }
        for (i, item) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{item}")?;
        }
        Ok(())
    }
}

fn mem(boot: &Boot) {
    /// Bytes in a KiB.
    const KIB: u64 = 1024;
    let summary = MemorySummary::of(boot.memory_map);
    println!(
        "{} KiB usable, {} KiB used by the bootloader, {} KiB reserved, {} regions:",
        summary.usable / KIB,
        summary.bootloader / KIB,
        summary.reserved / KIB,
        summary.regions
    );
    for region in boot.memory_map {
        println!(
            "  {:#014x}-{:#014x} {:>10} KiB  {:?}",
            region.start,
            region.end,
            (region.end - region.start) / KIB,
            region.kind
        );
    }
    if let Some(counts) = crate::mm::frames::counts() {
        println!(
            "frames: {} usable, {} free, {} used ({} KiB free)",
            counts.usable,
            counts.free,
            counts.used(),
            counts.free as u64 * ::frames::FRAME_SIZE / KIB
        );
    }
    match crate::mm::heap::stats() {
        Some((s, (limit, mapped))) => println!(
            "heap: {} KiB mapped of {} KiB; {} blocks live, {} bytes requested; {} KiB in free chunks; {} slabs ({} set up); {} pages given back; {} failed allocations",
            mapped as u64 / KIB,
            limit as u64 / KIB,
            s.live_blocks,
            s.requested_bytes,
            s.free_bytes / 1024,
            s.slabs,
            s.slabs_created,
            s.released_pages,
            s.failures
        ),
        None => println!("heap: not set up"),
    }
    if let Some(offset) = boot.physical_memory_offset {
        println!(
            "physical memory mapped at {offset:#x}; kernel stack {:#x}-{:#x}",
            layout::KERNEL_STACK_BOTTOM,
            layout::KERNEL_STACK_TOP
        );
    }
}

/// Programs started in the background (`run ... &`), by pid and name, until they are reported.
static BACKGROUND: spin::Mutex<alloc::vec::Vec<(crate::proc::Pid, alloc::string::String)>> =
    spin::Mutex::new(alloc::vec::Vec::new());

/// Runs a user program: in the foreground (waits for it and prints how it ended), or with a
/// final `&` in the background (prints its pid; how it ended is reported before a later
/// command).
fn run_program(line: &str, trace: bool) {
    let (line, background) = match line.strip_suffix('&') {
        Some(rest) => (rest.trim_end(), true),
        None => (line, false),
    };
    let argv: alloc::vec::Vec<&str> = line.split_whitespace().collect();
    let Some(&name) = argv.first() else {
        println!("run: missing program name; see 'help run'");
        return;
    };
    // The threads of programs that ended earlier are joined now, freeing their stacks.
    crate::sched::reap_finished();
    let path = crate::proc::program_path(name);
    let pid = match crate::proc::spawn(&path, &argv, &[], 0, trace) {
        Ok(pid) => pid,
        Err(e) => {
            println!("run: {path}: {e}");
            return;
        }
    };
    if background {
        println!("[{name}: pid {pid} started in the background]");
        BACKGROUND
            .lock()
            .push((pid, alloc::string::String::from(name)));
        return;
    }
    // The program owns the keys while it runs: it reads them through its terminal, and Ctrl-C
    // ends it (it leads a process group of its own).
    crate::tty::open_session(pid as i32);
    let status = crate::proc::wait(pid);
    crate::tty::close_session();
    match status {
        Some(status) => report_end(name, pid, status),
        None => println!("run: process {pid} vanished"),
    }
}

/// Prints how a program ended.
fn report_end(name: &str, pid: crate::proc::Pid, status: i32) {
    if abi::wait::exited(status) {
        println!(
            "[{name}: pid {pid} exited with status {}]",
            abi::wait::exit_code(status)
        );
    } else {
        let signal = abi::wait::term_signal(status);
        let signal_name = abi::signal::signal_name(signal).unwrap_or("?");
        if signal == abi::signal::SIGINT {
            println!(); // after the terminal's "^C"
        }
        println!("[{name}: pid {pid} killed by signal {signal} ({signal_name})]");
    }
}

/// Reports (and collects) every background program that has ended.
pub fn report_background() {
    let ended: alloc::vec::Vec<_> = {
        let mut list = BACKGROUND.lock();
        let mut ended = alloc::vec::Vec::new();
        list.retain(|(pid, name)| match crate::proc::try_wait(*pid) {
            Some(status) => {
                ended.push((*pid, name.clone(), status));
                false
            }
            None => true,
        });
        ended
    };
    for (pid, name, status) in ended {
        report_end(&name, pid, status);
    }
}

/// Lists the processes, then the threads.
fn ps() {
    crate::sched::reap_finished();
    let processes = crate::proc::list();
    if !processes.is_empty() {
        let mut threads = alloc::vec::Vec::new();
        crate::sched::threads(|t| threads.push(t));
        println!(" PID PPID THREADS  TID  NAME          STATE      PAGES        CPU");
        for p in &processes {
            let thread = threads.iter().find(|t| t.id == p.thread);
            let (state, ticks, count) = match (p.status, thread) {
                (Some(_), _) => ("zombie", 0, 0),
                (None, Some(t)) => (thread_state(t.state), t.cpu_ticks, 1),
                (None, None) => ("starting", 0, 1),
            };
            let ms = ticks * 1000 / time::TICK_HZ;
            println!(
                "{:>4} {:>4} {:>7} {:>4}  {:<12}  {:<8} {:>7} {:>7} ms",
                p.pid, p.parent, count, p.thread, p.name, state, p.resident, ms
            );
        }
    }
    println!("  ID  NAME          STATE          CPU");
    crate::sched::threads(|t| {
        let state = thread_state(t.state);
        let ms = t.cpu_ticks * 1000 / time::TICK_HZ;
        println!("  {:>2}  {:<12}  {:<12} {:>6} ms", t.id, t.name, state, ms);
    });
}

/// A thread state in `ps`'s words.
fn thread_state(state: ::sched::State) -> &'static str {
    match state {
        ::sched::State::Running => "running",
        ::sched::State::Ready => "ready",
        ::sched::State::Blocked => "blocked",
        ::sched::State::Sleeping { .. } => "sleeping",
        ::sched::State::Exited => "exited",
        ::sched::State::Free => "free",
        ::sched::State::New => "new",
    }
}

/// Starts a demo workload as detached threads (joined later by `ps`).
fn spawn_demo(demo: &str) {
    crate::sched::reap_finished();
    let mut ids = alloc::vec::Vec::new();
    let mut start = |name: &'static str, body: fn(usize)| {
        let n = ids.len();
        crate::sched::spawn(name, move || body(n)).map(|handle| {
            ids.push(handle.id());
            crate::sched::detach(handle);
        })
    };
    let started = match demo {
        "counters" => {
            // Two threads counting in turn: each prints, then sleeps, so their lines interleave
            // on screen.
            fn counter(n: usize) {
                let name = if n == 0 { "counter-a" } else { "counter-b" };
                for count in 1..=5 {
                    if crate::sched::should_stop() {
                        break;
                    }
                    println!("[{name}] {count}");
                    crate::sched::sleep(core::time::Duration::from_millis(100 + 50 * n as u64));
                }
            }
            start("counter-a", counter).and_then(|()| start("counter-b", counter))
        }
        _ => {
            // CPU-bound until asked to stop: preemption keeps the console responsive.
            fn spinner(_: usize) {
                let mut spins = 0u64;
                while !crate::sched::should_stop() {
                    spins = core::hint::black_box(spins + 1);
                }
            }
            start("spinner", spinner)
        }
    };
    let list = Commas(&ids);
    let noun = if ids.len() == 1 { "thread" } else { "threads" };
    match started {
        Ok(()) => {
            println!("spawn: started {demo} as {noun} {list}; 'ps' lists them, 'kill ID' stops one")
        }
        Err(e) => println!("spawn: could not start all of {demo}: {e:?} (started: {list})"),
    }
}

/// Exercises the frame allocator and the heap, checks what they handed out, and reports.
fn memtest(boot: &Boot) {
    use alloc::vec::Vec;
    /// Frames the test takes, writes and checks.
    const FRAMES: usize = 1024;
    /// Heap blocks the test allocates.
    const BLOCKS: usize = 2000;
    let Some(offset) = boot.physical_memory_offset else {
        println!("memtest: physical memory is not mapped");
        return;
    };
    let start = time::uptime_ns();
    let frames_before = crate::mm::frames::counts();
    let mut taken: Vec<x86_64::PhysAddr> = Vec::new();
    for n in 0..FRAMES {
        let Some(frame) = crate::mm::frames::allocate() else {
            break;
        };
        // SAFETY: the frame was just handed out to this command; physical memory is mapped.
        unsafe {
            core::ptr::write_bytes((frame.as_u64() + offset) as *mut u8, (n % 251) as u8, 4096)
        };
        taken.push(frame);
    }
    let mut bad_frames = 0;
    for (n, frame) in taken.iter().enumerate() {
        // SAFETY: as above; the frame is still held.
        let bytes =
            unsafe { core::slice::from_raw_parts((frame.as_u64() + offset) as *const u8, 4096) };
        if bytes.iter().any(|&b| b != (n % 251) as u8) {
            bad_frames += 1;
        }
    }
    for frame in taken.drain(..) {
        let _ = crate::mm::frames::free(frame);
    }
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut seed = 0x2545_F491_u64;
    for n in 0..BLOCKS {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let size = if n % 16 == 0 {
            1 + (seed % 20_000) as usize
        } else {
            1 + (seed % 512) as usize
        };
        let mut block = Vec::new();
        if block.try_reserve_exact(size).is_err() {
            break;
        }
        block.resize(size, (n % 251) as u8);
        blocks.push(block);
    }
    let allocated = blocks.len();
    let bad_blocks = blocks
        .iter()
        .enumerate()
        .filter(|(n, b)| b.iter().any(|&x| x != (n % 251) as u8))
        .count();
    drop(blocks);
    let elapsed = time::uptime_ns() - start;
    println!(
        "memtest: {} frames written and checked ({} bad), {} heap blocks ({} bad), in {} ms",
        FRAMES,
        bad_frames,
        allocated,
        bad_blocks,
        elapsed / 1_000_000
    );
    if crate::mm::frames::counts() == frames_before {
        println!("memtest: the frame count is back where it started");
    } else {
        println!("memtest: the frame count changed (the heap grew, and keeps its pages)");
    }
}

fn cpu(boot: &Boot) {
    let vendor = cpuinfo::vendor(cpuid::leaf(0));
    let brand = cpuinfo::brand([
        cpuid::leaf(0x8000_0002),
        cpuid::leaf(0x8000_0003),
        cpuid::leaf(0x8000_0004),
    ]);
    let (family, model, stepping) = cpuinfo::signature(cpuid::leaf(1).eax);
    println!("vendor: {}", cpuinfo::text(&vendor));
    println!("model:  {}", cpuinfo::text(&brand));
    println!("family {family:#x}, model {model:#x}, stepping {stepping}");
    print!("features:");
    for feature in cpuinfo::FEATURES.iter() {
        if feature.present_in(cpuid::leaf(feature.leaf)) {
            print!(" {}", feature.name);
        }
    }
    println!();
    let on = crate::arch::x86_64::usercopy::enabled();
    let state = |enabled: bool| {
        if enabled {
            "on"
        } else {
            "off (the CPU lacks it)"
        }
    };
    println!(
        "protections: SMEP {}, SMAP {}, UMIP {}",
        state(on.smep),
        state(on.smap),
        state(on.umip)
    );
    if let Some(cal) = boot.calibration {
        println!(
            "TSC {} Hz, APIC timer {} Hz (calibrated against the PIT)",
            cal.tsc_hz, cal.apic_timer_hz
        );
    }
}

/// Raises a CPU exception on purpose. The recoverable ones run as probes that print the full
/// diagnostic, as an unexpected fault would, and then resume after the faulting instruction; a
/// stack overflow is a double fault, which no kernel can resume, so it halts.
fn fault(kind: FaultKind) {
    let report = |probe: probe::Probe| {
        match probe.fault {
        Some(fault) => println!(
            "recovered: the console raised this on purpose, so it resumes after the instruction at {:#x}",
            fault.rip
        ),
        None => println!("the instruction at {:#x} did not fault", probe.instruction),
    }
    };
    match kind {
        FaultKind::Breakpoint => {
            let before = exceptions::breakpoints();
            probe::breakpoint();
            println!(
                "breakpoints taken: {} (was {before})",
                exceptions::breakpoints()
            );
        }
        FaultKind::PageFault => {
            println!("reading address 0x0 (a null pointer)...");
            // SAFETY: address 0 is never mapped (the bootloader leaves the first page out), so
            // the read faults and reads no device.
            report(probe::reporting(|| unsafe { probe::read(0) }.0));
        }
        FaultKind::Divide => report(probe::reporting(probe::divide_by_zero)),
        FaultKind::InvalidOpcode => report(probe::reporting(probe::invalid_opcode)),
        FaultKind::GeneralProtection => {
            println!("reading the non-canonical address 0x8000000000000000...");
            const NON_CANONICAL: u64 = 0x8000_0000_0000_0000;
            // SAFETY: a non-canonical address faults before any memory is touched.
            report(probe::reporting(|| unsafe { probe::read(NON_CANONICAL) }.0));
        }
        FaultKind::StackOverflow => {
            println!("recursing until the kernel stack runs into its guard page...");
            println!(
                "(this one is fatal: the machine halts for good; quit QEMU with Ctrl-] x under ./x.py run)"
            );
            overflow(0);
        }
    }
}

/// Recurses without end, a kilobyte of stack per call.
#[expect(
    unconditional_recursion,
    reason = "the `fault stackoverflow` command's point"
)]
fn overflow(depth: u64) -> u64 {
    let buffer = core::hint::black_box([depth as u8; 1024]);
    overflow(core::hint::black_box(depth + 1)) + u64::from(buffer[(depth % 1024) as usize])
}
