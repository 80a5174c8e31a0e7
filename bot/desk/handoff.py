"""This module contains Handoff: an adviser takes a conversation over from the bot, answers, and gives it back.

The states are those of ../shared/DESIGN.md, on the conversation (`Conversation.state`):

    bot ──request──> waiting ──take──> agent ──give_back──> bot
                        │                │ ├─transfer─> agent (another adviser)
                        ├──expire──> bot │ └─release──> bot (the adviser's session ended)
                        └──close──> closed <──close──┘      closed ──reopen (the artisan writes)──> bot

Every step is one conditional UPDATE (`... WHERE state IN (allowed)`), so of two advisers clicking "take" at
once exactly one wins; every step is recorded (`HandoffEvent`: who, what, when) and published to the
advisers' consoles (bot.desk.live). Whatever the artisan is told on the way is stored as a bot message and goes out
through the outbox like any reply. When the bot gets the conversation back, the Rasa conversation the
handoff action paused is resumed, so that the artisan's next message is a new exchange (RasaClient.resume).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.desk.live import Live, message_json
from bot.errors import EngineError, HandoffError
from bot.messaging.rasa_client import RasaClient
from bot.messaging.replies import (
    ADVISER_GONE,
    CLOSED_BY_ADVISER,
    GIVEN_BACK,
    OFFER_CALLBACK,
    TAKEN,
)
from bot.settings import Settings
from bot.shared.french import describe_hours_fr, format_reopening_fr
from bot.shared.hours import OpeningHours
from bot.storage import Conversation, ConversationState, Message
from bot.storage.message_log import MessageLog
from bot.storage.models import (
    Author,
    ConversationNote,
    HandoffEvent,
    StaffAccount,
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


class Handoff:
    """The steps of the hand-off state machine, each taken for the artisan (through the action server and the
    router), for an adviser (from the console), or for the clock (bot.desk.handoff_watch).

    A step refused (an adviser too late, a conversation not theirs, an unknown one) raises HandoffError with
    the French sentence the adviser reads. What the artisan is told goes through `deliver` (the outbox), what
    advisers see through `live`.
    """

    def __init__(
        self,
        sessionmaker: async_sessionmaker,
        log: MessageLog,
        rasa: RasaClient,
        live: Live,
        settings: Settings,
        deliver: Callable[[list[Message]], None],
    ) -> None:
        self._sessionmaker = sessionmaker
        self._log = log
        self._rasa = rasa
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

    # --- Nobody waits forever (the steps bot.desk.handoff_watch takes) ------------------------------------

    async def expire(self, conversation_id: str, why: str, text: str) -> bool:
        """Nobody took the waiting conversation (`why`): back to the bot, the artisan told `text` and offered
        a callback. False when it no longer waits."""
        if not await self._move(conversation_id, "expire", None, agent_id=None, detail=why):
            return False
        await self._back_to_the_bot_offering_a_callback(conversation_id, text)
        logger.info("Conversation %s given back to the bot: %s", conversation_id, why)
        return True

    async def release(self, conversation_id: str) -> bool:
        """The adviser's session ended: back to the bot, the artisan told and offered a callback."""
        if not await self._move(conversation_id, "release", None, agent_id=None, detail="adviser's session ended"):
            return False
        await self._back_to_the_bot_offering_a_callback(conversation_id, ADVISER_GONE)
        logger.info("Conversation %s given back to the bot: its adviser's session ended", conversation_id)
        return True

    async def _back_to_the_bot_offering_a_callback(self, conversation_id: str, text: str) -> None:
        await self._resume_rasa(conversation_id, offered_callback=True)
        await self._tell(conversation_id, text, buttons=OFFER_CALLBACK)
        self._live.publish("queue")

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
            await self._rasa.resume(conversation_id, offered_callback=offered_callback)
        except EngineError as exc:
            # Rasa is down: it starts afresh anyway when it is back (a paused tracker is only paused in Rasa).
            logger.warning("Rasa conversation %s could not be resumed now: %s", conversation_id, exc)

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
