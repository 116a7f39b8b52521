"""How the layer stores lay their layers out on disk, read-only (internals.md §5.1–5.5).

Three stores: Docker's overlay2 graphdriver (``overlay2/<cache-id>`` + ``l/`` short names +
``image/overlay2/layerdb``), Podman's containers/storage overlay (the same ``l/`` layout, layers
named by content, metadata in ``overlay-layers/layers.json``) and the containerd snapshotter
(``snapshots/<N>/fs``, no ``link``/``lower`` files, the map in bbolt: read from the mount).
Everything here is a pure function over paths it is given, so fixture trees work the same.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import stat
import time
from dataclasses import dataclass
from typing import Any

from .model.layers import DirUsage, HistoryLine, LowerEntry, OverlayMount
from .procfs import read_fd

SMALL = 64 * 1024
"""The metadata files are tiny; an image config can hold a long history."""
CONFIG_MAX = 4 * 1024 * 1024


def chain_ids(diff_ids: list[str] | tuple[str, ...]) -> list[str]:
    """OCI ChainIDs, bottom to top: ``ChainID(L0) = DiffID(L0)``, then
    ``sha256(parent + " " + diff)`` over the full ``sha256:<hex>`` strings."""
    out: list[str] = []
    for d in diff_ids:
        out.append(d if not out else "sha256:" + hashlib.sha256(f"{out[-1]} {d}".encode()).hexdigest())
    return out


def read_small(path: str, limit: int = SMALL) -> str | None:
    """A small regular file's text, stripped (``None``: absent). Never follows a last-component
    link, never opens a FIFO or device; ``PermissionError`` propagates (needs root)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        if isinstance(exc, PermissionError):
            raise
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        return read_fd(fd, limit).decode("utf-8", "replace").strip()
    finally:
        os.close(fd)


def readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


# ---------------------------------------------------------------- mountinfo

_OCTAL = re.compile(r"\\([0-7]{3})")


def unescape_mountinfo(field: str) -> str:
    """Undo mountinfo's octal escapes (``\\040`` space, ``\\011`` tab, ``\\012`` newline,
    ``\\134`` backslash, ``\\054`` comma in super options)."""
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)


def split_lowerdir(value: str) -> list[str]:
    """Split overlay's ``lowerdir`` on unescaped ``:`` and undo overlay's own ``\\`` escapes."""
    parts, cur, i = [], [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            cur.append(value[i + 1])
            i += 2
            continue
        if ch == ":":
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append("".join(cur))
    return [p for p in parts if p]


@dataclass(frozen=True)
class MountLine:
    """One mountinfo line, split (super options still raw)."""

    line: str
    mount_point: str
    fstype: str
    source: str
    super_options: str
    mount_options: str = ""


def parse_mountinfo(text: str) -> list[MountLine]:
    out = []
    for line in text.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        f = left.split()
        r = right.split()
        if len(f) < 5 or len(r) < 3:
            continue
        out.append(MountLine(line, unescape_mountinfo(f[4]), r[0], unescape_mountinfo(r[1]), r[2], f[5]))
    return out


def is_overlay(fstype: str) -> bool:
    return fstype in ("overlay", "fuse.fuse-overlayfs")


def overlay_options(super_options: str) -> tuple[list[str], str, str, list[str]]:
    """``(lowerdir entries, upperdir, workdir, other options)`` from overlay's super options."""
    lower: list[str] = []
    upper = work = ""
    other: list[str] = []
    for opt in super_options.split(","):
        key, _, val = opt.partition("=")
        val = unescape_mountinfo(val)
        if key == "lowerdir":
            lower = split_lowerdir(val)
        elif key == "upperdir":
            upper = val.replace("\\:", ":")
        elif key == "workdir":
            work = val.replace("\\:", ":")
        elif opt not in ("rw", "ro"):
            other.append(unescape_mountinfo(opt))
    return lower, upper, work, other


def relative_base(upper: str) -> str:
    """Where relative ``lowerdir`` entries point from, given an absolute ``upperdir``: the
    overlay2 home for ``…/overlay2/<id>/diff`` (``l/A``), the snapshotter's ``snapshots/`` for
    ``…/snapshots/<N>/fs`` (``12/fs``); empty when upperdir is relative too."""
    return os.path.dirname(os.path.dirname(upper)) if upper.startswith("/") else ""


def overlay_mount(m: MountLine, mountinfo: str, store_root: str, names: dict[str, str],
                  read_only: bool = False) -> OverlayMount:
    """Resolve an overlay line: relative entries joined to their base, each entry named by the
    stack layer whose ``diff`` (or ``l/`` short name) it is. ``names`` maps a resolved path or a
    short-name link to a layer key."""
    lower, upper, work, other = overlay_options(m.super_options)
    base = relative_base(upper) or store_root
    relative = any(not p.startswith("/") for p in lower) or not upper.startswith("/")

    def resolve(p: str) -> str:
        return p if p.startswith("/") or not p else os.path.normpath(os.path.join(base, p))

    entries = tuple(LowerEntry(raw, resolve(raw), names.get(resolve(raw), "")) for raw in lower)
    up = resolve(upper)
    return OverlayMount(mountinfo=mountinfo, line=m.line, mount_point=m.mount_point, fstype=m.fstype,
                        lowerdir=entries, upperdir=up, workdir=resolve(work), upper_layer=names.get(up, ""),
                        options=tuple(other), relative=relative, relative_to=base if relative else "",
                        read_only=read_only)


# ---------------------------------------------------------------- overlay2 (Docker)

@dataclass(frozen=True)
class LayerDbEntry:
    chain_id: str
    diff_id: str
    cache_id: str
    size: int | None
    parent: str


def layerdb_chain(image_root: str, top_chain: str, limit: int = 130) -> list[LayerDbEntry]:
    """Walk ``layerdb/sha256/<chainID>/parent`` from the top layer down (top first)."""
    out: list[LayerDbEntry] = []
    chain = top_chain
    while chain and len(out) < limit:
        d = os.path.join(image_root, "layerdb", "sha256", chain.removeprefix("sha256:"))
        cache = read_small(os.path.join(d, "cache-id"))
        if cache is None:
            break
        size = read_small(os.path.join(d, "size"))
        parent = read_small(os.path.join(d, "parent")) or ""
        out.append(LayerDbEntry(chain, read_small(os.path.join(d, "diff")) or "", cache,
                                int(size) if size and size.isdigit() else None, parent))
        chain = parent
    return out


def layerdb_mount(image_root: str, cid: str) -> tuple[str, str, str] | None:
    """``layerdb/mounts/<CID>/{mount-id,init-id,parent}``."""
    d = os.path.join(image_root, "layerdb", "mounts", cid)
    mount = read_small(os.path.join(d, "mount-id"))
    if mount is None:
        return None
    return mount, read_small(os.path.join(d, "init-id")) or "", read_small(os.path.join(d, "parent")) or ""


def docker_image_config(image_root: str, image_id: str) -> dict[str, Any] | None:
    text = read_small(os.path.join(image_root, "imagedb", "content", "sha256", image_id.removeprefix("sha256:")),
                      CONFIG_MAX)
    return _json(text)


# ---------------------------------------------------------------- Podman (containers/storage)

def podman_layers(graph_root: str) -> dict[str, dict[str, Any]]:
    """``overlay-layers/layers.json``, by layer ID."""
    text = read_small(os.path.join(graph_root, "overlay-layers", "layers.json"), CONFIG_MAX)
    data = _json(text)
    return {str(e.get("id")): e for e in data if isinstance(e, dict)} if isinstance(data, list) else {}


def podman_image_config(graph_root: str, image_id: str) -> dict[str, Any] | None:
    """The config blob Podman stores beside the image, named ``=`` + base64 of its digest key."""
    hexid = image_id.removeprefix("sha256:")
    name = "=" + base64.b64encode(f"sha256:{hexid}".encode()).decode()
    return _json(read_small(os.path.join(graph_root, "overlay-images", hexid, name), CONFIG_MAX))


def _json(text: str | None) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


# ---------------------------------------------------------------- history

def match_history(api_history: list[dict[str, Any]], config: dict[str, Any] | None,
                  n_layers: int) -> tuple[tuple[HistoryLine, ...], str]:
    """``docker image history`` lines in build order, each tied to the layer it made.

    The image config's ``history[].empty_layer`` says which lines made no layer; without it (no
    root, the containerd store) the lines with a size, and the RUN/COPY/ADD lines, are taken as
    layers from the bottom until the count matches — said as a guess."""
    lines = list(reversed(api_history))  # the API lists newest first
    flags: list[bool] | None = None
    hist = (config or {}).get("history")
    if isinstance(hist, list) and len(hist) == len(lines):
        flags = [not bool(h.get("empty_layer")) for h in hist if isinstance(h, dict)]
        how = "image config history[].empty_layer"
        if len(flags) != len(lines) or sum(flags) != n_layers:
            flags = None
    if flags is None:
        how = "guessed (image config not readable): sized lines and RUN/COPY/ADD lines make layers"
        flags = [int(h.get("Size") or 0) > 0 for h in lines]
        for i, h in enumerate(lines):
            if sum(flags) >= n_layers:
                break
            by = str(h.get("CreatedBy") or "")
            if not flags[i] and ("#(nop)" not in by or " COPY " in by or " ADD " in by):
                flags[i] = True
        for i in range(len(lines)):  # still short: the earliest lines (an imported base has none)
            if sum(flags) >= n_layers:
                break
            flags[i] = True
    out, layer = [], 0
    for h, made in zip(lines, flags):
        out.append(HistoryLine(created=float(h["Created"]) if h.get("Created") else None,
                               created_by=str(h.get("CreatedBy") or ""), size=int(h.get("Size") or 0),
                               comment=str(h.get("Comment") or ""), layer=layer if made else -1))
        layer += made
    return tuple(out), how


# ---------------------------------------------------------------- directory sizes

INIT_LIST_MAX = 200


def list_tree(root: str, limit: int = INIT_LIST_MAX) -> tuple[str, ...]:
    """Every path under ``root`` (relative, ``/`` after directories), depth first, sorted; never
    follows a link. For the ``-init`` layer: a dozen entries."""
    out: list[str] = []
    stack = [""]
    while stack and len(out) < limit:
        rel = stack.pop()
        try:
            with os.scandir(os.path.join(root, rel)) as it:
                entries = sorted(it, key=lambda e: e.name, reverse=True)
        except OSError:
            continue
        for e in entries:
            p = os.path.join(rel, e.name)
            if e.is_dir(follow_symlinks=False):
                stack.append(p)
        for e in reversed(entries):
            p = os.path.join(rel, e.name)
            out.append(p + "/" if e.is_dir(follow_symlinks=False) else p)
    return tuple(sorted(out)[:limit])


class DirWalker:
    """``du`` of one directory in slices (never crossing into another filesystem), so that a big
    layer is counted in the background with progress. Regular files, links and whiteouts count
    their ``st_size`` (hard links once), directories do not — moby's ``directory.Size``, i.e.
    ``SizeRw``; ``st_blocks`` is summed beside it (what ``du`` and the containerd store count)."""

    def __init__(self, label: str, path: str, open_path: str | None = None, source: str = "") -> None:
        self.label, self.path, self.source = label, path, source
        self._open = open_path or path
        self._stack = [self._open]
        self._dev: int | None = None
        self._seen: set[tuple[int, int]] = set()
        self.apparent = self.allocated = self.entries = 0
        self.error = ""

    @property
    def done(self) -> bool:
        return not self._stack

    def step(self, budget_s: float) -> None:
        """Walk on for about ``budget_s`` (at least one directory)."""
        end = time.perf_counter() + budget_s
        first = True
        while self._stack and (first or time.perf_counter() < end):
            first = False
            d = self._stack.pop()
            try:
                if self._dev is None:  # stat, not lstat: /proc/PID/root is a link to follow
                    self._dev = os.stat(d).st_dev
                with os.scandir(d) as it:
                    for e in it:
                        try:
                            st = e.stat(follow_symlinks=False)
                        except OSError:
                            continue
                        self.entries += 1
                        if stat.S_ISDIR(st.st_mode):
                            if st.st_dev == self._dev:
                                self._stack.append(e.path)
                            continue
                        if st.st_nlink > 1:
                            if (st.st_dev, st.st_ino) in self._seen:
                                continue
                            self._seen.add((st.st_dev, st.st_ino))
                        self.apparent += st.st_size
                        self.allocated += st.st_blocks * 512
            except PermissionError:
                self.error = f"needs root: {self.path} is readable by root only"
                self._stack.clear()
            except OSError as exc:
                if d == self._open:
                    self.error = f"cannot read {self.path}: {exc.strerror or exc}"

    def usage(self) -> DirUsage:
        return DirUsage(self.label, self.path, self.apparent, self.allocated, self.entries, self.done,
                        self.error, self.source)
