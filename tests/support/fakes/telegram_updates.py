"""This module contains builders of the updates Telegram sends, made with python-telegram-bot's own classes."""

from __future__ import annotations

import datetime as dtm
import json
from typing import Any

from telegram import CallbackQuery, Chat, Contact, Message, PhotoSize, Update, User, Voice


def _user(chat_id: int, first_name: str) -> User:
    return User(id=chat_id, first_name=first_name, is_bot=False, language_code="fr")


def _message(chat_id: int, first_name: str, message_id: int | None = None, **content: Any) -> Message:
    return Message(
        message_id=message_id if message_id is not None else 1000 + chat_id % 1000,
        date=dtm.datetime.now(dtm.UTC).replace(microsecond=0),
        chat=Chat(id=chat_id, type=Chat.PRIVATE, first_name=first_name),
        from_user=_user(chat_id, first_name),
        **content,
    )


def _as_dict(update: Update) -> dict[str, Any]:
    """The update as the JSON Telegram sends (plain types only)."""
    return json.loads(update.to_json())


def message_update(update_id: int, chat_id: int, first_name: str = "Marie", **content: Any) -> dict[str, Any]:
    """A private message with any content python-telegram-bot's Message takes (text=, photo=, dice=, ...)."""
    return _as_dict(Update(update_id, message=_message(chat_id, first_name, **content)))


def text_update(update_id: int, chat_id: int, text: str, first_name: str = "Marie") -> dict[str, Any]:
    """The artisan writes `text` in the private chat."""
    return message_update(update_id, chat_id, first_name, text=text)


def edited_update(update_id: int, chat_id: int, text: str, first_name: str = "Marie") -> dict[str, Any]:
    """The artisan edits an earlier message to `text`."""
    message = _message(chat_id, first_name, text=text, edit_date=dtm.datetime.now(dtm.UTC).replace(microsecond=0))
    return _as_dict(Update(update_id, edited_message=message))


def callback_update(update_id: int, chat_id: int, data: str, first_name: str = "Marie") -> dict[str, Any]:
    """The artisan presses an inline button whose callback data is `data`."""
    bot = User(id=123456, first_name="Crisisbot", is_bot=True, username="crisisbot_test_bot")
    shown = Message(
        message_id=1,
        date=dtm.datetime.now(dtm.UTC).replace(microsecond=0),
        chat=Chat(id=chat_id, type=Chat.PRIVATE, first_name=first_name),
        from_user=bot,
        text="…",
    )
    query = CallbackQuery(
        id=f"cq{update_id}",
        from_user=_user(chat_id, first_name),
        chat_instance=f"ci{chat_id}",
        message=shown,
        data=data,
    )
    return _as_dict(Update(update_id, callback_query=query))


def contact_update(
    update_id: int,
    chat_id: int,
    phone_number: str = "33612345678",
    first_name: str = "Marie",
    *,
    own: bool = True,
) -> dict[str, Any]:
    """The artisan shares a contact: their own number (the "share my number" button), or someone else's."""
    contact = Contact(
        phone_number=phone_number,
        first_name=first_name if own else "Paul",
        user_id=chat_id if own else chat_id + 1,
    )
    return message_update(update_id, chat_id, first_name, contact=contact)


def photo_update(update_id: int, chat_id: int, caption: str | None = None, first_name: str = "Marie") -> dict[str, Any]:
    """The artisan sends a photo, with an optional caption."""
    photo = (PhotoSize(file_id="AgAD-photo", file_unique_id="photo-1", width=640, height=480),)
    return message_update(update_id, chat_id, first_name, photo=photo, caption=caption)


def voice_update(update_id: int, chat_id: int, first_name: str = "Marie") -> dict[str, Any]:
    """The artisan sends a voice note."""
    voice = Voice(file_id="AwAD-voice", file_unique_id="voice-1", duration=4)
    return message_update(update_id, chat_id, first_name, voice=voice)
