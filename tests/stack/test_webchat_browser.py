"""The web chat in a real browser (headless Chromium, the system's), on a phone-sized screen, against the real stack."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

pytestmark = pytest.mark.stack

async def phone(browser: Browser) -> Page:
    context = await browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    return await context.new_page()


async def say(page: Page, text: str) -> None:
    await page.fill("#input", text)
    await page.keyboard.press("Enter")


async def test_an_artisan_chats_taps_a_button_and_finds_the_conversation_after_a_reload(stack, chromium) -> None:
    page = await phone(chromium)
    await page.goto(stack.url)
    bot = page.locator("#log .msg.bot .bubble")  # not the typing indicator
    await expect(bot.first).to_contain_text("Bonjour")  # the page's own welcome, nothing sent yet

    await say(page, "bonjour")
    await expect(page.locator(".msg.user").last).to_contain_text("bonjour")
    await expect(bot.nth(1)).to_contain_text("Chambre de Métiers")
    choice = page.locator("button.choice", has_text="PGE").first
    await expect(choice).to_be_visible()

    await choice.tap()
    await expect(page.locator(".msg.user").last).to_contain_text("PGE")  # the title, not the payload
    await expect(bot.last).to_contain_text("25 %")

    await say(page, "chomage partiel pr mon apprenti c possible ?")
    await expect(bot.last).to_contain_text("apprenti")
    link = bot.last.locator("a[href^='http']")
    if await link.count():
        assert await link.first.get_attribute("rel") == "noopener"

    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, "no sideways scrolling on a phone"

    await page.reload()
    await expect(page.locator(".msg.user")).to_have_count(3)
    await expect(page.locator(".msg.user").nth(1)).to_contain_text("Prêt garanti")
    await expect(bot.last).to_contain_text("apprenti")


async def test_an_empty_message_is_not_sent_and_the_composer_stays_usable(stack, chromium) -> None:
    page = await phone(chromium)
    await page.goto(stack.url)
    await say(page, "   ")
    await page.wait_for_timeout(300)
    await expect(page.locator(".msg.user")).to_have_count(0)
    await say(page, "merci")
    await expect(page.locator("#log .msg.bot .bubble").last).to_contain_text("Je vous en prie")
    await expect(page.locator(".msg.user")).to_have_count(1)
