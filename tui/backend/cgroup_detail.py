"""The Cgroups pane's source: the selected container's cgroup read in full (limits as the kernel
enforces them, usage, throttling, I/O, pressure, members). The host tree is ``cgroup_tree.py``;
file reading and parsing, ``cgroup_files.py``.

Only the selected container is read, and only while its tab is visible: some forty small files
a tick. Limits are read on every run too, so a ``docker update`` or a hand-written file shows up
at once. v1 names (``cpu.cfs_quota_us``) and v2 names (``cpu.max``) map onto one model; each value
keeps the command that shows it on the host (internals.md §1.4).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict, deque
from dataclasses import replace

from .cgroup_files import (
    CgDir, cpu_max, flat_keyed, keyed, no_limit_if_negative, parse_blkio, parse_dev_values, parse_io_max,
    parse_io_stat, parse_psi, proc_lines, text_only,
)
from .cgroup_stats import UNLIMITED_THRESHOLD, cpu_percent, parse_int, stat_key
from .cgroups import CgroupMounts, ContainerCgroup, cgroup_mounts, locate_container_cgroup, no_cgroup_reason
from .collect import Context, SourceState, Unavailable
from .model import Sourced, inspect_source
from .model.cg import CgProc, CgroupView, CgValue, CpuState, IoDevice, MemState, Pressure
from .procfs import CGROUP_ROOT, HostPaths, read_mem_total, read_mountinfo, read_system_cpu
from .proctable import read_stat

HISTORY = 180
"""Samples kept for the sparklines (3 minutes at the default 1 s interval)."""
KEPT = 16
"""Containers whose history is kept while the user looks at others."""
MAX_PROCS = 1000
MAX_SUBGROUPS = 64
MAX_TIDS = 16
THROTTLED_NOTE = 0.2
MEMORY_NOTE = 0.9

V1_MEMORY_STAT = ("total_rss", "total_cache", "total_shmem", "total_mapped_file", "total_swap",
                  "total_active_anon", "total_inactive_anon", "total_active_file", "total_inactive_file")
V2_MEMORY_STAT = ("anon", "file", "kernel", "kernel_stack", "pagetables", "sock", "shmem", "file_mapped",
                  "file_dirty", "slab", "active_anon", "inactive_anon", "active_file", "inactive_file")


def _grouped_dirs(cg: ContainerCgroup) -> tuple[tuple[str, str], ...]:
    by_dir: dict[str, list[str]] = {}
    for ctrl, d in cg.dirs.items():
        by_dir.setdefault(d, []).append(ctrl)
    rows = [(",".join(sorted(c for c in ctrls if c)) if any(ctrls) else "", d) for d, ctrls in by_dir.items()]
    return tuple(sorted(rows, key=lambda r: (r[0] == "", r[0])))


def _cpu(cg: ContainerCgroup, paths: HostPaths) -> tuple[CpuState, int | None]:
    """CPU limits and throttling; also the usage counter in ns for CPU %."""
    if cg.version == 1:
        cpu, acct, cs = (CgDir(paths, cg.dirs.get(k)) for k in ("cpu", "cpuacct", "cpuset"))
        st = CpuState(
            quota_us=cpu.value("cpu.cfs_quota_us", no_limit_if_negative), period_us=cpu.value("cpu.cfs_period_us", parse_int),
            weight=cpu.value("cpu.shares", parse_int), cpuset_cpus=cs.value("cpuset.cpus", text_only),
            cpuset_effective=cs.value("cpuset.effective_cpus", text_only), cpuset_mems=cs.value("cpuset.mems", text_only),
            nr_periods=keyed(cpu, "cpu.stat", "nr_periods"), nr_throttled=keyed(cpu, "cpu.stat", "nr_throttled"),
            throttled_us=keyed(cpu, "cpu.stat", "throttled_time", 1000))
        usage = acct.value("cpuacct.usage", parse_int).value
        return st, usage
    d = CgDir(paths, cg.dirs[""])
    mx = d.value("cpu.max", text_only)
    quota, period = cpu_max(mx.raw)
    st = CpuState(
        quota_us=CgValue(quota, mx.raw, mx.source) if mx.present else mx,
        period_us=CgValue(period, mx.raw, mx.source) if mx.present else mx,
        weight=d.value("cpu.weight", parse_int), cpuset_cpus=d.value("cpuset.cpus", text_only),
        cpuset_effective=d.value("cpuset.cpus.effective", text_only), cpuset_mems=d.value("cpuset.mems.effective", text_only),
        nr_periods=keyed(d, "cpu.stat", "nr_periods"), nr_throttled=keyed(d, "cpu.stat", "nr_throttled"),
        throttled_us=keyed(d, "cpu.stat", "throttled_usec"))
    usec = stat_key(d.raw("cpu.stat"), b"usage_usec")
    return st, usec * 1000 if usec is not None else None


def _memory(cg: ContainerCgroup, paths: HostPaths, mem_total: int) -> MemState:
    if cg.version == 1:
        d = CgDir(paths, cg.dirs.get("memory"))
        stat_raw = d.raw("memory.stat")
        stat = flat_keyed(stat_raw)
        usage = d.value("memory.usage_in_bytes", parse_int)
        inactive = stat.get("total_inactive_file")
        hier = stat.get("hierarchical_memory_limit")
        oom = flat_keyed(d.raw("memory.oom_control"))
        failcnt = d.value("memory.failcnt", parse_int)
        events = [("failcnt", failcnt.value or 0)] if failcnt.present else []
        events += [(k, oom[k]) for k in ("oom_kill", "under_oom", "oom_kill_disable") if k in oom]
        pairs = [(k, stat[k]) for k in V1_MEMORY_STAT if k in stat]
        kmem = d.value("memory.kmem.usage_in_bytes", parse_int)
        if kmem.value is not None:
            pairs.insert(2, ("kmem", kmem.value))  # kernel memory: its own file on v1
        return MemState(
            limit=d.value("memory.limit_in_bytes"), soft=d.value("memory.soft_limit_in_bytes"),
            swap=d.value("memory.memsw.limit_in_bytes"),
            enforced=CgValue(None if hier is None or hier >= UNLIMITED_THRESHOLD else hier, str(hier or ""),
                             d.cmd("memory.stat", "grep -w hierarchical_memory_limit")) if hier is not None else CgValue(),
            usage=usage, used=_used(usage, inactive, d, "total_inactive_file"),
            peak=d.value("memory.max_usage_in_bytes", parse_int), host_total=mem_total,
            stat=tuple(pairs), stat_source=d.cmd("memory.stat") + " ; " + d.cmd("memory.kmem.usage_in_bytes"),
            events=tuple(events), events_source=f"{d.cmd('memory.failcnt')} ; {d.cmd('memory.oom_control')}")
    d = CgDir(paths, cg.dirs[""])
    stat = flat_keyed(d.raw("memory.stat"))
    usage = d.value("memory.current", parse_int)
    ev = flat_keyed(d.raw("memory.events"))
    swap_now = d.value("memory.swap.current", parse_int)
    pairs = [(k, stat[k]) for k in V2_MEMORY_STAT if k in stat]
    if swap_now.present:
        pairs.append(("swap", swap_now.value or 0))
    limit = d.value("memory.max")
    return MemState(
        limit=limit, soft=d.value("memory.low"), high=d.value("memory.high"),
        swap=d.value("memory.swap.max"), enforced=_v2_enforced(paths, cg.dirs[""], limit),
        usage=usage, used=_used(usage, stat.get("inactive_file"), d, "inactive_file"),
        peak=d.value("memory.peak", parse_int), host_total=mem_total, stat=tuple(pairs), stat_source=d.cmd("memory.stat"),
        events=tuple((k, ev[k]) for k in ("low", "high", "max", "oom", "oom_kill", "oom_group_kill") if k in ev),
        events_source=d.cmd("memory.events"))


def _used(usage: CgValue, inactive: int | None, d: CgDir, key: str) -> Sourced[int | None]:
    if usage.value is None:
        return Sourced(None)
    used = usage.value - inactive if inactive is not None and inactive < usage.value else usage.value
    return Sourced(used, f"{usage.source} ; {d.cmd('memory.stat', f'grep -w {key}')}  "
                         "(usage − inactive_file, as docker stats)")


def _v2_enforced(paths: HostPaths, directory: str, own: CgValue) -> CgValue:
    """The lowest ``memory.max`` from the container's directory (``own``, already read) up to
    the root."""
    best = own if own.value is not None else CgValue()
    d = directory.rsplit("/", 1)[0]
    while d.startswith(CGROUP_ROOT + "/") or d == CGROUP_ROOT:
        v = CgDir(paths, d).value("memory.max")
        if v.value is not None and (best.value is None or v.value < best.value):
            best = v
        if d == CGROUP_ROOT:
            break
        d = d.rsplit("/", 1)[0]
    return best


def _pids(cg: ContainerCgroup, paths: HostPaths) -> tuple[CgValue, CgValue, CgValue]:
    d = CgDir(paths, cg.dirs.get("pids") if cg.version == 1 else cg.dirs[""])
    return d.value("pids.current", parse_int), d.value("pids.max"), d.value("pids.peak", parse_int)


def _block_name(paths: HostPaths, dev: str, names: dict[str, str]) -> str:
    if dev not in names:
        name = ""
        for line in (CgDir(paths, "/sys/dev/block").raw(f"{dev}/uevent") or b"").decode("ascii", "replace").splitlines():
            if line.startswith("DEVNAME="):
                name = line[8:]
        names[dev] = name
    return names[dev]


def _io(cg: ContainerCgroup, paths: HostPaths, names: dict[str, str]) -> tuple[list[IoDevice], CgValue]:
    if cg.version == 1:
        d = CgDir(paths, cg.dirs.get("blkio"))
        b = parse_blkio((d.raw("blkio.throttle.io_service_bytes_recursive") or b"").decode("ascii", "replace"))
        n = parse_blkio((d.raw("blkio.throttle.io_serviced_recursive") or b"").decode("ascii", "replace"))
        limits: dict[str, list[tuple[str, int]]] = {}
        for key, name in (("rbps", "read_bps_device"), ("wbps", "write_bps_device"),
                          ("riops", "read_iops_device"), ("wiops", "write_iops_device")):
            for dev, v in parse_dev_values((d.raw(f"blkio.throttle.{name}") or b"").decode("ascii", "replace")).items():
                limits.setdefault(dev, []).append((key, v))
        weight = d.value("blkio.weight", parse_int)
        if not weight.present:
            weight = d.value("blkio.bfq.weight", parse_int)
        devices = sorted(set(b) | set(limits))
        src = d.cmd("blkio.throttle.io_service_bytes_recursive") + " ; " + d.cmd("blkio.throttle.io_serviced_recursive")
        lim_src = d.cmd("blkio.throttle.read_bps_device") + " (and write_bps, read_iops, write_iops)"
        return [IoDevice(dev, _block_name(paths, dev, names), b.get(dev, {}).get("Read", 0), b.get(dev, {}).get("Write", 0),
                         n.get(dev, {}).get("Read", 0), n.get(dev, {}).get("Write", 0),
                         limits=tuple(limits.get(dev, ())), source=src, limits_source=lim_src)
                for dev in devices if dev in limits or any(b.get(dev, {}).get(k) for k in ("Read", "Write"))], weight
    d = CgDir(paths, cg.dirs[""])
    stats = parse_io_stat((d.raw("io.stat") or b"").decode("ascii", "replace"))
    limits = parse_io_max((d.raw("io.max") or b"").decode("ascii", "replace"))
    weight = d.value("io.weight", text_only)
    out = []
    for dev in sorted(set(stats) | set(limits)):
        s = stats.get(dev, {})
        out.append(IoDevice(dev, _block_name(paths, dev, names), s.get("rbytes", 0), s.get("wbytes", 0),
                            s.get("rios", 0), s.get("wios", 0), limits=tuple(limits.get(dev, ())),
                            source=d.cmd("io.stat"), limits_source=d.cmd("io.max")))
    return out, weight


def _pressure(cg: ContainerCgroup, paths: HostPaths) -> tuple[tuple[Pressure, ...], str]:
    unified = cg.dirs.get("")
    if unified is None:
        return (), ("no pressure data: PSI is kept per cgroup only on the v2 tree, and this host mounts no "
                    "cgroup2 (see /proc/pressure for the host as a whole)")
    d = CgDir(paths, unified)
    out = []
    for res in ("cpu", "memory", "io"):
        data = d.raw(f"{res}.pressure")
        if data is None:
            continue
        some, full, total = parse_psi(data.decode("ascii", "replace"))
        out.append(Pressure(res, some, full, total, d.cmd(f"{res}.pressure")))
    if not out:
        return (), ("no pressure data: this kernel has no PSI (built without CONFIG_PSI, or booted with psi=0), "
                    f"so {unified}/cpu.pressure is missing or unreadable")
    return tuple(out), ""


def _tids(paths: HostPaths, pid: int) -> tuple[int, ...]:
    """The threads of ``pid`` other than itself, lowest first, at most :data:`MAX_TIDS`."""
    try:
        tids = sorted(int(t) for t in os.listdir(f"{paths.proc}/{pid}/task") if t.isdigit() and t != str(pid))
    except OSError:
        return ()
    return tuple(tids[:MAX_TIDS])


def _members(cg: ContainerCgroup, paths: HostPaths) -> tuple[list[CgProc], list[str], str, CgValue]:
    """Processes of the container's cgroup and of its sub-cgroups (``cgroup.procs`` is not
    hierarchical), the sub-cgroups, and the container directory's thread count."""
    top = cg.dirs.get("memory") if cg.version == 1 else cg.dirs[""]
    if top is None:
        top = cg.primary
    procs: list[CgProc] = []
    subs: list[str] = []
    stack = [""]
    while stack and len(procs) < MAX_PROCS:
        rel = stack.pop()
        d = CgDir(paths, top + rel)
        for line in (d.raw("cgroup.procs") or b"").split():
            if not line.isdigit() or len(procs) >= MAX_PROCS:
                continue
            pid = int(line)
            st = read_stat(paths, pid)
            procs.append(CgProc(pid, st.comm if st else "?", st.threads if st else 0, rel.lstrip("/"),
                                _tids(paths, pid) if st and st.threads > 1 else ()))
        try:
            with os.scandir(paths.host(top + rel)) as it:
                children = sorted(e.name for e in it if e.is_dir(follow_symlinks=False))
        except OSError:
            children = []
        for name in reversed(children):
            if len(subs) < MAX_SUBGROUPS:
                subs.append(f"{rel}/{name}".lstrip("/"))
                stack.append(f"{rel}/{name}")
    procs.sort(key=lambda p: (p.cgroup, p.pid))
    d = CgDir(paths, top)
    name = "tasks" if cg.version == 1 else "cgroup.threads"
    tasks = d.raw(name)
    n = len(tasks.split()) if tasks is not None else 0
    threads = CgValue(n, str(n), d.cmd(name) + " | wc -l") if tasks is not None else CgValue()
    return procs, sorted(subs), d.cmd("cgroup.procs"), threads


# ---------------------------------------------------------------- the container source

def collect_cgroup(ctx: Context, state: SourceState) -> CgroupView:
    """The selected running container's cgroup, read in full."""
    c = ctx.selected
    if c is None:
        raise Unavailable("select a container")
    if not c.live:
        raise Unavailable(f"{c.state.value}: no cgroup. Docker removes a container's cgroup when it stops; "
                          "the limits it was given are on the Overview (tab 1)")
    cache = state.cache
    if "mounts" not in cache:
        cache["mounts"] = cgroup_mounts(read_mountinfo(ctx.paths))
        cache["mem_total"] = read_mem_total(ctx.paths)
        cache["hist"] = OrderedDict()
        cache["blk"] = {}
    mounts: CgroupMounts = cache["mounts"]
    pid = c.pid.value
    driver = ctx.engine.cgroup_driver if ctx.engine else Sourced("")
    if not os.path.exists(f"{ctx.paths.proc}/{pid}"):
        raise Unavailable(f"gone: PID {pid} exited and its cgroup with it")
    found: dict[tuple[str, int], ContainerCgroup] = cache.setdefault("found", {})
    cg = found.get((c.id, pid))
    if cg is None:
        cg = locate_container_cgroup(ctx.paths, mounts, pid, c.id, driver.value,
                                     c.detail.cgroup_parent if c.detail else "")
        if cg is None:
            raise Unavailable(no_cgroup_reason(driver.value, pid))
        if len(found) >= KEPT:
            found.clear()
        found[(c.id, pid)] = cg

    sys_ns, online = read_system_cpu(ctx.paths)
    now = time.monotonic()
    cpu, usage_ns = _cpu(cg, ctx.paths)
    mem = _memory(cg, ctx.paths, cache["mem_total"])
    pids = _pids(cg, ctx.paths)
    io, io_weight = _io(cg, ctx.paths, cache["blk"])
    pressure, pressure_note = _pressure(cg, ctx.paths)
    procs, subs, procs_src, threads = _members(cg, ctx.paths)
    if not os.path.isdir(ctx.paths.host(cg.primary)):
        raise Unavailable(f"gone: {cg.primary} vanished while it was read (the container stopped)")

    hist: OrderedDict[str, _History] = cache["hist"]
    h = hist.pop(c.id, None)
    if h is None or h.pid != pid:  # a restart starts a new history
        h = _History(pid)
    hist[c.id] = h
    while len(hist) > KEPT:
        hist.popitem(last=False)
    pct = h.cpu_percent(usage_ns, sys_ns, online)
    if usage_ns is not None and pct is None:
        state.next_in = 0.25  # a second sample soon, so CPU % shows up early
    if mem.used.value is not None:
        h.mem.append(mem.used.value)
    cpu_src = ((f"{cpu.nr_periods.source.replace('grep -w nr_periods', 'cat')}  " if cpu.nr_periods.source else "")
               + "(Δnr_throttled / Δnr_periods over the last interval)")
    cpu = replace(cpu, percent=Sourced(pct, _cpu_source(cg, online)), history=tuple(h.cpu),
                  throttled_ratio=Sourced(h.throttled(cpu), cpu_src))
    mem = replace(mem, history=tuple(h.mem))
    io = h.io_rates(io, now)

    shim_pid, shim_name = 0, ""
    st = read_stat(ctx.paths, pid)
    if st is not None and st.ppid > 1:
        parent = read_stat(ctx.paths, st.ppid)
        shim_pid, shim_name = st.ppid, parent.comm if parent else "?"
    cns = c.detail.cgroupns_mode if c.detail else ""
    return CgroupView(
        container_id=c.id, version=cg.version, mode=mounts.mode, driver=driver,
        cgroupns=Sourced(cns or "host", inspect_source(c.name.value, ".HostConfig.CgroupnsMode")),
        directory=cg.primary, dirs=_grouped_dirs(cg), found_by=cg.source, init_pid=pid,
        init_lines=proc_lines(ctx.paths, mounts, pid), shim_pid=shim_pid, shim_name=shim_name,
        shim_lines=proc_lines(ctx.paths, mounts, shim_pid) if shim_pid else (),
        cpu=cpu, memory=mem, pids=pids[0], pids_max=pids[1], pids_peak=pids[2], io=tuple(io), io_weight=io_weight,
        pressure=pressure, pressure_note=pressure_note, procs=tuple(procs), procs_source=procs_src,
        threads=threads, subgroups=tuple(subs), notes=_notes(cg, mounts.mode, cns, cpu, mem))


def _cpu_source(cg: ContainerCgroup, online: int) -> str:
    f = (f"cat {cg.dirs.get('cpuacct')}/cpuacct.usage" if cg.version == 1
         else f"grep -w usage_usec {cg.dirs['']}/cpu.stat")
    return f"{f} ; head -1 /proc/stat  (Δcontainer / Δsystem × {online} CPUs × 100, as docker stats)"


class _History:
    """One container's previous counters (for rates) and its sparkline samples, kept while its
    init PID stays the same."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.cpu: deque[float] = deque(maxlen=HISTORY)
        self.mem: deque[int] = deque(maxlen=HISTORY)
        self._cpu: tuple[int, int] | None = None
        self._periods: tuple[int, int] | None = None
        self._io: tuple[float, dict[str, tuple[int, int]]] | None = None

    def cpu_percent(self, usage_ns: int | None, sys_ns: int, online: int) -> float | None:
        if usage_ns is None:
            return None
        pct = cpu_percent(self._cpu, (usage_ns, sys_ns), online)
        self._cpu = (usage_ns, sys_ns)
        if pct is not None:
            self.cpu.append(round(pct, 2))
        return pct

    def throttled(self, cpu: CpuState) -> float | None:
        """Throttled periods / periods since the last run (None: no period ran)."""
        if cpu.nr_periods.value is None or cpu.nr_throttled.value is None:
            return None
        cur, prev = (cpu.nr_periods.value, cpu.nr_throttled.value), self._periods
        self._periods = cur
        if prev is None or cur[0] <= prev[0]:
            return None
        return (cur[1] - prev[1]) / (cur[0] - prev[0])

    def io_rates(self, io: list[IoDevice], now: float) -> list[IoDevice]:
        prev, self._io = self._io, (now, {d.device: (d.rbytes, d.wbytes) for d in io})
        if prev is None or now <= prev[0]:
            return io
        dt = now - prev[0]
        out = []
        for d in io:
            p = prev[1].get(d.device)
            if p is None or d.rbytes < p[0] or d.wbytes < p[1]:
                out.append(d)
            else:
                out.append(replace(d, rbytes_rate=(d.rbytes - p[0]) / dt, wbytes_rate=(d.wbytes - p[1]) / dt))
        return out


def _notes(cg: ContainerCgroup, mode: str, cgroupns: str, cpu: CpuState, mem: MemState) -> tuple[str, ...]:
    notes = []
    r = cpu.throttled_ratio.value
    if r is not None and r >= THROTTLED_NOTE and cpu.quota_us.value:
        notes.append(f"throttled in {r * 100:.0f} % of CPU periods over the last interval: its CPU quota slows it, "
                     "however idle the host is")
    lim = mem.limit.value
    if lim and mem.used.value is not None and mem.used.value >= MEMORY_NOTE * lim:
        notes.append(f"memory at {mem.used.value * 100 / lim:.0f} % of its limit: the kernel reclaims cache first, "
                     "then the OOM killer picks a process inside")
    if mode == "hybrid" and cg.version == 1:
        notes.append("hybrid host: limits live in the v1 controllers; the unified (v2) directory holds only "
                     "membership, cpu.stat and the pressure files")
    if cgroupns == "private":
        notes.append("cgroupns private: inside, /proc/self/cgroup reads 0::/ — the paths here are the host's view")
    return tuple(notes)
