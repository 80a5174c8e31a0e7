"""The Telegram channel against a fake Bot API: what is stored from each update, and what the artisan receives.

Rasa is not running (an engine address where nothing listens): text messages are stored and wait for it;
what the router answers itself (a photo, an edit) goes out through the outbox to the fake.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import replace

import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot import appkeys
from bot.app import create_app
from bot.channels.base import DeliveryFailed, Outgoing, RetryLater
from bot.channels.telegram import ALLOWED_UPDATES, SECRET_HEADER, SHARE_PHONE, TelegramChannel, split_text
from bot.errors import ConfigurationError
from bot.messaging import replies
from bot.settings import Settings
from bot.storage import Direction, Message
from tests.support.fakes.telegram import (
    FakeTelegram,
    callback_update,
    contact_update,
    edited_update,
    message_update,
    photo_update,
    text_update,
    voice_update,
)

WEBHOOK = "/webhooks/telegram/webhook"
SECRET = secrets.token_urlsafe(24)  # as an operator makes one
PUBLIC_URL = "https://crisisbot.example.fr/webhooks/telegram/webhook"
CHAT = 424242


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    yield server
    server.stop()


@pytest.fixture
def settings(sqlite_url: str, fake: FakeTelegram) -> Settings:
    return replace(
        Settings(),
        database_url=sqlite_url,
        engine_token="test-token",
        rasa_port=9,
        actions_port=9,
        telegram_bot_token=fake.token,
        telegram_api_url=fake.url,
        telegram_webhook_secret=SECRET,
        telegram_webhook_url=PUBLIC_URL,
    )


@pytest.fixture
async def client(settings: Settings, aiohttp_client):  # the fake (in settings) outlives the gateway
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def channel(settings: Settings):
    """The channel on its own (no gateway around it), connected to the fake."""
    telegram = TelegramChannel(replace(settings, telegram_webhook_url=""))
    await telegram.start(web.Application())
    yield telegram
    await telegram.stop()


async def post(client, update: dict, secret: str | None = SECRET):
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return await client.post(WEBHOOK, json=update, headers=headers)


async def stored_count(client) -> int:
    async with client.app[appkeys.DATABASE].connect() as connection:
        return await connection.scalar(select(func.count()).select_from(Message))


async def inbound(client, chat_id: int = CHAT) -> list[Message]:
    log = client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("telegram", str(chat_id))
    if conversation is None:
        return []
    return [m for m in await log.transcript(conversation.id) if m.direction == Direction.IN]


async def eventually(read, check, timeout: float = 10.0):
    """What `read()` gives once `check` accepts it; AssertionError after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await read()
        if check(value):
            return value
        assert asyncio.get_running_loop().time() < deadline, f"still {value!r} after {timeout} s"
        await asyncio.sleep(0.05)


async def the_only_inbound(client, update: dict, chat_id: int = CHAT) -> Message:
    response = await post(client, update)
    assert response.status == 200 and await response.json() == {}
    [message] = await inbound(client, chat_id)
    return message


# --- the webhook's door -------------------------------------------------------------------------------------


async def test_a_missing_secret_is_401_and_a_wrong_one_403_and_nothing_is_stored(client) -> None:
    response = await post(client, text_update(1, CHAT, "Bonjour"), secret=None)
    assert response.status == 401 and "secret" in (await response.json())["error"]
    response = await post(client, text_update(1, CHAT, "Bonjour"), secret="not-the-secret")
    assert response.status == 403 and "secret" in (await response.json())["error"]
    assert await stored_count(client) == 0


async def test_an_unreadable_update_is_400_and_nothing_is_stored(client) -> None:
    response = await post(client, {"hello": "world"})
    assert response.status == 400 and "illisible" in (await response.json())["error"]
    response = await client.post(WEBHOOK, data=b"{not json", headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
    assert response.status == 400
    assert await stored_count(client) == 0


async def test_an_update_this_library_cannot_parse_is_acknowledged_so_telegram_does_not_resend_it(client) -> None:
    response = await post(client, {"update_id": 5, "message": {"message_id": 1, "chat": {"id": CHAT, "type": "private"}}})
    assert response.status == 200  # no "date": python-telegram-bot refuses it
    assert await stored_count(client) == 0


@pytest.mark.parametrize("chat_id", ["x\u0000y", "x\ud800", "424242", 4.2, True])
async def test_a_chat_id_that_is_not_an_integer_is_acknowledged_and_stored_nowhere(client, chat_id) -> None:
    """python-telegram-bot keeps the JSON's value: "x\\u0000y" would have been stored as another chat's id."""
    for update in (text_update(7, CHAT, "Bonjour"), callback_update(8, CHAT, "b:1:0")):
        shown = update.get("message") or update["callback_query"]["message"]
        shown["chat"]["id"] = chat_id
        if "callback_query" in update:
            update["callback_query"]["from"]["id"] = chat_id
        response = await post(client, update)
        assert response.status == 200
    assert await stored_count(client) == 0


@pytest.mark.parametrize("depth", [900, 1000, 100_000])
async def test_an_update_nested_too_deep_is_acknowledged_with_a_warning_without_its_body(client, caplog, depth) -> None:
    update = text_update(6, CHAT, "Bonjour, secret 0611223344")
    raw = json.dumps(update)[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    response = await client.post(WEBHOOK, data=raw.encode(), headers={SECRET_HEADER: SECRET, "Content-Type": "application/json"})
    assert response.status == 200  # else Telegram sends it again and holds the updates behind it
    assert await stored_count(client) == 0
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("bot.")]
    assert "0611223344" not in caplog.text and "[[" not in caplog.text and not warning.exc_info


async def test_a_message_is_stored_once_even_when_telegram_delivers_it_twice(client) -> None:
    update = text_update(10, CHAT, "Bonjour, j'ai une question sur le PGE", first_name="Marie")
    message = await the_only_inbound(client, update)
    assert message.text == "Bonjour, j'ai une question sur le PGE"
    assert message.platform_message_id == "u10" and message.channel == "telegram"
    assert message.payload == {"first_name": "Marie"}
    response = await post(client, update)  # Telegram did not see our first answer and sends it again
    assert response.status == 200
    assert len(await inbound(client)) == 1


@pytest.mark.parametrize(
    "written, stored",
    [
        ("/start", "/greet"),
        ("/start@crisisbot_test_bot", "/greet"),
        ("/aide", "/help"),
        ("/help", "/help"),
        ("/stop", "/stop"),
        ("/menu", "menu"),
        ('/inform{"phone": "0600000000"}', 'inform{"phone": "0600000000"}'),
        ("/pge@crisisbot_test_bot prêt garanti", "pge prêt garanti"),
        ("/START\nmerci", "/greet"),
        ("/", ""),
    ],
)
async def test_commands_become_our_intents_and_other_slashes_plain_text(client, written: str, stored: str) -> None:
    message = await the_only_inbound(client, text_update(20, CHAT, written))
    assert message.text == stored


async def test_an_inline_button_press_is_the_stored_buttons_payload_and_its_spinner_stops(client, fake) -> None:
    first = await the_only_inbound(client, text_update(30, CHAT, "/start"))
    buttons = [{"title": "Fonds de solidarité", "payload": "/faq_fonds_solidarite"}, {"title": "PGE", "payload": "/faq_pge"}]
    [menu] = await client.app[appkeys.MESSAGE_LOG].record_answer(first, [{"text": "Choisissez un sujet", "buttons": buttons}])

    response = await post(client, callback_update(31, CHAT, f"b:{menu.id}:1"))
    assert response.status == 200
    pressed = (await inbound(client))[-1]
    assert (pressed.text, pressed.payload["button"], pressed.platform_message_id) == ("/faq_pge", "PGE", "u31")
    await fake.until(lambda: "answerCallbackQuery" in fake.methods(), timeout=5)
    [answer] = [call for call in fake.calls if call["method"] == "answerCallbackQuery"]
    assert answer["params"]["callback_query_id"] == "cq31"


async def test_a_stale_or_foreign_button_is_not_read_as_a_choice(client, fake) -> None:
    other_chat = 777
    first = await the_only_inbound(client, text_update(40, other_chat, "/start"), chat_id=other_chat)
    [theirs] = await client.app[appkeys.MESSAGE_LOG].record_answer(
        first, [{"text": "Menu", "buttons": [{"title": "Oui", "payload": "/affirm"}]}]
    )
    for update_id, data in ((41, f"b:{theirs.id}:0"), (42, "b:999999:0"), (43, "something else")):
        assert (await post(client, callback_update(update_id, CHAT, data))).status == 200
    pressed = await inbound(client)
    assert [(m.text, m.payload["kind"]) for m in pressed] == [("", "other")] * 3
    # The artisan is told the bot only reads text, and the spinners stop.
    await fake.until(lambda: fake.texts_to(CHAT).count(replies.CANNOT_READ["other"]) == 3, timeout=10)
    await fake.until(lambda: fake.methods().count("answerCallbackQuery") == 3, timeout=5)


@pytest.mark.parametrize("data", ["b:" + "9" * 23 + ":0", "b:1:" + "9" * 23, "b:" + "9" * 19 + ":0", "b:1:1000", 12345])
async def test_a_button_id_beyond_the_databases_integers_is_a_stale_button(client, fake, data) -> None:
    await the_only_inbound(client, text_update(44, CHAT, "/start"))
    update = callback_update(45, CHAT, "b:1:0")
    update["callback_query"]["data"] = data
    response = await post(client, update)
    assert response.status == 200
    pressed = (await inbound(client))[-1]
    assert (pressed.text, pressed.payload["kind"]) == ("", "other")


async def test_the_artisans_shared_number_is_stored_in_e164(client) -> None:
    message = await the_only_inbound(client, contact_update(50, CHAT, "33612345678"))
    assert message.text == "+33612345678"
    assert message.payload["contact"] is True


@pytest.mark.parametrize(
    "update, kind, text",
    [
        pytest.param(photo_update(60, CHAT, caption="ma facture"), "photo", "ma facture", id="photo"),
        pytest.param(voice_update(60, CHAT), "voice", "", id="voice"),
        pytest.param(edited_update(60, CHAT, "PGE corrigé"), "edited", "PGE corrigé", id="edited"),
        pytest.param(contact_update(60, CHAT, "33600000000", own=False), "contact", "", id="someone else's contact"),
    ],
)
async def test_what_the_bot_cannot_read_is_stored_with_its_kind_and_answered(client, fake, update, kind, text) -> None:
    message = await the_only_inbound(client, update)
    assert (message.payload["kind"], message.text) == (kind, text)
    await fake.until(lambda: fake.texts_to(CHAT) == [replies.CANNOT_READ[kind]], timeout=10)


def _with(update: dict, path: str, value) -> dict:
    """The update with one field (a dotted path) set to what Telegram never sends there."""
    *parents, last = path.split(".")
    holder = update
    for key in parents:
        holder = holder[key]
    holder[last] = value
    return update


@pytest.mark.parametrize("value", [5, 3.5, True, {"text": "Bonjour"}, ["Bonjour"]], ids=repr)
@pytest.mark.parametrize(
    "update, path",
    [
        pytest.param(text_update(90, CHAT, "Bonjour"), "message.text", id="text"),
        pytest.param(edited_update(90, CHAT, "Bonjour"), "edited_message.text", id="edited text"),
        pytest.param(photo_update(90, CHAT, caption="ma facture"), "message.caption", id="caption"),
    ],
)
async def test_a_text_that_is_not_a_string_is_acknowledged_as_unsupported_content(client, fake, update, path, value) -> None:
    message = await the_only_inbound(client, _with(copy.deepcopy(update), path, value))
    assert (message.payload["kind"], message.text) == ("other", "")
    await fake.until(lambda: fake.texts_to(CHAT) == [replies.CANNOT_READ["other"]], timeout=10)


@pytest.mark.parametrize("value", [5, {"x": "Marie"}, ["Marie"]], ids=repr)
async def test_a_first_name_that_is_not_a_string_is_left_out_and_the_message_kept(client, value) -> None:
    message = await the_only_inbound(client, _with(text_update(91, CHAT, "Bonjour"), "message.from.first_name", value))
    assert message.text == "Bonjour" and "first_name" not in (message.payload or {})


@pytest.mark.parametrize("value", [5, ["facture.pdf"]], ids=repr)
async def test_a_document_whose_name_is_not_a_string_is_stored_without_it(client, fake, value) -> None:
    update = text_update(93, CHAT, "x")
    del update["message"]["text"]
    update["message"]["document"] = {"file_id": "f1", "file_unique_id": "u1", "file_name": value}
    message = await the_only_inbound(client, update)
    assert message.payload["kind"] == "document" and "file_name" not in message.payload
    await fake.until(lambda: fake.texts_to(CHAT) == [replies.CANNOT_READ["document"]], timeout=10)


@pytest.mark.parametrize(
    "update",
    [
        pytest.param(
            {"update_id": 70, "channel_post": {"message_id": 1, "date": 1, "chat": {"id": -100, "type": "channel"}, "text": "x"}},
            id="channel post",
        ),
        pytest.param(
            {"update_id": 71, "message": {"message_id": 1, "date": 1, "chat": {"id": -5, "type": "group"}, "text": "x"}},
            id="group message",
        ),
        pytest.param(
            {"update_id": 72, "poll": {"id": "p", "question": "?", "options": [], "total_voter_count": 0, "is_closed": False,
                                        "is_anonymous": True, "type": "regular", "allows_multiple_answers": False}},
            id="poll",
        ),
        pytest.param(message_update(73, CHAT, new_chat_title="service message"), id="service message"),
    ],
)
async def test_updates_we_do_not_handle_are_acknowledged_and_not_stored(client, update) -> None:
    response = await post(client, update)
    assert response.status == 200
    assert await stored_count(client) == 0


async def test_no_name_phone_token_or_secret_is_logged_at_info(client, caplog) -> None:
    caplog.set_level(logging.INFO)
    await the_only_inbound(client, contact_update(80, CHAT, "33611223344", first_name="Gwendoline"))
    assert not any(word in caplog.text for word in ("33611223344", "Gwendoline", SECRET, client.app[appkeys.SETTINGS].telegram_bot_token))


async def test_sending_logs_no_token_at_info(channel, fake, caplog) -> None:
    caplog.set_level(logging.INFO)  # httpx logs each request's URL (with the token) at INFO
    await channel.send(outgoing())
    assert fake.texts_to(CHAT) == ["Bonjour"] and fake.token not in caplog.text


# --- connecting ---------------------------------------------------------------------------------------------


async def test_webhook_mode_registers_the_webhook_with_its_secret(client, fake) -> None:
    assert fake.webhook == {"url": PUBLIC_URL, "secret_token": SECRET, "allowed_updates": ALLOWED_UPDATES}


async def test_a_refused_webhook_registration_is_logged_and_the_gateway_runs(fake, settings, aiohttp_client, caplog) -> None:
    fake.fail_next("setWebhook", status=400, description="Bad Request: bad webhook: HTTPS url must be provided")
    client = await aiohttp_client(create_app(settings))
    assert "webhook" in caplog.text and SECRET not in caplog.text
    assert fake.webhook is None
    assert (await post(client, text_update(90, CHAT, "Bonjour"))).status == 200


async def test_a_token_telegram_rejects_stops_the_start_without_showing_the_token(settings) -> None:
    rejected = TelegramChannel(replace(settings, telegram_bot_token="999:WRONG-TOKEN"))
    try:
        with pytest.raises(ConfigurationError) as raised:
            await rejected.start(web.Application())
        assert "TELEGRAM_BOT_TOKEN" in str(raised.value) and "WRONG-TOKEN" not in str(raised.value)
    finally:
        await rejected.stop()


async def test_an_unreachable_telegram_at_start_does_not_stop_the_gateway(settings, caplog) -> None:
    offline = TelegramChannel(replace(settings, telegram_api_url="http://127.0.0.1:9"))
    await offline.start(web.Application())
    assert "unreachable" in caplog.text
    await offline.stop()


async def test_polling_mode_picks_up_an_update_and_stores_it(fake, settings, aiohttp_client) -> None:
    fake.webhook = {"url": "https://old.example/hook", "secret_token": None, "allowed_updates": None}
    client = await aiohttp_client(create_app(replace(settings, telegram_mode="polling", telegram_webhook_secret="")))
    assert fake.webhook is None and "deleteWebhook" in fake.methods()
    fake.push_update(text_update(100, CHAT, "/aide"))
    fake.push_update(photo_update(101, CHAT + 1))
    [help_] = await eventually(lambda: inbound(client), lambda messages: len(messages) == 1)
    assert help_.text == "/help"  # it waits for Rasa
    [photo] = await eventually(lambda: inbound(client, CHAT + 1), lambda messages: len(messages) == 1)
    assert photo.payload["kind"] == "photo"
    await fake.until(lambda: fake.texts_to(CHAT + 1) == [replies.CANNOT_READ["photo"]], timeout=10)
    # In polling mode the webhook route refuses everything: no secret is configured.
    assert (await post(client, text_update(102, CHAT, "x"), secret="")).status == 403


async def test_polling_confirms_an_update_only_once_stored_so_an_outage_then_a_stop_loses_nothing(
    fake, settings, aiohttp_client, tmp_path
) -> None:
    polling = replace(settings, telegram_mode="polling", telegram_webhook_secret="")
    first = await aiohttp_client(create_app(polling))
    with contextlib.closing(sqlite3.connect(tmp_path / "crisisbot.db", isolation_level=None)) as other:
        other.execute("BEGIN EXCLUSIVE")  # the database refuses every write
        fake.push_update(text_update(300, CHAT, "c'est quoi le PGE"))
        await asyncio.sleep(6.5)  # past SQLite's 5 s wait for the lock: storing it has failed
        assert [u["update_id"] for u in fake.updates] == [300], "still held by Telegram, not confirmed"
        await first.close()  # the gateway stops (or crashes) before the database is back
        other.execute("ROLLBACK")
    second = await aiohttp_client(create_app(polling))
    [message] = await eventually(lambda: inbound(second), lambda messages: len(messages) == 1)
    assert message.text == "c'est quoi le PGE"
    await fake.until(lambda: not fake.updates, timeout=10)  # confirmed once stored


# --- sending ------------------------------------------------------------------------------------------------


def outgoing(text: str = "Bonjour", **fields) -> Outgoing:
    return Outgoing(message_id=fields.pop("message_id", 5), conversation_id="c1", external_id=str(CHAT), text=text, **fields)


def test_long_texts_are_cut_between_paragraphs_lines_then_words() -> None:
    paragraphs = ["Le fonds de solidarité aide les artisans. " * 40, "Le PGE est un prêt garanti. " * 60]
    parts = split_text("\n\n".join(paragraphs), limit=2000)
    assert parts[0] == paragraphs[0].strip()  # the paragraph break, not the last space, ends the first part
    assert all(len(part) <= 2000 for part in parts)
    assert split_text("mot " * 3 + "x" * 30, limit=10) == ["mot mot", "mot", "x" * 10, "x" * 10, "x" * 10]
    assert split_text("🙂" * 3000)[0] == "🙂" * 2048  # Telegram counts UTF-16 units
    assert split_text("   ") == []


async def test_a_10000_character_reply_arrives_as_3_messages_without_cut_words(channel, fake) -> None:
    words = [f"mot{i % 97}" for i in range(2000)]
    text = " ".join(words)[:10_000].rsplit(" ", 1)[0]
    buttons = [{"title": "Oui", "payload": "/affirm"}]
    delivery = await channel.send(outgoing(text, buttons=buttons))
    sent = fake.texts_to(CHAT)
    assert len(sent) == 3 and all(len(part) <= 4096 for part in sent)
    assert " ".join(sent).split() == text.split()
    assert [m["reply_markup"] is not None for m in fake.sent] == [False, False, True]
    assert delivery.platform_message_ids == [f"{CHAT}:{m['message_id']}" for m in fake.sent]


async def test_buttons_are_an_inline_keyboard_pointing_back_to_the_stored_message(channel, fake) -> None:
    short = [{"title": t, "payload": f"/inform{{\"x\": \"{t}\"}}"} for t in ("Oui", "Non", "Peut-être")]
    await channel.send(outgoing("Confirmez-vous ?", buttons=short, message_id=12))
    long_ = [{"title": "Aides de la Région Bourgogne-Franche-Comté", "payload": "/faq_aides_region"}, {"title": "PGE", "payload": "/faq_pge"}]
    await channel.send(outgoing("Sujets", buttons=long_, message_id=10**15))
    first, second = (m["reply_markup"]["inline_keyboard"] for m in fake.sent)
    assert [[b["text"] for b in row] for row in first] == [["Oui", "Non"], ["Peut-être"]]
    assert [b["callback_data"] for row in first for b in row] == ["b:12:0", "b:12:1", "b:12:2"]
    assert [[b["text"] for b in row] for row in second] == [[long_[0]["title"]], ["PGE"]]
    assert all(len(b["callback_data"].encode()) <= 64 for row in second for b in row)


async def test_asking_for_a_phone_number_offers_the_share_my_number_keyboard(channel, fake) -> None:
    await channel.send(outgoing("Quel est votre numéro de téléphone ?", awaiting="phone"))
    markup = fake.sent[0]["reply_markup"]
    assert markup["keyboard"] == [[{"text": SHARE_PHONE, "request_contact": True}]]
    assert markup["one_time_keyboard"] is True and markup["resize_keyboard"] is True


async def test_flood_control_asks_the_outbox_to_wait_what_telegram_said(channel, fake) -> None:
    fake.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryLater) as raised:
        await channel.send(outgoing())
    assert raised.value.delay == 7 and raised.value.whole_channel
    assert fake.sent == []
    await channel.send(outgoing())  # the next try goes through
    assert fake.texts_to(CHAT) == ["Bonjour"]


async def test_a_long_reply_interrupted_by_flood_control_sends_only_the_rest_on_retry(channel, fake) -> None:
    text = "\n\n".join(["a" * 3000, "b" * 3000])
    fake.fail_next("sendMessage", status=429, retry_after=1, after=1)
    with pytest.raises(RetryLater):
        await channel.send(outgoing(text))
    await channel.send(outgoing(text))
    assert [t[0] for t in fake.texts_to(CHAT)] == ["a", "b"]


@pytest.mark.parametrize(
    "status, words",
    [(403, "bloqué"), (400, "Chat not found")],
)
async def test_a_refusal_for_good_is_a_failed_delivery_with_the_reason(channel, fake, status: int, words: str) -> None:
    fake.fail_next("sendMessage", status=status)
    with pytest.raises(DeliveryFailed) as raised:
        await channel.send(outgoing())
    assert words in raised.value.reason


async def test_an_unreachable_telegram_is_retried_later(settings) -> None:
    unreachable = TelegramChannel(replace(settings, telegram_api_url="http://127.0.0.1:9"))
    try:
        with pytest.raises(RetryLater) as raised:
            await unreachable.send(outgoing())
        assert raised.value.delay is None and not raised.value.whole_channel
    finally:
        await unreachable.stop()
