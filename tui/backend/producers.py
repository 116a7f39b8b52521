"""The backend's threads: event producers, and the one-off daemon thread a source's run uses.

Event producers are long-lived streams (Docker events now; netlink and inotify next).

Every producer is the same wrapper around an ``open`` function that returns an iterable stream:
its own daemon thread hands each item to ``on_item``; when the stream breaks it reports the
break (``on_break``), waits with a back-off that grows while the stream keeps breaking soon
after opening, reopens it and asks for a resync (``on_resync``: whatever was missed while it was
down must be read again). :meth:`Producer.close` ends it cleanly from any thread.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

BACKOFF_MIN_S = 0.5
BACKOFF_MAX_S = 30.0
STABLE_S = 5.0
"""A stream that lived this long before breaking starts its back-off from the minimum again."""


class Producer:
    """One event stream in its own thread, reopened with back-off after each break."""

    def __init__(self, name: str, open_stream: Callable[[], Iterable[Any]],
                 on_item: Callable[[Any], None], *,
                 on_break: Callable[[BaseException | None], None] = lambda exc: None,
                 on_resync: Callable[[], None] = lambda: None,
                 backoff: tuple[float, float] = (BACKOFF_MIN_S, BACKOFF_MAX_S)) -> None:
        self.name = name
        self._open = open_stream
        self._on_item = on_item
        self._on_break = on_break
        self._on_resync = on_resync
        self._backoff = backoff
        self._closed = threading.Event()
        self._stream: Any = None
        self.breaks = 0
        self._thread = threading.Thread(target=self._run, name=f"producer-{name}", daemon=True)

    def start(self) -> Producer:
        self._thread.start()
        return self

    @property
    def streaming(self) -> bool:
        """A stream is open and being read."""
        return self._stream is not None

    def close(self) -> None:
        """Stop: the thread ends after its current item; an open stream is closed under it."""
        self._closed.set()
        self.interrupt()

    def interrupt(self) -> None:
        """Close the open stream (it is then reopened, as after any break)."""
        stream = self._stream
        close = getattr(stream, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # closing a dead stream may raise; it is gone either way
                pass

    def _run(self) -> None:
        delay = self._backoff[0]
        first = True
        while not self._closed.is_set():
            opened = time.monotonic()
            error: BaseException | None = None
            try:
                self._stream = self._open()
                if self._closed.is_set():
                    self.interrupt()
                    return
                if not first:
                    self._on_resync()
                for item in self._stream:
                    if self._closed.is_set():
                        return
                    self._on_item(item)
            except BaseException as exc:  # noqa: BLE001 - every break is handled the same way
                error = exc
            finally:
                self._stream = None
            if self._closed.is_set():
                return
            self.breaks += 1
            self._on_break(error)
            if time.monotonic() - opened >= STABLE_S:
                delay = self._backoff[0]
            first = False
            self._closed.wait(delay)
            delay = min(delay * 2, self._backoff[1])


class Watches:
    """The running watch producers of sources (``Source.watch``), one per source name."""

    def __init__(self) -> None:
        self._running: dict[str, tuple[Producer, Any]] = {}
        self.unavailable: dict[str, str] = {}

    def running(self, name: str) -> bool:
        return name in self._running

    def start(self, name: str, make: Callable[[], Any], on_item: Callable[[Any, Any], None]) -> None:
        """Start ``name``'s watch unless it runs or cannot run here (the reason is kept)."""
        if name in self._running or name in self.unavailable:
            return
        try:
            watch = make()
            why = watch.available()
        except Exception as exc:  # noqa: BLE001 - a watch that cannot start leaves polling in charge
            watch, why = None, f"{type(exc).__name__}: {exc}"
        if why:
            self.unavailable[name] = why
            return
        producer = Producer(f"watch-{name}", watch.open, lambda item: on_item(watch, item),
                            on_resync=lambda: on_item(watch, None))
        self._running[name] = (producer.start(), watch)

    def follow(self, name: str, value: Any) -> None:
        """Tell ``name``'s watch its source's new value, if it follows one (what to watch)."""
        entry = self._running.get(name)
        follow = getattr(entry[1], "follow", None) if entry is not None else None
        if follow is not None:
            follow(value)

    def note(self, name: str) -> str:
        """Why ``name``'s watch does not see everything: it cannot run here, or it says why
        (its ``note``, e.g. out of inotify watches); empty when it does or there is none."""
        if name in self.unavailable:
            return f"no live watch: {self.unavailable[name]}"
        entry = self._running.get(name)
        return str(getattr(entry[1], "note", "") or "") if entry is not None else ""

    def stop(self, name: str) -> None:
        entry = self._running.pop(name, None)
        if entry is not None:
            entry[0].close()

    def close(self) -> None:
        for name in list(self._running):
            self.stop(name)


async def in_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in a new daemon thread and await its result.

    Unlike ``asyncio.to_thread`` (the loop's default executor, which the interpreter joins at
    exit), a call stuck on an unresponsive engine does not keep the process alive after quit.
    """
    loop = asyncio.get_running_loop()
    fut: asyncio.Future[T] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not fut.done():
            fut.set_result(value) if ok else fut.set_exception(value)

    def work() -> None:
        try:
            result: Any = fn()
            ok = True
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
            result, ok = exc, False
        if not loop.is_closed():
            try:
                loop.call_soon_threadsafe(settle, ok, result)
            except RuntimeError:  # closed in between
                pass

    threading.Thread(target=work, name="hub-source", daemon=True).start()
    return await fut
