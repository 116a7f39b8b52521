"""The host network view's sources: the host side's links grouped by bridge, each veth labelled with
its container and interface (or "orphan"), and the engine's networks (``docker network ls``);
``docker network inspect`` on demand (internals.md §4.1, steps 3, 6, 7, 8).

Pairing from the host side only, never entering each container's namespace (lab.md: 69 ms for 99
containers that way, 1.5 s entering each): one links dump, and for each running container the
nsid the host side gives its namespace (``get_netnsid(fd=…)`` on the same socket); a veth whose
link-netnsid is that nsid is the container's, and its ``IFLA_LINK`` is the container-side index,
named from the container's own sysfs (``/proc/PID/root/sys/class/net``, root only).
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from .collect import Context, SourceState, Unavailable
from .model import FileView
from .model.net import DockerNetwork, HostLink, HostNetwork, NetworkRequest
from .network import docker_network, netns_of, shim_of


def _container_ifnames(root: str) -> dict[int, str]:
    """``{ifindex: name}`` from a container's own sysfs (correct namespace, unlike the host's)."""
    out = {}
    base = f"{root}/sys/class/net"
    try:
        names = os.listdir(base)
    except OSError:
        return out
    for name in names:
        try:
            with open(f"{base}/{name}/ifindex", encoding="ascii") as fh:
                out[int(fh.read())] = name
        except (OSError, ValueError):
            continue
    return out


def collect_host_network(ctx: Context, state: SourceState) -> HostNetwork:
    from pyroute2 import IPRoute  # imported when used: ~10 MiB, only with the view on screen

    paths = ctx.paths
    running = [c for c in ctx.containers if c.live]
    own = netns_of(paths, "self")
    side_pid = 0
    for c in running:
        shim = shim_of(paths, c.pid.value)
        if shim and netns_of(paths, shim) and netns_of(paths, shim) != own:
            side_pid = shim
            break
    kw: dict[str, Any] = {"netns": f"{paths.proc}/{side_pid}/ns/net", "flags": 0} if side_pid else {}
    side = f"rootlesskit's network namespace (where the shim PID {side_pid} runs)" if side_pid else "the host"
    owners: dict[int, tuple[str, int]] = {}
    try:
        with IPRoute(**kw) as ipr:
            raw = list(ipr.get_links())
            addrs: dict[int, list[str]] = {}
            for a in ipr.get_addr():
                addrs.setdefault(a["index"], []).append(f"{a.get('address')}/{a['prefixlen']}")
            uplink_index = next((r.get("oif") for r in ipr.get_routes(family=socket.AF_INET, table=254)
                                 if r["dst_len"] == 0), None)
            for c in running:
                try:
                    fd = os.open(f"{paths.proc}/{c.pid.value}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    continue
                try:
                    nsid = ipr.get_netnsid(fd=fd).get("nsid")
                except Exception:  # noqa: BLE001 - none assigned (no cross-namespace link: --network none/host)
                    nsid = None
                finally:
                    os.close(fd)
                if nsid is not None and nsid >= 0 and nsid not in owners:
                    owners[nsid] = (c.name.value, c.pid.value)
    except PermissionError:
        raise Unavailable("needs root: entering rootlesskit's network namespace to list its bridge") from None
    names = {m["index"]: m.get("ifname") or "" for m in raw}
    ifnames: dict[int, dict[int, str]] = {}
    links = []
    for m in raw:
        kind = m.get_nested("IFLA_LINKINFO", "IFLA_INFO_KIND") or ""
        container = container_if = ""
        orphan = False
        nsid = m.get("IFLA_LINK_NETNSID")
        if kind == "veth" and nsid is not None:
            owner = owners.get(nsid)
            if owner is None:
                orphan = True
            else:
                container, pid = owner
                if pid not in ifnames:
                    ifnames[pid] = _container_ifnames(f"{paths.proc}/{pid}/root")
                peer = m.get("IFLA_LINK") or 0
                container_if = ifnames[pid].get(peer, f"if{peer}")
        links.append(HostLink(index=m["index"], name=m.get("ifname") or "", kind=kind, mac=m.get("address") or "",
                              state=m.get("state") or "", master=names.get(m.get("IFLA_MASTER") or 0, ""),
                              container=container, container_if=container_if, orphan=orphan,
                              addresses=tuple(addrs.get(m["index"], ()))))
    networks = _networks(ctx, state)
    return HostNetwork(links=tuple(links), networks=networks, uplink=names.get(uplink_index or 0, ""), side=side)


def _networks(ctx: Context, state: SourceState) -> tuple[DockerNetwork, ...]:
    if ctx.api is None:
        return ()
    members: dict[str, list[str]] = {}
    for c in ctx.containers:
        for n in (c.detail.networks if c.detail else ()):
            members.setdefault(n.network, []).append(c.name.value)
    out = [docker_network(net, members.get(net.get("Name") or "", [])) for net in ctx.api.networks()]
    return tuple(sorted(out, key=lambda n: n.name))


def collect_network_inspect(ctx: Context, state: SourceState) -> FileView:
    """``docker network inspect NAME``, pretty JSON for the viewer (on demand)."""
    req = ctx.arg
    if not isinstance(req, NetworkRequest):
        raise Unavailable("no network asked for")
    cmd = f"docker network inspect {req.name}"
    if ctx.api is None:
        return FileView(cmd, "", 0, False, cmd, error="not connected to an engine")
    text = json.dumps(ctx.api.inspect_network(req.id), indent=2, sort_keys=True)
    return FileView(cmd, text, len(text), False, cmd)
