"""What the user asks the engine to do (start, stop, exec, prune…) and what it answered."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Action:
    """One change asked of the engine, through its API only.

    ``verb`` is one of :data:`tui.backend.actions.VERBS`; ``target`` a container ID (empty for
    prunes); ``name`` the container's name, for messages; ``arg`` the verb's one parameter
    (the signal of ``kill``, the new name of ``rename``, the command of ``exec``, the path in
    the container of ``cp``, ``"volumes"`` for ``remove`` with its anonymous volumes);
    ``dest`` the host path ``cp`` writes to."""

    verb: str
    target: str = ""
    name: str = ""
    arg: str = ""
    dest: str = ""


@dataclass(frozen=True, slots=True)
class ActionResult:
    """The engine's answer: ``ok``, one line for the user, and the output of ``exec`` (or the
    list of what a prune removed)."""

    action: Action
    ok: bool
    message: str
    output: str = ""
    exit_code: int | None = None
