"""The retraining loop on the whole stack (action server, Rasa, gateway), with a stack of its own.

An unknown question, asked fifty ways by fifty artisans, reaches the admins' inbox as one group; an admin
labels it as a new intent with its French answer; the model is trained, evaluated beside the active model,
and activated while artisans keep writing (not one message lost or failed); the same question is then
answered. A model worse than the active one is refused; agents cannot reach any of it.

The stack has its own models folder (the trained models stay out of the project's models/), and its own
database.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
from playwright.async_api import expect
from sqlalchemy import select

from bench.switch import Load, converse
from bot.messaging.replies import ENGINE_FAILED
from bot.runtime.base_model import ensure_model
from bot.settings import ROOT, Settings
from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import InboxLabel, Message, MessageStatus
from tests.support.stack import Stack, staff_login, start_stack, stop_stack

pytestmark = pytest.mark.stack

PASSWORD = "un mot de passe assez long"
ANSWER = (
    "Le chèque numérique de 500 € aide les commerces et artisans fermés à payer leurs dépenses de "
    "numérisation (site, logiciel de vente en ligne). Demande sur chequenumerique.asp-public.fr."
)

OPENINGS = ["", "bonjour ", "svp ", "bonsoir, ", "rebonjour ", "salut "]
CORES = [
    "comment obtenir le chèque numérique de 500 euros",
    "le chèque numérique pour mon site internet c'est quoi",
    "je voudrais demander le chèque numérique",
    "où faire la demande du cheque numerique",
    "aide de 500 € pour créer mon site web, le chèque numérique",
    "est ce que j'ai droit au chèque numérique",
    "chèque numérique : comment ça marche",
    "le cheque numerique est il ouvert aux artisans",
    "qui verse le chèque numérique de 500 euros",
]
ENDINGS = ["", " ?", " merci", " svp"]


def variants(count: int) -> list[str]:
    """`count` different ways artisans ask about the chèque numérique."""
    combos = itertools.product(CORES, OPENINGS, ENDINGS)
    return [f"{o}{c}{e}".strip() for c, o, e in itertools.islice(combos, 0, None, 3)][:count]


def run_cli(stack: Stack, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DATABASE_URL=stack.settings.database_url, MODELS_DIR=stack.env["MODELS_DIR"], **{
        k: v for k, v in stack.env.items() if k in ("MAX_ACCURACY_DROP", "INBOX_CONFIDENCE_THRESHOLD")
    })
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], cwd=ROOT, env=env, input=stdin, text=True, capture_output=True
    )


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("retrain")
    models = tmp / "models"
    models.mkdir()
    base = ensure_model(Settings())
    (models / base.name).symlink_to(base)
    # No drop tolerated: the first model, without the new intent, is worse than the one the loop activates (the
    # loop checks its evaluation says so), however training's noise moves the other intents' scores by a point.
    env = {"MODELS_DIR": str(models), "MAX_ACCURACY_DROP": "0", "ADVISER_HOURS": "mon-sun 00:00-24:00"}
    running = start_stack(tmp, f"sqlite:///{tmp / 'crisisbot.db'}", env)
    yield running
    stop_stack(running)


class Admin:
    """A staff member's browser session on the retraining pages (forms, as the pages send them)."""

    def __init__(self, stack: Stack, session: aiohttp.ClientSession) -> None:
        self.stack, self.session, self.csrf = stack, session, ""

    @classmethod
    async def login(cls, stack: Stack, role: str = "admin") -> Admin:
        email = f"{role}-{uuid.uuid4().hex[:8]}@cma71.fr"
        added = run_cli(stack, "staff", "add", email, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        session, csrf = await staff_login(stack.url, email, PASSWORD)
        admin = cls(stack, session)
        admin.csrf = csrf
        return admin

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(f"{self.stack.url}{path}") as response:
            return response.status, await response.text()

    async def post(self, path: str, data: list[tuple[str, str]] | dict[str, str]) -> tuple[int, str]:
        fields = list(data.items()) if isinstance(data, dict) else list(data)
        async with self.session.post(f"{self.stack.url}{path}", data=[("csrf_token", self.csrf), *fields]) as response:
            return response.status, await response.text()

    async def live(self) -> dict:
        async with self.session.get(f"{self.stack.url}/staff/models/live", headers={"Accept": "application/json"}) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def wait_for_job(self, timeout: float = 600) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = (await self.live())["job"]
            if job and job["status"] in ("succeeded", "failed"):
                return job
            await asyncio.sleep(2)
        raise AssertionError(f"the job did not finish in {timeout:.0f}s:\n{(await self.live())['job']['log'][-3000:]}")

    async def wait_active(self, timeout: float = 60) -> str:
        """The name of the active model, once the gateway has recorded the one Rasa started with."""
        active = await self._until_active(lambda active: True, timeout, "no active model in the registry")
        return active["name"]

    async def wait_loaded(self, name: str, timeout: float = 120) -> None:
        check = lambda active: active["name"] == name and active["loaded"]  # noqa: E731
        await self._until_active(check, timeout, f"Rasa did not load {name}")

    async def _until_active(self, check, timeout: float, failure: str) -> dict:  # type: ignore[no-untyped-def]
        """The models page's active model, once `check` accepts it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            active = (await self.live())["active"]
            if active and check(active):
                return active
            await asyncio.sleep(0.5)
        raise AssertionError(f"{failure} in {timeout:.0f}s")

    async def close(self) -> None:
        await self.session.close()


@pytest.fixture
async def admin(stack: Stack) -> AsyncIterator[Admin]:
    admin = await Admin.login(stack)
    yield admin
    await admin.close()


async def chat(session: aiohttp.ClientSession, stack: Stack, sender: str, text: str) -> list[str]:
    async with session.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
        assert response.status == 200, await response.text()
        return [reply.get("text", "") for reply in await response.json()]


async def rows(stack: Stack, statement):  # type: ignore[no-untyped-def]
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(statement))
    finally:
        await engine.dispose()


def inbox_groups(page: str) -> list[dict]:
    """The inbox page's groups: count, message ids and the page's text of each."""
    groups = []
    for chunk in page.split('<section class="inbox-group"')[1:]:
        chunk = chunk.split("</section>")[0]
        groups.append(
            {
                "count": int(re.search(r'data-count="(\d+)"', chunk).group(1)),
                "key": re.search(r'name="group" value="([^"]*)"', chunk).group(1),
                "ids": re.findall(r'name="message" value="(\d+)"', chunk),
                "text": chunk,
            }
        )
    return groups


# What the tests share, in the order they run: the names of the models.
MODELS: dict[str, str] = {}
PII = "je m'appelle Jean Dupont, 06 12 34 56 78, comment obtenir le chèque numérique"


async def test_an_unknown_question_is_learned_from_the_inbox_then_answered(stack: Stack, admin: Admin) -> None:
    # The model the stack started with is the registry's first active model.
    MODELS["base"] = await admin.wait_active()

    # Fifty artisans ask about the chèque numérique, which the bot has never heard of.
    questions = variants(50)
    async with aiohttp.ClientSession() as session:
        answers = await asyncio.gather(
            *(chat(session, stack, f"artisan-{i}", q) for i, q in enumerate([*questions, PII]))
        )
    assert not any(ANSWER[:40] in " ".join(a) for a in answers)

    # The inbox shows them as one group, personal data masked.
    status, page = await admin.get("/staff/inbox")
    assert status == 200
    assert "06 12 34 56 78" not in page and "Dupont" not in page
    group = max(inbox_groups(page), key=lambda g: g["count"])
    assert group["count"] >= 30 and group["count"] == len(group["ids"])
    assert "num" in group["text"] and "chèque" in group["text"]

    # The admin makes it a new intent, with its French answer.
    status, _ = await admin.post(
        "/staff/inbox/new-intent",
        [("group", group["key"]), ("title", "Chèque numérique"), ("answer", ANSWER), *(("message", i) for i in group["ids"])],
    )
    assert status == 200  # the inbox again (the redirect followed), now without the group
    labels = await rows(stack, select(InboxLabel))
    assert len(labels) == group["count"] and {l.intent for l in labels} == {"faq_cheque_numerique"}
    assert sum(l.heldout for l in labels) == group["count"] // 5
    assert not any("06 12" in l.text or "Dupont" in l.text for l in labels)
    status, page = await admin.get("/staff/inbox")
    assert all(g["count"] < 10 for g in inbox_groups(page))

    # Trained, then evaluated beside the active model: the kept-aside examples show the gain.
    status, _ = await admin.post("/staff/models/train", {})
    assert status == 200
    job = await admin.wait_for_job()
    assert job["status"] == "succeeded", job["log"][-3000:]
    name = MODELS["new"] = job["model"]
    status, page = await admin.get(f"/staff/models/{name}")
    assert status == 200 and "faq_cheque_numerique" in page
    gate = re.search(r'<p id="gate" class="(\w+)">([^<]*)</p>', page)
    assert gate.group(1) == "done" and "hausse de" in gate.group(2), gate.group(2)

    # Activated while eight artisans keep chatting: not one message lost or failed.
    load = Load()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120)) as session:
        workers = [asyncio.create_task(converse(session, f"{stack.url}/webhooks/rest/webhook", load)) for _ in range(8)]
        await asyncio.sleep(3)
        status, _ = await admin.post(f"/staff/models/{name}/activate", {})
        assert status == 200
        await admin.wait_loaded(name)
        await asyncio.sleep(3)
        load.running = False
        await asyncio.gather(*workers)
    failed = [s for s in load.samples if not s.ok]
    assert len(load.samples) > 20 and not failed, f"{len(failed)} of {len(load.samples)} messages failed"
    assert not await rows(stack, select(Message).where(Message.text == ENGINE_FAILED))
    assert not await rows(stack, select(Message).where(Message.status == MessageStatus.FAILED))

    # The same question is now answered, and so is a new way of asking it.
    async with aiohttp.ClientSession() as session:
        assert ANSWER[:60] in " ".join(await chat(session, stack, "after-1", questions[0]))
        assert ANSWER[:60] in " ".join(await chat(session, stack, "after-2", "bonjour, c'est quoi le chèque numérique ?"))

    # Its answer is edited live: the next message gets the new text, without retraining.
    edited = "Chèque numérique : 500 € pour vos dépenses de numérisation. Demande en ligne jusqu'au 31 mars 2021."
    status, _ = await admin.post(
        "/staff/answers/utter_faq_cheque_numerique", {"text": edited, "buttons": "", "updated_on": "2021-01-15", "show_date": "on"}
    )
    assert status == 200
    async with aiohttp.ClientSession() as session:
        reply = " ".join(await chat(session, stack, "after-3", questions[0]))
    assert edited in reply and "Mis à jour le 15 janvier 2021" in reply


async def test_a_worse_model_is_refused(stack: Stack, admin: Admin) -> None:
    assert "new" in MODELS, "runs after the whole loop above"
    # The first model, evaluated against the new active one, misses the kept-aside chèque numérique questions.
    base = MODELS["base"]
    status, _ = await admin.post(f"/staff/models/{base}/evaluate", {})
    assert status == 200
    job = await admin.wait_for_job()
    assert job["status"] == "succeeded", job["log"][-3000:]
    status, page = await admin.get(f"/staff/models/{base}")
    assert "au-delà des" in page and "Activer quand même" in page, page
    status, page = await admin.post(f"/staff/models/{base}/activate", {})
    assert status == 409 and "au-delà des" in page
    assert (await admin.live())["active"]["name"] == MODELS["new"]


async def test_models_are_listed_rolled_back_and_activated_from_the_command_line(stack: Stack, admin: Admin) -> None:
    assert "new" in MODELS, "runs after the whole loop above"
    listed = run_cli(stack, "models", "list")
    assert listed.returncode == 0
    active_line = next(line for line in listed.stdout.splitlines() if line.startswith("*"))
    assert MODELS["new"] in active_line

    back = run_cli(stack, "models", "rollback")
    assert back.returncode == 0 and MODELS["base"] in back.stdout, back.stderr
    await admin.wait_loaded(MODELS["base"], timeout=60)  # the running gateway catches up on its own
    async with aiohttp.ClientSession() as session:
        assert ANSWER[:60] not in " ".join(await chat(session, stack, "cli-1", variants(1)[0]))

    refused = run_cli(stack, "models", "activate", "crisisbot-does-not-exist")
    assert refused.returncode == 1 and "Aucun modèle" in refused.stderr
    again = run_cli(stack, "models", "activate", MODELS["new"])
    assert again.returncode == 0, again.stderr
    await admin.wait_loaded(MODELS["new"], timeout=60)
    audit = (await admin.get("/staff/audit"))[1]
    assert "ligne de commande" in audit and "Retour à un modèle" in audit


async def test_only_admins_reach_the_retraining_pages(stack: Stack) -> None:
    agent = await Admin.login(stack, role="agent")
    try:
        for path in ("/staff/inbox", "/staff/answers", "/staff/models", "/staff/audit"):
            assert (await agent.get(path))[0] == 403, path
        for path in ("/staff/models/train", "/staff/inbox/label", f"/staff/models/{MODELS.get('base', 'x')}/activate"):
            assert (await agent.post(path, {}))[0] == 403, path
    finally:
        await agent.close()
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.post(f"{stack.url}/staff/models/train", allow_redirects=False) as response:
            assert response.status in (401, 403)


MARKET = [
    "le marché du samedi est il maintenu à Mâcon",
    "marché de samedi maintenu ?",
    "est ce que le marché de samedi a lieu",
    "le marché du samedi matin est-il annulé",
    "marché du samedi à mâcon ouvert ?",
    "y aura t il le marché samedi",
]


async def test_an_admin_labels_a_group_and_activates_a_model_in_a_browser(stack: Stack, chromium) -> None:
    assert "new" in MODELS, "runs after the whole loop above"
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(chat(session, stack, f"market-{i}", q) for i, q in enumerate(MARKET)))
    email = f"admin-{uuid.uuid4().hex[:8]}@cma71.fr"
    added = run_cli(stack, "staff", "add", email, "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.returncode == 0, added.stderr

    page = await (await chromium.new_context(viewport={"width": 1280, "height": 900})).new_page()
    await page.goto(f"{stack.url}/staff/login?next=/staff/inbox")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button:has-text('Se connecter')")
    await expect(page).to_have_url(f"{stack.url}/staff/inbox")

    # The market questions are one group; the admin labels it as the shops' reopening question.
    group = page.locator("section.inbox-group", has_text="marché")
    await expect(group).to_have_count(1)
    assert int(await group.get_attribute("data-count")) >= 3
    await group.locator("select[name=intent]").select_option("faq_ouverture_commerces")
    await group.get_by_role("button", name="Étiqueter", exact=True).click()
    await expect(page.locator("#inbox-done")).to_be_visible()
    await expect(page.locator("section.inbox-group", has_text="marché")).to_have_count(0)
    labels = await rows(stack, select(InboxLabel).where(InboxLabel.intent == "faq_ouverture_commerces"))
    assert len(labels) >= 3 and all("marché" in label.text for label in labels)

    # The first model was refused by the gate; the admin activates it anyway, giving a reason.
    await page.goto(f"{stack.url}/staff/models/{MODELS['base']}")
    await expect(page.locator("#gate")).to_contain_text("au-delà des")
    await page.fill("#reason", "Retour au modèle de départ le temps de vérifier une réclamation")
    await page.click("button:has-text('Activer quand même')")
    await expect(page).to_have_url(f"{stack.url}/staff/models?ok=activated")
    await expect(page.locator("#active-model .model-name")).to_have_text(MODELS["base"])
    await expect(page.locator("#loaded-state")).to_have_text("chargé par Rasa", timeout=90_000)
    async with aiohttp.ClientSession() as session:
        assert ANSWER[:60] not in " ".join(await chat(session, stack, "browser-1", variants(1)[0]))
