"""The gateway's access log (bot/web/access_log.py): method, path, status and time, never a query string."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.cli import service
from bot.settings import Settings
from bot.web.access_log import AccessLog


async def ok(request: web.Request) -> web.Response:
    return web.Response(text="ok")


@pytest.fixture
async def client(aiohttp_client):
    app = web.Application()
    app.router.add_get(r"/{path:.*}", ok)
    server = TestServer(app)
    await server.start_server(access_log_class=AccessLog)  # as web.run_app passes it on to its runner
    return await aiohttp_client(server)


async def test_a_request_is_logged_without_its_query_string(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    await client.get("/webhooks/whatsapp/webhook?hub.mode=subscribe&hub.verify_token=s3cret-verify&hub.challenge=42")
    await client.get("/webhooks/rest/history", params={"sender": "artisan-1234"}, headers={"Referer": "/?sender=artisan-1234"})
    lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(lines) == 2
    assert lines[0].startswith("GET /webhooks/whatsapp/webhook 200 ") and lines[0].endswith("s")
    assert lines[1].startswith("GET /webhooks/rest/history 200 ")
    assert not [line for line in lines if "s3cret" in line or "artisan-1234" in line or "?" in line]


async def test_a_line_break_in_the_path_stays_encoded(client, caplog) -> None:
    caplog.set_level(logging.INFO, logger="aiohttp.access")
    await client.get("/a%0A200 forged line")
    [line] = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert "\n" not in line and line.startswith("GET /a%0A200")


def test_the_gateway_serves_with_this_access_log(monkeypatch) -> None:
    given = {}
    monkeypatch.setattr(web, "run_app", lambda app, **kwargs: given.update(kwargs))
    assert service.cmd_serve(Settings(engine_token="test-token"), None) == 0  # type: ignore[arg-type]
    assert given["access_log_class"] is AccessLog
