"""The Engine view's Cleanup section on the real engines: the df table, the per-object list,
``p`` on a kind opens the confirmation listing what goes (``n`` cancels: nothing removed), and
``--read-only`` refuses with its reason and no confirmation."""

from __future__ import annotations

from typing import Any

import pytest

from tui.app import Config, InternalsApp, make_app
from tui.backend.hub import Hub, HubConfig
from widgets.cleanup import CleanupSection
from widgets.confirm import ConfirmScreen
from widgets.live_table import LiveTable
from widgets.view_screen import ViewScreen

pytestmark = pytest.mark.engine

SIZE = (200, 50)


def live_app(engine: Any, **config: Any) -> InternalsApp:
    return make_app(Hub(HubConfig(interval=0.5, environ=engine.env)), Config(**config))


async def open_cleanup(pilot: Any, app: InternalsApp, cid: str, wait_for: Any) -> CleanupSection:
    """Open the Engine view and wait until the stopped container ``cid`` is in the prune list;
    then put the df table's cursor on the containers row, focused."""
    await wait_for(pilot, lambda: app.snapshot is not None and app.snapshot.engine is not None,
                   what="the first engine snapshot")
    await pilot.press("e")
    await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="the engine view")
    section = app.screen.query_one(CleanupSection)
    objects = section.query_one("#cleanup-objects", LiveTable)
    await wait_for(pilot, lambda: f"containers:{cid}" in objects.ordered_keys, timeout=15,
                   what="the stopped container in the per-object list")
    df = section.query_one("#cleanup-df", LiveTable)
    assert {"images", "containers", "volumes", "build-cache", "networks"} <= set(df.ordered_keys)
    assert df.get_cell("containers", "type").plain == "Containers"
    assert objects.get_cell(f"containers:{cid}", "goes").plain == "goes"
    df.focus()
    df.move_cursor(key="containers")
    await pilot.pause()
    return section


async def test_prune_confirmation_lists_what_goes_and_n_cancels(engine, make_container, wait_for) -> None:
    c = make_container(start=False)
    app = live_app(engine)
    async with app.run_test(size=SIZE) as pilot:
        section = await open_cleanup(pilot, app, c.id, wait_for)
        name_cell = section.query_one("#cleanup-objects", LiveTable).get_cell(f"containers:{c.id}", "name")
        assert name_cell.plain == c.name
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the confirmation")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert any(line.startswith(c.name) for line in confirm.detail)
        assert any(line.startswith("total: ") for line in confirm.detail)
        assert confirm.detail[-1] == "docker container prune --force"
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, ViewScreen), what="back in the view")
        c.reload()  # still there: nothing was removed
        assert c.status in ("created", "exited", "configured")


async def test_read_only_refuses_prune_without_confirmation(engine, make_container, wait_for) -> None:
    c = make_container(start=False)
    app = live_app(engine, read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        await open_cleanup(pilot, app, c.id, wait_for)
        await pilot.press("p")
        await wait_for(pilot, lambda: any("--read-only" in str(n.message) for n in app._notifications),
                       what="the read-only message")
        assert not isinstance(app.screen, ConfirmScreen)
        c.reload()
        assert c.status in ("created", "exited", "configured")
