"""Pilot tests of the Namespaces pane and the host namespaces view: verdict colours, the
``enter`` jumps and the type filter on the recording, and the live shared case on the engines."""

from __future__ import annotations

from typing import Any

from textual.widgets import TabbedContent

from tui.app import Config, make_app
from tui.backend.hub import Hub, HubConfig
from tui.backend.replay import ReplayBackend
from widgets.host_namespaces import HostNamespacesView
from widgets.namespaces import NamespacesPane
from widgets.processes import ProcessesPane
from widgets.view_screen import ViewScreen

SIZE = (200, 50)


async def opened(pilot: Any, app: Any, wait_for: Any) -> NamespacesPane:
    pane = app.query_one(NamespacesPane)
    await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "namespaces" and pane.table.row_count >= 8,
                   what="the namespace rows")
    return pane


async def test_verdicts_are_coloured_and_pid_jumps_to_the_container_view(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="namespaces"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, app, wait_for)
        table = pane.table
        assert table.ordered_keys[:4] == ["cgroup", "ipc", "mnt", "net"]
        net = table.get_cell("net", "verdict")
        assert net.plain == "shared: cache" and "magenta" in str(net.style)
        assert "yellow" in str(table.get_cell("user", "verdict").style)   # the host's
        assert "green" in str(table.get_cell("mnt", "verdict").style)     # private
        assert "this app" in pane.query_one("#ns-facts").get_cell("ref", "value").plain
        pane.focus()
        table.move_cursor(key="pid")
        await pilot.press("enter")
        procs = app.query_one(ProcessesPane)
        await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "processes", what="the Processes tab")
        assert procs.inside and procs.table.has_focus


async def test_host_namespaces_view_filters_by_type(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web"))
    value = lab_snapshot.result("host_namespaces").value
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="the list")
        await pilot.press("N")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the view")
        view = app.screen.query_one(HostNamespacesView)
        await wait_for(pilot, lambda: view.row_count == len(value.namespaces), what="every namespace")
        view.focus()
        await pilot.press("f")
        assert view.kind == "net"
        nets = [n for n in value.namespaces if n.kind == "net"]
        assert view.row_count == len(nets) and all(k.startswith("net:") for k in view.ordered_keys)
        web_net = next(n for n in nets if "web" in n.containers)
        assert "web" in view.get_cell(f"net:{web_net.inode}", "containers").plain


async def test_a_container_joining_anothers_network_shows_shared_live(engine, make_container, wait_for) -> None:
    a = make_container()
    app = make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(tab="namespaces"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: a.id in app.container_list.table.rows, what="the first container")
        b = make_container(network_mode=f"container:{a.id}")
        await wait_for(pilot, lambda: b.id in app.container_list.table.rows, what="the joining container")
        app.jump_to(b.id)
        pane = app.query_one(NamespacesPane)
        await wait_for(pilot, lambda: "net" in pane.table.rows
                       and pane.table.get_cell("net", "verdict").plain == f"shared: {a.name}",
                       what="net shared with the first container")


async def test_number_keys_leave_a_pane_whose_focus_is_inside_it(lab_snapshot, wait_for) -> None:
    """Panes made of several tables (Processes, Namespaces): with the focus in one of their
    tables, a tab key still switches tabs and the focus follows into the new tab."""
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="processes"))
    async with app.run_test(size=SIZE) as pilot:
        tabbed = app.query_one(TabbedContent)
        await wait_for(pilot, lambda: app.query_one(ProcessesPane).table.row_count > 0, what="the tree")
        app.query_one(ProcessesPane).focus()
        for key, tab, pane in (("3", "namespaces", NamespacesPane), ("2", "processes", ProcessesPane),
                               ("1", "overview", None), ("3", "namespaces", NamespacesPane)):
            await pilot.press(key)
            await wait_for(pilot, lambda: tabbed.active == tab, what=f"the {tab} tab")
            await pilot.pause()
            assert tabbed.active == tab
            if pane is not None:
                assert app.query_one(pane).table.has_focus
