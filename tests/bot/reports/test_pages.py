"""The report pages as a partner and as staff see them: a partner's own territory only (whatever it asks), staff's
choice of the department or an EPCI, hidden cells shown "< 5", bad dates answered in French with nothing lost, the
CSV download and last week's report."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from html import unescape

import pytest

from bot import appkeys
from bot.storage import create_sessionmaker
from tests.bot.conftest import PASSWORD
from tests.bot.reports.conftest import GIVRY, GRAND_CHALON, MACON, MERCUREY, World, paris

MONDAY = date(2020, 4, 6)  # the tests' clock: Monday 6 April 2020, 11:00 in Paris


@pytest.fixture
async def partner(accounts):
    return await accounts.create(
        "mairie@givry.fr", PASSWORD, "partner", territory=[GIVRY, MERCUREY], territory_label="Givry, Mercurey"
    )


@pytest.fixture
async def town(client) -> World:
    """This week: 6 artisans of Givry and 2 of Mercurey asked about the PGE, 9 of Mâcon too; 3 of Givry asked
    for a callback. Last week: 5 of Givry asked about the PGE."""
    world = World(create_sessionmaker(client.app[appkeys.DATABASE]))
    for commune, count in ((GIVRY, 6), (MERCUREY, 2), (MACON, 9)):
        for _ in range(count):
            artisan = await world.artisan(commune, "alimentation")
            await world.says(artisan, paris(MONDAY, 8), "faq_pge")
            await world.answer(MONDAY, "reduite", "tresorerie", "alimentation", commune)
    for _ in range(5):
        await world.says(await world.artisan(GIVRY), paris(date(2020, 4, 1)), "faq_pge")
    for _ in range(3):
        await world.says(await world.artisan(GIVRY), paris(MONDAY, 9), "request_callback")
    return world


def cells(page: str, table_id: str) -> dict[str, list[str]]:
    """A report table as the page shows it: row label → its cells' texts."""
    table = re.search(rf'<table class="figures" id="{table_id}">(.*?)</table>', page, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S):
        label = re.search(r'<th scope="row">(.*?)</th>', row, re.S)
        if label:
            rows[unescape(label.group(1))] = [unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return rows


async def test_a_partner_sees_its_territory_only_whatever_it_asks(browser, partner, town) -> None:
    await browser.login(partner.email)
    for query in ("", f"?territory=epci:{GRAND_CHALON}", "?territory=departement"):
        response = await browser.get(f"/staff/reports/{query}")
        page = await response.text()
        assert response.status == 200
        assert "<h1>Rapport Givry, Mercurey</h1>" in page
        assert cells(page, "table-topics")["Prêt garanti (PGE)"] == ["8", "5", "+60\u202f%"]
        assert '<select name="territory">' not in page, "a partner chooses no territory"
    assert "Du lundi 6 avril au dimanche 12 avril 2020" in page
    assert cells(page, "table-topics")["Demande de rappel"] == ["< 5", "0", "—"]
    assert "Marie Dupré" not in page and "+33612345678" not in page and "06 12 34 56 78" not in page
    assert 'role="img"' in page and 'id="topics-chart"' in page and 'class="department-map"' in page
    # Neither commune's count can be shown (one "< 5", the other "masqué"): none is on the map.
    assert 'aria-label="Carte : les réponses au baromètre par commune. 0 communes, 0 réponses."' in page
    # Givry's 6 would give Mercurey's 2 back against the total: hidden too.
    assert cells(page, "table-by-place") == {
        "Givry": ["0", "masqué", "0", "masqué"], "Mercurey": ["0", "< 5", "0", "< 5"], "Total": ["0", "8", "0", "8"],
    }
    assert "« masqué » : caché pour qu’aucun total" in page


async def test_staff_choose_the_department_or_an_epci(browser, agent, town) -> None:
    await browser.login(agent.email)
    page = await (await browser.get("/staff/reports/")).text()
    assert "<h1>Rapport Saône-et-Loire</h1>" in page
    assert cells(page, "table-topics")["Prêt garanti (PGE)"][0] == "17"
    assert '<option value="departement">Tout le département</option>' in page
    assert f'<option value="epci:{GRAND_CHALON}">CA Le Grand Chalon</option>' in page
    page = await (await browser.get(f"/staff/reports/?territory=epci:{GRAND_CHALON}")).text()
    assert "<h1>Rapport CA Le Grand Chalon</h1>" in page
    assert f'<option value="epci:{GRAND_CHALON}" selected>' in page
    assert cells(page, "table-topics")["Prêt garanti (PGE)"][0] == "8"
    csv_link = re.search(r'<a href="([^"]+)" id="download-csv"', page).group(1)
    assert unescape(csv_link) == f"/staff/reports/rapport.csv?from=2020-04-06&to=2020-04-12&territory=epci:{GRAND_CHALON}"


@pytest.mark.parametrize(
    "query, error",
    [
        ("?from=2020-04-12&to=2020-04-06", "avant"),
        ("?from=06/04/2020&to=2020-04-12", "illisible : « 06/04/2020 »"),
        ("?from=2019-01-01&to=2020-04-12", "366"),
        ("?territory=Givry", "Territoire inconnu"),
        ("?territory=epci:123", "EPCI inconnu"),
    ],
)
async def test_a_bad_period_or_territory_is_said_in_french_and_what_was_typed_stays(browser, agent, query, error) -> None:
    await browser.login(agent.email)
    for path in ("/staff/reports/", "/staff/reports/rapport.pdf", "/staff/reports/rapport.csv"):
        response = await browser.get(path + query)
        page = await response.text()
        assert response.status == 400 and response.content_type == "text/html"
        message = unescape(re.search(r'<p class="error" role="alert" id="report-error">(.*?)</p>', page).group(1))
        assert error in message
        assert 'id="table-topics"' not in page, "no figure for a report that cannot be read"
    typed = dict(part.split("=", 1) for part in query[1:].split("&"))
    if "from" in typed:
        assert f'name="from" value="{typed["from"]}"' in page and f'name="to" value="{typed["to"]}"' in page


async def test_the_csv_has_every_figure_of_the_partners_territory(browser, partner, town) -> None:
    await browser.login(partner.email)
    response = await browser.get("/staff/reports/rapport.csv?territory=departement")
    assert response.status == 200 and response.content_type == "text/csv"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="rapport-givry-mercurey-2020-04-06-2020-04-12.csv"'
    )
    text = (await response.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert rows[0] == ["tableau", "ligne", "colonne", "valeur"]
    assert ["Rapport", "Territoire", "", "Givry, Mercurey"] in rows
    assert ["Sujets des questions des artisans", "Prêt garanti (PGE)", "Cette période", "8"] in rows
    assert ["Sujets des questions des artisans", "Demande de rappel", "Cette période", "< 5"] in rows


async def test_the_page_links_its_downloads_and_last_weeks_report(browser, partner, town) -> None:
    await browser.login(partner.email)
    page = await (await browser.get("/staff/reports/?territory=departement")).text()
    assert 'href="/staff/reports/rapport.pdf?from=2020-04-06&amp;to=2020-04-12"' in page
    assert "Télécharger le rapport (PDF)" in page and "Télécharger le rapport (CSV)" in page
    assert 'name="from" value="2020-04-06"' in page, "the form shows the period of the figures"
    weekly = re.search(r'<span class="weekly" id="weekly">(.*?)</span>', page, re.S).group(1)
    assert "Rapport hebdomadaire" in weekly and "du lundi 30 mars au dimanche 5 avril 2020" in weekly
    assert 'href="/staff/reports/?from=2020-03-30&amp;to=2020-04-05"' in weekly
    last_week = await (await browser.get("/staff/reports/?from=2020-03-30&to=2020-04-05")).text()
    assert cells(last_week, "table-topics")["Prêt garanti (PGE)"] == ["5", "0", "nouveau"]
