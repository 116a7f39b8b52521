"""What every pane inherits: a footer that follows every move, keys that behave like htop, k9s
and less, screens that own their keys (on the recording ``lab.json``)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Tabs

from tui.app import Config, InternalsApp, make_app
from tui.backend.model import Snapshot
from tui.backend.replay import ReplayBackend
from widgets.events import EventsPane
from widgets.file_viewer import FileViewer
from widgets.help import HelpScreen
from widgets.provenance import ProvenanceBar, SourceScreen, elide_middle
from widgets.view_screen import ViewScreen

SIZE = (200, 50)


def replay_app(snap: Snapshot, **config: Any) -> InternalsApp:
    return make_app(ReplayBackend([snap]), Config(**config))


def cid_of(snap: Snapshot, name: str) -> str:
    return next(c.id for c in snap.containers if c.name.value == name)


def footer(app: InternalsApp) -> str:
    bar = app.screen.query_one(ProvenanceBar)
    return bar.source


async def loaded(pilot: Any, app: InternalsApp, wait_for: Any) -> None:
    await wait_for(pilot, lambda: app.container_list.table.row_count == 7 and app.selected is not None,
                   what="7 rows")


async def test_footer_follows_the_column_choice(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        web = app.snapshot.container_by_name("web")
        await wait_for(pilot, lambda: footer(app) == web.name.source, what="the NAME source")
        await pilot.press("right")  # STATE
        assert footer(app) == web.state.source
        await pilot.press("right")  # CPU%
        assert footer(app) == app.snapshot.metrics_of(web.id).cpu_percent.source
        await pilot.press("left", "left")
        assert footer(app) == web.name.source


async def test_footer_follows_the_filter(lab_snapshot, wait_for) -> None:
    """Typing a filter moves the selection; the footer names the container now selected, not
    the one the cursor was on before."""
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        cache = app.snapshot.container_by_name("cache")
        await pilot.press("slash", *"cach")
        await wait_for(pilot, lambda: app.selected == cache.id, what="cache selected by the filter")
        assert isinstance(app.focused, Input)
        assert footer(app) == cache.name.source


async def test_footer_follows_tabs_and_focus(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        web = app.snapshot.container_by_name("web")
        await pilot.press("enter")  # into the overview: its row's source
        await wait_for(pilot, lambda: footer(app) != web.name.source, what="the overview's footer")
        await pilot.press("8", "enter")
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: events.has_focus and footer(app).startswith("docker events --since"),
                       what="the events footer")
        await pilot.press("escape")  # back to the list: its source again
        await wait_for(pilot, lambda: footer(app) == web.name.source, what="the list's footer")


def test_long_sources_lose_their_middle_not_their_end() -> None:
    src = "cat /sys/fs/cgroup/memory/docker/" + "a" * 64 + "/memory.usage_in_bytes ; grep -w total_inactive_file x"
    short = elide_middle(src, 60)
    assert len(short) == 60 and short.startswith("cat /sys/fs/") and short.endswith("total_inactive_file x")
    assert "…" in short and elide_middle("short", 60) == "short"


async def test_c_shows_the_whole_source_and_copies_it(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="web")
    copied: list[str] = []
    app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("right", "right", "right")  # MEM: a long source
        whole = footer(app)
        assert len(whole) > 80
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, SourceScreen), what="the source popup")
        assert copied == [whole] and app.screen.source == whole
        await pilot.press("q")  # closes the popup, does not quit
        await wait_for(pilot, lambda: not isinstance(app.screen, SourceScreen), what="closed")
        assert app.is_running


async def test_q_closes_what_is_on_top_then_quits(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        for key, screen in (("e", ViewScreen), ("question_mark", HelpScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, screen), what=f"{screen.__name__}")
            await pilot.press("q")
            await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back on the main screen")
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running, what="the app to quit")


async def test_keys_typed_in_a_view_do_not_reach_the_list(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        listing = app.container_list
        for screen in (FileViewer, ViewScreen):
            if screen is FileViewer:
                app.post_message(__import__("tui.messages", fromlist=["OpenFile"]).OpenFile("/x/config.v2.json", "json"))
            else:
                await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, screen), what=screen.__name__)
            await pilot.press("a", "slash", "s", "8", "t")
            assert listing.show_stopped and listing.sort_key == "name" and not listing.filter_text
            assert not listing.query_one("#filter").display
            assert app.query_one(EventsPane).only_selected is False
            assert app.screen_stack[0].query_one("TabbedContent").active == "overview"
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back")


async def test_pane_keys_work_while_the_pane_is_visible(lab_snapshot, wait_for) -> None:
    """``t`` toggles the events scope with the focus on the list, as long as Events is shown."""
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        events = app.query_one(EventsPane)
        await pilot.press("t")  # Overview shown: nothing happens
        assert events.only_selected is False
        await pilot.press("8")
        await wait_for(pilot, lambda: events.display and events.row_count > 0, what="the events")
        assert app.container_list.table.has_focus
        await pilot.press("t")
        assert events.only_selected is True


async def test_no_dead_focus_stops_and_no_duplicate_palette_entries(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        assert not app.query_one(Tabs).can_focus
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Keys" not in titles and "Maximize" not in titles and "Help" in titles
        assert "Zoom pane" in titles
        seen = set()
        for _ in range(6):  # tab around: only the list and the pane take the focus
            await pilot.press("tab")
            seen.add(type(app.focused).__name__)
        assert "Tabs" not in seen


async def test_left_right_skip_columns_the_width_hides(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, wait_for)
        table = app.container_list.table
        shown = {table.columns[i].key for i, _ in table.shown_columns()}
        assert "id" not in shown  # 80 columns drop the ID first
        seen = set()
        for _ in range(len(table.columns) + 2):
            await pilot.press("right")
            seen.add(table.focus_column)
        assert seen == shown


async def test_refresh_says_so(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: any("Refreshing" in str(n.message) for n in app._notifications),
                       what="a refresh notice")
