"""Pilot tests of the Processes pane and the host processes view: on the recording (toggle,
cursor, footer, a process appearing) and on the real engines (a live exec, literal cmdlines)."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import replace
from typing import Any

from textual.widgets import TabbedContent

from tui.app import Config, InternalsApp, make_app
from tui.backend.hub import Hub, HubConfig
from tui.backend.model import Snapshot
from tui.backend.model.procs import ProcessTree, TreeRow
from tui.backend.replay import ReplayBackend
from tui.messages import SnapshotReady
from widgets.host_processes import HostProcessesView
from widgets.live_table import LiveTable
from widgets.process_detail import ProcessDetailScreen
from widgets.processes import NEW_S, ProcessesPane
from widgets.provenance import ProvenanceBar
from widgets.view_screen import ViewScreen

SIZE = (200, 50)


def tree(snap: Snapshot) -> ProcessTree:
    r = snap.result("processes")
    assert r is not None and isinstance(r.value, ProcessTree)
    return r.value


def plain(table: LiveTable, key: str, column: str) -> str:
    return table.get_cell(key, column).plain


async def opened(pilot: Any, app: InternalsApp, wait_for: Any, rows: int = 1) -> ProcessesPane:
    pane = app.query_one(ProcessesPane)
    await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "processes"
                   and pane.table.row_count >= rows, what="the process tree")
    return pane


async def test_toggle_keeps_the_cursor_on_the_process(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="processes"))
    t = tree(lab_snapshot)
    init = next(p for p in t.procs if p.role == "init")
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, app, wait_for, rows=len(t.host_rows))
        host = pane.table
        assert host.ordered_keys == [r.key for r in t.host_rows]
        assert plain(host, init.key, "pid") == str(init.pid) and plain(host, init.key, "cpid") == "1"
        assert plain(host, t.host_rows[0].key, "cpid") == "—"  # the engine: not in the container
        assert "[engine]" in plain(host, t.host_rows[0].key, "cmd")
        pane.focus()
        host.move_cursor(key=init.key)
        await pilot.pause()
        assert "grep NSpid /proc/%d/status" % init.pid in app.screen.query_one(ProvenanceBar).source
        await pilot.press("v")
        inside = pane.table
        assert pane.inside and inside is not host and inside.display and not host.display
        assert inside.cursor_key == init.key and inside.has_focus
        assert inside.ordered_keys == [r.key for r in t.container_rows]
        assert plain(inside, init.key, "pid") == "1" and plain(inside, init.key, "hpid") == str(init.pid)
        assert "docker exec web ps -ef" in app.screen.query_one(ProvenanceBar).source
        await pilot.press("v")
        assert not pane.inside and pane.table.cursor_key == init.key


async def test_new_process_is_highlighted_and_the_cursor_stays(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="processes"))
    t = tree(lab_snapshot)
    init = next(p for p in t.procs if p.role == "init")
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, app, wait_for, rows=len(t.host_rows))
        pane.focus()
        pane.table.move_cursor(key=init.key)
        new = replace(init, pid=init.pid + 100, start=init.start + 5, ppid=init.pid, role="", cmdline=("ls", "-l"),
                      nspid=(init.pid + 100, 77), cpu=12.5)
        # a row inserted right below the cursor's, as the first of init's children
        rows = list(t.host_rows)
        at = next(i for i, r in enumerate(rows) if r.key == init.key) + 1
        rows.insert(at, TreeRow(new.key, "│  ├─ ", "", new.pid, new.ppid))
        grown = replace(t, procs=(*t.procs, new), host_rows=tuple(rows))
        sources = tuple(replace(r, value=grown) if r.name == "processes" else r for r in lab_snapshot.sources)
        app.post_message(SnapshotReady(replace(lab_snapshot, sources=sources, seq=99)))
        await wait_for(pilot, lambda: new.key in pane.table.rows, what="the new process")
        assert pane.table.cursor_key == init.key
        cell = pane.table.get_cell(new.key, "cmd")
        assert "ls -l" in cell.plain and "green" in str(cell.spans[-1].style)
        assert plain(pane.table, new.key, "cpid") == "77" and plain(pane.table, new.key, "cpu") == "12.5"
        later = replace(lab_snapshot, sources=sources, seq=100, taken_at=lab_snapshot.taken_at + NEW_S + 1)
        app.post_message(SnapshotReady(later))
        await wait_for(pilot, lambda: "green" not in str(pane.table.get_cell(new.key, "cmd").spans),
                       what="the highlight to fade")
        gone = replace(lab_snapshot, seq=101, taken_at=later.taken_at + 1)
        app.post_message(SnapshotReady(gone))
        await wait_for(pilot, lambda: new.key not in pane.table.rows, what="the process to go")
        assert pane.table.cursor_key == init.key


async def test_enter_opens_details_and_a_recording_says_it_has_none(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="processes"))
    t = tree(lab_snapshot)
    init = next(p for p in t.procs if p.role == "init")
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, app, wait_for)
        pane.focus()
        pane.table.move_cursor(key=init.key)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ProcessDetailScreen), what="the detail screen")
        table = app.screen.query_one(LiveTable)
        assert "on-demand reads" in table.get_cell("gone", "value").plain
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(app.screen, ProcessDetailScreen), what="back")
        assert isinstance(app.screen.focused, LiveTable) and app.query_one(ProcessesPane).table.has_focus


async def test_host_processes_view_from_its_key(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web"))
    value = lab_snapshot.result("host_processes").value
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="the list")
        await pilot.press("P")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the view")
        view = app.screen.query_one(HostProcessesView)
        await wait_for(pilot, lambda: view.row_count == len(value.rows), what="every process")
        web_rows = [p for p in value.procs if p.container == "web"]
        assert web_rows and all(plain(view, p.key, "ct") == "web" for p in web_rows)
        assert plain(view, web_rows[0].key, "cpid") == str(web_rows[0].cpid)
        assert "kernel threads not listed" in str(view.border_subtitle)


async def test_live_exec_and_literal_cmdline_on_the_engine(engine, make_container, wait_for) -> None:
    script = "sleep 100000; : '[bold red]boom[/]\x1b[2J\nnext'"
    c = make_container(command=["sh", "-c", script])
    app = make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(container=c.name, tab="processes"))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(ProcessesPane)

        def row_with(text: str) -> str | None:
            return next((k for k in pane.table.ordered_keys if text in plain(pane.table, k, "cmd")), None)

        await wait_for(pilot, lambda: row_with("sleep 100000") is not None, what="the container's tree")
        init_key = row_with("sleep 100000")
        cmd = plain(pane.table, init_key, "cmd")
        assert "[bold red]boom[/]\\x1b[2J next" in cmd  # markup kept as text, ESC escaped, newline a space
        pane.focus()
        pane.table.move_cursor(key=init_key)
        await asyncio.to_thread(c.exec_run, ["sh", "-c", "yes > /dev/null"], detach=True)
        await wait_for(pilot, lambda: (k := row_with("yes")) is not None and plain(pane.table, k, "cpu") not in ("",),
                       what="the exec'd loop with its CPU %")
        loop = row_with("yes")
        assert "[exec]" in plain(pane.table, loop, "cmd") and pane.table.cursor_key == init_key
        os.kill(int(plain(pane.table, loop, "pid")), signal.SIGKILL)
        await wait_for(pilot, lambda: row_with("yes") is None, what="the loop gone")
        assert pane.table.cursor_key == init_key
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ProcessDetailScreen), what="details")
        table = app.screen.query_one(LiveTable)
        await wait_for(pilot, lambda: "NSpid" in [table.get_cell(k, "field").plain for k in table.ordered_keys],
                       what="the NSpid line")
        nspid = next(table.get_cell(k, "value").plain for k in table.ordered_keys
                     if table.get_cell(k, "field").plain == "NSpid")
        assert nspid.endswith("→  1   (2 PID namespace levels, host first)")
