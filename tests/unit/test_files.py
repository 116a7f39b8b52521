"""Bounded, read-only access to container files: only regular files, never through links."""

from __future__ import annotations

import json
import os

import pytest

from tui.backend.collect import Context, SourceState, Unavailable
from tui.backend.files import (
    collect_disk_files, collect_file, format_json_log, list_container_dir, read_container_file,
)
from tui.backend.model import (
    Container, ContainerDetail, EngineInfo, FileRequest, Limits, SourceResult, Sourced,
)
from tui.backend.procfs import HostPaths


def test_pretty_json(tmp_path) -> None:
    p = tmp_path / "config.v2.json"
    p.write_text('{"b":1,"a":{"c":[1,2]}}')
    v = read_container_file(str(p), "json")
    assert v.error == "" and v.text == json.dumps({"a": {"c": [1, 2]}, "b": 1}, indent=2, sort_keys=True)
    assert v.source.startswith("jq . ")


def test_log_tail_drops_partial_line(tmp_path) -> None:
    p = tmp_path / "x-json.log"
    lines = [json.dumps({"log": f"line {i}\n", "stream": "stdout", "time": "2026-11-29T11:13:36.1Z"})
             for i in range(2000)]
    p.write_text("\n".join(lines) + "\n")
    v = read_container_file(str(p), "log", max_bytes=4096)
    assert v.truncated and v.size == p.stat().st_size
    out = v.text.splitlines()
    assert out[-1].endswith("line 1999")
    assert all(" stdout " in line for line in out)  # no half-parsed first line
    assert v.source.startswith("tail -c 4096 ")


def test_refuses_fifo_symlink_and_device(tmp_path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert "not a regular file" in read_container_file(str(fifo), "text").error
    secret = tmp_path / "secret"
    secret.write_text("s")
    link = tmp_path / "hosts"
    link.symlink_to(secret)
    assert read_container_file(str(link), "text").error  # O_NOFOLLOW
    assert read_container_file("/dev/zero", "text").error


def test_json_log_format_keeps_bad_lines() -> None:
    data = b'{"log":"hi\\n","stream":"stderr","time":"2026-11-29T11:13:36.123456789Z"}\nnot json\n'
    assert format_json_log(data).splitlines() == ["2026-11-29T11:13:36.123 stderr hi", "not json"]


def test_list_container_dir(tmp_path) -> None:
    (tmp_path / "hostconfig.json").write_text("{}")
    (tmp_path / "abc-json.log").write_text("")
    (tmp_path / "mounts").mkdir()
    files = list_container_dir(str(tmp_path))
    assert [(f.name, f.kind, f.size) for f in files] == [
        ("abc-json.log", "log", 0), ("hostconfig.json", "json", 2), ("mounts/", "dir", None)]


# ---------------------------------------------------------------- the sources, over a fixture data root

FIXTURE_ROOT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "hosts", "docker-root")
CID = "5d41402abc4b2a76b9719d911017c592aa8f5c2e6a5d2d6a0b7c3f0e9d8c7b6a"
CDIR = f"/var/lib/docker/containers/{CID}"


def _ctx(container_dir: str = CDIR, **kw: object) -> Context:
    detail = ContainerDetail(**_DETAIL, container_dir=Sourced(container_dir))  # type: ignore[arg-type]
    web = Container(id=CID, name=Sourced("web"), image=Sourced("itui/mini"), image_fq="", state=Sourced("running"),
                    status="", created=0, detail=detail)
    engine = EngineInfo(endpoint="", server_version=Sourced("20.10"), api_version=Sourced("1.41"),
                        docker_root_dir=Sourced("/var/lib/docker"))
    return Context(paths=HostPaths(docker=FIXTURE_ROOT), interval=1.0, endpoint="", engine=engine,
                   containers=(web,), selected=web, **kw)  # type: ignore[arg-type]


_DETAIL = dict(
    image_id=Sourced(""), command=Sourced(()), entrypoint=Sourced(()), created=Sourced(""),
    started_at=Sourced(""), finished_at=Sourced(""), restart_count=Sourced(0), restart_policy="no",
    oom_killed=False, error="", hostname="", user="", working_dir="", network_mode=Sourced(""),
    cgroup_parent="", cgroupns_mode="", runtime="runc", privileged=False, limits=Limits(), ports=(),
    mounts=(), networks=(), graph_driver="overlay2", graph_data=(), log_path="")


def test_disk_files_are_read_from_an_injected_data_root() -> None:
    """``HostPaths(docker=…)`` stands in for ``DockerRootDir``: the files are listed from the
    fixture tree, and named by their real host paths (what the user can type)."""
    files = collect_disk_files(_ctx(), SourceState())
    by_name = {f.name: f for f in files}
    assert {"config.v2.json", "hostconfig.json", "hostname", "hosts", "resolv.conf", f"{CID}-json.log",
            "checkpoints/", "mounts/"} <= set(by_name)
    assert by_name["hostname"].path == f"{CDIR}/hostname" and by_name["hostname"].size == 13
    assert by_name["mounts/"].kind == "dir" and by_name[f"{CID}-json.log"].kind == "log"


def test_file_source_reads_only_listed_files_through_the_data_root() -> None:
    files = collect_disk_files(_ctx(), SourceState())
    listing = SourceResult("disk_files", files, runs=1, key=CID)
    log = collect_file(_ctx(results={"disk_files": listing}, arg=FileRequest(f"{CDIR}/{CID}-json.log", "log")),
                       SourceState())
    assert log.error == "" and log.path == f"{CDIR}/{CID}-json.log"
    assert log.text.splitlines() == ["2026-11-29T11:19:13.600 stdout hello from web",
                                     "2026-11-29T11:19:14.000 stderr [bold]not markup[/bold]\x1b[31m"]
    assert log.source == f"tail -c 524288 {CDIR}/{CID}-json.log"
    other = collect_file(_ctx(results={"disk_files": listing}, arg=FileRequest("/etc/shadow", "text")), SourceState())
    assert other.error == "not one of the selected container's files" and other.text == ""


def test_disk_files_say_why_when_they_cannot() -> None:
    missing = "/var/lib/docker/containers/" + "0" * 64
    with pytest.raises(Unavailable, match="not found on this host"):
        collect_disk_files(_ctx(container_dir=missing), SourceState())
    with pytest.raises(Unavailable, match="did not report"):
        collect_disk_files(_ctx(container_dir=""), SourceState())
