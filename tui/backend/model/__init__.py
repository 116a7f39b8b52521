"""Immutable snapshot model shared by the backend and the UI.

Every value the UI can focus carries its provenance: a :class:`Sourced` pairs the value with the
shell command or file that reproduces it (``cat /sys/fs/cgroup/...``, ``docker inspect -f ...``).
Everything here is a frozen dataclass made of plain types, so a snapshot can be shared between
threads, compared cheaply, and written to / read back from JSON (``serial.py``) for fixtures and
for ``internals-tui snapshot --json``.
"""

from __future__ import annotations

import datetime
import functools
import shlex
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Sourced(Generic[T]):
    """A value and the command or file that produced it."""

    value: T
    source: str = ""


@dataclass(frozen=True, slots=True)
class ComponentVersion:
    """One line of ``docker version``: a component and its version."""

    name: str
    version: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """What the engine says about itself (``docker version`` and ``docker info``)."""

    endpoint: str
    server_version: Sourced[str]
    api_version: Sourced[str]
    min_api_version: str = ""
    os_type: str = ""
    arch: str = ""
    kernel: Sourced[str] = Sourced("")
    operating_system: Sourced[str] = Sourced("")
    name: str = ""
    ncpu: Sourced[int] = Sourced(0)
    mem_total: Sourced[int] = Sourced(0)
    storage_driver: Sourced[str] = Sourced("")
    driver_status: tuple[tuple[str, str], ...] = ()
    containerd_snapshotter: bool = False
    cgroup_driver: Sourced[str] = Sourced("")
    cgroup_version: Sourced[str] = Sourced("")
    docker_root_dir: Sourced[str] = Sourced("")
    runtimes: tuple[str, ...] = ()
    default_runtime: Sourced[str] = Sourced("")
    init_binary: Sourced[str] = Sourced("")
    security_options: tuple[str, ...] = ()
    rootless: bool = False
    userns_remap: bool = False
    server_components: tuple[ComponentVersion, ...] = ()
    product: str = "Docker"
    """``Docker``, or ``Podman`` behind its Docker-compatible API (server component "Podman Engine")."""


@dataclass(frozen=True, slots=True)
class CgroupTableRow:
    """One row of ``/proc/cgroups``."""

    subsys: str
    hierarchy: int
    num_cgroups: int
    enabled: bool


@dataclass(frozen=True, slots=True)
class HostInfo:
    """What the capability probe found out about the machine this app runs on."""

    root: bool
    cgroup_mode: str  # "v1" | "hybrid" | "v2" | "unknown"
    uid: int = 0
    local: bool = True
    local_reason: str = ""
    can_read_namespaces: bool = True
    proc_cgroups: tuple[CgroupTableRow, ...] = ()
    cgroup_controllers: Sourced[str] = Sourced("")


@dataclass(frozen=True, slots=True)
class Metrics:
    """Live resource use of one container, computed the way ``docker stats`` does."""

    cpu_percent: Sourced[float | None]
    mem_used: Sourced[int | None]
    mem_limit: Sourced[int | None]
    pids: Sourced[int | None]
    pids_limit: Sourced[int | None] = Sourced(None)
    cgroup_dir: str = ""
    error: str = ""
    container_id: str = ""
    mem_unlimited: bool = False
    """No memory limit: ``mem_limit`` is host RAM, as ``docker stats`` reports it."""


@dataclass(frozen=True, slots=True)
class PortMapping:
    """One published (or exposed) port."""

    container_port: str  # "80/tcp"
    host_ip: str = ""
    host_port: str = ""


@dataclass(frozen=True, slots=True)
class MountInfo:
    """One entry of inspect ``Mounts``."""

    type: str
    source: str
    destination: str
    rw: bool
    name: str = ""
    driver: str = ""
    mode: str = ""
    propagation: str = ""


@dataclass(frozen=True, slots=True)
class NetworkAttachment:
    """The container's endpoint on one Docker network."""

    network: str
    network_id: str
    ip_address: str
    prefix_len: int
    gateway: str
    mac_address: str
    ipv6_address: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits as the user gave them (inspect ``HostConfig``), with raw values."""

    memory: Sourced[int] = Sourced(0)
    memory_swap: Sourced[int] = Sourced(0)
    memory_reservation: Sourced[int] = Sourced(0)
    nano_cpus: Sourced[int] = Sourced(0)
    cpu_quota: Sourced[int] = Sourced(0)
    cpu_period: Sourced[int] = Sourced(0)
    cpu_shares: Sourced[int] = Sourced(0)
    cpuset_cpus: Sourced[str] = Sourced("")
    pids_limit: Sourced[int | None] = Sourced(None)
    blkio: Sourced[tuple[tuple[str, str, int], ...]] = Sourced(())
    """``(flag, device path, rate)``: ``("device-read-bps", "/dev/vda", 1048576)``."""
    cpuset_mems: Sourced[str] = Sourced("")

    @property
    def cpus(self) -> float | None:
        """CPUs the container may use (``--cpus``, or quota/period), ``None`` when unlimited."""
        if self.nano_cpus.value:
            return self.nano_cpus.value / 1e9
        if self.cpu_quota.value > 0:
            return self.cpu_quota.value / (self.cpu_period.value or 100_000)
        return None


@dataclass(frozen=True, slots=True)
class DiskFile:
    """A file Docker keeps for a container under ``<DockerRootDir>/containers/<id>/``."""

    name: str
    path: str
    size: int | None
    kind: str  # "json" | "log" | "text" | "dir"


@dataclass(frozen=True, slots=True)
class ContainerDetail:
    """What ``docker inspect`` says about one container; refreshed only on events."""

    image_id: Sourced[str]
    command: Sourced[tuple[str, ...]]
    entrypoint: Sourced[tuple[str, ...]]
    created: Sourced[str]
    started_at: Sourced[str]
    finished_at: Sourced[str]
    restart_count: Sourced[int]
    restart_policy: str
    oom_killed: bool
    error: str
    hostname: str
    user: str
    working_dir: str
    network_mode: Sourced[str]
    cgroup_parent: str
    cgroupns_mode: str
    runtime: str
    privileged: bool
    limits: Limits
    ports: tuple[PortMapping, ...]
    mounts: tuple[MountInfo, ...]
    networks: tuple[NetworkAttachment, ...]
    graph_driver: str
    graph_data: tuple[tuple[str, str], ...]
    log_path: str
    container_dir: Sourced[str]
    labels: tuple[tuple[str, str], ...] = ()
    env_names: tuple[str, ...] = ()
    """The names in ``Config.Env``; values stay in the engine (they often hold secrets)."""
    pid_mode: Sourced[str] = Sourced("")
    """``""`` (private), ``host`` or ``container:<name or id>``."""
    init: bool = False
    """``--init``: the engine's init binary (docker-init, i.e. tini) runs as PID 1."""
    ipc_mode: Sourced[str] = Sourced("")
    uts_mode: Sourced[str] = Sourced("")
    userns_mode: Sourced[str] = Sourced("")
    sandbox_key: Sourced[str] = Sourced("")
    """The net namespace's bind mount (``/var/run/docker/netns/<key>``; Podman: ``/run/netns/…``)."""


@dataclass(frozen=True, slots=True)
class Container:
    """One container: list fields on every tick, inspect detail and metrics when known."""

    id: str
    name: Sourced[str]
    image: Sourced[str]
    image_fq: str
    state: Sourced[str]
    status: str
    created: int
    exit_code: Sourced[int | None] = Sourced(None)
    started_at: float | None = None
    pid: Sourced[int] = Sourced(0)
    labels: tuple[tuple[str, str], ...] = ()
    detail: ContainerDetail | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]

    @property
    def live(self) -> bool:
        """Running or paused, with a host PID: it has processes, a cgroup and namespaces."""
        return self.state.value in ("running", "paused") and bool(self.pid.value)


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """One local image (``docker images``)."""

    id: str
    tags: tuple[str, ...]
    size: int
    created: int


@dataclass(frozen=True, slots=True)
class DockerEvent:
    """One message of the Docker events stream."""

    seq: int
    time_nano: int
    type: str
    action: str
    actor_id: str
    attributes: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        """The actor's name attribute, if any (container/network/volume name, image ref)."""
        for k, v in self.attributes:
            if k == "name":
                return v
        return ""


@dataclass(frozen=True, slots=True)
class FileView:
    """What the file viewer shows for one file."""

    path: str
    text: str
    size: int
    truncated: bool
    source: str
    error: str = ""


@dataclass(frozen=True, slots=True)
class FileRequest:
    """What the on-demand ``file`` source is asked for: one of the selected container's files."""

    path: str
    kind: str

    def __str__(self) -> str:
        return self.path


@dataclass(frozen=True, slots=True)
class SourceResult:
    """The last run of one backend source: its value or its error, when and how fast.

    ``unavailable`` marks an expected reason for having nothing to show (needs root, API-only
    mode, not running): the owning pane says it, and it is not counted as a failure. ``key`` is
    what the value is about for per-container sources (the selected container's ID) and
    on-demand sources (the request).
    """

    name: str
    value: Any = None
    error: str = ""
    unavailable: bool = False
    taken_at: float = 0.0
    duration: float = 0.0
    runs: int = 0
    key: str = ""

    @property
    def ok(self) -> bool:
        return self.runs > 0 and not self.error


@dataclass(frozen=True)
class Snapshot:
    """Everything the UI shows, as of one instant.

    ``sources`` holds every backend source's last result under its name (see
    ``tui/backend/sources.py``); the properties below read the ones every view needs. The
    engine connection itself (``engine``, ``engine_error``, ``retry_in``) and the Docker events
    feed are the hub's own and stay fields.
    """

    seq: int
    taken_at: float
    host: HostInfo
    endpoint: str
    engine: EngineInfo | None = None
    engine_error: str = ""
    engine_hint: str = ""
    retry_in: float = 0.0
    events: tuple[DockerEvent, ...] = ()
    sources: tuple[SourceResult, ...] = ()
    selected: str = ""

    @functools.cached_property
    def _results(self) -> dict[str, SourceResult]:
        return {r.name: r for r in self.sources}

    def result(self, name: str) -> SourceResult | None:
        """The last result of source ``name``, or None when it has not run."""
        return self._results.get(name)

    def value(self, name: str, default: Any = None) -> Any:
        r = self._results.get(name)
        return default if r is None or r.value is None else r.value

    @functools.cached_property
    def containers(self) -> tuple[Container, ...]:
        return tuple(self.value("containers", ()))

    @functools.cached_property
    def images(self) -> tuple[ImageInfo, ...]:
        return tuple(self.value("images", ()))

    @functools.cached_property
    def clients(self) -> tuple[ComponentVersion, ...]:
        return tuple(self.value("clients", ()))

    @functools.cached_property
    def errors(self) -> tuple[SourceResult, ...]:
        """Sources whose last run failed (expected unavailability excluded)."""
        return tuple(r for r in self.sources if r.error and not r.unavailable)

    @functools.cached_property
    def _metrics(self) -> dict[str, Metrics]:
        live = {c.id for c in self.containers if c.state.value in ("running", "paused")}
        return {m.container_id: m for m in self.value("metrics", ()) if m.container_id in live}

    def metrics_of(self, cid: str) -> Metrics | None:
        """Live cgroup figures of a running container on a local engine (never those of a
        container the list already shows stopped: the list can be newer than the metrics)."""
        return self._metrics.get(cid)

    @property
    def mode(self) -> str:
        """``local``, ``api-only`` or ``no-engine``."""
        if self.engine is None:
            return "no-engine"
        return "local" if self.host.local else "api-only"

    def container(self, cid: str) -> Container | None:
        for c in self.containers:
            if c.id == cid:
                return c
        return None

    def container_by_name(self, name: str) -> Container | None:
        for c in self.containers:
            if c.name.value == name:
                return c
        return None

    def files_of(self, cid: str) -> tuple[DiskFile, ...] | None:
        """The selected container's files on disk, when the last listing was of ``cid``."""
        r = self.result("disk_files")
        if r is None or r.key != cid or r.error or r.value is None:
            return None
        return tuple(r.value)


def inspect_source(name: str, template: str) -> str:
    """The ``docker inspect -f`` command that prints ``{{template}}`` for container ``name``
    (the name shell-quoted: it is the engine's, not ours)."""
    return f"docker inspect -f '{{{{{template}}}}}' {shlex.quote(name)}"


def parse_docker_time(value: str | None) -> float | None:
    """Docker's RFC 3339 timestamps (nanoseconds, ``Z``) to epoch seconds; zero time → None."""
    if not value or value.startswith("0001-01-01"):
        return None
    v = value.rstrip("Z")
    if "." in v:
        head, frac = v.split(".", 1)
        tz = ""
        for sep in ("+", "-"):
            if sep in frac:
                frac, tz = frac.split(sep, 1)
                tz = sep + tz
                break
        v = f"{head}.{frac[:6]}{tz}"
    try:
        t = datetime.datetime.fromisoformat(v)
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return t.timestamp()
