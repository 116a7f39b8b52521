"""App-level messages: how snapshots and user intent travel between the backend and the panes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.screen import Screen

from tui.backend.model import Snapshot, SourceResult
from tui.backend.model.actions import Action


class SnapshotReady(Message):
    """A new backend snapshot; a newer one replaces an older one still in the queue."""

    def __init__(self, snapshot: Snapshot) -> None:
        super().__init__()
        self.snapshot = snapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReady)


class ContainerSelected(Message):
    """The container cursor is on ``cid`` (``None``: no container); ``note`` says why it moved
    when the user did not move it (the container was removed, a filter hides every row)."""

    def __init__(self, cid: str | None, note: str = "") -> None:
        super().__init__()
        self.cid = cid
        self.note = note


class Provenance(Message):
    """The focused value (or the focus) moved: the screen recomputes its footer from what has
    the focus, so the footer never keeps a value that is no longer under the cursor."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, Provenance)


class OpenView(Message):
    """Ask an on-demand backend source (``file``, ``proc_detail``) for ``arg``, then show the
    screen ``make`` builds from its result (the app does the asking: widgets do no I/O)."""

    def __init__(self, source: str, arg: Any, make: Callable[[SourceResult], Screen[None]]) -> None:
        super().__init__()
        self.source = source
        self.arg = arg
        self.make = make


class Ask(Message):
    """Ask a backend source for ``arg`` without opening anything: its next value, published in
    the snapshots as usual, carries the answer (``u`` on the Layers tab starts a size count)."""

    def __init__(self, source: str, arg: Any) -> None:
        super().__init__()
        self.source = source
        self.arg = arg


class ShowPath(Message):
    """Show ``path`` inside the selected container in the tab ``pane`` (Files): its parents
    opened, the cursor on it (``enter`` on a volume or bind mount in the Overview)."""

    def __init__(self, pane: str, path: str) -> None:
        super().__init__()
        self.pane = pane
        self.path = path


class DoAction(Message):
    """Ask the engine for a change (a container action, a prune, ``docker cp``): the app asks
    the user to confirm it, naming what changes and listing ``detail`` (what a prune removes),
    unless the app runs ``--read-only``, where it says why nothing happens."""

    def __init__(self, action: Action, detail: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.action = action
        self.detail = detail
