"""The containers list's columns: what each cell shows, how rows sort, where each value comes from.

Pure functions of a container and its live figures, so the list only diffs their results.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from rich.text import Text

from tui.backend.model import Container, Metrics, inspect_source
from widgets.format import coarse_duration, human_bytes, text
from widgets.live_table import Column

SORTS: tuple[str, ...] = ("name", "state", "cpu", "mem", "pids", "uptime")
SORT_COLUMN = {"name": "name", "state": "state", "cpu": "cpu", "mem": "mem", "pids": "pids", "uptime": "state"}
"""The column that shows each sort key (uptime is in the state column)."""
STATE_RANK = {"running": 0, "restarting": 1, "paused": 2, "created": 3, "removing": 4,
              "exited": 5, "dead": 6}


COLUMNS: tuple[Column, ...] = (
    Column("st", "", 1),
    Column("name", "NAME", 18),
    Column("state", "STATE", 13),
    Column("cpu", "CPU%", 5, right=True),
    Column("mem", "MEM / LIMIT", 16, right=True),
    Column("pids", "PIDS", 4, right=True, drop=2),
    Column("pid", "PID", 7, right=True, drop=3),
    Column("image", "IMAGE", 0, drop=1),
    Column("id", "ID", 12, drop=4),
)


def state_glyph(c: Container) -> Text:
    st = c.state.value
    if st == "running":
        return Text("●", style="green")
    if st == "paused":
        return Text("‖", style="yellow")
    if st in ("restarting", "removing"):
        return Text("◐", style="yellow")
    if st == "created":
        return Text("◌", style="dim")
    if st == "dead" or (st == "exited" and c.exit_code.value not in (None, 0)):
        return Text("○", style="red")
    return Text("○", style="dim")


def state_label(c: Container, now: float) -> str:
    st = c.state.value
    if st in ("running", "paused") and c.started_at:
        up = f"up {coarse_duration(now - c.started_at)}"
        return up if st == "running" else f"paused, {up}"
    if st == "exited":
        code = c.exit_code.value
        return f"exited ({code})" if code is not None else "exited"
    return st or "?"


def cell_values(c: Container, m: Metrics | None, now: float) -> dict[str, Any]:
    """The displayed value of each column for one container (``m``: its live figures)."""
    running = c.state.value == "running"
    cpu = mem = pids = ""
    if m is not None:
        cpu = f"{m.cpu_percent.value:.1f}" if m.cpu_percent.value is not None else "—" if m.error else "…"
        if m.mem_used.value is not None:
            limit = "no limit" if m.mem_unlimited else human_bytes(m.mem_limit.value, True)
            mem = f"{human_bytes(m.mem_used.value, True)} / {limit}"
        pids = str(m.pids.value) if m.pids.value is not None else ""
    elif running:
        cpu = "…"
    return {
        "st": state_glyph(c),
        "name": text(c.name.value),
        "state": text(state_label(c, now)),
        "cpu": Text(cpu, justify="right"),
        "mem": Text(mem, justify="right"),
        "pids": Text(pids, justify="right"),
        "pid": Text(str(c.pid.value) if c.pid.value else "", justify="right"),
        "id": Text(c.short_id),
        "image": text(c.image.value),
    }


_DIGITS = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=4096)
def natural(name: str) -> tuple[tuple[int, int | str], ...]:
    """A key that sorts names as people read them: ``lab-2`` before ``lab-10``."""
    return tuple((0, int(part)) if part.isdigit() else (1, part)
                 for part in _DIGITS.split(name.lower()) if part)


def sort_rows(rows: list[Container], metrics: Callable[[str], Metrics | None], key: str,
              reverse: bool) -> list[Container]:
    """Rows in display order: by the sort column, ties by name in natural order (always
    ascending) then ID, so rows at 0.0 % CPU never reshuffle between ticks."""
    out = sorted(rows, key=lambda c: (natural(c.name.value), c.id))
    if key == "name":
        return out[::-1] if reverse else out
    out.sort(key=lambda c: _primary(c, metrics(c.id), key), reverse=reverse)  # stable: ties keep name order
    return out


def _primary(c: Container, m: Metrics | None, key: str) -> Any:
    if key == "state":
        return STATE_RANK.get(c.state.value, 9)
    if key == "cpu":
        return (m.cpu_percent.value or 0.0) if m else -1.0
    if key == "mem":
        return (m.mem_used.value or 0) if m else -1
    if key == "pids":
        return (m.pids.value or 0) if m else -1
    return -(c.started_at or 0.0) if c.started_at else float("-inf")  # uptime


def cell_source(c: Container, m: Metrics | None, key: str) -> str:
    """The command or file behind one cell (the footer's provenance line)."""
    if key in ("st", "state"):
        return c.state.source
    if key == "name":
        return c.name.source
    if key == "pid":
        return c.pid.source
    if key == "id":
        return f"{inspect_source(c.name.value, '.Id')}  → {c.id}"
    if key == "image":
        return f"{c.image.source}  → {c.image_fq}"
    if m is None:
        return "metrics come from cgroup files of running containers on a local engine"
    if m.error:
        return m.error
    if key == "cpu":
        return m.cpu_percent.source
    if key == "mem":
        return f"{m.mem_used.source} ; {m.mem_limit.source}"
    if key == "pids":
        return m.pids.source
    return ""
