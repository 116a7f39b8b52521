"""The hostile corpus, through every pane and view on the real engine, asserted on the screen.

One container carries text made to break a terminal UI wherever it can reach the screen: Rich
markup (``[bold]``, ``[/]``, ``[link=…]``), ANSI and OSC escapes (colour, clear screen, window
title, OSC 52 clipboard), newlines and tabs, a bidi override and a zero-width space, bytes that are
not UTF-8, and 10 000-character strings — in its labels, environment, working directory, mount
destination and source, network alias, its init's ``comm`` (written to ``/proc/self/comm``, as
``prctl(PR_SET_NAME)`` does), a child's cmdline, file names and file contents. Each tab and each
host view is opened in turn with it selected; what the terminal would receive (the composed screen)
must hold no control, bidi, zero-width or lone-surrogate character, the markup must show as typed,
and the app must keep running. ``snapshot --json`` of it must stay valid JSON.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from typing import Any

import pytest
from docker.types import Mount

from tui.app import Config, make_app
from tui.backend.hub import Hub, HubConfig
from widgets.files import FilesPane

SIZE = (220, 160)
MARKUP = "[bold]B[/bold] [red]R[/] [link=http://example.invalid]L[/link]"
ESCAPES = "\x1b[31mESC \x1b]0;TITLE\x07 \x1b]52;c;aGVsbG8=\x07 \x1b[2J \x1b[H"
INVISIBLE = "\u202eRTL \u200bZW"
HOSTILE = f"{MARKUP} {ESCAPES} {INVISIBLE}\tTAB\nNL"
"""What every field that allows it carries (the API takes JSON: no invalid UTF-8 here)."""
LONG = "L" * 10_000

BAD = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]")
"""What must never reach the terminal from untrusted text."""

# The container's init: its comm made hostile (as prctl(PR_SET_NAME) would), a child whose
# cmdline holds a byte that is not UTF-8, escapes and 10 000 characters, files with hostile
# names (one not UTF-8) and contents, a log full of escapes.
SCRIPT = r"""
printf '[b]\033]0;x\007\342\200\256' > /proc/self/comm
sh -c 'sleep 100000; :' "$(printf 'argv-[bold]\377\033[2J')" "$(head -c 10000 /dev/zero | tr '\0' A)" &
mkdir -p /data && cd /data
mkdir "$(printf 'dir-[red]\033[31m\377')"
printf '[bold]content[/] \033[2J \033]52;c;aGk=\007 \342\200\256 \377\n' > "$(printf 'file-[b]\033]0;t\007.txt')"
mkdir -p /var/log && printf 'line \033[31mred\033[0m [bold]x[/]\n' > /var/log/evil.log
while :; do sleep 1000; done
"""

TAB_READY = {
    "1": "Labels", "2": "sleep", "3": "net", "4": "memory", "5": "eth0", "6": "writable", "7": "data", "8": "start",
}
"""A word each tab shows once its source has answered for the container."""
VIEWS = {"e": "Images", "P": "sleep", "N": "mnt", "C": "docker", "I": "docker0"}
"""The host-wide views and a word each shows when loaded."""


def screen_text(app: Any) -> str:
    """What the terminal would receive, as text: every line of the composed screen."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def assert_inert(app: Any, where: str) -> str:
    lines = [strip.text for strip in app.screen._compositor.render_strips()]
    bad = sorted({f"U+{ord(ch):04X}" for line in lines for ch in BAD.findall(line)})
    assert not bad, f"{where}: {bad} reached the screen"
    assert app.is_running, where
    return "\n".join(lines)


@pytest.fixture
def hostile(engine: Any, make_container: Any, docker_client: Any) -> Any:
    engine.skip_unless("docker", why="the same widgets on every engine (the integration suite covers the sources)")
    src = tempfile.mkdtemp(prefix="itui-[b]\x1b[31m-")
    with open(os.path.join(src, "inside-[red]\x1b]0;t\x07"), "w") as f:
        f.write(HOSTILE)
    net = docker_client.networks.create(f"itui-hostile-{uuid.uuid4().hex[:8]}", labels={"internals-tui.test": "1"})
    c = None
    try:
        c = make_container(start=False, command=["sh", "-c", SCRIPT],
                           labels={"itui.[b]key\x1b[31m": HOSTILE, "itui.long": LONG},
                           environment=[f"EVIL={HOSTILE}", f"LONG={LONG}"],
                           working_dir="/tmp/[bold]wd\x1b[31m\u202e", hostname="[b]h\x1b[31m\u202e",
                           mounts=[Mount(target="/mnt/[red]m\x1b]52;c;eA==\x07", source=src, type="bind")])
        net.connect(c, aliases=["alias-[b]\x1b[31m"])
        c.start()
        c.reload()
        yield c
    finally:
        if c is not None:
            c.remove(force=True)
        net.remove()
        shutil.rmtree(src, ignore_errors=True)


async def wait_screen(pilot: Any, app: Any, wait_for: Any, word: str, where: str) -> str:
    try:
        await wait_for(pilot, lambda: word in screen_text(app), timeout=15, what=f"{where} showing {word!r}")
    except BaseException:
        print(screen_text(app))  # shown with the failure
        raise
    await pilot.pause()
    return assert_inert(app, where)


async def test_every_pane_and_view_shows_the_hostile_container_inertly(engine, hostile, wait_for) -> None:
    app = make_app(Hub(HubConfig(interval=1.0, environ=engine.env)), Config(container=hostile.name))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected == hostile.id, timeout=15, what="the container selected")
        for key, word in TAB_READY.items():
            await pilot.press(key)
            text = await wait_screen(pilot, app, wait_for, word, f"tab {key}")
            if key == "1":
                assert "=[bold]B[/bold] [red]R[/]" in text  # a label's markup as typed
                assert "itui.[b]key\\x1b[31m=" in text and "/tmp/[bold]wd\\x1b[31m\\u202e" in text  # shown, not sent
                assert "[b]h\\x1b[31m\\u202e" in text  # the hostname
        await pilot.press("7")
        files = app.query_one(FilesPane)
        for path, word in (("/data", "dir-[red]"),
                           ("/data/dir-[red]\x1b[31m\udcff", "dir-[red]\\x1b[31m\\xff"),  # not UTF-8: the byte
                           ("/data/file-[b]\x1b]0;t\x07.txt", "[bold]content[/] \\x1b[2J \\x1b]52;"),
                           ("/var/log/evil.log", "line \\x1b[31mred\\x1b[0m [bold]"),
                           ("/mnt/[red]m\x1b]52;c;eA==\x07", "inside-[red]")):  # the bind's file
            files.open_path(path, expand=True)
            await wait_screen(pilot, app, wait_for, word, f"Files at {path!r}")
        for key, word in VIEWS.items():
            await pilot.press("escape", "1", key)
            await wait_screen(pilot, app, wait_for, word, f"view {key}")
            await pilot.press("escape")
        assert app.is_running


def test_snapshot_json_of_the_hostile_container_is_valid(engine, hostile) -> None:
    out = subprocess.run([sys.executable, "-m", "tui.cli", "snapshot", "--json", "--container", hostile.name],
                         env={**os.environ, **engine.env}, capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f]", out.stdout.decode("ascii")), "raw control bytes in the JSON"
    snap = json.loads(out.stdout)
    text = json.dumps(snap)
    assert "[bold]B[/bold]" in text and "\\u001b]52;c;aGVsbG8=" in text  # the values kept, escaped by JSON
    assert "Traceback" not in out.stderr.decode(errors="replace")

