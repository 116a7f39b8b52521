"""Logs tab (9): the selected container's output, live, as ``docker logs --follow`` shows it.

Follows the newest line by default (scrolling up pauses, ``f`` toggles, ``G`` / ``end`` resume);
``t`` timestamps, ``W`` wraps long lines, ``/`` searches (``n`` / ``N`` next and previous match,
``esc`` clears), ``ctrl+l`` clears the view. stderr lines carry a red ``err`` gutter. Each
snapshot's new lines (by their ``seq``) are appended; nothing already shown is rebuilt. The
lines are untrusted: shown inert, control characters escaped.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from typing import Any, ClassVar

from rich.cells import cell_len, chop_cells
from rich.style import Style
from rich.text import Text
from textual import events, on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Input, Static

from tui.backend.model import Snapshot
from tui.backend.model.logs import MAX_LINES, TAIL, LogLine, LogView, stamp_ns
from widgets.format import clean, set_border, text
from widgets.live_table import Column, LiveTable
from widgets.pane import Pane, PaneCommand

GUTTER = {"stderr": Text("err ", style="bold red"), "stdout": Text("    ")}
"""The mark before each line: stderr in red, stdout plain (a TTY's one stream: no gutter)."""
STAMP_WIDTH = 19
MATCH = Style(color="black", bgcolor="yellow")
CURRENT = Style(color="black", bgcolor="dark_orange", bold=True)
MIN_WRAP = 10


def short_stamp(stamp: str) -> str:
    """``2026-12-04T09:58:58.678408106Z`` → ``12-04 09:58:58.678`` (UTC, as the engine wrote it)."""
    ns = stamp_ns(stamp)
    if not ns:
        return " " * (STAMP_WIDTH - 1)
    t = _dt.datetime.fromtimestamp(ns // 1_000_000_000, _dt.timezone.utc)
    return t.strftime("%m-%d %H:%M:%S") + f".{ns // 1_000_000 % 1000:03d}"


class LogLines(LiveTable):
    """The lines, drawn on demand (only those in view, cached): unwrapped and scrolled sideways,
    or wrapped at the width. A :class:`LiveTable` so that the app treats it as every pane's
    table (the footer shows its source, a hidden tab forgets its drawn lines, the same keys
    move it), but it keeps its own lines: appended and let go at the front, never re-set."""

    DEFAULT_CSS = """
    LogLines { overflow-x: auto; overflow-y: auto; }
    LogLines.-wrap { overflow-x: hidden; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__((Column("line", "", 0),), show_header=False, **kwargs)
        self.lines: list[tuple[LogLine, str]] = []
        """(the line, its text made inert), oldest first."""
        self.base = 0
        """The absolute number of ``lines[0]`` (lines let go at the front move it on)."""
        self.follow = True
        self.timestamps = False
        self.wrap = False
        self.tty = False
        self.needle = ""
        self.matches: list[int] = []
        """Absolute numbers of the lines that hold ``needle``."""
        self.current: int | None = None
        self.source = ("", "")
        self._rows: list[tuple[int, int]] = []
        """Wrapped: (absolute line number, piece) of each row on screen."""
        self._widest = 0
        self._strips: LRUCache[tuple[int, int], Strip] = LRUCache(512)
        self._row_width = 0

    # ------------------------------------------------------------ content

    def _prefix(self, line: LogLine) -> Text:
        prefix = Text(no_wrap=True, end="")
        if not self.tty:
            prefix.append_text(GUTTER.get(line.stream) or Text(line.stream[:3].ljust(4), style="magenta"))
        if self.timestamps:
            prefix.append(short_stamp(line.time) + " ", style="dim")
        return prefix

    @property
    def prefix_width(self) -> int:
        return (0 if self.tty else 4) + (STAMP_WIDTH if self.timestamps else 0)

    @staticmethod
    def _body(line: LogLine, shown: str) -> str:
        return shown + (f" … {line.more} more characters" if line.more else "")

    def _pieces(self, body: str) -> list[str]:
        width = max(MIN_WRAP, self._row_width - self.prefix_width)
        return [body] if cell_len(body) <= width else chop_cells(body, width)

    def append(self, new: list[LogLine]) -> None:
        """Add lines at the end (keeping at most ``MAX_LINES``), following them if following."""
        if not new:
            return
        start = self.base + len(self.lines)
        added = [(line, clean(line.text.expandtabs(8))) for line in new]
        self.lines.extend(added)
        needle = self.needle
        for n, (line, shown) in enumerate(added, start):
            self._widest = max(self._widest, cell_len(shown) + (20 if line.more else 0))
            if needle and needle in shown.lower():
                self.matches.append(n)
            if self.wrap:
                self._rows.extend((n, i) for i in range(len(self._pieces(self._body(line, shown)))))
        self._let_go(len(self.lines) - MAX_LINES)
        self._resize()
        if self.follow:
            self.to_end()
        else:
            self.refresh()

    def to_end(self) -> None:
        """Show the newest line (forced: the scrollbar may not know the new height yet)."""
        self.scroll_to(y=max(0, self.row_total - (self.scrollable_content_region.height or self.size.height)),
                       animate=False, force=True)

    def _let_go(self, count: int) -> None:
        """Drop the ``count`` oldest lines; a paused view keeps showing the same ones."""
        if count <= 0:
            return
        rows_before = self.row_total
        del self.lines[:count]
        self.base += count
        self.matches = self.matches[bisect.bisect_left(self.matches, self.base):]
        if self.current is not None and self.current < self.base:
            self.current = None
        if self.wrap:
            del self._rows[:bisect.bisect_left(self._rows, (self.base, 0))]
        self._strips.clear()
        if not self.follow:
            self.scroll_to(y=max(0, self.scroll_y - (rows_before - self.row_total)), animate=False, immediate=True)

    def clear(self) -> None:
        """Nothing shown (new lines still come)."""
        self.base += len(self.lines)
        self.lines, self._rows, self.matches, self.current = [], [], [], None
        self._widest = 0
        self._strips.clear()
        self._resize()
        self.refresh()

    @property
    def row_total(self) -> int:
        return len(self._rows) if self.wrap else len(self.lines)

    def _resize(self) -> None:
        """The new virtual size, without the reactive's repaint of every line: the layout pass
        updates the scrollbars, and the scroll (following) or the caller repaints."""
        width = self._row_width if self.wrap else self.prefix_width + self._widest
        size = Size(width, self.row_total)
        if size != self.virtual_size:
            self.set_reactive(Widget.virtual_size, size)
            self.refresh(repaint=False, layout=True)

    def relayout(self) -> None:
        """Timestamps, wrap or the width changed: the rows are laid out again."""
        self._row_width = self.scrollable_content_region.width or self.size.width
        self.set_class(self.wrap, "-wrap")
        self._rows = [(n, i) for n, (line, shown) in enumerate(self.lines, self.base)
                      for i in range(len(self._pieces(self._body(line, shown))))] if self.wrap else []
        self._strips.clear()
        self._resize()
        if self.follow:
            self.to_end()
        self.refresh()

    # ------------------------------------------------------------ search

    def search(self, needle: str) -> None:
        self.needle = needle.lower()
        self.matches = [n for n, (_, shown) in enumerate(self.lines, self.base)
                        if self.needle and self.needle in shown.lower()]
        self.current = None
        self._strips.clear()
        self.refresh()

    def next_match(self, step: int) -> int | None:
        """Move to the next (``step`` 1) or previous (-1) match from the current one, or from
        the lines in view; pauses following. Returns the match's index, or None."""
        if not self.matches:
            return None
        if self.current is not None and self.current in self.matches:
            i = self.matches.index(self.current) + step
        else:
            top = self._line_at(int(self.scroll_y))
            i = bisect.bisect_left(self.matches, top) if step > 0 else \
                bisect.bisect_left(self.matches, self._line_at(int(self.scroll_y) + self.size.height)) - 1
        i %= len(self.matches)
        self.current = self.matches[i]
        self.follow = False
        self._strips.clear()
        row = self._row_of(self.current)
        height = max(1, self.size.height)
        if not int(self.scroll_y) <= row < int(self.scroll_y) + height:
            self.scroll_to(y=max(0, row - height // 3), animate=False, immediate=True)
        self.refresh()
        return i

    def _line_at(self, row: int) -> int:
        if self.wrap:
            return self._rows[min(row, len(self._rows) - 1)][0] if self._rows else self.base
        return self.base + row

    def _row_of(self, n: int) -> int:
        return bisect.bisect_left(self._rows, (n, 0)) if self.wrap else n - self.base

    # ------------------------------------------------------------ moving (LiveTable's keys)

    def action_cursor(self, step: int) -> None:
        self._scroll_by(step)

    def action_page(self, step: int) -> None:
        self._scroll_by(step * max(1, self.size.height - 1))

    def action_edge(self, end: int) -> None:
        self.follow = bool(end)
        if end:
            self.to_end()
        else:
            self.scroll_home(animate=False, immediate=True, x_axis=False)
        self.post_message(self.Moved())

    def action_select(self) -> None:
        pass

    def _scroll_by(self, rows: int) -> None:
        self.scroll_to(y=max(0, min(self.max_scroll_y, self.scroll_y + rows)), animate=False, immediate=True)
        self._after_user_scroll()

    def _after_user_scroll(self) -> None:
        """Scrolling up pauses following; reaching the end resumes it (as lazydocker does)."""
        self.follow = self.scroll_y >= self.max_scroll_y
        self.post_message(self.Moved())

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        super()._on_mouse_scroll_up(event)
        self._after_user_scroll()

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        super()._on_mouse_scroll_down(event)
        self._after_user_scroll()

    async def _on_click(self, event: events.Click) -> None:
        event.prevent_default()  # no row cursor to move

    class Moved(Message):
        """The user scrolled: following may have paused or resumed."""

    # ------------------------------------------------------------ LiveTable's hooks

    def cursor_source(self) -> tuple[str, str] | None:
        return self.source if self.source[0] else None

    def forget_lines(self) -> None:
        self._strips.clear()

    def on_resize(self, event: events.Resize) -> None:
        event.prevent_default()  # LiveTable's would size the view to its (unused) rows
        if self.wrap or self._row_width != (self.scrollable_content_region.width or self.size.width):
            self.relayout()
        elif self.follow:
            self.to_end()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        base = self.rich_style
        row = int(self.scroll_y) + y
        if not 0 <= row < self.row_total:
            return Strip.blank(width, base)
        n, piece = self._rows[row] if self.wrap else (self.base + row, 0)
        strip = self._strips.get((n, piece))
        if strip is None:
            strip = self._strips[(n, piece)] = self._draw(n, piece, base)
        if self.wrap:
            return strip.adjust_cell_length(width, base)
        scroll_x = int(self.scroll_x)
        return strip.crop_extend(scroll_x, scroll_x + width, base)

    def _draw(self, n: int, piece: int, base: Style) -> Strip:
        line, shown = self.lines[n - self.base]
        body = Text(shown, no_wrap=True, end="")
        if line.more:
            body.append(f" … {line.more} more characters", style="dim italic")
        if self.needle:
            style = CURRENT if n == self.current else MATCH
            low, size = body.plain.lower(), len(self.needle)
            at = low.find(self.needle)
            while at >= 0:
                body.stylize(style, at, at + size)
                at = low.find(self.needle, at + size)
        if self.wrap:
            cuts, at = [], 0
            for part in self._pieces(body.plain)[:-1]:
                at += len(part)
                cuts.append(at)
            parts = body.divide(cuts)
            body = parts[piece] if piece < len(parts) else Text("")
            head = self._prefix(line) if piece == 0 else Text(" " * self.prefix_width)
        else:
            head = self._prefix(line)
        head.append_text(body)
        return Strip(head.render(self.app.console)).apply_style(base)


class LogsPane(Vertical, Pane):
    """A search box (``/``), why nothing is shown (if so), and the lines."""

    PANE_ID = "logs"
    TITLE = "Logs"
    KEY = "9"
    SUMMARY = "The container's output (stdout, stderr), live, from the engine's log API, like docker logs -f"
    ORIGIN = f"docker logs --follow --timestamps --tail {TAIL} NAME"
    SOURCES = ("logs",)
    HELP = (("f", "follow the newest line / pause (scrolling up pauses, G or end resumes)"),
            ("t", "timestamps (UTC, as the engine wrote them)"), ("W", "wrap long lines / scroll sideways"),
            ("/ n N", "search (case-insensitive), next, previous match; esc clears"),
            ("ctrl+l", "clear the view (new lines keep coming)"))
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", show=False),
        Binding("n", "next_match(1)", "Next match", show=False),
        Binding("N", "next_match(-1)", "Previous match", show=False),
        Binding("escape", "clear_search", "Clear the search", show=False),
    ]
    COMMANDS = (PaneCommand("Logs: follow / pause", "Keep the newest line in view, or stop (f)", "toggle_follow", "f"),
                PaneCommand("Logs: timestamps", "Show or hide each line's timestamp (t)", "toggle_timestamps", "t"),
                PaneCommand("Logs: wrap", "Wrap long lines, or scroll them sideways (W)", "toggle_wrap", "W"),
                PaneCommand("Logs: clear", "Clear the view; new lines keep coming (ctrl+l)", "clear", "ctrl+l"))
    DEFAULT_CSS = """
    LogsPane #logs-search { dock: top; display: none; }
    LogsPane #logs-why { height: auto; padding: 0 1; color: $warning; display: none; }
    LogsPane #logs-body { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cid: str | None = None
        self._name = ""
        self._view: LogView | None = None
        self._reading = 0
        self._seq = 0
        self._why = ""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="search the lines (enter: find, esc: cancel)", id="logs-search")
        yield Static("", id="logs-why")
        yield LogLines(id="logs-body")

    @property
    def body(self) -> LogLines:
        return self.query_one("#logs-body", LogLines)

    def focus(self, scroll_visible: bool = True) -> Any:
        self.body.focus(scroll_visible)
        return self

    # ------------------------------------------------------------ snapshots

    def show(self, snap: Snapshot, cid: str | None) -> None:
        """Append the lines this pane has not shown yet (a new container or reading: all)."""
        body = self.body
        if cid != self._cid:
            self._cid, self._view, self._seq, self._reading = cid, None, 0, 0
            body.clear()
        c = snap.container(cid) if cid else None
        self._name = c.name.value if c is not None else ""
        res = snap.result("logs")
        v = res.value if res is not None and res.key == cid and isinstance(res.value, LogView) else None
        if v is None:
            why = "select a container" if c is None else \
                res.error if res is not None and res.error and res.key in (cid, "") else "reading…"
            self._say(why)
            self._update_title()
            return
        self._say("")
        if v is not self._view:
            if v.reading != self._reading:
                self._reading, self._seq = v.reading, 0
                body.clear()
            if body.tty != v.tty:
                body.tty = v.tty
                body.relayout()
            first = bisect.bisect_right(v.lines, self._seq, key=lambda line: line.seq)
            body.append(list(v.lines[first:]))
            if v.lines:
                self._seq = max(self._seq, v.lines[-1].seq)
            self._view = v
            body.source = (f"docker logs --follow --timestamps --tail {TAIL} {clean(self._name or cid or '')}"
                           f"  (last read: {v.source})", "logs")
        self._update_title()

    def _say(self, why: str) -> None:
        if why != self._why:
            self._why = why
            box = self.query_one("#logs-why", Static)
            box.update(text(why))
            box.display = bool(why)

    def _update_title(self) -> None:
        body, v = self.body, self._view
        if v is None or self._why:
            set_border(self, f"Logs · {self._name}" if self._name else "Logs", self._why.split(":")[0][:60])
            return
        streams = "tty" if v.tty else "stdout + stderr"
        title = f"Logs · {self._name} · {len(body.lines)} lines · {streams}" + (f" · {v.driver}" if v.driver else "")
        notes = []
        if v.dropped:
            notes.append(f"{v.dropped} older let go (keeps {MAX_LINES})")
        if v.skipped:
            notes.append(f"lines missed {v.skipped}× (more than {MAX_LINES} between two reads)")
        state = "following" if body.follow else "paused (G: follow)"
        if not v.running:
            state = "stopped: no new lines" + ("" if body.follow else " · paused")
        if body.needle:
            found = f"{body.matches.index(body.current) + 1}/{len(body.matches)}" \
                if body.current in body.matches else f"{len(body.matches)} matches" if body.matches else "no match"
            notes.append(f"/{body.needle}: {found}")
        set_border(self, title, " · ".join([state, *notes, "f t W / n N"]))

    @on(LogLines.Moved)
    def _moved(self, event: LogLines.Moved) -> None:
        event.stop()
        self._update_title()

    # ------------------------------------------------------------ keys

    def action_toggle_follow(self) -> None:
        body = self.body
        body.follow = not body.follow
        if body.follow:
            body.to_end()
        self._update_title()

    def action_toggle_timestamps(self) -> None:
        self.body.timestamps = not self.body.timestamps
        self.body.relayout()

    def action_toggle_wrap(self) -> None:
        self.body.wrap = not self.body.wrap
        self.body.relayout()

    def action_clear(self) -> None:
        self.body.clear()
        self._update_title()

    def action_search(self) -> None:
        box = self.query_one("#logs-search", Input)
        box.display = True
        box.value = self.body.needle
        box.focus()

    @on(Input.Submitted, "#logs-search")
    def _searched(self, event: Input.Submitted) -> None:
        event.stop()
        event.input.display = False
        body = self.body
        body.focus()
        body.search(event.value.strip())
        if body.needle:
            body.next_match(-1)  # the newest match at or above the lines in view
        self._update_title()

    def action_next_match(self, step: int) -> None:
        if not self.body.needle:
            raise SkipAction()
        self.body.next_match(step)
        self._update_title()

    def action_clear_search(self) -> None:
        box = self.query_one("#logs-search", Input)
        if not box.display and not self.body.needle:
            raise SkipAction()  # nothing to clear: esc goes on to the app (back to the list)
        box.display = False
        self.body.search("")
        self.body.focus()
        self._update_title()
