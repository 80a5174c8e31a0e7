"""This module contains AdminIntents: the intents an admin may label messages with, and those admins create.

A new intent is made from its French title (`faq_<slug of the title>`) with its answer, `utter_<name>`, live at
once (bot.retrain.answers) and trained with the next model (bot.retrain.export).
"""

from __future__ import annotations

import logging
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.errors import RetrainRefused
from bot.retrain.export import domain_intents
from bot.settings import Settings
from bot.shared.french import PARIS
from bot.storage.audit import Actor, record
from bot.storage.models import AdminIntent, Answer, AnswerVersion

logger = logging.getLogger(__name__)

# Rasa's intent for a message its NLU did not understand.
FALLBACK_INTENT = "nlu_fallback"
# Intents an admin never labels to: Rasa's own fallback, and `inform`, whose examples carry the entities a
# form needs (a label has none).
TECHNICAL_INTENTS = frozenset({FALLBACK_INTENT, "inform"})
INTENT_NAME_MAX = 48
TITLE_MAX = 120
ANSWER_MAX = 4000

NO_TITLE = "Donnez un titre à la nouvelle intention."
TITLE_TOO_LONG = f"Le titre ne doit pas dépasser {TITLE_MAX} caractères."
NO_ANSWER = "Écrivez la réponse que l’assistant donnera à cette question."
ANSWER_TOO_LONG = f"La réponse ne doit pas dépasser {ANSWER_MAX} caractères."
TITLE_WITHOUT_LETTERS = "Le titre doit contenir des lettres ou des chiffres."
TITLE_WITH_MARKUP = "Le titre ne peut pas contenir les signes < et > : écrivez le sujet de la question en toutes lettres."
INTENT_EXISTS = "L’intention « {} » existe déjà : choisissez-la dans la liste ou changez le titre."


def slug(title: str) -> str:
    """ASCII, lower case, words joined by underscores: "Masques gratuits ?" → "masques_gratuits"."""
    decomposed = unicodedata.normalize("NFKD", title.lower())
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")


def intent_name(title: str) -> str:
    """The intent an admin's title makes: "faq_" and the title's slug, at most 48 characters."""
    return ("faq_" + slug(title))[:INTENT_NAME_MAX].rstrip("_")


class AdminIntents:
    """The domain's intents an admin may label to, and the intents admins created with their answers."""

    def __init__(self, sessionmaker: async_sessionmaker, settings: Settings) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings

    async def names(self) -> list[str]:
        """Every intent an admin may label to: the domain's (technical ones apart) and the admins' own."""
        known = {name for name in domain_intents(self._settings.project_dir) if name not in TECHNICAL_INTENTS}
        known.update(intent.name for intent in await self.created())
        return sorted(known)

    async def created(self) -> list[AdminIntent]:
        """The intents admins created, oldest first."""
        async with self._sessionmaker() as session:
            return list(await session.scalars(select(AdminIntent).order_by(AdminIntent.created_at, AdminIntent.name)))

    async def create(
        self, title: str, answer: str, actor: Actor, *, buttons: list[dict[str, str]] | None = None
    ) -> str:
        """Create an intent from its title, with its live French answer `utter_<name>`; its name."""
        title, answer = (title or "").strip(), (answer or "").strip()
        if not title:
            raise RetrainRefused(400, NO_TITLE)
        if len(title) > TITLE_MAX:
            raise RetrainRefused(400, TITLE_TOO_LONG)
        # The pages escape it, so a tag is shown as typed, in the page's title and on the FAQ answers' list.
        if "<" in title or ">" in title:
            raise RetrainRefused(400, TITLE_WITH_MARKUP)
        if not answer:
            raise RetrainRefused(400, NO_ANSWER)
        if len(answer) > ANSWER_MAX:
            raise RetrainRefused(400, ANSWER_TOO_LONG)
        name = intent_name(title)
        if name == "faq":
            raise RetrainRefused(400, TITLE_WITHOUT_LETTERS)
        if name in domain_intents(self._settings.project_dir):
            raise RetrainRefused(400, INTENT_EXISTS.format(name))
        response = "utter_" + name
        today = self._settings.clock().astimezone(PARIS).date()
        try:
            async with self._sessionmaker() as session:
                if await session.get(AdminIntent, name) is not None or await session.get(Answer, response) is not None:
                    raise RetrainRefused(400, INTENT_EXISTS.format(name))
                session.add(AdminIntent(name=name, title=title, account_id=actor.account_id))
                # The intent first: the answer rows' flush must not run before the row they belong with.
                await session.flush()
                session.add(
                    Answer(
                        response=response, text=answer, buttons=list(buttons or []), updated_on=today,
                        account_id=actor.account_id,
                    )
                )
                session.add(
                    AnswerVersion(
                        response=response, text=answer, buttons=list(buttons or []), updated_on=today,
                        account_id=actor.account_id,
                    )
                )
                record(session, actor, "create_intent", name, title)
                await session.commit()
        except IntegrityError:
            raise RetrainRefused(400, INTENT_EXISTS.format(name)) from None
        logger.info("%s created the intent %s", actor.name, name)
        return name
