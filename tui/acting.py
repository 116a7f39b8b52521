"""Container actions in the app: the menu (``x``), palette entries, confirmation, the answer.

Every change goes the same way: a :class:`DoAction` (from the menu, the palette, a pane or
the walkthrough) → refused with ``--read-only``, saying why → a confirmation naming the
container and the docker command it equals → the backend's ``action`` source does it
through the API → the engine's answer (or its error, inert) in a notification, or in a
screen when there is output. The change itself arrives through the engine's events.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from typing import Any

from textual import work
from textual.app import SystemCommand

from tui.backend.actions import SIGNALS, command_line
from tui.backend.model import Container
from tui.backend.model.actions import Action, ActionResult
from tui.messages import DoAction
from widgets.cleanup import CleanupSection
from widgets.confirm import ChoiceScreen, ConfirmScreen, OutputScreen, PromptScreen
from widgets.format import clean
from widgets.view_screen import ViewScreen

PRUNE_WAIT_TICKS = 50
"""Tenths of a second the palette's prune waits for the Engine view's first disk usage."""
READ_ONLY_WHY = "read-only: started with --read-only, so container actions and prunes are off"

MENU: tuple[tuple[str, str, str], ...] = (
    ("s", "start", "start it"),
    ("s", "stop", "stop it (SIGTERM, then SIGKILL after 10 s)"),
    ("r", "restart", "restart it"),
    ("p", "pause", "pause it (cgroup freezer)"),
    ("p", "unpause", "unpause it"),
    ("k", "kill", "send it a signal…"),
    ("e", "exec", "run a one-off command in it, and show its output…"),
    ("n", "rename", "rename it…"),
    ("d", "remove", "remove it (its volumes: asked apart)…"),
)
"""The container menu: key, verb, what it does; each shown only where it applies."""


def verbs_for(c: Container) -> list[str]:
    """What can be done to a container in its state (as ``docker`` would accept it)."""
    state = c.state.value
    if state == "running":
        return ["stop", "restart", "pause", "kill", "exec", "rename", "remove"]
    if state == "paused":
        return ["unpause", "stop", "kill", "rename", "remove"]
    if state == "restarting":
        return ["stop", "kill", "rename", "remove"]
    if state == "removing":
        return []
    return ["start", "rename", "remove"]


def anonymous_volumes(c: Container) -> list[str]:
    """The container's anonymous volumes (``docker rm -v`` removes these, never a named one)."""
    mounts = c.detail.mounts if c.detail is not None else ()
    return [m.name for m in mounts if m.type == "volume" and len(m.name) == 64
            and all(ch in "0123456789abcdef" for ch in m.name)]


class ActionsMixin:
    """The app's side of actions (mixed into :class:`~tui.app.InternalsApp`)."""

    _acting = False

    def selected_container(self) -> Container | None:
        """The selected container as the latest snapshot has it (None: none selected, or gone)."""
        app: Any = self
        snap, cid = app.snapshot, app.selected
        return snap.container(cid) if snap is not None and cid else None

    def action_actions_menu(self) -> None:
        """``x``: what can be done to the selected container."""
        app: Any = self
        if app.config.read_only:
            app.notify(READ_ONLY_WHY, severity="warning", markup=False)
            return
        c = self.selected_container()
        if c is None:
            app.notify("no container selected", severity="warning")
            return
        verbs = verbs_for(c)
        entries = [(verb, f"{key}  {verb:<8} {what}") for key, verb, what in MENU if verb in verbs]
        if not entries:
            app.notify(f"{clean(c.name.value)} is {c.state.value}: nothing to do now", markup=False)
            return
        keys = {key: verb for key, verb, _ in MENU if verb in verbs}
        app.push_screen(ChoiceScreen(f"{c.name.value} ({c.state.value})", entries, keys),
                        callback=partial(self._menu_picked, c))

    def _menu_picked(self, c: Container, verb: str | None) -> None:
        if verb:
            self.container_action(verb, c)

    def container_action(self, verb: str, c: Container | None = None) -> None:
        """Ask for ``verb`` on ``c`` (the selected container by default), with what it needs."""
        app: Any = self
        c = c or self.selected_container()
        if c is None:
            app.notify("no container selected", severity="warning")
            return
        self._ask_and_act(verb, c)

    @work(group="action-ask", exit_on_error=False)
    async def _ask_and_act(self, verb: str, c: Container) -> None:
        app: Any = self
        name = c.name.value
        action = Action(verb, c.id, name)
        if verb == "kill":
            sig = await app.push_screen_wait(ChoiceScreen(f"kill {name}: which signal?",
                                                          [(s, s) for s in SIGNALS]))
            if not sig:
                return
            action = Action(verb, c.id, name, sig)
        elif verb == "rename":
            new = await app.push_screen_wait(PromptScreen(f"rename {name}", "New name:", name))
            if not new or new.strip() == name:
                return
            action = Action(verb, c.id, name, new.strip())
        elif verb == "exec":
            cmd = await app.push_screen_wait(PromptScreen(
                f"exec in {name}", "Command (run once, no shell unless you write sh -c '…'; no terminal):",
                placeholder="ps -ef"))
            if not cmd or not cmd.strip():
                return
            action = Action(verb, c.id, name, cmd.strip())
        elif verb == "remove":
            detail = ["it is running: the engine kills it first"] if c.live else []
            if not await app.push_screen_wait(ConfirmScreen(
                    "remove", f"Remove container {name}?", detail + [command_line(action)])):
                return
            volumes = anonymous_volumes(c)
            if volumes and await app.push_screen_wait(ConfirmScreen(
                    "remove", f"Also remove its {len(volumes)} anonymous volume{'s' * (len(volumes) > 1)}?",
                    [*volumes, "named volumes are never removed"])):
                action = Action(verb, c.id, name, "volumes")
            await self._act(action, confirmed=True)
            return
        await self._act(action)

    def on_do_action(self, message: DoAction) -> None:
        """From a pane (``y`` in Files), the Engine view's prunes, or the walkthrough."""
        self._run_action(message.action, message.detail)

    @work(group="action-ask", exit_on_error=False)
    async def _run_action(self, action: Action, detail: tuple[str, ...]) -> None:
        app: Any = self
        c = app.snapshot.container(action.target) if app.snapshot is not None and action.target else None
        if c is not None and not action.name:
            action = replace(action, name=c.name.value)
        if action.verb == "cp" and not action.dest and not app.config.read_only:
            base = os.path.basename(action.arg.rstrip("/")) or "root"
            dest = await app.push_screen_wait(PromptScreen(
                f"docker cp {action.name}:{action.arg}", "Copy to this host path (a directory: into it):",
                os.path.join(os.getcwd(), base)))
            if not dest or not dest.strip():
                return
            action = replace(action, dest=dest.strip())
        await self._act(action, detail=detail)

    async def _act(self, action: Action, detail: Iterable[str] = (), confirmed: bool = False) -> ActionResult | None:
        """Confirm (unless already done), do, and show the answer. One action at a time."""
        app: Any = self
        if app.config.read_only:
            app.notify(READ_ONLY_WHY, severity="warning", markup=False)
            return None
        if self._acting:
            app.notify("an action is still running; wait for its answer", severity="warning")
            return None
        what = action.name or action.target[:12]
        if not confirmed:
            question = f"{action.verb.replace('-', ' ')} {what}?" if action.target else \
                f"{action.verb.replace('-', ' ')}?"
            if not await app.push_screen_wait(ConfirmScreen(action.verb, question,
                                                            [*detail, command_line(action)])):
                return None
        self._acting = True
        try:
            result = await app.backend.request("action", action)
        finally:
            self._acting = False
        value: ActionResult | None = result.value if isinstance(result.value, ActionResult) else None
        if value is None:
            app.notify(f"{command_line(action)}: {clean(result.error or 'no answer')}", severity="error", markup=False)
            return None
        if value.ok and action.verb == "run" and action.name:
            app.container_list.select(action.name)  # the new container, once the list has it
        if value.output or (action.verb == "exec" and not value.ok):
            app.push_screen(OutputScreen(command_line(action), value.message, value.output, value.ok))
        else:
            app.notify(clean(value.message), severity="information" if value.ok else "error", markup=False,
                       timeout=6 if value.ok else 12)
        return value

    @work(group="action-ask", exit_on_error=False)
    async def open_prune(self) -> None:
        """The palette's prune: the Engine view, its Cleanup measured, then its menu of kinds."""
        app: Any = self
        if not (isinstance(app.screen, ViewScreen) and app.screen.pane.PANE_ID == "engine"):
            app.action_view("engine")
        for _ in range(PRUNE_WAIT_TICKS):
            sections = app.screen.query(CleanupSection)
            if sections and sections.first().usage is not None:
                sections.first().action_prune()
                return
            await asyncio.sleep(0.1)
        app.notify("the disk usage is not measured yet: press p in the Engine view's Cleanup", severity="warning")

    def container_commands(self) -> Iterable[SystemCommand]:
        """Palette entries for the selected container's actions and the prunes (none with
        ``--read-only``)."""
        app: Any = self
        if app.config.read_only:
            return
        yield SystemCommand("Prune…", "Stopped containers, dangling images, unused networks or volumes, "
                            "listing what goes first (Engine view, p)", self.open_prune)
        c = self.selected_container()
        if c is None:
            return
        for key, verb, what in MENU:
            if verb in verbs_for(c):
                yield SystemCommand(f"Container {verb}: {clean(c.name.value)}", f"{what} (x then {key})",
                                    partial(self.container_action, verb, c))
