"""A burst of webhook deliveries on Telegram and WhatsApp: how fast the gateway answers the platform, how soon
the artisan gets the reply, and whether anything was lost or repeated.

Per channel, `conversations` artisans each send `messages` messages, in order, all conversations at once:
deliveries arrive at `rate` per second in all (by default about twice what Rasa answers on this machine, so
Rasa is saturated and its backlog grows), each posted at its time whatever the earlier answers. A few updates
are delivered twice, as platforms do when they miss our answer. The webhook answer time is what the platform
sees; the reply time runs from the delivery to the reply reaching the platform. The replies reach local fakes of the two platforms (tests/support/fakes/), in this
process, so a reply's arrival time and the webhook's send time share one clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import multiprocessing
import random
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import aiohttp
from sqlalchemy import select

from bot.storage import Direction, MessageStatus, create_engine, create_sessionmaker
from bot.storage.models import Message
from tests.support.fakes import telegram as tg
from tests.support.fakes import whatsapp as wa
from tests.support.stack import Stack

SCRIPT = [
    "bonjour",
    "c quoi le fonds de solidarite",
    "et le pge ?",
    "chomage partiel pr mes 2 salariés comment faire",
    "je peux reporter mes cotisations urssaf ?",
    "mon loyer je peux pas le payer",
    "la banque me refuse le pret",
    "je suis coiffeuse je peux rouvrir quand",
    "merci bcp",
    "au revoir",
]
# One update in this many is delivered a second time.
REDELIVER_ONE_IN = 20


@dataclass
class Burst:
    channel: str
    # platform message id of the inbound → when its webhook was posted (time.monotonic)
    posted_at: dict[str, float] = field(default_factory=dict)
    webhook_ms: list[float] = field(default_factory=list)
    refused: int = 0
    redelivered: int = 0
    elapsed: float = 0.0


def percentile(values: list[float], p: float) -> float:
    """The value below which p % of `values` fall (nearest rank); NaN when there are none."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


async def _post(session: aiohttp.ClientSession, burst: Burst, url: str, data: bytes, headers: dict, key: str) -> None:
    started = time.monotonic()
    burst.posted_at.setdefault(key, started)
    try:
        async with session.post(url, data=data, headers=headers) as response:
            await response.read()
            ok = response.status == 200
    except (aiohttp.ClientError, asyncio.TimeoutError):
        ok = False
    burst.webhook_ms.append((time.monotonic() - started) * 1000)
    if not ok:
        burst.refused += 1


async def _at(started: float, offset: float) -> None:
    """Sleep until `offset` seconds after `started` (at once when late: a late delivery is not skipped)."""
    delay = started + offset - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)


# A delivery as a platform posts it: (body, headers, the platform's id of the message).
Posted = tuple[bytes, dict[str, str], str]


def telegram_deliveries(secret: str, conversations: int) -> tuple[str, list[str], Callable[[str, str], Posted]]:
    """Telegram's webhook path, chat ids, and how it posts a message."""
    update_ids = itertools.count(random.randrange(10**6, 10**8))
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}

    def deliver(chat_id: str, text: str) -> Posted:
        update = tg.text_update(next(update_ids), int(chat_id), text)
        return json.dumps(update).encode(), headers, f"u{update['update_id']}"

    return "/webhooks/telegram/webhook", [str(n) for n in random.sample(range(10**8, 10**9), conversations)], deliver


def whatsapp_deliveries(app_secret: str, conversations: int) -> tuple[str, list[str], Callable[[str, str], Posted]]:
    """WhatsApp's webhook path, numbers, and how Meta posts a message (signed)."""

    def deliver(wa_id: str, text: str) -> Posted:
        body = wa.text_message(wa_id, text)
        raw = json.dumps(body).encode()
        signature = hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}
        return raw, headers, body["entry"][0]["changes"][0]["value"]["messages"][0]["id"]

    numbers = [f"33{n}" for n in random.sample(range(600000000, 799999999), conversations)]
    return "/webhooks/whatsapp/webhook", numbers, deliver


CHANNELS = {"telegram": telegram_deliveries, "whatsapp": whatsapp_deliveries}


async def post_burst(
    channel: str, gateway_url: str, secret: str, conversations: int, messages: int, rate: float
) -> Burst:
    """Post every conversation's messages at their times, all conversations at once; some twice."""
    burst = Burst(channel)
    path, chats, deliver = CHANNELS[channel](secret, conversations)
    url = f"{gateway_url}{path}"

    async def artisan(session: aiohttp.ClientSession, started: float, index: int, chat: str) -> None:
        for k, text in enumerate((SCRIPT * messages)[:messages]):
            await _at(started, (k * conversations + index) / rate)
            body, headers, key = deliver(chat, text)
            await _post(session, burst, url, body, headers, key)
            if random.randrange(REDELIVER_ONE_IN) == 0:
                burst.redelivered += 1
                await _post(session, burst, url, body, headers, key)

    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as session:
        started = time.monotonic()
        await asyncio.gather(*(artisan(session, started, i, chat) for i, chat in enumerate(chats)))
        burst.elapsed = time.monotonic() - started
    return burst


@dataclass
class Outcome:
    stored: int
    lost: int
    duplicated: int
    replies: int
    reply_ms: list[float]
    drained_in: float


async def settle(
    stack: Stack, burst: Burst, received: Callable[[], dict[str, float]], timeout: float = 600
) -> Outcome:
    """Wait until every stored message is answered and every reply has left; then count and match.

    `received()` maps each platform id the fake received (a Telegram "chat:message_id", a WhatsApp wamid) to
    when it arrived there.
    """
    engine = create_engine(stack.settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    started = time.monotonic()
    try:
        while True:
            async with sessionmaker() as session:
                rows = list(await session.scalars(select(Message).where(Message.channel == burst.channel)))
            inbound = {m.platform_message_id: m for m in rows if m.direction == Direction.IN}
            outbound = [m for m in rows if m.direction == Direction.OUT]
            busy = any(m.status == MessageStatus.RECEIVED for m in inbound.values()) or any(
                m.status == MessageStatus.PENDING for m in outbound
            )
            if not busy and len(inbound) >= len(burst.posted_at) or time.monotonic() - started > timeout:
                break
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    drained_in = time.monotonic() - started
    sent_ids = received()
    by_inbound: dict[int, list[Message]] = {}
    for m in outbound:
        by_inbound.setdefault(m.reply_to_id, []).append(m)
    lost = 0
    reply_ms = []
    for key, posted in burst.posted_at.items():
        message = inbound.get(key)
        replies = by_inbound.get(message.id, []) if message is not None else []
        arrived = [sent_ids.get(r.platform_message_id) for r in replies]
        if message is None or not replies or None in arrived:
            lost += 1
            continue
        reply_ms.append((min(arrived) - posted) * 1000)
    ours = {m.platform_message_id for m in outbound}
    # Sent to the platform but not recorded as one of our replies, or recorded twice: a repeat.
    duplicated = sum(1 for platform_id in sent_ids if platform_id not in ours)
    duplicated += len(outbound) - len({m.platform_message_id for m in outbound if m.platform_message_id})
    return Outcome(len(inbound), lost, duplicated, len(outbound), reply_ms, drained_in)


def print_report(burst: Burst, outcome: Outcome) -> None:
    deliveries = len(burst.webhook_ms)
    print(
        f"  {burst.channel:<9} {deliveries:>6} {burst.redelivered:>6} {burst.refused:>7} "
        f"{percentile(burst.webhook_ms, 50):>8.1f} {percentile(burst.webhook_ms, 99):>8.1f} "
        f"{percentile(outcome.reply_ms, 50) / 1000:>8.1f} {percentile(outcome.reply_ms, 99) / 1000:>8.1f} "
        f"{outcome.lost:>5} {outcome.duplicated:>5} {deliveries / burst.elapsed:>7.0f} {outcome.drained_in:>8.1f}"
    )


def header() -> None:
    print(
        f"  {'channel':<9} {'posts':>6} {'again':>6} {'refused':>7} {'hook p50':>8} {'hook p99':>8} "
        f"{'reply p50':>8} {'reply p99':>8} {'lost':>5} {'dup':>5} {'posts/s':>7} {'drain s':>8}"
    )
    print(f"  {'':<9} {'':>6} {'':>6} {'':>7} {'ms':>8} {'ms':>8} {'s':>8} {'s':>8}")


def _run_in_child(function, *args):  # type: ignore[no-untyped-def]
    return asyncio.run(function(*args))


async def in_own_process(function, *args) -> Burst:  # type: ignore[no-untyped-def]
    """Post the burst from a process of its own: the fake platforms' threads here would otherwise make the
    poster wait for the interpreter, and the webhook times measured would be partly ours. Monotonic time is
    the machine's, so the reply times still compare with the fakes' clocks."""
    loop = asyncio.get_running_loop()
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return await loop.run_in_executor(pool, _run_in_child, function, *args)


async def run(
    stack: Stack, telegram: tg.FakeTelegram, whatsapp: wa.FakeWhatsApp, conversations: int, messages: int, rate: float
) -> None:
    print(
        f"\nBurst: {conversations} conversations × {messages} messages per channel at {rate:.0f} deliveries/s, "
        f"1 in {REDELIVER_ONE_IN} delivered twice"
    )
    header()
    # Per channel: the secret that makes a delivery authentic, and what reached the fake platform, by id.
    channels = {
        "telegram": (
            stack.env["TELEGRAM_WEBHOOK_SECRET"],
            lambda: {f"{m['chat_id']}:{m['message_id']}": m["at"] for m in list(telegram.sent)},
        ),
        "whatsapp": (whatsapp.app_secret, lambda: {m["id"]: m["at"] for m in list(whatsapp.sent)}),
    }
    for name, (secret, received) in channels.items():
        burst = await in_own_process(post_burst, name, stack.url, secret, conversations, messages, rate)
        print_report(burst, await settle(stack, burst, received))
