"""Solidarity initiatives on the whole stack: an artisan proposes one on Telegram, nothing of it is public until an
adviser approves it from the staff pages; the artisan is told on Telegram, a web chat visitor near by finds it, the
public page lists it; 14 days later the artisan is asked whether it is still current and answers with a button.
After each of these, the artisan's next two messages get exactly their answers."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import aiohttp
from sqlalchemy import select, update

from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import Initiative
from tests.stack.people import PASSWORD, TelegramArtisan, WhatsAppArtisan, add_adviser, answer, chat, until
from tests.support.stack import Stack, staff_login

import pytest

pytestmark = pytest.mark.stack

PGE = answer("utter_faq_pge")
THANKS = answer("utter_thank")
# Thanks for an FAQ answer bring the barometer's question, once a week per conversation (tests/stack/test_barometer_stack.py).
BAROMETER = answer("utter_barometer_ask_activity")


async def _initiative(stack: Stack, reference: str) -> Initiative:
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return (await session.execute(select(Initiative).where(Initiative.id == int(reference[4:])))).scalar_one()
    finally:
        await engine.dispose()


async def _asked_14_days_ago(stack: Stack, reference: str) -> None:
    """As if the initiative had been approved 15 days ago: the gateway's check (every second here) asks now."""
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            found = await session.get(Initiative, int(reference[4:]))
            await session.execute(
                update(Initiative)
                .where(Initiative.id == found.id)
                .values(last_confirmed_at=found.last_confirmed_at - timedelta(days=15))
            )
    finally:
        await engine.dispose()


async def test_propose_approve_find_and_keep_an_initiative(stack, fake_telegram, db, session) -> None:
    artisan = TelegramArtisan(session, stack, fake_telegram, db)
    # The opening message gives the offer, the commune and for whom: only the contact and the end are asked.
    assert await artisan.say("Je propose des trajets gratuits pour les soignants à Givry") == answer(
        "utter_ask_initiative_contact"
    )
    consent = await artisan.say("06 12 34 56 78")
    assert consent.startswith("Ce contact (") and "06 12 34 56 78" in consent and "Êtes-vous d’accord ?" in consent
    assert await artisan.press("Oui, publiez-le") == answer("utter_ask_initiative_ends_on")
    summary = await artisan.say("dans 2 semaines")
    assert summary.startswith("Voici votre initiative :") and "trajets gratuits" in summary
    assert "– catégorie : Transport" in summary and "– communes : Givry" in summary and "– pour : Soignants" in summary
    submitted = await artisan.press("Confirmer")
    reference = re.search(r"INI-\d{6}", submitted).group(0)
    assert submitted.startswith(f"Merci pour votre initiative ! Elle porte la référence {reference}.")
    assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await artisan.answers_to("merci") == [THANKS, BAROMETER]

    # Not approved: neither the bot nor the public page shows it, nor its contact.
    visitor = f"initiatives-{uuid.uuid4().hex[:8]}"
    before = await chat(session, stack, visitor, "y a-t-il des initiatives solidaires à Givry ?")
    assert before == [answer("utter_no_initiatives").replace("{commune_name}", "Givry")]
    async with session.get(f"{stack.url}/initiatives") as response:
        page = await response.text()
    assert response.status == 200 and reference not in page and "06 12 34 56 78" not in page

    # An adviser approves it from the staff pages; the artisan is told on Telegram.
    staff, csrf = await staff_login(stack.url, add_adviser(stack), PASSWORD)
    try:
        initiative_id = int(reference[4:])
        async with staff.get(f"{stack.url}/staff/initiatives") as response:
            assert response.status == 200 and reference in await response.text()
        url = f"{stack.url}/staff/initiatives/{initiative_id}/approve"
        async with staff.post(url, data={"csrf_token": csrf}, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
    finally:
        await staff.close()
    published = f"Votre initiative {reference} est publiée"
    await until(lambda: _received(artisan, published), 15, "the publication message")
    assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await artisan.answers_to("merci") == [THANKS]

    # A visitor from Chalon finds it, among those near Chalon; the public page lists it with its contact.
    [found] = await chat(session, stack, visitor, "un taxi gratuit pour aller à l'hôpital à Chalon")
    assert found.startswith("Les initiatives solidaires pour Chalon-sur-Saône :")
    assert "Près de Chalon-sur-Saône" in found and "trajets gratuits" in found and reference in found
    assert await chat(session, stack, visitor, "c'est quoi le PGE ?") == [PGE]
    assert await chat(session, stack, visitor, "merci") == [THANKS, BAROMETER]
    async with session.get(f"{stack.url}/initiatives", params={"commune": "Givry"}) as response:
        page = await response.text()
    assert response.status == 200 and "trajets gratuits" in page and "tel:+33612345678" in page

    # 14 days later: "toujours d'actualité ?"; "Oui" keeps it.
    await _asked_14_days_ago(stack, reference)
    question = f"Votre initiative {reference}"
    await until(lambda: _received(artisan, question, "toujours d’actualité"), 15, "the reminder")
    assert await artisan.press("Oui") == answer("utter_initiative_kept")
    kept = await _initiative(stack, reference)
    assert kept.status == "approved" and kept.reminder_sent_at is None
    assert await artisan.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await artisan.answers_to("merci") == [THANKS]


async def _received(artisan: TelegramArtisan, *parts: str) -> bool:
    return any(all(part in text for part in parts) for text in artisan.texts())


async def test_propose_on_whatsapp_and_from_the_web_chats_menu(stack, fake_whatsapp, db, session) -> None:
    whatsapp = WhatsAppArtisan(session, stack, fake_whatsapp, db)
    # The offer and for whom are in the message; the commune is asked.
    assert await whatsapp.say("je peux livrer des courses aux personnes âgées") == answer("utter_ask_initiative_communes")
    assert await whatsapp.say("Tournus") == answer("utter_ask_initiative_contact")
    assert "06 11 22 33 44" in await whatsapp.say("06 11 22 33 44")
    assert await whatsapp.press("Oui, publiez-le") == answer("utter_ask_initiative_ends_on")
    summary = await whatsapp.say("dans 2 semaines")
    assert "– catégorie : Courses et livraison" in summary and "– communes : Tournus" in summary
    assert "– pour : Personnes âgées ou fragiles" in summary
    submitted = await whatsapp.press("Confirmer")
    assert re.search(r"Elle porte la référence INI-\d{6}\.", submitted), submitted
    assert await whatsapp.answers_to("c'est quoi le PGE ?") == [PGE]
    assert await whatsapp.answers_to("merci") == [THANKS, BAROMETER]

    web = f"initiative-{uuid.uuid4().hex[:8]}"
    assert await chat(session, stack, web, "/propose_initiative") == [answer("utter_ask_initiative_description")]
    asked = await chat(session, stack, web, "Je prête ma camionnette pour les déménagements urgents")
    assert asked == [answer("utter_ask_initiative_category")]
    assert await chat(session, stack, web, '/inform{"initiative_category":"materiel"}') == [
        answer("utter_ask_initiative_communes")
    ]
    assert await chat(session, stack, web, "Buxy") == [answer("utter_ask_initiative_audience")]
    assert await chat(session, stack, web, '/inform{"initiative_audience":"tous"}') == [
        answer("utter_ask_initiative_contact")
    ]
    [consent] = await chat(session, stack, web, "https://www.menuiserie-buxy.fr")
    assert "www.menuiserie-buxy.fr" in consent
    assert await chat(session, stack, web, "/affirm") == [answer("utter_ask_initiative_ends_on")]
    [summary] = await chat(session, stack, web, "jusqu'au 31 janvier")
    assert "– catégorie : Matériel et locaux" in summary and "– pour : Tout le monde" in summary
    [submitted] = await chat(session, stack, web, "/affirm")
    assert submitted.startswith("Merci pour votre initiative ! Elle porte la référence INI-")
    assert await chat(session, stack, web, "c'est quoi le PGE ?") == [PGE]
    assert await chat(session, stack, web, "merci") == [THANKS, BAROMETER]


async def test_the_public_page_answers_without_login_and_refuses_a_report_without_its_token(stack) -> None:
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(f"{stack.url}/initiatives", params={"commune": "Nulle-Part-sur-Mer"}) as response:
            assert response.status == 200
            assert "Nulle-Part-sur-Mer" in await response.text()
        url = f"{stack.url}/initiatives/INI-000001/signaler"
        async with anonymous.post(url, data={"reason": "closed"}, allow_redirects=False) as response:
            assert response.status in (400, 403)
