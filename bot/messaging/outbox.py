"""This module contains Outbox, which delivers stored messages on the push channels (Telegram, WhatsApp), in two
lanes: each conversation's own messages, and the broadcasts' (bot/messaging/broadcast_lane.py), which go only
when no conversation's message waits."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.channels.base import Delivery, DeliveryFailed, Held, Outgoing, PushChannel, RetryLater, Template
from bot.messaging.broadcast_lane import BroadcastLane
from bot.messaging.rates import RateLimits
from bot.messaging.workers import ConversationWorkers
from bot.storage import Message, MessageStatus
from bot.storage.deliveries import WINDOW_CLOSED, DeliveryLog

logger = logging.getLogger(__name__)

# Waits between attempts, in seconds; the last one repeats until MAX_ATTEMPTS.
BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0)
# About two and a half hours of trying (a platform outage) before a message is recorded as failed.
MAX_ATTEMPTS = 25
# Sends in flight at once, all channels together: enough to keep the platforms' rates, few enough that a wave
# of replies never holds the event loop long (webhooks must be answered within milliseconds meanwhile).
MAX_IN_FLIGHT = 8

# Told of a platform refusing for good because the artisan is gone (blocked the bot, number unreachable):
# (conversation id, the platform's reason).
RecipientGone = Callable[[str, str], None]


@dataclass(frozen=True)
class Retry:
    """Try the message again after `delay` seconds."""

    delay: float


class Outbox:
    """Sends the stored messages of push channels, each conversation's in order, within the platforms' limits.

    Messages are stored (PENDING) before they reach the outbox, so nothing it holds in memory is the only copy:
    at start, `recover()` queues every PENDING message of the conversations' lane again (the broadcasts resume
    theirs, bot.news.broadcast). Each conversation's messages go out one at a time, in order; different
    conversations proceed in parallel. Sending waits for the platform's rate limits (a small burst then a
    steady rate per chat, a rate for the whole bot) and, when the platform refuses for now (`RetryLater`),
    retries with exponential backoff, or after the wait the platform asked for. A message the platform refuses
    for good (`DeliveryFailed`) is recorded as failed, with the reason; one that may not be sent now (`Held`:
    WhatsApp's 24-hour window) is held, and goes first when the artisan writes again.

    `broadcasts` is the low-priority lane: its messages go only when no conversation's message waits for the
    same platform, and never take capacity a conversation's message reserved.
    """

    def __init__(
        self,
        log: DeliveryLog,
        channels: list[PushChannel],
        *,
        backoff: tuple[float, ...] = BACKOFF,
        max_attempts: int = MAX_ATTEMPTS,
        max_in_flight: int = MAX_IN_FLIGHT,
        clock: Callable[[], float] = time.monotonic,
        on_delivery: Callable[[Message], None] | None = None,
        on_recipient_gone: RecipientGone | None = None,
    ) -> None:
        self._log = log
        self._channels = {channel.name: channel for channel in channels}
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._in_flight = asyncio.Semaphore(max_in_flight)
        self.rates = RateLimits(channels, clock)
        # Told of each message's outcome (sent, failed, held): the advisers' consoles show it.
        self._on_delivery = on_delivery or (lambda message: None)
        self._on_recipient_gone = on_recipient_gone or (lambda conversation_id, reason: None)
        self._queues: dict[str, collections.deque[Message]] = {}
        self._workers = ConversationWorkers(self._drain, "outbox")
        self._idle = asyncio.Event()
        self._idle.set()
        self._recording: set[asyncio.Task[None]] = set()
        self.broadcasts = BroadcastLane(self)

    @property
    def channels(self) -> list[str]:
        return list(self._channels)

    def channel(self, name: str) -> PushChannel | None:
        return self._channels.get(name)

    def enqueue(self, messages: list[Message]) -> None:
        """Queue stored outbound messages; those of channels without an outbox (the web chat) are left alone."""
        for message in messages:
            if message.channel not in self._channels or self._workers.closing:
                continue
            queue = self._queues.setdefault(message.conversation_id, collections.deque())
            if any(queued.id == message.id for queued in queue):
                continue
            queue.append(message)
            self._idle.clear()
            self._workers.start(message.conversation_id)

    def waiting_on(self, channel: str) -> bool:
        """True while a conversation's message waits for (or is on its way to) this platform."""
        return any(queue and queue[0].channel == channel for queue in self._queues.values())

    async def recover(self) -> int:
        """Queue every conversation's message left unsent by a stop or a crash, oldest first."""
        if not self._channels:
            return 0
        messages = await self._log.pending_outbound(self.channels)
        self.enqueue(messages)
        if messages:
            logger.info("Outbox: resuming %d unsent message(s)", len(messages))
        return len(messages)

    async def drained(self) -> None:
        """Wait until nothing is left to send (tests and the benchmark)."""
        await self._idle.wait()
        await self.broadcasts.drained()

    async def close(self) -> None:
        """Stop sending; what is unsent stays PENDING in the database for recover()."""
        await self._workers.close()
        await self.broadcasts.close()
        await asyncio.gather(*self._recording, return_exceptions=True)

    async def _drain(self, conversation_id: str) -> None:
        queue = self._queues[conversation_id]
        external_id: str | None = None
        try:
            while queue:
                message = queue[0]
                try:
                    if external_id is None:
                        external_id = await self._log.external_id(conversation_id)
                        if self._channels[message.channel].has_reply_window:
                            # The artisan wrote again: messages held while the window was closed go first.
                            for held in reversed(await self._log.release_held(conversation_id)):
                                queue.appendleft(held)
                            message = queue[0]
                    await self.rates.wait_turn(message.channel, conversation_id)
                    outcome = await self.send(message, external_id)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The database or our own code failed: the message stays PENDING and is tried again.
                    logger.exception("Outbox: message %s could not be handled", message.id)
                    await asyncio.sleep(self._backoff[0])
                    continue
                if isinstance(outcome, Retry):
                    await asyncio.sleep(outcome.delay)
                else:
                    queue.popleft()
        finally:
            if not queue:
                self._queues.pop(conversation_id, None)
            self.rates.forget_idle(conversation_id)
            if len(self._workers) <= 1:  # this conversation's task is the last one running
                self._idle.set()

    @property
    def log(self) -> DeliveryLog:
        return self._log

    async def send(self, message: Message, external_id: str, *, lane: bool = False) -> Retry | None:
        """One try at sending `message`, its outcome recorded; a Retry when it must be tried again.

        A conversation's message takes one of the sends in flight; the broadcast lane (`lane`) bounds its own.
        A broadcast message that may not go now (`Held`) is not kept for later, as a reply is: it failed.
        """
        channel = self._channels[message.channel]
        last_inbound_at = (
            await self._log.last_inbound_at(message.conversation_id) if channel.has_reply_window else None
        )
        try:
            async with contextlib.nullcontext() if lane else self._in_flight:
                delivery: Delivery = await channel.send(outgoing_of(message, external_id, last_inbound_at))
        except RetryLater as exc:
            message.attempts = (message.attempts or 0) + 1
            if message.attempts >= self._max_attempts:
                logger.error("Outbox: message %s failed after %d attempts: %s", message.id, message.attempts, exc.reason)
                await self._log.record_delivery(message, MessageStatus.FAILED, error=f"Abandonné : {exc.reason}")
                self._on_delivery(message)
                return None
            delay = exc.delay if exc.delay is not None else self._backoff[min(message.attempts - 1, len(self._backoff) - 1)]
            if exc.whole_channel:
                self.rates.pause(channel.name, delay)
            logger.warning("Outbox: %s message %s retried in %.1fs (%s)", channel.name, message.id, delay, exc.reason)
            await self._log.record_delivery(
                message,
                MessageStatus.PENDING,
                error=exc.reason,
                next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
            )
            return Retry(delay)
        except DeliveryFailed as exc:
            logger.warning("Outbox: %s refused message %s: %s", channel.name, message.id, exc.reason)
            await self._log.record_delivery(message, MessageStatus.FAILED, error=exc.reason)
            self._on_delivery(message)
            if exc.recipient_gone:
                self._on_recipient_gone(message.conversation_id, exc.reason)
            return None
        except Held as exc:
            logger.info("Outbox: %s message %s held: %s", channel.name, message.id, exc.reason)
            status = MessageStatus.FAILED if lane else MessageStatus.HELD
            await self._log.record_delivery(message, status, error=exc.reason)
            self._on_delivery(message)
            return None
        # The platform has it: a stop now must not leave it PENDING, or recover() would send it twice.
        await self._finish(
            self._log.record_delivery(
                message,
                MessageStatus.SENT,
                platform_message_id=delivery.platform_message_ids[0] if delivery.platform_message_ids else None,
                error=delivery.note,
            )
        )
        self._on_delivery(message)
        return None

    async def _finish(self, recording: Coroutine[Any, Any, None]) -> None:
        """Record a send's outcome even if the send is cancelled meanwhile; close() waits for it."""
        task = asyncio.ensure_future(recording)
        self._recording.add(task)
        task.add_done_callback(self._recording.discard)
        await asyncio.shield(task)


def outgoing_of(message: Message, external_id: str, last_inbound_at: datetime | None) -> Outgoing:
    """A stored message as a channel sends it."""
    payload = message.payload or {}
    custom = payload.get("custom")
    template = payload.get("template")
    return Outgoing(
        message_id=message.id,
        conversation_id=message.conversation_id,
        external_id=external_id,
        text=message.text or "",
        buttons=list(payload.get("buttons") or []),
        awaiting=custom.get("awaiting") if isinstance(custom, dict) else None,
        last_inbound_at=last_inbound_at,
        window_closed=bool(payload.get(WINDOW_CLOSED)),
        template=Template.from_json(template) if isinstance(template, dict) else None,
    )
