"""This module contains the Inbox: the artisan messages the assistant misunderstood, grouped, and the admins' labels.

A message is a candidate while nobody labelled it and it is an artisan's text message that the assistant
understood with low confidence, did not understand at all (nlu_fallback, or a confident intent the
conversation could not follow, answered with the fallback's "je n'ai pas compris", unless Rasa misbehaved on
it), or that came last before the artisan asked for an adviser. Admins label a group's messages with an intent (an existing one, or one they
create with its French answer) or ignore them; the label keeps the message's text with personal data masked
(bot/retrain/masking.py), and one in five labelled examples is kept aside to evaluate models.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.desk.handoff_queue import artisan_names
from bot.errors import RetrainRefused
from bot.retrain.export import nlu_examples
from bot.retrain.grouping import Background, group
from bot.retrain.intents import FALLBACK_INTENT, AdminIntents
from bot.retrain.masking import mask
from bot.settings import Settings
from bot.storage.audit import Actor, record
from bot.storage.models import (
    Author,
    Direction,
    EngineIncident,
    HandoffEvent,
    InboxLabel,
    LabelKind,
    Message,
    StaffAccount,
)

logger = logging.getLogger(__name__)


LOW_CONFIDENCE = "confiance faible"
NOT_UNDERSTOOD = "non compris"
BEFORE_HANDOFF = "avant transfert"
REASONS = (NOT_UNDERSTOOD, LOW_CONFIDENCE, BEFORE_HANDOFF)

# What the assistant answers when it did not understand (actions/fallback.py): after nlu_fallback, and when
# Rasa's dialogue policies could not choose what to do although the intent was confident (core fallback).
FALLBACK_RESPONSES = ("utter_fallback", "utter_fallback_repeated", "utter_fallback_handoff")
# The messages that ask for an adviser: the candidate is the message before them.
HANDOFF_INTENTS = ("human_handoff", "distress")
# One labelled example in this many is kept aside for evaluation.
HELDOUT_EVERY = 5

UNKNOWN_INTENT = "L’intention « {} » n’existe pas : choisissez-en une dans la liste."
NO_MESSAGE = "Cochez au moins un message."
NO_INTENT = "Choisissez une intention."
UNKNOWN_LABEL = "Cette étiquette n’existe plus."


@dataclass(frozen=True)
class InboxMessage:
    """One candidate, as admins see it: its text with personal data masked, never the original."""

    id: int
    conversation_id: str
    text: str
    intent: str | None
    confidence: float | None
    reasons: tuple[str, ...]
    channel: str
    created_at: datetime


@dataclass(frozen=True)
class InboxGroup:
    """Similar candidates, shown as one question."""

    members: list[InboxMessage]
    text: str  # the representative text
    intent: str | None  # the most common predicted intent
    confidence: float | None  # the mean confidence
    reasons: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.members)

    @property
    def ids(self) -> list[int]:
        return [m.id for m in self.members]


@dataclass(frozen=True)
class LabelView:
    """A label as the "recently labelled" page lists it."""

    id: int
    message_id: int
    kind: str
    intent: str | None
    text: str
    heldout: bool
    who: str
    at: datetime


@dataclass
class _Candidate:
    message: Message
    reasons: set[str] = field(default_factory=set)


def _background(project_dir: Path) -> Background:
    """How common each word is in what the bot is trained on (nlu/train), for grouping: read once per version."""
    files = sorted((project_dir / "nlu" / "train").rglob("*.yml"))
    return _parsed_background(tuple((f, f.stat().st_mtime_ns) for f in files))


@functools.lru_cache(maxsize=2)
def _parsed_background(files: tuple[tuple[Path, int], ...]) -> Background:
    return Background([text for text, _ in nlu_examples(path for path, _ in files)])


def _is_text(message: Message) -> bool:
    payload = message.payload or {}
    text = (message.text or "").strip()
    # A photo or voice note has a kind; a shared contact is a number; "/intent" is a button's payload.
    return bool(text) and not payload.get("kind") and not payload.get("contact") and not text.startswith("/")


def _messages_count(n: int) -> str:
    return f"{n} message" if n == 1 else f"{n} messages"


class Inbox:
    """The misunderstood messages and the admins' labels, on the gateway's database."""

    def __init__(self, sessionmaker: async_sessionmaker, settings: Settings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._intents = AdminIntents(sessionmaker, settings)

    # --- The inbox ---------------------------------------------------------------------------------------------

    async def groups(self, limit_messages: int = 2000) -> list[InboxGroup]:
        """The newest candidates (at most `limit_messages`), grouped, largest groups first."""
        messages = await self.candidates(limit_messages)
        groups = group(messages, lambda m: m.text, background=_background(self._settings.project_dir))
        return [_summary(members) for members in groups]

    async def candidates(self, limit: int = 2000) -> list[InboxMessage]:
        """The messages waiting for a label, newest first, their text masked."""
        async with self._sessionmaker() as session:
            found: dict[int, _Candidate] = {}
            for message in await self._misunderstood(session, limit):
                candidate = found.setdefault(message.id, _Candidate(message))
                if message.intent == FALLBACK_INTENT:
                    candidate.reasons.add(NOT_UNDERSTOOD)
                if message.confidence is not None and message.confidence < self._settings.inbox_confidence_threshold:
                    candidate.reasons.add(LOW_CONFIDENCE)
            for message in await self._answered_by_fallback(session, limit):
                found.setdefault(message.id, _Candidate(message)).reasons.add(NOT_UNDERSTOOD)
            for message in await self._before_handoff(session, limit):
                found.setdefault(message.id, _Candidate(message)).reasons.add(BEFORE_HANDOFF)
            chosen = sorted(
                (c for c in found.values() if _is_text(c.message)), key=lambda c: c.message.id, reverse=True
            )[:limit]
            names = await artisan_names(session, sorted({c.message.conversation_id for c in chosen}))
        return [
            InboxMessage(
                id=c.message.id,
                conversation_id=c.message.conversation_id,
                text=mask(c.message.text or "", _names(names.get(c.message.conversation_id))),
                intent=c.message.intent,
                confidence=c.message.confidence,
                reasons=tuple(r for r in REASONS if r in c.reasons),
                channel=c.message.channel,
                created_at=c.message.created_at,
            )
            for c in chosen
        ]

    def _unlabelled_inbound(self) -> Any:
        labelled = select(InboxLabel.id).where(InboxLabel.message_id == Message.id).exists()
        return select(Message).where(
            Message.direction == Direction.IN,
            Message.author == Author.ARTISAN,
            Message.text.is_not(None),
            ~labelled,
        )

    async def _misunderstood(self, session: AsyncSession, limit: int) -> list[Message]:
        threshold = self._settings.inbox_confidence_threshold
        query = (
            self._unlabelled_inbound()
            .where(or_(Message.confidence < threshold, Message.intent == FALLBACK_INTENT))
            .order_by(Message.id.desc())
            .limit(limit)
        )
        return list(await session.scalars(query))

    async def _answered_by_fallback(self, session: AsyncSession, limit: int) -> list[Message]:
        """The messages the assistant answered with its fallback, whatever their intent's confidence.

        Not those Rasa misbehaved on (an EngineIncident): a fallback there says nothing of the message.
        """
        misbehaved = select(EngineIncident.message_id)
        answered = (
            select(Message.reply_to_id)
            .where(
                Message.direction == Direction.OUT,
                Message.author == Author.BOT,
                Message.reply_to_id.is_not(None),
                Message.payload["response"].as_string().in_(FALLBACK_RESPONSES),
                Message.reply_to_id.not_in(misbehaved),
            )
            .order_by(Message.id.desc())
            .limit(limit)
        )
        return await self._unlabelled_among(session, set(await session.scalars(answered)))

    async def _before_handoff(self, session: AsyncSession, limit: int) -> list[Message]:
        """For each request for an adviser, the artisan's last message the assistant read before it.

        The message that asked (human_handoff, distress) is not the one misunderstood: the one before it is.
        A message with an intent went through Rasa, so it was text (a photo or an edit never does).
        """
        before = (
            select(func.max(Message.id))
            .where(
                Message.conversation_id == HandoffEvent.conversation_id,
                Message.direction == Direction.IN,
                Message.author == Author.ARTISAN,
                Message.created_at <= HandoffEvent.at,
                Message.intent.is_not(None),
                Message.intent.not_in(HANDOFF_INTENTS),
            )
            .correlate(HandoffEvent)
            .scalar_subquery()
        )
        requested = select(before).where(HandoffEvent.action == "requested").order_by(HandoffEvent.id.desc()).limit(limit)
        return await self._unlabelled_among(session, set(await session.scalars(requested)) - {None})

    async def _unlabelled_among(self, session: AsyncSession, ids: set[int]) -> list[Message]:
        """The messages of `ids` still waiting for a label."""
        if not ids:
            return []
        return list(await session.scalars(self._unlabelled_inbound().where(Message.id.in_(ids))))

    # --- Labels ------------------------------------------------------------------------------------------------

    async def label(self, message_ids: list[int], *, intent: str | None, ignore: bool = False, actor: Actor) -> int:
        """Label these messages with `intent` (or ignore them); how many were labelled (labelled ones are skipped)."""
        if not message_ids:
            raise RetrainRefused(400, NO_MESSAGE)
        if ignore:
            intent = None
        else:
            intent = (intent or "").strip()
            if not intent:
                raise RetrainRefused(400, NO_INTENT)
            if intent not in await self._intents.names():
                raise RetrainRefused(400, UNKNOWN_INTENT.format(intent))
        for attempt in range(2):
            try:
                return await self._label(sorted(set(message_ids)), intent, actor)
            except IntegrityError:
                # Another admin labelled some of them meanwhile: the second pass skips those.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    async def _label(self, message_ids: list[int], intent: str | None, actor: Actor) -> int:
        async with self._sessionmaker() as session:
            labelled = select(InboxLabel.message_id).where(InboxLabel.message_id.in_(message_ids))
            messages = list(
                await session.scalars(
                    select(Message)
                    .where(
                        Message.id.in_(message_ids),
                        Message.direction == Direction.IN,
                        Message.author == Author.ARTISAN,
                        Message.id.not_in(labelled),
                    )
                    .order_by(Message.id)
                )
            )
            if not messages:
                return 0
            names = await artisan_names(session, sorted({m.conversation_id for m in messages}))
            kind = LabelKind.IGNORE if intent is None else LabelKind.INTENT
            keep_aside = kind == LabelKind.INTENT and len(messages) >= HELDOUT_EVERY
            for position, message in enumerate(messages, start=1):
                session.add(
                    InboxLabel(
                        message_id=message.id,
                        kind=kind,
                        intent=intent,
                        text=mask(message.text or "", _names(names.get(message.conversation_id))),
                        heldout=keep_aside and position % HELDOUT_EVERY == 0,
                        account_id=actor.account_id,
                        labelled_at=self._settings.clock(),
                    )
                )
            action = "ignore" if intent is None else "label"
            record(session, actor, action, intent, _messages_count(len(messages)))
            await session.commit()
        logger.info("%s labelled %d inbox messages (%s)", actor.name, len(messages), intent or "ignored")
        return len(messages)

    async def unlabel(self, label_id: int, actor: Actor) -> InboxLabel:
        """Undo a label: its message goes back to the inbox. Returns the label removed."""
        async with self._sessionmaker() as session:
            label = await session.get(InboxLabel, label_id)
            if label is None:
                raise RetrainRefused(404, UNKNOWN_LABEL)
            await session.delete(label)
            record(session, actor, "unlabel", label.intent or "ignoré", f"message {label.message_id}")
            await session.commit()
        return label

    async def labelled(self, limit: int = 200) -> list[LabelView]:
        """The most recent labels, newest first, with who labelled them and when."""
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(InboxLabel, StaffAccount.email)
                .outerjoin(StaffAccount, StaffAccount.id == InboxLabel.account_id)
                .order_by(InboxLabel.id.desc())
                .limit(limit)
            )
            return [
                LabelView(
                    id=label.id,
                    message_id=label.message_id,
                    kind=label.kind,
                    intent=label.intent,
                    text=label.text,
                    heldout=label.heldout,
                    who=email or "ligne de commande",
                    at=label.labelled_at,
                )
                for label, email in rows
            ]

    async def training_examples(self) -> list[tuple[str, str]]:
        """(text, intent) of the labels to train on: labelled with an intent, not kept aside."""
        return await self._examples(heldout=False)

    async def heldout_examples(self) -> list[tuple[str, str]]:
        """(text, intent) of the labels kept aside to evaluate models."""
        return await self._examples(heldout=True)

    async def _examples(self, *, heldout: bool) -> list[tuple[str, str]]:
        async with self._sessionmaker() as session:
            rows = await session.execute(
                select(InboxLabel.text, InboxLabel.intent)
                .where(InboxLabel.kind == LabelKind.INTENT, InboxLabel.heldout.is_(heldout))
                .order_by(InboxLabel.id)
            )
            return [(text, intent) for text, intent in rows if intent]


def _names(name: str | None) -> list[str]:
    return [name] if name else []


def _summary(members: list[InboxMessage]) -> InboxGroup:
    texts = Counter(m.text for m in members)
    # The text written most often; on a tie, the shortest (a question without the greetings around it).
    representative = min(texts, key=lambda text: (-texts[text], len(text)))
    # What the assistant thought they were, when it thought anything: a real intent before nlu_fallback.
    intents = Counter(m.intent for m in members if m.intent and m.intent != FALLBACK_INTENT)
    if not intents:
        intents = Counter(m.intent for m in members if m.intent)
    confidences = [m.confidence for m in members if m.confidence is not None]
    reasons = {reason for m in members for reason in m.reasons}
    return InboxGroup(
        members=members,
        text=representative,
        intent=intents.most_common(1)[0][0] if intents else None,
        confidence=sum(confidences) / len(confidences) if confidences else None,
        reasons=tuple(r for r in REASONS if r in reasons),
    )
