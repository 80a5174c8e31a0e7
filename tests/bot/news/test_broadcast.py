"""Broadcasts on SQLite and PostgreSQL: everyone due reached once, WhatsApp's window and template, the web chat,
the preview, stopping (here and from elsewhere), a crash and the resume, replies first, and the platform's
refusals."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import DeliveryFailed, Outgoing, RateLimit
from bot.errors import NewsRefused
from bot.messaging.broadcast_lane import BROADCAST_IN_FLIGHT
from bot.news.broadcast import OUTSIDE_WINDOW, SYSTEM
from bot.storage.message_log import Inbound
from bot.storage.models import Author, Message, MessageStatus, NewsStatus
from tests.bot.news.conftest import ADMIN, Platform, World, draft

TEMPLATE = "annonce_cma"


async def sent_item(world: World, **changes: object) -> int:
    return (await world.items.create(draft(**changes), ADMIN)).id


async def finished(broadcasts, news_id: int, timeout: float = 20) -> None:
    await asyncio.wait_for(broadcasts.wait(news_id), timeout)


async def test_every_subscriber_is_sent_it_once_and_the_broadcast_ends_sent(world: World) -> None:
    telegram, whatsapp = Platform("telegram"), Platform("whatsapp", window=True)
    outbox, broadcasts = world.broadcasts([telegram, whatsapp])
    chats = [await world.artisan("telegram", f"t{n}") for n in range(30)]
    chats += [await world.artisan("whatsapp", f"w{n}") for n in range(20)]
    await world.artisan("telegram", "not-subscribed", subscribe=False)
    news_id = await sent_item(world)

    assert await broadcasts.start(news_id, ADMIN) == 50
    await finished(broadcasts, news_id)
    assert telegram.received() == Counter({f"t{n}": 1 for n in range(30)})
    assert whatsapp.received() == Counter({f"w{n}": 1 for n in range(20)})
    assert "stop infos" in telegram.accepted[0].text
    progress = await broadcasts.progress(news_id)
    assert (progress.total, progress.sent, progress.waiting, progress.failed, progress.skipped) == (50, 50, 0, 0, 0)
    item = await world.items.get(news_id)
    assert item.status == NewsStatus.SENT and item.published_at and item.finished_at
    async with world.sessionmaker() as session:
        stored = list(await session.scalars(select(Message).where(Message.author == Author.NEWS)))
    assert len(stored) == 50 and {m.lane for m in stored} == {"broadcast"}
    assert {m.conversation_id for m in stored} == set(chats), "each in its artisan's conversation"
    await outbox.close()


async def test_the_platforms_send_in_parallel_each_at_its_own_pace(world: World, monkeypatch) -> None:
    # Small batches, as 10,000 recipients make them: the lane is fed a little at a time.
    monkeypatch.setattr("bot.news.broadcast.BATCH", 4)
    monkeypatch.setattr("bot.news.broadcast.LOW_WATER", 2)
    telegram = Platform("telegram", rate_limit=RateLimit(5, 5, 5))  # slow: 5 a second
    whatsapp = Platform("whatsapp", window=True)
    for n in range(20):
        await world.artisan("telegram", f"t{n}")  # the slow platform's recipients come first
    for n in range(20):
        await world.artisan("whatsapp", f"w{n}", wrote_hours_ago=1)
    outbox, broadcasts = world.broadcasts([telegram, whatsapp])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    await finished(broadcasts, news_id)
    assert len(whatsapp.accepted) == 20 and len(telegram.accepted) == 20
    assert max(whatsapp.accepted_at) < telegram.accepted_at[10], "WhatsApp does not wait for Telegram's queue"
    await outbox.close()


async def test_whatsapp_outside_the_window_gets_the_template_or_nothing(world: World) -> None:
    await world.artisan("whatsapp", "inside", wrote_hours_ago=2)
    await world.artisan("whatsapp", "outside", wrote_hours_ago=30)
    whatsapp = Platform("whatsapp", window=True)

    outbox, broadcasts = world.broadcasts([whatsapp])
    without = await sent_item(world)
    preview = await broadcasts.preview(without)
    assert (preview.recipients["whatsapp"], preview.whatsapp_outside_window, preview.unreachable) == (2, 1, 1)
    assert preview.reachable == 1 and preview.template is None
    await broadcasts.start(without, ADMIN)
    await finished(broadcasts, without)
    assert whatsapp.received() == Counter({"inside": 1}), "never free text outside the window"
    progress = await broadcasts.progress(without)
    assert (progress.sent, progress.skipped, progress.reasons) == (1, 1, [(OUTSIDE_WINDOW, 1)])
    await outbox.close()

    whatsapp.accepted.clear()
    outbox, broadcasts = world.broadcasts([whatsapp], whatsapp_news_template=TEMPLATE)
    with_template = await sent_item(world, title="Marchés de Noël")
    preview = await broadcasts.preview(with_template)
    assert (preview.whatsapp_outside_window, preview.unreachable, preview.template.name) == (1, 0, TEMPLATE)
    await broadcasts.start(with_template, ADMIN)
    await finished(broadcasts, with_template)
    assert whatsapp.received() == Counter({"inside": 1, "outside": 1})
    outside = next(m for m in whatsapp.accepted if m.external_id == "outside")
    assert outside.template.name == TEMPLATE and outside.template.parameters[0] == "Marchés de Noël"
    await outbox.close()


async def test_the_web_chat_keeps_it_in_the_conversation_and_the_audience_narrows(world: World) -> None:
    web = await world.artisan("rest", "web-1", commune="71221")
    await world.artisan("telegram", "elsewhere", commune="71076")
    telegram = Platform("telegram")
    outbox, broadcasts = world.broadcasts([telegram])
    news_id = await sent_item(world, communes="Givry")
    assert (await broadcasts.preview(news_id)).recipients == Counter({"rest": 1})
    await broadcasts.start(news_id, ADMIN)
    await finished(broadcasts, news_id)
    assert telegram.accepted == [], "Chalon-sur-Saône is not Givry"
    history = await world.log.transcript(web)
    assert history[-1].author == Author.NEWS and history[-1].text.startswith("📰 Couvre-feu")
    assert await world.items.sent_to(web) == {news_id}
    assert (await broadcasts.progress(news_id)).sent == 1
    await outbox.close()


async def test_a_broadcast_starts_once(world: World) -> None:
    await world.artisan("telegram", "1")
    outbox, broadcasts = world.broadcasts([Platform("telegram")])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    with pytest.raises(NewsRefused) as refused:
        await broadcasts.start(news_id, ADMIN)
    assert refused.value.status == 409
    await finished(broadcasts, news_id)
    await outbox.close()


async def slow_broadcast(world: World):  # type: ignore[no-untyped-def]
    """A broadcast to 40 Telegram subscribers at 5 sends a second, started: a stop comes while most wait."""
    telegram = Platform("telegram", rate_limit=RateLimit(5, 5, 5))
    for n in range(40):
        await world.artisan("telegram", f"t{n}")
    outbox, broadcasts = world.broadcasts([telegram])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    return telegram, outbox, broadcasts, news_id


async def test_stopping_mid_send_reaches_nobody_else(world: World) -> None:
    telegram, outbox, broadcasts, news_id = await slow_broadcast(world)
    await asyncio.sleep(0.5)
    await broadcasts.stop(news_id, ADMIN)
    reached = len(telegram.accepted)
    await asyncio.sleep(1.0)
    assert 0 < len(telegram.accepted) == reached < 40, "nothing sent after the stop"
    progress = await broadcasts.progress(news_id)
    assert progress.sent == reached and progress.stopped == 40 - reached and progress.waiting == 0
    assert (await world.items.get(news_id)).status == NewsStatus.STOPPED
    await outbox.close()


async def test_a_stop_from_the_command_line_is_noticed_by_the_gateway_sending(world: World) -> None:
    telegram, outbox, broadcasts, news_id = await slow_broadcast(world)
    await asyncio.sleep(0.3)
    _, elsewhere = world.broadcasts([])  # the command line: no outbox of its own
    await elsewhere.stop(news_id, ADMIN)
    await finished(broadcasts, news_id, timeout=5)
    reached = len(telegram.accepted)
    await asyncio.sleep(0.5)
    assert len(telegram.accepted) == reached < 40
    progress = await broadcasts.progress(news_id)
    assert progress.waiting == 0 and progress.sent + progress.stopped == 40
    await outbox.close()


async def test_a_crash_mid_send_resumes_with_no_one_twice_and_no_one_missed(world: World) -> None:
    telegram = Platform("telegram", rate_limit=RateLimit(20, 20, 20), delay=0.05)
    for n in range(60):
        await world.artisan("telegram", f"t{n}")
    outbox, broadcasts = world.broadcasts([telegram])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    await asyncio.sleep(0.7)
    # The gateway goes down: what was in flight is cancelled before the platform accepted it.
    await broadcasts.close()
    await outbox.close()
    before = len(telegram.accepted)
    assert 0 < before < 60

    outbox, broadcasts = world.broadcasts([telegram])
    assert await broadcasts.recover() == 1
    await finished(broadcasts, news_id, timeout=30)
    assert telegram.received() == Counter({f"t{n}": 1 for n in range(60)})
    assert (await world.items.get(news_id)).status == NewsStatus.SENT
    await outbox.close()


async def test_a_stop_just_after_the_platform_accepted_a_message_does_not_send_it_again(world: World) -> None:
    stopping: list[asyncio.Task[None]] = []

    def stop_at_the_tenth(outgoing: Outgoing) -> None:
        if len(telegram.accepted) == 9 and not stopping:  # this one is accepted; the stop lands as it is recorded
            stopping.append(asyncio.create_task(first_outbox.close()))

    telegram = Platform("telegram", rate_limit=RateLimit(20, 20, 20), script=stop_at_the_tenth)
    for n in range(30):
        await world.artisan("telegram", f"t{n}")
    first_outbox, broadcasts = world.broadcasts([telegram])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    while not stopping:
        await asyncio.sleep(0.01)
    await stopping[0]
    await broadcasts.close()

    outbox, broadcasts = world.broadcasts([telegram])
    assert await broadcasts.recover() == 1
    await finished(broadcasts, news_id, timeout=30)
    assert telegram.received() == Counter({f"t{n}": 1 for n in range(30)})
    await outbox.close()


async def test_a_reply_goes_before_the_broadcast_waiting_for_the_same_platform(world: World) -> None:
    telegram = Platform("telegram", rate_limit=RateLimit(per_chat_per_second=1, per_chat_burst=3, overall_per_second=20))
    for n in range(200):
        await world.artisan("telegram", f"t{n}")
    outbox, broadcasts = world.broadcasts([telegram])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    await asyncio.sleep(1.0)
    waiting_broadcast = (await broadcasts.progress(news_id)).waiting
    assert waiting_broadcast > 100
    at = len(telegram.accepted)
    stored = await world.log.store_inbound(Inbound("telegram", "writing", "une question"))
    outbox.enqueue(await world.log.record_answer(stored.message, [{"text": "réponse à l’artisan"}]))
    for _ in range(100):
        if any(m.text == "réponse à l’artisan" for m in telegram.accepted):
            break
        await asyncio.sleep(0.02)
    position = next(i for i, m in enumerate(telegram.accepted) if m.text == "réponse à l’artisan")
    assert position <= at + BROADCAST_IN_FLIGHT + 1, "only the sends already in flight go before it"
    await broadcasts.stop(news_id, ADMIN)
    await outbox.close()


async def test_a_blocked_bot_fails_with_the_reason_and_ends_the_subscription(world: World) -> None:
    def blocked(outgoing) -> None:
        if outgoing.external_id == "blocked":
            raise DeliveryFailed("Forbidden: bot was blocked by the user", recipient_gone=True)

    blocked_id = await world.artisan("telegram", "blocked")
    await world.artisan("telegram", "fine")
    outbox, broadcasts = world.broadcasts([Platform("telegram", script=blocked)])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    await finished(broadcasts, news_id)
    progress = await broadcasts.progress(news_id)
    assert (progress.sent, progress.failed) == (1, 1)
    assert progress.reasons == [("Forbidden: bot was blocked by the user", 1)]
    for _ in range(50):
        if not await world.subscriptions.is_active(blocked_id):
            break
        await asyncio.sleep(0.02)
    assert (await world.subscriptions.of(blocked_id)).ended_reason == "delivery_failed"
    rows = await broadcasts.deliveries(news_id)
    assert sorted(r.outcome for r in rows) == ["failed", "sent"]
    await outbox.close()


async def test_the_window_closing_before_the_send_is_a_failure_not_a_hold(world: World) -> None:
    conversation = await world.artisan("whatsapp", "closing", wrote_hours_ago=2)
    whatsapp = Platform("whatsapp", window=True)
    outbox, broadcasts = world.broadcasts([whatsapp])
    news_id = await sent_item(world)
    whatsapp.window_open = lambda last_inbound_at: last_inbound_at is not None  # open at start...
    await broadcasts.start(news_id, ADMIN)
    whatsapp.window_open = lambda last_inbound_at: False  # ...closed when its turn comes
    await finished(broadcasts, news_id)
    progress = await broadcasts.progress(news_id)
    assert progress.failed == 1 and progress.sent == 0
    history = await world.log.transcript(conversation)
    assert history[-1].status == MessageStatus.FAILED, "a broadcast is not kept to send when the artisan writes"
    await outbox.close()


async def test_a_scheduled_broadcast_starts_at_its_time(world: World) -> None:
    telegram = Platform("telegram")
    await world.artisan("telegram", "1")
    outbox, broadcasts = world.broadcasts([telegram])
    news_id = await sent_item(world)
    await world.items.schedule(news_id, datetime.now(UTC) + timedelta(seconds=0.3), ADMIN)
    scheduler = asyncio.create_task(broadcasts.run_schedule())
    try:
        await asyncio.sleep(0.1)
        assert telegram.accepted == [], "not before its time"
        for _ in range(100):
            if telegram.accepted:
                break
            await asyncio.sleep(0.05)
        assert telegram.received() == Counter({"1": 1})
    finally:
        scheduler.cancel()
        await asyncio.gather(scheduler, return_exceptions=True)
    await finished(broadcasts, news_id)
    assert (await world.items.get(news_id)).status == NewsStatus.SENT
    assert SYSTEM.name == "programmation"
    await outbox.close()


async def test_a_broadcast_with_the_barometer_asks_it_with_buttons_to_those_who_can_tap_and_were_not_asked(
    world: World,
) -> None:
    from bot.desk.barometer import BarometerDesk
    from bot.news.wording import BAROMETER_BUTTONS, BAROMETER_QUESTION

    telegram = await world.artisan("telegram", "t-fresh")
    asked_lately = await world.artisan("telegram", "t-asked")
    await world.artisan("whatsapp", "w-inside", wrote_hours_ago=2)
    await world.artisan("whatsapp", "w-outside", wrote_hours_ago=30)
    web = await world.artisan("rest", "web-1")
    desk = BarometerDesk(world.sessionmaker, world.settings.clock)
    await desk.offer(asked_lately)
    tg, wa = Platform("telegram"), Platform("whatsapp", window=True)
    outbox, broadcasts = world.broadcasts([tg, wa], whatsapp_news_template=TEMPLATE)
    news_id = await sent_item(world, barometer="on")
    assert (await broadcasts.preview(news_id)).text.endswith(BAROMETER_QUESTION)

    await broadcasts.start(news_id, ADMIN)
    await finished(broadcasts, news_id)
    sent = {m.external_id: m for m in tg.accepted + wa.accepted}
    assert set(sent) == {"t-fresh", "t-asked", "w-inside", "w-outside"}
    for chat in ("t-fresh", "w-inside"):
        assert sent[chat].text.endswith(BAROMETER_QUESTION) and sent[chat].buttons == BAROMETER_BUTTONS
    assert BAROMETER_QUESTION not in sent["t-asked"].text and sent["t-asked"].buttons == [], "asked 0 days ago"
    assert sent["w-outside"].template.name == TEMPLATE and sent["w-outside"].buttons == [], "a template has none"
    [news] = [m for m in await world.log.transcript(web) if m.author == Author.NEWS]
    assert news.text.endswith(BAROMETER_QUESTION) and news.payload["buttons"] == BAROMETER_BUTTONS

    assert (await desk.claim_broadcast(telegram)).ask is True
    assert (await desk.claim_broadcast(web)).ask is True
    assert (await desk.claim_broadcast(asked_lately)).ask is False
    await outbox.close()


async def test_a_broadcast_without_the_barometer_asks_nothing(world: World) -> None:
    from bot.desk.barometer import BarometerDesk

    chat = await world.artisan("telegram", "t-1")
    tg = Platform("telegram")
    outbox, broadcasts = world.broadcasts([tg])
    news_id = await sent_item(world)
    await broadcasts.start(news_id, ADMIN)
    await finished(broadcasts, news_id)
    assert tg.accepted[0].buttons == []
    assert (await BarometerDesk(world.sessionmaker, world.settings.clock).offer(chat)).ask is True
    await outbox.close()
