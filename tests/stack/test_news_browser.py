"""The news in real browsers (headless Chromium), on the whole stack: an admin composes, previews and sends a news
item and watches it go; a returning web-chat artisan finds it at the top of the page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from tests.stack.people import PASSWORD, add_adviser

pytestmark = pytest.mark.stack


async def log_in(page: Page, url: str, email: str) -> None:
    await page.goto(f"{url}/staff/login?next=/staff/news")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await expect(page.locator("h1")).to_have_text("Annonces aux artisans")


async def test_an_admin_composes_previews_and_sends_and_a_returning_artisan_sees_it(stack, chromium) -> None:
    # An artisan visits the web chat and subscribes; another only visits (each page remembers the visit).
    artisan = await (await chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)).new_page()
    visitor = await (await chromium.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)).new_page()
    await visitor.goto(stack.url)
    await artisan.goto(stack.url)
    await artisan.fill("#input", "je veux recevoir les infos")
    await artisan.keyboard.press("Enter")
    await artisan.locator("button.choice", has_text="Oui, tous les sujets").click()
    await expect(artisan.locator("#log .msg.bot .bubble").last).to_contain_text("annonces propres à votre commune")
    await artisan.locator("button.choice", has_text="Passer").click()
    await expect(artisan.locator("#log .msg.bot .bubble").last).to_contain_text("tout le département")

    admin = await (await chromium.new_context()).new_page()
    await log_in(admin, stack.url, add_adviser(stack, role="admin"))
    await admin.click("#new-news")
    await admin.fill("#title", "Fermeture des déchetteries le 24 décembre")
    await admin.fill("#text", "Les déchetteries du département ferment à midi le 24 décembre.")
    await admin.select_option("#source", "chambre")
    await admin.fill("#effective_on", "2020-12-24")
    await admin.fill("#link", "https://www.artisanat-bfc.fr")
    await admin.check("input[name=channels][value=rest]")  # only the web chat: the other tests' artisans are spared
    await admin.click("#news-form button[type=submit]")

    await expect(admin.locator("[role=status]")).to_contain_text("Annonce enregistrée (brouillon)")
    await expect(admin.locator("#preview-telegram")).to_contain_text("📰 Fermeture des déchetteries le 24 décembre")
    await expect(admin.locator("#preview-telegram")).to_contain_text("écrivez « stop infos »")
    await expect(admin.locator("#preview-whatsapp-outside")).to_contain_text("WHATSAPP_NEWS_TEMPLATE")
    await expect(admin.locator("#preview-web")).to_contain_text("Chambre de Métiers · en vigueur le 24 décembre 2020")
    reachable = int(await admin.locator("#reachable").inner_text())
    assert reachable >= 1
    await expect(admin.locator("#send")).to_have_text(re.compile(rf"Envoyer maintenant à {reachable} artisans?"))

    asked: list[str] = []

    async def confirm(dialog) -> None:  # type: ignore[no-untyped-def]
        asked.append(dialog.message)
        await dialog.accept()

    admin.on("dialog", confirm)
    await admin.click("#send")
    assert asked and f"à {reachable} artisan" in asked[0]
    await expect(admin.locator("#news-status")).to_have_text("Envoyée", timeout=30_000)
    await expect(admin.locator("#count-sent")).to_have_text(str(reachable))
    width = await admin.locator(".progress .segment.sent").evaluate("node => node.style.width")
    assert width == "100%", "the bar is full"

    # They come back: the subscriber finds it in the conversation, the visitor at the top of the page.
    await artisan.reload()
    await expect(artisan.locator("#log .msg.bot .bubble").last).to_contain_text("📰 Fermeture des déchetteries")
    await expect(artisan.locator(".news-banner")).to_have_count(0)  # not twice
    await visitor.reload()
    banner = visitor.locator(".news-banner")
    await expect(banner).to_contain_text("Nouvelle annonce depuis votre dernière visite")
    await expect(banner).to_contain_text("Fermeture des déchetteries le 24 décembre")
    await expect(banner).to_contain_text("Chambre de Métiers · en vigueur le 24 décembre 2020")
    await expect(banner.locator("a[href='https://www.artisanat-bfc.fr']")).to_have_count(1)
    await visitor.reload()
    await expect(visitor.locator(".news-banner")).to_have_count(0)  # seen: not shown again
