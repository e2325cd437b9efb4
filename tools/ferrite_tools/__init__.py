"""Ferrite's host tools: set-up, build, disk images, QEMU, the test harness and benchmarks.

Split by role (see docs/tools.md): `cli` parses the command line; `build` and `image` run cargo
and the image builder; `qemu` owns QEMU processes; `ktap` parses what test kernels print;
`harness` turns a boot into a test result; `printer` formats results; `testcmd` runs every
suite. Data passes between them as typed, frozen dataclasses.
"""
