"""This module contains NewsItems, the chamber's news as admins write and publish them, and NewsDraft, a news item
as a form or the command line gives it, checked."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.errors import NewsRefused
from bot.news.subscriptions import Audience
from bot.shared.communes import CommuneTable
from bot.shared.subjects import SUBJECTS
from bot.storage.audit import Actor, record
from bot.storage.models import NewsDelivery, NewsItem, NewsSource, NewsStatus

logger = logging.getLogger(__name__)

MAX_TITLE_CHARS = 120
MAX_TEXT_CHARS = 1500
MAX_LINK_CHARS = 500
CHANNELS = ("telegram", "whatsapp", "rest")
# Where a news item may still be edited: once a broadcast has started, what was sent is what it says.
EDITABLE = (NewsStatus.DRAFT, NewsStatus.PUBLISHED, NewsStatus.SCHEDULED)
# The news the bot may answer with.
PUBLIC = (NewsStatus.PUBLISHED, NewsStatus.SCHEDULED, NewsStatus.SENDING, NewsStatus.SENT, NewsStatus.STOPPED)

NOT_FOUND = "Cette annonce n’existe pas."


@dataclass(frozen=True)
class NewsDraft:
    """What an admin writes: every field checked, with the reason in French when one is not right."""

    title: str
    text: str
    source: str
    effective_on: date
    link: str | None = None
    topic: str | None = None
    audience: Audience = Audience()
    barometer: bool = False  # its broadcast asks the barometer's first question

    @classmethod
    def from_fields(cls, fields: Mapping[str, str], communes: CommuneTable) -> NewsDraft:
        """From a form's (or the command line's) text fields: title, text, source, effective_on (AAAA-MM-JJ),
        link, topic, communes (names, codes or postcodes, separated by commas), audience_topic, channels,
        barometer (a ticked box: "on", or 1 / oui / yes)."""
        title = " ".join((fields.get("title") or "").split())
        text = "\n".join(line.rstrip() for line in (fields.get("text") or "").replace("\r\n", "\n").split("\n")).strip()
        if not title:
            raise NewsRefused(400, "Donnez un titre à l’annonce.")
        if len(title) > MAX_TITLE_CHARS:
            raise NewsRefused(400, f"Le titre ne doit pas dépasser {MAX_TITLE_CHARS} caractères.")
        if not text:
            raise NewsRefused(400, "Écrivez le texte de l’annonce.")
        if len(text) > MAX_TEXT_CHARS:
            raise NewsRefused(400, f"Le texte ne doit pas dépasser {MAX_TEXT_CHARS} caractères ({len(text)}).")
        source = (fields.get("source") or "").strip()
        if source not in set(NewsSource):
            raise NewsRefused(400, "Choisissez la source : préfecture, État, Région ou Chambre.")
        try:
            effective_on = date.fromisoformat((fields.get("effective_on") or "").strip())
        except ValueError:
            raise NewsRefused(400, "La date « en vigueur le » n’est pas valide.") from None
        link = (fields.get("link") or "").strip() or None
        if link is not None:
            parts = urlsplit(link)
            if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > MAX_LINK_CHARS or " " in link:
                raise NewsRefused(400, "Le lien doit être une adresse web complète (https://…).")
        topic = _topic(fields.get("topic"), "Le sujet de l’annonce n’existe pas.")
        audience_topic = _topic(fields.get("audience_topic"), "Le sujet du public visé n’existe pas.")
        channels = tuple(c for c in (fields.get("channels") or "").replace(",", " ").split() if c)
        unknown_channels = [c for c in channels if c not in CHANNELS]
        if unknown_channels:
            raise NewsRefused(400, f"Canal inconnu : {', '.join(unknown_channels)}.")
        codes: list[str] = []
        for wanted in (part.strip() for part in (fields.get("communes") or "").split(",")):
            if not wanted:
                continue
            found = communes.find(wanted)
            served = communes.by_postcode(wanted)
            named = communes.by_code(wanted)
            if named is not None and served:
                raise NewsRefused(
                    400,
                    f"« {wanted} » est à la fois le code INSEE de {named.name} et le code postal de "
                    f"{', '.join(c.name for c in served)} : écrivez les noms des communes.",
                )
            if not found:
                raise NewsRefused(400, f"Commune introuvable : « {wanted} » (nom exact, code postal ou code INSEE).")
            codes.extend(c.insee_code for c in found if c.insee_code not in codes)
        barometer = (fields.get("barometer") or "").strip().lower() in ("on", "1", "oui", "yes", "true")
        return cls(
            title, text, source, effective_on, link, topic, Audience(tuple(codes), audience_topic, channels), barometer
        )


def _topic(value: str | None, refusal: str) -> str | None:
    value = (value or "").strip()
    if not value or value == "all":
        return None
    if value not in SUBJECTS or value == "other":
        raise NewsRefused(400, refusal)
    return value


def audience_of(item: NewsItem) -> Audience:
    return Audience(tuple(item.audience_communes or ()), item.audience_topic, tuple(item.audience_channels or ()))


class NewsItems:
    """Write, edit, publish and read the news; every change kept in the admins' audit."""

    def __init__(self, sessionmaker: async_sessionmaker, clock: Callable[[], datetime]) -> None:
        self._sessionmaker = sessionmaker
        self._clock = clock

    async def create(self, draft: NewsDraft, actor: Actor) -> NewsItem:
        async with self._sessionmaker() as session:
            item = NewsItem(account_id=actor.account_id, status=NewsStatus.DRAFT)
            _fill(item, draft)
            session.add(item)
            await session.flush()
            record(session, actor, "news_create", f"annonce {item.id}", draft.title)
            await session.commit()
        logger.info("%s wrote news item %s", actor.name, item.id)
        return item

    async def update(self, news_id: int, draft: NewsDraft, actor: Actor) -> NewsItem:
        async with self._sessionmaker() as session:
            item = await self._get(session, news_id)
            if item.status not in EDITABLE:
                raise NewsRefused(409, "Cette annonce a été envoyée : elle ne se modifie plus. Écrivez-en une nouvelle.")
            _fill(item, draft)
            item.updated_at = self._clock()
            record(session, actor, "news_edit", f"annonce {news_id}", draft.title)
            await session.commit()
        return item

    async def publish(self, news_id: int, actor: Actor) -> NewsItem:
        """Make a draft public without a broadcast: the bot answers with it from now on."""
        async with self._sessionmaker() as session:
            item = await self._get(session, news_id)
            if item.status != NewsStatus.DRAFT:
                raise NewsRefused(409, "Cette annonce est déjà publiée.")
            item.status, item.published_at = NewsStatus.PUBLISHED, self._clock()
            record(session, actor, "news_publish", f"annonce {news_id}", item.title)
            await session.commit()
        return item

    async def schedule(self, news_id: int, at: datetime, actor: Actor) -> NewsItem:
        """Send it to its audience at `at` (Paris time on the pages, stored in UTC)."""
        if at <= self._clock():
            raise NewsRefused(400, "Choisissez une date et une heure à venir.")
        async with self._sessionmaker() as session:
            item = await self._get(session, news_id)
            if item.status not in (NewsStatus.DRAFT, NewsStatus.PUBLISHED, NewsStatus.SCHEDULED):
                raise NewsRefused(409, "Cette annonce a déjà été envoyée.")
            item.status, item.scheduled_at = NewsStatus.SCHEDULED, at
            record(session, actor, "news_schedule", f"annonce {news_id}", at.isoformat())
            await session.commit()
        return item

    async def send_soon(self, news_id: int, actor: Actor) -> NewsItem:
        """Have the running gateway send it at its next check (the command line, which has no outbox)."""
        async with self._sessionmaker() as session:
            item = await self._get(session, news_id)
            if item.status not in (NewsStatus.DRAFT, NewsStatus.PUBLISHED, NewsStatus.SCHEDULED):
                raise NewsRefused(409, "Cette annonce a déjà été envoyée.")
            item.status, item.scheduled_at = NewsStatus.SCHEDULED, self._clock()
            record(session, actor, "news_schedule", f"annonce {news_id}", "dès que possible")
            await session.commit()
        return item

    async def unschedule(self, news_id: int, actor: Actor) -> NewsItem:
        async with self._sessionmaker() as session:
            item = await self._get(session, news_id)
            if item.status != NewsStatus.SCHEDULED:
                raise NewsRefused(409, "Cette annonce n’est pas programmée.")
            item.status = NewsStatus.PUBLISHED if item.published_at else NewsStatus.DRAFT
            item.scheduled_at = None
            record(session, actor, "news_unschedule", f"annonce {news_id}", None)
            await session.commit()
        return item

    async def get(self, news_id: int) -> NewsItem | None:
        async with self._sessionmaker() as session:
            return await session.get(NewsItem, news_id)

    async def all(self, limit: int = 200) -> list[NewsItem]:
        async with self._sessionmaker() as session:
            return list(await session.scalars(select(NewsItem).order_by(NewsItem.id.desc()).limit(limit)))

    async def published(self, offset: int = 0, limit: int = 3) -> tuple[list[NewsItem], int]:
        """The public news, most recent first (from `offset`), and how many there are in all."""
        public = NewsItem.published_at.is_not(None)
        async with self._sessionmaker() as session:
            items = list(
                await session.scalars(
                    select(NewsItem).where(public).order_by(NewsItem.published_at.desc(), NewsItem.id.desc())
                    .offset(offset).limit(limit)
                )
            )
            total = await session.scalar(select(func.count()).select_from(NewsItem).where(public))
        return items, int(total or 0)

    async def published_since(self, since: datetime, limit: int = 5) -> list[NewsItem]:
        async with self._sessionmaker() as session:
            return list(
                await session.scalars(
                    select(NewsItem)
                    .where(NewsItem.published_at > since)
                    .order_by(NewsItem.published_at.desc())
                    .limit(limit)
                )
            )

    async def latest_on(self, topic: str) -> NewsItem | None:
        """The most recent public news on a topic (what an FAQ answer mentions)."""
        async with self._sessionmaker() as session:
            return await session.scalar(
                select(NewsItem)
                .where(NewsItem.published_at.is_not(None), NewsItem.topic == topic)
                .order_by(NewsItem.published_at.desc())
                .limit(1)
            )

    async def sent_to(self, conversation_id: str) -> set[int]:
        """The news items a broadcast brought into this conversation."""
        async with self._sessionmaker() as session:
            return set(
                await session.scalars(
                    select(NewsDelivery.news_id).where(
                        NewsDelivery.conversation_id == conversation_id, NewsDelivery.message_id.is_not(None)
                    )
                )
            )

    async def due(self) -> list[int]:
        """The scheduled broadcasts whose time has come."""
        async with self._sessionmaker() as session:
            return list(
                await session.scalars(
                    select(NewsItem.id).where(
                        NewsItem.status == NewsStatus.SCHEDULED, NewsItem.scheduled_at <= self._clock()
                    )
                )
            )

    async def move(self, news_id: int, allowed: tuple[str, ...], to: str, **values: object) -> bool:
        """One step of a broadcast's life, if the item is still where it may start from (a conditional UPDATE)."""
        async with self._sessionmaker() as session:
            result = await session.execute(
                update(NewsItem)
                .where(NewsItem.id == news_id, NewsItem.status.in_(allowed))
                .values(status=to, updated_at=self._clock(), **values)
            )
            await session.commit()
        return result.rowcount == 1

    @staticmethod
    async def _get(session: object, news_id: int) -> NewsItem:
        item = await session.get(NewsItem, news_id)  # type: ignore[attr-defined]
        if item is None:
            raise NewsRefused(404, NOT_FOUND)
        return item


def _fill(item: NewsItem, draft: NewsDraft) -> None:
    item.title, item.text, item.source, item.effective_on = draft.title, draft.text, draft.source, draft.effective_on
    item.link, item.topic = draft.link, draft.topic
    item.audience_communes = list(draft.audience.communes)
    item.audience_topic = draft.audience.topic
    item.audience_channels = list(draft.audience.channels)
    item.barometer = draft.barometer
