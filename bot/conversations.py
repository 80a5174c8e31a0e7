"""This module contains ConversationRouter, which answers stored messages one conversation at a time.

Each conversation with unanswered messages gets one asyncio task that takes its messages in arrival order;
different conversations proceed in parallel, at most `engine_concurrency` of them inside Rasa at once.
Everything it needs is in the database, so after a crash `recover()` picks up where it stopped.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable

from bot import replies
from bot.engine import EngineClient
from bot.errors import EngineError, EngineUnavailable
from bot.storage import ConversationState, Message, MessageStatus
from bot.storage.message_log import MessageLog

logger = logging.getLogger(__name__)

READABLE = re.compile(r"\w")
# A message Rasa keeps failing on (not merely unreachable) is answered with an apology after this many tries.
MAX_ATTEMPTS = 3

Deliver = Callable[[str, list[Message]], Awaitable[None]]


class ConversationRouter:
    def __init__(
        self,
        log: MessageLog,
        engine: EngineClient,
        *,
        max_message_chars: int,
        concurrency: int,
        deliver: Deliver | None = None,
        retry_delays: tuple[float, ...] = (0.5, 1, 2, 5, 10, 30),
    ) -> None:
        self._log = log
        self._engine = engine
        self._max_chars = max_message_chars
        self._slots = asyncio.Semaphore(concurrency)
        # Push channels (Telegram, WhatsApp) deliver here; the web chat collects its replies itself.
        self._deliver = deliver
        self._retry_delays = retry_delays
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._dirty: set[str] = set()
        self._answered: dict[int, asyncio.Event] = {}
        self._closing = False

    def wake(self, conversation_id: str) -> None:
        """Tell the router a conversation has a new stored message."""
        if self._closing:
            return
        self._dirty.add(conversation_id)
        if conversation_id not in self._tasks:
            self._tasks[conversation_id] = asyncio.create_task(
                self._drain(conversation_id), name=f"conversation-{conversation_id}"
            )

    async def recover(self) -> int:
        """Wake every conversation left with unanswered messages (after a stop or a crash)."""
        conversation_ids = await self._log.conversations_with_unanswered()
        for conversation_id in conversation_ids:
            self.wake(conversation_id)
        if conversation_ids:
            logger.info("Resuming %d conversation(s) with unanswered messages", len(conversation_ids))
        return len(conversation_ids)

    async def wait_answered(self, message_id: int, timeout: float) -> bool:
        """Wait until the inbound message has its answer stored; False on timeout."""
        message = await self._log.get(message_id)
        if message is None:
            return False
        if message.status in (MessageStatus.DONE, MessageStatus.FAILED):
            return True
        event = self._answered.setdefault(message_id, asyncio.Event())
        # The answer may have been stored between the read above and the registration.
        message = await self._log.get(message_id)
        if message.status in (MessageStatus.DONE, MessageStatus.FAILED):
            self._answered.pop(message_id, None)
            return True
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except asyncio.TimeoutError:
            return False
        finally:
            if not event.is_set():
                self._answered.pop(message_id, None)

    async def close(self) -> None:
        """Stop taking new work; cancel the tasks (their messages stay stored, unanswered, for recover())."""
        self._closing = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def busy_conversations(self) -> int:
        return len(self._tasks)

    async def _drain(self, conversation_id: str) -> None:
        try:
            while conversation_id in self._dirty:
                self._dirty.discard(conversation_id)
                while (work := await self._log.next_unanswered(conversation_id)) is not None:
                    message, conversation = work
                    outbound = await self._answer(message, conversation.state)
                    event = self._answered.pop(message.id, None)
                    if event is not None:
                        event.set()
                    if outbound and self._deliver is not None:
                        await self._deliver(conversation.channel, outbound)
        except asyncio.CancelledError:
            raise
        except Exception:
            # The message stays unanswered in the database; the next wake or restart takes it again.
            logger.exception("Conversation %s stopped on an unexpected error", conversation_id)
        finally:
            self._tasks.pop(conversation_id, None)

    async def _answer(self, message: Message, state: str) -> list[Message]:
        text = message.text or ""
        if state != ConversationState.BOT:
            # An adviser has (or will have) the conversation: the bot stays silent.
            return await self._log.record_answer(message, [])
        if len(text) > self._max_chars:
            return await self._log.record_answer(message, [{"text": replies.TOO_LONG}])
        if not READABLE.search(text):
            return await self._log.record_answer(message, [{"text": replies.NOTHING_TO_READ}])
        return await self._ask_engine(message)

    async def _ask_engine(self, message: Message) -> list[Message]:
        attempt = 0
        retry = message.attempts > 1
        while True:
            try:
                async with self._slots:
                    reply = await self._engine.send(
                        message.conversation_id,
                        message.text or "",
                        message.platform_message_id or str(message.id),
                        retry=retry,
                        metadata={"channel": message.channel},
                    )
                return await self._log.record_answer(
                    message, reply.messages, intent=reply.intent, confidence=reply.confidence
                )
            except EngineUnavailable as exc:
                # Rasa is down or restarting: the message waits, in order, until it is back.
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                logger.warning("Rasa unavailable (%s); message %s retried in %.1fs", exc, message.id, delay)
            except EngineError as exc:
                if message.attempts + attempt >= MAX_ATTEMPTS:
                    logger.error("Rasa failed on message %s: %s", message.id, exc)
                    return await self._log.record_answer(
                        message,
                        [{"text": replies.ENGINE_FAILED}],
                        status=MessageStatus.FAILED,
                        error=str(exc)[:500],
                    )
                delay = self._retry_delays[min(attempt, len(self._retry_delays) - 1)]
                logger.warning("Rasa failed on message %s (%s); retried in %.1fs", message.id, exc, delay)
            attempt += 1
            retry = True
            await asyncio.sleep(delay)
