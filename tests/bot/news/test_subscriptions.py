"""Subscriptions on SQLite and PostgreSQL: the consent kept, ending and starting again, and who a broadcast reaches."""

from __future__ import annotations

import pytest

from bot.news.subscriptions import Audience
from bot.storage.message_log import Inbound
from bot.storage.models import CallbackRequest
from tests.bot.news.conftest import CONSENT, World


async def test_the_consent_is_kept_with_the_words_and_the_channel(world: World) -> None:
    conversation = await world.artisan("whatsapp", "33612345678", topic="faq_pge", commune="71221")
    found = await world.subscriptions.of(conversation)
    assert (found.active, found.channel, found.topic, found.commune_name) == (True, "whatsapp", "faq_pge", "Givry")
    assert found.consent_text == CONSENT and found.consent_at is not None
    assert await world.subscriptions.is_active(conversation)


async def test_subscribing_again_changes_the_topic_but_is_not_new(world: World) -> None:
    conversation = await world.artisan("telegram", "1", topic="faq_pge")
    found, started = await world.subscriptions.subscribe(
        conversation, topic=None, commune_code=None, commune_name=None, consent_text="autre texte"
    )
    assert (started, found.topic, found.consent_text) == (False, None, "autre texte")


async def test_stopping_then_subscribing_again(world: World) -> None:
    conversation = await world.artisan("telegram", "1")
    assert await world.subscriptions.end(conversation) is True
    assert await world.subscriptions.end(conversation) is False, "nothing left to end"
    ended = await world.subscriptions.of(conversation)
    assert (ended.active, ended.ended_reason) == (False, "artisan")
    assert not await world.subscriptions.is_active(conversation)
    _, started = await world.subscriptions.subscribe(
        conversation, topic=None, commune_code=None, commune_name=None, consent_text=CONSENT
    )
    again = await world.subscriptions.of(conversation)
    assert started and again.active and again.ended_reason is None


async def test_an_unknown_conversation_cannot_subscribe(world: World) -> None:
    with pytest.raises(LookupError):
        await world.subscriptions.subscribe("nope", topic=None, commune_code=None, commune_name=None, consent_text="x")


async def test_who_a_broadcast_reaches(world: World) -> None:
    everything = await world.artisan("telegram", "all")
    pge = await world.artisan("telegram", "pge", topic="faq_pge")
    givry = await world.artisan("whatsapp", "givry", commune="71221")
    web = await world.artisan("rest", "web")
    await world.artisan("telegram", "never", subscribe=False)
    stopped = await world.artisan("telegram", "stopped")
    await world.subscriptions.end(stopped)

    async def reached(audience: Audience = Audience(), topic: str | None = None) -> set[str]:
        return {r.conversation_id for r in await world.subscriptions.recipients(audience, topic)}

    assert await reached() == {everything, pge, givry, web}, "news on no topic reaches every subscriber"
    assert await reached(topic="faq_pge") == {everything, pge, givry, web}
    assert await reached(topic="faq_apprentissage") == {everything, givry, web}, "not the PGE-only subscriber"
    assert await reached(Audience(topic="faq_pge")) == {everything, pge, givry, web}
    assert await reached(Audience(communes=("71221",))) == {givry}
    assert await reached(Audience(channels=("telegram",))) == {everything, pge}
    recipients = await world.subscriptions.recipients(Audience(channels=("whatsapp",)), None)
    assert recipients[0].last_inbound_at is not None and recipients[0].last_inbound_at.tzinfo is not None


async def test_the_offer_shown_and_the_commune_of_a_request(world: World) -> None:
    conversation = await world.artisan("telegram", "1", subscribe=False)
    assert await world.subscriptions.offer_shown(conversation) is None
    stored = await world.log.store_inbound(Inbound("telegram", "1", "je veux les infos"))
    await world.log.record_answer(
        stored.message, [{"text": "Les mots montrés.", "response": "utter_offer_subscription"}, {"text": "autre"}]
    )
    assert await world.subscriptions.offer_shown(conversation) == "Les mots montrés."

    assert await world.subscriptions.known_commune(conversation) is None
    async with world.sessionmaker() as session:
        session.add(CallbackRequest(
            conversation_id=conversation, idempotency_key="k", name="Jean Martin", phone="+33385123456",
            trade="taxi", commune_code="71221", commune_name="Givry", subject="other", preferred_time="any",
            status="new", due_at=world.settings.clock(),
        ))
        await session.commit()
    assert await world.subscriptions.known_commune(conversation) == ("71221", "Givry")


async def test_the_commune_added_after(world: World) -> None:
    conversation = await world.artisan("telegram", "1")
    found = await world.subscriptions.set_commune(conversation, "71221", "Givry")
    assert (found.commune_code, found.commune_name) == ("71221", "Givry")
    await world.subscriptions.end(conversation)
    assert await world.subscriptions.set_commune(conversation, "71221", "Givry") is None
