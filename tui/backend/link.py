"""The engine connection and its events feed: the only place that may declare the engine gone.

:meth:`EngineLink.check` runs as the hub's ``engine`` source: it connects (ping, version, info)
when there is no client, and otherwise pings, re-reading version and info after a ``daemon``
event. A failed check closes the client and the events producer; the hub then shows the
engine as gone and retries. The Docker events stream is a :class:`~.producers.Producer`; it
replays from the last event seen when it reopens, and each event is kept once (a bounded
newest-first buffer) and handed to the hub to mark sources due.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import docker
import requests

from . import docker_api
from .model import DockerEvent, EngineInfo
from .producers import Producer

HISTORY_S = 3600.0
"""On first connection, show this much of the engine's recent events (it keeps only 256)."""


class EngineLink:
    """A Docker client, the engine's description, and its events producer."""

    def __init__(self, endpoint: str, environ: dict[str, str] | None, *,
                 connect: Callable[[dict[str, str] | None], docker.DockerClient] = docker_api.connect,
                 clock: Callable[[], float] = time.time,
                 on_event: Callable[[DockerEvent], None] = lambda ev: None,
                 on_break: Callable[[], None] = lambda: None,
                 on_resync: Callable[[], None] = lambda: None,
                 max_events: int = 500) -> None:
        self.endpoint = endpoint
        self._environ = environ
        self._connect = connect
        self._clock = clock
        self._on_event = on_event
        self._on_break = on_break
        self._on_resync = on_resync
        self._lock = threading.Lock()
        self._events: collections.deque[DockerEvent] = collections.deque(maxlen=max_events)
        self._keys: collections.deque[tuple[Any, ...]] = collections.deque(maxlen=max_events)
        self._seq = 0
        self._last_event_time: float | None = None
        self._info_due = False
        self.client: docker.DockerClient | None = None
        self.producer: Producer | None = None
        self.engine: EngineInfo | None = None
        self.error = ""
        self.connected_at = 0.0

    @property
    def api(self) -> Any:
        client = self.client
        return client.api if client is not None else None

    def events(self) -> tuple[DockerEvent, ...]:
        with self._lock:
            return tuple(self._events)

    def info_changed(self) -> None:
        """A ``daemon`` event: re-read version and info on the next check."""
        self._info_due = True

    # ------------------------------------------------------------ the "engine" source

    def check(self) -> EngineInfo:
        """Connect, or confirm the engine still answers; raise (after closing) when it does not."""
        try:
            if self.client is None:
                return self._open()
            api = self.client.api
            api.ping()
            if self._info_due:
                self._info_due = False
                self.engine = docker_api.engine_from_api(self.endpoint, api.version(), api.info())
            assert self.engine is not None
            return self.engine
        except Exception as exc:
            self.error = describe(exc)
            self.close()
            raise

    def _open(self) -> EngineInfo:
        client = self._connect(self._environ)
        try:
            version, info = client.api.version(), client.api.info()
        except Exception:
            client.close()
            raise
        self.client = client
        self.connected_at = self._clock()
        self.engine = docker_api.engine_from_api(self.endpoint, version, info)
        self.error = ""
        self._info_due = False
        self.producer = Producer("docker-events", lambda: self._open_events(client), self._take,
                                 on_break=lambda exc: self._on_break(), on_resync=self._on_resync).start()
        return self.engine

    def _open_events(self, client: docker.DockerClient) -> Any:
        since = self._last_event_time
        if since is None:
            since = self._clock() - HISTORY_S
        return client.api.events(decode=True, since=since, until=None)

    def close(self) -> None:
        if self.producer is not None:
            self.producer.close()
            self.producer = None
        if self.client is not None:
            try:
                self.client.close()
            except Exception:  # closing a dead connection may raise; it is gone either way
                pass
            self.client = None
        self.engine = None

    # ------------------------------------------------------------ events (producer thread)

    def _take(self, raw: Any) -> None:
        if not isinstance(raw, dict):
            return
        actor = (raw.get("Actor") or {}).get("ID") or ""
        key = (raw.get("timeNano"), raw.get("Type"), raw.get("Action"), actor)
        with self._lock:
            if key in self._keys:  # replayed after a reopen
                return
            self._keys.append(key)
            self._seq += 1
            ev = docker_api.event_from_api(self._seq, raw)
            self._events.appendleft(ev)
            self._last_event_time = ev.time_nano / 1e9
        if ev.time_nano / 1e9 >= self.connected_at:  # history replayed at connect changes nothing
            self._on_event(ev)


def describe(exc: BaseException) -> str:
    """A short human message for an engine error (no tracebacks in the UI)."""
    text = str(exc)
    for marker in ("Connection refused", "No such file or directory", "Permission denied",
                   "timed out", "Name or service not known"):
        if marker in text:
            return marker if marker != "No such file or directory" else "socket not found"
    return text.splitlines()[0][:200] if text else type(exc).__name__


def explain(exc: BaseException) -> tuple[str, bool]:
    """A failure as a short message; a permission problem is "needs root", not a failure."""
    if isinstance(exc, PermissionError):
        what = exc.filename or "a host file"
        return f"needs root: {what} is not readable as uid {os.geteuid()}", True
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot read {exc.filename}: {exc.strerror or exc}", False
    return describe(exc), False


def is_connection_error(exc: BaseException) -> bool:
    """Errors that may mean the engine is gone (an HTTP error answer means it is there)."""
    if isinstance(exc, docker.errors.APIError):
        return False
    return isinstance(exc, (requests.exceptions.RequestException, docker.errors.DockerException))
