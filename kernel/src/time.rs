//! Time: calibrating the CPU's clocks against the PIT, a periodic tick, `uptime`, and the date.
//!
//! A kernel needs two things from time: an interrupt at a steady rate (to count time, and later
//! to take the CPU away from a thread that does not give it up), and a way to read "now" with
//! fine resolution. The local APIC timer gives the first, the time-stamp counter (TSC) can give
//! the second, and neither's frequency is fixed by the architecture: it depends on the CPU model
//! (and on QEMU's settings). So at boot Ferrite *calibrates* them: the TSC against the PIT,
//! whose frequency is known (see [`crate::drivers::pit`]), over the first 2 ms or more of the
//! boot's own work, and then the APIC timer against the TSC over 200 µs.
//!
//! The TSC is only a good clock if it is *invariant*: it runs at a constant rate in every power
//! state (CPUID leaf 0x8000_0007, EDX bit 8; SDM Vol. 3B §18.17.1). Modern CPUs have that; QEMU's
//! default emulated CPU does not report it. So [`uptime_ns`] uses the TSC when it is invariant,
//! and otherwise the tick count plus how far the APIC timer has counted into the current tick.
//! Either way it never goes backwards: each reading is at least the one before.
//!
//! The date comes from the CMOS real-time clock ([`crate::drivers::rtc`]), read once in [`init`]:
//! its Unix time minus the uptime then is the *boot epoch*, and `CLOCK_REALTIME` is the boot
//! epoch plus [`uptime_ns`] ([`realtime_ns`]). The RTC counts whole seconds and the TSC far
//! finer, so the date keeps the TSC's resolution (and its steadiness: it never jumps, since
//! nothing sets the clock yet); it is off by the fraction of a second the RTC had counted at
//! boot, which Linux without NTP is too.
//!
//! `busy_sleep` spins until a time has passed. It burns the CPU; blocking sleep needs a scheduler
//! (a later chapter).

use crate::arch::x86_64::apic::{LocalApic, TIMER_DIVISOR};
use crate::drivers::pit;
use core::sync::atomic::{AtomicU64, Ordering};
use core::time::Duration;
use fwcfg::Timing;
use spin::Once;

/// Ticks per second of the periodic timer. 100 Hz (10 ms) is the classic Unix rate: coarse
/// enough to cost little, fine enough for a time slice.
pub const TICK_HZ: u64 = 100;
/// Nanoseconds per second.
const NS_PER_S: u64 = 1_000_000_000;

/// What calibration measured.
#[derive(Debug, Clone, Copy)]
pub struct Calibration {
    /// The APIC timer's count rate, after its divisor, in Hz.
    pub apic_timer_hz: u64,
    /// The TSC's rate in Hz.
    pub tsc_hz: u64,
    /// Whether the CPU says its TSC is invariant (then [`uptime_ns`] uses it).
    pub invariant_tsc: bool,
    /// The APIC timer's initial count for one tick.
    pub tick_count: u32,
    /// TSC value when the periodic timer started: uptime zero.
    pub tsc_at_start: u64,
}

static CALIBRATION: Once<Calibration> = Once::new();
/// Ticks since the periodic timer started. Only the tick interrupt writes it.
static TICKS: AtomicU64 = AtomicU64::new(0);
/// The last value [`uptime_ns`] returned, so that it never returns less.
static LAST_UPTIME: AtomicU64 = AtomicU64::new(0);
/// Unix time at uptime zero, in nanoseconds (the boot epoch); 0 until [`init`] has read the
/// real-time clock, or if it could not, and then the date is the uptime, as in 1970.
static BOOT_EPOCH_NS: AtomicU64 = AtomicU64::new(0);

/// Whether CPUID reports an invariant TSC.
fn has_invariant_tsc() -> bool {
    /// Extended leaf with the "advanced power management" flags.
    const LEAF: u32 = 0x8000_0007;
    /// EDX bit 8: invariant TSC.
    const INVARIANT_TSC: u32 = 1 << 8;
    // SAFETY: CPUID is available on every x86_64 CPU; leaf 0x8000_0000 says which extended leaves
    // exist, and leaf LEAF is only read if it is one of them.
    unsafe {
        let max = core::arch::x86_64::__cpuid(0x8000_0000).eax;
        max >= LEAF && core::arch::x86_64::__cpuid(LEAF).edx & INVARIANT_TSC != 0
    }
}

/// The shortest interval the TSC is measured over against the PIT: 2,386 PIT cycles, 2 ms. A
/// reading of the PIT can be off by a cycle at either end, so this bounds the error at 0.08%.
const MIN_CALIBRATION_PIT_CYCLES: u16 = 2_386;
/// The APIC timer is measured against the TSC (once the TSC's rate is known) over this
/// fraction of a second: 1/5000 s, 200 µs, which is 12,500 counts of QEMU's 62.5 MHz timer.
const APIC_WINDOW_PER_S: u64 = 5_000;

/// The PIT stopwatch [`begin_calibration`] started, with the PIT count and the TSC at the
/// first step of the PIT's count after the start.
static STOPWATCH: spin::Mutex<Option<(pit::Stopwatch, Edge)>> = spin::Mutex::new(None);

/// A moment the PIT's count stepped: the cycles it had counted then, and the TSC.
#[derive(Debug, Clone, Copy)]
struct Edge {
    cycles: u16,
    tsc: u64,
}

/// Waits for the PIT's count to step, and returns that moment; `None` if the count ran out. Both
/// ends of the interval are taken at a step, so neither is off by the part of a PIT cycle
/// (838 ns) that had gone by when it was read.
fn next_edge(watch: &pit::Stopwatch) -> Option<Edge> {
    let before = watch.elapsed()?;
    loop {
        let tsc = crate::arch::x86_64::read_tsc();
        let cycles = watch.elapsed()?;
        if cycles != before {
            return Some(Edge { cycles, tsc });
        }
        core::hint::spin_loop();
    }
}

/// Starts measuring the TSC against the PIT, early in the boot: [`init`] finishes the
/// measurement, and the work in between is the interval. Waiting 10 ms with nothing else to do,
/// as Ferrite once did, is 10 million instructions under `-icount`, more than all the rest of
/// the kernel's boot.
pub fn begin_calibration() {
    let watch = pit::Stopwatch::start();
    if let Some(start) = next_edge(&watch) {
        *STOPWATCH.lock() = Some((watch, start));
    }
}

/// The TSC's rate: its count over at least [`MIN_CALIBRATION_PIT_CYCLES`] since
/// [`begin_calibration`] (waiting for the rest if the boot got there sooner), or, if that was
/// not called or so long ago that the PIT's count ran out, over a fresh interval.
fn measure_tsc_hz() -> u64 {
    if STOPWATCH.lock().is_none() {
        begin_calibration();
    }
    let Some((watch, start)) = STOPWATCH.lock().take() else {
        panic!("the PIT's channel 2 does not count");
    };
    loop {
        let Some(cycles) = watch.elapsed() else {
            break;
        };
        if cycles.wrapping_sub(start.cycles) >= MIN_CALIBRATION_PIT_CYCLES {
            let Some(end) = next_edge(&watch) else {
                break;
            };
            watch.stop();
            let cycles = u64::from(end.cycles - start.cycles);
            return (end.tsc - start.tsc) * pit::FREQUENCY_HZ / cycles;
        }
        core::hint::spin_loop();
    }
    // More than the PIT's whole count (55 ms) went by: start again, and wait.
    watch.stop();
    begin_calibration();
    measure_tsc_hz()
}

/// The APIC timer's rate, counted over [`APIC_WINDOW_PER_S`] of a second of a TSC running at
/// `tsc_hz`.
///
/// Both ends of the window are read by the same code, a reading of the TSC and then of the
/// timer's count, after a first reading that is thrown away. Under QEMU without `-icount` the
/// first run of any code pauses the machine while QEMU translates it, and the timer counts host
/// time: a pause between starting the timer and the first reading made the rate 18 % too high.
fn measure_apic_timer_hz(apic: &LocalApic, tsc_hz: u64) -> u64 {
    let window = tsc_hz / APIC_WINDOW_PER_S;
    let read = || (crate::arch::x86_64::read_tsc(), apic.timer_count());
    apic.start_timer(u32::MAX, None, false);
    let _warm = read();
    let (tsc_start, count_start) = read();
    let (mut tsc_end, mut count_end) = read();
    while tsc_end - tsc_start < window {
        core::hint::spin_loop();
        (tsc_end, count_end) = read();
    }
    apic.stop_timer();
    u64::from(count_start - count_end) * tsc_hz / (tsc_end - tsc_start)
}

/// Measures the TSC against the PIT (see [`begin_calibration`]) and the APIC timer against the
/// TSC, then starts the periodic tick on `vector`. Interrupts must be off; they may be enabled
/// afterwards.
pub fn init(apic: &LocalApic, vector: u8) -> Calibration {
    if let Timing::Jitter { seed } = read_timing() {
        JITTER_STATE.store(xorshift::Rng::new(seed).state(), Ordering::Relaxed);
    }
    let tsc_hz = measure_tsc_hz();
    let apic_timer_hz = measure_apic_timer_hz(apic, tsc_hz);
    let tick_count =
        u32::try_from(apic_timer_hz / TICK_HZ).expect("a tick fits the APIC timer's 32-bit count");
    let calibration = *CALIBRATION.call_once(|| Calibration {
        apic_timer_hz,
        tsc_hz,
        invariant_tsc: has_invariant_tsc(),
        tick_count,
        tsc_at_start: crate::arch::x86_64::read_tsc(),
    });
    apic.start_timer(tick_count, Some(vector), true);
    read_boot_epoch();
    crate::bench::report("timer.apic_hz", calibration.apic_timer_hz, "hz");
    crate::bench::report("timer.tsc_hz", calibration.tsc_hz, "hz");
    calibration
}

/// Called by the timer interrupt, with interrupts off.
pub fn on_tick() {
    TICKS.fetch_add(1, Ordering::Relaxed);
}

/// How this run's ticks fall; read once from fw_cfg (see the `fwcfg` crate's `Timing`).
static TIMING: Once<Timing> = Once::new();
/// The jitter's xorshift64* state; 0 while there is no jitter. Only the tick handler changes it.
static JITTER_STATE: AtomicU64 = AtomicU64::new(0);
/// The most loop rounds a tick's jitter spins: in the debug builds the tests use, a round is
/// some tens of instructions, so at most several hundred thousand instructions, a few per cent
/// of a 10 ms tick under icount (1 ns an instruction). Longer than any short stretch of code,
/// so where the next tick lands within it varies. The spin counts rounds rather than reading
/// the TSC, because under icount every `rdtsc` is slow to emulate.
const JITTER_MAX_ROUNDS: u64 = 20_000;

/// Reads the timing the host asked for (`opt/ferrite/timing`), once; called by [`init`].
fn read_timing() -> Timing {
    *TIMING.call_once(|| {
        let mut buf = [0; 32];
        let Some(text) = crate::drivers::fw_cfg::read_file(fwcfg::TIMING_FILE, &mut buf) else {
            return Timing::Real;
        };
        match core::str::from_utf8(text).ok().and_then(Timing::parse) {
            Some(timing) => timing,
            None => {
                log::warn!("timer: ignoring {} = {text:?}", fwcfg::TIMING_FILE);
                Timing::Real
            }
        }
    })
}

/// The timing this run was started with: `Exact` only when the host said the machine runs
/// under `-icount` without jitter. Tests assert tight time bounds only then.
pub fn timing() -> Timing {
    TIMING.get().copied().unwrap_or(Timing::Real)
}

/// Whether virtual time follows the instructions executed (`-icount`, with or without jitter):
/// then a time bound cannot be broken by the host being busy, only by the kernel.
pub fn timing_is_deterministic() -> bool {
    matches!(timing(), Timing::Exact | Timing::Jitter { .. })
}

/// With jitter on, spins for a random part of [`JITTER_MAX_ROUNDS`], drawn from the seeded
/// sequence: every tick then hands the interrupted code a different share of the next tick.
/// Called by the tick handler after it has counted the tick and woken timers, so deadlines are
/// met as without jitter; only what runs next starts later.
pub fn jitter() {
    let state = JITTER_STATE.load(Ordering::Relaxed);
    if state == 0 {
        return;
    }
    let mut rng = xorshift::Rng::from_state(state);
    let rounds = rng.below(JITTER_MAX_ROUNDS);
    JITTER_STATE.store(rng.state(), Ordering::Relaxed);
    for round in 0..rounds {
        core::hint::black_box(round);
    }
}

/// Ticks since the timer started.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// What calibration measured, once [`init`] has run.
pub fn calibration() -> Option<Calibration> {
    CALIBRATION.get().copied()
}

/// Nanoseconds since the periodic timer started; never less than the previous reading.
pub fn uptime_ns() -> u64 {
    let Some(cal) = CALIBRATION.get() else {
        return 0;
    };
    let now = if cal.invariant_tsc {
        let elapsed = crate::arch::x86_64::read_tsc().wrapping_sub(cal.tsc_at_start);
        (u128::from(elapsed) * u128::from(NS_PER_S) / u128::from(cal.tsc_hz)) as u64
    } else {
        ticks_uptime_ns(cal)
    };
    // A tick that is pending but not yet counted can make `now` lag the previous reading.
    LAST_UPTIME.fetch_max(now, Ordering::Relaxed).max(now)
}

/// Uptime from whole ticks plus the fraction of the current tick the APIC timer has counted.
fn ticks_uptime_ns(cal: &Calibration) -> u64 {
    let Some(apic) = crate::arch::x86_64::apic::local() else {
        return 0;
    };
    loop {
        let before = ticks();
        let remaining = u64::from(apic.timer_count());
        if ticks() != before {
            continue; // a tick arrived in between: read again
        }
        let into_tick = u64::from(cal.tick_count).saturating_sub(remaining);
        return before * (NS_PER_S / TICK_HZ) + into_tick * NS_PER_S / cal.apic_timer_hz;
    }
}

/// Reads the real-time clock and keeps the boot epoch: the clock's Unix time less the uptime.
fn read_boot_epoch() {
    match crate::drivers::rtc::read() {
        Ok(date) => {
            let seconds = u64::try_from(date.unix_seconds()).unwrap_or(0);
            let epoch = (seconds * NS_PER_S).saturating_sub(uptime_ns());
            BOOT_EPOCH_NS.store(epoch, Ordering::Relaxed);
            log::info!("rtc: {date}");
        }
        Err(e) => log::warn!("rtc: no date ({e:?}); the clock starts at 1970"),
    }
}

/// Unix time at uptime zero, in nanoseconds (0 if the real-time clock could not be read).
pub fn boot_epoch_ns() -> u64 {
    BOOT_EPOCH_NS.load(Ordering::Relaxed)
}

/// Nanoseconds since 1970-01-01 00:00:00 UTC (`CLOCK_REALTIME`): the boot epoch plus the
/// uptime, so it never goes backwards either.
pub fn realtime_ns() -> u64 {
    boot_epoch_ns() + uptime_ns()
}

/// Spins until `duration` has passed.
pub fn busy_sleep(duration: Duration) {
    let until = uptime_ns().saturating_add(duration.as_nanos().min(u128::from(u64::MAX)) as u64);
    while uptime_ns() < until {
        core::hint::spin_loop();
    }
}

/// The APIC timer's input (bus) clock, for the curious: its count rate times the divisor.
pub fn apic_bus_hz() -> Option<u64> {
    calibration().map(|cal| cal.apic_timer_hz * u64::from(TIMER_DIVISOR))
}

/// The boot's milestones, as time-stamp counter readings (0 until reached). Under
/// `-icount shift=0` the counter advances once per instruction from the machine's reset, so
/// each reading is the exact cost of everything before it: the firmware and the bootloader up
/// to [`Milestone::KernelEntry`], the kernel's own work after. Each is reported as a `BENCH
/// boot.tsc_at_<name>` line when reached (when the host asks for them, see [`crate::bench`]),
/// and `/proc/boot` lists them; docs/booting.md shows what each stage costs and why.
static MILESTONES: [AtomicU64; Milestone::ALL.len()] =
    [const { AtomicU64::new(0) }; Milestone::ALL.len()];

/// A boot milestone, in the order they are reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// The bootloader jumped to the kernel: the first instruction of `kernel_main`.
    KernelEntry = 0,
    /// The banner is on the screen (serial, framebuffer, GDT and IDT are up).
    Banner = 1,
    /// `init` has set up every subsystem and enabled interrupts.
    BootComplete = 2,
    /// The first process (init) is about to run its first user instruction.
    FirstUserInstruction = 3,
    /// A program first read the console terminal: the shell, waiting at its first prompt.
    ShellPrompt = 4,
}

impl Milestone {
    /// Every milestone, in order.
    pub const ALL: [Milestone; 5] = [
        Milestone::KernelEntry,
        Milestone::Banner,
        Milestone::BootComplete,
        Milestone::FirstUserInstruction,
        Milestone::ShellPrompt,
    ];

    /// The name in `/proc/boot` and in the `BENCH boot.tsc_at_<name>` line.
    pub const fn name(self) -> &'static str {
        match self {
            Milestone::KernelEntry => "kernel_entry",
            Milestone::Banner => "banner",
            Milestone::BootComplete => "boot_complete",
            Milestone::FirstUserInstruction => "first_user_instruction",
            Milestone::ShellPrompt => "shell_prompt",
        }
    }

    /// The name of its `BENCH` line.
    const fn bench_name(self) -> &'static str {
        match self {
            Milestone::KernelEntry => "boot.tsc_at_kernel_entry",
            Milestone::Banner => "boot.tsc_at_banner",
            Milestone::BootComplete => "boot.tsc_at_boot_complete",
            Milestone::FirstUserInstruction => "boot.tsc_at_first_user_instruction",
            Milestone::ShellPrompt => "boot.tsc_at_shell_prompt",
        }
    }
}

/// Records that `milestone` was reached at time-stamp counter reading `tsc`, unless it was
/// reached before; the first time, reports it. For the kernel's entry, which happens before the
/// serial port can report anything: [`report_kernel_entry`] reports it later.
pub fn reached_at(milestone: Milestone, tsc: u64) {
    let first = MILESTONES[milestone as usize]
        .compare_exchange(0, tsc.max(1), Ordering::Relaxed, Ordering::Relaxed)
        .is_ok();
    if first && milestone != Milestone::KernelEntry {
        report_milestone(milestone, tsc);
    }
}

/// Records that `milestone` was reached now (see [`reached_at`]).
pub fn reached(milestone: Milestone) {
    // The fast path first: once reached, a milestone costs one load (the terminal's read path
    // passes here at every read).
    if MILESTONES[milestone as usize].load(Ordering::Relaxed) == 0 {
        reached_at(milestone, crate::arch::x86_64::read_tsc());
    }
}

/// Reports the kernel's entry, recorded before the serial port was ready.
pub fn report_kernel_entry() {
    let at = MILESTONES[Milestone::KernelEntry as usize].load(Ordering::Relaxed);
    if at != 0 {
        report_milestone(Milestone::KernelEntry, at);
    }
}

/// The `BENCH` line of one milestone.
fn report_milestone(milestone: Milestone, tsc: u64) {
    crate::bench::report(milestone.bench_name(), tsc, "tsc");
}

/// Every milestone with its time (0: not reached).
pub fn milestones() -> impl Iterator<Item = (&'static str, u64)> {
    Milestone::ALL
        .iter()
        .zip(&MILESTONES)
        .map(|(m, at)| (m.name(), at.load(Ordering::Relaxed)))
}
