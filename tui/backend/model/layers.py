"""The layers model: what the Layers tab and the image view show (internals.md §5)."""

from __future__ import annotations

from dataclasses import dataclass

from . import Sourced


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One ``docker image history`` line, in build order, and the layer it made (``layer`` is the
    image layer's position from the bottom; -1 for an empty layer: ENV, CMD, LABEL …)."""

    created: float | None
    created_by: str
    size: int
    comment: str
    layer: int


@dataclass(frozen=True, slots=True)
class Layer:
    """One directory of the stack, with what names it and what it names.

    ``role``: ``rw`` (the container's writable layer), ``init`` (Docker's ``-init`` layer) or
    ``image``. ``dir_id`` is the directory's name in the store: the layerdb ``cache-id`` of an
    image layer, the container's ``mount-id``, a Podman layer ID or a containerd snapshot number.
    """

    role: str
    directory: Sourced[str]
    dir_id: str
    position: int = -1
    """Image layers: the index in ``RootFS.Layers`` (0 = base)."""
    short: Sourced[str] = Sourced("")
    """The ``link`` file: the layer's short name under ``l/``."""
    short_target: str = ""
    """``readlink l/<short>`` (``../<dir_id>/diff`` when all is well)."""
    lower: Sourced[tuple[str, ...]] = Sourced(())
    """The ``lower`` file: every ancestor's short name, nearest first; none for a base layer."""
    lower_file: bool = False
    diff_id: str = ""
    chain_id: Sourced[str] = Sourced("")
    size: Sourced[int | None] = Sourced(None)
    """Bytes of the uncompressed layer (layerdb ``size``, Podman ``diff-size``)."""
    shared_with: tuple[str, ...] = ()
    """Other images and containers that use this image layer."""
    problems: tuple[str, ...] = ()
    """Where the files disagree with the computed mapping (shown, never hidden)."""

    @property
    def key(self) -> str:
        return f"{self.role}:{self.position}" if self.role == "image" else self.role


@dataclass(frozen=True, slots=True)
class LowerEntry:
    """One ``lowerdir`` entry of the overlay mount, resolved."""

    raw: str
    path: str
    """Absolute, decoded, relative entries joined to the directory they are relative to."""
    layer: str = ""
    """The key of the stack's layer it names (``Layer.key``); empty: none of them."""


@dataclass(frozen=True, slots=True)
class OverlayMount:
    """The container's root filesystem mount, from mountinfo."""

    mountinfo: str
    """Which file it was read from (``/proc/self/mountinfo``, ``/proc/<pid>/mountinfo``)."""
    line: str
    mount_point: str
    fstype: str
    lowerdir: tuple[LowerEntry, ...]
    upperdir: str
    workdir: str
    upper_layer: str = ""
    options: tuple[str, ...] = ()
    """The other super options (``index=off``, ``userxattr``, ``redirect_dir=nofollow`` …)."""
    relative: bool = False
    """``lowerdir`` held relative entries: the option string would not fit in a page."""
    relative_to: str = ""
    read_only: bool = False
    """The container sees its ``/`` read-only (``--read-only``: a per-mount ``ro`` in its own
    mountinfo, while the overlay itself stays rw)."""


@dataclass(frozen=True, slots=True)
class DirUsage:
    """``du`` of one directory, counted in the background (it can be big)."""

    label: str
    path: str
    apparent: int
    """Sum of ``st_size`` of everything but directories, hard links once (how overlay2's
    ``SizeRw`` counts)."""
    allocated: int
    """``st_blocks × 512`` (``du``; how the containerd store counts)."""
    entries: int
    done: bool
    error: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class EngineSizes:
    """``docker ps --size`` for the container: the engine's own count."""

    size_rw: int | None
    size_root_fs: int | None
    source: str


@dataclass(frozen=True, slots=True)
class LayerStack:
    """A container's (or an image's) layers, top to bottom, and how they are mounted."""

    driver: Sourced[str]
    store: str
    """``overlay2``, ``podman`` (containers/storage overlay), ``containerd`` (snapshotter)."""
    store_root: str
    """The driver's directory (``/var/lib/docker/overlay2``)."""
    backing_fs: str
    graph: Sourced[tuple[tuple[str, str], ...]]
    """``GraphDriver.Data``: LowerDir, UpperDir, MergedDir, WorkDir."""
    image_id: str
    image_ref: str
    layers: tuple[Layer, ...]
    history: tuple[HistoryLine, ...] = ()
    history_source: str = ""
    history_matched: str = ""
    """How history lines were matched to layers (the image config's ``empty_layer``, or a guess)."""
    init_files: Sourced[tuple[str, ...]] = Sourced(())
    mount: OverlayMount | None = None
    mount_note: str = ""
    """Why there is no mount line (stopped, needs root …)."""
    usage: tuple[DirUsage, ...] = ()
    engine_sizes: EngineSizes | None = None
    sizes_at: float | None = None
    """When the sizes were asked for (``u``): they stay until asked again."""
    notes: tuple[str, ...] = ()
    metadata: str = ""
    """Where the layer metadata was read (``…/image/overlay2/layerdb``, ``…/overlay-layers/layers.json``)."""


@dataclass(frozen=True, slots=True)
class ImageDetail:
    """The image view: ``docker image inspect`` essentials, its stack, the containers using it."""

    id: str
    tags: tuple[str, ...]
    digests: tuple[str, ...]
    created: str
    platform: str
    size: int
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]
    env_names: tuple[str, ...]
    ports: tuple[str, ...]
    working_dir: str
    user: str
    containers: tuple[str, ...]
    stack: LayerStack | None
    stack_error: str = ""
    source: str = ""


@dataclass(frozen=True, slots=True)
class SizeRequest:
    """Asked of the ``layers`` source: count the selected container's sizes (``u``)."""

    cid: str
    seq: int

    def __str__(self) -> str:
        return f"{self.cid}#{self.seq}"


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """Asked of the on-demand ``image`` source: one image, by ID."""

    image_id: str

    def __str__(self) -> str:
        return self.image_id
