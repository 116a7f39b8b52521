"""Left pane: every container, live, diffed in from each snapshot.

Rows are keyed by container ID. Each snapshot is diffed in (``update_cell`` only where a cell
changed, ``add_row``/``remove_row`` for arrivals and departures); the cursor stays on the same
container across re-sorts. ←/→ pick the column whose source the footer shows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static
from textual.widgets.data_table import ColumnKey

from tui.backend.model import Container, Snapshot
from tui.messages import ContainerSelected, Provenance
from widgets.format import clean, duration, human_bytes, text

FLASH_S = 1.5
FLASH_STYLE = "bold reverse"
SORTS: tuple[str, ...] = ("name", "state", "cpu", "mem", "pids", "uptime")
STATE_RANK = {"running": 0, "restarting": 1, "paused": 2, "created": 3, "removing": 4,
              "exited": 5, "dead": 6}


@dataclass(frozen=True)
class ColumnSpec:
    key: str
    label: str
    width: int
    right: bool = False


COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("st", "", 1),
    ColumnSpec("name", "NAME", 16),
    ColumnSpec("state", "STATE", 12),
    ColumnSpec("cpu", "CPU%", 5, True),
    ColumnSpec("mem", "MEM / LIMIT", 19, True),
    ColumnSpec("pids", "PIDS", 4, True),
    ColumnSpec("pid", "PID", 7, True),
    ColumnSpec("image", "IMAGE", 22),
    ColumnSpec("id", "ID", 12),
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
        up = f"up {duration(now - c.started_at)}"
        return up if st == "running" else f"paused, {up}"
    if st == "exited":
        code = c.exit_code.value
        return f"exited ({code})" if code is not None else "exited"
    return st or "?"


def cell_values(c: Container, now: float) -> dict[str, Any]:
    """The displayed value of each column for one container."""
    m = c.metrics
    running = c.state.value == "running"
    cpu = mem = pids = ""
    if m is not None:
        cpu = f"{m.cpu_percent.value:.1f}" if m.cpu_percent.value is not None else "…"
        if m.mem_used.value is not None:
            mem = f"{human_bytes(m.mem_used.value)} / {human_bytes(m.mem_limit.value)}"
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


def sort_value(c: Container, key: str) -> Any:
    m = c.metrics
    if key == "state":
        return (STATE_RANK.get(c.state.value, 9), c.name.value)
    if key == "cpu":
        return (m.cpu_percent.value or 0.0) if m else -1.0
    if key == "mem":
        return (m.mem_used.value or 0) if m else -1
    if key == "pids":
        return (m.pids.value or 0) if m else -1
    if key == "uptime":
        return -(c.started_at or 0.0) if c.started_at else float("-inf")
    return c.name.value.lower()


def cell_source(c: Container, key: str) -> str:
    """The command or file behind one cell (the footer's provenance line)."""
    m = c.metrics
    if key in ("st", "state"):
        return c.state.source
    if key == "name":
        return c.name.source
    if key == "pid":
        return c.pid.source
    if key == "id":
        return f"docker inspect -f '{{{{.Id}}}}' {c.name.value}  → {c.id}"
    if key == "image":
        return f"{c.image.source}  → {c.image_fq}"
    if m is None:
        return "metrics come from cgroup files of running containers on a local engine"
    if key == "cpu":
        return m.cpu_percent.source
    if key == "mem":
        return f"{m.mem_used.source} ; limit: {m.mem_limit.source}"
    if key == "pids":
        return m.pids.source
    return ""


class ContainerTable(DataTable[Any]):
    """The containers table; ←/→ move the focused column instead of a cell cursor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "focus_column(-1)", "Column left", show=False),
        Binding("right", "focus_column(1)", "Column right", show=False),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("g", "scroll_top", "Top", show=False),
        Binding("G", "scroll_bottom", "Bottom", show=False),
    ]

    focus_col = 1

    def action_focus_column(self, step: int) -> None:
        self.focus_col = (self.focus_col + step) % len(COLUMNS)
        self.parent_list.column_focus_changed()

    @property
    def parent_list(self) -> ContainerList:
        node = self.parent
        while node is not None and not isinstance(node, ContainerList):
            node = node.parent
        assert node is not None
        return node


class ContainerList(Vertical):
    """Filter box, container table, and the message shown when there is no engine."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snapshot: Snapshot | None = None
        self.show_stopped = True
        self.sort_key = "name"
        self.sort_reverse = False
        self.filter_text = ""
        self._rows: dict[str, dict[str, Any]] = {}
        self._flash: dict[tuple[str, str], float] = {}
        self._selected: str | None = None
        self._wanted: str | None = None
        self._order: list[str] = []

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter by name or image (esc clears)", id="filter")
        yield Static("", id="containers-message")
        table = ContainerTable(id="containers-table", cursor_type="row", zebra_stripes=False,
                               show_row_labels=False)
        yield table

    @property
    def table(self) -> ContainerTable:
        return self.query_one(ContainerTable)

    def on_mount(self) -> None:
        t = self.table
        for spec in COLUMNS:
            t.add_column(self._header(spec, spec.key == 'name'), key=spec.key, width=spec.width)
        self.query_one("#filter", Input).display = False
        self.query_one("#containers-message", Static).display = False
        self._update_title()

    # ------------------------------------------------------------ user actions

    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.table.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip().lower()
        self.refresh_rows()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.display = False
        self.table.focus()

    def toggle_stopped(self) -> None:
        self.show_stopped = not self.show_stopped
        self.refresh_rows()

    def cycle_sort(self) -> None:
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
        self.sort_reverse = self.sort_key in ("cpu", "mem", "pids")
        self.refresh_rows(force_sort=True)

    def reverse_sort(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refresh_rows(force_sort=True)

    def select(self, name_or_id: str) -> bool:
        """Move the cursor to a container by name or ID prefix; remembered until it appears."""
        snap = self.snapshot
        if snap is not None:
            for c in snap.containers:
                if c.name.value == name_or_id or (len(name_or_id) >= 3 and c.id.startswith(name_or_id)):
                    self._wanted = c.id
                    self.refresh_rows()
                    return True
        self._wanted = name_or_id
        return False

    # ------------------------------------------------------------ snapshots

    def apply(self, snapshot: Snapshot) -> None:
        """Diff a new snapshot into the table."""
        self.snapshot = snapshot
        if self._wanted and not self._wanted_is_id():
            self.select(self._wanted)
        self.refresh_rows()

    def _wanted_is_id(self) -> bool:
        return bool(self._wanted) and self.snapshot is not None and \
            self.snapshot.container(self._wanted or "") is not None

    def _visible(self, snap: Snapshot) -> list[Container]:
        out = []
        for c in snap.containers:
            if not self.show_stopped and c.state.value not in ("running", "paused", "restarting"):
                continue
            f = self.filter_text
            if f and f not in c.name.value.lower() and f not in c.image.value.lower() \
                    and f not in c.image_fq.lower() and not c.id.startswith(f):
                continue
            out.append(c)
        return out

    def refresh_rows(self, force_sort: bool = False) -> None:
        snap = self.snapshot
        if snap is None:
            return
        self._show_message(snap)
        t = self.table
        now = snap.taken_at
        visible = self._visible(snap)
        wanted = {c.id: c for c in visible}
        keep = self._wanted if self._wanted in wanted else self._current_key()
        changed = force_sort
        stale = [k for k in self._rows if k not in wanted]
        if len(stale) > 20 and len(stale) > len(wanted):
            t.clear()
            self._rows.clear()
            changed = True
        else:
            for k in stale:
                t.remove_row(k)
                del self._rows[k]
                changed = True
        mono = time.monotonic()
        for c in visible:
            vals = cell_values(c, now)
            old = self._rows.get(c.id)
            if old is None:
                t.add_row(*[self._styled(c.id, spec.key, vals[spec.key]) for spec in COLUMNS], key=c.id)
                self._rows[c.id] = vals
                changed = True
                if snap.seq > 1 and self._order:
                    self._start_flash(c.id, ("name", "state"), mono)
                continue
            for k, v in vals.items():
                if old[k] != v:
                    if k in ("st", "state", "name", "pid", "image") and \
                            not (k == "state" and old[k].plain.split(" ")[0] == v.plain.split(" ")[0]):
                        self._start_flash(c.id, (k,), mono)
                    t.update_cell(c.id, k, self._styled(c.id, k, v))
                    if k in ("name", "state", "cpu", "mem", "pids"):
                        changed = True
            self._rows[c.id] = vals
        order = [c.id for c in sorted(visible, key=lambda c: sort_value(c, self.sort_key),
                                      reverse=self.sort_reverse)]
        if changed and order != self._order_in_table():
            rank = {cid: i for i, cid in enumerate(order)}
            t.sort("id", key=lambda cell: rank.get(self._full_id(str(cell)), 0))
        self._order = order
        if keep in self._rows:
            idx = t.get_row_index(keep)
            if keep == self._wanted:
                self._wanted = None
                t.move_cursor(row=idx, animate=False, scroll=True)
            elif idx != t.cursor_row:
                t.move_cursor(row=idx, animate=False, scroll=False)
        self._notify_selection()
        self._update_title()

    def _full_id(self, short: str) -> str:
        for cid in self._rows:
            if cid.startswith(short):
                return cid
        return short

    def _order_in_table(self) -> list[str]:
        return [str(r.key.value) for r in self.table.ordered_rows]

    def _current_key(self) -> str | None:
        t = self.table
        if t.row_count == 0:
            return None
        try:
            return t.coordinate_to_cell_key(t.cursor_coordinate).row_key.value
        except Exception:  # cursor outside the table after a removal
            return None

    def _notify_selection(self) -> None:
        key = self._current_key()
        if key != self._selected:
            self._selected = key
            self.post_message(ContainerSelected(key))
            self._post_provenance()

    def _show_message(self, snap: Snapshot) -> None:
        msg = self.query_one("#containers-message", Static)
        if snap.engine is None:
            retry = f"; retrying in {snap.retry_in:.0f} s" if snap.retry_in else ""
            why = clean(snap.engine_error) or "no answer"
            msg.update(Text.assemble(
                ("No Docker engine", "bold"), f" at {clean(snap.endpoint)}: {why}{retry}\n",
                clean(snap.engine_hint)))
            msg.display = True
        elif not snap.containers:
            msg.update(Text("No containers yet. Start one (docker run -d …) and it appears here."))
            msg.display = True
        else:
            msg.display = False

    # ------------------------------------------------------------ cells, flashes, provenance

    def _header(self, spec: ColumnSpec, focused: bool = False) -> Text:
        return Text(spec.label, style="reverse" if focused else "",
                    justify="right" if spec.right else "left")

    def _styled(self, cid: str, key: str, value: Any) -> Any:
        until = self._flash.get((cid, key))
        if until is not None and until > time.monotonic() and isinstance(value, Text):
            v = value.copy()
            v.stylize(FLASH_STYLE)
            return v
        return value

    def _start_flash(self, cid: str, keys: tuple[str, ...], mono: float) -> None:
        for k in keys:
            self._flash[(cid, k)] = mono + FLASH_S
        self.set_timer(FLASH_S + 0.05, lambda: self._end_flash(cid, keys))

    def _end_flash(self, cid: str, keys: tuple[str, ...]) -> None:
        now = time.monotonic()
        for k in keys:
            until = self._flash.get((cid, k))
            if until is None or until > now:
                continue
            del self._flash[(cid, k)]
            row = self._rows.get(cid)
            if row is not None:
                self.table.update_cell(cid, k, row[k])

    def column_focus_changed(self) -> None:
        t = self.table
        for i, spec in enumerate(COLUMNS):
            t.columns[ColumnKey(spec.key)].label = self._header(spec, i == t.focus_col)
        t._clear_caches()  # column labels are cached with the header row
        t.refresh()
        self._update_title()
        self._post_provenance()

    def _post_provenance(self) -> None:
        snap, key = self.snapshot, self._current_key()
        if snap is None or key is None:
            return
        c = snap.container(key)
        if c is None:
            return
        col = COLUMNS[self.table.focus_col]
        self.post_message(Provenance(cell_source(c, col.key), col.label or "state"))

    @on(DataTable.RowHighlighted, "#containers-table")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._notify_selection()

    def _update_title(self) -> None:
        snap = self.snapshot
        total = len(snap.containers) if snap else 0
        running = sum(1 for c in snap.containers if c.state.value == "running") if snap else 0
        shown = len(self._rows)
        parts = [f"{running} running / {total}"]
        if shown != total:
            parts.append(f"{shown} shown")
        self.border_title = "Containers " + " · ".join(parts)
        arrow = "▼" if self.sort_reverse else "▲"
        sub = [f"sort {self.sort_key}{arrow}"]
        if self.filter_text:
            sub.append(f"filter “{clean(self.filter_text)}”")
        if not self.show_stopped:
            sub.append("running only")
        col = COLUMNS[self.table.focus_col] if self.is_mounted else None
        if col is not None:
            sub.append(f"col {col.label or 'state'}")
        self.border_subtitle = " · ".join(sub)
