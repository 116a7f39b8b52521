"""Pilot tests of the real app on the real Docker engine (the live :class:`Hub` backend).

Every test starts the app headless with ``Hub(HubConfig(interval=0.5))`` and makes its own
containers (``itui/mini:latest``, label ``internals-tui.test=1``, unique ``itui-pilot-<hex>`` names)
through the ``make_container`` fixture, which removes only those. Waits are bounded polls
(``wait_for``), never fixed sleeps. The module is skipped when no engine answers.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from textual.widgets import Log, Static

from tui.app import Config, InternalsApp, make_app
from widgets.view_screen import ViewScreen
from tui.backend.hub import Hub, HubConfig
from widgets.events import EventsPane
from widgets.live_table import LiveTable
from widgets.file_viewer import FileViewer
from widgets.header import StatusHeader
from widgets.overview import OverviewPane


def _engine_answers() -> tuple[bool, str]:
    try:
        import docker

        client = docker.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # any failure: no usable engine here
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


_OK, _WHY = _engine_answers()
pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not _OK, reason=f"no Docker engine: docker.from_env().ping() failed ({_WHY})"),
]

SIZE = (200, 50)
NO_ENGINE = "unix:///nonexistent/docker.sock"


def live_app(engine: Any, **config: Any) -> InternalsApp:
    """The app on the engine under test (``engine`` fixture: each of the three in turn)."""
    return make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(**config))


def row_keys(table: LiveTable) -> list[str]:
    """Row keys in display order."""
    return table.ordered_keys


def cell_text(table: LiveTable, row: str, column: str) -> str:
    value = table.get_cell(row, column)
    return getattr(value, "plain", str(value))


def static_text(widget: Static) -> str:
    content = widget.content
    return getattr(content, "plain", str(content))


# ---------------------------------------------------------------- containers list


async def test_container_lifecycle_appears_exits_vanishes(engine, make_container, wait_for) -> None:
    """A container started while the app runs shows up (state ``up``), then ``exited``, then goes."""
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        table = app.container_list.table
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.engine is not None,
                       what="the first engine snapshot")
        c = make_container()
        cid = c.id
        await wait_for(pilot, lambda: cid in table.rows, what=f"row {c.name}")
        await wait_for(pilot, lambda: cell_text(table, cid, "state").startswith("up"),
                       what="state 'up …'")
        assert cell_text(table, cid, "name") == c.name
        assert cell_text(table, cid, "id") == cid[:12]

        c.stop(timeout=0)
        await wait_for(pilot, lambda: cell_text(table, cid, "state").startswith("exited"),
                       what="state 'exited'")

        c.remove(force=True)
        await wait_for(pilot, lambda: cid not in table.rows, what="the row to vanish")
        assert app.is_running


async def test_selecting_fills_overview_with_memory_limit(engine, make_container, wait_for) -> None:
    """Selecting a container fills the overview; ``--memory=64m`` reads back as given."""
    c = make_container(mem_limit="64m")
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        table = app.container_list.table
        overview = app.query_one(OverviewPane)
        await wait_for(pilot, lambda: c.id in table.rows, what=f"row {c.name}")
        app.jump_to(c.id)
        await wait_for(pilot, lambda: app.selected == c.id, what="the selection")
        assert row_keys(table)[table.cursor_row] == c.id
        await wait_for(pilot, lambda: "lim-mem" in overview.rows, what="the overview rows")
        for key in ("name", "id", "image", "state", "cmd", "lim-mem", "lim-cpu", "lim-pids"):
            assert key in overview.rows, key
        assert cell_text(overview, "name", "value") == c.name
        assert cell_text(overview, "id", "value") == c.id
        assert cell_text(overview, "lim-mem", "value") == "64.0 MiB  (--memory=64m)"
        assert cell_text(overview, "cmd", "value") == '["sleep", "100000"]'
        assert c.name in overview.border_title
        await wait_for(pilot, lambda: "live-cpu" in overview.rows or "live-err" in overview.rows,
                       what="the live cgroup figures, or why there are none")
        if engine.name == "rootless":  # cgroup v1: said in place, never another cgroup's numbers
            assert "no cgroup of its own" in cell_text(overview, "live-err", "value")
            assert cell_text(table, c.id, "cpu") == "—"
            assert f"/proc/{c.attrs['State']['Pid']}/root" in cell_text(overview, "gd-rootless", "value")
        else:
            assert "live-err" not in overview.rows and "gd-rootless" not in overview.rows


async def test_filter_narrows_rows_and_escape_restores(engine, make_container, wait_for) -> None:
    """``/`` + part of the unique name leaves only matching rows; ``escape`` brings all back."""
    mine = make_container()
    other = make_container()
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        table = app.container_list.table
        await wait_for(pilot, lambda: {mine.id, other.id} <= set(table.rows), what=f"row {mine.name}")
        await wait_for(pilot, lambda: table.row_count == len(app.snapshot.containers) >= 2,
                       what="every container listed")

        def all_listed() -> bool:  # other containers may come and go on a shared engine
            return set(table.rows) == {c.id for c in app.snapshot.containers} and len(table.rows) >= 2

        needle = mine.name.removeprefix("itui-pilot-")[:6]
        await pilot.press("slash")
        box = app.container_list.query_one("#filter")
        await wait_for(pilot, lambda: box.display and box.has_focus, what="the filter box")
        await pilot.press(*needle)
        await wait_for(pilot, lambda: set(table.rows) == {mine.id}, what="only the matching row")
        assert needle in app.container_list.border_subtitle

        await pilot.press("escape")
        await wait_for(pilot, lambda: mine.id in table.rows and all_listed(), what="all rows back")
        assert not box.display
        assert app.container_list.filter_text == ""
        assert table.has_focus


async def test_a_hides_and_shows_stopped(engine, make_container, docker_client, wait_for) -> None:
    """``a`` hides stopped containers (running ones stay) and shows them again."""
    running = make_container()
    stopped = make_container(command=["sh", "-c", "exit 3"])
    stopped.wait(timeout=10)
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        table = app.container_list.table
        await wait_for(pilot, lambda: {running.id, stopped.id} <= set(table.rows), what="both rows")
        assert cell_text(table, stopped.id, "state") == "exited (3)"

        await pilot.press("a")
        await wait_for(pilot, lambda: stopped.id not in table.rows, what="the stopped row hidden")
        assert running.id in table.rows
        assert "running only" in app.container_list.border_subtitle
        states = {app.snapshot.container(k).state.value for k in table.rows}
        assert states <= {"running", "paused", "restarting"}

        await pilot.press("a")
        await wait_for(pilot, lambda: stopped.id in table.rows, what="the stopped row back")
        assert "running only" not in app.container_list.border_subtitle


async def test_no_engine_mode_says_so_and_keeps_running(wait_for) -> None:
    """An unreachable endpoint: a message with the endpoint, ``no engine`` in the header, no crash."""
    app = make_app(Hub(HubConfig(environ={"DOCKER_HOST": NO_ENGINE})), Config())
    async with app.run_test(size=SIZE) as pilot:
        msg = app.container_list.query_one("#containers-message", Static)
        header = app.query_one(StatusHeader)
        await wait_for(pilot, lambda: msg.display and "No Docker engine" in static_text(msg),
                       what="the no-engine message")
        text = static_text(msg)
        assert NO_ENGINE in text
        assert "retrying in" in text
        assert "no engine" in static_text(header)
        assert NO_ENGINE in static_text(header)
        assert app.snapshot is not None and app.snapshot.mode == "no-engine"
        assert app.container_list.table.row_count == 0

        # Still alive and answering keys: the engine view opens and closes.
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the engine view")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ViewScreen), what="back")
        assert app.is_running
        assert app.return_code is None


# ---------------------------------------------------------------- tabs and screens


async def test_events_tab_shows_start_of_new_container(engine, make_container, wait_for) -> None:
    """``8`` opens the events tab; starting a container adds its ``start`` event."""
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.engine is not None,
                       what="the first engine snapshot")
        await pilot.press("8")
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: events.is_attached and events.display and events.size.height > 0,
                       what="the events pane visible")
        c = make_container()

        def has_start() -> bool:
            for key in events.rows:
                cells = events.get_row(key)
                if cells[3].plain == "start" and cells[4].plain == c.name:
                    return True
            return False

        await wait_for(pilot, has_start, what=f"a 'start' event for {c.name}")
        assert events.border_title.startswith("Events · all objects")
        # newest first: the first row has the highest sequence number
        seqs = [int(events.get_row(k)[0].plain) for k in events.ordered_keys]
        assert seqs == sorted(seqs, reverse=True)


async def test_engine_view_shows_version_and_images(engine, docker_client, wait_for) -> None:
    """``e`` opens the engine view with the server version and the local images; ``escape`` returns."""
    version = docker_client.version()["Version"]
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.engine is not None,
                       what="the first engine snapshot")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the engine view")
        screen = app.screen
        info = screen.query_one("#engine-info", LiveTable)
        images = screen.query_one("#engine-images", LiveTable)

        def info_values() -> list[str]:
            return [cell_text(info, k, "value") for k in info.rows]

        await wait_for(pilot, lambda: any(version in v for v in info_values()),
                       what=f"server version {version}")
        await wait_for(pilot, lambda: any("itui/mini:latest" in images.get_row(k)[0].plain
                                          for k in images.rows), what="image itui/mini:latest")
        product = "Podman" if engine.name == "podman" else "Docker"
        assert f"{product} {version}" in static_text(screen.query_one(StatusHeader))

        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back to the main screen")
        assert not isinstance(app.screen, ViewScreen)


async def test_open_config_file_from_overview(engine, make_container, wait_for) -> None:
    """Enter on the overview's ``config.v2.json`` row opens the pretty JSON, which holds the ID.

    An exited decoy sorts first, so the overview shows another container's files before the
    jump: the test must wait for its own container's files, not for any.
    """
    make_container(start=False, name=f"a-itui-decoy-{uuid.uuid4().hex[:8]}")
    c = make_container()
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        overview = app.query_one(OverviewPane)
        await wait_for(pilot, lambda: c.id in app.container_list.table.rows, what=f"row {c.name}")
        app.jump_to(c.id)

        key = "file2-config.json" if engine.name == "podman" else "file-config.v2.json"

        def own_files() -> bool:
            found = overview.row_source(key)
            return (overview.rows.get("id") is not None and cell_text(overview, "id", "value") == c.id
                    and found is not None and f"/{c.id}/" in found[0])

        await wait_for(pilot, own_files, what="the on-disk files of the selected container")
        overview.focus()
        overview.move_cursor(key=key)
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, FileViewer), timeout=5,
                       what="the file viewer")
        log = app.screen.query_one(Log)
        await wait_for(pilot, lambda: log.line_count > 1, what="the file text")
        body = "\n".join(log.lines)
        assert c.id in body
        assert body.lstrip().startswith("{")
        assert '\n  "' in body, "pretty-printed (indented) JSON expected"
        assert app.screen.view.path.endswith("/config.json" if engine.name == "podman" else f"/{c.id}/config.v2.json")

        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, FileViewer), what="back")
