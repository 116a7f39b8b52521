"""The containers list's live figures: CPU %, memory and PIDs of every running container.

Read from cgroup files (``cgroup_stats.py``) the way ``docker stats`` computes them, never from the
stats API. A container's cgroup directory is resolved once per init PID and kept with what else
the list needs of it between samples (:class:`_Tracked`); CPU % needs two samples, so a container
seen for the first time asks for a second sample soon. Each second costs one ``pread`` of a held
file per idle container (:class:`HeldFiles`), six reads for one that ran.
"""

from __future__ import annotations

import resource
import time
import zlib
from dataclasses import dataclass, replace
from typing import Any

from .cgroup_stats import (HeldFiles, cpu_file, cpu_percent, effective_memory_limit, memory_used, parse_cpu_ns,
                           read_cgroup_sample, read_file, sample_sources)
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
HELD_MAX = 4096
"""Open cgroup files kept at most (one per running container)."""
RESAMPLE_FRACTION = 0.8
"""A run sooner than this fraction of the interval (after a list change) samples only the
containers that have no CPU % yet."""


def collect_metrics(ctx: Context, state: SourceState) -> tuple[Metrics, ...]:
    """One :class:`Metrics` per running (or paused) container with a host PID."""
    cache = state.cache
    if "mounts" not in cache:
        cache["mounts"] = cgroup_mounts(read_mountinfo(ctx.paths))
        cache["mem_total"] = read_mem_total(ctx.paths)
        cache["held"] = HeldFiles(held_limit())
    held: HeldFiles = cache["held"]
    sys_ns, online = read_system_cpu(ctx.paths)
    now = time.monotonic()
    tracked: dict[str, _Tracked] = cache.setdefault("tracked", {})
    full = now - cache.get("full_at", 0.0) >= ctx.interval * RESAMPLE_FRACTION
    if full:
        cache["full_at"] = now
    live = {c.id: c for c in ctx.containers if c.live}
    for cid in [k for k in tracked if k not in live]:
        del tracked[cid]
    for cid in held.owners():
        if cid not in tracked:
            held.drop(cid)
    out = []
    for cid, c in live.items():
        t = tracked.get(cid)
        if t is not None and t.pid != c.pid.value:  # restarted: a new cgroup, resolved again
            held.drop(cid)
            t = None
        if t is None or t.cg is None:  # not found yet (a container just started): looked for again
            t = tracked[cid] = _track(ctx, cache, c, online)
        m = t.last
        if full or m is None or m.cpu_percent.value is None:
            m = t.last = _sample(ctx, cache, held, t, sys_ns, online, now)
        out.append(m)
        if m.cpu_percent.value is None and not m.error:
            state.next_in = FIRST_DELTA_S
    return tuple(out)


def held_limit() -> int:
    """How many cgroup files the list may keep open: a quarter of the process's file limit."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return HELD_MAX if soft == resource.RLIM_INFINITY else min(HELD_MAX, soft // 4)


@dataclass
class _Tracked:
    """What the list keeps of one running container between samples: its cgroup (resolved
    once per init PID), the file holding its CPU time, the commands shown as provenance, its
    last figures and CPU reading."""

    cid: str
    pid: int | None
    cg: ContainerCgroup | None
    error: str = ""
    cpu_path: str | None = None
    cpu_src: str = ""
    mem_src: str = ""
    lim_src: str = ""
    cgroup_dir: str = ""
    last: Metrics | None = None
    prev: tuple[int, int] | None = None
    read_at: float = 0.0
    """When memory and PIDs were last read."""
    phase: float = 0.0
    """Where in each ``IDLE_FULL_S`` window this container's idle re-read falls (from its id), so
    a fleet started at once is re-read a slice per second, not all in the same second."""

    def read_due(self, now: float) -> bool:
        """Memory and PIDs are due again: a new window began since they were read."""
        return (now + self.phase) // IDLE_FULL_S != (self.read_at + self.phase) // IDLE_FULL_S


def _track(ctx: Context, cache: dict[str, Any], c: Container, online: int) -> _Tracked:
    pid = c.pid.value
    driver = ctx.engine.cgroup_driver.value if ctx.engine else ""
    cg = locate_container_cgroup(ctx.paths, cache["mounts"], pid, c.id, driver,
                                 c.detail.cgroup_parent if c.detail else "")
    if cg is None:
        return _Tracked(c.id, pid, None, error=no_cgroup_reason(driver, pid))
    dirs = dict(cg.dirs)
    src = sample_sources(ctx.paths, cg)
    return _Tracked(c.id, pid, cg, cpu_path=cpu_file(ctx.paths, cg),
                    cpu_src=(f"{src.get('cpu_total_ns', '')} ; head -1 /proc/stat  (Δcontainer / Δsystem"
                             f" × {online} CPUs × 100, as docker stats)"),
                    mem_src=(f"{src.get('mem_usage', '')} ; {src.get('mem_inactive_file', '')}"
                             "  (usage − inactive_file, as docker stats)"),
                    lim_src=src.get("mem_limit", ""),
                    phase=zlib.crc32(c.id.encode()) % 1000 / 1000 * IDLE_FULL_S,
                    cgroup_dir=dirs.get("memory") or dirs.get("") or next(iter(dirs.values()), ""))


def _sample(ctx: Context, cache: dict[str, Any], held: HeldFiles, t: _Tracked, sys_ns: int, online: int,
            now: float) -> Metrics:
    cg, last, before = t.cg, t.last, t.prev
    if cg is None:
        none: Sourced[Any] = Sourced(None)
        return Metrics(none, none, none, none, container_id=t.cid, error=t.error)
    if last is not None and before is not None and last.cpu_percent.value is not None \
            and not t.read_due(now):
        cpu_ns = parse_cpu_ns(held.read(t.cpu_path, t.cid), cg.version)
        if cpu_ns == before[0]:  # idle since the last sample: 0 %, the rest as read then
            t.prev = (cpu_ns, sys_ns)
            return last if last.cpu_percent.value == 0.0 else replace(last, cpu_percent=Sourced(0.0, last.cpu_percent.source))
    t.read_at = now
    s = read_cgroup_sample(ctx.paths, cg, lambda path: held.read(path, t.cid) if path == t.cpu_path else read_file(path))
    cpu = None
    if s.cpu_total_ns is not None:
        cur = (s.cpu_total_ns, sys_ns)
        cpu = cpu_percent(before, cur, online)
        t.prev = cur
    mem_total = cache["mem_total"]
    limit = effective_memory_limit(s.mem_limit, mem_total) if mem_total else s.mem_limit
    clamped = s.mem_limit is None or bool(mem_total and s.mem_limit > mem_total)
    src = s.sources
    m = Metrics(
        cpu_percent=Sourced(cpu, t.cpu_src),
        mem_used=Sourced(memory_used(s), t.mem_src),
        mem_limit=Sourced(limit, t.lim_src + ("  (unlimited: host MemTotal, as docker stats)" if clamped else "")),
        pids=Sourced(s.pids, src.get("pids", "")),
        pids_limit=Sourced(s.pids_limit, src.get("pids_limit", "")),
        cgroup_dir=t.cgroup_dir,
        container_id=t.cid,
        mem_unlimited=clamped,
    )
    return last if last == m else m  # the same object when nothing moved: panes compare by identity
