"""The hub's scheduler with fake sources and no engine: isolation, no overlap, events, visibility.

Every wait is bounded and waits for a condition (never a fixed sleep followed by a count).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tui.backend.collect import Context, Source, SourceState, Unavailable
from tui.backend.hub import Hub, HubConfig
from tui.backend.model import Snapshot

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent/itui-test.sock"}


class Probe:
    """A fake collector that counts its runs, tracks overlap, and can be held or made to fail."""

    def __init__(self, name: str, *, fail: BaseException | None = None, hold: threading.Event | None = None,
                 work_s: float = 0.0) -> None:
        self.name = name
        self.fail = fail
        self.hold = hold
        self.work_s = work_s
        self.runs = 0
        self.active = 0
        self.max_active = 0
        self.contexts: list[Context] = []
        self._lock = threading.Lock()

    def __call__(self, ctx: Context, state: SourceState) -> int:
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.runs += 1
            self.contexts.append(ctx)
        try:
            if self.hold is not None:
                self.hold.wait(30)
            if self.work_s:
                time.sleep(self.work_s)
            if self.fail is not None:
                raise self.fail
            return self.runs
        finally:
            with self._lock:
                self.active -= 1


def source(probe: Probe, **kw: Any) -> Source:
    kw.setdefault("needs_engine", False)
    kw.setdefault("always", True)
    return Source(probe.name, probe, int, **kw)


@asynccontextmanager
async def running(hub: Hub) -> Iterator[list[Snapshot]]:  # type: ignore[misc]
    snaps: list[Snapshot] = []
    task = asyncio.create_task(hub.run(snaps.append))
    try:
        yield snaps
    finally:
        hub.stop()
        await asyncio.wait_for(task, 10)


async def until(pred: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what or pred}")
        await asyncio.sleep(0.01)


def hub_of(*sources: Source, interval: float = 0.05) -> Hub:
    return Hub(HubConfig(interval=interval, environ=NO_ENGINE), sources=sources)


async def test_a_slow_source_does_not_delay_a_fast_one() -> None:
    gate = threading.Event()
    slow, fast = Probe("slow", hold=gate), Probe("fast")
    hub = hub_of(source(slow, every=0.05), source(fast, tick=True))
    try:
        async with running(hub) as snaps:
            await until(lambda: slow.active == 1, what="the slow source to start")
            runs_before = fast.runs
            await until(lambda: fast.runs >= runs_before + 10, what="ten fast runs while the slow one runs")
            assert slow.active == 1 and slow.runs == 1  # still in its first run, not restarted
            await until(lambda: (r := snaps[-1].result("fast")) is not None and r.value >= runs_before + 5,
                        what="the fast values published")
            gate.set()
            await until(lambda: (r := snaps[-1].result("slow")) is not None and r.ok, what="the slow result")
    finally:
        gate.set()


async def test_a_failing_source_leaves_the_others_publishing() -> None:
    bad, good = Probe("bad", fail=RuntimeError("collector bug")), Probe("good")
    hub = hub_of(source(bad, tick=True), source(good, tick=True))
    async with running(hub) as snaps:
        await until(lambda: good.runs >= 10, what="ten runs of the good source")
        snap = snaps[-1]
        bad_result = snap.result("bad")
        assert bad_result is not None and bad_result.error == "collector bug" and not bad_result.unavailable
        assert [r.name for r in snap.errors] == ["bad"]
        assert snap.result("good").ok and snap.value("good") >= 5
        # the failing source backs off (0.05 s, 0.1 s, 0.2 s ...): far fewer runs than the good one
        assert bad.runs < good.runs / 2


async def test_a_source_never_overlaps_itself() -> None:
    busy = Probe("busy", work_s=0.03)
    hub = hub_of(source(busy, every=0.001, events=frozenset({"container"})))
    async with running(hub):
        for _ in range(20):  # events and refreshes while it runs must not start a second run
            hub.refresh()
            hub.link._take({"Type": "container", "Action": "start", "timeNano": time.time_ns(),
                            "Actor": {"ID": f"c{_}", "Attributes": {}}})
            await asyncio.sleep(0.005)
        await until(lambda: busy.runs >= 10, what="ten runs")
    assert busy.max_active == 1


async def test_an_event_makes_its_sources_run_at_once() -> None:
    listens, deaf = Probe("listens"), Probe("deaf")
    hub = hub_of(source(listens, events=frozenset({"container:die"})), source(deaf, every=None))
    async with running(hub) as snaps:
        await until(lambda: listens.runs == 1 and deaf.runs == 1, what="the first runs")
        hub.link._take({"Type": "container", "Action": "die", "timeNano": time.time_ns(),
                        "Actor": {"ID": "abc123", "Attributes": {"name": "web"}}})
        await until(lambda: listens.runs == 2, timeout=5, what="the run the event asked for")
        assert "abc123" in listens.contexts[-1].touched
        await until(lambda: any(e.action == "die" for e in snaps[-1].events), what="the event in a snapshot")
        hub.link._take({"Type": "image", "Action": "pull", "timeNano": time.time_ns(),
                        "Actor": {"ID": "sha256:1", "Attributes": {}}})
        await until(lambda: len(snaps[-1].events) == 2, what="the image event")
    assert deaf.runs == 1 and listens.runs == 2  # an event it did not declare does not wake it


class Settable(Probe):
    """A fake collector whose value stays what the test last set."""

    value = 1

    def __call__(self, ctx: Context, state: SourceState) -> int:
        super().__call__(ctx, state)
        return self.value


async def test_a_new_value_is_published_at_once_a_repeated_one_once_an_interval() -> None:
    """An idle fleet costs one snapshot per interval (the UI redraws per snapshot); a change
    is on screen at once, not at the next interval."""
    fast = Settable("fast")
    hub = hub_of(source(fast, every=0.01), interval=5.0)
    async with running(hub) as snaps:
        await until(lambda: snaps and snaps[-1].value("fast") == 1, what="the first value")
        published, runs = len(snaps), fast.runs
        await until(lambda: fast.runs >= runs + 30, what="thirty runs with the same value")
        assert len(snaps) - published <= 1  # thirty runs, the same value: at most the one heartbeat
        fast.value = 2
        await until(lambda: snaps[-1].value("fast") == 2, timeout=2.0, what="the new value, long before the interval")


async def test_sources_due_on_one_tick_make_one_snapshot() -> None:
    """Sources of one period run on a shared grid, and news waits for the sources still
    running: the UI redraws once a tick, not once per source."""
    quick, slow = Probe("quick"), Probe("slow", work_s=0.01)
    hub = hub_of(source(quick, tick=True), source(slow, tick=True), interval=0.2)
    async with running(hub) as snaps:
        await until(lambda: quick.runs >= 3 and slow.runs >= 3, what="three ticks")
        published, runs = len(snaps), quick.runs
        await until(lambda: quick.runs >= runs + 10, what="ten more ticks")
        assert len(snaps) - published <= 12  # both change every tick: two snapshots a tick before
        assert abs(snaps[-1].value("quick") - snaps[-1].value("slow")) <= 1  # published together


async def test_a_source_runs_only_while_a_visible_pane_needs_it() -> None:
    shown, clock = Probe("shown"), Probe("clock")
    hub = hub_of(source(shown, tick=True, always=False), source(clock, tick=True))
    hub.want(())
    async with running(hub) as snaps:
        await until(lambda: clock.runs >= 5, what="five intervals")
        assert shown.runs == 0 and snaps[-1].result("shown") is None
        hub.want({"shown"})
        await until(lambda: shown.runs >= 3, what="runs once wanted")
        hub.want(())
        stopped_at, ticks = shown.runs, clock.runs
        await until(lambda: clock.runs >= ticks + 5, what="five more intervals")
        assert shown.runs <= stopped_at + 1  # at most the run already in flight


async def test_unavailable_and_permission_errors_are_said_not_counted() -> None:
    no_root = Probe("no_root", fail=PermissionError(13, "Permission denied", "/sys/fs/cgroup/x/memory.stat"))
    offline = Probe("offline", fail=Unavailable("not running"))
    hub = hub_of(source(no_root, tick=True), source(offline, tick=True))
    async with running(hub) as snaps:
        await until(lambda: snaps and all(snaps[-1].result(n) is not None for n in ("no_root", "offline")),
                    what="both results")
        snap = snaps[-1]
        assert snap.result("no_root").error.startswith("needs root: /sys/fs/cgroup/x/memory.stat")
        assert snap.result("no_root").unavailable and snap.result("offline").unavailable
        assert snap.result("offline").error == "not running"
        assert not snap.errors
        assert snap.engine is None and snap.retry_in <= 1  # a local socket is retried often


async def test_on_demand_source_answers_its_request() -> None:
    reader = Probe("reader")
    hub = hub_of(source(reader, on_demand=True))
    async with running(hub) as snaps:
        await until(lambda: snaps, what="a snapshot")
        assert reader.runs == 0  # never runs unasked
        res = await asyncio.wait_for(hub.request("reader", "/etc/hostname"), 5)
        assert res.ok and res.value == 1 and res.key == "/etc/hostname"
        assert reader.contexts[-1].arg == "/etc/hostname"
        await until(lambda: (r := snaps[-1].result("reader")) is not None and r.key == "/etc/hostname",
                    what="the result published")


class FakeWatch:
    """A watch fed by the test: items are ints; an item matters when it is even."""

    instances: list[FakeWatch] = []

    def __init__(self) -> None:
        self.items: list[int] = []
        self.opened = threading.Event()
        self.closed = threading.Event()
        FakeWatch.instances.append(self)

    def available(self) -> str:
        return ""

    def open(self) -> Any:
        self.opened.set()
        watch = self

        class Stream:
            def __iter__(self) -> Iterator[int]:
                while not watch.closed.is_set():
                    if watch.items:
                        yield watch.items.pop(0)
                    time.sleep(0.005)

            def close(self) -> None:
                watch.closed.set()
        return Stream()  # closable: the producer closes it when the watch stops

    def matters(self, item: int, value: Any) -> bool:
        return item % 2 == 0


async def test_a_watch_item_that_matters_runs_the_source_and_hiding_it_stops_the_watch() -> None:
    FakeWatch.instances.clear()
    probe = Probe("watched")
    hub = Hub(HubConfig(interval=30.0, environ=NO_ENGINE),
              sources=[source(probe, tick=True, always=False, watch=FakeWatch)])
    hub.want(["watched"])
    async with running(hub):
        await until(lambda: probe.runs == 1 and FakeWatch.instances and FakeWatch.instances[0].opened.is_set(),
                    what="first run and the watch open")
        watch = FakeWatch.instances[0]
        watch.items.append(1)  # does not matter: no run
        await until(lambda: not watch.items, what="the item read")
        await asyncio.sleep(0.2)
        assert probe.runs == 1
        watch.items.append(2)  # matters: a run long before the 30 s interval
        await until(lambda: probe.runs == 2, timeout=2, what="a run on the watch item")
        hub.want([])
        await until(lambda: watch.closed.is_set(), timeout=2, what="the watch closed with its pane hidden")


class NoWatch:
    """A watch that cannot run here."""

    def available(self) -> str:
        return "inotify is not there"

    def open(self) -> Any:
        raise AssertionError("never opened")

    def matters(self, item: Any, value: Any) -> bool:
        return True


async def test_the_collector_is_told_why_its_watch_does_not_see_everything() -> None:
    """A watch that cannot run, or that runs short (its ``note``), is named in the next run's
    context; a watch that sees everything leaves it empty."""
    FakeWatch.instances.clear()
    probe, missing = Probe("watched"), Probe("unwatched")
    hub = Hub(HubConfig(interval=0.2, environ=NO_ENGINE),
              sources=[source(probe, tick=True, always=False, watch=FakeWatch),
                       source(missing, tick=True, always=False, watch=NoWatch)])
    hub.want(["watched", "unwatched"])
    async with running(hub):
        await until(lambda: FakeWatch.instances and FakeWatch.instances[0].opened.is_set() and probe.runs >= 2
                    and missing.runs >= 2, what="the watch open and runs after it")
        assert probe.contexts[-1].watch == ""
        assert missing.contexts[-1].watch == "no live watch: inotify is not there"
        FakeWatch.instances[0].note = "out of watches"  # type: ignore[attr-defined]
        seen = probe.runs
        await until(lambda: probe.runs > seen + 1, what="another run")
        assert probe.contexts[-1].watch == "out of watches"
