"""The live backend against the real engine: what it publishes, and how fast it follows events."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from tui.backend import docker_api
from tui.backend import hub as hub_module
from tui.backend.collect import Context, SourceState
from tui.backend.hub import LOCAL_RETRY_S, Hub, HubConfig
from tui.backend.metrics import IDLE_FULL_S
from tui.backend.model import FileRequest, Snapshot
from tui.backend.procfs import HostPaths
from tui.backend.serial import snapshot_from_jsonable
from tui.backend.sources import VALUE_TYPES

from conftest import Engine

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


async def until(pred: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``pred`` until it holds (bounded)."""
    async def loop() -> None:
        while not pred():
            await asyncio.sleep(0.02)
    await asyncio.wait_for(loop(), timeout)


class Recorder:
    """Runs a hub in the test's event loop and keeps every snapshot it publishes."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.snaps: list[Snapshot] = []
        self.changed = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def publish(self, snap: Snapshot) -> None:
        self.snaps.append(snap)
        self.changed.set()

    async def __aenter__(self) -> Recorder:
        self.task = asyncio.create_task(self.hub.run(self.publish))
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.hub.stop()
        assert self.task is not None
        await asyncio.wait_for(self.task, 10)

    async def wait_for(self, pred: Callable[[Snapshot], bool], timeout: float = 10.0) -> Snapshot:
        async def loop() -> Snapshot:
            while True:
                if self.snaps and pred(self.snaps[-1]):
                    return self.snaps[-1]
                self.changed.clear()
                await self.changed.wait()
        return await asyncio.wait_for(loop(), timeout)


IMAGE_FQ = {"docker": "docker.io/itui/mini:latest", "rootless": "docker.io/itui/mini:latest",
            "podman": "localhost/itui/mini:latest"}
"""How each engine names the test image (Podman resolves the short name to ``localhost/``)."""
OWN_FILES = {"docker": {"config.v2.json", "hostconfig.json", "hostname", "hosts", "resolv.conf"},
             "rootless": {"config.v2.json", "hostconfig.json", "hostname", "hosts", "resolv.conf"},
             "podman": {"hostname", "hosts", "resolv.conf", "config.json", "ctr.log"}}
"""Files each engine keeps per container (Podman: in /run/containers/… and /var/lib/containers/…)."""
CONFIG = {"docker": "config.v2.json", "rootless": "config.v2.json", "podman": "config.json"}


def hub_for(engine: Engine, interval: float, **kw: Any) -> Hub:
    return Hub(HubConfig(interval=interval, environ=engine.env, **kw))


def metrics_ready(engine: Engine, cid: str) -> Callable[[Snapshot], bool]:
    """A container's figures are in: its CPU %, or (rootless on cgroup v1) why it has none."""
    def ready(s: Snapshot) -> bool:
        m = s.metrics_of(cid)
        return m is not None and (m.cpu_percent.value is not None or bool(m.error))
    return ready


async def test_an_idle_container_is_read_again_as_soon_as_it_runs(engine, make_container) -> None:
    """Idle (no CPU time since the last sample), a container's memory and PIDs are not re-read
    for a few seconds; a process it runs uses CPU, so its memory shows on the next sample."""
    if engine.name == "rootless":
        pytest.skip("rootless on cgroup v1: no cgroup of its own, no figures")
    c = make_container()
    async with Recorder(hub_for(engine, 0.5)) as rec:
        await rec.wait_for(metrics_ready(engine, c.id))
        idle = await rec.wait_for(lambda s: (m := s.metrics_of(c.id)) is not None and m.cpu_percent.value == 0.0)
        before = idle.metrics_of(c.id)
        later = await rec.wait_for(lambda s: s.seq >= idle.seq + 3)
        assert later.metrics_of(c.id) is before  # the same figures handed on: nothing was read but the CPU
        t0 = time.monotonic()
        await asyncio.to_thread(c.exec_run, ["sh", "-c", "dd if=/dev/zero of=/dev/shm/x bs=1M count=24; sleep 60"],
                                detach=True)
        grown = await rec.wait_for(lambda s: (m := s.metrics_of(c.id)) is not None and m.mem_used.value is not None
                                   and m.mem_used.value > before.mem_used.value + 16 * 2**20)
        assert time.monotonic() - t0 < IDLE_FULL_S  # sooner than the idle re-read
        assert grown.metrics_of(c.id).pids.value >= 2


async def test_a_restarted_container_is_read_from_its_new_cgroup(engine, make_container) -> None:
    """The list keeps each container's CPU file open. A restart makes a new cgroup (at the same
    path with cgroupfs): the figures follow it, and no file stays open for a removed container."""
    if engine.name == "rootless":
        pytest.skip("rootless on cgroup v1: no cgroup of its own, no figures")
    c = make_container()
    hub = hub_for(engine, 0.5)
    async with Recorder(hub) as rec:
        first = await rec.wait_for(metrics_ready(engine, c.id))
        pid = first.container(c.id).pid.value
        await asyncio.to_thread(c.restart, timeout=0)
        await asyncio.to_thread(c.exec_run, ["sh", "-c", "while :; do :; done"], detach=True)
        busy = await rec.wait_for(lambda s: (k := s.container(c.id)) is not None and k.pid.value not in (None, pid)
                                  and (m := s.metrics_of(c.id)) is not None and (m.cpu_percent.value or 0) > 20,
                                  timeout=20)
        assert busy.metrics_of(c.id).pids.value >= 2
        held = hub._slots["metrics"].state.cache["held"]
        assert c.id in held.owners()
        await asyncio.to_thread(c.remove, force=True)
        gone = await rec.wait_for(lambda s: s.container(c.id) is None)
        await rec.wait_for(lambda s: (r := s.result("metrics")) is not None and r.taken_at > gone.taken_at)
        assert c.id not in held.owners()


async def test_names_are_listed_before_every_container_is_inspected(engine, make_container, monkeypatch) -> None:
    """New containers are inspected a slice at a time (here: one a run, the running ones
    first); the list shows every name from the first snapshot and fills in PIDs as the runs go.
    (No publish hold: at one inspect a run, 50 ms would cover several runs.)"""
    monkeypatch.setattr(docker_api, "INSPECT_SLICE_S", 0.0)
    monkeypatch.setattr(hub_module, "PUBLISH_HOLD_S", 0.0)
    made = [make_container() for _ in range(3)]
    ids = {c.id for c in made}
    async with Recorder(hub_for(engine, 0.5)) as rec:
        first = await rec.wait_for(lambda s: ids <= {c.id for c in s.containers})
        inspected = [c for c in first.containers if c.detail is not None]
        assert len(inspected) <= 1 and all(c.state.value == "running" and c.pid.value > 0 for c in inspected)
        assert sum(first.container(i).detail is None for i in ids) >= 2  # listed, not inspected yet
        done = await rec.wait_for(lambda s: all((c := s.container(i)) is not None and c.detail is not None
                                                for i in ids))
    for c in made:
        got = done.container(c.id)
        assert got.pid.value == c.attrs["State"]["Pid"] and got.name.value == c.name


def test_the_inspect_slices_reuse_the_list_they_continue(engine, make_container, monkeypatch) -> None:
    """The follow-up runs that inspect the rest of the new containers do not ask the engine
    for the list again (at 200 containers one list costs it 25 ms), unless an event came."""
    monkeypatch.setattr(docker_api, "INSPECT_SLICE_S", 0.0)
    made = {make_container().id for _ in range(3)}
    api = engine.client.api
    lists = []
    real = api.containers
    monkeypatch.setattr(api, "containers", lambda **kw: lists.append(kw) or real(**kw))
    ctx = Context(paths=HostPaths(), interval=1.0, endpoint=engine.host, api=api)
    state = SourceState()
    runs = 0
    while True:
        state.next_in = None
        got = docker_api.collect_containers(ctx, state)
        runs += 1
        if state.next_in is None:
            break
    assert runs >= 3 and len(lists) == 1  # one container inspected a run, one list for all of them
    assert all(c.detail is not None for c in got if c.id in made)

    state.cache["inspect"].clear()  # new again: slices, and an event in between re-lists
    state.next_in = None
    docker_api.collect_containers(ctx, state)
    assert state.next_in == 0.0 and len(lists) == 2
    touched = Context(paths=HostPaths(), interval=1.0, endpoint=engine.host, api=api, touched=frozenset(made))
    docker_api.collect_containers(touched, state)
    assert len(lists) == 3


def open_sockets() -> int:
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:  # closed meanwhile
            pass
    return n


def test_inspecting_many_containers_reuses_one_connection(engine, make_container) -> None:
    """The SDK keys its unix-socket pools by URL: without one shared pool every inspected
    container left a connection to the engine open (up to 25)."""
    made = [make_container() for _ in range(6)]
    client = docker_api.connect(engine.env)
    try:
        client.api.ping()
        before = open_sockets()
        for c in made:
            assert client.api.inspect_container(c.id)["Id"] == c.id
        assert open_sockets() == before
    finally:
        client.close()


async def test_limits_pid_and_state(engine, make_container) -> None:
    c = make_container(mem_limit="64m", nano_cpus=1_500_000_000, pids_limit=50, cpu_shares=512)
    async with Recorder(hub_for(engine, 0.5)) as rec:
        snap = await rec.wait_for(metrics_ready(engine, c.id))
    got = snap.container(c.id)
    assert got is not None and got.detail is not None
    assert got.name.value == c.name
    assert got.state.value == "running"
    assert got.pid.value == c.attrs["State"]["Pid"] > 0
    lim = got.detail.limits
    assert lim.memory.value == 64 * 1024 * 1024
    assert lim.cpus == 1.5
    assert lim.pids_limit.value == 50
    assert lim.cpu_shares.value == 512
    assert got.image_fq == IMAGE_FQ[engine.name]
    assert snap.mode == "local" and snap.host.root
    m = snap.metrics_of(c.id)
    assert m is not None
    if engine.name == "rootless":  # cgroup v1 here: no cgroup of its own, never another's numbers
        assert "no cgroup of its own" in m.error and m.mem_used.value is None and m.cpu_percent.value is None
        return
    assert m.error == "" and m.mem_limit.value == 64 * 1024 * 1024
    assert m.pids.value == 1
    assert 0 < (m.mem_used.value or 0) < 64 * 1024 * 1024
    assert c.id in m.cgroup_dir
    assert "memory.limit_in_bytes" in m.mem_limit.source or "memory.max" in m.mem_limit.source


async def test_stop_and_remove_follow_the_event(engine, make_container) -> None:
    """With a 30 s interval only the events stream can refresh the list, so each change seen
    here arrived through exactly one Docker event (Podman says ``remove`` for ``destroy``)."""
    c = make_container()
    async with Recorder(hub_for(engine, 30.0)) as rec:
        await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "running")
        await asyncio.to_thread(c.kill)
        # the row may turn on the "kill" event, before "die" has arrived: wait for both
        snap = await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "exited"
                                  and any(e.action == "die" and e.actor_id == c.id for e in s.events), timeout=5)
        got = snap.container(c.id)
        assert got is not None and got.exit_code.value == 137 and snap.metrics_of(c.id) is None
        await asyncio.to_thread(c.remove)
        # Podman may drop the row on an earlier event of the removal than its "remove"
        await rec.wait_for(lambda s: s.container(c.id) is None and any(
            e.action in ("destroy", "remove") and e.actor_id == c.id for e in s.events), timeout=5)


async def test_pause_and_rename_follow_the_event(engine, make_container) -> None:
    engine.skip_unless("docker", "podman", why="pausing needs the freezer cgroup, and rootless Docker on "
                       "cgroup v1 gives containers no cgroup")
    c = make_container()
    async with Recorder(hub_for(engine, 30.0)) as rec:
        await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "running")
        await asyncio.to_thread(c.pause)
        await rec.wait_for(lambda s: s.container(c.id).state.value == "paused", timeout=5)
        await asyncio.to_thread(c.unpause)
        await rec.wait_for(lambda s: s.container(c.id).state.value == "running", timeout=5)
        await asyncio.to_thread(c.rename, c.name + "-renamed")
        snap = await rec.wait_for(lambda s: s.container(c.id).name.value == c.name + "-renamed", timeout=5)
        assert snap.container(c.id).pid.source.endswith(f"{c.name}-renamed")


async def test_resync_after_the_event_stream_breaks(engine, make_container) -> None:
    async with Recorder(hub_for(engine, 30.0)) as rec:
        await rec.wait_for(lambda s: s.engine is not None)
        producer = rec.hub.link.producer
        assert producer is not None
        await until(lambda: producer.streaming)
        breaks = producer.breaks
        producer.interrupt()  # the daemon dropping us looks like this from the producer
        await rec.wait_for(lambda s: producer.breaks > breaks, timeout=5)
        c = await asyncio.to_thread(make_container)
        snap = await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "running")
        assert snap.engine is not None


async def test_selected_container_files(engine, make_container) -> None:
    c = make_container()
    hub = hub_for(engine, 0.5)
    hub.select(c.id)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: s.files_of(c.id) is not None)
        names = {f.name for f in snap.files_of(c.id) or ()}
        assert OWN_FILES[engine.name] <= names, names
        cfg = next(f for f in snap.files_of(c.id) or () if f.name == CONFIG[engine.name])
        res = await hub.request("file", FileRequest(cfg.path, cfg.kind))
        view = res.value
        assert res.key == cfg.path and view.error == "" and c.id in view.text and view.text.startswith("{\n")
        shadow = await hub.request("file", FileRequest("/etc/shadow", "text"))
        assert shadow.value.error and not shadow.value.text  # only files the listing named


def test_snapshot_json_cli(engine, make_container) -> None:
    c = make_container(name=f"itui-cli-{os.getpid()}")
    out = subprocess.run([sys.executable, "-m", "tui.cli", "snapshot", "--json", "--container", c.name],
                         capture_output=True, text=True, timeout=60, cwd=REPO, check=True, env=engine.env)
    snap = snapshot_from_jsonable(json.loads(out.stdout), VALUE_TYPES)
    got = snap.container(c.id)
    assert got is not None and got.state.value == "running" and got.pid.value > 0
    assert snap.engine is not None and snap.engine.product == ("Podman" if engine.name == "podman" else "Docker")
    assert snap.engine.rootless == (engine.name == "rootless") and snap.mode == "local"
    m = snap.metrics_of(c.id)
    assert m is not None and (m.cpu_percent.value is not None or engine.name == "rootless")
    assert snap.files_of(c.id) and snap.result("disk_files").key == c.id
    assert snap.engine is not None and snap.engine.server_version.value
    names = {r.name for r in snap.sources}
    assert names == set(VALUE_TYPES) - {"file", "proc_detail", "network_inspect", "image", "action"}, names  # all but the on-demand ones
    tree = snap.result("processes")
    assert tree.key == c.id and any(p.role == "init" and p.pid == got.pid.value for p in tree.value.procs)
    assert all(r.runs >= 1 for r in snap.sources) and not snap.errors, snap.errors
    if engine.name == "rootless":  # cgroup v1: the container has no cgroup, said as a reason, not a failure
        cg = snap.result("cgroup")
        assert cg.unavailable and "rootless Docker on cgroup v1" in cg.error
    else:
        assert snap.result("cgroup").value.init_pid == got.pid.value
    net = snap.result("network").value
    assert net.netns.value and any(lk.kind == "veth" and lk.confirmed for lk in net.links)


def test_snapshot_cli_without_engine() -> None:
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock")
    out = subprocess.run([sys.executable, "-m", "tui.cli", "snapshot", "--json"], env=env,
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 1
    snap = snapshot_from_jsonable(json.loads(out.stdout), VALUE_TYPES)
    assert snap.engine is None and snap.mode == "no-engine"
    assert snap.endpoint == "unix:///nonexistent/docker.sock" and snap.engine_error


def test_non_root_user_in_docker_group(engine, make_container, tmp_path) -> None:
    """A docker-group user gets API data and metrics; root-only views say they need root."""
    engine.skip_unless("docker", why="only rootful Docker's socket is open to the docker group "
                       "(rootless Docker's belongs to its user, Podman's to root)")
    c = make_container()
    gid = subprocess.run(["getent", "group", "docker"], capture_output=True, text=True).stdout.split(":")
    if len(gid) < 3 or not os.path.exists("/usr/bin/setpriv") or not os.path.exists("/usr/bin/python3"):
        pytest.skip("needs setpriv, /usr/bin/python3 and a docker group")
    site = next(p for p in sys.path if p.endswith("site-packages"))
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{REPO}:{site}", "HOME": str(tmp_path)}
    os.chmod(tmp_path, 0o777)
    cmd = ["setpriv", "--reuid=65534", "--regid=65534", f"--groups={gid[2]}", "--inh-caps=-all",
           "/usr/bin/python3", "-m", "tui.cli", "snapshot", "--json", "--container", c.name]
    out = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    snap = snapshot_from_jsonable(json.loads(out.stdout), VALUE_TYPES)
    assert not snap.host.root and snap.host.uid == 65534
    got = snap.container(c.id)
    assert got is not None and got.pid.value > 0
    m = snap.metrics_of(c.id)
    assert m is not None and m.mem_used.value  # cgroup files are world-readable
    files = snap.result("disk_files")
    assert files is not None and "needs root" in files.error and files.unavailable
    assert not snap.errors  # needing root is said in place, it is no failure
    assert not snap.host.can_read_namespaces
    procs = snap.result("processes")
    assert procs is not None and procs.value is not None, procs
    init = next(p for p in procs.value.procs if p.role == "init")
    assert init.pid == got.pid.value and init.cpid == 1 and init.cmdline == ("sleep", "100000")
    lines = {line.label: line.value.value for line in procs.value.runtime}
    assert "needs root" in lines["Bundle"] and "needs root" in lines["Distro"]
    assert "needs root" in lines["Engine"] and any("need root" in n for n in procs.value.notes)
    ns = snap.result("namespaces")
    assert ns is not None and ns.unavailable and ns.error.startswith("needs root")
    cg = snap.result("cgroup").value  # cgroup files are world-readable
    assert cg is not None and cg.memory.usage.value and cg.init_pid == got.pid.value
    net = snap.result("network").value  # Docker's account shows; entering the namespace needs root
    assert net is not None and net.links == () and net.notes[0].startswith("needs root")
    layers = snap.result("layers").value  # the stack from docker inspect; the store's files need root
    assert layers is not None and [lay.role for lay in layers.layers] == ["rw", "init", "image"]
    assert layers.layers[2].diff_id and layers.layers[2].chain_id.value and layers.layers[2].size.value is None
    assert any(n.startswith("needs root") for n in layers.notes) and not layers.init_files.value


class _Forwarder(threading.Thread):
    """A listener that relays to the engine's unix socket: TCP on loopback (a 'remote' engine),
    or a unix socket at ``path`` (a local engine at another address)."""

    def __init__(self, path: str | None = None, target: str = "/var/run/docker.sock") -> None:
        super().__init__(daemon=True)
        self.target = target
        if path is None:
            self.srv = socket.create_server(("127.0.0.1", 0))
            self.port = self.srv.getsockname()[1]
        else:
            self.srv = socket.socket(socket.AF_UNIX)
            self.srv.bind(path)
            self.srv.listen()

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        up = socket.socket(socket.AF_UNIX)
        up.connect(self.target)
        threading.Thread(target=self._pipe, args=(up, conn), daemon=True).start()
        self._pipe(conn, up)

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class _ListRefusingForwarder(_Forwarder):
    """Like a docker-socket-proxy that allows ping/version/info but refuses the container list."""

    def __init__(self) -> None:
        super().__init__()
        self.refused = 0

    def _serve(self, conn: socket.socket) -> None:
        up = socket.socket(socket.AF_UNIX)
        up.connect(self.target)
        threading.Thread(target=self._pipe, args=(up, conn), daemon=True).start()
        try:
            while data := conn.recv(65536):
                if b"/containers/json" in data.split(b"\r\n", 1)[0]:
                    self.refused += 1
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 22\r\nConnection: close\r\n\r\n"
                                 b'{"message":"refused"}\n')
                    break
                up.sendall(data)
        except OSError:
            pass
        finally:
            for s in (conn, up):
                try:
                    s.close()
                except OSError:
                    pass


async def test_endpoint_refusing_the_list_backs_off_and_says_why() -> None:
    """An engine that answers ping/version/info but refuses /containers/json stays connected;
    the list source says why and is retried with back-off, not in a tight loop."""
    fwd = _ListRefusingForwarder()
    fwd.start()
    try:
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{fwd.port}")
        hub = Hub(HubConfig(interval=0.5, environ=env))
        hub.want(())  # only the sources that always run: the Engine view's disk usage lists containers too
        async with Recorder(hub) as rec:
            snap = await rec.wait_for(lambda s: (r := s.result("containers")) is not None and "403" in r.error)
            assert snap.engine is not None and not snap.containers
            assert snap.errors and snap.errors[0].name == "containers"
            # back-off: 5 s, then 10 s; a tight loop would refuse hundreds of times
            await rec.wait_for(lambda s: s.result("containers").runs >= 2, timeout=15)
            assert fwd.refused == 2
            assert rec.snaps[-1].engine is not None
    finally:
        fwd.srv.close()


async def test_remote_endpoint_is_api_only(engine, make_container) -> None:
    c = make_container()
    fwd = _Forwarder(target=engine.socket)
    fwd.start()
    try:
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{fwd.port}")
        async with Recorder(Hub(HubConfig(interval=0.5, environ=env))) as rec:
            snap = await rec.wait_for(lambda s: s.container(c.id) is not None and s.engine is not None
                                      and s.result("metrics") is not None)
        assert snap.mode == "api-only"
        assert "remote endpoint" in snap.host.local_reason
        got = snap.container(c.id)
        assert got is not None and snap.metrics_of(c.id) is None and got.pid.value > 0
        assert snap.result("metrics").error.startswith("API-only mode")
    finally:
        fwd.srv.close()


async def test_a_host_file_error_is_its_sources_error_not_the_engines(engine, make_container, tmp_path) -> None:
    """An unreadable /proc/self/mountinfo (here: a directory) fails the metrics source only:
    the engine stays connected and the list stays live."""
    c = make_container()  # first: the tree below links the PIDs that exist now
    proc = tmp_path / "proc"
    proc.mkdir()
    for name in os.listdir("/proc"):
        if name != "self":
            os.symlink(f"/proc/{name}", proc / name)
    (proc / "self" / "mountinfo").mkdir(parents=True)
    hub = hub_for(engine, 0.2, paths=HostPaths(proc=str(proc)))
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: s.container(c.id) is not None and (r := s.result("metrics")) is not None
                                  and r.error != "" and r.runs >= 2)
        assert snap.engine is not None and snap.mode == "local"
        assert "mountinfo" in snap.result("metrics").error
        assert {r.name for r in snap.errors} <= {"metrics", "host_cgroups"}  # the two that read mountinfo
        assert all("mountinfo" in r.error for r in snap.errors)
        await asyncio.to_thread(c.stop, timeout=0)  # the list still follows events
        snap = await rec.wait_for(lambda s: s.container(c.id).state.value == "exited", timeout=5)
        assert snap.engine is not None


async def test_a_local_engine_that_comes_back_is_retried_at_a_short_fixed_interval(tmp_path) -> None:
    """A local socket is retried at a fixed short interval (no growing back-off), so an engine
    that comes back is seen within a second of answering."""
    path = str(tmp_path / "docker.sock")
    env = dict(os.environ, DOCKER_HOST=f"unix://{path}")
    async with Recorder(Hub(HubConfig(interval=0.5, environ=env))) as rec:
        await rec.wait_for(lambda s: s.engine is None and s.engine_error != "" and len(rec.snaps) >= 3)
        assert {s.retry_in for s in rec.snaps if s.engine is None} == {LOCAL_RETRY_S}
        fwd = _Forwarder(path)
        fwd.start()
        try:
            snap = await rec.wait_for(lambda s: s.engine is not None and s.result("containers") is not None,
                                      timeout=5)
            assert snap.engine_error == "" and snap.retry_in == 0
        finally:
            fwd.srv.close()


async def test_a_remote_engine_is_retried_with_back_off() -> None:
    srv = socket.create_server(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    srv.close()  # nothing listens there now
    env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{port}")
    async with Recorder(Hub(HubConfig(interval=0.5, environ=env))) as rec:
        await rec.wait_for(lambda s: s.retry_in >= 2.0)
    retries = [s.retry_in for s in rec.snaps if s.retry_in]
    assert retries[0] == 1.0 and max(retries) == 2.0


def test_snapshot_cli_names_a_missing_container_and_pipes_quietly() -> None:
    out = subprocess.run([sys.executable, "-m", "tui.cli", "snapshot", "--json", "--container", "no-such-ctr"],
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 3 and "no container called 'no-such-ctr'" in out.stderr
    assert json.loads(out.stdout)["selected"] == ""
    piped = subprocess.run(["bash", "-c", f"{sys.executable} -m tui.cli snapshot --json | head -c 20; "
                                          "exit ${PIPESTATUS[0]}"],
                           capture_output=True, text=True, timeout=60, cwd=REPO)
    assert piped.returncode == 0 and piped.stderr == "" and piped.stdout.startswith("{")


def test_first_run_starts_a_demo_container_only_on_an_empty_engine(engine) -> None:
    """tests/demo-up.sh (the README's first command): an engine with no container gets one like
    the walkthrough's; one with containers is left as it is."""
    engine.skip_unless("podman", why="the first-run script is checked on the engine the suite keeps empty")
    client = engine.client
    if client.containers.list(all=True):
        pytest.skip("podman has containers of its own now: the script would rightly start none")
    run = lambda: subprocess.run(["bash", "tests/demo-up.sh"], cwd=REPO, env=engine.env,  # noqa: E731
                                 capture_output=True, text=True, timeout=120)
    try:
        out = run()
        assert out.returncode == 0, out.stderr
        demo = client.containers.get("itui-demo")
        assert demo.status == "running" and demo.labels.get("internals-tui.demo") == "1"
        hc = demo.attrs["HostConfig"]
        assert hc["Memory"] == 256 * 1024 * 1024 and hc["NanoCpus"] == 2_000_000_000
        again = run()
        assert again.returncode == 0 and "no demo container started" in again.stderr
        assert len(client.containers.list(all=True)) == 1
    finally:
        for c in client.containers.list(all=True, filters={"label": "internals-tui.demo=1"}):
            c.remove(force=True)
