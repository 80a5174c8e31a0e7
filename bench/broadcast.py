"""A broadcast of the chamber's news to 10,000 subscribers, half on Telegram and half on WhatsApp (half of those
outside the 24-hour window, reached with the approved template), against the local fakes of the two platforms.

It prints the time to complete next to the floor the platforms' limits impose (Telegram 30 messages a second,
WhatsApp 80, in parallel), duplicates and missed recipients counted at the fakes, the gateway's memory, and the
reply latency of 8 artisans conversing during the broadcast next to the same without one.
"""

from __future__ import annotations

import asyncio
import random
import subprocess
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import insert

from bench.burst import percentile
from bot.channels.telegram.channel import TelegramChannel
from bot.channels.whatsapp.channel import WhatsAppChannel
from bot.storage import Direction, MessageStatus, create_engine
from bot.storage.models import Conversation, Message, Subscription
from tests.stack.newsroom import Newsroom
from tests.support.fakes import telegram as tg
from tests.support.fakes import whatsapp as wa
from tests.support.fakes.telegram import FakeTelegram
from tests.support.fakes.whatsapp import FakeWhatsApp
from tests.support.stack import Stack

TITLE = "Reconfinement : ce qui change pour les artisans"
QUESTIONS = ["c quoi le fonds de solidarite", "et le pge ?", "chomage partiel comment faire", "merci"]
ARTISANS = 8
# An artisan reads the answer and types the next question: the per-chat limit (1 a second) is not what is measured.
THINK_SECONDS = 2.0


async def add_subscribers(stack: Stack, channel: str, count: int, wrote_hours_ago: float) -> list[str]:
    """Subscribers put straight into the database, in bulk: their chat ids."""
    wrote_at = datetime.now(UTC) - timedelta(hours=wrote_hours_ago)
    if channel == "telegram":
        chats = [str(n) for n in random.sample(range(10**9, 10**10), count)]
    else:
        chats = [f"33{n}" for n in random.sample(range(600000000, 799999999), count)]
    conversations = [{"id": uuid.uuid4().hex, "channel": channel, "external_id": chat} for chat in chats]
    engine = create_engine(stack.settings.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(insert(Conversation), conversations)
            await connection.execute(insert(Message), [
                {"conversation_id": c["id"], "direction": Direction.IN, "channel": channel, "author": "artisan",
                 "text": "je veux recevoir les infos", "status": MessageStatus.DONE, "created_at": wrote_at,
                 "platform_message_id": uuid.uuid4().hex, "attempts": 0}
                for c in conversations
            ])
            await connection.execute(insert(Subscription), [
                {"conversation_id": c["id"], "channel": channel, "consent_text": "(banc d'essai) oui",
                 "consent_at": wrote_at, "active": True}
                for c in conversations
            ])
    finally:
        await engine.dispose()
    return chats


class Arrivals:
    """What reached each chat at the fakes, read incrementally (the fakes keep one list of everything sent)."""

    def __init__(self, telegram: FakeTelegram, whatsapp: FakeWhatsApp) -> None:
        self.telegram, self.whatsapp = telegram, whatsapp
        self.counts: Counter[str] = Counter()
        self._read = {"telegram": 0, "whatsapp": 0}

    def refresh(self) -> None:
        for name, fake, chat_of in (
            ("telegram", self.telegram, lambda m: str(m.get("chat_id"))),
            ("whatsapp", self.whatsapp, lambda m: m.get("to")),
        ):
            new = fake.sent[self._read[name]:]
            self._read[name] += len(new)
            for message in new:
                self.counts[chat_of(message)] += 1


async def converse(session: aiohttp.ClientSession, stack: Stack, arrivals: Arrivals, n: int,
                   latencies: list[float], stop: asyncio.Event) -> None:
    """An artisan asking question after question, each once the previous is answered, until `stop`."""
    on_telegram = n % 2 == 0
    chat = str(random.randrange(10**8, 10**9)) if on_telegram else f"3361{random.randrange(10**7):07d}"
    update_ids = iter(range(random.randrange(10**8, 10**9), 10**10))
    while not stop.is_set():
        for text in QUESTIONS:
            arrivals.refresh()
            before = arrivals.counts[chat]
            started = time.monotonic()
            if on_telegram:
                body = tg.text_update(next(update_ids), int(chat), text)
                headers = {"X-Telegram-Bot-Api-Secret-Token": stack.env["TELEGRAM_WEBHOOK_SECRET"]}
                async with session.post(f"{stack.url}/webhooks/telegram/webhook", json=body, headers=headers) as r:
                    await r.read()
            else:
                raw, headers = arrivals.whatsapp.signed(wa.text_message(chat, text))
                async with session.post(f"{stack.url}/webhooks/whatsapp/webhook", data=raw, headers=headers) as r:
                    await r.read()
            while arrivals.counts[chat] <= before and time.monotonic() - started < 60:
                await asyncio.sleep(0.005)
                arrivals.refresh()
            latencies.append((time.monotonic() - started) * 1000)
            if stop.is_set():
                return
            await asyncio.sleep(THINK_SECONDS)


async def conversing(stack: Stack, arrivals: Arrivals, seconds: float | None,
                     stop: asyncio.Event | None = None) -> list[float]:
    latencies: list[float] = []
    stop = stop or asyncio.Event()
    async with aiohttp.ClientSession() as session:
        tasks = [asyncio.create_task(converse(session, stack, arrivals, n, latencies, stop)) for n in range(ARTISANS)]
        if seconds is not None:
            await asyncio.sleep(seconds)
            stop.set()
        await asyncio.gather(*tasks)
    return latencies


def gateway_memory_mib(stack: Stack) -> tuple[float, float]:
    """The gateway process's resident and peak memory (VmRSS, VmHWM), MiB."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    for line in out.splitlines():
        pid, ppid, args = line.split(None, 2)
        if int(ppid) == stack.process.pid and "bot serve" in args:
            fields = {}
            for row in open(f"/proc/{pid}/status").read().splitlines():
                name, _, value = row.partition(":")
                fields[name] = value
            return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    return float("nan"), float("nan")


async def run(stack: Stack, telegram: FakeTelegram, whatsapp: FakeWhatsApp, subscribers: int) -> None:
    half = subscribers // 2
    print(f"\nBroadcast to {subscribers} subscribers ({half} Telegram, {subscribers - half} WhatsApp, half of them "
          "outside the 24-hour window: the template)", flush=True)
    tg_chats = await add_subscribers(stack, "telegram", half, 1)
    wa_inside = await add_subscribers(stack, "whatsapp", (subscribers - half) // 2, 2)
    wa_outside = await add_subscribers(stack, "whatsapp", subscribers - half - len(wa_inside), 30)
    arrivals = Arrivals(telegram, whatsapp)
    baseline = await conversing(stack, arrivals, 30)
    rss_before, _ = gateway_memory_mib(stack)

    newsroom = await Newsroom.open(stack)
    try:
        news_id = await newsroom.write(title=TITLE)
        started = time.monotonic()
        await newsroom.act(news_id, "send")
        stop = asyncio.Event()
        during_task = asyncio.create_task(conversing(stack, arrivals, None, stop))
        peak_rss = rss_before
        while (await newsroom.progress(news_id))["status"] == "sending":
            peak_rss = max(peak_rss, gateway_memory_mib(stack)[0])
            await asyncio.sleep(1)
        elapsed = time.monotonic() - started
        stop.set()
        during = await during_task
        progress = await newsroom.progress(news_id)
    finally:
        await newsroom.close()

    received: Counter[str] = Counter()
    times: dict[str, list[float]] = {"telegram": [], "whatsapp": []}
    for message in telegram.sent:
        if (message.get("text") or "").startswith("📰"):
            received[str(message.get("chat_id"))] += 1
            times["telegram"].append(message["at"])
    for body in whatsapp.sent:
        if body.get("type") == "template" or (body.get("type") == "text" and body["text"]["body"].startswith("📰")):
            received[body.get("to")] += 1
            times["whatsapp"].append(body["at"])
    copies = Counter(received[chat] for chat in tg_chats + wa_inside + wa_outside)
    templates = sum(1 for body in whatsapp.sent if body.get("type") == "template")
    floor = max(half / TelegramChannel.rate_limit.overall_per_second,
                (subscribers - half) / WhatsAppChannel.rate_limit.overall_per_second)
    duplicates = sum(count for n, count in copies.items() if n > 1)
    print(f"  completed in {elapsed:.1f} s; the platforms' limits allow it in {floor:.1f} s at best "
          f"({elapsed / floor:.2f} × the floor)")
    for name, limit in (("telegram", TelegramChannel.rate_limit), ("whatsapp", WhatsAppChannel.rate_limit)):
        at = times[name]
        if len(at) > 1:
            span = max(at) - min(at)
            print(f"  {name}: {len(at)} in {span:.1f} s, {len(at) / span:.1f} a second (its limit: "
                  f"{limit.overall_per_second:g}, shared with the conversations' replies)")
    print(f"  sent {progress['sent'] + progress['delivered'] + progress['read']}, failed {progress['failed']}, "
          f"skipped {progress['skipped']}; WhatsApp templates outside the window: {templates}")
    print(f"  duplicates: {duplicates}; missed: {copies.get(0, 0)}")
    print(f"  gateway memory: {rss_before:.0f} MiB resident before, {peak_rss:.0f} MiB at most during")
    p50_before, p50_during = percentile(baseline, 50), percentile(during, 50)
    print(f"  {ARTISANS} artisans conversing: reply p50 {p50_before:.0f} ms without a broadcast "
          f"({len(baseline)} replies), {p50_during:.0f} ms during it ({len(during)} replies): "
          f"{100 * (p50_during / p50_before - 1):+.1f} %; p95 {percentile(baseline, 95):.0f} → "
          f"{percentile(during, 95):.0f} ms")

