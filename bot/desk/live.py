"""This module contains Live, the gateway's in-process feed of what advisers watch change, and `message_json`, a
message as the consoles show it.

The hand-off (a conversation queued, taken, given back), the message path (an artisan's message in a
handed-off conversation, an adviser's reply and its delivery) publish small JSON-ready events; each adviser's
console websocket subscribes and forwards them. A slow subscriber loses old events rather than slowing the
gateway: the console reloads what it shows from the database when it is told it missed some.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.storage.models import Message

logger = logging.getLogger(__name__)

# Events a subscriber may fall behind by before it is told to reload.
BACKLOG = 200


class Live:
    """Publishes events to every console subscribed, at once and without ever waiting for one.

    `publish(kind, **data)` sends `{"kind": kind, **data}`; `subscribe()` gives a queue of them for as long as
    the console's websocket lives. A subscriber `BACKLOG` events behind gets `{"kind": "reload"}` instead.
    """

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()

    def publish(self, kind: str, **data: Any) -> None:
        """Send `{"kind": kind, **data}` to every subscriber, now, without waiting for any."""
        event = {"kind": kind, **data}
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                # Too far behind: drop what it has not read, and tell it to reload everything.
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait({"kind": "reload"})

    def delivery(self, message: Any) -> None:
        """Where a reply to the artisan is now (sent, failed, held...): the consoles show it."""
        self.publish(
            "delivery",
            conversation_id=message.conversation_id,
            id=message.id,
            status=message.status,
            error=message.error,
        )

    def close(self) -> None:
        """The gateway is stopping: every subscriber is told to go (consoles reconnect when it is back)."""
        self.publish("shutdown")

    @contextlib.contextmanager
    def subscribe(self) -> Iterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=BACKLOG)
        self._subscribers.add(queue)
        try:
            yield queue
        finally:
            self._subscribers.discard(queue)

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)


def message_json(message: Message) -> dict[str, Any]:
    """A message as the console shows it."""
    return {
        "id": message.id,
        "direction": message.direction,
        "author": message.author,
        "text": message.text or "",
        "buttons": message.buttons,
        "kind": (message.payload or {}).get("kind"),
        "status": message.status,
        "error": message.error,
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }
