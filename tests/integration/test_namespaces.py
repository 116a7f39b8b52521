"""The Namespaces pane's sources on the real engines: every verdict checked against
``readlink /proc/PID/ns/*`` on the host, for the settings that change them."""

from __future__ import annotations

import os
from typing import Any

from tui.backend.model import Snapshot
from tui.backend.model.ns import HostNamespaces, NamespaceSet

from conftest import Engine
from integration.test_hub import Recorder, hub_for


def ns_of(s: Snapshot, cid: str) -> NamespaceSet | None:
    r = s.result("namespaces")
    return r.value if r is not None and r.key == cid and isinstance(r.value, NamespaceSet) else None


async def watch_ns(engine: Engine, cid: str, pred: Any = lambda v: True, timeout: float = 10.0) -> NamespaceSet:
    hub = hub_for(engine, 0.5)
    hub.want(["namespaces"])
    hub.select(cid)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (v := ns_of(s, cid)) is not None and pred(v), timeout=timeout)
    value = ns_of(snap, cid)
    assert value is not None
    return value


def verdicts(v: NamespaceSet) -> dict[str, str]:
    return {r.kind: r.verdict for r in v.rows}


def check_links(v: NamespaceSet, pid: int) -> None:
    """Each row's namespace is what readlink says, and the verdict follows from the links."""
    me = os.readlink("/proc/self/ns/pid")
    for r in v.rows:
        assert r.inode.value == os.readlink(f"/proc/{pid}/ns/{r.kind}")
        if r.verdict == "host":
            assert r.inode.value == r.host
        else:
            assert r.inode.value != r.host
    assert me  # the app runs in the host's PID namespace here


def init_pid(c: Any) -> int:
    c.reload()
    return int(c.attrs["State"]["Pid"])


async def test_default_container(engine, make_container) -> None:
    c = make_container()
    v = await watch_ns(engine, c.id)
    check_links(v, init_pid(c))
    got = verdicts(v)
    assert {got[k] for k in ("mnt", "net", "pid", "pid_for_children", "ipc", "uts")} == {"private"}
    assert got["user"] == ("private" if engine.name == "rootless" else "host")  # rootlesskit's user ns
    if engine.name == "rootless":
        user = next(r for r in v.rows if r.kind == "user")
        assert "uid_map 0 1001 1 / 1 100000 65536" in user.meaning
    assert got["time"] == "host"
    assert got["cgroup"] == "host"  # cgroup v1: every engine here keeps the host's by default
    assert "this app" in v.reference.value or v.reference.value == "PID 1"
    c.reload()
    assert v.sandbox_key.value == c.attrs["NetworkSettings"]["SandboxKey"]
    if engine.name == "podman":
        assert v.sandbox_key.value.startswith("/run/netns/")
    net = next(r for r in v.rows if r.kind == "net")
    assert net.setting.value.startswith("NetworkMode=") and "veth" in net.meaning


async def test_host_modes(engine, make_container) -> None:
    engine.skip_unless("docker", "podman", why="rootless Docker's host namespaces are rootlesskit's")
    c = make_container(network_mode="host", ipc_mode="host", pid_mode="host")
    v = await watch_ns(engine, c.id)
    check_links(v, init_pid(c))
    got = verdicts(v)
    assert got["net"] == got["ipc"] == got["pid"] == "host"
    assert got["uts"] == "private"  # --network host keeps its own UTS namespace
    d = make_container(uts_mode="host")
    assert verdicts(await watch_ns(engine, d.id))["uts"] == "host"


async def test_network_none_is_private(engine, make_container) -> None:
    c = make_container(network_mode="none")
    v = await watch_ns(engine, c.id)
    assert verdicts(v)["net"] == "private"
    check_links(v, init_pid(c))


async def test_shared_with_a_container_both_ways(engine, make_container) -> None:
    a = make_container(ipc_mode="shareable") if engine.name != "podman" else make_container()
    b = make_container(network_mode=f"container:{a.id}", ipc_mode=f"container:{a.id}")
    vb = await watch_ns(engine, b.id, lambda v: verdicts(v)["net"] == "shared")
    net = next(r for r in vb.rows if r.kind == "net")
    ipc = next(r for r in vb.rows if r.kind == "ipc")
    assert net.peers == (a.name,) and ipc.verdict == "shared" and ipc.peers == (a.name,)
    assert net.inode.value == os.readlink(f"/proc/{init_pid(a)}/ns/net")
    assert verdicts(vb)["uts"] == "private" and verdicts(vb)["pid"] == "private"
    va = await watch_ns(engine, a.id, lambda v: verdicts(v)["net"] == "shared")
    assert next(r for r in va.rows if r.kind == "net").peers == (b.name,)


async def test_peer_gone(engine, make_container) -> None:
    engine.skip_unless("docker", "rootless", why="Podman refuses to remove a container others depend on")
    a = make_container()
    b = make_container(network_mode=f"container:{a.id}")
    await watch_ns(engine, b.id, lambda v: verdicts(v)["net"] == "shared")
    a.remove(force=True)
    v = await watch_ns(engine, b.id, lambda v: bool(v.notes))
    assert verdicts(v)["net"] == "private" and "is gone" in v.notes[0] and "net" in v.notes[0]


async def test_private_cgroupns(engine, make_container) -> None:
    engine.skip_unless("docker", why="the setting is Docker's (Podman's default differs; rootless has no cgroups)")
    c = make_container(cgroupns="private")
    v = await watch_ns(engine, c.id)
    assert verdicts(v)["cgroup"] == "private"
    assert next(r for r in v.rows if r.kind == "cgroup").setting.value == "CgroupnsMode=private"


async def test_host_namespaces_view(engine, make_container) -> None:
    engine.skip_unless("docker", why="the view names the containers of the engine it is connected to")
    c = make_container()
    hub = hub_for(engine, 0.5)
    hub.want(["host_namespaces"])
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("host_namespaces")) is not None
                                  and isinstance(r.value, HostNamespaces)
                                  and any(c.name in n.containers for n in r.value.namespaces))
    value = snap.result("host_namespaces").value
    pid = init_pid(c)
    net_ino = int(os.readlink(f"/proc/{pid}/ns/net").split("[")[1].rstrip("]"))
    net = next(n for n in value.namespaces if n.kind == "net" and n.inode == net_ino)
    assert c.name in net.containers and net.pid <= pid and net.nprocs >= 1
    own = int(os.readlink("/proc/self/ns/mnt").split("[")[1].rstrip("]"))
    host_mnt = next(n for n in value.namespaces if n.kind == "mnt" and n.inode == own)
    assert host_mnt.nprocs > 10 and c.name not in host_mnt.containers
    assert value.unreadable <= 1  # PID 1's links are unreadable even to root on some hosts (this one)
