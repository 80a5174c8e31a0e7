"""A fake of the gateway's internal API on a local aiohttp test server, and helpers to run actions against it.

Tests never reach a real gateway: the actions' GatewayClient is pointed at this server, which records every
request and answers what the test scripted.
"""

import asyncio
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

from aiohttp import web
from aiohttp.test_utils import TestServer

from rasa_sdk.executor import CollectingDispatcher

from actions.form_support import Services
from actions.gateway_api import GatewayClient

TOKEN = "test-engine-token"

# The gateway's answers to a handoff request (POST /internal/conversations/{id}/handoff).
HANDOFF_QUEUED = (200, {"outcome": "queued", "priority": False, "position": 2, "expected_minutes": 10})
HANDOFF_QUEUED_NO_ESTIMATE = (200, {"outcome": "queued", "priority": False, "position": 1, "expected_minutes": None})
HANDOFF_ALREADY_WAITING = (200, {"outcome": "already", "state": "waiting"})
HANDOFF_ALREADY_AGENT = (200, {"outcome": "already", "state": "agent"})
HANDOFF_CLOSED = (
    200,
    {
        "outcome": "closed",
        "next_opening_text": "lundi à 9h00",
        "hours_text": "du lundi au vendredi de 9h à 12h et de 14h à 17h",
    },
)


def handoff_path(conversation_id: str = "conversation-1") -> Tuple[str, str]:
    """The key of the handoff call in ``FakeGateway.answers``."""
    return ("POST", f"/internal/conversations/{conversation_id}/handoff")


@dataclass
class Recorded:
    method: str
    path: str
    authorization: Optional[str]
    body: Optional[Dict[str, Any]]
    query: str = ""


@dataclass
class FakeGateway:
    """Scripted answers by (method, path): a (status, JSON body) pair, or a list of them used in turn."""

    answers: Dict[Tuple[str, str], Any] = field(default_factory=dict)
    requests: List[Recorded] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json() if request.can_read_body else None
        self.requests.append(
            Recorded(request.method, request.path, request.headers.get("Authorization"), body, request.query_string)
        )
        answer = self.answers.get((request.method, request.path), (404, {"error": "Demande inconnue."}))
        if isinstance(answer, list):
            answer = answer.pop(0) if len(answer) > 1 else answer[0]
        if callable(answer):
            answer = answer(body)
        status, payload = answer
        return web.json_response(payload, status=status)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app


def run_with_gateway(fake: FakeGateway, scenario: Callable[[GatewayClient], Awaitable[Any]]) -> Any:
    """Start the fake gateway, run ``scenario`` with a client pointed at it, stop the server."""

    async def main() -> Any:
        server = TestServer(fake.app())
        await server.start_server()
        try:
            client = GatewayClient(str(server.make_url("")), TOKEN)
            return await scenario(client)
        finally:
            await server.close()

    return asyncio.run(main())


def run_action(action_class: Any, fake: FakeGateway, tracker: Any, domain: Any = None) -> Any:
    """Run one action against the fake gateway: its events and the messages it sent."""

    async def scenario(client: GatewayClient) -> Any:
        dispatcher = CollectingDispatcher()
        events = await action_class(Services(environ={}, gateway=client)).run(dispatcher, tracker, domain or {})
        return events, dispatcher.messages

    return run_with_gateway(fake, scenario)


def unreachable_client() -> GatewayClient:
    """A client whose gateway refuses connections (nothing listens on port 9 of loopback)."""
    return GatewayClient("http://127.0.0.1:9", TOKEN, timeout_seconds=2)


# The initiatives' endpoints (POST /internal/initiatives, the search, a proposer's "still current?" answer).
INITIATIVES = ("POST", "/internal/initiatives")


def initiatives_search() -> Tuple[str, str]:
    """The key of the search call in ``FakeGateway.answers`` (its query is in ``Recorded.query``)."""
    return ("GET", "/internal/initiatives/search")


def still_current_path(reference: str) -> Tuple[str, str]:
    """The key of the still-current answer for ``reference``."""
    return ("POST", f"/internal/initiatives/{reference}/still-current")
