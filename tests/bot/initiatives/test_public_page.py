"""The public page of the solidarity initiatives (bot.initiatives.public_page): only approved ones with their
contact, the commune and category filters, and reporting one (the token, the reason, the limit per address)."""

from __future__ import annotations

import re

from bot import appkeys
from bot.initiatives.public_page import REPORT_COOKIE, ReportLimit
from bot.storage.audit import Actor
from bot.storage.message_log import Inbound
from tests.bot.initiatives.conftest import AUTUN, MACON, proposal

STAFF = Actor(None, "conseillere@cma-exemple.fr")


async def initiative(client, chat: str, approve: bool = True, **changes):
    stored = await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("telegram", chat, "je veux aider"))
    service = client.app[appkeys.INITIATIVES]
    made = await service.propose(stored.conversation.id, proposal(**changes))
    return await service.approve(made.id, STAFF) if approve else made


async def page(browser, query: str = "") -> str:
    response = await browser.get("/initiatives" + query)
    assert response.status == 200
    return await response.text()


def token_of(body: str) -> str:
    return re.search(r'name="token" value="([^"]+)"', body).group(1)


async def test_only_approved_initiatives_with_their_contact(browser, client) -> None:
    shown = await initiative(client, "1", website="https://entraide-macon.fr")
    hidden = await initiative(client, "2", approve=False, phone="+33699999999")
    body = await page(browser)
    assert '<html lang="fr">' in body and "<label for=\"commune\">" in body
    assert shown.reference in body and "Je livre les courses des soignants" in body
    assert 'href="tel:+33612345678"' in body and "06 12 34 56 78" in body
    assert 'href="https://entraide-macon.fr" rel="noopener nofollow"' in body
    assert "Soignants" in body and "Courses et livraison" in body and "Mâcon" in body and "30 juin 2020" in body
    assert hidden.reference not in body and "06 99 99 99 99" not in body, "never before approval"
    assert browser.cookies.get(REPORT_COOKIE)


async def test_the_commune_and_category_filters(browser, client) -> None:
    macon = await initiative(client, "1", commune_codes=[MACON], category="courses")
    autun = await initiative(
        client, "2", commune_codes=[AUTUN], category="transport",
        description="Je conduis les soignants d’Autun à l’hôpital.",
    )
    body = await page(browser, "?categorie=transport")
    assert autun.reference in body and macon.reference not in body and "1 initiative" in body
    body = await page(browser, "?commune=Autun")
    assert "pour Autun et alentour" in body
    assert body.index(autun.reference) < body.index(macon.reference), "the commune's own first"
    body = await page(browser, f"?commune={MACON}&categorie=courses")
    assert macon.reference in body and autun.reference not in body
    body = await page(browser, "?commune=Atlantide&categorie=nonsense")
    assert "Nous ne trouvons pas la commune « Atlantide »" in body
    body = await page(browser, "?commune=71100")
    assert "peut désigner plusieurs communes" in body and "Chalon-sur-Saône" in body, "a code and a postcode"
    assert macon.reference in body and autun.reference in body, "all shown"


async def test_a_report_takes_it_off_the_page_and_back_to_staff(browser, client) -> None:
    reported = await initiative(client, "1")
    token = token_of(await page(browser))
    response = await browser.post(
        f"/initiatives/{reported.reference}/signaler",
        data={"token": token, "reason": "contact", "details": "Le numéro sonne dans le vide."},
    )
    body = await response.text()
    assert response.status == 200 and "Merci pour votre signalement" in body and reported.reference in body
    assert reported.reference not in await page(browser)
    found = await client.app[appkeys.INITIATIVES].get(reported.id)
    assert found[0].status == "pending" and found[0].reports == 1
    assert found[1][-1].detail == "Le contact est faux ou ne répond pas : Le numéro sonne dans le vide."
    path = f"/initiatives/{reported.reference}/signaler"
    response = await browser.post(path, data={"token": token, "reason": "autre"})
    assert response.status == 404 and "n’est plus publiée" in await response.text()


async def test_bad_reports_change_nothing(browser, new_browser, client) -> None:
    reported = await initiative(client, "1")
    path = f"/initiatives/{reported.reference}/signaler"
    token = token_of(await page(browser))
    stranger = new_browser()
    response = await stranger.post(path, data={"token": token, "reason": "contact"})
    assert response.status == 403 and "La vérification de sécurité" in await response.text(), "no cookie"
    response = await browser.post(path, data={"token": "x" * 43, "reason": "contact"})
    assert response.status == 403
    response = await browser.post(path, data={"token": token})
    assert response.status == 400 and "Choisissez la raison" in await response.text()
    response = await browser.post(path, data={"token": token, "reason": "contact", "details": "x" * 501})
    assert response.status == 400 and "500 caractères" in await response.text()
    response = await browser.post("/initiatives/INI-999999/signaler", data={"token": token, "reason": "autre"})
    assert response.status == 404
    assert reported.reference in await page(browser), "still public"


async def test_five_reports_an_hour_per_address(browser, client) -> None:
    made = [await initiative(client, str(n)) for n in range(6)]
    token = token_of(await page(browser))
    for item in made[:5]:
        path = f"/initiatives/{item.reference}/signaler"
        response = await browser.post(path, data={"token": token, "reason": "finie"})
        assert response.status == 200
    path = f"/initiatives/{made[5].reference}/signaler"
    response = await browser.post(path, data={"token": token, "reason": "finie"})
    assert response.status == 429 and "réessayez dans une heure" in await response.text()
    assert made[5].reference in await page(browser)


def test_the_limit_forgets_after_an_hour() -> None:
    now = [0.0]
    limit = ReportLimit(per_hour=2, clock=lambda: now[0])
    assert limit.allow("a") and limit.allow("a") and not limit.allow("a") and limit.allow("b")
    now[0] = 3601
    assert limit.allow("a")


async def test_the_map_when_the_communes_have_coordinates(browser, client) -> None:
    await initiative(client, "1", commune_codes=[MACON])
    body = await page(browser, "?commune=Mâcon")
    if client.app[appkeys.COMMUNES].by_code(MACON).latitude is None:
        assert 'id="map"' not in body
    else:
        assert 'id="map"' in body and "<svg" in body and "Mâcon" in body
    assert "<svg" not in await page(browser, "?categorie=repas"), "no initiative, no map"
