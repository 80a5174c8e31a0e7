"""This module draws a report's charts as inline SVG (nothing fetched, the same in the browser and in the PDF): bars
for the topics (this period beside the previous one), lines for the cumulative masks, stacked bars for the
barometer. Each chart shows only the cells its table shows: a hidden cell ("< 5", "masqué") gets no bar, and its
text is written where the bar would be; each chart is followed by its table on the page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

from bot.reports.suppression import Cell, format_count
from bot.reports.tables import Table
from bot.shared.department_map import department_svg

__all__ = ["ACTIVITY_COLOURS", "activity_bars_svg", "cumulative_lines_svg", "report_charts", "topic_bars_svg"]

WIDTH = 640
LABEL_WIDTH = 230  # the row labels' column of the horizontal bars
VALUE_ROOM = 70  # room right of the longest bar for its value
ROW = 22  # one bar's height and gap
ACTIVITY_COLOURS = {"Arrêtée": "#c0392b", "Réduite": "#e07a1f", "Normale": "#2e7d32"}
TOTAL_COLOUR = "#8a8a8a"  # a total whose parts are hidden
PERIOD_COLOURS = ("#1f6f8b", "#9cc3d1")  # this period, the previous one
LINE_COLOURS = ("#1f6f8b", "#e07a1f", "#2e7d32")  # pledged, collected, handed over
MAX_LABEL_CHARS = 34


@dataclass(frozen=True)
class _Svg:
    """An SVG being written: `wrap` puts its parts in the <svg> with the accessible title and description."""

    key: str
    title: str
    description: str

    def wrap(self, height: float, parts: list[str]) -> Markup:
        title_id, desc_id = f"{self.key}-title", f"{self.key}-desc"
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{self.key}-chart" '
            f'viewBox="0 0 {WIDTH} {_fmt(height)}" role="img" aria-labelledby="{title_id} {desc_id}">'
            f'<title id="{title_id}">{escape(self.title)}</title><desc id="{desc_id}">{escape(self.description)}</desc>'
        )
        return Markup(head + "".join(parts) + "</svg>")


def _fmt(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"


def _top(values: Sequence[int]) -> int:
    """The scale's top: the largest value, at least 1."""
    return max([*values, 1])


def _text(x: float, y: float, text: str, *, anchor: str = "start", css: str = "tick") -> str:
    # Paint as attributes, not CSS: the PDF's layout engine reads SVG paint from attributes only.
    fill = "#555" if css in ("tick", "legend", "hidden") else "#222"
    return (
        f'<text class="{css}" x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="{anchor}" fill="{fill}">{escape(text)}</text>'
    )


def topic_bars_svg(table: Table, key: str = "topics") -> Markup:
    """The topics: one group per topic, a bar for this period and one for the previous period (the table's first
    two columns), with their values; the trend stays in the table."""
    svg = _Svg(key, table.title, "Nombre de conversations par sujet, cette période (foncé) et la période "
                                 "précédente (clair) ; les chiffres sont dans le tableau sous le graphique.")
    values = [c.value for _, cells in table.rows for c in cells[:2] if c.value is not None]
    top = _top(values)
    scale = (WIDTH - LABEL_WIDTH - VALUE_ROOM) / top
    parts = [_legend(8, [(table.columns[0], PERIOD_COLOURS[0]), (table.columns[1], PERIOD_COLOURS[1])])]
    y = 30.0
    for label, cells in table.rows:
        parts.append(_text(LABEL_WIDTH - 8, y + ROW - 6, _short(label), anchor="end", css="label"))
        for offset, (cell, colour) in enumerate(zip(cells[:2], PERIOD_COLOURS)):
            parts.append(_bar(LABEL_WIDTH, y + offset * (ROW - 4), cell, scale, colour, ROW - 6,
                              f"{label}, {table.columns[offset].lower()} : {cell.text}"))
        y += 2 * (ROW - 4) + 10
    if not table.rows:
        parts.append(_text(WIDTH / 2, y + 10, "Aucune question sur la période.", anchor="middle"))
        y += 20
    return svg.wrap(y + 4, parts)


def _bar(x: float, y: float, cell: Cell, scale: float, colour: str, height: float, title: str) -> str:
    """A horizontal bar of one cell and its value after it; a hidden cell: no bar, its text ("< 5")."""
    if cell.value is None:
        return _text(x + 4, y + height - 3, cell.text, css="hidden")
    width = max(cell.value * scale, 1.0 if cell.value else 0.0)
    return (
        f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(width)}" height="{_fmt(height)}" fill="{colour}">'
        f"<title>{escape(title)}</title></rect>" + _text(x + width + 4, y + height - 3, cell.text, css="value")
    )


def _legend(y: float, keys: list[tuple[str, str]]) -> str:
    parts, x = [], float(LABEL_WIDTH)
    for name, colour in keys:
        parts.append(f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="12" height="12" fill="{colour}"></rect>')
        parts.append(_text(x + 16, y + 10, name, css="legend"))
        x += 24 + 7.5 * len(name)
    return "".join(parts)


def activity_bars_svg(table: Table, key: str) -> Markup:
    """The barometer by trade or by place: one bar per row (its Total row left out), stacked by activity
    (Arrêtée, Réduite, Normale). When any part of a row is hidden, its bar is its total alone, in grey; when the
    total is hidden too, its text."""
    svg = _Svg(key, table.title, "Réponses au baromètre par activité (arrêtée, réduite, normale) ; "
                                 "les chiffres sont dans le tableau sous le graphique.")
    activities = [c for c in table.columns if c in ACTIVITY_COLOURS]
    total_index = len(table.columns) - 1
    rows = [(label, cells) for label, cells in table.rows if label != table.columns[total_index]]
    top = _top([cells[total_index].value for _, cells in rows if cells[total_index].value is not None])
    scale = (WIDTH - LABEL_WIDTH - VALUE_ROOM) / top
    parts = [_legend(8, [(name, ACTIVITY_COLOURS[name]) for name in activities])]
    y = 30.0
    for label, cells in rows:
        parts.append(_text(LABEL_WIDTH - 8, y + ROW - 6, _short(label), anchor="end", css="label"))
        parts_shown = [cells[table.columns.index(name)] for name in activities]
        total = cells[total_index]
        if all(c.value is not None for c in parts_shown) and total.value is not None:
            x = float(LABEL_WIDTH)
            for name, cell in zip(activities, parts_shown):
                width = cell.value * scale
                if width:
                    parts.append(
                        f'<rect x="{_fmt(x)}" y="{_fmt(y)}" width="{_fmt(width)}" height="{ROW - 6}" '
                        f'fill="{ACTIVITY_COLOURS[name]}"><title>{escape(f"{label}, {name.lower()} : {cell.text}")}'
                        "</title></rect>"
                    )
                x += width
            parts.append(_text(x + 4, y + ROW - 9, total.text, css="value"))
        else:
            parts.append(_bar(LABEL_WIDTH, y, total, scale, TOTAL_COLOUR, ROW - 6,
                              f"{label}, total (détail masqué) : {total.text}"))
        y += ROW + 4
    if not rows:
        parts.append(_text(WIDTH / 2, y + 10, "Aucune réponse sur la période.", anchor="middle"))
        y += 20
    return svg.wrap(y + 4, parts)


def cumulative_lines_svg(
    days: list[date], series: list[tuple[str, list[int | None]]], title: str, key: str = "masks"
) -> Markup:
    """Cumulative masks per day, one line per series (pledged, collected, handed over): a point per day shown,
    none on a day hidden (the line goes from one shown point to the next)."""
    svg = _Svg(key, title, "Masques cumulés depuis le premier jour de la période : promis, collectés, remis à la "
                           "préfecture ; les chiffres sont dans le tableau sous le graphique.")
    height, left, right, top_margin, bottom = 240.0, 56.0, 16.0, 34.0, 24.0
    plot_w, plot_h = WIDTH - left - right, height - top_margin - bottom
    values = [v for _, points in series for v in points if v is not None]
    top = _top(values)
    step = plot_w / max(len(days) - 1, 1)

    def at(index: int, value: int) -> tuple[float, float]:
        return left + index * step, top_margin + plot_h - plot_h * value / top

    parts = [_legend(8, [(name, colour) for (name, _), colour in zip(series, LINE_COLOURS)])]
    for value in sorted({0, top // 2, top}):
        _, y = at(0, value)
        parts.append(f'<line class="grid" stroke="#ddd" x1="{_fmt(left)}" x2="{_fmt(WIDTH - right)}" y1="{_fmt(y)}" y2="{_fmt(y)}"></line>')
        parts.append(_text(left - 6, y + 4, format_count(value), anchor="end"))
    every = max(1, len(days) // 7)
    for index, day in enumerate(days):
        if index % every == 0 or index == len(days) - 1:
            parts.append(_text(left + index * step, height - 6, f"{day:%d/%m}", anchor="middle"))
    for (name, points), colour in zip(series, LINE_COLOURS):
        shown = [(index, value) for index, value in enumerate(points) if value is not None]
        if len(shown) > 1:
            path = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in (at(i, v) for i, v in shown))
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"></polyline>')
        for index, value in shown:
            x, y = at(index, value)
            parts.append(
                f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="{colour}">'
                f"<title>{escape(f'{days[index]:%d/%m}, {name.lower()} : {format_count(value)}')}</title></circle>"
            )
    return svg.wrap(height, parts)


MASK_SERIES = ("Promis", "Collectés", "Remis à la préfecture")
MAP_TITLE = "Carte : les réponses au baromètre par commune"


def report_charts(report) -> dict[str, Markup]:  # type: ignore[no-untyped-def]
    """Every chart of a report (bot.reports.figures.Report), by the name the report's template draws it."""
    days = [day for day, *_ in report.masks_cumulative]
    series = [(name, [point[n + 1] for point in report.masks_cumulative]) for n, name in enumerate(MASK_SERIES)]
    return {
        "topics": topic_bars_svg(report.topics),
        "masks": cumulative_lines_svg(days, series, "Masques cumulés par jour"),
        "by_trade": activity_bars_svg(report.barometer_by_trade, "by-trade"),
        "by_place": activity_bars_svg(report.barometer_by_place, "by-place"),
        # Only the communes whose count is shown (Report.map_points), so the map hides what the tables hide.
        "map": Markup(department_svg(report.map_points, title=MAP_TITLE, unit=("réponse", "réponses"))),
    }
