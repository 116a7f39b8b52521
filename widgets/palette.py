"""Command palette entries that jump to a container by name (untrusted text stays inert)."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual.command import Hit, Hits, Provider
from textual.markup import escape

from widgets.format import clean


class ContainerCommands(Provider):
    """Command palette entries that jump to a container by name."""

    async def search(self, query: str) -> Hits:
        app: Any = self.app  # the InternalsApp: its latest snapshot and jump_to
        matcher = self.matcher(query)
        for c in app.snapshot.containers if app.snapshot else ():
            label = f"Container: {clean(c.name.value)}  ({clean(c.image.value)}, {c.state.value})"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(escape(label)), partial(app.jump_to, c.id),
                          help=escape(clean(f"select {c.short_id} · {c.image_fq} · {c.state.value}")))
