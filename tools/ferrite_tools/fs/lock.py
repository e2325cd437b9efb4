"""Who may write an image file: the lock QEMU takes, taken by the host tools as well.

A disk image is one file that several programs can reach at once: the QEMU of a running
`./x.py run`, a second `./x.py run --fresh-disk` typed in another terminal, `./x.py mkfs`. If a
host tool rewrites the file while a guest has it mounted, the guest's cached view and the new
bytes disagree, the next write-back mixes the two, and the file system is lost. Nothing in the
file system itself can prevent that; the two programs have to agree on a lock.

QEMU already locks every image it opens (since 2.10): it takes Linux's *open file description*
locks (`F_OFD_SETLK`) on single bytes, at offset 100 plus a permission's number for what it
uses and 200 plus the number for what it will not share (`block/file-posix.c`). These are
advisory byte-range locks, and they conflict with any overlapping lock of the opposite kind
taken through another open file. So the tools speak the same language:

- **A writer** (`writing`) takes a write lock on the *whole* file, which overlaps every byte QEMU
  locks. If anything holds a lock there, the writer stops before touching a byte and says who
  has the file open.
- **A run** (`held_for_run`) holds a read lock on byte 0 for as long as its QEMU runs. QEMU never
  locks byte 0, so the run's own QEMU starts as usual; a writer's whole-file lock overlaps it and
  is refused. This covers the moments when QEMU has not opened the file yet, or has just exited
  and is about to be started again by the same run.

The locks are advisory: they stop programs that ask, which are QEMU and these tools. They
disappear with the process that holds them, so a crashed run never leaves the disk locked.
"""

from __future__ import annotations

import errno
import fcntl
import os
import struct
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ferrite_tools.errors import FerriteError

#: `struct flock` on x86-64 Linux: l_type, l_whence, (padding), l_start, l_len, l_pid, (padding).
_FLOCK = struct.Struct("hhqqi4x")
#: The byte a run holds a read lock on (QEMU locks bytes 100 and up).
RUN_HOLD_BYTE = 0
#: A lock of length 0 reaches to the end of the file, however long it grows.
TO_END = 0


class ImageInUse(FerriteError):
    """The image is open in another program that holds its lock."""


def _flock(kind: int, start: int, length: int) -> bytes:
    return _FLOCK.pack(kind, os.SEEK_SET, start, length, 0)


def _users(path: Path) -> list[str]:
    """The other processes that have `path` open, as "NAME (pid N)", found through /proc. Best
    effort: a process of another user cannot be looked into, and is then not named."""
    try:
        target = os.stat(path)
    except OSError:
        return []
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            fds = os.listdir(f"/proc/{entry.name}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                opened = os.stat(f"/proc/{entry.name}/fd/{fd}")
            except OSError:
                continue
            if (opened.st_dev, opened.st_ino) == (target.st_dev, target.st_ino):
                found.append(f"{_describe(entry.name)} (pid {entry.name})")
                break
    return found


def _describe(pid: str) -> str:
    """A process's name as a person knows it: `./x.py run` rather than `python3`."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"
    args = [w.decode(errors="replace") for w in words if w]
    if name.startswith("python") and "ferrite_tools" in args:
        command = args[args.index("ferrite_tools") + 1 :][:1]
        return " ".join(["./x.py", *command])
    return name


def _in_use(path: Path) -> ImageInUse:
    users = _users(path)
    who = f": open in {', '.join(users)}" if users else ""
    return ImageInUse(
        f"{path} is in use by a running QEMU or another ./x.py{who}. Nothing was written. "
        "Stop that run first (Ctrl-] x in its terminal), or work on another image."
    )


def _open(path: Path, flags: int) -> int | None:
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        return None
    except OSError as e:
        raise FerriteError(f"{path}: cannot open it ({e.strerror})") from e


def _lock(fd: int, path: Path, kind: int, start: int, length: int) -> None:
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, _flock(kind, start, length))
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            raise _in_use(path) from None
        raise FerriteError(f"{path}: cannot lock it ({e.strerror})") from e


def holder(path: Path) -> str | None:
    """Why `path` cannot be written now (the message `writing` would raise), or None if it can."""
    fd = _open(path, os.O_RDONLY)
    if fd is None:
        return None
    try:
        answer = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, _flock(fcntl.F_WRLCK, 0, TO_END))
        kind = _FLOCK.unpack(answer)[0]
        return None if kind == fcntl.F_UNLCK else _in_use(path).what
    finally:
        os.close(fd)


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """Holds `path` against every other user while the body creates, replaces or writes it.

    Raises ImageInUse, before the body runs, if QEMU or another tool has the file locked. A path
    that does not exist yet has nobody to conflict with. The lock is on the file as it was: a body
    that replaces the file by renaming a new one over it is covered, because every other user
    would have to go through the old file's lock first.
    """
    fd = _open(path, os.O_RDWR)
    if fd is None:
        yield
        return
    try:
        _lock(fd, path, fcntl.F_WRLCK, 0, TO_END)
        yield
    finally:
        os.close(fd)


@contextmanager
def held_for_run(path: Path) -> Iterator[None]:
    """Holds `path` for a run: its own QEMU may open it, no writer may. Raises ImageInUse if
    another run, a QEMU or a writer has it now (QEMU itself would refuse it a moment later, with
    a message that does not say who)."""
    fd = _open(path, os.O_RDONLY)
    if fd is None:
        raise FerriteError(f"{path}: no such image")
    try:
        answer = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, _flock(fcntl.F_WRLCK, 0, TO_END))
        if _FLOCK.unpack(answer)[0] != fcntl.F_UNLCK:
            raise _in_use(path)
        _lock(fd, path, fcntl.F_RDLCK, RUN_HOLD_BYTE, 1)
        yield
    finally:
        os.close(fd)
