"""Find a container's cgroup directory and sample it the way ``docker stats`` does.

Resolution follows internals.md §1.3: read ``/proc/<pid>/cgroup``, map each hierarchy onto its
mount from mountinfo, then walk up to the container-level directory (``<cid>``,
``docker-<cid>.scope`` or ``libpod-<cid>.scope``). :func:`cgroup_from_driver` is the §1.1
fallback computed from the cgroup driver and parent.

Directories held in :class:`ContainerCgroup` are real host paths (``/sys/fs/cgroup/...``); they
are mapped through :meth:`HostPaths.host` only to open files, so the shell commands shown to the
user are always the ones that work on the host, even when a fixture tree is being read.

Reading the directories found here: ``cgroup_stats.py`` (the list's ``docker stats`` figures)
and ``cgroup_detail.py`` (the Cgroups pane).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from tui.backend.procfs import CGROUP_ROOT, HostPaths, MountEntry, detect_cgroup_mode, read_proc_cgroup

V = TypeVar("V")

_GONE_ERRNOS = frozenset({errno.ENOENT, errno.ENODEV, errno.ESRCH})
_V1_FLAG_OPTIONS = frozenset({
    "rw", "ro", "clone_children", "xattr", "noprefix", "cpuset_v2_mode", "favordynmods", "seclabel",
})
"""Super options of a v1 cgroup mount that are flags, not controllers (``seclabel`` is SELinux's)."""


class FrozenMap(Mapping[str, V]):
    """A read-only, hashable mapping, so frozen dataclasses holding one stay hashable."""

    __slots__ = ("_data", "_hash")

    def __init__(self, items: Mapping[str, V] | Iterable[tuple[str, V]] = ()) -> None:
        self._data: dict[str, V] = dict(items)
        self._hash: int | None = None

    def __getitem__(self, key: str) -> V:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


@dataclass(frozen=True)
class CgroupMounts:
    """Where each cgroup hierarchy is mounted, as ``(root, mountpoint)`` pairs.

    ``v1`` maps every v1 controller (``cpu``, ``memory``, ``name=systemd``, …) to its mount;
    co-mounted controllers share one pair. ``mode`` is :func:`detect_cgroup_mode`'s answer.
    """

    v2: tuple[str, str] | None
    v1: FrozenMap[tuple[str, str]]
    mode: str


def _preferred(mountpoint: str) -> bool:
    return mountpoint == CGROUP_ROOT or mountpoint.startswith(CGROUP_ROOT + "/")


def _is_controller(opt: str) -> bool:
    """Whether a v1 super option names a hierarchy: a controller or ``name=...``."""
    if not opt or opt in _V1_FLAG_OPTIONS:
        return False
    return "=" not in opt or opt.startswith("name=")


def cgroup_mounts(mounts: list[MountEntry]) -> CgroupMounts:
    """Collect cgroup mounts from a mount table.

    Every controller of a v1 mount is a key, ``name=systemd`` included; flags such as ``rw``,
    ``xattr``, ``noprefix`` or ``release_agent=...`` are not. When a hierarchy is mounted more
    than once, the mount under ``/sys/fs/cgroup`` wins, then the first one listed.
    """
    v2: tuple[str, str] | None = None
    v1: dict[str, tuple[str, str]] = {}
    for m in mounts:
        pair = (m.root, m.mountpoint)
        if m.fstype == "cgroup2":
            if v2 is None or (_preferred(m.mountpoint) and not _preferred(v2[1])):
                v2 = pair
        elif m.fstype == "cgroup":
            for opt in m.super_options.split(","):
                if not _is_controller(opt):
                    continue
                old = v1.get(opt)
                if old is None or (_preferred(m.mountpoint) and not _preferred(old[1])):
                    v1[opt] = pair
    return CgroupMounts(v2=v2, v1=FrozenMap(v1), mode=detect_cgroup_mode(mounts))


@dataclass(frozen=True)
class ContainerCgroup:
    """A container's cgroup directories on the host.

    ``version`` 1: ``dirs`` has one absolute host directory per v1 controller, plus the hybrid
    unified directory under ``""`` when there is one (it has ``cgroup.procs`` and PSI files but no
    memory or pids data). ``version`` 2: a single directory under ``""``. ``source`` says how the
    directories were found, as a command the user can run.
    """

    version: int
    dirs: FrozenMap[str]
    source: str

    @property
    def primary(self) -> str:
        """The directory that identifies the container: v1 memory, else the unified one."""
        if self.version == 1:
            return self.dirs.get("memory") or next(iter(self.dirs.values()))
        return self.dirs[""]


def container_names(cid: str) -> frozenset[str]:
    """Docker cgroupfs ``<cid>``, systemd ``docker-<cid>.scope``; Podman ``libpod-<cid>.scope``
    (systemd) and ``libpod-<cid>`` (cgroupfs, under ``libpod_parent``)."""
    return frozenset((cid, f"docker-{cid}.scope", f"libpod-{cid}.scope", f"libpod-{cid}"))


def _container_level(path: str, names: frozenset[str]) -> str | None:
    """The nearest ancestor-or-self of a cgroup path whose basename names the container."""
    while path and path != "/":
        head, _, base = path.rpartition("/")
        if base in names:
            return path
        path = head
    return None


def _join(mount: tuple[str, str], path: str) -> str | None:
    """Host directory for cgroup ``path`` on a mount ``(root, mountpoint)``, or None if not visible."""
    root, mountpoint = mount
    if root != "/":
        if path != root and not path.startswith(root + "/"):
            return None
        path = path[len(root):]
    mountpoint = mountpoint.rstrip("/")
    return mountpoint + path if path not in ("", "/") else mountpoint or "/"


def _isdir(paths: HostPaths, host_dir: str) -> bool:
    return os.path.isdir(paths.host(host_dir))


def _use_v1(mounts: CgroupMounts) -> bool:
    return "memory" in mounts.v1 and "cpuacct" in mounts.v1


def resolve_container_cgroup(
    paths: HostPaths, mounts: CgroupMounts, pid: int, cid: str
) -> ContainerCgroup | None:
    """Container-level cgroup of ``cid`` from the cgroup of its process ``pid`` (§1.3).

    Returns None when the process is gone, lies outside our cgroup namespace (``/..`` paths),
    is not under a directory named after ``cid``, or that directory does not exist. With v1
    ``memory`` and ``cpuacct`` mounted (v1 or hybrid) the result is version 1, because the
    hybrid unified tree has no memory or pids controllers; otherwise version 2.
    """
    try:
        lines = read_proc_cgroup(paths, pid)
    except OSError as exc:
        if exc.errno in _GONE_ERRNOS:
            return None
        raise
    names = container_names(cid)
    source = f"cat /proc/{pid}/cgroup"

    unified: str | None = None
    for hid, controllers, path in lines:
        if hid == 0 and not controllers and mounts.v2 is not None:
            unified = _resolve_one(mounts.v2, path, names)
            break

    if _use_v1(mounts):
        dirs: dict[str, str] = {}
        for _hid, controllers, path in lines:
            for ctrl in controllers:
                mount = mounts.v1.get(ctrl)
                if mount is None:
                    continue
                found = _resolve_one(mount, path, names)
                if found is not None:
                    dirs[ctrl] = found
        if "memory" in dirs and _isdir(paths, dirs["memory"]):
            if unified is not None and _isdir(paths, unified):
                dirs[""] = unified
            return ContainerCgroup(version=1, dirs=FrozenMap(dirs), source=source)
        return None

    if unified is not None and _isdir(paths, unified):
        return ContainerCgroup(version=2, dirs=FrozenMap({"": unified}), source=source)
    return None


def locate_container_cgroup(paths: HostPaths, mounts: CgroupMounts, pid: int, cid: str,
                            driver: str, cgroup_parent: str) -> ContainerCgroup | None:
    """The container's cgroup from its process's ``/proc/PID/cgroup``, else computed from the
    engine's cgroup driver and the container's CgroupParent; None when it has none."""
    cg = resolve_container_cgroup(paths, mounts, pid, cid)
    if cg is None and driver:
        cg = cgroup_from_driver(paths, mounts, driver, cgroup_parent, cid)
    return cg


def _resolve_one(mount: tuple[str, str], path: str, names: frozenset[str]) -> str | None:
    if path.startswith("/.."):
        return None
    level = _container_level(path, names)
    if level is None:
        return None
    return _join(mount, level)


def expand_slice(slice_name: str) -> str | None:
    """runc's ``ExpandSlice``: ``foo-bar.slice`` → ``/foo.slice/foo-bar.slice``; None if invalid."""
    suffix = ".slice"
    if len(slice_name) < len(suffix) or not slice_name.endswith(suffix) or "/" in slice_name:
        return None
    stem = slice_name[: -len(suffix)]
    if stem == "-":
        return "/"
    path = ""
    prefix = ""
    for component in stem.split("-"):
        if not component:
            return None
        path += "/" + prefix + component + suffix
        prefix += component + "-"
    return path


def cgroup_from_driver(
    paths: HostPaths, mounts: CgroupMounts, driver: str, cgroup_parent: str, cid: str
) -> ContainerCgroup | None:
    """Compute the container's cgroup from ``docker info`` CgroupDriver and its CgroupParent (§1.1).

    cgroupfs puts it at ``<parent or /docker>/<cid>``; systemd at the expanded slice (default
    ``system.slice``) plus ``docker-<cid>.scope``. Returned only when the directory exists.
    """
    if driver == "cgroupfs":
        parent = (cgroup_parent or "/docker").strip("/")
        path = f"/{parent}/{cid}" if parent else f"/{cid}"
    elif driver == "systemd":
        slice_path = expand_slice(cgroup_parent or "system.slice")
        if slice_path is None:
            return None
        path = slice_path.rstrip("/") + f"/docker-{cid}.scope"
    else:
        return None
    how = (f"docker info -f '{{{{.CgroupDriver}}}}' ({driver}); "
           f"docker inspect -f '{{{{.HostConfig.CgroupParent}}}}' {cid}")

    unified = _join(mounts.v2, path) if mounts.v2 is not None else None
    if _use_v1(mounts):
        dirs: dict[str, str] = {}
        for ctrl, mount in mounts.v1.items():
            found = _join(mount, path)
            if found is not None:
                dirs[ctrl] = found
        if "memory" not in dirs or not _isdir(paths, dirs["memory"]):
            return None
        if unified is not None and _isdir(paths, unified):
            dirs[""] = unified
        return ContainerCgroup(version=1, dirs=FrozenMap(dirs), source=how)
    if unified is not None and _isdir(paths, unified):
        return ContainerCgroup(version=2, dirs=FrozenMap({"": unified}), source=how)
    return None


def line_directory(mounts: CgroupMounts, hid: int, controllers: tuple[str, ...], path: str) -> str:
    """The host directory one ``/proc/PID/cgroup`` line names ("" when its hierarchy is not
    mounted here or the path lies outside our cgroup namespace)."""
    if path.startswith("/.."):
        return ""
    mount = mounts.v2 if hid == 0 and not controllers else next(
        (mounts.v1[c] for c in controllers if c in mounts.v1), None)
    if mount is None:
        return ""
    return _join(mount, path) or ""


def no_cgroup_reason(driver: str, pid: int) -> str:
    """Why a running container's PID has no cgroup to read: said by the list and the Cgroups tab."""
    if driver == "none":
        return (f"no cgroup of its own: rootless Docker on cgroup v1 (Cgroup Driver none) leaves PID {pid} in the "
                "cgroup of whoever started dockerd, so no limit is enforced (cgroup v1 cannot be delegated to an "
                "unprivileged user; rootless limits need cgroup v2 with systemd), and docker stats shows that "
                f"shared cgroup's numbers (cat /proc/{pid}/cgroup)")
    return f"no cgroup found for PID {pid}: cat /proc/{pid}/cgroup names no directory after the container here"
