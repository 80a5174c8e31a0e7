"""This module contains Outbox, which delivers stored replies on the push channels (Telegram, WhatsApp), and
TokenBucket, the rate limit it keeps for each chat and each platform."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.channels.base import Delivery, DeliveryFailed, Held, Outgoing, PushChannel, RetryLater
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


class TokenBucket:
    """A rate limit: `burst` sends at once, then `rate` per second. Reservations queue up (tokens go negative)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._at = clock()

    def reserve(self) -> float:
        """Take one send; the seconds to wait before it may happen (0 when now)."""
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate) - 1
        self._at = now
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def idle(self) -> bool:
        """True when the bucket is full again: forgetting it changes nothing."""
        return self._tokens + (self._clock() - self._at) * self.rate >= self.burst


class Outbox:
    """Sends the stored replies of push channels, each conversation's in order, within the platforms' limits.

    Replies are stored (PENDING) before they reach the outbox, so nothing it holds in memory is the only copy:
    at start, `recover()` queues every PENDING message again. Each conversation's messages go out one at a
    time, in order; different conversations proceed in parallel. Sending waits for the platform's rate limits
    (a small burst then a steady rate per chat, a rate for the whole bot) and, when the platform refuses for
    now (`RetryLater`), retries with exponential backoff, or after the wait the platform asked for. A message
    the platform refuses for good (`DeliveryFailed`) is recorded as failed, with the reason; one that may not
    be sent now (`Held`: WhatsApp's 24-hour window) is held, and goes first when the artisan writes again.
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
    ) -> None:
        self._log = log
        self._channels = {channel.name: channel for channel in channels}
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._clock = clock
        self._in_flight = asyncio.Semaphore(max_in_flight)
        # Told of each message's outcome (sent, failed, held): the advisers' consoles show it.
        self._on_delivery = on_delivery or (lambda message: None)
        self._queues: dict[str, collections.deque[Message]] = {}
        self._workers = ConversationWorkers(self._drain, "outbox")
        self._chat_buckets: dict[str, TokenBucket] = {}
        self._channel_buckets = {
            channel.name: TokenBucket(channel.rate_limit.overall_per_second, channel.rate_limit.overall_per_second, clock)
            for channel in channels
        }
        # A channel the platform asked to slow down as a whole (Telegram's flood control) waits until then.
        self._paused_until: dict[str, float] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def channels(self) -> list[str]:
        return list(self._channels)

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

    async def recover(self) -> int:
        """Queue every message left unsent by a stop or a crash, oldest first."""
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

    async def close(self) -> None:
        """Stop sending; what is unsent stays PENDING in the database for recover()."""
        await self._workers.close()

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
                    done = await self._attempt(message, external_id)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The database or our own code failed: the message stays PENDING and is tried again.
                    logger.exception("Outbox: message %s could not be handled", message.id)
                    await asyncio.sleep(self._backoff[0])
                    continue
                if done:
                    queue.popleft()
        finally:
            if not queue:
                self._queues.pop(conversation_id, None)
            bucket = self._chat_buckets.get(conversation_id)
            if bucket is not None and bucket.idle():
                del self._chat_buckets[conversation_id]
            if len(self._workers) <= 1:  # this conversation's task is the last one running
                self._idle.set()

    async def _attempt(self, message: Message, external_id: str) -> bool:
        """One try at sending `message`; True once it needs no other (sent, failed for good, or held)."""
        channel = self._channels[message.channel]
        last_inbound_at = (
            await self._log.last_inbound_at(message.conversation_id) if channel.has_reply_window else None
        )
        await self._wait_turn(channel, message.conversation_id)
        payload = message.payload or {}
        outgoing = Outgoing(
            message_id=message.id,
            conversation_id=message.conversation_id,
            external_id=external_id,
            text=message.text or "",
            buttons=list(payload.get("buttons") or []),
            awaiting=(payload.get("custom") or {}).get("awaiting") if isinstance(payload.get("custom"), dict) else None,
            last_inbound_at=last_inbound_at,
            window_closed=bool(payload.get(WINDOW_CLOSED)),
        )
        try:
            async with self._in_flight:
                delivery: Delivery = await channel.send(outgoing)
        except RetryLater as exc:
            message.attempts = (message.attempts or 0) + 1
            if message.attempts >= self._max_attempts:
                logger.error("Outbox: message %s failed after %d attempts: %s", message.id, message.attempts, exc.reason)
                await self._log.record_delivery(message, MessageStatus.FAILED, error=f"Abandonné : {exc.reason}")
                self._on_delivery(message)
                return True
            delay = exc.delay if exc.delay is not None else self._backoff[min(message.attempts - 1, len(self._backoff) - 1)]
            if exc.whole_channel:
                self._paused_until[channel.name] = max(self._paused_until.get(channel.name, 0), self._clock() + delay)
            logger.warning("Outbox: %s message %s retried in %.1fs (%s)", channel.name, message.id, delay, exc.reason)
            await self._log.record_delivery(
                message,
                MessageStatus.PENDING,
                error=exc.reason,
                next_attempt_at=datetime.now(UTC) + timedelta(seconds=delay),
            )
            await asyncio.sleep(delay)
            return False
        except DeliveryFailed as exc:
            logger.warning("Outbox: %s refused message %s: %s", channel.name, message.id, exc.reason)
            await self._log.record_delivery(message, MessageStatus.FAILED, error=exc.reason)
            self._on_delivery(message)
            return True
        except Held as exc:
            logger.info("Outbox: %s message %s held: %s", channel.name, message.id, exc.reason)
            await self._log.record_delivery(message, MessageStatus.HELD, error=exc.reason)
            self._on_delivery(message)
            return True
        await self._log.record_delivery(
            message,
            MessageStatus.SENT,
            platform_message_id=delivery.platform_message_ids[0] if delivery.platform_message_ids else None,
            error=delivery.note,
        )
        self._on_delivery(message)
        return True

    async def _wait_turn(self, channel: PushChannel, conversation_id: str) -> None:
        """Wait for the platform's limits: the channel's pause, this chat's rate, then the whole bot's."""
        pause = self._paused_until.get(channel.name, 0) - self._clock()
        if pause > 0:
            await asyncio.sleep(pause)
        limit = channel.rate_limit
        bucket = self._chat_buckets.get(conversation_id)
        if bucket is None:
            bucket = self._chat_buckets[conversation_id] = TokenBucket(
                limit.per_chat_per_second, limit.per_chat_burst, self._clock
            )
        wait = bucket.reserve()
        if wait > 0:
            await asyncio.sleep(wait)
        wait = self._channel_buckets[channel.name].reserve()
        if wait > 0:
            await asyncio.sleep(wait)
