"""Pilot test of the Network pane on the recording: the pairing drawn under each link, the
namespace line, and a listening socket with its process; ``enter`` on net in the Namespaces tab
opens it. On the engine: ``docker network connect`` / ``disconnect`` on screen as the kernel
says so, and ``docker network inspect`` from the host view."""

from __future__ import annotations

import asyncio
import os

from textual.widgets import TabbedContent

from tui.app import Config, make_app
from tui.backend.hub import Hub, HubConfig
from tui.backend.replay import ReplayBackend
from widgets.file_viewer import FileViewer
from widgets.host_network import HostNetworkView
from widgets.namespaces import NamespacesPane
from widgets.network import NetworkPane
from widgets.view_screen import ViewScreen

SIZE = (220, 60)


async def test_pairing_namespace_and_sockets_on_the_recording(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="namespaces"))
    async with app.run_test(size=SIZE) as pilot:
        ns = app.query_one(NamespacesPane)
        await wait_for(pilot, lambda: "net" in ns.table.rows, what="the namespace rows")
        ns.table.focus()
        ns.table.move_cursor(key="net")
        await pilot.press("enter")
        pane = app.query_one(NetworkPane)
        await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "network"
                       and "topo:5152" in pane.table.rows, what="the Network tab")
        t = pane.table
        assert t.get_cell("topo:5152", "item").plain == "eth0@if5153"
        assert t.get_cell("topo:5152", "a").plain == "172.17.0.3/16"
        assert t.get_cell("topo:5152:0", "a").plain.startswith("⇄ veth") and "both ends" in t.get_cell(
            "topo:5152:0", "b").plain
        assert t.get_cell("topo:5152:1", "a").plain == "→ docker0 → network bridge"
        sock = next(k for k in t.ordered_keys if k.startswith("sock:"))
        assert t.get_cell(sock, "b").plain == "httpd (PID 4966)"
        facts = pane.query_one("#net-facts")
        assert "shared with cache" in facts.get_cell("netns", "value").plain


async def test_connect_and_disconnect_on_screen(engine, make_container, docker_client, wait_for) -> None:
    engine.skip_unless("docker", why="bridge names are Docker's; link events are read in the host's namespace")
    net = docker_client.networks.create(f"itui-ui-{os.getpid()}", labels={"internals-tui.test": "1"})
    c = make_container()
    try:
        app = make_app(Hub(HubConfig(interval=1.0, environ=engine.env)), Config(container=c.name, tab="network"))
        async with app.run_test(size=SIZE) as pilot:
            pane = app.query_one(NetworkPane)

            def veths() -> list[str]:
                return [k for k in pane.table.ordered_keys if k.startswith("topo:") and k.count(":") == 1]

            await wait_for(pilot, lambda: len(veths()) == 1, what="eth0")
            await asyncio.to_thread(net.connect, c)
            await wait_for(pilot, lambda: len(veths()) == 2, timeout=4, what="the second interface")
            bridge = f"→ br-{net.id[:12]}"
            assert pane.table.get_cell(f"{veths()[1]}:1", "a").plain.startswith(bridge)
            await wait_for(pilot, lambda: pane.table.get_cell(f"{veths()[1]}:1", "a").plain
                           == f"{bridge} → network {net.name}", what="its network, once inspect says so")
            await asyncio.to_thread(net.disconnect, c)
            await wait_for(pilot, lambda: len(veths()) == 1, timeout=4, what="back to eth0 only")
            await pilot.press("I")
            await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the host view")
            view = app.screen.query_one(HostNetworkView)
            await wait_for(pilot, lambda: any(k.startswith("net:") for k in view.table.ordered_keys), what="networks")
            key = next(k for k in view.table.ordered_keys if k == f"net:{net.id}")
            view.table.focus()
            view.table.move_cursor(key=key)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, FileViewer), what="docker network inspect")
            assert app.screen.view.path == f"docker network inspect {net.name}" and net.id in app.screen.view.text
    finally:
        c.remove(force=True)
        net.remove()
