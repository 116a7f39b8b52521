"""Link and address changes in this app's network namespace (the host's), from rtnetlink
multicast groups: a veth created or removed with a container, a second interface added by
``docker network connect``, an interface going up or down, an address added (internals.md §6.3).
No privilege is needed. The items only say what changed and where; the sources re-read the links
with pyroute2 when one concerns them."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator
from dataclasses import dataclass

from .nlstream import NetlinkStream

RTMGRP_LINK = 0x1
RTMGRP_IPV4_IFADDR = 0x10
RTMGRP_IPV6_IFADDR = 0x100
KINDS = {16: "link+", 17: "link-", 20: "addr+", 21: "addr-"}
"""RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_DELADDR."""
_NLMSG = struct.Struct("=IHHII")
_IFINFO = struct.Struct("=BxHiII")   # family, type, index, flags, change
_IFADDR = struct.Struct("=BBBBI")    # family, prefixlen, flags, scope, index


@dataclass(frozen=True, slots=True)
class LinkEvent:
    kind: str
    """``link+``, ``link-``, ``addr+``, ``addr-``."""
    index: int
    """The interface's index in this namespace."""


def parse(data: bytes) -> Iterator[LinkEvent]:
    """The link and address messages of one datagram."""
    at = 0
    while at + _NLMSG.size <= len(data):
        length, kind, _, _, _ = _NLMSG.unpack_from(data, at)
        if length < _NLMSG.size:
            break
        body = at + _NLMSG.size
        name = KINDS.get(kind)
        if name is not None and name.startswith("link") and body + _IFINFO.size <= len(data):
            yield LinkEvent(name, _IFINFO.unpack_from(data, body)[2])
        elif name is not None and body + _IFADDR.size <= len(data):
            yield LinkEvent(name, _IFADDR.unpack_from(data, body)[4])
        at += (length + 3) & ~3


def available() -> str:
    return ""


class LinkEventStream(NetlinkStream[LinkEvent]):
    def __init__(self) -> None:
        super().__init__(socket.NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, parse)
