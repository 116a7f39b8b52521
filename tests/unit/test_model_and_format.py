"""Snapshot JSON round trip, display helpers, and the backend/UI split."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from rich.text import Text

from tui.backend.model import Snapshot, snapshot_from_jsonable, to_jsonable
from widgets.format import clean, docker_size_flag, duration, human_bytes, text

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, "tests", "fixtures", "snapshots", "lab.json")


def test_recorded_snapshot_round_trips() -> None:
    with open(LAB, encoding="utf-8") as fh:
        raw = json.load(fh)
    snap = snapshot_from_jsonable(raw)
    assert isinstance(snap, Snapshot) and snap.containers
    assert to_jsonable(snap) == raw
    web = next(c for c in snap.containers if c.name.value == "web")
    assert web.detail is not None and web.metrics is not None and snap.files_of(web.id)


def test_clean_makes_control_characters_visible() -> None:
    assert clean("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"
    assert clean("two\nlines\tx") == "two lines x"
    assert clean("\x9b") == "\\x9b"
    cell = text("[/etc] [bold]x[/bold]")
    assert isinstance(cell, Text) and cell.plain == "[/etc] [bold]x[/bold]" and not cell.spans


def test_human_units() -> None:
    assert human_bytes(None) == "—"
    assert human_bytes(512) == "512 B"
    assert human_bytes(1536) == "1.5 KiB"
    assert human_bytes(268435456) == "256 MiB"
    assert docker_size_flag(268435456) == "256m"
    assert docker_size_flag(1 << 30) == "1g"
    assert docker_size_flag(1000) == "1000"
    assert [duration(s) for s in (5, 65, 700, 7300, 90000)] == ["5s", "1m05s", "11m", "2h01m", "1d01h"]


def test_backend_never_imports_textual() -> None:
    code = ("import sys, tui.backend.hub, tui.backend.replay, tui.cli; "
            "bad = [m for m in sys.modules if m == 'textual' or m.startswith('textual.')]; "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_widgets_do_no_io() -> None:
    for name in os.listdir(os.path.join(REPO, "widgets")):
        if name.endswith(".py"):
            with open(os.path.join(REPO, "widgets", name), encoding="utf-8") as fh:
                src = fh.read()
            for bad in ("import docker", "import psutil", "import pyroute2", "import subprocess",
                        "open(", "os.scandir", "os.listdir"):
                assert bad not in src, f"widgets/{name} does I/O ({bad})"


async def test_live_table_row_that_returns_is_drawn_with_its_new_content() -> None:
    """Rows are cached by version; a row removed and re-added with other cells is redrawn."""
    from textual.app import App, ComposeResult

    from widgets.live_table import Column, LiveTable

    class One(App[None]):
        def compose(self) -> ComposeResult:
            yield LiveTable((Column("a", "A", 0),), id="t")

    app = One()
    async with app.run_test(size=(30, 6)) as pilot:
        t = app.query_one(LiveTable)
        t.set_rows([("k", (Text("first"),))])
        await pilot.pause()
        assert "first" in t.render_line(1).text
        t.set_rows([])
        t.set_rows([("k", (Text("second"),))])
        await pilot.pause()
        assert "second" in t.render_line(1).text
        assert t.cursor_key == "k"
