"""Benchmark internals-tui against a real Docker engine and print the figures.

This is a script, not a pytest test (the file name has no ``test_`` prefix, so pytest does not
collect it). It needs a local engine (``tests/engine-up.sh``), the image ``itui/mini:latest``,
tmux, and root (to read the engine processes' CPU times).

Usage::

    .venv/bin/python tests/bench.py --containers 50 --seconds 60
    .venv/bin/python tests/bench.py --containers 100 --seconds 20 --json
    .venv/bin/python tests/bench.py --containers 50,100,200 --tab all --peers

Options:

- ``--containers N`` bench containers (default 50); ``50,100,200`` runs the bench at each count.
- ``--plain`` every container ``sleep`` on the default bridge, instead of the mix (the default
  bridge, a user network, ``--network host``, limits, the five-layer image; 2-10 processes each).
- ``--seconds S`` steady-state window (default 60); ``--interval X`` the app's ``--interval``
  (default 1); ``--baseline-seconds B`` idle-engine window (default 30).
- ``--tab NAME`` the tab on screen, whose sources run (overview … events; ``all``: each in turn,
  in one app, the steady window and key figures for each).
- ``--keys K`` key presses for key->repaint (default 20); ``--events E`` start/kill/remove
  rounds (default 10); ``--height H`` terminal rows (default: every container row fits).
- ``--peers`` then the same window for ``docker stats`` and glances 4.5.8 with its containers
  plugin (installed into a throwaway venv), and the ratios of their cost to the app's.
- ``--keep`` leave the bench containers running; ``--json`` the figures as JSON instead of the
  table (progress always goes to stderr).

What it does:

1. Removes leftover containers labelled ``internals-tui.bench=1``, then starts N containers
   ``bench-NN`` from ``itui/mini:latest`` (``sleep 100000``) with that label, in parallel threads.
2. Idle-engine baseline: CPU seconds (user+system) of dockerd + containerd + containerd-shim* over
   ``--baseline-seconds``, as % of one core, with the bench containers running and no app.
3. Starts the real app in a private tmux server (``tmux -L itui-bench``, session ``itui-bench``,
   200 columns, no status line) and polls ``tmux capture-pane -p`` every ~20 ms: time until all N
   names are in the containers table, and until all N rows show a CPU% number (first full frame).
4. After 10 s + 0.1 s per container (start-up: the first inspect of every container), for each tab measured (3 s after
   showing it): steady state for S seconds: app CPU (the pane's process tree) as % of one core, engine CPU
   minus baseline, peak/final app RSS. Then key->repaint: sends ``j`` through ``tmux send-keys``
   and times until the cursor highlight is on the next row, and until the tab's pane names that
   container; in Processes, Network and Files, event -> screen for an exec, a connect, a write. Both include tmux's own latency and the capture-pane polling period.
5. Prints the report, kills the tmux session and removes exactly the containers it created
   (also on Ctrl-C, SIGTERM and errors), unless ``--keep``.

Reading the figures: the engine figures cover the whole engine, so anything else using it at the
same time (other test runs) shows up as "foreign events" in the report and makes them noisy; the
app's CPU also rises with those events. The terminal is 200 columns and at least 60 rows (60 rows
hold 54 table rows); it grows to fit every container row, since rows off screen cannot be checked.
The report's "app sources" hash identifies the app code that was measured.

Exit status: 0 on success, 1 when a measurement failed (e.g. the first full frame did not come
within 30 s, or the app exited), 2 on bad arguments or a missing prerequisite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import queue
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import docker
import docker.errors
import psutil

LABEL_KEY = "internals-tui.bench"
LABEL = {LABEL_KEY: "1"}
IMAGE = "itui/mini:latest"
NAME_PREFIX = "bench-"
TMUX_SOCKET = "itui-bench"
SESSION = "itui-bench"
WIDTH = 200
MIN_HEIGHT = 60
CHROME_ROWS = 6          # header, border top, column header, h-scrollbar, border bottom, footer
FRAME_TIMEOUT_S = 30.0
FRAME_POLL_S = 0.02
KEY_TIMEOUT_S = 5.0
KEY_POLL_S = 0.005
TMUX_TIMEOUT_S = 10.0
DOCKER_TIMEOUT_S = 60
ENGINE_NAMES = ("dockerd", "containerd")
SHIM_PREFIX = "containerd-shim"
LAST_FRAME_FILE = Path("/tmp/itui-bench-last-frame.txt")

GLYPHS = "●○◌‖◐"
ROW_NAME_RE = re.compile(rf"[{GLYPHS}]\s+({re.escape(NAME_PREFIX)}\d+)\b")
ROW_CPU_RE = re.compile(rf"[{GLYPHS}]\s+({re.escape(NAME_PREFIX)}\d+)\s+up \S+\s+(\d+\.\d)\s")
TABLE_ROW_RE = re.compile(rf"^│ [{GLYPHS}] +(\S+)")
OVERVIEW_RE = re.compile(r"(?:Overview|Processes|Namespaces|Cgroups|Network|Layers|Files|Logs) · (\S+)")
"""The visible pane's title names the selected container (every tab but Events)."""
TABS = ("overview", "processes", "namespaces", "cgroups", "network", "layers", "files", "events", "logs")
"""The tabs in order: the key of each is its position (``1``–``9``)."""
TAB_WARMUP_S = 3.0
START_WARMUP_S = 10.0
WARMUP_PER_CONTAINER_S = 0.1
"""Start-up (an inspect of every container, the first samples) before the first window: 30 s at 200."""
LAYERED = "itui/layered:latest"
NETWORK = "itui-bench-net"
MIX = ("bridge", "network", "host", "limits", "layered")
"""What the bench containers are, in turn: on the default bridge, on a user network, with the
host's network, with memory/CPU/PID limits, of the five-layer image; each runs 2-10 processes.
The first one (the one selected) also logs ``TALK_HZ`` lines a second, stdout and stderr in turn,
for the Logs tab."""
TALK_HZ = 10
SGR_RE = re.compile(r"\x1b\[([0-9;:]*)m")
ESC_RE = re.compile(r"\x1b(?:\[[0-9;:?]*[A-Za-z]|\][^\x07]*\x07|[()][A-Za-z0-9])")


class BenchError(Exception):
    """A measurement could not be made; the message says why."""


class Interrupted(BaseException):
    """SIGTERM / SIGHUP: unwind through the ``finally`` blocks like Ctrl-C."""


def source_digest() -> str:
    """Short hash of the app's sources next to this script (the code is edited concurrently, so
    a figure is only comparable with one taken from the same sources)."""
    root = Path(__file__).resolve().parent.parent
    h = hashlib.sha256()
    for sub in ("tui", "widgets"):
        for f in sorted((root / sub).rglob("*")):
            if f.is_file() and f.suffix in (".py", ".tcss"):
                h.update(str(f.relative_to(root)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()[:12]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- containers


def connect_docker(workers: int) -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=DOCKER_TIMEOUT_S, max_pool_size=max(10, workers))
        client.ping()
    except docker.errors.DockerException as exc:
        raise BenchError(f"no Docker engine answers ({exc}); run tests/engine-up.sh") from exc
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound as exc:
        raise BenchError(f"image {IMAGE} is missing; run tests/engine-up.sh") from exc
    return client


def remove_labelled(client: docker.DockerClient, workers: int) -> int:
    """Remove every container carrying the bench label (leftovers of an earlier run)."""
    found = client.containers.list(all=True, filters={"label": f"{LABEL_KEY}=1"}, ignore_removed=True)
    remove_ids(client, [c.id for c in found], workers)
    return len(found)


def remove_ids(client: docker.DockerClient, ids: Iterable[str], workers: int) -> list[str]:
    """Force-remove the given containers in parallel; returns error messages."""
    ids = list(ids)
    errors: list[str] = []
    if not ids:
        return errors

    def rm(cid: str) -> None:
        try:
            client.api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futs = {pool.submit(rm, cid): cid for cid in ids}
        for fut in as_completed(futs):
            try:
                fut.result()
            except Exception as exc:  # noqa: BLE001 - report, keep removing the others
                errors.append(f"{futs[fut][:12]}: {exc}")
    return errors


def container_spec(client: docker.DockerClient, i: int, plain: bool) -> tuple[str, list[str], dict[str, Any]]:
    """Image, command and create options of bench container ``i`` (see MIX; ``plain``: all alike)."""
    if plain:
        return IMAGE, ["sleep", "100000"], {}
    procs = 2 + i % 9
    script = f"i=1; while [ $i -lt {procs} ]; do sleep 100000 & i=$((i+1)); done; exec sleep 100000"
    if i == 0:
        script = (f"(n=0; while :; do echo \"out $n\"; echo \"err $n\" >&2; n=$((n+1)); "
                  f"sleep {2 / TALK_HZ}; done) & " + script)
    kind = MIX[i % len(MIX)]
    hc: dict[str, Any] = {}
    if kind == "network":
        hc["network_mode"] = NETWORK
    elif kind == "host":
        hc["network_mode"] = "host"
    elif kind == "limits":
        hc.update(mem_limit="64m", nano_cpus=500_000_000, pids_limit=50)
    if kind == "layered":  # its entrypoint is sh -c
        return LAYERED, [script], {"host_config": client.api.create_host_config(**hc)}
    return IMAGE, ["sh", "-c", script], {"host_config": client.api.create_host_config(**hc)}


def ensure_network(client: docker.DockerClient) -> None:
    if not client.networks.list(names=[NETWORK]):
        client.networks.create(NETWORK, labels=LABEL)


def remove_network(client: docker.DockerClient) -> None:
    for net in client.networks.list(names=[NETWORK], filters={"label": f"{LABEL_KEY}=1"}):
        try:
            net.remove()
        except docker.errors.APIError as exc:
            log(f"could not remove network {NETWORK}: {exc}")


def create_containers(client: docker.DockerClient, n: int, workers: int,
                      created: list[str], plain: bool = False) -> list[str]:
    """Start N bench containers in parallel; every created ID is appended to ``created`` at once
    (so the caller's ``finally`` can remove them even when this is interrupted)."""
    width = max(2, len(str(n - 1)))
    names = [f"{NAME_PREFIX}{i:0{width}d}" for i in range(n)]
    lock = threading.Lock()
    stop = threading.Event()

    if not plain:
        ensure_network(client)

    def make(i: int, name: str) -> None:
        if stop.is_set():
            return
        image, command, kw = container_spec(client, i, plain)
        c = client.api.create_container(image, command, name=name, labels=LABEL, **kw)
        with lock:
            created.append(c["Id"])
        if stop.is_set():
            return
        client.api.start(c["Id"])

    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futs = [pool.submit(make, i, name) for i, name in enumerate(names)]
        errors = []
        for fut in as_completed(futs):
            try:
                fut.result()
            except docker.errors.APIError as exc:
                errors.append(str(exc))
        if errors:
            raise BenchError(f"{len(errors)} of {n} containers failed to start; first: {errors[0]}")
    finally:
        stop.set()
        pool.shutdown(wait=True, cancel_futures=True)
    return names


# ---------------------------------------------------------------- CPU accounting


def proc_cpu(p: psutil.Process) -> float:
    t = p.cpu_times()
    return t.user + t.system


def engine_processes() -> list[psutil.Process]:
    out = []
    for p in psutil.process_iter(["name"]):
        name = p.info["name"] or ""
        if name in ENGINE_NAMES or name.startswith(SHIM_PREFIX):
            out.append(p)
    return out


def cpu_table(procs: Iterable[psutil.Process]) -> dict[tuple[int, float], float]:
    """CPU seconds per process, keyed by (pid, create time) so a reused PID is not confused."""
    table = {}
    for p in procs:
        try:
            with p.oneshot():
                table[(p.pid, p.create_time())] = proc_cpu(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return table


def cpu_delta(before: dict[tuple[int, float], float], after: dict[tuple[int, float], float]) -> float:
    """CPU seconds used between two tables: processes that appeared count from zero; those that
    vanished in between are lost (their time cannot be read any more)."""
    return sum(t - before.get(key, 0.0) for key, t in after.items())


@dataclass
class EngineWindow:
    seconds: float
    cpu_s: float
    processes: int
    appeared: int
    vanished: int

    @property
    def percent(self) -> float:
        return 100.0 * self.cpu_s / self.seconds if self.seconds > 0 else 0.0


def engine_window_start() -> tuple[float, dict[tuple[int, float], float]]:
    return time.monotonic(), cpu_table(engine_processes())


def engine_window_end(start: tuple[float, dict[tuple[int, float], float]]) -> EngineWindow:
    t0, before = start
    after = cpu_table(engine_processes())
    seconds = time.monotonic() - t0
    return EngineWindow(seconds, cpu_delta(before, after), len(after),
                        len(after.keys() - before.keys()), len(before.keys() - after.keys()))


def foreign_events(client: docker.DockerClient, since: float, until: float,
                   ours: set[str]) -> int:
    """Docker events in [since, until] not about the bench containers: other activity on the
    engine (someone else's tests) that makes the engine figures noisy."""
    try:
        stream = client.api.events(since=int(since), until=int(until) + 1, decode=True)
        n = 0
        for ev in stream:
            t = ev.get("timeNano", 0) / 1e9 or ev.get("time", 0)
            if since <= t <= until + 1 and ev.get("id") not in ours:
                n += 1
        return n
    except docker.errors.DockerException:
        return -1


# ---------------------------------------------------------------- tmux


def tmux(*args: str, check: bool = True) -> str:
    """Run tmux on the private socket; the server (and the app in it) gets this environment
    without COLUMNS/LINES, which would make the app ignore the pane's size (pytest sets them)."""
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    res = subprocess.run(["tmux", "-L", TMUX_SOCKET, "-f", "/dev/null", *args], env=env,
                         capture_output=True, text=True, timeout=TMUX_TIMEOUT_S, check=False)
    if check and res.returncode != 0:
        raise BenchError(f"tmux {' '.join(args[:2])} failed: {res.stderr.strip() or res.returncode}")
    return res.stdout


def start_session(height: int, cmd: str) -> int:
    """Run ``cmd`` in a fresh tmux pane WIDTH x height (no status line); its pane PID."""
    tmux("start-server", ";", "set-option", "-g", "remain-on-exit", "on", ";",
         "set-option", "-g", "status", "off", ";",
         "new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(height), cmd)
    return int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())


def kill_session() -> None:
    try:
        tmux("kill-session", "-t", SESSION, check=False)
    except subprocess.TimeoutExpired:
        pass


def capture(escapes: bool = False) -> str:
    args = ["capture-pane", "-p", "-t", SESSION]
    if escapes:
        args.insert(2, "-e")
    return tmux(*args)


def pane_state() -> tuple[bool, str]:
    out = tmux("display-message", "-p", "-t", SESSION, "#{pane_dead} #{pane_dead_status}", check=False)
    dead, _, status = out.strip().partition(" ")
    return dead == "1", status


def find_app_cli() -> str:
    here = Path(sys.executable).parent / "internals-tui"
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    found = shutil.which("internals-tui")
    if not found:
        raise BenchError("internals-tui not found next to this Python nor on PATH "
                         "(pip install -e . in the venv)")
    return found


def app_process(pane_pid: int) -> psutil.Process:
    """The Python process running internals-tui in the pane (the pane process or a descendant)."""
    root = psutil.Process(pane_pid)
    for p in [root, *root.children(recursive=True)]:
        try:
            cmd = " ".join(p.cmdline())
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if "internals-tui" in cmd and "python" in (p.name() + cmd).lower():
            return p
    return root


def tree_cpu(p: psutil.Process) -> float:
    """User+system seconds of the app process, its live children and its reaped children."""
    with p.oneshot():
        t = p.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
    for c in p.children(recursive=True):
        try:
            total += proc_cpu(c)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def tree_rss(p: psutil.Process) -> int:
    total = p.memory_info().rss
    for c in p.children(recursive=True):
        try:
            total += c.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


# ---------------------------------------------------------------- screen parsing


def strip_escapes(s: str) -> str:
    return ESC_RE.sub("", s)


def rows_with_names(plain: str) -> set[str]:
    return {m.group(1) for line in plain.splitlines() for m in ROW_NAME_RE.finditer(line)}


def rows_with_cpu(plain: str) -> set[str]:
    return {m.group(1) for line in plain.splitlines() for m in ROW_CPU_RE.finditer(line)}


def _apply_sgr(params: str, bg: str | None) -> str | None:
    """Follow the background colour through one SGR sequence."""
    parts = [p for p in re.split("[;:]", params)] if params else ["0"]
    i = 0
    while i < len(parts):
        p = parts[i]
        code = int(p) if p.isdigit() else 0
        if code in (38, 48, 58):
            sub = parts[i + 1] if i + 1 < len(parts) else ""
            n = 3 if sub == "5" else 5 if sub == "2" else 1
            if code == 48:
                bg = ";".join(parts[i:i + n])
            i += n
        elif code == 0:
            bg = None
        elif code == 49:
            bg = None
        elif 40 <= code <= 47 or 100 <= code <= 107:
            bg = p
        i += 1
    return bg


@dataclass
class Row:
    name: str
    bg: str | None          # background colour of the name's first cell


def table_rows(escaped: str) -> list[Row]:
    """The table rows in screen order with the background of their name cell. tmux carries the
    SGR state across lines in ``capture-pane -e``, so the state is followed through the whole
    capture."""
    rows: list[Row] = []
    bg: str | None = None
    for line in escaped.split("\n"):
        plain_chars: list[str] = []
        bgs: list[str | None] = []
        pos = 0
        for m in SGR_RE.finditer(line):
            chunk = strip_escapes(line[pos:m.start()])
            plain_chars.extend(chunk)
            bgs.extend([bg] * len(chunk))
            bg = _apply_sgr(m.group(1), bg)
            pos = m.end()
        chunk = strip_escapes(line[pos:])
        plain_chars.extend(chunk)
        bgs.extend([bg] * len(chunk))
        plain = "".join(plain_chars)
        m = TABLE_ROW_RE.match(plain)
        if m:
            rows.append(Row(m.group(1), bgs[m.start(1)] if m.start(1) < len(bgs) else None))
    return rows


def overview_name(plain: str) -> str | None:
    m = OVERVIEW_RE.search(plain)
    return m.group(1) if m else None


# ---------------------------------------------------------------- measurements


@dataclass
class FrameTimes:
    names_s: float | None = None
    full_s: float | None = None
    first_paint_s: float | None = None
    polls: int = 0
    capture_ms: list[float] = field(default_factory=list)


def wait_first_frame(names: list[str], t0: float, timeout: float) -> FrameTimes:
    want = set(names)
    ft = FrameTimes()
    deadline = t0 + timeout
    plain = ""
    while True:
        now = time.perf_counter()
        if now > deadline:
            break
        c0 = time.perf_counter()
        try:
            plain = capture()
        except (BenchError, subprocess.TimeoutExpired):
            plain = ""
        t = time.perf_counter()
        ft.capture_ms.append(1000 * (t - c0))
        ft.polls += 1
        if ft.first_paint_s is None and plain.strip():
            ft.first_paint_s = t - t0
        if ft.names_s is None and want <= rows_with_names(plain):
            ft.names_s = t - t0
        if ft.names_s is not None and want <= rows_with_cpu(plain):
            ft.full_s = t - t0
            return ft
        if ft.polls % 25 == 0:
            dead, status = pane_state()
            if dead:
                raise BenchError(f"the app exited (status {status}) before the first full frame:\n"
                                 + tail(capture()))
        time.sleep(max(0.0, FRAME_POLL_S - (time.perf_counter() - now)))
    have_names = len(want & rows_with_names(plain))
    have_cpu = len(want & rows_with_cpu(plain))
    raise BenchError(
        f"no full frame within {timeout:.0f} s: {have_names}/{len(want)} names and "
        f"{have_cpu}/{len(want)} CPU% values on screen (is the terminal tall enough?). "
        f"Last capture:\n{tail(plain)}")


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


@dataclass
class Steady:
    seconds: float
    app_cpu_s: float
    engine: EngineWindow
    rss_start: int
    rss_peak: int
    rss_final: int
    samples: int
    rss_timeline: list[tuple[float, int]]

    def growth_mib_per_min(self) -> float | None:
        """RSS slope over the second half of the window (least squares), MiB per minute."""
        pts = [(t, r) for t, r in self.rss_timeline if t >= self.seconds / 2]
        if len(pts) < 3:
            return None
        mt = sum(t for t, _ in pts) / len(pts)
        mr = sum(r for _, r in pts) / len(pts)
        den = sum((t - mt) ** 2 for t, _ in pts)
        if den == 0:
            return None
        return sum((t - mt) * (r - mr) for t, r in pts) / den * 60 / 2**20


def measure_steady(app: psutil.Process, seconds: float, sample_s: float = 0.5) -> Steady:
    eng0 = engine_window_start()
    t0 = time.monotonic()
    cpu0 = tree_cpu(app)
    rss0 = peak = tree_rss(app)
    samples = 1
    timeline = [(0.0, rss0)]
    deadline = t0 + seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        time.sleep(min(sample_s, left))
        if not app.is_running():
            raise BenchError("the app exited during the steady-state window:\n" + tail(capture()))
        rss = tree_rss(app)
        timeline.append((time.monotonic() - t0, rss))
        peak = max(peak, rss)
        samples += 1
    cpu1 = tree_cpu(app)
    elapsed = time.monotonic() - t0
    eng = engine_window_end(eng0)
    final = tree_rss(app)
    timeline.append((elapsed, final))
    return Steady(elapsed, cpu1 - cpu0, eng, rss0, max(peak, final), final, samples + 1, timeline)


@dataclass
class KeyTimes:
    cursor_ms: list[float] = field(default_factory=list)
    overview_ms: list[float] = field(default_factory=list)
    timeouts: int = 0
    capture_ms: list[float] = field(default_factory=list)
    send_ms: list[float] = field(default_factory=list)


def same_name(shown: str | None, target: str) -> bool:
    """A table cell may truncate a long name with an ellipsis."""
    if shown is None:
        return False
    return shown == target or (target.endswith("…") and shown.startswith(target[:-1]))


def cursor_colour(esc: str) -> str | None:
    """The background of the cursor row: the row the Overview pane shows, whose colour no other
    row has."""
    rows = table_rows(esc)
    selected = overview_name(strip_escapes(esc))
    counts: dict[str | None, int] = {}
    for r in rows:
        counts[r.bg] = counts.get(r.bg, 0) + 1
    mine = [r.bg for r in rows if same_name(selected, r.name) and counts[r.bg] == 1]
    if len(mine) == 1:
        return mine[0]
    unique = [bg for bg, n in counts.items() if n == 1]
    if len(rows) >= 3 and len(unique) == 1:
        return unique[0]
    raise BenchError(f"cannot tell the cursor row by its colour (Overview shows {selected!r}, "
                     f"{len(rows)} rows, colours {counts})")


def next_move(esc: str, cursor_bg: str | None) -> tuple[str, str] | None:
    """The key that moves the list's cursor and the row it lands on: ``j`` to the next row
    (``k`` at the bottom); None while no single row looks selected."""
    rows = table_rows(esc)
    names = [r.name for r in rows]
    cur = [r.name for r in rows if r.bg == cursor_bg]
    if len(cur) != 1 or len(names) < 2:
        return None
    i = names.index(cur[0])
    return ("j", names[i + 1]) if i + 1 < len(names) else ("k", names[i - 1])


def measure_keys(presses: int, pane: bool = True) -> KeyTimes:
    """Send ``j`` (``k`` at the bottom) and time the cursor highlight and the pane on screen
    naming the new container (``pane``: its title does; the Events tab's does not)."""
    kt = KeyTimes()
    cursor_bg = cursor_colour(capture(escapes=True))
    unclear = 0
    while len(kt.send_ms) < presses:
        move = next_move(capture(escapes=True), cursor_bg)
        if move is None:
            unclear += 1          # e.g. the table is being re-sorted as a container comes or goes
            if unclear > 50:
                raise BenchError("no single row looks selected, 50 times in a row")
            time.sleep(0.1)
            continue
        unclear = 0
        key, target = move
        t0 = time.perf_counter()
        tmux("send-keys", "-t", SESSION, key)
        kt.send_ms.append(1000 * (time.perf_counter() - t0))
        got_cursor = got_overview = None
        while time.perf_counter() - t0 < KEY_TIMEOUT_S:
            c0 = time.perf_counter()
            esc = capture(escapes=True)
            t = time.perf_counter()
            kt.capture_ms.append(1000 * (t - c0))
            if got_cursor is None and any(r.name == target and r.bg == cursor_bg for r in table_rows(esc)):
                got_cursor = t - t0
            if pane and got_overview is None and same_name(overview_name(strip_escapes(esc)), target):
                got_overview = t - t0
            if got_cursor is not None and (got_overview is not None or not pane):
                break
            time.sleep(KEY_POLL_S)
        if got_cursor is None or (pane and got_overview is None):
            kt.timeouts += 1
        if got_cursor is not None:
            kt.cursor_ms.append(1000 * got_cursor)
        if got_overview is not None:
            kt.overview_ms.append(1000 * got_overview)
        time.sleep(random.uniform(0.15, 0.35))   # do not lock step with the refresh ticks
    return kt


# ---------------------------------------------------------------- report


def row_state(plain: str, name: str) -> str | None:
    """The STATE cell of ``name``'s row on screen (``up 3s``, ``exited (137)``), or None."""
    m = re.search(rf"[●○‖◐◌] {re.escape(name)}\s+(up \S+|exited(?: \(\d+\))?|created|paused\S*)", plain)
    return m.group(1) if m else None


def wait_event(q: queue.Queue[dict[str, Any]], cid: str, action: str, timeout: float = 10.0) -> int:
    """timeNano of ``action`` (or an action it begins: ``exec_start: …``) for object ``cid``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            ev = q.get(timeout=max(0.01, end - time.monotonic()))
        except queue.Empty:
            break
        if (ev.get("Action") or "").startswith(action) and (ev.get("Actor") or {}).get("ID") == cid:
            return int(ev["timeNano"])
    raise BenchError(f"no {action} event for {cid[:12]} within {timeout} s")


def wait_screen(pred: Any, timeout: float = 10.0, what: str = "the change") -> int:
    """Wall-clock ns of the first capture for which ``pred(plain)`` holds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        plain = capture()
        now = time.time_ns()
        if pred(plain):
            return now
        time.sleep(KEY_POLL_S)
    raise BenchError(f"{what} did not show on screen within {timeout} s:\n{capture()}")


def measure_events(client: docker.DockerClient, rounds: int, created: list[str]) -> dict[str, Any]:
    """Docker event -> on screen: a container started, killed and removed, ``rounds`` times.

    From the event's ``timeNano`` (the daemon's clock, this machine's) to the first capture that
    shows the change: the row appears as ``up``, turns ``exited (137)``, and vanishes."""
    q: queue.Queue[dict[str, Any]] = queue.Queue()
    stream = client.events(decode=True, filters={"type": ["container"], "label": [f"{LABEL_KEY}=1"]})
    threading.Thread(target=lambda: [q.put(ev) for ev in stream], daemon=True).start()
    out: dict[str, list[float]] = {"start": [], "die": [], "destroy": []}
    try:
        for i in range(rounds):
            name = f"bench-ev-{i:02d}"
            c = client.containers.create(IMAGE, "sleep 100000", name=name, labels=LABEL)
            created.append(c.id)
            c.start()
            t = wait_event(q, c.id, "start")
            out["start"].append((wait_screen(lambda p: (row_state(p, name) or "").startswith("up")) - t) / 1e6)
            c.kill()
            t = wait_event(q, c.id, "die")
            out["die"].append((wait_screen(lambda p: (row_state(p, name) or "").startswith("exited")) - t) / 1e6)
            c.remove()
            t = wait_event(q, c.id, "destroy")
            out["destroy"].append((wait_screen(lambda p: row_state(p, name) is None) - t) / 1e6)
            time.sleep(0.3)
    finally:
        stream.close()
    return {k: stats(v) for k, v in out.items()}


PANE_EVENTS = {"processes": "a process exec'd", "network": "a network connected", "files": "a file written"}


def measure_pane_events(client: docker.DockerClient, tab: str, first: str, rounds: int) -> dict[str, Any]:
    """Event -> on screen in the tab that shows it, on the first bench container (``g`` puts the
    cursor there; it is on the default bridge): an exec'd process appears in Processes, a veth
    pair in Network after ``docker network connect``, a new file in Files' root. From the
    engine's event (``exec_start``, ``connect``) to the first capture that shows it."""
    tmux("send-keys", "-t", SESSION, "g")
    wait_screen(lambda p: same_name(overview_name(p), first), what=f"{first} selected")
    c = client.containers.get(first)
    q: queue.Queue[dict[str, Any]] = queue.Queue()
    stream = client.events(decode=True, filters={"type": ["container", "network"]})
    threading.Thread(target=lambda: [q.put(ev) for ev in stream], daemon=True).start()
    out: list[float] = []
    net = client.networks.get(NETWORK) if tab == "network" else None
    try:
        for i in range(rounds):
            marker = f"{424200 + i}"
            if tab == "network":
                assert net is not None
                # a veth pair per network (the new interface's name grows each time: eth1, eth2 …)
                links = len(c.attrs["NetworkSettings"]["Networks"])
                wait_screen(lambda p: p.count("⇄ veth") == links, what=f"{links} veth pairs")
                net.connect(c)
                t = wait_event(q, net.id, "connect")
                out.append((wait_screen(lambda p: p.count("⇄ veth") > links, what="a new veth") - t) / 1e6)
                net.disconnect(c)
                wait_screen(lambda p: p.count("⇄ veth") == links, what="the veth gone")
            else:
                if tab == "processes":  # gone by itself in 30 s
                    cmd = ["sleep", f"{30 + i}.4242"]
                    marker = " ".join(cmd)
                else:
                    cmd, marker = ["touch", f"/bench-file-{marker}"], f"bench-file-{marker}"
                c.exec_run(cmd, detach=True)
                t = wait_event(q, c.id, "exec_start")
                out.append((wait_screen(lambda p: marker in p) - t) / 1e6)
            time.sleep(0.3)
    finally:
        stream.close()
    return {"what": PANE_EVENTS[tab], **stats(out)}


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def stats(xs: list[float]) -> dict[str, Any]:
    if not xs:
        return {"n": 0}
    return {"n": len(xs), "median": round(statistics.median(xs), 1), "p90": round(pct(xs, 0.9) or 0, 1),
            "max": round(max(xs), 1), "min": round(min(xs), 1)}


def mib(b: int) -> float:
    return round(b / 2**20, 1)


def render(r: dict[str, Any]) -> str:
    f = r["first_frame"]
    s = r["steady"]
    k = r["keys"]
    lines = [
        "",
        f"internals-tui benchmark — {r['containers']} bench containers "
        f"({r['mix']}; +{r['other_containers']} other) · --interval {r['interval']} · --tab {r.get('tab', 'overview')} · "
        f"terminal {r['terminal']} · {r['cpus']} CPUs · Docker {r['engine_version']} · "
        f"app sources {r['app_sources']}",
        "",
        f"{'measure':<44} {'value':>14}   notes",
        f"{'-' * 44} {'-' * 14}   {'-' * 40}",
    ]

    def row(name: str, value: str, note: str = "") -> None:
        lines.append(f"{name:<44} {value:>14}   {note}")

    row("create containers", f"{r['create_s']:.1f} s", f"{r['containers']} in parallel")
    b = r["baseline"]
    row("engine idle baseline", f"{b['percent']:.2f} %",
        f"of one core, over {b['seconds']:.1f} s, {b['processes']} processes, "
        f"{b['foreign_events']} foreign events")
    row("first paint (any text)", fmt_s(f["first_paint_s"]), "from just before `tmux new-session`")
    row(f"all {r['containers']} names listed", fmt_s(f["names_s"]))
    row(f"first full frame (all {r['containers']} CPU%)", fmt_s(f["full_s"]),
        f"capture-pane polled every {FRAME_POLL_S * 1000:.0f} ms "
        f"(one capture {f['capture_ms']['median']} ms median)")
    row("app CPU", f"{s['app_cpu_percent']:.2f} %",
        f"of one core over {s['seconds']:.1f} s ({s['app_cpu_s']:.2f} CPU-s)")
    row("engine CPU in window", f"{s['engine_percent']:.2f} %",
        f"{s['engine_processes']} processes, {s['foreign_events']} foreign events")
    row("extra engine CPU (window - baseline)", f"{s['engine_extra_percent']:+.2f} %",
        "noisy if other containers/tests are busy")
    row("app RSS start / peak / final", f"{s['rss_start_mib']}/{s['rss_peak_mib']}/{s['rss_final_mib']}",
        f"MiB, {s['rss_samples']} samples")
    g = s["rss_growth_mib_per_min_2nd_half"]
    row("app RSS growth, 2nd half of window", "-" if g is None else f"{g:+.1f} MiB/min",
        "least-squares slope")
    if s["rows_without_cpu_at_end"]:
        row("rows without CPU% at the end", str(len(s["rows_without_cpu_at_end"])),
            ", ".join(s["rows_without_cpu_at_end"][:5]))
    if k.get("skipped"):
        row("key -> repaint", "skipped")
    else:
        c, o = k["cursor_ms"], k["overview_ms"]
        row("key j -> cursor repainted (median/max)", f"{c.get('median', '-')}/{c.get('max', '-')} ms",
            f"{c['n']} presses, p90 {c.get('p90', '-')} ms, {k['timeouts']} timeouts")
        row("key j -> Overview shows row (median/max)", f"{o.get('median', '-')}/{o.get('max', '-')} ms",
            f"p90 {o.get('p90', '-')} ms")
        lines.append(
            f"  (key latency includes `tmux send-keys` ~{k['send_ms'].get('median', '-')} ms and "
            f"capture-pane polling: one capture ~{k['capture_ms'].get('median', '-')} ms + "
            f"{KEY_POLL_S * 1000:.0f} ms sleep, so up to ~"
            f"{round((k['capture_ms'].get('p90') or 0) + KEY_POLL_S * 1000, 1)} ms of each figure is "
            "measurement overhead)")
    ev = r.get("events")
    if ev:
        for action, what in (("start", "row appears, up"), ("die", "row shows exited"),
                             ("destroy", "row vanishes")):
            e = ev[action]
            row(f"event {action} -> {what} (median/max)", f"{e.get('median', '-')}/{e.get('max', '-')} ms",
                f"{e['n']} rounds, {ev.get('tab', 'overview')} tab; from timeNano, with capture polling")
    tabs = r.get("tabs") or {}
    if len(tabs) > 1:
        lines += ["", f"{'tab on screen':<14} {'app CPU':>8} {'+ engine':>9} {'RSS peak':>9} {'key→cursor':>11} "
                  f"{'key→pane':>9}   (medians, ms; the list plus that tab)"]
        for tab, t in tabs.items():
            ts, tk = t["steady"], t["keys"]
            lines.append(f"{tab:<14} {ts['app_cpu_percent']:>7.2f}% {ts['engine_extra_percent']:>+8.2f}% "
                         f"{ts['rss_peak_mib']:>7}Mi {tk.get('cursor_ms', {}).get('median', '-'):>11} "
                         f"{tk.get('overview_ms', {}).get('median', '-'):>9}")

    for tab, t in tabs.items():
        if "pane_events" in t:
            e = t["pane_events"]
            row(f"{tab}: {e['what']} (median/max)", f"{e.get('median', '-')}/{e.get('max', '-')} ms",
                f"{e['n']} rounds, from the engine's event to the first capture showing it")
    lines.append(f"  last frame saved to {LAST_FRAME_FILE}")
    peers = r.get("peers")
    if peers:
        def total(st: dict[str, Any]) -> float:
            return st["app_cpu_percent"] + max(st["engine_extra_percent"], 0.0)

        worst = max(tabs or {r["tab"]: r}, key=lambda t: total((tabs or {t: r})[t]["steady"]))
        w = (tabs or {worst: r})[worst]["steady"]
        ours = total(w)
        lines += ["", f"{'tool':<14} {'tool CPU':>9} {'+ engine':>9} {'total':>8} {'RSS MiB':>8} {'threads':>8}"
                  f"   total vs internals-tui ({worst}, the costliest tab measured)"]
        lines.append(f"{'internals-tui':<14} {w['app_cpu_percent']:>8.2f}% {w['engine_extra_percent']:>+8.2f}% "
                     f"{ours:>7.2f}% {w['rss_peak_mib']:>8} {'':>8}   1×")
        for name, p in peers.items():
            theirs = p["cpu_percent"] + max(p["engine_extra_percent"], 0.0)
            lines.append(f"{name:<14} {p['cpu_percent']:>8.2f}% {p['engine_extra_percent']:>+8.2f}% {theirs:>7.2f}% "
                         f"{p['rss_peak_mib']:>8} {p['threads']:>8}   " + (f"{theirs / ours:.1f}×" if ours > 0 else "-"))
    return "\n".join(lines)


def fmt_s(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f} s"


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--containers", default="50", metavar="N[,N…]",
                   help="bench containers to run (default 50); a list (50,100,200) runs the bench at each")
    p.add_argument("--seconds", type=float, default=60.0, metavar="S",
                   help="steady-state window (default 60)")
    p.add_argument("--interval", type=float, default=1.0, metavar="X",
                   help="the app's --interval (default 1)")
    p.add_argument("--baseline-seconds", type=float, default=30.0, metavar="B",
                   help="idle-engine window (default 30; the engine's idle burn is bursty)")
    p.add_argument("--keys", type=int, default=20, metavar="K", help="key presses (default 20, 0 skips)")
    p.add_argument("--height", type=int, default=0, metavar="H",
                   help="terminal rows (default: enough for every container row, at least 60)")
    p.add_argument("--events", type=int, default=10, metavar="E",
                   help="start/kill/remove rounds for event -> screen (default 10, 0 skips)")
    p.add_argument("--tab", default="overview", choices=(*TABS, "all"),
                   help="the tab on screen while measuring (default overview; all: each in turn)")
    p.add_argument("--plain", action="store_true",
                   help="every container alike (sleep on the default bridge) instead of the mix")
    p.add_argument("--peers", action="store_true",
                   help="then measure `docker stats` and glances on the same containers, the same way")
    p.add_argument("--keep", action="store_true", help="leave the bench containers running")
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = p.parse_args(argv)
    try:
        args.counts = [int(n) for n in args.containers.split(",")]
    except ValueError:
        p.error("--containers takes a number or a comma-separated list of numbers")
    args.containers = args.counts[0]
    if min(args.counts) < 2 or args.seconds <= 0 or args.interval <= 0 or args.baseline_seconds <= 0:
        p.error("need --containers >= 2 and positive --seconds, --interval, --baseline-seconds")
    return args


def on_signal(signum: int, _frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


def run(args: argparse.Namespace, client: docker.DockerClient, created: list[str],
        apps: list[psutil.Process]) -> dict[str, Any]:
    workers = min(16, args.containers)
    result: dict[str, Any] = {"containers": args.containers, "interval": args.interval, "tab": args.tab,
                              "mix": "plain" if args.plain else "/".join(MIX),
                              "cpus": psutil.cpu_count(), "engine_version": client.version().get("Version"),
                              "app_sources": source_digest()}

    n_old = remove_labelled(client, workers)
    if n_old:
        log(f"removed {n_old} leftover bench containers")
    log(f"starting {args.containers} containers from {IMAGE}")
    t = time.monotonic()
    names = create_containers(client, args.containers, workers, created, args.plain)
    result["create_s"] = round(time.monotonic() - t, 2)
    others = [c for c in client.containers.list(all=True, ignore_removed=True) if c.id not in set(created)]
    result["other_containers"] = len(others)

    time.sleep(2.0)  # let the engine settle after the burst of starts
    log(f"idle-engine baseline for {args.baseline_seconds:.0f} s")
    wall0 = time.time()
    base = engine_window_end_after(args.baseline_seconds)
    result["baseline"] = {"seconds": round(base.seconds, 2), "cpu_s": round(base.cpu_s, 3),
                          "percent": round(base.percent, 2), "processes": base.processes,
                          "foreign_events": foreign_events(client, wall0, time.time(), set(created))}

    height = args.height or max(MIN_HEIGHT, args.containers + len(others) + CHROME_ROWS + 10)
    result["terminal"] = f"{WIDTH}x{height}"
    cli = find_app_cli()
    tabs = TABS if args.tab == "all" else (args.tab,)
    cmd = f"{cli} --interval {args.interval:g} --tab {tabs[0]}"
    kill_session()
    log(f"starting `{cmd}` in tmux ({WIDTH}x{height})")
    t0 = time.perf_counter()
    pane_pid = start_session(height, cmd)
    apps.append(psutil.Process(pane_pid))
    frame = wait_first_frame(names, t0, FRAME_TIMEOUT_S)
    log(f"first full frame after {frame.full_s:.2f} s (names after {frame.names_s:.2f} s)")
    result["first_frame"] = {"first_paint_s": round3(frame.first_paint_s), "names_s": round3(frame.names_s),
                             "full_s": round3(frame.full_s), "polls": frame.polls,
                             "capture_ms": stats(frame.capture_ms)}
    app = app_process(pane_pid)
    if app.pid != pane_pid:
        apps.append(app)
    result["app_pid"] = app.pid
    result["app_cmdline"] = " ".join(app.cmdline())

    result["tabs"] = {}
    time.sleep(START_WARMUP_S + WARMUP_PER_CONTAINER_S * args.containers)  # start-up is not steady state
    for i, tab in enumerate(tabs):
        if i:
            tmux("send-keys", "-t", SESSION, str(TABS.index(tab) + 1))
            time.sleep(TAB_WARMUP_S)
        result["tabs"][tab] = measure_tab(args, app, client, created, base, names, tab)
    result.update(result["tabs"][tabs[0]])
    if args.events > 0:
        if len(tabs) > 1:  # the list's events are measured beside the first tab, as a user starts
            tmux("send-keys", "-t", SESSION, str(TABS.index(tabs[0]) + 1))
            time.sleep(TAB_WARMUP_S)
        log(f"event -> screen, {args.events} start/kill/remove rounds, {tabs[0]} tab visible")
        result["events"] = measure_events(client, args.events, created)
        result["events"]["tab"] = tabs[0]
    final = capture()
    LAST_FRAME_FILE.write_text(final)
    dead, status = pane_state()
    if dead:
        raise BenchError(f"the app exited (status {status}):\n{tail(final)}")
    if args.peers:
        stop_app(apps)
        result["peers"] = {}
        for peer, cmd in peer_commands(args.interval).items():
            log(f"peer {peer}: `{cmd}` for {args.seconds:.0f} s")
            result["peers"][peer] = measure_peer(cmd, height, args.seconds, base, apps)
    return result


GLANCES_VENV = Path("/tmp/itui-bench-glances")
GLANCES = "glances[containers]==4.5.8"
"""The peer measured against (lab.md §3): ``[containers]`` or its containers plugin is off."""
PEER_WARMUP_S = 5.0


def peer_commands(interval: float) -> dict[str, str]:
    """The peers, as the user would run them, refreshing as often as the app."""
    glances = GLANCES_VENV / "bin" / "glances"
    if not glances.exists():
        log(f"installing {GLANCES} into {GLANCES_VENV} (a throwaway venv)")
        subprocess.run([sys.executable, "-m", "venv", str(GLANCES_VENV)], check=True, timeout=120)
        subprocess.run([str(GLANCES_VENV / "bin" / "pip"), "install", "-q", GLANCES], check=True, timeout=600)
    docker_cli = shutil.which("docker")
    if docker_cli is None:
        raise BenchError("--peers needs the docker CLI")
    return {"docker stats": f"{docker_cli} stats",
            "glances": f"{glances} --enable-plugin containers -t {interval:g}"}


def measure_peer(cmd: str, height: int, seconds: float, base: EngineWindow,
                 apps: list[psutil.Process]) -> dict[str, Any]:
    """A peer in the same tmux pane size: its CPU (process tree), the engine's extra CPU and
    RSS over the same window, after a warm-up in which it opens its streams."""
    kill_session()
    pane = psutil.Process(start_session(height, cmd))
    apps.append(pane)
    time.sleep(PEER_WARMUP_S)
    if pane_state()[0]:
        raise BenchError(f"`{cmd}` exited:\n{tail(capture())}")
    st = measure_steady(pane, seconds)
    threads = sum(p.num_threads() for p in [pane, *pane.children(recursive=True)] if p.is_running())
    stop_app(apps)
    return {"command": cmd, "seconds": round(st.seconds, 2),
            "cpu_percent": round(100 * st.app_cpu_s / st.seconds, 2),
            "engine_extra_percent": round(st.engine.percent - base.percent, 2),
            "rss_peak_mib": mib(st.rss_peak), "threads": threads}


def measure_tab(args: argparse.Namespace, app: psutil.Process, client: docker.DockerClient, created: list[str],
                base: EngineWindow, names: list[str], tab: str) -> dict[str, Any]:
    """With ``tab`` on screen: the steady window (app and engine CPU, RSS), then key -> repaint."""
    log(f"{tab}: steady state for {args.seconds:.0f} s (app pid {app.pid})")
    wall0 = time.time()
    st = measure_steady(app, args.seconds)
    last = capture()
    missing = set(names) - rows_with_cpu(last)
    out: dict[str, Any] = {}
    out["steady"] = {
        "seconds": round(st.seconds, 2), "app_cpu_s": round(st.app_cpu_s, 3),
        "app_cpu_percent": round(100 * st.app_cpu_s / st.seconds, 2),
        "engine_cpu_s": round(st.engine.cpu_s, 3), "engine_percent": round(st.engine.percent, 2),
        "engine_extra_percent": round(st.engine.percent - base.percent, 2),
        "engine_processes": st.engine.processes,
        "engine_processes_appeared": st.engine.appeared, "engine_processes_vanished": st.engine.vanished,
        "foreign_events": foreign_events(client, wall0, time.time(), set(created)),
        "rss_start_mib": mib(st.rss_start), "rss_peak_mib": mib(st.rss_peak),
        "rss_final_mib": mib(st.rss_final), "rss_samples": st.samples,
        "rss_growth_mib_per_min_2nd_half": round3(st.growth_mib_per_min()),
        "rss_timeline_mib": [(round(t, 1), mib(r)) for t, r in st.rss_timeline[::10]],
        "rows_without_cpu_at_end": sorted(missing),
    }
    if args.keys > 0:
        log(f"{tab}: key -> repaint, {args.keys} presses")
        kt = measure_keys(args.keys, pane=tab != "events")
        out["keys"] = {"cursor_ms": stats(kt.cursor_ms), "overview_ms": stats(kt.overview_ms),
                       "timeouts": kt.timeouts, "send_ms": stats(kt.send_ms), "capture_ms": stats(kt.capture_ms)}
    else:
        out["keys"] = {"skipped": True}
    if tab in PANE_EVENTS and args.events > 0 and not args.plain:
        log(f"{tab}: event -> screen, {min(args.events, 5)} rounds")
        out["pane_events"] = measure_pane_events(client, tab, names[0], min(args.events, 5))
    return out


def engine_window_end_after(seconds: float) -> EngineWindow:
    start = engine_window_start()
    time.sleep(seconds)
    return engine_window_end(start)


def round3(v: float | None) -> float | None:
    return None if v is None else round(v, 3)


def stop_app(apps: list[psutil.Process]) -> None:
    """Kill the tmux session, then make sure the app process we started is gone."""
    kill_session()
    for p in apps:
        try:
            p.wait(timeout=5)
        except psutil.TimeoutExpired:
            log(f"app pid {p.pid} still running after the session was killed; terminating it")
            p.terminate()
            try:
                p.wait(timeout=5)
            except psutil.TimeoutExpired:
                p.kill()
        except psutil.NoSuchProcess:
            pass


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("tmux") is None:
        print("bench: tmux is not installed", file=sys.stderr)
        return 2
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    created: list[str] = []
    apps: list[psutil.Process] = []
    client = None
    rc = 0
    try:
        client = connect_docker(16)
        results = []
        for n in args.counts:
            args.containers = n
            results.append(run(args, client, created, apps))
            stop_app(apps)
            if not args.json:
                print(render(results[-1]), flush=True)
        if args.json:
            print(json.dumps(results[0] if len(results) == 1 else results, indent=1))
    except BenchError as exc:
        print(f"bench: FAILED: {exc}", file=sys.stderr)
        rc = 1 if client is not None else 2
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"bench: interrupted ({str(exc) or 'Ctrl-C'}); cleaning up", file=sys.stderr)
        rc = 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)   # do not interrupt the clean-up itself
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop_app(apps)
        if client is not None and created:
            if args.keep:
                log(f"--keep: leaving {len(created)} bench containers (label {LABEL_KEY}=1)")
            else:
                log(f"removing {len(created)} bench containers")
                errors = remove_ids(client, created, min(16, len(created)))
                for e in errors:
                    log(f"could not remove {e}")
                if errors:
                    rc = rc or 1
        if client is not None and not args.keep:
            remove_network(client)
    return rc


if __name__ == "__main__":
    sys.exit(main())
