"""The walkthrough walked as a user would, on a container like the seed's, on the real engines:
every step reaches its pane with the cursor on its row, and where the host can be asked, the
value on screen is what the step's command prints here."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest

from tui.app import Config, InternalsApp, make_app
from tui.backend.hub import Hub, HubConfig
from widgets.confirm import ConfirmScreen
from widgets.live_table import LiveTable
from widgets.walk_panel import WalkPanel
from widgets.walkthrough import REGIONS, STEPS

pytestmark = pytest.mark.engine

SIZE = (180, 50)


def live_app(engine: Any, **config: Any) -> InternalsApp:
    return make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(**config))


def panel_text(app: InternalsApp) -> str:
    panels = app.screen.query(WalkPanel)
    last = panels.first()._last if panels else None
    return last.plain if last is not None else ""


def answer(app: InternalsApp) -> str:
    text = panel_text(app)
    return text.split("▶ ", 1)[1].split("\n")[0] if "▶ " in text else ""


def focused_row(app: InternalsApp) -> tuple[str, str]:
    """The focused table's id and the key under its cursor."""
    t = app.screen.focused
    return (t.id or "", t.cursor_key or "") if isinstance(t, LiveTable) else ("", "")


def cell(app: InternalsApp, column: str) -> str:
    t = app.screen.focused
    assert isinstance(t, LiveTable)
    return t.get_cell(t.cursor_key, column).plain


def seed_like(make_container: Any) -> Any:
    return make_container(mem_limit="256m", nano_cpus=2_000_000_000, tty=True, stdin_open=True, command=["sh"])


EXPECTED_AWAY = {
    "docker": set(),
    "rootless": {"the container's cgroup directory", "processes in the cgroup", "the memory limit", "the CPU limit",
                 "the container process's cgroup", "its process on the host", "the containerd shim", "containerd"},
    "podman": {"its process on the host", "the containerd shim", "containerd"},
}
"""Steps whose row this engine does not have (rootless Docker on cgroup v1 has no cgroup of its
own; Podman has conmon, not a containerd shim): the step says why instead."""


async def test_every_step_on_a_seed_like_container(engine, make_container, wait_for) -> None:
    c = seed_like(make_container)
    app = live_app(engine, container=c.name, walkthrough=True)
    seen_regions = []
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected == c.id, what="the container of --container")
        for i, step in enumerate(STEPS):
            assert app.walk_index == i
            text_of = lambda: panel_text(app)  # noqa: E731
            await wait_for(pilot, lambda: f"step {i + 1}/{len(STEPS)}" in text_of() and "waiting" not in answer(app),
                           what=f"step {i + 1} ({step.title}) answered", timeout=15)
            assert f"{step.region} {step.in_region}/{step.region_size}" in text_of()
            seen_regions.append(step.region)
            away = step.title in EXPECTED_AWAY[engine.name]
            if step.action is None and not away:
                await wait_for(pilot, lambda: focused_row(app)[0] in (step.target.table.lstrip("#") or
                                                                     f"{step.target.pane}-pane"),
                               what=f"step {i + 1}: the focus on {step.target.table or step.target.pane}")
                assert focused_row(app)[1], f"step {i + 1}: a row under the cursor"
                if engine.name == "docker":
                    check_on_host(step.title, app, c)
            await pilot.press("n")
        assert tuple(dict.fromkeys(seen_regions)) == REGIONS == (
            "Introduction", "Cgroups", "Namespaces", "Filesystem", "Runtime", "Cleanup")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.walk_index is None, what="the walkthrough left")
        assert not panel_text(app) or not app.screen.query_one(WalkPanel).has_class("-on")


def check_on_host(title: str, app: InternalsApp, c: Any) -> None:
    """The value under the cursor against what the step's command prints on this host."""
    c.reload()
    pid = c.attrs["State"]["Pid"]
    if title == "client and server":
        out = subprocess.run(["docker", "version", "-f", "{{.Server.Version}}"], capture_output=True, text=True)
        assert cell(app, "value").startswith(out.stdout.strip())
    elif title == "the image":
        assert cell(app, "value") == c.attrs["Image"]
    elif title == "its process on the host":
        shim = int(cell(app, "pid"))
        with open(f"/proc/{shim}/cmdline", "rb") as fh:
            assert c.id.encode() in fh.read()  # what `ps aux | grep ID` finds
    elif title == "configuration on disk":
        assert os.path.isfile(f"/var/lib/docker/containers/{c.id}/config.v2.json")
        assert cell(app, "field").startswith("config.v2.json")
    elif title == "the container process's cgroup":
        with open(f"/proc/{pid}/cgroup") as fh:
            lines = fh.read()
        assert f"/docker/{c.id}" in lines and app.screen.focused.cursor_key == "init"
    elif title == "the memory limit":
        with open(f"/sys/fs/cgroup/memory/docker/{c.id}/memory.limit_in_bytes") as fh:
            assert int(fh.read()) == 268435456
        assert cell(app, "limit").startswith("256 MiB")
    elif title == "the CPU limit":
        with open(f"/sys/fs/cgroup/cpu/docker/{c.id}/cpu.cfs_quota_us") as fh:
            assert int(fh.read()) == 200000
        assert "200000/100000" in cell(app, "limit")
    elif title == "mine, and the container's":
        inode = os.readlink(f"/proc/{pid}/ns/net").split("[")[1].rstrip("]")
        assert cell(app, "ns") == inode and cell(app, "host") == os.readlink("/proc/self/ns/net").split("[")[1].rstrip("]")
    elif title == "its own PIDs":
        assert cell(app, "pid") == str(pid) and cell(app, "cpid") == "1"
    elif title == "network namespaces":
        assert cell(app, "ns") == os.readlink(f"/proc/{pid}/ns/net").split("[")[1].rstrip("]")
    elif title == "GraphDriver":
        assert cell(app, "value") == c.attrs["GraphDriver"]["Data"]["UpperDir"]


async def test_step_actions_change_the_container_live(engine, make_container, wait_for) -> None:
    """``a`` on the steps that change things: confirmed, done through the engine, and the step's
    row appears (a file written inside, a file put from the host, the yes loop)."""
    c = seed_like(make_container)
    app = live_app(engine, container=c.name)
    titles = [s.title for s in STEPS]
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected == c.id, what="the selection")
        for title, path in (("a file written inside", "/hello.world"), ("a file put there from the host", "/hellofrom.host"),
                            ("burn some CPU", "")):
            app.action_walkthrough(titles.index(title))
            await wait_for(pilot, lambda: "press a" in answer(app), what=f"{title}: offered")
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what=f"{title}: confirmation")
            await pilot.press("y")
            await wait_for(pilot, lambda: "press a" not in answer(app) and "waiting" not in answer(app),
                           what=f"{title}: the change on screen", timeout=20)
            if path:
                assert focused_row(app) == ("fs-tree", path)
                assert c.exec_run(["ls", path]).exit_code == 0
            else:
                assert "yes" in cell(app, "cmd")
        app.action_walk_leave()


async def test_read_only_walks_but_does_nothing(engine, make_container, wait_for) -> None:
    c = seed_like(make_container)
    app = live_app(engine, container=c.name, walkthrough=True, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.selected == c.id, what="the container of --container")
        app.action_walkthrough([s.title for s in STEPS].index("a file written inside"))
        await wait_for(pilot, lambda: "press a" in answer(app), what="the step")
        await pilot.press("a")
        await wait_for(pilot, lambda: any("--read-only" in str(n.message) for n in app._notifications),
                       what=f"why nothing happens ({[str(n.message) for n in app._notifications]})")
        assert not isinstance(app.screen, ConfirmScreen)
        assert c.exec_run(["ls", "/hello.world"]).exit_code != 0
