"""Capability probe: what this app can see on this machine (DESIGN.md §4, internals.md §0)."""

from __future__ import annotations

import os

from .collect import Context, SourceState, Unavailable
from .docker_api import endpoint_is_local_socket
from .model import EngineInfo, HostInfo, Sourced
from .procfs import HostPaths, detect_cgroup_mode, read_mountinfo, read_proc_cgroup, read_proc_cgroups

CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_ADMIN = 12, 19, 21


def effective_caps(paths: HostPaths) -> int:
    """The ``CapEff`` mask of this process (0 when unreadable)."""
    try:
        with open(f"{paths.proc}/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("CapEff:"):
                    return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def is_root(paths: HostPaths, euid: int | None = None) -> bool:
    """Root in the sense that matters here: euid 0 with CAP_SYS_PTRACE, SYS_ADMIN and NET_ADMIN."""
    uid = os.geteuid() if euid is None else euid
    need = (1 << CAP_NET_ADMIN) | (1 << CAP_SYS_PTRACE) | (1 << CAP_SYS_ADMIN)
    return uid == 0 and effective_caps(paths) & need == need


def probe_host(paths: HostPaths, euid: int | None = None) -> HostInfo:
    """Cgroup layout, privileges and ``/proc/cgroups`` of this machine; no engine needed."""
    uid = os.geteuid() if euid is None else euid
    try:
        mode = detect_cgroup_mode(read_mountinfo(paths))
    except OSError:
        mode = "unknown"
    try:
        table = read_proc_cgroups(paths)
    except OSError:
        table = ()
    controllers = Sourced("")
    cdir = {"v2": "/sys/fs/cgroup", "hybrid": "/sys/fs/cgroup/unified"}.get(mode)
    if cdir:
        try:
            with open(paths.host(f"{cdir}/cgroup.controllers"), encoding="ascii") as fh:
                controllers = Sourced(fh.read().strip(), f"cat {cdir}/cgroup.controllers")
        except OSError:
            pass
    return HostInfo(root=is_root(paths, uid), cgroup_mode=mode, uid=uid, proc_cgroups=table,
                    cgroup_controllers=controllers)


ACCESS_PROBES = 3
"""Running containers looked at before calling the engine API-only: one may have just exited,
or be one whose process the engine lost (Podman keeps saying ``running`` after its conmon died)."""


def _stored_here(paths: HostPaths, engine: EngineInfo, cids: list[str]) -> bool:
    """Whether the engine keeps these containers' directories on this host (Docker's
    ``containers/<id>``, Podman's ``overlay-containers/<id>`` under ``DockerRootDir``): local
    after all, when every PID probed is gone."""
    root = engine.docker_root_dir.value
    if not root:
        return False
    return any(os.path.isdir(paths.in_docker_root(f"{root}/{sub}/{cid}", root))
               for cid in cids for sub in ("containers", "overlay-containers"))


def probe_engine_access(paths: HostPaths, host: HostInfo, endpoint: str, engine: EngineInfo,
                        running: list[tuple[str, int]]) -> HostInfo:
    """Decide local vs API-only and what this user may read, from the running containers.

    The engine is local if ``/proc/<Pid>/cgroup`` of a running container exists here and names
    the container ID: one such container is proof. It is API-only when none of the first
    ``ACCESS_PROBES`` does, unless none of their PIDs exists and their directories are on this
    host (processes the engine lost); with no running container, a local unix socket is local.
    Rootless Docker on cgroup v1 (cgroup driver ``none``) gives containers no cgroup of their
    own, so there the PID existing here is the test: its ``State.Pid`` is a host PID.
    """
    no_cgroups = engine.rootless and engine.cgroup_driver.value == "none"
    local, reason = True, ""
    if engine.operating_system.value == "Docker Desktop":
        local, reason = False, "Docker Desktop runs the engine in a VM"
    elif not endpoint_is_local_socket(endpoint):
        local, reason = False, f"remote endpoint {endpoint}"
    can_ns = host.root
    seen, lost = "", []
    for cid, pid in running[:ACCESS_PROBES] if local else ():
        try:
            lines = read_proc_cgroup(paths, pid)
        except OSError:
            seen = seen or f"/proc/{pid} not found: the engine's PID namespace is not ours"
            lost.append(cid)
            continue
        if not no_cgroups and not any(cid in p for _, _, p in lines):
            seen = seen or f"/proc/{pid}/cgroup does not name container {cid[:12]}"
            continue
        seen = ""
        try:
            os.readlink(f"{paths.proc}/{pid}/ns/net")
            can_ns = True
        except PermissionError:
            can_ns = False
        except OSError:
            pass
        break
    if seen and not (len(lost) == len(running[:ACCESS_PROBES]) and _stored_here(paths, engine, lost)):
        local, reason = False, seen
    return HostInfo(root=host.root, cgroup_mode=host.cgroup_mode, uid=host.uid, local=local,
                    local_reason=reason, can_read_namespaces=can_ns and local, proc_cgroups=host.proc_cgroups,
                    cgroup_controllers=host.cgroup_controllers)


def collect_host(ctx: Context, state: SourceState) -> HostInfo:
    """This machine's cgroup layout and privileges (once; no engine needed)."""
    return probe_host(ctx.paths)


def collect_access(ctx: Context, state: SourceState) -> HostInfo:
    """Local or API-only, and what this user may read: re-probed when the list changes."""
    host = ctx.value("host") or probe_host(ctx.paths)
    if ctx.engine is None:
        raise Unavailable("not connected to an engine")
    running = [(c.id, c.pid.value) for c in ctx.containers if c.state.value == "running" and c.pid.value]
    return probe_engine_access(ctx.paths, host, ctx.endpoint, ctx.engine, running)
