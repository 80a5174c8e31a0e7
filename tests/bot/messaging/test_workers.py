"""One task per conversation with work waiting (bot/messaging/workers.py): in order within a conversation, in
parallel across conversations, and nothing left running after close()."""

from __future__ import annotations

import asyncio
import collections

from bot.messaging.workers import ConversationWorkers


async def test_each_conversation_takes_its_items_in_order_and_conversations_run_side_by_side() -> None:
    queues: dict[str, collections.deque[int]] = collections.defaultdict(collections.deque)
    done: list[tuple[str, int]] = []
    running: set[str] = set()
    overlap = asyncio.Event()

    async def work(conversation_id: str) -> None:
        queue = queues[conversation_id]
        running.add(conversation_id)
        try:
            while queue:
                item = queue.popleft()
                if len(running) > 1:
                    overlap.set()
                await asyncio.sleep(0.01)
                done.append((conversation_id, item))
        finally:
            running.discard(conversation_id)

    workers = ConversationWorkers(work, "test")
    for item in range(3):
        for conversation_id in ("a", "b"):
            queues[conversation_id].append(item)
            workers.start(conversation_id)
    assert len(workers) == 2, "one task per conversation, however many items"
    await asyncio.wait_for(overlap.wait(), 5)
    while len(workers):
        await asyncio.sleep(0.01)
    assert [item for c, item in done if c == "a"] == [0, 1, 2] and [item for c, item in done if c == "b"] == [0, 1, 2]


async def test_close_cancels_the_work_under_way_and_starts_no_more() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def work(conversation_id: str) -> None:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.append(conversation_id)
            raise

    workers = ConversationWorkers(work, "test")
    workers.start("a")
    await started.wait()
    await workers.close()
    assert cancelled == ["a"] and len(workers) == 0
    workers.start("b")
    assert len(workers) == 0 and workers.closing
