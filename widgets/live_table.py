"""LiveTable: a keyed, line-rendered table for data that changes every second.

Textual's DataTable re-renders every visible cell whenever any one cell changes (its render
caches are keyed by a table-wide update counter). For a list refreshed each second that is most
of the app's CPU. LiveTable caches one rendered line per row, keyed by that row's own version,
so a tick that changes one row renders one line. The cursor is a row *key*, so it stays on the
same item across re-sorts and updates. Columns that do not fit are dropped by priority, and one
flexible column takes the remaining width.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget

from tui.messages import Provenance


HEADER_KEY = "\x00header"
"""The header line's place among the cached lines (no row key holds a NUL)."""


@dataclass(frozen=True)
class Column:
    """One column: ``width`` 0 makes it the flexible column; higher ``drop`` goes first when
    the table is too narrow (0 = never dropped)."""

    key: str
    label: str
    width: int = 0
    right: bool = False
    drop: int = 0


Cells = tuple[Text, ...]


class LiveTable(ScrollView, can_focus=True):
    """A focusable table of keyed rows with a sticky key cursor and per-row render caching."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "edge(0)", "Top", show=False),
        Binding("end,G", "edge(1)", "Bottom", show=False),
        Binding("enter", "select", "Select", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "live-table--header", "live-table--cursor", "live-table--cursor-blurred",
        "live-table--focus-column",
    }

    DEFAULT_CSS = """
    LiveTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        overflow-x: hidden;
        overflow-y: auto;
        & > .live-table--header { text-style: bold; background: $panel; color: $foreground; }
        & > .live-table--focus-column { text-style: bold reverse; }
        & > .live-table--cursor-blurred {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .live-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
    }
    """

    class _RowMessage(Message):
        def __init__(self, table: LiveTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> LiveTable:
            return self.table

    class Highlighted(_RowMessage):
        """The cursor moved to ``key`` (``None``: the table is empty)."""

    class Selected(_RowMessage):
        """``enter`` (or a double click) on the row ``key``."""

        key: str

    sorted_by: reactive[tuple[str, str]] = reactive(("", ""), repaint=False)
    """(column key, "▲" or "▼"): the sorted column, marked in the header."""
    focus_column: reactive[str] = reactive("", repaint=False)
    """Key of a column whose header is marked (the column the footer explains), or ''."""

    def __init__(self, columns: Sequence[Column], *, show_header: bool = True,
                 source: Callable[[str], tuple[str, str] | None] | None = None, flex_min: int = 8,
                 **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._source = source
        self._flex_min = flex_min
        """Columns are dropped before the flexible one gets narrower than this."""
        self.columns = tuple(columns)
        self.show_header = show_header
        self._index = {c.key: i for i, c in enumerate(self.columns)}
        self.rows: dict[str, Cells] = {}
        self._order: list[str] = []
        self._pos: dict[str, int] = {}
        self._version: dict[str, int] = {}
        self._versions_issued = 0
        self._cache: dict[str, tuple[tuple[object, ...], Strip]] = {}
        """Each row's last drawn line, by row key, with what it was drawn from (one per row: a
        line is ~1 KB of Textual objects)."""
        self._layout: tuple[int, tuple[tuple[int, int], ...]] | None = None
        self.cursor_key: str | None = None
        self._base_style: Style | None = None

    # ------------------------------------------------------------ data

    @property
    def row_count(self) -> int:
        return len(self._order)

    @property
    def ordered_keys(self) -> list[str]:
        return list(self._order)

    @property
    def cursor_row(self) -> int:
        return self._pos.get(self.cursor_key or "", -1)

    def get_row(self, key: str) -> Cells:
        return self.rows[key]

    def get_cell(self, key: str, column: str) -> Text:
        return self.rows[key][self._index[column]]

    def set_rows(self, rows: Iterable[tuple[str, Cells]]) -> None:
        """Replace the table's content with ``rows`` (in display order), re-rendering only the
        rows whose cells changed. The cursor stays on its key; if that key is gone it moves to
        the row now at its old position."""
        old_row = self.cursor_row
        new_rows: dict[str, Cells] = {}
        order: list[str] = []
        changed: list[str] = []
        for key, cells in rows:
            if key in new_rows:
                continue
            order.append(key)
            new_rows[key] = cells
            if self.rows.get(key) != cells:
                self._bump(key)
                changed.append(key)
        for key in self._version.keys() - new_rows.keys():
            del self._version[key]
            self._cache.pop(key, None)
        old_order = self._order
        self.rows, self._order = new_rows, order
        self._pos = {k: i for i, k in enumerate(order)}
        moved: int | None = None  # the first row whose key differs, if any does
        if order != old_order:
            moved = next((i for i, (a, b) in enumerate(zip(old_order, order)) if a != b),
                         min(len(old_order), len(order)))
            # Set without the reactive's repaint of every line: the layout pass that follows
            # updates the scrollbar, and _refresh_from repaints the rows that moved.
            self.set_reactive(Widget.virtual_size, Size(self.size.width, len(order) + self._header_lines))
            self.refresh(repaint=False, layout=True)
        if self.cursor_key not in new_rows:
            if order:
                self._move_to(order[min(max(old_row, 0), len(order) - 1)], scroll=False)
            else:
                self.cursor_key = None
                self.post_message(self.Highlighted(self, None))
                self.post_message(Provenance())
        if moved is not None:
            if self.cursor_key is not None and self.cursor_row != old_row:
                self.scroll_to_cursor()  # rows inserted above or a re-sort: keep the cursor in view
            self._refresh_from(moved, max(len(order), len(old_order)))
        for key in changed:
            if moved is None or self._pos[key] < moved:
                self._refresh_row(key)

    def _refresh_from(self, first: int, end: int) -> None:
        """Repaint rows ``first`` to ``end`` (those in view): the rows above kept their place,
        and at 200 rows repainting all of them cost ~30 ms for a container added at the end."""
        start = max(first, int(self.scroll_y))
        count = min(end, int(self.scroll_y) + self.size.height) - start
        if count > 0:
            self.refresh_lines(start + self._header_lines, count)

    def _refresh_row(self, key: str | None) -> None:
        """Repaint one row's line (the rest of the table is unchanged)."""
        pos = self._pos.get(key or "")
        if pos is not None:
            self.refresh_lines(pos + self._header_lines)

    def update_row(self, key: str, cells: Cells) -> None:
        """Change one existing row in place."""
        if key in self.rows and self.rows[key] != cells:
            self.rows[key] = cells
            self._bump(key)
            self._refresh_row(key)

    def _bump(self, key: str) -> None:
        """New content for ``key``: a table-wide counter, so a row that leaves and comes back
        never meets a line cached for its earlier content."""
        self._versions_issued += 1
        self._version[key] = self._versions_issued

    # ------------------------------------------------------------ provenance

    def row_source(self, key: str) -> tuple[str, str] | None:
        """``(source, label)`` of a row for the footer: the command or file behind it."""
        return self._source(key) if self._source is not None else None

    def cursor_source(self) -> tuple[str, str] | None:
        """``(source, label)`` of the row under the cursor."""
        return self.row_source(self.cursor_key) if self.cursor_key is not None else None

    # ------------------------------------------------------------ cursor

    def move_cursor(self, *, row: int | None = None, key: str | None = None, scroll: bool = True) -> None:
        """Put the cursor on a row index or a key."""
        if key is None and row is not None and self._order:
            key = self._order[min(max(row, 0), len(self._order) - 1)]
        if key in self.rows:
            self._move_to(key, scroll=scroll)

    def _move_to(self, key: str, scroll: bool = True) -> None:
        if key != self.cursor_key:
            old, self.cursor_key = self.cursor_key, key
            self.post_message(self.Highlighted(self, key))
            self.post_message(Provenance())
            self._refresh_row(old)
            self._refresh_row(key)
        if scroll:
            self.scroll_to_cursor()

    def scroll_to_cursor(self) -> None:
        row = self.cursor_row
        if row < 0:
            return
        height = max(1, self.scrollable_content_region.height - self._header_lines)
        top = int(self.scroll_y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    def action_cursor(self, step: int) -> None:
        if self._order:
            self.move_cursor(row=max(self.cursor_row, 0) + step)

    def action_page(self, step: int) -> None:
        height = max(1, self.scrollable_content_region.height - self._header_lines)
        if self._order:
            self.move_cursor(row=max(self.cursor_row, 0) + step * height)

    def action_edge(self, end: int) -> None:
        if self._order:
            self.move_cursor(row=len(self._order) - 1 if end else 0)

    def action_select(self) -> None:
        if self.cursor_key is not None:
            self.post_message(self.Selected(self, self.cursor_key))

    async def _on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)  # event.y counts the border
        if offset is None:
            return
        row = offset.y - self._header_lines + int(self.scroll_y)
        if offset.y < self._header_lines or not 0 <= row < len(self._order):
            return
        key = self._order[row]
        if key == self.cursor_key and event.chain >= 2:
            self.post_message(self.Selected(self, key))
        self.move_cursor(key=key)

    # ------------------------------------------------------------ rendering

    @property
    def _header_lines(self) -> int:
        return 1 if self.show_header else 0

    def watch_focus_column(self) -> None:
        self.refresh()

    def watch_sorted_by(self) -> None:
        if self.show_header:
            self.refresh_lines(0)

    def forget_lines(self) -> None:
        """Drop the cached lines (the table is out of sight); they are drawn again when shown."""
        self._cache.clear()

    def on_resize(self) -> None:
        self._layout = None
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self._order) + self._header_lines)
        self.scroll_to_cursor()

    def _on_focus(self, event: events.Focus) -> None:
        self.post_message(Provenance())
        self.refresh()

    def _on_blur(self, event: events.Blur) -> None:
        self.refresh()

    def shown_columns(self) -> tuple[tuple[int, int], ...]:
        """(column index, width) of the columns that fit now (narrow tables drop some)."""
        return self._columns_for(self.scrollable_content_region.width or self.size.width)

    def _columns_for(self, width: int) -> tuple[tuple[int, int], ...]:
        """(column index, width) of the columns shown at this table width."""
        if self._layout is not None and self._layout[0] == width:
            return self._layout[1]
        shown = list(range(len(self.columns)))
        flex_min = self._flex_min

        def need(cols: list[int]) -> int:
            return sum((self.columns[i].width or flex_min) + 1 for i in cols) + 1

        while need(shown) > width:
            droppable = [i for i in shown if self.columns[i].drop]
            if not droppable:
                break
            shown.remove(max(droppable, key=lambda i: (self.columns[i].drop, i)))
        fixed = sum(self.columns[i].width + 1 for i in shown if self.columns[i].width) + 1
        flex = [i for i in shown if not self.columns[i].width]
        spare = max(0, width - fixed - len(flex))
        widths = []
        for i in shown:
            w = self.columns[i].width
            if not w:
                w = max(1, spare // len(flex))
            widths.append((i, w))
        if not flex and widths:  # give the spare room to the last column
            i, w = widths[-1]
            widths[-1] = (i, max(w, width - fixed + w))
        layout = tuple(widths)
        self._layout = (width, layout)
        return layout

    def _line(self, cells: Sequence[Text], layout: tuple[tuple[int, int], ...], width: int,
              style: Style, overlay: Style | None = None) -> Strip:
        line = Text(" ", no_wrap=True, end="")
        for i, w in layout:
            cell = cells[i] if i < len(cells) else Text("")
            t = cell.copy()
            t.no_wrap = True
            t.end = ""
            if t.cell_len > w:
                t.truncate(w, overflow="ellipsis")
            pad = w - t.cell_len
            if self.columns[i].right:
                line.append(" " * pad)
                line.append_text(t)
            else:
                line.append_text(t)
                line.append(" " * pad)
            line.append(" ")
        top = style + overlay if overlay is not None else style
        segments = []
        for s in line.render(self.app.console):
            st = style + s.style if s.style else style
            segments.append(Segment(s.text, st + overlay if overlay is not None else st))
        return Strip(segments).adjust_cell_length(width, top)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        base = self._base_style
        if base is None:
            base = self._base_style = self.rich_style
        layout = self._columns_for(width)
        if self.show_header and y == 0:
            hk = (width, self.focus_column, self.sorted_by)
            hit = self._cache.get(HEADER_KEY)
            if hit is not None and hit[0] == hk:
                return hit[1]
            hstyle = base + self.get_component_rich_style("live-table--header")
            fstyle = self.get_component_rich_style("live-table--focus-column")
            sort_col, arrow = self.sorted_by
            labels = []
            for c in self.columns:
                label = Text(c.label, style=fstyle if c.key == self.focus_column and c.label else "")
                if c.key == sort_col:
                    label.append(arrow)
                labels.append(label)
            strip = self._line(labels, layout, width, hstyle)
            self._cache[HEADER_KEY] = (hk, strip)
            return strip
        row = y - self._header_lines + int(self.scroll_y)
        if not 0 <= row < len(self._order):
            return Strip.blank(width, base)
        key = self._order[row]
        on_cursor = key == self.cursor_key
        focused = self.has_focus
        ck = (self._version.get(key, 0), on_cursor, focused and on_cursor, width)
        hit = self._cache.get(key)
        if hit is not None and hit[0] == ck:
            return hit[1]
        overlay = self.get_component_rich_style(
            "live-table--cursor" if focused else "live-table--cursor-blurred") if on_cursor else None
        strip = self._line(self.rows[key], layout, width, base, overlay)
        self._cache[key] = (ck, strip)
        return strip

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base_style = None
        self._cache.clear()
