"""Reading processes from ``/proc`` cheaply (internals.md §3.3).

``/proc/PID/stat`` is read for every process on every refresh; ``status`` and ``cmdline`` only
for a ``(pid, start)`` not seen before (and ``cmdline`` again when ``comm`` changes: an exec).
A process that vanishes between two reads is simply not there: readers return ``None``.
Parsers take text and never touch the disk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from treelib import Tree

from .model.procs import TreeRow
from .procfs import HostPaths, read_fd

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

CAPS = (
    "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid",
    "setpcap", "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw",
    "ipc_lock", "ipc_owner", "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
    "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time", "sys_tty_config", "mknod",
    "lease", "audit_write", "audit_control", "setfcap", "mac_override", "mac_admin", "syslog",
    "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
)
"""Capability names by bit number (linux/capability.h)."""


@dataclass(frozen=True, slots=True)
class Stat:
    """The fields of ``/proc/PID/stat`` the process views use."""

    pid: int
    comm: str
    state: str
    ppid: int
    ticks: int
    """utime + stime, in clock ticks."""
    threads: int
    start: int
    rss: int
    """Resident set size in bytes."""


def parse_stat(text: str) -> Stat | None:
    """Parse ``/proc/PID/stat``; comm may hold spaces and ``)``, so split after the *last* ``)``."""
    left = text.find("(")
    right = text.rfind(")")
    if left < 0 or right < left:
        return None
    rest = text[right + 2:].split(" ", 22)
    try:
        return Stat(pid=int(text[:left]), comm=text[left + 1:right], state=rest[0], ppid=int(rest[1]),
                    ticks=int(rest[11]) + int(rest[12]), threads=int(rest[17]), start=int(rest[19]),
                    rss=int(rest[21]) * PAGE)
    except (IndexError, ValueError):
        return None


def parse_status(text: str) -> dict[str, str]:
    """``/proc/PID/status`` as ``{field: value}`` (values stripped; tabs inside kept)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key] = value.strip()
    return out


def ints(value: str) -> tuple[int, ...]:
    """Whitespace-separated integers (``NSpid``, ``Uid``); junk gives ``()``."""
    try:
        return tuple(int(v) for v in value.split())
    except ValueError:
        return ()


def cap_names(mask_hex: str) -> tuple[str, ...]:
    """Capability names set in a ``CapEff``-style hex mask (unknown bits as ``cap_<n>``)."""
    try:
        mask = int(mask_hex, 16)
    except ValueError:
        return ()
    return tuple(CAPS[b] if b < len(CAPS) else f"cap_{b}" for b in range(mask.bit_length()) if mask >> b & 1)


def caps_in_words(mask_hex: str) -> str:
    """``all 41 (full set)``, ``none`` or the names, for a capability mask."""
    names = cap_names(mask_hex)
    if not names:
        return "none"
    if len(names) >= len(CAPS) and all(n in names for n in CAPS):
        return f"all {len(names)} (full set)"
    return f"{len(names)}: " + " ".join(names)


def parse_id_map(text: str) -> tuple[tuple[int, int, int], ...]:
    """``/proc/PID/uid_map`` lines ``inside outside count``."""
    out = []
    for line in text.splitlines():
        v = ints(line)
        if len(v) == 3:
            out.append((v[0], v[1], v[2]))
    return tuple(out)


def to_inner(host_id: int, id_map: tuple[tuple[int, int, int], ...]) -> int | None:
    """The id inside a user namespace for a host id (None: not mapped, shown as nobody)."""
    for inside, outside, count in id_map:
        if outside <= host_id < outside + count:
            return inside + host_id - outside
    return None


def _read(path: str, limit: int = 1 << 16, once: bool = False) -> str | None:
    """A small /proc file (raw ``os.read``: half the cost of ``open()`` at 1 500 files a tick);
    ``once``: a single read (``stat`` comes whole in one; ``cmdline`` a page at a time)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except (FileNotFoundError, ProcessLookupError):
        return None
    try:
        return read_fd(fd, limit, once).decode("utf-8", "surrogateescape")
    except ProcessLookupError:  # exited between open and read
        return None
    finally:
        os.close(fd)


def read_stat(paths: HostPaths, pid: int) -> Stat | None:
    """``None`` when the process is gone."""
    text = _read(f"{paths.proc}/{pid}/stat", 4096, once=True)
    return parse_stat(text) if text else None


def read_status(paths: HostPaths, pid: int) -> dict[str, str] | None:
    text = _read(f"{paths.proc}/{pid}/status")
    return parse_status(text) if text else None


def read_cmdline(paths: HostPaths, pid: int) -> tuple[str, ...]:
    """The argument vector (empty for zombies and kernel threads, or when gone)."""
    text = _read(f"{paths.proc}/{pid}/cmdline", 1 << 15)
    if not text:
        return ()
    return tuple(text.rstrip("\0").split("\0"))


def read_text(path: str) -> str | None:
    """A whole small file, ``None`` when it is not there."""
    return _read(path)


def read_all_stats(paths: HostPaths) -> dict[int, Stat]:
    """``/proc/*/stat`` of every process (the host-wide scan: ~13 µs a process here, most of
    it the kernel's; names resolved from an open ``/proc`` and each file read once)."""
    out: dict[int, Stat] = {}
    proc = os.open(paths.proc, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for name in os.listdir(proc):
            if not name.isdigit():
                continue
            try:
                fd = os.open(name + "/stat", os.O_RDONLY | os.O_CLOEXEC, dir_fd=proc)
            except OSError:
                continue  # exited since the listing
            try:
                data = os.read(fd, 4096)
            except OSError:
                continue
            finally:
                os.close(fd)
            st = parse_stat(data.decode("utf-8", "surrogateescape"))
            if st is not None:
                out[st.pid] = st
    finally:
        os.close(proc)
    return out


def boot_time(paths: HostPaths) -> float:
    """``btime`` of ``/proc/stat``: process start ticks count from it."""
    for line in (_read(f"{paths.proc}/stat") or "").splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0


def _norm_sock(path: str) -> str:
    return "/run" + path[8:] if path.startswith("/var/run/") else path


def listening_inodes(unix_table: str, path: str) -> set[int]:
    """Inodes of the listening unix sockets bound to ``path`` in ``/proc/PID/net/unix`` text
    (``/var/run`` and ``/run`` are the same directory)."""
    want = _norm_sock(path)
    out = set()
    for line in unix_table.splitlines()[1:]:
        f = line.split(None, 7)
        if len(f) == 8 and f[3] == "00010000" and _norm_sock(f[7]) == want:
            try:
                out.add(int(f[6]))
            except ValueError:
                continue
    return out


def socket_owner(paths: HostPaths, path: str, candidates: list[int]) -> int | None:
    """The first of ``candidates`` that holds the listening socket bound to ``path``.

    The socket is looked up in each candidate's own network namespace
    (``/proc/PID/net/unix``), then matched against its open descriptors: exact, where
    matching a daemon by its ``--config`` or by name would be a guess. Needs root for
    other users' descriptors; unreadable candidates are skipped.
    """
    for pid in candidates:
        table = _read(f"{paths.proc}/{pid}/net/unix", 1 << 22)
        inodes = listening_inodes(table or "", path)
        if inodes and not inodes.isdisjoint(held_sockets(paths, pid)):
            return pid
    return None


def held_sockets(paths: HostPaths, pid: int) -> Iterator[int]:
    """Inodes of the sockets ``pid`` holds open (``/proc/PID/fd`` links ``socket:[N]``; other
    users' descriptors need root and are skipped)."""
    fd_dir = f"{paths.proc}/{pid}/fd"
    try:
        names = os.listdir(fd_dir)
    except OSError:
        return
    for name in names:
        try:
            link = os.readlink(f"{fd_dir}/{name}")
        except OSError:
            continue
        if link.startswith("socket:["):
            yield int(link[8:-1])


def arg_after(argv: tuple[str, ...], flag: str) -> str:
    """The value of ``flag`` in an argument vector (``-address X`` or ``-address=X``)."""
    for i, a in enumerate(argv):
        if a == flag and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(flag + "="):
            return a[len(flag) + 1:]
    return ""


@dataclass(frozen=True, slots=True)
class Node:
    """A process to place in a tree: its key, its parent's key (``""``: a root), the PID and
    PPID the view shows, and what its edge to the parent means."""

    key: str
    parent: str
    pid: int
    ppid: int
    edge: str = ""


def layout(nodes: list[Node]) -> tuple[TreeRow, ...]:
    """Lay ``nodes`` out as a tree (treelib), children in PID order, with ``├─``/``└─`` prefixes.

    A node whose parent is not among ``nodes`` becomes a root, so a process whose parent has
    just exited (or lies outside the set) never breaks the tree.
    """
    tree = Tree()
    tree.create_node("", _ROOT)
    keys = {n.key for n in nodes}
    by_key = {n.key: n for n in nodes}
    pending = sorted(nodes, key=lambda n: n.pid)
    placed: set[str] = set()
    while pending:
        rest = []
        for n in pending:
            parent = n.parent if n.parent in keys and n.parent != n.key else _ROOT
            if parent == _ROOT or parent in placed:
                tree.create_node(n.key, n.key, parent=parent, data=n)
                placed.add(n.key)
            else:
                rest.append(n)
        if len(rest) == len(pending):  # a cycle (PIDs reused mid-read): the rest become roots
            for n in rest:
                tree.create_node(n.key, n.key, parent=_ROOT, data=n)
            break
        pending = rest
    rows: list[TreeRow] = []

    def walk(nid: str, lead: str) -> None:
        kids = sorted(tree.children(nid), key=lambda k: k.data.pid)
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            n = by_key[kid.identifier]
            rows.append(TreeRow(n.key, lead + ("└─ " if last else "├─ ") if nid != _ROOT else "",
                                n.edge, n.pid, n.ppid))
            walk(kid.identifier, (lead + ("   " if last else "│  ")) if nid != _ROOT else "")

    walk(_ROOT, "")
    return tuple(rows)


_ROOT = "\0root"
MIN_WINDOW_S = 0.2
"""CPU % over a shorter window (a refresh right after an event) would be noise: the last one stands."""


class ProcReader:
    """Reads processes with a per-``(pid, start)`` cache of what does not change (cmdline,
    NSpid, uid), and keeps the previous CPU ticks for CPU %."""

    def __init__(self, paths: HostPaths) -> None:
        self.paths = paths
        self.btime = boot_time(paths)
        self.static: dict[str, tuple[str, tuple[str, ...], tuple[int, ...], int | None]] = {}
        self.prev: dict[str, tuple[int, float, float | None]] = {}

    def read(self, stats: dict[int, Stat], now: float) -> dict[int, tuple[Stat, tuple[str, ...], tuple[int, ...],
                                                                         int | None, float | None]]:
        """For each live stat: ``(stat, cmdline, nspid, uid, cpu %)``; processes that vanish
        while being read are left out."""
        out = {}
        seen = set()
        for pid, st in stats.items():
            key = f"{pid}:{st.start}"
            info = self.static.get(key)
            if info is None or info[0] != st.comm:
                status = read_status(self.paths, pid)
                if status is None:
                    continue
                uid = ints(status.get("Uid", ""))
                info = (st.comm, read_cmdline(self.paths, pid), ints(status.get("NSpid", "")) or (pid,),
                        uid[0] if uid else None)
                self.static[key] = info
            seen.add(key)
            prev = self.prev.get(key)
            if prev is not None and now - prev[1] < MIN_WINDOW_S:
                cpu = prev[2]
            else:
                cpu = None if prev is None else max(0.0, (st.ticks - prev[0]) / CLK_TCK / (now - prev[1]) * 100)
                self.prev[key] = (st.ticks, now, cpu)
            out[pid] = (st, () if st.state == "Z" else info[1], info[2], info[3], cpu)  # a zombie has none
        for table in (self.static, self.prev):
            for key in [k for k in table if k not in seen]:
                del table[key]
        return out

    def started_at(self, st: Stat) -> float:
        return self.btime + st.start / CLK_TCK
