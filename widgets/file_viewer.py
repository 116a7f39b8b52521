"""Read-only viewer for one of a container's files (pretty JSON, log tail, text), keyed like less.

``/`` searches (case-insensitive), ``n`` / ``N`` go to the next / previous match, Space and
``b`` page, ``g`` / ``G`` go to the top / bottom, ``j`` / ``k`` scroll, ``q`` or ``esc`` close.
"""

from __future__ import annotations

import shlex

from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Input, Log, Static

from tui.backend.model import FileRequest, FileView, SourceResult
from widgets.format import clean, clean_block, human_bytes

KEYS = (("/ n N", "search, next, previous match"), ("space b", "page down, up"), ("g G", "top, bottom"),
        ("j k", "line down, up"), ("q esc", "close"))


class FileViewer(Screen[None]):
    """Full-screen, scrollable, read-only view of a file's content."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Back"),
        Binding("g,home", "top", "Top", show=False),
        Binding("G,end", "bottom", "Bottom", show=False),
        Binding("j,down", "down", "Down", show=False),
        Binding("k,up", "up", "Up", show=False),
        Binding("space,pagedown", "page(1)", "Page down", show=False),
        Binding("b,pageup", "page(-1)", "Page up", show=False),
        Binding("slash", "search", "Search", show=False),
        Binding("n", "next_match(1)", "Next match", show=False),
        Binding("N", "next_match(-1)", "Previous match", show=False),
    ]
    DEFAULT_CSS = """
    FileViewer #viewer-head, FileViewer #viewer-source { height: 1; background: $panel; }
    FileViewer #viewer-body { height: 1fr; }
    FileViewer #viewer-search { height: 1; border: none; padding: 0 1; background: $boost; display: none; }
    """

    @classmethod
    def of(cls, req: FileRequest, res: SourceResult) -> FileViewer:
        """The viewer for the ``file`` source's answer to ``req`` (its error, if it failed)."""
        view = res.value if isinstance(res.value, FileView) else \
            FileView(req.path, "", 0, False, f"cat {shlex.quote(req.path)}", error=res.error or "nothing read")
        return cls(view)

    def __init__(self, view: FileView, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.view = view
        self.lines: list[str] = []
        self.term = ""
        self.matches: list[int] = []
        self.match = -1

    def compose(self) -> ComposeResult:
        yield Static(self._head(), id="viewer-head")
        yield Log(id="viewer-body", max_lines=20000, auto_scroll=False, highlight=False)
        yield Input(placeholder="search (enter: find, esc: cancel)", id="viewer-search")
        src = Text()
        src.append(" source ", style="reverse")
        src.append(" " + clean(self.view.source), style="bold")
        yield Static(src, id="viewer-source")

    def _head(self) -> Text:
        v = self.view
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f" {clean(v.path)} ", style="bold reverse")
        if not v.error:
            head.append(f"  {human_bytes(v.size)}")
            if v.truncated:
                head.append("  (showing the last part)" if "tail" in v.source else "  (truncated)", style="yellow")
        if self.term:
            found = f"{self.match + 1}/{len(self.matches)}" if self.matches else "no match"
            head.append(f"  /{clean(self.term)}: {found}", style="cyan")
        head.append("   / search · n N · space b · g G · q back", style="dim")
        return head

    @property
    def body(self) -> Log:
        return self.query_one("#viewer-body", Log)

    def on_mount(self) -> None:
        self.lines = [clean(self.view.error)] if self.view.error else clean_block(self.view.text).split("\n")
        self.body.write_lines(self.lines)
        if "tail" in self.view.source:
            self.body.scroll_end(animate=False)
        else:
            self.body.scroll_home(animate=False)
        self.body.focus()

    def action_close(self) -> None:
        box = self.query_one("#viewer-search", Input)
        if box.display:  # esc first leaves the search box
            box.display = False
            self.body.focus()
        else:
            self.app.pop_screen()

    def action_top(self) -> None:
        self.body.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.body.scroll_end(animate=False)

    def action_down(self) -> None:
        self.body.scroll_down(animate=False)

    def action_up(self) -> None:
        self.body.scroll_up(animate=False)

    def action_page(self, step: int) -> None:
        height = max(1, self.body.scrollable_content_region.height - 1)
        self.body.scroll_to(y=max(0, self.body.scroll_y + step * height), animate=False)

    def action_search(self) -> None:
        box = self.query_one("#viewer-search", Input)
        box.display = True
        box.value = ""
        box.focus()

    @on(Input.Submitted, "#viewer-search")
    def _searched(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.body.focus()
        self.term = event.value
        needle = self.term.lower()
        self.matches = [i for i, line in enumerate(self.lines) if needle and needle in line.lower()]
        top = int(self.body.scroll_y)
        self.match = next((k for k, i in enumerate(self.matches) if i >= top), 0) - 1
        self.action_next_match(1)

    def action_next_match(self, step: int) -> None:
        if self.matches:
            self.match = (self.match + step) % len(self.matches)
            self.body.scroll_to(y=self.matches[self.match], animate=False)
        self.query_one("#viewer-head", Static).update(self._head())
