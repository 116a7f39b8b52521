"""What every pane inherits: a footer that follows every move, keys that behave like htop, k9s
and less, screens that own their keys (on the recording ``lab.json``)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import Any

import pytest
from textual.widgets import Input, Tab, TabbedContent, Tabs

from tui.app import Config, InternalsApp, make_app
from tui.backend.model import FileRequest, Snapshot
from tui.backend.replay import ReplayBackend
from tui.messages import OpenView
from widgets.events import EventsPane
from widgets.file_viewer import FileViewer
from widgets.help import HelpScreen
from widgets.provenance import ProvenanceBar, SourceScreen, elide_middle, shell_command
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


def test_what_is_copied_is_the_command_without_the_readers_notes() -> None:
    assert shell_command("cat /a/cpuacct.usage ; head -1 /proc/stat  (Δcontainer / Δsystem × 2 CPUs × 100)") \
        == "cat /a/cpuacct.usage ; head -1 /proc/stat"
    assert shell_command("docker inspect -f '{{.Id}}' web  → 9d0d497aa030") == "docker inspect -f '{{.Id}}' web"
    assert shell_command("ls -l '/x  y/z'") == "ls -l '/x  y/z'"


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
        assert app.screen.source == whole and "(usage − inactive_file, as docker stats)" in whole
        assert copied == [shell_command(whole)] and "(" not in copied[0]  # a shell can run what is copied
        assert copied[0].startswith("cat /sys/fs/cgroup/memory/") and " ; grep -w total_inactive_file " in copied[0]
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
                req = FileRequest("/x/config.v2.json", "json")
                app.post_message(OpenView("file", req, partial(FileViewer.of, req)))
            else:
                await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, screen), what=screen.__name__)
            await pilot.press("a", "s", "8", "t", "L", "slash", *"abc")  # "/" searches in the viewer
            assert listing.show_stopped and listing.sort_key == "name" and not listing.filter_text
            assert not listing.query_one("#filter").display
            assert app.query_one(EventsPane).only_selected is False
            assert app.screen_stack[0].query_one("TabbedContent").active == "overview"
            assert not app.screen_stack[0].has_class("-list-large")
            await pilot.press("escape", "escape")  # the viewer: out of its search box, then back
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


# ---------------------------------------------------------------- rows: order, cursor, filter


def with_containers(snap: Snapshot, containers: list[Any]) -> Snapshot:
    """The recording with another container list (metrics kept for the ones it had)."""
    sources = tuple(replace(r, value=tuple(containers)) if r.name == "containers" else r for r in snap.sources)
    return replace(snap, sources=sources)


def clones(snap: Snapshot, names: list[str]) -> list[Any]:
    """Stopped copies of ``oneshot`` under other names and IDs (no metrics: ties on CPU)."""
    one = snap.container_by_name("oneshot")
    return [replace(one, id=f"{i:064x}", name=replace(one.name, value=n)) for i, n in enumerate(names, 1)]


async def test_names_sort_naturally_and_ties_stay_put(lab_snapshot, wait_for) -> None:
    names = ["lab-10", "lab-2", "Lab-1", "lab-9"]
    app = replay_app(with_containers(lab_snapshot, clones(lab_snapshot, names)))
    async with app.run_test(size=SIZE) as pilot:
        table = app.container_list.table
        await wait_for(pilot, lambda: table.row_count == 4, what="4 rows")
        order = lambda: [app.snapshot.container(k).name.value for k in table.ordered_keys]  # noqa: E731
        assert order() == ["Lab-1", "lab-2", "lab-9", "lab-10"]
        assert table.sorted_by == ("name", "▲")
        await pilot.press("s", "s")  # cpu: every row ties (stopped): name order stays, ascending
        await wait_for(pilot, lambda: app.container_list.sort_key == "cpu", what="the cpu sort")
        assert table.sorted_by == ("cpu", "▼") and order() == ["Lab-1", "lab-2", "lab-9", "lab-10"]
        header = table.render_line(0).text
        assert "CPU%▼" in header and "NAME▲" not in header


async def test_cursor_stays_in_view_when_rows_come_above(lab_snapshot, wait_for) -> None:
    many = clones(lab_snapshot, [f"z-{i:02d}" for i in range(40)])
    first = with_containers(lab_snapshot, many)
    later = with_containers(lab_snapshot, clones(lab_snapshot, [f"a-{i:02d}" for i in range(30)]) + many)
    later = replace(later, sources=tuple(
        replace(r, value=tuple(replace(c, id=f"{i + 100:064x}") if c.name.value.startswith("a-") else c
                               for i, c in enumerate(r.value))) if r.name == "containers" else r
        for r in later.sources))
    backend = ReplayBackend([first, later], delay=0.5)
    app = make_app(backend, Config(container="z-39"))
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.container_list.table
        await wait_for(pilot, lambda: table.row_count == 40 and table.cursor_key == many[-1].id, what="z-39")
        await wait_for(pilot, lambda: table.row_count == 70, what="30 rows above")
        await pilot.pause()
        top = int(table.scroll_y)
        height = table.scrollable_content_region.height - 1
        assert table.cursor_key == many[-1].id and top <= table.cursor_row < top + height


async def test_freeze_keeps_rows_in_place(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        listing = app.container_list
        await pilot.press("Z")
        assert listing.frozen and "frozen (Z)" in listing.border_subtitle
        before = listing.table.ordered_keys
        listing.sort_key = "state"  # a new order arriving while frozen is not applied
        listing.refresh_rows()
        assert listing.table.ordered_keys == before
        await pilot.press("Z")
        assert not listing.frozen and listing.table.ordered_keys != before


async def test_filter_matching_nothing_says_so_and_esc_restores(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="probe1")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        probe = app.snapshot.container_by_name("probe1").id
        await wait_for(pilot, lambda: app.selected == probe, what="probe1")
        await pilot.press("slash", *"nothing-here")
        msg = app.container_list.query_one("#containers-message")
        await wait_for(pilot, lambda: app.selected is None and msg.display, what="no match")
        assert "No container matches “nothing-here”" in str(msg.content)
        overview = app.query_one("#overview-pane")
        assert "no container matches" in str(overview.border_subtitle)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.selected == probe, what="probe1 selected again")
        assert app.container_list.table.row_count == 7


async def test_a_removed_selection_is_said(lab_snapshot, wait_for) -> None:
    web = lab_snapshot.container_by_name("web")
    gone = with_containers(lab_snapshot, [c for c in lab_snapshot.containers if c.id != web.id])
    app = make_app(ReplayBackend([lab_snapshot, gone], delay=1.5), Config(container="web"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected == web.id, what="web")
        await wait_for(pilot, lambda: app.selected not in (None, web.id), timeout=5, what="web removed")
        assert any("web was removed" in str(n.message) for n in app._notifications)
        assert "web was removed" in str(app.query_one("#overview-pane").border_subtitle)


# ---------------------------------------------------------------- command line


async def test_container_option_that_matches_nothing_says_so(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="no-such-thing")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: any("no container called no-such-thing" in str(n.message)
                                          for n in app._notifications), what="the notice")


def test_unknown_theme_lists_the_themes(capsys) -> None:
    from tui.cli import main
    assert main(["--theme", "no-such-theme"]) == 2
    err = capsys.readouterr().err
    assert "no theme called 'no-such-theme'" in err and "textual-dark" in err and "nord" in err


async def test_file_viewer_searches_and_pages_like_less(wait_for) -> None:
    from textual.app import App
    from tui.backend.model import FileView
    text = "\n".join(f"line {i}" + (" needle" if i in (30, 70, 150) else "") for i in range(200))

    class One(App[None]):
        def on_mount(self) -> None:
            self.push_screen(FileViewer(FileView("/x/log.txt", text, len(text), False, "cat /x/log.txt")))

    app = One()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FileViewer) and app.screen.lines, what="the viewer")
        viewer = app.screen
        await pilot.press("space")
        assert viewer.body.scroll_y > 10
        await pilot.press("g", "slash", *"NEEDLE", "enter")
        await wait_for(pilot, lambda: viewer.term == "NEEDLE", what="the search")
        assert viewer.matches == [30, 70, 150] and int(viewer.body.scroll_y) == 30
        await pilot.press("n")
        assert int(viewer.body.scroll_y) == 70 and "2/3" in str(viewer.query_one("#viewer-head").content)
        await pilot.press("N", "N")
        assert viewer.match == 2  # wrapped around to the last match
        await pilot.press("G")
        assert viewer.body.scroll_y == viewer.body.max_scroll_y
        await pilot.press("b")
        assert viewer.body.scroll_y < viewer.body.max_scroll_y
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(app.screen, FileViewer), what="closed")


async def test_80x24_fits_and_l_gives_the_list_the_larger_share(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, wait_for)
        screen = app.screen
        for widget in screen.query("*"):
            if widget.display and widget.region.area:
                assert screen.region.contains_region(widget.region), f"{widget!r} runs off the screen"
        bar = screen.query_one(ProvenanceBar)
        assert bar.region.y == 23 and bar.region.width == 80
        table = app.container_list.table
        small = app.container_list.region.height
        top = int(table.scroll_y)
        assert top <= table.cursor_row < top + table.scrollable_content_region.height - 1  # web in view
        await pilot.press("L")
        await wait_for(pilot, lambda: app.container_list.region.height > small, what="a larger list")
        assert app.container_list.region.height >= 16 and table.row_count <= table.scrollable_content_region.height
        await pilot.press("L")
        await wait_for(pilot, lambda: app.container_list.region.height == small, what="back")


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 45), (250, 60)])
async def test_nothing_runs_off_the_screen(lab_snapshot, wait_for, size: tuple[int, int]) -> None:
    for tab in ("overview", "events", "engine"):
        app = replay_app(lab_snapshot, container="web", tab=tab)
        async with app.run_test(size=size) as pilot:
            await loaded(pilot, app, wait_for)
            await pilot.pause()
            screen = app.screen
            for widget in screen.query("*"):
                if widget.display and widget.region.area:
                    assert screen.region.contains_region(widget.region), f"{tab} {size}: {widget!r} runs off"
            assert screen.query_one(ProvenanceBar).region.y == size[1] - 1
            if tab != "engine":  # every tab label shows whole, however narrow the tab bar
                bar = screen.query_one(TabbedContent)
                for t in bar.query(Tab):
                    assert bar.region.contains_region(t.region) and t.label.plain[0].isdigit(), f"{size}: {t.label}"


# ---------------------------------------------------------------- contrast


def contrast(a: Any, b: Any) -> float:
    """WCAG contrast ratio of two opaque colours."""
    def lum(c: Any) -> float:
        def ch(v: int) -> float:
            x = v / 255
            return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4
        return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b)
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


async def test_unfocused_titles_tabs_and_dim_text_reach_wcag_aa(lab_snapshot, wait_for) -> None:
    from rich.style import Style
    from textual.color import Color
    from textual.filter import dim_style
    from textual.widgets._tabs import Tab
    from tui.app import DIM_FACTOR

    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        pane = app.query_one("#overview-pane")
        assert not pane.has_focus
        bg = pane.background_colors[1]
        title = bg + pane.styles.border_title_color
        assert contrast(title, bg) >= 4.5, title
        for tab in app.query(Tab):
            tbg = tab.background_colors[1]
            assert contrast(tbg + tab.styles.color, tbg) >= 4.5, (tab, tab.styles.color)
        fg = bg + pane.styles.color
        dimmed = dim_style(Style(color=fg.rich_color, bgcolor=bg.rich_color, dim=True), bg, DIM_FACTOR).color
        assert contrast(Color.from_rich_color(dimmed), bg) >= 4.5


async def test_events_of_one_container_explain_an_empty_list_and_follow_renames(lab_snapshot, wait_for) -> None:
    quiet = clones(lab_snapshot, ["quiet"])[0]
    web = lab_snapshot.container_by_name("web")
    renamed = replace(web, name=replace(web.name, value="web-2"))
    first = with_containers(lab_snapshot, [*lab_snapshot.containers, quiet])
    later = with_containers(lab_snapshot, [renamed if c.id == web.id else c for c in first.containers])
    app = make_app(ReplayBackend([first, later], delay=0.4), Config(container="quiet", tab="events"))
    async with app.run_test(size=SIZE) as pilot:
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: app.selected == quiet.id and events.row_count > 0, what="quiet, all events")
        await pilot.press("t")
        await wait_for(pilot, lambda: events.row_count == 0, what="no events of quiet")
        assert "keeps only the last 256 events" in str(events.border_subtitle)
        app.jump_to(web.id)
        await wait_for(pilot, lambda: "only web-2" in str(events.border_title), timeout=5, what="the new name")
        assert events.row_count > 0


async def test_one_unit_system_no_limit_and_times_without_repeated_zones(lab_snapshot, wait_for) -> None:
    from widgets.header import StatusHeader
    from widgets.live_table import LiveTable
    app = replay_app(lab_snapshot, container="cache")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        table = app.container_list.table
        cache, probe = (app.snapshot.container_by_name(n).id for n in ("cache", "probe1"))
        assert table.get_cell(cache, "mem").plain.endswith("/ no limit")
        assert table.get_cell(probe, "mem").plain.endswith("/ 256M")
        overview = app.query_one("#overview-pane", LiveTable)
        await wait_for(pilot, lambda: "live-mem" in overview.rows, what="the live rows")
        assert overview.get_cell("live-mem", "value").plain.endswith("/ no limit (host RAM 23.5 GiB)")
        created = overview.get_cell("created", "value").plain
        assert "UTC" not in created and created.startswith("11:19:13")  # today (the recording's day)
        assert "times UTC" in str(app.query_one(StatusHeader).content)
        assert overview.get_cell("finished", "field").plain == "Finished"  # never finished: no last run


async def test_zoom_keeps_the_header_and_the_footer(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("z")
        await wait_for(pilot, lambda: app.screen.maximized is not None, what="zoomed")
        await pilot.pause()
        bar = app.screen.query_one(ProvenanceBar)
        assert bar.region.height == 1 and bar.region.y == 23
        await pilot.press("k")  # the footer still follows the cursor while zoomed
        table = app.container_list.table
        assert bar.source == table.cursor_source()[0] and table.cursor_key != lab_snapshot.container_by_name("web").id
        await pilot.press("z")
        await wait_for(pilot, lambda: app.screen.maximized is None, what="back")


async def test_help_fits_80_columns(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        box = app.screen.query_one("#help-box")
        await pilot.pause()
        assert box.region.right <= 80 and box.region.bottom <= 24
        assert box.virtual_size.width <= box.region.width  # nothing cut on the right
