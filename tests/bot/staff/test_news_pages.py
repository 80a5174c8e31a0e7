"""The admins' news pages (bot.staff.news_pages): write, see refusals, preview with the recipients, publish, send,
schedule, stop, the live progress; agents and strangers kept out; the CSRF check."""

from __future__ import annotations

import asyncio
import re

from bot import appkeys
from bot.storage.message_log import Inbound
from bot.storage.models import NewsStatus

FORM = {
    "title": "Couvre-feu à 20 h", "text": "Le couvre-feu commence à 20 h.", "source": "prefecture",
    "effective_on": "2020-12-15", "link": "https://www.saone-et-loire.gouv.fr", "topic": "", "communes": "",
    "audience_topic": "",
}


async def logged_in(browser, email: str):
    assert (await browser.login(email)).status == 303
    return browser


async def post(browser, path: str, data: dict | None = None, **kwargs):
    return await browser.post(path, data={"csrf_token": await browser.csrf_token(), **(data or {})}, **kwargs)


async def subscriber(client, chat: str, channel: str = "rest") -> str:
    stored = await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound(channel, chat, "je veux les infos"))
    await client.app[appkeys.SUBSCRIPTIONS].subscribe(
        stored.conversation.id, topic=None, commune_code=None, commune_name=None, consent_text="oui"
    )
    return stored.conversation.id


async def created(browser, **changes) -> str:
    response = await post(browser, "/staff/news", {**FORM, **changes})
    assert response.status == 303, await response.text()
    return response.headers["Location"].split("?")[0]


async def test_an_admin_writes_previews_and_sends_a_news_item(browser, admin, client) -> None:
    await logged_in(browser, admin.email)
    for n in range(3):
        await subscriber(client, f"web-{n}")
    assert "Écrire une annonce" in await (await browser.get("/staff/news")).text()
    assert (await browser.get("/staff/news/new")).status == 200
    page = await created(browser)
    body = await (await browser.get(page + "?ok=created")).text()
    assert "Annonce enregistrée (brouillon)" in body
    assert "📰 Couvre-feu à 20 h" in body and "écrivez « stop infos »" in body, "the message as sent"
    assert "Aucun modèle d’annonce approuvé (WHATSAPP_NEWS_TEMPLATE)" in body
    assert re.search(r'id="reachable">3<', body) and "Envoyer maintenant à 3 artisans" in body

    response = await post(browser, page + "/send")
    assert response.status == 303 and response.headers["Location"].endswith("?ok=sending")
    news_id = int(page.rsplit("/", 1)[1])
    await asyncio.wait_for(client.app[appkeys.BROADCASTS].wait(news_id), 10)
    progress = await (await browser.get(page + "/progress")).json()
    assert (progress["status"], progress["total"], progress["sent"]) == ("sent", 3, 3)
    body = await (await browser.get(page)).text()
    assert "Envoyée" in body and 'id="count-sent">3<' in body and "Arrêter l’envoi" not in body
    assert "<h2>Modifier</h2>" not in body, "what was sent is what it says"
    listing = await (await browser.get("/staff/news")).text()
    assert "Couvre-feu à 20 h" in listing and "Envoyée" in listing
    audit = await (await browser.get("/staff/audit")).text()
    assert "Annonce écrite" in audit and "Envoi d’annonce lancé" in audit


async def test_the_barometer_box_is_kept_and_the_preview_shows_its_question_and_buttons(browser, admin) -> None:
    await logged_in(browser, admin.email)
    page = await created(browser, barometer="on")
    body = await (await browser.get(page)).text()
    assert 'name="barometer" value="on" checked' in body
    assert "où en est votre activité ?" in body and 'id="preview-barometer"' in body
    assert all(f'<span class="chip">{title}</span>' in body for title in ("Arrêtée", "Réduite", "Normale", "Passer"))
    plain = await (await browser.get(await created(browser, title="Sans baromètre"))).text()
    assert 'name="barometer" value="on" checked' not in plain and 'id="preview-barometer"' not in plain
    response = await post(browser, "/staff/news", {**FORM, "title": "", "barometer": "on"})
    assert response.status == 400 and 'name="barometer" value="on" checked' in await response.text(), "kept on refusal"


async def test_what_to_fix_is_said_and_the_form_kept(browser, admin) -> None:
    await logged_in(browser, admin.email)
    response = await post(browser, "/staff/news", {**FORM, "title": "", "text": "mon texte gardé"})
    body = await response.text()
    assert response.status == 400 and "Donnez un titre à l’annonce." in body and "mon texte gardé" in body
    response = await post(browser, "/staff/news", {**FORM, "communes": "Atlantide"})
    assert response.status == 400 and "Commune introuvable : « Atlantide »" in await response.text()
    response = await post(browser, "/staff/news", {**FORM, "text": "x" * 6000})
    assert response.status == 400 and "Le formulaire est trop long." in await response.text()


async def test_publish_edit_schedule_and_unschedule(browser, admin, client, clock) -> None:
    await logged_in(browser, admin.email)
    page = await created(browser)
    assert (await post(browser, page, {**FORM, "title": "Couvre-feu à 19 h"})).status == 303
    assert (await post(browser, page + "/publish")).headers["Location"].endswith("?ok=published")
    again = await post(browser, page + "/publish")
    assert again.status == 409 and "déjà publiée" in await again.text()
    news = client.app[appkeys.NEWS]
    news_id = int(page.rsplit("/", 1)[1])
    assert (await news.published())[0][0].title == "Couvre-feu à 19 h"

    past = await post(browser, page + "/schedule", {"at": "2020-04-06T10:00"})
    assert past.status == 400 and "à venir" in await past.text(), "10:00 in Paris is 08:00 UTC, before the clock"
    bad = await post(browser, page + "/schedule", {"at": "demain"})
    assert bad.status == 400 and "ne sont pas valides" in await bad.text()
    assert (await post(browser, page + "/schedule", {"at": "2020-04-06T14:30"})).status == 303
    item = await news.get(news_id)
    assert item.status == NewsStatus.SCHEDULED and item.scheduled_at.hour == 12, "Paris summer time is UTC+2"
    assert "Annuler la programmation" in await (await browser.get(page)).text()
    assert (await post(browser, page + "/unschedule")).status == 303
    assert (await news.get(news_id)).status == NewsStatus.PUBLISHED


async def test_stop_refused_when_not_sending_and_unknown_news(browser, admin) -> None:
    await logged_in(browser, admin.email)
    page = await created(browser)
    stop = await post(browser, page + "/stop")
    assert stop.status == 409 and "n’est pas en cours d’envoi" in await stop.text()
    assert (await browser.get("/staff/news/999")).status == 404
    assert (await browser.get("/staff/news/abc")).status == 404


async def test_agents_and_strangers_are_kept_out(browser, new_browser, agent, admin) -> None:
    assert (await browser.get("/staff/news")).status in (302, 303)
    await logged_in(browser, agent.email)
    for path in ("/staff/news", "/staff/news/new", "/staff/news/1", "/staff/news/1/progress"):
        assert (await browser.get(path)).status == 403
    assert (await post(browser, "/staff/news", FORM)).status == 403
    intruder = new_browser()
    await logged_in(intruder, admin.email)
    forged = await intruder.post("/staff/news", data={**FORM, "csrf_token": "forged"})
    assert forged.status == 403
