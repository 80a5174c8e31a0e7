"""The staff pages of the solidarity initiatives (bot.staff.initiative_pages): the list by status with the count
waiting, one initiative with its contact, consent and history, the edit form, approving, refusing and retiring
with a reason; strangers sent to the login, unknown ids, the CSRF check."""

from __future__ import annotations

from bot import appkeys
from bot.storage.message_log import Inbound
from tests.bot.initiatives.conftest import AUTUN, CLUNY, CONSENT, MACON, proposal

PATH = "/staff/initiatives"


async def logged_in(browser, email: str):
    assert (await browser.login(email)).status == 303
    return browser


async def post(browser, path: str, data: dict | None = None):
    return await browser.post(path, data={"csrf_token": await browser.csrf_token(), **(data or {})})


async def proposed(client, chat: str = "111", **changes) -> int:
    stored = await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("telegram", chat, "je veux aider"))
    initiative = await client.app[appkeys.INITIATIVES].propose(stored.conversation.id, proposal(**changes))
    return initiative.id


def edit_form(**changes) -> dict:
    return {
        "description": "Je livre les courses des soignants le soir, gratuitement.", "category": "courses",
        "audience": "soignants", "communes": "Mâcon", "phone": "+33612345678", "website": "",
        "ends_on": "2020-06-30", **changes,
    }


async def test_an_adviser_sees_the_queue_and_approves(browser, agent, client) -> None:
    first = await proposed(client)
    await proposed(client, chat="222", description="Je prête ma camionnette aux associations du quartier.")
    await logged_in(browser, agent.email)
    listing = await (await browser.get(PATH)).text()
    assert 'id="nav-initiatives">Initiatives' in listing and ">2</span>" in listing, "the count waiting"
    assert "À vérifier (2)" in listing and "Publiées (0)" in listing
    assert "INI-%06d" % first in listing and "Je prête ma camionnette" in listing

    page = await (await browser.get(f"{PATH}/{first}")).text()
    assert "06 12 34 56 78" in page, "the contact, shown to staff before approval"
    assert CONSENT.replace("’", "&#39;") in page or CONSENT in page
    assert "Proposée par l’artisan" in page and "Mâcon (71270)" in page

    response = await post(browser, f"{PATH}/{first}/approve")
    assert response.status == 303 and response.headers["Location"].endswith("?ok=approved")
    page = await (await browser.get(response.headers["Location"])).text()
    assert "Initiative approuvée" in page and "Publiée" in page and "Approuvée" in page
    assert "Publiées (1)" in await (await browser.get(PATH + "?statut=approved")).text()
    assert "INI-%06d" % first not in await (await browser.get(PATH)).text()


async def test_refusing_and_retiring_need_a_reason(browser, agent, client) -> None:
    refused, retired = await proposed(client), await proposed(client, chat="222")
    await logged_in(browser, agent.email)
    page = await (await browser.get(f"{PATH}/{refused}")).text()
    for step, label in (("refuse", "Raison du refus"), ("retire", "Raison du retrait")):
        assert f'action="{PATH}/{refused}/{step}"' in page and f'<label for="{step}-reason">{label}' in page
    response = await post(browser, f"{PATH}/{refused}/refuse", {"reason": "   "})
    body = await response.text()
    assert response.status == 400 and "Donnez la raison : l’artisan la lira." in body
    assert "À vérifier" in body, "nothing changed"
    response = await post(browser, f"{PATH}/{refused}/refuse", {"reason": "Ce n’est pas une initiative solidaire."})
    assert response.headers["Location"].endswith("?ok=refused")
    page = await (await browser.get(response.headers["Location"])).text()
    assert "Initiative refusée" in page and "Ce n’est pas une initiative solidaire." in page
    assert "<h2>Modifier</h2>" not in page and 'id="approve"' not in page

    response = await post(browser, f"{PATH}/{retired}/retire", {"reason": ""})
    assert response.status == 400 and "Donnez la raison" in await response.text()
    await post(browser, f"{PATH}/{retired}/approve")
    response = await post(browser, f"{PATH}/{retired}/retire", {"reason": "Le numéro ne répond plus."})
    assert response.headers["Location"].endswith("?ok=retired")
    assert "Retirées ou expirées (1)" in await (await browser.get(PATH + "?statut=ended")).text()
    assert "Refusées (1)" in await (await browser.get(PATH + "?statut=refused")).text()
    response = await post(browser, f"{PATH}/{refused}/approve")
    assert response.status == 409 and "Cette initiative a été refusée." in await response.text()


async def test_the_edit_form_takes_names_or_codes_and_keeps_what_was_typed(browser, agent, client) -> None:
    initiative = await proposed(client)
    await logged_in(browser, agent.email)
    response = await post(browser, f"{PATH}/{initiative}", edit_form(communes=f"Cluny, {AUTUN}", category="transport"))
    assert response.status == 303 and response.headers["Location"].endswith("?ok=saved")
    page = await (await browser.get(f"{PATH}/{initiative}")).text()
    assert f"Cluny ({CLUNY})" in page and f"Autun ({AUTUN})" in page and "Modifiée" in page
    assert "communes" in page and "category" in page, "the fields edited, in the history"

    changes = edit_form(communes="Atlantide", description="Texte gardé ici.")
    response = await post(browser, f"{PATH}/{initiative}", changes)
    body = await response.text()
    assert response.status == 400 and "Commune introuvable : « Atlantide »" in body and "Texte gardé ici." in body
    response = await post(browser, f"{PATH}/{initiative}", edit_form(phone="0612", communes=MACON))
    assert response.status == 400 and "format international" in await response.text()
    response = await post(browser, f"{PATH}/{initiative}", edit_form(description="court"))
    assert response.status == 400


async def test_strangers_unknown_ids_and_forged_forms(browser, agent, admin, client) -> None:
    initiative = await proposed(client)
    response = await browser.get(PATH)
    assert response.status == 303 and response.headers["Location"].startswith("/staff/login")
    response = await browser.get(f"{PATH}/{initiative}")
    assert response.status == 303
    assert (await browser.post(f"{PATH}/{initiative}/approve", data={})).status == 401

    await logged_in(browser, admin.email)
    assert (await browser.get(PATH)).status == 200, "admins too"
    assert (await browser.get(f"{PATH}/99999")).status == 404
    assert (await browser.get(f"{PATH}/abc")).status == 404
    assert (await post(browser, f"{PATH}/99999/approve")).status == 404
    response = await browser.post(f"{PATH}/{initiative}/approve", data={"csrf_token": "forged"})
    assert response.status == 403
    response = await browser.post(f"{PATH}/{initiative}/refuse", data={"reason": "sans jeton"})
    assert response.status == 403
    page = await (await browser.get(f"{PATH}/{initiative}")).text()
    assert 'data-status="pending"' in page, "nothing changed"
    assert "À vérifier (1)" in await (await browser.get(PATH + "?statut=nonsense")).text()


async def test_a_report_brings_it_back_with_its_count(browser, agent, client) -> None:
    initiative = await proposed(client)
    service = client.app[appkeys.INITIATIVES]
    await logged_in(browser, agent.email)
    await post(browser, f"{PATH}/{initiative}/approve")
    assert await service.report("INI-%06d" % initiative, "Le contact ne répond pas")
    listing = await (await browser.get(PATH)).text()
    assert "1 signalement" in listing
    page = await (await browser.get(f"{PATH}/{initiative}")).text()
    assert "Signalée sur la page publique" in page and "un visiteur" in page and "Le contact ne répond pas" in page
