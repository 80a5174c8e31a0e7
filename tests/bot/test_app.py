"""The gateway's application (bot/app.py): what it answers when a part is down, and how refusals and failures
reach the caller, without Rasa running (its port answers nothing here)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiohttp import web
from sqlalchemy.exc import OperationalError

from bot import appkeys
from bot.app import create_app
from bot.errors import ConfigurationError, HandoffError


async def test_health_names_what_is_down_with_503(client) -> None:
    response = await client.get("/healthz")
    assert response.status == 503
    body = await response.json()
    assert body["gateway"] == "up" and body["database"] == "up"
    assert body["down"] == ["rasa", "action_server"] and body["status"] == "down" and body["model"] is None


def test_the_gateway_does_not_start_without_the_engine_token(settings) -> None:
    with pytest.raises(ConfigurationError, match="CRISISBOT_ENGINE_TOKEN"):
        create_app(replace(settings, engine_token=""))


async def test_refusals_and_database_failures_reach_the_caller_as_french_json(aiohttp_client, settings) -> None:
    async def refuse(_: web.Request) -> web.Response:
        raise HandoffError(409, "Un conseiller a déjà pris cette conversation.")

    async def database_down(_: web.Request) -> web.Response:
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("down"))

    app = create_app(settings)
    app.router.add_get("/test/refuse", refuse)
    app.router.add_get("/test/database-down", database_down)
    client = await aiohttp_client(app)
    refused = await client.get("/test/refuse")
    assert refused.status == 409 and await refused.json() == {"error": "Un conseiller a déjà pris cette conversation."}
    failed = await client.get("/test/database-down")
    assert failed.status == 503 and "indisponible" in (await failed.json())["error"], "no stack trace leaks"
    too_long = await client.post("/webhooks/rest/webhook", data=b"x" * (300 * 1024), headers={"Content-Type": "application/json"})
    assert too_long.status == 413 and await too_long.json() == {"error": "Le message est trop long."}


async def test_every_part_is_in_place_once_started(client) -> None:
    app = client.app
    for key in (appkeys.MESSAGE_LOG, appkeys.DELIVERY_LOG, appkeys.ROUTER, appkeys.OUTBOX, appkeys.HANDOFF,
                appkeys.HANDOFF_QUEUE, appkeys.HANDOFF_WATCH, appkeys.CANNED_ANSWERS, appkeys.REQUEST_DESK,
                appkeys.DASHBOARD, appkeys.ARTISAN_REQUESTS, appkeys.REGISTRY, appkeys.JOBS, appkeys.ANSWERS):
        assert key in app, key
    assert app[appkeys.CHANNELS] == [], "no platform token set: no push channel"
