"""Pilot tests of the Logs tab on the real engine: follow, pause and resume, ``/`` search with
``n``, the timestamps toggle, stderr marked, and hostile output shown as typed."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tui.app import Config, InternalsApp, make_app
from tui.backend.hub import Hub, HubConfig
from widgets.logs import LogLines, LogsPane

pytestmark = pytest.mark.engine

SIZE = (200, 50)
CHATTY = "for i in $(seq 1 100); do echo early $i; done; i=0; while :; do echo out $i; echo err $i >&2; i=$((i+1)); sleep 0.2; done"
STAMP = re.compile(r"\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} ")
BAD = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")


def logs_app(engine: Any, name: str) -> InternalsApp:
    return make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(container=name, tab="logs"))


def screen_lines(app: Any) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def shown(body: LogLines) -> list[str]:
    """The texts of the lines in the body's view (unwrapped)."""
    top = int(body.scroll_y)
    return [shown for _, shown in body.lines[top:top + body.size.height]]


async def test_follow_pause_search_and_timestamps(engine, make_container, wait_for) -> None:
    engine.skip_unless("docker", why="the same widget on every engine (tests/integration/test_logs_source.py covers the sources)")
    c = make_container(command=["sh", "-c", CHATTY])
    app = logs_app(engine, c.name)
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(LogsPane)
        body = pane.body
        await wait_for(pilot, lambda: len(body.lines) >= 110, what="the first lines")
        await pilot.pause()
        screen = "\n".join(screen_lines(app))
        assert re.search(r"err err \d+", screen), screen
        assert re.search(r"│    out \d+", screen), screen
        assert body.follow and pane.border_subtitle and "following" in str(pane.border_subtitle)

        # following: the newest line is the last one in view, as lines keep coming
        seen = len(body.lines)
        await wait_for(pilot, lambda: len(body.lines) >= seen + 4, what="more lines")
        await pilot.pause()
        assert int(body.scroll_y) == body.max_scroll_y > 0 and shown(body)[-1] == body.lines[-1][1]

        await pilot.press("enter")  # from the list into the tab
        assert body.has_focus
        for _ in range(3):
            await pilot.press("k")
        assert not body.follow and "paused" in str(pane.border_subtitle)
        top = int(body.scroll_y)
        seen = len(body.lines)
        await wait_for(pilot, lambda: len(body.lines) >= seen + 4, what="lines while paused")
        assert int(body.scroll_y) == top, "a paused view stays where it was"
        await pilot.press("G")
        assert body.follow

        # search: the newest match is found, n goes on to the next one (wrapping round)
        await pilot.press("slash", *"err 1", "enter")
        await pilot.pause()
        assert body.needle == "err 1" and len(body.matches) >= 2
        first = body.current
        assert first is not None and "err 1" in body.lines[first - body.base][1]
        assert not body.follow, "going to a match pauses following"
        assert any("err 1" in line for line in shown(body))
        await pilot.press("n")
        assert body.current is not None and body.current != first
        assert "err 1" in body.lines[body.current - body.base][1]
        assert re.search(r"/err 1: \d+/\d+", str(pane.border_subtitle))
        await pilot.press("escape")
        assert body.needle == "" and body.matches == []

        # timestamps on and off
        assert not any(STAMP.search(line) for line in screen_lines(app))
        await pilot.press("t")
        await pilot.pause()
        assert any(STAMP.search(line) and "out " in line for line in screen_lines(app))
        await pilot.press("t")
        await pilot.pause()
        assert not any(STAMP.search(line) for line in screen_lines(app))
        assert app.is_running


async def test_hostile_output_shows_as_typed(engine, make_container, wait_for) -> None:
    engine.skip_unless("docker", why="the same widget on every engine (tests/integration/test_logs_source.py covers the sources)")
    c = make_container(command=["sh", "-c", r"printf '\033[31m[bold]x[/bold] \342\200\256rtl\tTAB\n'; sleep 100000"])
    app = logs_app(engine, c.name)
    async with app.run_test(size=SIZE) as pilot:
        body = app.query_one(LogsPane).body
        await wait_for(pilot, lambda: len(body.lines) >= 1, what="the line")
        await pilot.pause()
        lines = screen_lines(app)
        assert any("\\x1b[31m[bold]x[/bold] \\u202ertl" in line for line in lines), lines
        assert not [line for line in lines if BAD.search(line)]
        await pilot.press("W")  # wrapped, the same
        await pilot.pause()
        assert any("[bold]x[/bold]" in line for line in screen_lines(app))
        assert not [line for line in screen_lines(app) if BAD.search(line)]
