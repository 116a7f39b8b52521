"""Files pane (tab 7): the container's filesystem as overlayfs merges it, computed from the layers
— a lazy tree where each entry shows the layer its visible copy comes from and whether that
layer added it, modified it (shadowing a lower copy) or deleted it (whiteout, opaque directory);
volumes and binds browsed from their sources; a preview of the file under the cursor (text, a
log's end, hex, symlink target, metadata, which layer's copy). ``d`` lists the writable layer's
changes as ``docker diff`` does, ``l`` each layer's own diff (dive), ``/`` and ``f`` filter. The
rows are built in :mod:`widgets.file_rows`."""

from __future__ import annotations

import time
from itertools import count
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from tui.backend.model import Snapshot
from tui.backend.model.actions import Action
from tui.backend.model.fs import FilePreview, FilesRequest, FilesView, FsEntry
from tui.messages import Ask, DoAction
from widgets.file_rows import CHANGE_STYLE, KINDS, Filter, TreeRows, layer_rows, meta_rows, short_layer
from widgets.format import human_bytes, set_border, text
from widgets.live_table import Column, LiveTable
from widgets.pane import Pane, PaneCommand, show_reason

TREE = (Column("name", "NAME", 0), Column("layer", "LAYER", 9), Column("status", "", 9),
        Column("size", "SIZE", 8, right=True, drop=1))
CHANGES = (Column("kind", "", 2), Column("path", "PATH (docker diff)", 0), Column("size", "SIZE", 8, right=True))
LAYERS = (Column("kind", "", 10), Column("what", "LAYER'S OWN DIFF (enter: its entries)", 0),
          Column("size", "SIZE", 9, right=True), Column("wasted", "WASTED", 9, right=True, drop=1))
META = (Column("field", "", 10), Column("value", "", 0))
FRESH_S = 3.0
"""How long a change that just happened stays highlighted."""
GROW_S = 0.05
PREVIEW_LINES = 2000
"""Lines of a preview put on screen: the start of a file, the end of a log."""


class FilesPane(Vertical, Pane):
    """The tree (or the changes) on the left, the preview of the file under the cursor beside it."""

    PANE_ID = "files"
    TITLE = "Files"
    KEY = "7"
    SUMMARY = "The container's files as the layers make them: each entry's layer, added / modified / deleted"
    ORIGIN = "ls -la /var/lib/docker/overlay2/<layer>/diff/… ; docker diff NAME"
    SOURCES = ("files", "layers", "images")
    HELP = (("enter / →", "open or close a directory"), ("←", "close the directory (or go to its parent)"),
            ("d", "the writable layer's changes (docker diff) / the tree"),
            ("l", "per layer: each layer's own diff and wasted space; enter on one lists it / the tree"),
            ("/", "filter the names in the cursor's directory (the paths in the changes / a layer's list)"),
            ("f", "show one status: added, modified, deleted, unmodified, all (like dive)"),
            ("y", "copy the entry under the cursor out to a host path (docker cp), after a confirmation"),
            ("esc", "clear the filters"))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter here", show=False),
        Binding("escape", "clear_filter", "Clear the filter", show=False),
    ]
    COMMANDS = (PaneCommand("Files: changes", "The writable layer's changes as docker diff lists them (d)",
                            "toggle_changes", "d"),
                PaneCommand("Files: per layer", "Each layer's own diff, its size and wasted space, like dive (l)",
                            "toggle_layers", "l"),
                PaneCommand("Files: filter by status", "Only added, modified, deleted or unmodified entries (f)",
                            "cycle_kind", "f"),
                PaneCommand("Files: copy out (docker cp)", "Copy the entry under the cursor to a host path (y)",
                            "copy_out", "y"))

    DEFAULT_CSS = """
    FilesPane #fs-notes { height: auto; max-height: 3; color: $warning; }
    FilesPane #fs-filter { dock: top; }
    FilesPane #fs-main { height: 1fr; }
    FilesPane #fs-tree, FilesPane #fs-changes, FilesPane #fs-layers { width: 55%; height: 1fr; }
    FilesPane #fs-side { width: 1fr; border-left: solid $panel-lighten-2; }
    FilesPane #fs-meta { height: 1; max-height: 50%; }
    FilesPane #fs-body { height: 1fr; border-top: solid $panel-lighten-2; }
    """

    _asks = count(1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.expanded: set[str] = {"/"}
        self.selected = ""
        self.mode = "tree"
        """``tree``, ``changes`` (d) or ``layers`` (l)."""
        self.chosen_layer = ""
        self._cid: str | None = None
        self._view: FilesView | None = None
        self._entries: dict[str, FsEntry] = {}
        self._source = ""
        self._asked: FilesRequest | None = None
        self._reveal = ""
        self._changes: set[str] | None = None
        self._fresh: dict[str, float] = {}
        self._tree = TreeRows()
        self._grow_due = False
        self._drawn: tuple[Any, ...] = ()
        self._drawn_changes: tuple[Any, ...] = ()
        self._body_of: FilePreview | None = None
        self.look = Filter()
        self._notes: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        box = Input(id="fs-filter")
        box.display = False
        yield box
        notes = Static("", id="fs-notes")
        notes.display = False
        yield notes
        with Horizontal(id="fs-main"):
            yield LiveTable(TREE, id="fs-tree", source=self._row_source, flex_min=20)
            changes = LiveTable(CHANGES, id="fs-changes", source=lambda k: (f"docker diff {self._cid or ''}", "diff"))
            changes.display = False
            yield changes
            per_layer = LiveTable(LAYERS, id="fs-layers", source=self._layer_source)
            per_layer.display = False
            yield per_layer
            with Vertical(id="fs-side"):
                yield LiveTable(META, show_header=False, id="fs-meta", source=lambda k: (self._meta_source(), ""))
                yield LiveTable((Column("line", "", 0),), show_header=False, id="fs-body",
                                source=lambda k: (self._meta_source(), ""))

    @property
    def table(self) -> LiveTable:
        return self.query_one(f"#fs-{self.mode}", LiveTable)

    def focus(self, scroll_visible: bool = True) -> Any:
        self.table.focus(scroll_visible)
        return self

    def _layer_source(self, key: str) -> tuple[str, str]:
        dirs = dict(self._view.layer_dirs) if self._view is not None else {}
        layer = key[4:] if key.startswith("sum:") else self.chosen_layer
        path = key[3:] if key.startswith("lc:") else ""
        return (f"find {dirs[layer]}{path}" if layer in dirs else "", short_layer(layer))

    def _row_source(self, key: str) -> tuple[str, str]:
        """``ls -la`` of the entry in the layer its row names (where that copy is on the host)."""
        e = self._entries.get(key)
        dirs = dict(self._view.layer_dirs) if self._view is not None else {}
        if e is None or e.layer not in dirs:
            return self._source, "files"
        if e.layer.startswith("mount:"):  # the mount's source on the host, and the path below it
            return f"ls -lad {dirs[e.layer]}{key[len(e.layer[6:].rstrip('/')):]}", "mount"
        return f"ls -lad {dirs[e.layer]}{key}", short_layer(e.layer)

    def _meta_source(self) -> str:
        p = self._view.preview if self._view is not None else None
        return f"stat {p.layer_path}" if p is not None and p.layer_path else ""

    def _ask(self) -> None:
        if self._cid:
            req = FilesRequest(self._cid, tuple(sorted(self.expanded)), self.selected, next(self._asks),
                               self.chosen_layer if self.mode == "layers" else "")
            self._asked = req
            self.post_message(Ask("files", req))

    def open_path(self, path: str, expand: bool = False, cid: str | None = None) -> None:
        """Show ``path``: its parents opened, the cursor on it, its preview (``--path``);
        ``expand``: a directory opened too (a mount from the Overview); ``cid``: in that
        container (the tab may still hold another one)."""
        if cid is not None and cid != self._cid:
            self._switch(cid)
        parts = [p for p in path.split("/") if p]
        for i in range(len(parts) + (1 if expand else 0)):
            self.expanded.add("/" + "/".join(parts[:i]) if i else "/")
        self.selected = "/" + "/".join(parts)
        self._reveal = self.selected
        self._ask()
        self._draw()

    def _set_mode(self, mode: str) -> None:
        had = self.table.has_focus
        self.mode = mode
        for name in ("tree", "changes", "layers"):
            self.query_one(f"#fs-{name}").display = name == mode
        if had:
            self.table.focus()
        self._draw()

    def action_filter(self) -> None:
        """``/``: filter the names in the directory the cursor is in (an open directory under
        the cursor: that one), or the paths of the changes / the chosen layer's list."""
        box = self.query_one("#fs-filter", Input)
        if self.mode == "tree":
            t = self.query_one("#fs-tree", LiveTable)
            key = (t.ordered_keys[t.cursor_row] if t.row_count else "/").split("\0")[0].rstrip("/") or "/"
            e = self._entries.get(key)
            directory = key if key == "/" or (e is not None and e.kind == "dir" and key in self.expanded) \
                else key.rsplit("/", 1)[0] or "/"
            where = f"the names in {directory}"
        else:
            directory = self.look.directory
            where = "the paths"
        if directory != self.look.directory:
            self.look = Filter(directory, "", self.look.kind)
            box.value = ""
        box.placeholder = f"filter {where} (enter keeps it, esc clears)"
        box.display = True
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#fs-filter", Input)
        if not box.display and self.look == Filter(self.look.directory):
            raise SkipAction()  # nothing to clear: esc goes on to the app (back to the list)
        box.value, box.display = "", False
        self.look = Filter(self.look.directory)
        self.table.focus()
        self._draw()

    @on(Input.Changed, "#fs-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.look = Filter(self.look.directory, event.value.strip().lower(), self.look.kind)
        self._draw()

    @on(Input.Submitted, "#fs-filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.display = False
        self.table.focus()

    def action_copy_out(self) -> None:
        """``y``: ``docker cp`` of the entry under the cursor (the app asks where, and confirms)."""
        table_id = {"tree": "#fs-tree", "changes": "#fs-changes"}.get(self.mode)
        t = self.query_one(table_id, LiveTable) if table_id else None
        path = t.ordered_keys[t.cursor_row] if t is not None and t.row_count else ""
        if not self._cid or not path.startswith("/"):
            self.app.notify("put the cursor on a file or directory of the tree or the changes first",
                            severity="warning")
            return
        self.post_message(DoAction(Action("cp", self._cid, "", path)))

    def action_cycle_kind(self) -> None:
        """``f``: only one status (dive's added / modified / removed / unmodified filters)."""
        kind = KINDS[(KINDS.index(self.look.kind) + 1) % len(KINDS)]
        self.look = Filter(self.look.directory, self.look.names, kind)
        self.notify(f"showing {kind} entries only" if kind else "showing every entry", timeout=2)
        self._draw()

    def action_toggle_changes(self) -> None:
        self._set_mode("tree" if self.mode == "changes" else "changes")

    def action_toggle_layers(self) -> None:
        """Per-layer mode: each layer's own diff counted, and the chosen layer's entries."""
        if self.mode == "layers":
            self.chosen_layer = ""
            self._set_mode("tree")
        else:
            self.chosen_layer = self.chosen_layer or (self._view.layers[0][0] if self._view is not None and self._view.layers else "")
            self._set_mode("layers")
        self._ask()

    @on(LiveTable.Selected, "#fs-layers")
    def _pick_layer(self, event: LiveTable.Selected) -> None:
        key = event.key or ""
        if key.startswith("sum:"):
            self.chosen_layer = key[4:]
            self._ask()
        elif key.startswith("lc:"):
            self._set_mode("tree")
            self.chosen_layer = ""
            self.open_path(key[3:])

    @on(LiveTable.Selected, "#fs-tree")
    def _toggle(self, event: LiveTable.Selected) -> None:
        e = self._entries.get(event.key or "")
        if e is None or e.kind != "dir" or e.status == "deleted":
            return
        path = event.key or ""
        if path in self.expanded:
            self.expanded = {p for p in self.expanded if p != path and not p.startswith(path + "/")}
        else:
            self.expanded.add(path)
        self._ask()
        self._draw()

    @on(LiveTable.Selected, "#fs-changes")
    def _jump(self, event: LiveTable.Selected) -> None:
        if event.key:
            self.action_toggle_changes()
            self.open_path(event.key)

    @on(LiveTable.Highlighted, "#fs-tree")
    def _cursor(self, event: LiveTable.Highlighted) -> None:
        e = self._entries.get(event.key or "")
        if e is not None and event.key != self.selected and e.kind != "dir":
            self.selected = event.key or ""
            self._ask()

    def on_key(self, event: Any) -> None:
        t = self.query_one("#fs-tree", LiveTable)
        if self.mode != "tree" or not t.has_focus or event.key not in ("right", "left"):
            return
        key = t.ordered_keys[t.cursor_row] if t.row_count else ""
        e = self._entries.get(key)
        if event.key == "right" and e is not None and e.kind == "dir" and key not in self.expanded:
            self.expanded.add(key)
        elif event.key == "left":
            if key in self.expanded:
                self.expanded.discard(key)
            else:
                parent = key.rsplit("/", 1)[0] or "/"
                if parent != "/":
                    self.expanded.discard(parent)
                    self._draw()
                    t.move_cursor(key=parent)
        else:
            return
        event.stop()
        self._ask()
        self._draw()

    def _switch(self, cid: str | None) -> None:
        """Another container: start from its root."""
        if self._cid is not None:
            self.expanded, self.selected = {"/"}, ""
        self._cid, self._changes, self._fresh, self._view = cid, None, {}, None
        self._tree.reset()
        self._drawn = ()

    def show(self, snap: Snapshot, cid: str | None) -> None:
        if cid != self._cid:
            self._switch(cid)
        c = snap.container(cid) if cid else None
        res = snap.result("files")
        v = res.value if res is not None and res.key == cid and isinstance(res.value, FilesView) else None
        self._view = v
        if v is None:
            why = "select a container" if c is None else res.error if res is not None and res.error else "reading…"
            show_reason(self.query_one("#fs-meta", LiveTable), "Files", why, "", self.size.width // 2)
            self.query_one("#fs-tree", LiveTable).set_rows(())
            set_border(self, f"Files · {c.name.value}" if c else "Files", why.split(":")[0][:60])
            return
        self._source = v.source
        notes = self.query_one("#fs-notes", Static)
        if v.notes != self._notes:
            self._notes = v.notes
            notes.update(Text("\n").join(text(f"⚠ {n}") for n in v.notes))
            notes.display = bool(v.notes)
        now_changes = {ch.path for ch in v.changes}
        if self._changes is not None:  # what changed since the last view lights up for a moment
            for path in now_changes - self._changes:
                self._fresh[path] = snap.taken_at
        self._changes = now_changes
        self._fresh = {p: t for p, t in self._fresh.items() if snap.taken_at - t < FRESH_S}
        if self._asked is None or self._asked.cid != cid:
            if self.expanded != {"/"} or self.selected:
                self._ask()  # the first view of this container: ask for what is open
        self._draw(snap.taken_at)
        n = sum(1 for ch in v.changes)
        set_border(self, f"Files · {c.name.value if c else ''}",
                   f"{len(v.layers)} layers · {v.changes_total} change{'' if v.changes_total == 1 else 's'} in the "
                   f"writable layer" + ("" if n == v.changes_total else f" ({n} listed)"))

    def _grow(self) -> None:
        """Show the next chunk of a big directory (one chunk per timer tick)."""
        self._grow_due = False
        self._tree.grow()
        self._draw()

    def _draw(self, now: float | None = None) -> None:
        """Redraw what changed: the tree (only when its directories, what is open or what is
        highlighted changed — a cursor move in a directory of 50 000 entries redraws the preview
        alone), the changes list, the per-layer table and the preview."""
        v = self._view
        if v is None:
            return
        now = time.time() if now is None else now
        fresh = frozenset(p for p, t in self._fresh.items() if now - t < FRESH_S)
        def tree_state() -> tuple[Any, ...]:
            return (tuple(map(id, v.dirs)), frozenset(self.expanded), fresh, tuple(self._tree.shown.items()), self.look)

        if tree_state() != self._drawn[:-1]:
            rows = self._tree.rows(v, self.expanded, fresh, self.look)
            if self._tree.growing(v, self.expanded) and not self._grow_due:
                self._grow_due = True
                self.set_timer(GROW_S, self._grow)
            self._entries = {p: e for p, _, e in rows}
            self.query_one("#fs-tree", LiveTable).set_rows((p, cells) for p, cells, _ in rows)
        self._drawn = (*tree_state(), v.dirs)  # the dirs kept alive, so their ids stay theirs
        if self._reveal and self._reveal in self._entries:
            t = self.query_one("#fs-tree", LiveTable)
            t.move_cursor(key=self._reveal)
            t.call_after_refresh(t.scroll_to_cursor)  # its rows' height is known after the next layout
            self._reveal = ""
        if (v.changes, fresh, self.look) != self._drawn_changes:
            self._drawn_changes = (v.changes, fresh, self.look)
            self.query_one("#fs-changes", LiveTable).set_rows(
                (ch.path, (Text(ch.kind, style=CHANGE_STYLE.get(ch.kind, "")),
                           text(ch.path + ("/" if ch.is_dir else ""), style="reverse" if ch.path in fresh else ""),
                           Text("" if ch.is_dir else human_bytes(ch.size))))
                for ch in v.changes if self.look.keeps_change(ch.path, ch.kind))
        labels = dict(v.layers + v.mounts)
        if self.mode == "layers":
            self.query_one("#fs-layers", LiveTable).set_rows(layer_rows(v, labels, self.look))
        p = v.preview if v.preview is not None and v.preview.path == self.selected else None
        meta = self.query_one("#fs-meta", LiveTable)
        body = self.query_one("#fs-body", LiveTable)
        if p is None:
            meta.set_rows([("hint", (Text("preview", style="bold"),
                                     Text("move the cursor onto a file", style="dim")))])
            meta.styles.height = 1
            body.set_rows(())
            self._body_of = None
            return
        rows = meta_rows(p, labels, now)
        entry = self._entries.get(p.path)
        if entry is not None and entry.mount:
            rows.append((f"m{len(rows)}", (Text("mounted", style="bold"),
                                           text(f"inside the container this path shows {entry.mount}", style="magenta"))))
        meta.set_rows(rows)
        meta.styles.height = min(len(rows), 12)
        if p == self._body_of:  # the same file as it was: the body and where it is scrolled stay
            return
        old = self._body_of
        following = old is None or old.path != p.path or body.cursor_row >= len(body.rows) - 1
        self._body_of = p
        content = p.hexdump or p.text
        lines = content.removesuffix("\n").split("\n") if content else []
        cut = p.truncated or len(lines) > PREVIEW_LINES
        lines = lines[-PREVIEW_LINES:] if p.tail else lines[:PREVIEW_LINES]
        shown = human_bytes(len("\n".join(lines).encode()))
        if p.tail and cut:  # a log: its end, the view scrolled there
            lines.insert(0, f"… (a log: its last {shown} of {human_bytes(p.size)})")
        elif cut:
            lines.append(f"… (first {shown} of {human_bytes(p.size)})")
        body.set_rows((f"l{i}", (text(line),)) for i, line in enumerate(lines))
        if p.tail and lines and following:  # like tail -f while the end is in view; else where the user was
            body.move_cursor(key=f"l{len(lines) - 1}")
            body.call_after_refresh(body.scroll_to_cursor)
