"""This module contains ConversationRouter, which answers stored messages one conversation at a time, and
`screened`, the safety net under Rasa's answers."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import heapq
import logging
import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from bot.errors import EngineError, EngineUnavailable
from bot.messaging import replies
from bot.messaging.rasa_client import RasaClient, RasaReply
from bot.messaging.workers import ConversationWorkers
from bot.storage import ConversationState, Message, MessageStatus
from bot.storage.message_log import MessageLog
from bot.storage.models import IncidentKind

if TYPE_CHECKING:
    from bot.desk.handoff import Handoff

logger = logging.getLogger(__name__)

READABLE = re.compile(r"\w")
# A message Rasa keeps failing on (not merely unreachable) is answered with an apology after this many tries.
MAX_ATTEMPTS = 3

# Hands stored replies to the outbox (push channels); must not block.
Deliver = Callable[[list[Message]], None]


class AnswerEditor(Protocol):
    """Changes Rasa's answer before it is stored: the admins' live text of an answer (bot.retrain.answers), the
    news an FAQ answer mentions (bot.news.mentions). Must answer fast, and never fail the answer."""

    async def edit(self, message: Message, replies: list[dict[str, Any]]) -> list[dict[str, Any]]: ...


@dataclass(order=True)
class _Queued:
    message_id: int
    message: Message = field(compare=False)
    # Who answers the conversation, as read when the message was stored.
    state: str = field(compare=False)
    # True when the message may already have reached Rasa before a stop.
    retry: bool = field(compare=False)


class ConversationRouter:
    """Answers each stored artisan message: by Rasa, by the gateway itself, or not at all (an adviser has it).

    A channel stores each artisan message, then hands it to `submit()`. Each conversation with messages to
    answer gets one task that takes them in arrival order (message id); different conversations proceed in
    parallel, at most `concurrency` of them inside Rasa at once. Who answers is the conversation's state when
    the message was stored: the bot (Rasa, with the admins' live text of its answers), or an adviser (the
    message goes to the consoles; the bot says once that it was passed on). The answer is stored with the
    message's intent and confidence, then handed to the outbox (push channels) or to the waiting request
    (the web chat). The database stays the truth: at start, `recover()` queues every message stored but never
    answered, and Rasa recognises any it already saw.
    """

    def __init__(
        self,
        log: MessageLog,
        rasa: RasaClient,
        *,
        max_message_chars: int,
        concurrency: int,
        deliver: Deliver | None = None,
        handoff: Handoff | None = None,
        editors: tuple[AnswerEditor, ...] = (),
        retry_delays: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30),
    ) -> None:
        self._log = log
        self._rasa = rasa
        self._max_chars = max_message_chars
        self._slots = asyncio.Semaphore(concurrency)
        # Push channels' replies go to the outbox here; the web chat collects its replies itself.
        self._deliver = deliver
        self._handoff = handoff
        # What changes Rasa's answers before they are stored, in order.
        self._editors = editors
        self._retry_delays = retry_delays
        self._queues: dict[str, list[_Queued]] = {}
        self._workers = ConversationWorkers(self._drain, "conversation")
        self._answers: dict[int, asyncio.Future[list[Message]]] = {}
        self._arrival_locks: weakref.WeakValueDictionary[tuple[str, str], asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )
        self._waiting: collections.Counter[int] = collections.Counter()

    def submit(self, message: Message, state: str, *, retry: bool = False) -> asyncio.Future[list[Message]]:
        """Queue a stored artisan message; the future gives its stored replies once answered.

        `state` is the conversation's state read in the transaction that stored the message.

        Call it in storage order for a conversation (the channel holds the conversation's lock across
        storing and submitting), so the queue's order is the arrival order.
        """
        future = self._answers.get(message.id)
        if future is not None:
            return future
        future = asyncio.get_running_loop().create_future()
        if self._workers.closing:
            return future
        self._answers[message.id] = future
        heapq.heappush(self._queues.setdefault(message.conversation_id, []), _Queued(message.id, message, state, retry))
        self._workers.start(message.conversation_id)
        return future

    def arrival(self, channel: str, external_id: str) -> asyncio.Lock:
        """The lock a channel holds while it stores and submits a conversation's message.

        Storing assigns the message id; holding the lock until `submit()` makes the queue's order that id's.
        """
        key = (channel, external_id)
        lock = self._arrival_locks.get(key)
        if lock is None:
            lock = self._arrival_locks[key] = asyncio.Lock()
        return lock

    def answer_of(self, message_id: int) -> asyncio.Future[list[Message]] | None:
        """The pending answer of a message this router is working on, if it is."""
        return self._answers.get(message_id)

    async def recover(self) -> int:
        """Queue every message left unanswered by a stop or a crash, oldest first."""
        messages = await self._log.unanswered()
        for message, state in messages:
            self.submit(message, state, retry=True)
        if messages:
            logger.info("Resuming %d unanswered message(s)", len(messages))
        return len(messages)

    async def close(self) -> None:
        """Stop taking work; cancel the tasks (their messages stay stored, unanswered, for recover())."""
        await self._workers.close()
        for future in self._answers.values():
            if not future.done():
                future.set_result([])  # whoever waits answers "later"; the message stays stored

    @contextlib.contextmanager
    def waiting(self, message_id: int) -> Iterator[None]:
        """Mark a request as waiting for a message's answer, which then goes out with the answer (pull channels).

        Replies stored while nobody waits stay PENDING, for the artisan's next request to collect.
        """
        self._waiting[message_id] += 1
        try:
            yield
        finally:
            self._waiting[message_id] -= 1
            if not self._waiting[message_id]:
                del self._waiting[message_id]

    async def _record(self, message: Message, replies_: list[dict[str, Any]], **kwargs: Any) -> list[Message]:
        status = MessageStatus.SENT if self._waiting.get(message.id) else MessageStatus.PENDING
        return await self._log.record_answer(message, replies_, reply_status=status, **kwargs)

    @property
    def busy_conversations(self) -> int:
        return len(self._workers)

    async def _drain(self, conversation_id: str) -> None:
        queue = self._queues[conversation_id]
        try:
            while queue:
                queued = heapq.heappop(queue)
                try:
                    outbound = await self._answer(queued)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Stays unanswered in the database: the next start answers it.
                    logger.exception("Message %s could not be answered", queued.message_id)
                    outbound = None
                future = self._answers.pop(queued.message_id, None)
                if future is not None and not future.done():
                    future.set_result(outbound or [])
                if outbound and self._deliver is not None:
                    self._deliver(outbound)
        finally:
            if not queue:
                self._queues.pop(conversation_id, None)

    async def _answer(self, queued: _Queued) -> list[Message]:
        message = queued.message
        text = message.text or ""
        if queued.state in (ConversationState.WAITING, ConversationState.AGENT):
            # An adviser has (or will have) the conversation: it goes to their consoles, and the bot stays
            # silent, but for once saying, to the first message while waiting, that it was passed on.
            if self._handoff is None:
                return await self._record(message, [])
            self._handoff.message_arrived(message)
            told = queued.state == ConversationState.WAITING and await self._handoff.acknowledge_once(
                message.conversation_id
            )
            return await self._record(message, [{"text": replies.HELD_FOR_ADVISER}] if told else [])
        if queued.state == ConversationState.CLOSED and self._handoff is not None:
            await self._handoff.reopen(message.conversation_id)  # the artisan writes again: the bot answers
        kind = (message.payload or {}).get("kind")
        if kind:
            # Not text (a photo, a voice note, an edit...): the channel said what it is; Rasa never sees it.
            cannot_read = replies.CANNOT_READ.get(kind)
            return await self._record(message, [{"text": cannot_read}] if cannot_read else [])
        if len(text) > self._max_chars:
            return await self._record(message, [{"text": replies.TOO_LONG}])
        if not READABLE.search(text):
            return await self._record(message, [{"text": replies.NOTHING_TO_READ}])
        return await self._ask_engine(message, queued.retry)

    async def _ask_engine(self, message: Message, retry: bool) -> list[Message]:
        attempt = 0
        failures = 0
        while True:
            try:
                async with self._slots:
                    reply = await self._rasa.send(
                        message.conversation_id,
                        message.text or "",
                        message.platform_message_id or str(message.id),
                        retry=retry,
                        metadata={"channel": message.channel},
                    )
                messages, incident = screened(reply)
                if incident is not None:
                    logger.error(
                        "Rasa misbehaved on message %s of conversation %s (%s): the artisan gets one answer",
                        message.id, message.conversation_id, incident,
                    )
                for editor in self._editors:
                    messages = await editor.edit(message, messages)
                return await self._record(
                    message, messages, intent=reply.intent, confidence=reply.confidence, incident=incident
                )
            except EngineUnavailable as exc:
                # Rasa is down or restarting: the message waits, in order, until it is back.
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                logger.warning("Rasa unavailable (%s); message %s retried in %.1fs", exc, message.id, delay)
            except EngineError as exc:
                failures += 1
                if failures >= MAX_ATTEMPTS:
                    logger.error("Rasa failed on message %s: %s", message.id, exc)
                    return await self._record(
                        message,
                        [{"text": replies.ENGINE_FAILED}],
                        status=MessageStatus.FAILED,
                        error=str(exc)[:500],
                    )
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                logger.warning("Rasa failed on message %s (%s); retried in %.1fs", message.id, exc, delay)
            attempt += 1
            retry = True  # the failed call may have reached Rasa
            await asyncio.sleep(delay)


def screened(reply: RasaReply) -> tuple[list[dict[str, Any]], IncidentKind | None]:
    """Rasa's answer as the artisan may get it, and the incident it shows, if any.

    The safety net under the dialogue: Rasa should never say the same thing twice to one message, nor stop a
    turn with its circuit breaker (engine/gateway_channel.py ends such a turn). The artisan then gets each
    bubble once, or an apology when Rasa said nothing.
    """
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    for bubble in reply.messages:
        said = bubble.get("text") or repr(sorted((k, repr(v)) for k, v in bubble.items() if k != "recipient_id"))
        if said not in seen:
            seen.add(said)
            kept.append(bubble)
    incident: IncidentKind | None = None
    if reply.incident is not None:  # the one incident Rasa's channel reports
        incident = IncidentKind.CIRCUIT_BREAKER
    elif len(kept) < len(reply.messages):
        incident = IncidentKind.REPEATED
    if incident is not None and not kept:
        kept = [{"text": replies.LOST_TRACK}]
    return kept, incident
