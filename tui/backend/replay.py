"""A backend that replays recorded snapshots (``internals-tui --replay FILE``).

Lets a user look at a snapshot taken on another host (``internals-tui snapshot --json``), and
gives the UI tests fixed, real data. File contents are not part of a snapshot.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

from .model import Snapshot, SourceResult
from .serial import snapshot_from_jsonable
from .sources import SOURCES, VALUE_TYPES

NOT_RECORDED = "not recorded: the snapshot holds the data of the container selected when it was taken"


def load_snapshot(path: str) -> Snapshot:
    """Read a snapshot written by ``internals-tui snapshot --json``."""
    with open(path, encoding="utf-8") as fh:
        return snapshot_from_jsonable(json.load(fh), VALUE_TYPES)


class ReplayBackend:
    """Publishes the given snapshots in order, then stays idle until stopped."""

    def __init__(self, snapshots: Sequence[Snapshot], delay: float = 0.0) -> None:
        self.snapshots = list(snapshots)
        self.delay = delay
        self.selected: str | None = None
        self.wanted: frozenset[str] = frozenset()
        self._stop = asyncio.Event()
        self._publish: Callable[[Snapshot], None] | None = None
        self._current: Snapshot | None = None

    async def run(self, publish: Callable[[Snapshot], None]) -> None:
        self._publish = publish
        for snap in self.snapshots:
            self._current = snap
            publish(self._for_selection(snap))
            if self.delay:
                await asyncio.sleep(self.delay)
        await self._stop.wait()

    def _for_selection(self, snap: Snapshot) -> Snapshot:
        """A recording holds the per-container sources of one container: say so for the others."""
        sel = snap.container(self.selected) if self.selected else None
        if sel is None and self.selected:
            sel = snap.container_by_name(self.selected)
        scoped = {s.name for s in SOURCES if s.scope == "selected"}
        sources = tuple(replace(r, value=None, error=NOT_RECORDED, unavailable=True, key=sel.id)
                        if r.name in scoped and sel is not None and r.key != sel.id else r
                        for r in snap.sources)
        return replace(snap, sources=sources, selected=sel.id if sel is not None else "")

    def select(self, cid: str | None) -> None:
        self.selected = cid
        if self._publish is not None and self._current is not None:
            self._publish(self._for_selection(self._current))

    def want(self, names: Iterable[str]) -> None:
        self.wanted = frozenset(names)

    def refresh(self, force: bool = True) -> None:
        """Nothing to refresh: the data is recorded."""

    def stop(self) -> None:
        self._stop.set()

    async def request(self, name: str, arg: Any) -> SourceResult:
        return SourceResult(name, error="recorded snapshot: on-demand reads (file contents, process details) are not part of it",
                            unavailable=True, key=str(arg), runs=1)
