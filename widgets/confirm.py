"""Modal screens for container actions: confirm, type a value, pick one, and show the answer.

Everything shown here that came from the engine or a container (names, command output,
errors) is untrusted: it is drawn as inert text, control characters escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static

from widgets.format import clean, clean_block

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 90%; max-width: 100; height: auto; max-height: 90%;
                     border: round $warning; background: $surface; padding: 0 1; }}
{name} Static {{ height: auto; }}
{name} .hint {{ color: $text-muted; }}
"""


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question naming what will change; ``y`` confirms, ``n``/``esc``/``q`` cancel.
    The default is no: ``enter`` alone confirms only where ``default`` says so."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape,q", "answer(False)", "No"),
        Binding("enter", "enter", "Default", show=False),
    ]
    DEFAULT_CSS = MODAL_CSS.format(name="ConfirmScreen")

    def __init__(self, title: str, question: str, detail: Sequence[str] = (), default: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.detail = tuple(detail)
        self.default = default

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(clean(self.title_text))
            yield Static(Text(clean(self.question), style="bold"), id="question")
            if self.detail:
                with VerticalScroll(id="detail") as scroll:
                    scroll.styles.max_height = 16
                    scroll.styles.height = "auto"
                    yield Static(Text(clean_block("\n".join(self.detail))))
            keys = "y yes · n / esc no" + (" · enter yes" if self.default else " · enter no")
            yield Static(Text(keys, style="dim"), classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def action_enter(self) -> None:
        self.dismiss(self.default)


class PromptScreen(ModalScreen["str | None"]):
    """One line of input (a new name, a command, a host path); ``enter`` gives it, ``esc`` cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = MODAL_CSS.format(name="PromptScreen")

    def __init__(self, title: str, label: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.label = label
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(clean(self.title_text))
            yield Static(Text(clean(self.label)))
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static(Text("enter: go on · esc: cancel", style="dim"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceScreen(ModalScreen["str | None"]):
    """Pick one of a few options (the signal of ``kill``, an action on the selected container)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "cancel", "Cancel")]
    DEFAULT_CSS = MODAL_CSS.format(name="ChoiceScreen") + "ChoiceScreen OptionList { height: auto; max-height: 20; }"

    def __init__(self, title: str, options: Sequence[tuple[str, str]], keys: dict[str, str] | None = None) -> None:
        """``options``: (value, label) pairs; ``keys``: a key that picks a value at once."""
        super().__init__()
        self.title_text = title
        self.options = tuple(options)
        self.keys = dict(keys or {})

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(clean(self.title_text))
            yield OptionList(*(Text(clean(label)) for _, label in self.options), id="choices")
            yield Static(Text("enter: pick · esc: cancel" + (" · or its key" if self.keys else ""), style="dim"),
                         classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.options[event.option_index][0])

    def on_key(self, event: object) -> None:
        key = getattr(event, "character", None) or ""
        if key in self.keys:
            getattr(event, "stop")()
            self.dismiss(self.keys[key])

    def action_cancel(self) -> None:
        self.dismiss(None)


class OutputScreen(ModalScreen[None]):
    """What an action answered: its message and output (``exec``), scrollable, inert."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,enter", "app.pop_screen", "Close")]
    DEFAULT_CSS = MODAL_CSS.format(name="OutputScreen") + \
        "OutputScreen > Vertical { border: round $primary; } OutputScreen VerticalScroll { height: auto; max-height: 30; }"

    def __init__(self, title: str, message: str, output: str, ok: bool) -> None:
        super().__init__()
        self.title_text = title
        self.message = message
        self.output = output
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = Text(clean(self.title_text))
            yield Static(Text(clean(self.message), style="bold" if self.ok else "bold red"), id="message")
            with VerticalScroll(id="output"):
                yield Static(Text(clean_block(self.output.rstrip("\n")) if self.output else "(no output)"),
                             id="output-text")
            yield Static(Text("esc / q / enter closes", style="dim"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#output", VerticalScroll).focus()
