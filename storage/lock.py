"""The run lock: one `sferum-bot run` per SQLite database (an exclusive flock the OS drops on a crash)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from storage.db import LOCK_NAME


class AlreadyRunning(Exception):
    """Another process holds the run lock; `str()` is one Russian line naming its pid."""

    def __init__(self, path: Path, pid: int | None) -> None:
        who = f"процесс {pid}" if pid else "другой процесс"
        super().__init__(f"бот уже запущен с папкой данных {path.parent} ({who} держит {path.name}): "
                         "остановите его (systemctl stop sferum-bot) или укажите другую папку в [storage] data_dir")
        self.pid = pid


def lock_path(data_dir: Path) -> Path:
    """Where the run lock of a data folder lives."""
    return data_dir / LOCK_NAME


def _pid_in(fd: int) -> int | None:
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


class RunLock:
    """An exclusive flock on `<data_dir>/sferum-bot.lock` holding the owner's pid."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, data_dir: Path) -> RunLock:
        """Take the lock or raise AlreadyRunning (OSError when the folder cannot hold the file)."""
        path = lock_path(data_dir)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _pid_in(fd)
            os.close(fd)
            raise AlreadyRunning(path, pid) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        return cls(path, fd)

    def release(self) -> None:
        """Drop the lock (safe to call twice); the file stays as a sign that a database lives here."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


def running_pid(data_dir: Path) -> int | None:
    """The pid of the `run` holding the lock of `data_dir` (0 if unknown), or None when nobody does."""
    path = lock_path(data_dir)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _pid_in(fd) or 0
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
