"""The hand-off's state machine: every step, who may take it, what the artisan is told, the audit."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from bot.desk.handoff import TRANSITIONS
from bot.errors import HandoffError
from bot.messaging.replies import CLOSED_BY_ADVISER, GIVEN_BACK, TAKEN
from bot.storage import ConversationState
from bot.storage.models import Conversation
from tests.bot.desk.handoff_world import World

STATES = [s.value for s in ConversationState]


async def test_a_request_queues_the_conversation_and_says_where_it_stands(world: World) -> None:
    first, second = await world.conversation("a"), await world.conversation("b")
    assert (await world.handoff.request(first, "asked"))["position"] == 1
    answer = await world.handoff.request(second, "misunderstood")
    assert answer == {"outcome": "queued", "priority": False, "position": 2, "expected_minutes": 10}
    assert await world.state(second) == "waiting"
    assert await world.handoff.request(second, "asked") == {"outcome": "already", "state": "waiting"}


async def test_distress_goes_first_in_the_queue(world: World) -> None:
    calm = await world.conversation("calm")
    await world.handoff.request(calm, "asked")
    world.advance(minutes=1)
    urgent = await world.conversation("urgent")
    answer = await world.handoff.request(urgent, "distress")
    assert answer["priority"] is True and answer["position"] == 1
    assert [row["id"] for row in await world.queue.queue()] == [urgent, calm]
    assert (await world.queue.queue())[0]["reason_label"] == "Détresse"


async def test_outside_advisers_hours_the_bot_keeps_the_conversation_and_says_when(world: World) -> None:
    world.now[0] = datetime(2020, 4, 10, 17, 30, tzinfo=UTC)  # Friday 19:30 in Paris
    conversation = await world.conversation()
    answer = await world.handoff.request(conversation, "asked")
    assert answer["outcome"] == "closed" and answer["next_opening_text"] == "lundi à 9h00"
    assert "du lundi au vendredi" in answer["hours_text"]
    assert await world.state(conversation) == "bot"
    assert await world.audit(conversation) == [("refused_closed", None)]


async def test_two_advisers_taking_at_once_exactly_one_gets_it(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    results = await asyncio.gather(
        world.handoff.take(conversation, world.anne),
        world.handoff.take(conversation, world.bruno),
        return_exceptions=True,
    )
    refusals = [r for r in results if isinstance(r, HandoffError)]
    assert len(refusals) == 1 and refusals[0].status == 409 and "Trop tard" in refusals[0].message
    winner = await world.handoff._conversation(conversation)
    assert winner.state == "agent" and winner.agent_id in (world.anne.id, world.bruno.id)
    assert world.told() == [TAKEN], "the artisan is told once that a person answers"


async def test_the_holder_replies_transfers_and_gives_back_and_all_is_audited(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    await world.handoff.take(conversation, world.anne)
    reply = await world.handoff.reply(conversation, world.anne, "Bonjour, je regarde votre dossier.")
    assert reply.author == "agent" and reply.status == "pending" and reply.channel == "telegram"
    with pytest.raises(HandoffError, match="anne@cma71.fr"):
        await world.handoff.reply(conversation, world.bruno, "Je m'en occupe aussi")
    await world.handoff.note(conversation, world.anne, "Dossier PGE en cours à la banque")
    await world.handoff.transfer(conversation, world.anne, world.bruno.id)
    await world.handoff.reply(conversation, world.bruno, "Je prends la suite.")
    await world.handoff.give_back(conversation, world.bruno)
    assert await world.state(conversation) == "bot"
    assert world.told() == [TAKEN, "Bonjour, je regarde votre dossier.", "Je prends la suite.", GIVEN_BACK]
    assert "Dossier PGE" not in " ".join(world.told()), "notes never reach the artisan"
    assert await world.audit(conversation) == [
        ("requested", None),
        ("taken", world.anne.id),
        ("replied", world.anne.id),
        ("noted", world.anne.id),
        ("transferred", world.anne.id),
        ("replied", world.bruno.id),
        ("given_back", world.bruno.id),
    ]
    assert [n["text"] for n in await world.queue.notes(conversation)] == ["Dossier PGE en cours à la banque"]


async def test_an_admin_may_close_a_conversation_someone_else_has(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    await world.handoff.take(conversation, world.anne)
    with pytest.raises(HandoffError):
        await world.handoff.close(conversation, world.bruno)
    await world.handoff.close(conversation, world.admin)
    assert await world.state(conversation) == "closed"
    assert world.told()[-1] == CLOSED_BY_ADVISER
    await world.handoff.reopen(conversation)  # the artisan writes again
    assert await world.state(conversation) == "bot"


async def test_a_waiting_artisan_is_acknowledged_once(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    assert [await world.handoff.acknowledge_once(conversation) for _ in range(3)] == [True, False, False]


async def test_replies_need_the_conversation_taken_and_a_text(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    with pytest.raises(HandoffError, match="prenez-la"):
        await world.handoff.reply(conversation, world.anne, "Bonjour")
    await world.handoff.take(conversation, world.anne)
    with pytest.raises(HandoffError, match="vide"):
        await world.handoff.reply(conversation, world.anne, "   ")
    with pytest.raises(HandoffError) as unknown:
        await world.handoff.take("0" * 32, world.anne)
    assert unknown.value.status == 404


async def test_an_unknown_reason_is_refused(world: World) -> None:
    with pytest.raises(HandoffError) as refused:
        await world.handoff.request(await world.conversation(), "bored")
    assert refused.value.status == 400


async def test_consoles_hear_of_each_change(world: World) -> None:
    conversation = await world.conversation()
    with world.live.subscribe() as feed:
        await world.handoff.request(conversation, "asked")
        await world.handoff.take(conversation, world.anne)
        await world.handoff.reply(conversation, world.anne, "Bonjour")
        events = [feed.get_nowait() for _ in range(feed.qsize())]
    kinds = [e["kind"] for e in events]
    assert kinds.count("queue") == 2
    replies = [e["message"]["text"] for e in events if e["kind"] == "message"]
    assert replies == [TAKEN, "Bonjour"] and all(e["conversation_id"] == conversation for e in events if "conversation_id" in e)


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
@pytest.mark.parametrize("state", STATES)
async def test_every_step_is_taken_from_its_states_and_refused_from_the_others(
    world: World, state: str, action: str
) -> None:
    conversation = await world.conversation()
    async with world.sessionmaker() as session:
        await session.execute(update(Conversation).where(Conversation.id == conversation).values(state=state))
        await session.commit()
    allowed, to = TRANSITIONS[action]
    moved = await world.handoff._move(conversation, action, None)
    assert moved == (state in allowed)
    assert await world.state(conversation) == (to if moved else state)
    assert len(await world.audit(conversation)) == (1 if moved else 0), "only steps taken are recorded"
