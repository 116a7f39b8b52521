"""Pure formatting helpers shared by the panes: sizes, ages, and inert untrusted text."""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence

from rich.text import Text
from textual.content import Content
from textual.geometry import Region
from textual.widget import Widget

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
"""Control characters, the invisible ones that reorder or hide text (bidi overrides, zero-width
spaces and joiners), and lone surrogates (bytes that were not UTF-8, kept by ``surrogateescape``
when /proc or a file name is decoded): shown escaped, never interpreted."""


def clean(value: object) -> str:
    """Make an untrusted string safe for one terminal cell run: control characters are shown
    escaped (``\\x1b``), never sent to the terminal; newlines and tabs become spaces."""
    s = str(value).replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(_escape, s)


def _escape(m: re.Match[str]) -> str:
    n = ord(m.group())
    if 0xdc80 <= n <= 0xdcff:  # surrogateescape's stand-in for the byte n - 0xdc00
        n -= 0xdc00
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}"


def clean_block(value: str) -> str:
    """Like :func:`clean` for multi-line text: keeps newlines, expands tabs."""
    return "\n".join(clean(line.expandtabs(8)) for line in value.split("\n"))


def text(value: object, style: str = "", justify: str | None = None) -> Text:
    """An inert :class:`Text` for a widget cell: never parsed as markup."""
    return Text(clean(value), style=style, justify=justify)  # type: ignore[arg-type]


def set_border(widget: Widget, title: str | None = None, subtitle: str | None = None) -> None:
    """Set a pane's border title/subtitle as inert text, and only when it changed.

    Textual's ``border_title`` setter parses markup and repaints the whole widget, even for the
    same string; a count in the list's title changes with every container started or removed,
    and repainting 200 rows for it cost ~25 ms. So a mounted widget gets the text stored where
    the setter would store it, and only the border line that shows it is repainted."""
    for attr, value in (("border_title", title), ("border_subtitle", subtitle)):
        if value is None:
            continue
        cache = f"_set_border_{attr}"
        if getattr(widget, cache, None) == value:
            continue
        setattr(widget, cache, value)
        size = widget.outer_size if widget.is_mounted else None
        if not size:
            setattr(widget, attr, Text(clean(value)))
            continue
        setattr(widget, f"_{attr}", Content(clean(value)))
        x, y = widget.content_offset  # refresh() regions are relative to the content area
        line = 0 if attr == "border_title" else size.height - 1
        widget.refresh(Region(-x, line - y, size.width, 1))


def human_bytes(n: int | None, compact: bool = False) -> str:
    """Binary units, as docker stats shows them: ``1536`` → ``1.5 KiB``; ``compact`` for narrow
    columns: ``327680`` → ``320K``, ``25276502016`` → ``23.5G``."""
    if n is None:
        return "—"
    v = float(n)
    units = ("B", "K", "M", "G", "T") if compact else ("B", "KiB", "MiB", "GiB", "TiB")
    sep = "" if compact else " "
    for unit in units:
        if abs(v) < 1024 or unit == units[-1]:
            break
        v /= 1024
    if unit == "B" or v >= 100:
        return f"{int(v)}{sep}{unit}"
    num = f"{v:.1f}"
    if compact and num.endswith(".0"):
        num = num[:-2]
    return f"{num}{sep}{unit}"


def docker_size_flag(n: int) -> str:
    """The ``--memory`` value a user would have typed for ``n`` bytes (``268435456`` → ``256m``)."""
    for unit, div in (("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def duration(seconds: float) -> str:
    """Compact age: ``42s``, ``3m``, ``2h5m``, ``4d3h``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m{s:02d}s" if m < 10 else f"{m}m"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{d}d{h:02d}h"


def coarse_duration(seconds: float) -> str:
    """Age for live lists, changing at most once a minute after the first: ``42s``, ``5m``,
    ``2h05m``, ``4d03h``."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return duration(s)


def when(ts: float | None, now: float, ms: bool = False) -> str:
    """A time in UTC (the header says the zone once): ``11:13:36`` on the day of ``now``,
    ``2026-11-29 11:13:36`` on another; ``ms`` adds milliseconds to today's times."""
    if not ts:
        return "—"
    t = _dt.datetime.fromtimestamp(ts, _dt.timezone.utc)
    if t.date() != _dt.datetime.fromtimestamp(now, _dt.timezone.utc).date():
        return t.strftime("%Y-%m-%d %H:%M:%S" if not ms else "%m-%d %H:%M:%S")
    return t.strftime("%H:%M:%S") + (f".{t.microsecond // 1000:03d}" if ms else "")


def start_time(ts: float | None, now: float) -> str:
    """A process start as ``ps`` prints it: ``11:13:36`` today, ``Nov29`` before (UTC)."""
    if not ts:
        return "—"
    t = _dt.datetime.fromtimestamp(ts, _dt.timezone.utc)
    if t.date() != _dt.datetime.fromtimestamp(now, _dt.timezone.utc).date():
        return t.strftime("%b%d")
    return t.strftime("%H:%M:%S")


def cpus(n: float) -> str:
    """``2.0`` → ``2 CPUs``, ``0.5`` → ``0.5 CPUs``."""
    return f"{n:g} CPU" + ("" if n == 1 else "s")


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float], width: int, top: float | None = None) -> str:
    """The last samples as block bars, ``width`` cells at most: older samples are averaged in
    pairs, threes … so minutes of history fit; ``top`` is the full-height value (default: the
    largest sample)."""
    if not values or width <= 0:
        return ""
    per = -(-len(values) // width)
    cells = [sum(values[i:i + per]) / len(values[i:i + per]) for i in range(len(values) % per or per, len(values), per)]
    head = values[:len(values) % per or per]
    cells.insert(0, sum(head) / len(head))
    peak = top if top and top > 0 else max(max(cells), 1e-9)
    return "".join(_BARS[min(len(_BARS) - 1, max(0, round(v / peak * (len(_BARS) - 1))))] for v in cells)
