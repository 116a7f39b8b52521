"""CPU cost of one refresh of the process sources, on the real host and engine.

A script (pytest does not collect it). Needs root and the local rootful engine with
``itui/mini:latest`` (``tests/engine-up.sh``). Usage::

    .venv/bin/python tests/bench_sources.py [--host-processes 1500] [--runs 30] [--json]

What it measures (CPU time of the collecting thread, ``time.thread_time``, so other threads and
other processes do not count; medians and maxima over ``--runs`` refreshes after a first one):

1. ``processes`` for a container with 10 and one with 200 processes (``sh`` starting
   ``sleep``s): the selected container's tree, chain and runtime lines, as each tick does it.
2. ``cgroup`` (the Cgroups tab) for the same two containers: every file of the container's
   cgroup and the ``/proc/PID/stat`` of each member, as each tick does it; ``host_cgroups``;
   ``network`` (netlink inside the container's namespace and on the host, /proc/PID/net) and
   ``host_network``.
3. ``host_processes`` and ``host_namespaces`` with at least ``--host-processes`` processes on
   the host: it starts ``sleep``s on the host (in their own sessions) until ``/proc`` lists that
   many.
4. ``layers`` for a container of the 5-layer ``itui/layered``; ``files`` for one of ``itui/files``
   with 200 files written (``/``, ``/etc`` and ``/app`` open, ``/etc/passwd`` previewed: the run
   each watch event makes) and ``files_50k`` with its 50 000-entry ``/many`` open.

Everything it starts (containers labelled ``internals-tui.bench=1``, host sleeps) is removed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from typing import Any

import docker

from tui.backend.collect import SourceState
from tui.backend.hub import Hub, HubConfig
from tui.backend.model.fs import FilesRequest
from tui.backend.sources import SOURCES

LABEL = {"internals-tui.bench": "1"}
IMAGE = "itui/mini:latest"


def cpu_ms(fn: Any, runs: int) -> dict[str, float]:
    """First call, then the median and max CPU ms per call over ``runs`` calls."""
    t = time.thread_time()
    fn()
    first = (time.thread_time() - t) * 1000
    costs = []
    for _ in range(runs):
        t = time.thread_time()
        fn()
        costs.append((time.thread_time() - t) * 1000)
        time.sleep(0.05)
    return {"first_ms": round(first, 2), "median_ms": round(statistics.median(costs), 2),
            "max_ms": round(max(costs), 2)}


def tree_cost(client: Any, n: int, runs: int, name: str = "processes") -> dict[str, Any]:
    """Refresh cost of a selected-container source (``processes``, ``cgroup``) for a container
    running ``n`` processes."""
    script = f"i=1; while [ $i -lt {n} ]; do sleep 100000 & i=$((i+1)); done; wait"
    c = client.containers.run(IMAGE, ["sh", "-c", script], detach=True, labels=LABEL,
                              name=f"bench-procs-{n}-{os.getpid()}")
    try:
        deadline = time.monotonic() + 30
        hub = Hub(HubConfig())
        hub.selected = c.id
        while True:
            snap = hub.collect_once(settle=0.1)
            r = snap.result("processes")
            inside = [p for p in r.value.procs if p.role in ("", "init", "exec")] if r and r.value else []
            if len(inside) >= n or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        source = next(s for s in SOURCES if s.name == name)
        ctx = hub._context(frozenset(), None)  # the context a tick gives it
        state = SourceState()
        out = cpu_ms(lambda: source.collect(ctx, state), runs)
        out["processes"] = len(inside)
        return out
    finally:
        c.remove(force=True)


def layers_cost(client: Any, runs: int) -> dict[str, Any]:
    """Refresh cost of the ``layers`` source for a container of the 5-layer test image."""
    c = client.containers.run("itui/layered:latest", ["sleep 100000"], detach=True, labels=LABEL,
                              name=f"bench-layers-{os.getpid()}")
    try:
        hub = Hub(HubConfig())
        hub.selected = c.id
        snap = hub.collect_once(settle=0.1)
        source = next(s for s in SOURCES if s.name == "layers")
        ctx = dataclasses.replace(hub._context(frozenset(), None), api=client.api, engine=snap.engine)  # link closed
        state = SourceState()
        value: list[Any] = []
        out = cpu_ms(lambda: value.append(source.collect(ctx, state)), runs)
        out["layers"] = len(value[-1].layers)
        return out
    finally:
        c.remove(force=True)


def files_cost(client: Any, runs: int, expanded: tuple[str, ...]) -> dict[str, Any]:
    """Refresh cost of the ``files`` source (each watch event or every 2 s) for a container of
    the 6-layer files image with 200 files written, ``expanded`` open and /etc/passwd previewed."""
    script = "mkdir -p /app && i=0; while [ $i -lt 200 ]; do echo $i > /app/f$i; i=$((i+1)); done; sleep 100000"
    c = client.containers.run("itui/files:latest", [script], detach=True, labels=LABEL,
                              name=f"bench-files-{os.getpid()}")
    try:
        deadline = time.monotonic() + 30
        while c.exec_run(["test", "-e", "/app/f199"]).exit_code and time.monotonic() < deadline:
            time.sleep(0.2)
        hub = Hub(HubConfig())
        hub.selected = c.id
        snap = hub.collect_once(settle=0.1)
        source = next(s for s in SOURCES if s.name == "files")
        ctx = dataclasses.replace(hub._context(frozenset(), FilesRequest(c.id, expanded, "/etc/passwd")),
                                  api=client.api, engine=snap.engine)
        state = SourceState()
        value: list[Any] = []
        out = cpu_ms(lambda: value.append(source.collect(ctx, state)), runs)
        out["entries"] = sum(len(d.entries) for d in value[-1].dirs)
        out["changes"] = value[-1].changes_total
        return out
    finally:
        c.remove(force=True)


def host_cost(target: int, runs: int, name: str = "host_processes") -> dict[str, Any]:
    """Refresh cost of a host-wide source (``host_processes``, ``host_namespaces``) with at
    least ``target`` host processes."""
    sleepers: list[subprocess.Popen[bytes]] = []
    try:
        while len([d for d in os.listdir("/proc") if d.isdigit()]) < target:
            sleepers.append(subprocess.Popen(["sleep", "100000"], start_new_session=True))
        hub = Hub(HubConfig())
        hub.collect_once(settle=0.1)
        source = next(s for s in SOURCES if s.name == name)
        ctx = hub._context(frozenset(), None)
        state = SourceState()
        value: list[Any] = []
        out = cpu_ms(lambda: value.append(source.collect(ctx, state)), runs)
        last = value[-1]
        if name == "host_cgroups":
            out["cgroups"], out["listed"] = last.total_nodes, len(last.nodes)
        elif name == "host_network":
            out["links"], out["networks"] = len(last.links), len(last.networks)
        else:
            out["host_processes"] = last.total if name == "host_processes" else last.processes
            out["listed"] = len(last.procs) if name == "host_processes" else len(last.namespaces)
        return out
    finally:
        for p in sleepers:
            try:
                os.kill(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for p in sleepers:
            p.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host-processes", type=int, default=1500)
    p.add_argument("--runs", type=int, default=30)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    client = docker.from_env()
    result = {"tree_10": tree_cost(client, 10, args.runs), "tree_200": tree_cost(client, 200, args.runs),
              "host": host_cost(args.host_processes, args.runs),
              "host_ns": host_cost(args.host_processes, args.runs, "host_namespaces"),
              "cgroup_10": tree_cost(client, 10, args.runs, "cgroup"), "cgroup_200": tree_cost(client, 200, args.runs, "cgroup"),
              "host_cgroups": host_cost(0, args.runs, "host_cgroups"),
              "network_10": tree_cost(client, 10, args.runs, "network"),
              "host_network": host_cost(0, args.runs, "host_network"),
              "layers": layers_cost(client, args.runs),
              "files": files_cost(client, args.runs, ("/", "/etc", "/app")),
              "files_50k": files_cost(client, args.runs, ("/", "/many"))}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        for name, r in result.items():
            print(f"{name:9} " + "  ".join(f"{k} {v}" for k, v in r.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
