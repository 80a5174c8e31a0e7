"""This module contains the web chat's news route: the web chat has no push, so a returning artisan's page asks for
the news published since their last visit, and shows them at the top."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from bot import appkeys
from bot.channels.rest import sender_of
from bot.errors import BadMessage
from bot.news.wording import SOURCE_LABELS
from bot.shared.french import french_date

MAX_SHOWN = 5


async def news_since(request: web.Request) -> web.Response:
    """`?sender=…&since=<ISO time of the last visit>`: the news published since, but those the conversation was
    sent as a broadcast (already in its history)."""
    try:
        since = datetime.fromisoformat(request.query.get("since", ""))
    except ValueError:
        raise BadMessage(400, "Le paramètre « since » doit être une date ISO 8601.") from None
    if since.tzinfo is None:
        raise BadMessage(400, "Le paramètre « since » doit dire son fuseau (par exemple 2020-11-30T09:00:00Z).")
    items = await request.app[appkeys.NEWS].published_since(since, MAX_SHOWN)
    sender = request.query.get("sender", "")
    sender = sender_of(sender) if sender else ""
    conversation = await request.app[appkeys.MESSAGE_LOG].find_conversation("rest", sender) if sender else None
    if conversation is not None and items:
        sent = await request.app[appkeys.NEWS].sent_to(conversation.id)
        items = [item for item in items if item.id not in sent]
    return web.json_response(
        {
            "news": [
                {
                    "id": item.id,
                    "title": item.title,
                    "text": item.text,
                    "source": SOURCE_LABELS.get(item.source, item.source),
                    "effective_on": french_date(item.effective_on),
                    "link": item.link,
                }
                for item in items
            ]
        }
    )


routes = [web.get("/webhooks/rest/news", news_since)]
