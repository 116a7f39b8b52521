"""The Processes pane's sources: the selected container's process tree, every host process
with its container, and one process's ``/proc`` essentials on demand.

Membership comes from the container's cgroup (``cgroup.procs`` of its subtree: it holds
``docker exec`` processes and works for ``--pid host``); a container without a cgroup of its
own (rootless Docker on cgroup v1) falls back to the shim's descendants. ``/proc/PID/stat`` is
read every refresh; status and cmdline once per ``(pid, start)`` (``proctable.ProcReader``).
"""

from __future__ import annotations

import functools
import os
import pwd
import re
import time
from typing import Any

from . import proc_events
from .cgroups import cgroup_mounts, locate_container_cgroup
from .collect import Context, SourceState, Unavailable
from .model import Container, Sourced
from .model.procs import HostProcesses, Proc, ProcDetail, ProcessTree, ProcRequest
from .proctable import (
    Node, ProcReader, Stat, arg_after, caps_in_words, ints, layout, parse_id_map, read_all_stats, read_stat,
    read_status, read_text, to_inner,
)
from .procfs import read_mountinfo
from .rootfs import parse_passwd, read_in_root
from .runtime import CONMON, Chain, build_chain, facts

FIRST_SAMPLE_S = 0.3
"""A process seen for the first time gets its CPU % from a second read this soon."""
_CID = re.compile(r"[0-9a-f]{64}")


def _live(c: Container | None) -> Container:
    if c is None:
        raise Unavailable("no container selected")
    if not c.live:
        raise Unavailable(f"{c.name.value} is {c.state.value}: it has no processes")
    return c


def _cgroup_pids(ctx: Context, cache: dict[str, Any], c: Container) -> tuple[list[int], str] | None:
    """The PIDs of ``c``'s cgroup subtree and the directory read (None: it has no cgroup)."""
    if "mounts" not in cache:
        cache["mounts"] = cgroup_mounts(read_mountinfo(ctx.paths))
    cgs: dict[str, Any] = cache.setdefault("cgroups", {})
    hit = cgs.get(c.id)
    if hit is None or hit[0] != c.pid.value:
        cg = locate_container_cgroup(ctx.paths, cache["mounts"], c.pid.value, c.id,
                                     ctx.engine.cgroup_driver.value if ctx.engine else "",
                                     c.detail.cgroup_parent if c.detail else "")
        hit = cgs[c.id] = (c.pid.value, cg.primary if cg else None)
    if hit[1] is None:
        return None
    pids: list[int] = []
    for d, _, _ in os.walk(ctx.paths.host(hit[1])):
        text = read_text(f"{d}/cgroup.procs")
        if text:
            pids.extend(int(p) for p in text.split())
    return pids, hit[1]


def _zombies(ctx: Context, pids: list[int]) -> list[int]:
    """Children of ``pids`` that have exited and wait to be reaped: a task leaves its cgroup
    when it exits, so ``cgroup.procs`` never lists a zombie (the main threads' ``children``)."""
    known = set(pids)
    out = []
    for pid in pids:
        for child in (read_text(f"{ctx.paths.proc}/{pid}/task/{pid}/children") or "").split():
            c = int(child)
            if c not in known and (st := read_stat(ctx.paths, c)) is not None and st.state == "Z":
                out.append(c)
                known.add(c)
    return out


def _descendants(stats: dict[int, Stat], root: int) -> list[int]:
    kids: dict[int, list[int]] = {}
    for pid, st in stats.items():
        kids.setdefault(st.ppid, []).append(pid)
    out, todo = [], list(kids.get(root, ()))
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def _names(ctx: Context, cache: dict[str, Any], init_key: str, init_pid: int) -> dict[int, str] | None:
    """uid → name from the container's /etc/passwd (None: unreadable), cached per init."""
    hit = cache.get("passwd")
    if hit is None or hit[0] != init_key:
        try:
            names: dict[int, str] | None = parse_passwd(read_in_root(
                f"{ctx.paths.proc}/{init_pid}/root", "/etc/passwd").decode("utf-8", "replace"))
        except OSError:
            names = None
        idmap = parse_id_map(read_text(f"{ctx.paths.proc}/{init_pid}/uid_map") or "0 0 4294967295")
        hit = cache["passwd"] = (init_key, names, idmap)
    return hit[1]


@functools.lru_cache(maxsize=256)
def _host_name(uid: int | None) -> str:
    """The host's name for a uid (cached: NSS lookups cost ~10 µs, per process, per tick)."""
    if uid is None:
        return ""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def collect_processes(ctx: Context, state: SourceState) -> ProcessTree:
    """The selected container's processes, the runtime chain above them, and both trees."""
    c = _live(ctx.selected)
    cache = state.cache
    reader: ProcReader = cache.setdefault("reader", ProcReader(ctx.paths))
    init = read_stat(ctx.paths, c.pid.value)
    if init is None:
        raise Unavailable(f"{c.name.value}'s init (PID {c.pid.value}) has just exited")
    init_key = f"{init.pid}:{init.start}"
    shim = read_stat(ctx.paths, init.ppid) if init.ppid > 0 else None
    chain_key = (c.id, init_key, shim.start if shim else 0, ctx.endpoint)
    if cache.get("chain_key") != chain_key:
        cache["chain"] = build_chain(ctx, c, init, shim)
        cache["chain_key"] = chain_key
        cache.pop("facts", None)
    chain: Chain = cache["chain"]
    found = _cgroup_pids(ctx, cache, c)
    stats_all: dict[int, Stat] | None = None
    if found is not None:
        member_pids, cg_dir = found
        member_pids += _zombies(ctx, member_pids)
        members = Sourced(f"cgroup.procs of {cg_dir}", f"find {cg_dir} -name cgroup.procs | xargs cat")
    else:
        stats_all = read_all_stats(ctx.paths)
        member_pids = [init.pid] + [p for p in _descendants(stats_all, init.ppid) if p != init.pid] \
            if shim is not None else [init.pid, *_descendants(stats_all, init.pid)]
        members = Sourced(f"descendants of PID {init.ppid}: no cgroup of its own to list them",
                          f"pstree -p {init.ppid}")
    owners: dict[int, str] = {p: "" for p in member_pids}
    for other, pids in _shared(ctx, cache, c):
        for p in pids:
            owners.setdefault(p, other.name.value)
    roles = dict(chain.roles)
    extra: set[int] = set()
    want = set(owners) | set(roles)
    stats = {p: s for p in want if (s := (stats_all or {}).get(p) or read_stat(ctx.paths, p)) is not None}
    for st in list(stats.values()):  # Podman: each exec has a conmon of its own as its parent
        if st.pid in owners and st.ppid not in stats and (up := read_stat(ctx.paths, st.ppid)) is not None \
                and up.comm in (CONMON, "containerd-shim"):
            stats[up.pid] = up
            roles.setdefault(up.pid, "conmon" if up.comm == CONMON else "shim")
            extra.add(up.pid)
    now = time.monotonic()
    table = reader.read(stats, now)
    names = _names(ctx, cache, init_key, init.pid)
    idmap = cache["passwd"][2]
    procs: list[Proc] = []
    for pid, (st, argv, nspid, uid, cpu) in table.items():
        role = roles.get(pid, "")
        inner = to_inner(uid, idmap) if uid is not None and pid in owners else uid
        if pid in owners:
            role = "init" if pid == init.pid else "shared" if owners[pid] else (
                "exec" if (st.ppid == init.ppid and shim is not None) or st.ppid in extra else "")
            user = (names or {}).get(inner, "") if inner is not None else "nobody"
        else:
            user = _host_name(uid)
        procs.append(Proc(pid=pid, start=st.start, ppid=st.ppid, state=st.state, comm=st.comm, cmdline=argv,
                          nspid=nspid, uid=uid, user=user, inner_uid=inner, cpu=cpu, rss=st.rss,
                          started_at=reader.started_at(st), threads=st.threads, role=role,
                          container=owners.get(pid, "")))
        if cpu is None:
            state.next_in = FIRST_SAMPLE_S
    if "facts" not in cache and init.pid in table:
        cache["facts"] = facts(ctx, c, init, table[init.pid][1])
    notes = () if names is not None else ("user names need root: the container's /etc/passwd is read "
                                          "through /proc/PID/root",)
    return ProcessTree(
        container_id=c.id, procs=tuple(procs), host_rows=_host_rows(procs, chain, owners),
        container_rows=_container_rows(procs, owners), runtime=(*chain.lines, *cache.get("facts", ())),
        members=members, notes=notes, pid_mode=c.detail.pid_mode.value if c.detail else "")


def _shared(ctx: Context, cache: dict[str, Any], c: Container) -> list[tuple[Container, list[int]]]:
    """Containers in ``c``'s PID namespace through ``--pid container:X`` (either way round)."""
    def refers(mode: str, other: Container) -> bool:
        target = mode.split(":", 1)[1] if mode.startswith("container:") else ""
        return bool(target) and (target == other.name.value or other.id.startswith(target))

    mode = c.detail.pid_mode.value if c.detail else ""
    out = []
    for o in ctx.containers:
        if o.id == c.id or not o.live:
            continue
        if refers(mode, o) or (o.detail is not None and refers(o.detail.pid_mode.value, c)):
            found = _cgroup_pids(ctx, cache, o)
            if found is not None:
                out.append((o, found[0]))
    return out


def _host_rows(procs: list[Proc], chain: Chain, owners: dict[int, str]) -> tuple:
    key = {p.pid: p.key for p in procs}
    nodes = []
    for p in procs:
        parent, edge = chain.parents.get(p.pid, (p.ppid, ""))
        if owners.get(p.pid):
            edge = f"{owners[p.pid]}'s process, in the same PID namespace" if p.ppid not in key else ""
        elif p.pid in owners and p.ppid not in key:
            edge = f"real parent PID {p.ppid} is outside the container"
        elif p.role == "exec":
            edge = "an exec: the runtime's child, not init's"
        elif p.pid not in owners and p.pid not in chain.roles:
            edge = f"an exec's own {p.comm}: real parent PID {p.ppid}"
        nodes.append(Node(p.key, key.get(parent, ""), p.pid, p.ppid, edge))
    return layout(nodes)


def _container_rows(procs: list[Proc], owners: dict[int, str]) -> tuple:
    inside = [p for p in procs if p.pid in owners]
    key = {p.pid: p for p in inside}
    nodes = []
    for p in inside:
        parent = key.get(p.ppid)
        nodes.append(Node(p.key, parent.key if parent else "", p.cpid, parent.cpid if parent else 0))
    return layout(nodes)


def collect_host_processes(ctx: Context, state: SourceState) -> HostProcesses:
    """Every host process as a tree (kernel threads left out, counted), each with the
    container whose ID its ``/proc/PID/cgroup`` names."""
    cache = state.cache
    reader: ProcReader = cache.setdefault("reader", ProcReader(ctx.paths))
    stats = read_all_stats(ctx.paths)
    kthreads = {p for p, s in stats.items() if p == 2 or s.ppid == 2}
    for p in kthreads:
        del stats[p]
    table = reader.read(stats, time.monotonic())
    names = {c.id: c.name.value for c in ctx.containers}
    host_pid = {c.id for c in ctx.containers if c.detail is not None and c.detail.pid_mode.value == "host"}
    where: dict[str, str] = cache.setdefault("where", {})
    made: dict[str, tuple[Any, Proc]] = cache.setdefault("made", {})
    procs: list[Proc] = []
    keys: dict[int, str] = {}
    in_containers = 0
    for pid, (st, argv, nspid, uid, cpu) in table.items():
        key = f"{pid}:{st.start}"
        keys[pid] = key
        cid = where.get(key)
        if cid is None:
            m = _CID.search(read_text(f"{ctx.paths.proc}/{pid}/cgroup") or "")
            cid = where[key] = m.group(0) if m else _runtime_id(table, st.ppid)
        label = ""
        if cid:
            in_containers += 1
            label = names.get(cid, cid[:12]) + (" (pid host)" if cid in host_pid else "")
        same = (st, cpu, label)
        old = made.get(key)
        if old is not None and old[0] == same:  # an idle process: the same object as last tick
            procs.append(old[1])
            continue
        proc = Proc(pid=pid, start=st.start, ppid=st.ppid, state=st.state, comm=st.comm, cmdline=argv,
                    nspid=nspid, uid=uid, user=_host_name(uid), inner_uid=uid, cpu=cpu, rss=st.rss,
                    started_at=reader.started_at(st), threads=st.threads, container=label)
        made[key] = (same, proc)
        procs.append(proc)
    if len(made) > len(procs) or len(where) > len(procs):  # some exited: forget them
        alive = set(keys.values())
        for known in (where, made):
            for key in [k for k in known if k not in alive]:
                del known[key]
    shape = tuple((keys[p.pid], keys.get(p.ppid, "")) for p in procs)
    hit = cache.get("layout")
    if hit is None or hit[0] != shape:
        hit = cache["layout"] = (shape, layout([Node(k, parent, p.pid, p.ppid) for (k, parent), p in zip(shape, procs)]))
    return HostProcesses(procs=tuple(procs), rows=hit[1], total=len(procs) + len(kthreads),
                         kernel_threads=len(kthreads), in_containers=in_containers)


def _runtime_id(table: dict[int, Any], ppid: int) -> str:
    """The container a process without a container cgroup (rootless on cgroup v1) belongs to:
    the ``-id`` of the shim (``-c`` of conmon) it descends from, nearest first."""
    for _ in range(64):
        row = table.get(ppid)
        if row is None or ppid <= 1:
            return ""
        st, argv = row[0], row[1]
        if st.comm.startswith("containerd-shim") or st.comm == CONMON:
            found = _CID.fullmatch(arg_after(argv, "-id" if st.comm != CONMON else "-c"))
            return found.group(0) if found else ""
        ppid = st.ppid
    return ""


def collect_proc_detail(ctx: Context, state: SourceState) -> ProcDetail:
    """One process's status essentials, cgroup, namespaces, cwd and root, each with its file."""
    req: ProcRequest = ctx.arg
    base = f"{ctx.paths.proc}/{req.pid}"
    st = read_stat(ctx.paths, req.pid)
    status = read_status(ctx.paths, req.pid)
    if st is None or st.start != req.start or status is None:
        return ProcDetail(req.pid, req.start, (), gone=True)
    src = f"cat /proc/{req.pid}/status"
    lines: list[tuple[str, Sourced[str]]] = []

    def add(label: str, value: str, source: str = src) -> None:
        lines.append((label, Sourced(value, source)))

    add("State", status.get("State", st.state))
    add("Name (comm)", status.get("Name", st.comm))
    for field in ("Uid", "Gid"):
        v = ints(status.get(field, ""))
        if len(v) == 4:
            add(f"{field}s", f"real {v[0]}  effective {v[1]}  saved {v[2]}  filesystem {v[3]}")
    add("Threads", status.get("Threads", "?"))
    nspid = ints(status.get("NSpid", ""))
    add("NSpid", "  →  ".join(str(p) for p in nspid) + f"   ({len(nspid)} PID namespace level"
        + ("s" if len(nspid) != 1 else "") + ", host first)")
    for field, what in (("CapEff", "effective"), ("CapPrm", "permitted"), ("CapBnd", "bounding")):
        add(f"Caps {what}", caps_in_words(status.get(field, "")))
    add("Seccomp", {"0": "off", "1": "strict", "2": "filter"}.get(status.get("Seccomp", ""), "?"))
    add("NoNewPrivs", status.get("NoNewPrivs", "?"))
    for line in (read_text(f"{base}/cgroup") or "").splitlines():
        add("Cgroup", line, f"cat /proc/{req.pid}/cgroup")
    for ns in sorted(os.listdir(f"{base}/ns")) if os.path.isdir(f"{base}/ns") else ():
        add(f"ns/{ns}", _link(f"{base}/ns/{ns}"), f"readlink /proc/{req.pid}/ns/{ns}")
    add("cwd", _link(f"{base}/cwd"), f"readlink /proc/{req.pid}/cwd")
    add("root", _link(f"{base}/root"), f"readlink /proc/{req.pid}/root")
    return ProcDetail(req.pid, req.start, tuple(lines))


def _link(path: str) -> str:
    try:
        return os.readlink(path)
    except PermissionError:
        return "needs root"
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"


class ProcWatch:
    """The proc connector (root only) for the ``processes`` source: a fork, exec or exit of a
    process the pane shows, or of one forked from it (``docker exec``: shim → runc → runc
    init → the command), brings the change on screen before the next refresh."""

    MAX_FOLLOWED = 4096

    def __init__(self) -> None:
        self._followed: set[int] = set()

    def available(self) -> str:
        return proc_events.available()

    def open(self) -> proc_events.ProcEventStream:
        self._followed.clear()
        return proc_events.ProcEventStream()

    def matters(self, batch: tuple[proc_events.ProcEvent, ...], value: Any) -> bool:
        shown = {p.pid for p in value.procs} if isinstance(value, ProcessTree) else set()
        if len(self._followed) > self.MAX_FOLLOWED:
            self._followed.clear()
        hit = False
        for ev in batch:
            if ev.kind == "fork" and (ev.parent in shown or ev.parent in self._followed):
                self._followed.add(ev.pid)
                hit = True
            elif ev.pid in shown or (ev.kind == "exec" and ev.pid in self._followed):
                hit = True
            if ev.kind == "exit":
                self._followed.discard(ev.pid)
        return hit
