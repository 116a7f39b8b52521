"""The namespace model: what the Namespaces pane and the host namespaces view show."""

from __future__ import annotations

from dataclasses import dataclass

from . import Sourced


def inode(link: str) -> int:
    """``net:[4026532577]`` → 4026532577 (0 for anything else)."""
    inner = link[link.find("[") + 1:link.rfind("]")]
    return int(inner) if inner.isdigit() else 0


@dataclass(frozen=True, slots=True)
class NsRow:
    """One namespace type of the selected container, compared with the host's."""

    kind: str
    """``net``, ``pid``, ``pid_for_children`` …, as ``/proc/PID/ns`` names them."""
    inode: Sourced[str]
    """The container init's namespace: ``net:[4026532577]``."""
    host: str
    """The reference process's namespace of that type ("" when unreadable)."""
    verdict: str
    """``private``, ``host`` or ``shared``."""
    peers: tuple[str, ...] = ()
    """The other containers in the namespace (``shared``)."""
    setting: Sourced[str] = Sourced("")
    """The Docker setting that made it so (``NetworkMode=container:web``)."""
    meaning: str = ""


@dataclass(frozen=True, slots=True)
class NamespaceSet:
    """The selected container's namespaces, and which process stood for the host."""

    container_id: str
    rows: tuple[NsRow, ...]
    reference: Sourced[str]
    """Where the host's namespaces were read: ``PID 1``, or why another process stands in."""
    sandbox_key: Sourced[str] = Sourced("")
    """The net namespace's bind mount (``SandboxKey``: what ``lsns -t net`` shows as NSFS)."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HostNamespace:
    """One namespace in use on the host, as ``lsns`` lists it."""

    kind: str
    inode: int
    nprocs: int
    pid: int
    """The lowest PID in it."""
    command: str
    containers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HostNamespaces:
    """Every namespace in use (``lsns``), and how many processes could not be read."""

    namespaces: tuple[HostNamespace, ...]
    processes: int
    unreadable: int = 0
