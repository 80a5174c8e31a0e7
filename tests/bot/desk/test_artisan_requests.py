"""Callbacks and pledges as the action server records them, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.desk.artisan_requests import ArtisanRequests
from bot.errors import RequestRefused
from bot.settings import Settings
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.message_log import Inbound, MessageLog

# Friday 10 April 2020, 15:00 in Paris (13:00 UTC).
FRIDAY_AFTERNOON = datetime(2020, 4, 10, 13, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def world(database_url: str):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    clock = Clock(FRIDAY_AFTERNOON)
    intake = ArtisanRequests(sessionmaker, replace(Settings(), clock=clock))
    conversation = (await MessageLog(sessionmaker).store_inbound(Inbound("rest", "artisan", "rappelez-moi"))).conversation
    yield intake, conversation.id, clock
    await engine.dispose()


def callback(conversation_id: str, key: str = "confirm-1", **changes) -> dict:
    return {
        "conversation_id": conversation_id,
        "idempotency_key": key,
        "name": "Marie Dupré",
        "phone": "+33612345678",
        "trade": "coiffeuse",
        "commune_code": "71270",
        "commune_name": "Mâcon",
        "subject": "faq_pge",
        "preferred_time": "morning",
        **changes,
    }


def pledge(conversation_id: str, key: str = "pledge-1", quantity: int = 300, **changes) -> dict:
    return {
        "conversation_id": conversation_id,
        "idempotency_key": key,
        "quantity": quantity,
        "mask_type": "surgical",
        "commune_code": "71076",
        "commune_name": "Chalon-sur-Saône",
        "delivery": "drop_off",
        "phone": "+33385000000",
        **changes,
    }


async def test_a_callback_asked_on_friday_afternoon_is_due_on_monday(world) -> None:
    intake, conversation_id, _ = world
    recorded = await intake.submit_callback(callback(conversation_id))
    assert recorded.created and recorded.reference.startswith("RAP-") and len(recorded.reference) == 10
    assert recorded.details["due_text"] == "lundi à 9h00"
    assert recorded.details["due_at"] == "2020-04-13T07:00:00+00:00"  # 9:00 in Paris


async def test_the_same_confirmation_twice_is_one_request(world) -> None:
    intake, conversation_id, _ = world
    first = await intake.submit_callback(callback(conversation_id))
    again = await intake.submit_callback(callback(conversation_id))
    racing = await asyncio.gather(*(intake.submit_callback(callback(conversation_id, "k2")) for _ in range(4)))
    assert (again.reference, again.created) == (first.reference, False)
    assert len({r.reference for r in racing}) == 1 and sum(r.created for r in racing) == 1
    assert len(await intake.requests_of(conversation_id)) == 2


@pytest.mark.parametrize(
    "changes, words",
    [
        ({"phone": "06 12 34 56 78"}, "international"),
        ({"preferred_time": "soir"}, "preferred_time"),
        ({"subject": "faq_meteo"}, "« subject » doit valoir"),
        ({"name": "  "}, "« name » est obligatoire"),
        ({"commune_code": "Macon"}, "INSEE"),
        ({"trade": "x" * 201}, "200 caractères"),
    ],
)
async def test_a_malformed_callback_is_refused_in_french(world, changes: dict, words: str) -> None:
    intake, conversation_id, _ = world
    with pytest.raises(RequestRefused, match=words) as refused:
        await intake.submit_callback(callback(conversation_id, **changes))
    assert refused.value.status == 400
    assert await intake.requests_of(conversation_id) == []


async def test_a_request_for_an_unknown_conversation_is_refused(world) -> None:
    intake, _, _ = world
    with pytest.raises(RequestRefused) as refused:
        await intake.submit_callback(callback("no-such-conversation"))
    assert refused.value.status == 404


@pytest.mark.parametrize("quantity", [0, -5, 100_001, "300", 2.5, True])
async def test_a_pledge_quantity_must_be_a_whole_number_in_range(world, quantity) -> None:
    intake, conversation_id, _ = world
    with pytest.raises(RequestRefused, match="1 à 100000"):
        await intake.submit_pledge(pledge(conversation_id, quantity=quantity))


async def test_pledges_report_running_totals(world) -> None:
    intake, conversation_id, _ = world
    first = await intake.submit_pledge(pledge(conversation_id, "a", 300))
    second = await intake.submit_pledge(pledge(conversation_id, "b", 50, mask_type="ffp2", delivery="collection"))
    assert first.reference.startswith("DON-") and first.reference != second.reference
    assert second.details == {"total_pledged": 350, "total_handed_over": 0}
    await intake.cancel(first.reference, conversation_id)
    assert await intake.pledge_totals() == {"total_pledged": 50, "total_handed_over": 0}


async def test_status_lists_the_conversations_requests_newest_first(world) -> None:
    intake, conversation_id, clock = world
    asked = await intake.submit_callback(callback(conversation_id))
    clock.now = clock.now.replace(hour=14)
    given = await intake.submit_pledge(pledge(conversation_id))
    requests = await intake.requests_of(conversation_id)
    assert [r["reference"] for r in requests] == [given.reference, asked.reference]
    assert requests[1]["status_text"].startswith("reçue") and requests[1]["due_text"] == "lundi à 9h00"
    assert requests[0]["quantity"] == 300


async def test_the_artisan_cancels_only_their_own_untouched_requests(world) -> None:
    intake, conversation_id, _ = world
    asked = await intake.submit_callback(callback(conversation_id))
    with pytest.raises(RequestRefused) as other:
        await intake.cancel(asked.reference, "another-conversation")
    assert other.value.status == 404
    with pytest.raises(RequestRefused) as nonsense:
        await intake.cancel("ABC-12", conversation_id)
    assert nonsense.value.status == 404

    assert await intake.cancel(asked.reference.lower(), conversation_id) == "cancelled"
    with pytest.raises(RequestRefused) as again:
        await intake.cancel(asked.reference, conversation_id)
    assert again.value.status == 409
    assert (await intake.requests_of(conversation_id))[0]["status_text"] == "annulée"
