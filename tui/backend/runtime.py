"""The runtime chain above a container's init: engine, containerd, shim (or conmon), and the
facts about them the Processes pane prints above the tree (internals.md §3.2).

Real parentage and logical parentage differ: the shim daemonizes (its real parent is PID 1 or
a subreaper), so its edge to containerd is drawn from its ``-address`` argument, matched to
the containerd process that holds that listening socket. The engine's API process is found the
same way, from the endpoint's socket. Everything here is read once per shim and cached.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass, field

from .collect import Context
from .model import Container, Sourced
from .model.procs import RuntimeLine
from .proctable import Stat, arg_after, read_all_stats, read_cmdline, socket_owner
from .rootfs import os_release

SHIM_COMMS = ("containerd-shim",)
CONMON = "conmon"


@dataclass
class Chain:
    """Who is who above init: ``roles`` (pid → role), ``parents`` (pid → the parent the host
    tree draws, with the meaning of that edge), and the runtime lines."""

    roles: dict[int, str] = field(default_factory=dict)
    parents: dict[int, tuple[int, str]] = field(default_factory=dict)
    lines: list[RuntimeLine] = field(default_factory=list)


def _cmd(argv: tuple[str, ...], comm: str) -> str:
    return " ".join(argv) if argv else f"[{comm}]"


def _endpoint_path(endpoint: str) -> str:
    return endpoint[len("unix://"):] if endpoint.startswith("unix://") else ""


def _ancestors(stats: dict[int, Stat], pid: int) -> list[int]:
    """``pid``'s real ancestors below PID 1, nearest first."""
    out: list[int] = []
    cur = stats.get(pid)
    while cur is not None and cur.ppid > 1 and cur.ppid not in out and len(out) < 64:
        out.append(cur.ppid)
        cur = stats.get(cur.ppid)
    return out


def build_chain(ctx: Context, c: Container, init: Stat, shim: Stat | None) -> Chain:
    """The chain for ``c`` (one host scan of ``/proc/*/stat``)."""
    paths = ctx.paths
    chain = Chain()
    stats = read_all_stats(paths)
    by_comm: dict[str, list[int]] = {}
    for pid, st in stats.items():
        by_comm.setdefault(st.comm, []).append(pid)
    engine_path = _endpoint_path(ctx.endpoint)
    engine_cands = by_comm.get("dockerd", []) + by_comm.get("podman", []) + by_comm.get("rootlesskit", [])
    engine = socket_owner(paths, engine_path, engine_cands) if engine_path else None
    if engine is not None:
        chain.roles[engine] = "engine"
        chain.lines.append(RuntimeLine("Engine", Sourced(
            f"PID {engine} {_cmd(read_cmdline(paths, engine), stats[engine].comm)}  ·  answers {ctx.endpoint}",
            f"grep {engine_path} /proc/{engine}/net/unix ; ls -l /proc/{engine}/fd")))
    else:
        chain.lines.append(RuntimeLine("Engine", Sourced(
            f"the process answering {ctx.endpoint} was not found"
            + ("" if os.geteuid() == 0 else " (needs root: other users' sockets)"), "ss -xlp"), warn=True))
    if shim is None:
        chain.lines.append(RuntimeLine("Parent", Sourced(f"init PID {init.pid} has no parent left", ""), warn=True))
        return chain
    argv = read_cmdline(paths, shim.pid)
    real = f"real parent PID {shim.ppid} ({stats[shim.ppid].comm if shim.ppid in stats else '?'})"
    if shim.comm.startswith(SHIM_COMMS):
        chain.roles[shim.pid] = "shim"
        address = arg_after(argv, "-address")
        ctrd = socket_owner(paths, address, by_comm.get("containerd", [])) if address else None
        chain.lines.append(RuntimeLine("Shim", Sourced(f"PID {shim.pid} {_cmd(argv, shim.comm)}",
                                                       f"cat /proc/{shim.pid}/cmdline")))
        if ctrd is not None:
            chain.roles[ctrd] = "containerd"
            chain.parents[shim.pid] = (ctrd, f"logical: containerd serves -address {address}; {real}, daemonized")
            ups = _ancestors(stats, ctrd)
            for child, parent in zip([ctrd, *ups], ups):
                chain.roles.setdefault(parent, "ancestor")
                chain.parents[child] = (parent, "real parent")
            top = ups[-1] if ups else ctrd
            chain.parents[top] = (0, f"real parent PID {stats[top].ppid}")
            up = stats[ctrd].ppid
            how = (f"child of the engine ({stats[up].comm} PID {up}), which runs it" if up == engine
                   else f"its own service (real parent PID {up})")
            chain.lines.append(RuntimeLine("containerd", Sourced(
                f"PID {ctrd} {_cmd(read_cmdline(paths, ctrd), 'containerd')}  ·  {how}",
                f"grep {address} /proc/{ctrd}/net/unix ; ls -l /proc/{ctrd}/fd")))
            if engine is not None and engine not in chain.parents and engine != top:
                chain.parents[engine] = (0, "the API service: not an ancestor of containerd")
        else:
            chain.lines.append(RuntimeLine("containerd", Sourced(
                f"the containerd serving {address or '(no -address)'} was not found"
                + ("" if os.geteuid() == 0 else " (needs root: its sockets)"), f"cat /proc/{shim.pid}/cmdline"),
                warn=True))
            chain.parents[shim.pid] = (0, real)
        bundle = _readlink(f"{paths.proc}/{shim.pid}/cwd")
        chain.lines.append(RuntimeLine("Bundle", Sourced(bundle or "needs root (the shim's cwd)",
                                                         f"readlink /proc/{shim.pid}/cwd"), warn=not bundle))
    elif shim.comm == CONMON:
        chain.roles[shim.pid] = "conmon"
        chain.parents[shim.pid] = (0, f"{real}, double-forked: no shim, no containerd")
        chain.lines.append(RuntimeLine("conmon", Sourced(f"PID {shim.pid} {_cmd(argv, shim.comm)}",
                                                         f"cat /proc/{shim.pid}/cmdline")))
        chain.lines.append(RuntimeLine("Bundle", Sourced(arg_after(argv, "-b") or "?",
                                                         f"cat /proc/{shim.pid}/cmdline  (its -b)")))
        if engine is not None:
            chain.parents[engine] = (0, "the API service: not an ancestor of conmon")
    else:
        chain.parents[shim.pid] = (0, real)
        chain.lines.append(RuntimeLine("Parent", Sourced(
            f"PID {shim.pid} {_cmd(argv, shim.comm)} (neither a containerd shim nor conmon)",
            f"cat /proc/{shim.pid}/cmdline"), warn=True))
    return chain


def _readlink(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def facts(ctx: Context, c: Container, init: Stat, init_argv: tuple[str, ...]) -> list[RuntimeLine]:
    """Runtime and version, init, PID namespace, the container's distro beside the host's."""
    lines: list[RuntimeLine] = []
    e = ctx.engine
    runtime = (c.detail.runtime if c.detail else "") or (e.default_runtime.value if e else "")
    versions = {comp.name: comp.version for comp in (e.server_components if e else ())}
    version = next((v.splitlines()[0] for k, v in versions.items() if k == "runc" or k.startswith("OCI Runtime")), "")
    lines.append(RuntimeLine("Runtime", Sourced(f"{runtime or '?'}  {version}".rstrip(),
                                                "docker inspect -f '{{.HostConfig.Runtime}}' ; docker version")))
    if c.detail is not None and c.detail.init:
        what = f"--init: {init.comm} (tini) is PID 1; the command runs as its child"
    else:
        what = f"the command itself is PID 1: {_cmd(init_argv, init.comm)}"
    lines.append(RuntimeLine("Init", Sourced(what, "docker inspect -f '{{.HostConfig.Init}}'")))
    mode = c.detail.pid_mode.value if c.detail else ""
    lines.append(RuntimeLine("PID namespace", Sourced(
        "the host's (--pid host): container PID = host PID" if mode == "host"
        else f"shared with {mode.split(':', 1)[1]} (--pid {mode})" if mode.startswith("container:")
        else "its own: PIDs from 1 inside", "docker inspect -f '{{.HostConfig.PidMode}}'")))
    root = f"{ctx.paths.proc}/{init.pid}/root"
    try:
        inside = os_release(root).get("PRETTY_NAME", "?")
    except FileNotFoundError:
        inside = "none (the image has no /etc/os-release)"
    except PermissionError:
        inside = "needs root (/proc/PID/root)"
    except OSError as exc:
        inside = f"unreadable: {exc.strerror or exc}"
    try:
        host = os_release("/").get("PRETTY_NAME", "?")
    except OSError:
        host = "?"
    lines.append(RuntimeLine("Distro", Sourced(
        f"container: {inside}  ·  host: {host}  ·  one kernel: {platform.release()}",
        f"cat /proc/{init.pid}/root/etc/os-release ; cat /etc/os-release ; uname -r")))
    return lines
