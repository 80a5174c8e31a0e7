"""This module contains the report's PDF: the figures of the report page (the same template, staff/reports_body.html,
in a printable page of its own) laid out by WeasyPrint with the print stylesheet, in DejaVu fonts.

WeasyPrint needs Pango (libpango-1.0-0, libpangoft2-1.0-0) and fonts (fonts-dejavu-core): scripts/setup.sh installs
them when it runs as root. Without them the gateway still runs; a PDF asked for is refused with PdfUnavailable.
Nothing is fetched while laying out: the stylesheet is read from bot/web/static, and any URL is refused.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

import jinja2

from bot.errors import CrisisbotError
from bot.reports.charts import report_charts
from bot.reports.figures import Report
from bot.reports.suppression import format_count
from bot.shared.communes import normalize_name
from bot.shared.french import PARIS

__all__ = ["PRINT_TEMPLATE", "PdfUnavailable", "html_to_pdf", "pdf_filename", "report_html", "report_pdf"]

logger = logging.getLogger(__name__)

PRINT_TEMPLATE = "staff/reports_print.html"
STYLESHEET = Path(__file__).resolve().parent.parent / "web" / "static" / "reports.css"


class PdfUnavailable(CrisisbotError):
    """The PDF cannot be made on this machine (WeasyPrint or its Pango libraries are missing)."""

    message = (
        "Le rapport PDF ne peut pas être produit sur ce serveur pour le moment (bibliothèques d’impression "
        "manquantes). Le rapport reste lisible sur cette page, et téléchargeable en CSV."
    )


def report_html(env: jinja2.Environment, report: Report) -> str:
    """The printable page of a report: its title, territory and period, then every figure as on the page."""
    generated = report.generated_at.astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")
    return env.get_template(PRINT_TEMPLATE).render(
        report=report, charts=report_charts(report), generated=generated, printing=True, count=format_count
    )


@lru_cache(maxsize=1)
def _stylesheet():  # type: ignore[no-untyped-def]
    from weasyprint import CSS

    return CSS(string=STYLESHEET.read_text(encoding="utf-8"))


def html_to_pdf(html: str) -> bytes:
    """Lay out a printable page as PDF bytes (CPU-bound, a second or so: run it in a thread)."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango's shared libraries not found
        logger.error("WeasyPrint cannot run, no PDF: %s", exc)
        raise PdfUnavailable(PdfUnavailable.message) from exc
    # The page is ours and self-contained: whatever URL it names is not fetched (no file, no network).
    no_fetch = URLFetcher(allowed_protocols=())
    return HTML(string=html, url_fetcher=no_fetch).write_pdf(stylesheets=[_stylesheet()])


def report_pdf(env: jinja2.Environment, report: Report) -> bytes:
    """The PDF of a report."""
    return html_to_pdf(report_html(env, report))


def pdf_filename(report: Report, extension: str = "pdf") -> str:
    """`rapport-ca-le-grand-chalon-2020-04-06-2020-04-12.pdf`: ASCII, the territory and the period."""
    territory = normalize_name(report.territory.label).replace(" ", "-")[:60] or "territoire"
    return f"rapport-{territory}-{report.period.start.isoformat()}-{report.period.end.isoformat()}.{extension}"
