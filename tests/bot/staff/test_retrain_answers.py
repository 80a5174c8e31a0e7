"""The admins' pages of the FAQ answers (bot.staff.retrain_answers): edit, history, restore, who may use them."""

from __future__ import annotations

import re

from bot import appkeys

PGE = "/staff/answers/utter_faq_pge"


def asked(text: str = "…") -> list[dict]:
    return [{"recipient_id": "a", "text": text, "response": "utter_faq_pge"}]


async def logged_in(browser, email: str):
    assert (await browser.login(email)).status == 303
    return browser


async def save(browser, data: dict, path: str = PGE):
    return await browser.post(path, data={"csrf_token": await browser.csrf_token(), **data})


async def test_an_admin_edits_an_answer_and_the_bot_uses_it_at_once(browser, admin, client) -> None:
    await logged_in(browser, admin.email)
    listing = await (await browser.get("/staff/answers")).text()
    assert "Prêt garanti (PGE)" in listing and "texte d’origine" in listing and PGE in listing

    page = await browser.get(PGE)
    body = await page.text()
    assert page.status == 200 and "Mis à jour le" in body
    assert 'value="2020-04-06"' in body, "the date defaults to today in Paris"
    assert "Le prêt garanti par l&#39;État (PGE)" in body, "the domain's text, in the form and the preview"

    response = await save(browser, {
        "text": "Le PGE se demande jusqu au 30 juin 2021.",
        "buttons": "Être rappelé | /request_callback\nMerci",
        "updated_on": "2020-12-03",
        "show_date": "on",
    })
    assert response.status == 303 and response.headers["Location"] == PGE + "?ok=saved"

    [message] = client.app[appkeys.ANSWERS].apply(asked())
    assert message["text"] == "Le PGE se demande jusqu au 30 juin 2021.\n\nMis à jour le 3 décembre 2020."
    assert message["buttons"] == [
        {"title": "Être rappelé", "payload": "/request_callback"},
        {"title": "Merci", "payload": "Merci"},
    ]

    body = await (await browser.get(PGE + "?ok=saved")).text()
    assert "Réponse enregistrée : elle est utilisée dès le prochain message." in body
    assert "Historique" in body and admin.email in body and "3 décembre 2020" in body
    assert "Être rappelé | /request_callback\nMerci" in body, "the buttons, one per line, in the form"
    assert "Texte d’origine" in body and "Le prêt garanti par l&#39;État (PGE)" in body, "to take it back"
    listing = await (await browser.get("/staff/answers")).text()
    assert f"modifiée le 06/04/2020 à 11:00 par {admin.email}" in listing


async def test_an_earlier_version_is_restored_from_the_history(browser, admin, client, clock) -> None:
    await logged_in(browser, admin.email)
    assert (await save(browser, {"text": "Version un.", "buttons": ""})).status == 303
    clock.advance(minutes=5)
    assert (await save(browser, {"text": "Version deux.", "buttons": "", "show_date": "on", "updated_on": "2020-04-06"})).status == 303

    body = await (await browser.get(PGE)).text()
    restore_paths = re.findall(r'action="(/staff/answers/utter_faq_pge/restore/\d+)"', body)
    assert len(restore_paths) == 1, "the version in use has no restore button"
    response = await browser.post(restore_paths[0], data={"csrf_token": await browser.csrf_token()})
    assert response.status == 303 and response.headers["Location"] == PGE + "?ok=restored"

    assert client.app[appkeys.ANSWERS].apply(asked())[0]["text"] == "Version un."
    body = await (await browser.get(PGE + "?ok=restored")).text()
    assert "Version rétablie" in body and body.count("Rétablir") == 2


async def test_bad_input_shows_the_form_again_with_what_was_typed(browser, admin, client) -> None:
    await logged_in(browser, admin.email)
    typed = {"text": "Texte tapé par l admin", "buttons": "Un titre bien trop long pour un bouton de messagerie | /x"}
    response = await save(browser, typed)
    body = await response.text()
    assert response.status == 400
    assert "Bouton 1 : le titre dépasse 40 caractères." in body
    assert typed["text"] in body and typed["buttons"] in body

    response = await save(browser, {"text": "Texte", "show_date": "on", "updated_on": "pas une date"})
    assert response.status == 400 and "n’est pas valide" in await response.text()
    response = await save(browser, {"text": "   "})
    assert response.status == 400 and "Le texte de la réponse est vide." in await response.text()

    assert client.app[appkeys.ANSWERS].apply(asked()) == asked()
    assert await client.app[appkeys.ANSWERS].history("utter_faq_pge") == []


async def test_an_unknown_answer_is_a_french_404(browser, admin) -> None:
    await logged_in(browser, admin.email)
    for response in (
        await browser.get("/staff/answers/utter_greet"),
        await save(browser, {"text": "x"}, "/staff/answers/utter_inconnue"),
        await browser.post(PGE + "/restore/123", data={"csrf_token": await browser.csrf_token()}),
    ):
        assert response.status == 404
        assert "n’existe pas" in await response.text()


async def test_agents_may_not_see_or_edit_the_answers(browser, agent, client) -> None:
    await logged_in(browser, agent.email)
    assert (await browser.get("/staff/answers")).status == 403
    assert (await browser.get(PGE)).status == 403
    assert (await save(browser, {"text": "Piraté"})).status == 403
    assert client.app[appkeys.ANSWERS].apply(asked()) == asked()


async def test_a_change_without_the_csrf_token_is_refused(browser, admin, client) -> None:
    await logged_in(browser, admin.email)
    response = await browser.post(PGE, data={"text": "Sans jeton"})
    assert response.status == 403
    response = await browser.post(PGE, data={"text": "Mauvais jeton", "csrf_token": "x" * 43})
    assert response.status == 403
    assert await client.app[appkeys.ANSWERS].history("utter_faq_pge") == []


async def test_anonymous_visitors_are_sent_to_the_login(browser) -> None:
    response = await browser.get("/staff/answers")
    assert response.status == 303 and response.headers["Location"].startswith("/staff/login")


async def test_a_title_is_escaped_once_in_the_page_title_and_the_list(browser, admin, client) -> None:
    """An intent created before titles refused < and > keeps its title: shown as text, never as markup."""
    from bot.storage import create_sessionmaker
    from bot.storage.models import AdminIntent

    async with create_sessionmaker(client.app[appkeys.DATABASE])() as session:
        session.add(AdminIntent(name="faq_vieux_titre", title='Aide <b>"loyers"</b>', account_id=admin.id))
        await session.commit()
    await logged_in(browser, admin.email)
    listing = await (await browser.get("/staff/answers")).text()
    page = await (await browser.get("/staff/answers/utter_faq_vieux_titre")).text()
    escaped = "Aide &lt;b&gt;&#34;loyers&#34;&lt;/b&gt;"
    assert escaped in listing and f"<title>{escaped} · Réponses de l’assistant · crisisbot</title>" in page
    assert "&amp;" not in listing + page and "<b>" not in listing + page
