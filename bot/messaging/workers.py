"""This module contains ConversationWorkers: one task per conversation with work waiting, for the router and the
outbox alike."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class ConversationWorkers:
    """Runs `work(conversation_id)` in one asyncio task per conversation, started when work arrives.

    The owner keeps each conversation's queue; `work` takes from it until it is empty and returns, so one
    conversation's items go one at a time, in order, while different conversations proceed in parallel. Call
    `start()` after queuing an item: it starts the conversation's task unless one runs. (A task that finds its
    queue empty returns without waiting on anything in between, so an item queued meanwhile is never missed.)
    """

    def __init__(self, work: Callable[[str], Awaitable[None]], name: str) -> None:
        self._work = work
        self._name = name
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    def start(self, conversation_id: str) -> None:
        if self._closing or conversation_id in self._tasks:
            return
        self._tasks[conversation_id] = asyncio.create_task(
            self._run(conversation_id), name=f"{self._name}-{conversation_id}"
        )

    async def _run(self, conversation_id: str) -> None:
        try:
            await self._work(conversation_id)
        finally:
            self._tasks.pop(conversation_id, None)

    @property
    def closing(self) -> bool:
        return self._closing

    def __len__(self) -> int:
        """How many conversations have work under way."""
        return len(self._tasks)

    async def close(self) -> None:
        """Start no more work, and cancel the work under way (what it had not done stays stored)."""
        self._closing = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
