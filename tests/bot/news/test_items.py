"""News items: what an admin may write (each refusal in French), their life from draft to sent, and what the bot
reads of them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.errors import NewsRefused
from bot.news.items import NewsDraft
from bot.storage.models import AdminAuditEvent, NewsStatus
from tests.bot.news.conftest import ADMIN, COMMUNES, World, draft


def test_a_complete_draft() -> None:
    news = draft(topic="faq_pge", communes="Givry, 71640", audience_topic="faq_pge", channels="telegram whatsapp")
    assert (news.title, news.source, news.effective_on, news.topic) == (
        "Couvre-feu à 20 h", "prefecture", date(2020, 12, 15), "faq_pge"
    )
    assert news.audience.communes[0] == "71221", "a name"
    assert len(news.audience.communes) > 2, "a postcode names every commune it serves"
    assert len(set(news.audience.communes)) == len(news.audience.communes), "Givry once"
    assert news.audience.channels == ("telegram", "whatsapp")


@pytest.mark.parametrize(
    "changes, refusal",
    [
        ({"title": "  "}, "Donnez un titre"),
        ({"title": "x" * 121}, "Le titre ne doit pas dépasser 120"),
        ({"text": ""}, "Écrivez le texte"),
        ({"text": "x" * 1501}, "Le texte ne doit pas dépasser 1500 caractères (1501)"),
        ({"source": "mairie"}, "Choisissez la source"),
        ({"effective_on": "15/12/2020"}, "« en vigueur le » n’est pas valide"),
        ({"link": "javascript:alert(1)"}, "adresse web complète"),
        ({"link": "https://exemple.fr/a b"}, "adresse web complète"),
        ({"topic": "faq_inconnue"}, "Le sujet de l’annonce n’existe pas"),
        ({"topic": "other"}, "Le sujet de l’annonce n’existe pas"),
        ({"audience_topic": "x"}, "Le sujet du public visé"),
        ({"channels": "telegram fax"}, "Canal inconnu : fax"),
        ({"communes": "Givry, Atlantide"}, "Commune introuvable : « Atlantide »"),
        ({"communes": "71100"}, "à la fois le code INSEE de Chardonnay et le code postal de Chalon-sur-Saône"),
    ],
)
def test_what_is_refused_and_why(changes: dict, refusal: str) -> None:
    with pytest.raises(NewsRefused) as refused:
        draft(**changes)
    assert refused.value.status == 400 and refusal in refused.value.message


def test_the_text_keeps_its_lines_and_the_title_its_words() -> None:
    news = NewsDraft.from_fields(
        {"title": " Couvre-feu \n à 20 h ", "text": "ligne 1  \r\nligne 2\n", "source": "etat",
         "effective_on": "2020-12-15"},
        COMMUNES,
    )
    assert (news.title, news.text, news.link) == ("Couvre-feu à 20 h", "ligne 1\nligne 2", None)


async def test_from_draft_to_published_with_every_step_audited(world: World) -> None:
    item = await world.items.create(draft(), ADMIN)
    assert item.status == NewsStatus.DRAFT
    assert (await world.items.published())[1] == 0, "a draft is not public"
    item = await world.items.update(item.id, draft(title="Couvre-feu à 19 h"), ADMIN)
    item = await world.items.publish(item.id, ADMIN)
    assert item.status == NewsStatus.PUBLISHED and item.published_at is not None
    with pytest.raises(NewsRefused, match="déjà publiée"):
        await world.items.publish(item.id, ADMIN)
    later = datetime.now(UTC) + timedelta(hours=2)
    item = await world.items.schedule(item.id, later, ADMIN)
    assert (item.status, item.scheduled_at) == (NewsStatus.SCHEDULED, later)
    item = await world.items.unschedule(item.id, ADMIN)
    assert item.status == NewsStatus.PUBLISHED, "back to where it was"
    async with world.sessionmaker() as session:
        actions = list(await session.scalars(select(AdminAuditEvent.action).order_by(AdminAuditEvent.id)))
    assert actions == ["news_create", "news_edit", "news_publish", "news_schedule", "news_unschedule"]


async def test_what_cannot_be_done(world: World) -> None:
    item = await world.items.create(draft(), ADMIN)
    with pytest.raises(NewsRefused, match="à venir"):
        await world.items.schedule(item.id, datetime.now(UTC) - timedelta(minutes=1), ADMIN)
    with pytest.raises(NewsRefused, match="pas programmée"):
        await world.items.unschedule(item.id, ADMIN)
    with pytest.raises(NewsRefused) as missing:
        await world.items.publish(999, ADMIN)
    assert missing.value.status == 404
    await world.items.move(item.id, (NewsStatus.DRAFT,), NewsStatus.SENT)
    with pytest.raises(NewsRefused, match="ne se modifie plus") as sent:
        await world.items.update(item.id, draft(), ADMIN)
    assert sent.value.status == 409


async def test_the_public_news_most_recent_first_and_by_topic(world: World) -> None:
    ids = []
    for n, topic in enumerate(["faq_pge", None, "faq_pge", "faq_apprentissage"]):
        item = await world.items.create(draft(title=f"annonce {n}", **({"topic": topic} if topic else {})), ADMIN)
        await world.items.publish(item.id, ADMIN)
        ids.append(item.id)
    await world.items.create(draft(title="brouillon", topic="faq_pge"), ADMIN)
    first, total = await world.items.published(0, 3)
    assert [i.title for i in first] == ["annonce 3", "annonce 2", "annonce 1"] and total == 4
    rest, _ = await world.items.published(3, 3)
    assert [i.title for i in rest] == ["annonce 0"]
    assert (await world.items.latest_on("faq_pge")).title == "annonce 2", "the draft is not public"
    assert await world.items.latest_on("faq_loyers_factures") is None
    since = (await world.items.get(ids[1])).published_at
    assert [i.title for i in await world.items.published_since(since)] == ["annonce 3", "annonce 2"]


async def test_sending_soon_is_due_at_once(world: World) -> None:
    item = await world.items.create(draft(), ADMIN)
    assert await world.items.due() == []
    await world.items.send_soon(item.id, ADMIN)
    assert await world.items.due() == [item.id]
