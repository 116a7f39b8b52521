"""Pilot test of the Network pane on the recording: the pairing drawn under each link, the
namespace line, and a listening socket with its process; ``enter`` on net in the Namespaces tab
opens it."""

from __future__ import annotations

from textual.widgets import TabbedContent

from tui.app import Config, make_app
from tui.backend.replay import ReplayBackend
from widgets.namespaces import NamespacesPane
from widgets.network import NetworkPane

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
