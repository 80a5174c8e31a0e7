"""This module contains the web chat's channel, which follows Rasa's REST channel contract.

`POST /webhooks/rest/webhook` with `{"sender": "...", "message": "..."}` answers the bot's replies as
`[{"recipient_id", "text", "buttons"?}]`. Unlike Rasa's own REST channel, the message goes through the
stored message path: stored first, answered by the conversation router, replies stored then returned.
An optional `message_id` makes a retry safe: the same id sent twice is answered once, with the same replies.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from bot import appkeys
from bot.channels.text import clean_text, stored_as_sent
from bot.errors import BadMessage
from bot.storage import Direction, Message, MessageStatus
from bot.storage.message_log import Inbound
from bot.web.json_api import read_json_object

CHANNEL = "rest"
MAX_ID_CHARS = 128
HISTORY_LIMIT = 200
# A message id as `after=`: ASCII digits only (str.isdigit() also takes "²", which int() refuses, and "١٢",
# which it reads), and few enough of them to fit the database's 64-bit integers.
MESSAGE_ID = re.compile(r"[0-9]{1,18}")
# What a reply may carry besides its text, in Rasa's REST contract (nothing internal, such as an adviser's id).
REST_KEYS = ("buttons", "image", "attachment", "custom")


def sender_of(value: Any) -> str:
    """The web chat's conversation id as sent, or a 400 that says why (an id changed on storage is another's)."""
    if not isinstance(value, str) or not value.strip():
        raise BadMessage(400, "Le champ « sender » (identifiant de la conversation) est obligatoire.")
    if len(value) > MAX_ID_CHARS:
        raise BadMessage(400, f"Le champ « sender » ne doit pas dépasser {MAX_ID_CHARS} caractères.")
    if not stored_as_sent(value):
        raise BadMessage(
            400,
            "Le champ « sender » ne doit contenir que des caractères imprimables, sans espace au début ni à la fin.",
        )
    return value


def parse_inbound(body: dict[str, Any]) -> Inbound:
    """The web chat's request as an `Inbound` message; unknown fields are ignored."""
    sender = sender_of(body.get("sender"))
    text = body.get("message")
    if not isinstance(text, str):
        raise BadMessage(400, "Le champ « message » doit être un texte.")
    text = clean_text(text).strip()
    if not text:
        raise BadMessage(400, "Le message est vide : écrivez votre question.")
    message_id = body.get("message_id")
    if message_id is not None and (
        not isinstance(message_id, str) or not message_id.strip() or len(message_id) > MAX_ID_CHARS
    ):
        raise BadMessage(400, f"Le champ « message_id » doit être un texte de 1 à {MAX_ID_CHARS} caractères.")
    if message_id is not None and not stored_as_sent(message_id):
        # Changed on storage, it would be another message's id: that message's replies would come back.
        raise BadMessage(400, "Le champ « message_id » ne doit contenir que des caractères imprimables.")
    return Inbound(
        channel=CHANNEL,
        external_id=sender,
        text=text,
        platform_message_id=f"{sender}:{message_id}" if message_id else None,
    )


def as_rest_message(recipient_id: str, message: Message) -> dict[str, Any]:
    """A stored bot message in the REST contract's shape."""
    out: dict[str, Any] = {"recipient_id": recipient_id}
    if message.text:
        out["text"] = message.text
    payload = message.payload or {}
    for key in REST_KEYS:
        if payload.get(key):
            out[key] = payload[key]
    return out


async def webhook(request: web.Request) -> web.StreamResponse:
    """Store the web chat's message, wait for the bot's answer, and return it."""
    app = request.app
    inbound = parse_inbound(await read_json_object(request))
    log, router = app[appkeys.MESSAGE_LOG], app[appkeys.ROUTER]
    async with router.arrival(inbound.channel, inbound.external_id):
        stored = await log.store_inbound(inbound)
        if stored.is_new:
            answer = router.submit(stored.message, stored.conversation.state)
        else:
            answer = router.answer_of(stored.message.id)
    timeout = app[appkeys.SETTINGS].reply_timeout
    with router.waiting(stored.message.id):
        if answer is not None:
            try:
                replies = await asyncio.wait_for(asyncio.shield(answer), timeout)
            except asyncio.TimeoutError:
                replies = []
        else:
            # A retry of a message answered earlier, or being answered by another gateway process.
            replies = await log.wait_replies(stored.message.id, timeout)
    # On a timeout this is empty; the replies stay stored (pending) and the page asks again with the same
    # message_id. Replies answered before this request came are marked sent now.
    await log.mark_sent(replies)
    return web.json_response([as_rest_message(inbound.external_id, m) for m in replies])


async def history(request: web.Request) -> web.Response:
    """The web chat's conversation so far, oldest first, so a reloaded page shows it again.

    With `after=<message id>`, only the messages after it: the open page asks every few seconds, so an
    adviser's answer reaches an artisan who is not writing. What it returns counts as sent.
    """
    sender = sender_of(request.query.get("sender"))
    after = _after(request.query.get("after"))
    log = request.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation(CHANNEL, sender)
    messages = await log.transcript(conversation.id, after=after) if conversation else []
    messages = messages[-HISTORY_LIMIT:]
    outbound = [m for m in messages if m.direction == Direction.OUT]
    was_pending = {m.id for m in outbound if m.status == MessageStatus.PENDING}
    await log.mark_sent(outbound)
    live = request.app[appkeys.LIVE]
    for m in outbound:
        if m.id in was_pending and m.status == MessageStatus.SENT:
            live.delivery(m)
    return web.json_response(
        {
            "messages": [
                {
                    "id": m.id,
                    "direction": m.direction,
                    "author": m.author,
                    # The artisan's message a reply answers; None for what nobody asked (an adviser's answer).
                    "reply_to": m.reply_to_id,
                    "text": m.text or "",
                    "buttons": m.buttons,
                    "created_at": m.created_at.isoformat(),
                }
                for m in messages
            ]
        }
    )


def _after(value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if MESSAGE_ID.fullmatch(value) is None:
        raise BadMessage(400, "Le paramètre « after » doit être un identifiant de message.")
    return int(value)


routes = [
    web.post("/webhooks/rest/webhook", webhook),
    web.get("/webhooks/rest/history", history),
]
