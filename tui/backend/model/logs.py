"""The logs model: what the Logs tab shows, the selected container's output read from the engine."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

MAX_LINES = 5000
"""Lines kept per container, by the backend and by the pane: older ones are let go (counted)."""
TAIL = 1000
"""Lines read when a container's logs are first opened (``docker logs --tail``)."""

_STAMP = re.compile(rb"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def stamp_ns(stamp: str | bytes) -> int:
    """Nanoseconds since the epoch of an engine's RFC 3339 log timestamp (Docker:
    ``2026-12-04T09:58:58.678408106Z``; Podman: whole seconds, ``2026-12-04T09:59:05Z``); 0 when
    it is not one."""
    raw = stamp.encode() if isinstance(stamp, str) else stamp
    m = _STAMP.match(raw)
    if m is None:
        return 0
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    secs = calendar.timegm((y, mo, d, h, mi, s, 0, 0, 0))
    zone = m.group(8)
    if zone != b"Z":
        sign = -1 if zone[:1] == b"+" else 1  # 10:00+02:00 is 08:00Z
        secs += sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    return secs * 1_000_000_000 + int((m.group(7) or b"0").ljust(9, b"0"))


def since_arg(ns: int) -> str:
    """A time as the logs API's and ``docker logs``'s ``--since`` take it: ``1796378345.000000000``."""
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of a container's output, as the engine's log API gives it back."""

    seq: int
    """Its place in the app's reading of this log (1, 2, …): the pane appends the lines whose
    ``seq`` it has not shown yet."""
    time: str
    """The engine's timestamp, as it wrote it (``""`` when it gave none)."""
    stream: str
    """``stdout``, ``stderr``, or ``tty`` (a container with a terminal has one stream)."""
    text: str
    """The line, decoded as UTF-8 (undecodable bytes replaced), without its line break:
    untrusted, shown inert."""
    more: int = 0
    """Characters cut off the end of a very long line (memory stays bounded)."""


@dataclass(frozen=True, slots=True)
class LogView:
    """The selected container's last lines (at most ``MAX_LINES``), oldest first."""

    container_id: str
    lines: tuple[LogLine, ...]
    source: str
    """The command of the last read (``docker logs --timestamps --since … NAME``)."""
    driver: str = ""
    """Its log driver (``json-file``, ``journald``, Podman's ``k8s-file``)."""
    tty: bool = False
    dropped: int = 0
    """Older lines let go to keep at most ``MAX_LINES``."""
    skipped: int = 0
    """Reads that found more new lines than they could take (``MAX_LINES``): lines were missed."""
    reading: int = 0
    """Which reading of the log this is: a new one (the backend started over) restarts the pane."""
    running: bool = True
    """False once the container has stopped: no more lines will come until it starts again."""
