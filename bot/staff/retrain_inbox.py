"""This module contains the admins' inbox pages: the misunderstood messages in groups, labelled, ignored, or
turned into a new intent with its answer; and the recent labels, each of which can be undone."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from yarl import URL

from bot import appkeys
from bot.errors import RetrainRefused
from bot.retrain.inbox import NO_MESSAGE, UNKNOWN_LABEL, Inbox
from bot.retrain.intents import AdminIntents
from bot.staff import forms
from bot.staff.forms import record_id, record_ids
from bot.staff.middleware import current_staff, require_role
from bot.staff.views import render, see_other
from bot.storage.audit import Actor
from bot.storage.database import create_sessionmaker
from bot.storage.models import StaffRole

logger = logging.getLogger(__name__)

INBOX_PATH = "/staff/inbox"
LABELLED_PATH = INBOX_PATH + "/labelled"
# How many messages one visit of the page shows, grouped.
PAGE_MESSAGES = 2000
INTENT_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")

# What the page says after an action: (one message, several messages), with {n} and {intent}.
DONE = {
    "label": (
        "1 message étiqueté avec l’intention « {intent} ».",
        "{n} messages étiquetés avec l’intention « {intent} ».",
    ),
    "ignore": (
        "1 message ignoré : il ne servira pas à l’entraînement.",
        "{n} messages ignorés : ils ne serviront pas à l’entraînement.",
    ),
    "intent": (
        "Intention « {intent} » créée avec sa réponse ; 1 message étiqueté.",
        "Intention « {intent} » créée avec sa réponse ; {n} messages étiquetés.",
    ),
    "none": ("Ces messages étaient déjà étiquetés : rien n’a changé.",) * 2,
}
UNDONE = "Étiquette annulée : le message est revenu dans la boîte des incompris."


@dataclass
class FailedForm:
    """What an admin sent from one group, shown again with the error: nothing they typed is lost."""

    group: int | None
    checked: set[int] = field(default_factory=set)
    intent: str = ""
    title: str = ""
    answer: str = ""
    new_intent: bool = False


def inbox_of(request: web.Request) -> Inbox:
    return Inbox(create_sessionmaker(request.app[appkeys.DATABASE]), request.app[appkeys.SETTINGS])


def intents_of(request: web.Request) -> AdminIntents:
    return AdminIntents(create_sessionmaker(request.app[appkeys.DATABASE]), request.app[appkeys.SETTINGS])


def actor_of(request: web.Request) -> Actor:
    staff = current_staff(request)
    return Actor(staff.account_id, staff.email)


def _ids(form: MultiDictProxy) -> list[int]:
    return record_ids(form.getall("message", []))


def _group_key(form: MultiDictProxy) -> int | None:
    return record_id(form.get("group"))


def _done(request: web.Request) -> str | None:
    texts = DONE.get(request.query.get("ok", ""))
    if texts is None:
        return None
    raw = request.query.get("n", "0")
    n = int(raw) if raw.isdigit() and len(raw) <= 9 else 0
    intent = request.query.get("intent", "")
    return texts[n != 1].format(n=n, intent=intent if INTENT_NAME.fullmatch(intent) else "?")


def _done_location(kind: str, n: int, intent: str | None = None) -> str:
    if n == 0:
        kind = "none"
    params = {"ok": kind, "n": str(n)}
    if intent:
        params["intent"] = intent
    return str(URL(INBOX_PATH).with_query(params))


async def _inbox_page(
    request: web.Request, *, error: str | None = None, failed: FailedForm | None = None, status: int = 200
) -> web.Response:
    inbox = inbox_of(request)
    groups = await inbox.groups(PAGE_MESSAGES)
    if failed is not None and all(g.members[0].id != failed.group for g in groups):
        # The groups moved meanwhile (another admin labelled): the form goes back with its messages.
        failed.group = next((g.members[0].id for g in groups if failed.checked & set(g.ids)), None)
    context: dict[str, Any] = {
        "groups": groups,
        "intents": await intents_of(request).names(),
        "error": error,
        "failed": failed,
        "done": _done(request) if error is None else None,
        "messages_total": sum(g.count for g in groups),
    }
    return render(request, "staff/inbox.html", context, status=status)


@require_role(StaffRole.ADMIN)
async def inbox_page(request: web.Request) -> web.Response:
    """The misunderstood messages, in groups of similar ones, to label, ignore or turn into a new intent."""
    return await _inbox_page(request)


@require_role(StaffRole.ADMIN)
async def label_messages(request: web.Request) -> web.Response:
    """Label the checked messages of a group with an intent, or ignore them."""
    form = await request.post()
    ids = _ids(form)
    ignore = forms.field(form, "action") == "ignore"
    intent = forms.field(form, "intent").strip()
    failed = FailedForm(_group_key(form), set(ids), intent, forms.field(form, "title"), forms.field(form, "answer"))
    try:
        n = await inbox_of(request).label(
            ids, intent=None if ignore else intent, ignore=ignore, actor=actor_of(request)
        )
    except RetrainRefused as exc:
        return await _inbox_page(request, error=exc.message, failed=failed, status=exc.status)
    return see_other(_done_location("ignore" if ignore else "label", n, None if ignore else intent))


@require_role(StaffRole.ADMIN)
async def new_intent(request: web.Request) -> web.Response:
    """Create an intent with its French answer, then label the checked messages with it."""
    form = await request.post()
    ids = _ids(form)
    title, answer = forms.field(form, "title"), forms.field(form, "answer")
    failed = FailedForm(_group_key(form), set(ids), forms.field(form, "intent"), title, answer, new_intent=True)
    inbox = inbox_of(request)
    actor = actor_of(request)
    if not ids:
        return await _inbox_page(request, error=NO_MESSAGE, failed=failed, status=400)
    try:
        name = await intents_of(request).create(title, answer, actor)
    except RetrainRefused as exc:
        return await _inbox_page(request, error=exc.message, failed=failed, status=exc.status)
    request.app[appkeys.ANSWERS].invalidate()  # its answer is live, and editable, from now on
    try:
        n = await inbox.label(ids, intent=name, actor=actor)
    except RetrainRefused as exc:
        failed.new_intent = False
        failed.intent = name
        message = f"L’intention « {name} » est créée, mais les messages n’ont pas été étiquetés : {exc.message}"
        return await _inbox_page(request, error=message, failed=failed, status=400)
    return see_other(_done_location("intent", n, name))


@require_role(StaffRole.ADMIN)
async def labelled_page(request: web.Request) -> web.Response:
    """The recent labels, with who labelled what and when; each can be undone."""
    labels = await inbox_of(request).labelled()
    done = UNDONE if request.query.get("ok") == "undo" else None
    error = UNKNOWN_LABEL if request.query.get("error") == "gone" else None
    return render(request, "staff/inbox_labelled.html", {"labels": labels, "done": done, "error": error})


@require_role(StaffRole.ADMIN)
async def undo_label(request: web.Request) -> web.Response:
    """Undo one label: its message goes back to the inbox."""
    label_id = record_id(request.match_info["id"])
    if label_id is None:
        return see_other(LABELLED_PATH + "?error=gone")
    try:
        await inbox_of(request).unlabel(label_id, actor_of(request))
    except RetrainRefused:
        return see_other(LABELLED_PATH + "?error=gone")
    return see_other(LABELLED_PATH + "?ok=undo")


routes: list[Any] = [
    web.get(INBOX_PATH, inbox_page),
    web.post(INBOX_PATH + "/label", label_messages),
    web.post(INBOX_PATH + "/new-intent", new_intent),
    web.get(LABELLED_PATH, labelled_page),
    web.post(LABELLED_PATH + "/{id}/undo", undo_label),
]

__all__ = ["routes"]
