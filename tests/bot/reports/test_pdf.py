"""The report's PDF: laid out by WeasyPrint from the page's figures, in DejaVu, its text read back with pypdf; and the
page's French refusal when it cannot be made."""

from __future__ import annotations

import http.server
import io
import re
import threading
from datetime import date

import pypdf
import pytest

from bot import appkeys
from bot.reports import pdf as report_pdf_module
from bot.reports.pdf import PdfUnavailable, html_to_pdf
from bot.storage import create_sessionmaker
from tests.bot.conftest import PASSWORD
from tests.bot.reports.conftest import GIVRY, MACON, MERCUREY, World, paris

MONDAY = date(2020, 4, 6)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_fonts(data: bytes) -> set[str]:
    fonts = set()
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    return fonts


@pytest.fixture
async def partner_with_figures(client, accounts):
    partner = await accounts.create(
        "mairie@givry.fr", PASSWORD, "partner", territory=[GIVRY, MERCUREY], territory_label="Givry, Mercurey"
    )
    world = World(create_sessionmaker(client.app[appkeys.DATABASE]))
    for commune, count in ((GIVRY, 7), (MERCUREY, 3), (MACON, 11)):
        for _ in range(count):
            artisan = await world.artisan(commune, "batiment")
            await world.says(artisan, paris(MONDAY, 8), "faq_fonds_solidarite")
            await world.pledge(artisan, commune, 40, paris(MONDAY, 9))
    return partner


async def test_the_pdf_has_the_pages_figures_in_dejavu(browser, partner_with_figures) -> None:
    await browser.login(partner_with_figures.email)
    response = await browser.get("/staff/reports/rapport.pdf?from=2020-04-06&to=2020-04-12")
    assert response.status == 200 and response.content_type == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="rapport-givry-mercurey-2020-04-06-2020-04-12.pdf"'
    )
    data = await response.read()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    flat = " ".join(text.split())
    assert "Rapport Givry, Mercurey" in flat
    assert "Du lundi 6 avril au dimanche 12 avril 2020" in flat
    assert "Sujets des questions des artisans" in flat and "Masques donnés" in flat
    assert re.search(r"Fonds de solidarité 10 0 nouveau", flat), flat  # Givry's 7 and Mercurey's 3, not Mâcon's
    assert re.search(r"Promis 10 400", flat), "10 pledges of 40 masks"
    assert "Baromètre par secteur" in flat and "Initiatives solidaires actives" in flat
    assert "« < 5 »" in flat or "< 5" in flat
    assert "Page 1 sur" in flat
    assert "Mâcon" not in flat.replace("Mâconnais", "")
    assert "+33385000000" not in flat and "03 85 00 00 00" not in flat
    assert {font.split("+")[-1] for font in pdf_fonts(data)} == {"DejaVu-Sans", "DejaVu-Sans-Bold"}


async def test_staff_get_the_pdf_of_the_department(browser, agent, partner_with_figures) -> None:
    await browser.login(agent.email)
    response = await browser.get("/staff/reports/rapport.pdf")
    flat = " ".join(pdf_text(await response.read()).split())
    assert "Rapport Saône-et-Loire" in flat and re.search(r"Fonds de solidarité 21 0 nouveau", flat)


def test_nothing_is_fetched_while_laying_out() -> None:
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            asked.append(self.path)
            self.send_response(404)
            self.end_headers()

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        html = (f'<html><head><link rel="stylesheet" href="{url}/style.css"></head><body><p>Texte</p>'
                f'<img src="{url}/x.png"><img src="file:///etc/hostname"></body></html>')
        assert "Texte" in pdf_text(html_to_pdf(html))
    finally:
        server.shutdown()
    assert asked == []


async def test_without_weasyprint_the_page_says_so_and_keeps_the_figures(browser, partner_with_figures, monkeypatch) -> None:
    def unavailable(html: str) -> bytes:
        raise PdfUnavailable(PdfUnavailable.message)

    monkeypatch.setattr(report_pdf_module, "html_to_pdf", unavailable)
    await browser.login(partner_with_figures.email)
    response = await browser.get("/staff/reports/rapport.pdf")
    page = await response.text()
    assert response.status == 503
    assert "Le rapport PDF ne peut pas être produit sur ce serveur" in page
    assert 'id="table-topics"' in page and "Télécharger le rapport (CSV)" in page
