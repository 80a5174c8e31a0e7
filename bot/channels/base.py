"""This module contains what every channel shares: the push channel interface, storing an inbound message,
reading a JSON body safely and answering errors."""

from __future__ import annotations

import abc
import collections
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from bot.errors import BadMessage
from bot.storage.message_log import Inbound, Stored


def json_error(status: int, message: str) -> web.Response:
    """An error answer: `{"error": "<a French sentence the user can act on>"}`, accents as they are."""
    return web.json_response({"error": message}, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request's body as a JSON object, or BadMessage saying what is wrong with it."""
    if request.content_type != "application/json":
        raise BadMessage(415, "Envoyez le message en JSON (Content-Type: application/json).")
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadMessage(400, "Le message n'est pas encodé en UTF-8.") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise BadMessage(400, "Le corps de la requête n'est pas du JSON valide.") from None
    if not isinstance(body, dict):
        raise BadMessage(400, "Le corps de la requête doit être un objet JSON.")
    return body


def clean_text(value: str) -> str:
    """Text safe to store anywhere: no NUL byte (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


# --- What push channels share when sending ---------------------------------------------------------------


def split_text(text: str, limit: int, fitting: Callable[[str, int], int] | None = None) -> list[str]:
    """`text` in parts that fit `limit`, cut between paragraphs, else lines, else words.

    `fitting(text, limit)` says how many characters of `text` fit (by default `limit` of them; Telegram
    counts UTF-16 units). A boundary in the first half of a part is passed over for a finer one further on
    (fewer, fuller messages); only a word longer than a whole part is cut.
    """
    fitting = fitting or (lambda text, limit: min(len(text), limit))
    parts: list[str] = []
    rest = text.strip()
    while rest:
        end = fitting(rest, limit)
        if end >= len(rest):
            parts.append(rest)
            break
        window = rest[: end + 1]  # a boundary right after the last character that fits counts too
        cut = next(
            (at for boundary in ("\n\n", "\n", " ") if (at := window.rfind(boundary, 0, end + 1)) >= end // 2), 0
        )
        if cut <= 0:
            cut = max(window.rfind(" ", 0, end + 1), 0) or end
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].strip()
    return parts


class SentParts:
    """The parts of a long message the platform already took, by stored message id: a retry sends the rest.

    In memory only (after a restart a part may go twice), and bounded: the oldest entries go first.
    """

    def __init__(self, limit: int = 1000) -> None:
        self._limit = limit
        self._sent: collections.OrderedDict[int, list[str]] = collections.OrderedDict()

    def of(self, message_id: int) -> list[str]:
        """The platform ids of the parts sent so far; append to it as more go out."""
        sent = self._sent.setdefault(message_id, [])
        self._sent.move_to_end(message_id)
        while len(self._sent) > self._limit:
            self._sent.popitem(last=False)
        return sent

    def forget(self, message_id: int) -> None:
        """The message needs no retry any more (all sent, or refused for good)."""
        self._sent.pop(message_id, None)


# --- The interface every push channel (Telegram, WhatsApp) implements -----------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One stored outbound message (the bot's or an adviser's), as the outbox hands it to a channel."""

    message_id: int
    conversation_id: str
    # The platform's id of the chat: a Telegram chat id, a WhatsApp number (wa_id).
    external_id: str
    text: str
    # [{"title": ..., "payload": ...}], as Rasa gives them; the channel lays them out for its platform.
    buttons: list[dict[str, str]] = field(default_factory=list)
    # What the bot is asking for, when the channel can help the artisan answer it (e.g. "phone").
    awaiting: str | None = None
    # When the artisan last wrote in this conversation (WhatsApp's 24-hour window), None if never.
    last_inbound_at: datetime | None = None
    # The platform refused this message earlier because its reply window is closed, whatever our clock says.
    window_closed: bool = False


@dataclass(frozen=True)
class Delivery:
    """What a channel reports after the platform accepted a message."""

    # The platform's ids of what was sent (a long text may go out as several messages).
    platform_message_ids: list[str]
    # A note kept with the message for staff, e.g. "sent as the template crisisbot_reply".
    note: str | None = None


class RetryLater(Exception):
    """The platform could not take the message now (rate limit, outage): try again later.

    `delay` is the platform's own wait (Telegram's retry_after), or None for the outbox's backoff.
    `whole_channel` pauses every conversation of the channel (a global rate limit), not only this one.
    """

    def __init__(self, reason: str, delay: float | None = None, *, whole_channel: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.delay = delay
        self.whole_channel = whole_channel


class DeliveryFailed(Exception):
    """The platform refused the message for good (blocked bot, unknown number, ...): recorded as failed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Held(Exception):
    """The message may not be sent now (WhatsApp's 24-hour window is closed and no template is set).

    It is kept, shown to staff, and sent when the artisan writes again.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class RateLimit:
    """A platform's sending limits: a steady rate with a small burst per chat, and a rate for the whole bot."""

    per_chat_per_second: float
    per_chat_burst: int
    overall_per_second: float


class PushChannel(abc.ABC):
    """A platform that calls our webhook with the artisan's messages and takes our replies by API call.

    Adding a channel is one module with one subclass: its routes (webhooks) store inbound messages with
    `accept()`, and `send()` delivers one outbound message. The outbox does the rest: order, retries,
    backoff, rate limits, statuses. Conversation logic never sees a platform.
    """

    name: str
    rate_limit: RateLimit
    # True when the platform takes free replies only for a while after the artisan's last message (WhatsApp's
    # 24 hours): the outbox then gives send() that message's time, and re-sends held messages when the
    # artisan writes again.
    has_reply_window: bool = False

    @abc.abstractmethod
    def routes(self) -> list[web.RouteDef]:
        """The channel's webhook routes."""

    async def start(self, app: web.Application) -> None:
        """Connect to the platform (register a webhook, start polling, ...); the app is fully set up."""

    async def stop(self) -> None:
        """Release what start() took."""

    @abc.abstractmethod
    async def send(self, message: Outgoing) -> Delivery:
        """Deliver one message, or raise RetryLater, DeliveryFailed or Held."""


async def accept(app: web.Application, inbound: Inbound) -> Stored:
    """Store an artisan's message and queue it for an answer; return once it is stored (never waits for Rasa).

    A message the platform delivered before (same platform message id) is stored once and answered once.
    """
    from bot import keys  # here, not above: bot.keys imports the outbox, which imports this module

    log, router = app[keys.MESSAGE_LOG], app[keys.ROUTER]
    async with router.arrival(inbound.channel, inbound.external_id):
        stored = await log.store_inbound(inbound)
        if stored.is_new:
            router.submit(stored.message, stored.conversation.state)
    return stored
