"""This module contains WhatsAppChannel: its webhook (verification and calls), and its sender."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import Delivery, DeliveryFailed, Held, Outgoing, PushChannel, RateLimit, RetryLater
from bot.channels.inbound import accept
from bot.channels.text import SentParts
from bot.channels.whatsapp.graph import WindowClosed, dict_of, graph_error, list_of, text_of
from bot.channels.whatsapp.inbound import (
    CHANNEL,
    parse_body,
    read_limited,
    record_status,
    signature_matches,
    to_inbound,
)
from bot.channels.whatsapp.layout import requests_for, template_parameter
from bot.errors import TooDeep
from bot.settings import Settings
from bot.web.json_api import json_error

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/whatsapp/webhook"

# The customer service window is 24 h from the artisan's last message as Meta received it; we stored that
# message a little later, so we close our window a few minutes early rather than risk a refusal.
SERVICE_WINDOW = timedelta(hours=24) - timedelta(minutes=5)
HTTP_TIMEOUT = aiohttp.ClientTimeout(total=10)
# Meta batches updates in one call, up to 3 MB: more than the app's limit for other requests, read here.
MAX_WEBHOOK_BYTES = 3 * 1024 * 1024


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
        raw = await read_limited(request, MAX_WEBHOOK_BYTES)
        if raw is None:
            return json_error(413, "Le message est trop long.")
        header = request.headers.get("X-Hub-Signature-256")
        if not header:
            return json_error(401, "Signature manquante.")
        if not signature_matches(self._settings.whatsapp_app_secret, raw, header):
            logger.warning("WhatsApp: webhook call with a wrong signature refused")
            return json_error(403, "Signature incorrecte.")
        try:
            body = parse_body(raw)
        except TooDeep:
            # Meta would send it again, for days: acknowledge it.
            logger.warning("WhatsApp: a signed webhook body nested too deep to be read was dropped")
            return web.json_response({"status": "ok"})
        stored = 0
        for entry in list_of(body.get("entry")):
            for change in list_of(dict_of(entry).get("changes")):
                change = dict_of(change)
                if change.get("field", "messages") != "messages":
                    continue  # account or template notices: nothing for a conversation
                value = dict_of(change.get("value"))
                if not self._for_our_number(value):
                    continue
                for message in list_of(value.get("messages")):
                    inbound = await to_inbound(request.app, value, dict_of(message))
                    if inbound is not None:
                        await accept(request.app, inbound)
                        stored += 1
                for status in list_of(value.get("statuses")):
                    await record_status(request.app, dict_of(status))
        if stored:
            logger.debug("WhatsApp: %d message(s) stored", stored)
        return web.json_response({"status": "ok"})

    def _for_our_number(self, value: dict[str, Any]) -> bool:
        """Whether a change concerns the chamber's number. A business account may hold other numbers (another
        service's) whose webhooks reach the same app: their artisans are not ours, and a reply would come from
        the wrong number."""
        number = text_of(dict_of(value.get("metadata")).get("phone_number_id"))
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
        if message.window_closed or not self.window_open(message.last_inbound_at):
            self._sent.forget(message.message_id)
            return await self._send_template(message, reason="fenêtre de 24 h fermée")
        requests = requests_for(message)
        sent = self._sent.of(message.message_id)
        try:
            for body in requests[len(sent) :]:
                sent.append(await self._post(message.message_id, message.external_id, body))
        except WindowClosed:
            self._sent.forget(message.message_id)
            delivery = await self._send_template(message, reason="fenêtre de 24 h fermée selon WhatsApp")
            return Delivery(sent + delivery.platform_message_ids, delivery.note)
        except (DeliveryFailed, Held):
            self._sent.forget(message.message_id)
            raise
        self._sent.forget(message.message_id)
        return Delivery(sent)

    def window_open(self, last_inbound_at: datetime | None) -> bool:
        """Within 24 hours (less a margin) of the artisan's last message."""
        if last_inbound_at is None:
            return False
        if last_inbound_at.tzinfo is None:  # stored in UTC; SQLite may forget the zone
            last_inbound_at = last_inbound_at.replace(tzinfo=UTC)
        return self._settings.clock() - last_inbound_at < SERVICE_WINDOW

    async def _send_template(self, message: Outgoing, reason: str) -> Delivery:
        """Outside the window: the message's own template (a broadcast's), or the reply template with the text."""
        if message.template is not None:
            template = message.template.name
            language = message.template.language
            parameters = [template_parameter(p) for p in message.template.parameters]
        else:
            template = self._settings.whatsapp_template
            language = self._settings.whatsapp_template_language
            parameters = [template_parameter(message.text, message.buttons)]
        if not template:
            raise Held(
                "Fenêtre de 24 h fermée : WhatsApp n'accepte plus de message libre pour cet artisan "
                "et aucun modèle (WHATSAPP_TEMPLATE) n'est configuré. Le message partira quand il écrira."
            )
        body = {
            "type": "template",
            "template": {
                "name": template,
                "language": {"code": language},
                "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": text} for text in parameters]}
                ],
            },
        }
        try:
            wamid = await self._post(message.message_id, message.external_id, body)
        except WindowClosed as exc:  # a template never gets this answer; if it does, it is a refusal
            raise DeliveryFailed(str(exc)) from exc
        return Delivery([wamid], note=f"Envoyé avec le modèle {template} ({reason})")

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
        answer = dict_of(answer)
        if 200 <= status < 300:
            ids = [text_of(dict_of(m).get("id")) for m in list_of(answer.get("messages"))]
            if not ids or not ids[0]:
                logger.warning("WhatsApp: message %s accepted without an id", message_id)
                return ""
            return ids[0]
        raise graph_error(message_id, status, dict_of(answer.get("error")))
