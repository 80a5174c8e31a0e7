"""This module contains the commands that read conversations: `conversations` and `transcript`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bot.settings import Settings
from bot.shared.french import PARIS

if TYPE_CHECKING:
    from bot.storage.message_log import MessageLog


@contextlib.asynccontextmanager
async def _message_log(settings: Settings) -> AsyncIterator[MessageLog]:
    """The message log on DATABASE_URL, for one command."""
    from bot.storage import create_engine, create_sessionmaker
    from bot.storage.message_log import MessageLog

    engine = create_engine(settings.database_url)
    try:
        yield MessageLog(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _transcript(settings: Settings, conversation_id: str) -> int:
    async with _message_log(settings) as log:
        if ":" in conversation_id:
            channel, external_id = conversation_id.split(":", 1)
            conversation = await log.find_conversation(channel, external_id)
            if conversation is None:
                print(f"No conversation {conversation_id}.", file=sys.stderr)
                return 1
            conversation_id = conversation.id
        messages = await log.transcript(conversation_id)
        if not messages:
            print(f"No conversation {conversation_id}.", file=sys.stderr)
            return 1
        for m in messages:
            when = m.created_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")
            understood = f"  [{m.intent} {m.confidence:.2f}]" if m.intent and m.confidence is not None else ""
            buttons = "  " + " ".join(f"[{b.get('title')}]" for b in m.buttons) if m.buttons else ""
            print(f"{when}  {m.author:<7} {m.text or ''}{buttons}{understood}")
        return 0


def cmd_transcript(settings: Settings, args: argparse.Namespace) -> int:
    """Print a conversation, by its id or as CHANNEL:SENDER (e.g. rest:1234)."""
    return asyncio.run(_transcript(settings, args.conversation))


async def _conversations(settings: Settings, limit: int) -> int:
    async with _message_log(settings) as log:
        for c, last_at in await log.recent_conversations(limit):
            when = last_at.astimezone(PARIS).strftime("%Y-%m-%d %H:%M")
            print(f"{c.id}  {c.channel:<8} {c.state:<7} last message {when}")
        return 0


def cmd_conversations(settings: Settings, args: argparse.Namespace) -> int:
    """List the most recent conversations."""
    return asyncio.run(_conversations(settings, args.limit))
