"""Debian's `busybox-static`, a Linux program built for Linux alone, runs unchanged on Ferrite.

The set-up downloads the package (not installed: unpacked under build/busybox/) and packs its
binary into a test image's ramdisk. Each applet whose output is deterministic runs twice, on
Ferrite and on the host, on the same files, and the outputs must be the same. The applets that
report on the machine (`ps`, `top`, `free`, `uptime`, `pidof`) read `/proc` in Linux's formats;
their output is checked against what the guest's own shell and `/proc` say. `busybox sh` is
typed at as a person would, with job control and a `trap`. The system calls Ferrite does not
have yet are logged by the kernel (once per program and call) where `dmesg` reads them, never in
the applet's output; the last test reads that list for the report.

Everything shares one boot: booting is most of the time these tests take.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from consolelib import CONSOLE_POLL_S, SHELL_PROMPT, Console, wait_until

from ferrite_tools import build, image, paths
from ferrite_tools.fs import mkfs, read_file
from ferrite_tools.qemu import Accel, Firmware, Machine, QemuConfig
from ferrite_tools.setup import Toolchain, find_ovmf
from ferrite_tools.waits import Waits

#: The file the applets work on, the same on both sides.
POEM = ["rust never sleeps", "iron and oxygen", "a rust belt of old towns", "nothing here"]
#: Where the guest keeps it.
GUEST_DIR = "/tmp/bb"
#: The kernel log's line for a call a program made that Ferrite lacks.
MISSING_CALL = re.compile(r"pid \d+ \(busybox\): system call \d+ \((\w+)\) is not implemented")


@pytest.fixture(scope="module")
def busybox() -> Path:
    return build.fetch_busybox(verbose=False)


#: The size of the guest's disk (its root file system; /bin, /dev, /proc and /tmp are mounted
#: over it).
DISK_SIZE = 16 * 1024 * 1024
#: The directories the kernel mounts its other file systems on.
MOUNT_POINTS = ("bin", "dev", "proc", "tmp")


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The guest's disk, made empty by the Python twin of the file system."""
    path = tmp_path_factory.mktemp("busybox-disk") / "disk.img"
    mkfs(path, DISK_SIZE, directories=MOUNT_POINTS)
    return path


@pytest.fixture(scope="module")
def shell(
    toolchain: Toolchain,
    accel: Accel,
    waits: Waits,
    busybox: Path,
    disk: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Console]:
    # UEFI: the firmware reads BusyBox's two megabytes at once, where the BIOS path takes
    # several seconds.
    elf = build.build_kernel(toolchain, release=False, verbose=False)
    ramdisk = image.build_ramdisk(toolchain, verbose=False, added=[busybox], out=image.BUSYBOX_RAMDISK)
    images = image.make_images(toolchain, elf, "debug-busybox", {Firmware.UEFI}, ramdisk)
    socket = tmp_path_factory.mktemp("busybox") / "busybox.qmp"
    config = QemuConfig(
        image=images.for_firmware(Firmware.UEFI),
        firmware=Firmware.UEFI,
        ovmf=find_ovmf(),
        accel=accel,
        qmp_socket=socket,
        disk=disk,
    )
    uefi = waits.under(Firmware.UEFI)
    with Machine(config, paths.LOG_DIR / "busybox.log") as machine:
        assert machine.wait_for("Ferrite shell.", uefi.boot), machine.tail()
        assert machine.wait_for(SHELL_PROMPT, uefi.boot), machine.tail()
        assert "mounted on /" in machine.output, machine.tail()
        console = Console(machine, socket, uefi, prompt=SHELL_PROMPT)
        console.run(f"mkdir {GUEST_DIR}; cd {GUEST_DIR}")
        for line in POEM:
            console.run(f"echo '{line}' >> poem")
        yield console


@pytest.fixture(scope="module")
def host_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("busybox-host")
    (folder / "poem").write_text("".join(f"{line}\n" for line in POEM))
    return folder


def guest_lines(reply: str) -> list[str]:
    """The output lines of a command (between its echo and the next prompt)."""
    return reply.replace("\r\n", "\n").split("\n")[1:-1]


@pytest.mark.parametrize(
    "applet",
    [
        ["echo", "hello", "world"],
        ["cat", "poem"],
        ["wc", "poem"],
        ["wc", "-l", "poem"],
        ["ls", "-1"],
        ["grep", "rust", "poem"],
        ["grep", "-c", "o", "poem"],
        ["head", "-n", "2", "poem"],
        ["tail", "-n", "1", "poem"],
    ],
    ids=lambda applet: " ".join(applet),
)
def test_the_applet_prints_what_it_prints_on_the_host(shell: Console, busybox: Path, host_dir: Path, applet: list[str]) -> None:
    ours = guest_lines(shell.run("busybox " + " ".join(applet)))
    theirs = subprocess.run([str(busybox), *applet], cwd=host_dir, capture_output=True, text=True, check=True)
    assert ours == theirs.stdout.splitlines(), "the kernel log (dmesg) names the calls BusyBox missed"


#: Command lines whose output is the same wherever they run; `busybox` is the applet's binary
#: (on the host, the same file by its path).
PIPELINES = [
    "busybox sort poem",
    "busybox sort -r poem",
    "busybox awk '{print $2}' poem",
    "busybox awk '{n += length($0)} END {print n, NR}' poem",
    "busybox sed s/rust/iron/g poem",
    "busybox sed -n 2,3p poem",
    "busybox find . -name poem",
    "busybox xargs -n 2 busybox echo < poem",
    "busybox sort poem | busybox uniq -c",
    "busybox tr a-z A-Z < poem | busybox cut -c1-8",
    "busybox date -u -d @86400 '+%Y-%m-%d %H:%M:%S'",
]


@pytest.mark.parametrize("line", PIPELINES)
def test_the_command_line_prints_what_it_prints_on_the_host(shell: Console, busybox: Path, host_dir: Path, line: str) -> None:
    ours = guest_lines(shell.run(line))
    theirs = subprocess.run(line.replace("busybox", str(busybox)), shell=True, cwd=host_dir, capture_output=True, text=True, check=True)
    assert ours == theirs.stdout.splitlines(), "the kernel log (dmesg) names the calls BusyBox missed"


def test_tar_round_trip_gives_back_the_same_file(shell: Console, busybox: Path, host_dir: Path) -> None:
    reply = shell.run(
        "busybox tar cf /tmp/bb.tar poem && busybox tar tf /tmp/bb.tar && mkdir /tmp/bbx && "
        "busybox tar xf /tmp/bb.tar -C /tmp/bbx && busybox cmp poem /tmp/bbx/poem && echo same"
    )
    assert guest_lines(reply) == ["poem", "same"]
    # The archive's header says the file's mode, owner and size, as the host's tar would.
    listing = guest_lines(shell.run("busybox tar tvf /tmp/bb.tar"))
    size = (host_dir / "poem").stat().st_size
    assert len(listing) == 1 and re.match(rf"-rw-r--r-- 0/0\s+{size} \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d poem$", listing[0]), listing


def test_date_is_the_hosts_and_timeout_ends_a_slow_program(shell: Console) -> None:
    # QEMU's real-time clock starts at the host's time; allow for the boot and a slow machine.
    seconds = int(guest_lines(shell.run("busybox date +%s"))[0])
    assert abs(seconds - time.time()) < 300, seconds
    # timeout sends SIGTERM: the shell reports 128 + 15.
    assert guest_lines(shell.run("busybox timeout 1 busybox sleep 10; echo $?"))[-1] == "143"
    assert guest_lines(shell.run("busybox timeout 5 busybox true; echo $?")) == ["0"]


def ps_rows(reply: str) -> dict[str, list[str]]:
    """busybox `ps -o pid,ppid,stat,args` output by pid: the other three columns."""
    table = guest_lines(reply)
    assert table[0].split() == ["PID", "PPID", "STAT", "COMMAND"], table
    return {fields[0]: fields[1:] for fields in (line.split(None, 3) for line in table[1:])}


def test_ps_top_and_pidof_read_proc(shell: Console) -> None:
    """A background `sleep` as busybox's `ps` and `top` see it through `/proc/PID/stat` and
    `cmdline`: its parent is the shell, it sleeps (S), and stopped it shows T."""
    shell_pid = guest_lines(shell.run("echo $$"))[0]
    reply = shell.run("busybox sleep 100 &")
    match = re.search(r"\[\d+\] (\d+)", reply)
    assert match, reply
    pid = match.group(1)

    def shown_as(row: list[str]) -> Callable[[], bool]:
        # The child runs the shell until its execve, and a stop takes effect when the stopped
        # process next looks at its signals: ask until ps shows what is expected.
        return lambda: ps_rows(shell.run("busybox ps -o pid,ppid,stat,args")).get(pid) == row

    def table() -> str:
        return shell.run("busybox ps -o pid,ppid,stat,args")

    try:
        wait_until(shown_as([shell_pid, "S", "busybox sleep 100"]), shell.waits.reply, table, CONSOLE_POLL_S)
        assert ps_rows(table())[shell_pid][1:] == ["S", "sh"]
        shell.run(f"kill -STOP {pid}")
        wait_until(shown_as([shell_pid, "T", "busybox sleep 100"]), shell.waits.reply, table, CONSOLE_POLL_S)
        top = guest_lines(shell.run("busybox top -b -n 1"))
        assert re.match(r"Mem: \d+K used, \d+K free, 0K shrd, 0K buff, 0K cached$", top[0]), top
        assert re.match(r"CPU:\s+\d+% usr\s+\d+% sys\s+\d+% nic\s+\d+% idle", top[1]), top
        assert re.match(r"Load average: \d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+$", top[2]), top
        assert top[3].split() == ["PID", "PPID", "USER", "STAT", "VSZ", "%VSZ", "%CPU", "COMMAND"], top
        sleeper = next(line.split(None, 7) for line in top[4:] if line.split()[:1] == [pid])
        assert sleeper[1:4] == [shell_pid, "0", "T"] and sleeper[7] == "busybox sleep 100", sleeper
        # Without -b, top draws for the terminal (its size from TIOCGWINSZ) and still ends after one
        # screen.
        screen = shell.run("busybox top -n 1")
        assert "Load average:" in screen and "busybox sleep 100" in screen, screen
        assert guest_lines(shell.run("busybox pidof sh")) == [shell_pid]
        assert pid in guest_lines(shell.run("busybox pidof busybox"))[0].split()
    finally:
        # A stopped process takes SIGTERM only once continued (as on Linux).
        shell.run(f"kill -CONT {pid}; kill {pid}; wait")


def test_ls_and_readlink_read_proc_self_fd_and_task(shell: Console) -> None:
    """`/proc/PID/fd` as busybox's `ls -l` and `readlink` read it: a link per descriptor, named by
    its number, with the descriptor's access mode for permissions and what it is open on for
    text (a file's path, a pipe's `pipe:[INO]`); `/proc/PID/task` has the one thread, by its id."""
    listing = guest_lines(shell.run("busybox ls -l /proc/self/fd < poem"))
    links = {fields[-3]: (fields[0], fields[-1]) for fields in (line.split() for line in listing) if "->" in fields}
    assert links.get("0") == ("lr-x------", f"{GUEST_DIR}/poem"), listing
    assert links.get("1", ("", ""))[1].startswith("/dev/"), listing
    assert guest_lines(shell.run("busybox readlink /proc/self/fd/0 < poem")) == [f"{GUEST_DIR}/poem"]
    piped = guest_lines(shell.run("echo hi | busybox readlink /proc/self/fd/0"))
    assert len(piped) == 1 and re.fullmatch(r"pipe:\[\d+\]", piped[0]), piped
    threads = guest_lines(shell.run("busybox ls /proc/self/task"))
    assert len(threads) == 1 and threads[0].isdigit(), threads


def test_ps_shows_a_zombie_as_z(shell: Console) -> None:
    """A child whose parent never waits: `Z`, and its name in brackets, since a zombie's
    `cmdline` is empty (its memory is gone). Its name is `exe`: busybox's shell runs an applet
    by executing `/proc/self/exe`, and the name a process gets is the last part of the path
    it was executed by, as on Linux."""
    reply = shell.run("busybox sh -c 'busybox true & exec busybox sleep 3' &")
    match = re.search(r"\[\d+\] (\d+)", reply)
    assert match, reply
    parent = match.group(1)

    def zombie() -> bool:
        rows = ps_rows(shell.run("busybox ps -o pid,ppid,stat,args"))
        return [parent, "Z", "[exe]"] in rows.values()

    try:
        wait_until(zombie, shell.waits.reply, lambda: shell.run("busybox ps -o pid,ppid,stat,args"), CONSOLE_POLL_S)
    finally:
        shell.run(f"kill {parent}; wait")


def test_free_and_uptime_agree_with_proc(shell: Console) -> None:
    meminfo = {
        fields[0].rstrip(":"): int(fields[1]) for fields in (line.split() for line in guest_lines(shell.run("cat /proc/meminfo")))
    }
    assert meminfo["MemFree"] <= meminfo["MemAvailable"] <= meminfo["MemTotal"]
    free = guest_lines(shell.run("busybox free"))
    assert free[0].split() == ["total", "used", "free", "shared", "buff/cache", "available"], free
    mem = free[1].split()
    assert mem[0] == "Mem:" and int(mem[1]) == meminfo["MemTotal"], free
    assert free[2].split() == ["Swap:", "0", "0", "0"], free
    uptime = guest_lines(shell.run("busybox uptime"))
    load = r"\d+\.\d\d"
    assert re.match(rf" \d\d:\d\d:\d\d up +\d+ min, +0 users, +load average: {load}, {load}, {load}$", uptime[0]), uptime
    up, idle = (float(n) for n in guest_lines(shell.run("cat /proc/uptime"))[0].split())
    assert 0 <= idle <= up
    # The one reading it is running; the idle thread is not counted.
    loadavg = guest_lines(shell.run("cat /proc/loadavg"))[0]
    match = re.match(rf"{load} {load} {load} (\d+)/(\d+) \d+$", loadavg)
    assert match and 1 <= int(match.group(1)) <= int(match.group(2)), loadavg
    stat = {line.split()[0]: line.split()[1:] for line in guest_lines(shell.run("cat /proc/stat"))}
    assert len(stat["cpu"]) == len(stat["cpu0"]) == 10, stat
    assert abs(int(stat["btime"][0]) + up - time.time()) < 300, stat
    assert int(stat["procs_running"][0]) >= 1 and int(stat["processes"][0]) > 1, stat


#: The prompt the busybox shell is given, told apart from Ferrite's shell's.
ASH_PROMPT = "bb$ "
#: Ctrl-Z and Ctrl-C, as a terminal sends them.
CTRL_Z = "\x1a"
CTRL_C = "\x03"


def test_busybox_sh_does_job_control_and_traps(shell: Console) -> None:
    """busybox's own shell (ash), interactive on the serial terminal: a background job listed,
    killed by job number; a foreground job stopped with Ctrl-Z, continued with `bg`; a `trap`."""
    shell.type_until(f"busybox env PS1='{ASH_PROMPT}' busybox sh\r", re.escape(ASH_PROMPT))
    ash = Console(shell.machine, shell.qmp_socket, shell.waits, prompt=ASH_PROMPT)
    job = "busybox sh -c 'echo started; exec busybox sleep 100'"
    try:
        ash.run("sleep 100 &")
        assert re.search(r"\[1\]\+ +Running +sleep 100", ash.run("jobs"))
        ash.run("kill %1")
        assert re.search(r"\[1\]\+ +Terminated +sleep 100", ash.run("jobs"))
        ash.run("trap 'echo got USR1' USR1")
        assert guest_lines(ash.run("kill -USR1 $$")) == ["got USR1"]
        # The job prints once it runs, in its own process group, which by then has the terminal:
        # Ctrl-Z before that would reach ash itself, which ignores it.
        ash.type_until(job + "\r", r"\nstarted\r?\n")
        stopped = ash.type_and_wait(CTRL_Z)
        assert re.search(r"\[1\]\+ +Stopped +busybox sh -c", stopped), stopped
        ash.run("bg %1")
        assert re.search(r"\[1\]\+ +Running +busybox sh -c", ash.run("jobs"))
        ash.run("kill %1; wait")
    finally:
        # Ctrl-C first, so that a job a failure left in the foreground cannot keep the shell
        # from reading `exit`.
        ash.type_and_wait(CTRL_C)
        shell.run("exit")


#: The Escape key, as a terminal sends it.
ESC = "\x1b"
#: How long an editor is given to tell a lone Escape from the start of an escape sequence
#: (busybox vi waits 50 ms for a sequence's next byte).
ESCAPE_PAUSE_S = 0.5


def test_busybox_vi_edits_a_file_on_the_disk_and_saves_it(shell: Console, disk: Path) -> None:
    """busybox vi, full-screen on the serial terminal, on a file of the disk: the file drawn, a
    line deleted (`dd`), a line added at the end (`Go`), Escape, `:wq`; after `sync` the Python
    twin of the file system reads the edited text from the disk image."""
    shell.run("cp poem /verse")
    shell.type_until("busybox vi /verse\r", re.escape(POEM[-1]))
    # vi draws the new line in pieces, with cursor moves between them.
    shell.type_until("ddGowritten in vi", r"written in[\s\S]*vi")
    shell.machine.send(ESC)
    time.sleep(ESCAPE_PAUSE_S)
    shell.type_and_wait(":wq\r")
    edited = [*POEM[1:], "written in vi"]
    assert guest_lines(shell.run("cat /verse")) == edited
    shell.run("sync")
    assert read_file(disk, "/verse").decode().splitlines() == edited


def test_busybox_sh_runs_a_pipeline(shell: Console) -> None:
    ours = guest_lines(shell.run("busybox sh -c 'echo hi | busybox wc -c; busybox echo done'"))
    assert ours == ["3", "done"], "the kernel log (dmesg) names the calls BusyBox missed"


def test_missing_calls_are_in_the_kernel_log_and_busybox_dmesg_reads_it(shell: Console) -> None:
    """BusyBox's own `dmesg` reads the log through `syslog(2)` as on Linux, and shows the calls
    Ferrite lacks, each once per program."""
    # Applets that ask for calls Ferrite does not have (yet): the scheduling priority
    # (getpriority) and the I/O priority (ioprio_get).
    shell.run("busybox nice; busybox ionice")
    ours = "\n".join(guest_lines(shell.run("dmesg")))
    theirs = "\n".join(guest_lines(shell.run("busybox dmesg")))
    missing = sorted({m.group(1) for m in MISSING_CALL.finditer(ours)})
    assert missing, ours[-1500:]
    # BusyBox's dmesg is itself a BusyBox program, so it may add its own lines to the log.
    assert {m.group(1) for m in MISSING_CALL.finditer(theirs)} >= set(missing)
    print(f"system calls BusyBox made that Ferrite lacks: {missing}")
