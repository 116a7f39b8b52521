"""Source ``files``: the selected container's filesystem for the Files tab — the directories it
has open, merged from the layers (:mod:`fsmerge`) or read from a volume or bind mounted there,
the writable layer's changes the way ``docker diff`` lists them, one layer's own diff (dive's
view), and the preview of the file under the cursor."""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from .collect import Context, SourceState, Unavailable
from .fsmerge import (CACHE_DIRS, CHANGES_MAX, Layers, changes, layer_summary, list_merged, open_dir, parts_of,
                      preview)
from .model.fs import FilePreview, FilesRequest, FilesView, FsChange, FsDir, LayerSummary
from .model.layers import LayerStack

EVERY_S = 2.0
"""How often the writable layer is read again (the live watch, when it runs, is quicker)."""


def _listing(layers: Layers, mutable: Layers, path: str, mounts: dict[str, str], cache: OrderedDict[Any, Any],
             immutable: frozenset[str], kept: dict[tuple[str, str, bool], FsDir]) -> FsDir:
    """``list_merged``, with the same :class:`FsDir` handed back while the directory is as it
    was: one only image layers hold (the container's layers neither have it nor hide it) is not
    read again, and one the container's layers hold is read and compared. The tab redraws
    nothing for a directory handed back as it was."""
    parts = parts_of(path)
    untouched = True
    for _, root in mutable:
        with open_dir(root, parts) as (fd, hides):
            if fd is not None or hides:
                untouched = False
                break
    key = ("\0".join(root for _, root in layers), path, untouched)
    before = kept.get(key)
    if untouched and before is not None:
        return before
    d = list_merged(layers, path, mounts, cache, immutable)
    if d == before:
        return before
    if len(kept) > CACHE_DIRS:
        kept.clear()
    kept[key] = d
    return d


def content_dir(stack: LayerStack) -> str:
    """Where a layer's files are in its directory: ``diff`` (overlay2), ``fs`` (a containerd snapshot)."""
    return "fs" if stack.store == "containerd" else "diff"


def layer_roots(ctx: Context, stack: LayerStack) -> Layers:
    sub = content_dir(stack)
    root = ctx.engine.docker_root_dir.value if ctx.engine is not None else ""
    return [(lay.key, ctx.paths.in_docker_root(os.path.join(lay.directory.value, sub), root))
            for lay in stack.layers if lay.directory.value]


def layer_labels(stack: LayerStack) -> tuple[tuple[str, str], ...]:
    made = {h.layer: h.created_by or h.comment for h in stack.history if h.layer >= 0}
    out = []
    for lay in stack.layers:
        if lay.role == "rw":
            out.append((lay.key, "writable"))
        elif lay.role == "init":
            out.append((lay.key, "-init"))
        else:
            by = " ".join(made.get(lay.position, "").replace("/bin/sh -c #(nop) ", "").replace("/bin/sh -c ", "RUN ").split())
            out.append((lay.key, f"#{lay.position} {by}".strip()))
    return tuple(out)


@dataclass(frozen=True)
class Mounted:
    """A volume, bind or engine file mounted into the container: inside the container its path
    shows ``source`` (a host path), not the layers' copy."""

    destination: str
    source: str
    label: str

    @property
    def key(self) -> str:
        return "mount:" + self.destination

    def holds(self, path: str) -> bool:
        return path == self.destination or path.startswith(self.destination.rstrip("/") + "/")

    def inside(self, path: str) -> tuple[Layers, str]:
        """``path`` (in the container) as one layer and a path in it: a directory's source is
        the layer's root; a file's parent is, so the same safe walk opens it."""
        rest = path[len(self.destination.rstrip("/")):] or "/"
        if os.path.isdir(self.source):
            return [(self.key, self.source)], rest
        parent, name = os.path.split(self.source)
        return [(self.key, parent)], "/" + name + (rest if rest != "/" else "")


def mounted(ctx: Context) -> list[Mounted]:
    """What is mounted into the selected container, deepest destination first: ``Mounts``
    (volumes, binds) and the engine's own ``/etc/hostname``, ``hosts``, ``resolv.conf``."""
    c = ctx.selected
    if c is None or c.detail is None:
        return []
    root = ctx.engine.docker_root_dir.value if ctx.engine is not None else ""
    out = [Mounted(m.destination, ctx.paths.in_docker_root(m.source, root), f"{m.type}: {m.name or m.source}")
           for m in c.detail.mounts if m.source and m.destination.startswith("/")]
    cdir = c.detail.container_dir.value
    if cdir:
        for name in ("hostname", "hosts", "resolv.conf"):
            src = ctx.paths.in_docker_root(f"{cdir}/{name}", root)
            if f"/etc/{name}" not in {m.destination for m in out} and os.path.isfile(src):
                out.append(Mounted(f"/etc/{name}", src, f"bind: {cdir}/{name} (the engine's, over the layers' copy)"))
    return sorted(out, key=lambda m: -len(m.destination))


def _in_mount(mounts: list[Mounted], path: str) -> Mounted | None:
    return next((m for m in mounts if m.holds(path)), None)


def collect_files(ctx: Context, state: SourceState) -> FilesView:
    """The directories asked for (``FilesRequest``; ``/`` by default), the writable layer's
    changes, and the preview of the selected file — for the selected container."""
    c = ctx.selected
    if c is None:
        raise Unavailable("select a container")
    res = ctx.results.get("layers")
    stack = res.value if res is not None and res.key == c.id and isinstance(res.value, LayerStack) else None
    if stack is None:
        raise Unavailable(res.error if res is not None and res.error and res.key == c.id else "reading the layers…")
    layers = layer_roots(ctx, stack)
    if not layers:
        raise Unavailable("no layer directory is known: " + "; ".join(stack.notes or (stack.mount_note,)))
    req = ctx.arg if isinstance(ctx.arg, FilesRequest) and ctx.arg.cid == c.id else FilesRequest(c.id)
    cache: OrderedDict[Any, Any] = state.cache.setdefault("dirs", OrderedDict())
    immutable = frozenset(lay.key for lay in stack.layers if lay.role == "image")
    mnts = mounted(ctx)
    mounts = {m.destination: m.label for m in mnts}
    dirs = []
    kept: dict[tuple[str, str, bool], FsDir] = state.cache.setdefault("listings", {})  # (roots, path, untouched)
    mutable = [x for x in layers if x[0] not in immutable]
    for path in dict.fromkeys(("/",) + req.expanded):
        try:
            m = _in_mount(mnts, path)
            if m is not None:  # what the container sees there: the mount's source
                where, rest = m.inside(path)
                dirs.append(replace(list_merged(where, rest), path=path))
            else:
                dirs.append(_listing(layers, mutable, path, mounts, cache, immutable, kept))
        except PermissionError:
            raise Unavailable(f"needs root: the layer directories under {stack.store_root} are readable by "
                              "root only") from None
        except OSError as exc:
            dirs.append(FsDir(path=path, entries=(), error=exc.strerror or str(exc)))
    notes = []
    upper = next((root for key, root in layers if key == "rw"), "")
    found, total = changes(upper, [x for x in layers if x[0] != "rw"], CHANGES_MAX, cache, immutable) \
        if upper else ((), 0)
    if not upper:
        notes.append("no writable layer known (an image, or the containerd store while the container is stopped)")
    elif ctx.watch:
        notes.append(f"{ctx.watch}; changes there are found by reading it again every {EVERY_S:g} s")
    shown = None
    if req.selected:
        labels = dict(layer_labels(stack))
        m = _in_mount(mnts, req.selected)
        try:
            if m is not None:
                where, rest = m.inside(req.selected)
                if rest == "/":  # the mount point itself: its source described from the source's parent
                    where, rest = [(m.key, os.path.dirname(m.source))], "/" + os.path.basename(m.source)
                shown = replace(preview(where, rest, labels), path=req.selected)
            else:
                shown = preview(layers, req.selected, labels)
        except OSError as exc:
            shown = FilePreview(path=req.selected, layer="", layer_path="", kind="", size=0, mode=0, uid=0, gid=0,
                                mtime=0.0, inode=0, error=exc.strerror or str(exc))
    summaries: list[LayerSummary] = []
    layer_found: tuple[FsChange, ...] = ()
    layer_total = 0
    if req.layer:
        images = sum(1 for lay in stack.layers if lay.role != "image" and lay.directory.value)
        cached: dict[tuple[str, str], LayerSummary] = state.cache.setdefault("summaries", {})
        for i, (key, root) in enumerate(layers):
            if key in immutable and (root, key) in cached:
                summaries.append(cached[(root, key)])
                continue
            summaries.append(layer_summary(layers, i, images, cache, immutable))
            if key in immutable:
                cached[(root, key)] = summaries[-1]
        at = next((i for i, (key, _) in enumerate(layers) if key == req.layer), None)
        if at is not None:
            layer_found, layer_total = changes(layers[at][1], layers[at + 1:], CHANGES_MAX, cache, immutable)
    sub = content_dir(stack)
    return FilesView(cid=c.id, layers=layer_labels(stack), mounts=tuple((m.key, m.label) for m in mnts),
                     dirs=tuple(dirs), changes=found, changes_total=total,
                     summaries=tuple(summaries), layer=req.layer, layer_changes=layer_found, layer_total=layer_total,
                     preview=shown, notes=tuple(notes), upper=upper,
                     layer_dirs=tuple((lay.key, os.path.join(lay.directory.value, sub))
                                      for lay in stack.layers if lay.directory.value)
                     + tuple((m.key, m.source) for m in mnts),
                     source=f"ls -la {stack.store_root}/<layer>/{sub}/… (each layer, top first)")
