"""The selected container's logs, from the engine's log API (any log driver that can be read).

Each run reads only what is new: the first, the last ``TAIL`` lines; the next ones, the lines
since the newest timestamp seen (``since`` is inclusive, and Podman stamps whole seconds, so the
lines already taken at that instant are dropped again). At most ``MAX_LINES`` lines are kept per
container, in a deque; the view counts the ones let go. stdout and stderr are told apart by the
8-byte frame headers of the multiplexed stream (docker-py's ``logs()`` merges them, so the raw
answer is read here); a container with a TTY has one plain stream, marked ``tty``.
"""

from __future__ import annotations

import itertools
import shlex
import struct
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Iterable
from typing import Any

import docker

from .collect import ALL, Context, SourceState, Unavailable
from .model import Container
from .model.logs import MAX_LINES, TAIL, LogLine, LogView, since_arg, stamp_ns

MAX_LINE_CHARS = 4096
"""Characters kept of one line (the rest counted in ``LogLine.more``): memory stays bounded."""
MAX_READ_BYTES = 8 << 20
"""Bytes taken from one answer; the rest is read by the next run, from the last line taken."""
BUFFERS = 2
"""Containers whose lines are kept: the selected one and the one before (switching back
goes on from where it was)."""
ERROR_AGAIN_S = 30.0
"""A log the engine could not read is asked for again after this (or at once on an event)."""
STREAMS = {0: "stdin", 1: "stdout", 2: "stderr"}
RUNNING = frozenset({"running", "paused", "restarting"})

Raw = tuple[int, str, str, str]
"""A parsed line: (timestamp in ns, timestamp as written, stream, text)."""

_readings = itertools.count(time.monotonic_ns())


def split_frames(data: bytes) -> tuple[list[tuple[str, bytes]], bytes]:
    """A multiplexed log stream as ``(stream, payload)`` frames, and the bytes of a last frame
    not wholly read. Each frame: a header (byte 0: 0 stdin, 1 stdout, 2 stderr; bytes 4–7: the
    payload's length, big-endian), then the payload."""
    frames = []
    at = 0
    while len(data) - at >= 8:
        kind, length = struct.unpack_from(">BxxxL", data, at)
        if len(data) - at - 8 < length:
            break
        frames.append((STREAMS.get(kind, f"stream{kind}"), data[at + 8:at + 8 + length]))
        at += 8 + length
    return frames, data[at:]


def parse_lines(chunks: Iterable[tuple[str, bytes]]) -> list[Raw]:
    """Lines of ``(stream, payload)`` chunks, each ``<RFC 3339 timestamp> <text>`` (the API's
    ``timestamps=1``); a carriage return before the line break (TTY output) is dropped."""
    out: list[Raw] = []
    for stream, payload in chunks:
        pieces = payload.split(b"\n")
        if payload.endswith(b"\n"):
            pieces.pop()
        for piece in pieces:
            piece = piece.removesuffix(b"\r")
            head, sep, rest = piece.partition(b" ")
            ns = stamp_ns(head) if sep else 0
            stamp, body = (head.decode("ascii"), rest) if ns else ("", piece)
            out.append((ns, stamp, stream, body.decode("utf-8", "replace")))
    return out


class LogBuffer:
    """One container's lines as read so far, and where the next read starts."""

    def __init__(self) -> None:
        self.lines: deque[LogLine] = deque(maxlen=MAX_LINES)
        self.seq = 0
        self.dropped = 0
        self.skipped = 0
        self.last_ns = 0
        """The newest timestamp taken (0: nothing read yet)."""
        self.at_last: Counter[tuple[str, str]] = Counter()
        """The lines taken with that timestamp, which the next read returns again."""
        self.reading = next(_readings)
        self.info: tuple[bool, str] | None = None
        """(TTY, log driver), from one inspect."""
        self.error = ""
        self.error_at = 0.0
        self.view: LogView | None = None
        self.settled: tuple[Any, ...] | None = None
        """The stopped container's state as of the last read: nothing new until it changes."""

    @property
    def started(self) -> bool:
        return self.seq > 0 or self.last_ns > 0

    def take(self, parsed: Iterable[Raw]) -> int:
        """Append the lines not taken yet; return how many were new."""
        seen = Counter(self.at_last)
        new = 0
        for ns, stamp, stream, text in parsed:
            if ns and ns < self.last_ns:
                continue
            if ns and ns == self.last_ns and seen[(stream, text)] > 0:
                seen[(stream, text)] -= 1
                continue
            if ns > self.last_ns:
                self.last_ns, self.at_last = ns, Counter()
            if ns and ns == self.last_ns:
                self.at_last[(stream, text)] += 1
            more = max(0, len(text) - MAX_LINE_CHARS)
            self.seq += 1
            if len(self.lines) == MAX_LINES:
                self.dropped += 1
            self.lines.append(LogLine(self.seq, stamp, stream, text[:MAX_LINE_CHARS] if more else text, more))
            new += 1
        return new


def _buffer(state: SourceState, cid: str) -> LogBuffer:
    """The container's buffer; the least recently shown one beyond ``BUFFERS`` is let go."""
    buffers: OrderedDict[str, LogBuffer] = state.cache.setdefault("buffers", OrderedDict())
    buf = buffers.get(cid)
    if buf is None:
        buf = buffers[cid] = LogBuffer()
    buffers.move_to_end(cid)
    while len(buffers) > BUFFERS:
        buffers.popitem(last=False)
    return buf


def _read(api: Any, cid: str, params: dict[str, Any]) -> bytes:
    """The raw answer of ``GET /containers/{id}/logs`` (at most ``MAX_READ_BYTES``)."""
    res = api._get(api._url("/containers/{0}/logs", cid), params=params, stream=True)
    try:
        api._raise_for_status(res)
        data = bytearray()
        for chunk in res.iter_content(1 << 16):
            data += chunk
            if len(data) >= MAX_READ_BYTES:
                break
        return bytes(data)
    finally:
        res.close()


def _state_key(c: Container) -> tuple[Any, ...]:
    finished = c.detail.finished_at.value if c.detail is not None else ""
    return (c.state.value, c.exit_code.value, finished)


def collect_logs(ctx: Context, state: SourceState) -> LogView:
    """The selected container's lines: the last ``TAIL`` the first time, then what is new.

    A log driver that cannot be read (``none``; ``syslog`` on older engines) is the engine's
    own answer, said in the pane and asked again only after an event on the container or
    ``ERROR_AGAIN_S``.
    A stopped container is read once more after it stops, then not until it changes."""
    c = ctx.selected
    if c is None:
        raise Unavailable("no container selected")
    if ctx.api is None:
        raise Unavailable("not connected to an engine")
    api = ctx.api
    buf = _buffer(state, c.id)
    touched = c.id in ctx.touched or ALL in ctx.touched
    running = c.state.value in RUNNING
    if buf.error and not touched and time.monotonic() - buf.error_at < ERROR_AGAIN_S:
        raise Unavailable(buf.error)
    if not running and buf.settled == _state_key(c) and not touched and buf.view is not None:
        return buf.view
    try:
        if buf.info is None:
            i = api.inspect_container(c.id)
            log_config = (i.get("HostConfig") or {}).get("LogConfig") or {}
            buf.info = (bool((i.get("Config") or {}).get("Tty")), str(log_config.get("Type") or ""))
        tty, driver = buf.info
        name = shlex.quote(c.name.value or c.id[:12])
        params: dict[str, Any] = {"stdout": 1, "stderr": 1, "timestamps": 1, "follow": 0}
        if buf.started:
            params.update(since=since_arg(buf.last_ns), tail=MAX_LINES)
            source = f"docker logs --timestamps --since {params['since']} {name}"
        else:
            params["tail"] = TAIL
            source = f"docker logs --timestamps --tail {TAIL} {name}"
        data = _read(api, c.id, params)
    except docker.errors.NotFound:
        raise Unavailable("the container is gone") from None
    except docker.errors.APIError as e:
        buf.error = f"the engine cannot read its logs (log driver {buf.info[1] if buf.info else '?'}): " \
                    f"{e.explanation or e}"
        buf.error_at = time.monotonic()
        raise Unavailable(buf.error) from None
    buf.error = ""
    parsed = parse_lines([("tty", data)] if tty else split_frames(data)[0])
    parsed.sort(key=lambda raw: raw[0])  # the engine may interleave its streams out of order
    if buf.started and len(parsed) >= MAX_LINES:
        buf.skipped += 1
    new = buf.take(parsed)
    buf.settled = None if running else _state_key(c)
    old = buf.view
    if old is None or new or old.running != running:
        buf.view = LogView(c.id, tuple(buf.lines), source if new or old is None else old.source, driver, tty,
                           buf.dropped, buf.skipped, buf.reading, running)
    return buf.view
