"""A container's filesystem as overlayfs merges it, computed from the layers' directories (so a
stopped container browses too), each entry with the layer its visible copy comes from; the
writable layer's changes the way ``docker diff`` lists them; a layer's own diff; a preview of
one file. The ``files`` source (:mod:`fsview`) puts these together for the Files tab.

Every path is walked inside one layer's directory, one component at a time, with
``O_NOFOLLOW|O_DIRECTORY``: a symlink is shown (its target as text), never followed, so no link
in a container can lead to the host's files. Only regular files are ever opened for reading
(``O_NONBLOCK``, checked after ``fstat``): never a FIFO, socket or device. ``work/`` is never read.
Whiteouts (a 0:0 character device) and opaque directories (``trusted.overlay.opaque`` or, in a
user namespace, ``user.overlay.opaque`` = ``y``) are deletions made by their layer
(internals.md §5.3).
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .model.fs import FilePreview, FsChange, FsDir, FsEntry, LayerSummary
from .procfs import read_fd

LIST_MAX = 100_000
"""Entries kept per directory (the total is still counted)."""
CHANGES_MAX = 2000
PREVIEW_BYTES = 64 * 1024
HEX_BYTES = 1024
CACHE_DIRS = 256
"""How often the source runs without its watch: what a change waits at most when the watch
cannot see it."""
OPAQUE = (b"trusted.overlay.opaque", b"user.overlay.opaque")
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
KINDS = ((stat.S_ISDIR, "dir"), (stat.S_ISREG, "file"), (stat.S_ISLNK, "link"), (stat.S_ISFIFO, "fifo"),
         (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "char"), (stat.S_ISBLK, "block"))


def kind_of(mode: int) -> str:
    return next((name for test, name in KINDS if test(mode)), "other")


def is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def is_opaque(fd: int) -> bool:
    for name in OPAQUE:
        try:
            if os.getxattr(fd, name) == b"y":
                return True
        except OSError:
            continue
    return False


def parts_of(path: str) -> list[str]:
    return [p for p in path.split("/") if p and p != "."]


@contextmanager
def open_dir(root: str, parts: list[str]) -> Iterator[tuple[int | None, bool]]:
    """``(fd of root/parts…, hides_lower)`` walking each component with ``O_NOFOLLOW``: fd is
    None when this layer has no such directory; ``hides_lower`` when something in this layer
    (an opaque directory on the way, a file or whiteout in place of a directory) hides the
    layers below it at this path."""
    fd = os.open(root, _DIR)
    hides = False
    try:
        for name in parts:
            if name == "..":
                raise OSError(errno.EINVAL, "'..' in a path", name)
            try:
                nfd = os.open(name, _DIR, dir_fd=fd)
            except FileNotFoundError:
                os.close(fd)
                fd = -1
                yield None, hides
                return
            except (NotADirectoryError, OSError) as exc:
                if isinstance(exc, NotADirectoryError) or exc.errno == errno.ELOOP:
                    os.close(fd)
                    fd = -1
                    yield None, True  # a file, link or whiteout shadows the directory below
                    return
                raise
            os.close(fd)
            fd = nfd
            hides = hides or is_opaque(fd)
        yield fd, hides
    finally:
        if fd >= 0:
            os.close(fd)


def scan(fd: int) -> list[tuple[str, os.stat_result]]:
    out = []
    with os.scandir(fd) as it:
        for e in it:
            try:
                out.append((e.name, os.stat(e.name, dir_fd=fd, follow_symlinks=False)))
            except OSError:
                continue
    return out


def _link(fd: int, name: str) -> str:
    try:
        return os.readlink(name, dir_fd=fd)
    except OSError:
        return ""


Layers = list[tuple[str, str]]
"""``(layer key, directory to open)``, top first."""


def _merge(layers: Layers, path: str, cache: OrderedDict[Any, Any] | None,
           immutable: frozenset[str]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every name of one directory across the layers, top first: the copy that shows (or the
    deletion), how many lower copies it shadows; and the layers that hold the directory."""
    parts = parts_of(path)
    found: dict[str, dict[str, Any]] = {}
    held: list[str] = []
    hidden_by = ""
    for key, root in layers:
        ckey = (root, path)
        hit = cache.get(ckey) if cache is not None and key in immutable else None
        if hit is None:
            with open_dir(root, parts) as (fd, hides):
                if fd is None:
                    hit = (None, hides, False)
                else:
                    hit = ([(n, st, _link(fd, n) if stat.S_ISLNK(st.st_mode) else "",
                             is_opaque_entry(fd, n, st)) for n, st in scan(fd)], hides, is_opaque(fd))
            if cache is not None and key in immutable:
                cache[ckey] = hit
                while len(cache) > CACHE_DIRS:
                    cache.popitem(last=False)
        entries, hides, opaque_here = hit
        if entries is not None:
            if not hidden_by:
                held.append(key)
            for name, st, link, opaque in entries:
                if name in found:
                    found[name]["lower"] += 1
                    continue
                deleted = bool(hidden_by) or is_whiteout(st)
                found[name] = {"st": st, "layer": hidden_by or key, "lower": 0, "link": link, "opaque": opaque,
                               "deleted": deleted, "skip": bool(hidden_by) and is_whiteout(st)}
        if hides or opaque_here:
            if hidden_by:
                break
            hidden_by = key  # the rest are shown as deleted by this layer
    return found, held


def visible_names(layers: Layers, path: str, cache: OrderedDict[Any, Any] | None = None,
                  immutable: frozenset[str] = frozenset()) -> set[str]:
    """The names the merged view of ``layers`` shows in directory ``path`` (deletions left out)."""
    found, _ = _merge(layers, path, cache, immutable)
    return {name for name, f in found.items() if not f["deleted"]}


def list_merged(layers: Layers, path: str, mounts: dict[str, str] | None = None,
                cache: OrderedDict[Any, Any] | None = None, immutable: frozenset[str] = frozenset()) -> FsDir:
    """One directory of the merged view. ``cache`` keeps the scans of ``immutable`` layers (the
    image's: they never change)."""
    parts = parts_of(path)
    found, held = _merge(layers, path, cache, immutable)
    base = layers[-1][0] if layers else ""
    out = []
    for name, f in found.items():
        if f["skip"]:  # deleted below a layer that hides it anyway: was never visible from here
            continue
        st = f["st"]
        if f["deleted"]:
            status = "deleted"
        elif f["lower"]:
            status = "modified"
        else:
            status = "" if f["layer"] == base else "added"
        full = "/" + "/".join(parts + [name])
        out.append(FsEntry(name=name, kind="whiteout" if is_whiteout(st) else kind_of(st.st_mode),
                           size=st.st_size, mode=st.st_mode, uid=st.st_uid, gid=st.st_gid, mtime=st.st_mtime,
                           layer=f["layer"], status=status, lower_copies=f["lower"], link=f["link"],
                           opaque=f["opaque"], mount=(mounts or {}).get(full, "")))
    out.sort(key=lambda e: (e.kind != "dir", e.name))
    return FsDir(path="/" + "/".join(parts), entries=tuple(out[:LIST_MAX]), layers=tuple(held), total=len(out))


def is_opaque_entry(fd: int, name: str, st: os.stat_result) -> bool:
    if not stat.S_ISDIR(st.st_mode):
        return False
    try:
        sub = os.open(name, _DIR, dir_fd=fd)
    except OSError:
        return False
    try:
        return is_opaque(sub)
    finally:
        os.close(sub)


def changes(upper: str, lower: Layers, limit: int = CHANGES_MAX, cache: OrderedDict[Any, Any] | None = None,
            immutable: frozenset[str] = frozenset()) -> tuple[tuple[FsChange, ...], int]:
    """``docker diff``: every entry of the writable layer — ``D`` for a whiteout, ``C`` where a
    lower layer shows the path, else ``A``; an opaque directory deletes what the layers below
    showed in it — depth first, sorted; capped at ``limit`` (``total`` counts them all). Each
    directory is compared with the merged view of the layers below once (not entry by entry)."""
    out: list[FsChange] = []
    total = 0
    stack = [""]
    while stack:
        rel = stack.pop()
        with open_dir(upper, parts_of(rel)) as (fd, _):
            if fd is None:
                continue
            entries = sorted(scan(fd))
            opaque = bool(rel) and is_opaque(fd)
        for name, st in reversed(entries):
            if stat.S_ISDIR(st.st_mode):
                stack.append(f"{rel}/{name}")
        below = visible_names(lower, rel or "/", cache, immutable) if lower else set()
        found = [(f"{rel}/{name}", "D" if is_whiteout(st) else "C" if name in below else "A",
                  stat.S_ISDIR(st.st_mode), 0 if stat.S_ISDIR(st.st_mode) else st.st_size) for name, st in entries]
        if opaque:
            mine = {name for name, _ in entries}
            found += [(f"{rel}/{name}", "D", False, 0) for name in sorted(below - mine)]
        for p, kind, is_dir, size in found:
            total += 1
            if len(out) < limit:
                out.append(FsChange(p, kind, is_dir, size))
    out.sort(key=lambda c: c.path)
    return tuple(out), total


def shadowed(upper: Layers, path: str) -> bool:
    """Whether a layer in ``upper`` has ``path`` (a copy or a whiteout) or hides it (an opaque
    directory, or a file in place of a directory on the way)."""
    parts = parts_of(path)
    for _, root in upper:
        with open_dir(root, parts[:-1]) as (fd, hides):
            if hides:
                return True
            if fd is not None:
                try:
                    os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
                    return True
                except FileNotFoundError:
                    continue
    return False


SUMMARY_MAX = 20000
"""Entries a layer may hold for its wasted space to be counted."""


def layer_summary(layers: Layers, i: int, images: int, cache: OrderedDict[Any, Any] | None = None,
                  immutable: frozenset[str] = frozenset()) -> LayerSummary:
    """Layer ``i``'s own diff against the layers below it, counted; its wasted bytes are those of
    its files that an image layer above it overwrites or deletes — what dive calls wasted space
    (``images``: how many layers on top are the container's, not the image's; they count none)."""
    key, root = layers[i]
    found, total = changes(root, layers[i + 1:], SUMMARY_MAX, cache, immutable)
    files = [c for c in found if not c.is_dir and c.kind != "D"]
    above = layers[images:i] if i >= images else []
    wasted = sum(c.size for c in files if shadowed(above, c.path)) if total <= SUMMARY_MAX else 0
    return LayerSummary(layer=key, added=sum(c.kind == "A" for c in found), modified=sum(c.kind == "C" for c in found),
                        deleted=sum(c.kind == "D" for c in found), size=sum(c.size for c in files), wasted=wasted,
                        entries=total)


def preview(layers: Layers, path: str, labels: dict[str, str]) -> FilePreview:
    """The visible copy of ``path``: metadata, and text or hex of a regular file (bounded)."""
    parts = parts_of(path)
    if not parts:
        raise OSError(errno.EISDIR, "the root is a directory", path)
    for key, root in layers:
        with open_dir(root, parts[:-1]) as (fd, hides):
            if fd is not None:
                try:
                    st = os.stat(parts[-1], dir_fd=fd, follow_symlinks=False)
                except FileNotFoundError:
                    if hides:
                        break
                    continue
                return _describe(fd, parts[-1], st, "/" + "/".join(parts), key, os.path.join(root, *parts))
            if hides:
                break
    raise FileNotFoundError(errno.ENOENT, "not in any layer", path)


def _describe(dfd: int, name: str, st: os.stat_result, path: str, layer: str, where: str) -> FilePreview:
    kind = "whiteout" if is_whiteout(st) else kind_of(st.st_mode)
    base = dict(path=path, layer=layer, layer_path=where, kind=kind, size=st.st_size, mode=st.st_mode,
                uid=st.st_uid, gid=st.st_gid, mtime=st.st_mtime, inode=st.st_ino)
    if kind == "link":
        return FilePreview(**base, link=_link(dfd, name), note="a symlink: shown, never followed")
    if kind == "whiteout":
        return FilePreview(**base, note="a whiteout: this layer deletes the path")
    if kind != "file":
        xattrs = _xattrs_of_dir(dfd, name) if kind == "dir" else ()
        return FilePreview(**base, xattrs=xattrs, note="" if kind == "dir" else f"a {kind}: never opened")
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC, dir_fd=dfd)
    try:
        again = os.fstat(fd)
        if not stat.S_ISREG(again.st_mode) or again.st_ino != st.st_ino:
            return FilePreview(**base, error="changed while being opened: not read")
        tail = is_log(path)
        cut = tail and again.st_size > PREVIEW_BYTES
        if cut:
            os.lseek(fd, again.st_size - PREVIEW_BYTES, os.SEEK_SET)
        data = read_fd(fd, PREVIEW_BYTES)
        xattrs = _xattrs(fd)
    finally:
        os.close(fd)
    if b"\0" in data[:8192]:
        return FilePreview(**base, xattrs=xattrs, hexdump=hexdump(data[:HEX_BYTES]), truncated=st.st_size > HEX_BYTES)
    if cut:  # from the first whole line on
        data = data[data.find(b"\n") + 1:]
    return FilePreview(**base, xattrs=xattrs, text=data.decode("utf-8", "replace"), truncated=st.st_size > len(data),
                       tail=tail)


LOG_NAME = re.compile(r"(\.log(\.\d+)?|\.out|\.err|^(messages|syslog|kern\.log|dmesg))$")


def is_log(path: str) -> bool:
    """A log, whose end is what a user wants to see (``*.log``, ``*.log.1``, anything under a
    ``log``/``logs`` directory, ``messages``, ``syslog``)."""
    parts = path.rsplit("/", 2)
    return bool(LOG_NAME.search(parts[-1])) or (len(parts) > 1 and parts[-2] in ("log", "logs"))


def _xattrs(fd: int) -> tuple[tuple[str, str], ...]:
    out = []
    try:
        names = os.listxattr(fd)
    except OSError:
        return ()
    for n in sorted(names):
        try:
            v = os.getxattr(fd, n)
        except OSError:
            continue
        out.append((n, v.decode("utf-8", "replace") if len(v) < 80 and v.isascii() else v[:32].hex()))
    return tuple(out)


def _xattrs_of_dir(dfd: int, name: str) -> tuple[tuple[str, str], ...]:
    try:
        fd = os.open(name, _DIR, dir_fd=dfd)
    except OSError:
        return ()
    try:
        return _xattrs(fd)
    finally:
        os.close(fd)


def hexdump(data: bytes) -> str:
    """``xxd``-style lines: offset, 16 bytes in hex, printable ASCII."""
    lines = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        hx = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        lines.append(f"{off:08x}: {hx:<39}  {''.join(chr(b) if 32 <= b < 127 else '.' for b in chunk)}")
    return "\n".join(lines)
