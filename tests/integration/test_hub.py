"""The live backend against the real engine: what it publishes, and how fast it follows events."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable

import pytest

from tui.backend.hub import Hub, HubConfig
from tui.backend.model import Snapshot, snapshot_from_jsonable

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


async def test_limits_pid_and_state(make_container) -> None:
    c = make_container(mem_limit="64m", nano_cpus=1_500_000_000, pids_limit=50, cpu_shares=512)
    async with Recorder(Hub(HubConfig(interval=0.5))) as rec:
        snap = await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.metrics is not None
                                  and x.metrics.cpu_percent.value is not None)
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
    assert got.image_fq == "docker.io/itui/mini:latest"
    m = got.metrics
    assert m is not None
    assert m.mem_limit.value == 64 * 1024 * 1024
    assert m.pids.value == 1
    assert 0 < (m.mem_used.value or 0) < 64 * 1024 * 1024
    assert c.id in m.cgroup_dir
    assert "memory.limit_in_bytes" in m.mem_limit.source or "memory.max" in m.mem_limit.source
    assert snap.mode == "local"
    assert snap.host.root


async def test_stop_and_remove_follow_the_event(make_container) -> None:
    """With a 30 s interval only the events stream can refresh the list, so each change seen
    here arrived through exactly one Docker event."""
    c = make_container()
    async with Recorder(Hub(HubConfig(interval=30.0))) as rec:
        await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "running")
        await asyncio.to_thread(c.kill)
        snap = await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "exited",
                                  timeout=5)
        got = snap.container(c.id)
        assert got is not None and got.exit_code.value == 137 and got.metrics is None
        assert any(e.action == "die" and e.actor_id == c.id for e in snap.events)
        await asyncio.to_thread(c.remove)
        snap = await rec.wait_for(lambda s: s.container(c.id) is None, timeout=5)
        assert any(e.action == "destroy" and e.actor_id == c.id for e in snap.events)


async def test_pause_and_rename_follow_the_event(make_container) -> None:
    c = make_container()
    async with Recorder(Hub(HubConfig(interval=30.0))) as rec:
        await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "running")
        await asyncio.to_thread(c.pause)
        await rec.wait_for(lambda s: s.container(c.id).state.value == "paused", timeout=5)
        await asyncio.to_thread(c.unpause)
        await rec.wait_for(lambda s: s.container(c.id).state.value == "running", timeout=5)
        await asyncio.to_thread(c.rename, c.name + "-renamed")
        snap = await rec.wait_for(lambda s: s.container(c.id).name.value == c.name + "-renamed", timeout=5)
        assert snap.container(c.id).pid.source.endswith(f"{c.name}-renamed")


async def test_resync_after_the_event_stream_breaks(make_container) -> None:
    async with Recorder(Hub(HubConfig(interval=30.0))) as rec:
        await rec.wait_for(lambda s: s.engine is not None)
        reader = rec.hub._reader
        assert reader is not None and reader._stream is not None
        reader._stream.close()  # the daemon dropping us looks like this from the reader
        await asyncio.sleep(0.2)
        c = await asyncio.to_thread(make_container)
        snap = await rec.wait_for(lambda s: (x := s.container(c.id)) is not None and x.state.value == "running")
        assert snap.engine is not None


async def test_selected_container_files(make_container) -> None:
    c = make_container()
    hub = Hub(HubConfig(interval=0.5))
    hub.select(c.id)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: s.files_of(c.id) is not None)
    names = {f.name for f in snap.files_of(c.id) or ()}
    assert {"config.v2.json", "hostconfig.json", "hostname", "hosts", "resolv.conf",
            f"{c.id}-json.log"} <= names
    cfg = next(f for f in snap.files_of(c.id) or () if f.name == "config.v2.json")
    view = hub.read_file(cfg.path, cfg.kind)
    assert view.error == "" and c.id in view.text and view.text.startswith("{\n")
    assert hub.read_file("/etc/shadow", "text").error  # only files the snapshot listed


def test_snapshot_json_cli(make_container) -> None:
    c = make_container(name=f"itui-cli-{os.getpid()}")
    out = subprocess.run([sys.executable, "-m", "tui.cli", "snapshot", "--json", "--container", c.name],
                         capture_output=True, text=True, timeout=60, cwd=REPO, check=True)
    snap = snapshot_from_jsonable(json.loads(out.stdout))
    got = snap.container(c.id)
    assert got is not None and got.state.value == "running" and got.pid.value > 0
    assert got.metrics is not None and got.metrics.cpu_percent.value is not None
    assert snap.files_of(c.id)
    assert snap.engine is not None and snap.engine.server_version.value


def test_snapshot_cli_without_engine() -> None:
    env = dict(os.environ, DOCKER_HOST="unix:///nonexistent/docker.sock")
    out = subprocess.run([sys.executable, "-m", "tui.cli", "snapshot", "--json"], env=env,
                         capture_output=True, text=True, timeout=60, cwd=REPO)
    assert out.returncode == 1
    snap = snapshot_from_jsonable(json.loads(out.stdout))
    assert snap.engine is None and snap.mode == "no-engine"
    assert snap.endpoint == "unix:///nonexistent/docker.sock" and snap.engine_error


def test_non_root_user_in_docker_group(make_container, tmp_path) -> None:
    """A docker-group user gets API data and metrics; root-only views say they need root."""
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
    snap = snapshot_from_jsonable(json.loads(out.stdout))
    assert not snap.host.root and snap.host.uid == 65534
    got = snap.container(c.id)
    assert got is not None and got.pid.value > 0
    assert got.metrics is not None and got.metrics.mem_used.value  # cgroup files are world-readable
    assert "needs root" in snap.disk_error
    assert not snap.host.can_read_namespaces


class _Forwarder(threading.Thread):
    """A TCP listener on loopback that relays to the engine's unix socket (a 'remote' engine)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.srv = socket.create_server(("127.0.0.1", 0))
        self.port = self.srv.getsockname()[1]

    def run(self) -> None:
        while True:
            try:
                conn, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        up = socket.socket(socket.AF_UNIX)
        up.connect("/var/run/docker.sock")
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
        up.connect("/var/run/docker.sock")
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
    """An engine that connects but refuses /containers/json is retried with backoff, not in a
    tight loop, and the snapshots say what went wrong."""
    fwd = _ListRefusingForwarder()
    fwd.start()
    try:
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{fwd.port}")
        async with Recorder(Hub(HubConfig(interval=0.5, environ=env))) as rec:
            snap = await rec.wait_for(lambda s: s.engine is None and "403" in s.engine_error)
            await asyncio.sleep(3.0)
        assert 1 <= fwd.refused <= 4, fwd.refused  # backoff 1 s, 2 s, ... (a tight loop: hundreds)
        assert snap.retry_in >= 1
    finally:
        fwd.srv.close()


async def test_remote_endpoint_is_api_only(make_container) -> None:
    c = make_container()
    fwd = _Forwarder()
    fwd.start()
    try:
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{fwd.port}")
        async with Recorder(Hub(HubConfig(interval=0.5, environ=env))) as rec:
            snap = await rec.wait_for(lambda s: s.container(c.id) is not None and s.engine is not None)
        assert snap.mode == "api-only"
        assert "remote endpoint" in snap.host.local_reason
        got = snap.container(c.id)
        assert got is not None and got.metrics is None and got.pid.value > 0
    finally:
        fwd.srv.close()
