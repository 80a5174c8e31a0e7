"""This module contains ArtisanRequests, which records what artisans ask the chamber for: callbacks and mask pledges.

The action server submits them through the internal API once the artisan confirms a form. A submission
carries an idempotency key: the same key for the same conversation returns the request already recorded,
so a retried or repeated confirmation never makes a second request. A new request also keeps the artisan's
commune, and a callback's trade category, in their profile (bot.desk.barometer) for the partners' reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.desk.barometer import Profiles
from bot.errors import RequestRefused
from bot.settings import Settings
from bot.shared.french import format_reopening_fr
from bot.shared.subjects import SUBJECTS
from bot.shared.trades import trade_category_of
from bot.storage.models import (
    CallbackRequest,
    CallbackStatus,
    Conversation,
    MaskPledge,
    PledgeStatus,
)

PREFERRED_TIMES = ("morning", "afternoon", "any")
MASK_TYPES = ("surgical", "ffp2", "fabric", "other")
DELIVERIES = ("drop_off", "collection")
MAX_MASKS = 100_000

CALLBACK_STATUS_FR = {
    CallbackStatus.NEW: "reçue, un conseiller va vous rappeler",
    CallbackStatus.IN_PROGRESS: "prise en charge par un conseiller",
    CallbackStatus.CALLED_BACK: "traitée : un conseiller vous a rappelé",
    CallbackStatus.UNREACHABLE: "un conseiller a essayé de vous joindre sans succès",
    CallbackStatus.CLOSED: "close",
    CallbackStatus.CANCELLED: "annulée",
}
PLEDGE_STATUS_FR = {
    PledgeStatus.PLEDGED: "enregistré, en attente de collecte",
    PledgeStatus.COLLECTED: "collecté par la Chambre",
    PledgeStatus.HANDED_OVER: "remis à la préfecture",
    PledgeStatus.CANCELLED: "annulé",
}
# What the artisan can still cancel.
CANCELLABLE = {CallbackStatus.NEW, PledgeStatus.PLEDGED}


@dataclass(frozen=True)
class Recorded:
    reference: str
    created: bool  # False when the idempotency key was seen before
    details: dict[str, Any]


def _text(data: dict[str, Any], name: str, max_length: int = 200) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise RequestRefused(400, f"Le champ « {name} » est obligatoire.")
    if len(value) > max_length:
        raise RequestRefused(400, f"Le champ « {name} » ne doit pas dépasser {max_length} caractères.")
    return value.strip()


def _choice(data: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in allowed:
        raise RequestRefused(400, f"Le champ « {name} » doit valoir l'un de : {', '.join(allowed)}.")
    return value


def _phone(data: dict[str, Any]) -> str:
    phone = _text(data, "phone", 20)
    if not (phone.startswith("+") and phone[1:].isdigit() and 8 <= len(phone) <= 16):
        raise RequestRefused(400, "Le champ « phone » doit être un numéro au format international (+33612345678).")
    return phone


def _commune_code(data: dict[str, Any]) -> str:
    code = _text(data, "commune_code", 5)
    if not (len(code) == 5 and code[:2].isalnum() and code[2:].isdigit()):
        raise RequestRefused(400, "Le champ « commune_code » doit être un code INSEE de commune (5 caractères).")
    return code


class ArtisanRequests:
    def __init__(self, sessionmaker: async_sessionmaker, settings: Settings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._profiles = Profiles(sessionmaker, settings.clock)

    def callback_due(self, asked_at: datetime) -> datetime:
        """When an adviser must have called back: the promise counted on the chamber's opening days."""
        within = timedelta(hours=self._settings.callback_within_hours)
        return self._settings.chamber_hours.deadline(asked_at, within) or asked_at + within

    def due_text(self, due_at: datetime, seen_from: datetime) -> str:
        tz = self._settings.chamber_hours.timezone
        return format_reopening_fr(due_at.astimezone(tz), seen_from.astimezone(tz))

    async def submit_callback(self, data: dict[str, Any]) -> Recorded:
        conversation_id = _text(data, "conversation_id", 32)
        key = _text(data, "idempotency_key", 128)
        now = self._settings.clock()
        request = CallbackRequest(
            conversation_id=conversation_id,
            idempotency_key=key,
            name=_text(data, "name"),
            phone=_phone(data),
            trade=_text(data, "trade"),
            commune_code=_commune_code(data),
            commune_name=_text(data, "commune_name"),
            subject=_choice(data, "subject", tuple(SUBJECTS)),
            preferred_time=_choice(data, "preferred_time", PREFERRED_TIMES),
            status=CallbackStatus.NEW,
            due_at=self.callback_due(now).astimezone(UTC),
            created_at=now,
            updated_at=now,
        )
        stored, created = await self._store(request, CallbackRequest, conversation_id, key)
        if created:
            await self._profiles.note(
                conversation_id, commune_code=stored.commune_code, trade_category=trade_category_of(stored.trade)
            )
        return Recorded(
            stored.reference,
            created,
            {
                "due_at": stored.due_at.astimezone(UTC).isoformat(),
                "due_text": self.due_text(stored.due_at, stored.created_at),
            },
        )

    async def submit_pledge(self, data: dict[str, Any]) -> Recorded:
        conversation_id = _text(data, "conversation_id", 32)
        key = _text(data, "idempotency_key", 128)
        quantity = data.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_MASKS:
            raise RequestRefused(400, f"Le champ « quantity » doit être un nombre entier de 1 à {MAX_MASKS}.")
        now = self._settings.clock()
        pledge = MaskPledge(
            conversation_id=conversation_id,
            idempotency_key=key,
            quantity=quantity,
            mask_type=_choice(data, "mask_type", MASK_TYPES),
            commune_code=_commune_code(data),
            commune_name=_text(data, "commune_name"),
            delivery=_choice(data, "delivery", DELIVERIES),
            phone=_phone(data),
            status=PledgeStatus.PLEDGED,
            created_at=now,
            updated_at=now,
        )
        stored, created = await self._store(pledge, MaskPledge, conversation_id, key)
        if created:
            await self._profiles.note(conversation_id, commune_code=stored.commune_code)
        return Recorded(stored.reference, created, await self.pledge_totals())

    async def _store(self, record: Any, model: Any, conversation_id: str, key: str) -> tuple[Any, bool]:
        async with self._sessionmaker() as session:
            if await session.get(Conversation, conversation_id) is None:
                raise RequestRefused(404, "Cette conversation est inconnue.")
            existing = await session.scalar(
                select(model).where(model.conversation_id == conversation_id, model.idempotency_key == key)
            )
            if existing is not None:
                return existing, False
            session.add(record)
            try:
                await session.commit()
                return record, True
            except IntegrityError:  # the same confirmation, submitted twice at once
                await session.rollback()
                existing = await session.scalar(
                    select(model).where(model.conversation_id == conversation_id, model.idempotency_key == key)
                )
                if existing is None:
                    raise
                return existing, False

    async def pledge_totals(self) -> dict[str, int]:
        """Masks pledged (not cancelled) and masks already handed to the prefecture, over all pledges."""
        async with self._sessionmaker() as session:
            pledged = await session.scalar(
                select(func.coalesce(func.sum(MaskPledge.quantity), 0)).where(
                    MaskPledge.status != PledgeStatus.CANCELLED
                )
            )
            handed = await session.scalar(
                select(func.coalesce(func.sum(MaskPledge.quantity), 0)).where(
                    MaskPledge.status == PledgeStatus.HANDED_OVER
                )
            )
        return {"total_pledged": int(pledged), "total_handed_over": int(handed)}

    async def requests_of(self, conversation_id: str) -> list[dict[str, Any]]:
        """A conversation's callbacks and pledges, newest first, as the artisan is told about them."""
        now = self._settings.clock()
        async with self._sessionmaker() as session:
            callbacks = list(
                await session.scalars(select(CallbackRequest).where(CallbackRequest.conversation_id == conversation_id))
            )
            pledges = list(
                await session.scalars(select(MaskPledge).where(MaskPledge.conversation_id == conversation_id))
            )
        items: list[tuple[datetime, dict[str, Any]]] = []
        for c in callbacks:
            item = {
                "reference": c.reference,
                "kind": "callback",
                "status": c.status,
                "status_text": CALLBACK_STATUS_FR[CallbackStatus(c.status)],
                "created_at": c.created_at.astimezone(UTC).isoformat(),
            }
            if c.status in (CallbackStatus.NEW, CallbackStatus.IN_PROGRESS):
                item["due_text"] = self.due_text(c.due_at, now)
            items.append((c.created_at, item))
        for p in pledges:
            items.append(
                (
                    p.created_at,
                    {
                        "reference": p.reference,
                        "kind": "pledge",
                        "status": p.status,
                        "status_text": PLEDGE_STATUS_FR[PledgeStatus(p.status)],
                        "created_at": p.created_at.astimezone(UTC).isoformat(),
                        "quantity": p.quantity,
                    },
                )
            )
        items.sort(key=lambda pair: pair[0], reverse=True)
        return [item for _, item in items]

    async def cancel(self, reference: str, conversation_id: str) -> str:
        """Cancel one of the conversation's own requests, if nobody has started on it yet."""
        model, record_id = _parse_reference(reference)
        async with self._sessionmaker() as session:
            record = await session.get(model, record_id)
            if record is None or record.conversation_id != conversation_id:
                raise RequestRefused(404, f"Aucune demande {reference} dans cette conversation.")
            if record.status not in CANCELLABLE:
                raise RequestRefused(409, f"La demande {reference} ne peut plus être annulée : elle est déjà traitée.")
            cancelled = CallbackStatus.CANCELLED if model is CallbackRequest else PledgeStatus.CANCELLED
            record.status = cancelled
            record.updated_at = self._settings.clock()
            await session.commit()
            return cancelled


def _parse_reference(reference: str) -> tuple[Any, int]:
    prefix, _, number = reference.upper().partition("-")
    model = {"RAP": CallbackRequest, "DON": MaskPledge}.get(prefix)
    if model is None or not number.isdigit():
        raise RequestRefused(404, f"« {reference} » n'est pas une référence de demande (RAP-… ou DON-…).")
    return model, int(number)
