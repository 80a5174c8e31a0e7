"""This module contains the admins' pages of the chamber's news: the list, writing and editing a news item, its
preview on every channel with the number of recipients, publishing, sending now or at a set time, stopping, and
the broadcast's progress (live, as JSON for news.js)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from bot import appkeys
from bot.errors import NewsRefused
from bot.news.broadcast import Broadcasts
from bot.news.items import CHANNELS, EDITABLE, NewsDraft, NewsItems
from bot.news.wording import BAROMETER_BUTTONS, SOURCE_LABELS, STOP_HINT
from bot.shared.french import PARIS, french_date
from bot.shared.subjects import SUBJECTS
from bot.staff.forms import field, record_id
from bot.staff.labels import CHANNEL_LABELS
from bot.staff.middleware import current_staff, require_role
from bot.staff.views import render, see_other
from bot.storage.audit import Actor
from bot.storage.models import NewsItem, NewsStatus, StaffRole

NEWS_PATH = "/staff/news"
STATUS_LABELS = {
    NewsStatus.DRAFT: "Brouillon",
    NewsStatus.PUBLISHED: "Publiée (sans envoi)",
    NewsStatus.SCHEDULED: "Envoi programmé",
    NewsStatus.SENDING: "Envoi en cours",
    NewsStatus.SENT: "Envoyée",
    NewsStatus.STOPPED: "Envoi arrêté",
}
OUTCOME_LABELS = {
    "waiting": "En attente",
    "sent": "Envoyé",
    "delivered": "Distribué",
    "read": "Lu",
    "failed": "Échec",
    "skipped": "Non envoyé",
    "stopped": "Arrêté avant envoi",
}
DONE = {
    "created": "Annonce enregistrée (brouillon) : vérifiez l’aperçu, puis publiez-la ou envoyez-la.",
    "saved": "Annonce modifiée.",
    "published": "Annonce publiée : l’assistant la donne aux artisans qui demandent les dernières annonces.",
    "sending": "Envoi lancé.",
    "scheduled": "Envoi programmé.",
    "unscheduled": "Programmation annulée.",
    "stopped": "Envoi arrêté : les artisans pas encore atteints ne recevront rien.",
}
TOPICS = {code: label for code, label in SUBJECTS.items() if code != "other"}
BAD_TIME = "La date et l’heure d’envoi ne sont pas valides."
MAX_FIELD_CHARS = 5000
RECIPIENTS_SHOWN = 200


def _actor(request: web.Request) -> Actor:
    staff = current_staff(request)
    return Actor(staff.account_id, staff.email)


def _news(request: web.Request) -> NewsItems:
    return request.app[appkeys.NEWS]


def _broadcasts(request: web.Request) -> Broadcasts:
    return request.app[appkeys.BROADCASTS]


def _form_of(item: NewsItem | None) -> dict[str, Any]:
    if item is None:
        return {"title": "", "text": "", "source": "", "effective_on": "", "link": "", "topic": "",
                "communes": "", "audience_topic": "", "channels": [], "barometer": False}
    return {
        "title": item.title, "text": item.text, "source": item.source, "effective_on": item.effective_on.isoformat(),
        "link": item.link or "", "topic": item.topic or "", "communes": ", ".join(item.audience_communes or ()),
        "audience_topic": item.audience_topic or "", "channels": list(item.audience_channels or ()),
        "barometer": bool(item.barometer),
    }


async def _read_form(request: web.Request) -> tuple[dict[str, Any], NewsDraft]:
    """The form as sent (to show again), and the news item it describes; NewsRefused says what to fix."""
    data = await request.post()
    names = ("title", "text", "source", "effective_on", "link", "topic", "communes", "audience_topic")
    form: dict[str, Any] = {name: field(data, name) for name in names}
    form["channels"] = [c for c in data.getall("channels", []) if isinstance(c, str) and c in CHANNELS]
    if any(len(form[name]) > MAX_FIELD_CHARS for name in names):
        raise NewsRefused(400, "Le formulaire est trop long.")
    form["barometer"] = data.get("barometer") == "on"
    fields = {**{name: form[name] for name in names}, "channels": " ".join(form["channels"])}
    fields["barometer"] = "on" if form["barometer"] else ""
    return form, NewsDraft.from_fields(fields, request.app[appkeys.COMMUNES])


def _context(request: web.Request) -> dict[str, Any]:
    return {
        "sources": SOURCE_LABELS,
        "topics": TOPICS,
        "channels": {code: CHANNEL_LABELS[code] for code in CHANNELS},
        "barometer_buttons": BAROMETER_BUTTONS,
        "status_labels": STATUS_LABELS,
        "outcome_labels": OUTCOME_LABELS,
        "french_date": french_date,
        "communes": request.app[appkeys.COMMUNES],
        "stop_hint": STOP_HINT,
    }


@require_role(StaffRole.ADMIN)
async def news_page(request: web.Request) -> web.Response:
    """Every news item, newest first, with where it stands."""
    items = await _news(request).all()
    return render(request, "staff/news.html", {**_context(request), "items": items})


@require_role(StaffRole.ADMIN)
async def new_news_page(request: web.Request) -> web.Response:
    return render(request, "staff/news_new.html", {**_context(request), "form": _form_of(None), "error": None})


@require_role(StaffRole.ADMIN)
async def create_news(request: web.Request) -> web.Response:
    try:
        form, draft = await _read_form(request)
    except NewsRefused as exc:
        return render(
            request, "staff/news_new.html",
            {**_context(request), "form": await _posted_form(request), "error": exc.message}, status=exc.status,
        )
    item = await _news(request).create(draft, _actor(request))
    return see_other(f"{NEWS_PATH}/{item.id}?ok=created")


async def _posted_form(request: web.Request) -> dict[str, Any]:
    data = await request.post()
    form: dict[str, Any] = {
        name: field(data, name)[:MAX_FIELD_CHARS] for name in _form_of(None) if name not in ("channels", "barometer")
    }
    form["channels"] = [c for c in data.getall("channels", []) if isinstance(c, str) and c in CHANNELS]
    form["barometer"] = data.get("barometer") == "on"
    return form


async def _item_page(
    request: web.Request, item: NewsItem, *, form: dict[str, Any] | None = None, error: str | None = None,
    status: int = 200,
) -> web.Response:
    broadcasts = _broadcasts(request)
    started = item.status in (NewsStatus.SENDING, NewsStatus.SENT, NewsStatus.STOPPED)
    context = {
        **_context(request),
        "item": item,
        "form": form or _form_of(item),
        "editable": item.status in EDITABLE,
        "started": started,
        "preview": None if started else await broadcasts.preview(item.id),
        "progress": await broadcasts.progress(item.id) if started else None,
        "recipients": await broadcasts.deliveries(item.id, RECIPIENTS_SHOWN) if started else [],
        "recipients_shown": RECIPIENTS_SHOWN,
        "error": error,
        "done": DONE.get(request.query.get("ok", "")) if error is None else None,
        "now_local": datetime.now(PARIS).strftime("%Y-%m-%dT%H:%M"),
    }
    return render(request, "staff/news_item.html", context, status=status)


async def _found(request: web.Request) -> NewsItem:
    news_id = record_id(request.match_info["id"])
    item = await _news(request).get(news_id) if news_id is not None else None
    if item is None:
        raise web.HTTPNotFound(text="Cette annonce n’existe pas.")
    return item


@require_role(StaffRole.ADMIN)
async def news_item_page(request: web.Request) -> web.Response:
    return await _item_page(request, await _found(request))


@require_role(StaffRole.ADMIN)
async def update_news(request: web.Request) -> web.Response:
    item = await _found(request)
    try:
        form, draft = await _read_form(request)
        await _news(request).update(item.id, draft, _actor(request))
    except NewsRefused as exc:
        return await _item_page(request, item, form=await _posted_form(request), error=exc.message, status=exc.status)
    return see_other(f"{NEWS_PATH}/{item.id}?ok=saved")


def _step(name: str, ok: str):  # type: ignore[no-untyped-def]
    """A POST that moves the news item one step (publish, send, schedule...), back to its page."""

    @require_role(StaffRole.ADMIN)
    async def handler(request: web.Request) -> web.Response:
        item = await _found(request)
        actor = _actor(request)
        try:
            if name == "publish":
                await _news(request).publish(item.id, actor)
            elif name == "send":
                await _broadcasts(request).start(item.id, actor)
            elif name == "schedule":
                await _news(request).schedule(item.id, _schedule_time(field(await request.post(), "at")), actor)
            elif name == "unschedule":
                await _news(request).unschedule(item.id, actor)
            elif name == "stop":
                await _broadcasts(request).stop(item.id, actor)
        except NewsRefused as exc:
            fresh = await _news(request).get(item.id) or item
            return await _item_page(request, fresh, error=exc.message, status=exc.status)
        return see_other(f"{NEWS_PATH}/{item.id}?ok={ok}")

    handler.__name__ = f"news_{name}"
    return handler


def _schedule_time(value: str) -> datetime:
    """A datetime-local field (Paris time) as an aware datetime."""
    try:
        local = datetime.fromisoformat(value.strip())
    except ValueError:
        raise NewsRefused(400, BAD_TIME) from None
    return local.replace(tzinfo=PARIS) if local.tzinfo is None else local


@require_role(StaffRole.ADMIN)
async def news_progress(request: web.Request) -> web.Response:
    """Where the broadcast stands, for the page's live bar."""
    item = await _found(request)
    progress = await _broadcasts(request).progress(item.id)
    return web.json_response({"status": item.status, "status_label": STATUS_LABELS[item.status], **progress.as_json()})


routes: list[Any] = [
    web.get(NEWS_PATH, news_page),
    web.post(NEWS_PATH, create_news),
    web.get(NEWS_PATH + "/new", new_news_page),
    web.get(NEWS_PATH + "/{id}", news_item_page),
    web.post(NEWS_PATH + "/{id}", update_news),
    web.get(NEWS_PATH + "/{id}/progress", news_progress),
    *(
        web.post(f"{NEWS_PATH}/{{id}}/{name}", _step(name, ok))
        for name, ok in (
            ("publish", "published"), ("send", "sending"), ("schedule", "scheduled"),
            ("unschedule", "unscheduled"), ("stop", "stopped"),
        )
    ),
]

__all__ = ["routes"]
