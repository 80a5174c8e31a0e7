"""The outbox on SQLite and PostgreSQL: order per conversation, retries with backoff, failures, the 24-hour hold.

The channel here is a scripted PushChannel (the platforms' own fakes are tested in tests/bot/channels and on
the whole stack): each test says what the platform answers to each attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from bot.channels.base import Delivery, DeliveryFailed, Held, Outgoing, PushChannel, RateLimit, RetryLater
from bot.messaging.outbox import Outbox
from bot.storage import MessageStatus
from bot.storage.deliveries import DeliveryLog
from bot.storage.message_log import Inbound, MessageLog

FAST = RateLimit(per_chat_per_second=1000, per_chat_burst=1000, overall_per_second=1000)


class ScriptedChannel(PushChannel):
    """A platform that answers each send as `script(outgoing, attempt)` says, and records what it accepted."""

    name = "scripted"
    has_reply_window = True

    def __init__(self, script: Callable[[Outgoing, int], None] | None = None, rate_limit: RateLimit = FAST) -> None:
        self.rate_limit = rate_limit
        self.script = script or (lambda outgoing, attempt: None)
        self.attempts: dict[int, int] = {}
        self.accepted: list[Outgoing] = []
        self.sending = 0
        self.most_at_once = 0

    def routes(self) -> list[web.RouteDef]:
        return []

    async def send(self, message: Outgoing) -> Delivery:
        attempt = self.attempts[message.message_id] = self.attempts.get(message.message_id, 0) + 1
        self.sending += 1
        self.most_at_once = max(self.most_at_once, self.sending)
        try:
            await asyncio.sleep(0.01)
            self.script(message, attempt)
        finally:
            self.sending -= 1
        self.accepted.append(message)
        return Delivery([f"p{message.message_id}"])

    def texts_to(self, external_id: str) -> list[str]:
        return [m.text for m in self.accepted if m.external_id == external_id]


async def replies(log: MessageLog, chat: str, *texts: str, n: int = 0) -> list:
    """The artisan `chat` writes; the bot's replies `texts` are stored PENDING, as the router stores them."""
    stored = await log.store_inbound(Inbound("scripted", chat, "question", platform_message_id=f"{chat}-{n}-{texts}"))
    return await log.record_answer(stored.message, [{"text": text} for text in texts])


async def statuses(log: MessageLog, messages: list) -> list[tuple[str, str | None]]:
    return [((m := await log.get(message.id)).status, m.error) for message in messages]


async def test_each_conversation_is_sent_in_order_and_conversations_in_parallel(log: MessageLog, deliveries: DeliveryLog) -> None:
    channel = ScriptedChannel()
    outbox = Outbox(deliveries, [channel])
    for chat in ("anne", "bruno", "chloe"):
        outbox.enqueue(await replies(log, chat, *(f"{chat} {i}" for i in range(5))))
    await asyncio.wait_for(outbox.drained(), 10)
    for chat in ("anne", "bruno", "chloe"):
        assert channel.texts_to(chat) == [f"{chat} {i}" for i in range(5)]
    assert channel.most_at_once > 1, "conversations wait for no one but themselves"
    # The channel learns when the artisan last wrote (WhatsApp's 24-hour window), as an aware UTC time.
    ages = [datetime.now(UTC) - m.last_inbound_at for m in channel.accepted]
    assert all(timedelta(0) <= age < timedelta(seconds=30) for age in ages)
    sent = await deliveries.pending_outbound(["scripted"])
    assert sent == []


async def test_a_platform_outage_is_retried_with_backoff_then_sent_once(log: MessageLog, deliveries: DeliveryLog) -> None:
    def down_twice(outgoing: Outgoing, attempt: int) -> None:
        if attempt <= 2:
            raise RetryLater("HTTP 502")

    channel = ScriptedChannel(down_twice)
    outbox = Outbox(deliveries, [channel], backoff=(0.05, 0.1))
    first, second = await replies(log, "dora", "un", "deux")
    outbox.enqueue([first, second])
    await asyncio.wait_for(outbox.drained(), 10)
    assert channel.texts_to("dora") == ["un", "deux"], "the second waits for the first: order is kept"
    stored = await log.get(first.id)
    assert (stored.status, stored.attempts, stored.platform_message_id) == (MessageStatus.SENT, 3, f"p{first.id}")
    assert stored.error is None


async def test_a_flood_wait_pauses_the_whole_channel_for_the_time_asked(log: MessageLog, deliveries: DeliveryLog) -> None:
    loop = asyncio.get_running_loop()
    sent_at: dict[str, float] = {}

    def flood_once(outgoing: Outgoing, attempt: int) -> None:
        if outgoing.text == "first" and attempt == 1:
            raise RetryLater("Flood control exceeded", delay=0.5, whole_channel=True)
        sent_at[outgoing.text] = loop.time()

    channel = ScriptedChannel(flood_once)
    outbox = Outbox(deliveries, [channel])
    started = loop.time()
    outbox.enqueue(await replies(log, "emile", "first"))
    await asyncio.sleep(0.1)
    outbox.enqueue(await replies(log, "fanny", "other chat"))
    await asyncio.wait_for(outbox.drained(), 10)
    assert sent_at["first"] - started >= 0.5
    assert sent_at["other chat"] - started >= 0.45, "another conversation waits for the pause too"


async def test_a_refused_message_is_failed_with_its_reason_and_the_next_one_still_goes(log: MessageLog, deliveries: DeliveryLog) -> None:
    def refuse_first(outgoing: Outgoing, attempt: int) -> None:
        if outgoing.text == "refused":
            raise DeliveryFailed("L'artisan a bloqué le bot")

    channel = ScriptedChannel(refuse_first)
    outbox = Outbox(deliveries, [channel])
    messages = await replies(log, "gaston", "refused", "next")
    outbox.enqueue(messages)
    await asyncio.wait_for(outbox.drained(), 10)
    assert await statuses(log, messages) == [
        (MessageStatus.FAILED, "L'artisan a bloqué le bot"),
        (MessageStatus.SENT, None),
    ]


async def test_a_message_that_keeps_failing_is_given_up_after_the_last_attempt(log: MessageLog, deliveries: DeliveryLog) -> None:
    def always_down(outgoing: Outgoing, attempt: int) -> None:
        raise RetryLater("HTTP 503")

    outbox = Outbox(deliveries, [ScriptedChannel(always_down)], backoff=(0.01,), max_attempts=4)
    messages = await replies(log, "hugo", "never")
    outbox.enqueue(messages)
    await asyncio.wait_for(outbox.drained(), 10)
    [(status, error)] = await statuses(log, messages)
    assert status == MessageStatus.FAILED and "HTTP 503" in error
    assert (await log.get(messages[0].id)).attempts == 4


async def test_a_held_message_goes_out_first_when_the_artisan_writes_again(log: MessageLog, deliveries: DeliveryLog) -> None:
    window_open = False

    def window(outgoing: Outgoing, attempt: int) -> None:
        if not window_open:
            raise Held("Fenêtre de 24 h fermée")

    channel = ScriptedChannel(window)
    outbox = Outbox(deliveries, [channel])
    held = await replies(log, "ines", "late answer")
    outbox.enqueue(held)
    await asyncio.wait_for(outbox.drained(), 10)
    assert await statuses(log, held) == [(MessageStatus.HELD, "Fenêtre de 24 h fermée")]
    assert channel.accepted == []

    window_open = True  # the artisan writes again: the router stores its answer, the outbox gets it
    outbox.enqueue(await replies(log, "ines", "fresh answer", n=1))
    await asyncio.wait_for(outbox.drained(), 10)
    assert channel.texts_to("ines") == ["late answer", "fresh answer"]
    assert (await log.get(held[0].id)).status == MessageStatus.SENT


async def test_messages_left_pending_by_a_stop_are_sent_by_the_next_start(log: MessageLog, deliveries: DeliveryLog) -> None:
    stuck = asyncio.Event()

    async def never_returns(message: Outgoing) -> Delivery:
        await stuck.wait()
        raise AssertionError("unreachable")

    first_channel = ScriptedChannel()
    first_channel.send = never_returns  # type: ignore[method-assign]
    first = Outbox(deliveries, [first_channel])
    messages = await replies(log, "jules", "un", "deux")
    first.enqueue(messages)
    await asyncio.sleep(0.05)
    await first.close()  # stopped in the middle of sending

    channel = ScriptedChannel()
    second = Outbox(deliveries, [channel])
    assert await second.recover() == 2
    await asyncio.wait_for(second.drained(), 10)
    assert channel.texts_to("jules") == ["un", "deux"]


async def test_the_outbox_leaves_the_web_chat_replies_to_the_web_chat(log: MessageLog, deliveries: DeliveryLog) -> None:
    channel = ScriptedChannel()
    outbox = Outbox(deliveries, [channel])
    stored = await log.store_inbound(Inbound("rest", "web-visitor", "bonjour"))
    outbox.enqueue(await log.record_answer(stored.message, [{"text": "Bonjour !"}]))
    await asyncio.wait_for(outbox.drained(), 1)
    assert channel.accepted == []
    assert await outbox.recover() == 0





async def test_sends_to_one_chat_are_paced_by_the_per_chat_rate(log: MessageLog, deliveries: DeliveryLog) -> None:
    loop = asyncio.get_running_loop()
    times: list[float] = []
    channel = ScriptedChannel(
        lambda outgoing, attempt: times.append(loop.time()),
        RateLimit(per_chat_per_second=10, per_chat_burst=2, overall_per_second=1000),
    )
    outbox = Outbox(deliveries, [channel])
    outbox.enqueue(await replies(log, "lea", *"abcde"))
    await asyncio.wait_for(outbox.drained(), 10)
    assert times[4] - times[0] >= 0.28, "after a burst of 2, 10 per second: the 5th goes 0.3 s after the 1st"
