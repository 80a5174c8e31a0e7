"""The barometer's internal API routes, as the action server calls them: the engine token, the offer, the answer,
and refusals naming their field."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select

from bot import appkeys
from bot.app import create_app
from bot.settings import Settings
from bot.storage import create_sessionmaker
from bot.storage.message_log import Inbound
from bot.storage.models import BarometerAnswer

TOKEN = "engine-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
async def client(aiohttp_client, sqlite_url: str):
    settings = replace(Settings(), database_url=sqlite_url, engine_token=TOKEN, rasa_port=9, actions_port=9)
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def conversation_id(client) -> str:
    stored = await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("rest", "artisan", "merci"))
    return stored.conversation.id


async def stored_answers(client) -> list[tuple]:
    async with create_sessionmaker(client.app[appkeys.DATABASE])() as session:
        rows = await session.scalars(select(BarometerAnswer).order_by(BarometerAnswer.id))
        return [(a.activity, a.need, a.trade_category, a.commune_code) for a in rows]


@pytest.mark.parametrize("step", ["offer", "answer", "claim", "commune"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_the_barometer_routes_need_the_engine_token(client, conversation_id, step, headers) -> None:
    response = await client.post(f"/internal/conversations/{conversation_id}/barometer/{step}", headers=headers, json={})
    assert response.status == 401


async def test_offered_once_then_an_answer_is_recorded(client, conversation_id) -> None:
    offer = f"/internal/conversations/{conversation_id}/barometer/offer"
    first = await client.post(offer, headers=AUTH)
    assert first.status == 200 and await first.json() == {"ask": True, "need_trade": True}
    assert await (await client.post(offer, headers=AUTH)).json() == {"ask": False, "need_trade": False}

    answer = {"activity": "arretee", "need": "loyer", "trade_category": "alimentation"}
    recorded = await client.post(f"/internal/conversations/{conversation_id}/barometer/answer", headers=AUTH, json=answer)
    assert recorded.status == 201 and await recorded.json() == {"recorded": True, "ask_commune": True}
    assert await stored_answers(client) == [("arretee", "loyer", "alimentation", None)]

    commune = f"/internal/conversations/{conversation_id}/barometer/commune"
    given = await client.post(commune, headers=AUTH, json={"commune_code": "71221"})
    assert given.status == 200 and await given.json() == {"commune_name": "Givry"}
    assert await stored_answers(client) == [("arretee", "loyer", "alimentation", "71221")]
    again = await client.post(commune, headers=AUTH, json={"commune_code": "71076"})
    assert again.status == 409 and "Aucune commune" in (await again.json())["error"]


@pytest.mark.parametrize("code", ["99999", 71221, ["71221"], ""])
async def test_a_commune_that_is_not_the_departments_is_refused_and_kept_waiting(client, conversation_id, code) -> None:
    await client.post(f"/internal/conversations/{conversation_id}/barometer/offer", headers=AUTH)
    await client.post(
        f"/internal/conversations/{conversation_id}/barometer/answer", headers=AUTH, json={"activity": "normale"}
    )
    commune = f"/internal/conversations/{conversation_id}/barometer/commune"
    refused = await client.post(commune, headers=AUTH, json={"commune_code": code})
    assert refused.status == 400 and (await refused.json())["field"] == "commune_code"
    skipped = await client.post(commune, headers=AUTH, json={"commune_code": None})
    assert skipped.status == 200 and await skipped.json() == {"commune_name": None}
    assert await stored_answers(client) == [("normale", None, None, None)]


async def test_a_tap_without_a_broadcast_asking_is_not_claimed(client, conversation_id) -> None:
    claim = await client.post(f"/internal/conversations/{conversation_id}/barometer/claim", headers=AUTH)
    assert claim.status == 200 and await claim.json() == {"ask": False, "need_trade": False}


@pytest.mark.parametrize(
    "body, field",
    [
        ({"activity": "en pause", "need": None}, "activity"),
        ({"activity": "normale", "need": "subventions"}, "need"),
        ({"activity": "normale", "trade_category": "agriculture"}, "trade_category"),
    ],
)
async def test_a_bad_answer_is_a_400_naming_the_field(client, conversation_id, body, field) -> None:
    await client.post(f"/internal/conversations/{conversation_id}/barometer/offer", headers=AUTH)
    response = await client.post(f"/internal/conversations/{conversation_id}/barometer/answer", headers=AUTH, json=body)
    assert response.status == 400
    refusal = await response.json()
    assert refusal["field"] == field and f"« {field} »" in refusal["error"]
    assert await stored_answers(client) == []


async def test_an_unknown_conversation_is_a_400_naming_the_conversation(client) -> None:
    for step, body in (("offer", None), ("answer", {"activity": "normale"})):
        response = await client.post(f"/internal/conversations/inconnue/barometer/{step}", headers=AUTH, json=body)
        assert response.status == 400
        assert (await response.json()) == {"error": "Cette conversation est inconnue.", "field": "conversation_id"}


async def test_a_body_that_is_not_json_is_refused(client, conversation_id) -> None:
    response = await client.post(
        f"/internal/conversations/{conversation_id}/barometer/answer",
        headers={**AUTH, "Content-Type": "application/json"},
        data=b"{",
    )
    assert response.status == 400 and "JSON" in (await response.json())["error"]
