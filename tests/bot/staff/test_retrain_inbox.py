"""The admins' inbox pages: the misunderstood messages in groups, labelled, ignored, made into a new intent, undone."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot import appkeys
from bot.storage import create_sessionmaker
from bot.storage.message_log import Inbound
from bot.storage.models import AdminIntent, Answer, InboxLabel
from tests.bot.conftest import ADMIN_EMAIL, AGENT_EMAIL

INBOX = "/staff/inbox"


class Artisans:
    """Artisans whose messages the bot answered with some intent and confidence."""

    def __init__(self, app) -> None:
        self.log = app[appkeys.MESSAGE_LOG]
        self.sessionmaker = create_sessionmaker(app[appkeys.DATABASE])
        self.count = 0

    async def say(self, text: str, intent: str = "faq_pge", confidence: float = 0.4, **inbound) -> int:
        self.count += 1
        stored = await self.log.store_inbound(Inbound("telegram", f"artisan-{self.count}", text, **inbound))
        await self.log.record_answer(stored.message, [{"text": "?"}], intent=intent, confidence=confidence)
        return stored.message.id

    async def labels(self) -> list[InboxLabel]:
        async with self.sessionmaker() as session:
            return list(await session.scalars(select(InboxLabel).order_by(InboxLabel.message_id)))


@pytest.fixture
def artisans(client) -> Artisans:
    return Artisans(client.app)


@pytest.fixture
async def signed_in(browser, admin):
    assert (await browser.login(ADMIN_EMAIL)).status == 303
    return browser


def groups_on(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<section class="inbox-group" data-count="(\d+)"', page)]


async def test_anonymous_visitors_go_to_login_and_agents_are_refused(browser, agent, artisans) -> None:
    message = await artisans.say("question")
    page = await browser.get(INBOX)
    assert page.status == 303 and page.headers["Location"].startswith("/staff/login?next=")
    assert (await browser.post(INBOX + "/label", data={"message": str(message), "intent": "faq_pge"})).status == 401

    assert (await browser.login(AGENT_EMAIL)).status == 303
    token = await browser.csrf_token()
    for path in (INBOX, INBOX + "/labelled"):
        assert (await browser.get(path)).status == 403
    for path in (INBOX + "/label", INBOX + "/new-intent", INBOX + "/labelled/1/undo"):
        answer = await browser.post(path, data={"csrf_token": token, "message": str(message), "intent": "faq_pge"})
        assert answer.status == 403
    assert await artisans.labels() == []


async def test_an_empty_inbox_says_so(signed_in) -> None:
    page = await signed_in.get(INBOX)
    assert page.status == 200
    assert "la boîte est vide" in await page.text()


async def test_forty_variants_show_as_one_group_and_phone_numbers_never_show(signed_in, artisans) -> None:
    for i in range(40):
        await artisans.say(["les masques sont ils gratuits pour mes salariés", "masques gratuits pour les salariés ?"][i % 2])
    await artisans.say("quand rouvrent les salons de coiffure, appelez-moi au 06 12 34 56 78", "nlu_fallback", 0.2)
    await artisans.say("je voudrais un PGE", "faq_pge", 0.97)  # understood: not in the inbox

    page = await (await signed_in.get(INBOX)).text()
    assert groups_on(page) == [40, 1]
    assert "06 12 34 56 78" not in page and "‹téléphone›" in page
    assert "je voudrais un PGE" not in page
    assert page.count('type="checkbox" name="message"') == 41 and page.count(" checked>") == 41
    assert "non compris" in page and "confiance faible" in page
    for button in ("Étiqueter", "Ignorer", "Créer l'intention et étiqueter"):
        assert button in page
    assert '<option value="faq_pge">' in page and 'value="nlu_fallback"' not in page


async def test_an_admin_labels_only_the_checked_messages(signed_in, artisans) -> None:
    ids = [await artisans.say("c'est quoi le PGE pour moi", confidence=0.3) for _ in range(3)]
    token = await signed_in.csrf_token()
    answer = await signed_in.post(
        INBOX + "/label",
        data=[("csrf_token", token), ("group", str(ids[0])), ("message", str(ids[0])), ("message", str(ids[2])),
              ("intent", "faq_pge"), ("action", "label")],
    )
    assert answer.status == 303
    page = await (await signed_in.get(answer.headers["Location"])).text()
    assert "2 messages étiquetés avec l’intention « faq_pge »." in page
    assert groups_on(page) == [1]
    assert [(l.message_id, l.kind, l.intent) for l in await artisans.labels()] == [
        (ids[0], "intent", "faq_pge"), (ids[2], "intent", "faq_pge")
    ]


async def test_an_admin_ignores_a_group(signed_in, artisans) -> None:
    ids = [await artisans.say("azerty", "nlu_fallback", 0.1) for _ in range(2)]
    token = await signed_in.csrf_token()
    data = [("csrf_token", token), ("intent", ""), ("action", "ignore")] + [("message", str(i)) for i in ids]
    answer = await signed_in.post(INBOX + "/label", data=data)
    assert answer.status == 303
    page = await (await signed_in.get(answer.headers["Location"])).text()
    assert "2 messages ignorés" in page and groups_on(page) == []
    assert {l.kind for l in await artisans.labels()} == {"ignore"}


async def test_a_form_without_the_csrf_token_changes_nothing(signed_in, artisans) -> None:
    message = await artisans.say("question")
    answer = await signed_in.post(INBOX + "/label", data={"message": str(message), "intent": "faq_pge", "action": "label"})
    assert answer.status == 403
    assert await artisans.labels() == []


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"intent": "faq_inventee", "action": "label"}, "n’existe pas"),
        ({"intent": "", "action": "label"}, "Choisissez une intention"),
        ({"intent": "faq_pge", "action": "label", "no_message": "1"}, "Cochez au moins un message"),
    ],
)
async def test_bad_labels_show_the_page_again_with_a_french_error(signed_in, artisans, form, error) -> None:
    message = await artisans.say("question")
    token = await signed_in.csrf_token()
    data = {"csrf_token": token, "group": str(message), **form}
    if not data.pop("no_message", None):
        data["message"] = str(message)
    answer = await signed_in.post(INBOX + "/label", data=data)
    assert answer.status == 400
    page = await answer.text()
    assert error in page and groups_on(page) == [1]
    assert await artisans.labels() == []


async def test_an_admin_creates_an_intent_and_labels_the_checked_messages_with_it(signed_in, artisans, client) -> None:
    ids = [await artisans.say(t, "pledge_masks", 0.3) for t in ("masques gratuits ?", "les masques sont gratuits ?")]
    token = await signed_in.csrf_token()
    data = [("csrf_token", token), ("group", str(ids[0])), ("title", "Masques gratuits"),
            ("answer", "Oui, pour les salariés des artisans."), *[("message", str(i)) for i in ids]]
    answer = await signed_in.post(INBOX + "/new-intent", data=data)
    assert answer.status == 303
    page = await (await signed_in.get(answer.headers["Location"])).text()
    assert "Intention « faq_masques_gratuits » créée avec sa réponse ; 2 messages étiquetés." in page
    assert [(l.intent, l.kind) for l in await artisans.labels()] == [("faq_masques_gratuits", "intent")] * 2
    async with artisans.sessionmaker() as session:
        assert (await session.get(Answer, "utter_faq_masques_gratuits")).text == "Oui, pour les salariés des artisans."
        assert (await session.get(AdminIntent, "faq_masques_gratuits")).title == "Masques gratuits"

    # The new intent is then offered for the next messages.
    await artisans.say("autre chose")
    assert '<option value="faq_masques_gratuits">' in await (await signed_in.get(INBOX)).text()


@pytest.mark.parametrize(
    ("title", "answer", "checked", "error"),
    [
        ("Masques gratuits", "", True, "Écrivez la réponse"),
        ("", "Oui, gratuits.", True, "Donnez un titre"),
        ("PGE", "Oui, gratuits.", True, "existe déjà"),
        ("Masques gratuits", "Oui, gratuits.", False, "Cochez au moins un message"),
    ],
)
async def test_a_bad_new_intent_keeps_what_was_typed(signed_in, artisans, title, answer, checked, error) -> None:
    message = await artisans.say("masques gratuits ?", "pledge_masks", 0.3)
    token = await signed_in.csrf_token()
    data = {"csrf_token": token, "group": str(message), "title": title, "answer": answer}
    if checked:
        data["message"] = str(message)
    response = await signed_in.post(INBOX + "/new-intent", data=data)
    assert response.status == 400
    page = await response.text()
    assert error in page
    assert f'value="{title}"' in page and f">{answer}</textarea>" in page
    assert re.search(r'<details class="new-intent" open>', page)
    assert await artisans.labels() == []
    async with artisans.sessionmaker() as session:
        assert list(await session.scalars(select(AdminIntent))) == []


async def test_recent_labels_list_who_and_can_be_undone(signed_in, artisans) -> None:
    message = await artisans.say("question sur le PGE")
    token = await signed_in.csrf_token()
    await signed_in.post(INBOX + "/label", data={"csrf_token": token, "message": str(message), "intent": "faq_pge", "action": "label"})
    page = await (await signed_in.get(INBOX + "/labelled")).text()
    assert "question sur le PGE" in page and ADMIN_EMAIL in page and "faq_pge" in page
    [label] = await artisans.labels()

    assert (await signed_in.post(f"{INBOX}/labelled/{label.id}/undo")).status == 403  # no CSRF token
    answer = await signed_in.post(f"{INBOX}/labelled/{label.id}/undo", data={"csrf_token": token})
    assert answer.status == 303
    page = await (await signed_in.get(answer.headers["Location"])).text()
    assert "Étiquette annulée" in page and "Aucun message étiqueté" in page
    assert groups_on(await (await signed_in.get(INBOX)).text()) == [1]

    again = await signed_in.post(f"{INBOX}/labelled/{label.id}/undo", data={"csrf_token": token})
    assert "n’existe plus" in await (await signed_in.get(again.headers["Location"])).text()
