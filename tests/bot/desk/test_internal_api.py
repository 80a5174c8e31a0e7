"""The internal API the action server calls: only with the engine token, JSON in and out, errors in French."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import appkeys
from bot.app import create_app
from bot.settings import Settings
from bot.storage.message_log import Inbound

TOKEN = "engine-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def client(aiohttp_client, sqlite_url: str):
    settings = replace(Settings(), database_url=sqlite_url, engine_token=TOKEN, rasa_port=9, actions_port=9)
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def conversation_id(client) -> str:
    stored = await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("rest", "artisan", "rappelez moi"))
    return stored.conversation.id


def callback(conversation_id: str, **changes) -> dict:
    return {
        "conversation_id": conversation_id,
        "idempotency_key": "m-42",
        "name": "Jean Martin",
        "phone": "+33385123456",
        "trade": "boulanger",
        "commune_code": "71076",
        "commune_name": "Chalon-sur-Saône",
        "subject": "other",
        "preferred_time": "any",
        **changes,
    }


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", "/internal/callbacks"),
        ("POST", "/internal/pledges"),
        ("GET", "/internal/conversations/x/requests"),
        ("POST", "/internal/requests/RAP-000001/cancel"),
    ],
)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}])
async def test_every_internal_route_needs_the_engine_token(client, method: str, path: str, headers: dict) -> None:
    response = await client.request(method, path, headers=headers, json={})
    assert response.status == 401


async def test_a_callback_is_recorded_once_and_its_reference_and_deadline_returned(client, conversation_id) -> None:
    first = await client.post("/internal/callbacks", headers=AUTH, json=callback(conversation_id))
    assert first.status == 201
    body = await first.json()
    assert body["reference"].startswith("RAP-") and body["due_text"] and body["due_at"].endswith("+00:00")

    again = await client.post("/internal/callbacks", headers=AUTH, json=callback(conversation_id))
    assert again.status == 200 and (await again.json())["reference"] == body["reference"]

    listed = await client.get(f"/internal/conversations/{conversation_id}/requests", headers=AUTH)
    assert [r["reference"] for r in (await listed.json())["requests"]] == [body["reference"]]


async def test_bad_input_gets_a_french_4xx(client, conversation_id) -> None:
    wrong = await client.post("/internal/callbacks", headers=AUTH, json=callback(conversation_id, phone="0612"))
    assert wrong.status == 400 and "international" in (await wrong.json())["error"]
    not_json = await client.post("/internal/pledges", headers={**AUTH, "Content-Type": "application/json"}, data=b"{")
    assert not_json.status == 400 and "JSON" in (await not_json.json())["error"]


async def test_a_pledge_returns_the_running_totals(client, conversation_id) -> None:
    body = {
        "conversation_id": conversation_id,
        "idempotency_key": "p-1",
        "quantity": 300,
        "mask_type": "surgical",
        "commune_code": "71270",
        "commune_name": "Mâcon",
        "delivery": "collection",
        "phone": "+33612345678",
    }
    response = await client.post("/internal/pledges", headers=AUTH, json=body)
    assert response.status == 201
    answer = await response.json()
    assert answer["reference"].startswith("DON-")
    assert (answer["total_pledged"], answer["total_handed_over"]) == (300, 0)


async def test_cancel_answers_404_409_and_200_as_it_should(client, conversation_id) -> None:
    reference = (await (await client.post("/internal/callbacks", headers=AUTH, json=callback(conversation_id))).json())["reference"]
    cancel = f"/internal/requests/{reference}/cancel"
    assert (await client.post(cancel, headers=AUTH, json={"conversation_id": "someone-else"})).status == 404
    assert (await client.post(cancel, headers=AUTH, json={})).status == 400
    done = await client.post(cancel, headers=AUTH, json={"conversation_id": conversation_id})
    assert done.status == 200 and (await done.json())["status"] == "cancelled"
    twice = await client.post(cancel, headers=AUTH, json={"conversation_id": conversation_id})
    assert twice.status == 409 and "annulée" in (await twice.json())["error"]
