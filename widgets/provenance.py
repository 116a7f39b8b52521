"""Footer line: where the focused value comes from; ``c`` shows it whole and copies it."""

from __future__ import annotations

import re
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from widgets.format import clean
from widgets.live_table import LiveTable


def focused_source(screen: Screen[object], fallback: LiveTable | None) -> tuple[str, str]:
    """The footer of a screen: the source of the row under the cursor of the focused table, or
    of ``fallback`` (the containers list) while the focus is elsewhere (its filter box)."""
    focused = screen.focused
    table = focused if isinstance(focused, LiveTable) else fallback
    found = table.cursor_source() if table is not None and table.display else None
    return found if found is not None else ("", "")


_NOTE = re.compile(r"\s{2,}(?:\([^()]*\)|→[^;]*)")
"""A reader's note in a source (two spaces, then ``(…)`` or ``→ …``): not part of the command."""


def shell_command(source: str) -> str:
    """The part of a source a shell can run: the notes for the reader taken out."""
    return _NOTE.sub("", source).strip()


def elide_middle(text: str, width: int) -> str:
    """Fit ``text`` in ``width`` cells by cutting its middle: the command's start and the
    path's end (the file name) stay."""
    if len(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    head = (width - 1) // 3
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


class ProvenanceBar(Static):
    """``source <command or file>`` for the focused value; long ones lose their middle, never
    their end (``c`` shows the whole command and copies it)."""

    DEFAULT_CSS = "ProvenanceBar { height: 1; background: $panel; }"
    HINT = "  c copy"

    source = ""
    label = ""

    def show(self, source: str, label: str = "") -> None:
        if (source, label) != (self.source, self.label) or not self.is_mounted:
            self.source, self.label = source, label
            self._paint()

    def on_resize(self) -> None:
        self._paint()

    def _paint(self) -> None:
        width = self.size.width or 80
        label = f"{clean(self.label)}: " if self.label else ""
        source = clean(self.source) or "—"
        room = width - len(" source  ") - len(label) - len(self.HINT)
        t = Text(no_wrap=True, overflow="crop")
        t.append(" source ", style="reverse")
        t.append(" ")
        if room < 12:  # very narrow: the label goes first
            label, room = "", room + len(label)
        t.append(label, style="dim")
        t.append(elide_middle(source, max(room, 1)), style="bold")
        if self.source:
            t.append(self.HINT.ljust(width - t.cell_len) if width > t.cell_len else "", style="dim")
        self.update(t)


class SourceScreen(ModalScreen[None]):
    """The whole source of the focused value, as text to copy; it is also put on the clipboard."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,c", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    SourceScreen { align: center middle; }
    SourceScreen > Vertical { width: 90%; max-width: 120; height: auto; max-height: 90%;
                              border: round $primary; background: $surface; padding: 0 1; }
    SourceScreen Static { height: auto; }
    """

    def __init__(self, source: str, label: str) -> None:
        super().__init__()
        self.source = source
        self.label = label

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(clean(f"source of {self.label}" if self.label else "source"))
            yield Static(Text(clean(self.source), style="bold"), id="source-text")
            command = shell_command(self.source)
            note = Text("copied to the clipboard (if the terminal allows OSC 52)", style="dim")
            if command != self.source:
                note.append(", without the notes: ", style="dim")
                note.append(clean(command))
            note.append(" · esc / q / c closes", style="dim")
            yield Static(note)
