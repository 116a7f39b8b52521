"""The Cgroups pane's sources on the real engines: every limit a ``docker run`` flag sets, read
back from the file the kernel enforces; throttling and OOM kills counted as they happen; CPU %
and memory next to ``docker stats``; the host tree. Rootless Docker on cgroup v1 has no cgroup
of its own: the source says why instead of showing another cgroup's numbers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from typing import Any

import pytest

from tui.backend.model import Snapshot
from tui.backend.model.cg import CgroupView, HostCgroups

from conftest import Engine
from integration.test_hub import Recorder, hub_for

MIB = 1 << 20


def cg_of(s: Snapshot, cid: str) -> CgroupView | None:
    r = s.result("cgroup")
    return r.value if r is not None and r.key == cid and isinstance(r.value, CgroupView) else None


async def watch_cg(engine: Engine, cid: str, pred: Any = lambda v: True, timeout: float = 15.0,
                   interval: float = 0.5) -> CgroupView:
    hub = hub_for(engine, interval)
    hub.want(["cgroup"])
    hub.select(cid)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (v := cg_of(s, cid)) is not None and pred(v), timeout=timeout)
    value = cg_of(snap, cid)
    assert value is not None
    return value


async def cg_error(engine: Engine, cid: str) -> str:
    hub = hub_for(engine, 0.5)
    hub.want(["cgroup"])
    hub.select(cid)
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("cgroup")) is not None and r.key == cid and r.error)
    return snap.result("cgroup").error


def file_of(source: str) -> str:
    """The path a ``cat PATH`` / ``grep -w KEY PATH`` source names."""
    return source.split(" ; ")[0].split()[-1]


def read(path: str) -> str:
    with open(path, encoding="ascii") as fh:
        return fh.read().strip()


def block_device() -> tuple[str, str]:
    """A real disk of this host: ``(/dev/NAME, MAJ:MIN)``."""
    for name in sorted(os.listdir("/sys/block")):
        if not name.startswith(("loop", "ram", "zram", "nbd")):
            return f"/dev/{name}", read(f"/sys/block/{name}/dev")
    pytest.skip("no block device on this host")


def has_cgroups(engine: Engine) -> None:
    engine.skip_unless("docker", "podman", why="rootless Docker on cgroup v1 gives containers no cgroup "
                                               "(test_rootless_explains_why)")


LIMIT_CASES = {
    "memory": (dict(mem_limit="48m"), lambda v: (v.memory.limit, 48 * MIB)),
    "memory-reservation": (dict(mem_limit="48m", mem_reservation="24m"), lambda v: (v.memory.soft, 24 * MIB)),
    "memory-swap": (dict(mem_limit="48m", memswap_limit="96m"),
                    lambda v: (v.memory.swap, 96 * MIB if v.version == 1 else 48 * MIB)),
    "cpus": (dict(nano_cpus=500_000_000), lambda v: (v.cpu.quota_us, 50_000)),
    "cpu-period/quota": (dict(cpu_period=50_000, cpu_quota=25_000), lambda v: (v.cpu.quota_us, 25_000)),
    "cpu-shares": (dict(cpu_shares=512), lambda v: (v.cpu.weight, 512)),
    "pids-limit": (dict(pids_limit=42), lambda v: (v.pids_max, 42)),
}


@pytest.mark.parametrize("flag", list(LIMIT_CASES))
async def test_each_flag_reads_back_from_its_file(engine, make_container, flag) -> None:
    has_cgroups(engine)
    kwargs, pick = LIMIT_CASES[flag]
    c = make_container(**kwargs)
    v = await watch_cg(engine, c.id)
    value, want = pick(v)
    assert value.value == want
    assert value.raw == read(file_of(value.source)).split()[0]  # what the file says, and where
    assert c.id in value.source
    if flag == "cpu-period/quota":
        assert v.cpu.period_us.value == 50_000
    if flag == "cpus":
        assert v.cpu.period_us.value == 100_000


async def test_cpuset(engine, make_container) -> None:
    has_cgroups(engine)
    c = make_container(cpuset_cpus="0")
    v = await watch_cg(engine, c.id)
    assert v.cpu.cpuset_cpus.raw == "0" == read(file_of(v.cpu.cpuset_cpus.source))
    assert v.cpu.cpuset_effective.raw == "0"


async def test_device_read_bps(engine, make_container) -> None:
    has_cgroups(engine)
    dev, majmin = block_device()
    c = make_container(device_read_bps=[{"Path": dev, "Rate": MIB}])
    v = await watch_cg(engine, c.id, lambda v: any(d.device == majmin for d in v.io))
    d = next(d for d in v.io if d.device == majmin)
    assert ("rbps", MIB) in d.limits and d.name == dev.rsplit("/", 1)[-1]
    limits_file = d.limits_source.split(" (")[0].split()[-1]
    assert f"{majmin} {MIB}" in read(limits_file)


async def test_defaults_are_unlimited(engine, make_container) -> None:
    has_cgroups(engine)
    c = make_container()
    v = await watch_cg(engine, c.id)
    assert v.memory.limit.present and v.memory.limit.value is None  # 9223372036854771712 or max
    assert v.cpu.quota_us.value is None and v.cpu.quota_us.raw in ("-1", "max 100000")
    assert v.memory.host_total > 0 and v.version == 1 and v.mode == "hybrid"
    assert [p.pid for p in v.procs] == [v.init_pid] and v.procs[0].comm == "sleep"
    assert v.init_lines and all(line.directory for line in v.init_lines)
    memory_line = next(line for line in v.init_lines if ":memory:" in line.raw)
    assert memory_line.directory == v.directory and os.path.isdir(v.directory)
    assert v.shim_pid and v.shim_lines and v.shim_name in ("containerd-shim", "conmon")
    assert all(c.id not in line.raw for line in v.shim_lines)  # the shim is outside the container's cgroup
    assert {p.resource for p in v.pressure} == {"cpu", "memory", "io"}  # hybrid: PSI in the unified dir


async def test_throttling_and_cpu_percent_against_docker_stats(engine, make_container) -> None:
    has_cgroups(engine)
    engine.skip_unless("docker", why="docker stats cuts Podman's names; rows cannot be matched")
    c = make_container(nano_cpus=500_000_000, command=["sh", "-c", "while :; do :; done"])
    seen: list[int] = []

    def climbing(v: CgroupView) -> bool:
        seen.append(v.cpu.nr_throttled.value or 0)
        return len(v.cpu.history) >= 6 and (v.cpu.throttled_ratio.value or 0) > 0.3 and seen[-1] > seen[0] + 5

    v = await watch_cg(engine, c.id, climbing, timeout=20)
    ours = sum(v.cpu.history[-3:]) / 3
    out = subprocess.run(["docker", "-H", engine.host, "stats", "--no-stream", "--format", "{{json .}}", c.id],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    theirs = float(json.loads(out)["CPUPerc"].rstrip("%"))
    assert abs(ours - theirs) <= 2.0 and 45 <= ours <= 52
    assert any("throttled in" in n for n in v.notes)


async def test_memory_against_docker_stats_and_oom_kill(engine, make_container) -> None:
    has_cgroups(engine)
    engine.skip_unless("docker", why="docker stats cuts Podman's names; rows cannot be matched")
    hog = "sleep 1; tail /dev/zero; sleep 100000"  # tail keeps the one endless line: killed, alone
    c = make_container(mem_limit="32m", memswap_limit="32m", command=["sh", "-c", hog])
    v = await watch_cg(engine, c.id)
    oom_control = f"{v.directory}/memory.oom_control"
    for _ in range(300):  # the kernel's own counter first, so a slow OOM is not blamed on the app
        try:
            if "oom_kill 1" in read(oom_control):
                break
        except FileNotFoundError:
            c.reload()
            pytest.fail(f"the container exited before an OOM kill could be read: {c.attrs['State']}")
        await asyncio.sleep(0.1)
    else:
        pytest.fail(f"no OOM kill within 30 s: {read(oom_control)!r}")
    v = await watch_cg(engine, c.id, lambda v: dict(v.memory.events).get("oom_kill", 0) >= 1)
    assert "failcnt" in dict(v.memory.events) and "oom_kill" in v.memory.events_source.replace("oom_control", "oom_kill")
    assert v.memory.peak.value is not None and v.memory.peak.value > 24 * MIB  # tail reached the limit
    out = subprocess.run(["docker", "-H", engine.host, "stats", "--no-stream", "--format", "{{json .}}", c.id],
                         capture_output=True, text=True, check=True, timeout=30).stdout
    usage = json.loads(out)["MemUsage"].split(" / ")[0]
    num, unit = float(usage[:-3]), usage[-3:]
    theirs = num * {"KiB": 1 << 10, "MiB": MIB, "GiB": 1 << 30}[unit]
    v = await watch_cg(engine, c.id)
    assert v.memory.used.value is not None
    assert abs(v.memory.used.value - theirs) <= max(0.05 * theirs, 64 << 10)


async def test_stopped_and_gone(engine, make_container) -> None:
    has_cgroups(engine)
    c = make_container()
    v = await watch_cg(engine, c.id)
    c.kill()
    error = await cg_error(engine, c.id)
    assert ("exited: no cgroup" in error or error.startswith("gone")), error
    assert not os.path.exists(v.directory)


async def test_rootless_explains_why(engine, make_container) -> None:
    engine.skip_unless("rootless", why="only rootless Docker on cgroup v1 runs containers without a cgroup")
    c = make_container()
    error = await cg_error(engine, c.id)
    assert "rootless Docker on cgroup v1" in error and "no limit is enforced" in error


async def test_podman_cgroupfs_parent(engine, make_container) -> None:
    engine.skip_unless("podman", why="Podman's cgroupfs layout")
    c = make_container(mem_limit="40m")
    v = await watch_cg(engine, c.id)
    assert v.directory.endswith(f"/libpod_parent/libpod-{c.id}")
    assert v.memory.limit.value == 40 * MIB and v.shim_name == "conmon"


async def test_sub_cgroups_and_their_processes(engine, make_container) -> None:
    """A process moved into a sub-cgroup (as systemd or DinD inside a container do) is still
    listed, with its sub-cgroup; ``cgroup.procs`` is not hierarchical. The test, not the app,
    writes the cgroup tree."""
    engine.skip_unless("docker", why="one engine is enough for the layout")
    c = make_container(command=["sh", "-c", "sleep 100000 & exec sleep 100000"])
    v = await watch_cg(engine, c.id, lambda v: len(v.procs) == 2)
    child = next(p.pid for p in v.procs if p.pid != v.init_pid)
    sub = f"{v.directory}/sub"
    os.mkdir(sub)
    try:
        with open(f"{sub}/cgroup.procs", "w", encoding="ascii") as fh:
            fh.write(str(child))
        v = await watch_cg(engine, c.id, lambda v: "sub" in v.subgroups)
        assert [(p.pid, p.cgroup) for p in v.procs] == [(v.init_pid, ""), (child, "sub")]
    finally:
        c.remove(force=True)
        if os.path.isdir(sub):
            os.rmdir(sub)
            os.rmdir(v.directory)


async def test_host_tree(engine, make_container) -> None:
    engine.skip_unless("docker", why="the tree names the containers of the engine it is connected to")
    c = make_container()
    hub = hub_for(engine, 0.5)
    hub.want(["host_cgroups"])
    async with Recorder(hub) as rec:
        snap = await rec.wait_for(lambda s: (r := s.result("host_cgroups")) is not None
                                  and isinstance(r.value, HostCgroups)
                                  and any(n.label == c.name and n.cpu_percent is not None for n in r.value.nodes))
    value = snap.result("host_cgroups").value
    node = next(n for n in value.nodes if n.label == c.name)
    assert node.path == f"/docker/{c.id}" and node.procs == 1 and node.memory
    assert next(n for n in value.nodes if n.path == "/docker").label == "Docker's cgroupfs parent"
    assert value.controllers[0][0] == "/sys/fs/cgroup/unified" and value.mode == "hybrid"
    assert value.controllers[0][1] == read("/sys/fs/cgroup/unified/cgroup.controllers")


async def test_cgroup_parent_and_a_parents_lower_limit(engine, make_container) -> None:
    """``--cgroup-parent`` moves the container under another cgroup; a lower memory limit set on
    that parent (by the test: the app never writes) binds the container and is said."""
    engine.skip_unless("docker", why="--cgroup-parent with the cgroupfs driver (rootful Docker)")
    parent = f"itui-parent-{os.getpid()}"
    c = make_container(cgroup_parent=f"/{parent}", mem_limit="64m")
    try:
        v = await watch_cg(engine, c.id)
        assert v.directory == f"/sys/fs/cgroup/memory/{parent}/{c.id}" and v.memory.limit.value == 64 * MIB
        with open(f"/sys/fs/cgroup/memory/{parent}/memory.limit_in_bytes", "w", encoding="ascii") as fh:
            fh.write(str(48 * MIB))
        v = await watch_cg(engine, c.id, lambda v: v.memory.enforced.value == 48 * MIB)
        assert "hierarchical_memory_limit" in v.memory.enforced.source
    finally:
        c.remove(force=True)
        for d in os.listdir("/sys/fs/cgroup"):
            path = f"/sys/fs/cgroup/{d}/{parent}"
            if os.path.isdir(path) and not os.path.islink(f"/sys/fs/cgroup/{d}"):
                os.rmdir(path)


async def test_private_cgroupns_is_read_from_the_host(engine, make_container) -> None:
    """Inside, the container's /proc/self/cgroup says ``/``; the pane reads the host's view."""
    engine.skip_unless("docker", why="the setting is Docker's (Podman's default differs; rootless has no cgroups)")
    c = make_container(cgroupns="private", mem_limit="40m")
    inside = c.exec_run(["cat", "/proc/self/cgroup"]).output.decode()
    assert ":memory:/\n" in inside
    v = await watch_cg(engine, c.id)
    assert v.cgroupns.value == "private" and v.memory.limit.value == 40 * MIB
    assert any(line.raw.endswith(f":memory:/docker/{c.id}") for line in v.init_lines)
    assert any("cgroupns private" in n for n in v.notes)
