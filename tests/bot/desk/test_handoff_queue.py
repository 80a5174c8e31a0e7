"""What the console shows of the hand-offs (bot/desk/handoff_queue.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.desk.handoff_queue import artisan_names
from bot.storage.message_log import Inbound
from tests.bot.desk.handoff_world import World


async def test_the_queue_puts_distress_first_then_the_longest_waiting_then_those_taken(world: World) -> None:
    taken, calm, urgent = await world.conversation("a"), await world.conversation("b"), await world.conversation("c")
    await world.handoff.request(taken, "asked")
    await world.handoff.take(taken, world.anne)
    world.advance(minutes=1)
    await world.handoff.request(calm, "misunderstood")
    world.advance(minutes=2)
    await world.handoff.request(urgent, "distress")
    world.advance(minutes=1)
    rows = await world.queue.queue()
    assert [(r["id"], r["state"]) for r in rows] == [(urgent, "waiting"), (calm, "waiting"), (taken, "agent")]
    assert rows[0]["reason_label"] == "Détresse" and rows[0]["priority"] == 1
    assert rows[1]["waiting_seconds"] == 180 and rows[1]["reason_label"] == "Le bot ne comprend pas"
    assert rows[2]["agent"] == "anne@cma71.fr" and rows[2]["agent_id"] == world.anne.id


async def test_notes_and_steps_are_listed_with_who_and_when(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    await world.handoff.take(conversation, world.anne)
    await world.handoff.note(conversation, world.anne, "Dossier PGE en cours")
    assert [(n["text"], n["by"]) for n in await world.queue.notes(conversation)] == [("Dossier PGE en cours", "anne@cma71.fr")]
    steps = [(e["action"], e["by"]) for e in await world.queue.events(conversation)]
    assert steps == [("requested", None), ("taken", "anne@cma71.fr"), ("noted", "anne@cma71.fr")]


async def test_the_artisans_name_is_the_one_the_platform_gave_last(world: World) -> None:
    first = await world.log.store_inbound(Inbound("whatsapp", "33612345678", "bonjour", payload={"profile_name": "Marie"}))
    await world.log.store_inbound(Inbound("whatsapp", "33612345678", "re", payload={"profile_name": "Marie D."}))
    nameless = await world.log.store_inbound(Inbound("rest", "web-1", "bonjour"))
    async with world.sessionmaker() as session:
        names = await artisan_names(session, [first.conversation.id, nameless.conversation.id])
    assert names == {first.conversation.id: "Marie D."}
