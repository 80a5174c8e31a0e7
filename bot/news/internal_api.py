"""This module contains the internal API's news routes, which the action server calls for an artisan: their
subscription (subscribe, end, look up) and the latest news. Behind the same loopback-and-token check as every
/internal/ route (bot.desk.internal_api)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import appkeys
from bot.errors import BadMessage
from bot.news.wording import list_entry
from bot.shared.communes import Commune
from bot.shared.subjects import SUBJECTS
from bot.storage.models import Subscription
from bot.web.json_api import read_json_object

MAX_CONSENT_CHARS = 2000
MAX_NEWS_PER_PAGE = 10


def _view(subscription: Subscription | None) -> dict[str, Any]:
    if subscription is None or not subscription.active:
        return {"subscribed": False}
    return {
        "subscribed": True,
        "topic": subscription.topic,
        "topic_label": SUBJECTS.get(subscription.topic, "tous les sujets") if subscription.topic else "tous les sujets",
        "commune_code": subscription.commune_code,
        "commune_name": subscription.commune_name,
    }


async def subscription(request: web.Request) -> web.Response:
    found = await request.app[appkeys.SUBSCRIPTIONS].of(request.match_info["conversation_id"])
    return web.json_response(_view(found))


async def subscribe(request: web.Request) -> web.Response:
    """`{"topic": "all" or a subject, "commune_code": INSEE code or null, "consent_text": the words shown}`."""
    body = await read_json_object(request)
    topic = body.get("topic")
    if topic == "all":
        topic = None
    if topic is not None and (topic not in SUBJECTS or topic == "other"):
        raise BadMessage(400, "Le champ « topic » doit valoir « all » ou un sujet.")
    consent = body.get("consent_text")
    if not isinstance(consent, str) or not consent.strip() or len(consent) > MAX_CONSENT_CHARS:
        raise BadMessage(400, "Le champ « consent_text » (les mots que l’artisan a acceptés) est obligatoire.")
    subscriptions = request.app[appkeys.SUBSCRIPTIONS]
    conversation_id = request.match_info["conversation_id"]
    code = body.get("commune_code")
    if code is not None:
        commune = _commune(request, code)
        known: tuple[str, str] | None = (commune.insee_code, commune.name)
    else:  # the commune the artisan gave in a request
        known = await subscriptions.known_commune(conversation_id)
    # The words the artisan read, as the conversation shows them (an admin may have reworded the offer).
    shown = await subscriptions.offer_shown(conversation_id)
    try:
        found, started = await subscriptions.subscribe(
            conversation_id,
            topic=topic,
            commune_code=known[0] if known else None,
            commune_name=known[1] if known else None,
            consent_text=shown or consent.strip(),
        )
    except LookupError:
        raise BadMessage(404, "Cette conversation est inconnue.") from None
    return web.json_response({**_view(found), "new": started}, status=201 if started else 200)


def _commune(request: web.Request, code: object) -> Commune:
    commune = request.app[appkeys.COMMUNES].by_code(str(code))
    if commune is None:
        raise BadMessage(400, "Le champ « commune_code » doit être le code INSEE d’une commune du département.")
    return commune


async def set_commune(request: web.Request) -> web.Response:
    """`{"commune_code": INSEE code}`: the artisan's commune, for local news."""
    body = await read_json_object(request)
    commune = _commune(request, body.get("commune_code"))
    found = await request.app[appkeys.SUBSCRIPTIONS].set_commune(
        request.match_info["conversation_id"], commune.insee_code, commune.name
    )
    if found is None:
        raise BadMessage(409, "Cette conversation n’est pas abonnée aux annonces.")
    return web.json_response(_view(found))


async def unsubscribe(request: web.Request) -> web.Response:
    ended = await request.app[appkeys.SUBSCRIPTIONS].end(request.match_info["conversation_id"])
    return web.json_response({"ended": ended})


async def latest_news(request: web.Request) -> web.Response:
    """`?offset=0&limit=3`: the public news, most recent first, each as the bot lists it."""
    try:
        offset = max(0, int(request.query.get("offset", "0")))
        limit = min(MAX_NEWS_PER_PAGE, max(1, int(request.query.get("limit", "3"))))
    except ValueError:
        raise BadMessage(400, "Les paramètres « offset » et « limit » sont des nombres.") from None
    items, total = await request.app[appkeys.NEWS].published(offset, limit)
    return web.json_response(
        {"items": [{"id": item.id, "entry": list_entry(item)} for item in items], "total": total, "offset": offset}
    )


routes = [
    web.get("/internal/conversations/{conversation_id}/subscription", subscription),
    web.put("/internal/conversations/{conversation_id}/subscription", subscribe),
    web.patch("/internal/conversations/{conversation_id}/subscription", set_commune),
    web.delete("/internal/conversations/{conversation_id}/subscription", unsubscribe),
    web.get("/internal/news", latest_news),
]
