"""Host network view (``I``): the host side's ``ip link`` grouped by bridge, each veth labelled
with its container and interface (or "orphan"), then ``docker network ls`` with each network's
driver, bridge, subnet and containers; ``enter`` on a network shows ``docker network inspect``."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.backend.model import FileView, Snapshot, SourceResult
from tui.backend.model.net import HostLink, HostNetwork, NetworkRequest
from tui.messages import OpenView
from widgets.file_viewer import FileViewer
from widgets.format import set_border, text
from widgets.live_table import Cells, Column, LiveTable
from widgets.pane import Pane, TableFirst

COLUMNS = (Column("name", "INTERFACE / NETWORK", 28), Column("kind", "KIND", 10), Column("state", "STATE", 6),
           Column("what", "CONTAINER / BRIDGE", 30), Column("detail", "", 0))


def link_row(lk: HostLink, indent: str) -> tuple[str, Cells]:
    if lk.kind == "veth":
        what = (Text("orphan: no running container's peer", style="yellow") if lk.orphan else
                text(f"{lk.container} {lk.container_if}", style="cyan") if lk.container else Text(""))
    else:
        what = Text("")
    return (f"if:{lk.index}", (text(indent + lk.name, style="bold" if lk.kind == "bridge" else ""),
                               Text(lk.kind or "—"), Text(lk.state, style="" if lk.state == "up" else "yellow"),
                               what, text("  ".join(lk.addresses) or lk.mac, style="dim")))


def inspect_viewer(req: NetworkRequest, res: SourceResult) -> FileViewer:
    view = res.value if isinstance(res.value, FileView) else FileView(
        f"docker network inspect {req.name}", "", 0, False, f"docker network inspect {req.name}",
        error=res.error or "nothing read")
    return FileViewer(view)


class HostNetworkView(TableFirst, Vertical, Pane):
    """Bridges with their veths, other interfaces, then the engine's networks."""

    PANE_ID = "host-network"
    FACTS_ID = "hnet-facts"
    TITLE = "Host network"
    KEY = "I"
    SUMMARY = "The host's interfaces by bridge, each veth with its container (ip link), and docker network ls"
    ORIGIN = "ip -br link ; bridge link ; docker network ls"
    SOURCES = ("host_network",)
    SCREEN = True
    HELP = (("enter", "on a network: docker network inspect"), ("shift+tab", "from the table to the lines above it"))

    DEFAULT_CSS = """
    HostNetworkView { height: 1fr; border: round $primary; border-subtitle-color: $text-muted; }
    HostNetworkView #hnet-facts { dock: top; height: 3; border-bottom: solid $panel-lighten-2; }
    HostNetworkView #hnet-table { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._value: HostNetwork | None = None

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="hnet-table", source=self._row_source, flex_min=20)
        yield LiveTable((Column("label", "", 16), Column("value", "", 0)), show_header=False, id="hnet-facts")

    @property
    def table(self) -> LiveTable:
        return self.query_one("#hnet-table", LiveTable)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        res = snap.result("host_network")
        v = res.value if res is not None and isinstance(res.value, HostNetwork) else None
        self._value = v
        if v is None:
            set_border(self, "Host network", res.error if res is not None and res.error else "reading…")
            return
        self.query_one("#hnet-facts", LiveTable).set_rows([
            ("side", (Text("Host side", style="bold"), text(v.side))),
            ("uplink", (Text("Uplink", style="bold"), text(f"{v.uplink or '—'} (the default route's interface)")))])
        by_master: dict[str, list[HostLink]] = {}
        for lk in v.links:
            by_master.setdefault(lk.master, []).append(lk)
        nets = {n.bridge: n for n in v.networks if n.bridge}
        rows: list[tuple[str, Cells]] = []
        for lk in v.links:
            if lk.master:
                continue
            if lk.kind == "bridge":
                net = nets.get(lk.name)
                row = link_row(lk, "")
                if net is not None:
                    row = (row[0], (*row[1][:3], text(f"network {net.name} {' '.join(net.subnets)}", style="magenta"),
                                    row[1][4]))
                rows.append(row)
                rows += [link_row(m, "  ") for m in by_master.get(lk.name, ())]
        rows += [link_row(lk, "") for lk in v.links if not lk.master and lk.kind != "bridge"]
        rows.append(("§networks", (Text("docker network ls", style="bold underline"), Text(""), Text(""), Text(""),
                                   Text("⏎ docker network inspect", style="dim"))))
        for n in v.networks:
            rows.append((f"net:{n.id}", (text(n.name, style="bold"), text(n.driver), Text(""),
                                         text(n.bridge or "—", style="magenta"),
                                         text(f"{' '.join(n.subnets) or '—'}"
                                              + (f" gw {' '.join(n.gateways)}" if n.gateways else "")
                                              + (" internal" if n.internal else "")
                                              + f"  {len(n.containers)} container"
                                              f"{'' if len(n.containers) == 1 else 's'}: {', '.join(n.containers)}"
                                              .rstrip(": "), style="dim"))))
        self.table.set_rows(rows)
        veths = [lk for lk in v.links if lk.kind == "veth"]
        orphans = sum(lk.orphan for lk in veths)
        set_border(self, "Host network", f"{len(v.links)} interfaces · {len(veths)} veths"
                   + (f" · {orphans} orphan" if orphans else "") + f" · {len(v.networks)} networks · ⏎ inspect")

    def _row_source(self, key: str) -> tuple[str, str] | None:
        if key.startswith("net:") and self._value is not None:
            n = next((x for x in self._value.networks if x.id == key[4:]), None)
            return (f"docker network inspect {n.name}", "network") if n else None
        if key.startswith("if:") and self._value is not None:
            lk = next((x for x in self._value.links if f"if:{x.index}" == key), None)
            return (f"ip -d link show {lk.name}", "link") if lk else None
        return None

    @on(LiveTable.Selected, "#hnet-table")
    def _selected(self, event: LiveTable.Selected) -> None:
        event.stop()
        n = next((x for x in self._value.networks if f"net:{x.id}" == event.key), None) if self._value else None
        if n is not None:
            req = NetworkRequest(n.id, n.name)
            self.post_message(OpenView("network_inspect", req, lambda res: inspect_viewer(req, res)))
