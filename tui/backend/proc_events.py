"""The kernel's proc connector: fork, exec and exit of every process on the host, as they happen
(internals.md §6.2). It needs CAP_NET_ADMIN and the initial PID and network namespaces, and it
can overflow (``ENOBUFS``): the stream then breaks, and its producer reopens it and asks for a
resync, so polling ``/proc`` stays the ground truth.

The socket is a plain ``AF_NETLINK`` one and messages are packed and decoded with ``struct``
(linux/connector.h, linux/cn_proc.h): pyroute2's ``ProcEventSocket.get()`` waits for more
messages (an exit came ~0.7 s late, measured), its marshal costs far more per message on a
host that forks a lot, and importing it costs ~10 MiB of RSS.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from .nlstream import NetlinkStream

NETLINK_CONNECTOR = 11
CN_IDX_PROC = CN_VAL_PROC = 1
PROC_CN_MCAST_LISTEN = 1
_KINDS = {0x1: "fork", 0x2: "exec", 0x200: "comm", 0x80000000: "exit"}
_NLMSG = struct.Struct("=IHHII")          # nlmsghdr: len, type, flags, seq, pid
_EVENT_AT = _NLMSG.size + 20               # after the cn_msg header (idx val seq ack len flags)
_WHAT = struct.Struct("=I")                # proc_event.what; cpu and timestamp_ns follow
_IDS_AT = _EVENT_AT + 16                   # the event's data: pid/tgid pairs
_FOUR = struct.Struct("=IIII")             # fork: parent pid, tgid, child pid, tgid
_TWO = struct.Struct("=II")                # exec, exit, comm: process pid, tgid


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


class ProcEventStream(NetlinkStream[ProcEvent]):
    """Batches of :class:`ProcEvent` (one per datagram read); thread-only events are dropped."""

    def __init__(self) -> None:
        super().__init__(NETLINK_CONNECTOR, CN_IDX_PROC, parse, subscribe=_control(PROC_CN_MCAST_LISTEN))


def _control(op: int) -> bytes:
    """The subscription message: nlmsghdr (NLMSG_DONE), cn_msg for the proc connector, the op."""
    body = struct.pack("=IIIIHHI", CN_IDX_PROC, CN_VAL_PROC, 0, 0, 4, 0, op)
    return _NLMSG.pack(_NLMSG.size + len(body), 3, 0, 0, 0) + body


def parse(data: bytes) -> tuple[ProcEvent, ...]:
    """The events of one datagram (one or more netlink messages); thread events dropped."""
    out = []
    at = 0
    while at + _NLMSG.size <= len(data):
        length = _NLMSG.unpack_from(data, at)[0]
        if length < _NLMSG.size or at + length > len(data):
            break
        msg = data[at:at + length]
        at += (length + 3) & ~3
        if len(msg) < _IDS_AT + _TWO.size:
            continue
        kind = _KINDS.get(_WHAT.unpack_from(msg, _EVENT_AT)[0])
        if kind == "fork" and len(msg) >= _IDS_AT + _FOUR.size:
            _, parent, child_pid, child = _FOUR.unpack_from(msg, _IDS_AT)
            if child_pid == child:  # not a new thread
                out.append(ProcEvent("fork", child, parent))
        elif kind is not None:
            pid, tgid = _TWO.unpack_from(msg, _IDS_AT)
            if pid == tgid:
                out.append(ProcEvent(kind, tgid))
    return tuple(out)
