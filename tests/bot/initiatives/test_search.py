"""Finding initiatives for a commune: only the approved ones, not past their end; those serving the commune
first, then the others nearest first; never an initiative's contact before staff approved it."""

from __future__ import annotations

from datetime import date

from bot.initiatives.search import Found, sort_key
from bot.initiatives.wording import entry
from bot.storage.models import Initiative
from bot.shared.communes import Commune, CommuneTable
from tests.bot.initiatives.conftest import ADVISER, AUTUN, CHARNAY, CLUNY, COMMUNES, MACON, SANCE, World


async def _one_each(world: World) -> dict[str, Initiative]:
    """An approved initiative serving each commune, proposed farthest first."""
    made = {}
    for number, code in enumerate([AUTUN, CLUNY, CHARNAY, SANCE, MACON]):
        made[code] = await world.approved(
            await world.artisan(f"chat{number}"), commune_codes=[code], phone=f"+3361234560{number}"
        )
    return made


async def test_the_commune_served_comes_first_then_the_nearest(world: World) -> None:
    made = await _one_each(world)

    found, total = await world.initiatives.search(MACON, None, 0, 10)

    assert total == 5
    assert [item.initiative.id for item in found] == [made[c].id for c in (MACON, SANCE, CHARNAY, CLUNY, AUTUN)]
    assert [item.here for item in found] == [True, False, False, False, False]
    assert [item.nearness for item in found] == [0, 1, 2, 3, 4]
    assert found[0].distance_km == 0 and 2 < found[1].distance_km < found[2].distance_km < 5  # type: ignore[operator]
    assert 70 < found[4].distance_km < 90  # type: ignore[operator]


async def test_pages_of_results(world: World) -> None:
    made = await _one_each(world)
    first, total = await world.initiatives.search(MACON, None, 0, 2)
    second, _ = await world.initiatives.search(MACON, None, 2, 2)
    last, _ = await world.initiatives.search(MACON, None, 4, 2)
    assert total == 5
    assert [i.initiative.id for i in first + second + last] == [
        made[c].id for c in (MACON, SANCE, CHARNAY, CLUNY, AUTUN)
    ]


async def test_an_initiative_serving_several_communes_counts_its_nearest(world: World) -> None:
    far = await world.approved(await world.artisan("a"), commune_codes=[AUTUN, CHARNAY])
    near = await world.approved(await world.artisan("b"), commune_codes=[CLUNY, SANCE])
    here = await world.approved(await world.artisan("c"), commune_codes=[AUTUN, MACON])

    found, _ = await world.initiatives.search(MACON)

    assert [i.initiative.id for i in found] == [here.id, near.id, far.id]


async def test_only_public_initiatives_still_running_are_found(world: World) -> None:
    shown = await world.approved(await world.artisan("a"))
    await world.proposed(await world.artisan("b"), phone="+33699999999")
    refused = await world.proposed(await world.artisan("c"), phone="+33688888888")
    await world.initiatives.refuse(refused.id, ADVISER, "Hors sujet")
    ending = await world.approved(await world.artisan("d"), ends_on="2020-04-07")

    found, total = await world.initiatives.search(MACON)
    assert (total, [i.initiative.id for i in found]) == (2, [ending.id, shown.id])

    world.clock.advance(days=2)  # the 8th: the one ending on the 7th is not found, even before the watch runs
    found, total = await world.initiatives.search(MACON)
    assert (total, [i.initiative.id for i in found]) == (1, [shown.id])
    listed = [entry(i.initiative) for i in found] + [entry(i) for i in await world.initiatives.public()]
    assert not any("+33699999999" in line or "+33688888888" in line for line in listed)


async def test_by_category(world: World) -> None:
    await world.approved(await world.artisan("a"))
    transport = await world.approved(await world.artisan("b"), category="transport")

    found, total = await world.initiatives.search(MACON, "transport")

    assert (total, [i.initiative.id for i in found]) == (1, [transport.id])
    assert [i.id for i in await world.initiatives.public(None, "transport")] == [transport.id]


async def test_the_public_page_lists_the_approved_nearest_first_for_a_commune(world: World) -> None:
    made = await _one_each(world)
    await world.proposed(await world.artisan("waiting"), phone="+33699999999")

    assert [i.id for i in await world.initiatives.public(SANCE)][:2] == [made[SANCE].id, made[MACON].id]
    assert sorted(i.id for i in await world.initiatives.public()) == sorted(i.id for i in made.values())


async def test_an_entry_reads_as_one_line(world: World) -> None:
    initiative = await world.approved(
        await world.artisan(), commune_codes=[MACON, SANCE], website="https://entraide.exemple.fr"
    )
    assert entry(initiative) == (
        "🤝 Je livre les courses des soignants le soir, gratuitement. — Mâcon, Sancé — Pour : Soignants — "
        "Contact : +33612345678 / https://entraide.exemple.fr — jusqu’au 30 juin 2020 (INI-000001)"
    )


def test_kilometres_order_when_the_communes_know_them() -> None:
    class Near:
        def __init__(self, id: int, ends_on: str) -> None:
            self.id, self.ends_on = id, date.fromisoformat(ends_on)

    items = [
        Found(Near(1, "2020-05-01"), False, 12.5, 3),  # type: ignore[arg-type]
        Found(Near(2, "2020-05-01"), True, 0.0, 0),  # type: ignore[arg-type]
        Found(Near(3, "2020-04-20"), False, 12.5, 3),  # type: ignore[arg-type]
        Found(Near(4, "2020-04-20"), False, 3.2, 2),  # type: ignore[arg-type]
        Found(Near(5, "2020-04-20"), False, None, 1),  # type: ignore[arg-type]
        Found(Near(6, "2020-04-20"), False, None, 4),  # type: ignore[arg-type]
    ]
    assert [f.initiative.id for f in sorted(items, key=sort_key)] == [2, 4, 3, 1, 5, 6]


async def test_without_coordinates_the_nearness_orders(world: World) -> None:
    made = await _one_each(world)
    world.initiatives.communes = CommuneTable([
        Commune(c.insee_code, c.name, c.postcodes, c.epci_code, c.epci_name, c.arrondissement)
        for c in COMMUNES.communes
    ])
    found, _ = await world.initiatives.search(MACON, None, 0, 10)
    assert [item.initiative.id for item in found] == [made[c].id for c in (MACON, SANCE, CHARNAY, CLUNY, AUTUN)]
    assert [item.distance_km for item in found] == [0.0, None, None, None, None]
