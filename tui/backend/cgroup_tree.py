"""The host cgroups view's source: the tree of cgroups leading to containers and engines, with
live CPU and memory per node (``systemd-cgls`` / ``lscgroup``), and the v2 controllers enabled on
the way down to the containers."""

from __future__ import annotations

import os

from .cgroup_files import CgDir, proc_lines
from .cgroup_stats import cpu_percent, parse_limit, stat_key
from .cgroups import CgroupMounts, cgroup_mounts, container_names
from .collect import Context, SourceState, Unavailable
from .model.cg import CgNode, HostCgroups
from .procfs import read_mountinfo, read_system_cpu

MAX_NODES = 600
"""Cgroups read per run (the view says when a hierarchy holds more)."""
MAX_WALK = 20000
"""Directories visited at most (a host with more is counted as this many)."""


def _labels(ctx: Context) -> dict[str, str]:
    out = {}
    for c in ctx.containers:
        for n in container_names(c.id):
            out[n] = c.name.value
    return out


SERVICE_LABELS = {"docker.service": "Docker engine (systemd)", "containerd.service": "containerd (systemd)",
                  "docker": "Docker's cgroupfs parent", "libpod_parent": "Podman's cgroupfs parent",
                  "machine.slice": "Podman/systemd-machined containers", "system.slice": "system services",
                  "user.slice": "user sessions (rootless engines)", "init.scope": "PID 1"}


def collect_host_cgroups(ctx: Context, state: SourceState) -> HostCgroups:
    """The cgroup tree with live CPU and memory per node, and the v2 controllers down the path."""
    cache = state.cache
    if "mounts" not in cache:
        cache["mounts"] = cgroup_mounts(read_mountinfo(ctx.paths))
        cache["prev"] = {}
    mounts: CgroupMounts = cache["mounts"]
    paths = ctx.paths
    if mounts.v1.get("memory"):
        root = mounts.v1["memory"][1]
        cpu_root = (mounts.v1.get("cpuacct") or mounts.v1["memory"])[1]
    elif mounts.v2 is not None:
        root = cpu_root = mounts.v2[1]
    else:
        raise Unavailable("no cgroup hierarchy with memory accounting is mounted here")
    labels = _labels(ctx)
    names = set(labels)
    rel_all: list[str] = []
    keep: set[str] = {""}
    stack = [""]
    total = 0
    while stack and total < MAX_WALK:
        rel = stack.pop()
        total += 1
        if len(rel_all) < MAX_NODES * 4:
            rel_all.append(rel)
        try:
            with os.scandir(paths.host(root + rel)) as it:
                kids = [e.name for e in it if e.is_dir(follow_symlinks=False)]
        except OSError:
            kids = []
        for k in kids:
            stack.append(f"{rel}/{k}")
    for rel in rel_all:
        base = rel.rsplit("/", 1)[-1]
        if base in names or base in SERVICE_LABELS or rel.count("/") <= 1:
            parts = rel.split("/")
            keep.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
    chosen = sorted(r for r in rel_all if r in keep)[:MAX_NODES]
    sys_ns, online = read_system_cpu(paths)
    prev: dict[str, tuple[int, int]] = cache["prev"]
    seen = {}
    nodes = []
    v1 = bool(mounts.v1.get("memory"))
    for rel in chosen:
        d = CgDir(paths, root + rel)
        procs = len((d.raw("cgroup.procs") or b"").split())
        if v1:
            mem = parse_limit(d.raw("memory.usage_in_bytes") or b"")
            usage = parse_limit(CgDir(paths, cpu_root + rel).raw("cpuacct.usage") or b"")
            src = f"cat {root + rel or '/'}/memory.usage_in_bytes ; cat {cpu_root + rel}/cpuacct.usage"
        else:
            mem = parse_limit(d.raw("memory.current") or b"") if rel else None
            usec = stat_key(d.raw("cpu.stat"), b"usage_usec")
            usage = usec * 1000 if usec is not None else None
            src = f"cat {root + rel}/memory.current ; grep -w usage_usec {root + rel}/cpu.stat"
        pct = None
        if usage is not None:
            pct = cpu_percent(prev.get(rel), (usage, sys_ns), online)
            seen[rel] = (usage, sys_ns)
            if pct is None:
                state.next_in = 0.25
        base = rel.rsplit("/", 1)[-1]
        label = labels.get(base, SERVICE_LABELS.get(base, ""))
        nodes.append(CgNode(rel or "/", rel.count("/"), label, procs, pct, mem, src))
    cache["prev"] = seen
    return HostCgroups(mode=mounts.mode, driver=ctx.engine.cgroup_driver.value if ctx.engine else "",
                       root=root, controllers=_controllers(ctx, mounts), nodes=tuple(nodes), total_nodes=total)


def _controllers(ctx: Context, mounts: CgroupMounts) -> tuple[tuple[str, str, str], ...]:
    """``cgroup.controllers`` and ``cgroup.subtree_control`` from the v2 root down to the parent
    of the first running container's cgroup."""
    if mounts.v2 is None:
        return ()
    top = mounts.v2[1]
    target = ""
    for c in ctx.containers:
        if c.live:
            for line in proc_lines(ctx.paths, mounts, c.pid.value):
                if line.raw.startswith("0::") and line.directory.startswith(top):
                    target = line.directory.rsplit("/", 1)[0]
                    break
        if target:
            break
    parts = [p for p in target[len(top):].split("/") if p] if target else []
    out = []
    for d in [top] + [top + "/" + "/".join(parts[:i + 1]) for i in range(len(parts))]:
        r = CgDir(ctx.paths, d)
        ctl = (r.raw("cgroup.controllers") or b"").decode("ascii", "replace").strip()
        sub = (r.raw("cgroup.subtree_control") or b"").decode("ascii", "replace").strip()
        out.append((d, ctl, sub))
    return tuple(out)
