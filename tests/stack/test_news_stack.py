"""The chamber's news on the whole stack: artisans subscribe in conversation (Telegram, WhatsApp, the web chat), an
admin sends a broadcast from the staff pages, a reply to it is an ordinary message, "stop infos" is honoured;
WhatsApp outside its window gets nothing without a template (SQLite stack) and the template with one (PostgreSQL
stack); a broadcast stops mid-send, overtaken by a conversation's replies; a gateway killed mid-send resumes with
nobody sent it twice and nobody missed."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
import uuid
from collections import Counter

import pytest

from tests.conftest import NEWS_TEMPLATE
from tests.stack.newsroom import Newsroom, deliveries, subscribers
from tests.stack.people import TelegramArtisan, WhatsAppArtisan, answer, chat, history, next_update_id, until
from tests.support.fakes import telegram as tg

pytestmark = pytest.mark.stack

SUBSCRIBED_EVERYTHING = (
    "C'est noté : vous recevrez ici les annonces de la Chambre sur tous les sujets. Pour arrêter, écrivez « stop infos »."
)
ASKS_COMMUNE = answer("utter_ask_commune_form_commune_code")
PGE = answer("utter_faq_pge")
THANKS = answer("utter_thank")
# Thanks for an FAQ answer bring the barometer's question, once a week per conversation (tests/stack/test_barometer_stack.py).
BAROMETER = answer("utter_barometer_ask_activity")


def broadcast_texts(fake, chat: str) -> list[str]:
    return [text for text in fake.texts_to(chat) if text.startswith("📰")]


async def test_subscribe_receive_reply_and_stop_on_every_channel(stack, fake_telegram, fake_whatsapp, db, session) -> None:
    telegram = TelegramArtisan(session, stack, fake_telegram, db)
    offer = await telegram.answers_to("je veux recevoir les infos")
    assert offer == [answer("utter_offer_subscription")]
    assert await telegram.press("Oui, tous les sujets") == f"{SUBSCRIBED_EVERYTHING}\n{ASKS_COMMUNE}"
    assert await telegram.say("Givry") == "Merci : vous recevrez aussi les annonces qui concernent Givry."
    # After the form, the artisan's next two messages get exactly their answers.
    assert await telegram.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await telegram.answers_to("merci") == [THANKS, BAROMETER]

    whatsapp = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    assert await whatsapp.say("abonnez-moi aux nouvelles mesures") == answer("utter_offer_subscription")
    assert await whatsapp.say("oui") == f"{SUBSCRIBED_EVERYTHING}\n{ASKS_COMMUNE}"
    assert await whatsapp.press("Passer") == answer("utter_news_commune_skipped")
    assert await whatsapp.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await whatsapp.answers_to("merci") == [THANKS, BAROMETER]

    web = f"news-{uuid.uuid4().hex[:8]}"
    await chat(session, stack, web, "je veux recevoir les infos")
    await chat(session, stack, web, "/confirm_subscription{\"subject\":\"faq_apprentissage\"}")
    assert (await chat(session, stack, web, "passer")) == [answer("utter_news_commune_skipped")]

    newsroom = await Newsroom.open(stack)
    try:
        news_id = await newsroom.write(title="Marchés de Noël maintenus")
        reachable, _ = await newsroom.reachable(news_id)
        assert reachable >= 3
        await newsroom.act(news_id, "send")
        progress = await newsroom.until_finished(news_id)
        assert progress["waiting"] == 0 and progress["failed"] == 0

        [received] = broadcast_texts(fake_telegram, str(telegram.chat_id))
        assert received.startswith("📰 Marchés de Noël maintenus\n\n") and received.endswith("écrivez « stop infos ».")
        assert broadcast_texts(fake_whatsapp, whatsapp.wa_id) == [received], "inside the window: the same text"
        assert (await history(session, stack, web))[-1] == received, "the web chat keeps it in the conversation"

        # A reply to a broadcast is an ordinary message; then the latest news are the bot's answer.
        assert await telegram.answers_to("merci") == [THANKS]
        latest = await telegram.say("quoi de neuf ?")
        assert latest.startswith("Les dernières annonces :\n• Marchés de Noël maintenus (Préfecture · en vigueur le 5 décembre 2020)")

        # "stop infos" is honoured: the next broadcast reaches the others only.
        assert await telegram.say("stop infos") == answer("utter_news_unsubscribed")
        assert await telegram.answers_to("merci") == [THANKS]
        assert await telegram.answers_to("c'est quoi le PGE ?") == [PGE]
        second = await newsroom.write(title="Couvre-feu à 20 h")
        await newsroom.act(second, "send")
        await newsroom.until_finished(second)
        assert len(broadcast_texts(fake_whatsapp, whatsapp.wa_id)) == 2
        assert len(broadcast_texts(fake_telegram, str(telegram.chat_id))) == 1, "unsubscribed: nothing more"
    finally:
        await newsroom.close()


async def test_telegrams_stop_infos_command_and_an_faq_answer_offering_the_news(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    await artisan.answers_to("c'est quoi le PGE ?")
    buttons = [b["text"] for row in artisan.replies()[-1]["reply_markup"]["inline_keyboard"] for b in row]
    assert buttons == ["Recevoir les annonces"], "not subscribed: offered under the answer"
    assert await artisan.press("Recevoir les annonces") == answer("utter_offer_subscription")
    await artisan.press("Un seul sujet")
    subscribed = await artisan.press("Apprentissage")
    assert subscribed.startswith("C'est noté : vous recevrez ici les annonces de la Chambre sur le sujet « Apprentissage »")
    await artisan.press("Passer")
    await artisan.deliver(tg.text_update(next_update_id(), artisan.chat_id, "/stop_infos"))
    assert artisan.texts()[-1] == answer("utter_news_unsubscribed")
    assert await artisan.answers_to("merci") == [THANKS]


async def test_whatsapp_outside_the_window_without_a_template_is_skipped_never_sent(stack, fake_whatsapp) -> None:
    inside = await subscribers(stack, "whatsapp", 2, wrote_hours_ago=2)
    outside = await subscribers(stack, "whatsapp", 3, wrote_hours_ago=30)
    newsroom = await Newsroom.open(stack)
    try:
        news_id = await newsroom.write(channels="whatsapp")
        page = await newsroom.page(news_id)
        assert "Aucun modèle d’annonce approuvé (WHATSAPP_NEWS_TEMPLATE)" in page
        reachable, unreachable = await newsroom.reachable(news_id)
        assert unreachable >= 3 and reachable >= 2
        await newsroom.act(news_id, "send")
        progress = await newsroom.until_finished(news_id)
        assert progress["skipped"] >= 3 and any("WHATSAPP_NEWS_TEMPLATE" in r for r, _ in progress["reasons"])
        assert all(fake_whatsapp.sent_to(chat) == [] for chat in outside), "never free text outside the window"
        assert all(len(fake_whatsapp.sent_to(chat)) == 1 for chat in inside)
    finally:
        await newsroom.close()


async def test_a_conversation_is_answered_during_a_broadcast_which_then_stops(stack, fake_telegram, db, session) -> None:
    # Telegram takes 30 messages a second: 600 recipients keep the broadcast busy for 20 seconds.
    chats = await subscribers(stack, "telegram", 600)
    newsroom = await Newsroom.open(stack)
    try:
        news_id = await newsroom.write(channels="telegram")
        await newsroom.act(news_id, "send")
        await until(lambda: _started(newsroom, news_id), 30, "the first sends")
        artisan = TelegramArtisan(session, stack, fake_telegram, db)
        asked = time.monotonic()
        assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
        assert await artisan.answers_to("merci") == [THANKS, BAROMETER]
        answered_in = time.monotonic() - asked
        during = await newsroom.progress(news_id)
        assert during["status"] == "sending" and during["waiting"] > 100, f"answered in {answered_in:.1f} s, mid-broadcast"

        await newsroom.act(news_id, "stop")
        stopped = await newsroom.progress(news_id)
        assert stopped["status"] == "stopped"
        reached = sum(len(broadcast_texts(fake_telegram, chat)) for chat in chats)
        await asyncio.sleep(2)
        after = sum(len(broadcast_texts(fake_telegram, chat)) for chat in chats)
        assert after <= reached + 16, "only what was in flight lands"
        final = await newsroom.progress(news_id)
        assert final["stopped"] > 100 and final["waiting"] == 0
        assert final["sent"] + final["delivered"] + final["read"] + final["stopped"] + final["failed"] == 600
    finally:
        await newsroom.close()


async def _started(newsroom: Newsroom, news_id: int) -> bool:
    progress = await newsroom.progress(news_id)
    return progress["sent"] >= 20


# --- On PostgreSQL, with an approved template ----------------------------------------------------------------


async def test_whatsapp_outside_the_window_gets_the_approved_template(postgres_stack) -> None:
    stack, fake = postgres_stack.stack, postgres_stack.whatsapp
    [outside] = await subscribers(stack, "whatsapp", 1, wrote_hours_ago=30)
    [inside] = await subscribers(stack, "whatsapp", 1, wrote_hours_ago=1)
    newsroom = await Newsroom.open(stack)
    try:
        news_id = await newsroom.write(title="Couvre-feu à 20 h", channels="whatsapp")
        page = await newsroom.page(news_id)
        assert f"Modèle approuvé <code>{NEWS_TEMPLATE}</code>" in page
        await newsroom.act(news_id, "send")
        await newsroom.until_finished(news_id)
    finally:
        await newsroom.close()
    [template] = fake.sent_to(outside)
    assert template["type"] == "template" and template["template"]["name"] == NEWS_TEMPLATE
    parameters = [p["text"] for c in template["template"]["components"] for p in c["parameters"]]
    assert parameters[0] == "Couvre-feu à 20 h" and "(Préfecture · en vigueur le 5 décembre 2020)" in parameters[1]
    [text] = fake.sent_to(inside)
    assert text["type"] == "text" and text["text"]["body"].startswith("📰 Couvre-feu à 20 h")


async def test_a_gateway_killed_mid_broadcast_resumes_with_no_one_twice_and_no_one_missed(postgres_stack) -> None:
    stack, telegram, whatsapp = postgres_stack.stack, postgres_stack.telegram, postgres_stack.whatsapp
    tg_chats = await subscribers(stack, "telegram", 150)
    wa_chats = await subscribers(stack, "whatsapp", 150)
    title = "📰 Reconfinement : ce qui change"

    def accepted() -> int:
        """Every copy the platforms took, whoever it went to (earlier tests' subscribers receive it too)."""
        return sum(1 for message in telegram.sent if (message["text"] or "").startswith(title)) + sum(
            1 for body in whatsapp.sent if _carries(body, title)
        )

    newsroom = await Newsroom.open(stack)
    try:
        news_id = await newsroom.write(title=title.removeprefix("📰 "))
        await newsroom.act(news_id, "send")
        await until(lambda: _started(newsroom, news_id), 60, "the first sends")
        # The platforms stall before accepting: sends are in flight, and every send they accepted is recorded.
        telegram.hold()
        whatsapp.hold()
        await until(lambda: _recorded(newsroom, news_id, accepted()), 30, "the accepted sends recorded")
        gateway = _gateway_pid(stack)
        os.kill(gateway, signal.SIGKILL)
        await until(lambda: _restarted(stack, gateway), 60, "the supervisor restarting the gateway")
        telegram.release()
        whatsapp.release()
        await newsroom.close()
        newsroom = await Newsroom.open(stack)
        progress = await newsroom.until_finished(news_id, timeout=180)
    finally:
        telegram.release()
        whatsapp.release()
        await newsroom.close()
    assert progress["status"] == "sent" and progress["waiting"] == 0
    assert accepted() == progress["total"] == len(await deliveries(stack, news_id)), "each recipient once"
    copies = Counter(
        sum(1 for text in fake.texts_to(chat) if text.startswith(title))
        for fake, chats in ((telegram, tg_chats), (whatsapp, wa_chats)) for chat in chats
    )
    assert copies == Counter({1: 300}), f"recipients by number of copies received: {dict(copies)}"


def _carries(body: dict, title: str) -> bool:
    """A WhatsApp message that is this news item: as text, or as the template (its first parameter the title)."""
    if body.get("type") == "text":
        return body["text"]["body"].startswith(title)
    if body.get("type") == "template":
        parameters = [p.get("text") for c in body["template"].get("components", []) for p in c.get("parameters", [])]
        return bool(parameters) and parameters[0] == title.removeprefix("📰 ")
    return False


async def _recorded(newsroom: Newsroom, news_id: int, accepted: int) -> bool:
    progress = await newsroom.progress(news_id)
    return progress["sent"] + progress["delivered"] + progress["read"] == accepted and progress["waiting"] > 0


def _gateway_pid(stack) -> int:
    out = subprocess.run(["ps", "-eo", "pid=,args="], capture_output=True, text=True).stdout
    family = set(stack.group_pids())
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        if int(pid) in family and args.endswith("-m bot serve"):
            return int(pid)
    raise AssertionError("no gateway process")


async def _restarted(stack, killed: int) -> bool:
    try:
        return _gateway_pid(stack) != killed and await _healthy(stack)
    except AssertionError:
        return False


async def _healthy(stack) -> bool:
    import aiohttp

    try:
        async with aiohttp.ClientSession() as session, session.get(f"{stack.url}/healthz") as response:
            return response.status == 200
    except aiohttp.ClientError:
        return False
