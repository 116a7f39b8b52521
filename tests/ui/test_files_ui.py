"""Pilot tests of the Files tab: on the recording, opening directories, the layer and status of
each entry, the changes list and ``enter`` back into the tree; on the engine, ``--path`` with the
file's preview, a write in the container highlighted in the tree, hostile names escaped."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from pathlib import Path

from docker.types import Mount
from textual.widgets import TabbedContent

from tui.app import Config, make_app
from tui.backend.hub import Hub, HubConfig
from tui.backend.replay import ReplayBackend
from widgets.files import FilesPane
from widgets.overview import OverviewPane

SIZE = (220, 60)


async def test_tree_and_changes_on_the_recording(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="files"))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(FilesPane)
        tree = pane.query_one("#fs-tree")
        await wait_for(pilot, lambda: "/var" in tree.rows, what="the root listing")
        assert tree.get_cell("/var", "layer").plain == "writable" and tree.get_cell("/var", "status").plain == "modified"
        assert tree.get_cell("/.dockerenv", "layer").plain == "-init"
        assert tree.get_cell("/proc", "layer").plain == "#0" and tree.get_cell("/proc", "status").plain == ""
        tree.focus()
        tree.move_cursor(key="/var")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "/var/www" in tree.rows, what="/var opened")
        tree.move_cursor(key="/var/www")
        await pilot.press("right")
        await wait_for(pilot, lambda: "/var/www/blob" in tree.rows, what="/var/www opened")
        assert tree.get_cell("/var/www/blob", "status").plain == "added"
        assert tree.get_cell("/var/www/blob", "name").plain.strip().startswith("blob")
        await pilot.press("left")  # on www: closes it
        await wait_for(pilot, lambda: "/var/www/blob" not in tree.rows, what="/var/www closed")
        await pilot.press("d")
        changes = pane.query_one("#fs-changes")
        await wait_for(pilot, lambda: changes.display and "/bin/vi" in changes.rows, what="the changes")
        assert changes.get_cell("/bin/vi", "kind").plain == "D" and changes.get_cell("/var/www/blob", "kind").plain == "A"
        changes.focus()
        changes.move_cursor(key="/var/www/blob")
        await pilot.press("enter")
        await wait_for(pilot, lambda: tree.display and "/var/www/blob" in tree.rows
                       and tree.ordered_keys[tree.cursor_row] == "/var/www/blob", what="back in the tree at the file")


async def test_path_preview_live_write_and_hostile_names(engine, make_container, wait_for) -> None:
    engine.skip_unless("docker", why="the pane is the same on every engine (the integration suite covers them)")
    c = make_container(image="itui/files:latest", command=["sleep 100000"])
    app = make_app(Hub(HubConfig(interval=1.0, environ=engine.env)), Config(container=c.name, path="/etc/passwd"))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(FilesPane)
        tree, body = pane.query_one("#fs-tree"), pane.query_one("#fs-body")
        await wait_for(pilot, lambda: "l0" in body.rows, timeout=15, what="the preview of /etc/passwd")
        assert body.get_cell("l0", "line").plain.startswith("root:x:0:0")
        assert tree.ordered_keys[tree.cursor_row] == "/etc/passwd"
        meta = pane.query_one("#fs-meta")
        assert any(meta.get_cell(k, "value").plain == "#0 busybox-static rootfs" for k in meta.rows)
        await asyncio.to_thread(c.exec_run, ["touch", "/etc/new-file"])
        await wait_for(pilot, lambda: "/etc/new-file" in tree.rows, timeout=5, what="the new file")
        cell = tree.get_cell("/etc/new-file", "name")
        assert any("reverse" in str(span.style) for span in cell.spans)  # highlighted as just changed
        assert tree.get_cell("/etc/new-file", "status").plain == "added"
        tree.focus()
        tree.move_cursor(key="/hostile")
        await pilot.press("enter")
        hostile = "/hostile/esc\x1b[31mred\nline"
        await wait_for(pilot, lambda: hostile in tree.rows, what="the hostile names")
        shown = tree.get_cell(hostile, "name").plain
        assert "esc\\x1b[31mred line" in shown and "\x1b" not in shown
        assert "→ /etc/shadow" in tree.get_cell("/hostile/abs-link", "name").plain
        await pilot.press("l")  # per layer
        layers = pane.query_one("#fs-layers")
        await wait_for(pilot, lambda: layers.display and "sum:image:3" in layers.rows, what="the layers' own diffs")
        assert layers.get_cell("sum:image:1", "wasted").plain == "7 B"
        layers.move_cursor(key="sum:image:3")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "lc:/opt/payload/doomed.txt" in layers.rows, what="image layer 3's entries")
        assert layers.get_cell("lc:/opt/payload/doomed.txt", "kind").plain == "deleted"
        assert len({layers.get_cell(k, "kind").plain for k in layers.ordered_keys if k.startswith("lc:")}) > 1
        await pilot.press("f", "f", "f")  # added, modified, deleted: only the deletions listed
        await wait_for(pilot, lambda: {layers.get_cell(k, "kind").plain for k in layers.ordered_keys
                                       if k.startswith("lc:")} == {"deleted"}, what="the deletions only")
        layers.move_cursor(key="lc:/opt/payload/doomed.txt")
        await pilot.press("enter")  # into the tree, at that path
        await wait_for(pilot, lambda: tree.display and tree.ordered_keys[tree.cursor_row] == "/opt/payload/doomed.txt",
                       what="the deleted file in the tree")


async def test_a_directory_of_50000_entries_opens_in_chunks(engine, make_container, wait_for) -> None:
    engine.skip_unless("docker", why="the same widget on every engine")
    c = make_container(image="itui/files:latest", command=["sleep 100000"])
    app = make_app(Hub(HubConfig(interval=1.0, environ=engine.env)), Config(container=c.name, tab="files"))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(FilesPane)
        tree = pane.query_one("#fs-tree")
        await wait_for(pilot, lambda: "/many" in tree.rows, timeout=15, what="the root")
        tree.focus()
        tree.move_cursor(key="/many")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "/many/\0more" in tree.rows, what="the first chunk, with progress")
        progress = tree.get_cell("/many/\0more", "name").plain.split()
        assert progress[0] == "loading…" and int(progress[1].replace(",", "")) < 50000 and progress[3] == "50,000"
        await pilot.press("j", "j")  # the keys work while it loads
        assert tree.ordered_keys[tree.cursor_row].startswith("/many/")
        await wait_for(pilot, lambda: "/many/\0more" not in tree.rows, timeout=20, what="every entry")
        assert sum(1 for k in tree.ordered_keys if k.startswith("/many/")) == 50000


async def test_filters_names_in_a_directory_and_statuses(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="files"))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(FilesPane)
        tree = pane.query_one("#fs-tree")
        await wait_for(pilot, lambda: "/var" in tree.rows, what="the root listing")
        every = [k for k in tree.ordered_keys if k.count("/") == 1]
        tree.focus()
        tree.move_cursor(key="/var")
        await pilot.press("slash", "v", "a")  # the cursor is in /: its names
        await wait_for(pilot, lambda: "/\0filter" in tree.rows, what="the filter line")
        shown = [k for k in tree.ordered_keys if k.count("/") == 1 and "\0" not in k]
        assert shown and all("va" in k.lower() for k in shown) and len(shown) < len(every)
        assert tree.get_cell("/\0filter", "name").plain.strip() == f"{len(shown)} of {len(every)} match /va"
        await pilot.press("enter", "escape")  # enter keeps it, esc clears it
        await wait_for(pilot, lambda: "/\0filter" not in tree.rows, what="the filter cleared")
        assert [k for k in tree.ordered_keys if k.count("/") == 1] == every
        tree.move_cursor(key="/etc")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "/etc/passwd" in tree.rows, what="/etc opened")
        await pilot.press("f")  # added only; directories stay to walk through
        await wait_for(pilot, lambda: "/etc/passwd" not in tree.rows, what="the status filter")
        assert "/etc/hosts" in tree.rows and "/var" in tree.rows
        kept = [pane._entries[k] for k in tree.ordered_keys if k in pane._entries]
        assert kept and all(e.status == "added" or e.kind == "dir" for e in kept)
        await pilot.press("d")
        changes = pane.query_one("#fs-changes")
        await wait_for(pilot, lambda: changes.display and changes.row_count > 0, what="the changes")
        assert {changes.get_cell(k, "kind").plain for k in changes.ordered_keys} == {"A"}
        await pilot.press("escape")
        await wait_for(pilot, lambda: {changes.get_cell(k, "kind").plain for k in changes.ordered_keys} >= {"A", "D"},
                       what="every change again")


async def test_enter_on_a_mount_in_the_overview_browses_it_in_files(engine, make_container, wait_for) -> None:
    engine.skip_unless("docker", why="the same widgets on every engine (the integration suite covers the sources)")
    src = Path(tempfile.mkdtemp(prefix="itui-bind-"))
    try:
        (src / "hello.txt").write_text("from the host\n")
        c = make_container(image="itui/files:latest", command=["sleep 100000"],
                           mounts=[Mount("/srv/bound", str(src), type="bind", read_only=True)])
        app = make_app(Hub(HubConfig(interval=1.0, environ=engine.env)), Config(container=c.name, tab="overview"))
        async with app.run_test(size=SIZE) as pilot:
            overview = app.query_one(OverviewPane)
            await wait_for(pilot, lambda: "mnt-/srv/bound" in overview.rows, timeout=15, what="the mount in the Overview")
            assert "⏎ browse" in overview.get_cell("mnt-/srv/bound", "value").plain
            overview.focus()
            overview.move_cursor(key="mnt-/srv/bound")
            await pilot.press("enter")
            tree = app.query_one(FilesPane).query_one("#fs-tree")
            await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "files"
                           and "/srv/bound/hello.txt" in tree.rows, timeout=15, what="the bind browsed in Files")
            assert tree.has_focus and tree.ordered_keys[tree.cursor_row] == "/srv/bound"
            assert tree.get_cell("/srv/bound/hello.txt", "layer").plain == "mount"
    finally:
        shutil.rmtree(src)


async def test_a_log_opens_at_its_end_and_follows_while_the_end_is_in_view(engine, make_container, wait_for) -> None:
    engine.skip_unless("docker", why="the same widget on every engine")
    c = make_container(image="itui/files:latest",
                       command=["mkdir -p /var/log && seq 1 3000 > /var/log/app.log && sleep 100000"])
    app = make_app(Hub(HubConfig(interval=1.0, environ=engine.env)), Config(container=c.name, path="/var/log/app.log"))
    async with app.run_test(size=(80, 24)) as pilot:
        pane = app.query_one(FilesPane)
        tree, body = pane.query_one("#fs-tree"), pane.query_one("#fs-body")

        def last() -> str:
            return body.get_cell(body.ordered_keys[-1], "line").plain

        await wait_for(pilot, lambda: "l0" in body.rows and last() == "3000", timeout=15, what="the log's end")
        assert body.get_cell("l0", "line").plain.startswith("… (a log: its last")  # 2000 of 3000 lines shown
        assert body.get_cell("l1", "line").plain == "1001"
        await wait_for(pilot, lambda: body.cursor_row == len(body.rows) - 1 and body.scroll_y > 0,
                       what="the preview scrolled to the end")
        row = tree.ordered_keys.index("/var/log/app.log")
        assert tree.cursor_row == row
        await wait_for(pilot, lambda: tree.scroll_y <= row < tree.scroll_y + tree.scrollable_content_region.height - 1,
                       what="the tree scrolled to the file")
        await asyncio.to_thread(c.exec_run, ["sh", "-c", "echo first-more >> /var/log/app.log"])
        await wait_for(pilot, lambda: last() == "first-more", timeout=5, what="the new line")
        assert body.cursor_row == len(body.rows) - 1  # it followed
        body.focus()
        await pilot.press("up", "up", "up")
        where = body.cursor_key
        await asyncio.to_thread(c.exec_run, ["sh", "-c", "echo second-more >> /var/log/app.log"])
        await wait_for(pilot, lambda: last() == "second-more", timeout=5, what="the next line")
        assert body.cursor_key == where and body.cursor_row < len(body.rows) - 1  # the reader stays where they were
