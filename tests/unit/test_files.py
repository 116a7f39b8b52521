"""Bounded, read-only access to container files: only regular files, never through links."""

from __future__ import annotations

import json
import os

from tui.backend.files import format_json_log, list_container_dir, read_container_file


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
