"""The process model: what the Processes pane and the host-wide process view show.

A process is identified by ``(pid, start)`` (``start``: field 22 of ``/proc/PID/stat``, clock
ticks after boot), so a reused PID is a new process. Trees are laid out in the backend: each
view is a tuple of :class:`TreeRow` in display order, with the drawing prefix already made.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import Sourced


@dataclass(frozen=True, slots=True)
class Proc:
    """One process as ``/proc`` shows it from the host."""

    pid: int
    start: int
    ppid: int
    state: str
    comm: str
    cmdline: tuple[str, ...]
    nspid: tuple[int, ...]
    """PIDs in each nested PID namespace, outermost (the host's) first: ``NSpid`` of status."""
    uid: int | None
    user: str
    """The user's name as the process's own root sees it (the container's /etc/passwd)."""
    inner_uid: int | None
    """The uid inside the process's user namespace (differs from ``uid`` under rootless)."""
    cpu: float | None
    """Percent of one CPU since the previous refresh (None on first sight)."""
    rss: int
    started_at: float
    threads: int
    role: str = ""
    """``engine``, ``containerd``, ``shim``, ``conmon``, ``ancestor`` (runtime chain), ``init``,
    ``exec`` (a ``docker exec`` process), ``shared`` (another container's, same PID namespace)
    or ``""`` (a descendant of init)."""
    container: str = ""
    """The container the process belongs to (host-wide view; ``shared`` rows: its owner)."""

    @property
    def key(self) -> str:
        return f"{self.pid}:{self.start}"

    @property
    def cpid(self) -> int:
        """The PID as the innermost PID namespace sees it."""
        return self.nspid[-1] if self.nspid else self.pid

    @property
    def command(self) -> str:
        """The command line, or ``[comm]`` when it has none (zombies, kernel threads)."""
        if self.cmdline:
            return " ".join(self.cmdline)
        return f"[{self.comm}]" + (" <defunct>" if self.state == "Z" else "")


@dataclass(frozen=True, slots=True)
class TreeRow:
    """One row of a drawn tree: the process, the tree prefix before it, and what its edge to
    its parent means (``real parent``, ``logical: …``) when that is worth saying."""

    key: str
    prefix: str
    edge: str = ""
    pid: int = 0
    """The PID shown in this view (host PID, or the PID inside the container)."""
    ppid: int = 0


@dataclass(frozen=True, slots=True)
class RuntimeLine:
    """A fact above the tree: the engine, containerd, the shim, the bundle, init, the distro."""

    label: str
    value: Sourced[str]
    warn: bool = False


@dataclass(frozen=True, slots=True)
class ProcessTree:
    """The selected container's processes and the runtime chain above them."""

    container_id: str
    procs: tuple[Proc, ...]
    host_rows: tuple[TreeRow, ...]
    container_rows: tuple[TreeRow, ...]
    runtime: tuple[RuntimeLine, ...] = ()
    members: Sourced[str] = Sourced("")
    """How the container's processes were found (its cgroup's ``cgroup.procs``, or the shim's
    descendants when it has no cgroup of its own)."""
    notes: tuple[str, ...] = ()
    pid_mode: str = ""

    def proc(self, key: str) -> Proc | None:
        for p in self.procs:
            if p.key == key:
                return p
        return None


@dataclass(frozen=True, slots=True)
class HostProcesses:
    """Every host process as a tree, each with the container it belongs to."""

    procs: tuple[Proc, ...]
    rows: tuple[TreeRow, ...]
    total: int
    kernel_threads: int
    in_containers: int


@dataclass(frozen=True, slots=True)
class ProcRequest:
    """What the on-demand ``proc_detail`` source is asked for: one process, by identity."""

    pid: int
    start: int
    root_pid: int = 0
    """A process whose root holds the /etc/passwd that names the uids (the container's init)."""

    def __str__(self) -> str:
        return f"{self.pid}:{self.start}"


@dataclass(frozen=True, slots=True)
class ProcDetail:
    """A process's ``/proc`` essentials, each line with the file it came from."""

    pid: int
    start: int
    lines: tuple[tuple[str, Sourced[str]], ...]
    gone: bool = False
