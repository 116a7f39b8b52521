"""The Namespaces pane's sources: the selected container's namespaces against the host's, and
every namespace in use on the host (``lsns``), from ``/proc/PID/ns`` links (internals.md §2).

The host's namespaces are read from PID 1; where its links are unreadable even to root (on
some hosts, this one included), from this app when it runs in the host's PID namespace, else
from the engine's processes, which stay in the host's namespaces (rootful Docker's shim too).
A container's namespace equal to another running container's is "shared with" it, whichever
of the two made it (``--network container:X`` either way round).
"""

from __future__ import annotations

import os
from typing import Any

from .collect import Context, SourceState, Unavailable
from .model import Container, Sourced, inspect_source
from .model.ns import HostNamespace, HostNamespaces, NamespaceSet, NsRow, inode
from .procfs import HostPaths, read_nspid
from .proctable import read_all_stats, read_cmdline, read_text

KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "pid_for_children", "time", "time_for_children", "user", "uts")
LSNS_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
"""What ``lsns`` lists (the ``*_for_children`` links name namespaces listed under their type)."""

SETTING = {"net": ("NetworkMode", "network_mode"), "pid": ("PidMode", "pid_mode"),
           "pid_for_children": ("PidMode", "pid_mode"), "ipc": ("IpcMode", "ipc_mode"),
           "uts": ("UTSMode", "uts_mode"), "user": ("UsernsMode", "userns_mode"),
           "cgroup": ("CgroupnsMode", "cgroupns_mode")}

MEANING = {
    ("net", "private"): "own interfaces, routes and ports; its eth0 pairs with a host veth (Network, tab 5)",
    ("net", "host"): "the host's interfaces, routes and ports: no veth, no NAT (--network host)",
    ("net", "shared"): "one network stack for both: same interfaces, IPs and ports, localhost between them",
    ("pid", "private"): "PIDs from 1 inside; the host sees them under other numbers (Processes, v)",
    ("pid", "host"): "sees every host process; its PIDs are host PIDs",
    ("pid", "shared"): "sees the other container's processes and can signal them",
    ("ipc", "private"): "own System V IPC and POSIX message queues, own /dev/shm",
    ("ipc", "host"): "the host's shared memory and semaphores",
    ("ipc", "shared"): "shared memory and semaphores with the other container",
    ("uts", "private"): "own hostname and domain name",
    ("uts", "host"): "the host's hostname: changing it changes the host's",
    ("uts", "shared"): "the same hostname as the other container",
    ("mnt", "private"): "own mount table: the overlay root, /etc/hosts, volumes (Layers, tab 6)",
    ("mnt", "host"): "the host's mount table",
    ("user", "private"): "own uid map: root inside is an unprivileged uid outside",
    ("user", "host"): "uids are the host's: root inside is root on the host (kernel-limited by caps)",
    ("cgroup", "private"): "sees its own cgroup as / in /proc/self/cgroup",
    ("cgroup", "host"): "sees the host's cgroup paths (/docker/<id>) in /proc/self/cgroup",
    ("time", "private"): "own boot and monotonic clock offsets",
    ("time", "host"): "the host's clocks (Docker before 29.5 never makes a time namespace)",
}
for _k in ("pid", "time"):
    for _v in ("private", "host", "shared"):
        if (_k, _v) in MEANING:
            MEANING[(f"{_k}_for_children", _v)] = "what its children get: " + MEANING[(_k, _v)]


def read_links(paths: HostPaths, pid: int | str) -> dict[str, str]:
    """``{kind: "net:[4026532577]"}`` of ``/proc/PID/ns``; unreadable links are left out."""
    base = f"{paths.proc}/{pid}/ns"
    out = {}
    for name in os.listdir(base):
        try:
            out[name] = os.readlink(f"{base}/{name}")
        except OSError:
            continue
    return out


def reference(ctx: Context, engine_pids: list[int]) -> tuple[dict[str, str], Sourced[str]]:
    """The host's namespaces and the process they were read from (see the module doc)."""
    paths = ctx.paths
    try:
        links = read_links(paths, 1)
    except OSError:
        links = {}
    if len(links) >= 4:
        return links, Sourced("PID 1", "ls -l /proc/1/ns")
    why = "/proc/1/ns is unreadable here (even to root)"
    try:
        own = len(read_nspid(paths, "self")) == 1
    except OSError:
        own = False
    if own:
        mine = read_links(paths, "self")
        if mine:
            return mine, Sourced(f"this app (PID {os.getpid()}): {why}; it runs in the host's PID namespace",
                                 "ls -l /proc/self/ns")
    for pid in engine_pids:
        try:
            found = read_links(paths, pid)
        except OSError:
            continue
        if found:
            return found, Sourced(f"the engine's PID {pid}: {why}; the engine stays in the host's namespaces",
                                  f"ls -l /proc/{pid}/ns")
    return {}, Sourced(f"none: {why}, and no process known to be in the host's namespaces was readable", "")


def _links_of(ctx: Context, cache: dict[str, Any], c: Container) -> dict[str, str]:
    """A running container's init links, cached per init PID (a process keeps its namespaces)."""
    known: dict[str, tuple[int, dict[str, str]]] = cache.setdefault("others", {})
    hit = known.get(c.id)
    if hit is None or hit[0] != c.pid.value:
        try:
            hit = known[c.id] = (c.pid.value, read_links(ctx.paths, c.pid.value))
        except OSError:
            return {}
    return hit[1]


def collect_namespaces(ctx: Context, state: SourceState) -> NamespaceSet:
    """The selected container's namespaces, each with the host's, a verdict and the setting."""
    c = ctx.selected
    if c is None:
        raise Unavailable("no container selected")
    if not c.live:
        raise Unavailable(f"{c.name.value} is {c.state.value}: namespaces live only while it runs")
    pid = c.pid.value
    try:
        mine = read_links(ctx.paths, pid)
    except FileNotFoundError:
        raise Unavailable(f"{c.name.value}'s init (PID {pid}) has just exited") from None
    if not mine:
        raise Unavailable(f"needs root: /proc/{pid}/ns links are readable only by the process's owner and root")
    cache = state.cache
    engine_pids = cache.get("engine_pids")
    if engine_pids is None:
        stats = read_all_stats(ctx.paths)
        engine_pids = cache["engine_pids"] = sorted(p for p, s in stats.items()
                                                    if s.comm in ("dockerd", "containerd", "podman"))
    host, ref = reference(ctx, engine_pids)
    live = {o.id: o for o in ctx.containers if o.id != c.id and o.live}
    others = {oid: _links_of(ctx, cache, o) for oid, o in live.items()}
    for gone in [k for k in cache.get("others", {}) if k not in live]:
        del cache["others"][gone]
    d = c.detail
    rows = []
    notes = []
    for kind in sorted(mine, key=lambda k: KINDS.index(k) if k in KINDS else len(KINDS)):
        link = mine[kind]
        peers = tuple(sorted(live[oid].name.value for oid, links in others.items() if links.get(kind) == link))
        verdict = "host" if host.get(kind) == link else "shared" if peers else "private"
        peers = peers if verdict == "shared" else ()
        setting = Sourced("")
        if kind in SETTING and d is not None:
            key, attr = SETTING[kind]
            raw = getattr(d, attr)
            value = raw if isinstance(raw, Sourced) else Sourced(raw, inspect_source(c.name.value, f".HostConfig.{key}"))
            setting = Sourced(f"{key}={value.value or '(default)'}", value.source)
            if value.value.startswith("container:") and verdict != "host":
                target = value.value.split(":", 1)[1]
                if not any(o.name.value == target or o.id.startswith(target) for o in live.values()):
                    notes.append(f"{kind}: its peer {target} (--{key[:-4].lower()} {value.value}) is gone; "
                                 "the namespace lives on while this container runs")
        elif kind == "mnt":
            setting = Sourced("(always its own)", "")
        elif kind.startswith("time"):
            setting = Sourced("(none before Docker 29.5)", "")
        meaning = (MEANING.get((kind, verdict), MEANING.get((kind, "private"), "")) if verdict != "shared"
                   else MEANING.get((kind, "shared"), "shared with " + ", ".join(peers)))
        if kind == "user" and verdict == "private":
            meaning += f"; uid_map {_id_map(ctx.paths, pid)}"
        rows.append(NsRow(kind=kind, inode=Sourced(link, f"readlink /proc/{pid}/ns/{kind}"),
                          host=host.get(kind, ""), verdict=verdict, peers=peers, setting=setting, meaning=meaning))
    key = d.sandbox_key if d is not None else Sourced("")
    return NamespaceSet(container_id=c.id, rows=tuple(rows), reference=ref, sandbox_key=key, notes=tuple(notes))


def _id_map(paths: HostPaths, pid: int) -> str:
    """``/proc/PID/uid_map`` on one line: ``0 1001 1 / 1 100000 65536`` (inside, outside, count)."""
    text = read_text(f"{paths.proc}/{pid}/uid_map") or ""
    return " / ".join(" ".join(line.split()) for line in text.splitlines() if line.strip()) or "?"


def collect_host_namespaces(ctx: Context, state: SourceState) -> HostNamespaces:
    """Every namespace in use, like ``lsns``: type, inode, processes, the lowest PID and its
    command, and the containers whose init is in it. Links are read once per process
    (``(pid, start)``: a process keeps its namespaces unless it calls setns)."""
    cache: dict[str, tuple[str, ...]] = state.cache.setdefault("links", {})
    stats = read_all_stats(ctx.paths)
    groups: dict[tuple[str, int], list[int]] = {}
    unreadable = 0
    seen = set()
    for pid, st in stats.items():
        key = f"{pid}:{st.start}"
        seen.add(key)
        links = cache.get(key)
        if links is None:
            try:
                found = read_links(ctx.paths, pid)
            except OSError:
                found = {}
            links = cache[key] = tuple(found.get(k, "") for k in LSNS_KINDS)
        if not any(links):
            unreadable += 1
            continue
        for kind, link in zip(LSNS_KINDS, links):
            if link:
                groups.setdefault((kind, inode(link)), []).append(pid)
    for key in [k for k in cache if k not in seen]:
        del cache[key]
    by_init: dict[int, str] = {c.pid.value: c.name.value for c in ctx.containers if c.pid.value}
    out = []
    for (kind, ino), pids in groups.items():
        low = min(pids)
        argv = read_cmdline(ctx.paths, low)
        command = " ".join(argv) if argv else f"[{stats[low].comm}]"
        names = tuple(sorted(by_init[p] for p in pids if p in by_init))
        out.append(HostNamespace(kind, ino, len(pids), low, command, names))
    out.sort(key=lambda n: (n.kind, n.inode))
    return HostNamespaces(tuple(out), len(stats), unreadable)
