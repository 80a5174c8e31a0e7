"""The staff dashboard's figures (bot/desk/dashboard.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot import appkeys


@pytest.fixture
def settings(make_settings, database_url: str):
    return make_settings(database_url)


async def test_dashboard_counts_and_requests_per_paris_day(client, desk, seed, agent, clock) -> None:
    clock.now = datetime(2020, 4, 5, 21, 30, tzinfo=UTC)  # Sunday 23:30 in Paris
    await seed.callback()
    clock.now = datetime(2020, 4, 5, 22, 30, tzinfo=UTC)  # Monday 00:30 in Paris
    taken = await seed.callback()
    await seed.pledge(quantity=120)
    await desk.assign_to(taken, agent.id)
    clock.now = datetime(2020, 4, 7, 16, 0, tzinfo=UTC)  # Tuesday 18:00: both late
    counts = await client.app[appkeys.DASHBOARD].figures(days=30)
    assert counts["callbacks_by_status"]["new"] == 1 and counts["callbacks_by_status"]["in_progress"] == 1
    assert counts["callbacks_total"] == 2 and counts["overdue"] == 2
    assert counts["pledges_by_status"]["pledged"] == (1, 120)
    assert counts["pledges_by_status"]["handed_over"] == (0, 0)
    per_day = {day: (c, p) for day, c, p in counts["per_day"]}
    assert len(per_day) == 30 and max(per_day) == date(2020, 4, 7)
    assert per_day[date(2020, 4, 5)] == (1, 0) and per_day[date(2020, 4, 6)] == (1, 1)
