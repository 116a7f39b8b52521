"""InternalsApp: wires backend snapshots to the panes; built by :func:`make_app`.

Data flows one way: the backend publishes immutable snapshots, the app posts them to itself as
:class:`SnapshotReady` (newest replaces any still queued), and each visible pane diffs them in.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar, Protocol

from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Hit, Hits, Provider
from textual.markup import escape
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import TabbedContent, TabPane
from textual.worker import Worker, WorkerState

from tui.backend.files import FileView
from tui.backend.model import Snapshot
from tui.messages import ContainerSelected, OpenFile, Provenance, SnapshotReady
from widgets.containers import ContainerList
from widgets.engine import EngineView
from widgets.events import EventsPane
from widgets.file_viewer import FileViewer
from widgets.format import clean
from widgets.header import StatusHeader
from widgets.help import HelpScreen
from widgets.live_table import LiveTable
from widgets.overview import OverviewPane
from widgets.provenance import ProvenanceBar

TABS: tuple[tuple[str, str], ...] = (("overview", "1 Overview"), ("events", "8 Events"))


class Backend(Protocol):
    """What the app needs from a backend (the live :class:`~tui.backend.hub.Hub`, or a replay)."""

    async def run(self, publish: Callable[[Snapshot], None]) -> None: ...
    def select(self, cid: str | None) -> None: ...
    def refresh(self) -> None: ...
    def stop(self) -> None: ...
    def read_file(self, path: str, kind: str) -> FileView: ...


@dataclass(frozen=True)
class Config:
    """User options from the command line."""

    container: str | None = None
    read_only: bool = False
    theme: str = "textual-dark"


class EngineScreen(Screen[None]):
    """The engine/host view (``e``); esc or ``e`` goes back."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,e", "app.pop_screen", "Back")]

    def __init__(self, snapshot: Snapshot | None, read_only: bool) -> None:
        super().__init__()
        self._snapshot = snapshot
        self._read_only = read_only

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        yield EngineView(id="engine")
        yield ProvenanceBar(id="provenance")

    def on_mount(self) -> None:
        self.query_one(ProvenanceBar).show("docker version ; docker info")
        self._draw()

    def show(self, snap: Snapshot) -> None:
        """Keep the newest snapshot; draw it once the screen is mounted."""
        self._snapshot = snap
        if self.is_mounted:
            self._draw()

    def _draw(self) -> None:
        self.query_one(StatusHeader).show(self._snapshot, self._read_only)
        if self._snapshot is not None:
            self.query_one(EngineView).show(self._snapshot)

    @on(Provenance)
    def _provenance(self, event: Provenance) -> None:
        event.stop()
        self.query_one(ProvenanceBar).show(event.source, event.label)


class ContainerCommands(Provider):
    """Command palette entries that jump to a container by name."""

    async def search(self, query: str) -> Hits:
        app = self.app
        assert isinstance(app, InternalsApp)
        matcher = self.matcher(query)
        for c in app.snapshot.containers if app.snapshot else ():
            label = f"Container: {clean(c.name.value)}  ({clean(c.image.value)}, {c.state.value})"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(label)), partial(app.jump_to, c.id),
                          help=f"select {c.short_id}")


class InternalsApp(App[None]):
    """The full-screen app."""

    CSS_PATH = Path(__file__).parent / "app.tcss"
    TITLE = "internals-tui"
    COMMANDS = App.COMMANDS | {ContainerCommands}
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (130, "-wide")]
    """Below 130 columns the list sits above the tabs instead of beside them."""
    WRITE_ACTIONS: ClassVar[frozenset[str]] = frozenset()
    """Actions that change a container; refused with ``--read-only``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "help", "Help", id="help"),
        Binding("e", "engine", "Engine", id="engine", tooltip="docker version / info, images, /proc/cgroups"),
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("a", "toggle_stopped", "Stopped", id="toggle-stopped"),
        Binding("s", "sort", "Sort", id="sort"),
        Binding("S", "reverse_sort", "Reverse sort", id="reverse-sort", show=False),
        Binding("1", "tab('overview')", "Overview", id="tab-overview", show=False),
        Binding("8", "tab('events')", "Events", id="tab-events", show=False),
        Binding("left_square_bracket", "cycle_tab(-1)", "Previous tab", id="tab-prev", show=False),
        Binding("right_square_bracket", "cycle_tab(1)", "Next tab", id="tab-next", show=False),
        Binding("ctrl+r", "refresh", "Refresh", id="refresh", show=False),
        Binding("escape", "back", "Back to the list", id="back", show=False),
        Binding("z", "zoom", "Zoom pane", id="zoom", show=False),
    ]

    def __init__(self, backend: Backend, config: Config | None = None) -> None:
        super().__init__()
        self.backend = backend
        self.config = config or Config()
        self.snapshot: Snapshot | None = None
        self.selected: str | None = None
        self._pane_error = False
        self.theme = self.config.theme

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusHeader(id="header")
        with Horizontal(id="main"):
            yield ContainerList(id="containers")
            with TabbedContent(id="tabs"):
                for pane_id, title in TABS:
                    with TabPane(title, id=pane_id):
                        yield OverviewPane(id="overview-pane") if pane_id == "overview" else EventsPane(id="events-pane")
        yield ProvenanceBar(id="provenance")

    @property
    def container_list(self) -> ContainerList:
        return self.screen_stack[0].query_one(ContainerList)

    def on_mount(self) -> None:
        self.query_one(StatusHeader).show(None, self.config.read_only)
        self.query_one(ProvenanceBar).show("", "")
        self.container_list.table.focus()
        if self.config.container:
            self.container_list.select(self.config.container)
        self.run_worker(self._run_backend(), name="backend", group="backend", exit_on_error=False)

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
        base = self.screen_stack[0]
        try:
            with self.batch_update():
                base.query_one(StatusHeader).show(snap, self.config.read_only)
                self.container_list.apply(snap)
                self._show_tab(snap)
                if isinstance(self.screen, EngineScreen):
                    self.screen.show(snap)
        except Exception as exc:  # a pane must never take the app down with it
            self.log.error(f"snapshot {snap.seq}: {exc!r}")
            if not self._pane_error:
                self.notify(f"display error: {clean(str(exc))}", severity="error", markup=False)
            self._pane_error = True
        else:
            self._pane_error = False

    def _show_tab(self, snap: Snapshot) -> None:
        base = self.screen_stack[0]
        active = base.query_one(TabbedContent).active
        if active == "overview":
            base.query_one(OverviewPane).show(snap, self.selected)
        elif active == "events":
            base.query_one(EventsPane).show(snap, self.selected)

    @on(ContainerSelected)
    def _selected(self, message: ContainerSelected) -> None:
        self.selected = message.cid
        self.backend.select(message.cid)
        if self.snapshot is not None:
            self._show_tab(self.snapshot)

    @on(TabbedContent.TabActivated)
    def _tab(self, event: TabbedContent.TabActivated) -> None:
        if self.snapshot is not None:
            self._show_tab(self.snapshot)

    @on(LiveTable.Selected, "#containers-table")
    def _drill_down(self, event: LiveTable.Selected) -> None:
        """``enter`` on a container moves into the active tab."""
        base = self.screen_stack[0]
        pane = base.query_one(OverviewPane) if base.query_one(TabbedContent).active == "overview" \
            else base.query_one(EventsPane)
        pane.focus()

    def action_back(self) -> None:
        """``esc`` in a tab goes back to the containers list (a zoomed pane un-zooms first)."""
        self.container_list.table.focus()

    def action_zoom(self) -> None:
        """``z`` shows the focused pane full screen (again: back)."""
        screen = self.screen
        if screen.maximized is not None:
            screen.minimize()
        elif screen.focused is not None:
            screen.maximize(screen.focused)

    @on(Provenance)
    def _provenance(self, message: Provenance) -> None:
        self.screen_stack[0].query_one(ProvenanceBar).show(message.source, message.label)

    @on(OpenFile)
    def _open_file(self, message: OpenFile) -> None:
        self._read_file(message.path, message.kind)

    @work(thread=True, exclusive=True, group="read-file", exit_on_error=False)
    def _read_file(self, path: str, kind: str) -> None:
        view = self.backend.read_file(path, kind)
        self.call_from_thread(self.push_screen, FileViewer(view))

    def jump_to(self, cid: str) -> None:
        """Select a container (palette): back to the main screen, shown even if filtered out."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.container_list.reveal(cid)
        self.container_list.table.focus()

    # ------------------------------------------------------------ actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.WRITE_ACTIONS and self.config.read_only:
            return False
        return True

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_engine(self) -> None:
        if isinstance(self.screen, EngineScreen):
            self.pop_screen()
            return
        self.push_screen(EngineScreen(self.snapshot, self.config.read_only))

    def action_filter(self) -> None:
        self.container_list.open_filter()

    def action_toggle_stopped(self) -> None:
        self.container_list.toggle_stopped()

    def action_sort(self) -> None:
        self.container_list.cycle_sort()

    def action_reverse_sort(self) -> None:
        self.container_list.reverse_sort()

    def action_tab(self, pane_id: str) -> None:
        self.screen_stack[0].query_one(TabbedContent).active = pane_id

    def action_cycle_tab(self, step: int) -> None:
        tabs = self.screen_stack[0].query_one(TabbedContent)
        ids = [pid for pid, _ in TABS]
        tabs.active = ids[(ids.index(tabs.active) + step) % len(ids)] if tabs.active in ids else ids[0]

    def action_refresh(self) -> None:
        self.backend.refresh()

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Engine view", "docker version / info, images, /proc/cgroups (e)", self.action_engine)
        yield SystemCommand("Help", "All keys (?)", self.action_help)
        yield SystemCommand("Filter containers", "Filter the list by name or image (/)", self.action_filter)
        yield SystemCommand("Toggle stopped containers", "Show or hide stopped containers (a)",
                            self.action_toggle_stopped)
        yield SystemCommand("Sort containers", "Next sort column (s)", self.action_sort)
        yield SystemCommand("Reverse sort", "Reverse the container sort (S)", self.action_reverse_sort)
        yield SystemCommand("Overview tab", "The selected container, as inspect shows it (1)",
                            partial(self.action_tab, "overview"))
        yield SystemCommand("Events tab", "The live Docker events feed (8)", partial(self.action_tab, "events"))
        yield SystemCommand("Events: all / this container", "Toggle the events scope (t)",
                            lambda: self.screen_stack[0].query_one(EventsPane).action_toggle_scope())
        yield SystemCommand("Refresh now", "Poll the engine now (ctrl+r)", self.action_refresh)
        yield SystemCommand("Zoom pane", "Show the focused pane full screen (z)", self.action_zoom)


def make_app(backend: Backend, config: Config | None = None) -> InternalsApp:
    """Build the app (used by the CLI, the tests and the screenshot script)."""
    return InternalsApp(backend, config)
