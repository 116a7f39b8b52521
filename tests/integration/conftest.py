"""Fixtures for tests against the real Docker engine (started by tests/engine-up.sh)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import docker
import pytest

LABEL = {"internals-tui.test": "1"}
IMAGE = "itui/mini:latest"


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The local engine; under CI a missing engine is a failure, elsewhere a skip."""
    try:
        client = docker.from_env(timeout=30)
        client.ping()
    except Exception as exc:  # any failure to reach the engine
        if os.environ.get("CI"):
            pytest.fail(f"no Docker engine (run tests/engine-up.sh): {exc}")
        pytest.skip(f"no Docker engine (run tests/engine-up.sh): {exc}")
    yield client
    client.close()


@pytest.fixture
def make_container(docker_client: docker.DockerClient) -> Iterator:
    """Create labelled containers; removes exactly the ones it created."""
    created = []

    def make(command: str = "sleep 100000", *, start: bool = True, **kwargs):
        name = kwargs.pop("name", None) or f"itui-test-{uuid.uuid4().hex[:8]}"
        c = docker_client.containers.create(IMAGE, command, name=name, labels=dict(LABEL), **kwargs)
        created.append(c)
        if start:
            c.start()
        c.reload()
        return c

    yield make
    for c in created:
        try:
            c.remove(force=True)
        except docker.errors.NotFound:
            pass
