"""This module contains Initiatives: the solidarity initiatives artisans propose, staff check, and anyone finds.

    proposed ──> pending ──approve──> approved ──(ends_on passed)──> expired
                  │  ^                 │ │ └──report──> pending (checked again)
                  │  └─────────────────┘ └──retire (staff, the proposer's "no", 7 days' silence)──> retired
                  ├──refuse──> refused
                  └──retire──> retired

Every step is one conditional UPDATE (`... WHERE status IN (allowed)`) with its InitiativeEvent in the same
transaction, so that of two staff members clicking at once one wins and the other is told. What the proposer is
told goes out on their channel through the outbox, like a hand-off's messages. The contact of an initiative is
only ever in an answer once approved (search, public).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.errors import InitiativeRefused
from bot.initiatives import proposal as checks
from bot.initiatives import wording
from bot.initiatives.proposal import Proposal
from bot.initiatives.search import Found, ranked
from bot.initiatives.store import (
    ARTISAN,
    MAX_REASON_CHARS,
    PUBLIC,
    REFUSALS,
    SYSTEM,
    InitiativeStore,
    check_reason,
    event,
    fill,
    paris_today,
    says,
)
from bot.shared.initiatives import SILENCE_RETIRES_AFTER_DAYS, STILL_CURRENT_AFTER_DAYS, initiative_id
from bot.storage.audit import Actor
from bot.storage.models import (
    Conversation,
    Initiative,
    InitiativeCommune,
    InitiativeEvent,
    InitiativeStatus,
)

logger = logging.getLogger(__name__)

PENDING, APPROVED, REFUSED, RETIRED, EXPIRED = (
    InitiativeStatus.PENDING,
    InitiativeStatus.APPROVED,
    InitiativeStatus.REFUSED,
    InitiativeStatus.RETIRED,
    InitiativeStatus.EXPIRED,
)
# Staff may still change what it says; afterwards it is history.
EDITABLE = (PENDING, APPROVED)
# The same proposal again from the same conversation within this is the action server retrying.
RETRY_WINDOW = timedelta(minutes=1)


class Initiatives(InitiativeStore):
    """The steps of an initiative's life, for its proposer (through the action server), for staff (the pages),
    for anyone (a report), and for the clock (bot.initiatives.watch). A step that cannot be taken raises
    InitiativeRefused (404 unknown, 409 not now) with the sentence to show."""

    # --- The proposer's side ------------------------------------------------------------------------------

    async def propose(self, conversation_id: str, draft: Proposal) -> Initiative:
        initiative, _ = await self.propose_once(conversation_id, draft)
        return initiative

    async def propose_once(self, conversation_id: str, draft: Proposal) -> tuple[Initiative, bool]:
        """Record a proposal, pending; the same one again within a minute is a retry: (the first, False)."""
        now = self._clock()
        async with self._sessionmaker() as session:
            if await session.get(Conversation, conversation_id) is None:
                raise InitiativeRefused(404, "Cette conversation est inconnue.")
            recent = await session.scalars(
                select(Initiative).where(
                    Initiative.conversation_id == conversation_id, Initiative.created_at >= now - RETRY_WINDOW
                )
            )
            for earlier in recent:
                if says(earlier, draft):
                    return earlier, False
            initiative = Initiative(
                conversation_id=conversation_id, status=PENDING, contact_consent_text=draft.consent_text,
                contact_consent_at=now, created_at=now, updated_at=now, reports=0,
            )
            fill(initiative, draft)
            session.add(initiative)
            await session.flush()
            event(session, initiative.id, ARTISAN, "proposed", None, now)
            await session.commit()
        logger.info("Initiative %s proposed", initiative.reference)
        return await self._reload(initiative.id), True

    async def still_current(self, reference: str, conversation_id: str, yes: bool) -> Initiative:
        """The proposer's answer to "toujours d’actualité ?": yes keeps it two weeks more, no retires it."""
        initiative = await self._by_reference(reference)
        if initiative.conversation_id != conversation_id:
            raise InitiativeRefused(409, "Cette initiative a été proposée dans une autre conversation.")
        awaiting = Initiative.reminder_sent_at.is_not(None)
        now = self._clock()
        if yes:
            moved = await self._move(
                initiative.id, (APPROVED,), APPROVED, ARTISAN, "confirmed", None, where=awaiting,
                last_confirmed_at=now, reminder_sent_at=None,
            )
        else:
            moved = await self._move(
                initiative.id, (APPROVED,), RETIRED, ARTISAN, "retired", wording.RETIRED_BY_PROPOSER,
                where=awaiting, retired_reason=wording.RETIRED_BY_PROPOSER, reminder_sent_at=None,
            )
        if not moved:
            raise InitiativeRefused(409, "Cette initiative n’attend pas de réponse maintenant.")
        return await self._reload(initiative.id)

    # --- Staff ---------------------------------------------------------------------------------------------

    async def waiting(self) -> list[Initiative]:
        """The initiatives to check, oldest first."""
        async with self._sessionmaker() as session:
            query = select(Initiative).where(Initiative.status == PENDING).order_by(Initiative.id)
            return list(await session.scalars(query))

    async def listing(self, status: str | None = None, limit: int = 500) -> list[Initiative]:
        """The initiatives in one status (None: all), newest first."""
        query = select(Initiative).order_by(Initiative.id.desc()).limit(limit)
        if status is not None:
            query = query.where(Initiative.status == status)
        async with self._sessionmaker() as session:
            return list(await session.scalars(query))

    async def counts(self) -> dict[str, int]:
        """How many initiatives are in each status (every status named)."""
        counted = {status.value: 0 for status in InitiativeStatus}
        async with self._sessionmaker() as session:
            for status in await session.scalars(select(Initiative.status)):
                counted[status] = counted.get(status, 0) + 1
        return counted

    async def get(self, initiative_id: int) -> tuple[Initiative, list[InitiativeEvent]] | None:
        """An initiative and its history, oldest step first."""
        async with self._sessionmaker() as session:
            initiative = await session.get(Initiative, initiative_id)
            if initiative is None:
                return None
            events = await session.scalars(
                select(InitiativeEvent)
                .where(InitiativeEvent.initiative_id == initiative_id)
                .order_by(InitiativeEvent.id)
            )
            return initiative, list(events)

    async def edit(
        self,
        initiative_id: int,
        actor: Actor,
        description: str,
        category: str,
        audience: str,
        commune_codes: list[str],
        phone: str | None,
        website: str | None,
        ends_on: date | str,
    ) -> Initiative:
        """Change what a pending or approved initiative says (each field checked as a proposal's); the fields
        changed are named in its history."""
        changes: dict[str, Any] = {
            "description": checks.check_description(description),
            "category": checks.check_category(category),
            "audience": checks.check_audience(audience),
            "phone": checks.check_phone(phone),
            "website": checks.check_website(website),
        }
        checks.check_contact(changes["phone"], changes["website"])
        served = checks.check_communes(list(commune_codes), self.communes)
        now = self._clock()
        async with self._sessionmaker() as session:
            initiative = await self._get(session, initiative_id)
            if initiative.status not in EDITABLE:
                raise InitiativeRefused(409, REFUSALS[initiative.status] + " Elle ne se modifie plus.")
            given = ends_on.isoformat() if isinstance(ends_on, date) else ends_on
            if given == initiative.ends_on.isoformat():
                changes["ends_on"] = initiative.ends_on
            else:
                changes["ends_on"] = checks.check_ends_on(given, paris_today(now))
            edited = [name for name, value in changes.items() if getattr(initiative, name) != value]
            if [code for code, _ in served] != initiative.commune_codes:
                edited.append("communes")
                initiative.communes.clear()
                await session.flush()  # the old rows go before the new ones come (one commune once)
                initiative.communes = [
                    InitiativeCommune(position=i, commune_code=code, commune_name=name)
                    for i, (code, name) in enumerate(served)
                ]
            if edited:
                for name, value in changes.items():
                    setattr(initiative, name, value)
                initiative.updated_at = now
                event(session, initiative_id, actor, "edited", ", ".join(edited), now)
            await session.commit()
        return await self._reload(initiative_id)

    async def approve(self, initiative_id: int, actor: Actor) -> Initiative:
        now = self._clock()
        await self._step(
            initiative_id, (PENDING,), APPROVED, actor, "approved", None,
            approved_at=now, last_confirmed_at=now, reminder_sent_at=None,
        )
        initiative = await self._reload(initiative_id)
        await self._tell(initiative.conversation_id, wording.approved(initiative))
        logger.info("Initiative %s approved by %s", initiative.reference, actor.name)
        return initiative

    async def refuse(self, initiative_id: int, actor: Actor, reason: str) -> Initiative:
        reason = check_reason(reason)
        await self._step(initiative_id, (PENDING,), REFUSED, actor, "refused", reason, refusal_reason=reason)
        initiative = await self._reload(initiative_id)
        await self._tell(initiative.conversation_id, wording.refused(initiative, reason))
        return initiative

    async def retire(self, initiative_id: int, actor: Actor, reason: str) -> Initiative:
        reason = check_reason(reason)
        await self._step(
            initiative_id, (PENDING, APPROVED), RETIRED, actor, "retired", reason,
            retired_reason=reason, reminder_sent_at=None,
        )
        initiative = await self._reload(initiative_id)
        await self._tell(initiative.conversation_id, wording.retired(initiative, reason))
        return initiative

    # --- Anyone --------------------------------------------------------------------------------------------

    async def report(self, reference: str, reason: str) -> bool:
        """Someone says a public initiative is wrong: it goes back to staff to check. False when the reference
        names no public initiative. Who reported is never kept."""
        found = initiative_id(reference)
        if found is None:
            return False
        detail = " ".join((reason or "").split())[:MAX_REASON_CHARS] or None
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(Initiative)
                .where(Initiative.id == found, Initiative.status == APPROVED)
                .values(status=PENDING, reports=Initiative.reports + 1, reminder_sent_at=None, updated_at=self._clock())
            )
            if result.rowcount != 1:
                return False
            event(session, found, PUBLIC, "reported", detail, self._clock())
            await session.commit()
        logger.info("Initiative %s reported: back to be checked", reference)
        return True

    async def search(
        self, commune_code: str, category: str | None = None, offset: int = 0, limit: int = 3
    ) -> tuple[list[Found], int]:
        """The public initiatives for a commune (bot.initiatives.search's order), from `offset`, and how many."""
        everything = ranked(await self._public(category), commune_code, self.communes)
        return everything[offset : offset + limit], len(everything)

    async def public(self, commune_code: str | None = None, category: str | None = None) -> list[Initiative]:
        """The public initiatives: for a commune, in search order; else those ending soonest first."""
        initiatives = await self._public(category)
        if commune_code:
            return [item.initiative for item in ranked(initiatives, commune_code, self.communes)]
        return initiatives

    async def _public(self, category: str | None) -> list[Initiative]:
        query = (
            select(Initiative)
            .where(Initiative.status == APPROVED, Initiative.ends_on >= self.today())
            .order_by(Initiative.ends_on, Initiative.id)
        )
        if category:
            query = query.where(Initiative.category == category)
        async with self._sessionmaker() as session:
            return list(await session.scalars(query))

    # --- The clock (bot.initiatives.watch) -----------------------------------------------------------------

    async def check(self, now: datetime | None = None) -> dict[str, int]:
        """Expire those past their end, ask "still current?" after two weeks, retire those not answered within
        a week. Returns how many of each."""
        now = now or self._clock()
        today = paris_today(now)
        counts = {"expired": 0, "reminded": 0, "retired": 0}
        async with self._sessionmaker() as session:
            over = list(await session.scalars(
                select(Initiative.id).where(Initiative.status.in_((PENDING, APPROVED)), Initiative.ends_on < today)
            ))
            due = list(await session.scalars(
                select(Initiative.id).where(
                    Initiative.status == APPROVED, Initiative.ends_on >= today, Initiative.reminder_sent_at.is_(None),
                    Initiative.last_confirmed_at <= now - timedelta(days=STILL_CURRENT_AFTER_DAYS),
                )
            ))
            silent = list(await session.scalars(
                select(Initiative.id).where(
                    Initiative.status == APPROVED, Initiative.ends_on >= today,
                    Initiative.reminder_sent_at <= now - timedelta(days=SILENCE_RETIRES_AFTER_DAYS),
                )
            ))
        for found in over:
            if await self._move(found, (PENDING, APPROVED), EXPIRED, SYSTEM, "expired", None, at=now):
                initiative = await self._reload(found)
                await self._tell(initiative.conversation_id, wording.expired(initiative))
                counts["expired"] += 1
        for found in due:
            if await self._move(
                found, (APPROVED,), APPROVED, SYSTEM, "reminded", None, at=now,
                where=Initiative.reminder_sent_at.is_(None), reminder_sent_at=now,
            ):
                initiative = await self._reload(found)
                await self._tell(
                    initiative.conversation_id, wording.still_current_question(initiative),
                    wording.still_current_buttons(initiative),
                )
                counts["reminded"] += 1
        for found in silent:
            if await self._move(
                found, (APPROVED,), RETIRED, SYSTEM, "retired", wording.RETIRED_FOR_SILENCE, at=now,
                where=Initiative.reminder_sent_at.is_not(None), retired_reason=wording.RETIRED_FOR_SILENCE,
            ):
                initiative = await self._reload(found)
                await self._tell(initiative.conversation_id, wording.retired_for_silence(initiative))
                counts["retired"] += 1
        return counts
