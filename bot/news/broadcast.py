"""This module contains Broadcasts: a news item sent to its audience, one stored row per recipient, each message
through the outbox's low-priority lane, resumed after a stop or a crash, stoppable; and what a broadcast will be
(its preview) and where it stands (its progress).

A news item may carry the barometer's first question: when its broadcast starts, the recipients who can tap a
button (not a WhatsApp template outside the 24-hour window) and were not asked in the last 7 days are counted as
asked (bot.desk.barometer.mark_broadcast), and their message ends with the question and its buttons."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from bot.channels.base import Template
from bot.errors import NewsRefused
from bot.messaging.outbox import Outbox
from bot.news.items import NewsItems, audience_of
from bot.news.progress import Preview, Progress, RecipientStatus, StatusWatch
from bot.news.subscriptions import Recipient, Subscriptions
from bot.desk.barometer import mark_broadcast
from bot.news.wording import BAROMETER_BUTTONS, broadcast_text, template_parameters, with_barometer
from bot.settings import Settings
from bot.storage.audit import Actor, record
from bot.storage.message_log import insert_outbound_many, outbound_rows
from bot.storage.models import (
    Author,
    Conversation,
    DeliveryState,
    Message,
    MessageStatus,
    NewsDelivery,
    NewsItem,
    NewsStatus,
)

logger = logging.getLogger(__name__)

LANE = "broadcast"
# Recipients turned into messages at a time, per platform; a platform's share of the lane is fed again once it
# holds fewer than LOW_WATER (a few seconds of sending at the platform's rate).
BATCH = 100
LOW_WATER = 100
STARTABLE = (NewsStatus.DRAFT, NewsStatus.PUBLISHED, NewsStatus.SCHEDULED)
OUTSIDE_WINDOW = (
    "Hors de la fenêtre de 24 h de WhatsApp, et aucun modèle d’annonce approuvé (WHATSAPP_NEWS_TEMPLATE) : "
    "WhatsApp n’accepte pas de message libre."
)
CHANNEL_OFF = "Le canal {channel} n’est pas configuré sur ce serveur."
SYSTEM = Actor(None, "programmation")
STOPPED_REASON = "Envoi arrêté"


class Broadcasts:
    """Starts, runs, stops and resumes broadcasts, and says where each stands."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker,
        items: NewsItems,
        subscriptions: Subscriptions,
        outbox: Outbox,
        settings: Settings,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._engine: AsyncEngine = sessionmaker.kw["bind"]
        self._items = items
        self._subscriptions = subscriptions
        self._outbox = outbox
        self._settings = settings
        self._runners: dict[int, asyncio.Task[None]] = {}

    # --- Before ---------------------------------------------------------------------------------------------

    def _template(self, item: NewsItem) -> Template | None:
        name = self._settings.whatsapp_news_template
        if not name:
            return None
        return Template(name, self._settings.whatsapp_news_template_language, template_parameters(item))

    def _skip_reason(self, recipient: Recipient, template: Template | None) -> str | None:
        """Why a recipient cannot be sent this broadcast, or None."""
        if recipient.channel == "rest":
            return None  # the web chat keeps it in the conversation, shown when the artisan comes back
        channel = self._outbox.channel(recipient.channel)
        if channel is None:
            return CHANNEL_OFF.format(channel=recipient.channel)
        if not channel.window_open(recipient.last_inbound_at) and template is None:
            return OUTSIDE_WINDOW
        return None

    def _can_tap(self, recipient: Recipient) -> bool:
        """Whether this recipient's message can carry buttons: not a WhatsApp template."""
        channel = self._outbox.channel(recipient.channel)
        return recipient.channel == "rest" or (channel is not None and channel.window_open(recipient.last_inbound_at))

    async def preview(self, news_id: int) -> Preview:
        item = await self._item(news_id)
        template = self._template(item)
        text = broadcast_text(item)
        preview = Preview(text=with_barometer(text) if item.barometer else text, template=template)
        for recipient in await self._subscriptions.recipients(audience_of(item), item.topic):
            preview.recipients[recipient.channel] += 1
            channel = self._outbox.channel(recipient.channel)
            if channel is not None and channel.has_reply_window and not channel.window_open(recipient.last_inbound_at):
                preview.whatsapp_outside_window += 1
            if self._skip_reason(recipient, template) is not None:
                preview.unreachable += 1
        return preview

    # --- Starting, running, stopping ---------------------------------------------------------------------------

    async def start(self, news_id: int, actor: Actor) -> int:
        """Send the news item to its audience now; the recipients counted. Its broadcast runs in the background."""
        item = await self._item(news_id)
        now = self._settings.clock()
        if not await self._items.move(
            news_id, STARTABLE, NewsStatus.SENDING, started_at=now, published_at=item.published_at or now
        ):
            raise NewsRefused(409, "Cette annonce est déjà envoyée ou en cours d’envoi.")
        template = self._template(item)
        recipients = await self._subscriptions.recipients(audience_of(item), item.topic)
        rows, tappable = [], []
        for recipient in recipients:
            reason = self._skip_reason(recipient, template)
            rows.append(
                dict(
                    news_id=news_id, conversation_id=recipient.conversation_id, channel=recipient.channel,
                    state=DeliveryState.SKIPPED if reason else DeliveryState.PENDING, reason=reason,
                    barometer=False, updated_at=now,
                )
            )
            if item.barometer and reason is None and self._can_tap(recipient):
                tappable.append(recipient.conversation_id)
        async with self._sessionmaker() as session:
            asked = await mark_broadcast(await session.connection(), tappable, now)
            for row in rows:
                row["barometer"] = row["conversation_id"] in asked
            for start in range(0, len(rows), 1000):
                await session.execute(insert(NewsDelivery), rows[start : start + 1000])
            record(session, actor, "news_send", f"annonce {news_id}", f"{len(rows)} destinataires")
            await session.commit()
        logger.info("Broadcast of news item %s started: %d recipients (%d asked the barometer)", news_id, len(rows), len(asked))
        self._spawn(news_id)
        return len(rows)

    async def stop(self, news_id: int, actor: Actor) -> None:
        """Send no more of it: the recipients not reached yet are not reached (what is in flight lands). From the
        command line too: the gateway sending it notices within a second and stops its part."""
        if not await self._items.move(
            news_id, (NewsStatus.SENDING,), NewsStatus.STOPPED, finished_at=self._settings.clock()
        ):
            raise NewsRefused(409, "Cette annonce n’est pas en cours d’envoi.")
        runner = self._runners.pop(news_id, None)
        if runner is not None:
            runner.cancel()
            await asyncio.gather(runner, return_exceptions=True)
        await self._halt(news_id)
        async with self._sessionmaker() as session:
            record(session, actor, "news_stop", f"annonce {news_id}", None)
            await session.commit()
        logger.info("Broadcast of news item %s stopped", news_id)

    async def _halt(self, news_id: int) -> None:
        """A stopped broadcast: its messages still in this gateway's lane are taken out and, with the recipients
        not queued yet, recorded as stopped."""
        unsent = self._outbox.broadcasts.discard(lambda message: (message.payload or {}).get("news_id") == news_id)
        async with self._sessionmaker() as session:
            if unsent:
                await session.execute(
                    update(NewsDelivery)
                    .where(NewsDelivery.message_id.in_(unsent))
                    .values(state=DeliveryState.STOPPED, message_id=None, reason=STOPPED_REASON)
                )
                await session.execute(
                    delete(Message).where(Message.id.in_(unsent), Message.status == MessageStatus.PENDING)
                )
            await session.execute(
                update(NewsDelivery)
                .where(NewsDelivery.news_id == news_id, NewsDelivery.state == DeliveryState.PENDING)
                .values(state=DeliveryState.STOPPED, reason=STOPPED_REASON)
            )
            await session.commit()

    async def recover(self) -> int:
        """At start: every broadcast a stop or a crash interrupted goes on where it was; those stopped while no
        gateway ran (the command line) drop what they had left queued."""
        async with self._sessionmaker() as session:
            sending = list(await session.scalars(select(NewsItem.id).where(NewsItem.status == NewsStatus.SENDING)))
            for news_id in sending:
                self._outbox.broadcasts.enqueue(await self._unsent(session, news_id))
            stopped = await session.scalars(
                select(NewsDelivery.news_id)
                .join(NewsItem, NewsItem.id == NewsDelivery.news_id)
                .join(Message, Message.id == NewsDelivery.message_id)
                .where(NewsItem.status == NewsStatus.STOPPED, Message.status == MessageStatus.PENDING)
                .distinct()
            )
            leftovers = list(stopped)
        for news_id in leftovers:
            async with self._sessionmaker() as session:
                self._outbox.broadcasts.enqueue(await self._unsent(session, news_id))
            await self._halt(news_id)
        for news_id in sending:
            logger.info("Broadcast of news item %s resumed", news_id)
            self._spawn(news_id)
        return len(sending)

    @staticmethod
    async def _unsent(session: Any, news_id: int) -> list[Message]:
        return list(
            await session.scalars(
                select(Message)
                .join(NewsDelivery, NewsDelivery.message_id == Message.id)
                .where(NewsDelivery.news_id == news_id, Message.status == MessageStatus.PENDING)
                .order_by(Message.id)
            )
        )

    async def run_schedule(self) -> None:
        """Start each scheduled broadcast at its time, until cancelled."""
        while True:
            await asyncio.sleep(self._settings.news_check_seconds)
            try:
                for news_id in await self._items.due():
                    await self.start(news_id, SYSTEM)
            except NewsRefused:
                pass  # started meanwhile (by an admin)
            except Exception:
                logger.exception("Starting the scheduled broadcasts failed")

    async def close(self) -> None:
        runners = list(self._runners.values())
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)

    async def wait(self, news_id: int) -> None:
        """Until this broadcast's runner is done (tests, the benchmark, the command line)."""
        runner = self._runners.get(news_id)
        if runner is not None:
            await asyncio.gather(runner, return_exceptions=True)

    def _spawn(self, news_id: int) -> None:
        if news_id not in self._runners:
            task = asyncio.create_task(self._run(news_id), name=f"broadcast-{news_id}")
            self._runners[news_id] = task
            task.add_done_callback(lambda _: self._runners.pop(news_id, None))

    async def _run(self, news_id: int) -> None:
        watch = StatusWatch(self._items, news_id)
        try:
            item = await self._item(news_id)
            template = self._template(item)
            text = broadcast_text(item)
            # Each platform is fed on its own, as its share of the lane drains: they send in parallel.
            channels = await self._pending_channels(news_id)
            while channels and await watch.sending():
                for channel in sorted(channels):
                    if self._outbox.broadcasts.backlog_of(channel) <= LOW_WATER:
                        if not await self._queue_next(news_id, channel, text, template):
                            channels.discard(channel)
                await asyncio.sleep(0.1)
            while await watch.sending() and await self._unsettled(news_id):
                await asyncio.sleep(0.5)
            if not await watch.sending():  # stopped elsewhere (the command line, another gateway)
                await self._halt(news_id)
                logger.info("Broadcast of news item %s stopped", news_id)
            elif await self._items.move(
                news_id, (NewsStatus.SENDING,), NewsStatus.SENT, finished_at=self._settings.clock()
            ):
                logger.info("Broadcast of news item %s is done", news_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Broadcast of news item %s failed; it resumes at the next start", news_id)

    async def _pending_channels(self, news_id: int) -> set[str]:
        async with self._engine.connect() as connection:
            return set(
                await connection.scalars(
                    select(NewsDelivery.channel)
                    .where(NewsDelivery.news_id == news_id, NewsDelivery.state == DeliveryState.PENDING)
                    .distinct()
                )
            )

    async def _queue_next(self, news_id: int, channel: str, text: str, template: Template | None) -> bool:
        """Turn the channel's next recipients into stored messages and hand them to the lane, in one short
        transaction (two statements: the conversations' replies are stored meanwhile); False when none are left."""
        now = self._settings.clock()
        async with self._engine.begin() as connection:
            batch = list(
                await connection.execute(
                    select(NewsDelivery.id, NewsDelivery.conversation_id, Conversation.external_id, NewsDelivery.barometer)
                    .join(Conversation, Conversation.id == NewsDelivery.conversation_id)
                    .where(
                        NewsDelivery.news_id == news_id,
                        NewsDelivery.channel == channel,
                        NewsDelivery.state == DeliveryState.PENDING,
                    )
                    .order_by(NewsDelivery.id)
                    .limit(BATCH)
                )
            )
            if not batch:
                return False
            payload: dict[str, object] = {"text": text, "news_id": news_id}
            if channel == "whatsapp" and template is not None:
                payload["template"] = template.as_json()
            asking = {**payload, "text": with_barometer(text), "buttons": BAROMETER_BUTTONS}
            # The web chat has no push: the message waits in the conversation, as sent, for the page to show.
            status = MessageStatus.SENT if channel == "rest" else MessageStatus.PENDING
            rows = [
                {**row, "lane": LANE}
                for _, conversation_id, _, barometer in batch
                for row in outbound_rows(conversation_id, channel, Author.NEWS, [asking if barometer else payload], status, now)
            ]
            messages = await insert_outbound_many(connection, rows)
            await connection.execute(
                update(NewsDelivery)
                .where(NewsDelivery.id == bindparam("delivery_id"))
                .values(state=DeliveryState.QUEUED, message_id=bindparam("queued_id"), updated_at=now),
                [{"delivery_id": delivery_id, "queued_id": message.id} for (delivery_id, *_), message in zip(batch, messages)],
            )
        if status == MessageStatus.PENDING:
            self._outbox.broadcasts.enqueue(messages, {m.id: external for m, (_, _, external, _) in zip(messages, batch)})
        return True

    async def _unsettled(self, news_id: int) -> bool:
        """True while one of its messages still waits to be sent."""
        async with self._engine.connect() as connection:
            waiting = await connection.scalar(
                select(func.count())
                .select_from(NewsDelivery)
                .join(Message, Message.id == NewsDelivery.message_id)
                .where(NewsDelivery.news_id == news_id, Message.status == MessageStatus.PENDING)
            )
        return bool(waiting)

    # --- Where it stands ---------------------------------------------------------------------------------------

    async def progress(self, news_id: int) -> Progress:
        async with self._engine.connect() as connection:
            rows = list(
                await connection.execute(
                    select(NewsDelivery.state, Message.status, func.coalesce(Message.error, NewsDelivery.reason), func.count())
                    .select_from(NewsDelivery)
                    .outerjoin(Message, Message.id == NewsDelivery.message_id)
                    .where(NewsDelivery.news_id == news_id)
                    .group_by(NewsDelivery.state, Message.status, func.coalesce(Message.error, NewsDelivery.reason))
                )
            )
        progress = Progress()
        reasons: Counter[str] = Counter()
        for state, status, reason, count in rows:
            progress.total += count
            if state == DeliveryState.SKIPPED:
                progress.skipped += count
            elif state == DeliveryState.STOPPED:
                progress.stopped += count
            elif state == DeliveryState.PENDING or status == MessageStatus.PENDING:
                progress.waiting += count
            elif status == MessageStatus.FAILED:
                progress.failed += count
            elif status == MessageStatus.READ:
                progress.read += count
            elif status == MessageStatus.DELIVERED:
                progress.delivered += count
            else:
                progress.sent += count
            if reason and (state == DeliveryState.SKIPPED or status == MessageStatus.FAILED):
                reasons[reason] += count
        progress.reasons = reasons.most_common(5)
        return progress

    async def deliveries(self, news_id: int, limit: int = 200) -> list[RecipientStatus]:
        """Each recipient's send, in the order they were queued (the first `limit`)."""
        async with self._engine.connect() as connection:
            rows = await connection.execute(
                select(
                    NewsDelivery.conversation_id, NewsDelivery.channel, NewsDelivery.state, Message.status,
                    func.coalesce(Message.error, NewsDelivery.reason), NewsDelivery.updated_at,
                )
                .select_from(NewsDelivery)
                .outerjoin(Message, Message.id == NewsDelivery.message_id)
                .where(NewsDelivery.news_id == news_id)
                .order_by(NewsDelivery.id)
                .limit(limit)
            )
            return [RecipientStatus(*row) for row in rows]

    async def _item(self, news_id: int) -> NewsItem:
        item = await self._items.get(news_id)
        if item is None:
            raise NewsRefused(404, "Cette annonce n’existe pas.")
        return item
