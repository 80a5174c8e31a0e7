"""This module contains LiveAnswers: the FAQ answers' live text, edited by admins and used from the next message on.

Rasa still chooses *which* answer to give; the gateway then puts the admins' text of that answer in place of
the domain's (`apply`). Rasa's gateway channel names the response behind each bot message
(`"response": "utter_faq_pge"`), which is how the two meet. Editing needs no retraining: the `answers` table
holds the live version of each edited response, `answer_versions` every version ever saved.

Editable: every `utter_faq_*` response of the domain (its text there is the default) and the answer
`utter_<name>` of each intent an admin created from the inbox (AdminIntent).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm.attributes import flag_modified

from bot.errors import RetrainRefused
from bot.retrain.answer_content import (
    AnswerChange,
    AnswerContent,
    AnswerView,
    Editable,
    buttons_of,
    read_domain_answers,
    readable,
    validated,
)
from bot.shared.french import PARIS
from bot.shared.subjects import SUBJECTS
from bot.storage.audit import Actor, record
from bot.storage.models import AdminIntent, Answer, AnswerVersion, Message, StaffAccount

logger = logging.getLogger(__name__)

# The key of a bot message naming the response it came from (set by engine/gateway_channel.py).
RESPONSE_KEY = "response"
RESPONSE_PREFIX = "utter_"
# Rows another component writes (the inbox creating a new intent's answer) appear after at most this long.
MAX_AGE = timedelta(seconds=30)

UNKNOWN_RESPONSE = "Cette réponse n’existe pas ou ne se modifie pas ici."
UNKNOWN_VERSION = "Cette version de la réponse n’existe pas."


class LiveAnswers:
    """The answers' live text: read in memory on the message path, edited and restored by admins."""

    def __init__(
        self, sessionmaker: async_sessionmaker, project_dir: Path, clock: Callable[[], datetime]
    ) -> None:
        self._sessionmaker = sessionmaker
        self._project_dir = project_dir
        self._clock = clock
        self._defaults: dict[str, AnswerContent] | None = None
        self._live: dict[str, AnswerContent] = {}
        self._loaded_at: datetime | None = None
        # Raised by invalidate(): a reading that began before it does not count as fresh.
        self._generation = 0
        self._reloading = asyncio.Lock()

    # --- The message path ---------------------------------------------------------------------------------

    async def load(self) -> None:
        """Read every live answer into memory (and the domain's defaults, once)."""
        if self._defaults is None:
            self._defaults = await asyncio.to_thread(read_domain_answers, self._project_dir)
        generation = self._generation
        async with self._sessionmaker() as session:
            rows = await session.scalars(select(Answer))
            self._live = {
                row.response: AnswerContent(row.text, buttons_of(row.buttons), row.updated_on) for row in rows
            }
        self._loaded_at = self._clock() if generation == self._generation else None

    def invalidate(self) -> None:
        """Make the next `refresh()` read the answers again (after a change written elsewhere in this process)."""
        self._generation += 1
        self._loaded_at = None

    def _stale(self) -> bool:
        return self._loaded_at is None or self._clock() - self._loaded_at >= MAX_AGE

    async def refresh(self) -> None:
        """Read the answers again when invalidated or older than MAX_AGE; otherwise nothing (no I/O).

        A database failure keeps the answers already in memory: the artisan still gets an answer.
        """
        if not self._stale():
            return
        async with self._reloading:
            if not self._stale():
                return
            try:
                await self.load()
            except (SQLAlchemyError, OSError) as exc:
                logger.warning("Reading the live answers failed (%s); the ones in memory stay in use", exc)
                self._loaded_at = self._clock()

    async def edit(self, message: Message, replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The router's AnswerEditor: the live text of each edited answer in Rasa's answer to `message`."""
        await self.refresh()
        return self.apply(replies)

    def apply(self, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rasa's messages with the live text of each edited answer in place of the domain's.

        The consecutive messages of one edited response (a text with blank lines comes as several) become one
        message: the live text, its "updated on" line, the live buttons. Other messages pass unchanged. The
        `response` key stays: it is stored with the message, a record of which answer the artisan read.
        """
        answered: list[dict[str, Any]] = []
        for response, group in itertools.groupby(messages, key=lambda m: m.get(RESPONSE_KEY)):
            live = self._live.get(response) if isinstance(response, str) else None
            if live is None:
                answered.extend(group)
            else:
                answered.append(_live_message(live, list(group)))
        return answered

    # --- The admins' pages --------------------------------------------------------------------------------

    def today(self) -> date:
        """Today in the chamber's time zone: the default "updated on" date."""
        return self._clock().astimezone(PARIS).date()

    async def _editable(self) -> dict[str, Editable]:
        if self._defaults is None:
            await self.load()
        assert self._defaults is not None
        editable = {}
        for name, default in self._defaults.items():
            intent = name.removeprefix(RESPONSE_PREFIX)
            editable[name] = Editable(intent, SUBJECTS.get(intent) or readable(intent), default)
        async with self._sessionmaker() as session:
            intents = await session.scalars(select(AdminIntent).order_by(AdminIntent.title, AdminIntent.name))
            for intent in intents:
                editable.setdefault(
                    RESPONSE_PREFIX + intent.name,
                    Editable(intent.name, intent.title or readable(intent.name), AnswerContent("")),
                )
        return editable

    async def list(self) -> list[AnswerView]:
        """Every editable answer: the domain's FAQ answers in their order, then the admins' new intents."""
        editable = await self._editable()
        async with self._sessionmaker() as session:
            rows = (
                await session.execute(
                    select(Answer, StaffAccount.email)
                    .outerjoin(StaffAccount, StaffAccount.id == Answer.account_id)
                    .where(Answer.response.in_(list(editable)))
                )
            ).all()
        saved = {answer.response: (answer, email) for answer, email in rows}
        views = []
        for response, e in editable.items():
            if response in saved:
                answer, email = saved[response]
                content = AnswerContent(answer.text, buttons_of(answer.buttons), answer.updated_on)
                views.append(
                    AnswerView(response, e.intent, e.title, content, True, e.default, email, answer.updated_at)
                )
            else:
                views.append(AnswerView(response, e.intent, e.title, e.default, False, e.default))
        return views

    async def get(self, response: str) -> AnswerView | None:
        """One editable answer, or None when `response` is not one."""
        for view in await self.list():
            if view.response == response:
                return view
        return None

    async def history(self, response: str) -> list[AnswerChange]:
        """Every saved version of an answer, newest first."""
        async with self._sessionmaker() as session:
            rows = (
                await session.execute(
                    select(AnswerVersion, StaffAccount.email)
                    .outerjoin(StaffAccount, StaffAccount.id == AnswerVersion.account_id)
                    .where(AnswerVersion.response == response)
                    .order_by(AnswerVersion.id.desc())
                )
            ).all()
        return [
            AnswerChange(
                version.id,
                version.response,
                AnswerContent(version.text, buttons_of(version.buttons), version.updated_on),
                email,
                version.changed_at,
            )
            for version, email in rows
        ]

    async def save(
        self,
        response: str,
        text: str,
        buttons: Iterable[dict[str, str]],
        updated_on: date | None,
        actor: Actor,
    ) -> None:
        """Make this the answer's live version, from the next message on; kept in the history and the audit."""
        if response not in await self._editable():
            raise RetrainRefused(404, UNKNOWN_RESPONSE)
        content = validated(text, buttons, updated_on)
        await self._write(response, content, actor, "edit_answer", None)

    async def restore(self, response: str, version_id: int, actor: Actor) -> None:
        """Make an earlier version the live one again (recorded as a new version)."""
        if response not in await self._editable():
            raise RetrainRefused(404, UNKNOWN_RESPONSE)
        async with self._sessionmaker() as session:
            version = await session.get(AnswerVersion, version_id)
        if version is None or version.response != response:
            raise RetrainRefused(404, UNKNOWN_VERSION)
        content = AnswerContent(version.text, buttons_of(version.buttons), version.updated_on)
        await self._write(response, content, actor, "restore_answer", f"version {version_id} rétablie")

    async def _write(self, response: str, content: AnswerContent, actor: Actor, action: str, detail: str | None) -> None:
        for attempt in (1, 2):
            try:
                await self._write_once(response, content, actor, action, detail)
                break
            except IntegrityError:
                # Two first saves of one answer at once: the other inserted its row; this one updates it.
                if attempt == 2:
                    raise
        # This gateway uses it from the next message on; other processes within MAX_AGE.
        self.invalidate()
        await self.refresh()

    async def _write_once(
        self, response: str, content: AnswerContent, actor: Actor, action: str, detail: str | None
    ) -> None:
        now = self._clock()
        buttons = content.button_dicts
        async with self._sessionmaker() as session, session.begin():
            row = await session.get(Answer, response, with_for_update=True)
            if row is None:
                session.add(
                    Answer(
                        response=response, text=content.text, buttons=buttons, updated_on=content.updated_on,
                        account_id=actor.account_id, updated_at=now,
                    )
                )
            else:
                row.text, row.buttons, row.updated_on = content.text, buttons, content.updated_on
                row.account_id, row.updated_at = actor.account_id, now
                # Sent even when unchanged: otherwise the column's onupdate puts the real time in place of the clock's.
                flag_modified(row, "updated_at")
            version = AnswerVersion(
                response=response, text=content.text, buttons=buttons, updated_on=content.updated_on,
                account_id=actor.account_id, changed_at=now,
            )
            session.add(version)
            await session.flush()
            saved = f"version {version.id}"
            record(session, actor, action, response, f"{detail} ({saved})" if detail else saved)
        logger.info("Answer %s changed (%s) by account %s", response, action, actor.account_id)


def _live_message(live: AnswerContent, parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One message in place of the parts of one response: the live text and buttons, what else they held kept."""
    message: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key not in ("text", "buttons"):
                message.setdefault(key, value)
    message["text"] = live.message_text()
    if live.buttons:
        message["buttons"] = live.button_dicts
    return message
