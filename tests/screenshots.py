"""Regenerate screenshots/ from the real engine: `.venv/bin/python tests/screenshots.py`.

Starts a few demo containers (label ``internals-tui.demo=1``), drives the real app against the
live engine with Pilot, saves SVGs of the main views (the Processes tab in both views, the host
processes view, the Namespaces tab for a default and a ``--network container:`` case, the Cgroups tab of a
throttled ``--cpus 0.5`` burner and the host cgroups view, the Network tab's pairing and the host
network view, the Layers tab, the image view, the Files tab, the Logs tab and one walkthrough step
per region of the seed session) and converts them to PNG with
``rsvg-convert`` (Debian librsvg2-bin), then removes exactly what it created. The Engine views
and Processes tabs of the rootless Docker and Podman engines that tests/run.sh starts are shot
too (each engine's own process chain).
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable

import docker

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tui.app import Config, make_app  # noqa: E402
from tui.backend.hub import Hub, HubConfig  # noqa: E402
from widgets.walk_panel import WalkPanel  # noqa: E402
from widgets.walkthrough import STEPS  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "screenshots")
LABEL = {"internals-tui.demo": "1"}
SIZE = (160, 45)


def start_demo(client: docker.DockerClient) -> list:
    for old in client.containers.list(all=True, filters={"label": "internals-tui.demo=1"}):
        old.remove(force=True)
    made = []

    def run(image: str, cmd: str | None, name: str, **kw) -> None:
        made.append(client.containers.run(image, cmd, name=name, labels=LABEL, detach=True, **kw))

    run("itui/layered:latest", None, "web", mem_limit="256m", nano_cpus=2_000_000_000,
        pids_limit=100, ports={"80/tcp": 8080})
    run("itui/mini:latest", "sleep 100000", "db", volumes={"itui-demo-data": {"bind": "/data", "mode": "rw"}},
        mem_limit="512m")
    run("itui/mini:latest", "sh -c 'while :; do :; done'", "burner", nano_cpus=500_000_000)
    run("itui/mini:latest", "sh -c 'echo bye; exit 3'", "oneshot")
    run("itui/mini:latest", "sleep 100000", "cache", mem_limit="64m")
    run("itui/mini:latest", "sleep 100000", "sidecar", network_mode="container:web")
    run("itui/mini:latest", ["sh", "-c", "i=0; while :; do echo \"GET /index.html 200 $i\"; "
                             "echo \"warn: slow upstream $i\" >&2; i=$((i+1)); sleep 1; done"], "talker")
    return made


async def wait_for(pilot, pred: Callable[[], bool], timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not pred():
        if loop.time() > end:
            raise TimeoutError("the app did not show the expected data")
        await pilot.pause(0.1)


async def shoot() -> list[str]:
    app = make_app(Hub(HubConfig(interval=0.5)), Config(container="web"))
    saved = []
    os.makedirs(OUT, exist_ok=True)
    async with app.run_test(size=SIZE) as pilot:
        def ready() -> bool:
            s = app.snapshot
            web = s.container_by_name("web") if s else None
            m = s.metrics_of(web.id) if s and web else None
            return bool(web and m and m.cpu_percent.value is not None
                        and s.files_of(web.id) and app.selected == web.id)
        await wait_for(pilot, ready)
        await pilot.pause(1.2)  # one more tick so CPU% of the busy container has settled
        saved.append(app.save_screenshot("containers-overview.svg", OUT))
        await pilot.press("8")
        await pilot.pause(0.5)
        saved.append(app.save_screenshot("events.svg", OUT))
        await pilot.press("1", "e")
        await pilot.pause(0.8)
        saved.append(app.save_screenshot("engine.svg", OUT))
        await pilot.press("escape")
        web = app.snapshot.container_by_name("web")
        client = docker.DockerClient(base_url="unix:///var/run/docker.sock")
        client.containers.get(web.id).exec_run(["sh", "-c", "sleep 3600"], detach=True)
        await pilot.press("2")
        await wait_for(pilot, lambda: any("sleep 3600" in p.command for p in tree_of(app, web.id)))
        await pilot.pause(1.2)  # CPU % of the new process
        await pilot.press("tab")
        saved.append(app.save_screenshot("processes.svg", OUT))
        await pilot.press("v")
        await pilot.pause(0.3)
        saved.append(app.save_screenshot("processes-container-view.svg", OUT))
        await pilot.press("v", "P")
        await pilot.pause(1.5)
        saved.append(app.save_screenshot("host-processes.svg", OUT))
        await pilot.press("escape", "3")
        await wait_for(pilot, lambda: ns_rows(app, web.id) >= 8)
        await pilot.press("tab")
        saved.append(app.save_screenshot("namespaces.svg", OUT))
        sidecar = app.snapshot.container_by_name("sidecar")
        app.jump_to(sidecar.id)
        await wait_for(pilot, lambda: ns_rows(app, sidecar.id) >= 8)
        await pilot.press("tab")
        saved.append(app.save_screenshot("namespaces-network-container.svg", OUT))
        burner = app.snapshot.container_by_name("burner")
        app.jump_to(burner.id)
        await pilot.press("4")
        await wait_for(pilot, lambda: throttled(app, burner.id), timeout=40)
        await pilot.press("tab", "z")
        await pilot.pause(0.3)
        saved.append(app.save_screenshot("cgroups-throttled.svg", OUT))
        await pilot.press("z", "C")
        await pilot.pause(1.5)
        saved.append(app.save_screenshot("host-cgroups.svg", OUT))
        await pilot.press("escape")
        app.jump_to(web.id)
        await pilot.press("5")
        await wait_for(pilot, lambda: (r := app.snapshot.result("network")) is not None and r.key == web.id
                       and r.value is not None and any(lk.confirmed for lk in r.value.links))
        await pilot.press("tab", "z")
        await pilot.pause(0.3)
        saved.append(app.save_screenshot("network.svg", OUT))
        await pilot.press("z", "I")
        await pilot.pause(1.5)
        saved.append(app.save_screenshot("host-network.svg", OUT))
        await pilot.press("escape")
        client.containers.get(web.id).exec_run(["sh", "-c", "mkdir -p /var/www && echo hello > /var/www/index.html"])
        app.jump_to(web.id)
        await pilot.press("6")
        await wait_for(pilot, lambda: (r := app.snapshot.result("layers")) is not None and r.key == web.id
                       and r.value is not None and r.value.mount is not None)
        await pilot.press("tab", "z", "u")
        await wait_for(pilot, lambda: (v := app.snapshot.result("layers").value).usage is not None
                       and v.engine_sizes is not None and v.usage and all(u.done for u in v.usage))
        await pilot.pause(0.5)
        saved.append(app.save_screenshot("layers.svg", OUT))
        await pilot.press("G")
        await pilot.pause(0.3)
        saved.append(app.save_screenshot("layers-mount-sizes.svg", OUT))
        await pilot.press("z", "e")
        await pilot.pause(0.8)
        images = app.screen.query_one("#engine-images")
        layered = next(im.id for im in app.snapshot.images if "itui/layered:latest" in im.tags)
        images.focus()
        images.move_cursor(key=layered)
        await pilot.press("enter")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ImageScreen")
        await pilot.pause(0.5)
        saved.append(app.save_screenshot("image-view.svg", OUT))
        await pilot.press("escape", "escape")
        client.containers.get(web.id).exec_run(["sh", "-c", "echo more >> /opt/payload/keep.txt && rm /bin/vi"])
        app.jump_to(web.id)
        await pilot.press("7")
        files = app.pane("files")
        files.open_path("/opt/payload/keep.txt")
        await wait_for(pilot, lambda: "l0" in files.query_one("#fs-body").rows
                       and "/opt/payload/doomed.txt" in files.query_one("#fs-tree").rows)
        await pilot.press("tab", "z")
        await pilot.pause(0.5)
        saved.append(app.save_screenshot("files.svg", OUT))
        await pilot.press("d")
        await pilot.pause(0.5)
        saved.append(app.save_screenshot("files-changes.svg", OUT))
        await pilot.press("d", "l")  # per layer, like dive
        per_layer = files.query_one("#fs-layers")
        await wait_for(pilot, lambda: "sum:image:3" in per_layer.rows)
        per_layer.move_cursor(key="sum:image:3")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "lc:/opt/payload/doomed.txt" in per_layer.rows)
        await pilot.pause(0.3)
        saved.append(app.save_screenshot("files-layers.svg", OUT))
        await pilot.press("l")
        client.containers.get(web.id).exec_run(["sh", "-c", "echo hello > /opt/payload/hello.world"])
        await wait_for(pilot, lambda: "/opt/payload/hello.world" in files.query_one("#fs-tree").rows)
        await pilot.pause(0.3)  # still highlighted (3 s)
        saved.append(app.save_screenshot("files-live.svg", OUT))
        await pilot.press("z", "escape")
        talker = app.snapshot.container_by_name("talker")
        app.jump_to(talker.id)
        await pilot.press("9")
        await wait_for(pilot, lambda: (r := app.snapshot.result("logs")) is not None and r.key == talker.id
                       and r.value is not None and len(r.value.lines) >= 6)
        await pilot.pause(0.5)
        saved.append(app.save_screenshot("logs.svg", OUT))
        saved += await shoot_walkthrough(pilot, app, client, web.id)
    return saved


WALK_SHOTS = (("Introduction", "its process on the host"), ("Cgroups", "the memory limit"),
              ("Namespaces", "mine, and the container's"), ("Filesystem", "a file written inside"),
              ("Runtime", "the containerd shim"), ("Cleanup", "clean up everything left over"))
"""One walkthrough step per region of the seed session."""


async def shoot_walkthrough(pilot, app, client: docker.DockerClient, web: str) -> list[str]:
    client.containers.get(web).exec_run(["touch", "/hello.world"])
    app.jump_to(web)
    await wait_for(pilot, lambda: app.selected == web)
    saved = []
    titles = [s.title for s in STEPS]
    for region, title in WALK_SHOTS:
        app.action_walkthrough(titles.index(title))

        def answered() -> bool:
            panel = app.screen.query(WalkPanel)
            last = panel.first()._last if panel else None
            return last is not None and f"· {region} " in last.plain and "waiting" not in last.plain.split("▶")[-1]
        await wait_for(pilot, answered)
        await pilot.pause(0.6)
        saved.append(app.save_screenshot(f"walkthrough-{region.lower()}.svg", OUT))
    app.action_walk_leave()
    return saved


def throttled(app, cid: str) -> bool:
    """The burner's cgroup has a minute of history and its last interval was throttled."""
    r = app.snapshot.result("cgroup") if app.snapshot else None
    v = r.value if r is not None and r.key == cid else None
    return v is not None and len(v.cpu.history) >= 40 and (v.cpu.throttled_ratio.value or 0) > 0.5


def ns_rows(app, cid: str) -> int:
    r = app.snapshot.result("namespaces") if app.snapshot else None
    return len(r.value.rows) if r is not None and r.key == cid and r.value is not None else 0


def tree_of(app, cid: str) -> tuple:
    r = app.snapshot.result("processes") if app.snapshot else None
    return r.value.procs if r is not None and r.key == cid and r.value is not None else ()


OTHER_ENGINES = {"rootless": "unix:///run/user/{uid}/docker.sock", "podman": "unix:///run/podman/podman.sock"}
"""The other engines tests/run.sh starts; their Engine views are shot too (engine-<name>.svg)."""


async def shoot_engine_view(name: str, host: str) -> list[str]:
    """The Engine view and the Processes tab (each engine's own chain) of another engine."""
    app = make_app(Hub(HubConfig(interval=0.5, environ={**os.environ, "DOCKER_HOST": host})),
                   Config(container="web", tab="engine"))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app.snapshot and app.snapshot.images and app.snapshot.clients
                                           and app.snapshot.container_by_name("web")))
        await pilot.pause(0.8)
        shots = [app.save_screenshot(f"engine-{name}.svg", OUT)]
        await pilot.press("escape", "2")
        web = app.snapshot.container_by_name("web")
        await wait_for(pilot, lambda: any(p.role == "init" for p in tree_of(app, web.id)))
        await pilot.pause(1.2)
        await pilot.press("tab", "z")
        await pilot.pause(0.3)
        shots.append(app.save_screenshot(f"processes-{name}.svg", OUT))
        return shots


def other_engines() -> list[str]:
    """Engine views of rootless Docker and Podman, each with one demo container."""
    import pwd  # noqa: PLC0415
    saved = []
    for name, host in OTHER_ENGINES.items():
        try:
            host = host.format(uid=pwd.getpwnam("itui-rootless").pw_uid)
            client = docker.DockerClient(base_url=host)
            client.ping()
        except Exception as exc:  # not started: say so, shoot the others
            print(f"{name}: no engine at {host} ({exc}); run tests/run.sh first", file=sys.stderr)
            continue
        web = client.containers.run("itui/mini:latest", "sleep 100000", name="web", labels=LABEL,
                                    detach=True, mem_limit="256m")
        web.exec_run(["sh", "-c", "sleep 3600"], detach=True)
        try:
            saved.extend(asyncio.run(shoot_engine_view(name, host)))
        finally:
            web.remove(force=True)
    return saved


_TEXT = re.compile(r'<text ([^>]*?)x="([0-9.]+)"([^>]*?)textLength="([0-9.]+)"([^>]*)>([^<]*)</text>')


def for_rsvg(svg: str) -> str:
    """rsvg-convert ignores ``textLength`` and drops spaces, so long runs drift off the terminal
    grid; split every run into words placed at their exact cells (the SVG for browsers stays
    as Textual wrote it)."""
    def fix(m: re.Match[str]) -> str:
        pre, x, mid, length, post, body = m.groups()
        chars = html.unescape(body)
        if not chars:
            return m.group(0)
        x0, cw = float(x), float(length) / len(chars)
        out = []
        for w in re.finditer(r"[^\s\u00a0]+", chars):
            out.append(f'<text {pre}x="{x0 + w.start() * cw:.1f}"{mid}textLength="{len(w.group()) * cw:.1f}"'
                       f'{post}>{html.escape(w.group(), quote=False)}</text>')
        return "".join(out)
    return _TEXT.sub(fix, svg)


def main() -> int:
    client = docker.DockerClient(base_url="unix:///var/run/docker.sock")
    made = start_demo(client)
    try:
        saved = asyncio.run(shoot()) + other_engines()
    finally:
        for c in reversed(made):  # dependents (sidecar) first
            c.remove(force=True)
        try:
            client.volumes.get("itui-demo-data").remove(force=True)
        except docker.errors.NotFound:
            pass
    rsvg = shutil.which("rsvg-convert")
    for svg in saved:
        if rsvg:
            with open(svg, encoding="utf-8") as fh:
                fixed = for_rsvg(fh.read())
            subprocess.run([rsvg, "-o", svg[:-4] + ".png", "/dev/stdin"], input=fixed.encode(), check=True)
        print(svg)
    if not rsvg:
        print("rsvg-convert not found (apt-get install librsvg2-bin): PNGs not made", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
