"""Read-only viewer for one of a container's files (pretty JSON, log tail, text); esc goes back."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Log, Static

from tui.backend.model import FileView
from widgets.format import clean, clean_block, human_bytes


class FileViewer(Screen[None]):
    """Full-screen, scrollable, read-only view of a file's content."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "app.pop_screen", "Back"),
        Binding("g", "top", "Top", show=False),
        Binding("G", "bottom", "Bottom", show=False),
        Binding("j", "down", "Down", show=False),
        Binding("k", "up", "Up", show=False),
    ]

    def __init__(self, view: FileView, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view = view

    def compose(self) -> ComposeResult:
        v = self.view
        head = Text()
        head.append(f" {clean(v.path)} ", style="bold reverse")
        if not v.error:
            head.append(f"  {human_bytes(v.size)}")
            if v.truncated:
                head.append("  (showing the last part)" if "tail" in v.source else "  (truncated)",
                            style="yellow")
        head.append("   esc: back", style="dim")
        yield Static(head, id="viewer-head")
        log = Log(id="viewer-body", max_lines=20000, auto_scroll=False, highlight=False)
        yield log
        src = Text()
        src.append(" source ", style="reverse")
        src.append(" " + clean(v.source), style="bold")
        yield Static(src, id="viewer-source")

    def on_mount(self) -> None:
        log = self.query_one(Log)
        if self.view.error:
            log.write_line(clean(self.view.error))
        else:
            log.write_lines(clean_block(self.view.text).split("\n"))
        if "tail" in self.view.source:
            log.scroll_end(animate=False)
        else:
            log.scroll_home(animate=False)
        log.focus()

    def action_top(self) -> None:
        self.query_one(Log).scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.query_one(Log).scroll_end(animate=False)

    def action_down(self) -> None:
        self.query_one(Log).scroll_down(animate=False)

    def action_up(self) -> None:
        self.query_one(Log).scroll_up(animate=False)
