"""Immutable snapshot model shared by the backend and the UI.

Every value the UI can focus carries its provenance: a :class:`Sourced` pairs the value with the
shell command or file that reproduces it (``cat /sys/fs/cgroup/...``, ``docker inspect -f ...``).
Everything here is a frozen dataclass made of plain types, so a snapshot can be shared between
threads, compared cheaply, and written to / read back from JSON (:func:`to_jsonable`,
:func:`from_jsonable`) for fixtures and for ``internals-tui snapshot --json``.
"""

from __future__ import annotations

import dataclasses
import datetime
import shlex
import types
import typing
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
    metrics: Metrics | None = None

    @property
    def short_id(self) -> str:
        return self.id[:12]


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
class SourceError:
    """A backend source that failed on its last run, and why."""

    source: str
    message: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the UI shows, as of one instant."""

    seq: int
    taken_at: float
    host: HostInfo
    endpoint: str
    engine: EngineInfo | None = None
    engine_error: str = ""
    engine_hint: str = ""
    clients: tuple[ComponentVersion, ...] = ()
    retry_in: float = 0.0
    containers: tuple[Container, ...] = ()
    images: tuple[ImageInfo, ...] = ()
    events: tuple[DockerEvent, ...] = ()
    errors: tuple[SourceError, ...] = ()
    disk_files: tuple[tuple[str, tuple[DiskFile, ...]], ...] = ()
    disk_error: str = ""

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
        for key, files in self.disk_files:
            if key == cid:
                return files
        return None


def to_jsonable(obj: Any) -> Any:
    """Turn a model object into plain JSON types (dataclasses become dicts)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (tuple, list)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    return obj


def from_jsonable(tp: Any, data: Any) -> Any:
    """Rebuild a model object of type ``tp`` from :func:`to_jsonable` output."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        for arg in args:
            if arg is type(None):
                continue
            try:
                return from_jsonable(arg, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"no member of {tp} accepts {data!r}")
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_jsonable(args[0], v) for v in data)
        return tuple(from_jsonable(a, v) for a, v in zip(args, data, strict=True))
    if dataclasses.is_dataclass(origin or tp):
        cls = origin or tp
        hints = typing.get_type_hints(cls)
        if origin is not None:  # Sourced[X]: substitute the type parameter
            (param,) = typing.get_args(tp)
            hints = {k: (param if v is T else v) for k, v in hints.items()}
        if not isinstance(data, dict):
            raise TypeError(f"{cls.__name__} needs an object, got {data!r}")
        kwargs = {f.name: from_jsonable(hints[f.name], data[f.name])
                  for f in dataclasses.fields(cls) if f.name in data}
        return cls(**kwargs)
    if tp is Any or tp is T:
        return data
    if tp is float and isinstance(data, int):
        return float(data)
    if isinstance(tp, type) and not isinstance(data, tp):
        raise TypeError(f"expected {tp.__name__}, got {data!r}")
    return data


def snapshot_from_jsonable(data: dict[str, Any]) -> Snapshot:
    """Read back a snapshot written by ``internals-tui snapshot --json``."""
    return from_jsonable(Snapshot, data)


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
