"""Nobody waits forever: the watch gives conversations back to the bot past the wait, the hours, the adviser's session."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.messaging.replies import ADVISER_GONE, ADVISERS_GONE, NOBODY_IN_TIME
from bot.shared.french import describe_hours_fr
from bot.storage import ConversationState
from tests.bot.desk.handoff_world import World, logged_in

STATES = [s.value for s in ConversationState]


async def test_nobody_waits_past_the_maximum(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    world.advance(minutes=14)
    assert await world.watch.expire_overdue() == 0
    world.advance(minutes=2)
    assert await world.watch.expire_overdue() == 1
    assert await world.state(conversation) == "bot"
    [offer] = world.delivered
    assert offer.text == NOBODY_IN_TIME and [b["payload"] for b in offer.buttons] == ["/request_callback", "/deny"]
    assert ("expired", None) in await world.audit(conversation)


async def test_waiting_conversations_are_given_back_when_advisers_stop_for_the_day(world: World) -> None:
    world.now[0] = datetime(2020, 4, 8, 14, 55, tzinfo=UTC)  # 16:55 in Paris
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    world.advance(minutes=6)  # 17:01: closed
    assert await world.watch.expire_overdue() == 1
    assert world.told() == [ADVISERS_GONE.format(hours=describe_hours_fr(world.handoff.hours))]


async def test_an_advisers_conversations_go_back_to_the_bot_when_their_session_ends(world: World) -> None:
    await logged_in(world, world.anne)
    await logged_in(world, world.bruno)
    annes, brunos = await world.conversation("a"), await world.conversation("b")
    for conversation, adviser in ((annes, world.anne), (brunos, world.bruno)):
        await world.handoff.request(conversation, "asked")
        await world.handoff.take(conversation, adviser)
    world.delivered.clear()
    assert await world.watch.release_absent() == 0, "both are still there"

    world.advance(hours=7)
    await logged_in(world, world.bruno)  # Bruno keeps working, in a new session
    world.advance(hours=1, minutes=1)  # Anne's session has been idle for 8 hours
    assert await world.watch.release_absent() == 1
    assert (await world.state(annes), await world.state(brunos)) == ("bot", "agent")
    [told] = world.delivered
    assert told.text == ADVISER_GONE and [b["payload"] for b in told.buttons] == ["/request_callback", "/deny"]
    assert (await world.audit(annes))[-1] == ("released", None)


async def test_at_logout_only_that_advisers_conversations_are_released(world: World) -> None:
    annes, brunos = await world.conversation("a"), await world.conversation("b")
    for conversation, adviser in ((annes, world.anne), (brunos, world.bruno)):
        await world.handoff.request(conversation, "asked")
        await world.handoff.take(conversation, adviser)
    # Neither has a session left here; at Anne's logout only hers are released, Bruno's wait for the watch.
    assert await world.watch.release_absent(world.anne.id) == 1
    assert (await world.state(annes), await world.state(brunos)) == ("bot", "agent")
