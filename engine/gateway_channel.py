"""This module contains GatewayInput, the Rasa input channel that only the crisisbot gateway calls.

Rasa's own REST channel answers with the bot's messages only, and anyone who reaches its port may call it.
This channel is the engine's door for the gateway:

* every request carries the engine token (``Authorization: Bearer <token>``), compared in constant time;
* the answer holds the bot's messages *and* the intent and confidence of the artisan's message, which the
  gateway stores beside it (the NLU runs once: its result is handed to Rasa's processor as ``parse_data``);
* a message the gateway sends again after a crash (``"retry": true``) is not processed twice: when the
  tracker already holds it (same ``message_id``), the bot messages that followed it are returned instead;
* each bot message names the domain response that produced it (``"response": "utter_faq_pge"``), when it
  came from one, so the gateway can put the admins' live text of that answer in its place;
* when Rasa's circuit breaker stops a turn that would not end (too many actions without listening), the
  turn is ended here, with the ``action_listen`` Rasa never reached, so the conversation's next message is
  answered; the answer says so (``"incident": "circuit_breaker"``) and the gateway raises the alarm.

It runs inside the Rasa server (Python 3.10), loaded through ``credentials.yml``.
"""

import hmac
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

BOT_MESSAGE_KEYS = ("text", "buttons", "image", "attachment", "custom")
# The key of a bot message that names the response it came from (Rasa's `utter_action`).
RESPONSE_KEY = "response"
# What the answer's "incident" says when Rasa's circuit breaker stopped the turn.
CIRCUIT_BREAKER = "circuit_breaker"


class ResponseCollector(CollectingOutputChannel):
    """Collects the bot's messages, each marked with the response that produced it, when Rasa names one.

    One response may become several messages (a text with blank lines is split; a `custom` part comes
    apart from its text): all of them carry its name.
    """

    def __init__(self) -> None:
        super().__init__()
        # Set when Rasa's circuit breaker stopped the turn (end_turn_at_circuit_break).
        self.incident: Optional[Text] = None

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        response_name = message.get("utter_action")
        first = len(self.messages)
        await super().send_response(recipient_id, message)
        if isinstance(response_name, str) and response_name:
            for collected in self.messages[first:]:
                collected[RESPONSE_KEY] = response_name


def end_turn_at_circuit_break(tracker: DialogueStateTracker, output_channel: OutputChannel, _nlg: Any) -> None:
    """Rasa's circuit breaker stopped predicting: end the turn as a turn ends, and mark the answer.

    Rasa counts the actions since the last ``action_listen``: left as it is, the conversation's next message
    would trip it again at once and get no answer. The tracker is saved after this, under the conversation's
    lock.
    """
    logger.error("Circuit breaker tripped in conversation %s: the turn is ended", tracker.sender_id)
    tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
    if isinstance(output_channel, ResponseCollector):
        output_channel.incident = CIRCUIT_BREAKER


class GatewayInput(InputChannel):
    """The authenticated channel between the crisisbot gateway and Rasa."""

    @classmethod
    def name(cls) -> Text:
        return "gateway"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GatewayInput":
        token = (credentials or {}).get("token") or ""
        if not token:
            raise ValueError(
                "The gateway channel needs a token: set CRISISBOT_ENGINE_TOKEN "
                "(`crisisbot run` sets it for you)."
            )
        return cls(token)

    def __init__(self, token: Text) -> None:
        self.token = token

    def _authorized(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        expected = f"Bearer {self.token}"
        return hmac.compare_digest(header.encode(), expected.encode())

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        gateway_webhook = Blueprint("gateway_webhook", __name__)

        @gateway_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @gateway_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authorized(request):
                return response.json({"error": "unauthorized"}, status=401)
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            text = body.get("message")
            if not isinstance(sender, str) or not isinstance(text, str) or not text:
                return response.json(
                    {"error": "`sender` and `message` must be non-empty strings"}, status=400
                )
            message_id = body.get("message_id")
            agent = request.app.ctx.agent

            if body.get("retry") and message_id:
                earlier = await _answer_already_given(agent, sender, message_id)
                if earlier is not None:
                    logger.info("Message %s was already handled: returning its answer", message_id)
                    return response.json(earlier)

            parse_data = await agent.parse_message(text)
            collector = ResponseCollector()
            # The processor is replaced when a model is loaded: set on the one that handles this message.
            if agent.processor is not None:
                agent.processor.on_circuit_break = end_turn_at_circuit_break
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    sender,
                    input_channel=self.name(),
                    message_id=message_id,
                    metadata=body.get("metadata"),
                    parse_data=parse_data,
                )
            )
            answer = _answer(parse_data, _merge_custom(collector.messages))
            if collector.incident:
                answer["incident"] = collector.incident
            return response.json(answer)

        return gateway_webhook


def _merge_custom(messages: List[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """One message per response, as the tracker stores it.

    A response with text and `custom` (e.g. `{"awaiting": "phone"}`, which lets a channel offer a "share my
    number" button) reaches the collecting channel as two messages; the custom part rejoins its text.
    """
    merged: List[Dict[Text, Any]] = []
    for message in messages:
        only_custom = message.get("custom") is not None and not any(
            message.get(k) for k in BOT_MESSAGE_KEYS if k != "custom"
        )
        if only_custom and merged and "custom" not in merged[-1]:
            merged[-1] = {**merged[-1], "custom": message["custom"]}
        else:
            merged.append(message)
    return merged


def _answer(parse_data: Dict[Text, Any], messages: List[Dict[Text, Any]]) -> Dict[Text, Any]:
    intent = parse_data.get("intent") or {}
    return {
        "messages": messages,
        "intent": intent.get("name"),
        "confidence": intent.get("confidence"),
    }


async def _answer_already_given(
    agent: Any, sender: Text, message_id: Text
) -> Optional[Dict[Text, Any]]:
    """The answer Rasa gave to `message_id`, or None when the tracker never saw it."""
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    found: Optional[UserUttered] = None
    messages: List[Dict[Text, Any]] = []
    for event in tracker.events:
        if isinstance(event, UserUttered):
            if found is not None:
                break
            if event.message_id == message_id:
                found = event
        elif found is not None and isinstance(event, BotUttered):
            message = {"recipient_id": sender, "text": event.text, **(event.data or {})}
            kept = {k: v for k, v in message.items() if k == "recipient_id" or (k in BOT_MESSAGE_KEYS and v)}
            response_name = (event.metadata or {}).get("utter_action")
            if isinstance(response_name, str) and response_name:
                kept[RESPONSE_KEY] = response_name
            messages.append(kept)
    if found is None:
        return None
    return _answer(found.parse_data, messages)
