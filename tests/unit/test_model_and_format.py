"""Snapshot JSON round trip, display helpers, and the backend/UI split."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from rich.text import Text

from tui.backend.model import Snapshot
from tui.backend.serial import snapshot_from_jsonable, to_jsonable
from tui.backend.sources import VALUE_TYPES
from widgets.format import clean, docker_size_flag, duration, human_bytes, text

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LAB = os.path.join(REPO, "tests", "fixtures", "snapshots", "lab.json")


def test_recorded_snapshot_round_trips() -> None:
    with open(LAB, encoding="utf-8") as fh:
        raw = json.load(fh)
    snap = snapshot_from_jsonable(raw, VALUE_TYPES)
    assert isinstance(snap, Snapshot) and snap.containers
    assert to_jsonable(snap) == raw
    web = next(c for c in snap.containers if c.name.value == "web")
    assert web.detail is not None and snap.metrics_of(web.id) is not None and snap.files_of(web.id)
    assert {r.name for r in snap.sources} <= {"engine", *VALUE_TYPES}


def test_clean_makes_control_characters_visible() -> None:
    assert clean("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"
    assert clean("two\nlines\tx") == "two lines x"
    assert clean("\x9b") == "\\x9b"
    assert clean("\u202egnp.exe\u200b") == "\\u202egnp.exe\\u200b"  # bidi override, zero-width space
    # bytes that are not UTF-8 (a cmdline, a file name) decoded with surrogateescape: the byte shown
    assert clean(b"a\xffb\xc3".decode("utf-8", "surrogateescape")) == "a\\xffb\\xc3"
    assert clean("\ud800") == "\\ud800"
    assert clean("é ü 漢").encode("utf-8")  # ordinary text stays, and can be written as UTF-8
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


def test_layering_contracts_hold() -> None:
    """The import-linter contracts in pyproject.toml: cli -> app -> widgets -> messages ->
    backend, no Textual in the backend, no I/O modules or libraries in widgets."""
    lint = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    out = subprocess.run([lint, "--config", os.path.join(REPO, "pyproject.toml")], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "3 kept, 0 broken" in out.stdout


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
