"""The pane registry: every registered pane gets its key, tab or view, help, palette entries and
an SVG snapshot, and the backend runs its sources only while it is visible."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TabbedContent

from tui.app import Config, make_app
from tui.backend.replay import ReplayBackend
from tui.backend.sources import SOURCES
from tui.cli import main
from widgets.help import app_help
from widgets.registry import PANES, TAB_KEYS, tabs
from widgets.view_screen import ViewScreen

SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_snapshots"
SIZE = (160, 45)
IDS = [p.PANE_ID for p in PANES]


def test_keys_and_ids_are_unique() -> None:
    keys = [p.KEY for p in PANES]
    assert len(set(keys)) == len(keys), keys
    assert len(set(IDS)) == len(IDS), IDS
    app_keys = {k for b in make_app(ReplayBackend([])).BINDINGS
                for k in getattr(b, "key", "").split(",") if not str(getattr(b, "id", "")).startswith("pane-")}
    assert not app_keys & set(keys), "a pane key is also an app key"


@pytest.mark.parametrize("pane", PANES, ids=IDS)
def test_pane_is_declared_in_full(pane: Any) -> None:
    assert pane.TITLE and pane.SUMMARY and pane.KEY
    assert not (pane.SCREEN and pane.COMMANDS), "palette commands run on a tab pane"
    if not pane.SCREEN:
        assert pane.KEY == TAB_KEYS[pane.PANE_ID], "tab numbers are fixed (DESIGN.md §1)"
    known = {s.name for s in SOURCES}
    assert set(pane.SOURCES) <= known, f"unknown sources {set(pane.SOURCES) - known}"
    assert not any(s.always for s in SOURCES if s.name in pane.SOURCES), "an always-on source needs no pane"


@pytest.mark.parametrize("pane", PANES, ids=IDS)
def test_pane_is_in_help(pane: Any) -> None:
    rows = [(key, what) for _, lines in app_help() for key, what in lines]
    assert any(pane.KEY in key.split(" / ") and pane.TITLE in what for key, what in rows), \
        f"{pane.KEY} {pane.TITLE} not in help"
    for line in pane.HELP:
        assert line in rows


@pytest.mark.parametrize("pane", PANES, ids=IDS)
def test_pane_has_an_svg_snapshot(pane: Any) -> None:
    assert (SNAPSHOTS / f"test_pane[{pane.PANE_ID}].svg").is_file()


@pytest.mark.parametrize("pane", PANES, ids=IDS)
async def test_pane_is_in_palette_and_bound(pane: Any, lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="7 rows")
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        kind = "view" if pane.SCREEN else "tab"
        assert f"{pane.TITLE} {kind}" in commands
        for cmd in pane.COMMANDS:  # each runs on its pane, shown first
            commands[cmd.title].callback()
            await pilot.pause()
            assert app.query_one(TabbedContent).active == pane.PANE_ID
        await pilot.press(pane.KEY)
        if pane.SCREEN:
            await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen) and app.screen.pane is pane,
                           what=f"the {pane.TITLE} view")
            await pilot.press(pane.KEY)  # the same key closes it
            await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back")
        else:
            await wait_for(pilot, lambda: app.query_one(TabbedContent).active == pane.PANE_ID,
                           what=f"the {pane.TITLE} tab")
            label = app.query_one(TabbedContent).get_tab(pane.PANE_ID).label.plain
            assert label in (f"{pane.KEY} {pane.TITLE}", f"{pane.KEY} {pane.SHORT or pane.TITLE}")


async def test_tab_option_opens_a_pane(lab_snapshot, wait_for) -> None:
    for name, check in (("events", lambda app: app.query_one(TabbedContent).active == "events"),
                        ("Engine", lambda app: isinstance(app.screen, ViewScreen))):
        app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab=name))
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: check(app), what=f"--tab {name}")


def test_tab_option_rejects_an_unknown_pane(capsys) -> None:
    assert main(["--tab", "nonesuch"]) == 2
    err = capsys.readouterr().err
    assert "no pane called 'nonesuch'" in err and all(i in err for i in IDS)


async def test_backend_runs_only_the_visible_panes_sources(lab_snapshot, wait_for) -> None:
    backend = ReplayBackend([lab_snapshot])
    app = make_app(backend, Config())
    first = tabs()[0]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="7 rows")
        assert backend.wanted == frozenset(first.SOURCES)
        for pane in PANES:
            await pilot.press(pane.KEY)
            await wait_for(pilot, lambda: backend.wanted == frozenset(pane.SOURCES), what=f"{pane.TITLE}'s sources")
            if pane.SCREEN:
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back")
        await pilot.press(first.KEY)
        await wait_for(pilot, lambda: backend.wanted == frozenset(first.SOURCES), what="the first tab's again")
