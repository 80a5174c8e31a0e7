"""This module contains the report pages, for partners and the chamber's staff: /staff/reports/ (a period, this week
by default, and for staff a territory: the department or an EPCI), its PDF and its CSV, and the link to last week's
report ("Rapport hebdomadaire").

A partner always gets the report of its own territory: a `territory` it sends is ignored. A bad date or territory
shows the page again with a French error and what was typed, and no figure.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from yarl import URL

from bot import appkeys
from bot.reports.charts import report_charts
from bot.reports.csv_export import report_csv
from bot.reports.figures import Report, build_report
from bot.reports.pdf import PdfUnavailable, pdf_filename, report_pdf
from bot.reports.period import BadPeriod, Period
from bot.reports.suppression import format_count
from bot.reports.territory import BadTerritory, Territory, epci_choices
from bot.shared.french import PARIS
from bot.staff.middleware import current_staff, require_role
from bot.staff.views import render
from bot.storage import create_sessionmaker
from bot.storage.models import StaffRole

__all__ = ["REPORTS_PATH", "last_week", "routes"]

logger = logging.getLogger(__name__)

REPORTS_PATH = "/staff/reports/"
PDF_PATH = "/staff/reports/rapport.pdf"
CSV_PATH = "/staff/reports/rapport.csv"
WHOLE = "departement"  # the territory select's value for the whole department; an EPCI's is "epci:<SIREN>"
UNKNOWN_CHOICE = "Territoire inconnu : choisissez le département ou une intercommunalité dans la liste."


@dataclass(frozen=True)
class Asked:
    """What the report form sent, as typed, to give back to the form."""

    start: str
    end: str
    territory: str

    @classmethod
    def of(cls, request: web.Request) -> Asked:
        query = request.query
        return cls(
            query.get("from", "").strip()[:40], query.get("to", "").strip()[:40], query.get("territory", "").strip()[:40]
        )

    def query(self, *, staff: bool) -> dict[str, str]:
        """The query string of the same report (the PDF's and CSV's links)."""
        wanted = {"from": self.start, "to": self.end}
        if staff:
            wanted["territory"] = self.territory
        return {name: value for name, value in wanted.items() if value}


def last_week(today: date) -> Period:
    """The last complete week, Monday to Sunday: the weekly report, ready every Monday."""
    return Period.week_of(today - timedelta(days=7))


def paris_today(request: web.Request) -> date:
    return request.app[appkeys.SETTINGS].clock().astimezone(PARIS).date()


def territory_of(request: web.Request, asked: Asked) -> Territory:
    """A partner's own territory; for staff, the department or the EPCI chosen (nothing else)."""
    staff = current_staff(request)
    if staff.is_partner:
        communes = list(staff.territory) if staff.territory is not None else None
        return Territory.of_account(communes, staff.territory_label)
    choice = asked.territory or WHOLE
    if choice != WHOLE and not choice.startswith("epci:"):
        raise BadTerritory(UNKNOWN_CHOICE)
    return Territory.parse(choice, request.app[appkeys.COMMUNES])


async def asked_report(request: web.Request) -> tuple[Asked, Report]:
    """The report the request asks for; BadPeriod or BadTerritory when it cannot be read."""
    asked = Asked.of(request)
    period = Period.parse(asked.start or None, asked.end or None, paris_today(request))
    territory = territory_of(request, asked)
    settings = request.app[appkeys.SETTINGS]
    sessionmaker = create_sessionmaker(request.app[appkeys.DATABASE])
    report = await build_report(sessionmaker, request.app[appkeys.COMMUNES], period, territory, settings.clock())
    return asked, report


def _page(request: web.Request, asked: Asked, report: Report | None, error: str | None, status: int = 200) -> web.Response:
    staff = current_staff(request)
    week = last_week(paris_today(request))
    week_query = {"from": week.start.isoformat(), "to": week.end.isoformat()}
    if not staff.is_partner and asked.territory:
        week_query["territory"] = asked.territory
    if report is not None:  # the form shows the period the figures are of
        asked = Asked(asked.start or report.period.start.isoformat(), asked.end or report.period.end.isoformat(),
                      asked.territory)
    downloads = asked.query(staff=not staff.is_partner)  # the figures shown, even downloaded next week
    context: dict[str, Any] = {
        "asked": asked,
        "report": report,
        "charts": report_charts(report) if report is not None else None,
        "error": error,
        "printing": False,
        "count": format_count,
        "choices": [] if staff.is_partner else [(WHOLE, "Tout le département"), *(
            (f"epci:{code}", name) for code, name in epci_choices(request.app[appkeys.COMMUNES])
        )],
        "own_territory": staff.territory_label if staff.is_partner else None,
        "pdf_href": str(URL(PDF_PATH).with_query(downloads)),
        "csv_href": str(URL(CSV_PATH).with_query(downloads)),
        "week": week,
        "week_href": str(URL(REPORTS_PATH).with_query(week_query)),
        "week_pdf_href": str(URL(PDF_PATH).with_query(week_query)),
        "generated": (
            report.generated_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if report is not None else None
        ),
    }
    return render(request, "staff/reports.html", context, status=status)


async def _report_or_page(request: web.Request) -> Report | web.Response:
    try:
        _, report = await asked_report(request)
    except (BadPeriod, BadTerritory) as exc:
        return _page(request, Asked.of(request), None, exc.message, status=400)
    return report


@require_role(StaffRole.PARTNER)
async def report_page(request: web.Request) -> web.Response:
    """The report of a period and a territory: charts, each followed by its table, the map, the downloads."""
    found = await _report_or_page(request)
    if isinstance(found, web.Response):
        return found
    logger.info("Report of %s shown to staff account %s", found.period, current_staff(request).account_id)
    return _page(request, Asked.of(request), found, None)


@require_role(StaffRole.PARTNER)
async def report_pdf_download(request: web.Request) -> web.Response:
    """The report as a printable PDF (the page's figures, in print)."""
    found = await _report_or_page(request)
    if isinstance(found, web.Response):
        return found
    env = aiohttp_jinja2.get_env(request.app)
    try:
        pdf = await asyncio.to_thread(report_pdf, env, found)
    except PdfUnavailable as exc:
        return _page(request, Asked.of(request), found, exc.message, status=503)
    return _download(pdf, "application/pdf", pdf_filename(found))


@require_role(StaffRole.PARTNER)
async def report_csv_download(request: web.Request) -> web.Response:
    """Every figure of the report as CSV (one line each), for a spreadsheet."""
    found = await _report_or_page(request)
    if isinstance(found, web.Response):
        return found
    return _download(report_csv(found).encode("utf-8"), "text/csv", pdf_filename(found, "csv"), charset="utf-8")


def _download(body: bytes, content_type: str, filename: str, charset: str | None = None) -> web.Response:
    response = web.Response(body=body, content_type=content_type, charset=charset)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


routes = [
    web.get(REPORTS_PATH, report_page),
    web.get(PDF_PATH, report_pdf_download),
    web.get(CSV_PATH, report_csv_download),
]
