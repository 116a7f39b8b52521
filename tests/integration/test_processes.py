"""The Processes pane's sources on the real engines: the tree, the runtime chain above it,
host PID ↔ container PID checked against /proc, and processes coming and going live."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import pytest

from tui.backend import proc_events
from tui.backend.model import Snapshot, parse_docker_time
from tui.backend.model.procs import ProcessTree
from tui.backend.procfs import HostPaths, read_nspid

from conftest import Engine
from integration.test_hub import Recorder, hub_for


def tree_of(s: Snapshot, cid: str) -> ProcessTree | None:
    r = s.result("processes")
    return r.value if r is not None and r.key == cid and isinstance(r.value, ProcessTree) else None


def has_tree(cid: str, pred: Callable[[ProcessTree], bool] = lambda t: True) -> Callable[[Snapshot], bool]:
    def ready(s: Snapshot) -> bool:
        t = tree_of(s, cid)
        return t is not None and pred(t)
    return ready


async def watch_tree(engine: Engine, cid: str, pred: Callable[[ProcessTree], bool], interval: float = 0.5,
                     timeout: float = 10.0) -> ProcessTree:
    hub = hub_for(engine, interval)
    hub.want(["processes"])
    hub.select(cid)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(has_tree(cid, pred), timeout=timeout)
    tree = tree_of(snap, cid)
    assert tree is not None
    return tree


def check_pid_pairs(tree: ProcessTree) -> None:
    """Every process in the container: its container PID is the innermost NSpid in /proc."""
    for p in tree.procs:
        if p.role in ("", "init", "exec", "shared"):
            try:
                nspid = read_nspid(HostPaths(), p.pid)
            except FileNotFoundError:
                continue  # exited since
            assert nspid == p.nspid and p.cpid == nspid[-1], p


async def test_tree_and_runtime_chain(engine, make_container) -> None:
    c = make_container()
    tree = await watch_tree(engine, c.id, lambda t: any(p.role == "init" for p in t.procs))
    init = next(p for p in tree.procs if p.role == "init")
    assert init.pid == c.attrs["State"]["Pid"] and init.cpid == 1 and init.cmdline == ("sleep", "100000")
    check_pid_pairs(tree)
    roles = {p.role: p for p in tree.procs}
    labels = {line.label: line.value.value for line in tree.runtime}
    assert roles["engine"].comm in ("dockerd", "podman")
    assert tree.container_rows[0].key == init.key and tree.container_rows[0].pid == 1
    host_order = [r.key for r in tree.host_rows]
    assert host_order.index(init.key) > host_order.index(roles["engine"].key) or engine.name == "podman"
    if engine.name == "podman":
        conmon = roles["conmon"]
        assert init.ppid == conmon.pid and c.id in conmon.cmdline
        assert "containerd" not in roles and "shim" not in roles
        assert labels["Bundle"].endswith(f"{c.id}/userdata")
        edge = next(r.edge for r in tree.host_rows if r.key == conmon.key)
        assert "no shim, no containerd" in edge
    else:
        shim, ctrd = roles["shim"], roles["containerd"]
        assert init.ppid == shim.pid and "-id" in shim.cmdline and c.id in shim.cmdline
        address = shim.cmdline[shim.cmdline.index("-address") + 1]
        edge = next(r for r in tree.host_rows if r.key == shim.key)
        assert edge.edge.startswith(f"logical: containerd serves -address {address}")
        parent_of_shim = next(r for r in tree.host_rows if r.key == ctrd.key)
        assert host_order.index(parent_of_shim.key) < host_order.index(shim.key)
        assert ctrd.ppid == roles["engine"].pid  # both engines here run their own containerd
        assert labels["Bundle"].endswith(f"/moby/{c.id}") and os.path.isdir(labels["Bundle"]) \
            or engine.name == "rootless"  # rootless: the path is in rootlesskit's mount namespace
        if engine.name == "rootless":
            assert "rootlesskit" in {p.comm for p in tree.procs if p.role == "ancestor"}
            assert init.uid == os.stat(f"/proc/{init.pid}").st_uid != 0 and init.inner_uid == 0
        assert "descendants" in tree.members.value if engine.name == "rootless" else "cgroup.procs" in tree.members.value
    assert "one kernel" in labels["Distro"] and "the command itself is PID 1" in labels["Init"]


async def test_exec_appears_live_and_goes(engine, make_container) -> None:
    """An exec'd busy loop shows up under the runtime (not init) with its CPU %, and goes."""
    c = make_container()
    await asyncio.to_thread(c.exec_run, ["sh", "-c", "yes > /dev/null"], detach=True)

    def busy(t: ProcessTree) -> bool:
        return any("yes" in p.command and p.cpu and p.cpu > 20 for p in t.procs)
    tree = await watch_tree(engine, c.id, busy)
    loop = next(p for p in tree.procs if "yes" in p.command)
    assert loop.role == "exec" and loop.cpid > 1
    init = next(p for p in tree.procs if p.role == "init")
    assert loop.ppid != init.pid
    assert any(r.key == loop.key and r.ppid == 0 for r in tree.container_rows)  # ps -ef: PPID 0
    check_pid_pairs(tree)
    os.kill(loop.pid, signal.SIGKILL)
    gone = await watch_tree(engine, c.id, lambda t: all(p.key != loop.key for p in t.procs))
    assert any(p.role == "init" for p in gone.procs)


async def test_init_is_docker_init(engine, make_container) -> None:
    engine.skip_unless("docker", "rootless", why="Podman's --init needs catatonit, not installed here")
    c = make_container(init=True)
    tree = await watch_tree(engine, c.id, lambda t: len([p for p in t.procs if p.role in ("init", "")]) == 2)
    init = next(p for p in tree.procs if p.role == "init")
    child = next(p for p in tree.procs if p.role == "" and p.ppid == init.pid)
    assert init.comm == "docker-init" and init.cpid == 1 and child.cmdline == ("sleep", "100000")
    assert "--init" in next(line.value.value for line in tree.runtime if line.label == "Init")


async def test_pid_host(engine, make_container) -> None:
    engine.skip_unless("docker", "podman", why="rootless Docker's --pid host is rootlesskit's view, not tested")
    c = make_container(pid_mode="host")
    tree = await watch_tree(engine, c.id, lambda t: any(p.role == "init" for p in t.procs))
    init = next(p for p in tree.procs if p.role == "init")
    assert init.nspid == (init.pid,) and init.cpid == init.pid
    assert "the host's (--pid host)" in next(line.value.value for line in tree.runtime if line.label == "PID namespace")


async def test_pid_container_shows_the_other_as_shared(engine, make_container) -> None:
    engine.skip_unless("docker", "podman", why="rootless on cgroup v1 has no cgroups to tell them apart")
    a = make_container()
    b = make_container(pid_mode=f"container:{a.id}")
    tree = await watch_tree(engine, b.id, lambda t: any(p.role == "shared" for p in t.procs))
    shared = next(p for p in tree.procs if p.role == "shared")
    assert shared.pid == a.attrs["State"]["Pid"] and shared.cpid == 1 and shared.container == a.name
    own = next(p for p in tree.procs if p.role == "init")
    assert own.cpid > 1  # b joined a's PID namespace: its init is not PID 1 there
    back = await watch_tree(engine, a.id, lambda t: any(p.role == "shared" for p in t.procs))
    assert next(p for p in back.procs if p.role == "shared").pid == b.attrs["State"]["Pid"]


async def test_markup_and_escapes_in_cmdline_are_data(engine, make_container) -> None:
    script = "sleep 100000; : '[bold red]boom[/]\x1b[2J\nsecond line'"
    c = make_container(command=["sh", "-c", script])
    tree = await watch_tree(engine, c.id, lambda t: any(p.role == "init" for p in t.procs))
    init = next(p for p in tree.procs if p.role == "init")
    assert init.cmdline == ("sh", "-c", script)


async def test_zombie_is_shown_as_such(engine, make_container) -> None:
    """A child its parent never reaps (the shell exec'd a sleep that does not wait) stays a
    zombie: state Z, no command line, ``[sleep] <defunct>``; never an error."""
    c = make_container(command=["sh", "-c", "sleep 0.1 & exec sleep 100000"])
    tree = await watch_tree(engine, c.id, lambda t: any(p.state == "Z" for p in t.procs))
    z = next(p for p in tree.procs if p.state == "Z")
    assert z.cmdline == () and z.command == "[sleep] <defunct>" and z.cpid > 1
    assert z.ppid == next(p for p in tree.procs if p.role == "init").pid


async def test_stopped_container_says_so(engine, make_container) -> None:
    c = make_container(start=False)
    hub = hub_for(engine, 0.5)
    hub.want(["processes"])
    hub.select(c.id)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("processes")) is not None and "has no" in r.error)
    r = snap.result("processes")
    assert r is not None and r.unavailable and "created: it has no processes" in r.error
    assert not snap.errors


async def test_host_wide_view_knows_containers(engine, make_container) -> None:
    engine.skip_unless("docker", why="the view names the containers of the engine it is connected to")
    c = make_container()
    hub = hub_for(engine, 0.5)
    hub.want(["host_processes"])
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("host_processes")) is not None and r.value is not None
                                  and any(p.container == c.name for p in r.value.procs))
    value = snap.result("host_processes").value
    init = next(p for p in value.procs if p.pid == c.attrs["State"]["Pid"])
    assert init.container == c.name and init.cpid == 1
    assert value.in_containers >= 1 and value.total == len(value.procs) + value.kernel_threads
    assert not any(p.ppid == 2 for p in value.procs)  # kernel threads counted, not listed
    assert {r.key for r in value.rows} == {p.key for p in value.procs}
    assert next(p for p in value.procs if p.pid == os.getpid()).container == ""


async def test_host_wide_view_marks_pid_host(engine, make_container) -> None:
    engine.skip_unless("docker", why="the view names the containers of the engine it is connected to")
    c = make_container(pid_mode="host")
    hub = hub_for(engine, 0.5)
    hub.want(["host_processes"])
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("host_processes")) is not None and r.value is not None
                                  and any(p.container == f"{c.name} (pid host)" for p in r.value.procs))
    assert snap.result("host_processes") is not None


async def test_proc_connector_beats_the_interval(engine, make_container) -> None:
    """With a 30 s interval (and the list's own 5 s), the shell's exec shows up as it happens:
    the proc connector (root, host namespaces) makes the source due; docker sends no event for
    it. Without the connector it would wait for the list's next refresh, ~5 s after the hub
    started (~1.5 s after the exec)."""
    why = proc_events.available()
    if why:
        pytest.skip(f"proc connector: {why}")
    c = make_container(command=["sh", "-c", "sleep 4; exec sleep 100000"])
    hub = hub_for(engine, 30.0)
    hub.want(["processes"])
    hub.select(c.id)
    async with Recorder(hub) as rec:
        await rec.wait_for(has_tree(c.id, lambda t: any(p.cmdline == ("sleep", "4") for p in t.procs)))
        snap = await rec.wait_for(has_tree(c.id, lambda t: any(p.cmdline == ("sleep", "100000") for p in t.procs)))
    c.reload()
    exec_at = parse_docker_time(c.attrs["State"]["StartedAt"]) + 4
    assert snap.taken_at - exec_at < 1.0, snap.taken_at - exec_at
