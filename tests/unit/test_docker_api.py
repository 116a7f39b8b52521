"""Translation of Engine API answers into the model (no engine needed)."""

from __future__ import annotations

import pytest

from tui.backend.docker_api import (
    container_from_list, detail_from_inspect, event_from_api, qualify_image, resolve_endpoint,
)
from tui.backend.model import parse_docker_time


@pytest.mark.parametrize("ref,fq", [
    ("ubuntu", "docker.io/library/ubuntu:latest"),
    ("ubuntu:22.04", "docker.io/library/ubuntu:22.04"),
    ("docker.io/library/ubuntu:latest", "docker.io/library/ubuntu:latest"),
    ("user/app", "docker.io/user/app:latest"),
    ("mcr.microsoft.com/cbl-mariner/base/core:2.0", "mcr.microsoft.com/cbl-mariner/base/core:2.0"),
    ("localhost:5000/x", "localhost:5000/x:latest"),
    ("localhost/x:1", "localhost/x:1"),
    ("alpine@sha256:" + "a" * 64, "docker.io/library/alpine@sha256:" + "a" * 64),
    ("alpine:3@sha256:" + "b" * 64, "docker.io/library/alpine:3@sha256:" + "b" * 64),
    ("sha256:" + "c" * 64, "sha256:" + "c" * 64),
    ("0123456789ab", "0123456789ab"),
])
def test_qualify_image(ref: str, fq: str) -> None:
    assert qualify_image(ref) == fq


def test_resolve_endpoint_prefers_docker_host(tmp_path) -> None:
    assert resolve_endpoint({"DOCKER_HOST": "tcp://10.0.0.1:2376", "HOME": str(tmp_path)}) == "tcp://10.0.0.1:2376"
    assert resolve_endpoint({"HOME": str(tmp_path)}) == "unix:///var/run/docker.sock"


CID = "7f20ccb7daa9d824f30fd6ef34dba48713a29bb4f6869d78336be6a4932ef99b"
LIST_ITEM = {
    "Id": CID, "Names": ["/web"], "Image": "ubuntu", "Created": 1795950816,
    "State": "exited", "Status": "Exited (137) 2 minutes ago", "Labels": {"a": "[b]"},
}
INSPECT = {
    "Id": CID, "Name": "/web", "Created": "2026-11-29T11:13:36.206813635Z", "Image": "sha256:" + "8" * 64,
    "State": {"Status": "exited", "Pid": 0, "ExitCode": 137, "OOMKilled": True, "Error": "",
              "StartedAt": "2026-11-29T11:13:36.389618343Z", "FinishedAt": "2026-11-29T11:20:00Z"},
    "HostnamePath": f"/var/lib/docker/containers/{CID}/hostname",
    "LogPath": f"/var/lib/docker/containers/{CID}/{CID}-json.log",
    "RestartCount": 2,
    "Config": {"Image": "ubuntu", "Cmd": ["bash"], "Entrypoint": None, "Env": ["PATH=/bin"],
               "Labels": {"a": "[b]"}, "Hostname": "7f20ccb7daa9"},
    "HostConfig": {"Memory": 268435456, "MemorySwap": 536870912, "NanoCpus": 2000000000,
                   "PidsLimit": 100, "CpuShares": 0, "NetworkMode": "default",
                   "RestartPolicy": {"Name": "on-failure"}, "Runtime": "runc", "CgroupnsMode": "host"},
    "NetworkSettings": {
        "Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}], "443/tcp": None},
        "Networks": {"bridge": {"NetworkID": "n1", "IPAddress": "172.17.0.2", "IPPrefixLen": 16,
                                "Gateway": "172.17.0.1", "MacAddress": "02:42:ac:11:00:02"}}},
    "Mounts": [{"Type": "volume", "Name": "data", "Source": "/var/lib/docker/volumes/data/_data",
                "Destination": "/data", "RW": True, "Driver": "local"}],
    "GraphDriver": {"Name": "overlay2", "Data": {"UpperDir": "/var/lib/docker/overlay2/x/diff"}},
}


def test_container_from_list_with_inspect() -> None:
    c = container_from_list(LIST_ITEM, INSPECT)
    assert (c.name.value, c.state.value, c.exit_code.value, c.pid.value) == ("web", "exited", 137, 0)
    assert c.image_fq == "docker.io/library/ubuntu:latest"
    assert c.started_at is None  # not running: no uptime
    assert c.pid.source == "docker inspect -f '{{.State.Pid}}' web"
    d = c.detail
    assert d is not None
    assert d.limits.memory.value == 268435456 and d.limits.cpus == 2.0 and d.limits.pids_limit.value == 100
    assert d.limits.memory.source == "docker inspect -f '{{.HostConfig.Memory}}' web"
    assert d.restart_count.value == 2 and d.restart_policy == "on-failure" and d.oom_killed
    assert [(p.container_port, p.host_port) for p in d.ports] == [("443/tcp", ""), ("80/tcp", "8080")]
    assert d.networks[0].ip_address == "172.17.0.2" and d.networks[0].prefix_len == 16
    assert d.mounts[0].name == "data" and d.mounts[0].rw
    assert d.container_dir.value == f"/var/lib/docker/containers/{CID}"
    assert d.graph_driver == "overlay2"


def test_container_from_list_before_inspect() -> None:
    c = container_from_list(LIST_ITEM, None)
    assert c.exit_code.value == 137 and c.detail is None and c.pid.value == 0


def test_containerd_store_inspect_has_storage_not_graphdriver() -> None:
    i = dict(INSPECT)
    del i["GraphDriver"]
    i["Storage"] = {"RootFS": {"Snapshot": {"Name": "overlayfs"}}}
    assert detail_from_inspect(i).graph_driver == "overlayfs"


def test_names_with_shell_metacharacters_are_quoted() -> None:
    i = dict(INSPECT, Name="/we b;rm")
    d = detail_from_inspect(i)
    assert d.limits.memory.source.endswith("'we b;rm'")


def test_event_translation() -> None:
    ev = event_from_api(7, {"Type": "container", "Action": "exec_start: sh -c x", "Actor": {
        "ID": CID, "Attributes": {"name": "web", "image": "ubuntu"}}, "time": 1, "timeNano": 1_000_000_123})
    assert (ev.seq, ev.type, ev.action, ev.actor_id, ev.name) == (7, "container", "exec_start: sh -c x", CID, "web")
    assert ev.time_nano == 1_000_000_123


def test_parse_docker_time() -> None:
    assert parse_docker_time("0001-01-01T00:00:00Z") is None
    assert parse_docker_time("") is None
    assert parse_docker_time("2026-11-29T11:13:36.206813635Z") == pytest.approx(1795950816.206813)
    assert parse_docker_time("2026-11-29T12:13:36.5+01:00") == pytest.approx(1795950816.5)
