"""The scheduler: runs every registered source on its cadence and publishes snapshots.

One asyncio task (:meth:`Hub.run`) owns the schedule. Each run of a source is a daemon thread
(a call stuck on a dead engine never holds up exit); a source never overlaps itself and a slow
one never delays another. Each result (value or error, when, how long) is kept; a new value or
error is published at once, a repeat rides with the next publish (at most one interval later, which
also moves the ages on screen on), so an idle fleet costs one snapshot per interval.
The ``engine`` source (``link.py``) alone may declare the engine gone; any other failure, a host
file's ``OSError`` included, is its source's error. Docker events make the sources that declared
them due at once. A local engine is retried every ``LOCAL_RETRY_S``, a remote one with back-off.
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import docker

from . import docker_api
from .collect import ALL, Context, Source, SourceState, Unavailable
from .link import EngineLink, explain, is_connection_error
from .model import Container, DockerEvent, HostInfo, Snapshot, SourceResult
from .procfs import HostPaths
from .producers import Watches, in_thread
from .sources import SOURCES

ENGINE = "engine"
LOCAL_RETRY_S = 0.2
BACKOFF_MAX_S = 30.0
RETRY_BASE_S = 5.0
"""A failed run is retried after at most this (then twice as long each time, up to
``BACKOFF_MAX_S``), even for a source whose period is longer."""
EVENT_COALESCE_S = 0.01
PUBLISH_HOLD_S = 0.05
"""A publish due while sources are running waits for them, this long at most: sources due on
the same tick then make one snapshot (the UI redraws once per snapshot: at 200 containers a
redraw of the list and a pane costs 10–15 ms)."""
WATCH_GAP_S = 0.15
MAX_SLEEP_S = 1.0


@dataclass(frozen=True)
class HubConfig:
    """How the hub polls: refresh interval, host roots, engine environment."""

    interval: float = 1.0
    paths: HostPaths = field(default_factory=HostPaths)
    environ: dict[str, str] | None = None
    max_events: int = 500


class _Slot:
    """The hub's book-keeping for one source."""

    def __init__(self, source: Source) -> None:
        self.source = source
        self.running = False
        self.generation = 0
        self.waiters: list[asyncio.Future[SourceResult]] = []
        self.arg: Any = None
        self.launched_at = 0.0
        self.reset()

    def reset(self) -> None:
        """Forget everything (the engine went away: caches and results are stale); a run still
        in flight finishes, but its result is dropped."""
        self.generation += 1
        self.state = SourceState()
        self.result: SourceResult | None = None
        self.due = True
        self.due_at = math.inf
        """When an event makes it due (a few ms after the event, so a burst makes one run)."""
        self.next_at = 0.0
        self.failures = 0
        self.touched: set[str] = set()


class Hub:
    """Owns the schedule and the sources' results; publishes an immutable :class:`Snapshot`."""

    def __init__(self, config: HubConfig | None = None, *, sources: Iterable[Source] = SOURCES,
                 connect: Callable[[dict[str, str] | None], docker.DockerClient] = docker_api.connect,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config or HubConfig()
        self._clock = clock
        self.endpoint = docker_api.resolve_endpoint(self.config.environ)
        self._remote = not docker_api.endpoint_is_local_socket(self.endpoint)
        self.link = EngineLink(self.endpoint, self.config.environ, connect=connect, clock=clock,
                               on_event=lambda ev: self._soon(self._route_event, ev),
                               on_break=lambda: self._soon(self._engine_due),
                               on_resync=lambda: self._soon(self._resync),
                               max_events=self.config.max_events)
        engine = Source(ENGINE, self._check_engine, type(None), needs_engine=False, always=True)
        self._slots: dict[str, _Slot] = {s.name: _Slot(s) for s in (engine, *sources)}
        self.selected: str | None = None
        self._wanted: frozenset[str] | None = None
        self._retry_s = 0.0
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake = asyncio.Event()  # bound to a loop only when first awaited
        self._publish: Callable[[Snapshot], None] | None = None
        self._publish_at: asyncio.TimerHandle | None = None
        self._published_at = -math.inf
        self._held = False
        self._stopped = False
        self._watches = Watches()

    # ------------------------------------------------------------ control (UI thread)

    def select(self, cid: str | None) -> None:
        """Put a container on screen: its per-container sources run for it at once."""
        if cid != self.selected:
            self.selected = cid
            for slot in self._slots.values():
                if slot.source.scope == "selected" and not slot.source.on_demand:
                    slot.due = True
            self.refresh(force=False)

    def want(self, names: Iterable[str]) -> None:
        """The sources the visible panes need; others (unless ``always``) do not run."""
        self._wanted = frozenset(names)
        self.refresh(force=False)

    def refresh(self, force: bool = True) -> None:
        """Wake the scheduler (callable from any thread); ``force``: run every source now."""
        self._soon(self._force_all if force else lambda: None)

    async def request(self, name: str, arg: Any) -> SourceResult:
        """Run an on-demand source with ``arg`` (same path as every source) and await its result."""
        assert self._loop is not None, "the hub is not running"
        slot = self._slots[name]
        fut: asyncio.Future[SourceResult] = self._loop.create_future()
        slot.arg, slot.due = arg, True
        slot.waiters.append(fut)
        self._wake.set()
        return await fut

    def stop(self) -> None:
        self._stopped = True
        self.link.close()
        self._soon(lambda: None)

    def _soon(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn`` in the hub's loop (from any thread), then reschedule."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(lambda: (fn(*args), self._wake.set()))
            except RuntimeError:  # the loop closed in between: nothing left to wake
                pass

    # ------------------------------------------------------------ the schedule (loop thread)

    async def run(self, publish: Callable[[Snapshot], None]) -> None:
        """Schedule sources until :meth:`stop`, calling ``publish`` with each new snapshot."""
        self._loop = asyncio.get_running_loop()
        self._publish = publish
        try:
            while not self._stopped:
                delay = self._launch_due(time.monotonic())
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=delay)
                except asyncio.TimeoutError:
                    pass
                self._wake.clear()
        finally:
            self.link.close()
            self._watches.close()

    def _launch_due(self, now: float) -> float:
        """Start every source that is due; return how long to sleep until the next one."""
        sleep = MAX_SLEEP_S
        for slot in self._slots.values():
            if slot.running:
                continue
            blocked = self._blocked(slot)
            self._watch(slot, blocked is None)
            if blocked is not None:
                self._park(slot, blocked)
                continue
            if slot.failures and now < slot.next_at:  # back-off after a failure
                sleep = min(sleep, slot.next_at - now)
            elif slot.due or now >= min(slot.next_at, slot.due_at):
                self._launch(slot)
            else:
                sleep = min(sleep, slot.next_at - now, slot.due_at - now)
        return max(sleep, 0.0)

    def _blocked(self, slot: _Slot) -> str | None:
        """Why a source cannot run now (None: it can); "" means wait without saying anything."""
        s = slot.source
        if (s.on_demand and not slot.waiters) or (s.needs_engine and self.link.client is None) \
                or not (s.always or s.on_demand or self._wanted is None or s.name in self._wanted):
            return ""
        if s.scope == "selected" and self._selected() is None:
            return "no container selected"
        if s.needs_local:
            host: HostInfo | None = self._value("access")
            return "" if host is None else None if host.local else f"API-only mode: {host.local_reason}"
        return None

    def _watch(self, slot: _Slot, on: bool) -> None:
        """Run the source's watch (``Source.watch``) while the source can run; an item that
        concerns its last value makes it due (see :meth:`_watch_due`)."""
        make, name = slot.source.watch, slot.source.name
        if make is None or on == self._watches.running(name):
            return
        if not on or self._stopped:
            self._watches.stop(name)
            return

        def seen(watch: Any, item: Any) -> None:
            value = slot.result.value if slot.result is not None else None
            if item is None or watch.matters(item, value):
                self._soon(self._watch_due, slot)

        self._watches.start(name, make, seen)
        if slot.result is not None:  # a watch that follows its source's value starts from the last one
            self._watches.follow(name, slot.result.value)

    def _event_due(self, slot: _Slot) -> None:
        slot.due_at = min(slot.due_at, time.monotonic() + EVENT_COALESCE_S)

    def _watch_due(self, slot: _Slot) -> None:
        """Like an event, but at most one run per ``WATCH_GAP_S`` (a shell loop forks all the time)."""
        slot.due_at = min(slot.due_at, max(time.monotonic() + EVENT_COALESCE_S, slot.launched_at + WATCH_GAP_S))

    def _park(self, slot: _Slot, why: str) -> None:
        """A source that cannot run says why (once), and answers whoever waits for it."""
        if not why:
            return
        if slot.result is None or slot.result.error != why:
            slot.result = SourceResult(slot.source.name, error=why, unavailable=True, taken_at=self._clock())
            self._publish_soon()
        for fut in slot.waiters:
            if not fut.done():
                fut.set_result(slot.result)
        slot.waiters.clear()

    def _launch(self, slot: _Slot) -> None:
        slot.running, slot.due, slot.due_at = True, False, math.inf
        slot.launched_at = time.monotonic()
        touched, slot.touched = frozenset(slot.touched), set()
        waiters, slot.waiters = slot.waiters, []
        ctx = self._context(touched, slot.arg, self._watches.note(slot.source.name))
        slot.arg = None if slot.source.on_demand else slot.arg
        assert self._loop is not None
        self._loop.create_task(self._run_slot(slot, ctx, waiters))

    async def _run_slot(self, slot: _Slot, ctx: Context, waiters: list[asyncio.Future[SourceResult]]) -> None:
        generation = slot.generation
        result, exc = await in_thread(lambda: self._execute(slot, ctx))
        slot.running = False
        news = generation == slot.generation and self._record(slot, result, exc, time.monotonic())
        for fut in waiters:
            if not fut.done():
                fut.set_result(result)
        if news or (self._held and not self._busy()):  # at once, or with the last source running
            self._publish_soon()
        else:  # same value again: shown with the next publish, at the latest one interval on
            self._publish_soon(self._published_at + self.config.interval - time.monotonic())
        self._wake.set()

    def _context(self, touched: frozenset[str], arg: Any, watch: str = "") -> Context:
        results = {name: s.result for name, s in self._slots.items() if s.result is not None}
        return Context(paths=self.config.paths, interval=self.config.interval, endpoint=self.endpoint,
                       api=self.link.api, host=self._host(), engine=self.link.engine,
                       containers=self._value("containers") or (), selected=self._selected(), results=results,
                       touched=touched, arg=arg, watch=watch)

    def _execute(self, slot: _Slot, ctx: Context) -> tuple[SourceResult, BaseException | None]:
        """One run of a source (worker thread): its value, or its error as a value."""
        s = slot.source
        slot.state.next_in = None
        key = str(ctx.arg) if s.on_demand else ctx.selected.id if s.scope == "selected" and ctx.selected else ""
        taken, t0 = self._clock(), time.perf_counter()
        value: Any = None
        error, unavailable, exc = "", False, None
        try:
            value = s.collect(ctx, slot.state)
        except Unavailable as e:
            error, unavailable = str(e), True
        except Exception as e:  # a source's failure is its own: kept as its error
            exc = e
            error, unavailable = explain(e)
        runs = slot.result.runs + 1 if slot.result is not None else 1
        return SourceResult(s.name, value, error, unavailable, taken, time.perf_counter() - t0, runs, key), exc

    def _record(self, slot: _Slot, result: SourceResult, exc: BaseException | None, now: float) -> bool:
        """Store a run's result and decide when the source runs next. True when the result is
        news: a new value, or an error that came, went or changed."""
        s, prev = slot.source, slot.result
        slot.result = result
        slot.failures = slot.failures + 1 if result.error and not result.unavailable else 0
        period = s.period(self.config.interval)
        if slot.failures:
            base = min(period or self.config.interval, RETRY_BASE_S)
            slot.next_at = now + min(base * 2 ** (slot.failures - 1), BACKOFF_MAX_S)
        elif slot.state.next_in is not None:
            slot.next_at = now + slot.state.next_in
        elif period is not None:
            slot.next_at = self._next_run(slot, period, now)
        else:
            slot.next_at = math.inf
        news = prev is None or result.error != prev.error or result.unavailable != prev.unavailable
        if s.name == ENGINE:
            self._engine_checked(result, now)
            return news
        if exc is not None and s.needs_engine and is_connection_error(exc):
            self._engine_due()
        if prev is None or result.key != prev.key or result.value != prev.value:
            news = True
            self._watches.follow(s.name, result.value)
            for other in self._slots.values():
                if s.name in other.source.after:
                    other.due = True
        return news

    def _next_run(self, slot: _Slot, period: float, now: float) -> float:
        """When a periodic source runs next: a period after its last start, moved to the nearest
        refresh tick (a multiple of the interval) and after ``now``. Sources then run, and
        publish, together: one redraw a tick instead of one per source. A source faster than
        the interval keeps its own pace."""
        tick = self.config.interval
        if period < tick:
            return now + period
        at = round((slot.launched_at + period) / tick) * tick
        return at if at > now else (math.floor(now / tick) + 1) * tick

    # ------------------------------------------------------------ engine, events

    def _check_engine(self, ctx: Context, state: SourceState) -> None:
        """The ``engine`` source; no engine is a state (``engine_error``), not a source failure."""
        try:
            self.link.check()
        except Exception as exc:  # the link has closed itself and kept the reason
            raise Unavailable(self.link.error) from exc

    def _engine_checked(self, result: SourceResult, now: float) -> None:
        slot = self._slots[ENGINE]  # not periodic: due on breaks, daemon events, failures
        if result.error:
            self._retry_s = min(max(self._retry_s * 2, 1.0), BACKOFF_MAX_S) if self._remote else LOCAL_RETRY_S
            slot.next_at = now + self._retry_s
            for other in self._slots.values():
                if other.source.needs_engine:
                    other.reset()
        else:
            slot.next_at = math.inf
            self._retry_s = 0.0

    def _engine_due(self) -> None:
        self._slots[ENGINE].due = True

    def _route_event(self, ev: DockerEvent) -> None:
        """A Docker event: the sources that declared it run within ``EVENT_COALESCE_S`` (a burst
        of events makes one run), told which container it names."""
        if ev.type == "daemon":
            self.link.info_changed()
            self._engine_due()
        cid = ev.actor_id if ev.type == "container" else dict(ev.attributes).get("container", "")
        selected = self._selected()
        for slot in self._slots.values():
            s = slot.source
            if not s.wants_event(ev.type, ev.action):
                continue
            if s.scope == "selected" and (selected is None or cid != selected.id):
                continue
            self._event_due(slot)  # a burst: one run
            if cid:
                slot.touched.add(cid)
        self._publish_soon(EVENT_COALESCE_S)

    def _resync(self) -> None:
        """The events stream reopened: what it missed may have changed anything."""
        for slot in self._slots.values():
            if slot.source.events:
                slot.due = True
                slot.touched.add(ALL)

    def _force_all(self) -> None:
        for slot in self._slots.values():
            if not slot.source.on_demand:
                slot.due, slot.failures, slot.next_at = True, 0, 0.0

    # ------------------------------------------------------------ results → snapshot

    def _value(self, name: str) -> Any:
        slot = self._slots.get(name)
        return slot.result.value if slot is not None and slot.result is not None else None

    def _selected(self) -> Container | None:
        sel = self.selected
        if not sel:
            return None
        containers: tuple[Container, ...] = self._value("containers") or ()
        for c in containers:
            if c.id == sel or c.name.value == sel:
                return c
        return None

    def _host(self) -> HostInfo:
        """The probed host, with local / API-only decided once the ``access`` source has run."""
        return self._value("access") or self._value("host") or HostInfo(root=os.geteuid() == 0, cgroup_mode="unknown")

    def _publish_soon(self, delay: float = 0.0) -> None:
        """Publish in ``delay`` seconds, or sooner if a publish is already due sooner (one
        publish carries everything that changed until then)."""
        loop = self._loop
        if loop is None:
            return
        delay = max(delay, 0.0)
        pending = self._publish_at
        if pending is not None:
            if pending.when() <= loop.time() + delay:
                return
            pending.cancel()
        self._publish_at = loop.call_later(delay, self._publish_now)

    def _busy(self) -> bool:
        return any(slot.running for slot in self._slots.values())

    def _publish_now(self) -> None:
        """Publish, once the first engine check has said whether there is an engine, and once
        the sources still running have finished (``PUBLISH_HOLD_S`` at most)."""
        self._publish_at = None
        if self._busy() and not self._held:
            self._held = True
            self._publish_soon(PUBLISH_HOLD_S)
            return
        self._held = False
        self._published_at = time.monotonic()
        if self._publish is not None and not self._stopped and self._slots[ENGINE].result is not None:
            self._publish(self.snapshot())

    def snapshot(self) -> Snapshot:
        """Everything as of now, as one immutable snapshot."""
        self._seq += 1
        engine = self.link.engine
        sel = self._selected()
        return Snapshot(
            seq=self._seq, taken_at=self._clock(), host=self._host(), endpoint=self.endpoint,
            engine=engine, engine_error="" if engine else self.link.error,
            engine_hint="" if engine else docker_api.how_to_start(self.endpoint),
            retry_in=0.0 if engine else self._retry_s, events=self.link.events(),
            sources=tuple(s.result for s in self._slots.values() if s.result is not None),
            selected=sel.id if sel is not None else "")

    # ------------------------------------------------------------ one-shot

    def collect_once(self, settle: float = 0.5) -> Snapshot:
        """Every source once, in registry order, without a loop (``internals-tui snapshot``);
        sources that measure rates take their samples ``settle`` seconds apart."""
        try:
            order = [s for s in self._slots.values() if not s.source.on_demand]
            for rnd in range(max(s.source.samples for s in order)):
                if rnd:
                    time.sleep(settle)
                for slot in order:
                    if rnd >= slot.source.samples or (rnd and slot.result is None):
                        continue
                    blocked = self._blocked(slot)
                    if blocked is not None:
                        self._park(slot, blocked)
                        continue
                    ctx = self._context(frozenset({ALL}) if rnd == 0 else frozenset(), None)
                    self._record(slot, *self._execute(slot, ctx), time.monotonic())
            time.sleep(0.05)  # let the events producer deliver what is already queued
            return self.snapshot()
        finally:
            self.link.close()
