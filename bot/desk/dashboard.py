"""This module contains Dashboard: the figures of the staff dashboard, counted in the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.desk.request_statuses import CALLBACK_TRANSITIONS, OVERDUE_STATUSES, PLEDGE_TRANSITIONS
from bot.shared.french import PARIS
from bot.storage.models import (
    CallbackRequest,
    Conversation,
    Direction,
    EngineIncident,
    MaskPledge,
    Message,
    MessageStatus,
)

UNDELIVERED_SHOWN = 50
INCIDENTS_SHOWN = 10
INCIDENT_DAYS = 7


class Dashboard:
    """Callbacks and pledges by status, late callbacks, undelivered replies, the assistant's incidents, and the
    requests of each day."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def figures(self, days: int = 30) -> dict[str, Any]:
        """Callbacks by status and overdue, pledges and masks by status, and requests per day (Paris days)."""
        now = self._clock()
        first_day = now.astimezone(PARIS).date() - timedelta(days=days - 1)
        since = datetime.combine(first_day, time(0), tzinfo=PARIS).astimezone(UTC)
        async with self._sessionmaker() as session:
            callbacks_by_status = dict(
                (status, count)
                for status, count in await session.execute(
                    select(CallbackRequest.status, func.count()).group_by(CallbackRequest.status)
                )
            )
            overdue = await session.scalar(
                select(func.count()).where(
                    CallbackRequest.status.in_(OVERDUE_STATUSES), CallbackRequest.due_at < now
                )
            )
            pledges_by_status = {
                status: (count, int(masks or 0))
                for status, count, masks in await session.execute(
                    select(MaskPledge.status, func.count(), func.sum(MaskPledge.quantity)).group_by(MaskPledge.status)
                )
            }
            callback_times = list(
                await session.scalars(select(CallbackRequest.created_at).where(CallbackRequest.created_at >= since))
            )
            pledge_times = list(
                await session.scalars(select(MaskPledge.created_at).where(MaskPledge.created_at >= since))
            )
            # Replies that did not reach the artisan: held by WhatsApp's 24-hour window, or refused.
            undelivered = list(
                await session.execute(
                    select(Message, Conversation.channel)
                    .join(Conversation, Conversation.id == Message.conversation_id)
                    .where(
                        Message.direction == Direction.OUT,
                        Message.status.in_([MessageStatus.HELD, MessageStatus.FAILED]),
                        Message.lane.is_(None),  # a broadcast's are on its own page
                    )
                    .order_by(Message.id.desc())
                    .limit(UNDELIVERED_SHOWN)
                )
            )
            # Messages Rasa misbehaved on (the artisan got one answer anyway): how many lately, and which.
            incidents_recent = await session.scalar(
                select(func.count()).where(EngineIncident.at >= now - timedelta(days=INCIDENT_DAYS))
            )
            incidents_total = await session.scalar(select(func.count()).select_from(EngineIncident))
            incidents = list(
                await session.scalars(select(EngineIncident).order_by(EngineIncident.id.desc()).limit(INCIDENTS_SHOWN))
            )
        day_list = [first_day + timedelta(days=offset) for offset in range(days)]
        callbacks_per_day = Counter(moment.astimezone(PARIS).date() for moment in callback_times)
        pledges_per_day = Counter(moment.astimezone(PARIS).date() for moment in pledge_times)
        return {
            "callbacks_by_status": {s: callbacks_by_status.get(s, 0) for s in CALLBACK_TRANSITIONS},
            "callbacks_total": sum(callbacks_by_status.values()),
            "overdue": int(overdue or 0),
            "pledges_by_status": {s: pledges_by_status.get(s, (0, 0)) for s in PLEDGE_TRANSITIONS},
            "per_day": [(day, callbacks_per_day[day], pledges_per_day[day]) for day in day_list],
            "undelivered": undelivered,
            "incidents_recent": int(incidents_recent or 0),
            "incidents_total": int(incidents_total or 0),
            "incident_days": INCIDENT_DAYS,
            "incidents": incidents,
        }
