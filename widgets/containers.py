"""Left pane: every container, live, diffed in from each snapshot.

Rows are keyed by container ID and drawn by :class:`LiveTable`, which re-renders only rows whose
cells changed; ages are shown coarsely (``up 5m``) so an idle list does not change every second.
The cursor stays on the same container across re-sorts. ←/→ pick the column whose source the
footer shows; a cell that changed (state, name, PID, image) flashes briefly.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from tui.backend.model import Container, Metrics, Snapshot
from tui.messages import ContainerSelected, Provenance
from widgets.container_rows import (
    COLUMNS, SORT_COLUMN, SORTS, cell_source, cell_values, sort_rows, state_label,
)
from widgets.format import clean, set_border
from widgets.live_table import LiveTable

FLASH_S = 1.5
FLASH_STYLE = "bold reverse"
FLASH_KEYS = ("st", "state", "name", "pid", "image")


class ContainerTable(LiveTable):
    """The containers table; ←/→ choose the column whose source the footer shows."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "focus_column(-1)", "Column left", show=False),
        Binding("right", "focus_column(1)", "Column right", show=False),
    ]

    def action_focus_column(self, step: int) -> None:
        """Move the footer's column, among the columns shown at this width."""
        keys = [self.columns[i].key for i, _ in self.shown_columns()]
        i = keys.index(self.focus_column) if self.focus_column in keys else 1
        self.focus_column = keys[(i + step) % len(keys)]
        self.post_message(ContainerTable.ColumnFocused())

    class ColumnFocused(Message):
        """The focused column changed."""


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
        self.frozen = False
        self._names: dict[str, str] = {}
        self._before_filter: str | None = None
        self._said_missing: str | None = None
        self._values: dict[str, dict[str, Any]] = {}
        self._cell_cache: dict[str, tuple[Container, Metrics | None, str, dict[str, Any]]] = {}
        self._flash: dict[tuple[str, str], float] = {}
        self._selected: str | None = None
        self._wanted: str | None = None
        self._message: Text | None = None

    def compose(self) -> ComposeResult:
        yield Input(placeholder="filter by name or image (esc clears)", id="filter")
        yield Static("", id="containers-message")
        yield ContainerTable(COLUMNS, id="containers-table", source=self._cell_source)

    @property
    def table(self) -> ContainerTable:
        return self.query_one(ContainerTable)

    def on_mount(self) -> None:
        self.table.focus_column = "name"
        self.query_one("#filter", Input).display = False
        self.query_one("#containers-message", Static).display = False
        self._update_title()

    # ------------------------------------------------------------ user actions

    def open_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.display:
            self._before_filter = self.table.cursor_key
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        """``esc``: no filter, and the selection that was there before it (if it still exists)."""
        box = self.query_one("#filter", Input)
        box.value = ""
        box.display = False
        self.table.focus()
        if self._before_filter is not None:
            self.select(self._before_filter)
            self._before_filter = None

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

    def toggle_frozen(self) -> None:
        """Stop (or restart) live reordering, as htop's ``Z``: rows keep their places."""
        self.frozen = not self.frozen
        self.refresh_rows()

    def cycle_sort(self) -> None:
        self.frozen = False
        self.sort_key = SORTS[(SORTS.index(self.sort_key) + 1) % len(SORTS)]
        self.sort_reverse = self.sort_key in ("cpu", "mem", "pids")
        self.refresh_rows()

    def reverse_sort(self) -> None:
        self.frozen = False
        self.sort_reverse = not self.sort_reverse
        self.refresh_rows()

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

    def reveal(self, cid: str) -> None:
        """Select ``cid`` and make sure it is shown: clear a filter or the running-only view
        that hides it."""
        c = self.snapshot.container(cid) if self.snapshot is not None else None
        if c is not None and c.id not in self.table.rows:
            if self.filter_text:
                self.action_clear_filter()
            if not self.show_stopped:
                self.show_stopped = True
        self.select(cid)

    # ------------------------------------------------------------ snapshots

    def apply(self, snapshot: Snapshot) -> None:
        """Take a new snapshot: compute every container's cells, flash what changed since the
        previous snapshot, and diff the visible rows into the table."""
        now = snapshot.taken_at
        mono = time.monotonic()
        prev = self._values
        values = {c.id: self._cells_of(c, snapshot.metrics_of(c.id), now) for c in snapshot.containers}
        self._cell_cache = {cid: self._cell_cache[cid] for cid in values}
        if prev:
            for cid, vals in values.items():
                old = prev.get(cid)
                if old is vals:
                    continue
                if old is None:
                    self._start_flash(cid, ("name", "state"), mono)
                    continue
                changed = [k for k in FLASH_KEYS if old[k] != vals[k]]
                # "up 5m" → "up 6m" is time passing, not a change worth flashing
                if changed and not (changed == ["state"] and
                                    old["state"].plain.split(" ")[0] == vals["state"].plain.split(" ")[0]):
                    self._start_flash(cid, tuple(changed), mono)
        self._values = values
        self.snapshot = snapshot
        if self._wanted and snapshot.container(self._wanted) is None:
            if not self.select(self._wanted) and snapshot.result("containers") is not None \
                    and self._wanted != self._said_missing:
                self._said_missing = self._wanted  # once; it is still selected if it appears
                self.app.notify(f"no container called {clean(self._wanted)} (yet)", severity="warning",
                                markup=False)
        self.refresh_rows()
        self._names = {c.id: c.name.value for c in snapshot.containers}

    def _cells_of(self, c: Container, m: Metrics | None, now: float) -> dict[str, Any]:
        """A container's cells, built again only when the container, its figures or its
        coarse age changed (most rows of a big list are idle from one tick to the next)."""
        label = state_label(c, now)
        hit = self._cell_cache.get(c.id)
        if hit is not None and hit[2] == label and (hit[1] is m or hit[1] == m) and (hit[0] is c or hit[0] == c):
            return hit[3]
        vals = cell_values(c, m, now)
        self._cell_cache[c.id] = (c, m, label, vals)
        return vals

    def _visible(self, snap: Snapshot) -> list[Container]:
        out = []
        f = self.filter_text
        for c in snap.containers:
            if not self.show_stopped and c.state.value not in ("running", "paused", "restarting"):
                continue
            if f and f not in c.name.value.lower() and f not in c.image.value.lower() \
                    and f not in c.image_fq.lower() and not c.id.startswith(f):
                continue
            out.append(c)
        return out

    def refresh_rows(self) -> None:
        """Show the visible containers, sorted, in the table (cursor stays on its container)."""
        snap = self.snapshot
        if snap is None:
            return
        visible = self._visible(snap)
        self._show_message(snap, bool(visible))
        visible = sort_rows(visible, snap.metrics_of, self.sort_key, self.sort_reverse)
        t = self.table
        if self.frozen:  # rows keep their places; new ones go to the end
            by_id = {c.id: c for c in visible}
            visible = [by_id[k] for k in t.ordered_keys if k in by_id] + [c for c in visible if c.id not in t.rows]
        t.sorted_by = (SORT_COLUMN[self.sort_key], "▼" if self.sort_reverse else "▲")
        t.set_rows((c.id, self._cells(c.id)) for c in visible)
        if self._wanted in t.rows:
            t.move_cursor(key=self._wanted)
            self._wanted = None
        self._notify_selection()
        self._update_title()

    def _cells(self, cid: str) -> tuple[Text, ...]:
        vals = self._values[cid]
        now = time.monotonic()
        out = []
        for col in COLUMNS:
            v = vals[col.key]
            until = self._flash.get((cid, col.key))
            if until is not None and until > now:
                v = v.copy()
                v.stylize(FLASH_STYLE)
            out.append(v)
        return tuple(out)

    def _notify_selection(self) -> None:
        key = self.table.cursor_key
        if key != self._selected:
            note = ""
            gone = self._selected
            if gone and self.snapshot is not None and self.snapshot.container(gone) is None:
                name = self._names.get(gone, gone[:12])
                note = f"{name} was removed"
                self.app.notify(note, severity="warning", markup=False)
            elif key is None and self.filter_text:
                note = f"no container matches “{self.filter_text}”"
            self._selected = key
            self.post_message(ContainerSelected(key, note))

    def _show_message(self, snap: Snapshot, any_shown: bool) -> None:
        """The no-engine or no-containers message instead of (or above) the table."""
        msg = self.query_one("#containers-message", Static)
        text: Text | None = None
        if snap.engine is None:
            retry = f"; retrying in {snap.retry_in:g} s" if snap.retry_in else ""
            why = clean(snap.engine_error) or "no answer"
            text = Text.assemble(("No Docker engine", "bold"), f" at {clean(snap.endpoint)}: {why}{retry}\n",
                                 clean(snap.engine_hint))
        elif not snap.containers:
            listed = snap.result("containers")
            if listed is None:
                text = Text("Listing containers…")
            elif listed.error:
                text = Text.assemble(("Cannot list containers", "bold"), f": {clean(listed.error)}")
            else:
                text = Text("No containers yet. Start one (docker run -d …) and it appears here.")
        elif self.filter_text and not any_shown:
            text = Text(f"No container matches “{clean(self.filter_text)}” (esc clears the filter)")
        if text != self._message:  # Static.update re-lays out the pane: only on a change
            self._message = text
            if text is not None:
                msg.update(text)
        msg.display = text is not None
        shown = snap.engine is not None
        if shown != self.table.display:
            refocus = shown and self.screen.focused is None and self.screen.is_current
            self.table.display = shown
            if refocus:  # hiding the table took the focus with it: give it back
                self.table.focus()

    # ------------------------------------------------------------ flashes, provenance

    def _start_flash(self, cid: str, keys: tuple[str, ...], mono: float) -> None:
        for k in keys:
            self._flash[(cid, k)] = mono + FLASH_S
        self.set_timer(FLASH_S + 0.05, lambda: self._end_flash(cid, keys))

    def _end_flash(self, cid: str, keys: tuple[str, ...]) -> None:
        now = time.monotonic()
        for k in keys:
            until = self._flash.get((cid, k))
            if until is not None and until <= now:
                del self._flash[(cid, k)]
        if cid in self._values:
            self.table.update_row(cid, self._cells(cid))

    @on(ContainerTable.ColumnFocused)
    def _column_focused(self, event: ContainerTable.ColumnFocused) -> None:
        event.stop()
        self._update_title()
        self.post_message(Provenance())

    def _cell_source(self, key: str) -> tuple[str, str] | None:
        """Footer line for the focused column of the container under the cursor."""
        c = self.snapshot.container(key) if self.snapshot is not None else None
        if c is None:
            return None
        col = next((c for c in COLUMNS if c.key == self.table.focus_column), COLUMNS[1])
        return cell_source(c, self.snapshot.metrics_of(c.id), col.key), col.label or "state"

    @on(LiveTable.Highlighted, "#containers-table")
    def _row_highlighted(self, event: LiveTable.Highlighted) -> None:
        event.stop()
        self._notify_selection()

    def _update_title(self) -> None:
        snap = self.snapshot
        total = len(snap.containers) if snap else 0
        running = sum(1 for c in snap.containers if c.state.value == "running") if snap else 0
        shown = self.table.row_count if self.is_mounted else 0
        parts = [f"{running} running / {total}"]
        if shown != total:
            parts.append(f"{shown} shown")
        title = "Containers " + " · ".join(parts)
        arrow = "▼" if self.sort_reverse else "▲"
        sub = [f"sort {self.sort_key}{arrow}" + (" · frozen (Z)" if self.frozen else "")]
        if self.filter_text:
            sub.append(f"filter “{self.filter_text}”")
        if not self.show_stopped:
            sub.append("running only")
        if self.is_mounted:
            col = next((c for c in COLUMNS if c.key == self.table.focus_column), None)
            if col is not None:
                sub.append(f"← → source of {col.label or 'state'}")
        set_border(self, title, " · ".join(sub))
