"""A netlink multicast subscription read in batches from a thread, closable from any other:
the proc connector (``proc_events.py``) and link and address changes (``link_events.py``).

A plain ``AF_NETLINK`` socket: the reader waits with ``select`` (so :meth:`close` is seen within
``POLL_S``), then reads everything that arrived within ``GATHER_S`` as one batch, so a burst
wakes the app once. An overflow (``ENOBUFS``) raises: the producer reopens the stream and asks
for a resync.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

E = TypeVar("E")

POLL_S = 0.5
"""How long a read waits before looking at the closed flag again (bounds :meth:`close`)."""
RCVBUF = 1 << 20
GATHER_S = 0.02
"""After the first message, what else arrives this soon is read with it (at most ~50 wake-ups/s)."""


class NetlinkStream(Generic[E]):
    """Batches of the items ``parse`` finds in each datagram of a netlink multicast ``groups``."""

    def __init__(self, protocol: int, groups: int, parse: Callable[[bytes], Iterable[E]],
                 subscribe: bytes | None = None) -> None:
        self._parse = parse
        self._closed = threading.Event()
        self._reading = False
        self._sock = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, protocol)
        try:
            try:  # room for a burst (container start-up forks a lot) before ENOBUFS
                self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
            except OSError:
                pass
            self._sock.bind((0, groups))
            if subscribe is not None:
                self._sock.send(subscribe)
        except BaseException:
            self._sock.close()
            raise

    def __iter__(self) -> Iterator[tuple[E, ...]]:
        self._reading = True
        try:
            fd = self._sock.fileno()
            while not self._closed.is_set():
                ready, _, _ = select.select([fd], [], [], POLL_S)
                if not ready or self._closed.is_set():
                    continue
                time.sleep(GATHER_S)
                batch: list[E] = []
                while True:
                    try:  # ENOBUFS (overflow) raises: the producer resyncs
                        data = self._sock.recv(1 << 16, socket.MSG_DONTWAIT)
                    except BlockingIOError:
                        break
                    batch.extend(self._parse(data))
                if batch:
                    yield tuple(batch)
        finally:
            self._sock.close()  # closing unsubscribes; the reader does it, never another thread

    def close(self) -> None:
        """End the stream from any thread: the reader stops within ``POLL_S`` and closes the
        socket (a socket nobody reads is closed here)."""
        self._closed.set()
        if not self._reading:
            self._sock.close()
