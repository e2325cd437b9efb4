"""Ferrite's host tools: set-up, build, disk images, QEMU, the test harness and benchmarks.

Split by role (see docs/tools.md): `cli` is a table of commands; `build` and `image` run cargo
and the image builder; `qemu` owns QEMU processes; `ktap` parses what test kernels print;
`harness` turns a boot into a test result; `printer` formats results; `testcmd` runs every
suite. Data passes between them as typed, frozen dataclasses.

The modules are stacked, bottom to top. A module imports only modules on levels below its own,
never one beside or above it, with no exception for imports inside functions: so there is no
import circle, a module can be read and tested knowing only what is under it, and a leaf such as
`contract` or `measurements` is where a shared value goes. tests/test_tool_imports.py reads this
list and checks every import in the tools against it.

1. `paths`, `errors`, `contract`: where things are, the one exception root, the numbers and
   markers shared with the kernel. They import nothing of the tools.
2. `results`, `measurements`, `ktap`, `psf`, `layers`, `syscalls`, `initrd`, `fs`, `setup`:
   data and pure readers and writers (test results, BENCH figures, KTAP, fonts, the kernel's
   layers, the system calls it answers, the one newc cpio writer, the disk file system), and
   set-up's toolchain and requirements.
3. `printer`, `screen`, `benchreport`, `qemu`, `symbolize`: formatting results, reading a
   screendump, the benchmark's report and gate, QEMU's settings and processes, names for the
   kernel's addresses (it needs `setup`'s LLVM folder).
4. `kvm`, `build`, `waits`: whether KVM works (and so which accelerator), cargo builds, how
   long a test waits for a machine (base waits times one scale; it needs only `qemu`'s enums).
5. `image`: the ramdisk and the BIOS and UEFI images.
6. `harness`, `peer`, `disk`: a test kernel's boot judged, Linux as the benchmark's peer, the
   persistent disk and the image commands.
7. `bench`, `terminal`: the benchmark; Ferrite on this terminal (`./x.py run`).
8. `debugger`, `book`, `testcmd`: `./x.py debug`, `./x.py book`, `./x.py test`.
9. `cli`: the command table.
10. `bootstrap`: what x.py runs first: set-up, then a command from the table.
"""
