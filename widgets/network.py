"""Network pane (tab 5): the selected container's interfaces as its own namespace sees them, each
veth paired with its host-side peer, bridge and Docker network (``eth0@if7 ⇄ veth…@if6 → docker0 →
bridge → eth0``); the Docker networks and published ports; routes; listening sockets with their
process — ``docker exec NAME ip addr`` and ``ss -ltnup`` without ``ip`` or ``ss`` in the image."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.backend.model import Container, Snapshot
from tui.backend.model.net import NetLink, NetView
from widgets.format import set_border, text
from widgets.live_table import Cells, Column, LiveTable
from widgets.pane import Pane, TableFirst, show_reason

COLUMNS = (Column("item", "", 16), Column("a", "", 36), Column("b", "", 30), Column("detail", "", 0))

Row = tuple[str, Cells, str]


def section(title: str, what: str = "") -> Row:
    return (f"§{title}", (Text(title, style="bold underline"), Text(""), Text(""), Text(what, style="dim")), "")


def row(key: str, item: str, a: Text | str = "", b: Text | str = "", detail: Text | str = "", source: str = "") -> Row:
    cells = tuple(c if isinstance(c, Text) else text(c) for c in (a, b, detail))
    return key, (text(item, style="bold"), *cells), source


def topology(lk: NetLink, v: NetView) -> list[tuple[Text, Text]]:
    """Lines under a link: ``⇄ veth…@ifN`` and ``→ docker0 → network bridge → uplink eth0`` for a
    veth; the parent for macvlan/ipvlan."""
    if lk.kind == "veth" and lk.host_peer:
        path = Text("→ ", style="dim")
        path.append(lk.bridge or "no bridge", style="magenta")
        if lk.network:
            path.append(" → network ", style="dim")
            path.append(lk.network, style="bold")
        side = "rootlesskit's namespace" if "rootlesskit" in v.host_side.value else "host"
        return [(Text(f"⇄ {lk.host_peer}@if{lk.index} ({side})", style="cyan"),
                 Text("✓ both ends agree" if lk.confirmed else "", style="green")),
                (path, Text(f"→ uplink {v.uplink}" if v.uplink else "", style="dim"))]
    if lk.kind in ("macvlan", "ipvlan"):
        return [(Text(f"{lk.kind} on {lk.host_peer or f'host index {lk.peer_index}'}"), Text("no bridge, no veth"))]
    if lk.kind == "veth":
        return [(Text(f"peer index {lk.peer_index} in a namespace this app cannot pair", style="yellow"), Text(""))]
    return []


def view_rows(v: NetView, c: Container | None) -> list[Row]:
    d = c.detail if c is not None else None
    rows: list[Row] = [section("Links", "container side ⇄ host side → bridge → Docker network → uplink")]
    for lk in v.links:
        if lk.name == "lo":
            continue
        name = f"{lk.name}@if{lk.peer_index}" if lk.peer_index else lk.name
        rows.append(row(f"topo:{lk.index}", name, ", ".join(lk.addresses) or "no address", lk.mac, "",
                        v.links_source))
        for i, (a, b) in enumerate(topology(lk, v)):
            rows.append(row(f"topo:{lk.index}:{i}", "", a, b, "", v.links_source))
    if len(rows) == 1:
        rows.append(row("topo:none", "—", Text("no interface but loopback", style="dim")))
    if d is not None and d.networks:
        rows.append(section("Networks", "docker network inspect"))
        described = {n.name: n for n in v.networks}
        for n in d.networks:
            ip = f"{n.ip_address}/{n.prefix_len}" if n.ip_address else "—"
            net = described.get(n.network)
            kind = f"{net.driver} {' '.join(net.subnets)}".strip() if net else ""
            extra = "  ".join(x for x in (n.ipv6_address, "aliases " + ", ".join(n.aliases) if n.aliases else "") if x)
            rows.append(row(f"net:{n.network}", n.network, ip, f"gateway {n.gateway or '—'}",
                            Text(f"{kind}  {n.mac_address}  id {n.network_id[:12]}  {extra}".strip(), style="dim"),
                            f"docker network inspect {n.network}"))
    if d is not None and d.ports:
        rows.append(section("Ports", "published (docker-proxy and NAT on the host)"))
        for p in d.ports:
            ip = p.host_ip or "0.0.0.0"
            host = (f"[{ip}]:{p.host_port}" if ":" in ip else f"{ip}:{p.host_port}") if p.host_port else "not published"
            rows.append(row(f"port:{p.container_port}:{p.host_ip}:{p.host_port}", p.container_port,
                            f"host {host}", f"→ container :{p.container_port.split('/')[0]}", "",
                            f"docker port {c.name.value if c else ''}"))
    rows.append(section("Interfaces", "inside its namespace: ip -d addr"))
    for lk in v.links:
        rows.append(row(f"if:{lk.index}", f"{lk.index}: {lk.name}", f"{lk.kind or 'loopback'}  {lk.mac}",
                        Text(f"mtu {lk.mtu} · {lk.state}", style="" if lk.state == "up" else "yellow"),
                        ", ".join(lk.addresses), v.links_source))
    rows.append(section("Routes", "ip route (main table)"))
    for i, r in enumerate(v.routes):
        rows.append(row(f"route:{i}", r.dst, f"via {r.gateway}" if r.gateway else "directly connected",
                        f"dev {r.dev}", "", v.links_source.split(" ;")[0].replace("ip -d addr", "ip route")))
    rows.append(section("Listening", "ss -ltnup inside"))
    for s in v.listeners:
        owner = (f"{s.comm} (PID {s.pid})" if s.pid else
                 Text("Docker's embedded DNS (dockerd's socket)", style="dim") if s.address == "127.0.0.11"
                 else Text("no container process holds it", style="dim"))
        addr = f"[{s.address}]" if ":" in s.address else s.address
        rows.append(row(f"sock:{s.inode}", s.proto, f"{addr}:{s.port}", owner, "", v.listeners_source))
    if not v.listeners:
        rows.append(row("sock:none", "—", Text("nothing listening", style="dim")))
    return rows


class NetworkPane(TableFirst, Vertical, Pane):
    """Facts on top (mode, namespace, host side), then links, networks, ports, routes, sockets."""

    PANE_ID = "network"
    FACTS_ID = "net-facts"
    TITLE = "Network"
    SHORT = "Net"
    KEY = "5"
    SUMMARY = "The container's interfaces paired with host veth, bridge and Docker network; routes, sockets"
    ORIGIN = "docker exec NAME ip addr ; ip link ; docker network inspect NET ; ss -ltnup"
    SOURCES = ("network",)
    HELP = (("shift+tab", "from the table to the lines above it"),)

    DEFAULT_CSS = """
    NetworkPane #net-facts { dock: top; height: 4; max-height: 40%; border-bottom: solid $panel-lighten-2; }
    NetworkPane #net-table { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sources: dict[str, tuple[str, str]] = {}
        self._facts: dict[str, tuple[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="net-table", show_header=False, source=lambda k: self._sources.get(k),
                        flex_min=24)
        yield LiveTable((Column("label", "", 16), Column("value", "", 0)), show_header=False, id="net-facts",
                        source=lambda key: self._facts.get(key))

    @property
    def table(self) -> LiveTable:
        return self.query_one("#net-table", LiveTable)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        c = snap.container(cid) if cid else None
        name = c.name.value if c else ""
        res = snap.result("network")
        v = res.value if res is not None and res.key == cid and isinstance(res.value, NetView) else None
        facts = self.query_one("#net-facts", LiveTable)
        if v is None:
            why = "select a container" if c is None else res.error if res is not None and res.error else "reading…"
            self._facts = show_reason(facts, "Network", why, res.error if res else "", self.size.width)
            self.table.set_rows(())
            set_border(self, f"Network · {name}" if c else "Network", why.split(":")[0][:60])
            return
        short = (cid or "")[:12]
        lines = [("mode", "Mode", v.mode.value.replace(cid or "\0", short) or "default", v.mode.source, ""),
                 ("netns", "Namespace", f"{v.netns.value}  bind mount {v.sandbox_key or '—'}"
                  + (f"  shared with {', '.join(v.shared_with)}" if v.shared_with else ""), v.netns.source, ""),
                 ("side", "Host side", v.host_side.value, v.host_side.source, "")]
        lines += [(f"note{i}", "Note", n, "", "yellow") for i, n in enumerate(v.notes)]
        self._facts = {k: (src, label) for k, label, _, src, _ in lines}
        facts.set_rows((k, (Text(label, style="bold"), text(val, style=style))) for k, label, val, _, style in lines)
        facts.styles.height = len(lines) + 1
        rows = view_rows(v, c)
        self._sources = {k: (src, k.split(":")[0]) for k, _, src in rows if src}
        self.table.set_rows((k, cells) for k, cells, _ in rows)
        veths = [lk for lk in v.links if lk.kind == "veth"]
        set_border(self, f"Network · {name}",
                   f"{len(veths)} veth{'' if len(veths) == 1 else 's'} · {len(v.listeners)} listening")
