"""The files model: what the Files tab shows — the merged view computed from the layers, each
entry with the layer its visible copy comes from (internals.md §5.3, §8)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FsEntry:
    """One name in a directory of the merged view.

    ``kind``: ``dir``, ``file``, ``link``, ``fifo``, ``socket``, ``char``, ``block``. ``layer``
    is the key of the layer whose copy is visible (``rw``, ``init``, ``image:3``), or — for a
    deleted entry — of the layer that deleted it. ``status``: ``added`` (no copy below that
    layer), ``modified`` (shadows a lower copy), ``deleted`` (a whiteout, or hidden by an opaque
    directory), or empty for the base layer's own files.
    """

    name: str
    kind: str
    size: int
    mode: int
    uid: int
    gid: int
    mtime: float
    layer: str
    status: str = ""
    lower_copies: int = 0
    link: str = ""
    opaque: bool = False
    """A directory that hides everything below it in lower layers (``trusted.overlay.opaque``)."""
    mount: str = ""
    """What is mounted over it inside the container (a volume, a bind, an engine file)."""


@dataclass(frozen=True, slots=True)
class FsDir:
    """One directory of the merged view, as far as it was read."""

    path: str
    entries: tuple[FsEntry, ...]
    layers: tuple[str, ...] = ()
    """The layers that hold this directory, top first (an opaque one ends the list)."""
    error: str = ""
    total: int = 0
    """Entries found; more than ``len(entries)`` when the listing was capped."""


@dataclass(frozen=True, slots=True)
class FsChange:
    """One line of ``docker diff``: the writable layer against the layers below it."""

    path: str
    kind: str
    """``A`` added, ``C`` changed (a lower copy exists), ``D`` deleted (a whiteout, or hidden by an
    opaque directory)."""
    is_dir: bool
    size: int


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """One layer's own diff, counted (per-layer mode): what it adds, modifies and deletes, and
    how much of what it holds later layers overwrite or delete (wasted in the image)."""

    layer: str
    added: int
    modified: int
    deleted: int
    size: int
    wasted: int
    entries: int


@dataclass(frozen=True, slots=True)
class FilePreview:
    """The selected file: its metadata, and its text or a hex dump (never a FIFO, socket or device)."""

    path: str
    layer: str
    layer_path: str
    """Where its visible copy lives on the host (``…/overlay2/<id>/diff/etc/hosts``)."""
    kind: str
    size: int
    mode: int
    uid: int
    gid: int
    mtime: float
    inode: int
    xattrs: tuple[tuple[str, str], ...] = ()
    text: str = ""
    hexdump: str = ""
    link: str = ""
    truncated: bool = False
    tail: bool = False
    """A log: shown from its end; when ``truncated`` the text is the file's end, not its start."""
    note: str = ""
    error: str = ""


@dataclass(frozen=True, slots=True)
class FilesView:
    """The Files tab's data for the selected container: the directories the user expanded, the
    writable layer's changes, the preview of the file under the cursor."""

    cid: str
    layers: tuple[tuple[str, str], ...]
    """``(key, label)`` of each layer, top first (``rw`` → ``writable``, ``image:3`` → ``#3 RUN …``)."""
    dirs: tuple[FsDir, ...]
    changes: tuple[FsChange, ...] = ()
    changes_total: int = 0
    preview: FilePreview | None = None
    notes: tuple[str, ...] = ()
    source: str = ""
    upper: str = ""
    """The writable layer's directory as opened here (what the live watch follows)."""
    layer_dirs: tuple[tuple[str, str], ...] = ()
    """``(key, the layer's directory on the host)`` (``…/overlay2/<id>/diff``), and each mount's
    source."""
    summaries: tuple[LayerSummary, ...] = ()
    """Per-layer mode: every layer's own diff, counted."""
    layer: str = ""
    """Per-layer mode: the layer whose own diff ``layer_changes`` lists."""
    layer_changes: tuple[FsChange, ...] = ()
    layer_total: int = 0
    mounts: tuple[tuple[str, str], ...] = ()
    """``(mount:<destination>, label)`` of what is mounted into the container (a volume, a bind,
    the engine's ``/etc/hosts`` …): entries under a destination come from its source (their
    ``layer``), as the container sees them."""


@dataclass(frozen=True, slots=True)
class FilesRequest:
    """Asked of the ``files`` source: which directories are open and which file is previewed."""

    cid: str
    expanded: tuple[str, ...] = ("/",)
    selected: str = ""
    seq: int = 0
    layer: str = ""
    """Per-layer mode on this layer (empty: the merged tree)."""

    def __str__(self) -> str:
        return f"{self.cid}#{self.seq}"
