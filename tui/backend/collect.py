"""What a collector is given and how it is declared: :class:`Context`, :class:`Source`.

A collector is a plain function ``collect(ctx, state) -> value`` over a frozen :class:`Context`
(host paths, the engine client, the latest results of other sources). ``state`` is the source's
own scratch space (caches, previous samples): the hub never runs a source twice at once, so it
needs no lock. The hub (``hub.py``) decides when each source runs from its declaration; the
registry (``sources.py``) declares them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .model import Container, EngineInfo, HostInfo, SourceResult
from .procfs import HostPaths

ALL = "*"
"""In :attr:`Context.touched`: every container may have changed (the events stream broke)."""

SCOPES = ("host", "containers", "selected")


class Unavailable(Exception):
    """An expected reason a source has nothing to show (needs root, API-only mode, no cgroup):
    the pane that owns the source says it; it is not a failure."""


@dataclass(frozen=True)
class Context:
    """Everything a collector may read, frozen at the moment its run starts."""

    paths: HostPaths
    interval: float
    endpoint: str
    api: Any = None
    host: HostInfo | None = None
    engine: EngineInfo | None = None
    containers: tuple[Container, ...] = ()
    selected: Container | None = None
    results: Mapping[str, SourceResult] = field(default_factory=dict)
    touched: frozenset[str] = frozenset()
    arg: Any = None
    watch: str = ""
    """Why the source's watch (``Source.watch``) does not see everything, if so: it cannot run
    here, or it runs short of watches; the collector says so in its value."""

    def value(self, name: str, default: Any = None) -> Any:
        """The last value another source published (``default`` when none)."""
        r = self.results.get(name)
        return default if r is None or r.value is None else r.value


class Watch(Protocol):
    """A source's event stream: why it cannot run here, how to open it, and which items
    concern the source's last value (a process it shows forked, exec'd or exited). A watch may
    also have ``follow(value)``: told each new value of its source (the directory to watch)."""

    def available(self) -> str: ...

    def open(self) -> Iterable[Any]: ...

    def matters(self, item: Any, value: Any) -> bool: ...


class SourceState:
    """A source's private, mutable memory between runs (caches, previous samples).

    ``next_in`` lets a run ask for the next one sooner than the cadence (e.g. a second CPU
    sample 0.25 s after the first, so CPU % shows up early); the hub resets it before each run.
    """

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}
        self.next_in: float | None = None


@dataclass(frozen=True)
class Source:
    """One collector, declared once: what it runs, how often, for what, and what it needs.

    Cadence: every ``every`` seconds (``tick``: at the user's ``--interval``), at once when a
    Docker event of a kind in ``events`` arrives (``"container"`` or ``"container:start"``),
    when a source named in ``after`` publishes a changed value, or only when asked
    (``on_demand``). Scope: ``host``, ``containers`` (all of them) or ``selected`` (the
    container on screen; the result's key is its ID). A source runs only while a visible pane
    needs it, unless ``always``.
    """

    name: str
    collect: Callable[[Context, SourceState], Any]
    value_type: Any
    every: float | None = None
    tick: bool = False
    events: frozenset[str] = frozenset()
    after: tuple[str, ...] = ()
    scope: str = "host"
    needs_engine: bool = True
    needs_local: bool = False
    always: bool = False
    on_demand: bool = False
    samples: int = 1
    """How many runs a one-shot collection (``snapshot --json``) makes: 2 for rates."""
    watch: Callable[[], Watch] | None = None
    """An event stream that makes the source due sooner than its cadence (the proc connector
    for processes): built and started while the source can run, closed when it cannot."""

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"source {self.name}: scope {self.scope!r} not in {SCOPES}")

    def period(self, interval: float) -> float | None:
        """Seconds between periodic runs (None: not periodic)."""
        return interval if self.tick else self.every

    def wants_event(self, kind: str, action: str) -> bool:
        """Whether a Docker event of ``kind`` (``container``) and ``action`` makes this due."""
        verb = action.split(":", 1)[0]
        return kind in self.events or f"{kind}:{verb}" in self.events
