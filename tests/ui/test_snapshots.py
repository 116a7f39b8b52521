"""SVG snapshots of the main views on recorded data (``lab.json``) and on a hand-built no-engine state.

Deterministic by construction: a replay backend (no Docker, no polling), the default
``textual-dark`` theme, no animations, a fixed terminal size, and every age computed from the
snapshot's own ``taken_at`` (no wall clock). Regenerate after an intended UI change with
``pytest tests/ui/test_snapshots.py --snapshot-update`` and review the SVGs.
"""

from __future__ import annotations

from typing import Any


from tui.app import Config, EngineScreen, InternalsApp, make_app
from tui.backend.model import Snapshot
from tui.backend.replay import ReplayBackend
from widgets.events import EventsPane
from widgets.live_table import LiveTable
from widgets.overview import OverviewPane

TERMINAL = (160, 45)
FIXED_TIME = 1795951183.0  # the lab recording's own clock (2026-11-29)


def snapshot_app(snap: Snapshot, **config: Any) -> InternalsApp:
    app = make_app(ReplayBackend([snap]), Config(**config))
    app.animation_level = "none"
    return app


def test_containers_and_overview_web(snap_compare, lab_snapshot, wait_for) -> None:
    """Containers list and the overview of ``web`` (``--container web``), with its on-disk files."""
    web = next(c.id for c in lab_snapshot.containers if c.name.value == "web")
    app = snapshot_app(lab_snapshot, container="web")

    async def run_before(pilot: Any) -> None:
        overview = app.query_one(OverviewPane)
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="7 rows")
        await wait_for(pilot, lambda: app.selected == web and "file-config.v2.json" in overview.rows,
                       what="web's overview")

    assert snap_compare(app, terminal_size=TERMINAL, run_before=run_before)


def test_narrow_terminal(snap_compare, lab_snapshot, wait_for) -> None:
    """At 80x24 the list sits above the tabs and drops the columns that do not fit."""
    web = next(c.id for c in lab_snapshot.containers if c.name.value == "web")
    app = snapshot_app(lab_snapshot, container="web")

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7 and app.selected == web,
                       what="web selected")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_events_tab(snap_compare, lab_snapshot, wait_for) -> None:
    """The events tab (``8``): the recorded feed, newest first."""
    app = snapshot_app(lab_snapshot)

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="7 rows")
        await pilot.press("8")
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: events.row_count == len(lab_snapshot.events), what="all events")

    assert snap_compare(app, terminal_size=TERMINAL, run_before=run_before)


def test_engine_view(snap_compare, lab_snapshot, wait_for) -> None:
    """The engine view (``e``): docker version / info, images, /proc/cgroups."""
    app = snapshot_app(lab_snapshot)

    async def run_before(pilot: Any) -> None:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="7 rows")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EngineScreen), what="the engine view")
        await wait_for(pilot, lambda: app.screen.query_one("#engine-images", LiveTable).row_count == 2
                       and app.screen.query_one("#engine-info", LiveTable).row_count > 10,
                       what="the engine tables")

    assert snap_compare(app, terminal_size=TERMINAL, run_before=run_before)


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
