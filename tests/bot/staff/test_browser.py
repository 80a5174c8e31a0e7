"""An adviser in a real browser (headless Chromium, the system's): log in, open the queue, mark a callback called back.

The gateway runs in-process (the staff tests' app, on a temporary SQLite database); Rasa is not needed (port 9).
"""

from __future__ import annotations

import pytest
from playwright.async_api import expect
from sqlalchemy import select

from bot import appkeys
from bot.storage.models import CallbackRequest, StatusChange


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 360, "height": 740}], ids=["laptop", "phone"])
async def test_an_adviser_marks_a_callback_called_back(client, agent, password, seed, chromium, viewport) -> None:
    app = client.app
    callback_id = await seed.callback(name="Éloïse Bénard")
    reference = f"RAP-{callback_id:06d}"
    base = str(client.server.make_url("")).rstrip("/")  # the test client's server listens on a real port

    page = await (await chromium.new_context(viewport=viewport)).new_page()
    await page.goto(f"{base}/staff/callbacks")
    await expect(page).to_have_url(f"{base}/staff/login?next=/staff/callbacks")
    await page.fill("#email", agent.email)
    await page.fill("#password", password)
    await page.click("button:has-text('Se connecter')")

    await expect(page).to_have_url(f"{base}/staff/callbacks")
    await expect(page.locator("table.queue")).to_contain_text("Éloïse Bénard")
    await page.click(f"text={reference}")
    await expect(page.locator("h1")).to_contain_text(reference)
    await expect(page.locator("#status")).to_contain_text("Nouvelle")

    await page.click("button:has-text('M’attribuer')")
    await expect(page.locator("#status")).to_contain_text("En cours")
    await page.fill("#note", "Rappelée à 11h, dossier PGE envoyé")
    await page.click("button:has-text('Rappelé')")

    await expect(page.locator(".done")).to_contain_text("Le statut est enregistré.")
    await expect(page.locator("#status")).to_contain_text("Rappelé")
    await expect(page.locator("table")).to_contain_text("En cours → Rappelé")
    await expect(page.locator("table")).to_contain_text("Rappelée à 11h, dossier PGE envoyé")
    if viewport["width"] < 400:
        assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]

    async with app[appkeys.REQUEST_DESK]._sessionmaker() as session:
        row = await session.get(CallbackRequest, callback_id)
        changes = list(await session.scalars(select(StatusChange)))
    assert (row.status, row.assigned_to_id, row.note) == ("called_back", agent.id, "Rappelée à 11h, dossier PGE envoyé")
    assert len(changes) == 2
