"""This module contains GatewayClient, the action server's client of the gateway's internal API.

Errors, as a tree:

    GatewayError                 anything that kept a request from succeeding
    ├── GatewayUnavailable       connection error, timeout, 5xx, or an answer that is not JSON
    └── GatewayRejected          4xx: the gateway refused the request; ``message`` is its French sentence

The client opens no connection at import or construction. It uses the ``aiohttp.ClientSession`` it is given
(tests pass one pointed at a fake server), or opens one per call.
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional
from urllib.parse import quote, urlencode

import aiohttp

__all__ = [
    "CallbackCreated",
    "GatewayClient",
    "GatewayError",
    "GatewayRejected",
    "GatewayUnavailable",
    "InitiativeCreated",
    "PledgeCreated",
]

logger = logging.getLogger(__name__)

URL_VARIABLE = "CRISISBOT_GATEWAY_URL"
TOKEN_VARIABLE = "CRISISBOT_ENGINE_TOKEN"
DEFAULT_TIMEOUT_SECONDS = 10.0


class GatewayError(Exception):
    """A request to the gateway's internal API did not succeed."""


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached or failed (5xx): the artisan may try again later."""


class GatewayRejected(GatewayError):
    """The gateway refused the request (4xx); ``message`` is the French sentence it gave."""

    def __init__(self, status: int, message: str, field: Optional[str] = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        # The body key the gateway refused, when it names one (a proposal's "phone", "ends_on"...).
        self.field = field


@dataclass(frozen=True)
class CallbackCreated:
    """A stored callback request: its reference and when an adviser calls, in French ("demain à 10h00")."""

    reference: str
    due_at: str
    due_text: str


@dataclass(frozen=True)
class PledgeCreated:
    """A stored mask pledge, with the running totals of masks pledged and handed to the prefecture."""

    reference: str
    total_pledged: int
    total_handed_over: int


@dataclass(frozen=True)
class InitiativeCreated:
    """A proposed solidarity initiative: its reference (INI-000001) and status ("pending" until checked)."""

    reference: str
    status: str


class GatewayClient:
    """Call the gateway's internal API with the engine token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        session: Optional[aiohttp.ClientSession] = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._session = session
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> "GatewayClient":
        """Build a client from CRISISBOT_GATEWAY_URL and CRISISBOT_ENGINE_TOKEN; raise if either is missing."""
        missing = [name for name in (URL_VARIABLE, TOKEN_VARIABLE) if not environ.get(name)]
        if missing:
            raise GatewayUnavailable(
                f"{' and '.join(missing)} missing, and no default: `crisisbot run` sets them for the action server"
            )
        return cls(environ[URL_VARIABLE], environ[TOKEN_VARIABLE])

    async def create_callback(self, request: Mapping[str, Any]) -> CallbackCreated:
        """Store a callback request (idempotent on its ``idempotency_key``)."""
        body = await self._call("POST", "/internal/callbacks", dict(request))
        return CallbackCreated(body["reference"], body.get("due_at", ""), body.get("due_text", ""))

    async def create_pledge(self, pledge: Mapping[str, Any]) -> PledgeCreated:
        """Store a mask pledge (idempotent on its ``idempotency_key``)."""
        body = await self._call("POST", "/internal/pledges", dict(pledge))
        return PledgeCreated(body["reference"], int(body["total_pledged"]), int(body["total_handed_over"]))

    async def list_requests(self, conversation_id: str) -> List[Dict[str, Any]]:
        """Return the conversation's callbacks and pledges, newest first."""
        body = await self._call("GET", f"/internal/conversations/{conversation_id}/requests")
        return list(body.get("requests", []))

    async def cancel_request(self, reference: str, conversation_id: str) -> Dict[str, Any]:
        """Cancel one of the conversation's requests; GatewayRejected (404, 409) when it cannot be."""
        return await self._call(
            "POST", f"/internal/requests/{reference}/cancel", {"conversation_id": conversation_id}
        )

    async def request_handoff(self, conversation_id: str, reason: str) -> Dict[str, Any]:
        """Ask for an adviser; the answer's ``outcome`` is "queued", "already" or "closed" (see the README)."""
        return await self._call(
            "POST", f"/internal/conversations/{conversation_id}/handoff", {"reason": reason}
        )

    async def subscription(self, conversation_id: str) -> Dict[str, Any]:
        """The conversation's subscription to the news: ``subscribed``, and its ``topic_label``, ``commune_name``."""
        return await self._call("GET", f"/internal/conversations/{conversation_id}/subscription")

    async def subscribe(
        self, conversation_id: str, topic: str, commune_code: Optional[str], consent_text: str
    ) -> Dict[str, Any]:
        """Subscribe the conversation to the news (``topic`` "all" or a subject), with the words it agreed to."""
        body = {"topic": topic, "commune_code": commune_code, "consent_text": consent_text}
        return await self._call("PUT", f"/internal/conversations/{conversation_id}/subscription", body)

    async def set_subscription_commune(self, conversation_id: str, commune_code: str) -> Dict[str, Any]:
        """Add the artisan's commune (INSEE code) to their subscription: they get its local news too."""
        body = {"commune_code": commune_code}
        return await self._call("PATCH", f"/internal/conversations/{conversation_id}/subscription", body)

    async def unsubscribe(self, conversation_id: str) -> bool:
        """End the conversation's subscription; False when there was none."""
        body = await self._call("DELETE", f"/internal/conversations/{conversation_id}/subscription")
        return bool(body.get("ended"))

    async def latest_news(self, offset: int = 0, limit: int = 3) -> Dict[str, Any]:
        """The public news from ``offset``, most recent first: ``items`` (each with its ``entry``) and ``total``."""
        return await self._call("GET", f"/internal/news?offset={int(offset)}&limit={int(limit)}")

    async def propose_initiative(self, proposal: Mapping[str, Any]) -> InitiativeCreated:
        """Propose a solidarity initiative; GatewayRejected with ``field`` when one of its answers is refused."""
        body = await self._call("POST", "/internal/initiatives", dict(proposal))
        return InitiativeCreated(body["reference"], body.get("status", "pending"))

    async def find_initiatives(
        self, commune_code: str, category: Optional[str] = None, offset: int = 0, limit: int = 3
    ) -> Dict[str, Any]:
        """Approved initiatives for a commune, those serving it first: ``items`` (``entry``, ``here``), ``total``."""
        query = {"commune_code": commune_code, "offset": int(offset), "limit": int(limit)}
        if category:
            query["category"] = category
        return await self._call("GET", "/internal/initiatives/search?" + urlencode(query))

    async def initiative_still_current(self, reference: str, conversation_id: str, yes: bool) -> Dict[str, Any]:
        """The proposer's answer to "still current?"; GatewayRejected 404 (unknown) or 409 (not theirs, not asked)."""
        body = {"conversation_id": conversation_id, "still_current": bool(yes)}
        return await self._call("POST", f"/internal/initiatives/{quote(reference, safe='')}/still-current", body)

    async def barometer_offer(self, conversation_id: str) -> Dict[str, Any]:
        """Whether to ask the barometer now: ``ask`` (at most once every 7 days, counted at once), ``need_trade``."""
        return await self._call("POST", f"/internal/conversations/{quote(conversation_id, safe='')}/barometer/offer")

    async def barometer_claim(self, conversation_id: str) -> Dict[str, Any]:
        """A tap under a broadcast that asked the barometer: ``ask`` true once per such broadcast, ``need_trade``."""
        return await self._call("POST", f"/internal/conversations/{quote(conversation_id, safe='')}/barometer/claim")

    async def barometer_commune(self, conversation_id: str, commune_code: Optional[str]) -> Dict[str, Any]:
        """The commune asked after an answer (None: skipped): ``commune_name``."""
        return await self._call(
            "POST", f"/internal/conversations/{quote(conversation_id, safe='')}/barometer/commune",
            {"commune_code": commune_code},
        )

    async def barometer_answer(
        self, conversation_id: str, activity: str, need: Optional[str], trade_category: Optional[str]
    ) -> Dict[str, Any]:
        """Record one barometer answer (stored without the conversation): ``ask_commune`` true when the commune is
        to be asked now; GatewayRejected with ``field`` if refused."""
        body = {"activity": activity, "need": need, "trade_category": trade_category}
        return await self._call(
            "POST", f"/internal/conversations/{quote(conversation_id, safe='')}/barometer/answer", body
        )

    async def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
        if self._session is not None:
            return await self._send(self._session, method, path, body)
        async with aiohttp.ClientSession(timeout=self._timeout) as session:
            return await self._send(session, method, path, body)

    async def _send(
        self, session: aiohttp.ClientSession, method: str, path: str, body: Optional[Dict[str, Any]]
    ) -> Dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}"}
        try:
            async with session.request(
                method, self.base_url + path, json=body, headers=headers, timeout=self._timeout
            ) as response:
                status = response.status
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise GatewayUnavailable(f"{method} {path}: {exc!r}") from exc
        if status >= 500:
            raise GatewayUnavailable(f"{method} {path}: HTTP {status}")
        if status >= 400:
            message = answer.get("error") if isinstance(answer, dict) else None
            field = answer.get("field") if isinstance(answer, dict) else None
            raise GatewayRejected(status, message or "La demande a été refusée.", field=field)
        if not isinstance(answer, dict):
            raise GatewayUnavailable(f"{method} {path}: HTTP {status} without a JSON object")
        logger.debug("%s %s: HTTP %s", method, path, status)
        return answer
