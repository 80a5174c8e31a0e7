"""This module contains the CSV exports of callbacks and pledges, for French Excel: UTF-8 with BOM, `;`, French headers.

They hold every artisan's name and phone number, so they are for admins only (see the README); the current
filters of the page apply, without the page's row limit.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime

from aiohttp import web

from bot import appkeys
from bot.desk.request_filters import CallbackFilters, PledgeFilters
from bot.shared.french import PARIS
from bot.staff.labels import (
    CALLBACK_STATUS_LABELS,
    DELIVERY_LABELS,
    MASK_TYPE_LABELS,
    PLEDGE_STATUS_LABELS,
    PREFERRED_TIME_LABELS,
    SUBJECT_LABELS,
    label,
    phone_display,
)
from bot.staff.middleware import current_staff, require_role
from bot.storage.models import StaffRole

logger = logging.getLogger(__name__)

CALLBACK_COLUMNS = (
    "Référence", "Nom", "Téléphone", "Métier", "Commune", "Code INSEE", "Sujet", "Créneau", "Statut",
    "Conseiller", "Échéance", "En retard", "Créée le", "Modifiée le", "Note", "Conversation",
)
PLEDGE_COLUMNS = (
    "Référence", "Quantité", "Type de masques", "Commune", "Code INSEE", "Acheminement", "Téléphone", "Statut",
    "Remis le", "Créée le", "Conversation",
)
# A cell starting with one of these is a formula to a spreadsheet: an artisan's name must never run as one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_time(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if value is not None else ""


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) and not _is_phone(text) else text


def _is_phone(text: str) -> bool:
    return text.startswith("+") and text[1:].isdigit()


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads the accents), `;` between cells, CRLF between rows."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def csv_response(body: bytes, name: str) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@require_role(StaffRole.ADMIN)
async def callbacks_csv(request: web.Request) -> web.Response:
    """The callbacks the queue shows with these filters, all of them, as CSV."""
    desk = request.app[appkeys.REQUEST_DESK]
    rows = await desk.queue(CallbackFilters.from_query(request.query), limit=None)
    body = to_csv(
        CALLBACK_COLUMNS,
        (
            (
                r.callback.reference, r.callback.name, phone_display(r.callback.phone), r.callback.trade,
                r.callback.commune_name, r.callback.commune_code, label(SUBJECT_LABELS, r.callback.subject),
                label(PREFERRED_TIME_LABELS, r.callback.preferred_time),
                label(CALLBACK_STATUS_LABELS, r.callback.status), r.assignee or "",
                excel_time(r.callback.due_at), "oui" if r.overdue else "non", excel_time(r.callback.created_at),
                excel_time(r.callback.updated_at), r.callback.note or "", r.callback.conversation_id,
            )
            for r in rows
        ),
    )
    logger.info("Staff %s exported %d callbacks", current_staff(request).account_id, len(rows))
    return csv_response(body, f"demandes-de-rappel-{desk.today().isoformat()}.csv")


@require_role(StaffRole.ADMIN)
async def pledges_csv(request: web.Request) -> web.Response:
    """The pledges the list shows with these filters, all of them, as CSV."""
    desk = request.app[appkeys.REQUEST_DESK]
    pledges = await desk.pledges(PledgeFilters.from_query(request.query), limit=None)
    body = to_csv(
        PLEDGE_COLUMNS,
        (
            (
                p.reference, p.quantity, label(MASK_TYPE_LABELS, p.mask_type), p.commune_name, p.commune_code,
                label(DELIVERY_LABELS, p.delivery), phone_display(p.phone), label(PLEDGE_STATUS_LABELS, p.status),
                excel_time(p.handed_over_at), excel_time(p.created_at), p.conversation_id,
            )
            for p in pledges
        ),
    )
    logger.info("Staff %s exported %d pledges", current_staff(request).account_id, len(pledges))
    return csv_response(body, f"dons-de-masques-{desk.today().isoformat()}.csv")


routes = [
    web.get("/staff/callbacks.csv", callbacks_csv),
    web.get("/staff/pledges.csv", pledges_csv),
]
