"""This module contains the JSON side of the gateway's HTTP answers: reading a request's JSON body, and errors.

Every JSON refusal is `{"error": "<a French sentence the user can act on>"}`; `bot.app`'s middleware turns
any `Refusal` (bot.errors) raised by a handler into one.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.errors import BadMessage, TooDeep

# Far deeper than any real body (a Telegram update or a WhatsApp webhook is about 8 deep), far below Python's
# recursion limit, which the parser hits at about 1,000 and what reads a parsed body (python-telegram-bot's
# de_json, a stored payload's JSON) may hit sooner.
MAX_JSON_DEPTH = 64
TOO_DEEP = "Le corps de la requête est imbriqué trop profondément."


def json_error(status: int, message: str, field: str | None = None) -> web.Response:
    """An error answer: `{"error": "<a French sentence the user can act on>"}`, accents as they are, and
    `"field"`, the body key at fault, when there is one."""
    body = {"error": message, **({"field": field} if field else {})}
    return web.json_response(body, status=status, dumps=dumps)


def dumps(value: Any) -> str:
    """JSON with accents as they are (a French sentence stays readable in a browser's network tab)."""
    return json.dumps(value, ensure_ascii=False)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request's body as a JSON object, or BadMessage saying what is wrong with it."""
    if request.content_type != "application/json":
        raise BadMessage(415, "Envoyez le message en JSON (Content-Type: application/json).")
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadMessage(400, "Le message n'est pas encodé en UTF-8.") from None
    return parse_json_object(text)


def parse_json_object(text: str) -> dict[str, Any]:
    """A JSON object from text, or BadMessage."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise BadMessage(400, "Le corps de la requête n'est pas du JSON valide.") from None
    except RecursionError:
        raise TooDeep(400, TOO_DEEP) from None
    if not isinstance(body, dict):
        raise BadMessage(400, "Le corps de la requête doit être un objet JSON.")
    if _depth_exceeds(body, MAX_JSON_DEPTH):
        raise TooDeep(400, TOO_DEEP)
    return body


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether a parsed JSON value nests more than `limit` objects or arrays (walked without recursion)."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        if depth > limit:
            return True
        children = current.values() if isinstance(current, dict) else current
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
