"""The admins' model pages: the registry, an evaluation beside the active model, the gate refusing a worse
model, overriding it with a reason, one-click rollback, the audit, and access (Rasa is not needed here)."""

from __future__ import annotations

import fcntl
from dataclasses import replace
from pathlib import Path

import pytest

from bot import appkeys
from bot.retrain.evaluation import Scores, report
from bot.storage.audit import Actor
from tests.bot.conftest import ADMIN_EMAIL

SYSTEM = Actor(None, "système")


def scores(accuracy: float) -> Scores:
    return Scores(
        total=100, accuracy=accuracy, macro_f1=accuracy - 0.01, per_intent={}, confusions=[("faq_pge", "faq_aides_region", 3)],
        sources={"heldout": 95, "inbox": 5}, inbox_accuracy=accuracy,
    )


@pytest.fixture
def settings(make_settings, sqlite_url: str, tmp_path: Path):
    return replace(make_settings(sqlite_url), models_dir=tmp_path / "models")


@pytest.fixture
async def registry(client, settings):
    registry = client.app[appkeys.REGISTRY]
    settings.models_dir.mkdir(exist_ok=True)
    for name in ("crisisbot-base", "crisisbot-better", "crisisbot-worse"):
        path = settings.models_dir / f"{name}.tar.gz"
        path.write_bytes(b"model")
        if name != "crisisbot-base":
            await registry.add(name, path, "ab" * 32, 40, SYSTEM)
    await registry.adopt_first("crisisbot-base", settings.models_dir / "crisisbot-base.tar.gz", "cd" * 32)
    active = scores(0.95)
    for name, accuracy in (("crisisbot-better", 0.96), ("crisisbot-worse", 0.90)):
        await registry.add_evaluation(
            name, "crisisbot-base", 100, "h", report(scores(accuracy), active, name, "crisisbot-base", 0.02), SYSTEM
        )
    return registry


@pytest.fixture
async def me(browser, admin, registry):
    await browser.login(admin.email)
    browser.csrf = await browser.csrf_token()
    return browser


async def test_the_registry_shows_every_model_with_its_scores(me) -> None:
    page = await me.get("/staff/models")
    text = await page.text()
    assert page.status == 200
    assert "crisisbot-base</a> <strong>(actif)</strong>" in text
    assert "96,0 %" in text and "90,0 %" in text and "refusée" in text
    assert 'src="/static/models.js"' in text and "<script>" not in text
    assert "fichier supprimé" not in text


async def test_a_pruned_model_stays_listed_with_its_file_marked_gone(me, settings) -> None:
    (settings.models_dir / "crisisbot-worse.tar.gz").unlink()  # as `crisisbot models prune` leaves it
    text = await (await me.get("/staff/models")).text()
    assert "crisisbot-worse</a> <em>(fichier supprimé)</em>" in text and "90,0 %" in text
    assert "crisisbot-better</a> <em>" not in text
    text = await (await me.get("/staff/models/crisisbot-worse")).text()
    assert "ne peut plus être mis en service" in text and 'id="activate"' not in text


async def test_a_worse_model_is_refused_then_activated_with_a_reason(me, registry) -> None:
    page = await me.get("/staff/models/crisisbot-worse")
    text = await page.text()
    assert "baisse de 5,0 points" in text and "Activer quand même" in text

    refused = await me.post("/staff/models/crisisbot-worse/activate", data={"csrf_token": me.csrf})
    assert refused.status == 409 and "baisse de 5,0 points" in await refused.text()
    assert (await registry.active()).model_name == "crisisbot-base"

    reason = "Le nouveau sujet des masques ne peut pas attendre"
    done = await me.post("/staff/models/crisisbot-worse/activate", data={"csrf_token": me.csrf, "reason": reason})
    assert done.status == 303 and done.headers["Location"] == "/staff/models?ok=activated"
    active = await registry.active()
    assert (active.model_name, active.kind, active.reason, active.actor) == ("crisisbot-worse", "override", reason, ADMIN_EMAIL)

    audit = await (await me.get("/staff/audit")).text()
    assert "Modèle activé" in audit and reason in audit and ADMIN_EMAIL in audit


async def test_a_better_model_is_activated_and_rolled_back_in_one_click(me, registry) -> None:
    done = await me.post("/staff/models/crisisbot-better/activate", data={"csrf_token": me.csrf})
    assert done.status == 303
    page = await (await me.get("/staff/models?ok=activated")).text()
    assert "Modèle activé" in page and "Revenir au modèle précédent (crisisbot-base)" in page

    back = await me.post("/staff/models/rollback", data={"csrf_token": me.csrf})
    assert back.status == 303 and (await registry.active()).model_name == "crisisbot-base"
    # the model page offers the way back to any model that was active once
    assert "Revenir à ce modèle" in await (await me.get("/staff/models/crisisbot-better")).text()


async def test_one_training_at_a_time(me, settings) -> None:
    with open(settings.models_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # `crisisbot train` running in another process
        busy = await me.post("/staff/models/train", data={"csrf_token": me.csrf})
        assert busy.status == 409 and "déjà en cours" in await busy.text()


async def test_a_training_that_fails_leaves_the_active_model_and_says_why(me, registry, client, settings) -> None:
    # No engine environment at this path: the job fails at once, with the reason, and nothing changes.
    client.app[appkeys.JOBS]._settings = replace(settings, rasa_venv=settings.models_dir / "missing-venv")
    started = await me.post("/staff/models/train", data={"csrf_token": me.csrf})
    assert started.status == 303
    await client.app[appkeys.JOBS]._task
    live = await (await me.get("/staff/models/live", headers={"Accept": "application/json"})).json()
    assert live["job"]["status"] == "failed" and "make setup" in live["job"]["error"]
    assert live["active"]["name"] == "crisisbot-base"


async def test_unknown_models_and_names_get_a_404(me) -> None:
    assert (await me.get("/staff/models/crisisbot-nothing")).status == 404
    assert (await me.get("/staff/models/..%2Fetc")).status == 404


async def test_agents_and_anonymous_cannot_reach_the_model_pages(browser, agent, registry) -> None:
    anonymous = await browser.get("/staff/models")
    assert anonymous.status == 303 and anonymous.headers["Location"].startswith("/staff/login")
    await browser.login(agent.email)
    csrf = await browser.csrf_token()
    for path in ("/staff/models", "/staff/models/crisisbot-worse", "/staff/audit", "/staff/models/live"):
        assert (await browser.get(path)).status == 403, path
    for path in ("/staff/models/train", "/staff/models/crisisbot-better/activate", "/staff/models/rollback"):
        assert (await browser.post(path, data={"csrf_token": csrf})).status == 403, path
    assert (await registry.active()).model_name == "crisisbot-base"
