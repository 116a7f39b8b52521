"""Soak internals-tui against a real Docker engine under churn, and say whether it held.

A script, not a pytest test (``tests/integration/test_soak.py`` runs its short mode in CI). It
needs root, tmux, the local engine (``tests/engine-up.sh``) and its images.

Usage::

    .venv/bin/python tests/soak.py                      # 30 minutes at N = 100
    .venv/bin/python tests/soak.py --minutes 3 --containers 30 --json

What it does:

1. Starts N containers (the bench's mix: default bridge, a user network, ``--network host``,
   limits, the five-layer image, 2-10 processes each), then the real app in a private tmux
   server (200 columns).
2. Churn, one action a second, in turn: a container created and started, one exec'd into (a
   process that runs a second), a file written in one, one connected to and later disconnected
   from the user network, one stopped, one started again, one removed; every 90 s one OOM-killed (``--memory 8m``,
   ``tail /dev/zero``). The app shows each tab in turn, 10 s each, and a key is sent every 5 s:
   the cursor must move within 2 s.
3. Half-way (after the warm-up at least): dockerd is stopped, the app must say the engine is gone; it is started again
   (``tests/engine-up.sh``), and the list must be back on screen within 1 s of the socket
   answering.
4. Every 10 s it samples the app: RSS, open fds (the cgroup files held open among them, and
   the engine's running containers), threads, inotify watches, netlink sockets and CPU. After the churn and a quiet 15 s, each tab is shown once more: no error may stay on screen.

Pass when: RSS grew ≤ 10 % after warm-up (the first fifth, and at least one round of the tabs); fds
other than the held cgroup files, threads, inotify watches and netlink sockets end where they
were after warm-up (a small slack for the tab then on screen); no more cgroup files are held
than containers run (one each, by design: a ``pread`` instead of an open per sample); every
key answered, the engine restart was seen and filled in within the limit, no error stuck, the app
never exited. The report lists the per-minute curves (RSS, fds, CPU). Exit status 0 when it passed,
1 when a check failed, 2 on a missing prerequisite. Everything it created is removed on exit.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import psutil

import bench

bench.TMUX_SOCKET = "itui-soak"
bench.SESSION = "itui-soak"
HERE = Path(__file__).resolve().parent
SAMPLE_S = 10.0
TAB_S = 10.0
KEY_EVERY_S = 5.0
KEY_LIMIT_S = 2.0
OOM_EVERY_S = 90.0
REFILL_LIMIT_S = 1.0
RSS_GROWTH_MAX = 0.10
SLACK = {"other_fds": 8, "threads": 4, "inotify": 64, "netlink": 2}
"""How far a count may end above its post-warm-up value: the tab on screen at the end holds its
own (the Files tab's watches, a Network tab's netlink socket). The app holds one cgroup file
open per running container, so those are checked against the running containers instead."""
CGROUP_FILE = "/sys/fs/cgroup/"
ERROR_RE = re.compile(r"Traceback|No such (?:container|object)|\b[45]\d\d (?:Client|Server) Error")
"""A source's failure left on screen (an engine 404 for a container that went, a traceback)."""
NO_ENGINE = "No Docker engine"


@dataclass
class Sample:
    t: float
    rss: int
    fds: int
    cgroup_files: int
    """Of ``fds``, the cgroup files held open (one per running container)."""
    live: int
    """Running or paused containers on the engine (-1: it did not answer)."""
    threads: int
    inotify: int
    netlink: int
    cpu_s: float

    @property
    def other_fds(self) -> int:
        return self.fds - self.cgroup_files


@dataclass
class Soak:
    samples: list[Sample] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    action_errors: list[str] = field(default_factory=list)
    keys: list[float] = field(default_factory=list)
    key_misses: int = 0
    restart: dict[str, Any] = field(default_factory=dict)
    stuck_errors: list[str] = field(default_factory=list)


def log(msg: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def live_containers(client: docker.DockerClient) -> int:
    try:
        return len(client.api.containers(filters={"status": ["running", "paused"]}))
    except Exception:  # the engine is being restarted
        return -1


def sample(app: psutil.Process, t: float, live: int) -> Sample:
    """The app's resources: RSS of its tree, fds (and the cgroup files among them), threads,
    inotify watches, netlink sockets, CPU; ``live``: the engine's running containers."""
    fd_dir = f"/proc/{app.pid}/fd"
    fds = os.listdir(fd_dir)
    netlink_inodes = set()
    with open(f"/proc/{app.pid}/net/netlink") as f:
        for line in f.readlines()[1:]:
            netlink_inodes.add(line.split()[-1])
    inotify = netlink = cgroup_files = 0
    for fd in fds:
        try:
            target = os.readlink(f"{fd_dir}/{fd}")
        except OSError:
            continue
        if target == "anon_inode:inotify":
            try:
                with open(f"/proc/{app.pid}/fdinfo/{fd}") as f:
                    inotify += sum(1 for line in f if line.startswith("inotify wd:"))
            except OSError:
                continue
        elif target.startswith("socket:[") and target[8:-1] in netlink_inodes:
            netlink += 1
        elif target.startswith(CGROUP_FILE):
            cgroup_files += 1
    return Sample(t, bench.tree_rss(app), len(fds), cgroup_files, live, app.num_threads(), inotify, netlink,
                  bench.tree_cpu(app))


class Churn:
    """One action a second, in turn, on the soak's own containers (the bench label)."""

    ORDER = ("create", "exec", "write", "connect", "stop", "start", "remove", "disconnect")

    def __init__(self, client: docker.DockerClient, created: list[str]) -> None:
        self.client = client
        self.created = created
        self.n = 0
        self.connected: list[Any] = []
        self.last_oom = time.monotonic()

    def running(self) -> list[Any]:
        return self.client.containers.list(filters={"label": f"{bench.LABEL_KEY}=1", "status": "running"},
                                           ignore_removed=True)

    def step(self, soak: Soak) -> None:
        what = self.ORDER[self.n % len(self.ORDER)]
        self.n += 1
        if time.monotonic() - self.last_oom >= OOM_EVERY_S:
            self.last_oom = time.monotonic()
            what = "oom"
        try:
            self._do(what)
            soak.actions[what] = soak.actions.get(what, 0) + 1
        except (docker.errors.APIError, IndexError) as exc:  # a container that went meanwhile
            soak.action_errors.append(f"{what}: {exc}")

    def _do(self, what: str) -> None:
        running = [c for c in self.running() if c.name.startswith("soak-") or c.id in self.created]
        pick = random.choice(running) if running else None
        if what == "create":
            c = self.client.containers.create(bench.IMAGE, ["sleep", "100000"], name=f"soak-{self.n}",
                                              labels=bench.LABEL)
            self.created.append(c.id)
            c.start()
        elif what == "oom":
            c = self.client.containers.create(bench.IMAGE, ["tail", "/dev/zero"], name=f"soak-oom-{self.n}",
                                              labels=bench.LABEL, mem_limit="8m", memswap_limit="8m")
            self.created.append(c.id)
            c.start()
        elif pick is None:
            raise IndexError("no running soak container")
        elif what == "exec":
            pick.exec_run(["sh", "-c", "sleep 1"], detach=True)
        elif what == "write":
            pick.exec_run(["sh", "-c", f"echo {self.n} > /tmp/soak-{self.n % 5}"], detach=True)
        elif what == "connect":
            if pick.attrs["HostConfig"]["NetworkMode"] not in ("host",) and bench.NETWORK not in \
                    pick.attrs["NetworkSettings"]["Networks"]:
                self.client.networks.get(bench.NETWORK).connect(pick)
                self.connected.append(pick)
        elif what == "disconnect":
            if self.connected:
                c = self.connected.pop(0)
                try:
                    self.client.networks.get(bench.NETWORK).disconnect(c)
                except docker.errors.NotFound:
                    pass
        elif what == "stop":
            pick.stop(timeout=1)
        elif what == "start":
            stopped = self.client.containers.list(all=True, filters={"label": f"{bench.LABEL_KEY}=1",
                                                                     "status": "exited"})
            stopped = [c for c in stopped if not c.name.startswith("soak-oom-")]
            if stopped:
                random.choice(stopped).start()
        elif what == "remove":
            soak_made = [c for c in self.client.containers.list(all=True, filters={"label": f"{bench.LABEL_KEY}=1"})
                         if c.name.startswith("soak-")]
            victim = random.choice(soak_made) if soak_made else pick
            victim.remove(force=True)


def send_key(soak: Soak) -> None:
    """``j`` or ``k``: the cursor highlight must land on the next row within KEY_LIMIT_S."""
    esc = bench.capture(escapes=True)
    bg = bench.cursor_colour(esc)
    move = bench.next_move(esc, bg)
    if move is None:
        return  # the list is being re-sorted as a container comes or goes: try next time
    key, target = move
    t0 = time.monotonic()
    bench.tmux("send-keys", "-t", bench.SESSION, key)
    while time.monotonic() - t0 < KEY_LIMIT_S:
        if any(r.name == target and r.bg == bg for r in bench.table_rows(bench.capture(escapes=True))):
            soak.keys.append(1000 * (time.monotonic() - t0))
            return
        time.sleep(0.01)
    rows_now = {r.name for r in bench.table_rows(bench.capture(escapes=True))}
    if target in rows_now:  # a row that went away in the meantime is no miss
        soak.key_misses += 1


def ping(client: docker.DockerClient) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001 - any failure means not answering
        return False


def restart_engine(client: docker.DockerClient, soak: Soak) -> None:
    """Stop dockerd, see the app say so, start it again, time the list's return."""
    pid = int(Path("/var/run/docker.pid").read_text().strip())
    log(f"stopping dockerd {pid}")
    os.kill(pid, signal.SIGTERM)
    t0 = time.monotonic()
    while psutil.pid_exists(pid) and time.monotonic() - t0 < 60:
        time.sleep(0.1)
    try:
        bench.wait_screen(lambda p: NO_ENGINE in p, timeout=15)
        soak.restart["said_gone"] = True
    except bench.BenchError:
        soak.restart["said_gone"] = False
    log("starting dockerd again (tests/engine-up.sh)")
    proc = subprocess.Popen(["bash", str(HERE / "engine-up.sh")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while not ping(client):
        if proc.poll() not in (None, 0):
            raise bench.BenchError(f"engine-up.sh failed: {proc.stderr.read().decode(errors='replace')[-500:]}")
        time.sleep(0.02)
    answered = time.time_ns()
    try:
        shown = bench.wait_screen(lambda p: NO_ENGINE not in p and bool(bench.table_rows(p)), timeout=30)
        soak.restart["refill_s"] = round((shown - answered) / 1e9, 3)
    except bench.BenchError:
        soak.restart["refill_s"] = None
    proc.wait(timeout=300)
    for c in client.containers.list(all=True, filters={"label": f"{bench.LABEL_KEY}=1", "status": "exited"}):
        try:
            c.start()  # dockerd stopped them; the churn goes on with them
        except docker.errors.APIError:
            pass


def stuck_errors(soak: Soak) -> None:
    """Each tab once more after a quiet spell: an error still on screen has stuck."""
    for i, tab in enumerate(bench.TABS):
        bench.tmux("send-keys", "-t", bench.SESSION, str(i + 1))
        time.sleep(TAB_S / 2)
        for line in bench.capture().splitlines():
            if ERROR_RE.search(line):
                soak.stuck_errors.append(f"{tab}: {line.strip()}")


def per_minute(samples: list[Sample]) -> list[dict[str, Any]]:
    out = []
    prev: Sample | None = None
    for s in samples:
        if prev is None or s.t - prev.t >= 59 or s is samples[-1]:
            cpu = None if prev is None else round(100 * (s.cpu_s - prev.cpu_s) / max(s.t - prev.t, 1e-9), 2)
            out.append({"minute": round(s.t / 60, 1), "rss_mib": bench.mib(s.rss), "fds": s.fds,
                        "cgroup_files": s.cgroup_files, "live": s.live, "threads": s.threads, "inotify": s.inotify, "netlink": s.netlink, "cpu_percent": cpu})
            prev = s
    return out


def verdict(soak: Soak, warm: Sample, refill_limit: float) -> list[str]:
    """What failed (empty: the soak passed)."""
    last = soak.samples[-1]
    bad = []
    growth = (last.rss - warm.rss) / warm.rss
    if growth > RSS_GROWTH_MAX:
        bad.append(f"RSS grew {100 * growth:.1f} % after warm-up ({bench.mib(warm.rss)} → {bench.mib(last.rss)} MiB)")
    for name, slack in SLACK.items():
        if getattr(last, name) > getattr(warm, name) + slack:
            bad.append(f"{name}: {getattr(warm, name)} after warm-up, {getattr(last, name)} at the end")
    if last.live >= 0 and last.cgroup_files > last.live:
        bad.append(f"{last.cgroup_files} cgroup files held open for {last.live} running containers")
    if soak.key_misses:
        bad.append(f"{soak.key_misses} keys not answered within {KEY_LIMIT_S:g} s")
    if not soak.restart.get("said_gone"):
        bad.append("the app did not say the engine was gone")
    refill = soak.restart.get("refill_s")
    if refill is None or refill > refill_limit:
        bad.append(f"after the engine came back the list took {refill} s (limit {refill_limit:g} s)")
    if soak.stuck_errors:
        bad.append(f"errors stuck on screen: {soak.stuck_errors[:3]}")
    return bad


def run(args: argparse.Namespace, client: docker.DockerClient, created: list[str],
        apps: list[psutil.Process]) -> dict[str, Any]:
    soak = Soak()
    bench.remove_labelled(client, 16)
    log(f"starting {args.containers} containers")
    bench.create_containers(client, args.containers, 16, created)
    cli = bench.find_app_cli()
    bench.kill_session()
    pane = bench.start_session(max(60, args.containers + 40), f"{cli} --interval 1")
    apps.append(psutil.Process(pane))
    bench.wait_screen(lambda p: len(bench.table_rows(p)) >= args.containers, timeout=60)
    app = bench.app_process(pane)
    churn = Churn(client, created)
    seconds = args.minutes * 60
    warm_until = max(seconds / 5, TAB_S * len(bench.TABS) + 10)  # every tab shown once
    restart_at = max(seconds / 2, warm_until + 20)
    t0 = time.monotonic()
    next_sample = next_tab = next_key = 0.0
    tab = 0
    restarted = False
    warm: Sample | None = None
    log(f"soak for {args.minutes:g} min (warm-up {warm_until:.0f} s), app pid {app.pid}")
    while (now := time.monotonic() - t0) < seconds:
        if bench.pane_state()[0]:
            raise bench.BenchError("the app exited:\n" + bench.tail(bench.capture()))
        if now >= next_sample:
            soak.samples.append(sample(app, now, live_containers(client)))
            if warm is None and now >= warm_until:
                warm = soak.samples[-1]
            next_sample += SAMPLE_S
        if now >= next_tab:
            bench.tmux("send-keys", "-t", bench.SESSION, str(tab % len(bench.TABS) + 1))
            tab += 1
            next_tab += TAB_S
        if now >= next_key:
            send_key(soak)
            next_key += KEY_EVERY_S
        if not restarted and now >= restart_at:
            restarted = True
            bench.tmux("send-keys", "-t", bench.SESSION, "1")
            restart_engine(client, soak)
            log(f"engine back; the list {soak.restart}")
            continue
        churn.step(soak)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0 - now)))
    log("churn over; a quiet spell, then each tab once more")
    time.sleep(15)
    soak.samples.append(sample(app, time.monotonic() - t0, live_containers(client)))
    stuck_errors(soak)
    assert warm is not None
    failed = verdict(soak, warm, args.refill_limit)
    keys = sorted(soak.keys)
    return {"containers": args.containers, "minutes": args.minutes, "engine": client.version().get("Version"),
            "app_sources": bench.source_digest(), "actions": soak.actions, "action_errors": len(soak.action_errors),
            "keys": {"answered": len(keys), "missed": soak.key_misses,
                     "median_ms": round(keys[len(keys) // 2], 1) if keys else None,
                     "max_ms": round(keys[-1], 1) if keys else None},
            "restart": soak.restart, "stuck_errors": soak.stuck_errors,
            "warm": per_minute([warm])[0], "curve": per_minute(soak.samples),
            "passed": not failed, "failed": failed}


def render(r: dict[str, Any]) -> str:
    lines = [f"internals-tui soak — {r['containers']} containers, {r['minutes']:g} min, Docker {r['engine']}, "
             f"app sources {r['app_sources']}",
             f"actions: {r['actions']} ({r['action_errors']} on containers that went meanwhile)",
             f"keys: {r['keys']}", f"engine restart: {r['restart']}",
             f"after warm-up: {r['warm']}", "",
             f"{'min':>5} {'RSS MiB':>8} {'fds':>5} {'cgroup':>7} {'running':>8} {'threads':>8} {'inotify':>8} "
             f"{'netlink':>8} {'CPU %':>6}"]
    for m in r["curve"]:
        cpu = "-" if m["cpu_percent"] is None else f"{m['cpu_percent']:.2f}"
        lines.append(f"{m['minute']:>5} {m['rss_mib']:>8} {m['fds']:>5} {m['cgroup_files']:>7} {m['live']:>8} "
                     f"{m['threads']:>8} {m['inotify']:>8} {m['netlink']:>8} {cpu:>6}")
    lines.append("(cgroup: of the fds, the cgroup files held open, one per running container; running: "
                 "containers running on the engine)")
    lines += ["", "PASSED" if r["passed"] else "FAILED: " + "; ".join(r["failed"])]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--containers", type=int, default=100, metavar="N")
    p.add_argument("--minutes", type=float, default=30.0, metavar="M")
    p.add_argument("--refill-limit", type=float, default=REFILL_LIMIT_S, metavar="S",
                   help=f"the list back on screen within S s of the engine answering (default {REFILL_LIMIT_S:g})")
    p.add_argument("--json", action="store_true", help="the report as JSON")
    args = p.parse_args(argv)
    if os.geteuid() != 0 or not bench.shutil.which("tmux"):
        print("soak: needs root and tmux", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, bench.on_signal)
    client = docker.DockerClient(base_url="unix:///var/run/docker.sock", timeout=bench.DOCKER_TIMEOUT_S)
    created: list[str] = []
    apps: list[psutil.Process] = []
    rc = 1
    try:
        r = run(args, client, created, apps)
        print(json.dumps(r, indent=1) if args.json else render(r))
        rc = 0 if r["passed"] else 1
    except bench.BenchError as exc:
        print(f"soak: FAILED: {exc}", file=sys.stderr)
    except (KeyboardInterrupt, bench.Interrupted):
        print("soak: interrupted; cleaning up", file=sys.stderr)
        rc = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        bench.stop_app(apps)
        found = client.containers.list(all=True, filters={"label": f"{bench.LABEL_KEY}=1"}, ignore_removed=True)
        bench.remove_ids(client, {c.id for c in found} | set(created), 16)
        bench.remove_network(client)
    return rc


if __name__ == "__main__":
    sys.exit(main())
