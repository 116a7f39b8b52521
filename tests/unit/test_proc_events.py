"""The proc connector stream on this kernel (root, host namespaces), wrapped in a Producer as
the hub runs it: a child's fork, exec and exit arrive, and closing ends the thread promptly."""

from __future__ import annotations

import os
import struct
import subprocess
import threading
import time

import pytest

from tui.backend.proc_events import ProcEvent, ProcEventStream, available, parse
from tui.backend.processes import ProcWatch
from tui.backend.producers import Producer

WHY = available()
needs_connector = pytest.mark.skipif(bool(WHY), reason=WHY or "available")


def _msg(what: int, *ids: int) -> bytes:
    body = struct.pack("=IIIIHH", 1, 1, 0, 0, 16 + 4 * len(ids), 0) + struct.pack("=IIQ", what, 0, 0)
    body += struct.pack(f"={len(ids)}I", *ids)
    return struct.pack("=IHHII", 16 + len(body), 3, 0, 0, 0) + body


def test_parse_linux_cn_proc_layout() -> None:
    """Messages laid out as linux/cn_proc.h says; several in one datagram; threads dropped."""
    data = (_msg(0x1, 100, 100, 200, 200) + _msg(0x1, 100, 100, 201, 200)   # a process, then a thread
            + _msg(0x2, 200, 200) + _msg(0x80000000, 200, 200, 0, 9, 100, 100) + _msg(0x80000000, 201, 200, 0, 0, 0, 0)
            + _msg(0x4, 200, 200, 0, 0))                                    # uid change: not wanted
    assert parse(data) == (ProcEvent("fork", 200, 100), ProcEvent("exec", 200), ProcEvent("exit", 200))
    assert parse(b"") == () and parse(b"\x05\x00") == () and parse(data[:30]) == ()


@needs_connector
def test_fork_exec_exit_of_a_child_arrive_and_close_ends_the_thread() -> None:
    seen: list[ProcEvent] = []
    got = threading.Event()

    def on_item(batch: tuple[ProcEvent, ...]) -> None:
        seen.extend(batch)
        if child is not None and any(e.kind == "exit" and e.pid == child.pid for e in seen):
            got.set()

    child = None
    producer = Producer("proc-test", ProcEventStream, on_item).start()
    try:
        for _ in range(3):  # a burst elsewhere may overflow the socket: the stream reopens, try again
            deadline = time.monotonic() + 5
            while not producer.streaming and time.monotonic() < deadline:  # subscribed
                time.sleep(0.01)
            child = subprocess.Popen(["sleep", "0.1"])
            child.wait()
            if got.wait(3):
                break
        assert got.is_set(), seen[-20:]
        mine = [e for e in seen if e.pid == child.pid]
        assert mine[0] == ProcEvent("fork", child.pid, os.getpid())
        assert [e.kind for e in mine][-1] == "exit" and "exec" in [e.kind for e in mine]
    finally:
        t0 = time.monotonic()
        producer.close()
        producer._thread.join(3)
        assert not producer._thread.is_alive() and time.monotonic() - t0 < 2


@needs_connector
def test_close_unblocks_an_idle_reader_and_an_unread_stream() -> None:
    stream = ProcEventStream()
    done = threading.Event()
    threading.Thread(target=lambda: (list(stream), done.set()), daemon=True).start()
    time.sleep(0.1)
    stream.close()
    assert done.wait(2)
    ProcEventStream().close()  # never read: closed at once, no leak


def test_watch_follows_an_exec_chain_from_a_shown_process() -> None:
    """shim → runc → runc init → the command: only the first fork's parent is on screen."""
    from tui.backend.model.procs import Proc, ProcessTree

    shim = Proc(10, 1, 1, "S", "containerd-shim", (), (10,), 0, "root", 0, None, 0, 0.0, 1, role="shim")
    tree = ProcessTree("c", (shim,), (), ())
    w = ProcWatch()
    assert w.matters((ProcEvent("fork", 20, 10),), tree)          # the shim forks runc
    assert w.matters((ProcEvent("fork", 21, 20),), tree)          # runc forks runc init
    assert w.matters((ProcEvent("exec", 21),), tree)              # which becomes the command
    assert not w.matters((ProcEvent("fork", 31, 30), ProcEvent("exec", 31)), tree)  # elsewhere
    assert w.matters((ProcEvent("exit", 10),), tree)              # a shown process exits
