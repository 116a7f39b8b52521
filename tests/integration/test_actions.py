"""Container actions through the real engines' APIs (the ``action`` source), each checked by
asking the engine afterwards; only containers made here are touched."""

from __future__ import annotations

import os
import tarfile
from typing import Any

import pytest
from docker.types import Mount

from tui.backend.actions import EXEC_OUTPUT_MAX, _no_specials, run_action
from tui.backend.collect import Context, SourceState, Unavailable
from tui.backend.model.actions import Action, ActionResult
from tui.backend.procfs import HostPaths

from conftest import TEST_IMAGE as IMAGE, Engine


def act(engine: Engine, action: Action) -> ActionResult:
    ctx = Context(paths=HostPaths(), interval=1.0, endpoint=engine.host, api=engine.client.api, arg=action)
    return run_action(ctx, SourceState())


def state(c: Any) -> str:
    c.reload()
    return str(c.attrs["State"]["Status"])


def test_stop_start_pause_restart_kill(engine, make_container) -> None:
    c = make_container()
    name = c.name
    r = act(engine, Action("stop", c.id, name))
    assert r.ok and r.message == f"stopped {name}" and state(c) == "exited"
    assert act(engine, Action("start", c.id, name)).ok and state(c) == "running"
    if engine.name != "rootless":  # rootless on cgroup v1: no freezer of its own
        assert act(engine, Action("pause", c.id, name)).ok and state(c) == "paused"
        assert act(engine, Action("unpause", c.id, name)).ok and state(c) == "running"
    pid = c.attrs["State"]["Pid"]
    assert act(engine, Action("restart", c.id, name)).ok and state(c) == "running"
    assert c.attrs["State"]["Pid"] != pid
    r = act(engine, Action("kill", c.id, name, "SIGKILL"))
    assert r.ok and r.message == f"sent SIGKILL to {name}" and state(c) == "exited"
    assert c.attrs["State"]["ExitCode"] == 137


def test_run_like_the_walkthrough_from_a_local_image(engine, docker_client) -> None:
    """``docker run --name NAME -dit --memory=256m --cpus=2 IMAGE``: an imported image has no
    command, so it runs ``sh``; an image that is not here is not pulled."""
    name = f"itui-pilot-run-{os.getpid()}"
    try:
        r = act(engine, Action("run", "", name, IMAGE))
        assert r.ok, r.message
        c = docker_client.containers.get(name)
        assert c.status == "running" and c.attrs["Config"]["Tty"] and c.attrs["Config"]["Cmd"] == ["sh"]
        assert c.attrs["HostConfig"]["Memory"] == 256 * 1024 ** 2 and c.attrs["HostConfig"]["NanoCpus"] == 2 * 10 ** 9
        missing = act(engine, Action("run", "", name + "-x", "itui/not-here:never"))
        assert not missing.ok and "itui/not-here" in missing.message
    finally:
        for n in (name, name + "-x"):
            try:
                docker_client.containers.get(n).remove(force=True)
            except Exception:  # not made
                pass


def test_the_engines_error_is_the_answer(engine, make_container) -> None:
    """Starting a running container is no error for Docker; pausing a stopped one is: the
    engine's own words come back, not an exception."""
    c = make_container(start=False)
    r = act(engine, Action("pause", c.id, c.name))
    assert not r.ok and r.message.startswith(f"docker pause {c.name}: ") and "not running" in r.message.lower()
    bad = act(engine, Action("kill", c.id, c.name, "SIGNOPE"))
    assert not bad.ok and "unknown signal" in bad.message


def test_rename_and_remove_with_its_volume(engine, make_container) -> None:
    c = make_container(mounts=[Mount("/data", None, type="volume")])  # an anonymous volume
    new = c.name + "-renamed"
    assert act(engine, Action("rename", c.id, c.name, new)).ok
    c.reload()
    assert c.name == new
    vol = next(m["Name"] for m in c.attrs["Mounts"] if m["Destination"] == "/data")
    r = act(engine, Action("remove", c.id, new, "volumes"))
    assert r.ok and "anonymous volumes" in r.message
    names = {v.name for v in engine.client.volumes.list()}
    assert vol not in names
    with pytest.raises(Exception):
        c.reload()


def test_exec_output_and_exit_code(engine, make_container) -> None:
    c = make_container()
    r = act(engine, Action("exec", c.id, c.name, "sh -c 'echo out; echo err >&2; exit 3'"))
    assert not r.ok and r.exit_code == 3 and "exit code 3" in r.message
    assert set(r.output.split()) == {"out", "err"}
    big = act(engine, Action("exec", c.id, c.name, "yes"))
    assert big.ok and big.exit_code is None and len(big.output) == EXEC_OUTPUT_MAX and "cut at" in big.message
    act(engine, Action("exec", c.id, c.name, "pkill yes"))
    hostile = act(engine, Action("exec", c.id, c.name, "printf '\\033[2J[bold]x[/bold]'"))
    assert hostile.ok and hostile.output == "\x1b[2J[bold]x[/bold]"  # as printed; the screen makes it inert


def test_cp_out_into_a_directory_and_as_a_new_name(engine, make_container, tmp_path) -> None:
    c = make_container()
    c.exec_run(["sh", "-c", "mkdir -p /out/sub && echo hello > /out/sub/f && ln -s /etc/passwd /out/link"])
    r = act(engine, Action("cp", c.id, c.name, "/out", str(tmp_path)))
    assert r.ok, r.message
    assert (tmp_path / "out/sub/f").read_text() == "hello\n"
    assert os.readlink(tmp_path / "out/link") == "/etc/passwd"  # kept as a link, never followed
    r = act(engine, Action("cp", c.id, c.name, "/out/sub/f", str(tmp_path / "copy.txt")))
    assert r.ok and (tmp_path / "copy.txt").read_text() == "hello\n"
    again = act(engine, Action("cp", c.id, c.name, "/out/sub/f", str(tmp_path / "copy.txt")))
    assert not again.ok and "exists" in again.message
    for refused in ("/var/lib/docker/x", "/sys/fs/cgroup/x", "/proc/x"):
        r = act(engine, Action("cp", c.id, c.name, "/out/sub/f", refused))
        assert not r.ok and "will not write under" in r.message
    missing = act(engine, Action("cp", c.id, c.name, "/nope", str(tmp_path / "n")))
    assert not missing.ok and not (tmp_path / "n").exists()


@pytest.mark.parametrize("members", [
    [("x/../../escape", tarfile.REGTYPE, "")],
    [("out", tarfile.SYMTYPE, "/tmp"), ("out/escape", tarfile.REGTYPE, "")],  # through a link out
])
def test_cp_keeps_a_hostile_archive_inside_its_directory(tmp_path, members) -> None:
    """What a container could put in its archive never lands outside the destination."""
    evil = tmp_path / "evil.tar"
    with tarfile.open(evil, "w") as tar:
        for name, kind, link in members:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = kind, link
            tar.addfile(info)
    (tmp_path / "in").mkdir()
    with tarfile.open(evil) as tar, pytest.raises(tarfile.TarError):
        tar.extractall(tmp_path / "in", filter=_no_specials)
    assert not (tmp_path / "escape").exists() and not os.path.exists("/tmp/escape")


def test_cp_skips_device_nodes(tmp_path) -> None:
    info = tarfile.TarInfo("dev-null")
    info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
    assert _no_specials(info, str(tmp_path)) is None


def test_not_an_action_is_refused() -> None:
    with pytest.raises(Unavailable):
        run_action(Context(paths=HostPaths(), interval=1.0, endpoint="", api=object(), arg=Action("format-disk")),
                   SourceState())
