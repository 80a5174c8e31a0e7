"""This module contains the figures of a report, as tables of protected cells, read from the database for one
territory and one period (`build_report`).

What each figure counts (times in Europe/Paris; an artisan is a conversation):

- topics: for each topic (bot.reports.topics), the conversations with at least one inbound artisan message of
  that intent in the period, and in the period just before; the trend compares the two. A conversation's
  commune is its artisan profile's (`artisan_profiles.commune_code`): one without counts only for the whole
  department.
- callbacks: the callback requests received in the period (created then, not cancelled since), by the
  request's commune. The call is the first change of status to called back or unreachable; a request is called
  back within the promise when that call came at or before its `due_at`; late when it came after, or when
  there is none and `due_at` has passed (`now`); waiting when there is none and `due_at` has not passed. The
  share within the promise is of the requests whose promise has come (within + late).
- masks: pledges not cancelled, by the pledge's commune: pledged (created in the period), collected (the first
  change to collected, or the hand-over when none came before, in the period), handed to the prefecture
  (`handed_over_at` in the period); pledges and masks. The cumulative chart adds them up day by day from the
  period's first day.
- barometer: the answers of the period (`answered_on`), by trade category, by commune (or EPCI for the whole
  department), by need; an answer carries no identity, so each counts as one artisan (the barometer asks a
  conversation at most once every 7 days).
- initiatives: approved (or expired since) before the period's end, ending on or after its start, serving at
  least one commune of the territory, by category.

Every cell is protected (bot.reports.suppression); the barometer's tables, its map and the whole hierarchy of
the department (communes, EPCIs, the department, the territory) are protected together, so a report and
another territory's never differ by a hidden cell.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.reports.barometer import BarometerTables, barometer_tables
from bot.reports.period import Period
from bot.reports.suppression import THRESHOLD, Cell, Sum, format_count, protect
from bot.reports.tables import Table, secret_note
from bot.reports.territory import Territory
from bot.reports.topics import topic_label
from bot.shared.communes import CommuneTable
from bot.shared.french import PARIS
from bot.shared.initiatives import CATEGORIES
from bot.storage.models import (
    AdminIntent,
    ArtisanProfile,
    Author,
    CallbackRequest,
    CallbackStatus,
    Direction,
    Initiative,
    InitiativeCommune,
    InitiativeStatus,
    MaskPledge,
    Message,
    PledgeStatus,
    StatusChange,
)

__all__ = ["Report", "Table", "build_report", "cumulative", "format_count", "trend"]

NO_FIGURE = "—"


@dataclass(frozen=True)
class Report:
    """Every figure of one territory over one period, protected, in the page's order (`tables`)."""

    period: Period
    previous: Period
    territory: Territory
    generated_at: datetime
    topics: Table
    callbacks: Table
    callbacks_within_promise_percent: str
    masks: Table
    masks_cumulative: list[tuple[date, int | None, int | None, int | None]]
    barometer_by_trade: Table
    barometer_by_place: Table
    barometer_needs: Table
    initiatives: Table
    map_points: list[tuple[float, float, str, int]]

    def tables(self) -> list[Table]:
        return [
            self.topics,
            self.callbacks,
            self.masks,
            self.barometer_by_trade,
            self.barometer_by_place,
            self.barometer_needs,
            self.initiatives,
        ]


async def build_report(
    sessionmaker: async_sessionmaker, communes: CommuneTable, period: Period, territory: Territory, now: datetime
) -> Report:
    """The report of `territory` over `period`, as the database holds it at `now`."""
    previous = period.previous()
    async with sessionmaker() as session:
        topics = await _topics(session, period, previous, territory)
        callbacks, percent = await _callbacks(session, period, territory, now)
        masks, cumulative = await _masks(session, period, territory)
        barometer: BarometerTables = await barometer_tables(session, communes, period, territory)
        initiatives = await _initiatives(session, period, territory)
    return Report(
        period=period,
        previous=previous,
        territory=territory,
        generated_at=now,
        topics=topics,
        callbacks=callbacks,
        callbacks_within_promise_percent=percent,
        masks=masks,
        masks_cumulative=cumulative,
        barometer_by_trade=barometer.by_trade,
        barometer_by_place=barometer.by_place,
        barometer_needs=barometer.needs,
        initiatives=initiatives,
        map_points=barometer.map_points,
    )


def _distinct(groups: dict[Hashable, set[str]]) -> dict[Hashable, tuple[int, int]]:
    """Conversations per key, as (value, artisans) for `protect`."""
    return {key: (len(found), len(found)) for key, found in groups.items()}


def trend(current: Cell, previous: Cell) -> Cell:
    """"+12 %", "−5 %", "=" or "nouveau", from shown cells only; "—" when either is hidden or both are 0."""
    if current.value is None or previous.value is None or (current.value == 0 and previous.value == 0):
        return Cell.of_text(NO_FIGURE)
    if previous.value == 0:
        return Cell.of_text("nouveau")
    change = round((current.value - previous.value) * 100 / previous.value)
    if change == 0:
        return Cell.of_text("=")
    return Cell.of_text(f"{'+' if change > 0 else '−'}{abs(change)}\u202f%")


async def _topics(session: AsyncSession, period: Period, previous: Period, territory: Territory) -> Table:
    titles = dict((await session.execute(select(AdminIntent.name, AdminIntent.title))).all())
    begin, _ = previous.utc_bounds()
    _, end = period.utc_bounds()
    split, _ = period.utc_bounds()
    rows = await session.execute(
        select(Message.conversation_id, Message.intent, Message.created_at, ArtisanProfile.commune_code)
        .outerjoin(ArtisanProfile, ArtisanProfile.conversation_id == Message.conversation_id)
        .where(
            Message.direction == Direction.IN,
            Message.author == Author.ARTISAN,
            Message.intent.is_not(None),
            Message.created_at >= begin,
            Message.created_at < end,
        )
    )
    groups: dict[tuple[str, str], set[str]] = defaultdict(set)
    for conversation_id, intent, created_at, commune_code in rows:
        label = topic_label(intent, titles)
        if label is None or not territory.contains(commune_code):
            continue
        groups[(label, "current" if created_at >= split else "previous")].add(conversation_id)
    labels = {label for label, _ in groups}
    counts = {(label, when): (0, 0) for label in labels for when in ("current", "previous")}
    counts.update(_distinct(groups))
    cells = protect(counts, [], counts_artisans=True)
    ordered = sorted(labels, key=lambda label: (-counts[(label, "current")][0], -counts[(label, "previous")][0], label))
    table_rows = []
    for label in ordered:
        current, before = cells[(label, "current")], cells[(label, "previous")]
        table_rows.append((label, [current, before, trend(current, before)]))
    return Table(
        "Sujets des questions des artisans",
        ["Cette période", "Période précédente", "Évolution"],
        table_rows,
        secret_note(
            cells.values(),
            "Nombre de conversations où le sujet est abordé ; une conversation peut aborder plusieurs sujets."
            if table_rows
            else "Aucune question sur la période.",
        ),
    )


CALLBACK_ROWS = {
    "received": "Demandes de rappel reçues",
    "within": "Rappelées dans le délai promis",
    "late": "En retard (rappelées après le délai, ou pas encore)",
    "waiting": "En attente, délai pas encore échu",
}
CALLS = (CallbackStatus.CALLED_BACK, CallbackStatus.UNREACHABLE)


async def _callbacks(
    session: AsyncSession, period: Period, territory: Territory, now: datetime
) -> tuple[Table, str]:
    begin, end = period.utc_bounds()
    first_call = (
        select(StatusChange.callback_id, func.min(StatusChange.changed_at).label("called_at"))
        .where(StatusChange.callback_id.is_not(None), StatusChange.to_status.in_(CALLS))
        .group_by(StatusChange.callback_id)
        .subquery()
    )
    rows = await session.execute(
        select(CallbackRequest.conversation_id, CallbackRequest.commune_code, CallbackRequest.due_at,
               first_call.c.called_at)
        .outerjoin(first_call, first_call.c.callback_id == CallbackRequest.id)
        .where(
            CallbackRequest.created_at >= begin,
            CallbackRequest.created_at < end,
            CallbackRequest.status != CallbackStatus.CANCELLED,
        )
    )
    requests: dict[str, list[str]] = {key: [] for key in CALLBACK_ROWS}
    for conversation_id, commune_code, due_at, called_at in rows:
        if not territory.contains(commune_code):
            continue
        requests["received"].append(conversation_id)
        if called_at is not None:
            called_at = called_at if called_at.tzinfo else called_at.replace(tzinfo=UTC)
            requests["within" if called_at <= due_at else "late"].append(conversation_id)
        else:
            requests["late" if due_at < now else "waiting"].append(conversation_id)
    counts = {key: (len(found), len(set(found))) for key, found in requests.items()}
    cells = protect(counts, [Sum("received", ["within", "late", "waiting"])])
    within, late = cells["within"].value, cells["late"].value
    percent = NO_FIGURE if within is None or late is None or within + late == 0 else (
        f"{round(within * 100 / (within + late))}\u202f%"
    )
    note = (
        f"Rappelées dans le délai promis : {percent} des demandes dont le délai est échu."
        if percent != NO_FIGURE
        else None
    )
    table = Table(
        "Demandes de rappel",
        ["Demandes"],
        [(label, [cells[key]]) for key, label in CALLBACK_ROWS.items()],
        secret_note(cells.values(), note),
    )
    return table, percent


MASK_ROWS = {"pledged": "Promis", "collected": "Collectés", "handed": "Remis à la préfecture"}


async def _masks(
    session: AsyncSession, period: Period, territory: Territory
) -> tuple[Table, list[tuple[date, int | None, int | None, int | None]]]:
    first_collected = (
        select(StatusChange.pledge_id, func.min(StatusChange.changed_at).label("collected_at"))
        .where(StatusChange.pledge_id.is_not(None), StatusChange.to_status == PledgeStatus.COLLECTED)
        .group_by(StatusChange.pledge_id)
        .subquery()
    )
    rows = await session.execute(
        select(MaskPledge.conversation_id, MaskPledge.commune_code, MaskPledge.quantity, MaskPledge.created_at,
               MaskPledge.handed_over_at, first_collected.c.collected_at)
        .outerjoin(first_collected, first_collected.c.pledge_id == MaskPledge.id)
        .where(MaskPledge.status != PledgeStatus.CANCELLED)
    )
    # Per kind: (Paris day, masks, conversation) of each event within the period.
    events: dict[str, list[tuple[date, int, str]]] = {key: [] for key in MASK_ROWS}
    for conversation_id, commune_code, quantity, created_at, handed_over_at, collected_at in rows:
        if not territory.contains(commune_code):
            continue
        collected = [moment for moment in (collected_at, handed_over_at) if moment is not None]
        for kind, moment in (
            ("pledged", created_at),
            ("collected", min(collected, default=None)),
            ("handed", handed_over_at),
        ):
            if moment is None:
                continue
            day = _paris_day(moment)
            if period.contains(day):
                events[kind].append((day, quantity, conversation_id))
    counts = {}
    for kind, found in events.items():
        artisans = len({conversation for _, _, conversation in found})
        counts[(kind, "pledges")] = (len(found), artisans)
        counts[(kind, "masks")] = (sum(quantity for _, quantity, _ in found), artisans)
    cells = protect(counts, [])
    table = Table(
        "Masques donnés",
        ["Promesses", "Masques"],
        [(label, [cells[(kind, "pledges")], cells[(kind, "masks")]]) for kind, label in MASK_ROWS.items()],
        secret_note(cells.values()),
    )
    series = {kind: cumulative(period.days(), found) for kind, found in events.items()}
    chart = [
        (day, series["pledged"][n], series["collected"][n], series["handed"][n]) for n, day in enumerate(period.days())
    ]
    return table, chart


def cumulative(days: list[date], events: list[tuple[date, int, str]]) -> list[int | None]:
    """The running total of `events` (day, masks, conversation) at the end of each day, shown only where the
    artisans added since the last point shown are none or at least THRESHOLD: the difference of two points
    shown never singles anybody out. The last day's point is the period's total, shown when at least THRESHOLD
    artisans are behind it."""
    by_day: dict[date, list[tuple[int, str]]] = defaultdict(list)
    for day, quantity, conversation in events:
        by_day[day].append((quantity, conversation))
    points: list[int | None] = []
    shown: list[int] = []  # indexes of the points shown
    running = 0
    since: set[str] = set()  # artisans since the last point shown
    for index, day in enumerate(days):
        for quantity, conversation in by_day.get(day, []):
            running += quantity
            since.add(conversation)
        if not since or len(since) >= THRESHOLD:
            points.append(running)
            shown.append(index)
            since = set()
        else:
            points.append(None)
    if since and len({conversation for _, _, conversation in events}) >= THRESHOLD:
        # The last days' few artisans: the period's total would give them back against the last point shown,
        # so points go, from the last, until the total's difference with the last one left is at least
        # THRESHOLD artisans. (When the total is hidden, fewer than THRESHOLD in all, only zeros were shown.)
        while shown and len(_artisans_after(days, by_day, shown[-1])) < THRESHOLD:
            points[shown.pop()] = None
        points[-1] = running
    return points


def _artisans_after(days: list[date], by_day: dict[date, list[tuple[int, str]]], index: int) -> set[str]:
    """The artisans of the days after the `index`th."""
    return {conversation for day in days[index + 1:] for _, conversation in by_day.get(day, [])}


async def _initiatives(session: AsyncSession, period: Period, territory: Territory) -> Table:
    _, end = period.utc_bounds()
    rows = await session.execute(
        select(Initiative.id, Initiative.conversation_id, Initiative.category, InitiativeCommune.commune_code)
        .join(InitiativeCommune, InitiativeCommune.initiative_id == Initiative.id)
        .where(
            Initiative.status.in_((InitiativeStatus.APPROVED, InitiativeStatus.EXPIRED)),
            Initiative.approved_at.is_not(None),
            Initiative.approved_at < end,
            Initiative.ends_on >= period.start,
        )
    )
    serving: dict[int, tuple[str, str]] = {}
    for initiative_id, conversation_id, category, commune_code in rows:
        if territory.contains(commune_code):
            serving[initiative_id] = (conversation_id, category)
    by_category: dict[str, list[str]] = {key: [] for key in CATEGORIES}
    for conversation_id, category in serving.values():
        by_category.setdefault(category if category in CATEGORIES else "autre", []).append(conversation_id)
    counts = {key: (len(found), len(set(found))) for key, found in by_category.items()}
    everyone = [c for found in by_category.values() for c in found]
    counts["total"] = (len(everyone), len(set(everyone)))
    cells = protect(counts, [Sum("total", list(CATEGORIES))])
    return Table(
        "Initiatives solidaires actives",
        ["Initiatives"],
        [(label, [cells[key]]) for key, label in CATEGORIES.items()] + [("Total", [cells["total"]])],
        secret_note(
            cells.values(), "Initiatives publiées pendant la période, qui servent au moins une commune du territoire."
        ),
    )


def _paris_day(moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(PARIS).date()

