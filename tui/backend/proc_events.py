"""The kernel's proc connector: fork, exec and exit of every process on the host, as they happen
(internals.md §6.2). It needs CAP_NET_ADMIN and the initial PID and network namespaces, and it
can overflow (``ENOBUFS``): the stream then breaks, and its producer reopens it and asks for a
resync, so polling ``/proc`` stays the ground truth.

Datagrams are read with ``recv`` on the socket and parsed with pyroute2's marshal: its ``get()``
waits for more messages and delivered an exit ~0.7 s late (measured), ``recv`` within 1 ms.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator
from dataclasses import dataclass

_KINDS = {"PROC_EVENT_FORK": "fork", "PROC_EVENT_EXEC": "exec", "PROC_EVENT_EXIT": "exit",
          "PROC_EVENT_COMM": "comm"}
POLL_S = 0.5
"""How long a read waits before looking at the closed flag again (bounds :meth:`close`)."""


@dataclass(frozen=True, slots=True)
class ProcEvent:
    kind: str
    """``fork``, ``exec``, ``exit`` or ``comm``."""
    pid: int
    """The process (thread-group leader) concerned: the child for a fork."""
    parent: int = 0
    """For a fork: the parent's thread-group ID."""


def _ns(pid: str, kind: str) -> str:
    return os.readlink(f"/proc/{pid}/ns/{kind}")


def available() -> str:
    """``""`` when the connector can be used here, else why not."""
    if os.geteuid() != 0:
        return "needs root (CAP_NET_ADMIN): processes are polled every refresh"
    try:
        for kind in ("pid", "net"):
            if _ns("self", kind) != _ns("1", kind):
                return f"not in the host's {kind} namespace: processes are polled every refresh"
    except OSError:
        pass  # /proc/1/ns unreadable even to root on some hosts: opening the socket will tell
    return ""


class ProcEventStream:
    """Batches of :class:`ProcEvent` (one per datagram read); thread-only events are dropped."""

    def __init__(self) -> None:
        from pyroute2.netlink.connector.cn_proc import ProcEventSocket  # root-only path

        self._closed = threading.Event()
        self._reading = False
        self._sock = ProcEventSocket()
        try:
            self._sock.bind()
            self._sock.control(listen=True)
        except BaseException:
            self._sock.close()
            raise

    def __iter__(self) -> Iterator[tuple[ProcEvent, ...]]:
        self._reading = True
        try:
            fd = self._sock.fileno()
            while not self._closed.is_set():
                ready, _, _ = select.select([fd], [], [], POLL_S)
                if not ready or self._closed.is_set():
                    continue
                data = self._sock.recv(1 << 16)  # ENOBUFS (overflow) raises: the producer resyncs
                batch = tuple(ev for m in self._sock.marshal.parse(data) if (ev := _event(m)) is not None)
                if batch:
                    yield batch
        finally:
            self._sock.close()  # closing unsubscribes; the reader does it, never another thread

    def close(self) -> None:
        """End the stream from any thread: the reader stops within ``POLL_S`` and closes the
        socket (a socket nobody reads is closed here)."""
        self._closed.set()
        if not self._reading:
            self._sock.close()


def _event(m: dict) -> ProcEvent | None:
    kind = _KINDS.get(m.get("event", ""))
    if kind == "fork":
        if m.get("child_pid") != m.get("child_tgid"):
            return None  # a new thread, not a process
        return ProcEvent("fork", m.get("child_tgid") or 0, m.get("parent_tgid") or 0)
    if kind is not None:
        if m.get("process_pid") != m.get("process_tgid"):
            return None
        return ProcEvent(kind, m.get("process_tgid") or 0)
    return None
