"""This module contains the staff dashboard: counts of callbacks and pledges, and a per-day chart drawn as inline SVG."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from aiohttp import web

from bot import appkeys
from bot.staff.middleware import require_role
from bot.staff.views import render
from bot.storage.models import StaffRole

CHART_WIDTH = 640
CHART_HEIGHT = 220
MARGIN_LEFT = 32
MARGIN_BOTTOM = 24
MARGIN_TOP = 10


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str  # "callbacks" or "pledges": its CSS class
    title: str


@dataclass(frozen=True)
class Chart:
    """Two bars a day (callbacks, pledges), y ticks, and a few day labels: what the template draws."""

    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, int]]  # (y, value)
    labels: list[tuple[float, str]]  # (x, "06/04")
    baseline: float


def nice_top(value: int) -> int:
    """The chart's top value: at least the highest bar, rounded up to 1, 2 or 5 times a power of ten."""
    top = 1
    while True:
        for step in (1, 2, 5):
            if top * step >= value:
                return max(top * step, 1)
        top *= 10


def per_day_chart(per_day: list[tuple[date, int, int]]) -> Chart:
    """Lay out callbacks and pledges per day as bars."""
    top = nice_top(max([max(c, p) for _, c, p in per_day] or [0]))
    plot_width = CHART_WIDTH - MARGIN_LEFT - 4
    plot_height = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    baseline = MARGIN_TOP + plot_height
    slot = plot_width / max(len(per_day), 1)
    bar_width = max(slot * 0.38, 1)
    bars: list[Bar] = []
    labels: list[tuple[float, str]] = []
    for index, (day, callbacks, pledges) in enumerate(per_day):
        left = MARGIN_LEFT + index * slot + slot * 0.1
        for offset, (count, kind, noun) in enumerate(
            ((callbacks, "callbacks", "demande(s) de rappel"), (pledges, "pledges", "promesse(s) de dons"))
        ):
            height = plot_height * count / top
            bars.append(
                Bar(
                    round(left + offset * bar_width, 1), round(baseline - height, 1), round(bar_width, 1),
                    round(height, 1), kind, f"{day:%d/%m} : {count} {noun}",
                )
            )
        if index % 5 == 0 or index == len(per_day) - 1:
            labels.append((round(left + bar_width, 1), f"{day:%d/%m}"))
    ticks = [(round(baseline - plot_height * value / top, 1), value) for value in sorted({0, top // 2, top})]
    return Chart(CHART_WIDTH, CHART_HEIGHT, bars, ticks, labels, baseline)


@require_role(StaffRole.AGENT)
async def dashboard_page(request: web.Request) -> web.Response:
    """The counts of the day and the requests of the last 30 days."""
    counts = await request.app[appkeys.DASHBOARD].figures(days=30)
    return render(request, "staff/dashboard.html", {**counts, "chart": per_day_chart(counts["per_day"])})


routes = [web.get("/staff/dashboard", dashboard_page)]
