"""The image view (``enter`` on an image in the Engine view): ``docker image inspect`` essentials —
ID, tags, digests, platform, config — then its layers and history as the Layers tab shows them
(an image's top layer is its GraphDriver UpperDir; it has no MergedDir), and its containers."""

from __future__ import annotations

import time
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.backend.model import SourceResult
from tui.backend.model.layers import ImageDetail, ImageRequest
from tui.messages import OpenView, Provenance
from widgets.format import human_bytes, set_border, text
from widgets.layer_rows import COLUMNS, Row, graph_rows, row, section, stack_rows
from widgets.live_table import LiveTable
from widgets.provenance import ProvenanceBar, focused_source


def _join(items: tuple[str, ...]) -> str:
    return " ".join(items) if items else "—"


def image_rows(im: ImageDetail) -> list[Row]:
    src = im.source
    rows: list[Row] = [section("Image", src)]
    for key, label, value in (("id", "ID", im.id), ("tags", "tags", ", ".join(im.tags) or "<none>"),
                              ("digests", "digests", ", ".join(im.digests) or "none (built or loaded here)"),
                              ("created", "created", im.created), ("platform", "platform", im.platform),
                              ("size", "size", f"{human_bytes(im.size)} ({im.size:,} B)"),
                              ("entrypoint", "entrypoint", _join(im.entrypoint)), ("cmd", "cmd", _join(im.cmd)),
                              ("env", "env", ", ".join(im.env_names) or "—"),
                              ("ports", "exposed", ", ".join(im.ports) or "—"),
                              ("workdir", "workdir", im.working_dir or "/"), ("user", "user", im.user or "root (unset)"),
                              ("users", "containers", ", ".join(im.containers) or "none")):
        rows.append(row(f"image:{key}", label, text(value), "", "", src))
    return rows


class ImageScreen(Screen[None]):
    """One image; ``esc`` or ``q`` goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "Back")]
    DEFAULT_CSS = """
    ImageScreen LiveTable { border: round $primary; border-subtitle-color: $text-muted; height: 1fr; }
    """

    def __init__(self, image_id: str, res: SourceResult) -> None:
        super().__init__()
        self.image_id = image_id
        self.result = res
        self._sources: dict[str, tuple[str, str]] = {}

    def compose(self) -> ComposeResult:
        yield LiveTable(COLUMNS, show_header=False, id="image-table", source=lambda k: self._sources.get(k),
                        flex_min=24)
        yield ProvenanceBar(id="provenance")

    def on_mount(self) -> None:
        table = self.query_one(LiveTable)
        im = self.result.value
        short = self.image_id.removeprefix("sha256:")[:12]
        if not isinstance(im, ImageDetail):
            why = self.result.error or "no answer"
            table.set_rows([("why", (Text("Image", style="bold"), text(why, style="yellow"), Text(""), Text("")))])
            set_border(table, f"Image {short}", "esc back")
        else:
            rows = image_rows(im)
            if im.stack is not None:
                rows += stack_rows(im.stack, time.time()) + graph_rows(im.stack)
                rows += [row(f"note{i}", "note", Text(n, style="yellow")) for i, n in enumerate(im.stack.notes)]
            elif im.stack_error:
                rows.append(row("stack:why", "layers", Text(im.stack_error, style="yellow")))
            self._sources = {k: (src, k.split(":")[0]) for k, _, src in rows if src}
            table.set_rows((k, cells) for k, cells, _ in rows)
            n = sum(1 for lay in im.stack.layers) if im.stack else 0
            set_border(table, f"Image {im.tags[0] if im.tags else short}",
                       f"{n} layer{'' if n == 1 else 's'} · esc back · c: the source of a line")
        table.focus()
        self._provenance(Provenance())

    @on(Provenance)
    def _provenance(self, event: Provenance) -> None:
        event.stop()
        source, label = focused_source(self, None)
        self.query_one(ProvenanceBar).show(source or f"docker image inspect {self.image_id}", label)


def open_image(image_id: str) -> OpenView:
    """The message that asks for one image and shows it (Engine view ``enter``, palette)."""
    return OpenView("image", ImageRequest(image_id), lambda res: ImageScreen(image_id, res))
