"""Reading a JSON body and answering JSON errors (bot/web/json_api.py): every bad body gets a French sentence."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.errors import BadMessage
from bot.web.json_api import json_error, read_json_object


async def echo(request: web.Request) -> web.Response:
    try:
        return web.json_response(await read_json_object(request))
    except BadMessage as exc:
        return json_error(exc.status, exc.message)


@pytest.fixture
async def client(aiohttp_client):
    app = web.Application()
    app.router.add_post("/", echo)
    return await aiohttp_client(app)


async def test_a_json_object_is_read(client) -> None:
    response = await client.post("/", json={"message": "c quoi le PGE"})
    assert response.status == 200 and await response.json() == {"message": "c quoi le PGE"}


@pytest.mark.parametrize(
    "body, content_type, status, error",
    [
        (b"message=bonjour", "application/x-www-form-urlencoded", 415, "Envoyez le message en JSON"),
        (b"\xff\xfe", "application/json", 400, "UTF-8"),
        (b"{not json", "application/json", 400, "pas du JSON valide"),
        (b'["a list"]', "application/json", 400, "un objet JSON"),
        (b'{"a": ' + b"[" * 1000 + b"]" * 1000 + b"}", "application/json", 400, "imbriqué"),
        (b'{"a": ' + b'{"b": ' * 70 + b"1" + b"}" * 70 + b"}", "application/json", 400, "imbriqué"),
    ],
)
async def test_a_bad_body_is_refused_with_a_french_sentence(client, body, content_type, status, error) -> None:
    response = await client.post("/", data=body, headers={"Content-Type": content_type})
    assert response.status == status
    assert error in (await response.json())["error"]


async def test_an_error_keeps_its_accents() -> None:
    response = json_error(409, "Cette conversation est déjà prise.")
    assert response.text == '{"error": "Cette conversation est déjà prise."}' and response.status == 409
