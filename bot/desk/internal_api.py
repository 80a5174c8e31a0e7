"""This module contains the internal API the action server calls: submit a callback or a pledge, list and
cancel a conversation's requests, offer the barometer (or take a tap under a broadcast that asked it), record its
answers and the commune asked after them.

Only for the engine: the caller must connect from loopback and carry the engine token
(`Authorization: Bearer <CRISISBOT_ENGINE_TOKEN>`). A reverse proxy in front of the gateway must not forward
`/internal/`. Answers are JSON; refusals are `{"error": "<French sentence>"}` with a 4xx status.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

from aiohttp import web

from bot import appkeys
from bot.errors import BadMessage
from bot.web.json_api import read_json_object

logger = logging.getLogger(__name__)


def _authorized(request: web.Request) -> bool:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    try:
        loopback = peer is not None and ipaddress.ip_address(peer[0]).is_loopback
    except ValueError:
        loopback = False
    expected = f"Bearer {request.app[appkeys.SETTINGS].engine_token}"
    given = request.headers.get("Authorization", "")
    return loopback and hmac.compare_digest(given.encode(), expected.encode())


@web.middleware
async def internal_only(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Refuse /internal/ to anyone but the engine. (Refusals become JSON in bot.app's errors_as_json.)"""
    if not request.path.startswith("/internal/"):
        return await handler(request)
    if not _authorized(request):
        logger.warning("Refused an internal API call to %s", request.path)
        return web.json_response({"error": "unauthorized"}, status=401)
    return await handler(request)


async def request_handoff(request: web.Request) -> web.Response:
    """The handoff action asks for an adviser: `{"reason"}` → queued, already, or closed (see README)."""
    body = await read_json_object(request)
    reason = body.get("reason")
    if not isinstance(reason, str):
        raise BadMessage(400, "Le champ « reason » est obligatoire.")
    answer = await request.app[appkeys.HANDOFF].request(request.match_info["conversation_id"], reason)
    return web.json_response(answer)


async def submit_callback(request: web.Request) -> web.Response:
    recorded = await request.app[appkeys.ARTISAN_REQUESTS].submit_callback(await read_json_object(request))
    if recorded.created:
        logger.info("Callback request %s recorded", recorded.reference)
    return web.json_response({"reference": recorded.reference, **recorded.details}, status=201 if recorded.created else 200)


async def submit_pledge(request: web.Request) -> web.Response:
    recorded = await request.app[appkeys.ARTISAN_REQUESTS].submit_pledge(await read_json_object(request))
    if recorded.created:
        logger.info("Mask pledge %s recorded", recorded.reference)
    return web.json_response({"reference": recorded.reference, **recorded.details}, status=201 if recorded.created else 200)


async def conversation_requests(request: web.Request) -> web.Response:
    items = await request.app[appkeys.ARTISAN_REQUESTS].requests_of(request.match_info["conversation_id"])
    return web.json_response({"requests": items})


async def cancel_request(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    conversation_id = body.get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise BadMessage(400, "Le champ « conversation_id » est obligatoire.")
    reference = request.match_info["reference"].upper()
    status = await request.app[appkeys.ARTISAN_REQUESTS].cancel(reference, conversation_id)
    logger.info("Request %s cancelled by the artisan", reference)
    return web.json_response({"reference": reference, "status": status})


async def offer_barometer(request: web.Request) -> web.Response:
    """Whether to ask the barometer now: `{"ask", "need_trade"}`; asking is counted at once (once every 7 days)."""
    offer = await request.app[appkeys.BAROMETER].offer(request.match_info["conversation_id"])
    return web.json_response({"ask": offer.ask, "need_trade": offer.need_trade})


async def claim_barometer(request: web.Request) -> web.Response:
    """A tap on the buttons a broadcast carried: `{"ask", "need_trade"}`, ask true once per such broadcast."""
    offer = await request.app[appkeys.BAROMETER].claim_broadcast(request.match_info["conversation_id"])
    return web.json_response({"ask": offer.ask, "need_trade": offer.need_trade})


async def record_barometer(request: web.Request) -> web.Response:
    """`{"activity", "need", "trade_category"}` (need and trade_category may be null): one anonymous answer;
    `ask_commune` true when the commune is to be asked now (once, when no form gave it)."""
    body = await read_json_object(request)
    _, ask_commune = await request.app[appkeys.BAROMETER].record(request.match_info["conversation_id"], body)
    return web.json_response({"recorded": True, "ask_commune": ask_commune}, status=201)


async def barometer_commune(request: web.Request) -> web.Response:
    """`{"commune_code": INSEE code or null (skipped)}` after `ask_commune`: `{"commune_name"}` (null if skipped)."""
    body = await read_json_object(request)
    code = body.get("commune_code")
    commune = None
    if code is not None:
        commune = request.app[appkeys.COMMUNES].by_code(code) if isinstance(code, str) else None
        if commune is None:
            raise BadMessage(400, "Le champ « commune_code » doit être le code INSEE d’une commune du département.",
                             field="commune_code")
    await request.app[appkeys.BAROMETER].give_commune(
        request.match_info["conversation_id"], commune.insee_code if commune else None
    )
    return web.json_response({"commune_name": commune.name if commune else None})


routes = [
    web.post("/internal/callbacks", submit_callback),
    web.post("/internal/pledges", submit_pledge),
    web.get("/internal/conversations/{conversation_id}/requests", conversation_requests),
    web.post("/internal/requests/{reference}/cancel", cancel_request),
    web.post("/internal/conversations/{conversation_id}/handoff", request_handoff),
    web.post("/internal/conversations/{conversation_id}/barometer/offer", offer_barometer),
    web.post("/internal/conversations/{conversation_id}/barometer/claim", claim_barometer),
    web.post("/internal/conversations/{conversation_id}/barometer/answer", record_barometer),
    web.post("/internal/conversations/{conversation_id}/barometer/commune", barometer_commune),
]
