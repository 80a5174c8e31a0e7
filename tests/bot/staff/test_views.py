"""The staff pages: a French login form that works on a phone, the home page, and the admins' list of accounts."""

from __future__ import annotations

import re
from html import unescape

from bot import appkeys
from tests.bot.staff.conftest import partner_csrf_token


async def test_the_login_page_is_french_and_fits_a_phone(browser) -> None:
    response = await browser.get("/staff/login")
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert '<html lang="fr">' in page and 'name="viewport" content="width=device-width' in page
    assert 'type="email"' in page and 'type="password"' in page and 'autocomplete="current-password"' in page
    assert "Adresse e-mail" in page and "Mot de passe" in page and "Se connecter" in page
    assert "/static/staff.css" in page and (await browser.get("/static/staff.css")).status == 200


async def test_a_wrong_password_shows_a_french_error_and_keeps_the_email(browser, agent) -> None:
    response = await browser.login(agent.email, "not the password at all")
    page = await response.text()
    assert response.status == 401
    assert "Adresse e-mail ou mot de passe incorrect." in page
    assert f'value="{agent.email}"' in page
    assert "not the password at all" not in page


async def test_what_was_typed_is_escaped(browser) -> None:
    typed = '"><script>alert(1)</script>@x.fr'
    page = await (await browser.login(typed, "whatever password")).text()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and unescape(re.search(r'name="email" type="email" value="([^"]*)"', page).group(1)) == typed


async def test_the_home_page_says_who_is_logged_in_with_a_logout_button(browser, agent) -> None:
    response = await browser.login(agent.email)
    assert response.headers["Location"] == "/staff/"
    page = await (await browser.get("/staff/")).text()
    assert agent.email in page and "conseiller" in page
    assert 'action="/staff/logout"' in page and "Se déconnecter" in page
    assert "/staff/admin/" not in page, "agents see no link to the admins' pages"


async def test_an_admin_home_links_to_the_accounts(browser, admin) -> None:
    await browser.login(admin.email)
    page = await (await browser.get("/staff/")).text()
    assert admin.email in page and "administrateur" in page and 'href="/staff/admin/"' in page


async def test_the_admin_page_lists_every_account(client, browser, admin, agent) -> None:
    accounts = client.app[appkeys.STAFF_ACCOUNTS]
    await accounts.create("parti@cma-exemple.fr", "correct horse battery", "agent")
    await accounts.set_active("parti@cma-exemple.fr", False)
    await browser.login(admin.email)  # the fake clock: 6 April 2020, 09:00 UTC, 11:00 in Paris
    page = await (await browser.get("/staff/admin/")).text()
    rows = re.findall(r"<tr(?: class=\"inactive\")?>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>", page, re.S)
    assert rows == [
        (admin.email, "administrateur", "oui", "06/04/2020 à 11:00"),
        (agent.email, "conseiller", "oui", "jamais"),
        ("parti@cma-exemple.fr", "conseiller", "non", "jamais"),
    ]


async def test_a_logged_in_visit_to_the_login_page_goes_home(browser, agent) -> None:
    await browser.login(agent.email)
    response = await browser.get("/staff/login")
    assert response.status == 303 and response.headers["Location"] == "/staff/"


async def test_staff_without_slash_goes_home(browser, agent) -> None:
    await browser.login(agent.email)
    response = await browser.get("/staff")
    assert response.status == 303 and response.headers["Location"] == "/staff/"


async def test_a_partner_lands_on_its_reports_and_its_menu_has_nothing_else(browser, partner) -> None:
    response = await browser.login(partner.email)
    assert response.headers["Location"] == "/staff/"
    home = await browser.get("/staff/")
    assert home.status == 303 and home.headers["Location"] == "/staff/reports/"
    page = await (await browser.get("/staff/reports/")).text()
    nav = re.search(r'<nav class="nav".*?</nav>', page, re.S).group(0)
    assert re.findall(r'href="([^"]+)"', nav) == ["/staff/reports/"]
    assert 'action="/staff/logout"' in page and "espace des partenaires" in page
    callbacks = await browser.get("/staff/callbacks")
    assert callbacks.status == 403 and "réservée au personnel de la Chambre" in await callbacks.text()
    assert (await browser.post("/staff/logout", data={"csrf_token": await partner_csrf_token(browser)})).status == 303
    assert browser.session is None


async def test_staff_menus_link_to_the_reports(browser, agent) -> None:
    await browser.login(agent.email)
    page = await (await browser.get("/staff/")).text()
    assert 'href="/staff/reports/"' in page and 'href="/staff/callbacks"' in page


async def test_an_admin_sees_partners_territories_and_switches_their_weekly_report(client, browser, admin, partner) -> None:
    await browser.login(admin.email)
    page = await (await browser.get("/staff/admin/")).text()
    row = re.search(r"<tr>\s*<td>mairie@givry.fr</td>.*?</tr>", page, re.S).group(0)
    assert "partenaire" in row and "Givry, Mercurey" in row and "non envoyé" in row
    assert "Envoyer chaque lundi" in row
    token = await browser.csrf_token()
    switch = f"/staff/admin/accounts/{partner.id}/weekly-report"
    response = await browser.post(switch, data={"csrf_token": token, "weekly_report": "on"})
    assert response.status == 303
    after = await (await browser.get(response.headers["Location"])).text()
    assert "Le rapport hebdomadaire sera envoyé à mairie@givry.fr chaque lundi." in after
    assert (await client.app[appkeys.STAFF_ACCOUNTS].get(partner.id)).weekly_report is True
    assert "envoyé le lundi" in re.search(r"<tr>\s*<td>mairie@givry.fr</td>.*?</tr>", after, re.S).group(0)
    await browser.post(switch, data={"csrf_token": token, "weekly_report": "off"})
    assert (await client.app[appkeys.STAFF_ACCOUNTS].get(partner.id)).weekly_report is False
    agent_switch = f"/staff/admin/accounts/{admin.id}/weekly-report"
    assert (await browser.post(agent_switch, data={"csrf_token": token, "weekly_report": "on"})).status == 404
