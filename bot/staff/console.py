"""This module contains the advisers' live console: its page, its JSON API, its websocket, and the canned answers' page.

The page (`/staff/console`) is a shell its script fills from the JSON API (`/staff/console/api/...`) and keeps
current from the websocket (`/staff/console/ws`), which forwards the gateway's `Live` events. Every step an
adviser takes (take, reply, note, transfer, give back, close) is `bot.desk.handoff.Handoff`'s; its refusals
(`HandoffError`) come back as `{"error": "<French sentence>"}` with their status (bot.app's errors_as_json).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot import appkeys
from bot.channels.text import is_utf8
from bot.desk.handoff import REASON_LABELS, Adviser
from bot.desk.live import message_json
from bot.errors import HandoffError, Refusal
from bot.shared.french import PARIS
from bot.staff.forms import field, record_id
from bot.staff.labels import (
    AUTHOR_LABELS,
    CHANNEL_LABELS,
    DELIVERY_STATUS_LABELS,
    KIND_LABELS,
    MASK_TYPE_LABELS,
    SUBJECT_LABELS,
    label,
    status_label,
)
from bot.staff.middleware import current_staff, require_role
from bot.staff.proxy import from_own_origin
from bot.staff.sessions import SESSION_COOKIE
from bot.staff.views import render, see_other
from bot.storage.models import StaffRole
from bot.web.json_api import json_error, read_json_object

logger = logging.getLogger(__name__)

CONSOLE_PATH = "/staff/console"
API = CONSOLE_PATH + "/api"
CANNED_PATH = CONSOLE_PATH + "/canned-answers"
HEARTBEAT_SECONDS = 25.0
# How often an open websocket checks that its session still lives (logout, account disabled, expiry).
SESSION_CHECK_SECONDS = 60.0

UNKNOWN_CONVERSATION = "Cette conversation est inconnue."
NOT_A_WEBSOCKET = "Cette adresse sert au direct de la console : ouvrez /staff/console."
FOREIGN_ORIGIN = "Le direct de la console ne s'ouvre que depuis la console elle-même : ouvrez /staff/console."
SESSION_ENDED = 4401  # websocket close code: the page shows "reconnectez-vous"

# The audit's steps, as the console reads them.
EVENT_LABELS = {
    "requested": "Mise en attente d’un conseiller",
    "refused_closed": "Demande hors des heures des conseillers",
    "taken": "Prise en charge",
    "transferred": "Transférée",
    "given_back": "Rendue au bot",
    "closed": "Close",
    "expired": "Rendue au bot sans réponse",
    "released": "Rendue au bot : la session du conseiller a pris fin",
    "reopened": "Rouverte par l’artisan",
    "replied": "Réponse envoyée",
    "noted": "Note interne ajoutée",
}
CANNED_DONE = {"saved": "La réponse type est enregistrée.", "deleted": "La réponse type est supprimée."}


def paris(value: str | None) -> str:
    """An ISO UTC time as advisers read it, to the second: `06/04/2020 11:03:12` (Paris)."""
    if not value:
        return ""
    return datetime.fromisoformat(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M:%S")


def adviser_of(request: web.Request) -> Adviser:
    staff = current_staff(request)
    return Adviser(staff.account_id, staff.email, staff.is_admin)


def _conversation_id(request: web.Request) -> str:
    conversation_id = request.match_info["id"]
    if not conversation_id.isalnum() or len(conversation_id) > 32:
        raise HandoffError(404, UNKNOWN_CONVERSATION)
    return conversation_id


def _text(body: dict[str, Any]) -> str:
    text = body.get("text")
    if not isinstance(text, str):
        raise HandoffError(400, "Le champ « text » doit être un texte.")
    if not is_utf8(text):
        # JSON's "\ud800" escape gives a lone surrogate, which no database column can hold.
        raise HandoffError(400, "Le texte contient un caractère illisible (un demi-caractère UTF-16) : retapez-le.")
    return text


# --- The page -----------------------------------------------------------------------------------------------


@require_role(StaffRole.AGENT)
async def console_page(request: web.Request) -> web.Response:
    """The live console: the queue on the left, the open conversation on the right (filled by console.js)."""
    staff = current_staff(request)
    accounts = [a for a in await request.app[appkeys.STAFF_ACCOUNTS].all() if a.active]
    canned = await request.app[appkeys.CANNED_ANSWERS].all()
    return render(
        request,
        "staff/console.html",
        {
            "me": staff,
            "colleagues": [a for a in accounts if a.id != staff.account_id],
            "canned": canned,
        },
    )


# --- JSON API ------------------------------------------------------------------------------------------------


def _queue_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "channel_label": label(CHANNEL_LABELS, row["channel"])}


@require_role(StaffRole.AGENT)
async def api_queue(request: web.Request) -> web.Response:
    """Waiting conversations (distress first, then longest waiting), then those advisers have."""
    rows = await request.app[appkeys.HANDOFF_QUEUE].queue()
    return web.json_response({"queue": [_queue_row(row) for row in rows]})


def _message(message: Any, emails: dict[int, str]) -> dict[str, Any]:
    data = message_json(message)
    account_id = (message.payload or {}).get("account_id")
    data["author_label"] = label(AUTHOR_LABELS, message.author)
    data["adviser"] = emails.get(account_id) if account_id else None
    data["at"] = paris(data["created_at"])
    data["kind_label"] = label(KIND_LABELS, data["kind"]) if data["kind"] else None
    data["status_label"] = label(DELIVERY_STATUS_LABELS, message.status) if message.direction == "out" else None
    return data


def _display_name(messages: list[Any]) -> str:
    for message in reversed(messages):
        payload = message.payload or {}
        if message.author == "artisan" and (payload.get("profile_name") or payload.get("first_name")):
            return str(payload.get("profile_name") or payload.get("first_name"))
    return "Artisan"


@require_role(StaffRole.AGENT)
async def api_conversation(request: web.Request) -> web.Response:
    """One conversation: its state, every message, the artisan's requests, the internal notes and the audit."""
    conversation_id = _conversation_id(request)
    app = request.app
    found = await app[appkeys.REQUEST_DESK].conversation(conversation_id)
    if found is None:
        return json_error(404, UNKNOWN_CONVERSATION)
    conversation, callbacks, pledges = found
    queue = app[appkeys.HANDOFF_QUEUE]
    accounts = {a.id: a.email for a in await app[appkeys.STAFF_ACCOUNTS].all()}
    notes = await queue.notes(conversation_id)
    events = await queue.events(conversation_id)
    body = {
        "conversation": {
            "id": conversation.id,
            "channel": conversation.channel,
            "channel_label": label(CHANNEL_LABELS, conversation.channel),
            "state": conversation.state,
            "name": _display_name(conversation.messages),
            "reason": conversation.handoff_reason,
            "reason_label": REASON_LABELS.get(conversation.handoff_reason, conversation.handoff_reason or ""),
            "priority": conversation.priority,
            "waiting_since": conversation.waiting_since.isoformat() if conversation.waiting_since else None,
            "agent_id": conversation.agent_id,
            "agent": accounts.get(conversation.agent_id) if conversation.agent_id else None,
        },
        "messages": [_message(m, accounts) for m in conversation.messages],
        "notes": [{**n, "at": paris(n["at"])} for n in notes],
        "events": [
            {**e, "label": EVENT_LABELS.get(e["action"], e["action"]), "at": paris(e["at"]), "detail": _detail(e)}
            for e in events
        ],
        "callbacks": [
            {
                "id": c.id,
                "reference": c.reference,
                "subject": label(SUBJECT_LABELS, c.subject),
                "status": status_label(c.status),
            }
            for c in callbacks
        ],
        "pledges": [
            {
                "id": p.id,
                "reference": p.reference,
                "what": f"{p.quantity} masques {label(MASK_TYPE_LABELS, p.mask_type)}",
                "status": status_label(p.status),
            }
            for p in pledges
        ],
    }
    return web.json_response(body)


def _detail(event: dict[str, Any]) -> str | None:
    detail = event.get("detail")
    if event["action"] in ("requested", "refused_closed") and detail:
        return REASON_LABELS.get(detail, detail)
    if event["action"] == "transferred" and detail:
        return f"à {detail}"
    return detail


async def _step(request: web.Request, act: Any) -> web.Response:
    """Run one hand-off step for the logged-in adviser; a refusal is `{"error"}` with its status."""
    conversation_id = _conversation_id(request)
    result = await act(request.app[appkeys.HANDOFF], conversation_id, adviser_of(request))
    return web.json_response({"ok": True, **(result or {})})


@require_role(StaffRole.AGENT)
async def api_take(request: web.Request) -> web.Response:
    return await _step(request, lambda h, cid, me: h.take(cid, me))


@require_role(StaffRole.AGENT)
async def api_give_back(request: web.Request) -> web.Response:
    return await _step(request, lambda h, cid, me: h.give_back(cid, me))


@require_role(StaffRole.AGENT)
async def api_close(request: web.Request) -> web.Response:
    return await _step(request, lambda h, cid, me: h.close(cid, me))


@require_role(StaffRole.AGENT)
async def api_reply(request: web.Request) -> web.Response:
    """Send the adviser's answer to the artisan on their channel; the stored message comes back."""
    body = await read_json_object(request)

    async def reply(handoff: Any, conversation_id: str, me: Adviser) -> dict[str, Any]:
        message = await handoff.reply(conversation_id, me, _text(body))
        return {"message": {**message_json(message), "adviser": me.email}}

    return await _step(request, reply)


@require_role(StaffRole.AGENT)
async def api_note(request: web.Request) -> web.Response:
    """An internal note: stored with the conversation, shown to advisers, never sent to the artisan."""
    body = await read_json_object(request)

    async def note(handoff: Any, conversation_id: str, me: Adviser) -> None:
        await handoff.note(conversation_id, me, _text(body))

    return await _step(request, note)


@require_role(StaffRole.AGENT)
async def api_transfer(request: web.Request) -> web.Response:
    """Hand the conversation to another adviser (`{"account_id"}`)."""
    body = await read_json_object(request)
    account_id = body.get("account_id")
    if isinstance(account_id, str):
        account_id = record_id(account_id)
    if not isinstance(account_id, int) or isinstance(account_id, bool):
        return json_error(400, "Choisissez le conseiller à qui transférer la conversation.")

    async def transfer(handoff: Any, conversation_id: str, me: Adviser) -> None:
        await handoff.transfer(conversation_id, me, account_id)

    return await _step(request, transfer)


# --- Websocket ------------------------------------------------------------------------------------------------


@require_role(StaffRole.AGENT)
async def live_feed(request: web.Request) -> web.StreamResponse:
    """Forward the gateway's Live events to one console, as JSON, until it closes or its session ends."""
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_SECONDS)
    if not ws.can_prepare(request).ok:
        return json_error(400, NOT_A_WEBSOCKET)
    # A browser sends the session cookie with a websocket opened by any page (no CORS, no SameSite across
    # ports): only the Origin says the console's own page opened it.
    if not from_own_origin(request):
        return json_error(403, FOREIGN_ORIGIN)
    await ws.prepare(request)
    token = request.cookies.get(SESSION_COOKIE, "")
    sessions = request.app[appkeys.STAFF_SESSIONS]
    with request.app[appkeys.LIVE].subscribe() as events:
        sender = asyncio.create_task(_forward(ws, events, sessions, token), name="console-live")
        try:
            async for message in ws:  # the console sends nothing; reading answers pings and sees the close
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            await ws.close()
    return ws


async def _forward(ws: web.WebSocketResponse, events: asyncio.Queue, sessions: Any, token: str) -> None:
    while not ws.closed:
        try:
            event = await asyncio.wait_for(events.get(), SESSION_CHECK_SECONDS)
        except asyncio.TimeoutError:
            if await sessions.resolve(token) is None:
                await ws.close(code=SESSION_ENDED, message=b"session ended")
                return
            continue
        if event["kind"] == "shutdown":
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"gateway stopping")
            return
        try:
            await ws.send_str(json.dumps(event, default=str))
        except ConnectionError:
            return


# --- Canned answers (admins) -----------------------------------------------------------------------------------


async def _canned_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    answers = await request.app[appkeys.CANNED_ANSWERS].all()
    done = CANNED_DONE.get(request.query.get("ok", "")) if error is None else None
    return render(request, "staff/canned_answers.html", {"answers": answers, "error": error, "done": done}, status=status)


@require_role(StaffRole.ADMIN)
async def canned_answers_page(request: web.Request) -> web.Response:
    """The canned answers advisers insert in their replies: list, add, edit, delete."""
    return await _canned_page(request)


@require_role(StaffRole.ADMIN)
async def canned_answers_change(request: web.Request) -> web.Response:
    """Save (add or edit) or delete one canned answer, then back to the list."""
    form = await request.post()
    answer_id = record_id(form.get("id"))
    canned = request.app[appkeys.CANNED_ANSWERS]
    try:
        if field(form, "action") == "delete":
            if answer_id is None:
                raise Refusal(400, "Choisissez la réponse type à supprimer.")
            await canned.delete(answer_id)
            return see_other(CANNED_PATH + "?ok=deleted")
        await canned.save(current_staff(request).account_id, field(form, "title"), field(form, "text"), answer_id)
    except Refusal as exc:
        return await _canned_page(request, error=exc.message, status=exc.status)
    return see_other(CANNED_PATH + "?ok=saved")


routes: list[Any] = [
    web.get(CONSOLE_PATH, console_page),
    web.get(CONSOLE_PATH + "/ws", live_feed),
    web.get(CANNED_PATH, canned_answers_page),
    web.post(CANNED_PATH, canned_answers_change),
    web.get(API + "/queue", api_queue),
    web.get(API + "/conversations/{id}", api_conversation),
    web.post(API + "/conversations/{id}/take", api_take),
    web.post(API + "/conversations/{id}/give-back", api_give_back),
    web.post(API + "/conversations/{id}/close", api_close),
    web.post(API + "/conversations/{id}/reply", api_reply),
    web.post(API + "/conversations/{id}/note", api_note),
    web.post(API + "/conversations/{id}/transfer", api_transfer),
]

__all__ = ["routes"]
