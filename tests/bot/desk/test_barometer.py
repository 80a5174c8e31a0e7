"""The barometer on the gateway: offered once every 7 days per conversation, answers stored without identity,
and the artisans' profiles kept from their callbacks and pledges; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from bot.desk.artisan_requests import ArtisanRequests
from bot.desk.barometer import BarometerDesk, Offer, mark_broadcast
from bot.errors import BadMessage
from bot.settings import Settings
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.message_log import Inbound, MessageLog
from bot.storage.models import ArtisanProfile, BarometerAnswer
from tests.bot.conftest import FakeClock

# Sunday 12 April 2020, 23:30 in Paris (21:30 UTC): an hour later it is Monday in Paris.
SUNDAY_LATE = datetime(2020, 4, 12, 21, 30, tzinfo=UTC)


@pytest.fixture
async def world(database_url: str):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    clock = FakeClock()
    clock.now = SUNDAY_LATE
    log = MessageLog(sessionmaker)

    async def conversation(text: str = "merci") -> str:
        return (await log.store_inbound(Inbound("rest", f"artisan-{uuid.uuid4().hex[:8]}", text))).conversation.id

    desk = BarometerDesk(sessionmaker, clock)
    requests = ArtisanRequests(sessionmaker, replace(Settings(), clock=clock))
    yield desk, requests, conversation, sessionmaker, clock
    await engine.dispose()


async def answers(sessionmaker) -> list[BarometerAnswer]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(BarometerAnswer).order_by(BarometerAnswer.id)))


async def profile(sessionmaker, conversation_id: str) -> ArtisanProfile | None:
    async with sessionmaker() as session:
        return await session.get(ArtisanProfile, conversation_id)


def callback(conversation_id: str, trade: str = "boulangère", commune_code: str = "71076", key: str = "c-1") -> dict:
    return {
        "conversation_id": conversation_id, "idempotency_key": key, "name": "Marie Dupré", "phone": "+33612345678",
        "trade": trade, "commune_code": commune_code, "commune_name": "Chalon-sur-Saône", "subject": "faq_pge",
        "preferred_time": "any",
    }


def pledge(conversation_id: str, commune_code: str = "71270", key: str = "p-1") -> dict:
    return {
        "conversation_id": conversation_id, "idempotency_key": key, "quantity": 300, "mask_type": "fabric",
        "commune_code": commune_code, "commune_name": "Mâcon", "delivery": "drop_off", "phone": "+33612345678",
    }


async def test_a_conversation_is_asked_at_most_once_every_7_days(world) -> None:
    desk, _, conversation, _, clock = world
    cid = await conversation()
    assert await desk.offer(cid) == Offer(ask=True, need_trade=True)
    assert await desk.offer(cid) == Offer(ask=False, need_trade=False)
    clock.now += timedelta(days=6, hours=23)
    assert (await desk.offer(cid)).ask is False
    clock.now += timedelta(hours=1)
    assert (await desk.offer(cid)).ask is True
    other = await conversation("bonjour")
    assert (await desk.offer(other)).ask is True, "each conversation has its own 7 days"


async def test_two_offers_at_the_same_moment_ask_once(world) -> None:
    desk, requests, conversation, _, _ = world
    fresh, known = await conversation("a"), await conversation("b")
    await requests.submit_pledge(pledge(known))  # a profile exists, never asked
    for cid in (fresh, known):
        offers = await asyncio.gather(*(desk.offer(cid) for _ in range(4)))
        assert [offer.ask for offer in offers].count(True) == 1


async def test_the_trade_is_asked_only_when_unknown(world) -> None:
    desk, requests, conversation, _, _ = world
    baker, donor, consultant = await conversation("x"), await conversation("y"), await conversation("z")
    await requests.submit_callback(callback(baker, trade="boulanger"))
    await requests.submit_pledge(pledge(donor))
    await requests.submit_callback(callback(consultant, trade="consultant"))
    assert await desk.offer(baker) == Offer(ask=True, need_trade=False)
    assert await desk.offer(donor) == Offer(ask=True, need_trade=True)
    assert await desk.offer(consultant) == Offer(ask=True, need_trade=True)


async def test_an_answer_carries_the_profile_and_the_paris_date_never_the_conversation(world) -> None:
    desk, requests, conversation, sessionmaker, clock = world
    cid = await conversation()
    await requests.submit_callback(callback(cid, trade="coiffeuse", commune_code="71076"))
    await desk.offer(cid)
    clock.now = datetime(2020, 4, 12, 22, 30, tzinfo=UTC)  # Monday 00:30 in Paris
    await desk.record(cid, {"activity": "reduite", "need": "tresorerie", "trade_category": None})
    [stored] = await answers(sessionmaker)
    assert (stored.answered_on, stored.activity, stored.need) == (date(2020, 4, 13), "reduite", "tresorerie")
    assert (stored.trade_category, stored.commune_code) == ("services", "71076")
    columns = {column.key for column in inspect(BarometerAnswer).columns}
    assert columns == {"id", "answered_on", "activity", "need", "trade_category", "commune_code"}


async def test_a_sector_given_to_the_barometer_is_kept_in_the_profile(world) -> None:
    desk, requests, conversation, sessionmaker, _ = world
    cid = await conversation()
    await requests.submit_pledge(pledge(cid, commune_code="71270"))
    assert (await desk.offer(cid)).need_trade is True
    await desk.record(cid, {"activity": "arretee", "need": None, "trade_category": "batiment"})
    [stored] = await answers(sessionmaker)
    assert (stored.activity, stored.need, stored.trade_category, stored.commune_code) == (
        "arretee", None, "batiment", "71270"
    )
    assert (await profile(sessionmaker, cid)).trade_category == "batiment"


async def test_an_artisan_without_profile_counts_only_for_the_whole_department(world) -> None:
    desk, _, conversation, sessionmaker, _ = world
    cid = await conversation()
    await desk.offer(cid)
    await desk.record(cid, {"activity": "normale"})
    [stored] = await answers(sessionmaker)
    assert (stored.activity, stored.need, stored.trade_category, stored.commune_code) == ("normale", None, None, None)


async def test_the_latest_request_updates_the_profile_and_a_retry_changes_nothing(world) -> None:
    desk, requests, conversation, sessionmaker, _ = world
    cid = await conversation()
    await requests.submit_callback(callback(cid, trade="maçon", commune_code="71076", key="c-1"))
    assert (await profile(sessionmaker, cid)).commune_code == "71076"
    await requests.submit_pledge(pledge(cid, commune_code="71270"))
    kept = await profile(sessionmaker, cid)
    assert (kept.commune_code, kept.trade_category) == ("71270", "batiment"), "a pledge has no trade: kept"
    await requests.submit_callback(callback(cid, trade="je sais pas", commune_code="71014", key="c-2"))
    kept = await profile(sessionmaker, cid)
    assert (kept.commune_code, kept.trade_category) == ("71014", "batiment"), "an unknown trade forgets nothing"
    await requests.submit_callback(callback(cid, trade="fleuriste", commune_code="71076", key="c-1"))  # a retry
    assert (await profile(sessionmaker, cid)).commune_code == "71014"


@pytest.mark.parametrize(
    "answer, field",
    [
        ({"activity": "fermee"}, "activity"),
        ({}, "activity"),
        ({"activity": "reduite", "need": "argent"}, "need"),
        ({"activity": "reduite", "need": None, "trade_category": "commerce"}, "trade_category"),
    ],
)
async def test_a_bad_answer_is_refused_naming_its_field_and_nothing_is_stored(world, answer, field) -> None:
    desk, _, conversation, sessionmaker, _ = world
    cid = await conversation()
    await desk.offer(cid)
    with pytest.raises(BadMessage) as refused:
        await desk.record(cid, answer)
    assert refused.value.status == 400 and refused.value.field == field
    assert await answers(sessionmaker) == []


async def test_an_unknown_conversation_is_refused(world) -> None:
    desk, _, _, sessionmaker, _ = world
    for attempt in (desk.offer("nope"), desk.record("nope", {"activity": "normale"})):
        with pytest.raises(BadMessage) as refused:
            await attempt
        assert (refused.value.status, refused.value.field) == (400, "conversation_id")
    assert await answers(sessionmaker) == [] and await profile(sessionmaker, "nope") is None


async def test_an_answer_without_a_recent_offer_is_refused(world) -> None:
    desk, _, conversation, sessionmaker, clock = world
    cid = await conversation()
    with pytest.raises(BadMessage) as refused:
        await desk.record(cid, {"activity": "normale"})
    assert refused.value.status == 409
    await desk.offer(cid)
    clock.now += timedelta(days=8)
    with pytest.raises(BadMessage):
        await desk.record(cid, {"activity": "normale"})
    assert await answers(sessionmaker) == []


# --- Asked by a broadcast, and the commune asked once -----------------------------------------------------------


async def broadcast(sessionmaker, conversation_ids: list[str], now: datetime) -> set[str]:
    async with sessionmaker() as session:
        asked = await mark_broadcast(await session.connection(), conversation_ids, now)
        await session.commit()
    return asked


async def test_a_broadcast_asks_only_those_not_asked_in_7_days_and_its_first_tap_is_claimed_once(world) -> None:
    desk, requests, conversation, sessionmaker, clock = world
    fresh, known, recent = await conversation("a"), await conversation("b"), await conversation("c")
    await requests.submit_callback(callback(known, trade="boulanger"))  # a profile, never asked
    await desk.offer(recent)
    assert await broadcast(sessionmaker, [fresh, known, recent], clock.now) == {fresh, known}
    assert await desk.offer(fresh) == Offer(ask=False, need_trade=False), "the broadcast counts as asked"

    claims = await asyncio.gather(*(desk.claim_broadcast(fresh) for _ in range(3)))
    assert claims.count(Offer(ask=True, need_trade=True)) == 1 and claims.count(Offer(False, False)) == 2
    assert await desk.claim_broadcast(known) == Offer(ask=True, need_trade=False)
    assert await desk.claim_broadcast(recent) == Offer(ask=False, need_trade=False)
    await desk.record(fresh, {"activity": "arretee", "need": "clients"})
    assert [a.activity for a in await answers(sessionmaker)] == ["arretee"]


async def test_a_broadcasts_question_expires_after_7_days_and_a_new_broadcast_asks_again(world) -> None:
    desk, _, conversation, sessionmaker, clock = world
    cid = await conversation()
    assert await broadcast(sessionmaker, [cid], clock.now) == {cid}
    clock.now += timedelta(days=3)
    assert await broadcast(sessionmaker, [cid], clock.now) == set(), "asked 3 days ago"
    clock.now += timedelta(days=4)
    assert (await desk.claim_broadcast(cid)).ask is False, "a tap 7 days later is too late"
    assert await broadcast(sessionmaker, [cid], clock.now) == {cid}
    assert (await desk.claim_broadcast(cid)).ask is True


async def test_a_broadcast_to_thousands_marks_them_in_chunks(world) -> None:
    desk, _, conversation, sessionmaker, clock = world
    ids = [await conversation(str(n)) for n in range(1100)]
    assert await broadcast(sessionmaker, ids, clock.now) == set(ids)
    assert await broadcast(sessionmaker, ids, clock.now) == set()


async def test_the_commune_is_asked_once_after_an_answer_and_goes_to_that_answer(world) -> None:
    desk, _, conversation, sessionmaker, clock = world
    cid = await conversation()
    await desk.offer(cid)
    _, ask = await desk.record(cid, {"activity": "reduite", "need": "loyer"})
    assert ask is True
    await desk.give_commune(cid, "71221")
    [stored] = await answers(sessionmaker)
    assert stored.commune_code == "71221" and (await profile(sessionmaker, cid)).commune_code == "71221"
    assert (await profile(sessionmaker, cid)).pending_answer_id is None, "the link to the answer is forgotten"
    with pytest.raises(BadMessage) as refused:
        await desk.give_commune(cid, "71076")
    assert refused.value.status == 409

    clock.now += timedelta(days=8)
    await desk.offer(cid)
    _, ask = await desk.record(cid, {"activity": "normale"})
    assert ask is False and (await answers(sessionmaker))[-1].commune_code == "71221", "known: reused, not asked"


async def test_a_skipped_commune_is_never_asked_again_and_a_known_one_never_asked(world) -> None:
    desk, requests, conversation, sessionmaker, clock = world
    skipper, donor = await conversation("a"), await conversation("b")
    await desk.offer(skipper)
    assert (await desk.record(skipper, {"activity": "normale"}))[1] is True
    await desk.give_commune(skipper, None)
    clock.now += timedelta(days=8)
    await desk.offer(skipper)
    assert (await desk.record(skipper, {"activity": "normale"}))[1] is False
    assert [a.commune_code for a in await answers(sessionmaker)] == [None, None]

    await requests.submit_pledge(pledge(donor, commune_code="71270"))
    await desk.offer(donor)
    assert (await desk.record(donor, {"activity": "arretee"}))[1] is False
