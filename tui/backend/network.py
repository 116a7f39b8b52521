"""The Network pane's source: the selected container's interfaces as its own namespace sees them,
each veth paired with its host-side peer and bridge, its routes and listening sockets
(internals.md §4).

Netlink through pyroute2: one dump of the host side's links (the host, or for rootless Docker
rootlesskit's namespace, found as the namespace of the container's shim), and one socket inside
the container's namespace (``IPRoute(netns=PATH, flags=0)``: pyroute2 forks a helper that joins
the namespace; ``flags=0`` always, the default creates a missing namespace). Listening sockets
come from ``/proc/PID/net/*`` (the task's namespace; the kernel walks every socket of the host
for each file, ~2.5 ms here). A run costs ~20 ms of CPU, so the source runs on Docker events and
every few seconds, not every tick.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import struct
from typing import Any

from .collect import Context, SourceState, Unavailable
from .link_events import LinkEvent, LinkEventStream
from .link_events import available as link_events_available
from .model import Container, Sourced
from .model.net import DockerNetwork, Listener, NetLink, NetRoute, NetView
from .procfs import HostPaths
from .proctable import held_sockets, read_stat, read_text

REDUMP_S = 5.0
"""Seconds between runs when no Docker event says the container's network changed."""
LISTEN_TCP = "0A"
UNCONNECTED_UDP = "07"
PEERED = frozenset({"veth", "macvlan", "ipvlan"})
"""Link kinds whose ``IFLA_LINK`` names a link on the host side (the peer, or the parent)."""
MAX_FD_SCAN = 256
"""Processes whose fds are scanned to find a socket's owner."""


def hex_address(text: str, v6: bool) -> tuple[str, int]:
    """``0B00007F:0035`` → ``("127.0.0.11", 53)``: /proc/net addresses are 32-bit words in host
    byte order (one for IPv4, four for IPv6)."""
    addr, _, port = text.partition(":")
    raw = bytes.fromhex(addr)
    n = len(raw) // 4
    packed = struct.pack(f">{n}I", *struct.unpack(f"={n}I", raw))
    if not v6:
        return str(ipaddress.IPv4Address(packed)), int(port, 16)
    ip6 = ipaddress.IPv6Address(packed)
    return (f"::ffff:{ip6.ipv4_mapped}" if ip6.ipv4_mapped else str(ip6)), int(port, 16)


def parse_sockets(text: str, proto: str) -> list[tuple[str, int, int]]:
    """Listening rows of ``/proc/PID/net/{tcp,tcp6,udp,udp6}``: ``(address, port, inode)``."""
    want = LISTEN_TCP if proto.startswith("tcp") else UNCONNECTED_UDP
    out = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 10 or f[3] != want:
            continue
        ip, port = hex_address(f[1], proto.endswith("6"))
        out.append((ip, port, int(f[9])))
    return out


def shim_of(paths: HostPaths, pid: int) -> int:
    """The container init's parent: the shim (conmon for Podman), 0 when it is PID 1 or gone."""
    st = read_stat(paths, pid)
    return st.ppid if st is not None and st.ppid > 1 else 0


def _family(paths: HostPaths, root: int, limit: int) -> list[int]:
    """``root`` and its descendants (``/proc/PID/task/*/children``), at most ``limit``."""
    out, todo = [], [root]
    while todo and len(out) < limit:
        pid = todo.pop()
        out.append(pid)
        for task in _listdir(f"{paths.proc}/{pid}/task"):
            kids = read_text(f"{paths.proc}/{pid}/task/{task}/children") or ""
            todo.extend(int(k) for k in kids.split())
    return out


def _listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def socket_owners(paths: HostPaths, pids: list[int], inodes: set[int]) -> dict[int, int]:
    """Which of ``pids`` holds each socket inode (``/proc/PID/fd`` links; root only)."""
    found: dict[int, int] = {}
    for pid in pids:
        for ino in held_sockets(paths, pid):
            if ino in inodes:
                found.setdefault(ino, pid)
        if len(found) == len(inodes):
            break
    return found


def listeners(paths: HostPaths, pid: int, owners_from: list[int]) -> tuple[Listener, ...]:
    rows = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        text = read_text(f"{paths.proc}/{pid}/net/{proto}")
        if text:
            rows += [(proto, ip, port, ino) for ip, port, ino in parse_sockets(text, proto)]
    owners = socket_owners(paths, owners_from, {r[3] for r in rows if r[3]}) if rows else {}
    out = []
    for proto, ip, port, ino in sorted(rows, key=lambda r: (r[2], r[0], r[1])):
        owner = owners.get(ino, 0)
        st = read_stat(paths, owner) if owner else None
        out.append(Listener(proto, ip, port, ino, owner, st.comm if st else ""))
    return tuple(out)


# ---------------------------------------------------------------- Docker's networks

BRIDGE_OPTION = "com.docker.network.bridge.name"


def bridge_of(net: dict[str, Any]) -> str:
    """The Linux bridge behind a Docker network: its option, ``docker0`` for the default one,
    ``br-<id[:12]>`` for other bridge networks (§4.1 step 6)."""
    opts = net.get("Options") or {}
    if opts.get(BRIDGE_OPTION):
        return str(opts[BRIDGE_OPTION])
    if (net.get("Driver") or "") != "bridge":
        return ""
    return "docker0" if net.get("Name") == "bridge" else f"br-{(net.get('Id') or '')[:12]}"


def docker_network(net: dict[str, Any], containers: list[str]) -> DockerNetwork:
    """One network of the API's list or inspect."""
    cfg = (net.get("IPAM") or {}).get("Config") or []
    return DockerNetwork(
        id=net.get("Id") or "", name=net.get("Name") or "", driver=net.get("Driver") or "", bridge=bridge_of(net),
        subnets=tuple(c.get("Subnet") or "" for c in cfg if c.get("Subnet")),
        gateways=tuple(c.get("Gateway") or "" for c in cfg if c.get("Gateway")),
        containers=tuple(sorted(containers)), internal=bool(net.get("Internal")))


def attached_networks(ctx: Context, c: Container) -> tuple[DockerNetwork, ...]:
    """``docker network inspect`` of each network the container is attached to (none without an
    API client or when one vanished meanwhile)."""
    if ctx.api is None or c.detail is None:
        return ()
    out = []
    for a in c.detail.networks:
        try:
            net = ctx.api.inspect_network(a.network_id or a.network)
        except Exception:  # noqa: BLE001 - removed meanwhile, or an engine that refuses: Docker's account is enough
            continue
        names = [v.get("Name") or "" for v in (net.get("Containers") or {}).values()]
        out.append(docker_network(net, names))
    return tuple(out)


# ---------------------------------------------------------------- netlink

def _link_fields(msg: Any) -> dict[str, Any]:
    return {"index": msg["index"], "name": msg.get("ifname") or "", "mac": msg.get("address") or "",
            "mtu": msg.get("mtu") or 0, "state": msg.get("state") or "",
            "kind": msg.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") or "",
            "link": msg.get("IFLA_LINK") or 0, "netnsid": msg.get("IFLA_LINK_NETNSID"),
            "master": msg.get("IFLA_MASTER") or 0}


def dump_side(netns: str | None, container_ns: str,
              wanted: set[int]) -> tuple[dict[int, dict[str, Any]], str, int | None]:
    """On the host side: the links with the ``wanted`` indices (the container's peers) and the
    bridges they hang on, by index; the default-route interface; and the nsid it gives the
    container's namespace (None: none assigned). Asks for those links by index, not for a dump
    of every link: at 200 containers the host has 200 veths, and decoding them all took
    ~0.3 s of CPU per run."""
    from pyroute2 import IPRoute  # imported when used: ~10 MiB, only with this tab on screen
    from pyroute2.netlink.exceptions import NetlinkError

    kw: dict[str, Any] = {"netns": netns, "flags": 0} if netns else {}
    links: dict[int, dict[str, Any]] = {}
    with IPRoute(**kw) as ipr:
        def fetch(index: int) -> dict[str, Any] | None:
            if index and index not in links:
                try:
                    for m in ipr.get_links(index):
                        links[m["index"]] = _link_fields(m)
                except NetlinkError:  # gone meanwhile, or never there
                    return None
            return links.get(index)

        for index in sorted(wanted):
            peer = fetch(index)
            if peer is not None:
                fetch(peer["master"])
        uplink = ""
        for r in ipr.get_routes(family=socket.AF_INET, table=254):
            if r["dst_len"] == 0 and r.get("oif"):
                up = fetch(r.get("oif"))
                uplink = up["name"] if up else ""
                break
        fd = os.open(container_ns, os.O_RDONLY | os.O_CLOEXEC)
        try:
            got = ipr.get_netnsid(fd=fd)
        except Exception:  # noqa: BLE001 - none assigned, or not allowed: pairing is then unconfirmed
            got = {}
        finally:
            os.close(fd)
    nsid = got.get("nsid") if isinstance(got, dict) else None
    return links, uplink, nsid if nsid is not None and nsid >= 0 else None


def dump_inside(netns: str) -> tuple[list[dict[str, Any]], dict[int, list[str]], list[NetRoute]]:
    """Links, addresses by link index and main-table routes inside ``netns`` (a path)."""
    from pyroute2 import IPRoute

    with IPRoute(netns=netns, flags=0) as ipr:
        links = [_link_fields(m) for m in ipr.get_links()]
        addrs: dict[int, list[str]] = {}
        for a in ipr.get_addr():
            addrs.setdefault(a["index"], []).append(f"{a.get('address')}/{a['prefixlen']}")
        names = {lk["index"]: lk["name"] for lk in links}
        routes = []
        for r in ipr.get_routes(table=254):
            dst = "default" if r["dst_len"] == 0 else f"{r.get('dst')}/{r['dst_len']}"
            routes.append(NetRoute(dst, r.get("gateway") or "", names.get(r.get("oif"), "?")))
    return links, addrs, routes


def pair(inside: list[dict[str, Any]], addrs: dict[int, list[str]], host: dict[int, dict[str, Any]],
         nsid: int | None, macs: dict[str, str]) -> tuple[NetLink, ...]:
    """Each container link with its host-side peer, confirmed from both ends (§4.1, §4.5)."""
    out = []
    for lk in inside:
        peer = host.get(lk["link"]) if lk["kind"] in PEERED else None
        confirmed = False
        bridge = ""
        if peer is not None and lk["kind"] == "veth":
            confirmed = peer["link"] == lk["index"] and (nsid is None or peer["netnsid"] == nsid)
            if not confirmed:
                peer = None
            elif peer["master"]:
                bridge = host.get(peer["master"], {}).get("name", "")
        out.append(NetLink(
            index=lk["index"], name=lk["name"], kind=lk["kind"], mac=lk["mac"], mtu=lk["mtu"], state=lk["state"],
            addresses=tuple(addrs.get(lk["index"], ())), peer_index=lk["link"],
            host_peer=peer["name"] if peer else "", host_index=peer["index"] if peer else 0, bridge=bridge,
            network=macs.get(lk["mac"].lower(), ""), confirmed=confirmed))
    return tuple(out)


# ---------------------------------------------------------------- the source

def netns_of(paths: HostPaths, pid: int | str) -> str:
    """``net:[4026532577]`` of a process ("" when gone or unreadable)."""
    try:
        return os.readlink(f"{paths.proc}/{pid}/ns/net")
    except OSError:
        return ""


def collect_network(ctx: Context, state: SourceState) -> NetView:
    """The selected running container's network as its namespace sees it, paired with the host."""
    c = ctx.selected
    if c is None:
        raise Unavailable("select a container")
    if not c.live:
        raise Unavailable(f"{c.state.value}: no network namespace (it goes with the container's last process); "
                          "its networks and ports as configured are on the Overview (tab 1)")
    paths = ctx.paths
    pid = c.pid.value
    ns_path = f"{paths.proc}/{pid}/ns/net"
    netns = netns_of(paths, pid)
    if not netns and not os.path.exists(f"{paths.proc}/{pid}"):
        raise Unavailable(f"gone: PID {pid} exited")
    d = c.detail
    mode = d.network_mode if d is not None else Sourced("")
    macs = {a.mac_address.lower(): a.network for a in (d.networks if d else ()) if a.mac_address}
    shim = shim_of(paths, pid)
    side_ns = netns_of(paths, shim) if shim else ""
    own_ns = netns_of(paths, "self")
    rootless_side = bool(side_ns and own_ns and side_ns != own_ns)
    host_side = (Sourced(f"rootlesskit's network namespace ({side_ns}, where the shim PID {shim} runs)",
                         f"readlink /proc/{shim}/ns/net") if rootless_side
                 else Sourced("the host", f"readlink /proc/{pid}/ns/net /proc/self/ns/net"))

    notes: list[str] = []
    links: tuple[NetLink, ...] = ()
    routes: list[NetRoute] = []
    uplink = ""
    try:
        links_in, addrs, routes = dump_inside(ns_path)
        host, uplink, nsid = dump_side(f"{paths.proc}/{shim}/ns/net" if rootless_side else None, ns_path,
                                       {lk["link"] for lk in links_in if lk["kind"] in PEERED})
        links = pair(links_in, addrs, host, nsid, macs)
    except PermissionError:  # not root: what Docker reports (networks, ports) still shows
        notes.append(f"needs root: entering /proc/{pid}/ns/net to list its interfaces and routes (setns needs "
                     "CAP_SYS_ADMIN); the networks and ports below are Docker's own account")
    except FileNotFoundError:
        raise Unavailable(f"gone: PID {pid} exited and its network namespace with it") from None
    if mode.value == "host" or netns == own_ns:
        notes.append("--network host: the container uses the host's own interfaces, routes and ports (no veth)")
    elif mode.value.startswith("container:"):
        notes.append(f"--network {mode.value}: these are the other container's interfaces; it made the namespace")
    elif mode.value == "none":
        notes.append("--network none: loopback only")
    for lk in links:
        if lk.kind == "veth" and not lk.confirmed:
            notes.append(f"{lk.name}: no host-side peer confirmed from both ends (index {lk.peer_index} "
                         "in another namespace)")
    shared = tuple(sorted(o.name.value for o in ctx.containers if o.id != c.id and o.live
                          and netns_of(paths, o.pid.value) == netns))
    family = _family(paths, pid, MAX_FD_SCAN)
    return NetView(
        container_id=c.id, mode=mode, netns=Sourced(netns, f"readlink /proc/{pid}/ns/net"),
        sandbox_key=d.sandbox_key.value if d else "", shared_with=shared, host_side=host_side, uplink=uplink,
        links=links, links_source=(f"nsenter -t {pid} -n ip -d addr ; ip -d link show  (host side"
                                   + (f": nsenter -t {shim} -n ip link" if rootless_side else "") + ")"),
        routes=tuple(routes), listeners=listeners(paths, pid, family),
        networks=attached_networks(ctx, c),
        listeners_source=f"cat /proc/{pid}/net/tcp /proc/{pid}/net/tcp6 /proc/{pid}/net/udp /proc/{pid}/net/udp6",
        notes=tuple(notes))


class LinkWatch:
    """Link and address changes in the host's namespace (a veth added or removed, an interface
    up or down, ``docker network connect``): the network sources re-read at once instead of at
    their next run. Each burst is one batch; any link change may be the selected container's."""

    def available(self) -> str:
        return link_events_available()

    def open(self) -> LinkEventStream:
        return LinkEventStream()

    def matters(self, batch: tuple[LinkEvent, ...], value: Any) -> bool:
        return bool(batch)

