//! Measurements the kernel reports to the host, one `BENCH` line each on the serial port.
//!
//! A benchmark of a kernel needs a clock both sides trust. Wall time on the host mixes in QEMU's
//! start-up, the host's load and the speed of the machine; the guest's own time-stamp counter
//! does not. Under QEMU's `-icount shift=0,align=off,sleep=off` the TSC is the virtual clock,
//! which advances exactly one nanosecond per guest instruction (and jumps over time the CPU
//! spends halted), so a reading taken in the kernel is an instruction count that another run of
//! the same image reproduces. `./x.py bench` boots images that way and reads these lines.
//!
//! The line format is defined here and in `tools/ferrite_tools/contract.py`
//! (`tests/test_contract.py` checks that they agree): `BENCH <name>=<integer> unit=<unit>`.
//! Serial only, never the screen, and only when the host asks (the fw_cfg file
//! [`fwcfg::BENCH_FILE`], which `./x.py bench` passes): the figures are for the tools, and a
//! person at `./x.py run` reads the serial console too.

use crate::drivers::serial;
use spin::Once;

/// Whether the host asked for the lines; read from fw_cfg at the first report.
static WANTED: Once<bool> = Once::new();

/// Whether `BENCH` lines are wanted.
pub fn wanted() -> bool {
    *WANTED.call_once(|| {
        let mut buf = [0u8; 8];
        crate::drivers::fw_cfg::read_file(fwcfg::BENCH_FILE, &mut buf).is_some()
    })
}

/// Starts every measurement line.
pub const PREFIX: &str = "BENCH ";

/// Reports one measurement, `value` counted in `unit` (for example `tsc` for time-stamp counter
/// ticks). `name` is dotted, subsystem first (`boot.tsc_at_banner`).
pub fn report(name: &str, value: u64, unit: &str) {
    if !wanted() {
        return;
    }
    // On a line of its own: the shell's first prompt, say, does not end its line.
    serial::write_fmt_own_line(format_args!("{PREFIX}{name}={value} unit={unit}\n"));
}
