"""The public page of the solidarity initiatives in a real browser (headless Chromium) on a phone: filter by commune
and category, report one, and see it leave the page.

A light stack: the gateway runs in-process on a temporary SQLite database (the staff browser tests' way); Rasa and
the action server are not needed for this page.
"""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import expect

from bot import appkeys
from bot.app import create_app
from bot.storage.audit import Actor
from bot.storage.message_log import Inbound
from tests.bot.conftest import FakeClock, fast_passwords, staff_settings
from tests.bot.initiatives.conftest import AUTUN, CLUNY, MACON, proposal

PHONE = {"width": 360, "height": 740}
STAFF = Actor(None, "conseillere@cma-exemple.fr")


@pytest.fixture
async def gateway(aiohttp_client, sqlite_url: str):
    """The gateway alone, listening on a real port, with three public initiatives."""
    app = create_app(staff_settings(sqlite_url, FakeClock()))
    app[appkeys.PASSWORDS] = fast_passwords()
    client = await aiohttp_client(app, cookie_jar=aiohttp.DummyCookieJar())
    service = app[appkeys.INITIATIVES]
    for chat, code, category, text in (
        ("1", MACON, "courses", "Je livre les courses des soignants de Mâcon le soir."),
        ("2", AUTUN, "transport", "Je conduis les soignants d’Autun à l’hôpital."),
        ("3", CLUNY, "repas", "Je prépare des repas pour les personnes âgées de Cluny."),
    ):
        stored = await app[appkeys.MESSAGE_LOG].store_inbound(Inbound("telegram", chat, "je veux aider"))
        made = await service.propose(
            stored.conversation.id, proposal(commune_codes=[code], category=category, description=text)
        )
        await service.approve(made.id, STAFF)
    return client


async def test_on_a_phone_filter_report_and_see_it_leave(gateway, chromium) -> None:
    base = str(gateway.server.make_url("")).rstrip("/")
    page = await (await chromium.new_context(viewport=PHONE, is_mobile=True, java_script_enabled=False)).new_page()
    await page.goto(f"{base}/initiatives")
    cards = page.locator("#initiatives li.initiative")
    await expect(cards).to_have_count(3)
    await expect(page.locator("h1")).to_have_text("Initiatives solidaires des artisans")
    assert '<html lang="fr">' in await page.content()  # JavaScript off: the page works without it

    await page.get_by_label("Votre commune").fill("Autun")
    await page.click("button:has-text('Afficher')")
    await expect(page.locator("#count")).to_contain_text("pour Autun et alentour")
    await expect(cards.first).to_contain_text("Je conduis les soignants d’Autun")

    await page.get_by_label("Catégorie").select_option("transport")
    await page.click("button:has-text('Afficher')")
    await expect(cards).to_have_count(1)
    card = cards.first
    reference = await card.get_attribute("data-reference")
    await expect(card).to_contain_text("Transport")
    await expect(card.locator("a[href^='tel:']")).to_have_text("06 12 34 56 78")

    await page.get_by_label("Votre commune").fill("Atlantide")
    await page.click("button:has-text('Afficher')")
    await expect(page.locator("#message")).to_contain_text("Nous ne trouvons pas la commune « Atlantide »")
    await expect(cards).to_have_count(1)  # the category still applies

    await card.locator("summary").click()
    await card.get_by_label("Le contact est faux ou ne répond pas").check()
    await card.locator("textarea").fill("Le numéro sonne dans le vide.")
    await card.locator("button:has-text('Envoyer le signalement')").click()
    await expect(page.locator("#thanks")).to_contain_text(f"L’initiative {reference} n’est plus affichée")

    await page.click("text=Retour aux initiatives")
    await expect(cards).to_have_count(2)
    await expect(page.locator(f"[data-reference='{reference}']")).to_have_count(0)
    found = await gateway.app[appkeys.INITIATIVES].get(int(reference.split("-")[1]))
    assert (found[0].status, found[0].reports) == ("pending", 1)


async def test_the_page_fits_a_phone(gateway, chromium) -> None:
    base = str(gateway.server.make_url("")).rstrip("/")
    page = await (await chromium.new_context(viewport=PHONE, is_mobile=True)).new_page()
    await page.goto(f"{base}/initiatives?commune=71270")
    await expect(page.locator("#initiatives li.initiative")).to_have_count(3)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "no sideways scrolling"
    assert await page.evaluate("document.documentElement.lang") == "fr"
    await expect(page.locator("#map svg")).to_be_visible()
    labels = await page.evaluate(
        "[...document.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(e => !e.labels.length && !e.closest('label')).length"
    )
    assert labels == 0, "every field has its label"
