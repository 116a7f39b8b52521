"""Watch the selected container's writable layer (its UpperDir) with inotify, so the Files tab
shows a file written in the container within a fraction of a second (internals.md §6.4).

A plain inotify descriptor through libc (``ctypes``): one watch per directory, added down the
tree, and for every directory that appears later — a copied-up directory arrives as one
``IN_MOVED_TO``, so its subtree is scanned and watched when it lands. ``IN_Q_OVERFLOW`` ends the
stream (the producer reopens it and the source re-reads everything); running out of watches
(``ENOSPC``: ``fs.inotify.max_user_watches``) keeps what is watched and says so, the source's
periodic run covering the rest. Only the container on screen is watched: the stream follows
the ``files`` source's value and moves its watches when that changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import select
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

IN_MODIFY, IN_ATTRIB, IN_CLOSE_WRITE = 0x2, 0x4, 0x8
IN_MOVED_FROM, IN_MOVED_TO, IN_CREATE, IN_DELETE = 0x40, 0x80, 0x100, 0x200
IN_DELETE_SELF, IN_MOVE_SELF = 0x400, 0x800
IN_Q_OVERFLOW, IN_IGNORED, IN_ONLYDIR, IN_DONT_FOLLOW, IN_ISDIR = 0x4000, 0x8000, 0x1000000, 0x2000000, 0x40000000
IN_NONBLOCK, IN_CLOEXEC = 0o4000, 0o2000000
MASK = (IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
EVENT = struct.Struct("iIII")
MAX_WATCHES = 16384
"""Directories watched per container at most (each costs ~1 KiB of kernel memory)."""
POLL_S = 0.5
GATHER_S = 0.02

_libc: Any = None


def libc() -> Any:
    global _libc
    if _libc is None:
        lib = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        lib.inotify_init1.argtypes = [ctypes.c_int]
        lib.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        lib.inotify_rm_watch.argtypes = [ctypes.c_int, ctypes.c_int]
        _libc = lib
    return _libc


def available() -> str:
    try:
        fd = libc().inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
    except (OSError, AttributeError) as exc:
        return f"no inotify here: {exc}"
    if fd < 0:
        return f"no inotify here: {os.strerror(ctypes.get_errno())}"
    os.close(fd)
    return ""


class InotifyTree:
    """Batches of changed paths under one directory tree; :meth:`follow` moves it to another."""

    def __init__(self) -> None:
        self._fd = libc().inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()))
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._target = ""
        self._wanted = ""
        self._wd: dict[int, str] = {}
        self.limited = ""
        """Why some directories are not watched (out of inotify watches), if so."""

    def follow(self, path: str) -> None:
        """Watch ``path`` (empty: nothing) from the next read on (callable from any thread)."""
        with self._lock:
            self._wanted = path

    def close(self) -> None:
        self._closed.set()

    def _retarget(self) -> None:
        with self._lock:
            wanted = self._wanted
        if wanted == self._target:
            return
        for wd in list(self._wd):
            libc().inotify_rm_watch(self._fd, wd)
        self._wd.clear()
        self._target, self.limited = wanted, ""
        if wanted:
            self._add_tree(wanted)

    def _add_tree(self, top: str) -> None:
        stack = [top]
        while stack and not self.limited:
            d = stack.pop()
            if len(self._wd) >= MAX_WATCHES:
                self.limited = f"more than {MAX_WATCHES} directories in the writable layer: the rest are not watched"
                return
            wd = libc().inotify_add_watch(self._fd, os.fsencode(d), MASK)
            if wd < 0:
                err = ctypes.get_errno()
                if err == errno.ENOSPC:
                    self.limited = ("out of inotify watches (sysctl fs.inotify.max_user_watches): part of the "
                                    "writable layer is not watched")
                continue
            self._wd[wd] = d
            try:
                with os.scandir(d) as it:
                    stack.extend(e.path for e in it if e.is_dir(follow_symlinks=False))
            except OSError:
                continue

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        try:
            while not self._closed.is_set():
                self._retarget()
                ready, _, _ = select.select([self._fd], [], [], POLL_S)
                if not ready or self._closed.is_set():
                    continue
                time.sleep(GATHER_S)
                batch = self._drain()
                if batch:
                    yield tuple(batch)
        finally:
            os.close(self._fd)

    def _drain(self) -> list[str]:
        out: list[str] = []
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return out
            off = 0
            while off + EVENT.size <= len(data):
                wd, mask, _, length = EVENT.unpack_from(data, off)
                name = data[off + EVENT.size:off + EVENT.size + length].rstrip(b"\0")
                off += EVENT.size + length
                if mask & IN_Q_OVERFLOW:
                    raise OSError(errno.ENOBUFS, "inotify queue overflow: everything is read again")
                base = self._wd.get(wd)
                if mask & IN_IGNORED:
                    self._wd.pop(wd, None)
                    continue
                if base is None:
                    continue
                path = os.path.join(base, os.fsdecode(name)) if name else base
                out.append(path)
                if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
                    self._add_tree(path)  # a new or copied-up directory: watch its subtree


class UpperWatch:
    """The ``files`` source's watch: the writable layer of the container on screen."""

    def __init__(self) -> None:
        self._stream: InotifyTree | None = None
        self._upper = ""

    def available(self) -> str:
        return available()

    def open(self) -> InotifyTree:
        self._stream = InotifyTree()
        self._stream.follow(self._upper)
        return self._stream

    def follow(self, value: Any) -> None:
        """The source published ``value``: watch its writable layer (``FilesView.upper``)."""
        self._upper = getattr(value, "upper", "") or ""
        if self._stream is not None:
            self._stream.follow(self._upper)

    @property
    def note(self) -> str:
        """Why part of the writable layer is not watched (out of inotify watches), if so."""
        return self._stream.limited if self._stream is not None else ""

    def matters(self, batch: tuple[str, ...], value: Any) -> bool:
        return bool(batch)
