"""This module contains WhatsAppChannel, the WhatsApp Cloud API channel: its webhook and its sender.

Receiving: Meta calls `/webhooks/whatsapp/webhook` (GET once for the verification handshake, then POST for
every event). A POST is trusted only with a valid `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with
the app secret). Each message becomes an `Inbound` (text, or a `kind` saying what it is when it is not text);
each status (sent, delivered, read, failed) updates the outbound message it is about. The answer is 200 only
once everything is stored, so Meta delivers again what we could not store.

Sending: one message of the outbox becomes one or more Graph API calls. Buttons are laid out for WhatsApp:
1 to 3 as reply buttons, 4 to 10 as a list, more as a numbered text menu that the artisan answers with a
number. A button's reply id is `b:<outbound message id>:<index>`, mapped back to the button's payload from
the stored message, so nothing about a button lives only in memory.

When the bot asks for a phone number, WhatsApp already knows it: the question carries one reply button
"Utiliser ce numéro" whose id is `phone:+<wa_id>`. Tapping it stores the text "+<wa_id>" (E.164, which the
form's phone validator accepts), taken from the sender of the reply, never from the id, so a crafted id
cannot put another number in the form.

Outside the 24-hour customer service window WhatsApp only takes approved templates: with
`WHATSAPP_TEMPLATE` set, the text goes out as the template's one body parameter; without one, the message is
held (`Held`) for staff and sent when the artisan writes again. No free text is ever sent outside the window.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot import keys
from bot.channels.base import (
    Delivery,
    DeliveryFailed,
    Held,
    Outgoing,
    PushChannel,
    RateLimit,
    RetryLater,
    SentParts,
    accept,
    clean_text,
    json_error,
)
from bot.channels.base import split_text as base_split_text
from bot.errors import BadMessage
from bot.settings import Settings
from bot.storage import MessageStatus
from bot.storage.message_log import Inbound, MessageLog

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"
WEBHOOK_PATH = "/webhooks/whatsapp/webhook"

# Meta's limits on what we send (Cloud API reference, "Messages" and "Interactive messages").
MAX_TEXT_CHARS = 4096
MAX_INTERACTIVE_BODY_CHARS = 1024
MAX_REPLY_BUTTONS = 3
MAX_REPLY_TITLE_CHARS = 20
MAX_LIST_ROWS = 10
MAX_ROW_TITLE_CHARS = 24
MAX_ROW_DESCRIPTION_CHARS = 72
MAX_TEMPLATE_PARAMETER_CHARS = 1024

LIST_BUTTON_LABEL = "Choisir"
PHONE_BUTTON_TITLE = "Utiliser ce numéro"
MENU_PROMPT = "Répondez avec le numéro de votre choix."
DEFAULT_BODY = "Choisissez une option :"

# The customer service window is 24 h from the artisan's last message as Meta received it; we stored that
# message a little later, so we close our window a few minutes early rather than risk a refusal.
SERVICE_WINDOW = timedelta(hours=24) - timedelta(minutes=5)
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
# Meta batches updates in one call, up to 3 MB: more than the app's limit for other requests, read here.
MAX_WEBHOOK_BYTES = 3 * 1024 * 1024

# Graph error codes (developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes).
THROTTLED_WHOLE_CHANNEL = {4, 80007, 130429}  # app, account or Cloud API throughput limit
THROTTLED_PAIR = {131056}  # too many messages to this one number
WINDOW_CLOSED = 131047  # re-engagement message: more than 24 h since the artisan wrote
TRANSIENT = {1, 2, 131000, 131016}  # unknown error, service temporarily unavailable
TOKEN_EXPIRED = 190

BUTTON_ID = re.compile(r"b:(\d{1,18}):(\d{1,3})")
PHONE_BUTTON_PREFIX = "phone:"
MENU_NUMBER = re.compile(r"\s*(\d{1,3})\s*")
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


# --- Receiving ---------------------------------------------------------------------------------------------


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


def _text(value: Any) -> str:
    return clean_text(value).strip() if isinstance(value, str) else ""


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


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
    content = _dict(message.get(kind_type)) if isinstance(kind_type, str) else {}
    if kind_type == "text":
        return _Read(_text(content.get("body")))
    if kind_type == "interactive":
        reply = _dict(content.get(content.get("type"))) if content.get("type") in ("button_reply", "list_reply") else {}
        if not reply:
            return _Read("", kind="other")  # e.g. an interactive reply Meta could not decode
        return _Read(_text(reply.get("title")), reply_id=_text(reply.get("id")) or None)
    if kind_type == "button":
        return _Read(_text(content.get("text")), reply_id=_text(content.get("payload")) or None)
    if kind_type == "audio":
        return _Read("", kind="voice" if content.get("voice") else "audio")
    if kind_type == "location":
        place = ", ".join(part for part in (_text(content.get("name")), _text(content.get("address"))) if part)
        return _Read(place, kind="location")
    if kind_type == "reaction":
        return _Read(_text(content.get("emoji")), kind="reaction")
    if kind_type == "system":
        return _Read(_text(content.get("body")), kind="system")
    if kind_type == "edit":
        edited = _read_content(_dict(content.get("message")))
        return _Read(edited.text, kind="edited")
    if kind_type == "request_welcome":
        return _Read("", kind="system")
    if kind_type in KIND_OF_TYPE:
        return _Read(_text(content.get("caption")), kind=KIND_OF_TYPE[kind_type])
    return _Read("", kind="other")


def _profile_name(value: dict[str, Any], wa_id: str) -> str | None:
    contacts = [c for c in _list(value.get("contacts")) if isinstance(c, dict)]
    for contact in sorted(contacts, key=lambda c: c.get("wa_id") != wa_id):
        name = _text(_dict(contact.get("profile")).get("name"))
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
    wa_id, wamid = _text(message.get("from")), _text(message.get("id"))
    if not wa_id or not wamid or len(wa_id) > MAX_ID_CHARS or len(wamid) > MAX_ID_CHARS:
        logger.warning("WhatsApp: a message without a usable sender or id was ignored")
        return None
    message_type = message.get("type") if isinstance(message.get("type"), str) else "unknown"
    read = _read_content(message)
    text, kind = read.text, read.kind
    payload: dict[str, Any] = {"type": message_type}
    log = app[keys.MESSAGE_LOG]
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
    errors = _list(value.get("errors"))
    if errors:
        payload["errors"] = _clean(errors)
    payload["message"] = _clean(message)
    return Inbound(channel=CHANNEL, external_id=wa_id, text=text, platform_message_id=wamid, payload=payload)


def _status_error(status: dict[str, Any]) -> str | None:
    """A failed status's reason, for staff: "<code> : <title> (<details>)"."""
    reasons = []
    for error in _list(status.get("errors")):
        error = _dict(error)
        title = _text(error.get("title")) or _text(error.get("message"))
        details = _text(_dict(error.get("error_data")).get("details"))
        reason = f"{error.get('code', '?')} : {title or 'erreur'}"
        if details and details != title:
            reason += f" ({details})"
        reasons.append(reason)
    return "; ".join(reasons)[:1000] or None


async def _record_status(app: web.Application, status: dict[str, Any]) -> None:
    wamid, name = _text(status.get("id")), status.get("status")
    new_status = STATUS_OF.get(name) if isinstance(name, str) else None
    if not wamid or new_status is None:
        return  # e.g. "played" (voice notes, which we never send), or a status Meta adds later
    error = _status_error(status) if new_status == MessageStatus.FAILED else None
    if new_status == MessageStatus.FAILED and error is None:
        error = "WhatsApp n'a pas pu remettre le message."
    codes = {_dict(e).get("code") for e in _list(status.get("errors"))}
    if new_status == MessageStatus.FAILED and WINDOW_CLOSED in codes:
        # Meta says, after taking it, that the 24-hour window was closed: the template path, or held.
        template = bool(app[keys.SETTINGS].whatsapp_template)
        message = await app[keys.MESSAGE_LOG].window_closed_by_platform(
            CHANNEL, wamid, f"Fenêtre de 24 h fermée selon WhatsApp ({error})", resend=template
        )
        if message is not None and template:
            app[keys.OUTBOX].enqueue([message])
        return
    found = await app[keys.MESSAGE_LOG].record_platform_status(CHANNEL, wamid, new_status, error=error)
    if new_status == MessageStatus.FAILED:
        logger.warning("WhatsApp: delivery of %s failed: %s", wamid, error)
    elif not found:
        logger.debug("WhatsApp: status %s for a message that is not ours", name)


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than `limit` bytes."""
    chunks, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_body(raw: bytes) -> dict[str, Any]:
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BadMessage(400, "Le corps de la requête n'est pas du JSON valide.") from None
    if not isinstance(body, dict):
        raise BadMessage(400, "Le corps de la requête doit être un objet JSON.")
    return body


# --- Sending -----------------------------------------------------------------------------------------------


def shorten(title: str, limit: int) -> str:
    """`title` in at most `limit` characters, cut at a word boundary with "…" when it is longer."""
    title = " ".join(title.split())
    if len(title) <= limit:
        return title
    head = title[: limit - 1]
    space = head.rfind(" ")
    if space >= limit // 2:
        head = head[:space]
    return head.rstrip(" ,;:.-–—(") + "…"


def split_text(text: str, limit: int = MAX_TEXT_CHARS) -> list[str]:
    """`text` in WhatsApp text messages, cut between words."""
    return base_split_text(text, limit)


def split_with_tail(text: str, tail_limit: int) -> tuple[list[str], str]:
    """Leading text parts, then a last part of at most `tail_limit` characters (an interactive message's body)."""
    text = text.strip()
    if len(text) <= tail_limit:
        return [], text
    start = len(text) - tail_limit
    cut = start
    for separator in ("\n\n", "\n", " "):
        at = text.find(separator, start)
        if at != -1 and at - start <= tail_limit // 2:
            cut = at
            break
    return split_text(text[:cut]), text[cut:].strip()


def unique_titles(titles: list[str], limit: int) -> list[str]:
    """The titles shortened to `limit`; two that shorten alike get their number, as WhatsApp wants them distinct."""
    shortened = [shorten(title, limit) for title in titles]
    clashing = {title for title in shortened if shortened.count(title) > 1}
    return [
        shorten(titles[i], limit - len(f" ({i + 1})")) + f" ({i + 1})" if title in clashing else title
        for i, title in enumerate(shortened)
    ]


def numbered_menu(text: str, buttons: list[dict[str, str]]) -> str:
    lines = [f"{i}. {_button_title(button, i - 1)}" for i, button in enumerate(buttons, 1)]
    return "\n\n".join(part for part in (text.strip(), "\n".join(lines), MENU_PROMPT) if part)


def template_parameter(text: str, buttons: list[dict[str, str]] | None = None) -> str:
    """A template body parameter: one line (Meta refuses newlines, tabs and runs of spaces), ≤ 1024 characters.

    A template cannot carry our buttons: their titles follow the text, so the artisan can type one.
    """
    text = " ".join(text.split())
    titles = [_button_title(b, i) for i, b in enumerate(buttons or []) if isinstance(b, dict)]
    if titles:
        text = f"{text} (Réponses possibles : {' ; '.join(titles)})".strip()
    return shorten(text, MAX_TEMPLATE_PARAMETER_CHARS) or "…"


def _button_title(button: dict[str, str], index: int) -> str:
    title = " ".join(str(button.get("title") or button.get("payload") or "").split())
    return title or f"Choix {index + 1}"


class WhatsAppChannel(PushChannel):
    """WhatsApp through Meta's Cloud API: a signed webhook in, Graph API calls out."""

    name = CHANNEL
    # Meta allows about one message per second to one number (bursts are tolerated), 80 per second overall.
    rate_limit = RateLimit(per_chat_per_second=1.0, per_chat_burst=5, overall_per_second=80.0)
    # Free replies only within 24 h of the artisan's last message; held messages go when the artisan writes.
    has_reply_window = True

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._url = f"{settings.whatsapp_api_url.rstrip('/')}/{settings.whatsapp_phone_number_id}/messages"
        self._sent = SentParts()
        self._other_numbers: set[str] = set()

    def routes(self) -> list[web.RouteDef]:
        return [web.get(WEBHOOK_PATH, self.verify), web.post(WEBHOOK_PATH, self.receive)]

    async def start(self, app: web.Application) -> None:
        self._open_session()

    async def stop(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _open_session(self) -> aiohttp.ClientSession:
        # The outbox may resume unsent messages before start() runs: the session opens on first use too.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=HTTP_TIMEOUT,
                headers={"Authorization": f"Bearer {self._settings.whatsapp_access_token}"},
            )
        return self._session

    # --- Webhook -------------------------------------------------------------------------------------------

    async def verify(self, request: web.Request) -> web.Response:
        """Answer Meta's verification handshake with the challenge, when the verify token is ours."""
        mode = request.query.get("hub.mode", "")
        token = request.query.get("hub.verify_token", "")
        expected = self._settings.whatsapp_verify_token
        if mode == "subscribe" and expected and hmac.compare_digest(token.encode(), expected.encode()):
            return web.Response(text=request.query.get("hub.challenge", ""), content_type="text/plain")
        logger.warning("WhatsApp: webhook verification refused")
        return json_error(403, "Jeton de vérification incorrect.")

    async def receive(self, request: web.Request) -> web.Response:
        """Store every message and status of a signed webhook call; 200 once all is stored."""
        raw = await _read_limited(request, MAX_WEBHOOK_BYTES)
        if raw is None:
            return json_error(413, "Le message est trop long.")
        header = request.headers.get("X-Hub-Signature-256")
        if not header:
            return json_error(401, "Signature manquante.")
        if not signature_matches(self._settings.whatsapp_app_secret, raw, header):
            logger.warning("WhatsApp: webhook call with a wrong signature refused")
            return json_error(403, "Signature incorrecte.")
        body = _parse_body(raw)
        stored = 0
        for entry in _list(body.get("entry")):
            for change in _list(_dict(entry).get("changes")):
                change = _dict(change)
                if change.get("field", "messages") != "messages":
                    continue  # account or template notices: nothing for a conversation
                value = _dict(change.get("value"))
                if not self._for_our_number(value):
                    continue
                for message in _list(value.get("messages")):
                    inbound = await to_inbound(request.app, value, _dict(message))
                    if inbound is not None:
                        await accept(request.app, inbound)
                        stored += 1
                for status in _list(value.get("statuses")):
                    await _record_status(request.app, _dict(status))
        if stored:
            logger.debug("WhatsApp: %d message(s) stored", stored)
        return web.json_response({"status": "ok"})

    def _for_our_number(self, value: dict[str, Any]) -> bool:
        """Whether a change concerns the chamber's number. A business account may hold other numbers (another
        service's) whose webhooks reach the same app: their artisans are not ours, and a reply would come from
        the wrong number."""
        number = _text(_dict(value.get("metadata")).get("phone_number_id"))
        if not number or number == self._settings.whatsapp_phone_number_id:
            return True
        if number not in self._other_numbers:  # said once per number: a wrong setting shows, traffic does not flood
            self._other_numbers.add(number)
            logger.warning(
                "WhatsApp: messages for phone number id %s are ignored (WHATSAPP_PHONE_NUMBER_ID is %s)",
                number, self._settings.whatsapp_phone_number_id,
            )
        return False

    # --- Sending -------------------------------------------------------------------------------------------

    async def send(self, message: Outgoing) -> Delivery:
        if not message.text.strip() and not message.buttons and message.awaiting != "phone":
            return Delivery([], note="Message vide : rien à envoyer.")
        if message.window_closed or not self._window_open(message):
            self._sent.forget(message.message_id)
            return await self._send_template(message, reason="fenêtre de 24 h fermée")
        requests = self._requests_for(message)
        sent = self._sent.of(message.message_id)
        try:
            for body in requests[len(sent) :]:
                sent.append(await self._post(message.message_id, message.external_id, body))
        except _WindowClosed:
            self._sent.forget(message.message_id)
            delivery = await self._send_template(message, reason="fenêtre de 24 h fermée selon WhatsApp")
            return Delivery(sent + delivery.platform_message_ids, delivery.note)
        except (DeliveryFailed, Held):
            self._sent.forget(message.message_id)
            raise
        self._sent.forget(message.message_id)
        return Delivery(sent)

    def _window_open(self, message: Outgoing) -> bool:
        last = message.last_inbound_at
        if last is None:
            return False
        if last.tzinfo is None:  # stored in UTC; SQLite may forget the zone
            last = last.replace(tzinfo=UTC)
        return self._settings.clock() - last < SERVICE_WINDOW

    async def _send_template(self, message: Outgoing, reason: str) -> Delivery:
        template = self._settings.whatsapp_template
        if not template:
            raise Held(
                "Fenêtre de 24 h fermée : WhatsApp n'accepte plus de message libre pour cet artisan "
                "et aucun modèle (WHATSAPP_TEMPLATE) n'est configuré. Le message partira quand il écrira."
            )
        body = {
            "type": "template",
            "template": {
                "name": template,
                "language": {"code": self._settings.whatsapp_template_language},
                "components": [
                    {
                        "type": "body",
                        "parameters": [{"type": "text", "text": template_parameter(message.text, message.buttons)}],
                    }
                ],
            },
        }
        try:
            wamid = await self._post(message.message_id, message.external_id, body)
        except _WindowClosed as exc:  # a template never gets this answer; if it does, it is a refusal
            raise DeliveryFailed(str(exc)) from exc
        return Delivery([wamid], note=f"Envoyé avec le modèle {template} ({reason})")

    def _requests_for(self, message: Outgoing) -> list[dict[str, Any]]:
        """The Graph API message bodies (without recipient) that carry `message`, in order."""
        text, buttons = message.text, [b for b in message.buttons if isinstance(b, dict)]
        if not buttons and message.awaiting == "phone":
            leading, body = split_with_tail(text, MAX_INTERACTIVE_BODY_CHARS)
            phone_button = {"id": f"{PHONE_BUTTON_PREFIX}+{message.external_id}", "title": PHONE_BUTTON_TITLE}
            action = {"buttons": [{"type": "reply", "reply": phone_button}]}
            return [*map(_text_body, leading), _interactive("button", body, action)]
        if not buttons:
            return [_text_body(part) for part in split_text(text)]
        if len(buttons) > MAX_LIST_ROWS:
            return [_text_body(part) for part in split_text(numbered_menu(text, buttons))]
        leading, body = split_with_tail(text, MAX_INTERACTIVE_BODY_CHARS)
        ids = [f"b:{message.message_id}:{i}" for i in range(len(buttons))]
        titles = [_button_title(b, i) for i, b in enumerate(buttons)]
        if len(buttons) <= MAX_REPLY_BUTTONS:
            action = {
                "buttons": [
                    {"type": "reply", "reply": {"id": id_, "title": short}}
                    for id_, short in zip(ids, unique_titles(titles, MAX_REPLY_TITLE_CHARS))
                ]
            }
            return [*map(_text_body, leading), _interactive("button", body, action)]
        rows = []
        for id_, title, short in zip(ids, titles, unique_titles(titles, MAX_ROW_TITLE_CHARS)):
            row = {"id": id_, "title": short}
            if short != title:
                row["description"] = shorten(title, MAX_ROW_DESCRIPTION_CHARS)
            rows.append(row)
        action = {"button": LIST_BUTTON_LABEL, "sections": [{"title": "Choix", "rows": rows}]}
        return [*map(_text_body, leading), _interactive("list", body, action)]

    async def _post(self, message_id: int, to: str, body: dict[str, Any]) -> str:
        """Send one Graph API message; its wamid, or the error mapped to the outbox's exceptions."""
        request = {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, **body}
        try:
            async with self._open_session().post(self._url, json=request) as response:
                status = response.status
                raw = await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError) as exc:
            # RuntimeError: the session was closed by stop() while the outbox still ran; retried after restart.
            raise RetryLater(f"WhatsApp injoignable ({type(exc).__name__})") from exc
        try:
            answer = json.loads(raw) if raw else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            answer = {}
        answer = _dict(answer)
        if 200 <= status < 300:
            ids = [_text(_dict(m).get("id")) for m in _list(answer.get("messages"))]
            if not ids or not ids[0]:
                logger.warning("WhatsApp: message %s accepted without an id", message_id)
                return ""
            return ids[0]
        raise self._error(message_id, status, _dict(answer.get("error")))

    def _error(self, message_id: int, status: int, error: dict[str, Any]) -> Exception:
        code = error.get("code")
        try:
            code = int(code)
        except (TypeError, ValueError):
            code = None
        text = _text(error.get("message")) or f"HTTP {status}"
        details = _text(_dict(error.get("error_data")).get("details"))
        reason = f"{code if code is not None else status}: {text}"
        if details and details != text:
            reason += f" {details}"
        if code in THROTTLED_WHOLE_CHANNEL:
            return RetryLater(f"Limite de débit WhatsApp atteinte ({reason})", whole_channel=True)
        if code in THROTTLED_PAIR:
            return RetryLater(f"Trop de messages vers ce numéro ({reason})")
        if code == WINDOW_CLOSED:
            return _WindowClosed(reason)
        if status >= 500 or status == 429 or code in TRANSIENT:
            return RetryLater(f"WhatsApp indisponible ({reason})")
        if code == TOKEN_EXPIRED:
            logger.error("WhatsApp refused the access token (%s): renew WHATSAPP_ACCESS_TOKEN", text)
        else:
            logger.warning("WhatsApp refused message %s: code %s", message_id, code)
        return DeliveryFailed(reason[:1000])


class _WindowClosed(Exception):
    """Meta says the 24-hour window is closed (131047): the template path, or held."""


def _text_body(text: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": text, "preview_url": False}}


def _interactive(kind: str, body: str, action: dict[str, Any]) -> dict[str, Any]:
    interactive = {"type": kind, "body": {"text": body or DEFAULT_BODY}, "action": action}
    return {"type": "interactive", "interactive": interactive}
