"""Shared fixtures: the recorded lab snapshot, a bounded ``wait_for`` for pilot tests, the real
engines (``engine``: rootful Docker, rootless Docker, Podman; a test that takes it runs on each),
and throw-away containers on them (labelled ``internals-tui.test=1``, removed afterwards)."""

from __future__ import annotations

import os
import pwd
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tui.backend.model import Snapshot
from tui.backend.replay import load_snapshot

TESTS_DIR = Path(__file__).resolve().parent
LAB_SNAPSHOT = TESTS_DIR / "fixtures" / "snapshots" / "lab.json"
TEST_LABEL = {"internals-tui.test": "1"}
TEST_IMAGE = "itui/mini:latest"

WaitFor = Callable[..., Awaitable[None]]


async def _wait_for(pilot: Any, predicate: Callable[[], object], timeout: float = 10.0,
                    what: str = "") -> None:
    """Let the app run (``pilot.pause``) until ``predicate()`` is true; fail after ``timeout`` s.

    An exception raised by the predicate counts as "not yet" (the widget may not be mounted).
    """
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            if predicate():
                return
            last = None
        except Exception as exc:  # not there yet (query before mount, row not added, ...)
            last = exc
        if time.monotonic() > deadline:
            name = what or getattr(predicate, "__name__", repr(predicate))
            extra = f" (last error: {last!r})" if last is not None else ""
            pytest.fail(f"timed out after {timeout} s waiting for {name}{extra}")
        await pilot.pause(0.05)


@pytest.fixture
def wait_for() -> WaitFor:
    """``await wait_for(pilot, predicate, timeout=10)``: a bounded poll, never a fixed sleep."""
    return _wait_for


@pytest.fixture(scope="session")
def lab_snapshot() -> Snapshot:
    """The recorded real snapshot ``tests/fixtures/snapshots/lab.json`` (immutable, shared)."""
    return load_snapshot(str(LAB_SNAPSHOT))


ENGINES = ("docker", "rootless", "podman")
"""The engines the suite runs against, all on this machine (tests/run.sh starts them):
rootful Docker, rootless Docker (user itui-rootless), and Podman's Docker-compatible API."""
ROOTLESS_USER = "itui-rootless"


@dataclass(frozen=True)
class Engine:
    """One engine under test: its name, endpoint and an SDK client for it."""

    name: str
    host: str
    client: Any

    @property
    def env(self) -> dict[str, str]:
        """An environment whose ``DOCKER_HOST`` is this engine (for hubs and subprocesses)."""
        return {**os.environ, "DOCKER_HOST": self.host}

    @property
    def socket(self) -> str:
        return self.host.removeprefix("unix://")

    def skip_unless(self, *names: str, why: str) -> None:
        """Skip this test on the other engines, saying why it does not apply to them."""
        if self.name not in names:
            pytest.skip(f"{self.name}: {why}")


def engine_host(name: str) -> str:
    if name == "rootless":
        try:
            uid = pwd.getpwnam(ROOTLESS_USER).pw_uid
        except KeyError:
            return f"unix:///run/user/<no user {ROOTLESS_USER}>/docker.sock"
        return f"unix:///run/user/{uid}/docker.sock"
    if name == "podman":
        return "unix:///run/podman/podman.sock"
    return "unix:///var/run/docker.sock"


@pytest.fixture(scope="session", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """Each engine in turn. One that does not answer skips its tests, except under CI, where
    tests/run.sh has started all three and an absent one is a failure."""
    docker = pytest.importorskip("docker")
    host = engine_host(request.param)
    try:
        client = docker.DockerClient(base_url=host, timeout=30)
        client.ping()
    except Exception as exc:  # no socket, permission denied, engine down
        why = f"{request.param} engine at {host} does not answer ({exc}); run tests/run.sh to start it"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    try:
        yield Engine(request.param, host, client)
    finally:
        client.close()


@pytest.fixture(scope="session")
def docker_client(engine: Engine) -> Any:
    """The SDK client of the engine under test."""
    return engine.client


@pytest.fixture
def make_container(docker_client: Any) -> Iterator[Callable[..., Any]]:
    """Factory ``make_container(start=True, **create_kwargs)`` for labelled throw-away containers.

    Names are unique (``itui-pilot-<hex>``); only the containers made here are removed
    (``force=True``) when the test ends, whatever happened.
    """
    made: list[Any] = []

    def make(start: bool = True, **kwargs: Any) -> Any:
        kwargs.setdefault("image", TEST_IMAGE)
        kwargs.setdefault("command", ["sleep", "100000"])
        kwargs.setdefault("name", f"itui-pilot-{uuid.uuid4().hex[:10]}")
        kwargs["labels"] = {**TEST_LABEL, **kwargs.get("labels", {})}
        image = kwargs.pop("image")
        container = docker_client.containers.create(image, **kwargs)
        made.append(container)
        if start:
            container.start()
            container.reload()
        return container

    yield make
    for container in reversed(made):  # dependents first (--pid container:X, --network container:X)
        try:
            container.remove(force=True, v=True)  # with its anonymous volumes, never a named one
        except Exception:  # already removed by the test
            pass
