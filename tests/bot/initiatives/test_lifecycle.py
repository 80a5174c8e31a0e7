"""An approved initiative lives on its own: past its end it expires, after two weeks its proposer is asked whether
it still runs (yes keeps it, no or a week's silence retires it), and a report sends it back to be checked.
On SQLite and PostgreSQL, with a clock moved forward."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest

from bot.errors import InitiativeRefused
from bot.initiatives.watch import InitiativeWatch
from bot.settings import Settings
from bot.storage.models import InitiativeStatus
from tests.bot.initiatives.conftest import ADVISER, World

NOTHING = {"expired": 0, "reminded": 0, "retired": 0}


async def test_an_initiative_expires_the_day_after_its_end(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.approved(conversation, ends_on="2020-04-10")

    world.clock.now = datetime(2020, 4, 10, 21, 0, tzinfo=UTC)  # 23:00 in Paris, still the 10th
    assert await world.initiatives.check(world.clock.now) == NOTHING
    world.clock.now = datetime(2020, 4, 10, 22, 30, tzinfo=UTC)  # 00:30 in Paris, the 11th
    assert await world.initiatives.check(world.clock.now) == {**NOTHING, "expired": 1}
    assert await world.initiatives.check(world.clock.now) == NOTHING

    assert await world.status(initiative.id) == InitiativeStatus.EXPIRED
    told = await world.told(conversation)
    assert told[-1]["text"].startswith("Votre initiative INI-000001 est arrivée à sa date de fin (10 avril 2020)")
    assert (await world.actions(initiative.id))[-1] == ("system", "expired", None)
    assert len(world.sent) == 1


async def test_a_pending_initiative_past_its_end_expires_too(world: World) -> None:
    initiative = await world.proposed(ends_on="2020-04-10")
    world.clock.advance(days=5)
    assert (await world.initiatives.check(world.clock.now))["expired"] == 1
    assert await world.status(initiative.id) == InitiativeStatus.EXPIRED
    assert await world.initiatives.waiting() == []


async def test_two_weeks_on_the_proposer_is_asked_with_two_buttons(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.approved(conversation)

    world.clock.advance(days=14, seconds=-1)
    assert await world.initiatives.check(world.clock.now) == NOTHING
    world.clock.advance(seconds=1)
    assert await world.initiatives.check(world.clock.now) == {**NOTHING, "reminded": 1}
    assert await world.initiatives.check(world.clock.now) == NOTHING  # asked once

    [*_, question] = await world.told(conversation)
    assert question["text"].startswith("Votre initiative INI-000001 (Je livre les courses des soignants")
    assert "toujours d’actualité ?" in question["text"] and "sous 7 jours" in question["text"]
    assert [b["title"] for b in question["buttons"]] == ["Oui", "Non"]
    yes, no = (b["payload"] for b in question["buttons"])
    assert yes == '/initiative_still_current{"initiative_ref": "INI-000001", "still_current": "oui"}'
    assert json.loads(no.removeprefix("/initiative_still_current")) == {
        "initiative_ref": "INI-000001", "still_current": "non"
    }
    assert (await world.actions(initiative.id))[-1] == ("system", "reminded", None)
    found = await world.initiatives.get(initiative.id)
    assert found is not None and found[0].reminder_sent_at == world.clock.now


async def test_yes_keeps_it_two_weeks_more(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.approved(conversation)
    world.clock.advance(days=14)
    await world.initiatives.check(world.clock.now)
    world.clock.advance(days=3)

    kept = await world.initiatives.still_current("ini-1", conversation, True)

    assert kept.status == InitiativeStatus.APPROVED
    assert (kept.last_confirmed_at, kept.reminder_sent_at) == (world.clock.now, None)
    assert (await world.actions(initiative.id))[-1] == ("artisan", "confirmed", None)
    world.clock.advance(days=13)
    assert await world.initiatives.check(world.clock.now) == NOTHING  # neither retired nor asked again yet
    world.clock.advance(days=1)
    assert await world.initiatives.check(world.clock.now) == {**NOTHING, "reminded": 1}


async def test_no_retires_it(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.approved(conversation)
    world.clock.advance(days=14)
    await world.initiatives.check(world.clock.now)
    told = len(await world.told(conversation))

    retired = await world.initiatives.still_current("INI-000001", conversation, False)

    assert retired.status == InitiativeStatus.RETIRED
    assert retired.retired_reason == "retirée à la demande de l’artisan"
    assert (await world.actions(initiative.id))[-1] == ("artisan", "retired", "retirée à la demande de l’artisan")
    assert len(await world.told(conversation)) == told  # the bot answers in the conversation itself
    assert await world.initiatives.search("71270") == ([], 0)


async def test_a_week_of_silence_retires_it(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.approved(conversation)
    world.clock.advance(days=14)
    await world.initiatives.check(world.clock.now)

    world.clock.advance(days=7, seconds=-1)
    assert await world.initiatives.check(world.clock.now) == NOTHING
    world.clock.advance(seconds=1)
    assert await world.initiatives.check(world.clock.now) == {**NOTHING, "retired": 1}

    assert await world.status(initiative.id) == InitiativeStatus.RETIRED
    told = await world.told(conversation)
    assert told[-1]["text"].startswith("Sans réponse de votre part, votre initiative INI-000001 a été retirée")
    assert [a for _, a, _ in await world.actions(initiative.id)] == [
        "proposed", "approved", "reminded", "retired"
    ]
    with pytest.raises(InitiativeRefused) as refused:
        await world.initiatives.still_current("INI-000001", conversation, True)
    assert refused.value.status == 409


async def test_only_its_proposer_answers_and_only_when_asked(world: World) -> None:
    conversation = await world.artisan()
    other = await world.artisan("222")
    await world.approved(conversation)

    with pytest.raises(InitiativeRefused) as not_asked:
        await world.initiatives.still_current("INI-000001", conversation, True)
    world.clock.advance(days=14)
    await world.initiatives.check(world.clock.now)
    with pytest.raises(InitiativeRefused) as not_theirs:
        await world.initiatives.still_current("INI-000001", other, False)
    with pytest.raises(InitiativeRefused) as unknown:
        await world.initiatives.still_current("INI-000099", conversation, True)

    assert (not_asked.value.status, not_theirs.value.status, unknown.value.status) == (409, 409, 404)
    assert await world.status(1) == InitiativeStatus.APPROVED


async def test_a_report_sends_it_back_to_be_checked_without_its_author(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.approved(conversation)

    assert await world.initiatives.report("INI-000001", "Numéro faux") is True
    assert await world.initiatives.report("INI-000001", "Encore") is False  # not public any more
    assert await world.initiatives.report("INI-000099", "Inconnue") is False
    assert await world.initiatives.report("n’importe quoi", "") is False

    found = await world.initiatives.get(initiative.id)
    assert found is not None
    assert (found[0].status, found[0].reports) == (InitiativeStatus.PENDING, 1)
    assert found[1][-1].actor == "public" and found[1][-1].account_id is None
    assert (found[1][-1].action, found[1][-1].detail) == ("reported", "Numéro faux")
    assert await world.initiatives.search("71270") == ([], 0)
    assert world.sent == []

    await world.initiatives.approve(initiative.id, ADVISER)
    assert await world.initiatives.report("INI-000001", "") is True
    assert (await world.initiatives.get(initiative.id))[0].reports == 2  # type: ignore[index]


async def test_the_watch_checks_on_its_clock(world: World) -> None:
    conversation = await world.artisan()
    await world.approved(conversation, ends_on="2020-04-07")
    world.clock.advance(days=2)
    watch = InitiativeWatch(world.initiatives, 300, world.clock)
    assert await watch.check() == {**NOTHING, "expired": 1}


async def test_the_reminder_is_counted_from_the_approval(world: World) -> None:
    initiative = await world.proposed()
    world.clock.advance(days=20)
    await world.initiatives.approve(initiative.id, ADVISER)
    assert await world.initiatives.check(world.clock.now) == NOTHING
    world.clock.advance(days=14)
    assert await world.initiatives.check(world.clock.now) == {**NOTHING, "reminded": 1}


async def test_the_watch_runs_until_stopped_and_survives_a_failed_check(world: World, caplog) -> None:
    calls: list[datetime] = []

    class Flaky:
        async def check(self, now: datetime) -> dict[str, int]:
            calls.append(now)
            if len(calls) == 1:
                raise RuntimeError("database away")
            return NOTHING

    task = asyncio.create_task(InitiativeWatch(Flaky(), 0.01, world.clock).run())  # type: ignore[arg-type]
    while len(calls) < 3:
        await asyncio.sleep(0.01)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert "Checking the solidarity initiatives failed" in caplog.text


def test_the_check_interval_is_a_setting() -> None:
    assert Settings().initiatives_check_seconds == 300
    assert Settings.from_env({"INITIATIVES_CHECK_SECONDS": "60"}).initiatives_check_seconds == 60
