"""Layers pane (tab 6): overlay2 explained for the selected container — the stack from its
writable layer through the ``-init`` layer down to the image's base, each layer's directory,
``l/`` short name, ``lower`` chain, IDs, size and the history line that made it; the ``-init``
layer's files; the overlay mount with each entry named; sizes side by side (``u``)."""

from __future__ import annotations

from itertools import count
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical

from tui.backend.model import Snapshot
from tui.backend.model.layers import LayerStack, SizeRequest
from tui.messages import Ask
from widgets.format import set_border, text
from widgets.layer_rows import COLUMNS, graph_rows, init_rows, mount_rows, size_rows, stack_rows
from widgets.live_table import Column, LiveTable
from widgets.pane import Pane, PaneCommand, TableFirst, show_reason

STORE = {"overlay2": "Docker overlay2 graphdriver", "podman": "containers/storage overlay (Podman)",
         "containerd": "containerd image store (overlayfs snapshotter)"}


def fact_lines(v: LayerStack, name: str) -> list[tuple[str, str, str, str, str]]:
    """(key, label, value, source, style) lines above the table."""
    lines = [("driver", "Storage", f"{v.driver.value} · {STORE.get(v.store, v.store)}"
              + (f" · backing fs {v.backing_fs}" if v.backing_fs else ""), v.driver.source, ""),
             ("root", "Layer store", v.store_root or "—", f"ls -l {v.store_root}" if v.store_root else "", "")]
    if v.image_ref or v.image_id:
        lines.append(("image", "Image", f"{v.image_ref}  {v.image_id.removeprefix('sha256:')[:12]}",
                      f"docker image inspect {v.image_ref or v.image_id}", ""))
    if v.metadata:
        lines.append(("meta", "Layer metadata", v.metadata, f"ls {v.metadata}", ""))
    lines += [(f"note{i}", "Note", n, "", "yellow") for i, n in enumerate(v.notes)]
    return lines


class LayersPane(TableFirst, Vertical, Pane):
    """Facts on top (driver, store, image, notes), then stack, -init files, mount, sizes, paths."""

    PANE_ID = "layers"
    FACTS_ID = "layer-facts"
    TITLE = "Layers"
    SHORT = "Lyrs"
    KEY = "6"
    SUMMARY = "The container's overlay layers: image layers, -init, writable; l/ links, lower, the mount, sizes"
    ORIGIN = "docker inspect -f '{{json .GraphDriver}}' NAME ; ls -l /var/lib/docker/overlay2/l ; mount | grep overlay"
    SOURCES = ("layers", "images")
    HELP = (("u", "count sizes: docker ps --size, du of the writable layer and of the merged view"),
            ("shift+tab", "from the table to the lines above it"))
    COMMANDS = (PaneCommand("Layers: count sizes", "docker ps --size for the container, and du of its "
                            "writable layer and merged view, in the background (u)", "count_sizes", "u"),)

    DEFAULT_CSS = """
    LayersPane #layer-facts { dock: top; height: 4; max-height: 40%; border-bottom: solid $panel-lighten-2; }
    LayersPane #layer-table { height: 1fr; }
    """

    _asks = count(1)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sources: dict[str, tuple[str, str]] = {}
        self._facts: dict[str, tuple[str, str]] = {}
        self._cid: str | None = None

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, id="layer-table", show_header=False, source=lambda k: self._sources.get(k),
                        flex_min=24)
        yield LiveTable((Column("label", "", 16), Column("value", "", 0)), show_header=False, id="layer-facts",
                        source=lambda key: self._facts.get(key))

    @property
    def table(self) -> LiveTable:
        return self.query_one("#layer-table", LiveTable)

    def action_count_sizes(self) -> None:
        if self._cid:
            self.post_message(Ask("layers", SizeRequest(self._cid, next(self._asks))))
            self.notify("Counting sizes in the background", timeout=2)

    def show(self, snap: Snapshot, cid: str | None) -> None:
        self._cid = cid
        c = snap.container(cid) if cid else None
        name = c.name.value if c else ""
        res = snap.result("layers")
        v = res.value if res is not None and res.key == cid and isinstance(res.value, LayerStack) else None
        facts = self.query_one("#layer-facts", LiveTable)
        if v is None:
            why = "select a container" if c is None else res.error if res is not None and res.error else "reading…"
            self._facts = show_reason(facts, "Layers", why, res.error if res else "", self.size.width)
            self.table.set_rows(())
            set_border(self, f"Layers · {name}" if c else "Layers", why.split(":")[0][:60])
            return
        lines = fact_lines(v, name)
        self._facts = {k: (src, label) for k, label, _, src, _ in lines}
        facts.set_rows((k, (Text(label, style="bold"), text(val, style=style))) for k, label, val, _, style in lines)
        facts.styles.height = len(lines) + 1
        rows = stack_rows(v, snap.taken_at) + init_rows(v) + mount_rows(v) + size_rows(v, snap.taken_at) + graph_rows(v)
        self._sources = {k: (src, k.split(":")[0]) for k, _, src in rows if src}
        self.table.set_rows((k, cells) for k, cells, _ in rows)
        n = sum(1 for lay in v.layers if lay.role == "image")
        bad = sum(len(lay.problems) for lay in v.layers)
        set_border(self, f"Layers · {name}", f"{n} image layer{'' if n == 1 else 's'}"
                   + (" + -init" if any(lay.role == "init" for lay in v.layers) else "")
                   + (" + writable" if any(lay.role == "rw" for lay in v.layers) else "")
                   + (f" · {bad} mismatch{'es' if bad > 1 else ''}" if bad else "")
                   + (" · mounted" if v.mount else " · not mounted"))
