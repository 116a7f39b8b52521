"""The containers list's live figures: CPU %, memory and PIDs of every running container.

Read from cgroup files (``cgroup_stats.py``) the way ``docker stats`` computes them, never from the
stats API. A container's cgroup directory is resolved once per init PID and cached; CPU % needs
two samples, so a container seen for the first time asks for a second sample soon.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from .cgroup_stats import cpu_percent, effective_memory_limit, memory_used, read_cgroup_sample, read_cpu_ns
from .cgroups import ContainerCgroup, cgroup_mounts, locate_container_cgroup, no_cgroup_reason
from .collect import Context, SourceState
from .model import Container, Metrics, Sourced
from .procfs import read_mem_total, read_mountinfo, read_system_cpu

FIRST_DELTA_S = 0.05
"""The first CPU % is measured over this window, so it shows up early."""
IDLE_FULL_S = 5.0
"""A container that used no CPU since its last sample keeps its memory and PID figures this long
before they are read again (one file a second instead of six: at 200 mostly idle containers the
list's reads drop threefold). A process that runs uses CPU, so any activity is read at once;
only what the kernel alone changes (page cache reclaimed under pressure) can be this late."""
RESAMPLE_FRACTION = 0.8
"""A run sooner than this fraction of the interval (after a list change) samples only the
containers that have no CPU % yet."""


def collect_metrics(ctx: Context, state: SourceState) -> tuple[Metrics, ...]:
    """One :class:`Metrics` per running (or paused) container with a host PID."""
    cache = state.cache
    if "mounts" not in cache:
        cache["mounts"] = cgroup_mounts(read_mountinfo(ctx.paths))
        cache["mem_total"] = read_mem_total(ctx.paths)
    sys_ns, online = read_system_cpu(ctx.paths)
    now = time.monotonic()
    known: dict[str, Metrics] = cache.setdefault("known", {})
    prev: dict[str, tuple[int, int]] = cache.setdefault("prev", {})
    cgroups: dict[str, tuple[int, ContainerCgroup]] = cache.setdefault("cgroups", {})
    read_at: dict[str, float] = cache.setdefault("read_at", {})
    full = now - cache.get("full_at", 0.0) >= ctx.interval * RESAMPLE_FRACTION
    if full:
        cache["full_at"] = now
    live = {c.id: c for c in ctx.containers if c.live}
    for table in (known, prev, cgroups, read_at):
        for cid in [k for k in table if k not in live]:
            del table[cid]
    out = []
    for cid, c in live.items():
        m = known.get(cid)
        if full or m is None or m.cpu_percent.value is None:
            m = _sample(ctx, cache, c, sys_ns, online, m, now)
            known[cid] = m
        out.append(m)
        if m.cpu_percent.value is None and not m.error:
            state.next_in = FIRST_DELTA_S
    return tuple(out)


def _cgroup_of(ctx: Context, cache: dict[str, Any], c: Container) -> ContainerCgroup | None:
    cgroups: dict[str, tuple[int, ContainerCgroup]] = cache["cgroups"]
    pid = c.pid.value
    cached = cgroups.get(c.id)
    if cached is not None and cached[0] == pid:
        return cached[1]
    cg = locate_container_cgroup(ctx.paths, cache["mounts"], pid, c.id,
                                 ctx.engine.cgroup_driver.value if ctx.engine else "",
                                 c.detail.cgroup_parent if c.detail else "")
    if cg is not None:  # cached per init PID: a restart resolves again
        cgroups[c.id] = (pid, cg)
    return cg


def _sample(ctx: Context, cache: dict[str, Any], c: Container, sys_ns: int, online: int,
            last: Metrics | None, now: float) -> Metrics:
    pid = c.pid.value
    cg = _cgroup_of(ctx, cache, c)
    if cg is None:
        none: Sourced[Any] = Sourced(None)
        why = no_cgroup_reason(ctx.engine.cgroup_driver.value if ctx.engine else "", pid)
        return Metrics(none, none, none, none, container_id=c.id, error=why)
    before = cache["prev"].get(c.id)
    read_at: dict[str, float] = cache["read_at"]
    if last is not None and before is not None and last.cpu_percent.value is not None \
            and now - read_at.get(c.id, 0.0) < IDLE_FULL_S:
        cpu_ns = read_cpu_ns(ctx.paths, cg)
        if cpu_ns == before[0]:  # idle since the last sample: 0 %, the rest as read then
            cache["prev"][c.id] = (cpu_ns, sys_ns)
            return last if last.cpu_percent.value == 0.0 else replace(last, cpu_percent=Sourced(0.0, last.cpu_percent.source))
    read_at[c.id] = now
    s = read_cgroup_sample(ctx.paths, cg)
    src = dict(s.sources)
    cpu = None
    if s.cpu_total_ns is not None:
        cur = (s.cpu_total_ns, sys_ns)
        cpu = cpu_percent(cache["prev"].get(c.id), cur, online)
        cache["prev"][c.id] = cur
    mem_total = cache["mem_total"]
    limit = effective_memory_limit(s.mem_limit, mem_total) if mem_total else s.mem_limit
    cpu_src = (f"{src.get('cpu_total_ns', '')} ; head -1 /proc/stat  (Δcontainer / Δsystem"
               f" × {online} CPUs × 100, as docker stats)")
    mem_src = (f"{src.get('mem_usage', '')} ; {src.get('mem_inactive_file', '')}"
               "  (usage − inactive_file, as docker stats)")
    clamped = s.mem_limit is None or bool(mem_total and s.mem_limit > mem_total)
    lim_src = src.get("mem_limit", "") + ("  (unlimited: host MemTotal, as docker stats)" if clamped else "")
    dirs = dict(cg.dirs)
    return Metrics(
        cpu_percent=Sourced(cpu, cpu_src),
        mem_used=Sourced(memory_used(s), mem_src),
        mem_limit=Sourced(limit, lim_src),
        pids=Sourced(s.pids, src.get("pids", "")),
        pids_limit=Sourced(s.pids_limit, src.get("pids_limit", "")),
        cgroup_dir=dirs.get("memory") or dirs.get("") or next(iter(dirs.values()), ""),
        container_id=c.id,
        mem_unlimited=clamped,
    )

