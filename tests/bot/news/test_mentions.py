"""The news in the bot's answers: an FAQ answer names the latest news on its topic, and an artisan not subscribed is
offered to subscribe after an FAQ answer or a confirmed request."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError

from bot.news.mentions import NewsMentions
from bot.news.wording import SUBSCRIBE_BUTTON
from bot.storage.message_log import Inbound
from tests.bot.news.conftest import ADMIN, World, draft


async def answer(world: World, chat: str, replies: list[dict]) -> list[dict]:
    stored = await world.log.store_inbound(Inbound("telegram", chat, "question"))
    return await NewsMentions(world.items, world.subscriptions).edit(stored.message, replies)


async def test_an_faq_answer_names_the_latest_news_on_its_topic_and_offers_the_news(world: World) -> None:
    old = await world.items.create(draft(title="Ancienne", topic="faq_pge"), ADMIN)
    await world.items.publish(old.id, ADMIN)
    latest = await world.items.create(draft(title="PGE prolongé", topic="faq_pge", source="etat"), ADMIN)
    await world.items.publish(latest.id, ADMIN)
    await world.items.create(draft(title="Brouillon", topic="faq_pge"), ADMIN)
    edited = await answer(world, "1", [{"text": "Le PGE…", "response": "utter_faq_pge", "buttons": []}])
    assert edited == [
        {
            "text": "Le PGE…\n\n📰 Dernière annonce sur ce sujet (État · en vigueur le 15 décembre 2020) : PGE prolongé. "
            "Pour la lire : « dernières annonces ».",
            "response": "utter_faq_pge",
            "buttons": [SUBSCRIBE_BUTTON],
        }
    ]


async def test_no_news_on_the_topic_and_already_subscribed_leave_the_answer_alone(world: World) -> None:
    conversation = await world.artisan("telegram", "1")
    assert conversation
    replies = [{"text": "Le chômage partiel…", "response": "utter_faq_activite_partielle"}]
    assert await answer(world, "1", replies) == replies


async def test_the_button_goes_on_the_last_bubble_and_after_a_confirmed_request(world: World) -> None:
    split = [{"text": "un", "response": "utter_faq_pge"}, {"text": "deux", "response": "utter_faq_pge"}]
    edited = await answer(world, "2", split)
    assert "buttons" not in edited[0] and edited[1]["buttons"] == [SUBSCRIBE_BUTTON]
    confirmed = await answer(world, "3", [{"text": "C'est noté", "response": "utter_callback_submitted"}])
    assert confirmed[0]["buttons"] == [SUBSCRIBE_BUTTON]


async def test_other_answers_and_full_button_rows_are_left_alone(world: World) -> None:
    greet = [{"text": "Bonjour", "response": "utter_greet", "buttons": [{"title": "x", "payload": "/x"}]}]
    assert await answer(world, "4", greet) == greet
    full = [{"text": "…", "response": "utter_faq_pge", "buttons": [{"title": str(n), "payload": "/x"} for n in range(10)]}]
    assert await answer(world, "5", full) == full


async def test_a_database_failure_sends_the_answer_as_it_is(world: World) -> None:
    class Broken:
        async def latest_on(self, topic: str):
            raise OperationalError("SELECT", {}, Exception("database is locked"))

    stored = await world.log.store_inbound(Inbound("telegram", "6", "pge"))
    replies = [{"text": "Le PGE…", "response": "utter_faq_pge"}]
    assert await NewsMentions(Broken(), world.subscriptions).edit(stored.message, replies) == replies
