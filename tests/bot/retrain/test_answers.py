"""The FAQ answers' live text (bot.retrain.answers), on SQLite and on PostgreSQL: edit, apply, history, restore."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.errors import RetrainRefused
from bot.retrain.answer_content import read_domain_answers
from bot.retrain.answers import LiveAnswers
from bot.settings import ROOT
from bot.shared.french import french_date
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.audit import Actor
from bot.storage.models import AdminAuditEvent, AdminIntent, Answer, StaffAccount

DOMAIN = """\
version: "3.1"
responses:
  utter_faq_pge:
    - text: |-
        Le PGE se demande à votre banque.

        Plus d'infos : bpifrance.fr.
      buttons:
        - title: Être rappelé
          payload: /request_callback
    - text: Une autre formulation du PGE.
  utter_faq_apprentissage:
    - text: Les apprentis, c'est ici.
  utter_greet:
    - text: Bonjour !
"""


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2020, 12, 3, 23, 30, tzinfo=UTC)  # 00:30 on the 4th in Paris

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def database(database_url: str):
    await asyncio.to_thread(migrate, database_url)
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    return tmp_path


@pytest.fixture
async def answers(database, project: Path, clock: Clock) -> LiveAnswers:
    live = LiveAnswers(create_sessionmaker(database), project, clock)
    await live.load()
    return live


@pytest.fixture
async def admin(database) -> Actor:
    async with create_sessionmaker(database)() as session, session.begin():
        account = StaffAccount(email="admin@cma-exemple.fr", role="admin", password_hash="x")
        session.add(account)
    return Actor(account.id, account.email)


def rasa(*parts: tuple[str | None, str], **extra) -> list[dict]:
    """Messages as the gateway channel returns them: (response, text) each."""
    return [
        {"recipient_id": "a", "text": text, **({"response": response} if response else {}), **extra}
        for response, text in parts
    ]


async def test_the_faq_answers_are_editable_with_the_domain_text_by_default(answers: LiveAnswers) -> None:
    views = await answers.list()
    assert [v.response for v in views] == ["utter_faq_pge", "utter_faq_apprentissage"]
    pge = views[0]
    assert (pge.intent, pge.title, pge.edited) == ("faq_pge", "Prêt garanti (PGE)", False)
    assert pge.text == "Le PGE se demande à votre banque.\n\nPlus d'infos : bpifrance.fr."
    assert pge.buttons == [{"title": "Être rappelé", "payload": "/request_callback"}]
    assert pge.updated_on is None and pge.updated_by is None
    assert await answers.get("utter_greet") is None


async def test_the_real_domain_has_its_ten_faq_answers() -> None:
    defaults = read_domain_answers(ROOT)
    assert len(defaults) == 10 and all(name.startswith("utter_faq_") for name in defaults)
    assert all(content.text for content in defaults.values())


async def test_an_intent_created_by_an_admin_has_an_editable_answer(answers: LiveAnswers, database, admin) -> None:
    async with create_sessionmaker(database)() as session, session.begin():
        session.add(AdminIntent(name="faq_cheque_numerique", title="Chèque numérique"))
    view = await answers.get("utter_faq_cheque_numerique")
    assert (view.title, view.text, view.edited) == ("Chèque numérique", "", False)
    await answers.save("utter_faq_cheque_numerique", "500 € pour vous équiper.", [], None, admin)
    assert answers.apply(rasa(("utter_faq_cheque_numerique", "…")))[0]["text"] == "500 € pour vous équiper."


async def test_a_saved_answer_is_used_from_the_next_message_on(answers: LiveAnswers, admin: Actor) -> None:
    before = rasa(("utter_faq_pge", "Le PGE se demande à votre banque."))
    assert answers.apply(before) == before

    buttons = [{"title": "Être rappelé", "payload": "/request_callback"}, {"title": "Merci", "payload": "merci"}]
    await answers.save("utter_faq_pge", "Le PGE : jusqu'au 30 juin 2021.", buttons, date(2020, 12, 3), admin)

    [message] = answers.apply(before)
    assert message == {
        "recipient_id": "a",
        "response": "utter_faq_pge",
        "text": "Le PGE : jusqu'au 30 juin 2021.\n\nMis à jour le 3 décembre 2020.",
        "buttons": buttons,
    }
    view = await answers.get("utter_faq_pge")
    assert view.edited and view.updated_by == "admin@cma-exemple.fr" and view.updated_on == date(2020, 12, 3)


async def test_the_parts_of_one_response_become_one_message_other_messages_are_untouched(
    answers: LiveAnswers, admin: Actor
) -> None:
    await answers.save("utter_faq_pge", "Nouveau texte.", [], None, admin)
    messages = [
        *rasa((None, "Je regarde…"), ("utter_faq_pge", "Le PGE se demande à votre banque.")),
        *rasa(("utter_faq_pge", "Plus d'infos : bpifrance.fr."), custom={"awaiting": "nothing"}),
        *rasa(("utter_faq_apprentissage", "Les apprentis, c'est ici."), ("utter_greet", "Bonjour !")),
    ]
    assert answers.apply(messages) == [
        messages[0],
        {"recipient_id": "a", "response": "utter_faq_pge", "text": "Nouveau texte.", "custom": {"awaiting": "nothing"}},
        messages[3],
        messages[4],
    ]


async def test_every_version_is_kept_and_an_earlier_one_can_be_restored(
    answers: LiveAnswers, admin: Actor, clock: Clock, database
) -> None:
    await answers.save("utter_faq_pge", "Version un.", [], date(2020, 12, 1), admin)
    clock.now += timedelta(hours=1)
    await answers.save("utter_faq_pge", "Version deux.", [{"title": "Ok", "payload": "ok"}], None, admin)

    history = await answers.history("utter_faq_pge")
    assert [(v.text, v.editor) for v in history] == [("Version deux.", admin.name), ("Version un.", admin.name)]
    assert history[0].buttons == [{"title": "Ok", "payload": "ok"}]
    assert history[0].changed_at == clock.now and history[1].updated_on == date(2020, 12, 1)

    await answers.restore("utter_faq_pge", history[1].id, Actor.command_line())
    [message] = answers.apply(rasa(("utter_faq_pge", "…")))
    assert message["text"] == "Version un.\n\nMis à jour le 1er décembre 2020." and "buttons" not in message
    restored = await answers.history("utter_faq_pge")
    assert len(restored) == 3 and restored[0].text == "Version un." and restored[0].editor is None
    view = await answers.get("utter_faq_pge")
    assert (view.updated_at, view.updated_by) == (clock.now, None)

    async with create_sessionmaker(database)() as session:
        audit = list(await session.scalars(select(AdminAuditEvent).order_by(AdminAuditEvent.id)))
    assert [(e.action, e.target) for e in audit] == [
        ("edit_answer", "utter_faq_pge"),
        ("edit_answer", "utter_faq_pge"),
        ("restore_answer", "utter_faq_pge"),
    ]
    assert audit[2].actor.startswith("ligne de commande") and f"version {history[1].id}" in audit[2].detail


async def test_a_version_of_another_answer_cannot_be_restored(answers: LiveAnswers, admin: Actor) -> None:
    await answers.save("utter_faq_apprentissage", "Apprentis.", [], None, admin)
    [version] = await answers.history("utter_faq_apprentissage")
    with pytest.raises(RetrainRefused, match="version"):
        await answers.restore("utter_faq_pge", version.id, admin)
    with pytest.raises(RetrainRefused, match="version"):
        await answers.restore("utter_faq_pge", 999_999, admin)


@pytest.mark.parametrize(
    ("response", "text", "buttons", "error"),
    [
        ("utter_greet", "Salut", [], "n’existe pas"),
        ("utter_faq_inconnue", "Salut", [], "n’existe pas"),
        ("utter_faq_pge", "  \n ", [], "texte de la réponse est vide"),
        ("utter_faq_pge", "x" * 4001, [], "4000 caractères"),
        ("utter_faq_pge", "Texte", [{"title": "", "payload": "/x"}], "Bouton 1 : le titre est vide"),
        ("utter_faq_pge", "Texte", [{"title": "t" * 41, "payload": "/x"}], "40 caractères"),
        ("utter_faq_pge", "Texte", [{"title": "Ok", "payload": " "}], "Bouton 1 : ce qu’il envoie"),
        ("utter_faq_pge", "Texte", [{"title": "Ok", "payload": "/" * 201}], "200 caractères"),
        ("utter_faq_pge", "Texte", [{"title": f"B{n}", "payload": "/x"} for n in range(11)], "au plus 10 boutons"),
    ],
)
async def test_bad_input_is_refused_in_french_and_nothing_is_saved(
    answers: LiveAnswers, admin: Actor, response, text, buttons, error
) -> None:
    with pytest.raises(RetrainRefused, match=error):
        await answers.save(response, text, buttons, None, admin)
    assert await answers.history(response) == []
    assert not any(v.edited for v in await answers.list())


async def test_the_longest_allowed_answer_is_accepted(answers: LiveAnswers, admin: Actor) -> None:
    buttons = [{"title": "t" * 40, "payload": "/" * 200} for _ in range(10)]
    await answers.save("utter_faq_pge", "x" * 4000, buttons, None, admin)
    assert (await answers.get("utter_faq_pge")).buttons == buttons


async def test_rows_written_elsewhere_appear_within_thirty_seconds_or_at_once_when_invalidated(
    answers: LiveAnswers, database, clock: Clock
) -> None:
    async with create_sessionmaker(database)() as session, session.begin():
        session.add(Answer(response="utter_faq_apprentissage", text="Écrit ailleurs.", buttons=[]))
    messages = rasa(("utter_faq_apprentissage", "Les apprentis, c'est ici."))

    await answers.refresh()
    assert answers.apply(messages) == messages, "fresh: no reading on every message"
    clock.now += timedelta(seconds=30)
    await answers.refresh()
    assert answers.apply(messages)[0]["text"] == "Écrit ailleurs."

    async with create_sessionmaker(database)() as session, session.begin():
        (await session.get(Answer, "utter_faq_apprentissage")).text = "Changé encore."
    answers.invalidate()
    await answers.refresh()
    assert answers.apply(messages)[0]["text"] == "Changé encore."


async def test_a_database_failure_keeps_the_answers_in_memory(answers: LiveAnswers, admin: Actor, database, clock) -> None:
    await answers.save("utter_faq_pge", "En mémoire.", [], None, admin)
    await database.dispose()
    answers._sessionmaker = lambda: (_ for _ in ()).throw(OSError("database down"))  # noqa: SLF001
    clock.now += timedelta(minutes=5)
    await answers.refresh()
    assert answers.apply(rasa(("utter_faq_pge", "…")))[0]["text"] == "En mémoire."


def test_dates_are_written_in_french() -> None:
    assert french_date(date(2020, 12, 3)) == "3 décembre 2020"
    assert french_date(date(2021, 2, 1)) == "1er février 2021"
    assert [french_date(date(2021, m, 15)).split()[1] for m in range(1, 13)] == [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ]


async def test_today_is_the_chamber_s_date(answers: LiveAnswers) -> None:
    assert answers.today() == date(2020, 12, 4)  # 23:30 UTC is past midnight in Paris


async def test_a_save_during_a_reading_begun_before_it_is_not_lost(answers: LiveAnswers, admin: Actor, clock) -> None:
    clock.now += timedelta(minutes=1)
    reading = asyncio.ensure_future(answers.refresh())  # the message path, reading the old rows
    await asyncio.sleep(0)
    await answers.save("utter_faq_pge", "Enregistré pendant la lecture.", [], None, admin)
    await reading
    await answers.refresh()
    assert answers.apply(rasa(("utter_faq_pge", "…")))[0]["text"] == "Enregistré pendant la lecture."
