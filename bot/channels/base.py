"""This module contains the contract between the outbox and a push channel (Telegram, WhatsApp).

A channel's webhooks store the artisan's messages with `bot.channels.inbound.accept()`; the outbox hands it
each stored reply as an `Outgoing`, and `send()` answers with a `Delivery`, or raises what the platform said:
`RetryLater` (not now), `DeliveryFailed` (never) or `Held` (not until the artisan writes again), from the
errors' one hierarchy (bot.errors).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime

from aiohttp import web

from bot.errors import DeliveryFailed, Held, RetryLater

__all__ = ["Delivery", "DeliveryFailed", "Held", "Outgoing", "PushChannel", "RateLimit", "RetryLater", "Template"]


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template, with its body's parameters, sent when free text may not be."""

    name: str
    language: str
    parameters: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "language": self.language, "parameters": list(self.parameters)}

    @classmethod
    def from_json(cls, value: dict[str, object]) -> Template:
        parameters = value.get("parameters")
        return cls(
            str(value.get("name") or ""),
            str(value.get("language") or "fr"),
            tuple(str(p) for p in parameters) if isinstance(parameters, list) else (),
        )


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
    # What to send instead when the reply window is closed (a broadcast's news template); None: the channel's own.
    template: Template | None = None


@dataclass(frozen=True)
class Delivery:
    """What a channel reports after the platform accepted a message."""

    # The platform's ids of what was sent (a long text may go out as several messages).
    platform_message_ids: list[str]
    # A note kept with the message for staff, e.g. "sent as the template crisisbot_reply".
    note: str | None = None


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

    def window_open(self, last_inbound_at: datetime | None) -> bool:
        """Whether the platform takes free text for this chat now: always, but where a reply window closes."""
        return True

    @abc.abstractmethod
    async def send(self, message: Outgoing) -> Delivery:
        """Deliver one message, or raise RetryLater, DeliveryFailed or Held."""
