"""The report's figures on synthetic weeks of artisans (SQLite and PostgreSQL): every cell is checked against what
the test counts itself from what it inserted, for the whole department and for partners' territories, and no
territory's report ever counts what happened outside it."""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.reports.figures import Report, build_report
from bot.reports.period import Period
from bot.reports.suppression import THRESHOLD, Cell
from bot.reports.tables import Table
from bot.reports.territory import Territory
from bot.shared.french import PARIS
from tests.bot.reports.conftest import (
    AUTUN, CHALON, CHARNAY, COMMUNES, GIVRY, GRAND_CHALON, MACON, MERCUREY, NO_EPCI, World, paris,
)

WEEK = Period(date(2020, 4, 6), date(2020, 4, 12))
PREVIOUS = Period(date(2020, 3, 30), date(2020, 4, 5))
NOW = paris(date(2020, 4, 13), 9)  # the Monday after: the weekly report
FIRST_DAY = date(2020, 3, 23)  # the data start a week before the previous week and end a week after WEEK
DAYS = [FIRST_DAY + timedelta(days=n) for n in range(28)]
# Where the artisans are: Chalon more than anywhere; None for a conversation whose commune is unknown.
PLACES = [CHALON] * 6 + [GIVRY] * 2 + [MERCUREY, MACON, MACON, CHARNAY, AUTUN, NO_EPCI, None]
# The test's own reading of the intents: the topic's label, or None for what is not a topic.
INTENTS = {
    "faq_pge": "Prêt garanti (PGE)",
    "faq_fonds_solidarite": "Fonds de solidarité",
    "request_callback": "Demande de rappel",
    "latest_news": "Actualités de la Chambre",
    "more_news": "Actualités de la Chambre",
    "greet": None,
    "thank": None,
    "inform": None,
    "nlu_fallback": None,
    "barometer_activity": None,
}
ACTIVITIES = ["arretee", "reduite", "normale"]
ACTIVITY_COLUMNS = {"arretee": "Arrêtée", "reduite": "Réduite", "normale": "Normale"}
TRADES = {"alimentation": "Alimentation", "batiment": "Bâtiment", "production": "Production",
          "services": "Services", None: "Secteur non précisé"}
NEEDS = {"tresorerie": "Trésorerie", "salaries": "Salariés", "loyer": "Loyer et charges",
         "approvisionnement": "Approvisionnement", "clients": "Clients", "autre": "Autre", None: "Sans réponse"}


def moment(rng: random.Random) -> datetime:
    """Any time of the data's days, often right at midnight in Paris, where a week starts."""
    day = rng.choice(DAYS)
    minutes = rng.choice([0, 5, 30, 23 * 60 + 55, rng.randrange(24 * 60)])
    return (datetime(day.year, day.month, day.day, tzinfo=PARIS) + timedelta(minutes=minutes)).astimezone(UTC)


def in_period(at: datetime, period: Period) -> bool:
    return period.start <= at.astimezone(PARIS).date() <= period.end


@dataclass
class Truth:
    """What the test inserted, to count from."""

    messages: list[tuple[str, str | None, str, datetime]] = field(default_factory=list)  # conv, commune, intent, at
    callbacks: list[tuple[str, str, datetime, datetime, datetime | None]] = field(default_factory=list)
    pledges: list[tuple[str, str, int, datetime, datetime | None, datetime | None]] = field(default_factory=list)
    answers: list[tuple[date, str, str | None, str | None, str | None]] = field(default_factory=list)
    initiatives: list[tuple[str, list[str], str]] = field(default_factory=list)  # the active ones in WEEK


async def populate(world: World, seed: int = 14) -> Truth:
    rng = random.Random(seed)
    truth = Truth()
    for _ in range(160):
        commune = rng.choice(PLACES)
        conversation = await world.artisan(commune, rng.choice(list(TRADES)))
        for _ in range(rng.randrange(1, 5)):
            at, intents = moment(rng), rng.sample(list(INTENTS), rng.randrange(1, 4))
            await world.says(conversation, at, *intents)
            truth.messages += [(conversation, commune, intent, at) for intent in intents]
        # The bot's and the advisers' messages never count, whatever their intent.
        await world.says(conversation, moment(rng), "faq_pge", author="bot", direction="out")
        await world.says(conversation, moment(rng), "faq_pge", author="agent", direction="out")
        request_commune = commune or rng.choice(PLACES[:-1])
        if rng.random() < 0.6:
            created = moment(rng)
            call = rng.choice([None, timedelta(hours=3), timedelta(hours=23), timedelta(hours=30), timedelta(days=4)])
            cancelled = rng.random() < 0.1
            await world.callback(conversation, request_commune, created, called_after=call,
                                 to_status=rng.choice(["called_back", "unreachable"]),
                                 status="cancelled" if cancelled else None)
            if not cancelled:
                truth.callbacks.append((conversation, request_commune, created, created + timedelta(hours=24),
                                        created + call if call is not None else None))
        if rng.random() < 0.45:
            created = moment(rng)
            collected = created + timedelta(days=rng.randrange(1, 6)) if rng.random() < 0.7 else None
            handed = (collected or created) + timedelta(days=rng.randrange(0, 6)) if rng.random() < 0.5 else None
            quantity = rng.choice([20, 50, 100, 300, 1250])
            cancelled = rng.random() < 0.1
            await world.pledge(conversation, request_commune, quantity, created, collected_at=collected,
                               handed_over_at=handed, cancelled=cancelled)
            if not cancelled:
                truth.pledges.append((conversation, request_commune, quantity, created, collected, handed))
    for _ in range(260):
        answer = (rng.choice(DAYS), rng.choice(ACTIVITIES), rng.choice(list(NEEDS)), rng.choice(list(TRADES)),
                  rng.choice(PLACES + [CHALON] * 4))
        await world.answer(*answer)
        truth.answers.append(answer)
    # Initiatives: active in WEEK, or not (pending, refused, ended before, approved after).
    for n in range(14):
        conversation = await world.artisan()
        served = rng.sample([CHALON, GIVRY, MACON, AUTUN], rng.randrange(1, 3))
        category = rng.choice(["transport", "courses", "repas", "masques"])
        await world.initiative(conversation, served, category, paris(date(2020, 4, 1)), date(2020, 5, 31))
        truth.initiatives.append((conversation, served, category))
    conversation = await world.artisan()
    await world.initiative(conversation, [CHALON], "repas", paris(date(2020, 3, 1)), date(2020, 4, 5), "expired")
    await world.initiative(conversation, [CHALON], "repas", None, date(2020, 5, 31), "pending")
    await world.initiative(conversation, [CHALON], "repas", paris(date(2020, 4, 13), 8), date(2020, 5, 31))
    await world.initiative(conversation, [CHALON], "repas", paris(date(2020, 4, 2)), date(2020, 5, 31), "refused")
    return truth


def check(cell: Cell, value: int, artisans: int) -> bool:
    """The cell is what the test counted, or hidden as it must be; whether it is shown."""
    assert cell.artisans == artisans
    if 0 < artisans < THRESHOLD:
        assert (cell.value, cell.secondary, cell.text) == (None, False, "< 5")
        return False
    if cell.value is None:
        assert cell.secondary and cell.text == "masqué"
        return False
    assert cell.value == value
    return True


def distinct(conversations: list[str]) -> tuple[int, int]:
    return len(conversations), len(set(conversations))


class Expected:
    """The figures of a territory, counted by the test from the truth."""

    def __init__(self, truth: Truth, territory: Territory, *, period: Period = WEEK, now: datetime = NOW) -> None:
        self.truth, self.territory, self.period, self.now = truth, territory, period, now

    def inside(self, commune: str | None) -> bool:
        return self.territory.communes is None or commune in self.territory.communes

    def topics(self, period: Period) -> dict[str, set[str]]:
        found: dict[str, set[str]] = defaultdict(set)
        for conversation, commune, intent, at in self.truth.messages:
            if INTENTS[intent] and self.inside(commune) and in_period(at, period):
                found[INTENTS[intent]].add(conversation)
        return found

    def callbacks(self) -> dict[str, tuple[int, int]]:
        rows: dict[str, list[str]] = {"received": [], "within": [], "late": [], "waiting": []}
        for conversation, commune, created, due, called in self.truth.callbacks:
            if not (self.inside(commune) and in_period(created, self.period)):
                continue
            rows["received"].append(conversation)
            if called is not None:
                rows["within" if called <= due else "late"].append(conversation)
            else:
                rows["late" if due < self.now else "waiting"].append(conversation)
        return {key: distinct(found) for key, found in rows.items()}

    def masks(self) -> dict[str, list[tuple[date, int, str]]]:
        events: dict[str, list[tuple[date, int, str]]] = {"pledged": [], "collected": [], "handed": []}
        for conversation, commune, quantity, created, collected, handed in self.truth.pledges:
            if not self.inside(commune):
                continue
            collected = min([m for m in (collected, handed) if m], default=None)
            for kind, at in (("pledged", created), ("collected", collected), ("handed", handed)):
                if at is not None and in_period(at, self.period):
                    events[kind].append((at.astimezone(PARIS).date(), quantity, conversation))
        return events

    def answers(self) -> list[tuple[date, str, str | None, str | None, str | None]]:
        return [a for a in self.truth.answers if self.inside(a[4]) and self.period.start <= a[0] <= self.period.end]

    def initiatives(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = defaultdict(list)
        for conversation, served, category in self.truth.initiatives:
            if any(self.inside(c) for c in served):
                found[category].append(conversation)
        return found


async def report_of(world: World, territory: Territory, period: Period = WEEK) -> Report:
    return await build_report(world.sessionmaker, COMMUNES, period, territory, NOW)


def _rows_hold(table: Table) -> None:
    """Within a table with totals, no "< 5" cell is alone hidden in its row or its column (the total minus the
    shown cells would give it back)."""
    def alone(hidden: list[Cell]) -> bool:
        return len(hidden) == 1 and not hidden[0].secondary

    for label, cells in table.rows if "Total" in table.columns else []:
        assert not alone([c for c in cells if c.value is None]), (table.title, label)
    for index, _ in enumerate(table.columns):
        assert not alone([cells[index] for _, cells in table.rows if cells[index].value is None]), table.title


TERRITORIES = {
    "department": Territory.whole_department(),
    "Grand Chalon": Territory.parse(f"epci:{GRAND_CHALON}", COMMUNES),
    "Givry, Mercurey": Territory.parse("Givry, Mercurey", COMMUNES),
    "Mâcon": Territory.parse("Mâcon", COMMUNES),
}


@pytest.fixture
async def truth(world: World) -> Truth:
    return await populate(world)


@pytest.mark.parametrize("name", list(TERRITORIES))
async def test_every_figure_is_the_tests_own_count_or_hidden(world: World, truth: Truth, name: str) -> None:
    territory = TERRITORIES[name]
    report = await report_of(world, territory)
    expected = Expected(truth, territory)
    shown = 0

    current, before = expected.topics(WEEK), expected.topics(PREVIOUS)
    assert set(report.topics.row_labels) == set(current) | set(before)
    for label in report.topics.row_labels:
        shown += check(report.topics.cell(label, "Cette période"), len(current[label]), len(current[label]))
        shown += check(report.topics.cell(label, "Période précédente"), len(before[label]), len(before[label]))

    callbacks = expected.callbacks()
    rows = dict(zip(["received", "within", "late", "waiting"], report.callbacks.row_labels))
    for key, (value, artisans) in callbacks.items():
        shown += check(report.callbacks.cell(rows[key], "Demandes"), value, artisans)
    assert callbacks["received"][0] == sum(callbacks[k][0] for k in ("within", "late", "waiting"))

    events = expected.masks()
    for kind, label in zip(events, ["Promis", "Collectés", "Remis à la préfecture"]):
        found = events[kind]
        artisans = len({c for _, _, c in found})
        shown += check(report.masks.cell(label, "Promesses"), len(found), artisans)
        shown += check(report.masks.cell(label, "Masques"), sum(q for _, q, _ in found), artisans)

    answers = expected.answers()
    by_trade = report.barometer_by_trade
    for trade, label in TRADES.items():
        for activity, column in ACTIVITY_COLUMNS.items():
            n = sum(1 for a in answers if a[3] == trade and a[1] == activity)
            shown += check(by_trade.cell(label, column), n, n)
        n = sum(1 for a in answers if a[3] == trade)
        shown += check(by_trade.cell(label, "Total"), n, n)
    shown += check(by_trade.cell("Total", "Total"), len(answers), len(answers))
    for need, label in NEEDS.items():
        n = sum(1 for a in answers if a[2] == need)
        shown += check(report.barometer_needs.cell(label, "Réponses"), n, n)

    by_place = report.barometer_by_place
    if territory.communes is None:
        groups = {name: [a for a in answers if a[4] and COMMUNES.by_code(a[4]).epci_name == name]
                  for name in {c.epci_name for c in COMMUNES.communes if c.epci_name}}
        groups["Commune non précisée"] = [a for a in answers if a[4] is None]
        groups["Communes hors EPCI"] = [a for a in answers if a[4] == NO_EPCI]
    else:
        groups = {COMMUNES.by_code(code).name: [a for a in answers if a[4] == code] for code in territory.communes}
    groups = {label: found for label, found in groups.items() if found or territory.communes is None}
    assert set(by_place.row_labels) - {"Total"} == {label for label, found in groups.items()
                                                    if found or label not in ("Commune non précisée",
                                                                              "Communes hors EPCI")}
    for label, found in groups.items():
        if label not in by_place.row_labels:
            assert not found
            continue
        for activity, column in ACTIVITY_COLUMNS.items():
            n = sum(1 for a in found if a[1] == activity)
            shown += check(by_place.cell(label, column), n, n)
    shown += check(by_place.cell("Total", "Total"), len(answers), len(answers))

    initiatives = expected.initiatives()
    for key, label in [("transport", "Transport"), ("courses", "Courses et livraison"), ("repas", "Repas"),
                       ("masques", "Masques et protection")]:
        shown += check(report.initiatives.cell(label, "Initiatives"), *distinct(initiatives[key]))
    everyone = [c for found in initiatives.values() for c in found]
    shown += check(report.initiatives.cell("Total", "Initiatives"), *distinct(everyone))

    # No total gives back a hidden cell.
    for table in [report.barometer_by_trade, report.barometer_by_place, report.initiatives]:
        _rows_hold(table)
    for table in [report.barometer_needs, report.callbacks]:
        hidden = [cells[0] for _, cells in table.rows if cells[0].value is None]
        assert not (len(hidden) == 1 and not hidden[0].secondary), table.title

    # The data are rich enough for figures to show, and small enough for some to hide.
    assert shown >= 10


async def test_the_department_shows_much_and_hides_some(world: World, truth: Truth) -> None:
    report = await report_of(world, TERRITORIES["department"])
    cells = [cell for table in report.tables() for _, row in table.rows for cell in row]
    assert any(c.text == "< 5" for c in cells)
    assert any(c.text == "masqué" for c in cells)
    assert sum(c.value is not None for c in cells) > len(cells) / 3
    # A table with hidden cells explains them, in French.
    for table in report.tables():
        if any(c.suppressed for _, row in table.rows for c in row):
            assert "moins de 5 artisans" in (table.note or "") or "masqué" in (table.note or "")


async def test_a_partner_never_counts_outside_its_communes(world: World) -> None:
    """Everything happens in Chalon, or in no known commune: Givry and Mercurey's report counts nothing."""
    for n in range(30):
        conversation = await world.artisan(CHALON if n % 2 else None, "services")
        at = paris(date(2020, 4, 7))
        await world.says(conversation, at, "faq_pge")
        await world.callback(conversation, CHALON, at, called_after=timedelta(hours=2))
        await world.pledge(conversation, CHALON, 100, at, collected_at=at, handed_over_at=at + timedelta(days=1))
        await world.answer(date(2020, 4, 8), "reduite", "tresorerie", "services", CHALON if n % 2 else None)
        await world.initiative(conversation, [CHALON], "repas", paris(date(2020, 4, 1)), date(2020, 5, 31))
    partner = await report_of(world, TERRITORIES["Givry, Mercurey"])
    assert partner.topics.rows == []
    for table in [partner.callbacks, partner.masks, partner.barometer_by_trade, partner.barometer_needs,
                  partner.initiatives]:
        assert {c.text for _, row in table.rows for c in row} == {"0"}, table.title
    assert partner.barometer_by_place.rows == [("Total", [Cell(0, 0)] * 4)]
    assert partner.map_points == []
    assert {p for _, p, c, h in partner.masks_cumulative} == {0}
    # ... while the department counts it all, and its unknown communes too.
    department = await report_of(world, TERRITORIES["department"])
    assert department.topics.cell("Prêt garanti (PGE)", "Cette période").value == 30
    assert department.barometer_by_place.cell("Commune non précisée", "Réduite").value == 15
    assert department.barometer_by_place.cell("CA Le Grand Chalon", "Réduite").value == 15
    assert department.callbacks.cell("Rappelées dans le délai promis", "Demandes").value == 30
    assert department.callbacks_within_promise_percent == "100\u202f%"
    assert department.masks.cell("Remis à la préfecture", "Masques").value == 3000
    assert department.initiatives.cell("Repas", "Initiatives").value == 30
    chalon = COMMUNES.by_code(CHALON)
    assert department.map_points == [(chalon.latitude, chalon.longitude, "Chalon-sur-Saône", 15)]


async def test_topics_trend_week_on_week(world: World) -> None:
    for n in range(12):
        conversation = await world.artisan(MACON)
        await world.says(conversation, paris(date(2020, 4, 1)), "faq_pge", "greet")
        if n < 9:
            await world.says(conversation, paris(date(2020, 4, 8)), "faq_pge", "faq_pge", "thank")
        if n < 6:
            await world.says(conversation, paris(date(2020, 4, 9)), "faq_fonds_solidarite")
    report = await report_of(world, TERRITORIES["Mâcon"])
    assert report.topics.rows == [
        ("Prêt garanti (PGE)", [Cell(9, 9), Cell(12, 12), Cell.of_text("−25\u202f%")]),
        ("Fonds de solidarité", [Cell(6, 6), Cell(0, 0), Cell.of_text("nouveau")]),
    ]
    assert report.previous == PREVIOUS


async def test_callbacks_within_the_promise_late_and_waiting(world: World) -> None:
    monday = paris(date(2020, 4, 6), 9)
    now = paris(date(2020, 4, 12), 20)
    rows = [(timedelta(hours=2), 8), (timedelta(hours=24), 2), (timedelta(hours=30), 6), (None, 0)]
    for called, count in rows:
        for _ in range(count):
            await world.callback(await world.artisan(), AUTUN, monday, called_after=called)
    for _ in range(5):  # received on Sunday afternoon, due on Monday: not late yet
        await world.callback(await world.artisan(), AUTUN, paris(date(2020, 4, 12), 15))
    for _ in range(5):  # never called, due long ago
        await world.callback(await world.artisan(), AUTUN, monday)
    await world.callback(await world.artisan(), AUTUN, monday, status="cancelled")
    report = await build_report(world.sessionmaker, COMMUNES, WEEK, TERRITORIES["department"], now)
    values = [(label, cells[0].text) for label, cells in report.callbacks.rows]
    assert values == [
        ("Demandes de rappel reçues", "26"),
        ("Rappelées dans le délai promis", "10"),
        ("En retard (rappelées après le délai, ou pas encore)", "11"),
        ("En attente, délai pas encore échu", "5"),
    ]
    assert report.callbacks_within_promise_percent == "48\u202f%"
    assert "48\u202f%" in report.callbacks.note


async def test_the_cumulative_masks_never_single_out_a_day(world: World, truth: Truth) -> None:
    for name, territory in TERRITORIES.items():
        report = await report_of(world, territory)
        events = Expected(truth, territory).masks()
        for index, kind in enumerate(["pledged", "collected", "handed"]):
            series = [point[index + 1] for point in report.masks_cumulative]
            found = events[kind]
            shown_days = [-1] + [n for n, value in enumerate(series) if value is not None]
            for n in shown_days[1:]:
                assert series[n] == sum(q for day, q, _ in found if day <= WEEK.days()[n])
            # Between two points shown (and from the start), no artisan or at least 5.
            for a, b in zip(shown_days, shown_days[1:]):
                between = {c for day, _, c in found if (a < 0 or day > WEEK.days()[a]) and day <= WEEK.days()[b]}
                assert len(between) == 0 or len(between) >= THRESHOLD, (name, kind)
            total = report.masks.cell({"pledged": "Promis", "collected": "Collectés",
                                       "handed": "Remis à la préfecture"}[kind], "Masques")
            assert series[-1] == total.value


async def test_a_longer_period_and_its_previous(world: World, truth: Truth) -> None:
    period = Period(date(2020, 3, 30), date(2020, 4, 12))
    report = await report_of(world, TERRITORIES["department"], period)
    expected = Expected(truth, TERRITORIES["department"], period=period)
    assert report.previous == Period(date(2020, 3, 16), date(2020, 3, 29))
    assert len(report.masks_cumulative) == 14
    received = expected.callbacks()["received"]
    check(report.callbacks.cell("Demandes de rappel reçues", "Demandes"), *received)
    answers = expected.answers()
    check(report.barometer_by_trade.cell("Total", "Total"), len(answers), len(answers))
