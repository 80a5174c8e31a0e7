"""This module contains CannedAnswers: the ready answers advisers insert in their replies (admins manage them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.desk.handoff import MAX_REPLY_CHARS
from bot.errors import Refusal
from bot.storage.models import CannedAnswer, utcnow

MAX_TITLE_CHARS = 120


class CannedAnswers:
    """The canned answers, sorted by title; saved and deleted by admins."""

    def __init__(self, sessionmaker: async_sessionmaker) -> None:
        self._sessionmaker = sessionmaker

    async def all(self) -> list[CannedAnswer]:
        async with self._sessionmaker() as session:
            return list(await session.scalars(select(CannedAnswer).order_by(CannedAnswer.title)))

    async def save(self, account_id: int, title: str, text: str, answer_id: int | None = None) -> None:
        """Add an answer, or change answer `answer_id`."""
        title, text = title.strip(), text.strip()
        if not title or not text or len(title) > MAX_TITLE_CHARS or len(text) > MAX_REPLY_CHARS:
            raise Refusal(400, f"Donnez un titre ({MAX_TITLE_CHARS} caractères au plus) et un texte.")
        async with self._sessionmaker() as session:
            if answer_id is None:
                session.add(CannedAnswer(title=title, text=text, updated_by=account_id, updated_at=utcnow()))
            else:
                answer = await session.get(CannedAnswer, answer_id)
                if answer is None:
                    raise Refusal(404, "Cette réponse type n'existe plus.")
                answer.title, answer.text, answer.updated_by, answer.updated_at = title, text, account_id, utcnow()
            await session.commit()

    async def delete(self, answer_id: int) -> None:
        async with self._sessionmaker() as session:
            answer = await session.get(CannedAnswer, answer_id)
            if answer is not None:
                await session.delete(answer)
                await session.commit()
