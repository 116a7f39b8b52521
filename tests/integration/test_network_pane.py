"""The Network pane's source on the real engines: each container interface paired with its host
veth and bridge, checked against the kernel's own view (the host veth's ``ifindex`` and
``iflink`` in /sys, which are the host's namespace); several containers on one bridge, two
networks on one container, host / none / container:X modes, published ports, a listening socket
with its process."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import docker

from tui.backend.model.net import HostNetwork, NetView, NetworkRequest
from tui.backend.network import hex_address, parse_sockets

from conftest import Engine
from integration.test_hub import Recorder, hub_for


async def watch_net(engine: Engine, cid: str, pred: Any = lambda v: True, timeout: float = 15.0) -> NetView:
    hub = hub_for(engine, 0.5)
    hub.want(["network"])
    hub.select(cid)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("network")) is not None and r.key == cid
                                  and isinstance(r.value, NetView) and pred(r.value), timeout=timeout)
    return snap.result("network").value


def sys_net(name: str, attr: str) -> str:
    with open(f"/sys/class/net/{name}/{attr}", encoding="ascii") as fh:
        return fh.read().strip()


def check_pairing(v: NetView) -> None:
    """Every veth is confirmed, and the kernel agrees from the host side (the host's sysfs)."""
    veths = [lk for lk in v.links if lk.kind == "veth"]
    assert veths and all(lk.confirmed for lk in veths)
    for lk in veths:
        assert int(sys_net(lk.host_peer, "ifindex")) == lk.peer_index == lk.host_index
        assert int(sys_net(lk.host_peer, "iflink")) == lk.index
        assert os.path.realpath(f"/sys/class/net/{lk.host_peer}/master").endswith("/" + lk.bridge)


async def test_default_bridge_and_several_containers(engine, make_container) -> None:
    engine.skip_unless("docker", why="the host side of rootless Docker is rootlesskit's namespace (test below)")
    made = [make_container() for _ in range(3)]
    seen = set()
    for c in made:
        v = await watch_net(engine, c.id, lambda v: any(lk.kind == "veth" for lk in v.links))
        check_pairing(v)
        eth0 = next(lk for lk in v.links if lk.name == "eth0")
        c.reload()
        assert eth0.bridge == "docker0" and eth0.network == "bridge"
        assert eth0.addresses == (f"{c.attrs['NetworkSettings']['IPAddress']}/16",)
        assert eth0.mac == c.attrs["NetworkSettings"]["MacAddress"]
        assert v.netns.value == os.readlink(f"/proc/{c.attrs['State']['Pid']}/ns/net")
        assert any(r.dst == "default" and r.dev == "eth0" for r in v.routes) and v.uplink
        seen.add(eth0.host_peer)
    assert len(seen) == 3  # one host veth each, never another container's


async def test_two_networks_on_one_container(engine, make_container, docker_client) -> None:
    engine.skip_unless("docker", why="bridge names are Docker's (br-<id12>)")
    net = docker_client.networks.create(f"itui-net-{os.getpid()}", labels={"internals-tui.test": "1"})
    c = None
    try:
        c = make_container(network=net.name)
        net_bridge = docker_client.networks.get("bridge")
        net_bridge.connect(c)
        v = await watch_net(engine, c.id, lambda v: sum(lk.kind == "veth" for lk in v.links) == 2)
        check_pairing(v)
        by_net = {lk.network: lk for lk in v.links if lk.kind == "veth"}
        assert by_net[net.name].bridge == f"br-{net.id[:12]}" and by_net["bridge"].bridge == "docker0"
        described = {n.name: n for n in v.networks}
        assert described[net.name].driver == "bridge" and described[net.name].subnets
        assert c.name in described[net.name].containers
        net_bridge.disconnect(c)
    finally:
        if c is not None:
            c.remove(force=True)
        net.remove()


async def test_host_none_and_container_modes(engine, make_container) -> None:
    engine.skip_unless("docker", "podman", why="rootless --network host is rootlesskit's namespace")
    host = await watch_net(engine, make_container(network_mode="host").id)
    assert host.netns.value == os.readlink("/proc/self/ns/net") and any("--network host" in n for n in host.notes)
    none = await watch_net(engine, make_container(network_mode="none").id)
    assert [lk.name for lk in none.links] == ["lo"] and any("loopback only" in n for n in none.notes)
    a = make_container()
    b = make_container(network_mode=f"container:{a.id}")
    vb = await watch_net(engine, b.id, lambda v: a.name in v.shared_with)
    assert any("other container's interfaces" in n for n in vb.notes)
    assert {lk.index for lk in vb.links} == {lk.index for lk in (await watch_net(engine, a.id)).links}


async def test_ports_and_a_listening_socket(engine, make_container) -> None:
    c = make_container(command=["sh", "-c", "nc -l -p 8080 & exec sleep 100000"], ports={"80/tcp": None})
    v = await watch_net(engine, c.id, lambda v: any(s.port == 8080 for s in v.listeners))
    sock = next(s for s in v.listeners if s.port == 8080)
    assert sock.proto.startswith("tcp") and sock.address in ("0.0.0.0", "::")
    if engine.name != "rootless":  # rootless: the fds are readable, but the owner may be another user's
        assert sock.comm == "nc" and sock.pid > 0
    c.reload()
    assert c.attrs["NetworkSettings"]["Ports"]["80/tcp"]


async def test_rootless_host_side_is_rootlesskit(engine, make_container) -> None:
    engine.skip_unless("rootless", why="only rootless Docker keeps its bridge inside rootlesskit's namespace")
    c = make_container()
    v = await watch_net(engine, c.id, lambda v: any(lk.kind == "veth" for lk in v.links))
    eth0 = next(lk for lk in v.links if lk.kind == "veth")
    assert "rootlesskit" in v.host_side.value and eth0.confirmed and eth0.bridge == "docker0"
    assert v.uplink == "tap0"  # slirp4netns


async def test_podman_bridge(engine, make_container) -> None:
    engine.skip_unless("podman", why="netavark's bridge")
    c = make_container()
    v = await watch_net(engine, c.id, lambda v: any(lk.kind == "veth" for lk in v.links))
    check_pairing(v)
    assert next(lk for lk in v.links if lk.kind == "veth").bridge == "podman0"


def test_proc_net_parsing() -> None:
    assert hex_address("0B00007F:0035", False) == ("127.0.0.11", 53)
    assert hex_address("0000000000000000FFFF00000100007F:1F90", True) == ("::ffff:127.0.0.1", 8080)
    text = ("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
            "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1\n"
            "   1: 0100007F:1F91 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4243 1\n")
    assert parse_sockets(text, "tcp") == [("0.0.0.0", 8080, 4242)]


async def test_host_view_labels_each_veth_with_its_container(engine, make_container) -> None:
    engine.skip_unless("docker", "rootless", why="Podman's compat API names networks differently (test below)")
    a, b = make_container(), make_container()
    hub = hub_for(engine, 0.5)
    hub.want(["host_network"])
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("host_network")) is not None and isinstance(
            r.value, HostNetwork) and {a.name, b.name} <= {lk.container for lk in r.value.links})
        v = snap.result("host_network").value
        bridge = next(n for n in v.networks if n.name == "bridge")
        inspected = (await hub.request("network_inspect", NetworkRequest(bridge.id, bridge.name))).value
    assert json.loads(inspected.text)["Name"] == "bridge" and inspected.path == "docker network inspect bridge"
    for c in (a, b):
        lk = next(x for x in v.links if x.container == c.name)
        assert lk.kind == "veth" and lk.master == "docker0" and lk.container_if == "eth0" and not lk.orphan
        if engine.name == "docker":
            assert int(sys_net(lk.name, "iflink")) == int(sys_net_inside(c, "eth0", "ifindex"))
    assert bridge.bridge == "docker0" and {a.name, b.name} <= set(bridge.containers) and bridge.subnets
    if engine.name == "rootless":
        assert "rootlesskit" in v.side and v.uplink == "tap0"
    else:
        assert v.side == "the host"


def sys_net_inside(c: Any, name: str, attr: str) -> str:
    c.reload()
    with open(f"/proc/{c.attrs['State']['Pid']}/root/sys/class/net/{name}/{attr}", encoding="ascii") as fh:
        return fh.read().strip()


async def test_a_connect_shows_up_from_netlink(engine, make_container, docker_client) -> None:
    """``docker network connect`` adds the container's second interface: the link event brings it
    before the source's next periodic run (5 s)."""
    engine.skip_unless("docker", why="link events are read in the host's namespace")
    net = docker_client.networks.create(f"itui-live-{os.getpid()}", labels={"internals-tui.test": "1"})
    c = make_container()
    try:
        hub = hub_for(engine, 1.0)
        hub.want(["network"])
        hub.select(c.id)
        async with Recorder(hub) as rec:
            await rec.wait_for(lambda s: (r := s.result("network")) is not None and r.key == c.id and r.value)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            await asyncio.to_thread(net.connect, c)
            snap = await rec.wait_for(lambda s: sum(lk.kind == "veth" for lk in s.result("network").value.links) == 2,
                                      timeout=4)
            assert loop.time() - t0 < 4  # well before the next 5 s run
        check_pairing(snap.result("network").value)
    finally:
        c.remove(force=True)
        net.remove()


def test_no_fd_growth_over_many_refreshes(engine, make_container) -> None:
    """Every socket and namespace fd opened by a refresh is closed (1 000 refreshes)."""
    engine.skip_unless("docker", why="one engine is enough")
    from tui.backend.collect import Context, SourceState
    from tui.backend.model import Container, Sourced
    from tui.backend.network import collect_network
    from tui.backend.procfs import HostPaths
    c = make_container()
    sel = Container(id=c.id, name=Sourced(c.name), image=Sourced(""), image_fq="", state=Sourced("running"),
                    status="", created=0, pid=Sourced(int(c.attrs["State"]["Pid"])))
    ctx = Context(paths=HostPaths(), interval=1.0, endpoint="", containers=(sel,), selected=sel)
    state = SourceState()
    collect_network(ctx, state)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(1000):
        collect_network(ctx, state)
    assert len(os.listdir("/proc/self/fd")) <= before


async def test_macvlan_has_a_parent_not_a_veth(engine, make_container, docker_client) -> None:
    """A macvlan interface's IFLA_LINK is its parent on the host (no bridge, no peer). A subnet
    no host address is in (TEST-NET-2), removed at the end."""
    engine.skip_unless("docker", why="one engine is enough; rootless has no macvlan")
    v_host = await watch_net(engine, make_container().id, lambda v: bool(v.uplink))
    net = docker_client.networks.create(f"itui-mac-{os.getpid()}", driver="macvlan",
                                        options={"parent": v_host.uplink}, labels={"internals-tui.test": "1"},
                                        ipam=docker.types.IPAMConfig(pool_configs=[
                                            docker.types.IPAMPool(subnet="198.51.100.0/24")]))
    c = None
    try:
        c = make_container(network=net.name)
        v = await watch_net(engine, c.id, lambda v: any(lk.kind == "macvlan" for lk in v.links))
        lk = next(x for x in v.links if x.kind == "macvlan")
        assert lk.host_peer == v_host.uplink and not lk.bridge and lk.addresses[0].startswith("198.51.100.")
        assert lk.network == net.name and next(n for n in v.networks if n.name == net.name).driver == "macvlan"
    finally:
        if c is not None:
            c.remove(force=True)
        net.remove()
