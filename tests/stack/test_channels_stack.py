"""Telegram and WhatsApp on the whole stack: real gateway, Rasa and action server; fakes of the two platforms.

The artisan's side is played with real payloads (python-telegram-bot's own classes, WhatsApp's webhook bodies)
posted to the gateway's webhooks; the bot's side is what reached the fake platform.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import signal

import pytest
from sqlalchemy import select

from bot.storage import Direction, MessageStatus, create_engine
from bot.storage.models import Conversation, Message
from tests.stack.people import (
    WHATSAPP_WEBHOOK,
    TelegramArtisan,
    WhatsAppArtisan,
    next_update_id,
    text_of,
    until,
)
from tests.support.fakes import telegram as tg
from tests.support.fakes import whatsapp as wa
from tests.support.stack import Stack

pytestmark = pytest.mark.stack


# --- Telegram -----------------------------------------------------------------------------------------------


async def test_a_callback_request_on_telegram_from_greeting_to_reference(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    assert "bonjour" in (await artisan.say("/start")).lower()
    await artisan.say("je voudrais qu'un conseiller me rappelle")
    asks_phone = await artisan.say("Sophie Martin")
    assert "téléphone" in asks_phone
    keyboard = artisan.replies()[-1]["reply_markup"]
    assert keyboard["keyboard"][0][0]["request_contact"] is True, "Telegram offers to share the number"
    await artisan.deliver(tg.contact_update(next_update_id(), artisan.chat_id, "33612345678"))
    await artisan.say("coiffeuse")
    await artisan.say("chalon sur saone")
    await artisan.press("Fonds de solidarité")
    summary = await artisan.press("Le matin")
    assert "Sophie Martin" in summary and "06 12 34 56 78" in summary
    confirmed = await artisan.press("Confirmer")
    reference = re.search(r"RAP-\d{6}", confirmed)
    assert reference, confirmed

    [stored] = await db.callbacks("telegram", str(artisan.chat_id))
    assert (stored.reference, stored.name, stored.phone) == (reference.group(), "Sophie Martin", "+33612345678")
    pressed = [c for c in fake_telegram.calls if c["method"] == "answerCallbackQuery"]
    assert len(pressed) >= 3, "every button press is acknowledged, so the phone's spinner stops"


async def test_telegram_refuses_a_webhook_without_the_secret_and_stores_nothing(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    update = tg.text_update(next_update_id(), artisan.chat_id, "bonjour")
    assert await artisan.post(update, secret=None) == 401
    assert await artisan.post(update, secret="not-the-secret") == 403
    assert await db.conversation("telegram", str(artisan.chat_id)) is None


async def test_a_redelivered_telegram_update_is_answered_once(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    update = tg.text_update(next_update_id(), artisan.chat_id, "c'est quoi le PGE ?")
    first = await artisan.deliver(update)
    assert await artisan.post(update) == 200, "Telegram redelivers when it missed our answer: we say OK"
    assert await artisan.post(update) == 200
    await asyncio.sleep(1.5)
    assert artisan.replies() == first
    assert [m.direction for m in await db.messages("telegram", str(artisan.chat_id))].count(Direction.IN) == 1


async def test_a_photo_gets_a_polite_answer_saying_what_the_bot_reads(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    [reply] = await artisan.deliver(tg.photo_update(next_update_id(), artisan.chat_id))
    assert "images" in reply["text"] and "écrire" in reply["text"]


async def test_telegram_flood_control_is_honoured_and_the_reply_arrives_once(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    fake_telegram.fail_next("sendMessage", status=429, retry_after=1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    replies = await artisan.deliver(tg.text_update(next_update_id(), artisan.chat_id, "bonjour"))
    assert loop.time() - started >= 1.0, "nothing is sent before the wait Telegram asked for"
    assert len(replies) == len({r["message_id"] for r in replies}) and "onjour" in replies[0]["text"]
    [outbound] = [m for m in await db.messages("telegram", str(artisan.chat_id)) if m.direction == Direction.OUT][:1]
    assert outbound.attempts == 2 and outbound.status == MessageStatus.SENT


async def test_concurrent_telegram_conversations_each_keep_their_order(stack, fake_telegram, db, session) -> None:
    artisans = [TelegramArtisan(session, stack, fake_telegram, db) for _ in range(8)]
    script = ["bonjour", "c'est quoi le PGE ?", "merci", "au revoir"]

    async def burst(artisan: TelegramArtisan) -> None:
        # Every message posted at once, as Telegram does for a fast typist: none waits for the previous answer.
        for text in script:
            assert await artisan.post(tg.text_update(next_update_id(), artisan.chat_id, text)) == 200
        artisan.sent = len(script)

    await asyncio.gather(*(burst(a) for a in artisans))
    for artisan in artisans:
        await until(lambda: db.settled("telegram", str(artisan.chat_id), len(script)), what="every answer")
        stored = await db.messages("telegram", str(artisan.chat_id))
        assert [m.text for m in stored if m.direction == Direction.IN] == script
        assert [m.intent for m in stored if m.direction == Direction.IN] == ["greet", "faq_pge", "thank", "goodbye"]
        sent_texts = [m.text for m in stored if m.direction == Direction.OUT]
        assert [r["text"] for r in artisan.replies()] == sent_texts, "replies reach the chat in the answers' order"


# --- WhatsApp -----------------------------------------------------------------------------------------------


async def test_a_callback_request_on_whatsapp_using_the_number_it_writes_from(stack, fake_whatsapp, db, session) -> None:
    artisan = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    await artisan.say("je voudrais qu'un conseiller me rappelle")
    asks_phone = await artisan.say("Paul Durand")
    assert "téléphone" in asks_phone
    await artisan.press("Utiliser ce numéro")
    stored = await db.messages("whatsapp", artisan.wa_id)
    assert [m.text for m in stored if m.direction == Direction.IN][-1] == f"+{artisan.wa_id}"
    await artisan.say("plombier")
    subjects = await artisan.say("Mâcon")
    # Eleven subjects: more than a list message holds, so a numbered menu answered with a number.
    assert "1. Fonds de solidarité" in subjects and "11. Autre" in subjects
    await artisan.say("1")
    await artisan.press("Le matin")
    confirmed = await artisan.press("Confirmer")
    reference = re.search(r"RAP-\d{6}", confirmed)
    assert reference, confirmed

    [stored] = await db.callbacks("whatsapp", artisan.wa_id)
    assert (stored.name, stored.phone, stored.commune_name) == ("Paul Durand", f"+{artisan.wa_id}", "Mâcon")


async def test_whatsapp_refuses_a_missing_or_wrong_signature_and_stores_nothing(stack, fake_whatsapp, db, session) -> None:
    artisan = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    body = wa.text_message(artisan.wa_id, "bonjour")
    assert await artisan.post(body, headers={}) == 401
    assert await artisan.post(body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64}) == 403
    assert await db.conversation("whatsapp", artisan.wa_id) is None


async def test_whatsapp_verification_handshake(stack, session) -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": stack.env["WHATSAPP_VERIFY_TOKEN"], "hub.challenge": "1158201444"}
    async with session.get(f"{stack.url}{WHATSAPP_WEBHOOK}", params=query) as response:
        assert (response.status, await response.text()) == (200, "1158201444")
    async with session.get(f"{stack.url}{WHATSAPP_WEBHOOK}", params={**query, "hub.verify_token": "no"}) as response:
        assert response.status == 403


async def test_a_redelivered_whatsapp_message_is_answered_once_and_statuses_are_recorded(
    stack, fake_whatsapp, db, session
) -> None:
    artisan = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    body = wa.text_message(artisan.wa_id, "comment avoir le fonds de solidarité ?")
    first = await artisan.deliver(body)
    assert await artisan.post(body) == 200
    await asyncio.sleep(1.5)
    assert artisan.replies() == first
    [outbound] = [m for m in await db.messages("whatsapp", artisan.wa_id) if m.direction == Direction.OUT][:1]
    assert outbound.platform_message_id == first[0]["id"]

    for status in ("delivered", "read"):
        assert await artisan.post(wa.status_update(outbound.platform_message_id, status, recipient_id=artisan.wa_id)) == 200
    [outbound] = [m for m in await db.messages("whatsapp", artisan.wa_id) if m.direction == Direction.OUT][:1]
    assert outbound.status == MessageStatus.READ


async def test_whatsapp_throughput_limit_backs_off_and_retries(stack, fake_whatsapp, db, session) -> None:
    artisan = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    fake_whatsapp.fail_next(code=130429, times=2)
    replies = await artisan.deliver(wa.text_message(artisan.wa_id, "bonjour"))
    assert len(replies) >= 1 and "onjour" in text_of(replies[0])
    [outbound] = [m for m in await db.messages("whatsapp", artisan.wa_id) if m.direction == Direction.OUT][:1]
    assert (outbound.status, outbound.attempts) == (MessageStatus.SENT, 3)


# --- The message path survives the gateway being killed -----------------------------------------------------


def gateway_pid(stack: Stack) -> int:
    for pid in stack.group_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except FileNotFoundError:
            continue
        if b"bot" in argv and b"serve" in argv:
            return pid
    raise AssertionError("no gateway process in the stack")


async def test_the_gateway_killed_mid_conversation_loses_nothing_and_repeats_nothing(
    stack, fake_telegram, db, session
) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    # Telegram is slow to take our replies, so the kill lands while answers wait in the outbox.
    fake_telegram.fail_next("sendMessage", status=429, retry_after=3)
    tried = len([c for c in fake_telegram.calls if c["method"] == "sendMessage"])
    script = ["bonjour", "c'est quoi le PGE ?", "et le chômage partiel ?", "merci"]
    for text in script:
        assert await artisan.post(tg.text_update(next_update_id(), artisan.chat_id, text)) == 200
    artisan.sent = len(script)
    await fake_telegram.until(lambda: len([c for c in fake_telegram.calls if c["method"] == "sendMessage"]) > tried, 60)
    old = gateway_pid(stack)
    os.kill(old, signal.SIGKILL)

    async def restarted() -> bool:
        try:
            return gateway_pid(stack) != old
        except AssertionError:
            return False

    await until(restarted, 60, "the supervisor to restart the gateway")
    await until(lambda: db.settled("telegram", str(artisan.chat_id), len(script)), 120, "every answer")
    stored = await db.messages("telegram", str(artisan.chat_id))
    assert [m.text for m in stored if m.direction == Direction.IN] == script
    sent = [m.text for m in stored if m.direction == Direction.OUT]
    assert [r["text"] for r in artisan.replies()] == sent, "every answer reached the artisan once, in order"
    assert all(m.status == MessageStatus.SENT for m in stored if m.direction == Direction.OUT)


# --- WhatsApp's 24-hour window on the whole path --------------------------------------------------------------


def whatsapp_settings(stack: Stack, fake: wa.FakeWhatsApp, database_url: str, **changes):  # type: ignore[no-untyped-def]
    from dataclasses import replace

    return replace(
        stack.settings,
        database_url=database_url,
        whatsapp_access_token=fake.access_token,
        whatsapp_app_secret=fake.app_secret,
        whatsapp_verify_token=stack.env["WHATSAPP_VERIFY_TOKEN"],
        whatsapp_phone_number_id=fake.phone_number_id,
        whatsapp_api_url=fake.url,
        **changes,
    )


async def age_conversation(database_url: str, wa_id: str, hours: float) -> None:
    """Move the artisan's messages `hours` into the past, as if the gateway had been down that long."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            conversation_id = await connection.scalar(
                select(Conversation.id).where(Conversation.channel == "whatsapp", Conversation.external_id == wa_id)
            )
            await connection.execute(
                update(Message)
                .where(Message.conversation_id == conversation_id)
                .values(created_at=datetime.now(UTC) - timedelta(hours=hours))
            )
    finally:
        await engine.dispose()


async def post_signed(client, fake: wa.FakeWhatsApp, body: dict) -> None:  # type: ignore[no-untyped-def]
    raw, headers = fake.signed(body)
    response = await client.post(WHATSAPP_WEBHOOK, data=raw, headers=headers)
    assert response.status == 200


@pytest.mark.parametrize("template", ["", "crisisbot_reponse"])
async def test_an_answer_due_after_the_24_hour_window_is_held_or_sent_as_the_template(
    aiohttp_client, stack, fake_whatsapp, sqlite_url, template
) -> None:
    from bot import appkeys
    from bot.app import create_app

    wa_id = f"3361{random.randrange(10**7):07d}"
    # The artisan writes while Rasa is down; the gateway stops; a day and more passes.
    down = await aiohttp_client(create_app(whatsapp_settings(stack, fake_whatsapp, sqlite_url, rasa_port=9)))
    await post_signed(down, fake_whatsapp, wa.text_message(wa_id, "c'est quoi le PGE ?"))
    await down.close()
    await age_conversation(sqlite_url, wa_id, hours=25)

    # Back up: the answer is ready, but WhatsApp's window closed an hour ago.
    client = await aiohttp_client(
        create_app(whatsapp_settings(stack, fake_whatsapp, sqlite_url, whatsapp_template=template))
    )
    log = client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("whatsapp", wa_id)

    async def answer_left_the_outbox() -> bool:
        out = [m for m in await log.transcript(conversation.id) if m.direction == Direction.OUT]
        return bool(out) and all(m.status != MessageStatus.PENDING for m in out)

    await until(answer_left_the_outbox, what="the late answer to leave the outbox")
    [late] = [m for m in await log.transcript(conversation.id) if m.direction == Direction.OUT][:1]
    to_artisan = [m for m in fake_whatsapp.sent if m.get("to") == wa_id]
    if not template:
        assert late.status == MessageStatus.HELD and "24 h" in late.error
        assert to_artisan == [], "no free text outside the window"
        # The artisan writes again: the held answer goes first, then the answer to the new message.
        await post_signed(client, fake_whatsapp, wa.text_message(wa_id, "merci"))
        await fake_whatsapp.until(lambda: len([m for m in fake_whatsapp.sent if m.get("to") == wa_id]) >= 2, 60)
        texts = fake_whatsapp.texts_to(wa_id)
        assert "PGE" in texts[0] and late.text.split("\n")[0][:40] in texts[0]
        assert (await log.get(late.id)).status == MessageStatus.SENT
    else:
        assert late.status == MessageStatus.SENT and template in (late.error or "")
        [sent] = to_artisan
        assert sent["type"] == "template" and sent["template"]["name"] == template
        parameter = sent["template"]["components"][0]["parameters"][0]["text"]
        assert "PGE" in parameter and "\n" not in parameter
