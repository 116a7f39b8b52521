"""Container actions driven as a user would, on the real engines: ``x``, a key, the
confirmation (or its cancel), the engine's answer, and the change arriving through events."""

from __future__ import annotations

from typing import Any

import pytest

from tui.app import Config, InternalsApp, make_app
from tui.backend.hub import Hub, HubConfig
from widgets.confirm import ChoiceScreen, ConfirmScreen, OutputScreen, PromptScreen
from widgets.files import FilesPane

pytestmark = pytest.mark.engine

SIZE = (200, 50)


def live_app(engine: Any, **config: Any) -> InternalsApp:
    return make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(**config))


def state(app: InternalsApp, cid: str) -> str:
    c = app.snapshot.container(cid) if app.snapshot is not None else None
    return c.state.value if c is not None else ""


async def selected(pilot: Any, app: InternalsApp, cid: str, wait_for: Any) -> None:
    await wait_for(pilot, lambda: cid in app.container_list.table.rows, what="the container's row")
    app.jump_to(cid)
    await wait_for(pilot, lambda: app.selected == cid, what="the selection")


async def test_stop_cancelled_then_confirmed_then_started(engine, make_container, wait_for) -> None:
    c = make_container()
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await selected(pilot, app, c.id, wait_for)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the actions menu")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        assert app.screen.question == f"stop {c.name}?"
        assert f"docker stop --time 10 {c.name}" in app.screen.detail
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is app.screen_stack[0], what="back, nothing done")
        c.reload()
        assert c.status == "running"
        await pilot.press("x", "s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation again")
        await pilot.press("y")
        await wait_for(pilot, lambda: state(app, c.id) == "exited", what="exited, through the events", timeout=20)
        assert any(f"stopped {c.name}" == n.message for n in app._notifications)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="the menu of a stopped one")
        assert [v for v, _ in app.screen.options] == ["start", "rename", "remove"]
        await pilot.press("s", "y")
        await wait_for(pilot, lambda: state(app, c.id) == "running", what="running again", timeout=20)


async def test_exec_shows_its_output_inert(engine, make_container, wait_for) -> None:
    c = make_container()
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        await selected(pilot, app, c.id, wait_for)
        await pilot.press("x", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), what="the command prompt")
        await pilot.press(*"printf '[red]hi[/red]\\033[2J'", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, OutputScreen), what="the output", timeout=20)
        screen = app.screen
        assert screen.ok and "exit code 0" in screen.message
        lines = [strip.text for strip in screen._compositor.render_strips()]
        assert any("[red]hi[/red]\\x1b[2J" in line for line in lines), lines


async def test_read_only_refuses_and_says_why(engine, make_container, wait_for) -> None:
    c = make_container()
    app = live_app(engine, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await selected(pilot, app, c.id, wait_for)
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        assert any("--read-only" in str(n.message) for n in app._notifications)
        app.pane("files").action_copy_out()  # a pane's action is refused the same way
        await pilot.pause()
        assert app.screen is app.screen_stack[0]
        c.reload()
        assert c.status == "running"


async def test_copy_out_from_the_files_tab(engine, make_container, wait_for, tmp_path) -> None:
    c = make_container()
    c.exec_run(["sh", "-c", "echo copied > /made-here"])
    app = live_app(engine, tab="files")
    async with app.run_test(size=SIZE) as pilot:
        await selected(pilot, app, c.id, wait_for)
        files = app.query_one(FilesPane)
        tree = files.query_one("#fs-tree")
        await wait_for(pilot, lambda: "/made-here" in tree.rows, what="the file in the tree", timeout=20)
        tree.move_cursor(key="/made-here")
        tree.focus()
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, PromptScreen), what="where to")
        prompt = app.screen.query_one("#prompt-input")
        prompt.value = str(tmp_path / "out.txt")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        assert f"docker cp {c.name}:/made-here {tmp_path / 'out.txt'}" in app.screen.detail
        await pilot.press("y")
        await wait_for(pilot, lambda: (tmp_path / "out.txt").exists(), what="the copy", timeout=20)
        assert (tmp_path / "out.txt").read_text() == "copied\n"
