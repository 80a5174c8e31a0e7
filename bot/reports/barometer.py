"""This module contains the barometer's figures of a report: the answers by trade category, by commune (or EPCI
for the whole department) and by need, and the map's points, all protected together with the department's
whole hierarchy (communes, EPCIs, the department, the territory)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.reports.period import Period
from bot.reports.suppression import Cell, Sum, protect
from bot.reports.tables import Table, secret_note
from bot.reports.territory import Territory, epci_choices
from bot.shared.communes import CommuneTable, normalize_name
from bot.storage.models import Activity, BarometerAnswer, Need, TradeCategory

__all__ = ["ACTIVITIES", "NEEDS", "TRADES", "BarometerTables", "barometer_tables"]

ACTIVITIES = {Activity.STOPPED: "Arrêtée", Activity.REDUCED: "Réduite", Activity.NORMAL: "Normale"}
TOTAL = "Total"
COLUMNS = [*ACTIVITIES.values(), TOTAL]
TRADES = {
    TradeCategory.FOOD: "Alimentation",
    TradeCategory.BUILDING: "Bâtiment",
    TradeCategory.PRODUCTION: "Production",
    TradeCategory.SERVICES: "Services",
    None: "Secteur non précisé",
}
NEEDS = {
    Need.CASH: "Trésorerie",
    Need.STAFF: "Salariés",
    Need.RENT: "Loyer et charges",
    Need.SUPPLY: "Approvisionnement",
    Need.CUSTOMERS: "Clients",
    Need.OTHER: "Autre",
    None: "Sans réponse",
}
UNKNOWN_COMMUNE = "Commune non précisée"
NO_EPCI = "Communes hors EPCI"
_KINDS = [*ACTIVITIES, "total"]


@dataclass(frozen=True)
class BarometerTables:
    by_trade: Table
    by_place: Table
    needs: Table
    map_points: list[tuple[float, float, str, int]]


async def barometer_tables(
    session: AsyncSession, communes: CommuneTable, period: Period, territory: Territory
) -> BarometerTables:
    """The barometer's tables of `territory` over `period` (see bot.reports.figures for what they count).

    The department's figures are protected first, whatever the territory: its communes, EPCIs, trades and
    needs, as the department's report shows them (its map, its tables). A partner's communes keep what is hidden
    there, and their own totals, trades and needs are protected on top."""
    answers = (
        await session.execute(
            select(BarometerAnswer.activity, BarometerAnswer.need, BarometerAnswer.trade_category,
                   BarometerAnswer.commune_code)
            .where(BarometerAnswer.answered_on >= period.start, BarometerAnswer.answered_on <= period.end)
        )
    ).all()
    answers = [
        (activity, need if need in NEEDS else None, trade if trade in TRADES else None,
         communes.by_code(code) if code else None)
        for activity, need, trade, code in answers
        if activity in ACTIVITIES
    ]
    with_answers = {commune.insee_code for *_, commune in answers if commune is not None}
    ordered = sorted(with_answers, key=lambda code: normalize_name(communes.by_code(code).name))

    # The department's system: every level, and its trades and needs.
    counts: Counter[Hashable] = Counter()
    for activity, need, trade, commune in answers:
        places = [("department", None), ("trade", trade)]
        if commune is None:
            places.append(("unknown", None))
        else:
            places += [("commune", commune.insee_code), ("epci", commune.epci_code)]
        for level, name in places:
            counts[(level, name, activity)] += 1
            counts[(level, name, "total")] += 1
        counts[("need", need)] += 1
    by_epci: dict[str | None, list[str]] = {}
    for code in ordered:
        by_epci.setdefault(communes.by_code(code).epci_code, []).append(code)
    places = [("department", None), ("unknown", None), *(("trade", t) for t in TRADES)]
    places += [("epci", code) for code, _ in epci_choices(communes)] + [("epci", None)]
    places += [("commune", code) for code in ordered]
    sums = _grid_sums(places, ("department", None), [("commune", c) for c in ordered], by_epci)
    cells = protect(_values(counts, places), sums, counts_artisans=True)
    top = ("department", None)

    if not territory.whole:
        # The territory's own totals, trades and needs, over the department's protected communes.
        mine = [code for code in ordered if territory.contains(code)]
        local: Counter[Hashable] = Counter()
        for activity, need, trade, commune in answers:
            if commune is None or commune.insee_code not in territory.communes:
                continue
            for level, name in [("territory", None), ("trade", trade), ("commune", commune.insee_code)]:
                local[(level, name, activity)] += 1
                local[(level, name, "total")] += 1
            local[("need", need)] += 1
        top = ("territory", None)
        places = [top, *(("trade", t) for t in TRADES), *(("commune", c) for c in mine)]
        sums = _grid_sums(places, top, [("commune", c) for c in mine], None)
        kept = {key: cell for key, cell in cells.items() if key[0] == "commune"}
        cells = protect(_values(local, places), sums, counts_artisans=True, hidden=kept)

    def row(level: str, name: str | None) -> list[Cell]:
        return [cells[(level, name, kind)] for kind in _KINDS]

    trade_rows = [(label, row("trade", t)) for t, label in TRADES.items()] + [(TOTAL, row(*top))]
    if territory.whole:
        place_rows = [(name, row("epci", code)) for code, name in epci_choices(communes)]
        if counts[("epci", None, "total")]:
            place_rows.append((NO_EPCI, row("epci", None)))
        if counts[("unknown", None, "total")]:
            place_rows.append((UNKNOWN_COMMUNE, row("unknown", None)))
        place_title, place_note = "Baromètre par intercommunalité", None
    else:
        place_rows = [(communes.by_code(code).name, row("commune", code)) for code in ordered
                      if territory.contains(code)]
        place_title, place_note = "Baromètre par commune", "Les communes sans réponse ne sont pas listées."
    place_rows.append((TOTAL, row(*top)))
    need_rows = [(label, [cells[("need", need)]]) for need, label in NEEDS.items()]
    need_rows.append((TOTAL, [cells[(*top, "total")]]))

    map_points = []
    for code in ordered:
        commune, cell = communes.by_code(code), cells.get(("commune", code, "total"))
        if territory.contains(code) and cell.value and commune.latitude is not None and commune.longitude is not None:
            map_points.append((commune.latitude, commune.longitude, commune.name, cell.value))

    def cells_of(rows: list[tuple[str, list[Cell]]]) -> list[Cell]:
        return [c for _, found in rows for c in found]

    how = "Réponses des artisans au baromètre (« Où en est votre activité ? »), une par artisan et par semaine au plus."
    return BarometerTables(
        by_trade=Table("Baromètre par secteur", COLUMNS, trade_rows, secret_note(cells_of(trade_rows), how)),
        by_place=Table(place_title, COLUMNS, place_rows, secret_note(cells_of(place_rows), place_note)),
        needs=Table("Besoin principal", ["Réponses"], need_rows, secret_note(cells_of(need_rows))),
        map_points=map_points,
    )


def _values(counts: Counter, places: list[tuple[str, str | None]]) -> dict[Hashable, tuple[int, int]]:
    """The cells of these places (every activity and the total) and of the needs, as `protect` takes them: an
    answer is an artisan."""
    keys = [(level, name, kind) for level, name in places for kind in _KINDS] + [("need", n) for n in NEEDS]
    return {key: (counts[key], counts[key]) for key in keys}


def _grid_sums(
    places: list[tuple[str, str | None]],
    top: tuple[str, None],
    communes: list[tuple[str, str]],
    by_epci: dict[str | None, list[str]] | None,
) -> list[Sum]:
    """What adds up: each place's activities to its total; the trades, and the needs, to the top's; the
    communes to their EPCI and the EPCIs (with the unknown communes) to the department (`by_epci`), or the
    communes to the top (a territory)."""
    sums = [Sum((level, name, "total"), [(level, name, a) for a in ACTIVITIES]) for level, name in places]
    for kind in _KINDS:
        sums.append(Sum((*top, kind), [("trade", t, kind) for t in TRADES]))
        if by_epci is None:
            sums.append(Sum((*top, kind), [(*c, kind) for c in communes]))
            continue
        sums += [Sum(("epci", epci, kind), [("commune", c, kind) for c in found]) for epci, found in by_epci.items()]
        sums.append(Sum((*top, kind), [("epci", e, kind) for e in by_epci] + [("unknown", None, kind)]))
    sums.append(Sum((*top, "total"), [("need", n) for n in NEEDS]))
    return sums
