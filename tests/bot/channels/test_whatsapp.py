"""The WhatsApp channel: a signed webhook that stores every message and status, and a sender that lays replies
out for WhatsApp and respects the 24-hour window. Rasa does not run here: messages wait, unanswered."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import secrets
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import select

from bot import appkeys
from bot.app import create_app
from bot.channels.base import DeliveryFailed, Held, Outgoing, RetryLater
from bot.channels.whatsapp import WhatsAppChannel
from bot.messaging.replies import CANNOT_READ
from bot.settings import Settings
from bot.storage import Message, MessageStatus
from bot.storage.database import create_sessionmaker
from bot.storage.models import Author, Conversation, Direction
from tests.support.fakes.whatsapp import FakeWhatsApp, button_reply, list_reply, status_update, text_message

WEBHOOK = "/webhooks/whatsapp/webhook"
FIXTURES = Path("/work/shared/fixtures/whatsapp")
ARTISAN = "33612345678"
VERIFY_TOKEN = secrets.token_urlsafe(16)
TEMPLATE = "crisisbot_reponse"


@pytest.fixture
def fake():
    with FakeWhatsApp() as running:
        yield running


@pytest.fixture
def settings(sqlite_url: str, fake: FakeWhatsApp) -> Settings:
    return replace(
        Settings(),
        database_url=sqlite_url,
        engine_token="test-token",
        rasa_port=9,
        actions_port=9,
        whatsapp_access_token=fake.access_token,
        whatsapp_app_secret=fake.app_secret,
        whatsapp_verify_token=VERIFY_TOKEN,
        whatsapp_phone_number_id=fake.phone_number_id,
        whatsapp_api_url=fake.url,
    )


@pytest.fixture
async def client(aiohttp_client, settings: Settings):
    return await aiohttp_client(create_app(settings))


async def post(client, fake: FakeWhatsApp, body: dict[str, Any] | bytes):
    raw, headers = fake.signed(body)
    return await client.post(WEBHOOK, data=raw, headers=headers)


async def stored(client, platform_message_id: str) -> list[Message]:
    sessionmaker = create_sessionmaker(client.app[appkeys.DATABASE])
    async with sessionmaker() as session:
        rows = await session.scalars(
            select(Message).where(Message.channel == "whatsapp", Message.platform_message_id == platform_message_id)
        )
        return list(rows)


async def all_messages(client) -> list[Message]:
    sessionmaker = create_sessionmaker(client.app[appkeys.DATABASE])
    async with sessionmaker() as session:
        return list(await session.scalars(select(Message).order_by(Message.id)))


async def seed_outbound(
    client,
    wa_id: str,
    buttons: list[dict[str, str]] | None = None,
    *,
    platform_message_id: str | None = None,
    status: MessageStatus = MessageStatus.SENT,
) -> Message:
    """A bot message already sent in `wa_id`'s conversation (created if needed)."""
    sessionmaker = create_sessionmaker(client.app[appkeys.DATABASE])
    async with sessionmaker() as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.channel == "whatsapp", Conversation.external_id == wa_id)
        )
        if conversation is None:
            conversation = Conversation(channel="whatsapp", external_id=wa_id)
            session.add(conversation)
        message = Message(
            conversation=conversation,
            direction=Direction.OUT,
            channel="whatsapp",
            author=Author.BOT,
            text="Quel sujet vous intéresse ?",
            payload={"buttons": buttons} if buttons else None,
            platform_message_id=platform_message_id,
            status=status,
        )
        session.add(message)
        await session.commit()
        return message


def choices(count: int) -> list[dict[str, str]]:
    return [{"title": f"Sujet numéro {i}", "payload": f"/choisir{{\"sujet\": {i}}}"} for i in range(1, count + 1)]


# --- Verification handshake and signatures -------------------------------------------------------------------


async def test_the_verification_handshake_answers_the_challenge_only_to_our_token(client) -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    response = await client.get(WEBHOOK, params=params)
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert await response.text() == "1158201444"

    for wrong in ({"hub.verify_token": "autre-jeton"}, {"hub.mode": "unsubscribe"}, {"hub.verify_token": ""}):
        assert (await client.get(WEBHOOK, params={**params, **wrong})).status == 403
    assert (await client.get(WEBHOOK)).status == 403


async def test_unsigned_or_badly_signed_calls_are_refused_and_store_nothing(client, fake: FakeWhatsApp) -> None:
    raw, headers = fake.signed(text_message(ARTISAN, "bonjour"))
    response = await client.post(WEBHOOK, data=raw, headers={"Content-Type": "application/json"})
    assert response.status == 401
    assert "Signature" in (await response.json())["error"]

    forged = FakeWhatsApp(app_secret="not-the-secret").signed(raw)[1]
    for header in (forged, {**headers, "X-Hub-Signature-256": "sha256=00"}, {**headers, "X-Hub-Signature-256": "nonsense"}):
        response = await client.post(WEBHOOK, data=raw, headers=header)
        assert response.status == 403
        assert "Signature" in (await response.json())["error"]

    # The signature covers the exact bytes: the same JSON re-serialised does not pass.
    response = await client.post(WEBHOOK, data=json.dumps(json.loads(raw), indent=1), headers=headers)
    assert response.status == 403
    assert await all_messages(client) == []


async def test_a_signed_body_that_is_not_json_is_a_400(client, fake: FakeWhatsApp) -> None:
    assert (await post(client, fake, b'{"object": "whatsapp_business_account", ')).status == 400
    assert (await post(client, fake, b'["not", "an", "object"]')).status == 400
    assert (await post(client, fake, b"\xff\xfe")).status == 400
    assert await all_messages(client) == []


@pytest.mark.parametrize("depth", [900, 1000, 100_000])
async def test_a_signed_body_nested_too_deep_is_acknowledged_with_a_warning_without_it(client, fake, caplog, depth) -> None:
    body = json.loads((FIXTURES / "message.json").read_text())["text"]
    body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = fake.phone_number_id
    raw = json.dumps(body)[:-1] + ', "x": ' + "[" * depth + "]" * depth + "}"
    response = await post(client, fake, raw.encode())
    assert response.status == 200  # else Meta sends it again, for days
    assert await all_messages(client) == []
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING and r.name.startswith("bot.")]
    assert "Body Text" not in caplog.text and "[[" not in caplog.text and not warning.exc_info


async def test_bodies_without_messages_or_with_unknown_fields_are_accepted(client, fake: FakeWhatsApp) -> None:
    for body in (
        {},
        {"object": "whatsapp_business_account", "entry": []},
        {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "account_update", "value": {"event": "X"}}]}]},
        {"object": "whatsapp_business_account", "entry": "surprise", "new_field": {"a": 1}},
        {"entry": [{"changes": [{"field": "messages", "value": {"messages": [{"type": "text"}, "odd", None]}}]}]},
    ):
        assert (await post(client, fake, body)).status == 200, body
    assert await all_messages(client) == []


async def test_a_large_batch_of_updates_is_stored_whole(client, fake: FakeWhatsApp) -> None:
    # Meta batches updates, up to 3 MB a call: more than the 256 KB other requests may carry.
    body = text_message(ARTISAN, "x", wamid="wamid.batch0")
    batch = body["entry"][0]["changes"][0]["value"]["messages"]
    batch[:] = [
        {"from": ARTISAN, "id": f"wamid.batch{i}", "timestamp": "1", "type": "text", "text": {"body": "é" * 3000}}
        for i in range(120)
    ]
    raw = json.dumps(body).encode()
    assert len(raw) > 256 * 1024
    assert (await post(client, fake, raw)).status == 200
    assert len([m for m in await all_messages(client) if m.direction == Direction.IN]) == 120


async def test_a_welcome_request_is_stored_without_an_answer(client, fake: FakeWhatsApp) -> None:
    body = text_message(ARTISAN, "x", wamid="wamid.welcome")
    body["entry"][0]["changes"][0]["value"]["messages"][0] = {
        "from": ARTISAN, "id": "wamid.welcome", "timestamp": "1", "type": "request_welcome"
    }
    assert (await post(client, fake, body)).status == 200
    [row] = await stored(client, "wamid.welcome")
    assert row.payload["kind"] == "system" and "system" not in CANNOT_READ


# --- Every real webhook body ---------------------------------------------------------------------------------


def fixture_examples() -> list[Any]:
    examples = []
    for path in sorted(FIXTURES.glob("*.json")):
        for name, body in json.loads(path.read_text()).items():
            examples.append(pytest.param(body, id=f"{path.stem}:{name}"))
    return examples


# (kind, text) stored for each real message example; status examples store no message.
EXPECTED = {
    "callback_button:button": (None, "title"),
    "callback_button:quick_reply": (None, "title"),
    "callback_button:quick_reply_without_context": (None, "title"),
    "callback_selection:callback": (None, "title"),
    "callback_selection:description": (None, "title"),
    "edited_message:image": ("edited", "Updated image caption"),
    "message:text": (None, "Body Text"),
    "message:image": ("photo", ""),
    "message:media_with_url": ("photo", ""),
    "message:video": ("video", "caption"),
    "message:document": ("document", "caption"),
    "message:audio": ("audio", ""),
    "message:voice": ("voice", ""),
    "message:static_sticker": ("sticker", ""),
    "message:animated_sticker": ("sticker", ""),
    "message:reaction": ("reaction", "😮"),
    "message:unreaction_empty": ("reaction", ""),
    "message:unreaction_no_emoji": ("reaction", ""),
    "message:current_location": ("location", ""),
    "message:chosen_location": ("location", "Facebook HQ, 1 Hacker Way, Menlo Park, CA 94025"),
    "message:contacts": ("contact", ""),
    "message:order": ("other", ""),
    "message:unsupported": ("other", ""),
    "message:unsupported_with_type": ("other", ""),
    "message:reply": (None, "replied text"),
    "message:forwarded": (None, "forwarded text"),
    "message:forwarded_many_times": (None, "text forwarded many times"),
    "message:interactive_message_with_err": ("other", ""),
    "message:referral": (None, "BODY"),
    "system:phone_number_change": ("system", "User A changed from 972987654321 to 972912345678"),
    "system:identity_change": ("system", "User identity changed"),
}


@pytest.mark.parametrize("body", fixture_examples())
async def test_every_real_webhook_body_is_accepted_and_stored_sensibly(client, fake: FakeWhatsApp, body, request) -> None:
    example = request.node.callspec.id
    for value in _values(body):  # Meta's examples come from several test numbers: these are sent to ours
        value.setdefault("metadata", {})["phone_number_id"] = fake.phone_number_id
    response = await post(client, fake, body)
    assert response.status == 200, await response.text()
    messages = [m for value in _values(body) for m in value.get("messages", [])]
    if example.startswith("message_status:"):
        assert await all_messages(client) == []
        return
    assert len(messages) == 1
    [message] = messages
    [row] = await stored(client, message["id"])
    kind, text = EXPECTED[example]
    assert row.direction == Direction.IN
    assert (row.payload.get("kind"), row.text) == (kind, text)
    assert row.payload["type"] == message["type"]
    assert row.payload["message"] == message, "the raw message is kept for staff"
    if kind in CANNOT_READ:  # the artisan is told, in French, that the bot only reads text
        await fake.until(lambda: CANNOT_READ[kind] in fake.texts_to(message["from"]), timeout=10)


def _values(body: dict[str, Any]) -> list[dict[str, Any]]:
    return [change["value"] for entry in body["entry"] for change in entry["changes"]]


async def test_a_text_keeps_the_sender_and_the_profile_name_for_staff(client, fake: FakeWhatsApp) -> None:
    body = text_message(ARTISAN, "Bonjour, je suis boulanger", wamid="wamid.profile", name="Marie Dupont")
    assert (await post(client, fake, body)).status == 200
    [row] = await stored(client, "wamid.profile")
    log = client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("whatsapp", ARTISAN)
    assert row.conversation_id == conversation.id
    assert row.text == "Bonjour, je suis boulanger"
    assert row.payload["profile_name"] == "Marie Dupont" and "kind" not in row.payload


@pytest.mark.parametrize(
    "wa_id, wamid",
    [
        ("3361234567\u0000", "wamid.nul"),  # would be stored as "3361234567", another artisan's
        ("33612345678\ud800", "wamid.surrogate"),
        ("+33612345678", "wamid.plus"),
        ("٣٣٦١٢٣٤٥٦٧٨", "wamid.arabic-digits"),
        (33612345678, "wamid.number"),
        (ARTISAN, "wamid.x\u0000"),  # would be stored as "wamid.x", another message's id
    ],
)
async def test_a_sender_or_message_id_that_would_be_stored_changed_is_ignored(client, fake, wa_id, wamid) -> None:
    body = text_message(ARTISAN, "Bonjour", wamid="wamid.placeholder")
    message = body["entry"][0]["changes"][0]["value"]["messages"][0]
    message["from"], message["id"] = wa_id, wamid
    assert (await post(client, fake, body)).status == 200
    assert await all_messages(client) == []


async def test_a_message_to_another_number_of_the_business_account_is_ignored(client, fake, caplog) -> None:
    # The account also holds another service's number: its artisans are not the chamber's, and a reply would
    # come from the chamber's number. Meta gets its 200 (or it would redeliver), nothing is stored or sent.
    caplog.set_level(logging.WARNING, logger="bot.channels.whatsapp")
    for wamid in ("wamid.other.1", "wamid.other.2"):
        body = text_message(ARTISAN, "bonjour, mon colis ?", wamid=wamid)
        body["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "9988776655443"
        assert (await post(client, fake, body)).status == 200
    ours = text_message(ARTISAN, "c'est quoi le PGE", wamid="wamid.ours")
    assert (await post(client, fake, ours)).status == 200
    assert [m.platform_message_id for m in await all_messages(client) if m.direction == Direction.IN] == ["wamid.ours"]
    warnings = [r.getMessage() for r in caplog.records if "9988776655443" in r.getMessage()]
    assert len(warnings) == 1 and "WHATSAPP_PHONE_NUMBER_ID" in warnings[0]  # once, to spot a wrong setting
    assert ARTISAN not in caplog.text


async def test_a_redelivered_message_is_stored_once(client, fake: FakeWhatsApp) -> None:
    body = text_message(ARTISAN, "c'est quoi le PGE", wamid="wamid.redelivered")
    for _ in range(3):
        assert (await post(client, fake, body)).status == 200
    assert len(await stored(client, "wamid.redelivered")) == 1


async def test_several_messages_in_one_body_are_all_stored_in_order(client, fake: FakeWhatsApp) -> None:
    body = text_message(ARTISAN, "premier", wamid="wamid.1")
    second = text_message("33698765432", "deuxième", wamid="wamid.2")["entry"][0]["changes"][0]["value"]["messages"][0]
    body["entry"][0]["changes"][0]["value"]["messages"].append(second)
    body["entry"].append(copy.deepcopy(text_message(ARTISAN, "troisième", wamid="wamid.3"))["entry"][0])
    assert (await post(client, fake, body)).status == 200
    assert [(m.text, m.platform_message_id) for m in await all_messages(client)] == [
        ("premier", "wamid.1"),
        ("deuxième", "wamid.2"),
        ("troisième", "wamid.3"),
    ]


# --- Buttons and menus come back as the button's payload -----------------------------------------------------


async def test_reply_buttons_and_list_rows_come_back_as_the_stored_payload(client, fake: FakeWhatsApp) -> None:
    buttons = choices(7)
    question = await seed_outbound(client, ARTISAN, buttons)
    await post(client, fake, button_reply(ARTISAN, f"b:{question.id}:1", "Sujet numéro 2", wamid="wamid.tap"))
    await post(client, fake, list_reply(ARTISAN, f"b:{question.id}:6", "Sujet numéro 7", wamid="wamid.row"))
    [tap], [row] = await stored(client, "wamid.tap"), await stored(client, "wamid.row")
    assert (tap.text, tap.payload["button"]) == (buttons[1]["payload"], "Sujet numéro 2")
    assert (row.text, row.payload["button"]) == (buttons[6]["payload"], "Sujet numéro 7")
    assert "kind" not in tap.payload, "a button reply goes to Rasa"


async def test_a_reply_id_that_is_not_ours_falls_back_to_its_title(client, fake: FakeWhatsApp) -> None:
    mine = await seed_outbound(client, ARTISAN, choices(3))
    others = await seed_outbound(client, "33600000000", choices(3))
    cases = {
        "wamid.foreign": f"b:{others.id}:0",  # another conversation's button
        "wamid.outofrange": f"b:{mine.id}:9",
        "wamid.unknown": f"b:{mine.id + 1000}:0",
        "wamid.free": "callback_data",
    }
    for wamid, reply_id in cases.items():
        await post(client, fake, button_reply(ARTISAN, reply_id, "Oui, merci", wamid=wamid))
        [row] = await stored(client, wamid)
        assert row.text == "Oui, merci", reply_id


async def test_a_number_answers_a_numbered_menu(client, fake: FakeWhatsApp) -> None:
    buttons = choices(12)
    await seed_outbound(client, ARTISAN, buttons)
    for wamid, text, expected in [
        ("wamid.n3", "3", buttons[2]["payload"]),
        ("wamid.n12", " 12 ", buttons[11]["payload"]),
        ("wamid.n13", "13", "13"),
        ("wamid.n0", "0", "0"),
        ("wamid.words", "3 masques", "3 masques"),
    ]:
        await post(client, fake, text_message(ARTISAN, text, wamid=wamid))
        [row] = await stored(client, wamid)
        assert row.text == expected, text


async def test_a_number_is_only_a_number_when_no_menu_is_open(client, fake: FakeWhatsApp) -> None:
    await seed_outbound(client, ARTISAN, choices(7))  # 7 choices went out as a list, not a numbered menu
    await post(client, fake, text_message(ARTISAN, "3", wamid="wamid.three"))
    [row] = await stored(client, "wamid.three")
    assert row.text == "3"


async def test_the_phone_button_gives_the_senders_own_number(client, fake: FakeWhatsApp) -> None:
    await post(client, fake, button_reply(ARTISAN, f"phone:+{ARTISAN}", "Utiliser ce numéro", wamid="wamid.phone"))
    # A crafted id cannot put someone else's number in the form.
    await post(client, fake, button_reply(ARTISAN, "phone:+33699999999", "Utiliser ce numéro", wamid="wamid.crafted"))
    [phone], [crafted] = await stored(client, "wamid.phone"), await stored(client, "wamid.crafted")
    assert phone.text == crafted.text == f"+{ARTISAN}"


# --- Statuses ------------------------------------------------------------------------------------------------


async def status_of(client, message_id: int) -> tuple[str, str | None]:
    message = await client.app[appkeys.MESSAGE_LOG].get(message_id)
    return message.status, message.error


async def test_statuses_move_a_reply_forward_and_never_back(client, fake: FakeWhatsApp) -> None:
    # A photo gets the bot's polite reply through the outbox and the fake Graph API, then its statuses.
    body = {"type": "image", "image": {"mime_type": "image/jpeg", "id": "1"}}
    photo = text_message(ARTISAN, "x", wamid="wamid.photo")
    photo["entry"][0]["changes"][0]["value"]["messages"][0] = {"from": ARTISAN, "id": "wamid.photo", "timestamp": "1", **body}
    assert (await post(client, fake, photo)).status == 200
    await fake.until(lambda: fake.sent_to(ARTISAN), timeout=10)
    [sent] = fake.sent_to(ARTISAN)
    assert sent["text"]["body"] == CANNOT_READ["photo"]

    async def reply() -> Message | None:
        rows = await stored(client, sent["id"])
        return rows[0] if rows and rows[0].status == MessageStatus.SENT else None

    for _ in range(200):
        if (message := await reply()) is not None:
            break
        await asyncio.sleep(0.02)
    assert message is not None, "the outbox records the wamid of what it sent"

    for status, expected in [
        ("sent", "sent"),
        ("delivered", "delivered"),
        ("read", "read"),
        ("delivered", "read"),  # arrives late: never moves back
        ("sent", "read"),
        ("played", "read"),
    ]:
        assert (await post(client, fake, status_update(sent["id"], status))).status == 200
        assert (await status_of(client, message.id))[0] == expected, status


async def test_a_reply_held_while_the_window_was_closed_goes_first_when_the_artisan_writes(client, fake) -> None:
    held = await seed_outbound(client, ARTISAN, status=MessageStatus.HELD)
    body = text_message(ARTISAN, "x", wamid="wamid.back")
    body["entry"][0]["changes"][0]["value"]["messages"][0] = {
        "from": ARTISAN, "id": "wamid.back", "timestamp": "1", "type": "sticker", "sticker": {"id": "1"}
    }
    assert (await post(client, fake, body)).status == 200
    await fake.until(lambda: len(fake.texts_to(ARTISAN)) == 2, timeout=10)
    assert fake.texts_to(ARTISAN) == [held.text, CANNOT_READ["sticker"]]


async def test_read_before_delivered_stays_read(client, fake: FakeWhatsApp) -> None:
    message = await seed_outbound(client, ARTISAN, platform_message_id="wamid.out.order")
    await post(client, fake, status_update("wamid.out.order", "read"))
    await post(client, fake, status_update("wamid.out.order", "delivered"))
    assert (await status_of(client, message.id))[0] == MessageStatus.READ


async def test_a_failed_status_records_the_reason_for_staff(client, fake: FakeWhatsApp) -> None:
    message = await seed_outbound(client, ARTISAN, platform_message_id="wamid.out.failed")
    errors = json.loads((FIXTURES / "message_status.json").read_text())["failed"]["entry"][0]["changes"][0]["value"]["statuses"][0]["errors"]
    assert (await post(client, fake, status_update("wamid.out.failed", "failed", errors))).status == 200
    status, error = await status_of(client, message.id)
    assert status == MessageStatus.FAILED
    assert "130472" in error and "experiment" in error


WINDOW_CLOSED_ERROR = [{"code": 131047, "title": "Re-engagement message", "error_data": {"details": "More than 24 hours have passed"}}]


async def test_meta_reporting_the_window_closed_after_sending_holds_the_reply(client, fake: FakeWhatsApp) -> None:
    message = await seed_outbound(client, ARTISAN, platform_message_id="wamid.out.late")
    assert (await post(client, fake, status_update("wamid.out.late", "failed", WINDOW_CLOSED_ERROR))).status == 200
    status, error = await status_of(client, message.id)
    assert status == MessageStatus.HELD and "131047" in error
    await asyncio.sleep(0.2)
    assert fake.sent_to(ARTISAN) == [], "no free text is tried again outside the window"

    # The artisan writes again: the window is open, the held reply goes as free text, first.
    assert (await post(client, fake, text_message(ARTISAN, "👍", wamid="wamid.back.again"))).status == 200
    await fake.until(lambda: fake.texts_to(ARTISAN), timeout=10)
    [sent, *_] = fake.sent_to(ARTISAN)
    assert sent["type"] == "text" and sent["text"]["body"] == message.text


async def test_meta_reporting_the_window_closed_after_sending_resends_as_the_template(
    aiohttp_client, settings: Settings, fake: FakeWhatsApp
) -> None:
    client = await aiohttp_client(create_app(replace(settings, whatsapp_template=TEMPLATE)))
    # The artisan wrote a moment ago by our clock: only Meta knows the window closed.
    assert (await post(client, fake, text_message(ARTISAN, "allo ?", wamid="wamid.recent"))).status == 200
    message = await seed_outbound(client, ARTISAN, platform_message_id="wamid.out.late2")
    assert (await post(client, fake, status_update("wamid.out.late2", "failed", WINDOW_CLOSED_ERROR))).status == 200
    await fake.until(lambda: fake.sent_to(ARTISAN), timeout=10)
    [sent] = fake.sent_to(ARTISAN)
    assert sent["type"] == "template" and sent["template"]["name"] == TEMPLATE
    assert message.text in sent["template"]["components"][0]["parameters"][0]["text"]
    for _ in range(100):
        status, note = await status_of(client, message.id)
        if status == MessageStatus.SENT:
            break
        await asyncio.sleep(0.02)
    assert status == MessageStatus.SENT and TEMPLATE in note


async def test_a_status_for_a_message_that_is_not_ours_is_ignored(client, fake: FakeWhatsApp) -> None:
    assert (await post(client, fake, status_update("wamid.someone-else", "delivered"))).status == 200
    assert await all_messages(client) == []


# --- Sending -------------------------------------------------------------------------------------------------


@pytest.fixture
async def channel(settings: Settings):
    whatsapp = WhatsAppChannel(settings)
    await whatsapp.start(web.Application())
    yield whatsapp
    await whatsapp.stop()


def outgoing(text: str = "Bonjour !", *, buttons=None, awaiting=None, hours_since_artisan: float | None = 1) -> Outgoing:
    last = None if hours_since_artisan is None else datetime.now(UTC) - timedelta(hours=hours_since_artisan)
    return Outgoing(
        message_id=42,
        conversation_id="c0ffee",
        external_id=ARTISAN,
        text=text,
        buttons=buttons or [],
        awaiting=awaiting,
        last_inbound_at=last,
    )


async def test_a_text_goes_out_with_the_access_token_and_meta_s_envelope(channel, fake: FakeWhatsApp) -> None:
    delivery = await channel.send(outgoing("Le PGE est un prêt garanti par l'État."))
    [request] = fake.requests
    assert request["authorization"] == f"Bearer {fake.access_token}"
    assert request["path"] == f"/v21.0/{fake.phone_number_id}/messages"
    [sent] = fake.sent
    assert {k: sent[k] for k in ("messaging_product", "recipient_type", "to", "type")} == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": ARTISAN,
        "type": "text",
    }
    assert sent["text"] == {"body": "Le PGE est un prêt garanti par l'État.", "preview_url": False}
    assert delivery.platform_message_ids == [sent["id"]] and delivery.note is None


async def test_a_long_text_is_split_between_words(channel, fake: FakeWhatsApp) -> None:
    text = " ".join(f"mot{i}" for i in range(2500))  # about 17,000 characters
    delivery = await channel.send(outgoing(text))
    parts = fake.texts_to(ARTISAN)
    assert len(parts) == 5 and all(len(part) <= 4096 for part in parts)
    assert " ".join(parts).split() == text.split(), "no word cut, none lost, in order"
    assert delivery.platform_message_ids == [sent["id"] for sent in fake.sent]


async def test_three_buttons_become_reply_buttons_with_short_titles(channel, fake: FakeWhatsApp) -> None:
    buttons = [
        {"title": "Prêt garanti par l'État (PGE)", "payload": "/pge"},
        {"title": "Fonds de solidarité", "payload": "/fonds"},
        {"title": "Parler à un conseiller", "payload": "/conseiller"},
    ]
    await channel.send(outgoing("Quel sujet ?", buttons=buttons))
    [sent] = fake.sent
    interactive = sent["interactive"]
    assert interactive["type"] == "button" and interactive["body"]["text"] == "Quel sujet ?"
    replies = [b["reply"] for b in interactive["action"]["buttons"]]
    assert [r["id"] for r in replies] == ["b:42:0", "b:42:1", "b:42:2"]
    titles = [r["title"] for r in replies]
    assert titles[1] == "Fonds de solidarité"
    assert all(len(t) <= 20 for t in titles)
    assert titles[0] == "Prêt garanti par…" and titles[2] == "Parler à un…"


async def test_seven_buttons_become_a_list_with_the_full_titles_in_descriptions(channel, fake: FakeWhatsApp) -> None:
    buttons = choices(6) + [{"title": "Chômage partiel et activité partielle", "payload": "/chomage"}]
    await channel.send(outgoing("Choisissez un sujet", buttons=buttons))
    interactive = fake.sent[0]["interactive"]
    assert interactive["type"] == "list"
    assert interactive["action"]["button"] == "Choisir"
    [section] = interactive["action"]["sections"]
    rows = section["rows"]
    assert [r["id"] for r in rows] == [f"b:42:{i}" for i in range(7)]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert rows[0] == {"id": "b:42:0", "title": "Sujet numéro 1"}
    assert rows[6]["title"].endswith("…") and rows[6]["description"] == "Chômage partiel et activité partielle"


async def test_twelve_buttons_become_a_numbered_menu(channel, fake: FakeWhatsApp) -> None:
    await channel.send(outgoing("Sur quel sujet ?", buttons=choices(12)))
    [text] = fake.texts_to(ARTISAN)
    lines = text.splitlines()
    assert lines[0] == "Sur quel sujet ?"
    assert "1. Sujet numéro 1" in lines and "12. Sujet numéro 12" in lines
    assert lines[-1] == "Répondez avec le numéro de votre choix."


async def test_a_phone_question_offers_the_artisans_own_number(channel, fake: FakeWhatsApp) -> None:
    await channel.send(outgoing("À quel numéro pouvons-nous vous rappeler ?", awaiting="phone"))
    interactive = fake.sent[0]["interactive"]
    assert interactive["body"]["text"] == "À quel numéro pouvons-nous vous rappeler ?"
    assert interactive["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": f"phone:+{ARTISAN}", "title": "Utiliser ce numéro"}}
    ]


async def test_a_question_longer_than_an_interactive_body_keeps_its_buttons(channel, fake: FakeWhatsApp) -> None:
    text = " ".join(["Voici les conditions du fonds de solidarité."] * 60)  # about 2,700 characters
    await channel.send(outgoing(text, buttons=choices(2)))
    assert [s["type"] for s in fake.sent] == ["text", "interactive"]
    assert len(fake.sent[1]["interactive"]["body"]["text"]) <= 1024
    assert " ".join(fake.texts_to(ARTISAN)).split() == text.split()


@pytest.mark.parametrize("hours_since_artisan", [None, 25])
async def test_outside_the_window_the_template_carries_the_text(settings, fake, hours_since_artisan) -> None:
    channel = WhatsAppChannel(replace(settings, whatsapp_template=TEMPLATE))
    await channel.start(web.Application())
    try:
        delivery = await channel.send(
            outgoing("Votre rappel est prévu.\nUn conseiller vous appelle demain.", buttons=choices(2), hours_since_artisan=hours_since_artisan)
        )
    finally:
        await channel.stop()
    [sent] = fake.sent
    assert sent["type"] == "template"
    assert sent["template"] == {
        "name": TEMPLATE,
        "language": {"code": "fr"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {
                        "type": "text",
                        "text": "Votre rappel est prévu. Un conseiller vous appelle demain. "
                        "(Réponses possibles : Sujet numéro 1 ; Sujet numéro 2)",
                    }
                ],
            }
        ],
    }
    assert delivery.platform_message_ids == [sent["id"]]
    assert delivery.note == f"Envoyé avec le modèle {TEMPLATE} (fenêtre de 24 h fermée)"


async def test_outside_the_window_without_a_template_the_message_is_held(channel, fake: FakeWhatsApp) -> None:
    with pytest.raises(Held) as held:
        await channel.send(outgoing("Bonjour", hours_since_artisan=30))
    assert "24 h" in held.value.reason
    assert fake.requests == [], "no free text outside the window"


async def test_inside_the_window_free_text_goes_out(channel, fake: FakeWhatsApp) -> None:
    await channel.send(outgoing("Bonjour", hours_since_artisan=23))
    assert fake.sent[0]["type"] == "text"


async def test_the_overall_rate_limit_pauses_the_whole_channel(channel, fake: FakeWhatsApp) -> None:
    fake.fail_next(code=130429, message="Rate limit hit")
    with pytest.raises(RetryLater) as retry:
        await channel.send(outgoing())
    assert retry.value.whole_channel
    assert (await channel.send(outgoing())).platform_message_ids, "sent once the limit is over"


async def test_the_pair_rate_limit_retries_only_this_conversation(channel, fake: FakeWhatsApp) -> None:
    fake.fail_next(code=131056, message="(Business Account, Consumer Account) pair rate limit hit")
    with pytest.raises(RetryLater) as retry:
        await channel.send(outgoing())
    assert not retry.value.whole_channel


async def test_a_server_error_is_retried(channel, fake: FakeWhatsApp) -> None:
    fake.fail_next(code=131000, status=500, message="Something went wrong")
    with pytest.raises(RetryLater):
        await channel.send(outgoing())


async def test_an_unreachable_graph_api_is_retried(settings) -> None:
    channel = WhatsAppChannel(replace(settings, whatsapp_api_url="http://127.0.0.1:9/v21.0"))
    await channel.start(web.Application())
    try:
        with pytest.raises(RetryLater):
            await channel.send(outgoing())
    finally:
        await channel.stop()


async def test_an_undeliverable_message_fails_with_the_reason(channel, fake: FakeWhatsApp) -> None:
    fake.fail_next(code=131026, message="Message undeliverable")
    with pytest.raises(DeliveryFailed) as failed:
        await channel.send(outgoing())
    assert failed.value.reason.startswith("131026: ") and "Message undeliverable" in failed.value.reason


async def test_a_refused_token_fails_without_logging_secrets(settings, fake: FakeWhatsApp, caplog) -> None:
    channel = WhatsAppChannel(replace(settings, whatsapp_access_token="expired-token"))
    await channel.start(web.Application())
    caplog.set_level(logging.DEBUG, logger="bot")
    try:
        with pytest.raises(DeliveryFailed) as failed:
            await channel.send(outgoing())
    finally:
        await channel.stop()
    assert failed.value.reason.startswith("190: ")
    assert "expired-token" not in caplog.text and ARTISAN not in caplog.text


@pytest.mark.parametrize("template", [TEMPLATE, ""])
async def test_meta_saying_the_window_is_closed_uses_the_template_or_holds(settings, fake, template) -> None:
    channel = WhatsAppChannel(replace(settings, whatsapp_template=template))
    await channel.start(web.Application())
    fake.fail_next(code=131047, message="Re-engagement message")
    try:
        if template:
            delivery = await channel.send(outgoing("Votre demande est enregistrée."))
            assert [s["type"] for s in fake.sent] == ["template"]
            assert delivery.platform_message_ids == [fake.sent[0]["id"]] and TEMPLATE in delivery.note
        else:
            with pytest.raises(Held):
                await channel.send(outgoing("Votre demande est enregistrée."))
            assert fake.sent == []
    finally:
        await channel.stop()


async def test_a_retry_after_a_partial_send_does_not_repeat_the_parts_already_sent(channel, fake: FakeWhatsApp) -> None:
    text = " ".join(f"mot{i}" for i in range(1500))  # three parts
    fake.fail_next(code=130429, after=1)
    with pytest.raises(RetryLater):
        await channel.send(outgoing(text))
    delivery = await channel.send(outgoing(text))
    parts = fake.texts_to(ARTISAN)
    assert len(parts) == 3 and " ".join(parts).split() == text.split()
    assert delivery.platform_message_ids == [s["id"] for s in fake.sent]


async def test_an_empty_reply_sends_nothing(channel, fake: FakeWhatsApp) -> None:
    delivery = await channel.send(outgoing("   "))
    assert delivery.platform_message_ids == [] and fake.requests == []


async def test_odd_characters_are_stored_on_both_databases(aiohttp_client, settings, database_url, fake) -> None:
    client = await aiohttp_client(create_app(replace(settings, database_url=database_url)))
    raw = json.dumps(text_message(ARTISAN, "x", wamid="wamid.odd")).replace('"x"', '"pr\\u00eat\\u0000 PGE \\ud800 😀"')
    assert (await post(client, fake, raw.encode())).status == 200
    [row] = await stored(client, "wamid.odd")
    assert row.text == "prêt PGE ? 😀"
    assert "\\u0000" not in json.dumps(row.payload) and row.payload["message"]["text"]["body"] == row.text
