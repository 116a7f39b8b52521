"""InternalsApp: wires backend snapshots to the panes; built by :func:`make_app`.

Data flows one way: the backend publishes immutable snapshots, the app posts them to itself as
:class:`SnapshotReady` (newest replaces any still queued), and the visible pane diffs them in.
Tabs, their keys, views, help and palette entries all come from the pane registry
(``widgets/registry.py``); the backend is told which sources the visible pane needs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, Protocol

from textual import events, on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.filter import DimFilter
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState

from tui.acting import ActionsMixin
from tui.backend.model import Snapshot, SourceResult
from tui.messages import Ask, ContainerSelected, OpenView, Provenance, ShowPath, SnapshotReady
from widgets.containers import ContainerList
from widgets.format import clean, set_border
from widgets.header import StatusHeader
from widgets.help import APP_COMMANDS, HelpScreen, app_help
from widgets.image_view import open_image
from widgets.live_table import LiveTable
from widgets.palette import ContainerCommands
from widgets.pane import Pane
from widgets.provenance import ProvenanceBar, SourceScreen, focused_source, shell_command
from widgets.registry import PANES, find, tabs
from widgets.view_screen import ViewScreen
from widgets.walk_panel import WalkPanel
from tui.walking import WALK_BINDINGS, WalkMixin


class Backend(Protocol):
    """What the app needs from a backend (the live :class:`~tui.backend.hub.Hub`, or a replay)."""

    async def run(self, publish: Callable[[Snapshot], None]) -> None: ...
    def select(self, cid: str | None) -> None: ...
    def want(self, names: Iterable[str]) -> None: ...
    def refresh(self, force: bool = True) -> None: ...
    def stop(self) -> None: ...
    async def request(self, name: str, arg: Any) -> SourceResult: ...


@dataclass(frozen=True)
class Config:
    """User options from the command line."""

    container: str | None = None
    tab: str | None = None
    read_only: bool = False
    theme: str = "textual-dark"
    path: str = ""
    """``--path``: a path inside the selected container to open in the Files tab."""
    walkthrough: bool = False
    """``--walkthrough``: start in the walkthrough."""


def pane_bindings() -> list[BindingType]:
    """One key per registered pane (a tab, or a view that the same key closes), and the keys of
    pane commands, which work whenever their pane is visible."""
    out: list[BindingType] = [
        Binding(p.KEY, f"view('{p.PANE_ID}')" if p.SCREEN else f"tab('{p.PANE_ID}')", p.TITLE,
                id=f"pane-{p.PANE_ID}", show=False, tooltip=p.SUMMARY) for p in PANES]
    out += [Binding(c.key, f"pane_key('{p.PANE_ID}', '{c.action}')", c.title, show=False)
            for p in PANES for c in p.COMMANDS if c.key]
    return out


DIM_FACTOR = 0.65
"""Dim text is drawn at 65 % of the way from the background to its colour (terminals' own faint
is often ~50 %, under WCAG AA on dark themes)."""
MAIN_SCREEN_ACTIONS = frozenset({"filter", "toggle_stopped", "sort", "reverse_sort", "freeze", "tab",
                                 "cycle_tab", "back", "pane_key", "swap_layout", "actions_menu"})
"""Actions on the main screen's list and tabs: never taken by keys typed in another screen."""


class InternalsApp(ActionsMixin, WalkMixin, App[None]):
    """The full-screen app."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "internals-tui"
    COMMANDS = App.COMMANDS | {ContainerCommands}
    ALLOW_IN_MAXIMIZED_VIEW = "StatusHeader, ProvenanceBar"
    """A zoomed pane keeps the header and the footer (its values' sources)."""
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (130, "-wide")]
    """Below 130 columns the list sits above the tabs instead of beside them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        *WALK_BINDINGS,
        Binding("q", "quit_or_close", "Quit", id="quit", tooltip="Quit; in a view, a file or help: close it"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("c", "show_source", "Source", id="source", tooltip="Show the footer's whole command and copy it"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("a", "toggle_stopped", "Stopped", id="toggle-stopped"),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("S", "reverse_sort", "Reverse sort", id="reverse-sort", show=False),
        Binding("Z", "freeze", "Freeze order", id="freeze", show=False, tooltip="Stop live reordering (again: resume)"),
        *pane_bindings(),
        Binding("left_square_bracket", "cycle_tab(-1)", "Previous tab", id="tab-prev", show=False),
        Binding("right_square_bracket", "cycle_tab(1)", "Next tab", id="tab-next", show=False),
        Binding("ctrl+r", "refresh", "Refresh", id="refresh", show=False),
        Binding("escape", "back", "Back to the list", id="back", show=False),
        Binding("z", "zoom", "Zoom pane", id="zoom", show=False),
        Binding("L", "swap_layout", "Larger list", id="swap-layout", show=False),
        Binding("x", "actions_menu", "Actions", id="actions",
                tooltip="Start, stop, restart, pause, kill, exec, rename or remove the selected container"),
    ]

    def __init__(self, backend: Backend, config: Config | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.config = config or Config()
        self.snapshot: Snapshot | None = None
        self.selected: str | None = None
        self._pane_error = False
        self._wanted: frozenset[str] | None = None
        self._note = ""
        self._tab_shown = ""
        self.theme = self.config.theme
        self._filters.append(DimFilter(DIM_FACTOR))  # dim text as a colour that keeps 4.5:1 contrast

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="main"):
            yield ContainerList(id="containers")
            with FitTabs(id="tabs"):
                for pane in tabs():
                    with TabPane(f"{pane.KEY} {pane.TITLE}", id=pane.PANE_ID):
                        widget: Any = pane(id=f"{pane.PANE_ID}-pane", classes="pane")
                        yield widget
        yield WalkPanel(id="walk")
        yield ProvenanceBar(id="provenance")

    @property
    def container_list(self) -> ContainerList:
        return self.screen_stack[0].query_one(ContainerList)

    def pane(self, pane_id: str) -> Pane:
        """The widget of a registered tab pane."""
        widget: Any = self.screen_stack[0].query_one(f"#{pane_id}-pane")
        return widget  # type: ignore[no-any-return]

    def _visible_pane(self) -> Pane | None:
        screen = self.screen
        if isinstance(screen, ViewScreen):
            return screen.view if screen.is_mounted else None
        active = self.screen_stack[0].query_one(TabbedContent).active
        return self.pane(active) if active else None

    def on_mount(self) -> None:
        self.query_one(Tabs).can_focus = False  # tabs change with keys and clicks, not as a focus stop
        self.query_one(StatusHeader).show(None, self.config.read_only)
        self.query_one(ProvenanceBar).show("", "")
        self.container_list.table.focus()
        if self.config.container:
            self.container_list.select(self.config.container)
        if self.config.path:
            files: Any = self.pane("files")
            files.open_path(self.config.path)
        tab = self.config.tab or ("files" if self.config.path else "")
        pane = find(tab) if tab else None  # the command line checked the name
        if pane is not None:
            (self.action_view if pane.SCREEN else self.action_tab)(pane.PANE_ID)
        self._want()
        self.run_worker(self._run_backend(), name="backend", group="backend", exit_on_error=False)
        if self.config.walkthrough:
            self.action_walkthrough()

    def _want(self, pane: type[Pane] | None = None) -> None:
        """Tell the backend which sources the visible pane needs (the others may sleep)."""
        if pane is None:
            visible = self._visible_pane()
            pane = type(visible) if visible is not None else None
        wanted = frozenset(pane.SOURCES if pane is not None else ())
        if wanted != self._wanted:
            self._wanted = wanted
            self.backend.want(wanted)

    async def _run_backend(self) -> None:
        await self.backend.run(lambda snap: self.post_message(SnapshotReady(snap)))

    @on(Worker.StateChanged)
    def _backend_failed(self, event: Worker.StateChanged) -> None:
        """The backend must not die silently: say so and start it again."""
        if event.worker.group == "backend" and event.state == WorkerState.ERROR:
            self.notify(f"backend stopped: {clean(str(event.worker.error))}; restarting",
                        severity="error", markup=False)
            self.set_timer(2.0, lambda: self.run_worker(self._run_backend(), name="backend",
                                                        group="backend", exit_on_error=False))

    async def on_unmount(self) -> None:
        self.backend.stop()
        await asyncio.sleep(0)

    # ------------------------------------------------------------ data flow

    @on(SnapshotReady)
    def _snapshot(self, message: SnapshotReady) -> None:
        snap = message.snapshot
        self.snapshot = snap
        if not self.screen_stack:  # a message still queued while the app shuts down
            return
        base = self.screen_stack[0]
        try:
            with self.batch_update():
                base.query_one(StatusHeader).show(snap, self.config.read_only)
                self.container_list.apply(snap)
                self._show_pane(snap)
                if isinstance(self.screen, ViewScreen):
                    self.screen.show(snap)
                self._want()
                self._refresh_footer()
                if self.walk_index is not None:
                    self.walk_place()
        except Exception as exc:  # a pane must never take the app down with it
            self.log.error(f"snapshot {snap.seq}: {exc!r}")
            if not self._pane_error:
                self.notify(f"display error: {clean(str(exc))}", severity="error", markup=False)
            self._pane_error = True
        else:
            self._pane_error = False

    def _show_pane(self, snap: Snapshot) -> None:
        """Only the active tab's pane is drawn; the others catch up when shown."""
        active = self.screen_stack[0].query_one(TabbedContent).active
        if active:
            pane = self.pane(active)
            pane.show(snap, self.selected)
            if self._note:  # why the selection moved by itself, until the user moves it
                set_border(pane, subtitle=self._note)

    @on(ContainerSelected)
    def _selected(self, message: ContainerSelected) -> None:
        self.selected, self._note = message.cid, message.note
        self.backend.select(message.cid)
        if self.snapshot is not None and self.screen_stack:
            self._show_pane(self.snapshot)
        self._refresh_footer()

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        if not self.screen_stack:
            return
        main = self.screen_stack[0]
        focused = main.focused
        if focused is None or any(isinstance(n, Pane) for n in focused.ancestors_with_self):
            self._drill_down()  # the focus was in the tab left (a pane, or a table inside one)
        left, self._tab_shown = self._tab_shown, event.tabbed_content.active
        if left and left != self._tab_shown:
            self._forget_lines(main.query_one(f"TabPane#{left}", TabPane))
        self._want()
        if self.snapshot is not None:
            self._show_pane(self.snapshot)
        self._refresh_footer()

    @staticmethod
    def _forget_lines(tab: TabPane) -> None:
        """A tab out of sight drops its drawn lines. Each is ~1 KB of Textual objects (a strip
        and its caches); at 200 containers the tabs seen once held ~10 MiB of them. The pane
        draws itself again from the snapshot when it is shown."""
        for w in tab.walk_children(with_self=True):
            if isinstance(w, LiveTable):
                w.forget_lines()
            w.refresh()

    @on(LiveTable.Selected, "#containers-table")
    def _drill_down(self, event: LiveTable.Selected | None = None) -> None:
        """``enter`` on a container moves into the active tab."""
        active = self.screen_stack[0].query_one(TabbedContent).active
        if active:
            widget: Any = self.pane(active)
            if isinstance(widget, Widget):
                widget.focus()

    def action_back(self) -> None:
        """``esc`` in a tab goes back to the containers list (a zoomed pane un-zooms first)."""
        self.container_list.table.focus()

    def action_zoom(self) -> None:
        """``z`` shows the focused pane full screen (again: back)."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
            tabbed = self.screen_stack[0].query_one(FitTabs)
            self.call_after_refresh(lambda: tabbed.fit(tabbed.size.width))
        elif screen.focused is not None:
            screen.maximize(screen.focused)

    @on(Provenance)
    def _refresh_footer(self, message: Provenance | None = None) -> None:
        """The main screen's footer, recomputed from what has the focus there."""
        if self.screen_stack:  # empty while the app shuts down
            main = self.screen_stack[0]
            main.query_one(ProvenanceBar).show(*focused_source(main, self.container_list.table))

    @on(OpenView)
    def _open_view(self, message: OpenView) -> None:
        self._request_view(message)

    @work(exclusive=True, group="open-view", exit_on_error=False)
    async def _request_view(self, message: OpenView) -> None:
        """Ask the backend's on-demand source (a worker thread there), then show the result."""
        self.push_screen(message.make(await self.backend.request(message.source, message.arg)))

    @on(ShowPath)
    def _show_path(self, message: ShowPath) -> None:
        pane: Any = self.pane(message.pane)
        pane.open_path(message.path, expand=True, cid=self.selected)
        self.action_tab(message.pane)
        pane.focus()

    @on(Ask)
    def _ask(self, message: Ask) -> None:
        self._request(message)

    @work(group="ask", exit_on_error=False)
    async def _request(self, message: Ask) -> None:
        await self.backend.request(message.source, message.arg)

    def jump_to(self, cid: str) -> None:
        """Select a container (palette): back to the main screen, shown even if filtered out."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.container_list.reveal(cid)
        self.container_list.table.focus()

    # ------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("walk"):
            return self.walking_now(action)
        if action in MAIN_SCREEN_ACTIONS and self.screen is not self.screen_stack[0]:
            return False  # a view, a file or help on top owns the keys
        if action == "pane_key":
            active = self.screen_stack[0].query_one(TabbedContent).active
            return active == parameters[0]
        return True

    def action_quit_or_close(self) -> None:
        """``q``: close what is on top of the main screen, or quit from it (as htop, k9s)."""
        if len(self.screen_stack) > 1:
            self.pop_screen()
            self._want()
        else:
            self.exit()

    def action_show_source(self) -> None:
        """``c``: the footer's whole command in a popup, and on the clipboard."""
        bars = self.screen.query(ProvenanceBar)  # the main screen and views have one
        if bars and bars.first().source:
            bar = bars.first()
            self.copy_to_clipboard(shell_command(bar.source))
            self.push_screen(SourceScreen(bar.source, bar.label))

    def action_pane_key(self, pane_id: str, action: str) -> None:
        """A pane's command (its key while it shows, or the palette): on its tab, shown first."""
        self.action_tab(pane_id)
        getattr(self.pane(pane_id), f"action_{action}")()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(app_help()))

    def action_view(self, pane_id: str) -> None:
        """Open a view pane (its key again, or esc, closes it)."""
        screen = self.screen
        if isinstance(screen, ViewScreen) and screen.pane.PANE_ID == pane_id:
            self.pop_screen()
            self._want()
            return
        pane = find(pane_id)
        if pane is not None:
            self.push_screen(ViewScreen(pane, self.snapshot, self.config.read_only),
                             callback=lambda _: self._want())
            self._want(pane)

    def action_filter(self) -> None:
        self.container_list.open_filter()

    def action_toggle_stopped(self) -> None:
        self.container_list.toggle_stopped()

    def action_sort(self) -> None:
        self.container_list.cycle_sort()

    def action_reverse_sort(self) -> None:
        self.container_list.reverse_sort()

    def action_freeze(self) -> None:
        self.container_list.toggle_frozen()

    def action_swap_layout(self) -> None:
        """``L``: the list or the tabs get the larger share (rows when stacked, columns beside)."""
        self.screen_stack[0].toggle_class("-list-large")

    def action_tab(self, pane_id: str) -> None:
        """Show a tab; a focus inside the tab left moves into the new one (dropped first, so
        the screen never hands it to a table of the hidden pane, which would switch back)."""
        main = self.screen_stack[0]
        focused = main.focused
        inside = focused is not None and any(isinstance(n, Pane) for n in focused.ancestors_with_self)
        if inside:
            main.set_focus(None)
        main.query_one(TabbedContent).active = pane_id
        if inside:
            self._drill_down()

    def action_cycle_tab(self, step: int) -> None:
        tabbed = self.screen_stack[0].query_one(TabbedContent)
        ids = [p.PANE_ID for p in tabs()]
        tabbed.active = ids[(ids.index(tabbed.active) + step) % len(ids)] if tabbed.active in ids else ids[0]

    def action_refresh(self) -> None:
        self.backend.refresh()
        self.notify("Refreshing: every source runs now", timeout=2)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        # Textual's "Keys" and "Maximize" duplicate ``?`` and ``z`` below
        yield from (c for c in super().get_system_commands(screen) if c.title not in ("Keys", "Maximize", "Minimize"))
        for title, what, action in APP_COMMANDS:
            if not (action == "actions_menu" and self.config.read_only):
                yield SystemCommand(title, what, getattr(self, f"action_{action}"))
        for p in PANES:
            kind, go = ("view", partial(self.action_view, p.PANE_ID)) if p.SCREEN \
                else ("tab", partial(self.action_tab, p.PANE_ID))
            yield SystemCommand(f"{p.TITLE} {kind}", f"{p.SUMMARY} ({p.KEY})", go)
            for cmd in p.COMMANDS:
                yield SystemCommand(cmd.title, cmd.help, partial(self.action_pane_key, p.PANE_ID, cmd.action))
        yield from self.container_commands()
        for im in self.snapshot.images if self.snapshot is not None else ():
            name = ", ".join(im.tags) or im.id.removeprefix("sha256:")[:12]
            yield SystemCommand(f"Image {name}", "its config, layers and history, the containers using it",
                                partial(self.post_message, open_image(im.id)))


class FitTabs(TabbedContent):
    """Tabs whose labels fit the width they get: ``2 Processes``, else ``2 Procs``, else ``2Pro``
    (every tab stays visible and keeps its digit)."""

    def on_resize(self, event: events.Resize) -> None:
        self.fit(event.size.width)

    def fit(self, width: int) -> None:
        """Pick the longest label style that fits ``width`` (also after a zoom ends, which
        gives the tabs back their width without a resize of their own)."""
        panes = tabs()
        styles = (lambda p: f"{p.KEY} {p.TITLE}", lambda p: f"{p.KEY} {p.SHORT or p.TITLE}",
                  lambda p: f"{p.KEY}{(p.SHORT or p.TITLE)[:3]}")
        for style in styles:
            labels = {p.PANE_ID: style(p) for p in panes}
            if sum(len(label) + 2 for label in labels.values()) <= width:
                break
        for pane_id, label in labels.items():
            tab = self.get_tab(pane_id)
            if tab.label_text != label:
                tab.label = label


def make_app(backend: Backend, config: Config | None = None) -> InternalsApp:
    """Build the app (used by the CLI, the tests and the screenshot script)."""
    return InternalsApp(backend, config)
