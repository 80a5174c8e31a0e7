"""RequestDesk's queries and status changes, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot import appkeys
from bot.desk.request_filters import CallbackFilters, PledgeFilters
from bot.errors import DeskError
from bot.storage.message_log import Inbound
from bot.storage.models import CallbackRequest, MaskPledge, StatusChange


@pytest.fixture
def settings(make_settings, database_url: str):
    return make_settings(database_url)


async def test_the_queue_by_deadline_with_filters_and_the_adviser(desk, seed, agent, clock) -> None:
    late = await seed.callback()
    clock.advance(hours=1)
    other = await seed.callback(subject="other", commune_code="71076", commune_name="Chalon-sur-Saône")
    await desk.assign_to(other, agent.id)
    rows = await desk.queue(CallbackFilters())
    assert [r.callback.id for r in rows] == [late, other]
    assert [r.assignee for r in rows] == [None, agent.email]
    assert [r.callback.id for r in await desk.queue(CallbackFilters(status="in_progress"))] == [other]
    assert [r.callback.id for r in await desk.queue(CallbackFilters(subject="faq_pge"))] == [late]
    assert [r.callback.id for r in await desk.queue(CallbackFilters(commune="71076"))] == [other]
    assert await desk.callback_communes() == [("71076", "Chalon-sur-Saône"), ("71270", "Mâcon")]
    clock.advance(days=2)
    assert [r.overdue for r in await desk.queue(CallbackFilters())] == [True, True]


async def test_two_advisers_taking_one_callback_at_once_one_wins(desk, seed, agent, admin, client) -> None:
    callback_id = await seed.callback()
    outcomes = await asyncio.gather(
        desk.assign_to(callback_id, agent.id, "new"),
        desk.assign_to(callback_id, admin.id, "new"),
        return_exceptions=True,
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["DeskError", "NoneType"]
    async with desk._sessionmaker() as session:
        changes = list(await session.scalars(select(StatusChange)))
        callback = await session.get(CallbackRequest, callback_id)
    assert len(changes) == 1 and callback.assigned_to_id == changes[0].account_id


async def test_a_refused_change_writes_no_audit(desk, seed, agent) -> None:
    callback_id = await seed.callback()
    with pytest.raises(DeskError):
        await desk.set_callback_status(callback_id, agent.id, "called_back", "trop tôt")
    assert (await desk.callback(callback_id))[1] == []


async def test_a_batch_hand_over_is_all_or_nothing_and_audited(desk, seed, agent) -> None:
    ids = [await seed.pledge(quantity=q) for q in (10, 20)]
    cancelled = await seed.pledge()
    async with desk._sessionmaker() as session:
        (await session.get(MaskPledge, cancelled)).status = "cancelled"
        await session.commit()
    with pytest.raises(DeskError):
        await desk.set_pledges_status([*ids, cancelled], agent.id, "handed_over", date(2020, 4, 6))
    assert await desk.set_pledges_status(ids, agent.id, "handed_over", date(2020, 4, 5)) == 2
    pledges = await desk.pledges(PledgeFilters(status="handed_over"))
    assert sorted(p.id for p in pledges) == ids
    assert {p.handed_over_at for p in pledges} == {datetime(2020, 4, 5, 10, 0, tzinfo=UTC)}
    changes = await desk.pledge_changes(ids)
    assert {i: [(c.from_status, c.to_status, c.by) for c in changes[i]] for i in ids} == {
        i: [("pledged", "handed_over", agent.email)] for i in ids
    }
    totals, _ = await desk.pledge_totals()
    assert totals.by_status["cancelled"] == (1, 300) and totals.masks == 30


async def test_a_conversation_with_its_messages_and_requests(desk, seed, client) -> None:
    conversation_id = await seed.conversation("bonjour")
    conversation = await client.app[appkeys.MESSAGE_LOG].find_conversation("rest", f"artisan-{seed.count}")
    await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("rest", conversation.external_id, "des masques"))
    callback_id = await seed.callback(conversation_id=conversation_id)
    pledge_id = await seed.pledge(conversation_id=conversation_id)
    found, callbacks, pledges = await desk.conversation(conversation_id)
    assert [m.text for m in found.messages] == ["bonjour", "des masques"]
    assert [c.id for c in callbacks] == [callback_id] and [p.id for p in pledges] == [pledge_id]
    assert await desk.conversation("0" * 32) is None
