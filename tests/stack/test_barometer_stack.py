"""The barometer on the whole stack, against the real Rasa: offered after thanks for an FAQ answer (Telegram) and
after a confirmed callback (WhatsApp), one tap per question, the sector asked only when unknown, the commune asked
once when no request gave it, stored without identity, not asked again within 7 days; asked under a broadcast the
chamber sent with it, its first tap answering (Telegram, WhatsApp); and left at each question by typing something
else (the web chat), the next two messages answered exactly as usual, nothing recorded."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import ArtisanProfile, BarometerAnswer, Conversation
from tests.stack.newsroom import Newsroom
from tests.stack.people import RESPONSES, TelegramArtisan, WhatsAppArtisan, answer, chat, next_update_id, text_of
from tests.support.fakes import telegram as tg
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
# The commune question's variation for the barometer (commune_asked_for = barometer).
ASK_COMMUNE = next(v["text"] for v in RESPONSES["utter_ask_commune_form_commune_code"] if v.get("condition"))


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
    assert await artisan.press("Bâtiment") == ASK_COMMUNE, "no request gave the commune: asked once"
    assert await artisan.say("Givry") == NOTED
    assert (await stored_answers(stack))[len(before):] == [("reduite", "tresorerie", "batiment", "71221")]
    known = await profile_of(stack, "telegram", str(artisan.chat_id))
    assert (known.trade_category, known.commune_code, known.pending_answer_id) == ("batiment", "71221", None)
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


async def test_a_broadcast_carrying_the_barometer_is_answered_by_one_tap_then_the_conversation_goes_on(
    stack, fake_telegram, fake_whatsapp, db, session
) -> None:
    telegram = TelegramArtisan(session, stack, fake_telegram, db)
    assert await telegram.answers_to("je veux recevoir les infos") == [answer("utter_offer_subscription")]
    await telegram.press("Oui, tous les sujets")
    assert await telegram.press("Passer") == answer("utter_news_commune_skipped")
    whatsapp = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    for text in ("je voudrais qu'un conseiller m'appelle demain", "Paul Girard", "06 98 76 54 32", "menuisier",
                 "givry", "2"):
        await whatsapp.say(text)
    await whatsapp.press("Le matin")
    assert (await whatsapp.answers_to("oui"))[1:] == [ASK_ACTIVITY]
    assert await whatsapp.press("Passer") == SKIPPED, "asked this week: the broadcast will not ask again"
    assert await whatsapp.say("je veux recevoir les infos") == answer("utter_offer_subscription")
    await whatsapp.say("oui")
    before = await stored_answers(stack)

    newsroom = await Newsroom.open(stack)
    try:
        news_id = await newsroom.write(title="Aides de la Région", barometer="on")
        await newsroom.act(news_id, "send")
        await newsroom.until_finished(news_id)
    finally:
        await newsroom.close()
    [sent] = [m for m in fake_telegram.sent if str(m.get("chat_id")) == str(telegram.chat_id)
              and m.get("text", "").startswith("📰 Aides de la Région")]
    assert sent["text"].endswith(ASK_ACTIVITY)
    titles = [b["text"] for row in sent["reply_markup"]["inline_keyboard"] for b in row]
    assert titles == ["Arrêtée", "Réduite", "Normale", "Passer"]
    [to_whatsapp] = [m for m in whatsapp.replies() if text_of(m).startswith("📰 Aides de la Région")]
    assert to_whatsapp.get("type") == "text" and ASK_ACTIVITY not in str(to_whatsapp), "asked this week: no question"

    # The tap on the broadcast's button answers the first question; the rest follows as in conversation.
    assert await telegram.press("Arrêtée") == ASK_NEED
    assert await telegram.press("Clients") == ASK_TRADE
    assert await telegram.press("Services") == ASK_COMMUNE
    assert await telegram.press("Passer") == NOTED
    assert (await stored_answers(stack))[len(before):] == [("arretee", "clients", "services", None)]
    # Then the artisan's next two messages get exactly their usual answers; the same buttons are not taken twice.
    assert await telegram.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await telegram.answers_to("bonjour") == [GREET]
    [normale] = [b["callback_data"] for row in sent["reply_markup"]["inline_keyboard"] for b in row if b["text"] == "Normale"]
    update = tg.callback_update(next_update_id(), telegram.chat_id, normale)
    assert [r["text"] for r in await telegram.deliver(update)] == [CLOSED]
    assert len(await stored_answers(stack)) == len(before) + 1
    # Both leave the news, so that the stack's other broadcasts do not count them.
    assert await telegram.say("stop infos") == answer("utter_news_unsubscribed")
    assert await whatsapp.say("stop infos") == answer("utter_news_unsubscribed")
