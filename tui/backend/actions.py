"""Container actions and prunes, through the engine's API only (DESIGN.md §3.9).

The app asks for one after the user confirmed it (never with ``--read-only``); this module
does it and turns the engine's answer, or its error, into an :class:`ActionResult`. What
changed is then seen the usual way, through the engine's events.
"""

from __future__ import annotations

import io
import os
import shlex
import signal
import socket
import tarfile
import tempfile
import time
from collections.abc import Callable
from typing import Any

import docker.errors
import requests

from .collect import Context, SourceState, Unavailable
from .model.actions import Action, ActionResult

VERBS = ("run", "put", "start", "stop", "restart", "pause", "unpause", "kill", "remove", "rename", "exec", "cp",
         "prune-containers", "prune-images", "prune-networks", "prune-volumes")
STOP_TIMEOUT_S = 10
"""Seconds ``stop`` and ``restart`` give the process before the engine kills it (docker's default)."""
EXEC_OUTPUT_MAX = 256 * 1024
"""Bytes of an ``exec``'s output kept; the command goes on, unread, past that."""
PROTECTED = ("/var/lib/docker", "/var/lib/containers", "/run/containers", "/sys", "/proc", "/dev")
"""Host trees ``cp`` never writes into (with the engine's own ``DockerRootDir``)."""
SIGNALS = ("SIGTERM", "SIGKILL", "SIGINT", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGSTOP", "SIGCONT")
"""The signals ``kill`` offers, most used first."""


SEED_LIMITS = {"mem_limit": "256m", "nano_cpus": 2_000_000_000}
"""``run``'s limits: the walkthrough's ``docker run --memory=256m --cpus=2``."""


def command_line(a: Action) -> str:
    """The docker command that does the same as ``a`` (shown in the confirmation)."""
    name = shlex.quote(a.name or a.target[:12])
    if a.verb == "run":
        return f"docker run --name {name} -dit --memory=256m --cpus=2 --pull never {shlex.quote(a.arg)}"
    if a.verb == "kill":
        return f"docker kill --signal {shlex.quote(a.arg or 'SIGKILL')} {name}"
    if a.verb == "remove":
        return f"docker rm --force {'--volumes ' if a.arg == 'volumes' else ''}{name}"
    if a.verb == "rename":
        return f"docker rename {name} {shlex.quote(a.arg)}"
    if a.verb == "exec":
        return f"docker exec {name} {a.arg}"
    if a.verb == "put":
        return f"touch {shlex.quote(os.path.basename(a.arg))} && docker cp {shlex.quote(os.path.basename(a.arg))} " \
               f"{shlex.quote((a.name or a.target[:12]) + ':' + (os.path.dirname(a.arg) or '/'))}"
    if a.verb == "cp":
        return f"docker cp {shlex.quote((a.name or a.target[:12]) + ':' + a.arg)} {shlex.quote(a.dest)}"
    if a.verb.startswith("prune-"):
        label = f" --filter label={shlex.quote(a.arg)}" if a.arg else ""
        return f"docker {a.verb.removeprefix('prune-').removesuffix('s')} prune --force{label}"
    if a.verb in ("stop", "restart"):
        return f"docker {a.verb} --time {STOP_TIMEOUT_S} {name}"
    return f"docker {a.verb} {name}"


def run_action(ctx: Context, state: SourceState) -> ActionResult:
    """Do the action in ``ctx.arg``: the engine's answer, or its error verbatim, as a result."""
    a = ctx.arg
    if not isinstance(a, Action) or a.verb not in VERBS:
        raise Unavailable(f"not an action: {a!r}")
    if ctx.api is None:
        raise Unavailable("not connected to an engine")
    try:
        return _DO[a.verb](ctx.api, a, ctx)
    except docker.errors.APIError as exc:
        return ActionResult(a, False, f"{command_line(a)}: {exc.explanation or exc}")
    except (requests.RequestException, OSError, tarfile.TarError, ValueError) as exc:
        return ActionResult(a, False, f"{command_line(a)}: {exc}")


def _simple(verb: str) -> Callable[[Any, Action, Context], ActionResult]:
    past = {"start": "started", "stop": "stopped", "restart": "restarted", "pause": "paused",
            "unpause": "unpaused"}[verb]

    def do(api: Any, a: Action, ctx: Context) -> ActionResult:
        if verb in ("stop", "restart"):
            getattr(api, verb)(a.target, timeout=STOP_TIMEOUT_S)
        else:
            getattr(api, verb)(a.target)
        return ActionResult(a, True, f"{past} {a.name}")
    return do


def _run(api: Any, a: Action, ctx: Context) -> ActionResult:
    """``docker run -dit --memory=256m --cpus=2`` of a local image (never pulled), with its own
    command, or ``sh`` when it has none (an imported rootfs)."""
    image = api.inspect_image(a.arg)
    cmd = None if (image.get("Config") or {}).get("Cmd") or (image.get("Config") or {}).get("Entrypoint") else ["sh"]
    made = api.create_container(a.arg, cmd, name=a.name or None, tty=True, stdin_open=True, detach=True,
                                host_config=api.create_host_config(**SEED_LIMITS))
    api.start(made["Id"])
    return ActionResult(a, True, f"started {a.name or made['Id'][:12]} from {a.arg}", output="")


def _put(api: Any, a: Action, ctx: Context) -> ActionResult:
    """An empty file at ``arg`` in the container, through the engine (``docker cp`` in): the
    walkthrough's ``touch …/diff/hellofrom.host``, without this app writing under the engine's root."""
    path = "/" + a.arg.strip("/")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(os.path.basename(path))
        info.mode, info.mtime = 0o644, int(time.time())
        tar.addfile(info)
    if not api.put_archive(a.target, os.path.dirname(path) or "/", buf.getvalue()):
        return ActionResult(a, False, f"{command_line(a)}: the engine refused the archive")
    return ActionResult(a, True, f"put {path} into {a.name}")


def _kill(api: Any, a: Action, ctx: Context) -> ActionResult:
    sig = a.arg or "SIGKILL"
    if sig not in SIGNALS and not (sig.isdigit() and 0 < int(sig) < signal.NSIG):
        return ActionResult(a, False, f"unknown signal {sig!r}: one of {', '.join(SIGNALS)} or a number")
    api.kill(a.target, signal=sig)
    return ActionResult(a, True, f"sent {sig} to {a.name}")


def _remove(api: Any, a: Action, ctx: Context) -> ActionResult:
    api.remove_container(a.target, v=a.arg == "volumes", force=True)
    return ActionResult(a, True, f"removed {a.name}" + (" and its anonymous volumes" if a.arg == "volumes" else ""))


def _rename(api: Any, a: Action, ctx: Context) -> ActionResult:
    new = a.arg.strip()
    if not new:
        return ActionResult(a, False, "a new name is needed")
    api.rename(a.target, new)
    return ActionResult(a, True, f"renamed {a.name} to {new}")


def _exec(api: Any, a: Action, ctx: Context) -> ActionResult:
    """A one-off command (no shell, no TTY): its output, up to ``EXEC_OUTPUT_MAX`` bytes, and
    its exit code. One still running when the API times out goes on in the container."""
    argv = shlex.split(a.arg)
    if not argv:
        return ActionResult(a, False, "a command is needed")
    exec_id = api.exec_create(a.target, argv, stdout=True, stderr=True)["Id"]
    out = bytearray()
    note = ""
    try:
        for chunk_out, chunk_err in api.exec_start(exec_id, stream=True, demux=True):
            out += (chunk_out or b"") + (chunk_err or b"")
            if len(out) >= EXEC_OUTPUT_MAX:
                note = f"(output cut at {EXEC_OUTPUT_MAX // 1024} KiB; the command goes on)"
                break
    except (requests.ConnectionError, requests.Timeout, socket.timeout):
        note = "(no more output within the API timeout; the command goes on in the container)"
    info = api.exec_inspect(exec_id)
    running, code = bool(info.get("Running")), info.get("ExitCode")
    status = "still running" if running else f"exit code {code}"
    return ActionResult(a, running or code == 0, f"{command_line(a)}: {status} {note}".strip(),
                        output=out[:EXEC_OUTPUT_MAX].decode("utf-8", "replace"), exit_code=None if running else code)


def _protected(path: str, ctx: Context) -> str:
    """The protected tree ``path`` is in, if any."""
    roots = list(PROTECTED)
    if ctx.engine is not None and ctx.engine.docker_root_dir.value:
        roots.append(ctx.engine.docker_root_dir.value)
    real = os.path.realpath(path)
    for root in roots:
        root = root.rstrip("/")
        if real == root or real.startswith(root + "/"):
            return root
    return ""


def _cp(api: Any, a: Action, ctx: Context) -> ActionResult:
    """``docker cp NAME:PATH DEST``: into DEST if it is a directory, else as DEST (never over an
    existing file, never into the engine's or the kernel's trees). The archive is extracted
    with tarfile's ``tar`` filter (nothing lands outside DEST, through ``..`` or a link; no
    setuid bits); links are kept as links, never followed; device nodes and FIFOs are skipped."""
    dest = os.path.abspath(os.path.expanduser(a.dest.strip()))
    if not a.dest.strip():
        return ActionResult(a, False, "a host path is needed")
    root = _protected(dest, ctx)
    if root:
        return ActionResult(a, False, f"will not write under {root}: this app never changes the engine's or the kernel's files")
    if os.path.lexists(dest) and not os.path.isdir(dest):
        return ActionResult(a, False, f"{dest} exists: choose a new name or a directory")
    into, rename = (dest, "") if os.path.isdir(dest) else (os.path.dirname(dest), os.path.basename(dest))
    if not os.path.isdir(into):
        return ActionResult(a, False, f"{into} is not a directory")
    stream, stat = api.get_archive(a.target, a.arg)
    top = stat.get("name") or os.path.basename(a.arg.rstrip("/"))
    if rename and os.path.lexists(os.path.join(into, rename)):
        return ActionResult(a, False, f"{dest} exists")
    if not rename and os.path.lexists(os.path.join(into, top)):
        return ActionResult(a, False, f"{os.path.join(into, top)} exists: choose a new name")
    with tempfile.TemporaryFile() as tmp:
        for chunk in stream:
            tmp.write(chunk)
        tmp.seek(0)
        with tarfile.open(fileobj=tmp) as tar:
            members = tar.getmembers()
            if rename:
                for m in members:
                    if m.name == top or m.name.startswith(top + "/"):
                        m.name = rename + m.name[len(top):]
            tar.extractall(into, members=members, filter=_no_specials)
    where = os.path.join(into, rename or top)
    specials = sum(1 for m in members if m.ischr() or m.isblk() or m.isfifo())
    note = f"; {specials} device node(s) or FIFO(s) skipped" if specials else ""
    return ActionResult(a, True, f"copied {a.name}:{a.arg} to {where} "
                                 f"({len(members) - specials} entr{'y' if len(members) - specials == 1 else 'ies'}{note})")


def _no_specials(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's ``tar`` filter, and no device nodes or FIFOs (``docker cp`` as root would make them)."""
    if member.ischr() or member.isblk() or member.isfifo():
        return None
    return tarfile.tar_filter(member, dest)


def _prune(kind: str) -> Callable[[Any, Action, Context], ActionResult]:
    """``docker KIND prune``; ``arg``, if any, is a label filter (``key=value``), as ``--filter label=…``."""
    def do(api: Any, a: Action, ctx: Context) -> ActionResult:
        filters: dict[str, Any] = {"label": a.arg} if a.arg else {}
        if kind == "images":
            r = api.prune_images(filters={"dangling": True, **filters})
            gone = [next(iter(d.values())) for d in r.get("ImagesDeleted") or ()]
        else:
            r = getattr(api, f"prune_{kind}")(filters=filters or None)
            gone = list(r.get(f"{kind.capitalize()}Deleted") or ())
        freed = r.get("SpaceReclaimed") or 0
        return ActionResult(a, True, f"pruned {len(gone)} {kind}, {freed} bytes reclaimed",
                            output="\n".join(str(g) for g in gone))
    return do


_DO: dict[str, Callable[[Any, Action, Context], ActionResult]] = {
    **{v: _simple(v) for v in ("start", "stop", "restart", "pause", "unpause")},
    "run": _run, "put": _put, "kill": _kill, "remove": _remove, "rename": _rename, "exec": _exec, "cp": _cp,
    **{f"prune-{k}": _prune(k) for k in ("containers", "images", "networks", "volumes")},
}
