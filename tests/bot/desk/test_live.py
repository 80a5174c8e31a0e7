"""The consoles' live feed (bot/desk/live.py): every subscriber hears each event at once; one too far behind is
told to reload rather than slowing the gateway."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.desk.live import BACKLOG, Live, message_json
from bot.storage.models import Message


def test_every_subscriber_hears_each_event_and_a_gone_one_nothing_more() -> None:
    live = Live()
    with live.subscribe() as first:
        with live.subscribe() as second:
            live.publish("queue")
            assert live.subscribers == 2
        live.publish("note", conversation_id="c1", note={"text": "rappeler lundi"})
    assert [first.get_nowait() for _ in range(first.qsize())] == [
        {"kind": "queue"}, {"kind": "note", "conversation_id": "c1", "note": {"text": "rappeler lundi"}}
    ]
    assert [second.get_nowait() for _ in range(second.qsize())] == [{"kind": "queue"}]
    assert live.subscribers == 0


def test_a_subscriber_too_far_behind_is_told_to_reload() -> None:
    live = Live()
    with live.subscribe() as slow:
        for _ in range(BACKLOG + 1):
            live.publish("queue")
        assert [slow.get_nowait() for _ in range(slow.qsize())] == [{"kind": "reload"}]


def test_a_delivery_and_the_stop_are_said_in_a_few_words() -> None:
    live = Live()
    reply = Message(id=9, conversation_id="c1", status="failed", error="Bot bloqué")
    with live.subscribe() as feed:
        live.delivery(reply)
        live.close()
        assert [feed.get_nowait() for _ in range(feed.qsize())] == [
            {"kind": "delivery", "conversation_id": "c1", "id": 9, "status": "failed", "error": "Bot bloqué"},
            {"kind": "shutdown"},
        ]


def test_a_message_as_the_console_shows_it() -> None:
    at = datetime(2020, 4, 6, 9, 0, tzinfo=UTC)
    message = Message(
        id=3, direction="out", author="bot", text="Bonjour", status="sent", created_at=at,
        payload={"buttons": [{"title": "Menu", "payload": "/help"}]},
    )
    assert message_json(message) == {
        "id": 3, "direction": "out", "author": "bot", "text": "Bonjour",
        "buttons": [{"title": "Menu", "payload": "/help"}], "kind": None, "status": "sent", "error": None,
        "created_at": "2020-04-06T09:00:00+00:00",
    }
