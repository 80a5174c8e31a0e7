"""The hand-off's state machine and service, on SQLite and PostgreSQL, with a clock the tests move.

Rasa is not running here: resuming its conversation fails quietly (it is tested on the whole stack).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.engine import EngineClient
from bot.handoff import (
    ADVISER_GONE,
    ADVISERS_GONE,
    CLOSED_BY_ADVISER,
    GIVEN_BACK,
    NOBODY_IN_TIME,
    TAKEN,
    TRANSITIONS,
    Adviser,
    Handoff,
    HandoffError,
    describe_hours_fr,
)
from bot.hours import OpeningHours
from bot.live import Live
from bot.settings import Settings
from bot.storage import ConversationState, Message, create_engine, create_sessionmaker, migrate
from bot.storage.message_log import Inbound, MessageLog
from bot.storage.models import Conversation, HandoffEvent, StaffAccount, StaffSession

STATES = [s.value for s in ConversationState]
# A Wednesday at 10:00 in Paris (09:00 UTC): advisers are in.
WEDNESDAY_10H = datetime(2020, 4, 8, 8, 0, tzinfo=UTC)


def test_hours_in_french() -> None:
    hours = OpeningHours.parse("mon-fri 09:00-12:00 14:00-17:00; sat 09:00-12:00")
    assert describe_hours_fr(hours) == (
        "du lundi au vendredi de 9h à 12h et de 14h à 17h ; le samedi de 9h à 12h"
    )


class World:
    """A database, a Handoff on it, two advisers, and what reached the outbox and the consoles."""

    def __init__(self, handoff: Handoff, log: MessageLog, sessionmaker, now: list[datetime]) -> None:
        self.handoff, self.log, self.sessionmaker, self.now = handoff, log, sessionmaker, now
        self.delivered: list[Message] = []
        self.live = Live()
        self.anne = self.bruno = self.admin = Adviser(0, "")

    def advance(self, **delta: float) -> None:
        self.now[0] += timedelta(**delta)

    async def conversation(self, name: str = "artisan", channel: str = "telegram") -> str:
        stored = await self.log.store_inbound(Inbound(channel, name, "je veux parler à quelqu'un"))
        return stored.conversation.id

    async def state(self, conversation_id: str) -> str:
        return (await self.handoff._conversation(conversation_id)).state

    def told(self) -> list[str]:
        return [m.text for m in self.delivered]

    async def audit(self, conversation_id: str) -> list[tuple[str, int | None]]:
        async with self.sessionmaker() as session:
            rows = await session.scalars(
                select(HandoffEvent).where(HandoffEvent.conversation_id == conversation_id).order_by(HandoffEvent.id)
            )
            return [(e.action, e.account_id) for e in rows]


@pytest.fixture
async def world(database_url: str):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    sessionmaker = create_sessionmaker(engine)
    now = [WEDNESDAY_10H]
    settings = replace(Settings(), clock=lambda: now[0], handoff_max_wait_minutes=15)
    log = MessageLog(sessionmaker)
    live = Live()
    async with aiohttp.ClientSession() as http:
        rasa_down = EngineClient(http, "http://127.0.0.1:9", "http://127.0.0.1:9", "token", timeout=1)
        w = World(None, log, sessionmaker, now)  # type: ignore[arg-type]
        w.handoff = Handoff(sessionmaker, log, rasa_down, live, settings, w.delivered.extend)
        async with sessionmaker() as session:
            accounts = [
                StaffAccount(email=email, role=role, password_hash="x")
                for email, role in (("anne@cma71.fr", "agent"), ("bruno@cma71.fr", "agent"), ("chef@cma71.fr", "admin"))
            ]
            session.add_all(accounts)
            await session.commit()
        w.anne, w.bruno = (Adviser(a.id, a.email) for a in accounts[:2])
        w.admin = Adviser(accounts[2].id, accounts[2].email, is_admin=True)
        w.live = live
        yield w
    await engine.dispose()


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
    assert [row["id"] for row in await world.handoff.queue()] == [urgent, calm]
    assert (await world.handoff.queue())[0]["reason_label"] == "Détresse"


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
    assert [n["text"] for n in await world.handoff.notes(conversation)] == ["Dossier PGE en cours à la banque"]


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


async def test_nobody_waits_past_the_maximum(world: World) -> None:
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    world.advance(minutes=14)
    assert await world.handoff.expire_overdue() == 0
    world.advance(minutes=2)
    assert await world.handoff.expire_overdue() == 1
    assert await world.state(conversation) == "bot"
    [offer] = world.delivered
    assert offer.text == NOBODY_IN_TIME and [b["payload"] for b in offer.buttons] == ["/request_callback", "/deny"]
    assert ("expired", None) in await world.audit(conversation)


async def test_waiting_conversations_are_given_back_when_advisers_stop_for_the_day(world: World) -> None:
    world.now[0] = datetime(2020, 4, 8, 14, 55, tzinfo=UTC)  # 16:55 in Paris
    conversation = await world.conversation()
    await world.handoff.request(conversation, "asked")
    world.advance(minutes=6)  # 17:01: closed
    assert await world.handoff.expire_overdue() == 1
    assert world.told() == [ADVISERS_GONE.format(hours=describe_hours_fr(world.handoff.hours))]


async def logged_in(world: World, adviser: Adviser) -> None:
    async with world.sessionmaker() as session:
        now = world.now[0]
        session.add(
            StaffSession(
                token_hash=uuid.uuid4().hex, account_id=adviser.id, csrf_token="x",
                created_at=now, last_seen_at=now, expires_at=now + timedelta(days=7),
            )
        )
        await session.commit()


async def test_an_advisers_conversations_go_back_to_the_bot_when_their_session_ends(world: World) -> None:
    await logged_in(world, world.anne)
    await logged_in(world, world.bruno)
    annes, brunos = await world.conversation("a"), await world.conversation("b")
    for conversation, adviser in ((annes, world.anne), (brunos, world.bruno)):
        await world.handoff.request(conversation, "asked")
        await world.handoff.take(conversation, adviser)
    world.delivered.clear()
    assert await world.handoff.release_absent() == 0, "both are still there"

    world.advance(hours=7)
    await logged_in(world, world.bruno)  # Bruno keeps working, in a new session
    world.advance(hours=1, minutes=1)  # Anne's session has been idle for 8 hours
    assert await world.handoff.release_absent() == 1
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
    assert await world.handoff.release_absent(world.anne.id) == 1
    assert (await world.state(annes), await world.state(brunos)) == ("bot", "agent")


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


async def test_canned_answers_are_kept_sorted_and_editable(world: World) -> None:
    await world.handoff.save_canned_answer(world.admin, "PGE", "Le PGE se demande à votre banque.")
    await world.handoff.save_canned_answer(world.admin, "Fonds", "Le fonds de solidarité se demande sur impots.gouv.fr.")
    answers = await world.handoff.canned_answers()
    assert [a.title for a in answers] == ["Fonds", "PGE"]
    await world.handoff.save_canned_answer(world.admin, "PGE", "Voyez votre banque.", answers[1].id)
    await world.handoff.delete_canned_answer(answers[0].id)
    assert [(a.title, a.text) for a in await world.handoff.canned_answers()] == [("PGE", "Voyez votre banque.")]
    with pytest.raises(HandoffError):
        await world.handoff.save_canned_answer(world.admin, "", "texte")


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
