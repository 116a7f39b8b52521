"""Pilot tests of the Layers tab and the image view: on the recording, the stack with its links,
the mount with each entry named and the sizes; on the engine, ``u`` counting sizes into the pane,
a file written in the container showing in the writable layer's count, ``enter`` on an image in
the Engine view opening its layers and history, and a hostile build command shown literally."""

from __future__ import annotations

import asyncio
import io
import os

from textual.widgets import TabbedContent

from tui.app import Config, make_app
from tui.backend.hub import Hub, HubConfig
from tui.backend.replay import ReplayBackend
from widgets.engine import EngineView
from widgets.image_view import ImageScreen
from widgets.layers import LayersPane
from widgets.view_screen import ViewScreen

SIZE = (220, 60)


async def test_stack_mount_and_sizes_on_the_recording(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="layers"))
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(LayersPane)
        await wait_for(pilot, lambda: "layer:rw" in pane.table.rows, what="the stack")
        t = pane.table
        keys = t.ordered_keys
        assert keys.index("layer:rw") < keys.index("layer:init") < keys.index("layer:image:0")
        assert t.get_cell("layer:rw", "item").plain == "writable" and t.get_cell("layer:image:0", "item").plain == "#0 base"
        assert t.get_cell("layer:image:0", "a").plain.startswith("overlay2/922a1dee4620")
        assert t.get_cell("layer:image:0", "b").plain == "1.9 MiB"
        assert t.get_cell("layer:image:0:link", "detail").plain.startswith("no lower file")
        assert t.get_cell("layer:rw:link", "a").plain.endswith("✓")
        assert "image itui/layered:latest" in t.get_cell("layer:image:0:shared", "detail").plain
        assert t.get_cell("mount:lower0", "detail").plain == "→ -init layer"
        assert t.get_cell("mount:lower1", "detail").plain == "→ image layer 0"
        assert t.get_cell("mount:upper", "detail").plain == "→ writable layer"
        assert t.get_cell("size:rw", "b").plain == "195 KiB" and "200,003 B" in t.get_cell("size:rw", "detail").plain
        assert "etc/resolv.conf" in [t.get_cell(k, "a").plain for k in keys if k.startswith("init:")]
        assert "Layers · web" in str(pane.border_title)
        pane.table.focus()
        pane.table.move_cursor(key="layer:rw")
        await pilot.pause()
        assert "GraphDriver.Data.UpperDir" in app.query_one("#provenance").source


async def test_palette_opens_an_image(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="layers"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.images, what="the images")
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["Image itui/layered:latest"].callback()
        await wait_for(pilot, lambda: isinstance(app.screen, ImageScreen), what="the image view")
        why = app.screen.query_one("#image-table").get_cell("why", "a").plain
        assert "recorded snapshot" in why  # a replay has no engine to ask
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(app.screen, ImageScreen), what="back")


async def test_count_sizes_and_open_an_image(engine, make_container, docker_client, wait_for) -> None:
    engine.skip_unless("docker", why="the pane is the same on every engine (tested in the integration suite); "
                       "this drives the keys")
    hostile = "echo '[bold red]x[/] \x1b[31m' > /evil"
    tag = f"itui/hostile:{os.getpid()}"
    docker_client.images.build(fileobj=io.BytesIO(
        f"FROM itui/mini:latest\nLABEL internals-tui.test=1\nRUN {hostile}\n".encode()), tag=tag, rm=True)
    try:
        c = make_container(image=tag)
        app = make_app(Hub(HubConfig(interval=1.0, environ=engine.env)), Config(container=c.name, tab="layers"))
        async with app.run_test(size=SIZE) as pilot:
            pane = app.query_one(LayersPane)
            await wait_for(pilot, lambda: "layer:image:1" in pane.table.rows and "mount:point" in pane.table.rows,
                           what="the stack and the mount")
            made = pane.table.get_cell("layer:image:1", "detail").plain
            assert "[bold red]x[/]" in made and "\x1b" not in made  # literal, no markup, no escape
            assert "size:ask" in pane.table.rows
            await asyncio.to_thread(c.exec_run, ["sh", "-c", "head -c 123456 /dev/zero > /blob"])
            pane.table.focus()
            await pilot.press("u")
            await wait_for(pilot, lambda: "size:rw" in pane.table.rows and any(
                k.startswith("du:") and "entries" in pane.table.get_cell(k, "detail").plain
                for k in pane.table.ordered_keys), what="the counted sizes")
            ps = docker_client.api.containers(all=True, size=True, filters={"id": c.id})[0]
            assert pane.table.get_cell("size:rw", "detail").plain.startswith(f"{ps['SizeRw']:,} B")
            assert ps["SizeRw"] >= 123456
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the Engine view")
            images = app.screen.query_one(EngineView).query_one("#engine-images")
            img = docker_client.images.get(tag)
            await wait_for(pilot, lambda: img.id in images.rows, what="the image list")
            images.focus()
            images.move_cursor(key=img.id)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ImageScreen), what="the image view")
            t = app.screen.query_one("#image-table")
            await wait_for(pilot, lambda: "layer:image:1" in t.rows, what="its layers")
            assert t.get_cell("image:users", "a").plain == c.name
            assert t.get_cell("layer:image:1", "detail").plain == made
            assert "itui/mini:latest" in t.get_cell("layer:image:0:shared", "detail").plain
            assert "graph:MergedDir:0" in t.rows and "never mounted" in t.get_cell("graph:MergedDir:0", "detail").plain
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, ImageScreen), what="back")
            assert app.query_one(TabbedContent).active == "layers"
    finally:
        for cont in docker_client.containers.list(all=True, filters={"ancestor": tag}):
            cont.remove(force=True)
        docker_client.images.remove(tag, force=True)
