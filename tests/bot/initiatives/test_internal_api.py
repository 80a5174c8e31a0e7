"""The initiative routes of the internal API the action server calls: the engine token, a proposal refused naming
its field, a retry answered with the same reference, the search, the answer to "toujours d’actualité ?"."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import appkeys
from bot.storage.message_log import Inbound
from bot.storage.audit import Actor
from tests.bot.initiatives.conftest import AUTUN, MACON, SANCE, body

AUTH = {"Authorization": "Bearer test-token"}
ADVISER = Actor(None, "ligne de commande (test)")


@pytest.fixture
async def api(make_client, make_settings, database_url: str):
    return await make_client(make_settings(database_url))


async def _artisan(api, chat: str = "42") -> str:
    stored = await api.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("telegram", chat, "je veux aider"))
    return stored.conversation.id


async def _propose(api, conversation_id: str, **changes: Any):
    return await api.post("/internal/initiatives", headers=AUTH, json=body(conversation_id=conversation_id, **changes))


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_the_initiative_routes_need_the_engine_token(api, headers: dict[str, str]) -> None:
    assert (await api.post("/internal/initiatives", headers=headers, json=body())).status == 401
    assert (await api.get("/internal/initiatives/search?commune_code=71270", headers=headers)).status == 401
    still = await api.post("/internal/initiatives/INI-000001/still-current", headers=headers, json={})
    assert still.status == 401
    assert await api.app[appkeys.INITIATIVES].listing() == []


async def test_a_proposal_is_recorded_and_a_retry_answered_alike(api) -> None:
    conversation = await _artisan(api)
    first = await _propose(api, conversation)
    again = await _propose(api, conversation)

    assert first.status == 201 and await first.json() == {"reference": "INI-000001", "status": "pending"}
    assert again.status == 200 and await again.json() == {"reference": "INI-000001", "status": "pending"}
    [initiative] = await api.app[appkeys.INITIATIVES].waiting()
    assert initiative.contact_consent_text.startswith("J’accepte")


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"conversation_id": None}, "conversation_id"),
        ({"description": "court"}, "description"),
        ({"category": "x"}, "category"),
        ({"audience": "x"}, "audience"),
        ({"commune_codes": ["00000"]}, "commune_codes"),
        ({"phone": "06"}, "phone"),
        ({"website": "nope"}, "website"),
        ({"contact_consent": False}, "contact_consent"),
        ({"consent_text": ""}, "consent_text"),
        ({"ends_on": "2019-01-01"}, "ends_on"),
    ],
)
async def test_a_field_that_is_not_right_is_named(api, changes: dict[str, Any], field: str) -> None:
    conversation = await _artisan(api)
    sent = {**body(conversation_id=conversation), **changes}
    response = await api.post("/internal/initiatives", headers=AUTH, json=sent)
    assert response.status == 400
    answer = await response.json()
    assert answer["field"] == field and answer["error"]
    assert await api.app[appkeys.INITIATIVES].listing() == []


async def test_an_unknown_conversation_is_refused(api) -> None:
    response = await _propose(api, "nobody")
    assert response.status == 404 and "field" not in await response.json()


async def test_the_search_lists_the_approved_only_the_commune_first(api) -> None:
    initiatives = api.app[appkeys.INITIATIVES]
    for chat, code in (("1", AUTUN), ("2", MACON), ("3", SANCE)):
        await _propose(api, await _artisan(api, chat), commune_codes=[code], phone=f"+3361234567{chat}")
    await _propose(api, await _artisan(api, "4"), phone="+33699999999")  # never approved
    for number in (1, 2, 3):
        await initiatives.approve(number, ADVISER)

    response = await api.get("/internal/initiatives/search?commune_code=71270&offset=0&limit=2", headers=AUTH)

    assert response.status == 200
    answer = await response.json()
    assert (answer["total"], answer["offset"], answer["commune_name"]) == (3, 0, "Mâcon")
    assert [(i["reference"], i["commune_names"], i["here"]) for i in answer["items"]] == [
        ("INI-000002", ["Mâcon"], True), ("INI-000003", ["Sancé"], False)
    ]
    assert answer["items"][0]["entry"].startswith("🤝 Je livre les courses")
    assert answer["items"][0]["distance_km"] == 0.0 and answer["items"][1]["distance_km"] == 2.5
    rest = await (await api.get("/internal/initiatives/search?commune_code=71270&offset=2", headers=AUTH)).json()
    assert [i["reference"] for i in rest["items"]] == ["INI-000001"]
    none = await (await api.get("/internal/initiatives/search?commune_code=71270&category=repas", headers=AUTH)).json()
    assert (none["items"], none["total"]) == ([], 0)
    assert "+33699999999" not in str(answer) + str(rest)


@pytest.mark.parametrize(
    "query, field",
    [("commune_code=75056", "commune_code"), ("", "commune_code"), ("commune_code=71270&category=x", "category"),
     ("commune_code=71270&limit=beaucoup", "offset")],
)
async def test_a_search_badly_asked_is_refused(api, query: str, field: str) -> None:
    response = await api.get(f"/internal/initiatives/search?{query}", headers=AUTH)
    assert response.status == 400 and (await response.json())["field"] == field


async def test_the_answer_to_still_current(api, clock) -> None:
    initiatives = api.app[appkeys.INITIATIVES]
    conversation = await _artisan(api)
    await _propose(api, conversation)
    await initiatives.approve(1, ADVISER)
    path = "/internal/initiatives/INI-000001/still-current"

    early = await api.post(path, headers=AUTH, json={"conversation_id": conversation, "still_current": True})
    assert early.status == 409
    clock.advance(days=14)
    await initiatives.check(clock.now)
    wrong = await api.post(path, headers=AUTH, json={"conversation_id": conversation, "still_current": "oui"})
    other = await api.post(path, headers=AUTH, json={"conversation_id": "other", "still_current": True})
    unknown = await api.post("/internal/initiatives/INI-000009/still-current", headers=AUTH,
                             json={"conversation_id": conversation, "still_current": True})
    answer = await api.post(path, headers=AUTH, json={"conversation_id": conversation, "still_current": False})

    assert (wrong.status, (await wrong.json())["field"]) == (400, "still_current")
    assert (other.status, unknown.status) == (409, 404)
    assert answer.status == 200
    assert await answer.json() == {"reference": "INI-000001", "status": "retired", "ends_on": "2020-06-30"}


async def test_the_running_gateway_checks_the_initiatives(make_client, make_settings, sqlite_url: str, clock) -> None:
    api = await make_client(make_settings(sqlite_url, initiatives_check_seconds=0.02))
    initiatives = api.app[appkeys.INITIATIVES]
    conversation = await _artisan(api)
    await _propose(api, conversation, ends_on="2020-04-06")
    await initiatives.approve(1, ADVISER)
    clock.advance(days=1)

    for _ in range(200):
        if (await initiatives.get(1))[0].status == "expired":  # type: ignore[index]
            break
        await asyncio.sleep(0.02)
    assert (await initiatives.get(1))[0].status == "expired"  # type: ignore[index]
    assert api.app[appkeys.INITIATIVE_WATCH] is not None
