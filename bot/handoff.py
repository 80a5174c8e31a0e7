"""This module contains Handoff: an adviser takes a conversation over from the bot, answers, and gives it back.

The states are those of ../shared/DESIGN.md, on the conversation (`Conversation.state`):

    bot ──request──> waiting ──take──> agent ──give_back──> bot
                        │                │ ├─transfer─> agent (another adviser)
                        ├──expire──> bot │ └─release──> bot (the adviser's session ended)
                        └──close──> closed <──close──┘      closed ──reopen (the artisan writes)──> bot

Every step is one conditional UPDATE (`... WHERE state IN (allowed)`), so of two advisers clicking "take" at
once exactly one wins; every step is recorded (`HandoffEvent`: who, what, when) and published to the
advisers' consoles (bot.live). Whatever the artisan is told on the way is stored as a bot message and goes out
through the outbox like any reply. When the bot gets the conversation back, the Rasa conversation the
handoff action paused is resumed, so that the artisan's next message is a new exchange (EngineClient.resume).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.engine import EngineClient
from bot.errors import EngineError
from bot.hours import OpeningHours, format_reopening_fr
from bot.live import Live
from bot.settings import Settings
from bot.storage import Conversation, ConversationState, Message
from bot.storage.message_log import MessageLog
from bot.storage.models import (
    Author,
    CannedAnswer,
    ConversationNote,
    HandoffEvent,
    StaffAccount,
    StaffSession,
    utcnow,
)

logger = logging.getLogger(__name__)

WAITING, AGENT, BOT, CLOSED = (
    ConversationState.WAITING,
    ConversationState.AGENT,
    ConversationState.BOT,
    ConversationState.CLOSED,
)
MAX_REPLY_CHARS = 4000
MAX_NOTE_CHARS = 4000


class Reason(enum.StrEnum):
    """Why a conversation waits for an adviser."""

    ASKED = "asked"
    MISUNDERSTOOD = "misunderstood"
    FORM_FAILED = "form_failed"
    DISTRESS = "distress"


REASON_LABELS = {
    Reason.ASKED: "Demande un conseiller",
    Reason.MISUNDERSTOOD: "Le bot ne comprend pas",
    Reason.FORM_FAILED: "Bloqué dans un formulaire",
    Reason.DISTRESS: "Détresse",
}

# action → (the states it may start from, the state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "request": (frozenset({BOT}), WAITING),
    "take": (frozenset({WAITING}), AGENT),
    "transfer": (frozenset({AGENT}), AGENT),
    "give_back": (frozenset({AGENT}), BOT),
    "close": (frozenset({WAITING, AGENT}), CLOSED),
    "expire": (frozenset({WAITING}), BOT),
    "release": (frozenset({AGENT}), BOT),
    "reopen": (frozenset({CLOSED}), BOT),
}

# What the artisan reads on the way.
TAKEN = "Un conseiller de la Chambre a pris votre conversation et vous répond ici."
GIVEN_BACK = (
    "Le conseiller a terminé. Je reprends la conversation : posez-moi une autre question quand vous voulez, "
    "ou tapez « menu »."
)
CLOSED_BY_ADVISER = "Le conseiller a clos la conversation. Merci, et bon courage ! Si besoin, écrivez-moi à nouveau."
NOBODY_IN_TIME = (
    "Désolé, aucun conseiller n'a pu vous répondre à temps. Voulez-vous qu'un conseiller vous rappelle "
    "par téléphone ? Je reste là pour vos autres questions."
)
ADVISERS_GONE = (
    "Nos conseillers ont terminé pour aujourd'hui ; ils répondent {hours}. Voulez-vous qu'un conseiller vous "
    "rappelle ? Je reste là pour vos autres questions."
)
ADVISER_GONE = (
    "Le conseiller a dû s'interrompre. Je reprends la conversation : voulez-vous qu'un conseiller vous "
    "rappelle par téléphone ? Je reste là pour vos autres questions."
)
OFFER_CALLBACK = [
    {"title": "Être rappelé", "payload": "/request_callback"},
    {"title": "Non merci", "payload": "/deny"},
]
FRENCH_DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


class HandoffError(Exception):
    """A step that cannot be taken now, with a French sentence for the adviser (409, 404, 403 or 400)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Adviser:
    """Who acts: a staff account."""

    id: int
    email: str
    is_admin: bool = False


def _refusal(state: str) -> str:
    return {
        WAITING: "Cette conversation attend encore un conseiller : prenez-la d'abord.",
        AGENT: "Un conseiller a déjà pris cette conversation.",
        BOT: "Cette conversation n'attend plus de conseiller : le bot a repris la main.",
        CLOSED: "Cette conversation est close.",
    }.get(state, "Cette action n'est pas possible maintenant.")


def describe_hours_fr(hours: OpeningHours) -> str:
    """Weekly hours in French: "du lundi au vendredi de 9h à 12h et de 14h à 17h"."""
    groups: list[tuple[list[int], tuple[Any, ...]]] = []
    for day, intervals in enumerate(hours.weekly):
        if not intervals:
            continue
        if groups and groups[-1][1] == intervals and groups[-1][0][-1] == day - 1:
            groups[-1][0].append(day)
        else:
            groups.append(([day], intervals))

    def clock(moment: Any) -> str:
        return f"{moment.hour}h" + (f"{moment.minute:02d}" if moment.minute else "")

    parts = []
    for days, intervals in groups:
        when = (
            f"le {FRENCH_DAYS[days[0]]}"
            if len(days) == 1
            else f"du {FRENCH_DAYS[days[0]]} au {FRENCH_DAYS[days[-1]]}"
        )
        spans = " et ".join(f"de {clock(i.start)} à {clock(i.end)}" for i in intervals)
        parts.append(f"{when} {spans}")
    return " ; ".join(parts) or "aux heures d'ouverture de la Chambre"


class Handoff:
    def __init__(
        self,
        sessionmaker: async_sessionmaker,
        log: MessageLog,
        engine: EngineClient,
        live: Live,
        settings: Settings,
        deliver: Callable[[list[Message]], None],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._log = log
        self._engine = engine
        self._live = live
        self._settings = settings
        self._deliver = deliver

    @property
    def hours(self) -> OpeningHours:
        return self._settings.adviser_hours

    def now(self) -> datetime:
        return self._settings.clock()

    # --- The artisan's side (called by the action server and the router) --------------------------------

    async def request(self, conversation_id: str, reason: str) -> dict[str, Any]:
        """Queue a conversation for an adviser; what the bot should tell the artisan (see README)."""
        try:
            reason = Reason(reason)
        except ValueError:
            raise HandoffError(400, f"Raison inconnue : {reason!r}.") from None
        now = self.now()
        conversation = await self._conversation(conversation_id)
        if conversation.state in (WAITING, AGENT):
            return {"outcome": "already", "state": conversation.state}
        if not self.hours.is_open(now):
            await self._record(conversation_id, None, "refused_closed", reason)
            opening = self.hours.next_opening(now)
            return {
                "outcome": "closed",
                "hours_text": describe_hours_fr(self.hours),
                "next_opening_text": format_reopening_fr(opening, now) if opening else "",
            }
        priority = 1 if reason == Reason.DISTRESS else 0
        moved = await self._move(
            conversation_id,
            "request",
            None,
            handoff_reason=reason,
            priority=priority,
            waiting_since=now,
            agent_id=None,
            acknowledged=False,
        )
        if not moved:  # it changed meanwhile (another message handed it off first)
            return {"outcome": "already", "state": (await self._conversation(conversation_id)).state}
        position = await self._position(conversation_id)
        minutes = self._settings.handoff_minutes_per_conversation * position
        max_wait = self._settings.handoff_max_wait_minutes
        logger.info("Conversation %s waits for an adviser (%s, position %d)", conversation_id, reason, position)
        self._live.publish("queue")
        return {
            "outcome": "queued",
            "priority": bool(priority),
            "position": position,
            "expected_minutes": min(minutes, max_wait),
        }

    async def acknowledge_once(self, conversation_id: str) -> bool:
        """True the first time an artisan writes while waiting: the bot then says, once, that it was passed on."""
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.state == WAITING, ~Conversation.acknowledged)
                .values(acknowledged=True)
            )
            await session.commit()
        return result.rowcount == 1

    async def reopen(self, conversation_id: str) -> None:
        """The artisan writes in a closed conversation: the bot answers again."""
        if await self._move(conversation_id, "reopen", None):
            await self._resume_rasa(conversation_id)
            self._live.publish("queue")

    def message_arrived(self, message: Message) -> None:
        """An artisan's message in a conversation an adviser has or will have: to the consoles at once."""
        self._live.publish("message", conversation_id=message.conversation_id, message=message_json(message))

    # --- The adviser's side ------------------------------------------------------------------------------

    async def take(self, conversation_id: str, adviser: Adviser) -> None:
        if not await self._move(conversation_id, "take", adviser, agent_id=adviser.id):
            conversation = await self._conversation(conversation_id)
            if conversation.state == AGENT:
                holder = await self._email(conversation.agent_id)
                raise HandoffError(409, f"Trop tard : {holder} a déjà pris cette conversation.")
            raise HandoffError(409, _refusal(conversation.state))
        await self._tell(conversation_id, TAKEN)
        self._live.publish("queue")

    async def transfer(self, conversation_id: str, adviser: Adviser, to_account_id: int) -> None:
        async with self._sessionmaker() as session:
            target = await session.get(StaffAccount, to_account_id)
        if target is None or not target.active:
            raise HandoffError(400, "Ce conseiller n'existe pas ou son compte est désactivé.")
        await self._holder_only(conversation_id, adviser)
        if not await self._move(conversation_id, "transfer", adviser, agent_id=target.id, detail=target.email):
            raise HandoffError(409, _refusal((await self._conversation(conversation_id)).state))
        self._live.publish("queue")

    async def give_back(self, conversation_id: str, adviser: Adviser) -> None:
        await self._holder_only(conversation_id, adviser)
        if not await self._move(conversation_id, "give_back", adviser, agent_id=None):
            raise HandoffError(409, _refusal((await self._conversation(conversation_id)).state))
        await self._resume_rasa(conversation_id)
        await self._tell(conversation_id, GIVEN_BACK)
        self._live.publish("queue")

    async def close(self, conversation_id: str, adviser: Adviser) -> None:
        conversation = await self._conversation(conversation_id)
        if conversation.state == AGENT:
            await self._holder_only(conversation_id, adviser)
        if not await self._move(conversation_id, "close", adviser, agent_id=None):
            raise HandoffError(409, _refusal((await self._conversation(conversation_id)).state))
        await self._tell(conversation_id, CLOSED_BY_ADVISER)
        self._live.publish("queue")

    async def reply(self, conversation_id: str, adviser: Adviser, text: str) -> Message:
        text = text.strip()
        if not text:
            raise HandoffError(400, "La réponse est vide.")
        if len(text) > MAX_REPLY_CHARS:
            raise HandoffError(400, f"La réponse dépasse {MAX_REPLY_CHARS} caractères : coupez-la en deux.")
        conversation = await self._holder_only(conversation_id, adviser)
        if conversation.state != AGENT:
            raise HandoffError(409, _refusal(conversation.state))
        [message] = await self._log.record_outbound(
            conversation_id, conversation.channel, Author.AGENT, [{"text": text, "account_id": adviser.id}]
        )
        await self._record(conversation_id, adviser.id, "replied", None)
        self._deliver([message])
        self._live.publish("message", conversation_id=conversation_id, message=message_json(message))
        return message

    async def note(self, conversation_id: str, adviser: Adviser, text: str) -> ConversationNote:
        text = text.strip()
        if not text or len(text) > MAX_NOTE_CHARS:
            raise HandoffError(400, f"Une note fait de 1 à {MAX_NOTE_CHARS} caractères.")
        await self._conversation(conversation_id)
        async with self._sessionmaker() as session:
            note = ConversationNote(conversation_id=conversation_id, account_id=adviser.id, text=text, created_at=utcnow())
            session.add(note)
            session.add(HandoffEvent(conversation_id=conversation_id, account_id=adviser.id, action="noted", at=utcnow()))
            await session.commit()
        self._live.publish("note", conversation_id=conversation_id, note={"text": text, "by": adviser.email})
        return note

    # --- Nobody waits forever ----------------------------------------------------------------------------

    async def expire_overdue(self) -> int:
        """Give back to the bot every conversation that waited past the maximum, or when advisers stopped for
        the day; the artisan is told and offered a callback. Returns how many."""
        now = self.now()
        limit = now - timedelta(minutes=self._settings.handoff_max_wait_minutes)
        open_now = self.hours.is_open(now)
        async with self._sessionmaker() as session:
            query = select(Conversation.id, Conversation.waiting_since).where(Conversation.state == WAITING)
            waiting = list(await session.execute(query))
        expired = 0
        for conversation_id, since in waiting:
            if open_now and since is not None and since > limit:
                continue
            why = "nobody in time" if open_now else "advisers' hours over"
            if not await self._move(conversation_id, "expire", None, agent_id=None, detail=why):
                continue
            expired += 1
            await self._resume_rasa(conversation_id, offered_callback=True)
            text = NOBODY_IN_TIME if open_now else ADVISERS_GONE.format(hours=describe_hours_fr(self.hours))
            await self._tell(conversation_id, text, buttons=OFFER_CALLBACK)
            logger.info("Conversation %s given back to the bot: %s", conversation_id, why)
        if expired:
            self._live.publish("queue")
        return expired

    async def release_absent(self, account_id: int | None = None) -> int:
        """Give back to the bot the conversations of advisers who left: no live session (logged out, idle too
        long, account disabled). The artisan is told and offered a callback. With `account_id`, that adviser's
        only (at logout). Returns how many."""
        now = self.now()
        idle = timedelta(hours=self._settings.staff_session_idle_hours)
        present = select(StaffSession.account_id).where(
            StaffSession.expires_at > now, StaffSession.last_seen_at > now - idle
        )
        query = select(Conversation.id).where(Conversation.state == AGENT, Conversation.agent_id.not_in(present))
        if account_id is not None:
            query = query.where(Conversation.agent_id == account_id)
        async with self._sessionmaker() as session:
            held = list(await session.scalars(query))
        released = 0
        for conversation_id in held:
            if not await self._move(conversation_id, "release", None, agent_id=None, detail="adviser's session ended"):
                continue
            released += 1
            await self._resume_rasa(conversation_id, offered_callback=True)
            await self._tell(conversation_id, ADVISER_GONE, buttons=OFFER_CALLBACK)
            logger.info("Conversation %s given back to the bot: its adviser's session ended", conversation_id)
        if released:
            self._live.publish("queue")
        return released

    # --- What the console shows ---------------------------------------------------------------------------

    async def queue(self) -> list[dict[str, Any]]:
        """Conversations waiting (most urgent, then longest waiting first), then those advisers have."""
        now = self.now()
        async with self._sessionmaker() as session:
            rows = list(
                await session.execute(
                    select(Conversation, StaffAccount.email)
                    .outerjoin(StaffAccount, StaffAccount.id == Conversation.agent_id)
                    .where(Conversation.state.in_([WAITING, AGENT]))
                    .order_by(Conversation.priority.desc(), Conversation.waiting_since)
                )
            )
            names = await self.display_names(session, [c.id for c, _ in rows])
        return [
            {
                "id": c.id,
                "state": c.state,
                "channel": c.channel,
                "name": names.get(c.id) or "Artisan",
                "reason": c.handoff_reason,
                "reason_label": REASON_LABELS.get(c.handoff_reason, c.handoff_reason or ""),
                "priority": c.priority,
                "waiting_since": c.waiting_since.isoformat() if c.waiting_since else None,
                "waiting_seconds": int((now - c.waiting_since).total_seconds()) if c.waiting_since else 0,
                "agent": email,
                "agent_id": c.agent_id,
            }
            for c, email in rows
        ]

    async def notes(self, conversation_id: str) -> list[dict[str, Any]]:
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(ConversationNote, StaffAccount.email)
                .join(StaffAccount, StaffAccount.id == ConversationNote.account_id)
                .where(ConversationNote.conversation_id == conversation_id)
                .order_by(ConversationNote.id)
            )
            return [{"text": n.text, "by": email, "at": n.created_at.isoformat()} for n, email in rows]

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(HandoffEvent, StaffAccount.email)
                .outerjoin(StaffAccount, StaffAccount.id == HandoffEvent.account_id)
                .where(HandoffEvent.conversation_id == conversation_id)
                .order_by(HandoffEvent.id)
            )
            return [
                {"action": e.action, "by": email, "detail": e.detail, "at": e.at.isoformat()} for e, email in rows
            ]

    async def canned_answers(self) -> list[CannedAnswer]:
        async with self._sessionmaker() as session:
            return list(await session.scalars(select(CannedAnswer).order_by(CannedAnswer.title)))

    async def save_canned_answer(self, adviser: Adviser, title: str, text: str, answer_id: int | None = None) -> None:
        title, text = title.strip(), text.strip()
        if not title or not text or len(title) > 120 or len(text) > MAX_REPLY_CHARS:
            raise HandoffError(400, "Donnez un titre (120 caractères au plus) et un texte.")
        async with self._sessionmaker() as session:
            if answer_id is None:
                session.add(CannedAnswer(title=title, text=text, updated_by=adviser.id, updated_at=utcnow()))
            else:
                answer = await session.get(CannedAnswer, answer_id)
                if answer is None:
                    raise HandoffError(404, "Cette réponse type n'existe plus.")
                answer.title, answer.text, answer.updated_by, answer.updated_at = title, text, adviser.id, utcnow()
            await session.commit()

    async def delete_canned_answer(self, answer_id: int) -> None:
        async with self._sessionmaker() as session:
            answer = await session.get(CannedAnswer, answer_id)
            if answer is not None:
                await session.delete(answer)
                await session.commit()

    # --- Inside ---------------------------------------------------------------------------------------------

    async def _conversation(self, conversation_id: str) -> Conversation:
        async with self._sessionmaker() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise HandoffError(404, "Cette conversation est inconnue.")
        return conversation

    async def _holder_only(self, conversation_id: str, adviser: Adviser) -> Conversation:
        conversation = await self._conversation(conversation_id)
        if conversation.state == AGENT and conversation.agent_id != adviser.id and not adviser.is_admin:
            holder = await self._email(conversation.agent_id)
            raise HandoffError(403, f"C'est {holder} qui a cette conversation.")
        return conversation

    async def _move(
        self, conversation_id: str, action: str, adviser: Adviser | None, *, detail: str | None = None, **values: Any
    ) -> bool:
        """Take one step of the state machine, if the conversation is still where it may start from."""
        allowed, to = TRANSITIONS[action]
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(Conversation)
                .where(Conversation.id == conversation_id, Conversation.state.in_(allowed))
                .values(state=to, updated_at=utcnow(), **values)
            )
            if result.rowcount != 1:
                await session.rollback()
                return False
            session.add(
                HandoffEvent(
                    conversation_id=conversation_id,
                    account_id=adviser.id if adviser else None,
                    action=ACTION_EVENTS[action],
                    detail=detail or values.get("handoff_reason"),
                    at=utcnow(),
                )
            )
            await session.commit()
        return True

    async def _record(self, conversation_id: str, account_id: int | None, action: str, detail: str | None) -> None:
        async with self._sessionmaker() as session:
            session.add(
                HandoffEvent(conversation_id=conversation_id, account_id=account_id, action=action, detail=detail, at=utcnow())
            )
            await session.commit()

    async def _position(self, conversation_id: str) -> int:
        """1 for the next conversation an adviser will take: by priority, then by waiting time."""
        async with self._sessionmaker() as session:
            me = await session.get(Conversation, conversation_id)
            ahead = await session.scalar(
                select(func.count()).where(
                    Conversation.state == WAITING,
                    Conversation.id != conversation_id,
                    (Conversation.priority > me.priority)
                    | ((Conversation.priority == me.priority) & (Conversation.waiting_since <= me.waiting_since)),
                )
            )
        return int(ahead or 0) + 1

    async def _email(self, account_id: int | None) -> str:
        if account_id is None:
            return "un autre conseiller"
        async with self._sessionmaker() as session:
            account = await session.get(StaffAccount, account_id)
        return account.email if account else "un autre conseiller"

    async def _tell(self, conversation_id: str, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        conversation = await self._conversation(conversation_id)
        reply: dict[str, Any] = {"text": text, **({"buttons": buttons} if buttons else {})}
        messages = await self._log.record_outbound(conversation_id, conversation.channel, Author.BOT, [reply])
        self._deliver(messages)
        for message in messages:
            self._live.publish("message", conversation_id=conversation_id, message=message_json(message))

    async def _resume_rasa(self, conversation_id: str, *, offered_callback: bool = False) -> None:
        try:
            await self._engine.resume(conversation_id, offered_callback=offered_callback)
        except EngineError as exc:
            # Rasa is down: it starts afresh anyway when it is back (a paused tracker is only paused in Rasa).
            logger.warning("Rasa conversation %s could not be resumed now: %s", conversation_id, exc)

    @staticmethod
    async def display_names(session: Any, conversation_ids: list[str]) -> dict[str, str]:
        """The artisan's name as their platform gives it (Telegram first name, WhatsApp profile name)."""
        if not conversation_ids:
            return {}
        rows = await session.execute(
            select(Message.conversation_id, Message.payload)
            .where(Message.conversation_id.in_(conversation_ids), Message.author == Author.ARTISAN)
            .order_by(Message.id.desc())
        )
        names: dict[str, str] = {}
        for conversation_id, payload in rows:
            if conversation_id in names or not payload:
                continue
            name = payload.get("profile_name") or payload.get("first_name")
            if name:
                names[conversation_id] = str(name)
        return names


ACTION_EVENTS = {
    "request": "requested",
    "take": "taken",
    "transfer": "transferred",
    "give_back": "given_back",
    "close": "closed",
    "expire": "expired",
    "release": "released",
    "reopen": "reopened",
}


def message_json(message: Message) -> dict[str, Any]:
    """A message as the console shows it."""
    return {
        "id": message.id,
        "direction": message.direction,
        "author": message.author,
        "text": message.text or "",
        "buttons": message.buttons,
        "kind": (message.payload or {}).get("kind"),
        "status": message.status,
        "error": message.error,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
