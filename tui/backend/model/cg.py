"""The cgroup model: what the Cgroups pane and the host cgroup view show (internals.md §1)."""

from __future__ import annotations

from dataclasses import dataclass

from . import Sourced


@dataclass(frozen=True, slots=True)
class CgValue:
    """One number from a cgroup file: parsed (None: unlimited, unparsable or absent), as the
    file has it (``max``, ``-1``, ``9223372036854771712``), and the command that shows it.
    ``raw`` is ``""`` when the file does not exist here."""

    value: int | None = None
    raw: str = ""
    source: str = ""

    @property
    def present(self) -> bool:
        return self.raw != ""


@dataclass(frozen=True, slots=True)
class CgLine:
    """One line of ``/proc/PID/cgroup`` and the host directory it names ("" when none)."""

    raw: str
    directory: str


@dataclass(frozen=True, slots=True)
class CgProc:
    """A process listed in ``cgroup.procs`` of the container's cgroup or of a sub-cgroup."""

    pid: int
    comm: str
    threads: int
    cgroup: str = ""
    """The sub-cgroup it sits in, relative to the container's ("" for the container's own)."""
    tids: tuple[int, ...] = ()
    """Its other threads (``/proc/PID/task``), when it has more than one."""


@dataclass(frozen=True, slots=True)
class CpuState:
    """CPU limits as the kernel enforces them, usage and throttling.

    ``weight`` is ``cpu.shares`` on v1 (default 1024) and ``cpu.weight`` on v2 (default 100);
    ``throttled_us`` is in µs on both (v1's ``throttled_time`` is ns).
    """

    quota_us: CgValue = CgValue()
    period_us: CgValue = CgValue()
    weight: CgValue = CgValue()
    cpuset_cpus: CgValue = CgValue()
    cpuset_effective: CgValue = CgValue()
    cpuset_mems: CgValue = CgValue()
    percent: Sourced[float | None] = Sourced(None)
    history: tuple[float, ...] = ()
    """CPU % of the last samples, oldest first."""
    nr_periods: CgValue = CgValue()
    nr_throttled: CgValue = CgValue()
    throttled_us: CgValue = CgValue()
    throttled_ratio: Sourced[float | None] = Sourced(None)
    """Throttled periods / periods over the last interval (None: no period ran)."""


@dataclass(frozen=True, slots=True)
class MemState:
    """Memory limits as enforced, usage the ``docker stats`` way, its breakdown and events.

    ``soft`` is v1's ``memory.soft_limit_in_bytes`` or v2's ``memory.low`` (both set by
    ``--memory-reservation``); ``swap`` is v1's memory+swap total (``memory.memsw.limit_in_bytes``)
    or v2's swap alone (``memory.swap.max``). ``enforced`` is the lowest limit on the way up
    to the root (a parent's limit binds the container too).
    """

    limit: CgValue = CgValue()
    soft: CgValue = CgValue()
    high: CgValue = CgValue()
    swap: CgValue = CgValue()
    enforced: CgValue = CgValue()
    usage: CgValue = CgValue()
    used: Sourced[int | None] = Sourced(None)
    peak: CgValue = CgValue()
    host_total: int = 0
    stat: tuple[tuple[str, int], ...] = ()
    stat_source: str = ""
    events: tuple[tuple[str, int], ...] = ()
    """v2 ``memory.events`` (low, high, max, oom, oom_kill); v1 failcnt and ``memory.oom_control``."""
    events_source: str = ""
    history: tuple[int, ...] = ()
    """Memory used (bytes) of the last samples, oldest first."""


@dataclass(frozen=True, slots=True)
class IoDevice:
    """One block device's I/O in the cgroup, its rates over the last interval and its limits."""

    device: str
    """``MAJ:MIN``."""
    name: str
    """From ``/sys/dev/block/MAJ:MIN/uevent`` ("" when unknown)."""
    rbytes: int = 0
    wbytes: int = 0
    rios: int = 0
    wios: int = 0
    rbytes_rate: float | None = None
    wbytes_rate: float | None = None
    limits: tuple[tuple[str, int], ...] = ()
    """``(rbps|wbps|riops|wiops, value)`` for each limit set on the device."""
    source: str = ""
    limits_source: str = ""


@dataclass(frozen=True, slots=True)
class Pressure:
    """One PSI file: the share of time some (or all) tasks stalled on the resource."""

    resource: str
    some: tuple[float, float, float]
    """avg10, avg60, avg300 in %."""
    full: tuple[float, float, float] | None
    total_us: int
    source: str


@dataclass(frozen=True, slots=True)
class CgroupView:
    """The selected container's cgroup: where it is, what it enforces, what it uses, who is in it."""

    container_id: str
    version: int
    """1: v1 controllers (v1 or hybrid host); 2: the unified tree."""
    mode: str
    """The host: ``v1``, ``hybrid`` or ``v2``."""
    driver: Sourced[str]
    cgroupns: Sourced[str]
    directory: str
    """The directory that identifies the container (v1: the memory controller's)."""
    dirs: tuple[tuple[str, str], ...]
    """``(controllers, directory)``; co-mounted controllers share a row; ``""`` is the v2 or
    hybrid unified directory."""
    found_by: str
    init_pid: int
    init_lines: tuple[CgLine, ...]
    shim_pid: int = 0
    shim_name: str = ""
    shim_lines: tuple[CgLine, ...] = ()
    cpu: CpuState = CpuState()
    memory: MemState = MemState()
    pids: CgValue = CgValue()
    pids_max: CgValue = CgValue()
    pids_peak: CgValue = CgValue()
    io: tuple[IoDevice, ...] = ()
    io_weight: CgValue = CgValue()
    pressure: tuple[Pressure, ...] = ()
    pressure_note: str = ""
    """Why there is no pressure data, when there is none."""
    procs: tuple[CgProc, ...] = ()
    procs_source: str = ""
    threads: CgValue = CgValue()
    """Tasks in the container's own directory (v1 ``tasks``, v2 ``cgroup.threads``)."""
    subgroups: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CgNode:
    """One cgroup of the host tree (``systemd-cgls`` / ``lscgroup``), with live CPU and memory."""

    path: str
    """Relative to the hierarchy root (``/docker/<id>``)."""
    depth: int
    label: str
    """What it is: a container's name, ``dockerd``, ``containerd``, ``system.slice`` …"""
    procs: int
    cpu_percent: float | None
    memory: int | None
    source: str


@dataclass(frozen=True, slots=True)
class HostCgroups:
    """The host's cgroup set-up: controllers down the path to the containers, and the tree
    (``/proc/cgroups`` is the probe's: ``HostInfo.proc_cgroups``)."""

    mode: str
    driver: str
    root: str
    """The hierarchy the tree is read from (v2 root, or v1's memory mount)."""
    controllers: tuple[tuple[str, str, str], ...]
    """``(directory, cgroup.controllers, cgroup.subtree_control)`` from the v2 root down to the
    containers' parent."""
    nodes: tuple[CgNode, ...]
    total_nodes: int
    """How many cgroups the hierarchy holds (the tree shows those that lead to something)."""
    notes: tuple[str, ...] = ()
