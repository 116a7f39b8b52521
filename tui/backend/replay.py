"""A backend that replays recorded snapshots (``internals-tui --replay FILE``).

Lets a user look at a snapshot taken on another host (``internals-tui snapshot --json``), and
gives the UI tests fixed, real data. File contents are not part of a snapshot.
"""

from __future__ import annotations

import asyncio
import json
import shlex
from dataclasses import replace
from collections.abc import Callable, Sequence

from .files import FileView
from .model import Snapshot, snapshot_from_jsonable


def load_snapshot(path: str) -> Snapshot:
    """Read a snapshot written by ``internals-tui snapshot --json``."""
    with open(path, encoding="utf-8") as fh:
        return snapshot_from_jsonable(json.load(fh))


class ReplayBackend:
    """Publishes the given snapshots in order, then stays idle until stopped."""

    def __init__(self, snapshots: Sequence[Snapshot], delay: float = 0.0) -> None:
        self.snapshots = list(snapshots)
        self.delay = delay
        self.selected: str | None = None
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
        """A recording holds one container's files: say so for the others."""
        if self.selected and snap.engine is not None and snap.files_of(self.selected) is None:
            return replace(snap, disk_error="not recorded: the snapshot holds the files of the "
                                            "container selected when it was taken")
        return snap

    def select(self, cid: str | None) -> None:
        self.selected = cid
        if self._publish is not None and self._current is not None:
            self._publish(self._for_selection(self._current))

    def refresh(self) -> None:
        """Nothing to refresh: the data is recorded."""

    def stop(self) -> None:
        self._stop.set()

    def read_file(self, path: str, kind: str) -> FileView:
        return FileView(path, "", 0, False, f"cat {shlex.quote(path)}",
                        error="recorded snapshot: file contents are not part of it")
