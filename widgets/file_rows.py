"""The Files tab's rows, built from the backend's :class:`FilesView` (no I/O): the tree of the
open directories (kept between redraws, grown in chunks), the per-layer table, the preview's
metadata, and the filters (``/`` names, ``f`` status)."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from typing import Any

from rich.text import Text

from tui.backend.model.fs import FilePreview, FilesView, FsDir, FsEntry
from widgets.format import human_bytes, text, when


STATUS_STYLE = {"added": "green", "modified": "yellow", "deleted": "red strike"}
CHANGE_STYLE = {"A": "green", "C": "yellow", "D": "red"}


def short_layer(key: str) -> str:
    if key.startswith("mount:"):
        return "mount"
    return {"rw": "writable", "init": "-init"}.get(key, "#" + key.split(":")[-1] if key.startswith("image:") else key)


def join(parent: str, name: str) -> str:
    return f"{parent.rstrip('/')}/{name}"


LAYER_STYLE = {"rw": "green", "mount:": "magenta"}


CHUNK = 2000
"""Rows a big directory adds to the tree per step (the pane takes a step every 50 ms), so
opening one of 50 000 entries never holds the keyboard up."""
MORE = FsEntry("", "", 0, 0, 0, 0, 0.0, "")


def entry_cells(e: FsEntry, depth: int, opened: bool, fresh: bool) -> tuple[Text, ...]:
    is_dir = e.kind == "dir" and e.status != "deleted"
    mark = ("▾ " if opened else "▸ ") if is_dir else "  "
    name = Text("  " * depth + mark)
    style = STATUS_STYLE.get(e.status, "bold" if is_dir else "")
    name.append_text(text(e.name, style=f"{style} reverse" if fresh else style))
    if e.kind == "link":
        name.append_text(text(f" → {e.link}", style="cyan"))
    if e.opaque:
        name.append(" (opaque)", style="magenta")
    status = Text("mount", style="bold magenta") if e.mount else Text(e.status, style=STATUS_STYLE.get(e.status, ""))
    return (name, Text(short_layer(e.layer), style=LAYER_STYLE.get(e.layer[:6], "dim")), status,
            Text("" if e.kind == "dir" else human_bytes(e.size)))


Row = tuple[str, tuple[Text, ...], FsEntry]

KINDS = ("", "added", "modified", "deleted", "unmodified")
"""What ``f`` cycles through: every entry, then one status (dive's filters)."""
KIND_OF_CHANGE = {"A": "added", "C": "modified", "D": "deleted"}


@dataclass(frozen=True)
class Filter:
    """``/``: names containing ``names`` in ``directory`` (the one the cursor was in); ``f``:
    one status in every list. Directories in the tree stay, so the tree can still be walked."""

    directory: str = "/"
    names: str = ""
    kind: str = ""

    def at(self, path: str) -> tuple[str, str] | None:
        """What filters ``path``'s entries (``None``: nothing)."""
        names = self.names if path == self.directory else ""
        return (names, self.kind) if names or self.kind else None

    def keeps(self, e: FsEntry, path: str) -> bool:
        if path == self.directory and self.names and self.names not in e.name.lower():
            return False
        if not self.kind or (e.kind == "dir" and e.status != "deleted"):
            return True
        return e.status == ("" if self.kind == "unmodified" else self.kind)

    def keeps_change(self, path: str, kind: str) -> bool:
        """A line of the changes or per-layer list (full paths: the names filter matches the path)."""
        return (not self.names or self.names in path.lower()) and (not self.kind or KIND_OF_CHANGE[kind] == self.kind)


class TreeRows:
    """The tree's rows from the open directories, built incrementally: the rows of a directory
    with nothing open inside it are kept while the backend hands back the same :class:`FsDir`
    (it does while only image layers hold it), a row's cells are kept while its entry is equal,
    and a big directory is shown ``CHUNK`` entries more at each :meth:`grow`."""

    def __init__(self) -> None:
        self._segs: dict[str, tuple[FsDir, tuple[Any, ...], list[Row]]] = {}
        self._cells: dict[tuple[FsEntry, int, bool, bool], tuple[Text, ...]] = {}
        self.shown: dict[str, int] = {}
        """Entries shown so far per directory (``CHUNK`` first, more at each ``grow``)."""

    def reset(self) -> None:
        self._segs.clear()
        self._cells.clear()
        self.shown.clear()

    def growing(self, v: FilesView, expanded: set[str]) -> bool:
        return any(len(d.entries) > self.shown.get(d.path, CHUNK) for d in v.dirs if d.path in expanded)

    def grow(self) -> None:
        for path in self.shown:
            self.shown[path] += CHUNK

    def rows(self, v: FilesView, expanded: set[str], fresh: frozenset[str] = frozenset(),
             look: Filter | None = None) -> list[Row]:
        """Depth-first rows of the open directories: (path, cells, entry); ``fresh`` paths
        changed a moment ago (highlighted); ``look``: the filter (names in one directory, a
        status everywhere; directories stay, to walk through)."""
        dirs = {d.path: d for d in v.dirs}
        segs: dict[str, tuple[FsDir, tuple[Any, ...], list[Row]]] = {}
        cells_kept: dict[tuple[FsEntry, int, bool, bool], tuple[Text, ...]] = {}

        def walk(path: str, depth: int) -> list[Row]:
            d = dirs.get(path)
            if d is None:
                return []
            limit = self.shown.setdefault(path, CHUNK)
            prefix = "/" if path == "/" else path + "/"
            inner = any(p.startswith(prefix) and p != path for p in expanded)
            here = look.at(path) if look is not None else None
            key = (depth, limit, frozenset(p for p in fresh if p.startswith(prefix)), here)
            entries = d.entries if here is None else tuple(e for e in d.entries if look.keeps(e, path))
            old = self._segs.get(path)
            if not inner and old is not None and old[0] is d and old[1] == key:
                segs[path] = old
                return old[2]
            out: list[Row] = []
            for e in entries[:limit]:
                p = join(path, e.name)
                ck = (e, depth, p in expanded, p in fresh)
                cells = self._cells.get(ck) or entry_cells(*ck)
                cells_kept[ck] = cells
                out.append((p, cells, e))
                if ck[2] and e.kind == "dir" and e.status != "deleted":
                    out.extend(walk(p, depth + 1))
            pad = "  " * depth
            if here is not None and look.names and path == look.directory:
                out.append((f"{prefix}\0filter", (Text(f"{pad}{len(entries):,} of {len(d.entries):,} match "
                                                       f"/{look.names}", style="yellow"), Text(""), Text(""), Text("")),
                            MORE))
            if len(entries) > limit:
                out.append((f"{prefix}\0more", (Text(f"{pad}loading… {limit:,} of {len(entries):,} entries",
                                                     style="yellow"), Text(""), Text(""), Text("")), MORE))
            elif d.total > len(d.entries):
                out.append((f"{prefix}\0more", (Text(f"{pad}… {d.total - len(d.entries):,} more entries not listed",
                                                     style="yellow"), Text(""), Text(""), Text("")), MORE))
            if not inner:
                segs[path] = (d, key, out)
            return out

        out = walk("/", 0)
        self._segs, self._cells = segs, cells_kept
        self.shown = {p: n for p, n in self.shown.items() if p in expanded}
        return out


def layer_rows(v: FilesView, labels: dict[str, str], look: Filter = Filter()) -> list[tuple[str, tuple[Text, ...]]]:
    """Per-layer mode: a line per layer (its own diff counted, wasted bytes), then the chosen
    layer's entries (those ``look`` keeps)."""
    rows: list[tuple[str, tuple[Text, ...]]] = []
    for sm in v.summaries:
        mark = "▶ " if sm.layer == v.layer else "  "
        counted = sm.added + sm.modified + sm.deleted
        more = f" (of {sm.entries:,})" if sm.entries > counted else ""
        what = Text(f"+{sm.added} ~{sm.modified} -{sm.deleted}{more}  ", style="bold" if sm.layer == v.layer else "")
        what.append_text(text(labels.get(sm.layer, sm.layer), style="dim"))
        rows.append((f"sum:{sm.layer}", (Text(mark + short_layer(sm.layer), style="bold"), what,
                                         Text(human_bytes(sm.size)),
                                         Text(human_bytes(sm.wasted) if sm.wasted else "", style="yellow"))))
    if v.summaries:
        total = sum(sm.size for sm in v.summaries if sm.layer.startswith("image:"))
        wasted = sum(sm.wasted for sm in v.summaries)
        eff = f"{100 * (1 - wasted / total):.1f} %" if total else "—"
        rows.append(("sum:total", (Text("image", style="bold"), Text(f"efficiency {eff} (dive's score: bytes not "
                                   "overwritten or deleted by a later layer)", style="dim"),
                                   Text(human_bytes(total)), Text(human_bytes(wasted), style="yellow"))))
    if v.layer:
        kept = [ch for ch in v.layer_changes if look.keeps_change(ch.path, ch.kind)]
        which = " · ".join(x for x in (look.kind, f"/{look.names}" if look.names else "") if x)
        rows.append(("§entries", (Text(""), Text(f"{labels.get(v.layer, v.layer)}: {v.layer_total} entries"
                                                 + (f" ({len(kept)} {which})" if which else ""),
                                                 style="bold underline"), Text(""), Text(""))))
        for ch in kept:
            kind = {"A": "added", "C": "modified", "D": "deleted"}[ch.kind]
            rows.append((f"lc:{ch.path}", (Text(kind, style=STATUS_STYLE.get(kind, "")),
                                           text(ch.path + ("/" if ch.is_dir else "")),
                                           Text("" if ch.is_dir or ch.kind == "D" else human_bytes(ch.size)),
                                           Text(""))))
    return rows


def meta_rows(p: FilePreview, labels: dict[str, str], now: float) -> list[tuple[str, tuple[Text, Text]]]:
    rows = [("path", p.path), ("layer", f"{labels.get(p.layer, short_layer(p.layer))}"),
            ("on host", p.layer_path),
            ("type", f"{p.kind}  {stat.filemode(p.mode)}  uid {p.uid} gid {p.gid}"),
            ("size", f"{human_bytes(p.size)} ({p.size:,} B)  inode {p.inode}"),
            ("modified", when(p.mtime, now))]
    if p.link:
        rows.append(("target", p.link))
    rows += [("xattrs" if i == 0 else "", f"{k} = {v}") for i, (k, v) in enumerate(p.xattrs)]
    if p.note:
        rows.append(("note", p.note))
    if p.error:
        rows.append(("error", p.error))
    return [(f"m{i}", (Text(k, style="bold"), text(v, style="yellow" if k in ("note", "error") else "")))
            for i, (k, v) in enumerate(rows)]
