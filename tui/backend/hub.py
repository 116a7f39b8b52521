"""The polling backend: schedules collectors, merges Docker events, publishes snapshots.

One asyncio task (:meth:`Hub.run`) owns the schedule. Each tick runs in its own daemon thread
(so a hung engine call never holds up the app's exit) and ticks never overlap. The Docker
events stream runs in its own thread (:class:`~tui.backend.docker_api.EventReader`); an event
marks its container dirty and wakes the loop at once, so the next snapshot follows the event
within a few milliseconds. When the engine goes away the hub publishes snapshots that say so,
retries with backoff, and resyncs when it returns (engine info and access re-probed, every
container inspected again, events replayed with ``since``).
"""

from __future__ import annotations

import asyncio
import collections
import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import docker

from . import docker_api
from .cgroups import (
    ContainerCgroup, cgroup_from_driver, cgroup_mounts, cpu_percent, effective_memory_limit,
    memory_used, read_cgroup_sample, resolve_container_cgroup,
)
from .files import FileView, list_container_dir, read_container_file
from .model import (
    ComponentVersion, Container, ContainerDetail, DockerEvent, EngineInfo, HostInfo, ImageInfo, Metrics, Snapshot, SourceError,
    Sourced,
)
from .probe import probe_engine_access, probe_host
from .procfs import HostPaths, read_mem_total, read_mountinfo, read_system_cpu

T = TypeVar("T")
CONTAINER_ACTIONS = frozenset({
    "create", "start", "restart", "stop", "kill", "die", "oom", "destroy", "pause", "unpause",
    "rename", "update", "commit",
})
BACKOFF_MAX_S = 30.0
EVENT_COALESCE_S = 0.01
HISTORY_S = 3600.0
RECONCILE_S = 5.0
FIRST_DELTA_S = 0.25  # the first CPU% is measured over this window, so it shows up early


@dataclass(frozen=True)
class HubConfig:
    """How the hub polls: refresh interval, host roots, engine environment."""

    interval: float = 1.0
    paths: HostPaths = field(default_factory=HostPaths)
    environ: dict[str, str] | None = None
    max_events: int = 500


class EngineGone(Exception):
    """The engine stopped answering during a tick."""


class Hub:
    """Owns all backend state; publishes an immutable :class:`Snapshot` after every tick."""

    def __init__(self, config: HubConfig | None = None, *,
                 connect: Callable[[dict[str, str] | None], docker.DockerClient] = docker_api.connect,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config or HubConfig()
        self._connect = connect
        self._clock = clock
        self.endpoint = docker_api.resolve_endpoint(self.config.environ)
        self.selected: str | None = None
        self._lock = threading.Lock()
        self._events: collections.deque[DockerEvent] = collections.deque(maxlen=self.config.max_events)
        self._event_keys: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=self.config.max_events)
        self._event_seq = 0
        self._last_event_time: float | None = None
        self._dirty: set[str] = set()
        self._images_dirty = True
        self._engine_dirty = True
        self._stream_broken = False
        self._client: docker.DockerClient | None = None
        self._reader: docker_api.EventReader | None = None
        self._host: HostInfo | None = None
        self._engine: EngineInfo | None = None
        self._engine_error = ""
        self._images: tuple[ImageInfo, ...] = ()
        self._inspect: dict[str, dict[str, Any]] = {}
        self._details: dict[str, ContainerDetail] = {}
        self._connected_at = 0.0
        self._reader_started_at = 0.0
        self._reader_backoff = 0.5
        self._reader_retry_at = 0.0
        self._listed_at = 0.0
        self._base: list[Container] | None = None
        self._access_probed = False
        self._cgroups: dict[str, tuple[int, ContainerCgroup]] = {}
        self._prev_cpu: dict[str, tuple[int, int]] = {}
        self._metrics: dict[str, Metrics] = {}
        self._last_metrics_at = 0.0
        self._cg_mounts: Any = None
        self._mem_total = 0
        self._errors: dict[str, str] = {}
        self._seq = 0
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopped = False
        self._clients: tuple[ComponentVersion, ...] = ()
        self.last_snapshot: Snapshot | None = None

    # ------------------------------------------------------------ control (UI thread)

    def select(self, cid: str | None) -> None:
        """Focus one container: its on-disk files are collected on the next tick."""
        if cid != self.selected:
            self.selected = cid
            self.refresh()

    def refresh(self) -> None:
        """Run the next tick now (callable from any thread, also after the loop has ended)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop closed in between: nothing left to wake
                pass

    def read_file(self, path: str, kind: str) -> FileView:
        """Read one of the selected container's files (only paths the last snapshot listed)."""
        snap = self.last_snapshot
        listed = {f.path for _, files in (snap.disk_files if snap else ()) for f in files}
        if path not in listed:
            return FileView(path, "", 0, False, f"cat {shlex.quote(path)}",
                            error="not one of the selected container's files")
        return read_container_file(path, kind)

    def stop(self) -> None:
        self._stopped = True
        self._close_client()
        self.refresh()

    # ------------------------------------------------------------ main loop

    async def run(self, publish: Callable[[Snapshot], None]) -> None:
        """Poll forever (until :meth:`stop`), calling ``publish`` with each new snapshot."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        threading.Thread(target=self._probe_clients, name="client-versions", daemon=True).start()
        backoff = 1.0
        first = True
        try:
            while not self._stopped:
                if self._client is None:
                    if await _in_thread(self._try_connect):
                        first = True
                    else:
                        publish(self._publish_offline(backoff))
                        await self._sleep(backoff)
                        backoff = min(backoff * 2, BACKOFF_MAX_S)
                        continue
                try:
                    snap = await _in_thread(self.tick)
                except EngineGone as exc:
                    # connected but not usable (or gone): retry later, not in a tight loop
                    self._disconnect(str(exc))
                    publish(self._publish_offline(backoff))
                    await self._sleep(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX_S)
                    continue
                except Exception as exc:  # a collector bug must not end the loop: say it, go on
                    self._errors["tick"] = _describe(exc)
                    if self.last_snapshot is not None:
                        publish(replace(self.last_snapshot, errors=tuple(
                            SourceError(k, v) for k, v in sorted(self._errors.items()))))
                    await self._sleep(self.config.interval)
                    continue
                backoff = 1.0
                self._errors.pop("tick", None)
                publish(snap)
                # The first CPU% needs two samples: take the second one soon.
                delay = min(FIRST_DELTA_S, self.config.interval) if first else self.config.interval
                if self._stream_broken:  # a stream restart is waiting for its back-off
                    delay = min(delay, max(0.05, self._reader_retry_at - self._clock()))
                await self._sleep(delay)
                first = False
        finally:
            self._close_client()

    def _probe_clients(self) -> None:
        """Client versions (the docker CLI is a subprocess): off the path to the first frame."""
        self._clients = docker_api.client_components()
        self.refresh()

    async def _sleep(self, seconds: float) -> None:
        assert self._wake is not None
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
            await asyncio.sleep(EVENT_COALESCE_S)  # let a burst of events land in one tick
        except asyncio.TimeoutError:
            pass
        self._wake.clear()

    # ------------------------------------------------------------ connection

    def _try_connect(self) -> bool:
        if self._host is None:
            self._host = probe_host(self.config.paths)
        try:
            client = self._connect(self.config.environ)
            version, info = client.api.version(), client.api.info()
        except Exception as exc:  # any failure here means "no engine yet"
            self._engine_error = _describe(exc)
            return False
        self._client = client
        self._connected_at = self._clock()
        with self._lock:
            self._engine_dirty = False
            self._images_dirty = True
        self._engine = docker_api.engine_from_api(self.endpoint, version, info)
        self._engine_error = ""
        self._inspect.clear()
        self._details.clear()
        self._base = None
        self._access_probed = False
        with self._lock:
            self._stream_broken = False
        self._start_reader()
        return True

    def _start_reader(self) -> None:
        assert self._client is not None
        now = self._clock()
        # a stream that breaks within seconds of starting is retried with growing delays
        self._reader_backoff = min(self._reader_backoff * 2, BACKOFF_MAX_S) \
            if now - self._reader_started_at < 5.0 else 0.5
        self._reader_started_at = now
        self._reader_retry_at = now + self._reader_backoff
        since = self._last_event_time
        if since is None:  # first connection: show the engine's recent history (it keeps 256)
            since = self._clock() - HISTORY_S
        self._reader = docker_api.EventReader(self._client, since,
                                              self._on_event, self._on_break)
        self._reader.start()

    def _disconnect(self, why: str) -> None:
        self._engine_error = why
        self._close_client()

    def _close_client(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._client is not None:
            try:
                self._client.close()
            except Exception:  # closing a dead connection may raise; it is gone either way
                pass
            self._client = None
        self._engine = None

    # ------------------------------------------------------------ events (reader thread)

    def _on_event(self, raw: dict[str, Any]) -> None:
        actor = (raw.get("Actor") or {}).get("ID") or ""
        key = (raw.get("timeNano"), raw.get("Type"), raw.get("Action"), actor)
        with self._lock:
            if key in self._event_keys:  # replayed after a reconnect
                return
            self._event_keys.append(key)
            self._event_seq += 1
            ev = docker_api.event_from_api(self._event_seq, raw)
            self._events.appendleft(ev)
            self._last_event_time = ev.time_nano / 1e9
            if self._last_event_time < self._connected_at:
                pass  # history replayed at connect: the first tick inspects everything anyway
            elif ev.type == "container" and ev.action.split(":", 1)[0] in CONTAINER_ACTIONS:
                self._dirty.add(ev.actor_id)
            elif ev.type == "image":
                self._images_dirty = True
            elif ev.type == "daemon":
                self._engine_dirty = True
            elif ev.type == "network" and ev.action in ("connect", "disconnect"):
                cid = dict(ev.attributes).get("container")
                if cid:
                    self._dirty.add(cid)
        self.refresh()

    def _on_break(self, exc: BaseException | None) -> None:
        with self._lock:
            self._stream_broken = True
        self.refresh()

    # ------------------------------------------------------------ one tick (worker thread)

    def tick(self) -> Snapshot:
        """Refresh what changed and read metrics; return the new snapshot.

        The container list is fetched (one ``api.containers(all=True)``) when an event touched a
        container, after the events stream broke, and every ``RECONCILE_S`` otherwise; between
        those the events stream is the source of change, and a tick only reads cgroup files.
        """
        client = self._client
        if client is None:
            raise EngineGone(self._engine_error or "not connected")
        api = client.api
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            broken, self._stream_broken = self._stream_broken, False
            images_dirty, self._images_dirty = self._images_dirty, False
            engine_dirty, self._engine_dirty = self._engine_dirty, False
        now = self._clock()
        relist = bool(broken or dirty or self._base is None or now - self._listed_at >= RECONCILE_S)
        try:
            return self._tick(api, now, relist, dirty, broken, images_dirty, engine_dirty)
        except EngineGone:
            raise
        except (docker.errors.DockerException, OSError) as exc:
            # requests' errors are OSErrors; an API error here means the engine is not usable
            raise EngineGone(_describe(exc)) from exc

    def _tick(self, api: Any, now: float, relist: bool, dirty: set[str], broken: bool,
              images_dirty: bool, engine_dirty: bool) -> Snapshot:
        if broken and now < self._reader_retry_at:  # it broke again right away: back off
            with self._lock:
                self._stream_broken = True
            broken = False
        if broken:  # resync: the stream may have lost events
            api.ping()
            dirty.update(self._inspect)
            self._start_reader()
        items = api.containers(all=True) if relist else None
        if relist:
            self._listed_at = now
        if engine_dirty:
            self._engine = docker_api.engine_from_api(self.endpoint, api.version(), api.info())
        if images_dirty:
            try:
                self._images = docker_api.images_from_api(api.images())
                self._errors.pop("images", None)
            except docker.errors.APIError as exc:
                self._errors["images"] = _describe(exc)
        if items is not None:
            self._base = self._containers_from(api, items, dirty)
        containers = list(self._base or ())

        assert self._engine is not None
        if self._host is None:
            self._host = probe_host(self.config.paths)
        running = [(c.id, c.pid.value) for c in containers if c.state.value == "running" and c.pid.value]
        if not self._access_probed or dirty:
            self._access_probed = bool(running)
            self._host = probe_engine_access(self.config.paths, self._host, self.endpoint,
                                             self._engine, running)
        if self._host.local:
            containers = self._with_metrics(containers)
        disk_files, disk_error = self._disk_files(containers)
        return self._build(tuple(containers), disk_files, disk_error)

    def _containers_from(self, api: Any, items: list[dict[str, Any]], dirty: set[str]) -> list[Container]:
        """Inspect what is new or changed, then build the containers (without metrics)."""
        ids = {it["Id"] for it in items}
        for gone in [c for c in self._inspect if c not in ids]:
            self._forget(gone)
        for it in items:
            cid = it["Id"]
            if cid in dirty or cid not in self._inspect:
                try:
                    self._inspect[cid] = api.inspect_container(cid)
                    self._details[cid] = docker_api.detail_from_inspect(self._inspect[cid])
                    self._errors.pop(f"inspect {cid[:12]}", None)
                except docker.errors.NotFound:
                    continue
                except docker.errors.APIError as exc:
                    self._errors[f"inspect {cid[:12]}"] = _describe(exc)
        out = [docker_api.container_from_list(it, self._inspect.get(it["Id"]), self._details.get(it["Id"]))
               for it in items]
        return sorted(out, key=lambda c: (c.name.value, c.id))

    def _forget(self, cid: str) -> None:
        self._errors.pop(f"inspect {cid[:12]}", None)
        self._inspect.pop(cid, None)
        self._details.pop(cid, None)
        self._prev_cpu.pop(cid, None)
        self._metrics.pop(cid, None)
        self._cgroups.pop(cid, None)

    def _with_metrics(self, containers: list[Container]) -> list[Container]:
        paths = self.config.paths
        now = self._clock()
        due = now - self._last_metrics_at >= self.config.interval * 0.8
        if self._cg_mounts is None:
            self._cg_mounts = cgroup_mounts(read_mountinfo(paths))
            self._mem_total = read_mem_total(paths)
        try:
            sys_ns, online = read_system_cpu(paths)
        except OSError as exc:
            self._errors["metrics"] = f"cannot read /proc/stat: {exc}"
            return containers
        self._errors.pop("metrics", None)
        if due:
            self._last_metrics_at = now
        out = []
        for c in containers:
            pid = c.pid.value
            if c.state.value not in ("running", "paused") or not pid:
                self._prev_cpu.pop(c.id, None)
                self._metrics.pop(c.id, None)
                out.append(c)
                continue
            known = self._metrics.get(c.id)
            if not due and known is not None and known.cpu_percent.value is not None:
                out.append(replace(c, metrics=known))
                continue
            m = self._sample(c, pid, sys_ns, online)
            self._metrics[c.id] = m
            out.append(replace(c, metrics=m))
        return out

    def _sample(self, c: Container, pid: int, sys_ns: int, online: int) -> Metrics:
        paths = self.config.paths
        cached = self._cgroups.get(c.id)
        cg = cached[1] if cached is not None and cached[0] == pid else None
        if cg is None:
            cg = resolve_container_cgroup(paths, self._cg_mounts, pid, c.id)
            if cg is None and self._engine is not None:
                parent = c.detail.cgroup_parent if c.detail else ""
                cg = cgroup_from_driver(paths, self._cg_mounts, self._engine.cgroup_driver.value,
                                        parent, c.id)
            if cg is not None:  # cached per init PID: a restart resolves again
                self._cgroups[c.id] = (pid, cg)
        if cg is None:
            none: Sourced[Any] = Sourced(None)
            return Metrics(none, none, none, none,
                           error=f"no cgroup found for PID {pid} (cat /proc/{pid}/cgroup)")
        s = read_cgroup_sample(paths, cg)
        src = dict(s.sources)
        cpu = None
        if s.cpu_total_ns is not None:
            cur = (s.cpu_total_ns, sys_ns)
            cpu = cpu_percent(self._prev_cpu.get(c.id), cur, online)
            self._prev_cpu[c.id] = cur
        limit = effective_memory_limit(s.mem_limit, self._mem_total) if self._mem_total else s.mem_limit
        cpu_src = (f"{src.get('cpu_total_ns', '')} ; head -1 /proc/stat  (Δcontainer / Δsystem"
                   f" × {online} CPUs × 100, as docker stats)")
        mem_src = (f"{src.get('mem_usage', '')} ; {src.get('mem_inactive_file', '')}"
                   "  (usage − inactive_file, as docker stats)")
        clamped = s.mem_limit is None or bool(self._mem_total and s.mem_limit > self._mem_total)
        lim_src = src.get("mem_limit", "") + ("  (unlimited: host MemTotal, as docker stats)" if clamped else "")
        dirs = dict(cg.dirs)
        return Metrics(
            cpu_percent=Sourced(cpu, cpu_src),
            mem_used=Sourced(memory_used(s), mem_src),
            mem_limit=Sourced(limit, lim_src),
            pids=Sourced(s.pids, src.get("pids", "")),
            pids_limit=Sourced(s.pids_limit, src.get("pids_limit", "")),
            cgroup_dir=dirs.get("memory") or dirs.get("") or next(iter(dirs.values()), ""),
        )

    def _disk_files(self, containers: list[Container]) -> tuple[tuple[tuple[str, Any], ...], str]:
        sel = self.selected
        c = next((c for c in containers if sel and (c.id == sel or c.name.value == sel)), None)
        if c is None or c.detail is None:
            return (), ""
        assert self._host is not None
        cdir = c.detail.container_dir.value
        if not self._host.local:
            return (), f"API-only mode: {cdir} is on the engine's host"
        if not cdir:
            return (), "the engine did not report the container's directory"
        try:
            return ((c.id, list_container_dir(cdir)),), ""
        except PermissionError:
            return (), f"needs root: {cdir} is readable by root only (ls -l {shlex.quote(cdir)})"
        except FileNotFoundError:
            return (), f"{cdir} not found on this host"
        except OSError as exc:
            return (), f"cannot list {cdir}: {exc.strerror or exc}"

    # ------------------------------------------------------------ snapshots

    def _build(self, containers: tuple[Container, ...], disk_files: Any, disk_error: str) -> Snapshot:
        with self._lock:
            events = tuple(self._events)
        self._seq += 1
        assert self._host is not None
        snap = Snapshot(
            seq=self._seq, taken_at=self._clock(), host=self._host, endpoint=self.endpoint,
            engine=self._engine, engine_error=self._engine_error, clients=self._clients,
            containers=containers,
            images=self._images, events=events,
            errors=tuple(SourceError(k, v) for k, v in sorted(self._errors.items())),
            disk_files=disk_files, disk_error=disk_error,
        )
        self.last_snapshot = snap
        return snap

    def _publish_offline(self, retry_in: float) -> Snapshot:
        if self._host is None:
            self._host = probe_host(self.config.paths)
        snap = replace(self._build((), (), ""), retry_in=retry_in,
                       engine_hint=docker_api.how_to_start(self.endpoint))
        self.last_snapshot = snap
        return snap

    def collect_once(self, settle: float = 0.5) -> Snapshot:
        """One complete snapshot without a loop (``internals-tui snapshot``): two metric samples."""
        self._host = probe_host(self.config.paths)
        self._clients = docker_api.client_components()
        if not self._try_connect():
            return self._build((), (), "")
        try:
            self.tick()
            time.sleep(settle)
            self._last_metrics_at = 0.0
            snap = self.tick()
            time.sleep(0.05)  # let the events reader deliver what is already queued
            return replace(snap, events=tuple(self._events))
        finally:
            self._close_client()


async def _in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a new daemon thread and await its result.

    Unlike ``asyncio.to_thread`` (the loop's default executor, which the interpreter joins at
    exit), a call stuck on an unresponsive engine does not keep the process alive after quit.
    """
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not fut.done():
            fut.set_result(value) if ok else fut.set_exception(value)

    def work() -> None:
        try:
            result: Any = fn()
            ok = True
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            result, ok = exc, False
        if not loop.is_closed():
            try:
                loop.call_soon_threadsafe(settle, ok, result)
            except RuntimeError:  # closed in between
                pass

    threading.Thread(target=work, name="hub-tick", daemon=True).start()
    return await fut


def _describe(exc: BaseException) -> str:
    """A short human message for an engine error (no tracebacks in the UI)."""
    text = str(exc)
    for marker in ("Connection refused", "No such file or directory", "Permission denied",
                   "timed out", "Name or service not known"):
        if marker in text:
            return marker if marker != "No such file or directory" else "socket not found"
    return text.splitlines()[0][:200] if text else type(exc).__name__

