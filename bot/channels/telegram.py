"""This module contains TelegramChannel: the artisan writes to the chamber's Telegram bot, the outbox replies.

Updates arrive on `POST /webhooks/telegram/webhook` (webhook mode: Telegram calls it with the secret token
set at registration) or by long polling (polling mode, no public address needed: an update is confirmed to
Telegram only once stored, so a crash or a database outage loses none). Either way each update
becomes one `Inbound` message, stored with `accept()` under the platform id `u<update_id>`, so an update
Telegram delivers twice is answered once. Commands become the Rasa intents they stand for; an inline button
press becomes the payload of the stored button it points to; what the bot cannot read (a photo, a voice
note, an edit) is stored with its kind, and the router answers it politely without asking Rasa.

`send()` delivers one stored reply: long texts in several messages, Rasa's buttons as an inline keyboard
whose callback data points back to the stored message (`b:<message id>:<button index>`), and a "share my
number" keyboard when the bot asks for a phone number.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import hmac
import logging
import re
import warnings
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, ApplicationBuilder

from bot import keys
from bot.channels.base import (
    Delivery,
    DeliveryFailed,
    Outgoing,
    PushChannel,
    RateLimit,
    RetryLater,
    SentParts,
    accept,
    clean_text,
    json_error,
    read_json_object,
)
from bot.channels.base import split_text as base_split_text
from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.storage.message_log import Inbound, MessageLog

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
MAX_TEXT = MessageLimit.MAX_TEXT_LENGTH  # 4096
HTTP_TIMEOUT = 10.0
# Telegram's commands, as the Rasa intents they stand for (given to Rasa as "/intent").
COMMANDS = {"start": "/greet", "aide": "/help", "help": "/help", "stop": "/stop"}
# Buttons go two per row when every title is this short, else one per row.
SHORT_TITLE = 16
SHARE_PHONE = "📱 Partager mon numéro"
# Sent when a reply has buttons but no text (Telegram needs a text to show a keyboard under).
BUTTONS_ONLY_TEXT = "Choisissez :"
BUTTON_DATA = re.compile(r"b:(\d+):(\d+)")
# Polling mode: how long one getUpdates waits for news; how many times an update that fails for another reason
# than the database is tried before it is skipped; the longest wait between tries when Telegram or the
# database fails.
POLL_SECONDS = 10
STORE_ATTEMPTS = 4
MAX_RETRY_SECONDS = 30.0
# What the artisan sent that the bot cannot read, as the kinds of replies.CANNOT_READ.
ATTACHMENT_KINDS = (
    ("photo", "photo"),
    ("video", "video"),
    ("animation", "video"),
    ("video_note", "video"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("sticker", "sticker"),
    ("document", "document"),
    ("venue", "location"),
    ("location", "location"),
    ("contact", "contact"),
    ("dice", "other"),
    ("poll", "other"),
    ("game", "other"),
    ("story", "other"),
    ("invoice", "other"),
    ("paid_media", "other"),
)


# --- Splitting and laying out a reply -------------------------------------------------------------------------


def _fitting(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units (Telegram's measure: an emoji outside the
    BMP counts two)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in Telegram messages, measured as Telegram does (UTF-16 units), cut between words."""
    return base_split_text(text, limit, _fitting)


def inline_keyboard(message_id: int, buttons: list[dict[str, str]]) -> InlineKeyboardMarkup:
    """Rasa's buttons as an inline keyboard; each button's data points back to the stored message."""
    keys_ = [
        InlineKeyboardButton(
            text=(button.get("title") or button.get("payload") or "…")[:200],
            callback_data=f"b:{message_id}:{index}",
        )
        for index, button in enumerate(buttons)
    ]
    width = 2 if all(len(key.text) <= SHORT_TITLE for key in keys_) else 1
    return InlineKeyboardMarkup([keys_[i : i + width] for i in range(0, len(keys_), width)])


def share_phone_keyboard() -> ReplyKeyboardMarkup:
    """The keyboard that sends the artisan's own number in one tap."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(SHARE_PHONE, request_contact=True)]], resize_keyboard=True, one_time_keyboard=True
    )


def _seconds(period: int | float | dtm.timedelta) -> float:
    if isinstance(period, dtm.timedelta):
        return period.total_seconds()
    return float(period)


def _retry_after(exc: RetryAfter) -> float:
    """The wait Telegram asked for, in seconds (PTB 22 gives an int, or a timedelta with PTB_TIMEDELTA)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the int form is deprecated in PTB 22.2+; both are handled
        return _seconds(exc.retry_after)


# --- Updates as inbound messages ------------------------------------------------------------------------------


def _command_text(text: str) -> str:
    """A "/command" as what Rasa reads: our commands as their intent, any other without its slash."""
    first, *rest = text.split(maxsplit=1)
    command = first[1:].split("@", 1)[0]  # "/start@crisisbot" in a menu or a group
    if command.lower() in COMMANDS:
        return COMMANDS[command.lower()]
    # Never "/xxx" to Rasa: it would read an intent we do not have (or a forged "/inform{...}").
    return " ".join(part for part in (command, *rest) if part)


def _phone(number: str) -> str:
    number = number.strip().replace(" ", "")
    return number if number.startswith("+") else f"+{number}"


def _kind(message: Message) -> str | None:
    for attribute, kind in ATTACHMENT_KINDS:
        if getattr(message, attribute, None):
            return kind
    return None


def _person(message: Message) -> dict[str, Any]:
    user = message.from_user
    return {"first_name": user.first_name} if user and user.first_name else {}


def message_inbound(update_id: int, message: Message, *, edited: bool = False) -> Inbound | None:
    """A private message (or its edit) as an Inbound; None for what is not the artisan's (service messages)."""
    if message.chat.type != ChatType.PRIVATE:
        return None
    person = _person(message)
    written = clean_text(message.text or message.caption or "").strip()
    base = {"channel": CHANNEL, "external_id": str(message.chat.id), "platform_message_id": f"u{update_id}"}
    if edited:
        return Inbound(**base, text=written, payload={"kind": "edited", **person})
    contact = message.contact
    if contact and message.from_user and contact.user_id == message.from_user.id:
        # The artisan pressed "share my number": the form takes the number as E.164.
        return Inbound(**base, text=_phone(contact.phone_number), payload={"contact": True, **person})
    kind = _kind(message)
    if kind is not None:
        payload: dict[str, Any] = {"kind": kind, **person}
        if message.document and message.document.file_name:
            payload["file_name"] = clean_text(message.document.file_name)
        return Inbound(**base, text=written, payload=payload)
    if message.text is None:
        return None
    text = _command_text(written) if written.startswith("/") else written
    return Inbound(**base, text=text, payload=person or None)


async def button_inbound(update: Update, log: MessageLog) -> Inbound | None:
    """An inline button press as the payload of the stored button it points to ("other" when stale)."""
    query = update.callback_query
    assert query is not None
    if query.message is not None:
        if query.message.chat.type != ChatType.PRIVATE:
            return None
        chat_id = query.message.chat.id
    else:
        chat_id = query.from_user.id  # a private chat's id is the user's
    person = {"first_name": query.from_user.first_name} if query.from_user.first_name else {}
    base = {"channel": CHANNEL, "external_id": str(chat_id), "platform_message_id": f"u{update.update_id}"}
    button = None
    reference = BUTTON_DATA.fullmatch(query.data or "")
    if reference:
        conversation = await log.find_conversation(CHANNEL, str(chat_id))
        if conversation is not None:
            button = await log.button_of(int(reference[1]), int(reference[2]), conversation.id)
    if button is None:
        return Inbound(**base, text="", payload={"kind": "other", "stale_button": True, **person})
    title = button.get("title") or ""
    return Inbound(**base, text=button.get("payload") or title, payload={"button": title, **person})


# --- The channel ----------------------------------------------------------------------------------------------


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
        body = await read_json_object(request)
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
            inbound = await button_inbound(update, app[keys.MESSAGE_LOG])
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
                wait = _retry_after(exc) if isinstance(exc, RetryAfter) else delay
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
                if _retries(exc):
                    raise _as_retry(exc, self._redact(exc)) from exc
                self._sent.forget(message.message_id)
                raise _as_failure(exc, self._redact(exc)) from exc
            sent.append(f"{result.chat.id}:{result.message_id}")
        self._sent.forget(message.message_id)
        return Delivery(sent)


def _retries(exc: TelegramError) -> bool:
    """True when Telegram may take the message later (flood control, network), False when it never will."""
    return not isinstance(exc, (Forbidden, BadRequest, InvalidToken, ChatMigrated))


def _as_retry(exc: TelegramError, reason: str) -> RetryLater:
    if isinstance(exc, RetryAfter):
        delay = _retry_after(exc)
        return RetryLater(f"Telegram limite les envois : nouvel essai dans {delay:g} s.", delay, whole_channel=True)
    if isinstance(exc, NetworkError):
        return RetryLater(f"Telegram injoignable : {reason}")
    return RetryLater(f"Erreur Telegram : {reason}")


def _as_failure(exc: TelegramError, reason: str) -> DeliveryFailed:
    if isinstance(exc, Forbidden):
        return DeliveryFailed(f"L'artisan a bloqué le bot (ou supprimé son compte) : Telegram refuse le message ({reason}).")
    if isinstance(exc, ChatMigrated):
        return DeliveryFailed("La conversation Telegram a changé d'identifiant (groupe devenu supergroupe).")
    return DeliveryFailed(f"Telegram refuse le message : {reason}")
