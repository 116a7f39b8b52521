"""Pilot tests of the Cgroups pane and the host cgroups view: flags, units and the ``w`` and
``enter`` keys on the recording; live throttling, an OOM kill (counter and Events pane) and the
jump to a process on the real engine."""

from __future__ import annotations

from typing import Any

from textual.widgets import TabbedContent

from tui.app import Config, make_app
from tui.backend.hub import Hub, HubConfig
from tui.backend.replay import ReplayBackend
from widgets.cgroups import CgroupsPane
from widgets.events import EventsPane
from widgets.host_cgroups import HostCgroupsView
from widgets.processes import ProcessesPane
from widgets.view_screen import ViewScreen

SIZE = (220, 60)


def cell(pane: CgroupsPane, key: str, column: str) -> str:
    return pane.table.get_cell(key, column).plain if key in pane.table.rows else ""


async def opened(pilot: Any, app: Any, wait_for: Any, key: str = "cpu") -> CgroupsPane:
    pane = app.query_one(CgroupsPane)
    await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "cgroups" and key in pane.table.rows,
                   what=f"the {key} row")
    return pane


async def test_limits_with_their_flags_and_files_on_the_recording(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="cgroups"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, app, wait_for)
        assert cell(pane, "cpu", "limit") == "0.5 CPUs (50000/100000)  ← --cpus=0.5"
        assert cell(pane, "mem", "limit") == "64.0 MiB  ← --memory=64m"
        assert cell(pane, "soft", "limit") == "32.0 MiB  ← --memory-reservation=32m"
        assert cell(pane, "swap", "limit") == "128 MiB  ← default: twice --memory"
        assert cell(pane, "pids", "limit") == "50  ← --pids-limit=50"
        assert cell(pane, "io:254:0", "limit").startswith("read 1.0 MiB/s  ← --device-read-bps=/dev/vda:1048576")
        assert cell(pane, "weight", "limit") == "1024  ← default"
        assert "% of periods" in cell(pane, "throttle", "usage")
        assert [k for k in pane.table.ordered_keys if k.startswith("pid:")] == ["pid:4935", "pid:4965", "pid:4966"]
        pane.table.focus()
        pane.table.move_cursor(key="mem")
        await pilot.pause()
        assert str(app.query_one("#provenance").render()).startswith(" source  mem: cat /sys/fs/cgroup/memory/")
        source = pane.table.row_source("mem")
        assert source is not None and source[0].startswith("cat /sys/fs/cgroup/memory/docker/")
        assert source[0].split(" ; ")[0].endswith("/memory.limit_in_bytes")
        facts = pane.query_one("#cg-facts")
        assert facts.get_cell("init", "value").plain.startswith("4:memory:/docker/a31ee6b3b489…")
        assert "not the container's" in facts.get_cell("shim", "value").plain
        await pilot.press("W")
        where = pane.table
        await wait_for(pilot, lambda: where.id == "cg-where" and where.row_count > 20, what="the where view")
        assert where.get_cell("init 4935:5", "line").plain == "4:memory:/docker/a31ee6b3b489…"
        assert where.get_cell("init 4935:5", "dir").plain.endswith("/memory/docker/" + app.selected)
        await pilot.press("W")
        assert pane.table.id == "cg-table"


async def test_enter_on_a_process_opens_it_in_the_processes_tab(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web", tab="cgroups"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, app, wait_for)
        pane.table.focus()
        pane.table.move_cursor(key="pid:4966")
        await pilot.press("enter")
        procs = app.query_one(ProcessesPane)
        await wait_for(pilot, lambda: app.query_one(TabbedContent).active == "processes"
                       and (procs.table.cursor_key or "").startswith("4966:"), what="the cursor on PID 4966")
        assert not procs.inside and procs.table.has_focus


async def test_host_cgroups_view(lab_snapshot, wait_for) -> None:
    app = make_app(ReplayBackend([lab_snapshot]), Config(container="web"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.container_list.table.row_count == 7, what="the list")
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the view")
        view = app.screen.query_one(HostCgroupsView)
        await wait_for(pilot, lambda: view.table.row_count == 10, what="the tree")
        web = f"/docker/{app.selected}"
        assert view.table.get_cell(web, "what").plain == "web"
        assert view.table.get_cell(web, "cgroup").plain.strip().startswith("a31ee6b3b489")
        assert "cpuset 3" in view.query_one("#hcg-facts").get_cell("proc", "value").plain
        assert view.table.has_focus


async def test_live_throttling_and_an_oom_kill(engine, make_container, wait_for) -> None:
    engine.skip_unless("docker", why="rootless Docker on cgroup v1 has no cgroup; Podman: see the integration tests")
    burner = make_container(nano_cpus=500_000_000, command=["sh", "-c", "while :; do :; done"])
    hog = make_container(mem_limit="32m", memswap_limit="32m",
                         command=["sh", "-c", "sleep 2; tail /dev/zero; sleep 100000"])
    app = make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(container=burner.name, tab="cgroups"))
    async with app.run_test(size=SIZE) as pilot:
        pane = await opened(pilot, app, wait_for)
        assert cell(pane, "cpu", "limit") == "0.5 CPUs (50000/100000)  ← --cpus=0.5"

        def throttled() -> bool:
            usage, ratio = cell(pane, "cpu", "usage"), cell(pane, "throttle", "usage")
            return (usage[:1].isdigit() and 40 <= float(usage.split()[0]) <= 60
                    and ratio[:1].isdigit() and int(ratio.split()[0]) >= 30)

        await wait_for(pilot, throttled, timeout=15, what="≈50 % and throttled periods")
        first = int(cell(pane, "throttle", "detail").split()[0])
        await wait_for(pilot, lambda: int(cell(pane, "throttle", "detail").split()[0]) > first + 3,
                       what="throttled periods climbing")
        app.jump_to(hog.id)
        await wait_for(pilot, lambda: cell(pane, "events", "usage") == "1 OOM kill", timeout=30, what="the OOM kill")
        assert cell(pane, "mem", "limit") == "32.0 MiB  ← --memory=32m"
        await pilot.press("8")
        events = app.query_one(EventsPane)
        await wait_for(pilot, lambda: any("oom" in events.get_cell(k, "action").plain for k in events.ordered_keys),
                       what="the oom event")
