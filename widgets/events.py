"""Events tab: the live Docker events feed, newest first, bounded.

Shows every object's events, or only the selected container's (``t`` toggles), at most
``MAX_ROWS`` of them. Each event's cells are built once and kept by its sequence number.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text

from tui.backend.model import DockerEvent, Snapshot
from widgets.format import set_border, text, when
from widgets.live_table import Column, LiveTable
from widgets.pane import Pane, PaneCommand

MAX_ROWS = 500
COLUMNS = (
    Column("seq", "#", 4, right=True, drop=1),
    Column("time", "TIME", 14),
    Column("type", "TYPE", 9),
    Column("action", "ACTION", 12),
    Column("actor", "ACTOR", 20),
    Column("detail", "DETAIL", 0),
)
ACTION_STYLES = {"start": "green", "die": "red", "kill": "red", "oom": "bold red", "destroy": "red",
                 "stop": "yellow", "pause": "yellow", "unpause": "green", "create": "cyan"}
SKIP_ATTRS = frozenset({"name", "image"})
FIRST_ATTRS = frozenset({"exitCode", "signal", "containerExitCode"})
"""Shown before the rest of an event's attributes: how a container ended."""


def _short(ident: str) -> str:
    """Object IDs (64 hex) shortened as docker does; volume and other names kept whole."""
    return ident[:12] if len(ident) == 64 and all(c in "0123456789abcdef" for c in ident) else ident


def event_cells(ev: DockerEvent, names: dict[str, str], now: float) -> tuple[Any, ...]:
    """The cells of one event; ``names`` maps container IDs to names for network events."""
    action = ev.action
    verb = action.split(":", 1)[0]
    attrs = dict(ev.attributes)
    actor = ev.name or _short(ev.actor_id)
    detail = [f"{k}={names.get(v) or _short(v) if k == 'container' else v}" for k, v in ev.attributes
              if k not in SKIP_ATTRS and not k.startswith("com.docker") and "." not in k]
    detail.sort(key=lambda d: d.split("=", 1)[0] not in FIRST_ATTRS)  # how it ended first (stable)
    if ev.type == "container" and attrs.get("image"):
        detail.insert(len([d for d in detail if d.split("=", 1)[0] in FIRST_ATTRS]), f"image={attrs['image']}")
    return (
        Text(str(ev.seq), justify="right", style="dim"),
        Text(when(ev.time_nano / 1e9, now, ms=True)),
        text(ev.type),
        text(action, style=ACTION_STYLES.get(verb, "")),
        text(actor),
        text(" ".join(detail)),
    )


class EventsPane(LiveTable, Pane):
    """The events feed, newest first; the cursor follows new events while it is on the top row."""

    PANE_ID = "events"
    TITLE = "Events"
    SHORT = "Evts"
    KEY = "8"
    SUMMARY = "The live docker events feed, newest first, from the engine's recent history on"
    HELP = (("t", "all objects / only the selected container"),)
    COMMANDS = (PaneCommand("Events: all / this container", "Toggle the events scope (t)", "toggle_scope",
                            key="t"),)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(COLUMNS, **kwargs)
        self.only_selected = False
        self._cid: str | None = None
        self._name = ""
        self._cells: dict[int, tuple[Text, ...]] = {}
        self._events: dict[int, DockerEvent] = {}
        self._snap: Snapshot | None = None

    def on_mount(self) -> None:
        self._update_title()

    def action_toggle_scope(self) -> None:
        self.only_selected = not self.only_selected
        if self._snap is not None:
            self.show(self._snap, self._cid)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        """Show the snapshot's events (all, or the selected container's), newest first."""
        self._snap = snap
        self._cid = cid
        c = snap.container(cid) if cid else None
        self._name = c.name.value if c else ""  # follows a rename: events are matched by ID
        evs = snap.events
        if self.only_selected:
            evs = tuple(e for e in evs if e.actor_id == cid or dict(e.attributes).get("container") == cid)
        evs = evs[:MAX_ROWS]
        follow = self.cursor_row <= 0
        names = {c.id: c.name.value for c in snap.containers}
        for e in evs:
            if e.seq not in self._cells:
                self._cells[e.seq] = event_cells(e, names, snap.taken_at)
                self._events[e.seq] = e
        keep = {e.seq for e in snap.events}
        for seq in [s for s in self._cells if s not in keep]:
            del self._cells[seq], self._events[seq]
        self.set_rows((str(e.seq), self._cells[e.seq]) for e in evs)
        if follow and evs:
            self.move_cursor(row=0)
        self._update_title()

    def _update_title(self) -> None:
        scope = f"only {self._name or 'the selected container'}" if self.only_selected else "all objects"
        sub = "t: all / this container · newest first"
        if self.only_selected and not self.row_count:
            sub = (f"none of {self._name or 'its'} events among the engine's recent ones: it keeps only the "
                   "last 256 events, older ones are gone · t: all")
        set_border(self, f"Events · {scope} · {self.row_count}", sub)

    def row_source(self, key: str) -> tuple[str, str] | None:
        """The command that shows this event again."""
        ev = self._events.get(int(key))
        if ev is None:
            return None
        since = ev.time_nano // 1_000_000_000
        return (f"docker events --since {since} --until {since + 1} --filter type={ev.type}"
                f" --filter event={ev.action.split(':', 1)[0]}", "event")
