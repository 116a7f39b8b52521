"""The walkthrough in the app: the seed's shell session, step by step, on the user's container.

``w`` (or the palette, or ``--walkthrough``) starts it. Each step names the command the
walkthrough ran; the app shows the pane that answers it, on the selected container, with the
cursor on the row that holds the value (its footer is that row's source). ``n``/``→`` and
``p``/``←`` move between steps, ``a`` does a step's action (confirmed, never with
``--read-only``), ``esc`` leaves. The steps themselves are in ``widgets/walkthrough.py``.
"""

from __future__ import annotations

from typing import Any

from textual.binding import Binding, BindingType
from textual.widgets import Input

from tui.backend.model import Container, Snapshot, SourceResult
from tui.messages import DoAction
from widgets.live_table import LiveTable
from widgets.pane import TableFirst
from widgets.provenance import SourceScreen
from widgets.registry import find
from widgets.view_screen import ViewScreen
from widgets.walk_panel import WalkPanel
from widgets.walkthrough import STEPS, Step, Target, seed_run

WALK_BINDINGS: list[BindingType] = [
    Binding("w", "walkthrough", "Walkthrough", id="walkthrough",
            tooltip="The shell walkthrough of Docker's internals, live on the selected container"),
    Binding("n,right", "walk_step(1)", "Next step", show=False, priority=True),
    Binding("p,left", "walk_step(-1)", "Previous step", show=False, priority=True),
    Binding("escape", "walk_leave", "Leave the walkthrough", show=False, priority=True),
    Binding("a", "walk_do", "Do the step's action", show=False, priority=True),
    Binding("c", "walk_copy", "Copy the step's command", show=False, priority=True),
]
WALK_KEYS = "n/→ next · p/← previous · c copy · esc leave"
FOCUS_SETTLE_S = 0.15
"""A docked facts table is focused after the tab switch has put the focus in its pane (the
tab's own drill-down runs from a message, after the step has placed its cursor)."""


class WalkMixin:
    """The app's side of the walkthrough (mixed into :class:`~tui.app.InternalsApp`)."""

    walk_index: int | None = None
    """The step on screen (None: not walking)."""
    _walk_placed: tuple[int, str, str] | None = None
    """(step, container, row) the cursor was last put on: moved again only when one changes,
    so the user may look around within the step."""

    def walking_now(self, action: str) -> bool:
        """Whether a walkthrough key is the walkthrough's now (else it goes to the focused widget)."""
        app: Any = self
        if self.walk_index is None:
            return action == "walkthrough"
        if app.screen is not app.screen_stack[0] and not isinstance(app.screen, ViewScreen):
            return False  # a file, help or a confirmation on top owns its keys
        focused = app.screen.focused
        if isinstance(focused, Input):
            return False
        if action == "walk_do":
            return STEPS[self.walk_index].action is not None or self._walk_container() is None
        return True

    def action_walkthrough(self, start: int = 0) -> None:
        """Start (again) at ``start``; ``w`` while walking leaves."""
        if self.walk_index is not None and start == 0:
            self.action_walk_leave()
            return
        self.walk_index = max(0, min(start, len(STEPS) - 1))
        self._walk_placed = None
        self.walk_apply()

    def action_walk_step(self, delta: int) -> None:
        if self.walk_index is None:
            return
        self.walk_index = max(0, min(self.walk_index + delta, len(STEPS) - 1))
        self._walk_placed = None
        self.walk_apply()

    def action_walk_leave(self) -> None:
        app: Any = self
        self.walk_index = None
        for panel in (p for s in app.screen_stack for p in s.query(WalkPanel)):
            panel.remove_class("-on")
        if isinstance(app.screen, ViewScreen):
            app.pop_screen()
        app.container_list.table.focus()

    def action_walk_do(self) -> None:
        """``a``: the step's action (a container like the seed's, ``touch``, a ``yes`` loop…)."""
        app: Any = self
        if self.walk_index is None:
            return
        step = STEPS[self.walk_index]
        c = self._walk_container()
        make = step.action if c is not None else seed_run
        if make is None:
            return
        action = make(app.snapshot, c)
        if action is None:
            app.notify("this step's action needs a running container: select one first", severity="warning")
            return
        app.post_message(DoAction(action, (step.says,)))

    def action_walk_copy(self) -> None:
        """``c``: the step's command (names and IDs filled in) on the clipboard, and in a popup
        beside the value's own source here."""
        app: Any = self
        if self.walk_index is None:
            return
        step = STEPS[self.walk_index]
        snap, c = app.snapshot, self._walk_container()
        command = step.command(snap, c) if snap is not None else step.seed
        app.copy_to_clipboard(command)
        app.push_screen(SourceScreen(command, f"walkthrough step {self.walk_index + 1}: {step.title}"))

    def _walk_container(self) -> Container | None:
        """The selected container (the app's, as its actions see it)."""
        app: Any = self
        return app.selected_container()  # type: ignore[no-any-return]

    def walk_apply(self) -> None:
        """Show the step: its pane, the cursor on its row, the panel (on each snapshot too)."""
        app: Any = self
        if self.walk_index is None or not app.screen_stack:
            return
        step = STEPS[self.walk_index]
        pane = find(step.target.pane)
        if pane is not None and pane.SCREEN:
            if not (isinstance(app.screen, ViewScreen) and app.screen.pane is pane):
                while len(app.screen_stack) > 1:
                    app.pop_screen()
                app.action_view(pane.PANE_ID)
        else:
            while isinstance(app.screen, ViewScreen):
                app.pop_screen()
            if pane is not None:
                app.action_tab(pane.PANE_ID)
        app.call_after_refresh(self.walk_place, step)

    def walk_place(self, step: Step | None = None) -> None:
        """Put the cursor on the step's row once it is there, and draw the panel (each snapshot)."""
        app: Any = self
        if self.walk_index is None or (step is not None and STEPS[self.walk_index] is not step):
            return
        if app.screen is not app.screen_stack[0] and not isinstance(app.screen, ViewScreen):
            return  # a confirmation or a file on top: placed when it closes
        step = STEPS[self.walk_index]
        snap: Snapshot | None = app.snapshot
        c = self._walk_container()
        why = step.unavailable(snap, c) if snap is not None else "waiting for the engine's first answer…"
        answer, style, here = why, "yellow", ""
        table = self._walk_table(step.target)
        if not why:
            key = step.target.key(snap, c, table) if table is not None and snap is not None else None
            if key and table is not None and key in table.rows:
                answer, style = step.answer(self._walk_cells(table, key, step.target)), "bold green"
                source = table.row_source(key)
                here = source[0] if source else ""
                placed = (self.walk_index, c.id if c else "", key)
                if placed != self._walk_placed:
                    browsing = self._walk_placed is not None and self._walk_placed[0] == self.walk_index \
                        and app.screen.focused is app.container_list.table
                    self._walk_placed = placed
                    if browsing:  # the user walks the list: the cursor follows, the focus stays
                        table.move_cursor(key=key)
                    else:
                        self._walk_focus(table, key)
            elif self._walk_error(step):
                answer = self._walk_error(step)
            elif table is None or not table.row_count:
                answer = "waiting for the pane…"
            else:
                answer = step.missing if snap is not None and self._walk_settled(step) else "waiting for the pane…"
        index = self.walk_index
        where = f"Walkthrough · {step.region} {step.in_region}/{step.region_size} · step {index + 1}/{len(STEPS)}"
        label = step.action_label if c is not None else "start a container like the seed's"
        keys = (f"a: {label} · " if step.action is not None or c is None else "") + WALK_KEYS
        command = step.command(snap, c) if snap is not None else step.seed
        for panel in app.screen.query(WalkPanel):
            panel.add_class("-on")
            panel.show_step(where, step.title, command, step.says, answer, style, keys, here)

    def _walk_results(self, step: Step) -> list[tuple[str, SourceResult | None]]:
        """The results of the step's pane's sources, each None unless it is for this container."""
        app: Any = self
        pane = find(step.target.pane)
        snap: Snapshot = app.snapshot
        c = self._walk_container()
        out: list[tuple[str, SourceResult | None]] = []
        for name in pane.SOURCES if pane is not None else ():
            r = snap.result(name)
            out.append((pane.TITLE if pane else "", r if r is not None and (not r.key or c is None or r.key == c.id)
                        else None))
        return out

    def _walk_error(self, step: Step) -> str:
        """Why the step's pane has nothing for this container (its source's error), if so."""
        return next((f"{title}: {r.error}" for title, r in self._walk_results(step) if r is not None and r.error), "")

    def _walk_settled(self, step: Step) -> bool:
        """Whether the pane's sources have answered for this container (until then a missing
        row may still come)."""
        return all(r is not None for _, r in self._walk_results(step))

    def _walk_focus(self, table: LiveTable, key: str) -> None:
        """Focus the table with the cursor on ``key``. A facts table docked above a pane's main
        table takes the focus only from that table (``TableFirst``): the main one goes first."""
        app: Any = self
        pane = next((n for n in table.ancestors if isinstance(n, TableFirst)), None)
        table.move_cursor(key=key)
        if isinstance(pane, TableFirst) and table.id == pane.FACTS_ID:
            app.set_timer(FOCUS_SETTLE_S, pane.focus_facts)
        else:
            table.focus()

    def _walk_table(self, target: Target) -> LiveTable | None:
        app: Any = self
        if target.pane == "list":
            return app.container_list.table  # type: ignore[no-any-return]
        screen = app.screen
        try:
            root = screen.view if isinstance(screen, ViewScreen) else app.pane(target.pane)
        except Exception:  # the view is not mounted yet
            return None
        if isinstance(root, LiveTable) and not target.table:
            return root
        found = root.query(target.table) if target.table else []
        return found.first() if found and isinstance(found.first(), LiveTable) else None

    @staticmethod
    def _walk_cells(table: LiveTable, key: str, target: Target) -> tuple[str, ...]:
        cols = target.columns or tuple(c.key for c in table.columns)
        out = []
        for col in cols:
            try:
                value = table.get_cell(key, col)
            except KeyError:
                continue
            out.append(getattr(value, "plain", str(value)))
        return tuple(out)
