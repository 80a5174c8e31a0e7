"""The inbox of misunderstood messages and the admins' labels, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.errors import RetrainRefused
from bot.retrain.inbox import BEFORE_HANDOFF, LOW_CONFIDENCE, NOT_UNDERSTOOD
from bot.retrain.masking import NAME, PHONE
from bot.storage.message_log import Inbound
from bot.storage.models import (
    InboxLabel,
)
from tests.bot.retrain.conftest import NOW, World


async def test_the_inbox_holds_what_the_bot_misunderstood_and_why(world: World) -> None:
    low = await world.say("c'est quoi le fond de solidarité pour les coiffeurs", "faq_fonds_solidarite", 0.41)
    fallback = await world.say("mon chien a mangé mon attestation", "nlu_fallback", 0.2, artisan="b", channel="whatsapp")
    await world.say("je voudrais un PGE", "faq_pge", 0.93)  # understood
    await world.say("", None, None, artisan="c", payload={"kind": "photo"})  # a photo never reaches Rasa
    await world.say("/faq_pge", "faq_pge", 0.3)  # a button's payload, not the artisan's words
    before = await world.say("et pour les auto-entrepreneurs en SCI ?", "faq_pge", 0.88, artisan="d")
    await world.hand_off(artisan="d")

    messages = {m.id: m for m in await world.inbox.candidates()}
    assert set(messages) == {low, fallback, before}
    assert messages[low].reasons == (LOW_CONFIDENCE,)
    assert messages[fallback].reasons == (NOT_UNDERSTOOD, LOW_CONFIDENCE)
    assert messages[fallback].channel == "whatsapp"
    assert messages[before].reasons == (BEFORE_HANDOFF,)
    assert messages[before].intent == "faq_pge" and messages[before].confidence == 0.88


async def test_a_confident_message_the_conversation_could_not_follow_is_not_understood(world: World) -> None:
    # "oui" is understood (affirm, 0.97), but nothing asked a question: Rasa's dialogue policies fell back
    # and the assistant said it did not understand.
    lost = await world.say("oui", "affirm", 0.97, response="utter_fallback")
    again = await world.say("oui oui", "affirm", 0.96, response="utter_fallback_repeated")
    await world.say("oui", "affirm", 0.97, artisan="b", response="utter_ask_phone")  # a form's question: understood

    messages = {m.id: m for m in await world.inbox.candidates()}
    assert set(messages) == {lost, again}
    assert messages[lost].reasons == (NOT_UNDERSTOOD,) and messages[lost].intent == "affirm"


async def test_a_fallback_rasa_gave_while_it_misbehaved_is_not_a_misunderstanding(world: World) -> None:
    # Understood (faq_pge, 0.98), but Rasa lost track of the conversation and answered its fallback (issue 19).
    stored = await world.log.store_inbound(Inbound("telegram", "a", "c quoi le PGE ?"))
    fallback = [{"text": "Désolé, je n'ai pas bien compris.", "response": "utter_fallback"}]
    await world.log.record_answer(stored.message, fallback, intent="faq_pge", confidence=0.98, incident="circuit_breaker")
    unclear = await world.say("euh le truc", "nlu_fallback", 0.3, response="utter_fallback")

    assert {m.id for m in await world.inbox.candidates()} == {unclear}


async def test_a_message_understood_with_low_confidence_before_a_handoff_has_both_reasons(world: World) -> None:
    first = await world.say("bon ben alors on fait comment", "faq_pge", 0.3)
    await world.hand_off()
    [message] = await world.inbox.candidates()
    assert message.id == first and message.reasons == (LOW_CONFIDENCE, BEFORE_HANDOFF)


async def test_forty_variants_show_as_one_group_of_forty(world: World) -> None:
    for i in range(40):
        text = ["les masques sont ils gratuits pour mes salariés", "masques gratuits pour les salariés ?"][i % 2]
        await world.say(text, "pledge_masks", 0.3 + i / 1000, artisan=f"artisan-{i}")
    await world.say("quand rouvrent les salons de coiffure", "faq_ouverture_commerces", 0.5)
    await world.say("quand rouvrent les salons de coiffure ?", "nlu_fallback", 0.4, artisan="x")

    groups = await world.inbox.groups()
    assert [g.count for g in groups] == [40, 2]
    masks, hair = groups
    assert masks.intent == "pledge_masks"
    assert masks.confidence == pytest.approx(0.3195)
    assert masks.text in ("masques gratuits pour les salariés ?", "les masques sont ils gratuits pour mes salariés")
    assert hair.reasons == (NOT_UNDERSTOOD, LOW_CONFIDENCE)
    assert hair.intent == "faq_ouverture_commerces"  # what it guessed, rather than "not understood"


async def test_personal_data_is_masked_on_screen_and_in_the_labels(world: World) -> None:
    message = await world.say(
        "Bonjour je m'appelle Marie, appelez moi au 06 12 34 56 78 svp, DUPRÉ Marie",
        "request_callback", 0.4, payload={"first_name": "Dupré"},
    )
    [shown] = await world.inbox.candidates()
    assert "06" not in shown.text and "Dupr" not in shown.text and "DUPR" not in shown.text
    assert shown.text == f"Bonjour je m'appelle {NAME}, appelez moi au {PHONE} svp, {NAME}"

    assert await world.inbox.label([message], intent="request_callback", actor=world.admin) == 1
    async with world.sessionmaker() as session:
        label = await session.scalar(select(InboxLabel))
    assert label.text == shown.text and "06 12" not in label.text
    assert label.account_id == world.admin.account_id and label.labelled_at == NOW


async def test_labelling_is_idempotent_and_keeps_one_in_five_aside(world: World) -> None:
    ids = [await world.say(f"question numéro {i} sur le PGE", "faq_pge", 0.5, artisan=str(i)) for i in range(12)]
    assert await world.inbox.label(ids, intent="faq_pge", actor=world.admin) == 12
    assert await world.inbox.label(ids, intent="faq_pge", actor=world.admin) == 0  # already labelled: skipped
    assert await world.inbox.candidates() == []

    async with world.sessionmaker() as session:
        heldout = list(await session.scalars(select(InboxLabel.message_id).where(InboxLabel.heldout.is_(True))))
    assert sorted(heldout) == [ids[4], ids[9]]  # floor(12/5) = 2: every fifth, by message id
    assert len(await world.inbox.training_examples()) == 10
    assert len(await world.inbox.heldout_examples()) == 2
    assert (await world.inbox.heldout_examples())[0] == ("question numéro 4 sur le PGE", "faq_pge")

    few = [await world.say(f"autre question {i}", "faq_pge", 0.5, artisan=f"f{i}") for i in range(4)]
    assert await world.inbox.label(few, intent="faq_aides_region", actor=world.admin) == 4
    assert len(await world.inbox.heldout_examples()) == 2  # fewer than five: none kept aside
    assert await world.audit() == [
        ("label", "faq_pge", "12 messages", "chef@cma71.fr"),
        ("label", "faq_aides_region", "4 messages", "chef@cma71.fr"),
    ]


async def test_ignored_messages_leave_the_inbox_and_never_become_examples(world: World) -> None:
    ids = [await world.say("azertyuiop", "nlu_fallback", 0.1, artisan=str(i)) for i in range(6)]
    assert await world.inbox.label(ids, intent=None, ignore=True, actor=world.admin) == 6
    assert await world.inbox.groups() == []
    assert await world.inbox.training_examples() == [] and await world.inbox.heldout_examples() == []
    assert (await world.audit())[-1][:3] == ("ignore", None, "6 messages")


async def test_unknown_intents_and_empty_selections_are_refused_in_french(world: World) -> None:
    message = await world.say("une question", "faq_pge", 0.2)
    with pytest.raises(RetrainRefused, match="n’existe pas"):
        await world.inbox.label([message], intent="faq_inventee", actor=world.admin)
    with pytest.raises(RetrainRefused, match="n’existe pas"):
        await world.inbox.label([message], intent="nlu_fallback", actor=world.admin)
    with pytest.raises(RetrainRefused, match="Cochez au moins un message"):
        await world.inbox.label([], intent="faq_pge", actor=world.admin)
    assert await world.count(InboxLabel) == 0 and await world.audit() == []


async def test_a_label_undone_puts_the_message_back_in_the_inbox(world: World) -> None:
    message = await world.say("une question mal comprise", "faq_pge", 0.2)
    await world.inbox.label([message], intent="faq_pge", actor=world.admin)
    [label] = await world.inbox.labelled()
    assert (label.message_id, label.intent, label.who, label.at) == (message, "faq_pge", "chef@cma71.fr", NOW)

    await world.inbox.unlabel(label.id, world.admin)
    assert [m.id for m in await world.inbox.candidates()] == [message]
    assert await world.inbox.labelled() == []
    assert (await world.audit())[-1][:3] == ("unlabel", "faq_pge", f"message {message}")
    with pytest.raises(RetrainRefused, match="n’existe plus"):
        await world.inbox.unlabel(label.id, world.admin)


async def test_known_intents_leave_out_technical_ones(world: World) -> None:
    intents = await world.intents.names()
    assert "faq_pge" in intents and "human_handoff" in intents
    assert "nlu_fallback" not in intents and "inform" not in intents
