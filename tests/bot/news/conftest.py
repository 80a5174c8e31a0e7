"""Fixtures of the news tests: artisans who write and subscribe, platforms that record what they accept (WhatsApp's
with its 24-hour window), and the news, subscriptions and broadcasts on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy import update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.channels.base import Delivery, Held, Outgoing, PushChannel, RateLimit
from bot.messaging.outbox import Outbox
from bot.news.broadcast import Broadcasts
from bot.news.items import NewsDraft, NewsItems
from bot.news.subscriptions import Subscriptions
from bot.settings import Settings
from bot.shared.communes import CommuneTable
from bot.storage.audit import Actor
from bot.storage.deliveries import DeliveryLog
from bot.storage.message_log import Inbound, MessageLog
from bot.storage.models import Direction, Message

FAST = RateLimit(per_chat_per_second=1000, per_chat_burst=1000, overall_per_second=1000)
ADMIN = Actor(None, "admin@cma-exemple.fr")
CONSENT = "Voulez-vous recevoir ici les annonces de la Chambre ?"
COMMUNES = CommuneTable.load(Settings().communes_file)


class Platform(PushChannel):
    """Telegram or WhatsApp as the outbox sees them: accepts every send (WhatsApp's only within 24 hours of the
    artisan's last message, or as a template), after `delay` seconds; `script(outgoing)` may raise instead."""

    def __init__(
        self, name: str, *, window: bool = False, rate_limit: RateLimit = FAST, delay: float = 0.0,
        script: Callable[[Outgoing], None] | None = None,
    ) -> None:
        self.name = name
        self.has_reply_window = window
        self.rate_limit = rate_limit
        self.delay = delay
        self.script = script or (lambda outgoing: None)
        self.accepted: list[Outgoing] = []
        self.accepted_at: list[float] = []

    def routes(self) -> list[web.RouteDef]:
        return []

    def window_open(self, last_inbound_at: datetime | None) -> bool:
        if not self.has_reply_window:
            return True
        return last_inbound_at is not None and datetime.now(UTC) - last_inbound_at < timedelta(hours=23, minutes=50)

    async def send(self, message: Outgoing) -> Delivery:
        if self.delay:
            await asyncio.sleep(self.delay)
        self.script(message)
        if not self.window_open(message.last_inbound_at) and message.template is None:
            raise Held("Fenêtre de 24 h fermée")
        self.accepted.append(message)
        self.accepted_at.append(asyncio.get_running_loop().time())
        return Delivery([f"p{message.message_id}"])

    def received(self) -> Counter[str]:
        """How many messages each chat received."""
        return Counter(m.external_id for m in self.accepted)


def draft(**changes: object) -> NewsDraft:
    fields = {
        "title": "Couvre-feu à 20 h", "text": "Le couvre-feu commence à 20 h dès le 15 décembre.",
        "source": "prefecture", "effective_on": "2020-12-15", "link": "https://www.saone-et-loire.gouv.fr",
        **{k: str(v) for k, v in changes.items()},
    }
    return NewsDraft.from_fields(fields, COMMUNES)


class World:
    """The artisans, their subscriptions and the news on one database."""

    def __init__(self, sessionmaker: async_sessionmaker, settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self.log = MessageLog(sessionmaker)
        self.subscriptions = Subscriptions(sessionmaker, settings.clock)
        self.items = NewsItems(sessionmaker, settings.clock)

    async def artisan(
        self, channel: str, chat: str, *, topic: str | None = None, commune: str | None = None,
        wrote_hours_ago: float = 0, subscribe: bool = True,
    ) -> str:
        """A conversation whose artisan wrote `wrote_hours_ago` hours ago and (by default) subscribed."""
        stored = await self.log.store_inbound(Inbound(channel, chat, "je veux recevoir les infos"))
        if wrote_hours_ago:
            async with self.sessionmaker() as session:
                await session.execute(
                    update(Message)
                    .where(Message.conversation_id == stored.conversation.id, Message.direction == Direction.IN)
                    .values(created_at=datetime.now(UTC) - timedelta(hours=wrote_hours_ago))
                )
                await session.commit()
        if subscribe:
            found = COMMUNES.by_code(commune) if commune else None
            await self.subscriptions.subscribe(
                stored.conversation.id, topic=topic, commune_code=commune,
                commune_name=found.name if found else None, consent_text=CONSENT,
            )
        return stored.conversation.id

    def broadcasts(self, channels: list[PushChannel], **settings: object) -> tuple[Outbox, Broadcasts]:
        outbox = Outbox(DeliveryLog(self.sessionmaker), channels, on_recipient_gone=self._gone)
        return outbox, Broadcasts(
            self.sessionmaker, self.items, self.subscriptions, outbox, replace(self.settings, **settings)
        )

    def _gone(self, conversation_id: str, reason: str) -> None:
        asyncio.get_running_loop().create_task(self.subscriptions.end(conversation_id, "delivery_failed"))


@pytest.fixture
async def world(sessionmaker: async_sessionmaker) -> AsyncIterator[World]:
    yield World(sessionmaker, replace(Settings(), news_check_seconds=0.05))
