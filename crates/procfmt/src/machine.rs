//! The machine's files: `/proc/meminfo`, `/proc/stat`, `/proc/uptime` and `/proc/loadavg`.
//!
//! Each describes the whole machine rather than one process: how its memory is used, where the
//! CPU's time went since boot, how long it has been up, and how busy its run queue has been.

use alloc::string::String;
use core::fmt::Write;

/// What `/proc/meminfo` reports, in KiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Memory the kernel manages.
    pub total: u64,
    /// Memory nothing uses.
    pub free: u64,
    /// Memory a program could get without swapping: free memory plus caches that could be
    /// dropped.
    pub available: u64,
    /// Block-device buffers.
    pub buffers: u64,
    /// The page cache (file contents kept in memory).
    pub cached: u64,
    /// Memory in programs' private pages.
    pub anon: u64,
    /// Shared memory and in-memory file systems' files.
    pub shmem: u64,
    /// The kernel's own allocations.
    pub slab: u64,
    /// Page tables.
    pub page_tables: u64,
    /// Kernel stacks.
    pub kernel_stack: u64,
}

/// One line of `meminfo`: the key and colon left-aligned in 16 columns, the number right-aligned
/// in 8, then ` kB`.
pub fn meminfo_line(text: &mut String, key: &str, kib: u64) {
    let _ = writeln!(text, "{:<16}{kib:>8} kB", alloc::format!("{key}:"));
}

/// `/proc/meminfo` in Linux's order (no swap: its lines say 0).
pub fn meminfo(m: &Memory) -> String {
    let mut text = String::new();
    let lines: [(&str, u64); 18] = [
        ("MemTotal", m.total),
        ("MemFree", m.free),
        ("MemAvailable", m.available),
        ("Buffers", m.buffers),
        ("Cached", m.cached),
        ("SwapCached", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", m.anon),
        ("Mapped", 0),
        ("Shmem", m.shmem),
        ("Slab", m.slab),
        ("SReclaimable", 0),
        ("SUnreclaim", m.slab),
        ("KernelStack", m.kernel_stack),
        ("PageTables", m.page_tables),
    ];
    for (key, kib) in lines {
        meminfo_line(&mut text, key, kib);
    }
    text
}

/// Clock ticks a CPU spent in each kind of work: the columns of a `cpu` line of `/proc/stat`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// Running programs.
    pub user: u64,
    /// Running programs with a positive nice value.
    pub nice: u64,
    /// Running the kernel.
    pub system: u64,
    /// Halted with nothing to do.
    pub idle: u64,
    /// Idle while a disk request was outstanding.
    pub iowait: u64,
    /// Handling interrupts.
    pub irq: u64,
}

/// What `/proc/stat` reports besides the CPU times.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Interrupts since boot.
    pub interrupts: u64,
    /// Context switches since boot.
    pub context_switches: u64,
    /// Unix time of the boot, in seconds.
    pub boot_time: u64,
    /// Processes created since boot (forks).
    pub processes: u64,
    /// Threads running or ready to run.
    pub running: u32,
    /// Threads waiting for a disk.
    pub blocked: u32,
}

/// `/proc/stat`: the `cpu` line of all CPUs together, one `cpuN` line per CPU, then the
/// counters. The ten columns are user, nice, system, idle, iowait, irq, softirq, steal, guest
/// and guest_nice; the last four are always 0 here.
pub fn stat_file(total: &CpuTimes, per_cpu: &[CpuTimes], c: &Counters) -> String {
    let mut text = String::new();
    cpu_line(&mut text, "cpu ", total);
    for (n, cpu) in per_cpu.iter().enumerate() {
        cpu_line(&mut text, &alloc::format!("cpu{n}"), cpu);
    }
    let _ = writeln!(text, "intr {}", c.interrupts);
    let _ = writeln!(text, "ctxt {}", c.context_switches);
    let _ = writeln!(text, "btime {}", c.boot_time);
    let _ = writeln!(text, "processes {}", c.processes);
    let _ = writeln!(text, "procs_running {}", c.running);
    let _ = writeln!(text, "procs_blocked {}", c.blocked);
    text
}

/// One `cpu` line. The label of the total is `cpu` and a space, so its numbers start in the
/// same column as a `cpu0` line's.
fn cpu_line(text: &mut String, label: &str, t: &CpuTimes) {
    let _ = writeln!(
        text,
        "{label} {} {} {} {} {} {} 0 0 0 0",
        t.user, t.nice, t.system, t.idle, t.iowait, t.irq
    );
}

/// Nanoseconds in a hundredth of a second.
const NS_PER_CENTI: u64 = 10_000_000;
/// Hundredths in a second.
const CENTIS: u64 = 100;

/// `/proc/uptime`: seconds since boot and seconds the CPUs spent idle, each with two decimals.
pub fn uptime(uptime_ns: u64, idle_ns: u64) -> String {
    let (up, idle) = (uptime_ns / NS_PER_CENTI, idle_ns / NS_PER_CENTI);
    alloc::format!(
        "{}.{:02} {}.{:02}\n",
        up / CENTIS,
        up % CENTIS,
        idle / CENTIS,
        idle % CENTIS
    )
}

/// `/proc/loadavg`: the load averages over 1, 5 and 15 minutes (in hundredths), the threads
/// that can run now and all threads (`running/total`), and the last pid handed out.
pub fn loadavg(loads: [u64; 3], running: u32, total: u32, last_pid: u32) -> String {
    let mut text = String::new();
    for load in loads {
        let _ = write!(text, "{}.{:02} ", load / CENTIS, load % CENTIS);
    }
    let _ = writeln!(text, "{running}/{total} {last_pid}");
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn meminfo_lines_line_up_as_linuxs_do() {
        let text = meminfo(&Memory {
            total: 16_318_412,
            free: 123_456,
            available: 7,
            ..Memory::default()
        });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "MemTotal:       16318412 kB");
        assert_eq!(lines[1], "MemFree:          123456 kB");
        assert_eq!(lines[2], "MemAvailable:          7 kB");
        assert!(lines.contains(&"SwapTotal:             0 kB"));
        assert!(lines.iter().all(|l| l.len() == 27), "{text}");
    }

    #[test]
    fn proc_stat_starts_with_the_cpu_totals() {
        let cpu = CpuTimes {
            user: 5,
            system: 2,
            idle: 93,
            ..CpuTimes::default()
        };
        let text = stat_file(
            &cpu,
            &[cpu],
            &Counters {
                boot_time: 1_700_000_000,
                processes: 12,
                running: 1,
                ..Counters::default()
            },
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "cpu  5 0 2 93 0 0 0 0 0 0");
        assert_eq!(lines[1], "cpu0 5 0 2 93 0 0 0 0 0 0");
        assert!(lines.contains(&"btime 1700000000"));
        assert!(lines.contains(&"processes 12"));
        assert!(lines.contains(&"procs_running 1"));
    }

    #[test]
    fn uptime_and_loadavg_have_two_decimals() {
        assert_eq!(uptime(12_345_678_901, 10_050_000_000), "12.34 10.05\n");
        assert_eq!(uptime(0, 0), "0.00 0.00\n");
        assert_eq!(
            loadavg([0, 105, 2000], 1, 6, 93),
            "0.00 1.05 20.00 1/6 93\n"
        );
    }
}
