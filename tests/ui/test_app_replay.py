"""Pilot tests of the real app on recorded data (``ReplayBackend`` over ``lab.json``).

No engine is needed: the snapshot was recorded on a real engine and holds containers
``burner`` (busy CPU), ``cache``, ``db``, ``evil`` (untrusted text in its command and labels),
``oneshot`` (exited 3), ``probe1`` and ``web`` (with its on-disk files).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual.command import CommandList, CommandPalette

from tui.app import Config, InternalsApp, make_app
from tui.backend.model import Snapshot
from tui.backend.replay import ReplayBackend
from widgets.confirm import ChoiceScreen, ConfirmScreen
from widgets.walk_panel import WalkPanel
from widgets.walkthrough import STEPS
from widgets.events import EventsPane
from widgets.live_table import LiveTable
from widgets.help import HelpScreen
from widgets.overview import OverviewPane
from widgets.provenance import ProvenanceBar, SourceScreen

SIZE = (200, 50)
ESC = "\x1b"


def replay_app(snap: Snapshot, **config: Any) -> InternalsApp:
    return make_app(ReplayBackend([snap]), Config(**config))


def cid_of(snap: Snapshot, name: str) -> str:
    return next(c.id for c in snap.containers if c.name.value == name)


def names_in_order(app: InternalsApp) -> list[str]:
    snap = app.snapshot
    assert snap is not None
    return [snap.container(k).name.value for k in app.container_list.table.ordered_keys]


def cell_text(table: LiveTable, row: str, column: str) -> str:
    value = table.get_cell(row, column)
    return getattr(value, "plain", str(value))


def screen_lines(widget: Any) -> list[str]:
    """What the widget paints, line by line (after markup/ANSI handling, as the terminal gets it)."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


async def loaded(pilot: Any, app: InternalsApp, wait_for: Any, n: int = 7) -> None:
    await wait_for(pilot, lambda: app.container_list.table.row_count == n, what=f"{n} rows")


async def test_untrusted_text_renders_literally(lab_snapshot, wait_for) -> None:
    """``evil``'s command keeps ``[/etc]`` and ``[bold]`` as text and shows ESC escaped.

    The command row is the argv as JSON, so ESC appears in JSON's escaped form ``\\u001b``;
    either way no raw ESC character reaches a cell or the screen.
    """
    evil = cid_of(lab_snapshot, "evil")
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        app.jump_to(evil)
        overview = app.query_one(OverviewPane)
        await wait_for(pilot, lambda: app.selected == evil and "cmd" in overview.rows,
                       what="evil's overview")
        cmd = cell_text(overview, "cmd", "value")
        assert "[/etc]" in cmd
        assert "[bold]" in cmd
        assert "\\u001b[31mred\\u001b[0m" in cmd
        assert ESC not in cmd

        # What is actually painted: literal brackets, escaped ESC, and no raw control character.
        await pilot.pause()
        painted = "\n".join(screen_lines(overview))
        assert "[/etc]" in painted and "[bold]" in painted
        assert "\\u001b[31mred" in painted
        assert ESC not in painted
        whole = app.export_screenshot()
        assert ESC not in whole

        # The events tab shows evil's label value ``[red]boom[/]`` literally as well.
        await pilot.press("8")
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: events.row_count > 0, what="events rows")
        details = [events.get_row(k)[5].plain for k in events.rows]
        assert any("x=[red]boom[/]" in d for d in details)
        assert app.is_running


async def test_container_option_starts_with_web_selected(lab_snapshot, wait_for) -> None:
    """``--container web`` selects web as soon as it appears."""
    web = cid_of(lab_snapshot, "web")
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        table = app.container_list.table
        overview = app.query_one(OverviewPane)
        await wait_for(pilot, lambda: app.selected == web, what="web selected")
        assert table.cursor_key == web
        assert app.backend.selected == web
        await wait_for(pilot, lambda: "name" in overview.rows, what="the overview")
        assert cell_text(overview, "name", "value") == "web"
        assert "file-config.v2.json" in overview.rows  # web's on-disk files were recorded


async def test_every_cell_sits_under_its_own_column(lab_snapshot, wait_for) -> None:
    """Each column key holds its own value (rows are added positionally), and the painted header
    line and a painted row agree: the ID column shows the short ID, IMAGE the image."""
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        table = app.container_list.table
        for c in lab_snapshot.containers:
            assert cell_text(table, c.id, "name") == c.name.value
            assert cell_text(table, c.id, "id") == c.short_id, "ID column holds another value"
            assert cell_text(table, c.id, "image") == c.image.value, "IMAGE column holds another value"
        await pilot.pause()
        header, first = screen_lines(table)[:2]
        burner = next(c for c in lab_snapshot.containers if c.name.value == "burner")
        for label, value in (("ID", burner.short_id), ("IMAGE", burner.image.value), ("NAME", "burner")):
            if label in header.split():
                assert first[header.index(f" {label}") + 1:].lstrip().startswith(value[:4]), \
                    f"under {label}: {first!r} / {header!r}"


async def test_sort_key_changes_row_order(lab_snapshot, wait_for) -> None:
    """``s`` cycles name → state → cpu; the CPU sort puts the busy ``burner`` first."""
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        by_name = names_in_order(app)
        assert by_name == sorted(by_name)
        assert "sort name▲" in app.container_list.border_subtitle

        await pilot.press("s")  # state: running first, exited last
        await wait_for(pilot, lambda: names_in_order(app) != by_name, what="a new order")
        assert names_in_order(app)[-1] == "oneshot"
        assert "sort state" in app.container_list.border_subtitle

        await pilot.press("s")  # cpu, descending
        await wait_for(pilot, lambda: "sort cpu▼" in app.container_list.border_subtitle,
                       what="the cpu sort")
        await pilot.pause()
        order = names_in_order(app)
        assert order[0] == "burner"
        assert order[-1] == "oneshot"  # no metrics: sorts below every running container

        await pilot.press("S")  # reverse: ascending CPU
        await wait_for(pilot, lambda: names_in_order(app)[-1] == "burner", what="reversed order")


async def test_help_opens_and_closes(lab_snapshot, wait_for) -> None:
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="the help screen")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen), what="help closed")
        assert app.screen is app.screen_stack[0]


async def test_command_palette_jumps_to_container(lab_snapshot, wait_for) -> None:
    """ctrl+p, ``web`` → a ``Container: web`` entry; choosing it selects web."""
    web = cid_of(lab_snapshot, "web")
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        assert app.selected != web
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"web")
        commands = app.screen.query_one(CommandList)

        def prompts() -> list[str]:
            return [str(commands.get_option_at_index(i).hit.text) for i in range(commands.option_count)]

        await wait_for(pilot, lambda: any(p.startswith("Container: web") for p in prompts()),
                       what="a 'Container: web' entry")
        index = next(i for i, p in enumerate(prompts()) if p.startswith("Container: web"))
        commands.highlighted = index
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.selected == web, what="web selected from the palette")
        assert not isinstance(app.screen, CommandPalette)


async def test_read_only_says_why_and_offers_no_action(lab_snapshot, wait_for) -> None:
    """``x`` opens the selected container's actions; with ``--read-only`` it says why nothing
    opens, and the palette offers none."""
    for read_only in (True, False):
        app = replay_app(lab_snapshot, read_only=read_only)
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot, app, wait_for)
            await pilot.press("x")
            await pilot.pause()
            if read_only:
                assert app.screen is app.screen_stack[0]
                assert any("--read-only" in str(n.message) for n in app._notifications)
                assert not [c for c in app.get_system_commands(app.screen)
                            if c.title.startswith("Container ") or c.title == "Prune…"]
                await pilot.press("question_mark")  # a read action still works
                await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
            else:
                assert isinstance(app.screen, ChoiceScreen)
                verbs = [v for v, _ in app.screen.options]
                assert verbs[0] == "stop" and "exec" in verbs and "start" not in verbs  # web is running
                await pilot.press("escape")
                assert app.screen is app.screen_stack[0]
                titles = [c.title for c in app.get_system_commands(app.screen)]
                assert "Prune…" in titles and [t for t in titles if t.startswith("Container stop: ")]


async def test_filter_box_takes_letters_that_are_app_keys(lab_snapshot, wait_for) -> None:
    """Typing ``cache`` into the filter filters; ``a``/``e``/``s`` do not toggle, open or sort."""
    cache = cid_of(lab_snapshot, "cache")
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("slash", *"cache")
        await wait_for(pilot, lambda: set(app.container_list.table.rows) == {cache}, what="only cache")
        assert app.screen is app.screen_stack[0]  # ``e`` did not open the engine view
        assert app.container_list.show_stopped  # ``a`` did not hide stopped containers
        assert app.container_list.sort_key == "name"  # ``s`` did not sort
        assert app.selected == cache
        await pilot.press("enter")  # keeps the filter, focus back on the table
        await wait_for(pilot, lambda: app.container_list.table.has_focus, what="table focus")
        assert set(app.container_list.table.rows) == {cache}


async def test_events_footer_matches_highlighted_event(lab_snapshot, wait_for) -> None:
    """In the events pane the footer names the highlighted event, and follows the cursor."""
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("8", "enter")
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: events.row_count == len(lab_snapshot.events) and events.has_focus,
                       what="all events, focused")
        bar = app.query_one(ProvenanceBar)

        def footer_names(ev: Any) -> bool:
            since = ev.time_nano // 1_000_000_000
            verb = ev.action.split(":", 1)[0]
            text = bar.content.plain
            return (text.startswith(" source  event: ") and f"--since {since} " in text
                    and f"--filter type={ev.type} --filter event={verb}" in text)

        top, second = lab_snapshot.events[0], lab_snapshot.events[1]
        assert events.cursor_key == str(top.seq)
        await wait_for(pilot, lambda: footer_names(top), what=f"the footer on event #{top.seq}")
        await pilot.press("j")
        assert events.cursor_key == str(second.seq)
        await wait_for(pilot, lambda: footer_names(second), what=f"the footer on event #{second.seq}")


async def test_enter_moves_into_tab_and_escape_back(lab_snapshot, wait_for) -> None:
    """``enter`` on a container focuses the active tab's pane; ``escape`` returns to the list."""
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        table = app.container_list.table
        await wait_for(pilot, lambda: table.has_focus and app.selected == cid_of(lab_snapshot, "web"),
                       what="web selected in the focused list")
        await pilot.press("enter")
        overview = app.query_one(OverviewPane)
        await wait_for(pilot, lambda: overview.has_focus, what="the overview focused")
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.has_focus, what="the list focused again")
        await pilot.press("8", "enter")
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: events.has_focus, what="the events pane focused")
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.has_focus, what="the list focused again")
        assert app.selected == cid_of(lab_snapshot, "web")


async def test_filter_text_with_markup_is_shown_literally(lab_snapshot, wait_for) -> None:
    """What the user types goes into a border title: it must not be parsed as markup."""
    app = replay_app(lab_snapshot)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("slash")
        await pilot.press("[", "b", "]", "x", "[", "/")
        await wait_for(pilot, lambda: app.container_list.filter_text == "[b]x[/", what="the filter text")
        assert "[b]x[/" in app.container_list.border_subtitle
        assert app.container_list.table.row_count == 0


async def test_click_selects_the_row_under_the_pointer(lab_snapshot, wait_for) -> None:
    """A click picks the row under the pointer: below the header in the containers table, and
    inside the border of the overview (the border is not a row)."""
    app = replay_app(lab_snapshot, container="web")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        table = app.container_list.table
        await pilot.click(table, offset=(6, 1 + 2))  # header line, then rows 0, 1, 2
        assert table.cursor_key == table.ordered_keys[2]
        overview = app.query_one(OverviewPane)
        await wait_for(pilot, lambda: overview.row_count > 5, what="the overview")
        await pilot.click(overview, offset=(4, 1 + 3))  # top border, then rows 0..3
        assert overview.cursor_key == overview.ordered_keys[3]


async def test_a_failing_backend_is_restarted(lab_snapshot, wait_for) -> None:
    """A backend whose run() raises does not leave the app frozen: it is started again."""

    class FailsOnce(ReplayBackend):
        runs = 0

        async def run(self, publish: Any) -> None:
            FailsOnce.runs += 1
            if FailsOnce.runs == 1:
                raise RuntimeError("collector bug")
            await super().run(publish)

    app = make_app(FailsOnce([lab_snapshot]), Config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, timeout=10,
                       what="the snapshot after the restart")
        assert FailsOnce.runs == 2


async def test_palette_entries_show_untrusted_text_literally(lab_snapshot, wait_for) -> None:
    """A recording is untrusted input: a container whose image holds markup is listed
    in the palette with that text as typed, in the entry and in its help line."""
    evil = next(c for c in lab_snapshot.containers if c.name.value == "evil")
    forged = replace(evil, image=replace(evil.image, value="[b]x[/b]:[red]1"), image_fq="reg/[b]x[/b]:[red]1")
    containers = tuple(forged if c.id == evil.id else c for c in lab_snapshot.containers)
    sources = tuple(replace(r, value=containers) if r.name == "containers" else r for r in lab_snapshot.sources)
    app = replay_app(replace(lab_snapshot, sources=sources))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), what="the palette")
        await pilot.press(*"evil")
        commands = app.screen.query_one(CommandList)

        def entry() -> str:
            for i in range(commands.option_count):
                prompt = commands.get_option_at_index(i).prompt
                plain = getattr(prompt, "plain", str(prompt))
                if "Container: evil" in plain:
                    return plain
            return ""

        await wait_for(pilot, entry, what="the evil entry")
        assert "([b]x[/b]:[red]1, running)" in entry()
        assert "reg/[b]x[/b]:[red]1" in entry()  # the help line: fully qualified image, literally


async def test_list_keeps_the_focus_when_the_engine_comes_back(lab_snapshot, wait_for) -> None:
    """No engine hides the table; when the engine is back the table is shown and focused again,
    so ``j`` moves the cursor at once (no click or tab needed)."""
    gone = Snapshot(seq=1, taken_at=lab_snapshot.taken_at, host=lab_snapshot.host,
                    endpoint=lab_snapshot.endpoint, engine_error="Connection refused", retry_in=0.5)
    app = make_app(ReplayBackend([lab_snapshot, gone, lab_snapshot], delay=0.3), Config())
    async with app.run_test(size=SIZE) as pilot:
        table = app.container_list.table
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.engine is None, what="no engine")
        assert not table.display
        await wait_for(pilot, lambda: app.snapshot.engine is not None and table.display, what="the engine back")
        await pilot.pause()
        assert table.has_focus
        first = table.cursor_key
        await pilot.press("j")
        assert table.cursor_key != first


async def test_walkthrough_with_no_container_offers_to_start_one(lab_snapshot, wait_for) -> None:
    """No container at all: the walkthrough says so and ``a`` offers the seed's ``docker run``
    (limits, a local image, never pulled), confirmed first; ``n`` cancels."""
    sources = tuple(replace(r, value=()) if r.name == "containers" else r for r in lab_snapshot.sources)
    app = replay_app(replace(lab_snapshot, sources=sources), walkthrough=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.walk_index == 0 and app.snapshot is not None, what="the walkthrough")
        await pilot.press("n")
        panel = app.screen.query_one(WalkPanel)
        await wait_for(pilot, lambda: "no container selected" in panel._last.plain, what="why there is no answer")
        assert "a: start a container like the seed's" in panel._last.plain
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        image = lab_snapshot.images[0].tags[0]
        assert f"docker run --name itui-walkthrough -dit --memory=256m --cpus=2 --pull never {image}" in app.screen.detail
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="cancelled")


async def test_walkthrough_step_command_is_copied_with_c(lab_snapshot, wait_for) -> None:
    """``c`` while walking puts the step's command, with the container's ID filled in, in the
    popup (and on the clipboard); it closes with ``c`` again."""
    app = replay_app(lab_snapshot, container="web")
    titles = [s.title for s in STEPS]
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app, wait_for)
        web = cid_of(lab_snapshot, "web")
        await wait_for(pilot, lambda: app.selected == web, what="web")
        app.action_walkthrough(titles.index("its process on the host"))
        await pilot.pause()
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, SourceScreen), what="the popup")
        assert app.screen.source == f"ps aux | grep -v grep | grep {web[:12]}"
        assert app.clipboard == app.screen.source
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="closed")
        assert app.walk_index == titles.index("its process on the host")
