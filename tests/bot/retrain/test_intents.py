"""The intents admins label with, and those they create with their answer (bot/retrain/intents.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import RetrainRefused
from bot.retrain.intents import intent_name
from bot.storage.models import AdminIntent, Answer, AnswerVersion
from tests.bot.retrain.conftest import World


async def test_an_admin_creates_an_intent_with_its_live_answer(world: World) -> None:
    name = await world.intents.create(
        "  Masques gratuits pour les salariés ?  ", "Oui : la CMA en distribue.", world.admin,
        buttons=[{"title": "Donner des masques", "payload": "/pledge_masks"}],
    )
    assert name == "faq_masques_gratuits_pour_les_salaries"
    assert name in await world.intents.names()
    async with world.sessionmaker() as session:
        answer = await session.get(Answer, "utter_" + name)
        [version] = await session.scalars(select(AnswerVersion))
        intent = await session.get(AdminIntent, name)
    assert answer.text == "Oui : la CMA en distribue." and answer.buttons[0]["payload"] == "/pledge_masks"
    assert answer.updated_on.isoformat() == "2020-04-06"
    assert version.response == "utter_" + name and version.text == answer.text
    assert intent.title == "Masques gratuits pour les salariés ?" and intent.account_id == world.admin.account_id
    assert [i.name for i in await world.intents.created()] == [name]
    assert await world.audit() == [("create_intent", name, "Masques gratuits pour les salariés ?", "chef@cma71.fr")]

    message = await world.say("masques gratuits ?", "pledge_masks", 0.3)
    assert await world.inbox.label([message], intent=name, actor=world.admin) == 1
    assert await world.inbox.training_examples() == [("masques gratuits ?", name)]


async def test_a_new_intent_is_refused_when_empty_or_already_there(world: World) -> None:
    for title, answer, message in [
        ("", "une réponse", "titre"),
        ("Un titre", "   ", "réponse"),
        ("?!", "une réponse", "lettres"),
        ('Aide <script src="x.js"></script>', "une réponse", "< et >"),  # shown as typed on every page
        ("PGE", "une réponse", "existe déjà"),  # faq_pge is in domain.yml
    ]:
        with pytest.raises(RetrainRefused, match=message):
            await world.intents.create(title, answer, world.admin)
    await world.intents.create("Chèques cadeaux", "Réponse", world.admin)
    with pytest.raises(RetrainRefused, match="existe déjà"):
        await world.intents.create("chèques  cadeaux !", "Autre réponse", world.admin)
    assert await world.count(AdminIntent) == 1 and await world.count(Answer) == 1


def test_intent_names_are_short_ascii_slugs() -> None:
    assert intent_name("Réouverture des salons de coiffure") == "faq_reouverture_des_salons_de_coiffure"
    long = intent_name("Quelles aides pour les artisans du bâtiment pendant le confinement en Bourgogne")
    assert len(long) <= 48 and long.startswith("faq_quelles_aides") and not long.endswith("_")
