"""Our cgroup-based CPU%, memory and PIDs agree with ``docker stats`` on the real engine.

Starts its own containers from ``itui/mini:latest`` (labelled ``internals-tui.test=1``), resolves
their cgroups from ``State.Pid`` with the backend functions, samples twice about a second apart and
compares with ``docker stats --no-stream`` taken over the same window. Only the containers created
here are removed. Skipped only when no Docker engine answers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tui.backend.cgroup_stats import cpu_percent, effective_memory_limit, memory_used, read_cgroup_sample
from tui.backend.cgroups import ContainerCgroup, cgroup_from_driver, cgroup_mounts, resolve_container_cgroup
from tui.backend.procfs import HostPaths, read_mem_total, read_mountinfo, read_system_cpu

docker = pytest.importorskip("docker")

pytestmark = pytest.mark.engine

IMAGE = "itui/mini:latest"
LABELS = {"internals-tui.test": "1"}
DOCKER_CLI = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else (shutil.which("docker") or "docker")
UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
         "kB": 1000, "MB": 1000**2, "GB": 1000**3}


@dataclass
class Started:
    cid: str
    name: str
    pid: int


@pytest.fixture(scope="module")
def containers(engine: Any, docker_client: docker.DockerClient) -> Iterator[dict[str, Started]]:
    engine.skip_unless("docker", why=(
        "rootless Docker on cgroup v1 gives containers no cgroup (docker stats reads the starter's)"
        if engine.name == "rootless" else
        "docker stats against Podman's API cuts the first letter of each name (its stats JSON has no "
        "leading '/'), so its rows cannot be matched; Podman's cgroup figures are checked in test_hub"))
    tag = f"{os.getpid()}-{int(time.time())}"
    specs = {
        "cpu": dict(command=["sh", "-c", "while :; do :; done"], nano_cpus=200_000_000),
        "mem": dict(command=["sh", "-c",
                             "dd if=/dev/zero of=/dev/shm/x bs=1M count=20 2>/dev/null; "
                             "head -c 8m /dev/zero >/dev/null; exec sleep 1000"],
                    mem_limit="128m", pids_limit=50),
    }
    made: list[str] = []
    try:
        out: dict[str, Started] = {}
        for key, spec in specs.items():
            c = docker_client.containers.run(IMAGE, name=f"itui-parity-{key}-{tag}", labels=LABELS,
                                      detach=True, **spec)
            made.append(c.id)
            c.reload()
            out[key] = Started(cid=c.id, name=c.name, pid=int(c.attrs["State"]["Pid"]))
        time.sleep(1.5)  # let the busy loop reach its quota and the dd finish
        yield out
    finally:
        for cid in made:
            try:
                docker_client.api.remove_container(cid, force=True)
            except docker.errors.NotFound:
                pass


def _resolve(docker_client: docker.DockerClient, c: Started) -> ContainerCgroup:
    paths = HostPaths()
    mounts = cgroup_mounts(read_mountinfo(paths))
    cg = resolve_container_cgroup(paths, mounts, c.pid, c.cid)
    assert cg is not None, f"could not resolve the cgroup of {c.name} from /proc/{c.pid}/cgroup"
    fallback = cgroup_from_driver(paths, mounts, docker_client.info().get("CgroupDriver", ""), "", c.cid)
    assert fallback is not None
    assert (fallback.version, fallback.dirs) == (cg.version, cg.dirs)
    return cg


def _size(text: str) -> float:
    m = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]+)\s*", text)
    assert m, f"unexpected size {text!r}"
    return float(m.group(1)) * UNITS[m.group(2)]


def _docker_stats(names: list[str], result: dict[str, dict[str, str]]) -> None:
    proc = subprocess.run([DOCKER_CLI, "stats", "--no-stream", "--format", "{{json .}}", *names],
                          capture_output=True, text=True, timeout=60, check=True)
    for line in proc.stdout.splitlines():
        if line.strip():
            row = json.loads(line)
            result[row["Name"]] = row


def test_stats_parity(docker_client: docker.DockerClient, containers: dict[str, Started]) -> None:
    paths = HostPaths()
    cgs = {key: _resolve(docker_client, c) for key, c in containers.items()}
    mem_total = read_mem_total(paths)

    theirs: dict[str, dict[str, str]] = {}
    runner = threading.Thread(target=_docker_stats,
                              args=([c.name for c in containers.values()], theirs))
    runner.start()
    first = {k: read_cgroup_sample(paths, cg) for k, cg in cgs.items()}
    sys0, online = read_system_cpu(paths)
    time.sleep(1.0)
    second = {k: read_cgroup_sample(paths, cg) for k, cg in cgs.items()}
    sys1, _ = read_system_cpu(paths)
    runner.join(timeout=90)
    assert set(theirs) == {c.name for c in containers.values()}, "docker stats gave no rows"

    cpu: dict[str, float] = {}
    for key, c in containers.items():
        a, b = first[key], second[key]
        assert a.cpu_total_ns is not None and b.cpu_total_ns is not None
        ours_cpu = cpu_percent((a.cpu_total_ns, sys0), (b.cpu_total_ns, sys1), online)
        row = theirs[c.name]
        their_cpu = float(row["CPUPerc"].rstrip("%"))
        assert ours_cpu is not None
        cpu[key] = ours_cpu
        assert abs(ours_cpu - their_cpu) <= 2.0, (key, ours_cpu, their_cpu)

        used = memory_used(b)
        assert used is not None
        their_used_s, their_limit_s = row["MemUsage"].split("/")
        their_used = _size(their_used_s)
        assert abs(used - their_used) <= 0.05 * their_used, (key, used, row["MemUsage"])

        limit = effective_memory_limit(b.mem_limit, mem_total)
        assert abs(limit - _size(their_limit_s)) <= 0.005 * limit, (key, limit, row["MemUsage"])
        assert str(b.pids) == row["PIDs"], (key, b.pids, row["PIDs"])
        print(f"{key}: ours cpu={ours_cpu:.2f}% mem={used} limit={limit} pids={b.pids} | "
              f"docker {row['CPUPerc']} {row['MemUsage']} pids={row['PIDs']}")

    assert 5.0 < cpu["cpu"] <= 22.0, "the --cpus=0.2 busy loop should show up, capped near 20 %"
    assert second["mem"].mem_limit == 128 * 1024**2
    assert second["mem"].pids_limit == 50
    assert (memory_used(second["mem"]) or 0) >= 20 * 1024**2
    assert all(cmd.split()[-1].startswith("/sys/fs/cgroup/") for cmd in second["cpu"].sources.values())
