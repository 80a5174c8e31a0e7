"""This module contains RequestDesk: the queries and status changes behind the advisers' callback and pledge pages.

Every status change is one conditional UPDATE (`WHERE status = <what the adviser saw>`), so two advisers
clicking at once never both win, plus one StatusChange row saying who, what and when, in one transaction.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.desk.request_filters import CallbackFilters, PledgeFilters, visible_to
from bot.desk.request_statuses import (
    CALLBACK_STATUS_LABELS,
    CALLBACK_TRANSITIONS,
    OVERDUE_STATUSES,
    PLEDGE_STATUS_LABELS,
    PLEDGE_TRANSITIONS,
)
from bot.errors import DeskError
from bot.shared.french import PARIS
from bot.storage.models import (
    CallbackRequest,
    CallbackStatus,
    Conversation,
    MaskPledge,
    PledgeStatus,
    StaffAccount,
    StatusChange,
)

logger = logging.getLogger(__name__)

MAX_NOTE_CHARS = 2000
MAX_ROWS = 500  # one page; the CSV export has no limit

NOT_FOUND = "Cette demande n’existe pas."
CHANGED_MEANWHILE = "Cette demande a changé entre-temps : rechargez la page et vérifiez son statut."
NOTE_TOO_LONG = f"La note ne doit pas dépasser {MAX_NOTE_CHARS} caractères."


@dataclass(frozen=True)
class QueueRow:
    callback: CallbackRequest
    assignee: str | None  # the adviser's email
    overdue: bool


@dataclass(frozen=True)
class Change:
    """A StatusChange as the detail page shows it."""

    at: datetime
    by: str
    from_status: str
    to_status: str
    note: str | None


@dataclass
class PledgeTotals:
    """Masks and pledges, by status; masks not cancelled, by type and by commune."""

    by_status: dict[str, tuple[int, int]] = field(default_factory=dict)  # status → (pledges, masks)
    by_type: dict[str, int] = field(default_factory=dict)
    by_commune: dict[str, int] = field(default_factory=dict)

    @property
    def masks(self) -> int:
        return sum(masks for status, (_, masks) in self.by_status.items() if status != PledgeStatus.CANCELLED)


def clean_note(note: str | None) -> str | None:
    note = (note or "").strip()
    if len(note) > MAX_NOTE_CHARS:
        raise DeskError(400, NOTE_TOO_LONG)
    return note or None


def is_overdue(callback: CallbackRequest, now: datetime) -> bool:
    return callback.status in OVERDUE_STATUSES and callback.due_at < now


class RequestDesk:
    """What advisers see of callbacks and pledges, and the status changes they make."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    def today(self) -> date:
        return self._clock().astimezone(PARIS).date()

    # Callbacks

    async def queue(self, filters: CallbackFilters, limit: int | None = MAX_ROWS) -> list[QueueRow]:
        """Callbacks matching the filters, the nearest deadline first, with their adviser."""
        query = filters.apply(
            select(CallbackRequest, StaffAccount.email)
            .outerjoin(StaffAccount, StaffAccount.id == CallbackRequest.assigned_to_id)
            .order_by(CallbackRequest.due_at, CallbackRequest.id)
        )
        if limit is not None:
            query = query.limit(limit)
        now = self.now()
        async with self._sessionmaker() as session:
            rows = await session.execute(query)
            return [QueueRow(callback, email, is_overdue(callback, now)) for callback, email in rows]

    async def callback_communes(self) -> list[tuple[str, str]]:
        """(INSEE code, name) of every commune with a callback, by name: the queue's commune filter."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(CallbackRequest.commune_code, CallbackRequest.commune_name)
                .distinct()
                .order_by(CallbackRequest.commune_name)
            )
            return [(code, name) for code, name in rows]

    async def callback(
        self, callback_id: int, handled_by: int | None = None
    ) -> tuple[QueueRow, list[Change]] | None:
        """One callback with its adviser, and its status changes, oldest first; None if unknown, or if
        `handled_by` (an agent) may not see it (request_filters.visible_to)."""
        query = (
            select(CallbackRequest, StaffAccount.email)
            .outerjoin(StaffAccount, StaffAccount.id == CallbackRequest.assigned_to_id)
            .where(CallbackRequest.id == callback_id)
        )
        if handled_by is not None:
            query = query.where(visible_to(handled_by))
        async with self._sessionmaker() as session:
            row = (await session.execute(query)).first()
            if row is None:
                return None
            changes = await self._changes(session, StatusChange.callback_id == callback_id)
        callback, email = row
        return QueueRow(callback, email, is_overdue(callback, self.now())), changes

    async def assign_to(self, callback_id: int, account_id: int, seen_status: str | None = None) -> None:
        """Give the callback to this adviser: in progress, assigned to them."""
        async with self._sessionmaker() as session:
            callback = await session.get(CallbackRequest, callback_id)
            if callback is None:
                raise DeskError(404, NOT_FOUND)
            status = seen_status or callback.status
            if callback.status == CallbackStatus.IN_PROGRESS and callback.assigned_to_id == account_id:
                raise DeskError(409, "Cette demande vous est déjà attribuée.")
            if callback.status != CallbackStatus.IN_PROGRESS and (
                CallbackStatus.IN_PROGRESS not in CALLBACK_TRANSITIONS.get(callback.status, ())
            ):
                raise DeskError(409,
                    f"Une demande au statut « {_callback_label(callback.status)} » ne peut plus être attribuée."
                )
            await self._change_callback(
                session, callback_id, account_id, status, CallbackStatus.IN_PROGRESS, None, assign=True
            )
            await session.commit()
        logger.info("Callback %s assigned to staff %s", callback_id, account_id)

    async def set_callback_status(
        self, callback_id: int, account_id: int, to_status: str, note: str | None, seen_status: str | None = None
    ) -> None:
        """Move a callback on (see CALLBACK_TRANSITIONS), with an optional note; refuse anything else."""
        note = clean_note(note)
        async with self._sessionmaker() as session:
            callback = await session.get(CallbackRequest, callback_id)
            if callback is None:
                raise DeskError(404, NOT_FOUND)
            status = seen_status or callback.status
            if to_status not in CALLBACK_TRANSITIONS.get(status, ()):
                raise DeskError(409,
                    f"Impossible de passer une demande « {_callback_label(status)} » "
                    f"au statut « {_callback_label(to_status)} »."
                )
            await self._change_callback(session, callback_id, account_id, status, to_status, note)
            await session.commit()
        logger.info("Callback %s: %s -> %s by staff %s", callback_id, status, to_status, account_id)

    async def _change_callback(
        self, session: Any, callback_id: int, account_id: int, from_status: str, to_status: str,
        note: str | None, *, assign: bool = False,
    ) -> None:
        now = self.now()
        values: dict[str, Any] = {"status": to_status, "updated_at": now}
        if assign:
            values["assigned_to_id"] = account_id
        if note:
            values["note"] = note
        result = await session.execute(
            update(CallbackRequest)
            .where(CallbackRequest.id == callback_id, CallbackRequest.status == from_status)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            await session.rollback()
            raise DeskError(409, CHANGED_MEANWHILE)
        session.add(
            StatusChange(
                callback_id=callback_id, account_id=account_id, from_status=from_status,
                to_status=to_status, note=note, changed_at=now,
            )
        )

    # Pledges

    async def pledges(self, filters: PledgeFilters, limit: int | None = MAX_ROWS) -> list[MaskPledge]:
        """Pledges matching the filters, newest first."""
        query = filters.apply(select(MaskPledge).order_by(MaskPledge.created_at.desc(), MaskPledge.id.desc()))
        if limit is not None:
            query = query.limit(limit)
        async with self._sessionmaker() as session:
            return list(await session.scalars(query))

    async def pledge_totals(self) -> tuple[PledgeTotals, list[tuple[str, str]]]:
        """Totals over all pledges, and (INSEE code, name) of every commune with a pledge (the filter)."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(
                    MaskPledge.status, MaskPledge.mask_type, MaskPledge.commune_code, MaskPledge.commune_name,
                    func.count(), func.sum(MaskPledge.quantity),
                ).group_by(
                    MaskPledge.status, MaskPledge.mask_type, MaskPledge.commune_code, MaskPledge.commune_name
                )
            )
            rows = list(rows)
        totals = PledgeTotals()
        by_status: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        by_type: Counter[str] = Counter()
        by_commune: Counter[str] = Counter()
        communes: dict[str, str] = {}
        for status, mask_type, code, name, count, masks in rows:
            by_status[status][0] += count
            by_status[status][1] += int(masks or 0)
            communes[code] = name
            if status != PledgeStatus.CANCELLED:
                by_type[mask_type] += int(masks or 0)
                by_commune[name] += int(masks or 0)
        order = list(PLEDGE_TRANSITIONS)
        totals.by_status = {s: tuple(by_status[s]) for s in sorted(by_status, key=order.index)}  # type: ignore[misc]
        totals.by_type = dict(by_type.most_common())
        totals.by_commune = dict(by_commune.most_common())
        return totals, sorted(communes.items(), key=lambda item: item[1])

    async def set_pledges_status(
        self, pledge_ids: Iterable[int], account_id: int, to_status: str, handed_over_on: date | None = None
    ) -> int:
        """Move pledges on together (all or none); handed_over needs the date of the hand-over. The count moved."""
        ids = sorted(set(pledge_ids))
        if not ids:
            raise DeskError(400, "Cochez au moins une promesse de dons.")
        now = self.now()
        values: dict[str, Any] = {"status": to_status, "updated_at": now}
        if to_status == PledgeStatus.HANDED_OVER:
            if handed_over_on is None:
                raise DeskError(400, "Indiquez la date de remise à la préfecture.")
            if handed_over_on > self.today():
                raise DeskError(400, "La date de remise ne peut pas être dans le futur.")
            values["handed_over_at"] = handed_over_at(handed_over_on, now)
        allowed_from = [status for status, nexts in PLEDGE_TRANSITIONS.items() if to_status in nexts]
        async with self._sessionmaker() as session:
            pledges = list(await session.scalars(select(MaskPledge).where(MaskPledge.id.in_(ids))))
            if len(pledges) != len(ids):
                raise DeskError(404, NOT_FOUND)
            refused = [p.reference for p in pledges if p.status not in allowed_from]
            if refused:
                raise DeskError(409,
                    f"Impossible de passer au statut « {_pledge_label(to_status)} » : {', '.join(refused)}."
                )
            result = await session.execute(
                update(MaskPledge)
                .where(MaskPledge.id.in_(ids), MaskPledge.status.in_(allowed_from))
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != len(ids):
                await session.rollback()
                raise DeskError(409, CHANGED_MEANWHILE)
            session.add_all(
                StatusChange(
                    pledge_id=p.id, account_id=account_id, from_status=p.status, to_status=to_status,
                    changed_at=now,
                )
                for p in pledges
            )
            await session.commit()
        logger.info("Pledges %s -> %s by staff %s", ids, to_status, account_id)
        return len(ids)

    async def pledge(self, pledge_id: int) -> tuple[MaskPledge, list[Change]] | None:
        """One pledge and its status changes, oldest first."""
        async with self._sessionmaker() as session:
            pledge = await session.get(MaskPledge, pledge_id)
            if pledge is None:
                return None
            return pledge, await self._changes(session, StatusChange.pledge_id == pledge_id)

    async def pledge_changes(self, pledge_ids: Iterable[int]) -> dict[int, list[Change]]:
        ids = list(pledge_ids)
        if not ids:
            return {}
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(StatusChange, StaffAccount.email)
                .join(StaffAccount, StaffAccount.id == StatusChange.account_id)
                .where(StatusChange.pledge_id.in_(ids))
                .order_by(StatusChange.id)
            )
            changes: dict[int, list[Change]] = defaultdict(list)
            for change, email in rows:
                changes[change.pledge_id].append(_change(change, email))
        return dict(changes)

    # Conversations

    async def conversation(
        self, conversation_id: str
    ) -> tuple[Conversation, list[CallbackRequest], list[MaskPledge]] | None:
        """A conversation with all its messages in order, and its callbacks and pledges."""
        async with self._sessionmaker() as session:
            conversation = await session.scalar(
                select(Conversation)
                .where(Conversation.id == conversation_id)
                .options(selectinload(Conversation.messages))
            )
            if conversation is None:
                return None
            callbacks = list(
                await session.scalars(
                    select(CallbackRequest)
                    .where(CallbackRequest.conversation_id == conversation_id)
                    .order_by(CallbackRequest.id)
                )
            )
            pledges = list(
                await session.scalars(
                    select(MaskPledge).where(MaskPledge.conversation_id == conversation_id).order_by(MaskPledge.id)
                )
            )
        return conversation, callbacks, pledges

    @staticmethod
    async def _changes(session: Any, condition: Any) -> list[Change]:
        rows = await session.execute(
            select(StatusChange, StaffAccount.email)
            .join(StaffAccount, StaffAccount.id == StatusChange.account_id)
            .where(condition)
            .order_by(StatusChange.id)
        )
        return [_change(change, email) for change, email in rows]


def handed_over_at(day: date, now: datetime) -> datetime:
    """When a hand-over on `day` happened: now if today, else noon that day in Paris (the hour is not asked)."""
    if now.astimezone(PARIS).date() == day:
        return now
    return datetime.combine(day, time(12), tzinfo=PARIS).astimezone(UTC)


def _change(change: StatusChange, email: str) -> Change:
    return Change(change.changed_at, email, change.from_status, change.to_status, change.note)


def _callback_label(status: str) -> str:
    return CALLBACK_STATUS_LABELS.get(status, status)


def _pledge_label(status: str) -> str:
    return PLEDGE_STATUS_LABELS.get(status, status)
