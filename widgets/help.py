"""``?`` help: every key the app answers to, grouped, with what it does."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Everywhere", (
        ("?", "this help"),
        ("ctrl+p", "command palette: every action, and jump to a container by name"),
        ("e", "engine view: docker version / info, images, /proc/cgroups (esc back)"),
        ("tab / shift+tab", "move focus between the list and the tabs"),
        ("z", "zoom the focused pane to full screen (z or esc: back)"),
        ("ctrl+r", "refresh now"),
        ("ctrl+q", "quit"),
    )),
    ("Containers list", (
        ("j / k, ↑ / ↓", "move"),
        ("← / →", "choose the column whose source the footer shows"),
        ("/", "filter by name or image (esc clears)"),
        ("a", "show / hide stopped containers"),
        ("s / S", "next sort column / reverse the sort"),
        ("enter", "into the active tab (esc comes back)"),
    )),
    ("Tabs", (
        ("1 / 8", "Overview / Events"),
        ("[ / ]", "previous / next tab"),
        ("enter", "open the file under the cursor (Overview, On disk)"),
        ("t", "Events: all objects / only the selected container"),
        ("esc", "back from a file or the engine view"),
    )),
)


def help_table() -> Table:
    t = Table(show_header=False, box=None, padding=(0, 2))
    t.add_column(style="bold", no_wrap=True)
    t.add_column()
    for group, keys in KEYS:
        t.add_row(Text(group, style="bold underline"), "")
        for key, what in keys:
            t.add_row(key, what)
        t.add_row("", "")
    return t


class HelpScreen(ModalScreen[None]):
    """Modal list of keys; any of esc, q or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_table())
            yield Static(Text("Values in the footer are the command or file each number comes from.",
                              style="dim"))
