"""What differs between rootful Docker, rootless Docker and Podman, on recorded API answers.

The version/info answers are trimmed from the real engines on this machine (Docker 20.10.24,
rootless Docker 20.10.24 with rootlesskit, Podman 4.3.1 through its Docker-compatible API);
the integration tests run the same code against the live engines.
"""

from __future__ import annotations

import os

import pytest

from tui.backend.cgroups import _container_level, container_names
from tui.backend.docker_api import engine_from_api
from tui.backend.model import HostInfo
from tui.backend.probe import probe_engine_access
from tui.backend.procfs import HostPaths
from tui.cli import main

HOST = HostInfo(root=True, cgroup_mode="hybrid")
DOCKER_VERSION = {"Version": "20.10.24+dfsg1", "ApiVersion": "1.41", "Components": [
    {"Name": "Engine", "Version": "20.10.24+dfsg1"}, {"Name": "containerd", "Version": "1.6.20~ds1"}]}
PODMAN_VERSION = {"Version": "4.3.1", "ApiVersion": "1.41", "Components": [
    {"Name": "Podman Engine", "Version": "4.3.1"}, {"Name": "Conmon", "Version": "conmon version 2.1.6"},
    {"Name": "OCI Runtime (runc)", "Version": "runc version 1.1.5+ds1"}]}
ROOTLESS_INFO = {"Driver": "overlay2", "CgroupDriver": "none", "CgroupVersion": "1",
                 "DockerRootDir": "/home/itui-rootless/.local/share/docker",
                 "SecurityOptions": ["name=seccomp,profile=default", "name=rootless"]}


def test_podman_is_named_podman() -> None:
    podman = engine_from_api("unix:///run/podman/podman.sock", PODMAN_VERSION,
                             {"Driver": "overlay", "CgroupDriver": "cgroupfs", "CgroupVersion": "1"})
    docker = engine_from_api("unix:///var/run/docker.sock", DOCKER_VERSION, {"Driver": "overlay2"})
    assert (podman.product, docker.product) == ("Podman", "Docker")
    assert [c.name for c in podman.server_components] == ["Podman Engine", "Conmon", "OCI Runtime (runc)"]


def test_rootless_docker_without_cgroups_is_local(tmp_path) -> None:
    """Rootless Docker on cgroup v1 leaves the container in its starter's cgroup, so the cgroup
    cannot name the container: a PID that exists here still makes the engine local."""
    proc = tmp_path / "proc"
    (proc / "4242").mkdir(parents=True)
    (proc / "4242" / "cgroup").write_text("12:pids:/\n4:memory:/user.slice\n0::/\n")
    paths = HostPaths(proc=str(proc))
    cid = "a664f71232eb" + "0" * 52
    rootless = engine_from_api("unix:///run/user/1001/docker.sock", DOCKER_VERSION, ROOTLESS_INFO)
    assert rootless.rootless
    host = probe_engine_access(paths, HOST, rootless.endpoint, rootless, [(cid, 4242)])
    assert host.local and host.local_reason == ""
    rootful = engine_from_api("unix:///var/run/docker.sock", DOCKER_VERSION, {"CgroupDriver": "cgroupfs"})
    host = probe_engine_access(paths, HOST, rootful.endpoint, rootful, [(cid, 4242)])
    assert not host.local and "does not name container" in host.local_reason
    gone = probe_engine_access(paths, HOST, rootless.endpoint, rootless, [(cid, 999999)])
    assert not gone.local and "not found" in gone.local_reason


@pytest.mark.parametrize("path", [
    "/docker/{cid}", "/system.slice/docker-{cid}.scope", "/libpod_parent/libpod-{cid}",
    "/machine.slice/libpod-{cid}.scope/container",
])
def test_container_cgroup_names_of_each_engine(path: str) -> None:
    cid = "e3db4871107443c8ea8acd1fcd07691961d03265847efc76bcfe2d029f46a930"
    found = _container_level(path.format(cid=cid), container_names(cid))
    assert found is not None and os.path.basename(found).removeprefix("libpod-").removeprefix("docker-") \
        .removesuffix(".scope") == cid


def test_version_names_the_app_and_the_sdk(capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("internals-tui ") and "docker SDK (python) " in out and "default API " in out


def test_one_container_with_a_lost_process_does_not_make_the_engine_remote(tmp_path) -> None:
    """Podman says ``running`` for a container whose conmon was killed, with a PID that is gone;
    a container may also exit between the list and the probe. Another running container whose
    cgroup names it proves the engine local; with only such containers it is API-only."""
    proc = tmp_path / "proc"
    cid = "1a288c7f6fc4" + "1" * 52
    (proc / "4242").mkdir(parents=True)
    (proc / "4242" / "cgroup").write_text(f"12:pids:/libpod_parent/libpod-{cid}\n0::/\n")
    paths = HostPaths(proc=str(proc))
    podman = engine_from_api("unix:///run/podman/podman.sock", PODMAN_VERSION,
                             {"Driver": "overlay", "CgroupDriver": "cgroupfs", "CgroupVersion": "1",
                              "DockerRootDir": "/var/lib/containers/storage"})
    lost = ("4be0c5f4c1ef" + "2" * 52, 999999)
    host = probe_engine_access(paths, HOST, podman.endpoint, podman, [lost, (cid, 4242)])
    assert host.local and host.local_reason == ""
    only_lost = probe_engine_access(paths, HOST, podman.endpoint, podman, [lost, ("9" * 64, 999998)])
    assert not only_lost.local and only_lost.local_reason.startswith("/proc/999999 not found")
    stored = tmp_path / "var/lib/containers/storage/overlay-containers" / lost[0]
    stored.mkdir(parents=True)
    paths = HostPaths(proc=str(proc), docker=str(tmp_path / "var/lib/containers/storage"))
    assert probe_engine_access(paths, HOST, podman.endpoint, podman, [lost]).local
