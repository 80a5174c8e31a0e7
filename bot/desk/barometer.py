"""This module contains the barometer on the gateway's side: when to offer it to a conversation (at most once every
7 days, decided atomically), recording an answer without the conversation's identity, and the artisans' profiles
(trade category and commune) the answers and the partners' reports use.

A profile is kept up to date from what the artisan already gave: the commune of a callback request or a mask
pledge, the trade of a callback request (its sector, bot.shared.trades), and the sector asked once by the
barometer when none is known. An answer copies the profile's trade category and commune at the time it is
given, with the Paris date: nothing links it back to the conversation.

Two ways in besides the offer: a broadcast may carry the first question (``mark_broadcast``, called when it
starts, counts it as asked for those not asked in the last 7 days; ``claim_broadcast`` takes their first tap as
the answer, once). And when no form gave the artisan's commune, it is asked once, after their first answer: the
profile keeps that answer's id until the commune is given or skipped (``give_commune``), then forgets it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

from bot.errors import BadMessage
from bot.shared.french import PARIS
from bot.storage.models import Activity, ArtisanProfile, BarometerAnswer, Conversation, Need, TradeCategory

__all__ = ["OFFER_EVERY", "BarometerDesk", "Offer", "Profiles", "mark_broadcast"]

logger = logging.getLogger(__name__)

# At most one barometer question per conversation in this time.
OFFER_EVERY = timedelta(days=7)
ACTIVITIES = tuple(activity.value for activity in Activity)
NEEDS = tuple(need.value for need in Need)
TRADE_CATEGORIES = tuple(category.value for category in TradeCategory)
UNKNOWN_CONVERSATION = "Cette conversation est inconnue."
NO_COMMUNE_ASKED = "Aucune commune n’est demandée à cette conversation."


@dataclass(frozen=True)
class Offer:
    """Whether to ask the barometer now, and whether to ask the sector too (the profile has none)."""

    ask: bool
    need_trade: bool


class Profiles:
    """The artisans' profiles: one row per conversation, created when first needed."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def note(
        self, conversation_id: str, *, commune_code: str | None = None, trade_category: str | None = None
    ) -> None:
        """Keep the commune and the trade category the artisan just gave (None leaves what was known)."""
        if commune_code is None and trade_category is None:
            return
        for attempt in range(2):  # a second try when another request created the profile at the same time
            async with self._sessionmaker() as session:
                profile = await self._profile(session, conversation_id)
                if commune_code is not None:
                    profile.commune_code = commune_code
                if trade_category is not None:
                    profile.trade_category = trade_category
                profile.updated_at = self._clock()
                try:
                    await session.commit()
                    return
                except IntegrityError:
                    await session.rollback()
                    if attempt:
                        raise

    async def _profile(self, session: AsyncSession, conversation_id: str) -> ArtisanProfile:
        profile = await session.get(ArtisanProfile, conversation_id)
        if profile is None:
            profile = ArtisanProfile(conversation_id=conversation_id, updated_at=self._clock())
            session.add(profile)
        return profile


class BarometerDesk:
    """Offer the barometer to a conversation, and record its answers."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock
        self.profiles = Profiles(sessionmaker, clock)

    async def offer(self, conversation_id: str) -> Offer:
        """Ask now if the conversation was not asked in the last 7 days; the moment of asking is kept at once,
        so two calls at the same time never both ask."""
        now = self._clock()
        for attempt in range(2):
            async with self._sessionmaker() as session:
                if await session.get(Conversation, conversation_id) is None:
                    raise BadMessage(400, UNKNOWN_CONVERSATION, field="conversation_id")
                claimed = await session.execute(
                    update(ArtisanProfile)
                    .where(
                        ArtisanProfile.conversation_id == conversation_id,
                        or_(
                            ArtisanProfile.barometer_asked_at.is_(None),
                            ArtisanProfile.barometer_asked_at <= now - OFFER_EVERY,
                        ),
                    )
                    .values(barometer_asked_at=now, barometer_news_at=None, pending_answer_id=None)
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount == 1:
                    await session.commit()
                    profile = await session.get(ArtisanProfile, conversation_id, populate_existing=True)
                    return Offer(ask=True, need_trade=profile is None or profile.trade_category is None)
                profile = await session.get(ArtisanProfile, conversation_id)
                if profile is not None:
                    return Offer(ask=False, need_trade=False)  # asked in the last 7 days
                session.add(ArtisanProfile(conversation_id=conversation_id, barometer_asked_at=now, updated_at=now))
                try:
                    await session.commit()
                    return Offer(ask=True, need_trade=True)
                except IntegrityError:  # created meanwhile: the update decides, once more
                    await session.rollback()
                    if attempt:
                        raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def claim_broadcast(self, conversation_id: str) -> Offer:
        """A tap on the barometer's buttons under a broadcast: taken as the first answer when that broadcast asked
        this conversation in the last 7 days, once (a second tap, or an older broadcast's, is not)."""
        now = self._clock()
        async with self._sessionmaker() as session:
            claimed = await session.execute(
                update(ArtisanProfile)
                .where(ArtisanProfile.conversation_id == conversation_id, ArtisanProfile.barometer_news_at > now - OFFER_EVERY)
                .values(barometer_news_at=None, barometer_asked_at=now, pending_answer_id=None)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:
                return Offer(ask=False, need_trade=False)
            await session.commit()
            profile = await session.get(ArtisanProfile, conversation_id, populate_existing=True)
            return Offer(ask=True, need_trade=profile is None or profile.trade_category is None)

    async def record(self, conversation_id: str, answer: dict[str, Any]) -> tuple[BarometerAnswer, bool]:
        """Store one answer (`activity`, `need` or None, `trade_category` or None) with the profile's commune and
        trade category and today's Paris date; a trade category given becomes the profile's. Also says whether to
        ask the commune now (none known, never asked): the answer then waits for it (``give_commune``)."""
        activity = _choice(answer, "activity", ACTIVITIES, required=True)
        need = _choice(answer, "need", NEEDS)
        trade_category = _choice(answer, "trade_category", TRADE_CATEGORIES)
        now = self._clock()
        async with self._sessionmaker() as session:
            if await session.get(Conversation, conversation_id) is None:
                raise BadMessage(400, UNKNOWN_CONVERSATION, field="conversation_id")
            profile = await session.get(ArtisanProfile, conversation_id)
            if profile is None or profile.barometer_asked_at is None or profile.barometer_asked_at <= now - OFFER_EVERY:
                raise BadMessage(409, "Le baromètre n’a pas été proposé à cette conversation.", field="conversation_id")
            if trade_category is not None:
                profile.trade_category = trade_category
            stored = BarometerAnswer(
                answered_on=now.astimezone(PARIS).date(),
                activity=activity,
                need=need,
                trade_category=profile.trade_category,
                commune_code=profile.commune_code,
            )
            session.add(stored)
            await session.flush()
            ask_commune = profile.commune_code is None and profile.commune_asked_at is None
            if ask_commune:
                profile.commune_asked_at = now
                profile.pending_answer_id = stored.id
            profile.updated_at = now
            await session.commit()
        logger.info("Barometer answer recorded")
        return stored, ask_commune

    async def give_commune(self, conversation_id: str, commune_code: str | None) -> None:
        """The commune asked after an answer (None: skipped). It becomes the profile's, and that answer's; the
        profile then forgets which answer it was."""
        async with self._sessionmaker() as session:
            profile = await session.get(ArtisanProfile, conversation_id)
            if profile is None or profile.pending_answer_id is None:
                raise BadMessage(409, NO_COMMUNE_ASKED, field="conversation_id")
            if commune_code is not None:
                profile.commune_code = commune_code
                await session.execute(
                    update(BarometerAnswer)
                    .where(BarometerAnswer.id == profile.pending_answer_id, BarometerAnswer.commune_code.is_(None))
                    .values(commune_code=commune_code)
                )
            profile.pending_answer_id = None
            profile.updated_at = self._clock()
            await session.commit()
        logger.info("Barometer commune %s", "given" if commune_code else "skipped")


async def mark_broadcast(connection: AsyncConnection, conversation_ids: list[str], now: datetime) -> set[str]:
    """Of these conversations, those a broadcast starting now asks the barometer's question: the ones not asked
    in the last 7 days. For them it counts as asked now, and their first tap on its buttons is an answer."""
    if not conversation_ids:
        return set()
    asked = set()
    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start : start + 500]
        recent = set(
            await connection.scalars(
                select(ArtisanProfile.conversation_id).where(
                    ArtisanProfile.conversation_id.in_(chunk), ArtisanProfile.barometer_asked_at > now - OFFER_EVERY
                )
            )
        )
        eligible = [conversation_id for conversation_id in chunk if conversation_id not in recent]
        if not eligible:
            continue
        dialect = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        await connection.execute(
            dialect(ArtisanProfile)
            .values([{"conversation_id": c, "updated_at": now} for c in eligible])
            .on_conflict_do_nothing(index_elements=["conversation_id"])
        )
        marked = await connection.execute(
            update(ArtisanProfile)
            .where(
                ArtisanProfile.conversation_id.in_(eligible),
                or_(ArtisanProfile.barometer_asked_at.is_(None), ArtisanProfile.barometer_asked_at <= now - OFFER_EVERY),
            )
            .values(barometer_asked_at=now, barometer_news_at=now, pending_answer_id=None, updated_at=now)
            .returning(ArtisanProfile.conversation_id)
        )
        asked.update(marked.scalars())
    return asked


def _choice(answer: dict[str, Any], name: str, allowed: tuple[str, ...], required: bool = False) -> str | None:
    value = answer.get(name)
    if value is None and not required:
        return None
    if value not in allowed:
        raise BadMessage(400, f"Le champ « {name} » doit valoir l’un de : {', '.join(allowed)}.", field=name)
    return str(value)
