"""The ``logs`` source on each real engine: stdout and stderr told apart, new lines only,
a TTY's one stream, a log driver that cannot be read, untrusted text kept as the container wrote it."""

from __future__ import annotations

import asyncio
import json

from tui.backend.model import Snapshot
from tui.backend.model.logs import TAIL, LogView
from tui.backend.serial import snapshot_from_jsonable, to_jsonable
from tui.backend.sources import VALUE_TYPES

from integration.test_hub import Recorder, hub_for

CHATTY = "i=0; while :; do echo out $i; echo err $i >&2; i=$((i+1)); sleep 0.2; done"


def logs_of(cid: str):
    def view(s: Snapshot) -> LogView | None:
        r = s.result("logs")
        return r.value if r is not None and r.key == cid and isinstance(r.value, LogView) else None
    return view


async def recorded(engine, cid: str, pred, timeout: float = 15.0) -> Snapshot:
    async with Recorder(hub_for(engine, 0.5)) as rec:
        rec.hub.select(cid)
        rec.hub.want(["logs"])
        return await rec.wait_for(pred, timeout)


async def test_stdout_and_stderr_marked_and_followed_without_repeats(engine, make_container) -> None:
    c = make_container(command=["sh", "-c", CHATTY])
    view = logs_of(c.id)
    async with Recorder(hub_for(engine, 0.5)) as rec:
        rec.hub.select(c.id)
        rec.hub.want(["logs"])
        first = view(await rec.wait_for(lambda s: (v := view(s)) is not None and len(v.lines) >= 4))
        later = view(await rec.wait_for(lambda s: (v := view(s)) is not None and len(v.lines) >= len(first.lines) + 6))
    opened = next(v for s in rec.snaps if (v := view(s)) is not None)
    assert opened.source == f"docker logs --timestamps --tail {TAIL} {c.name}"
    assert later.source.startswith("docker logs --timestamps --since ") and later.source.endswith(c.name)
    assert not later.tty and later.reading == first.reading and later.running
    assert [line.seq for line in later.lines] == list(range(1, len(later.lines) + 1))
    assert later.lines[:len(first.lines)] == first.lines, "what was read stays; new lines are appended"
    by_stream = {line.text: line.stream for line in later.lines}
    assert len(by_stream) == len(later.lines), "no line twice (the since boundary is deduplicated)"
    n = max(int(t.split()[1]) for t in by_stream if t.startswith("err "))
    for i in range(n):
        assert by_stream.get(f"out {i}") == "stdout" and by_stream.get(f"err {i}") == "stderr", i
    assert all(line.time for line in later.lines)
    back = snapshot_from_jsonable(json.loads(json.dumps(to_jsonable(rec.snaps[-1]))), VALUE_TYPES)
    assert back.result("logs") == rec.snaps[-1].result("logs"), "snapshot --json and replay keep the lines"


async def test_a_tty_container_has_one_stream(engine, make_container) -> None:
    c = make_container(command=["sh", "-c", "echo to-out; echo to-err >&2; sleep 100000"], tty=True)
    view = logs_of(c.id)
    v = view(await recorded(engine, c.id, lambda s: (v := view(s)) is not None and len(v.lines) >= 2))
    assert v.tty
    assert [(line.stream, line.text) for line in v.lines] == [("tty", "to-out"), ("tty", "to-err")]


async def test_hostile_output_is_kept_as_written(engine, make_container) -> None:
    c = make_container(command=["sh", "-c", r"printf '\033[31m[bold]x[/bold]\n'; sleep 100000"])
    view = logs_of(c.id)
    v = view(await recorded(engine, c.id, lambda s: (v := view(s)) is not None and len(v.lines) >= 1))
    assert [(line.stream, line.text) for line in v.lines] == [("stdout", "\x1b[31m[bold]x[/bold]")]


async def test_a_stopped_container_keeps_its_lines(engine, make_container) -> None:
    c = make_container(command=["sh", "-c", "echo one; echo two >&2"])
    await asyncio.to_thread(c.wait, timeout=30)
    view = logs_of(c.id)
    v = view(await recorded(engine, c.id, lambda s: (v := view(s)) is not None and len(v.lines) >= 2))
    assert not v.running
    assert sorted((line.stream, line.text) for line in v.lines) == [("stderr", "two"), ("stdout", "one")]


async def test_a_log_driver_that_cannot_be_read_says_so(engine, make_container) -> None:
    c = make_container(log_config={"type": "none"})

    def said(s: Snapshot) -> bool:
        r = s.result("logs")
        return r is not None and r.key == c.id and bool(r.error)

    r = (await recorded(engine, c.id, said)).result("logs")
    assert r.unavailable and r.value is None
    assert r.error.startswith("the engine cannot read its logs (log driver none): ")
    assert "not" in r.error.split(": ", 1)[1]  # the engine's own words: "does not support reading"
