"""This module contains how a Telegram update becomes an `Inbound` message (or none)."""

from __future__ import annotations

import re
from typing import Any

from telegram import Message, Update
from telegram.constants import ChatType

from bot.channels.text import clean_text
from bot.storage.message_log import Inbound, MessageLog

CHANNEL = "telegram"
# Telegram's commands, as the Rasa intents they stand for (given to Rasa as "/intent").
COMMANDS = {
    "start": "/greet",
    "aide": "/help",
    "help": "/help",
    "stop": "/stop",
    "infos": "/latest_news",
    "stop_infos": "/unsubscribe_news",
}
# The callback data of our inline buttons: the stored message and the button's index, bounded as WhatsApp's
# reply ids are (bot.channels.whatsapp.inbound.BUTTON_ID) so that the id fits the database's 64-bit integers.
BUTTON_DATA = re.compile(r"b:(\d{1,18}):(\d{1,3})")
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


def _first_name(user: Any) -> dict[str, Any]:
    """The sender's first name when it is one (python-telegram-bot keeps whatever JSON it is given)."""
    name = getattr(user, "first_name", None) if user else None
    return {"first_name": clean_text(name)} if isinstance(name, str) and name else {}


def _person(message: Message) -> dict[str, Any]:
    return _first_name(message.from_user)


def _is_chat_id(value: Any) -> bool:
    """Telegram's chat ids are integers; python-telegram-bot keeps whatever the JSON held (a string "x\\u0000y")."""
    return isinstance(value, int) and not isinstance(value, bool)


def message_inbound(update_id: int, message: Message, *, edited: bool = False) -> Inbound | None:
    """A private message (or its edit) as an Inbound; None for what is not the artisan's (service messages)."""
    if message.chat.type != ChatType.PRIVATE or not _is_chat_id(message.chat.id):
        return None
    person = _person(message)
    base = {"channel": CHANNEL, "external_id": str(message.chat.id), "platform_message_id": f"u{update_id}"}
    if any(value is not None and not isinstance(value, str) for value in (message.text, message.caption)):
        # python-telegram-bot keeps whatever JSON it is given: a number or an object is content we cannot read.
        return Inbound(**base, text="", payload={"kind": "other", **person})
    written = clean_text(message.text or message.caption or "").strip()
    if edited:
        return Inbound(**base, text=written, payload={"kind": "edited", **person})
    contact = message.contact
    if contact and message.from_user and contact.user_id == message.from_user.id:
        # The artisan pressed "share my number": the form takes the number as E.164.
        return Inbound(**base, text=_phone(contact.phone_number), payload={"contact": True, **person})
    kind = _kind(message)
    if kind is not None:
        payload: dict[str, Any] = {"kind": kind, **person}
        if message.document and isinstance(message.document.file_name, str) and message.document.file_name:
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
    if not _is_chat_id(chat_id):
        return None
    person = _first_name(query.from_user)
    base = {"channel": CHANNEL, "external_id": str(chat_id), "platform_message_id": f"u{update.update_id}"}
    button = None
    reference = BUTTON_DATA.fullmatch(query.data) if isinstance(query.data, str) else None
    if reference:
        conversation = await log.find_conversation(CHANNEL, str(chat_id))
        if conversation is not None:
            button = await log.button_of(int(reference[1]), int(reference[2]), conversation.id)
    if button is None:
        return Inbound(**base, text="", payload={"kind": "other", "stale_button": True, **person})
    title = button.get("title") or ""
    return Inbound(**base, text=button.get("payload") or title, payload={"button": title, **person})

