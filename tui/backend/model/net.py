"""The network model: what the Network pane shows (internals.md §4)."""

from __future__ import annotations

from dataclasses import dataclass

from . import Sourced


@dataclass(frozen=True, slots=True)
class NetLink:
    """One interface inside the container's network namespace (``ip -d link`` / ``ip addr``), and,
    for a veth, its peer on the host side, paired and confirmed from both ends."""

    index: int
    name: str
    kind: str
    """``veth``, ``macvlan``, ``ipvlan``, ``""`` for loopback …"""
    mac: str
    mtu: int
    state: str
    addresses: tuple[str, ...] = ()
    """``172.17.0.2/16``, ``fe80::42:acff:fe11:2/64``."""
    peer_index: int = 0
    """``IFLA_LINK``: the peer's (or macvlan parent's) index in the other namespace (``eth0@if7``)."""
    host_peer: str = ""
    """The host-side veth (``veth1a2b3c4``), or the macvlan/ipvlan parent."""
    host_index: int = 0
    bridge: str = ""
    """The host veth's master (``docker0``, ``br-<id12>``, ``podman0``)."""
    network: str = ""
    """The Docker network this interface is the endpoint of (matched by MAC address)."""
    confirmed: bool = False
    """Both ends agree: the host veth's ``IFLA_LINK`` is this index and its link-netnsid is this
    namespace's (indexes repeat across namespaces)."""


@dataclass(frozen=True, slots=True)
class NetRoute:
    """One route of the container's main table."""

    dst: str
    """``default`` or ``172.17.0.0/16``."""
    gateway: str
    dev: str


@dataclass(frozen=True, slots=True)
class Listener:
    """A listening socket inside the container's network namespace (``ss -ltnu`` inside)."""

    proto: str
    """``tcp``, ``tcp6``, ``udp``, ``udp6``."""
    address: str
    port: int
    inode: int
    pid: int = 0
    """The container process holding it (0: not found, or not readable without root)."""
    comm: str = ""


@dataclass(frozen=True, slots=True)
class NetView:
    """The selected container's network: mode, namespace, interfaces paired with the host side,
    routes and listening sockets (the Docker networks and ports are in its inspect detail)."""

    container_id: str
    mode: Sourced[str]
    """``HostConfig.NetworkMode``: ``default``, ``bridge``, a network name, ``host``, ``none``,
    ``container:<id>``."""
    netns: Sourced[str]
    """``net:[4026532577]`` of the container's init."""
    sandbox_key: str
    shared_with: tuple[str, ...]
    """Other running containers in the same network namespace."""
    host_side: Sourced[str]
    """Where the host ends of the veths live: ``the host``, or rootlesskit's namespace."""
    uplink: str
    """The host side's default-route interface (``eth0``; rootless: slirp4netns's ``tap0``)."""
    links: tuple[NetLink, ...]
    links_source: str
    routes: tuple[NetRoute, ...]
    listeners: tuple[Listener, ...]
    listeners_source: str
    notes: tuple[str, ...] = ()
    networks: tuple[DockerNetwork, ...] = ()
    """The Docker networks it is attached to, as ``docker network inspect`` describes them."""


@dataclass(frozen=True, slots=True)
class HostLink:
    """One interface of the host side (``ip link``), a veth labelled with its container."""

    index: int
    name: str
    kind: str
    mac: str
    state: str
    master: str = ""
    """The bridge it is enslaved to (``docker0``)."""
    container: str = ""
    """For a veth: the container whose interface is its peer ("" with ``orphan``)."""
    container_if: str = ""
    """That interface's name inside the container (``eth0``), or ``if<index>``."""
    orphan: bool = False
    """A veth whose peer is in no running container's namespace."""
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DockerNetwork:
    """One network of ``docker network ls``, with what ``docker network inspect`` adds."""

    id: str
    name: str
    driver: str
    bridge: str
    subnets: tuple[str, ...]
    gateways: tuple[str, ...]
    containers: tuple[str, ...]
    internal: bool = False


@dataclass(frozen=True, slots=True)
class HostNetwork:
    """The host view: links grouped by bridge, and the engine's networks."""

    links: tuple[HostLink, ...]
    networks: tuple[DockerNetwork, ...]
    uplink: str
    side: str
    """Where the host side is: ``the host``, or rootlesskit's namespace."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkRequest:
    """What the on-demand ``network_inspect`` source is asked for."""

    id: str
    name: str
