"""Events tab: the live Docker events feed, newest first, bounded.

Shows every object's events, or only the selected container's (``t`` toggles). New events are
added as keyed rows and flash briefly; the table keeps at most ``MAX_ROWS`` rows.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.widgets import DataTable

from tui.backend.model import DockerEvent, Snapshot
from tui.messages import Provenance
from widgets.format import clean, text

MAX_ROWS = 500
ACTION_STYLES = {"start": "green", "die": "red", "kill": "red", "oom": "bold red", "destroy": "red",
                 "stop": "yellow", "pause": "yellow", "unpause": "green", "create": "cyan"}
SKIP_ATTRS = frozenset({"name", "image"})


def event_cells(ev: DockerEvent) -> tuple[Any, ...]:
    t = _dt.datetime.fromtimestamp(ev.time_nano / 1e9, _dt.timezone.utc)
    action = ev.action
    verb = action.split(":", 1)[0]
    attrs = dict(ev.attributes)
    actor = attrs.get("name") or ev.actor_id[:12]
    detail = [f"{k}={v}" for k, v in ev.attributes if k not in SKIP_ATTRS and not k.startswith("com.docker")
              and "." not in k]
    if ev.type == "container" and attrs.get("image"):
        detail.insert(0, f"image={attrs['image']}")
    return (
        Text(str(ev.seq), justify="right", style="dim"),
        Text(t.strftime("%H:%M:%S.") + f"{t.microsecond // 1000:03d}"),
        text(ev.type),
        text(action, style=ACTION_STYLES.get(verb, "")),
        text(actor),
        text(" ".join(detail)),
    )


class EventsPane(DataTable[Any]):
    """The events feed as a keyed, newest-first table."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("t", "toggle_scope", "All / this container", tooltip="Show all events or only the selected container's"),
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.only_selected = False
        self._cid: str | None = None
        self._name = ""
        self._shown: dict[int, DockerEvent] = {}
        self._snap: Snapshot | None = None

    def on_mount(self) -> None:
        for label, key, width in (("#", "seq", 5), ("TIME (UTC)", "time", 12), ("TYPE", "type", 9),
                                  ("ACTION", "action", 16), ("ACTOR", "actor", 18), ("DETAIL", "detail", None)):
            self.add_column(label, key=key, width=width)
        self._update_title()

    def action_toggle_scope(self) -> None:
        self.only_selected = not self.only_selected
        self._rebuild()

    def show(self, snap: Snapshot, cid: str | None) -> None:
        """Add the events this snapshot has that the table does not (and drop filtered ones)."""
        self._snap = snap
        if cid != self._cid:
            self._cid = cid
            c = snap.container(cid) if cid else None
            self._name = c.name.value if c else ""
            if self.only_selected:
                self._rebuild()
                return
        self._merge(snap)

    def _wanted(self, snap: Snapshot) -> list[DockerEvent]:
        evs = snap.events
        if self.only_selected:
            cid = self._cid or ""
            evs = tuple(e for e in evs if e.actor_id == cid or dict(e.attributes).get("container") == cid)
        return list(evs[:MAX_ROWS])

    def _merge(self, snap: Snapshot) -> None:
        wanted = self._wanted(snap)
        keep = {e.seq for e in wanted}
        for seq in [s for s in self._shown if s not in keep]:
            self.remove_row(str(seq))
            del self._shown[seq]
        new = [e for e in wanted if e.seq not in self._shown]
        for e in reversed(new):
            self.add_row(*event_cells(e), key=str(e.seq))
            self._shown[e.seq] = e
        if new:
            cursor_at_top = self.cursor_row <= 0
            self.sort("seq", key=lambda cell: -int(cell.plain), reverse=False)
            if cursor_at_top:
                self.move_cursor(row=0, animate=False)
        self._update_title()

    def _rebuild(self) -> None:
        self.clear()
        self._shown.clear()
        if self._snap is not None:
            self._merge(self._snap)
        self._update_title()

    def _update_title(self) -> None:
        n = len(self._shown)
        scope = f"only {clean(self._name) or 'the selected container'}" if self.only_selected else "all objects"
        self.border_title = f"Events · {scope} · {n}"
        self.border_subtitle = "t: all / this container · newest first"

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        ev = self._shown.get(int(str(event.row_key.value))) if event.row_key.value else None
        if ev is not None:
            since = ev.time_nano // 1_000_000_000
            self.post_message(Provenance(
                f"docker events --since {since} --until {since + 1} --filter type={ev.type}"
                f" --filter event={ev.action.split(':', 1)[0]}", "event"))
