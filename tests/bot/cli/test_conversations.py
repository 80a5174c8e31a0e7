"""`crisisbot conversations` and `crisisbot transcript` (bot/cli/conversations.py), on a SQLite database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.message_log import Inbound, MessageLog


async def seed(url: str) -> str:
    await asyncio.to_thread(migrate, url)
    engine = create_engine(url)
    log = MessageLog(create_sessionmaker(engine))
    stored = await log.store_inbound(Inbound("rest", "visitor-1", "c quoi le PGE"))
    await log.record_answer(stored.message, [{"text": "Le prêt garanti par l'État..."}], intent="faq_pge", confidence=0.97)
    await engine.dispose()
    return stored.conversation.id


def test_the_recent_conversations_and_a_transcript_are_printed(tmp_path: Path, monkeypatch, capsys) -> None:
    url = f"sqlite:///{tmp_path / 'crisisbot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    conversation_id = asyncio.run(seed(url))

    assert main(["conversations"]) == 0
    assert capsys.readouterr().out.startswith(f"{conversation_id}  rest     bot")
    assert main(["transcript", "rest:visitor-1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith("artisan c quoi le PGE  [faq_pge 0.97]") and lines[1].endswith("bot     Le prêt garanti par l'État...")


@pytest.mark.parametrize("conversation", ["rest:nobody", "0" * 32])
def test_an_unknown_conversation_says_so(tmp_path: Path, monkeypatch, capsys, conversation: str) -> None:
    url = f"sqlite:///{tmp_path / 'crisisbot.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    asyncio.run(seed(url))
    assert main(["transcript", conversation]) == 1
    assert "No conversation" in capsys.readouterr().err
