"""This module contains Subscriptions: artisans who asked to receive the chamber's news, and who receives a
broadcast."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.storage.models import CallbackRequest, Conversation, Direction, MaskPledge, Message, Subscription

logger = logging.getLogger(__name__)

# Why a subscription ended.
ASKED = "artisan"
DELIVERY_FAILED = "delivery_failed"
# The response whose words the artisan agrees to (domain.yml), and how far back the conversation is searched.
OFFER_RESPONSE = "utter_offer_subscription"
OFFER_LOOKBACK = 30


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for: empty means everyone; otherwise these communes, this topic, these channels."""

    communes: tuple[str, ...] = ()
    topic: str | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipient:
    conversation_id: str
    channel: str
    # When the artisan last wrote (WhatsApp's 24-hour window), None if never.
    last_inbound_at: datetime | None


class Subscriptions:
    """Subscribe, end, look up; and the recipients of an audience."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def subscribe(
        self,
        conversation_id: str,
        *,
        topic: str | None,
        commune_code: str | None,
        commune_name: str | None,
        consent_text: str,
    ) -> tuple[Subscription, bool]:
        """Record the artisan's consent, with the words they read; (the subscription, True if it is new or had
        ended). Subscribing again updates the topic and commune, and the consent."""
        now = self._clock()
        async with self._sessionmaker() as session:
            conversation = await session.get(Conversation, conversation_id)
            if conversation is None:
                raise LookupError(conversation_id)
            found = await session.scalar(select(Subscription).where(Subscription.conversation_id == conversation_id))
            started = found is None or not found.active
            if found is None:
                found = Subscription(conversation_id=conversation_id, channel=conversation.channel)
                session.add(found)
            found.topic, found.commune_code, found.commune_name = topic, commune_code, commune_name
            found.active, found.consent_at, found.consent_text = True, now, consent_text
            found.ended_at = found.ended_reason = None
            try:
                await session.commit()
            except IntegrityError:  # the same conversation subscribing twice at once: one row
                await session.rollback()
                return await self.subscribe(
                    conversation_id, topic=topic, commune_code=commune_code, commune_name=commune_name,
                    consent_text=consent_text,
                )
        if started:
            logger.info("Conversation %s subscribed to the news", conversation_id)
        return found, started

    async def end(self, conversation_id: str, reason: str = ASKED) -> bool:
        """End the conversation's subscription (the artisan asked, or the platform refused for good); False if
        there was none active."""
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(Subscription)
                .where(Subscription.conversation_id == conversation_id, Subscription.active)
                .values(active=False, ended_at=self._clock(), ended_reason=reason)
            )
            await session.commit()
        if result.rowcount:
            logger.info("Conversation %s unsubscribed from the news (%s)", conversation_id, reason)
        return bool(result.rowcount)

    async def set_commune(self, conversation_id: str, commune_code: str, commune_name: str) -> Subscription | None:
        """Add the artisan's commune to their active subscription (its local news); None if there is none."""
        async with self._sessionmaker() as session:
            found = await session.scalar(
                select(Subscription).where(Subscription.conversation_id == conversation_id, Subscription.active)
            )
            if found is not None:
                found.commune_code, found.commune_name = commune_code, commune_name
                await session.commit()
        return found

    async def offer_shown(self, conversation_id: str) -> str | None:
        """The words of the last subscription offer this conversation was shown: what the artisan agreed to."""
        async with self._sessionmaker() as session:
            recent = await session.scalars(
                select(Message)
                .where(Message.conversation_id == conversation_id, Message.direction == Direction.OUT)
                .order_by(Message.id.desc())
                .limit(OFFER_LOOKBACK)
            )
            for message in recent:
                if (message.payload or {}).get("response") == OFFER_RESPONSE and message.text:
                    return message.text
        return None

    async def known_commune(self, conversation_id: str) -> tuple[str, str] | None:
        """The commune (INSEE code, name) of the conversation's latest callback request or mask pledge."""
        found: list[tuple[datetime, str, str]] = []
        async with self._sessionmaker() as session:
            for model in (CallbackRequest, MaskPledge):
                row = (
                    await session.execute(
                        select(model.created_at, model.commune_code, model.commune_name)
                        .where(model.conversation_id == conversation_id)
                        .order_by(model.id.desc())
                        .limit(1)
                    )
                ).first()
                if row is not None:
                    found.append((_aware(row[0]), row[1], row[2]))
        if not found:
            return None
        _, code, name = max(found)
        return code, name

    async def of(self, conversation_id: str) -> Subscription | None:
        """The conversation's subscription, active or ended, if it ever had one."""
        async with self._sessionmaker() as session:
            return await session.scalar(select(Subscription).where(Subscription.conversation_id == conversation_id))

    async def is_active(self, conversation_id: str) -> bool:
        async with self._sessionmaker() as session:
            found = await session.scalar(
                select(Subscription.id).where(Subscription.conversation_id == conversation_id, Subscription.active)
            )
        return found is not None

    async def recipients(self, audience: Audience, topic: str | None) -> list[Recipient]:
        """The active subscribers a broadcast of news on `topic` reaches within `audience`, oldest first.

        A subscriber to one topic gets the news on that topic (and an audience's topic) and the news on none; a
        subscriber to all, all. An audience by commune reaches the subscribers of those communes only.
        """
        last_inbound = (
            select(Message.created_at)
            .where(Message.conversation_id == Subscription.conversation_id, Message.direction == Direction.IN)
            .order_by(Message.id.desc())
            .limit(1)
            .correlate(Subscription)
            .scalar_subquery()
        )
        query = select(Subscription.conversation_id, Subscription.channel, last_inbound).where(Subscription.active)
        for wanted in {topic, audience.topic} - {None}:
            query = query.where(or_(Subscription.topic.is_(None), Subscription.topic == wanted))
        if audience.communes:
            query = query.where(Subscription.commune_code.in_(audience.communes))
        if audience.channels:
            query = query.where(Subscription.channel.in_(audience.channels))
        async with self._sessionmaker() as session:
            rows = await session.execute(query.order_by(Subscription.id))
        return [Recipient(conversation_id, channel, _aware(at)) for conversation_id, channel, at in rows]


def _aware(value: datetime | str | None) -> datetime | None:
    """A timestamp read through a subquery: SQLite gives text without a zone."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value
