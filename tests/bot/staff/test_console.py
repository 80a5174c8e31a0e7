"""The advisers' live console: its page, its JSON API, its websocket and the canned answers' page (no Rasa)."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from playwright.async_api import expect

from bot import appkeys
from bot.desk.handoff import CLOSED_BY_ADVISER, GIVEN_BACK, TAKEN
from bot.shared.hours import OpeningHours
from bot.storage.message_log import Inbound
from tests.bot.conftest import PASSWORD

API = "/staff/console/api"
OTHER_EMAIL = "autre.conseiller@cma-exemple.fr"


@pytest.fixture
def settings(make_settings, sqlite_url: str):
    """Advisers answer round the clock, whatever the test clock says."""
    return make_settings(sqlite_url, adviser_hours=OpeningHours.parse("mon-sun 00:00-24:00"))


@pytest.fixture
async def other(accounts):
    return await accounts.create(OTHER_EMAIL, PASSWORD, "agent")


@pytest.fixture
async def waiting(client, seed) -> str:
    """A web chat conversation waiting for an adviser: the artisan's message, then the hand-off."""
    conversation_id = await seed.conversation("je voudrais parler à un conseiller")
    answer = await client.app[appkeys.HANDOFF].request(conversation_id, "asked")
    assert answer["outcome"] == "queued"
    return conversation_id


class Adviser:
    """A logged-in browser calling the console's API as console.js does."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.token = ""

    async def login(self, email: str) -> Adviser:
        assert (await self.browser.login(email)).status == 303
        self.token = await self.browser.csrf_token()
        return self

    async def get(self, path: str):
        return await self.browser.get(API + path, headers={"Accept": "application/json"})

    async def post(self, path: str, body: dict | None = None):
        headers = {"Accept": "application/json", "X-CSRF-Token": self.token}
        return await self.browser.post(API + path, json=body or {}, headers=headers)

    async def conversation(self, conversation_id: str) -> dict:
        response = await self.get(f"/conversations/{conversation_id}")
        assert response.status == 200
        return await response.json()


@pytest.fixture
async def me(browser, agent) -> Adviser:
    return await Adviser(browser).login(agent.email)


# --- Access ------------------------------------------------------------------------------------------------


async def test_anonymous_is_sent_to_the_login_or_refused(browser) -> None:
    page = await browser.get("/staff/console")
    assert page.status == 303 and page.headers["Location"] == "/staff/login?next=/staff/console"
    api = await browser.get(API + "/queue", headers={"Accept": "application/json"})
    assert api.status == 401 and (await api.json())["error"] == "Connectez-vous pour continuer."
    take = await browser.post(API + "/conversations/abc/take", json={})
    assert take.status == 401


async def test_an_agent_opens_the_console_but_not_the_canned_answers(browser, agent) -> None:
    await browser.login(agent.email)
    page = await browser.get("/staff/console")
    text = await page.text()
    assert page.status == 200 and "Conversations en direct" in text and 'src="/static/console.js"' in text
    assert "<script>" not in text and "style=" not in text, "the CSP allows no inline script or style"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert (await browser.get("/staff/console/canned-answers")).status == 403


async def test_a_post_without_the_csrf_token_is_refused(me, waiting) -> None:
    response = await me.browser.post(f"{API}/conversations/{waiting}/take", json={}, headers={"Accept": "application/json"})
    assert response.status == 403
    assert (await me.get("/queue")).status == 200
    assert (await me.conversation(waiting))["conversation"]["state"] == "waiting"


async def test_the_websocket_refuses_anyone_not_logged_in(client) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await client.ws_connect("/staff/console/ws")
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await client.ws_connect("/staff/console/ws", headers={"Cookie": "crisisbot_session=" + "x" * 43})


# --- Queue and take -----------------------------------------------------------------------------------------


async def test_the_queue_puts_waiting_first_distress_first(client, seed, me, waiting) -> None:
    urgent = await seed.conversation("je n'en peux plus")
    await client.app[appkeys.HANDOFF].request(urgent, "distress")
    taken = await seed.conversation("un conseiller svp")
    await client.app[appkeys.HANDOFF].request(taken, "asked")
    assert (await me.post(f"/conversations/{taken}/take")).status == 200

    queue = (await (await me.get("/queue")).json())["queue"]
    assert [(row["id"], row["state"]) for row in queue] == [(urgent, "waiting"), (waiting, "waiting"), (taken, "agent")]
    assert queue[0]["priority"] == 1 and queue[0]["reason_label"] == "Détresse"
    assert queue[1]["channel_label"] == "Web chat" and queue[1]["reason_label"] == "Demande un conseiller"
    assert queue[2]["agent"] == "agent@cma-exemple.fr"


async def test_of_two_advisers_taking_at_once_exactly_one_wins(new_browser, agent, other, waiting) -> None:
    first = await Adviser(new_browser()).login(agent.email)
    second = await Adviser(new_browser()).login(other.email)

    answers = await asyncio.gather(*(a.post(f"/conversations/{waiting}/take") for a in (first, second)))

    assert sorted(a.status for a in answers) == [200, 409]
    winner = agent.email if answers[0].status == 200 else other.email
    refused = next(a for a in answers if a.status == 409)
    assert (await refused.json()) == {"error": f"Trop tard : {winner} a déjà pris cette conversation."}
    detail = await first.conversation(waiting)
    assert detail["conversation"]["state"] == "agent" and detail["conversation"]["agent"] == winner
    assert [m["text"] for m in detail["messages"] if m["author"] == "bot"] == [TAKEN]
    assert [e["action"] for e in detail["events"]] == ["requested", "taken"]
    assert detail["events"][1]["by"] == winner and detail["events"][1]["label"] == "Prise en charge"


# --- Reply, notes, give back, close, transfer ----------------------------------------------------------------


async def test_a_reply_is_stored_as_the_advisers_and_reaches_the_web_chat(client, me, waiting) -> None:
    await me.post(f"/conversations/{waiting}/take")
    response = await me.post(f"/conversations/{waiting}/reply", {"text": "  Bonjour, je regarde votre dossier.  "})
    assert response.status == 200
    sent = (await response.json())["message"]
    assert (sent["author"], sent["direction"], sent["text"], sent["status"]) == (
        "agent", "out", "Bonjour, je regarde votre dossier.", "pending"
    )

    # The web chat page asks for what came after the last message it has.
    history = await client.get("/webhooks/rest/history", params={"sender": "artisan-1", "after": str(sent["id"] - 1)})
    messages = (await history.json())["messages"]
    assert [(m["id"], m["author"], m["text"], m["reply_to"]) for m in messages] == [
        (sent["id"], "agent", "Bonjour, je regarde votre dossier.", None)
    ]

    detail = await me.conversation(waiting)
    [reply] = [m for m in detail["messages"] if m["author"] == "agent"]
    assert (reply["status"], reply["status_label"], reply["adviser"]) == ("sent", "Envoyé", "agent@cma-exemple.fr")
    assert [e["action"] for e in detail["events"]][-1] == "replied"


async def test_history_after_a_message_gives_only_what_follows(client, seed) -> None:
    conversation_id = await seed.conversation("bonjour")
    log = client.app[appkeys.MESSAGE_LOG]
    [first] = await log.record_outbound(conversation_id, "rest", "bot", [{"text": "un"}])
    [second] = await log.record_outbound(conversation_id, "rest", "agent", [{"text": "deux"}])
    everything = await (await client.get("/webhooks/rest/history?sender=artisan-1")).json()
    assert [m["text"] for m in everything["messages"]] == ["bonjour", "un", "deux"]
    after = await (await client.get(f"/webhooks/rest/history?sender=artisan-1&after={first.id}")).json()
    assert [(m["text"], m["author"]) for m in after["messages"]] == [("deux", "agent")]
    bad = await client.get("/webhooks/rest/history?sender=artisan-1&after=abc")
    assert bad.status == 400 and "after" in (await bad.json())["error"]


async def test_a_reply_from_someone_who_has_not_taken_it_is_refused(me, waiting) -> None:
    response = await me.post(f"/conversations/{waiting}/reply", {"text": "Bonjour"})
    assert response.status == 409
    assert (await response.json())["error"] == "Cette conversation attend encore un conseiller : prenez-la d'abord."
    empty = await me.post(f"/conversations/{waiting}/note", {"text": "   "})
    assert empty.status == 400 and "note" in (await empty.json())["error"]


async def test_an_internal_note_is_never_sent_to_the_artisan(client, me, waiting) -> None:
    note = "Artisan déjà rappelé hier : dossier PGE incomplet"
    assert (await me.post(f"/conversations/{waiting}/note", {"text": note})).status == 200

    detail = await me.conversation(waiting)
    assert [(n["text"], n["by"]) for n in detail["notes"]] == [(note, "agent@cma-exemple.fr")]
    assert all(note not in m["text"] for m in detail["messages"])
    history = await (await client.get("/webhooks/rest/history?sender=artisan-1")).json()
    assert all(note not in m["text"] for m in history["messages"])


@pytest.mark.parametrize("text", ["\ud800", "Rappeler \udfff demain", "\udc00\ud800"], ids=["lone high", "inside", "reversed pair"])
async def test_a_note_or_a_reply_with_a_lone_surrogate_is_a_400_in_french_and_nothing_is_stored(me, waiting, text) -> None:
    note = await me.post(f"/conversations/{waiting}/note", {"text": text})
    assert note.status == 400 and "caractère" in (await note.json())["error"]
    await me.post(f"/conversations/{waiting}/take")
    reply = await me.post(f"/conversations/{waiting}/reply", {"text": text})
    assert reply.status == 400 and "caractère" in (await reply.json())["error"]
    detail = await me.conversation(waiting)
    assert detail["notes"] == [] and [m for m in detail["messages"] if m["author"] == "agent"] == []
    assert [e["action"] for e in detail["events"]] == ["requested", "taken"]


async def test_give_back_then_close_after_a_new_hand_off(client, me, waiting) -> None:
    await me.post(f"/conversations/{waiting}/take")
    assert (await me.post(f"/conversations/{waiting}/give-back")).status == 200  # Rasa is down: resumed later
    detail = await me.conversation(waiting)
    assert detail["conversation"]["state"] == "bot" and detail["messages"][-1]["text"] == GIVEN_BACK
    again = await me.post(f"/conversations/{waiting}/give-back")
    assert again.status == 409 and "le bot a repris la main" in (await again.json())["error"]

    await client.app[appkeys.HANDOFF].request(waiting, "misunderstood")
    assert (await me.post(f"/conversations/{waiting}/close")).status == 200
    detail = await me.conversation(waiting)
    assert detail["conversation"]["state"] == "closed" and detail["messages"][-1]["text"] == CLOSED_BY_ADVISER
    assert [e["action"] for e in detail["events"]] == ["requested", "taken", "given_back", "requested", "closed"]
    assert (await (await me.get("/queue")).json())["queue"] == []


async def test_transfer_to_another_adviser(new_browser, me, other, waiting) -> None:
    await me.post(f"/conversations/{waiting}/take")
    assert (await me.post(f"/conversations/{waiting}/transfer", {"account_id": other.id})).status == 200
    detail = await me.conversation(waiting)
    assert detail["conversation"]["agent"] == OTHER_EMAIL
    assert detail["events"][-1]["detail"] == f"à {OTHER_EMAIL}"

    # Now it is the other adviser's: I may not answer any more; they may.
    refused = await me.post(f"/conversations/{waiting}/reply", {"text": "Bonjour"})
    assert refused.status == 403 and (await refused.json())["error"] == f"C'est {OTHER_EMAIL} qui a cette conversation."
    them = await Adviser(new_browser()).login(OTHER_EMAIL)
    assert (await them.post(f"/conversations/{waiting}/reply", {"text": "Bonjour, je prends le relais."})).status == 200
    bad = await them.post(f"/conversations/{waiting}/transfer", {"account_id": "personne"})
    assert bad.status == 400


async def test_an_unknown_conversation_is_404_in_french(me) -> None:
    for path in ("/conversations/inconnue", "/conversations/pas-un-id"):
        response = await me.get(path)
        assert response.status == 404 and (await response.json())["error"] == "Cette conversation est inconnue."
    response = await me.post("/conversations/inconnue/take")
    assert response.status == 404


# --- Live ----------------------------------------------------------------------------------------------------


def own_origin(client) -> str:
    """The Origin a browser sends from the console's own page."""
    return str(client.make_url("/").origin())


def logged_in_cookie(browser) -> str:
    return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "null",
        "http://127.0.0.1:1",  # another port of the same host: the attack found
        "http://evil.example",
        "https://{host}",  # the same host and port but another scheme
    ],
)
async def test_the_websocket_refuses_a_page_from_another_origin_before_upgrading(client, browser, agent, origin) -> None:
    await browser.login(agent.email)
    headers = {"Cookie": logged_in_cookie(browser)}
    if origin is not None:
        headers["Origin"] = origin.format(host=client.make_url("/").authority)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await client.ws_connect("/staff/console/ws", headers=headers)
    assert refused.value.status == 403
    assert client.app[appkeys.LIVE].subscribers == 0


async def test_the_websocket_tells_a_console_when_a_conversation_starts_waiting(client, browser, agent, seed) -> None:
    await browser.login(agent.email)
    conversation_id = await seed.conversation("un humain svp")
    cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    async with client.ws_connect("/staff/console/ws", headers={"Cookie": cookie}, origin=own_origin(client)) as ws:
        for _ in range(50):  # the handler subscribes just after the handshake
            if client.app[appkeys.LIVE].subscribers:
                break
            await asyncio.sleep(0.01)
        await client.app[appkeys.HANDOFF].request(conversation_id, "asked")
        event = await asyncio.wait_for(ws.receive_json(), 5)
        assert event == {"kind": "queue"}
    for _ in range(50):
        if not client.app[appkeys.LIVE].subscribers:
            break
        await asyncio.sleep(0.01)
    assert client.app[appkeys.LIVE].subscribers == 0, "a closed console unsubscribes"


async def test_a_stopping_gateway_sends_consoles_away_at_once(client, browser, agent) -> None:
    await browser.login(agent.email)
    cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
    async with client.ws_connect("/staff/console/ws", headers={"Cookie": cookie}, origin=own_origin(client)) as ws:
        for _ in range(50):
            if client.app[appkeys.LIVE].subscribers:
                break
            await asyncio.sleep(0.01)
        await client.app.shutdown()
        closing = await asyncio.wait_for(ws.receive(), 2)
        assert closing.type == aiohttp.WSMsgType.CLOSE and closing.data == aiohttp.WSCloseCode.GOING_AWAY


async def test_the_websocket_address_without_an_upgrade_answers_in_french(me) -> None:
    response = await me.browser.get("/staff/console/ws")
    assert response.status == 400 and "console" in (await response.json())["error"]


# --- Canned answers ------------------------------------------------------------------------------------------


async def test_an_admin_adds_edits_and_deletes_a_canned_answer(client, browser, admin, me) -> None:
    await browser.login(admin.email)
    token = await browser.csrf_token()
    path = "/staff/console/canned-answers"
    added = await browser.post(path, data={"csrf_token": token, "action": "save", "title": "PGE", "text": "Le PGE couvre 25 %."})
    assert added.status == 303 and added.headers["Location"] == path + "?ok=saved"
    page = await (await browser.get(path + "?ok=saved")).text()
    assert "Le PGE couvre 25 %." in page and "La réponse type est enregistrée." in page

    [answer] = await client.app[appkeys.CANNED_ANSWERS].all()
    edited = await browser.post(
        path, data={"csrf_token": token, "action": "save", "id": str(answer.id), "title": "PGE", "text": "Le PGE : 25 % du CA."}
    )
    assert edited.status == 303
    console = await (await me.browser.get("/staff/console")).text()
    assert 'data-text="Le PGE : 25 % du CA."' in console, "the console's picker offers it"

    empty = await browser.post(path, data={"csrf_token": token, "action": "save", "title": "", "text": "x"})
    assert empty.status == 400 and "Donnez un titre" in await empty.text()
    no_token = await browser.post(path, data={"action": "delete", "id": str(answer.id)})
    assert no_token.status == 403
    deleted = await browser.post(path, data={"csrf_token": token, "action": "delete", "id": str(answer.id)})
    assert deleted.status == 303 and await client.app[appkeys.CANNED_ANSWERS].all() == []


async def test_an_agent_cannot_change_canned_answers(me) -> None:
    response = await me.browser.post(
        "/staff/console/canned-answers", data={"csrf_token": me.token, "action": "save", "title": "x", "text": "y"}
    )
    assert response.status == 403


# --- In a real browser: the console and the web chat --------------------------------------------------------


async def test_an_advisers_answer_reaches_the_open_web_chat(client, agent, password, chromium) -> None:
    base = str(client.server.make_url("")).rstrip("/")
    chat = await (await chromium.new_context(viewport={"width": 360, "height": 740})).new_page()
    await chat.goto(base + "/")
    await expect(chat.locator("#log .msg.bot").first).to_contain_text("Bonjour")
    sender = await chat.evaluate("window.localStorage.getItem('crisisbot.sender')")
    # The artisan's message, stored as the web chat's webhook stores it (Rasa is not running here).
    stored = await client.app[appkeys.MESSAGE_LOG].store_inbound(Inbound("rest", sender, "je veux un conseiller"))
    await client.app[appkeys.HANDOFF].request(stored.conversation.id, "asked")

    console = await (await chromium.new_context(viewport={"width": 1280, "height": 800})).new_page()
    errors: list[str] = []
    console.on("pageerror", lambda exc: errors.append(str(exc)))
    await console.goto(base + "/staff/login?next=/staff/console")
    await console.fill("#email", agent.email)
    await console.fill("#password", password)
    await console.click("button:has-text('Se connecter')")
    await expect(console.locator("#live-status")).to_have_text("En direct")
    await console.locator("#queue-waiting .queue-row", has_text="Web chat").locator("button").click()
    await expect(console.locator("#transcript")).to_contain_text("je veux un conseiller")
    await console.click("#take")
    await expect(console.locator("#conversation-state")).to_have_text("En cours avec vous")
    await expect(chat.locator("#log")).to_contain_text(TAKEN)  # within one poll (3 s)

    # A canned answer inserted, then completed; Shift+Enter is a new line, Enter sends.
    await client.app[appkeys.CANNED_ANSWERS].save(agent.id, "PGE", "Le PGE couvre 25 %.")
    await console.reload()
    await expect(console.locator("#reply-form")).to_be_visible()
    await console.select_option("#canned", label="PGE")
    await console.press("#reply", "Shift+Enter")
    await console.type("#reply", "Je vous envoie le lien.")
    assert await console.input_value("#reply") == "Le PGE couvre 25 %.\nJe vous envoie le lien."
    await console.press("#reply", "Enter")
    await expect(console.locator("#reply")).to_have_value("")

    adviser = chat.locator("#log .msg.adviser")
    await expect(adviser).to_contain_text("Conseiller de la Chambre")
    await expect(adviser).to_contain_text("Je vous envoie le lien.")
    # The page fetched it: it counts as sent, and the console says so without a reload.
    await expect(console.locator("#transcript .msg.agent .delivery")).to_have_text("Envoyé")

    await console.fill("#note", "Rappeler demain")
    await console.click("button:has-text('Ajouter la note')")
    await expect(console.locator("#notes")).to_contain_text("Note interne — l’artisan ne la voit pas")
    await expect(console.locator("#notes")).to_contain_text("Rappeler demain")
    await chat.wait_for_timeout(3500)
    await expect(chat.locator("#log")).not_to_contain_text("Rappeler demain")
    assert errors == []
