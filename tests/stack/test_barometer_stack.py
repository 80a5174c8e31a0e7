"""The barometer on the whole stack, against the real Rasa: offered after thanks for an FAQ answer (Telegram) and
after a confirmed callback (WhatsApp), one tap per question, the sector asked only when unknown, stored without
identity, not asked again within 7 days; and left at each question by typing something else (the web chat), the
next two messages answered exactly as usual, nothing recorded."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import ArtisanProfile, BarometerAnswer, Conversation
from tests.stack.people import TelegramArtisan, WhatsAppArtisan, answer, chat
from tests.support.stack import Stack

pytestmark = pytest.mark.stack

PGE = answer("utter_faq_pge")
THANKS = answer("utter_thank")
GREET = answer("utter_greet")
GOODBYE = answer("utter_goodbye")
ASK_ACTIVITY = answer("utter_barometer_ask_activity")
ASK_NEED = answer("utter_barometer_ask_need")
ASK_TRADE = answer("utter_barometer_ask_trade")
NOTED = answer("utter_barometer_thanks")
SKIPPED = answer("utter_barometer_skipped")
CLOSED = answer("utter_barometer_closed")


async def stored_answers(stack: Stack) -> list[tuple]:
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.scalars(select(BarometerAnswer).order_by(BarometerAnswer.id))
            return [(a.activity, a.need, a.trade_category, a.commune_code) for a in rows]
    finally:
        await engine.dispose()


async def profile_of(stack: Stack, channel: str, external_id: str) -> ArtisanProfile | None:
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            conversation_id = await session.scalar(
                select(Conversation.id).where(Conversation.channel == channel, Conversation.external_id == external_id)
            )
            return await session.get(ArtisanProfile, conversation_id)
    finally:
        await engine.dispose()


async def test_after_thanks_for_an_faq_answer_on_telegram_every_question_then_not_again(
    stack, fake_telegram, db, session
) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    before = await stored_answers(stack)
    assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await artisan.answers_to("merci") == [THANKS, ASK_ACTIVITY]
    assert await artisan.press("Réduite") == ASK_NEED
    assert await artisan.press("Trésorerie") == ASK_TRADE, "nothing told the chamber the artisan's sector"
    assert await artisan.press("Bâtiment") == NOTED
    assert (await stored_answers(stack))[len(before):] == [("reduite", "tresorerie", "batiment", None)]
    assert (await profile_of(stack, "telegram", str(artisan.chat_id))).trade_category == "batiment"
    # Then the conversation goes on as usual, and the same thanks do not bring the barometer back this week.
    assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await artisan.answers_to("merci") == [THANKS]


async def test_skipped_at_once_on_telegram_then_the_next_two_messages_as_usual(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    before = await stored_answers(stack)
    assert await artisan.answers_to("c'est quoi le chômage partiel ?") == [answer("utter_faq_activite_partielle")]
    assert await artisan.answers_to("merci beaucoup") == [THANKS, ASK_ACTIVITY]
    assert await artisan.press("Passer") == SKIPPED
    assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await artisan.answers_to("bonjour") == [GREET]
    assert await stored_answers(stack) == before


async def test_after_a_confirmed_callback_on_whatsapp_the_known_trade_and_commune_are_reused(
    stack, fake_whatsapp, db, session
) -> None:
    artisan = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    before = await stored_answers(stack)
    for text in ("je voudrais qu'un conseiller m'appelle demain", "Sophie Martin", "06 12 34 56 78", "boulangère",
                 "chalon sur saone", "2"):  # 2: the PGE in the numbered menu of subjects
        await artisan.say(text)
    summary = await artisan.press("Le matin")
    assert "Sophie Martin" in summary, summary
    confirmed = await artisan.answers_to("oui")
    assert "RAP-" in confirmed[0] and confirmed[1:] == [ASK_ACTIVITY], "the question after the confirmation"
    assert await artisan.press("Normale") == ASK_NEED
    assert await artisan.press("Passer") == NOTED, "the sector is known from the trade: not asked"
    assert (await stored_answers(stack))[len(before):] == [("normale", None, "alimentation", "71076")]
    assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await artisan.answers_to("bonjour") == [GREET]


async def _asked(session, stack: Stack, sender: str) -> None:
    assert await chat(session, stack, sender, "c'est quoi le PGE ?") == [PGE]
    assert await chat(session, stack, sender, "merci") == [THANKS, ASK_ACTIVITY]


async def test_left_at_each_question_by_typing_the_next_two_messages_get_their_usual_answers(stack, session) -> None:
    before = await stored_answers(stack)

    at_activity = f"barometer-{uuid.uuid4().hex[:8]}"
    await _asked(session, stack, at_activity)
    assert await chat(session, stack, at_activity, "bonjour") == [GREET]
    assert await chat(session, stack, at_activity, "c'est quoi le PGE ?") == [PGE]
    # The activity's button tapped afterwards: too late, nothing recorded.
    assert await chat(session, stack, at_activity, '/barometer_activity{"activity":"normale"}') == [CLOSED]

    at_need = f"barometer-{uuid.uuid4().hex[:8]}"
    await _asked(session, stack, at_need)
    assert await chat(session, stack, at_need, '/barometer_activity{"activity":"arretee"}') == [ASK_NEED]
    assert await chat(session, stack, at_need, "au revoir") == [GOODBYE]
    assert await chat(session, stack, at_need, "c'est quoi le PGE ?") == [PGE]
    assert await chat(session, stack, at_need, '/barometer_need{"need":"clients"}') == [CLOSED]

    at_trade = f"barometer-{uuid.uuid4().hex[:8]}"
    await _asked(session, stack, at_trade)
    assert await chat(session, stack, at_trade, '/barometer_activity{"activity":"reduite"}') == [ASK_NEED]
    assert await chat(session, stack, at_trade, '/barometer_need{"need":"salaries"}') == [ASK_TRADE]
    assert await chat(session, stack, at_trade, "c'est quoi le PGE ?") == [PGE]
    assert await chat(session, stack, at_trade, "bonjour") == [GREET]

    assert await stored_answers(stack) == before, "a barometer left unfinished records nothing"
