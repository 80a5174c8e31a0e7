"""This module contains how a WhatsApp webhook call is read: its signature, its messages as `Inbound` (buttons and
numbered-menu answers mapped back to their payloads), its statuses recorded on our replies."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot import appkeys
from bot.channels.text import clean_text, stored_as_sent
from bot.channels.whatsapp.graph import RECIPIENT_GONE, WINDOW_CLOSED, dict_of, list_of, text_of
from bot.channels.whatsapp.layout import MAX_LIST_ROWS, PHONE_BUTTON_PREFIX, PHONE_BUTTON_TITLE
from bot.errors import BadMessage
from bot.storage import MessageStatus
from bot.storage.message_log import Inbound, MessageLog
from bot.web.json_api import parse_json_object

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
BUTTON_ID = re.compile(r"b:(\d{1,18}):(\d{1,3})")
MENU_NUMBER = re.compile(r"\s*(\d{1,3})\s*")
# A wa_id is the sender's phone number in digits; anything else would be changed on storage (text_of cleans it).
WA_ID = re.compile(r"[0-9]{1,20}")
# What the message log's columns hold (a wa_id or a wamid is far shorter).
MAX_ID_CHARS = 128

# Message types and the kind the conversation router answers them by (replies.CANNOT_READ).
KIND_OF_TYPE = {
    "image": "photo",
    "video": "video",
    "sticker": "sticker",
    "document": "document",
    "location": "location",
    "contacts": "contact",
    "reaction": "reaction",
    "system": "system",
    "edit": "edited",
    "revoke": "deleted",
    # The artisan opened the chat for the first time (when welcome messages are on): nothing to answer yet.
    "request_welcome": "system",
}
STATUS_OF = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "failed": MessageStatus.FAILED,
}


def signature_matches(app_secret: str, body: bytes, header: str) -> bool:
    """True when `header` ("sha256=<hex>") is the HMAC-SHA256 of `body` with the app secret."""
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().lower().encode(), expected.encode())


def _clean(value: Any) -> Any:
    """A JSON value safe to store: every string through clean_text."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@dataclass(frozen=True)
class _Read:
    """What a WhatsApp message says, before its buttons are looked up."""

    text: str
    kind: str | None = None
    # A reply id (button, list row, template quick reply) to resolve, and the title to fall back on.
    reply_id: str | None = None


def _read_content(message: dict[str, Any]) -> _Read:
    """The text and kind of one message object (also the `message` inside an edit)."""
    kind_type = message.get("type")
    content = dict_of(message.get(kind_type)) if isinstance(kind_type, str) else {}
    if kind_type == "text":
        return _Read(text_of(content.get("body")))
    if kind_type == "interactive":
        reply = dict_of(content.get(content.get("type"))) if content.get("type") in ("button_reply", "list_reply") else {}
        if not reply:
            return _Read("", kind="other")  # e.g. an interactive reply Meta could not decode
        return _Read(text_of(reply.get("title")), reply_id=text_of(reply.get("id")) or None)
    if kind_type == "button":
        return _Read(text_of(content.get("text")), reply_id=text_of(content.get("payload")) or None)
    if kind_type == "audio":
        return _Read("", kind="voice" if content.get("voice") else "audio")
    if kind_type == "location":
        place = ", ".join(part for part in (text_of(content.get("name")), text_of(content.get("address"))) if part)
        return _Read(place, kind="location")
    if kind_type == "reaction":
        return _Read(text_of(content.get("emoji")), kind="reaction")
    if kind_type == "system":
        return _Read(text_of(content.get("body")), kind="system")
    if kind_type == "edit":
        edited = _read_content(dict_of(content.get("message")))
        return _Read(edited.text, kind="edited")
    if kind_type == "request_welcome":
        return _Read("", kind="system")
    if kind_type in KIND_OF_TYPE:
        return _Read(text_of(content.get("caption")), kind=KIND_OF_TYPE[kind_type])
    return _Read("", kind="other")


def _profile_name(value: dict[str, Any], wa_id: str) -> str | None:
    contacts = [c for c in list_of(value.get("contacts")) if isinstance(c, dict)]
    for contact in sorted(contacts, key=lambda c: c.get("wa_id") != wa_id):
        name = text_of(dict_of(contact.get("profile")).get("name"))
        if name:
            return name
    return None


async def _resolve_reply(log: MessageLog, conversation_id: str | None, reply_id: str, wa_id: str) -> dict[str, str] | None:
    """The text a reply id stands for: our phone button, or a stored button of this conversation."""
    if reply_id.startswith(PHONE_BUTTON_PREFIX):
        return {"text": f"+{wa_id}", "title": PHONE_BUTTON_TITLE}
    match = BUTTON_ID.fullmatch(reply_id)
    if match is None or conversation_id is None:
        return None
    button = await log.button_of(int(match.group(1)), int(match.group(2)), conversation_id)
    if not button or not isinstance(button.get("payload"), str):
        return None
    return {"text": button["payload"], "title": str(button.get("title") or "")}


async def to_inbound(app: web.Application, value: dict[str, Any], message: dict[str, Any]) -> Inbound | None:
    """One webhook message as an `Inbound`, its buttons and numbered-menu answers mapped back; None if unusable."""
    wa_id, wamid = message.get("from"), message.get("id")
    if (
        not isinstance(wa_id, str) or not WA_ID.fullmatch(wa_id)
        or not isinstance(wamid, str) or not wamid or len(wamid) > MAX_ID_CHARS or not stored_as_sent(wamid)
    ):
        logger.warning("WhatsApp: a message without a usable sender or id was ignored")
        return None
    message_type = message.get("type") if isinstance(message.get("type"), str) else "unknown"
    read = _read_content(message)
    text, kind = read.text, read.kind
    payload: dict[str, Any] = {"type": message_type}
    log = app[appkeys.MESSAGE_LOG]
    needs_conversation = read.reply_id is not None or (kind is None and MENU_NUMBER.fullmatch(text) is not None)
    conversation = await log.find_conversation(CHANNEL, wa_id) if needs_conversation else None
    conversation_id = conversation.id if conversation is not None else None
    if read.reply_id is not None:
        resolved = await _resolve_reply(log, conversation_id, read.reply_id, wa_id)
        if resolved is not None:
            text = resolved["text"]
            payload["button"] = resolved["title"] or read.text
        else:
            payload["button"] = read.text
    elif kind is None and conversation_id is not None:
        number = MENU_NUMBER.fullmatch(text)
        choices = await log.last_buttons(conversation_id) if number else []
        if number and len(choices) > MAX_LIST_ROWS and 1 <= int(number.group(1)) <= len(choices):
            chosen = choices[int(number.group(1)) - 1]
            if isinstance(chosen.get("payload"), str):
                text = chosen["payload"]
                payload["button"] = str(chosen.get("title") or "")
    if kind is not None:
        payload["kind"] = kind
    name = _profile_name(value, wa_id)
    if name:
        payload["profile_name"] = name
    errors = list_of(value.get("errors"))
    if errors:
        payload["errors"] = _clean(errors)
    payload["message"] = _clean(message)
    return Inbound(channel=CHANNEL, external_id=wa_id, text=text, platform_message_id=wamid, payload=payload)


def _status_error(status: dict[str, Any]) -> str | None:
    """A failed status's reason, for staff: "<code> : <title> (<details>)"."""
    reasons = []
    for error in list_of(status.get("errors")):
        error = dict_of(error)
        title = text_of(error.get("title")) or text_of(error.get("message"))
        details = text_of(dict_of(error.get("error_data")).get("details"))
        reason = f"{error.get('code', '?')} : {title or 'erreur'}"
        if details and details != title:
            reason += f" ({details})"
        reasons.append(reason)
    return "; ".join(reasons)[:1000] or None


async def record_status(app: web.Application, status: dict[str, Any]) -> None:
    wamid, name = text_of(status.get("id")), status.get("status")
    new_status = STATUS_OF.get(name) if isinstance(name, str) else None
    if not wamid or new_status is None:
        return  # e.g. "played" (voice notes, which we never send), or a status Meta adds later
    error = _status_error(status) if new_status == MessageStatus.FAILED else None
    if new_status == MessageStatus.FAILED and error is None:
        error = "WhatsApp n'a pas pu remettre le message."
    codes = {dict_of(e).get("code") for e in list_of(status.get("errors"))}
    if new_status == MessageStatus.FAILED and WINDOW_CLOSED in codes:
        # Meta says, after taking it, that the 24-hour window was closed: the template path, or held.
        template = bool(app[appkeys.SETTINGS].whatsapp_template)
        message = await app[appkeys.DELIVERY_LOG].window_closed_by_platform(
            CHANNEL, wamid, f"Fenêtre de 24 h fermée selon WhatsApp ({error})", resend=template
        )
        if message is not None and template:
            app[appkeys.OUTBOX].enqueue([message])
        return
    found = await app[appkeys.DELIVERY_LOG].record_platform_status(CHANNEL, wamid, new_status, error=error)
    if new_status == MessageStatus.FAILED:
        logger.warning("WhatsApp: delivery of %s failed: %s", wamid, error)
        if found is not None and codes & RECIPIENT_GONE:
            await app[appkeys.SUBSCRIPTIONS].end(found, "delivery_failed")
    elif not found:
        logger.debug("WhatsApp: status %s for a message that is not ours", name)


async def read_limited(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than `limit` bytes."""
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(raw: bytes) -> dict[str, Any]:
    """The webhook's body as a JSON object, or BadMessage (read after its signature is checked on the bytes)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadMessage(400, "Le corps de la requête n'est pas du JSON valide.") from None
    return parse_json_object(text)
