"""This module contains the barometer on the gateway's side: when to offer it to a conversation (at most once every
7 days, decided atomically), recording an answer without the conversation's identity, and the artisans' profiles
(trade category and commune) the answers and the partners' reports use.

A profile is kept up to date from what the artisan already gave: the commune of a callback request or a mask
pledge, the trade of a callback request (its sector, bot.shared.trades), and the sector asked once by the
barometer when none is known. An answer copies the profile's trade category and commune at the time it is
given, with the Paris date: nothing links it back to the conversation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.errors import BadMessage
from bot.shared.french import PARIS
from bot.storage.models import Activity, ArtisanProfile, BarometerAnswer, Conversation, Need, TradeCategory

__all__ = ["OFFER_EVERY", "BarometerDesk", "Offer", "Profiles"]

logger = logging.getLogger(__name__)

# At most one barometer question per conversation in this time.
OFFER_EVERY = timedelta(days=7)
ACTIVITIES = tuple(activity.value for activity in Activity)
NEEDS = tuple(need.value for need in Need)
TRADE_CATEGORIES = tuple(category.value for category in TradeCategory)
UNKNOWN_CONVERSATION = "Cette conversation est inconnue."


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
                    .values(barometer_asked_at=now)
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

    async def record(self, conversation_id: str, answer: dict[str, Any]) -> BarometerAnswer:
        """Store one answer (`activity`, `need` or None, `trade_category` or None) with the profile's commune and
        trade category and today's Paris date; a trade category given becomes the profile's."""
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
                profile.updated_at = now
            stored = BarometerAnswer(
                answered_on=now.astimezone(PARIS).date(),
                activity=activity,
                need=need,
                trade_category=profile.trade_category,
                commune_code=profile.commune_code,
            )
            session.add(stored)
            await session.commit()
        logger.info("Barometer answer recorded")
        return stored


def _choice(answer: dict[str, Any], name: str, allowed: tuple[str, ...], required: bool = False) -> str | None:
    value = answer.get(name)
    if value is None and not required:
        return None
    if value not in allowed:
        raise BadMessage(400, f"Le champ « {name} » doit valoir l’un de : {', '.join(allowed)}.", field=name)
    return str(value)
