"""Readers for the host's ``/proc`` files that the cgroup and metrics code needs.

Everything here is a plain function over a :class:`HostPaths`, so a recorded fixture tree can
stand in for the live ``/proc`` and ``/sys``. Parsers take text and never touch the disk; the
``read_*`` functions only add the file access. Nothing here imports the UI.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from tui.backend.model import CgroupTableRow

CLK_TCK = 100
"""Clock ticks per second docker assumes for ``/proc/stat`` (moby ``daemon/stats_unix.go``)."""

_NS_PER_TICK = 1_000_000_000 // CLK_TCK


@dataclass(frozen=True)
class HostPaths:
    """Where the host's procfs, sysfs and the engine's data root are: the live host by default,
    or a fixture tree.

    Paths found in host data (mountinfo mount points, cgroup dirs, inspect's ``HostnamePath``)
    are always absolute host paths such as ``/sys/fs/cgroup/memory/docker/<id>``; :meth:`host`
    turns one into the path to open. ``docker`` (empty: the real one) stands for the engine's
    ``DockerRootDir``, whatever directory ``docker info`` names; :meth:`in_docker_root` maps a
    path under it.
    """

    proc: str = "/proc"
    sys: str = "/sys"
    docker: str = ""

    def in_docker_root(self, path: str, docker_root_dir: str) -> str:
        """Map a path under the engine's ``DockerRootDir`` onto the injected data root."""
        root = docker_root_dir.rstrip("/")
        if self.docker and root and (path == root or path.startswith(root + "/")):
            return self.docker + path[len(root):]
        return path

    def host(self, path: str) -> str:
        """Map an absolute host path onto the injected roots (``/sys/...`` and ``/proc/...``)."""
        if path.startswith("/sys"):
            rest = path[4:]
            if not rest or rest[0] == "/":
                return self.sys + rest
        elif path.startswith("/proc"):
            rest = path[5:]
            if not rest or rest[0] == "/":
                return self.proc + rest
        return path


@dataclass(frozen=True)
class MountEntry:
    """One line of ``/proc/PID/mountinfo`` (see proc(5))."""

    mount_id: int
    parent_id: int
    major_minor: str
    root: str
    mountpoint: str
    options: str
    fstype: str
    source: str
    super_options: str
    optional: tuple[str, ...] = ()


_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """Undo the kernel's octal escaping of space, tab, newline and backslash in mountinfo."""
    if "\\" not in field:
        return field
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mountinfo(text: str) -> list[MountEntry]:
    """Parse mountinfo text; malformed lines are skipped rather than failing the whole table."""
    entries: list[MountEntry] = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        head = left.split(" ")
        tail = right.split(" ", 2)
        if len(head) < 6 or not tail[0]:
            continue
        try:
            mount_id = int(head[0])
            parent_id = int(head[1])
        except ValueError:
            continue
        entries.append(MountEntry(
            mount_id=mount_id,
            parent_id=parent_id,
            major_minor=head[2],
            root=_unescape(head[3]),
            mountpoint=_unescape(head[4]),
            options=head[5],
            fstype=tail[0],
            source=_unescape(tail[1]) if len(tail) > 1 else "",
            super_options=tail[2] if len(tail) > 2 else "",
            optional=tuple(f for f in head[6:] if f),
        ))
    return entries


def read_fd(fd: int, limit: int, once: bool = False) -> bytes:
    """Up to ``limit`` bytes from an open descriptor (``once``: a single read, for files the
    kernel hands over whole, like ``/proc/PID/stat``)."""
    chunks, left = [], limit
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
        if once:
            break
    return b"".join(chunks)


def _read_text(path: str) -> str:
    with open(path, "rb") as fh:
        return fh.read().decode("utf-8", "surrogateescape")


def read_mountinfo(paths: HostPaths, pid: int | str = "self") -> list[MountEntry]:
    """Read and parse ``/proc/<pid>/mountinfo`` (default: this process's mount namespace)."""
    return parse_mountinfo(_read_text(f"{paths.proc}/{pid}/mountinfo"))


def parse_proc_cgroup(text: str) -> list[tuple[int, tuple[str, ...], str]]:
    """Parse ``/proc/PID/cgroup`` into ``(hierarchy id, controllers, path)``.

    Controllers are split on commas and kept verbatim (``name=systemd`` stays as is); the cgroup
    v2 line ``0::/path`` yields ``()``. The path may itself contain colons, so only the first two
    separate fields.
    """
    out: list[tuple[int, tuple[str, ...], str]] = []
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        try:
            hid = int(parts[0])
        except ValueError:
            continue
        controllers = tuple(c for c in parts[1].split(",") if c)
        out.append((hid, controllers, parts[2]))
    return out


def read_proc_cgroup(paths: HostPaths, pid: int | str) -> list[tuple[int, tuple[str, ...], str]]:
    """Read ``/proc/<pid>/cgroup``; paths are relative to *our* cgroup namespace."""
    return parse_proc_cgroup(_read_text(f"{paths.proc}/{pid}/cgroup"))


def parse_system_cpu(text: str) -> tuple[int, int]:
    """``(system_ns, online_cpus)`` from ``/proc/stat`` text, computed the way dockerd does.

    ``system_ns`` is the sum of the first 7 numbers of the ``cpu`` line (user nice system idle
    iowait irq softirq; steal and guest excluded) times 1e9/CLK_TCK, with CLK_TCK fixed at 100
    as in moby. ``online_cpus`` counts the ``cpuN`` lines.
    """
    system_ns = 0
    online = 0
    for line in text.splitlines():
        if not line.startswith("cpu"):
            if online:
                break
            continue
        name, _, rest = line.partition(" ")
        if name == "cpu":
            fields = rest.split()
            if len(fields) < 7:
                raise ValueError("invalid number of cpu fields in /proc/stat")
            system_ns = sum(int(f) for f in fields[:7]) * _NS_PER_TICK
        elif len(name) > 3:
            online += 1
    return system_ns, online


def read_system_cpu(paths: HostPaths) -> tuple[int, int]:
    """Read ``/proc/stat`` and return ``(system_ns, online_cpus)`` (see :func:`parse_system_cpu`)."""
    return parse_system_cpu(_read_text(f"{paths.proc}/stat"))


def parse_mem_total(text: str) -> int:
    """``MemTotal`` from ``/proc/meminfo`` text, in bytes (the file says kB, meaning KiB)."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            fields = line.split()
            value = int(fields[1])
            return value * 1024 if len(fields) > 2 and fields[2] == "kB" else value
    raise ValueError("no MemTotal in /proc/meminfo")


def read_mem_total(paths: HostPaths) -> int:
    """Host RAM in bytes, as docker uses it to clamp unlimited memory limits."""
    return parse_mem_total(_read_text(f"{paths.proc}/meminfo"))


def parse_proc_cgroups(text: str) -> tuple[CgroupTableRow, ...]:
    """Rows of ``/proc/cgroups`` (``subsys_name hierarchy num_cgroups enabled``); header skipped."""
    rows: list[CgroupTableRow] = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) < 4:
            continue
        try:
            rows.append(CgroupTableRow(
                subsys=fields[0], hierarchy=int(fields[1]),
                num_cgroups=int(fields[2]), enabled=fields[3] != "0",
            ))
        except ValueError:
            continue
    return tuple(rows)


def read_proc_cgroups(paths: HostPaths) -> tuple[CgroupTableRow, ...]:
    """Read ``/proc/cgroups``: informational only, deprecated on cgroup v2 (hierarchy 0 there)."""
    return parse_proc_cgroups(_read_text(f"{paths.proc}/cgroups"))


CGROUP_ROOT = "/sys/fs/cgroup"


def detect_cgroup_mode(mounts: list[MountEntry]) -> str:
    """``"v2"``, ``"hybrid"``, ``"v1"`` or ``"unknown"`` from the mount table.

    Unified when a cgroup2 mount sits at ``/sys/fs/cgroup``; hybrid when cgroup2 sits at
    ``/sys/fs/cgroup/unified`` next to v1 mounts; legacy v1 when there are v1 mounts without
    that. This is runc's statfs test, done on mountinfo because Python has no ``statfs``.
    """
    v2_points = {m.mountpoint for m in mounts if m.fstype == "cgroup2"}
    if CGROUP_ROOT in v2_points:
        return "v2"
    has_v1 = any(m.fstype == "cgroup" for m in mounts)
    if has_v1:
        return "hybrid" if CGROUP_ROOT + "/unified" in v2_points else "v1"
    return "unknown"


def parse_nspid(text: str) -> tuple[int, ...]:
    """The ``NSpid`` values of ``/proc/PID/status`` text, outermost namespace first."""
    for line in text.splitlines():
        if line.startswith("NSpid:"):
            return tuple(int(v) for v in line[6:].split())
    return ()


def read_nspid(paths: HostPaths, pid: int | str) -> tuple[int, ...]:
    """PIDs of ``pid`` in each nested PID namespace; the last one is the in-container PID.

    Empty when the kernel is older than 4.1 (no ``NSpid`` line).
    """
    return parse_nspid(_read_text(f"{paths.proc}/{pid}/status"))
