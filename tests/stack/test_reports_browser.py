"""A partner in a real browser (headless Chromium): it logs in, lands on its report, sees its territory's figures
with "< 5" where few artisans are behind them, downloads the PDF, and is refused the advisers' pages.

A light stack: the gateway runs in-process on a temporary SQLite database (the staff browser tests' way); Rasa and
the action server are not needed for these pages.
"""

from __future__ import annotations

import io
from datetime import date

import aiohttp
import pypdf
import pytest
from playwright.async_api import expect

from bot import appkeys
from bot.app import create_app
from bot.storage import create_sessionmaker
from tests.bot.conftest import PASSWORD, FakeClock, fast_passwords, staff_settings
from tests.bot.reports.conftest import GIVRY, MACON, MERCUREY, World, paris

PHONE = {"width": 360, "height": 740}
MONDAY = date(2020, 4, 6)  # the clock: Monday 6 April 2020, 11:00 in Paris


@pytest.fixture
async def gateway(aiohttp_client, sqlite_url: str):
    """The gateway alone, on a real port, with a mayor's account for Givry and Mercurey and a week of figures."""
    app = create_app(staff_settings(sqlite_url, FakeClock()))
    app[appkeys.PASSWORDS] = fast_passwords()
    client = await aiohttp_client(app, cookie_jar=aiohttp.DummyCookieJar())
    await app[appkeys.STAFF_ACCOUNTS].create(
        "mairie@givry.fr", PASSWORD, "partner", territory=[GIVRY, MERCUREY], territory_label="Givry, Mercurey"
    )
    world = World(create_sessionmaker(app[appkeys.DATABASE]))
    for commune, count in ((GIVRY, 7), (MERCUREY, 2), (MACON, 12)):
        for _ in range(count):
            artisan = await world.artisan(commune, "services")
            await world.says(artisan, paris(MONDAY, 8), "faq_activite_partielle")
            await world.answer(MONDAY, "arretee", "salaries", "services", commune)
    return client


async def log_in(page, base: str) -> None:
    await page.goto(f"{base}/staff/")
    await page.get_by_label("Adresse e-mail").fill("mairie@givry.fr")
    await page.get_by_label("Mot de passe").fill(PASSWORD)
    await page.click("button:has-text('Se connecter')")


async def test_a_partner_sees_its_report_downloads_it_and_is_refused_elsewhere(gateway, chromium) -> None:
    base = str(gateway.server.make_url("")).rstrip("/")
    context = await chromium.new_context(accept_downloads=True)
    page = await context.new_page()
    await log_in(page, base)

    await expect(page).to_have_url(f"{base}/staff/reports/")
    await expect(page.locator("h1")).to_have_text("Rapport Givry, Mercurey")
    await expect(page.locator("nav.nav a")).to_have_text(["Rapports"])
    await expect(page.locator("select[name=territory]")).to_have_count(0)
    topics = page.locator("#table-topics tbody tr").first
    await expect(topics).to_contain_text("Chômage partiel")
    await expect(topics.locator("td").first).to_have_text("9")  # 7 + 2, not Mâcon's 12
    await expect(page.locator("#table-by-place")).to_contain_text("< 5")  # Mercurey's 2
    await expect(page.locator("#topics-chart")).to_be_visible()
    await expect(page.locator("#map svg")).to_be_visible()
    assert "Mâcon" not in await page.locator("#section-barometer").inner_text()

    await page.get_by_label("Du", exact=True).fill("2020-04-12")
    await page.get_by_label("Au", exact=True).fill("2020-04-06")
    await page.click("button:has-text('Afficher')")
    await expect(page.locator("#report-error")).to_contain_text("avant")
    await expect(page.get_by_label("Du", exact=True)).to_have_value("2020-04-12")

    await page.get_by_label("Du", exact=True).fill("2020-04-06")
    await page.get_by_label("Au", exact=True).fill("2020-04-12")
    await page.click("button:has-text('Afficher')")
    async with page.expect_download() as info:
        await page.click("#download-pdf")
    download = await info.value
    assert download.suggested_filename == "rapport-givry-mercurey-2020-04-06-2020-04-12.pdf"
    text = " ".join(
        " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(open(await download.path(), "rb").read())).pages).split()
    )
    assert "Rapport Givry, Mercurey" in text and "Chômage partiel 9" in text

    for path in ("/staff/callbacks", "/staff/console", "/staff/dashboard", "/staff/admin/"):
        response = await page.goto(f"{base}{path}")
        assert response.status == 403, path
        await expect(page.locator("h1")).to_have_text("Accès refusé")
    await page.goto(f"{base}/staff/reports/")
    await page.click("button:has-text('Se déconnecter')")
    await expect(page).to_have_url(f"{base}/staff/login")


async def test_the_report_fits_a_phone(gateway, chromium) -> None:
    base = str(gateway.server.make_url("")).rstrip("/")
    page = await (await chromium.new_context(viewport=PHONE, is_mobile=True)).new_page()
    await log_in(page, base)
    await expect(page.locator("h1")).to_have_text("Rapport Givry, Mercurey")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    labels = await page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(e => !e.labels.length && !e.closest('label')).length"
    )
    assert labels == 0, "every field has its label"
