"""One-line header: engine version, API, storage driver, cgroup version and driver, privileges, mode."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from tui.backend.model import Snapshot
from widgets.format import clean


def header_text(snap: Snapshot | None, read_only: bool) -> Text:
    t = Text()
    t.append(" internals-tui ", style="bold reverse")
    if snap is None:
        t.append("  starting…")
        return t
    e, h = snap.engine, snap.host
    parts: list[tuple[str, str]] = []
    if e is None:
        parts.append((f"no engine at {clean(snap.endpoint)}", "bold yellow"))
    else:
        parts.append((f"{clean(e.product)} {clean(e.server_version.value)}", "bold"))
        parts.append((f"API {clean(e.api_version.value)}", ""))
        drv = clean(e.storage_driver.value)
        if e.containerd_snapshotter:
            drv += " (containerd store)"
        parts.append((drv, ""))
        parts.append((f"cgroup v{clean(e.cgroup_version.value)} ({clean(e.cgroup_driver.value)})", ""))
    if e is None:
        parts.append((f"host cgroup {h.cgroup_mode}", ""))
    parts.append(("root" if h.root else f"uid {h.uid} (not root)", "" if h.root else "yellow"))
    if e is not None:
        if h.local:
            parts.append(("local", "green"))
        else:
            parts.append((f"API-only: {clean(h.local_reason)}", "yellow"))
        if e.rootless:
            parts.append(("rootless", "yellow"))
    if read_only:
        parts.append(("read-only", "cyan"))
    parts.append(("times UTC", "dim"))
    if snap.errors:
        first = snap.errors[0]
        parts.append((f"{len(snap.errors)} source error(s): {clean(first.name)}: {clean(first.error)}", "red"))
    for i, (label, style) in enumerate(parts):
        t.append(" · " if i else "  ", style="dim")
        t.append(label, style=style)
    return t


class StatusHeader(Static):
    """The header line; updated from each snapshot."""

    _last: Text | None = None

    def show(self, snap: Snapshot | None, read_only: bool) -> None:
        t = header_text(snap, read_only)
        if t != self._last:  # Static.update re-lays out the screen: only when it changed
            self._last = t
            self.update(t)
