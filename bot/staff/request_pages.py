"""This module contains the advisers' pages of callbacks, mask pledges and conversations, and their forms."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from yarl import URL

from bot import appkeys
from bot.desk.request_desk import MAX_ROWS
from bot.desk.request_filters import CallbackFilters, PledgeFilters
from bot.desk.request_statuses import CALLBACK_TRANSITIONS, PLEDGE_TRANSITIONS
from bot.errors import DeskError
from bot.staff.forms import field, record_id, record_ids
from bot.staff.labels import MASK_TYPE_LABELS, SUBJECT_LABELS, status_label
from bot.staff.middleware import current_staff, require_role
from bot.staff.views import local_path, render, see_other
from bot.storage.models import CallbackStatus, PledgeStatus, StaffRole

CALLBACKS_PATH = "/staff/callbacks"
PLEDGES_PATH = "/staff/pledges"
# The status buttons on a callback's page, in the order an adviser reads them.
CALLBACK_ACTIONS = (
    (CallbackStatus.CALLED_BACK, "Rappelé"),
    (CallbackStatus.UNREACHABLE, "Injoignable"),
    (CallbackStatus.IN_PROGRESS, "Reprendre"),
    (CallbackStatus.CLOSED, "Clore"),
)
DONE_MESSAGES = {
    "assigned": "La demande vous est attribuée.",
    "status": "Le statut est enregistré.",
    "collected": "Les promesses sont marquées comme collectées.",
    "handed_over": "Les promesses sont marquées comme remises à la préfecture.",
}


def with_params(path: str, params: dict[str, str]) -> str:
    return str(URL(path).with_query(params)) if params else path


def _record_id(request: web.Request) -> int:
    found = record_id(request.match_info["id"])
    if found is None:
        raise web.HTTPNotFound(text="Cette demande n’existe pas.")
    return found


def _field(form: MultiDictProxy, name: str) -> str:
    return field(form, name).strip()


def _handled_by(request: web.Request) -> int | None:
    """An agent's account id (they see the open callbacks and their own), None for an admin (every one)."""
    staff = current_staff(request)
    return None if staff.is_admin else staff.account_id


async def _visible(request: web.Request, callback_id: int) -> None:
    """Refuse a change to a callback the adviser may not see: 404 when unknown, 409 when another adviser has
    finished it meanwhile (the page was open while it was), without showing it again."""
    desk = request.app[appkeys.REQUEST_DESK]
    if await desk.callback(callback_id, _handled_by(request)) is not None:
        return
    if await desk.callback(callback_id) is None:
        raise web.HTTPNotFound(text="Cette demande n’existe pas.")
    raise web.HTTPConflict(text="Cette demande a changé entre-temps : un autre conseiller l’a traitée.")


def _done(request: web.Request) -> str | None:
    return DONE_MESSAGES.get(request.query.get("ok", ""))


@require_role(StaffRole.AGENT)
async def callbacks_page(request: web.Request) -> web.Response:
    """The callback queue, nearest deadline first, late ones highlighted, filtered by the GET parameters."""
    desk = request.app[appkeys.REQUEST_DESK]
    filters = CallbackFilters.from_query(request.query, _handled_by(request))
    rows = await desk.queue(filters)
    communes = await desk.callback_communes()
    params = filters.params()
    return render(
        request,
        "staff/callbacks.html",
        {
            "rows": rows,
            "filters": filters,
            "communes": communes,
            "subjects": SUBJECT_LABELS,
            "statuses": [(code, status_label(code)) for code in CALLBACK_TRANSITIONS],
            "here": with_params(CALLBACKS_PATH, params),
            "csv_url": with_params(CALLBACKS_PATH + ".csv", params),
            "done": _done(request),
            "max_rows": len(rows) >= MAX_ROWS,
        },
    )


async def _callback_page(
    request: web.Request, callback_id: int, back: str, *, error: str | None = None, status: int = 200
) -> web.Response:
    found = await request.app[appkeys.REQUEST_DESK].callback(callback_id, _handled_by(request))
    if found is None:
        raise web.HTTPNotFound(text="Cette demande n’existe pas.")
    row, changes = found
    allowed = CALLBACK_TRANSITIONS.get(row.callback.status, frozenset())
    return render(
        request,
        "staff/callback.html",
        {
            "row": row,
            "c": row.callback,
            "changes": changes,
            "actions": [(code, text) for code, text in CALLBACK_ACTIONS if code in allowed],
            "can_assign": row.callback.status in (CallbackStatus.NEW, CallbackStatus.UNREACHABLE)
            or (
                row.callback.status == CallbackStatus.IN_PROGRESS
                and row.callback.assigned_to_id != current_staff(request).account_id
            ),
            "back": back,
            "error": error,
            "done": _done(request),
        },
        status=status,
    )


@require_role(StaffRole.AGENT)
async def callback_page(request: web.Request) -> web.Response:
    """One callback: the artisan's details, its deadline, what to do next, and who changed what."""
    return await _callback_page(request, _record_id(request), local_path(request.query.get("back"), CALLBACKS_PATH))


@require_role(StaffRole.AGENT)
async def assign_callback(request: web.Request) -> web.Response:
    """Take the callback: in progress, assigned to me; back to where the button was."""
    callback_id = _record_id(request)
    await _visible(request, callback_id)
    form = await request.post()
    back = local_path(_field(form, "back"), CALLBACKS_PATH)
    try:
        await request.app[appkeys.REQUEST_DESK].assign_to(
            callback_id, current_staff(request).account_id, _field(form, "seen_status") or None
        )
    except DeskError as exc:
        return await _callback_page(request, callback_id, back, error=exc.message, status=exc.status)
    return see_other(_with_ok(back, "assigned"))


@require_role(StaffRole.AGENT)
async def callback_status(request: web.Request) -> web.Response:
    """Record the callback's new status, with the adviser's note; a move not allowed changes nothing."""
    callback_id = _record_id(request)
    await _visible(request, callback_id)
    form = await request.post()
    back = local_path(_field(form, "back"), CALLBACKS_PATH)
    try:
        await request.app[appkeys.REQUEST_DESK].set_callback_status(
            callback_id,
            current_staff(request).account_id,
            _field(form, "status"),
            _field(form, "note"),
            _field(form, "seen_status") or None,
        )
    except DeskError as exc:
        return await _callback_page(request, callback_id, back, error=exc.message, status=exc.status)
    page = with_params(f"{CALLBACKS_PATH}/{callback_id}", {"back": back, "ok": "status"})
    return see_other(page)


def _with_ok(path: str, ok: str) -> str:
    url = URL(path)
    return str(url.update_query(ok=ok))


@require_role(StaffRole.AGENT)
async def conversation_page(request: web.Request) -> web.Response:
    """A conversation's transcript, every message in order, with its callbacks and pledges."""
    conversation_id = request.match_info["id"]
    found = None
    if conversation_id.isalnum() and len(conversation_id) <= 32:
        found = await request.app[appkeys.REQUEST_DESK].conversation(conversation_id)
    if found is None:
        raise web.HTTPNotFound(text="Cette conversation n’existe pas.")
    conversation, callbacks, pledges = found
    return render(
        request,
        "staff/conversation.html",
        {"conversation": conversation, "messages": conversation.messages, "callbacks": callbacks, "pledges": pledges},
    )


async def _pledges_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    desk = request.app[appkeys.REQUEST_DESK]
    filters = PledgeFilters.from_query(request.query)
    pledges = await desk.pledges(filters)
    totals, communes = await desk.pledge_totals()
    params = filters.params()
    return render(
        request,
        "staff/pledges.html",
        {
            "pledges": pledges,
            "totals": totals,
            "communes": communes,
            "filters": filters,
            "statuses": [(code, status_label(code)) for code in PLEDGE_TRANSITIONS],
            "mask_types": MASK_TYPE_LABELS,
            "here": with_params(PLEDGES_PATH, params),
            "csv_url": with_params(PLEDGES_PATH + ".csv", params),
            "today": desk.today().isoformat(),
            "error": error,
            "done": _done(request),
            "max_rows": len(pledges) >= MAX_ROWS,
        },
        status=status,
    )


@require_role(StaffRole.AGENT)
async def pledges_page(request: web.Request) -> web.Response:
    """The mask pledges with totals by type, commune and status; forms to mark them collected or handed over."""
    return await _pledges_page(request)


@require_role(StaffRole.AGENT)
async def pledge_page(request: web.Request) -> web.Response:
    """One pledge: what, where, how it reaches the chamber, and who changed its status when."""
    found = await request.app[appkeys.REQUEST_DESK].pledge(_record_id(request))
    if found is None:
        raise web.HTTPNotFound(text="Cette demande n’existe pas.")
    pledge, changes = found
    back = local_path(request.query.get("back"), PLEDGES_PATH)
    return render(request, "staff/pledge.html", {"p": pledge, "changes": changes, "back": back})


@require_role(StaffRole.AGENT)
async def pledges_status(request: web.Request) -> web.Response:
    """Mark the ticked pledges collected, or handed to the prefecture on a date; all of them or none."""
    form = await request.post()
    action = _field(form, "action")
    back = local_path(_field(form, "back"), PLEDGES_PATH)
    ids = record_ids(form.getall("pledge", []))
    desk = request.app[appkeys.REQUEST_DESK]
    try:
        if action == "collected":
            await desk.set_pledges_status(ids, current_staff(request).account_id, PledgeStatus.COLLECTED)
        elif action == "handed_over":
            await desk.set_pledges_status(
                ids, current_staff(request).account_id, PledgeStatus.HANDED_OVER, _parse_date(_field(form, "date"))
            )
        else:
            raise DeskError(400, "Choisissez une action.")
    except DeskError as exc:
        return await _pledges_page(request, error=exc.message, status=exc.status)
    return see_other(_with_ok(back, action))


def _parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DeskError(400, "La date de remise n’est pas valide (jj/mm/aaaa).") from None


routes: list[Any] = [
    web.get(CALLBACKS_PATH, callbacks_page),
    web.get(CALLBACKS_PATH + "/{id}", callback_page),
    web.post(CALLBACKS_PATH + "/{id}/assign", assign_callback),
    web.post(CALLBACKS_PATH + "/{id}/status", callback_status),
    web.get("/staff/conversations/{id}", conversation_page),
    web.get(PLEDGES_PATH, pledges_page),
    web.get(PLEDGES_PATH + "/{id}", pledge_page),
    web.post(PLEDGES_PATH + "/status", pledges_status),
]
