"""This module contains BroadcastLane, the outbox's low-priority lane: the broadcasts' messages (bot/news), sent
only when no conversation's message waits for the same platform."""

from __future__ import annotations

import asyncio
import collections
import heapq
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.storage import Message

if TYPE_CHECKING:
    from bot.messaging.outbox import Outbox

logger = logging.getLogger(__name__)

# Broadcast sends in flight at once, all channels together: a platform's round trip is a fraction of a second,
# its limit tens a second.
BROADCAST_IN_FLIGHT = 16
# How long the lane looks away while conversations' messages wait for the platform.
YIELD_SECONDS = 0.02


class BroadcastLane:
    """One worker per platform takes the broadcast messages queued for it, in order, at the pace the platform's
    limits leave once conversations have had their share: each send first checks that no conversation's
    message waits for that platform, then takes a send from the rate limits without going into debt (the
    conversations' messages reserve ahead). A message whose chat is busy, or that the platform asks to retry,
    waits aside while the others go. Each outcome is recorded by the outbox, as any message's."""

    def __init__(self, outbox: Outbox, in_flight: int = BROADCAST_IN_FLIGHT) -> None:
        self._outbox = outbox
        self._slots = asyncio.Semaphore(in_flight)
        self._queues: dict[str, collections.deque[Message]] = {}
        self._later: dict[str, list[tuple[float, int, Message]]] = {}
        self._order = itertools.count()
        self._workers: dict[str, asyncio.Task[None]] = {}
        self._sending: dict[str, set[asyncio.Task[None]]] = collections.defaultdict(set)
        self._external_ids: dict[int, str] = {}
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()

    def enqueue(self, messages: list[Message], external_ids: dict[int, str] | None = None) -> None:
        """Queue stored broadcast messages (their channel must have an outbox), with their chats' platform ids
        when the caller read them (by message id; otherwise each is read when sent)."""
        for message in messages:
            if self._closing or self._outbox.channel(message.channel) is None:
                continue
            if external_ids and message.id in external_ids:
                self._external_ids[message.id] = external_ids[message.id]
            self._queues.setdefault(message.channel, collections.deque()).append(message)
            self._idle.clear()
            if message.channel not in self._workers:
                self._workers[message.channel] = asyncio.create_task(
                    self._run(message.channel), name=f"broadcast-{message.channel}"
                )

    def discard(self, unwanted: Callable[[Message], bool]) -> list[int]:
        """Take the queued messages `unwanted` picks out of the lane (a broadcast stopped); their ids. Those in
        flight land."""
        removed: list[int] = []
        for queue in self._queues.values():
            kept = [m for m in queue if not unwanted(m)]
            removed += [m.id for m in queue if unwanted(m)]
            queue.clear()
            queue.extend(kept)
        for later in self._later.values():
            removed += [m.id for _, _, m in later if unwanted(m)]
            later[:] = [entry for entry in later if not unwanted(entry[2])]
            heapq.heapify(later)
        for message_id in removed:
            self._external_ids.pop(message_id, None)
        return removed

    def backlog_of(self, channel: str) -> int:
        """One platform's messages queued, waiting aside or in flight."""
        return len(self._queues.get(channel, ())) + len(self._later.get(channel, ())) + len(self._sending.get(channel, ()))

    @property
    def backlog(self) -> int:
        """Messages queued, waiting aside or in flight: what a broadcast keeps small by feeding as it drains."""
        return sum(len(q) for q in self._queues.values()) + sum(len(h) for h in self._later.values()) + sum(
            len(s) for s in self._sending.values()
        )

    async def drained(self) -> None:
        await self._idle.wait()

    async def close(self) -> None:
        """Stop; what is unsent stays PENDING in the database, for the broadcast to queue again."""
        self._closing = True
        tasks = [*self._workers.values(), *(task for tasks in self._sending.values() for task in tasks)]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, channel: str) -> None:
        loop = asyncio.get_running_loop()
        queue, later, sending = self._queues[channel], self._later.setdefault(channel, []), self._sending[channel]
        try:
            while queue or later or sending:
                while later and later[0][0] <= loop.time():
                    queue.appendleft(heapq.heappop(later)[2])
                if not queue:
                    # Only messages in flight (whose outcome may be a retry) or waiting aside.
                    timeout = min(later[0][0] - loop.time(), 1.0) if later else None
                    if sending:
                        await asyncio.wait(list(sending), timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                    elif timeout is not None:
                        await asyncio.sleep(max(timeout, 0))
                    continue
                if self._outbox.waiting_on(channel):
                    await asyncio.sleep(YIELD_SECONDS)  # a conversation's message first
                    continue
                message = queue[0]
                turn = self._outbox.rates.try_turn(channel, message.conversation_id)
                if turn.wait > 0 and turn.chat_only:
                    queue.popleft()
                    heapq.heappush(later, (loop.time() + turn.wait, next(self._order), message))
                    continue
                if turn.wait > 0:
                    await asyncio.sleep(min(turn.wait, 1.0))
                    continue
                queue.popleft()
                await self._slots.acquire()
                task = asyncio.create_task(self._send(message, later))
                sending.add(task)
                task.add_done_callback(lambda done, sending=sending: self._sent(done, sending))
        finally:
            self._workers.pop(channel, None)
            if not self._workers:
                self._idle.set()

    def _sent(self, task: asyncio.Task[None], sending: set[asyncio.Task[None]]) -> None:
        sending.discard(task)
        self._slots.release()

    async def _send(self, message: Message, later: list[tuple[float, int, Message]]) -> None:
        loop = asyncio.get_running_loop()
        try:
            external_id = self._external_ids.get(message.id) or await self._outbox.log.external_id(message.conversation_id)
            outcome = await self._outbox.send(message, external_id, lane=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Broadcast: message %s could not be handled; tried again", message.id)
            heapq.heappush(later, (loop.time() + 1.0, next(self._order), message))
            return
        if outcome is not None:
            heapq.heappush(later, (loop.time() + outcome.delay, next(self._order), message))
        else:
            self._external_ids.pop(message.id, None)
