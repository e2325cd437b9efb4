//! The in-kernel test runner: runs test functions and reports KTAP over the serial port.
//!
//! A kernel test cannot use Rust's standard test harness, which needs threads, unwinding and a
//! process to exit. Rust's `custom_test_frameworks` feature keeps the part that matters: the
//! compiler still collects every `#[test_case]` function, and hands the list to
//! [`run_tests`]. That function prints a KTAP report (see the `ktap` crate) on COM1, one result
//! line per test, and ends QEMU through the exit device with success.
//!
//! A failing assertion panics. There is no unwinding, so the panic handler asks [`on_panic`] to
//! finish the report: it prints `not ok` for the running test and ends QEMU with failure. The
//! tests after it do not run, and the host sees fewer results than the plan announced and says
//! so. A test that is *meant* to panic is run by [`run_should_panic`], for which the same path
//! reports `ok` instead.

use crate::drivers::qemu_exit::{exit, ExitCode};
use crate::drivers::serial;
use crate::platform::Boot;
use core::panic::PanicInfo;
use core::sync::atomic::{AtomicBool, Ordering};
use ktap::Outcome;
use spin::{Mutex, Once};

/// Set as the first thing a test kernel does. A panic outside any test (during boot, say) then
/// ends QEMU with failure at once, instead of halting until the host's timeout runs out.
static TEST_KERNEL: AtomicBool = AtomicBool::new(false);

/// The start of the line a test kernel carries in its binary to tell the host how to boot it
/// (`tools/ferrite_tools/harness.py` looks for it): which firmware, which timings. Written by
/// [`test_kernel!`](crate::test_kernel) from its arguments; a kernel that says nothing boots
/// once, under BIOS, with real timing.
pub const CONFIG_PREFIX: &str = "ferrite-test-kernel:";

/// Marks this kernel as a test kernel; see [`TEST_KERNEL`]. [`test_kernel!`](crate::test_kernel)
/// calls it, and so must a `harness = false` test kernel, before [`crate::init`]. `config` is the
/// kernel's line for the host (see [`CONFIG_PREFIX`]): passing it here keeps it in the binary,
/// where the host reads it before booting.
pub fn enter_test_kernel(config: &'static str) {
    core::hint::black_box(config);
    TEST_KERNEL.store(true, Ordering::Relaxed);
}

/// What [`crate::init`] returned in this test kernel, for tests that inspect the boot.
static BOOT: Once<Boot> = Once::new();

/// Keeps the boot information for [`boot`]; called by [`test_kernel!`](crate::test_kernel).
pub fn record_boot(boot: Boot) {
    BOOT.call_once(|| boot);
}

/// The boot information of this test kernel.
pub fn boot() -> &'static Boot {
    BOOT.get()
        .expect("test_kernel! records the boot before any test runs")
}

/// Declares a test kernel's entry point: boot like the real kernel, keep the boot information
/// for [`boot`], run the tests through `test_main` (the function that
/// `#![reexport_test_harness_main = "test_main"]` names), and halt if they ever return.
///
/// The arguments, all optional, tell the host how to boot the kernel; nothing else about a test
/// kernel has to be written down anywhere (the host finds every file of `kernel/tests/`):
///
/// * `firmware = "bios uefi"`: which firmware(s) boot it (`bios`, `uefi`; default `bios`);
/// * `timing = "exact"`: its first boot under icount, so its figures are exact (default `real`);
/// * `races = true`: a concurrency kernel, booted again under other timings (real TCG, and
///   icount with each seed of jitter) to try other interleavings.
///
/// `ferrite::test_kernel!(timing = "exact", races = true);`
#[macro_export]
macro_rules! test_kernel {
    ($($key:ident = $value:literal),* $(,)?) => {
        $crate::__bootloader_api::entry_point!(
            __ferrite_test_kernel_main,
            config = &$crate::BOOTLOADER_CONFIG
        );

        fn __ferrite_test_kernel_main(
            boot_info: &'static mut $crate::__bootloader_api::BootInfo,
        ) -> ! {
            $crate::testing::enter_test_kernel(concat!(
                "ferrite-test-kernel:",
                $(" ", stringify!($key), "=", stringify!($value),)*
                "\n"
            ));
            $crate::testing::record_boot($crate::init(boot_info));
            test_main();
            $crate::arch::x86_64::halt_forever()
        }
    };
}

/// Declares a `harness = false` test kernel whose one test passes only by panicking with a
/// message containing `$expected`: boot like the real kernel, then [`run_should_panic`].
#[macro_export]
macro_rules! should_panic_kernel {
    ($name:expr, $expected:expr, $test:expr) => {
        $crate::__bootloader_api::entry_point!(
            __ferrite_should_panic_main,
            config = &$crate::BOOTLOADER_CONFIG
        );

        fn __ferrite_should_panic_main(
            boot_info: &'static mut $crate::__bootloader_api::BootInfo,
        ) -> ! {
            $crate::testing::enter_test_kernel("ferrite-test-kernel:\n");
            $crate::testing::record_boot($crate::init(boot_info));
            $crate::testing::run_should_panic($name, $expected, $test)
        }
    };
}

/// A test the runner can run: any function, named after its path in the crate.
pub trait Testable {
    /// Runs the test; returning means it passed.
    fn run(&self);
    /// The test's name in the report.
    fn name(&self) -> &'static str;
}

impl<T: Fn()> Testable for T {
    fn run(&self) {
        self()
    }

    fn name(&self) -> &'static str {
        core::any::type_name::<T>()
    }
}

/// What a panic means for the report.
#[derive(Clone, Copy)]
enum PanicMeans {
    Failure,
    /// Success, if the message contains this text.
    Success(&'static str),
}

/// The test that is running now.
#[derive(Clone, Copy)]
struct Running {
    number: usize,
    name: &'static str,
    panic_means: PanicMeans,
}

/// Starts the diagnostic line that names the test about to run; the host tools look for it
/// (`RUNNING_PREFIX` in `tools/ferrite_tools/harness.py`).
pub const RUNNING_PREFIX: &str = "test: ";

/// Set while a test runs. The lock is only held for a moment by the runner, and the panic
/// handler only tries it, so it can never deadlock.
static RUNNING: Mutex<Option<Running>> = Mutex::new(None);

/// Writes one KTAP line (or lines) through the serial port.
fn report(write: impl FnOnce(&mut SerialSink) -> core::fmt::Result) {
    let _ = write(&mut SerialSink);
}

/// Writes KTAP lines from the panic handler, which must never wait for the serial lock.
fn report_panicking(write: impl FnOnce(&mut PanickingSink) -> core::fmt::Result) {
    let _ = write(&mut PanickingSink);
}

/// Adapts the serial port to `core::fmt::Write` for the `ktap` crate.
struct SerialSink;

impl core::fmt::Write for SerialSink {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        serial::write_str(s);
        Ok(())
    }
}

/// Like [`SerialSink`], through the serial port's panic path.
struct PanickingSink;

impl core::fmt::Write for PanickingSink {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        serial::write_fmt_panicking(format_args!("{s}"));
        Ok(())
    }
}

/// Runs every test and reports each as it finishes, then ends QEMU with success. A failing test
/// never returns here (see [`on_panic`]).
pub fn run_tests(tests: &[&dyn Testable]) {
    report(|out| ktap::header(out, tests.len()));
    for (index, test) in tests.iter().enumerate() {
        let number = index + 1;
        *RUNNING.lock() = Some(Running {
            number,
            name: test.name(),
            panic_means: PanicMeans::Failure,
        });
        // Names the test before it runs, so the host can name it if it hangs or the machine
        // resets (there is no result line to read then).
        report(|out| ktap::diagnostic(out, format_args!("{RUNNING_PREFIX}{}", test.name())));
        test.run();
        *RUNNING.lock() = None;
        report(|out| ktap::result(out, number, test.name(), Outcome::Ok));
    }
    exit(ExitCode::Success)
}

/// Runs one test that passes only by panicking with a message that contains `expected` (any
/// message, if it is empty): the whole report of a `harness = false` test kernel. If `test`
/// returns, it failed.
pub fn run_should_panic(name: &'static str, expected: &'static str, test: fn()) -> ! {
    report(|out| ktap::header(out, 1));
    *RUNNING.lock() = Some(Running {
        number: 1,
        name,
        panic_means: PanicMeans::Success(expected),
    });
    report(|out| ktap::diagnostic(out, format_args!("{RUNNING_PREFIX}{name}")));
    test();
    report(|out| ktap::diagnostic(out, format_args!("returned without panicking")));
    report(|out| ktap::result(out, 1, name, Outcome::NotOk));
    exit(ExitCode::Failure)
}

/// Whether formatting `message` produces text that contains `needle`, without a heap: the text
/// is formatted into a fixed buffer (panic messages and diagnostics are short; a longer text is
/// cut off). For tests of `Display` implementations, and for [`run_should_panic`].
pub fn message_contains(message: core::fmt::Arguments<'_>, needle: &str) -> bool {
    /// Longest message prefix searched.
    const MAX: usize = 2048;
    struct Buffer {
        bytes: [u8; MAX],
        len: usize,
    }
    impl core::fmt::Write for Buffer {
        fn write_str(&mut self, s: &str) -> core::fmt::Result {
            let take = s.len().min(MAX - self.len);
            self.bytes[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
            self.len += take;
            Ok(())
        }
    }
    let mut buffer = Buffer {
        bytes: [0; MAX],
        len: 0,
    };
    let _ = core::fmt::write(&mut buffer, message);
    let text = &buffer.bytes[..buffer.len];
    needle.is_empty()
        || text
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
}

/// Called by the panic handler. If a test is running, finishes its report line and ends QEMU;
/// in a test kernel outside any test, ends QEMU with failure; otherwise returns and the handler
/// halts.
pub fn on_panic(info: &PanicInfo<'_>) {
    let Some(running) = RUNNING.try_lock().and_then(|guard| *guard) else {
        if TEST_KERNEL.load(Ordering::Relaxed) {
            report_panicking(|out| {
                ktap::diagnostic(out, format_args!("panicked outside any test"))
            });
            exit(ExitCode::Failure);
        }
        return;
    };
    report_panicking(|out| ktap::diagnostic(out, format_args!("panicked: {}", info.message())));
    let (outcome, code) = match running.panic_means {
        PanicMeans::Failure => (Outcome::NotOk, ExitCode::Failure),
        PanicMeans::Success(expected)
            if message_contains(format_args!("{}", info.message()), expected) =>
        {
            (Outcome::Ok, ExitCode::Success)
        }
        PanicMeans::Success(expected) => {
            report_panicking(|out| {
                ktap::diagnostic(
                    out,
                    format_args!("expected a panic message containing {expected:?}"),
                )
            });
            (Outcome::NotOk, ExitCode::Failure)
        }
    };
    report_panicking(|out| ktap::result(out, running.number, running.name, outcome));
    exit(code)
}
