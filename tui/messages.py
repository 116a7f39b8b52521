"""App-level messages: how snapshots and user intent travel between the backend and the panes."""

from __future__ import annotations

from textual.message import Message

from tui.backend.model import Snapshot


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


class OpenFile(Message):
    """The user asked to view one of the container's files on disk."""

    def __init__(self, path: str, kind: str) -> None:
        super().__init__()
        self.path = path
        self.kind = kind
