"""This module contains the internal API's initiative routes, which the action server calls for an artisan:
propose an initiative, find those near a commune, answer "toujours d’actualité ?". Behind the same
loopback-and-token check as every /internal/ route (bot.desk.internal_api); a refused field answers
`{"error": sentence, "field": body key}`."""

from __future__ import annotations

import logging

from aiohttp import web

from bot import appkeys
from bot.errors import BadMessage
from bot.initiatives.proposal import check_proposal
from bot.initiatives.wording import entry
from bot.shared.initiatives import CATEGORIES
from bot.web.json_api import dumps, read_json_object

logger = logging.getLogger(__name__)

MAX_PER_PAGE = 10


def _conversation_id(body: dict[str, object]) -> str:
    conversation_id = body.get("conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise BadMessage(400, "Le champ « conversation_id » est obligatoire.", field="conversation_id")
    return conversation_id


async def propose(request: web.Request) -> web.Response:
    """A proposal (README's body): 201 the new reference, 200 the same one for a retry, 400 naming the field."""
    body = await read_json_object(request)
    conversation_id = _conversation_id(body)
    initiatives = request.app[appkeys.INITIATIVES]
    proposal = check_proposal(body, initiatives.communes, initiatives.today())
    initiative, created = await initiatives.propose_once(conversation_id, proposal)
    return web.json_response(
        {"reference": initiative.reference, "status": initiative.status}, status=201 if created else 200
    )


async def search(request: web.Request) -> web.Response:
    """`?commune_code=71270&category=transport&offset=0&limit=3`: the public initiatives for that commune."""
    initiatives = request.app[appkeys.INITIATIVES]
    commune = initiatives.communes.by_code(request.query.get("commune_code", ""))
    if commune is None:
        raise BadMessage(
            400, "Le paramètre « commune_code » doit être le code INSEE d’une commune du département.",
            field="commune_code",
        )
    category = request.query.get("category") or None
    if category is not None and category not in CATEGORIES:
        raise BadMessage(400, "Ce type d’aide n’existe pas.", field="category")
    try:
        offset = max(0, int(request.query.get("offset", "0")))
        limit = min(MAX_PER_PAGE, max(1, int(request.query.get("limit", "3"))))
    except ValueError:
        raise BadMessage(400, "Les paramètres « offset » et « limit » sont des nombres.", field="offset") from None
    found, total = await initiatives.search(commune.insee_code, category, offset, limit)
    items = [
        {
            "reference": item.initiative.reference,
            "entry": entry(item.initiative),
            "commune_names": item.initiative.commune_names,
            "here": item.here,
            "distance_km": round(item.distance_km, 1) if item.distance_km is not None else None,
        }
        for item in found
    ]
    return web.json_response(
        {"items": items, "total": total, "offset": offset, "commune_name": commune.name},
        dumps=dumps,
    )


async def still_current(request: web.Request) -> web.Response:
    """`{"conversation_id", "still_current": true|false}`: the proposer's answer to the reminder."""
    body = await read_json_object(request)
    conversation_id = _conversation_id(body)
    answer = body.get("still_current")
    if not isinstance(answer, bool):
        raise BadMessage(400, "Le champ « still_current » vaut true ou false.", field="still_current")
    initiative = await request.app[appkeys.INITIATIVES].still_current(
        request.match_info["reference"], conversation_id, answer
    )
    logger.info("Initiative %s: still current %s", initiative.reference, answer)
    return web.json_response(
        {"reference": initiative.reference, "status": initiative.status, "ends_on": initiative.ends_on.isoformat()}
    )


routes = [
    web.post("/internal/initiatives", propose),
    web.get("/internal/initiatives/search", search),
    web.post("/internal/initiatives/{reference}/still-current", still_current),
]
