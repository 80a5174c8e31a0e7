"""This module contains the platforms' sending limits as the outbox keeps them: a token bucket per chat and per
platform, and the wait a platform asked for (Telegram's flood control)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.channels.base import PushChannel


class TokenBucket:
    """A rate limit: `burst` sends at once, then `rate` per second. Reservations queue up (tokens go negative)."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._tokens = burst
        self._at = clock()

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        return self._tokens

    def reserve(self) -> float:
        """Take one send; the seconds to wait before it may happen (0 when now)."""
        self._tokens = self._refill() - 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def try_take(self) -> float:
        """Take one send if one is free now (0.0); otherwise take nothing and say how long until one is.

        Never goes into debt, so it never delays a `reserve()` made after it.
        """
        tokens = self._refill()
        if tokens >= 1:
            self._tokens = tokens - 1
            return 0.0
        return (1 - tokens) / self.rate

    def give_back(self) -> None:
        self._tokens = min(self.burst, self._tokens + 1)

    def idle(self) -> bool:
        """True when the bucket is full again: forgetting it changes nothing."""
        return self._tokens + (self._clock() - self._at) * self.rate >= self.burst


@dataclass(frozen=True)
class Turn:
    """A broadcast message's turn: `wait` seconds before it may go (0: now, taken); `chat_only` when only its
    chat is busy (other chats' messages may go meanwhile)."""

    wait: float
    chat_only: bool = False


class RateLimits:
    """Every limit the outbox keeps: per chat, per platform, and a platform's pause."""

    def __init__(self, channels: list[PushChannel], clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._limits = {channel.name: channel.rate_limit for channel in channels}
        self._channel_buckets = {
            name: TokenBucket(limit.overall_per_second, limit.overall_per_second, clock)
            for name, limit in self._limits.items()
        }
        self._chat_buckets: dict[str, TokenBucket] = {}
        self._paused_until: dict[str, float] = {}

    def pause(self, channel: str, delay: float) -> None:
        """The platform asked the whole channel to wait `delay` seconds."""
        self._paused_until[channel] = max(self._paused_until.get(channel, 0), self._clock() + delay)

    def _paused_for(self, channel: str) -> float:
        return max(0.0, self._paused_until.get(channel, 0) - self._clock())

    def _chat(self, channel: str, conversation_id: str) -> TokenBucket:
        bucket = self._chat_buckets.get(conversation_id)
        if bucket is None:
            limit = self._limits[channel]
            bucket = self._chat_buckets[conversation_id] = TokenBucket(
                limit.per_chat_per_second, limit.per_chat_burst, self._clock
            )
        return bucket

    async def wait_turn(self, channel: str, conversation_id: str) -> None:
        """A conversation's message: wait for the channel's pause, this chat's rate, then the whole bot's."""
        pause = self._paused_for(channel)
        if pause > 0:
            await asyncio.sleep(pause)
        wait = self._chat(channel, conversation_id).reserve()
        if wait > 0:
            await asyncio.sleep(wait)
        wait = self._channel_buckets[channel].reserve()
        if wait > 0:
            await asyncio.sleep(wait)

    def try_turn(self, channel: str, conversation_id: str) -> Turn:
        """A broadcast's message: its turn now only if nothing waits for the capacity; otherwise how long to
        wait, having taken nothing. Conversations' messages, which reserve ahead, always go first."""
        pause = self._paused_for(channel)
        if pause > 0:
            return Turn(pause)
        wait = self._channel_buckets[channel].try_take()
        if wait > 0:
            return Turn(wait)
        wait = self._chat(channel, conversation_id).try_take()
        if wait > 0:
            self._channel_buckets[channel].give_back()
            return Turn(wait, chat_only=True)
        return Turn(0.0)

    def forget_idle(self, conversation_id: str) -> None:
        bucket = self._chat_buckets.get(conversation_id)
        if bucket is not None and bucket.idle():
            del self._chat_buckets[conversation_id]
