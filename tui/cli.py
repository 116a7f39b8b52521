"""Command line: run the app, or print one backend snapshot as JSON."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys

import docker

from tui.backend.hub import Hub, HubConfig
from tui.backend.serial import to_jsonable


def version() -> str:
    """This app's version and the docker SDK's (the API it speaks by default)."""
    try:
        mine = importlib.metadata.version("internals-tui")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout without installing
        mine = "unknown (not installed)"
    return (f"internals-tui {mine} · docker SDK (python) {docker.__version__}, "
            f"default API {docker.constants.DEFAULT_DOCKER_API_VERSION}")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="internals-tui",
        description="Live view of how Docker containers are made on this host.")
    p.add_argument("--version", action="version", version=version())
    p.add_argument("--interval", type=float, default=1.0, metavar="SECONDS",
                   help="metrics refresh interval (default 1 s; events are shown at once)")
    p.add_argument("--container", metavar="NAME", help="start with this container selected")
    p.add_argument("--tab", metavar="NAME",
                   help="open on this pane: overview, events, engine, … (`internals-tui --container web --tab events`)")
    p.add_argument("--path", metavar="PATH",
                   help="with --container: open the Files tab at this path inside the container "
                        "(`internals-tui --container web --path /etc/hosts`)")
    p.add_argument("--walkthrough", action="store_true",
                   help="start in the walkthrough of Docker's internals, on --container NAME or the first container "
                        "(w in the app)")
    p.add_argument("--read-only", action="store_true",
                   help="never change anything, not even through the Docker API")
    p.add_argument("--replay", metavar="FILE",
                   help="show a snapshot recorded with `internals-tui snapshot --json` instead of the engine")
    p.add_argument("--theme", default="textual-dark", help="Textual theme (default textual-dark)")
    sub = p.add_subparsers(dest="command")
    snap = sub.add_parser("snapshot", help="print one full backend snapshot and exit")
    snap.add_argument("--json", action="store_true", required=True, help="as JSON (the only format)")
    snap.add_argument("--container", dest="snap_container", metavar="NAME",
                      help="also run the per-container sources for this container")
    return p


def snapshot(args: argparse.Namespace) -> int:
    """``snapshot --json``: 0, 1 when no engine answers, 3 when ``--container`` names none."""
    hub = Hub(HubConfig(interval=args.interval))
    if args.snap_container:
        hub.select(args.snap_container)
    snap = hub.collect_once()
    try:
        json.dump(to_jsonable(snap), sys.stdout, indent=1, sort_keys=False)
        sys.stdout.write("\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if snap.engine is None:
        return 1
    if args.snap_container and not snap.selected:
        print(f"internals-tui: no container called {args.snap_container!r}", file=sys.stderr)
        return 3
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.interval <= 0:
        print("internals-tui: --interval must be > 0", file=sys.stderr)
        return 2
    if args.command == "snapshot":
        return snapshot(args)

    from textual.theme import BUILTIN_THEMES  # noqa: PLC0415 - keep `snapshot` free of Textual start-up

    from tui.app import Config, make_app  # noqa: PLC0415
    from widgets.registry import PANES, find  # noqa: PLC0415
    if args.tab and find(args.tab) is None:
        names = ", ".join(p.PANE_ID for p in PANES)
        print(f"internals-tui: no pane called {args.tab!r} (one of: {names})", file=sys.stderr)
        return 2
    if args.path and not args.container:
        print("internals-tui: --path needs --container (the path is inside that container)", file=sys.stderr)
        return 2
    if args.theme not in BUILTIN_THEMES:
        print(f"internals-tui: no theme called {args.theme!r}; one of: {', '.join(sorted(BUILTIN_THEMES))}",
              file=sys.stderr)
        return 2
    backend: object
    if args.replay:
        from tui.backend.replay import ReplayBackend, load_snapshot  # noqa: PLC0415
        try:
            backend = ReplayBackend([load_snapshot(args.replay)])
        except OSError as exc:
            print(f"internals-tui: cannot read {args.replay}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        except (ValueError, TypeError, KeyError) as exc:
            print(f"internals-tui: {args.replay} is not a snapshot written by "
                  f"`internals-tui snapshot --json` ({exc})", file=sys.stderr)
            return 2
    else:
        backend = Hub(HubConfig(interval=args.interval))
    app = make_app(backend, Config(container=args.container, tab=args.tab,
                                   read_only=args.read_only, theme=args.theme,  # type: ignore[arg-type]
                                   path=args.path or "", walkthrough=args.walkthrough))
    app.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
