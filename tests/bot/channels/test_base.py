"""The contract between the outbox and a push channel (bot/channels/base.py)."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.channels.base import Delivery, DeliveryFailed, Held, Outgoing, PushChannel, RateLimit, RetryLater
from bot.errors import DeliveryProblem


def test_a_channel_must_say_its_routes_and_how_it_sends() -> None:
    class Halfway(PushChannel):
        name = "halfway"
        rate_limit = RateLimit(1.0, 1, 10.0)

        def routes(self) -> list[web.RouteDef]:
            return []

    with pytest.raises(TypeError, match="send"):
        Halfway()  # type: ignore[abstract]

    class Complete(Halfway):
        async def send(self, message: Outgoing) -> Delivery:
            return Delivery([f"p{message.message_id}"])

    channel = Complete()
    assert channel.has_reply_window is False, "only a platform with a reply window (WhatsApp) says so"


def test_what_a_platform_says_reaches_the_outbox_with_its_reason() -> None:
    later = RetryLater("Telegram limite les envois", 3.0, whole_channel=True)
    assert (later.reason, later.delay, later.whole_channel) == ("Telegram limite les envois", 3.0, True)
    assert RetryLater("injoignable").delay is None and not RetryLater("injoignable").whole_channel
    for problem in (later, DeliveryFailed("bot bloqué"), Held("fenêtre fermée")):
        assert isinstance(problem, DeliveryProblem) and str(problem) == problem.reason


def test_an_outgoing_message_carries_only_what_the_platform_needs() -> None:
    message = Outgoing(message_id=1, conversation_id="c1", external_id="42", text="Bonjour")
    assert (message.buttons, message.awaiting, message.last_inbound_at, message.window_closed) == ([], None, None, False)
