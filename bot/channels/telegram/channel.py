"""This module contains TelegramChannel: its webhook, its polling loop, its connection, and its sender."""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, InlineKeyboardMarkup, ReplyKeyboardMarkup, Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ApplicationBuilder

from bot import appkeys
from bot.channels.base import Delivery, Outgoing, PushChannel, RateLimit, RetryLater
from bot.channels.inbound import accept
from bot.channels.telegram.layout import BUTTONS_ONLY_TEXT, inline_keyboard, share_phone_keyboard, split_text
from bot.channels.telegram.outcomes import as_failure, as_retry, retries, retry_after
from bot.channels.telegram.updates import CHANNEL, button_inbound, message_inbound
from bot.channels.text import SentParts
from bot.errors import ConfigurationError, TooDeep
from bot.settings import Settings
from bot.web.json_api import json_error, read_json_object

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
HTTP_TIMEOUT = 10.0
# Polling mode: how long one getUpdates waits for news; how many times an update that fails for another reason
# than the database is tried before it is skipped; the longest wait between tries when Telegram or the
# database fails.
POLL_SECONDS = 10
STORE_ATTEMPTS = 4
MAX_RETRY_SECONDS = 30.0


class TelegramChannel(PushChannel):
    name = CHANNEL
    # Telegram: about one message a second in a chat (a short burst passes), 30 a second for the whole bot.
    rate_limit = RateLimit(per_chat_per_second=1.0, per_chat_burst=3, overall_per_second=30.0)

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        # httpx logs every request's URL at INFO, and the Bot API's URLs hold the bot token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token)
            .base_url(f"{settings.telegram_api_url}/bot")
            .base_file_url(f"{settings.telegram_api_url}/file/bot")
            .connect_timeout(HTTP_TIMEOUT)
            .read_timeout(HTTP_TIMEOUT)
            .write_timeout(HTTP_TIMEOUT)
            .pool_timeout(HTTP_TIMEOUT)
            .get_updates_connect_timeout(HTTP_TIMEOUT)
            .get_updates_pool_timeout(HTTP_TIMEOUT)
            .updater(None)  # polling mode polls with _poll(), which confirms an update only once it is stored
        )
        self._application: Application = builder.build()
        self._web_app: web.Application | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._connecting: asyncio.Task[None] | None = None
        self._polling: asyncio.Task[None] | None = None
        self._stopped = False
        # Parts of a long reply already sent, by stored message id: a retry sends only the rest.
        self._sent = SentParts()

    def _redact(self, exc: TelegramError) -> str:
        """A Telegram error's message, safe to log or store: never the token (some errors quote the URL)."""
        return exc.message.replace(self._settings.telegram_bot_token, "<token>")

    @property
    def polling(self) -> bool:
        return self._settings.telegram_mode == "polling"

    @property
    def bot(self) -> Bot:
        return self._application.bot

    # --- inbound ------------------------------------------------------------------------------------------

    def routes(self) -> list[web.RouteDef]:
        return [web.post(WEBHOOK_PATH, self._webhook)]

    async def _webhook(self, request: web.Request) -> web.StreamResponse:
        """Check Telegram's secret, store the update's message, and answer at once."""
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return json_error(401, "Jeton secret Telegram manquant.")
        expected = self._settings.telegram_webhook_secret
        # No secret configured (polling mode) refuses every call.
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            return json_error(403, "Jeton secret Telegram invalide.")
        try:
            body = await read_json_object(request)
        except TooDeep:
            # Telegram would send it again and again (and hold the updates behind it): acknowledge it.
            logger.warning("Telegram update nested too deep to be read; dropped")
            return web.json_response({})
        update_id = body.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            return json_error(400, "Mise à jour Telegram illisible.")
        try:
            update = Update.de_json(body, self.bot)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # Telegram would send it again and again (and hold the updates behind it): acknowledge it.
            logger.warning(
                "Telegram update %s (%s) could not be read and is dropped: %s",
                update_id, ", ".join(key for key in body if key != "update_id"), type(exc).__name__,
            )
            return web.json_response({})
        await self._receive(request.app, update)
        return web.json_response({})

    async def _receive(self, app: web.Application, update: Update) -> None:
        """Store an update's message (if it is one we handle) and queue it for an answer."""
        if update.callback_query is not None:
            inbound = await button_inbound(update, app[appkeys.MESSAGE_LOG])
        elif update.message is not None:
            inbound = message_inbound(update.update_id, update.message)
        elif update.edited_message is not None:
            inbound = message_inbound(update.update_id, update.edited_message, edited=True)
        else:
            inbound = None
        if inbound is None:
            logger.debug("Telegram update %s ignored (nothing we handle)", update.update_id)
            return
        await accept(app, inbound)
        if update.callback_query is not None:
            self._in_background(self._answer_button(update.callback_query.id))

    async def _answer_button(self, query_id: str) -> None:
        """Stop the spinner on the artisan's button."""
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            logger.warning("Telegram: a button press could not be acknowledged (%s)", self._redact(exc))

    def _in_background(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- polling ------------------------------------------------------------------------------------------

    async def _poll(self) -> None:
        """Polling mode: fetch updates, and store each one before confirming it.

        Telegram forgets an update only when asked for the updates after it (the next offset), and that is
        asked once the update is stored. A crash, a stop or a database outage loses nothing: Telegram sends the
        update again (it keeps them 24 hours), and an update stored twice is the same message.
        """
        offset = 0  # the oldest update Telegram holds
        delay = 1.0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_SECONDS, allowed_updates=ALLOWED_UPDATES
                )
            except InvalidToken:
                logger.error("TELEGRAM_BOT_TOKEN was rejected by Telegram; polling stops")
                return
            except TelegramError as exc:  # unreachable, another process polling with this token (409), flood control
                wait = retry_after(exc) if isinstance(exc, RetryAfter) else delay
                logger.warning("Telegram: fetching updates failed (%s); next try in %.0f s", self._redact(exc), wait)
                await asyncio.sleep(wait)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            delay = 1.0
            for update in updates:
                await self._store_polled(update)
                offset = update.update_id + 1

    async def _store_polled(self, update: Update) -> None:
        """Store one fetched update; while the database fails, try again (the update stays unconfirmed).

        An update that fails for another reason is tried STORE_ATTEMPTS times, then logged and skipped, so that
        one bad update does not hold up the artisans behind it.
        """
        assert self._web_app is not None
        delay, failures = 1.0, 0
        while True:
            try:
                await self._receive(self._web_app, update)
                return
            except (SQLAlchemyError, OSError) as exc:
                logger.warning(
                    "Telegram update %s not stored, the database failed (%s); trying again in %.0f s",
                    update.update_id, type(exc).__name__, delay,
                )
            except Exception:
                failures += 1
                if failures >= STORE_ATTEMPTS:
                    logger.exception("Telegram update %s could not be handled; skipped", update.update_id)
                    return
                logger.warning("Telegram update %s not handled; trying again", update.update_id, exc_info=True)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_SECONDS)

    # --- connecting ---------------------------------------------------------------------------------------

    async def start(self, app: web.Application) -> None:
        self._web_app = app
        self._stopped = False
        try:
            await self._connect()
        except InvalidToken:
            # PTB's own message holds the token: say it without.
            raise ConfigurationError(
                "TELEGRAM_BOT_TOKEN was rejected by Telegram: copy the bot's token again from @BotFather."
            ) from None
        except TelegramError as exc:
            logger.error("Telegram is unreachable (%s); connecting again in the background", self._redact(exc))
            self._connecting = asyncio.create_task(self._connect_until_done(), name="telegram-connect")

    async def _connect(self) -> None:
        application = self._application
        await application.initialize()
        if self.polling:
            # Telegram refuses getUpdates while a webhook is set; updates waiting for it are kept.
            await self.bot.delete_webhook(drop_pending_updates=False)
            await application.start()
            self._polling = asyncio.create_task(self._poll(), name="telegram-polling")
            logger.info("Telegram: polling for updates")
            return
        await application.start()
        url = self._settings.telegram_webhook_url
        if not url:
            logger.info("Telegram: no TELEGRAM_WEBHOOK_URL, the webhook is left as registered")
            return
        try:
            await self.bot.set_webhook(
                url, secret_token=self._settings.telegram_webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as exc:
            logger.error("Telegram refused to register the webhook (%s); updates may not arrive", self._redact(exc))
        else:
            logger.info("Telegram: webhook registered")

    async def _connect_until_done(self) -> None:
        delay = 5.0
        while True:
            await asyncio.sleep(delay)
            try:
                await self._connect()
                return
            except InvalidToken:
                logger.error("TELEGRAM_BOT_TOKEN was rejected by Telegram; the Telegram channel stays off")
                return
            except TelegramError as exc:
                delay = min(delay * 2, 300.0)
                logger.warning("Telegram still unreachable (%s); next try in %.0f s", self._redact(exc), delay)

    async def stop(self) -> None:
        self._stopped = True
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
            self._connecting = None
        if self._background:
            await asyncio.wait(list(self._background), timeout=2)
            for task in list(self._background):
                task.cancel()
        if self._polling is not None:
            self._polling.cancel()  # an update being stored and not yet confirmed is fetched again next start
            await asyncio.gather(self._polling, return_exceptions=True)
            self._polling = None
        application = self._application
        if application.running:
            await application.stop()
        await application.shutdown()
        # The HTTP client exists from the start (the outbox may send before start()); close it even when
        # start() never ran or failed half-way, which the Application's shutdown skips.
        await self.bot.request.shutdown()

    # --- outbound -----------------------------------------------------------------------------------------

    async def send(self, message: Outgoing) -> Delivery:
        if self._stopped:
            raise RetryLater("Le canal Telegram est arrêté.")
        parts = split_text(message.text)
        if not parts and message.buttons:
            parts = [BUTTONS_ONLY_TEXT]
        if not parts:
            return Delivery([], note="Message vide : rien à envoyer sur Telegram.")
        if message.buttons:
            markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = inline_keyboard(
                message.message_id, message.buttons
            )
        elif message.awaiting == "phone":
            markup = share_phone_keyboard()
        else:
            markup = None
        sent = self._sent.of(message.message_id)
        for index in range(len(sent), len(parts)):
            last = index == len(parts) - 1
            try:
                result = await self.bot.send_message(
                    message.external_id, parts[index], reply_markup=markup if last else None
                )
            except TelegramError as exc:
                if retries(exc):
                    raise as_retry(exc, self._redact(exc)) from exc
                self._sent.forget(message.message_id)
                raise as_failure(exc, self._redact(exc)) from exc
            sent.append(f"{result.chat.id}:{result.message_id}")
        self._sent.forget(message.message_id)
        return Delivery(sent)
