"""The news routes of the internal API the action server calls, and the web chat's: the engine token, the consent
kept as shown, the commune reused, bad input refused in French."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import appkeys
from bot.app import create_app
from bot.settings import Settings
from bot.storage.message_log import Inbound
from tests.bot.news.conftest import ADMIN, draft

TOKEN = "engine-token-for-tests"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SHOWN = "Voulez-vous recevoir ici les annonces ? (les mots que l’artisan a lus)"


@pytest.fixture
async def client(aiohttp_client, sqlite_url: str):
    settings = replace(Settings(), database_url=sqlite_url, engine_token=TOKEN, rasa_port=9, actions_port=9)
    return await aiohttp_client(create_app(settings))


@pytest.fixture
async def conversation_id(client) -> str:
    stored = await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("telegram", "42", "je veux les infos"))
    await client.app[appkeys.MESSAGE_LOG].record_answer(
        stored.message, [{"text": SHOWN, "response": "utter_offer_subscription"}]
    )
    return stored.conversation.id


def path(conversation_id: str) -> str:
    return f"/internal/conversations/{conversation_id}/subscription"


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}])
async def test_the_news_routes_need_the_engine_token(client, method: str, headers: dict) -> None:
    assert (await client.request(method, path("x"), headers=headers, json={})).status == 401
    assert (await client.get("/internal/news", headers=headers)).status == 401


async def test_subscribing_keeps_the_words_shown_and_reuses_nothing_when_there_is_no_request(client, conversation_id) -> None:
    response = await client.put(
        path(conversation_id), headers=AUTH,
        json={"topic": "faq_pge", "commune_code": None, "consent_text": "le texte du domaine"},
    )
    assert response.status == 201
    assert await response.json() == {
        "subscribed": True, "topic": "faq_pge", "topic_label": "Prêt garanti (PGE)", "commune_code": None,
        "commune_name": None, "new": True,
    }
    found = await client.app[appkeys.SUBSCRIPTIONS].of(conversation_id)
    assert found.consent_text == SHOWN, "what the artisan read, not what the action thinks was shown"
    again = await client.put(path(conversation_id), headers=AUTH, json={"topic": "all", "consent_text": "x"})
    assert again.status == 200 and (await again.json())["new"] is False
    assert (await (await client.get(path(conversation_id), headers=AUTH)).json())["topic_label"] == "tous les sujets"


async def test_the_commune_of_a_request_is_reused_and_one_can_be_added(client, conversation_id) -> None:
    created = await client.post("/internal/callbacks", headers=AUTH, json={
        "conversation_id": conversation_id, "idempotency_key": "m-1", "name": "Jean Martin", "phone": "+33385123456",
        "trade": "taxi", "commune_code": "71221", "commune_name": "Givry", "subject": "other", "preferred_time": "any",
    })
    assert created.status == 201
    body = await (await client.put(path(conversation_id), headers=AUTH, json={"topic": "all", "consent_text": "x"})).json()
    assert body["commune_name"] == "Givry"
    changed = await client.patch(path(conversation_id), headers=AUTH, json={"commune_code": "71076"})
    assert (await changed.json())["commune_name"] == "Chalon-sur-Saône"


@pytest.mark.parametrize(
    "body, refusal",
    [
        ({"topic": "faq_inconnue", "consent_text": "x"}, "« topic »"),
        ({"topic": "other", "consent_text": "x"}, "« topic »"),
        ({"topic": "all"}, "« consent_text »"),
        ({"topic": "all", "consent_text": "  "}, "« consent_text »"),
        ({"topic": "all", "consent_text": "x" * 2001}, "« consent_text »"),
        ({"topic": "all", "consent_text": "x", "commune_code": "99999"}, "« commune_code »"),
    ],
)
async def test_bad_subscriptions_are_refused_in_french(client, conversation_id, body, refusal) -> None:
    response = await client.put(path(conversation_id), headers=AUTH, json=body)
    assert response.status == 400 and refusal in (await response.json())["error"]


async def test_bad_bodies_and_unknown_conversations(client, conversation_id) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    not_json = await client.put(path(conversation_id), headers=headers, data=b"{oops")
    assert not_json.status == 400
    not_an_object = await client.put(path(conversation_id), headers=headers, data=b"[1]")
    assert not_an_object.status == 400
    unknown = await client.put(path("inconnue"), headers=AUTH, json={"topic": "all", "consent_text": "x"})
    assert unknown.status == 404
    not_subscribed = await client.patch(path(conversation_id), headers=AUTH, json={"commune_code": "71221"})
    assert not_subscribed.status == 409
    bad_commune = await client.patch(path(conversation_id), headers=AUTH, json={"commune_code": None})
    assert bad_commune.status == 400


async def test_stopping(client, conversation_id) -> None:
    await client.put(path(conversation_id), headers=AUTH, json={"topic": "all", "consent_text": "x"})
    assert await (await client.delete(path(conversation_id), headers=AUTH)).json() == {"ended": True}
    assert await (await client.delete(path(conversation_id), headers=AUTH)).json() == {"ended": False}
    assert await (await client.get(path(conversation_id), headers=AUTH)).json() == {"subscribed": False}


async def test_the_latest_news_page_by_page(client) -> None:
    news = client.app[appkeys.NEWS]
    for n in range(4):
        item = await news.create(draft(title=f"annonce {n}"), ADMIN)
        await news.publish(item.id, ADMIN)
    first = await (await client.get("/internal/news?offset=0&limit=3", headers=AUTH)).json()
    assert first["total"] == 4 and [i["entry"].split(" (")[0] for i in first["items"]] == [
        "• annonce 3", "• annonce 2", "• annonce 1"
    ]
    rest = await (await client.get("/internal/news?offset=3&limit=3", headers=AUTH)).json()
    assert len(rest["items"]) == 1
    assert (await client.get("/internal/news?offset=x", headers=AUTH)).status == 400
    capped = await (await client.get("/internal/news?limit=500", headers=AUTH)).json()
    assert len(capped["items"]) == 4


async def test_the_web_chat_shows_the_news_since_the_last_visit(client) -> None:
    news = client.app[appkeys.NEWS]
    item = await news.create(draft(title="Marchés de Noël"), ADMIN)
    await news.publish(item.id, ADMIN)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    shown = await (await client.get("/webhooks/rest/news", params={"sender": "web-1", "since": yesterday})).json()
    assert [n["title"] for n in shown["news"]] == ["Marchés de Noël"]
    assert shown["news"][0]["source"] == "Préfecture" and shown["news"][0]["effective_on"] == "15 décembre 2020"
    later = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert (await (await client.get("/webhooks/rest/news", params={"since": later})).json())["news"] == []
    for bad in ("hier", "2020-12-01T09:00:00"):
        response = await client.get("/webhooks/rest/news", params={"since": bad})
        assert response.status == 400 and "since" in (await response.json())["error"]
