"""SVG snapshots of the main views on recorded data (``lab.json``) and on a hand-built no-engine state.

Deterministic by construction: a replay backend (no Docker, no polling), the default
``textual-dark`` theme, no animations, a fixed terminal size, and every age computed from the
snapshot's own ``taken_at`` (no wall clock). Regenerate after an intended UI change with
``pytest tests/ui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from textual.widgets import TabbedContent

from tui.app import Config, InternalsApp, make_app
from tui.backend.model import Snapshot
from tui.backend.replay import ReplayBackend
from widgets.registry import PANES, find
from widgets.view_screen import ViewScreen

TERMINAL = (160, 45)
FIXED_TIME = 1795951183.0  # the lab recording's own clock (2026-11-29)


def snapshot_app(snap: Snapshot, **config: Any) -> InternalsApp:
    app = make_app(ReplayBackend([snap]), Config(**config))
    app.animation_level = "none"
    return app


@pytest.mark.parametrize("pane", [p.PANE_ID for p in PANES])
def test_pane(snap_compare, lab_snapshot, wait_for, pane: str) -> None:
    """Every registered pane, opened with ``--container web --tab <pane>`` on the recording."""
    web = next(c.id for c in lab_snapshot.containers if c.name.value == "web")
    app = snapshot_app(lab_snapshot, container="web", tab=pane)
    spec = find(pane)
    assert spec is not None

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7 and app.selected == web,
                       what="web selected")
        if spec.SCREEN:
            await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen) and app.screen.is_mounted,
                           what=f"the {pane} view")
        else:
            await wait_for(pilot, lambda: app.query_one(TabbedContent).active == pane, what=f"the {pane} tab")
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(app, terminal_size=TERMINAL, run_before=run_before)


def test_narrow_terminal(snap_compare, lab_snapshot, wait_for) -> None:
    """At 80x24 the list sits above the tabs and drops the columns that do not fit."""
    web = next(c.id for c in lab_snapshot.containers if c.name.value == "web")
    app = snapshot_app(lab_snapshot, container="web")

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7 and app.selected == web,
                       what="web selected")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_no_engine(snap_compare, lab_snapshot, wait_for) -> None:
    """No engine at the endpoint: the containers pane says so and how to start one."""
    snap = Snapshot(seq=1, taken_at=FIXED_TIME, host=lab_snapshot.host,
                    endpoint="unix:///var/run/docker.sock", engine_error="socket not found",
                    engine_hint="start it with: sudo dockerd &", retry_in=4.0)
    app = snapshot_app(snap)

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.snapshot is not None
                       and app.container_list.query_one("#containers-message").display,
                       what="the no-engine message")

    assert snap_compare(app, terminal_size=TERMINAL, run_before=run_before)


def test_wide_terminal(snap_compare, lab_snapshot, wait_for) -> None:
    """At 250x60 every column shows, the state column whole (``exited (137)``)."""
    one = lab_snapshot.container_by_name("oneshot")
    killed = replace(one, exit_code=replace(one.exit_code, value=137))
    sources = tuple(replace(r, value=tuple(killed if c.id == one.id else c for c in r.value))
                    if r.name == "containers" else r for r in lab_snapshot.sources)
    app = snapshot_app(replace(lab_snapshot, sources=sources), container="web")

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7 and app.selected
                       and "exited (137)" in "".join(s.text for s in map(app.container_list.table.render_line,
                                                                          range(9))),
                       what="web selected, oneshot exited (137) painted whole")

    assert snap_compare(app, terminal_size=(250, 60), run_before=run_before)
