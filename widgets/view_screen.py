"""A registered pane shown as a view of its own (``SCREEN`` panes: the engine view, host views)."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widget import Widget

from tui.backend.model import Snapshot
from tui.messages import Provenance
from widgets.header import StatusHeader
from widgets.pane import Pane
from widgets.provenance import ProvenanceBar, focused_source
from widgets.walk_panel import WalkPanel


class ViewScreen(Screen[None]):
    """Header, one pane, footer; ``esc`` goes back (and the pane's own key, an app binding)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "app.pop_screen", "Back")]

    def __init__(self, pane: type[Pane], snapshot: Snapshot | None, read_only: bool) -> None:
        super().__init__()
        self.pane = pane
        self._snapshot = snapshot
        self._read_only = read_only

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        widget: Any = self.pane(id=f"{self.pane.PANE_ID}-pane")
        assert isinstance(widget, Widget)
        yield widget
        yield WalkPanel(id="walk")
        yield ProvenanceBar(id="provenance")

    @property
    def view(self) -> Pane:
        widget: Any = self.query_one(f"#{self.pane.PANE_ID}-pane")
        return widget  # type: ignore[no-any-return]

    def on_mount(self) -> None:
        bars = self.query(ProvenanceBar)
        if not bars:  # opened while the app quits (a key typed after q): nothing was composed
            return
        bars.first().show(self.pane.ORIGIN)
        self._draw()

    def show(self, snap: Snapshot) -> None:
        """Keep the newest snapshot; draw it once the screen is mounted."""
        self._snapshot = snap
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        self.query_one(StatusHeader).show(self._snapshot, self._read_only)
        if self._snapshot is not None:
            self.view.show(self._snapshot, None)
        self._provenance(Provenance())

    @on(Provenance)
    def _provenance(self, event: Provenance) -> None:
        event.stop()
        source, label = focused_source(self, None)
        self.query_one(ProvenanceBar).show(source or self.pane.ORIGIN, label)
