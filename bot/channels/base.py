"""This module contains what every channel shares: reading a JSON body safely and answering errors."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.errors import BadMessage


def json_error(status: int, message: str) -> web.Response:
    """An error answer: `{"error": "<a French sentence the user can act on>"}`."""
    return web.json_response({"error": message}, status=status)


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The request's body as a JSON object, or BadMessage saying what is wrong with it."""
    if request.content_type != "application/json":
        raise BadMessage(415, "Envoyez le message en JSON (Content-Type: application/json).")
    raw = await request.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadMessage(400, "Le message n'est pas encodé en UTF-8.") from None
    try:
        body = json.loads(text)
    except json.JSONDecodeError:
        raise BadMessage(400, "Le corps de la requête n'est pas du JSON valide.") from None
    if not isinstance(body, dict):
        raise BadMessage(400, "Le corps de la requête doit être un objet JSON.")
    return body


def clean_text(value: str) -> str:
    """Text safe to store anywhere: no NUL byte (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
