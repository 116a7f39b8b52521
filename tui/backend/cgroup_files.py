"""Reading a cgroup directory's files into values that keep their command (``CgValue``), and the
parsers of each file format the Cgroups pane reads (internals.md §1.4): flat-keyed files, PSI,
``io.stat`` / ``io.max``, v1 blkio and throttle files, ``cpu.max``."""

from __future__ import annotations

from collections.abc import Callable

from .cgroup_stats import parse_limit, read_file, stat_key
from .cgroups import CgroupMounts, line_directory
from .model.cg import CgLine, CgValue
from .procfs import HostPaths, read_proc_cgroup


def flat_keyed(data: bytes | None) -> dict[str, int]:
    """``key value`` lines (``cpu.stat``, ``memory.stat``, ``memory.events``, ``oom_control``)."""
    out: dict[str, int] = {}
    for line in (data or b"").decode("ascii", "replace").splitlines():
        key, _, value = line.partition(" ")
        try:
            out[key] = int(value)
        except ValueError:
            continue
    return out


def parse_psi(text: str) -> tuple[tuple[float, float, float], tuple[float, float, float] | None, int]:
    """``some avg10=… avg60=… avg300=… total=…`` and the optional ``full`` line."""
    some: tuple[float, float, float] = (0.0, 0.0, 0.0)
    full = None
    total = 0
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        fields = dict(f.split("=", 1) for f in rest.split() if "=" in f)
        try:
            avgs = (float(fields["avg10"]), float(fields["avg60"]), float(fields["avg300"]))
        except (KeyError, ValueError):
            continue
        if kind == "some":
            some = avgs
            total = int(fields.get("total", "0") or 0)
        elif kind == "full":
            full = avgs
    return some, full, total


def parse_io_stat(text: str) -> dict[str, dict[str, int]]:
    """v2 ``io.stat``: ``MAJ:MIN rbytes=… wbytes=… rios=… wios=…`` per device."""
    out: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        dev, *fields = line.split()
        vals = {}
        for f in fields:
            k, _, v = f.partition("=")
            if v.isdigit():
                vals[k] = int(v)
        out[dev] = vals
    return out


def parse_io_max(text: str) -> dict[str, list[tuple[str, int]]]:
    """v2 ``io.max``: ``MAJ:MIN rbps=N wbps=max …``; ``max`` (no limit) is left out."""
    out: dict[str, list[tuple[str, int]]] = {}
    for line in text.splitlines():
        dev, *fields = line.split()
        lims = [(k, int(v)) for k, _, v in (f.partition("=") for f in fields) if v.isdigit()]
        if lims:
            out[dev] = lims
    return out


def parse_blkio(text: str) -> dict[str, dict[str, int]]:
    """v1 ``blkio.throttle.io_service_bytes``/``_serviced``: ``MAJ:MIN Read N`` lines."""
    out: dict[str, dict[str, int]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2].isdigit():
            out.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return out


def parse_dev_values(text: str) -> dict[str, int]:
    """v1 throttle limit files: ``MAJ:MIN N`` lines."""
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit():
            out[parts[0]] = int(parts[1])
    return out


def cpu_max(raw: str) -> tuple[int | None, int | None]:
    """v2 ``cpu.max``: ``max 100000`` → (None, 100000); ``50000 100000`` → (50000, 100000)."""
    parts = raw.split()
    if len(parts) != 2:
        return None, None
    quota = int(parts[0]) if parts[0].isdigit() else None
    return quota, int(parts[1]) if parts[1].isdigit() else None


class CgDir:
    """Reads files of one cgroup directory, keeping the host path for the commands shown."""

    def __init__(self, paths: HostPaths, directory: str | None) -> None:
        self.paths = paths
        self.dir = directory

    def raw(self, name: str) -> bytes | None:
        if self.dir is None:
            return None
        try:
            return read_file(self.paths.host(f"{self.dir}/{name}"))
        except OSError:  # EOPNOTSUPP (PSI off), EACCES: the file is there but says nothing
            return None

    def value(self, name: str, parse: Callable[[bytes], int | None] | None = None, cmd: str = "cat") -> CgValue:
        data = self.raw(name)
        if data is None:
            return CgValue()
        text = data.decode("ascii", "replace").strip()
        return CgValue((parse or parse_limit)(data), text, self.cmd(name, cmd))

    def cmd(self, name: str, cmd: str = "cat") -> str:
        return f"{cmd} {self.dir}/{name}" if self.dir else ""


def no_limit_if_negative(data: bytes) -> int | None:
    """v1 ``cpu.cfs_quota_us``: ``-1`` is no limit."""
    v = parse_limit(data)
    return None if v is None or v < 0 else v


def text_only(data: bytes) -> int | None:
    """For files shown as text (``cpuset.cpus``, ``io.weight``): no number."""
    return None


def keyed(d: CgDir, name: str, key: str, scale: int = 1) -> CgValue:
    """One key of a flat-keyed file (``nr_throttled`` of ``cpu.stat``), divided by ``scale``."""
    data = d.raw(name)
    v = stat_key(data, key.encode())
    if v is None:
        return CgValue()
    return CgValue(v // scale, str(v), f"grep -w {key} {d.dir}/{name}")


def proc_lines(paths: HostPaths, mounts: CgroupMounts, pid: int) -> tuple[CgLine, ...]:
    """``/proc/PID/cgroup`` as written, each line with the host directory it names."""
    try:
        lines = read_proc_cgroup(paths, pid)
    except OSError:
        return ()
    return tuple(CgLine(f"{hid}:{','.join(ctrls)}:{path}", line_directory(mounts, hid, ctrls, path))
                 for hid, ctrls, path in lines)
