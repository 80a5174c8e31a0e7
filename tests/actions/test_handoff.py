"""Tests of the handoff to an adviser: each gateway outcome, each action's reason, and what the artisan reads."""

import asyncio
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List
from zoneinfo import ZoneInfo

import pytest
import yaml
from rasa_sdk.events import ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import ActionContactChamber, ActionHandoff, ActionHandoffDistress, ActionHandoffFormFailed
from actions.form_support import Services
from actions.handoff import describe_wait
from tests.actions.fake_gateway import (
    HANDOFF_ALREADY_AGENT,
    HANDOFF_ALREADY_WAITING,
    HANDOFF_CLOSED,
    HANDOFF_QUEUED,
    HANDOFF_QUEUED_NO_ESTIMATE,
    TOKEN,
    FakeGateway,
    handoff_path,
    run_with_gateway,
    unreachable_client,
)
from tests.actions.trackers import answer_tracker, message

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"
# A Wednesday at 10:00 in Paris: the chamber's telephone reception is open until noon.
WEDNESDAY_MORNING = datetime(2020, 12, 2, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
PHONE_OPEN = "L'accueil téléphonique est ouvert en ce moment, jusqu'à 12h00."

QUEUED_MESSAGE = message("utter_handoff_queued", wait_text="Il vous répondra dans 10 minutes environ.")
CLOSED_MESSAGE = message(
    "utter_handoff_closed",
    hours_text="du lundi au vendredi de 9h à 12h et de 14h à 17h",
    next_opening_text="lundi à 9h00",
)
UNAVAILABLE_MESSAGES = [message("utter_handoff_unavailable"), message("utter_contact_chambre", phone_status=PHONE_OPEN)]


def contact() -> ActionContactChamber:
    return ActionContactChamber(now=lambda: WEDNESDAY_MORNING, environ={})


def run_action(action_class, fake: FakeGateway, tracker=None):
    """Run a handoff action against the fake gateway; its events and messages."""
    tracker = tracker or answer_tracker("je veux parler a un conseiller", intent="human_handoff")

    async def scenario(client):
        dispatcher = CollectingDispatcher()
        action = action_class(Services(environ={}, gateway=client), contact())
        events = await action.run(dispatcher, tracker, {})
        return events, dispatcher.messages

    return run_with_gateway(fake, scenario)


def sent(fake: FakeGateway) -> List[tuple]:
    return [(r.method, r.path, r.authorization, r.body) for r in fake.requests]


# ------------------------------------------------------------------ outcomes
def test_queued_pauses_the_conversation_with_the_expected_wait():
    fake = FakeGateway({handoff_path(): HANDOFF_QUEUED})
    events, messages = run_action(ActionHandoff, fake)
    assert events == [ConversationPaused()]
    assert messages == [QUEUED_MESSAGE]
    assert sent(fake) == [
        ("POST", "/internal/conversations/conversation-1/handoff", f"Bearer {TOKEN}", {"reason": "asked"})
    ]


def test_queued_without_an_estimate_says_as_soon_as_possible():
    fake = FakeGateway({handoff_path(): HANDOFF_QUEUED_NO_ESTIMATE})
    events, messages = run_action(ActionHandoff, fake)
    assert events == [ConversationPaused()]
    assert messages == [message("utter_handoff_queued", wait_text="Il vous répondra dès que possible.")]


@pytest.mark.parametrize("answer", [HANDOFF_ALREADY_WAITING, HANDOFF_ALREADY_AGENT])
def test_already_waiting_or_with_an_adviser_says_so_and_pauses(answer):
    events, messages = run_action(ActionHandoff, FakeGateway({handoff_path(): answer}))
    assert events == [ConversationPaused()]
    assert messages == [message("utter_handoff_already")]


def test_closed_says_when_advisers_answer_and_does_not_pause():
    events, messages = run_action(ActionHandoff, FakeGateway({handoff_path(): HANDOFF_CLOSED}))
    assert events == []
    assert messages == [CLOSED_MESSAGE]


@pytest.mark.parametrize(
    "answer",
    [
        (503, {"error": "indisponible"}),
        (500, {}),
        (404, {"error": "Conversation inconnue."}),
        (401, {"error": "Jeton invalide."}),
        (200, {"outcome": "something new"}),
    ],
)
def test_a_failing_or_refusing_gateway_gives_the_chamber_s_contact(answer):
    events, messages = run_action(ActionHandoff, FakeGateway({handoff_path(): answer}))
    assert events == []
    assert messages == UNAVAILABLE_MESSAGES


def test_an_unreachable_gateway_gives_the_chamber_s_contact():
    dispatcher = CollectingDispatcher()
    action = ActionHandoff(Services(environ={}, gateway=unreachable_client()), contact())
    events = asyncio.run(action.run(dispatcher, answer_tracker("un humain svp", intent="human_handoff"), {}))
    assert events == []
    assert dispatcher.messages == UNAVAILABLE_MESSAGES


def test_an_unconfigured_gateway_gives_the_chamber_s_contact():
    dispatcher = CollectingDispatcher()
    action = ActionHandoff(Services(environ={}), contact())
    events = asyncio.run(action.run(dispatcher, answer_tracker("un humain svp", intent="human_handoff"), {}))
    assert events == []
    assert dispatcher.messages == UNAVAILABLE_MESSAGES


@pytest.mark.parametrize(
    "minutes, sentence",
    [
        (None, "Il vous répondra dès que possible."),
        (0, "Il vous répondra dans une minute environ."),
        (1, "Il vous répondra dans une minute environ."),
        (25, "Il vous répondra dans 25 minutes environ."),
    ],
)
def test_the_wait_in_french(minutes, sentence):
    assert describe_wait(minutes) == sentence


# ------------------------------------------------------------------ reasons
def test_distress_is_handed_off_as_distress():
    fake = FakeGateway({handoff_path(): (200, {**HANDOFF_QUEUED[1], "priority": True, "position": 1})})
    tracker = answer_tracker("je vais tout perdre", intent="distress")
    events, messages = run_action(ActionHandoffDistress, fake, tracker)
    assert events == [ConversationPaused()]
    assert messages == [QUEUED_MESSAGE]
    assert [r.body for r in fake.requests] == [{"reason": "distress"}]


def test_a_failed_form_is_handed_off_as_form_failed_and_the_flag_emptied():
    fake = FakeGateway({handoff_path(): HANDOFF_QUEUED})
    tracker = answer_tracker("12 34", slots={"form_failed": True})
    events, messages = run_action(ActionHandoffFormFailed, fake, tracker)
    assert events == [SlotSet("form_failed", None), ConversationPaused()]
    assert messages == [QUEUED_MESSAGE]
    assert [r.body for r in fake.requests] == [{"reason": "form_failed"}]


def test_a_failed_form_when_advisers_are_closed_offers_the_callback():
    tracker = answer_tracker("12 34", slots={"form_failed": True})
    events, messages = run_action(ActionHandoffFormFailed, FakeGateway({handoff_path(): HANDOFF_CLOSED}), tracker)
    assert events == [SlotSet("form_failed", None)]
    assert messages == [CLOSED_MESSAGE]


def test_the_conversation_id_is_the_sender_id():
    fake = FakeGateway({handoff_path("telegram:42"): HANDOFF_QUEUED})
    run_action(ActionHandoff, fake, answer_tracker("un humain", intent="human_handoff", sender_id="telegram:42"))
    assert [r.path for r in fake.requests] == ["/internal/conversations/telegram:42/handoff"]


# ------------------------------------------------------------------ what the artisan reads
def domain() -> Dict[str, Any]:
    return yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))


def rendered(response: str, **variables: Any) -> Dict[str, Any]:
    """The response's text with its variables filled, as Rasa sends it, and its buttons."""
    [variant] = domain()["responses"][response]
    text = variant["text"]
    for name, value in variables.items():
        text = text.replace("{" + name + "}", str(value))
    assert not re.search(r"\{\w+\}", text), f"{response}: unfilled variable in {text!r}"
    buttons = [(b["title"], b["payload"]) for b in variant.get("buttons", [])]
    return {"text": text, "buttons": buttons}


def render(messages: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    variables = ("wait_text", "hours_text", "next_opening_text", "phone_status")
    return [
        rendered(m["response"], **{k: m[k] for k in variables if k in m}) for m in messages
    ]


def test_queued_reads_well():
    _, messages = run_action(ActionHandoff, FakeGateway({handoff_path(): HANDOFF_QUEUED}))
    assert render(messages) == [
        {
            "text": "Je vous mets en relation avec un conseiller de la Chambre. "
            "Il vous répondra dans 10 minutes environ.\n"
            "Vous pouvez continuer à écrire ici : le conseiller lira vos messages.",
            "buttons": [],
        }
    ]


def test_already_reads_well():
    _, messages = run_action(ActionHandoff, FakeGateway({handoff_path(): HANDOFF_ALREADY_WAITING}))
    assert render(messages) == [
        {
            "text": "Un conseiller de la Chambre a déjà votre demande : il vous répond ici dès que possible.\n"
            "Vous pouvez continuer à écrire : il lira vos messages.",
            "buttons": [],
        }
    ]


def test_closed_reads_well_and_offers_a_callback():
    _, messages = run_action(ActionHandoff, FakeGateway({handoff_path(): HANDOFF_CLOSED}))
    assert render(messages) == [
        {
            "text": "Nos conseillers ne sont pas disponibles en ce moment : ils répondent du lundi au vendredi "
            "de 9h à 12h et de 14h à 17h, et seront de nouveau là lundi à 9h00.\n"
            "Voulez-vous qu'un conseiller vous rappelle par téléphone ?",
            "buttons": [("Être rappelé", "/request_callback"), ("Non merci", "/deny")],
        }
    ]


def test_closed_without_details_still_reads_well():
    fake = FakeGateway({handoff_path(): (200, {"outcome": "closed"})})
    _, messages = run_action(ActionHandoff, fake)
    [closed] = render(messages)
    assert closed["text"].startswith(
        "Nos conseillers ne sont pas disponibles en ce moment : ils répondent aux heures d'ouverture de la "
        "Chambre, et seront de nouveau là dès que possible."
    )


def test_unavailable_reads_well_and_gives_the_contact():
    _, messages = run_action(ActionHandoff, FakeGateway({handoff_path(): (503, {})}))
    apology, contact_details = render(messages)
    assert apology["text"] == (
        "Désolé, je ne peux pas vous mettre en relation avec un conseiller pour le moment. "
        "Voici comment joindre la Chambre :"
    )
    assert PHONE_OPEN in contact_details["text"]
    assert "https://www.artisanat-bfc.fr" in contact_details["text"]


def test_the_buttons_that_lead_to_a_person_send_the_handoff_intent():
    responses = domain()["responses"]
    for name in ("utter_bot_challenge", "utter_help"):
        [variant] = responses[name]
        assert {"title": "Parler à un conseiller", "payload": "/human_handoff"} in variant["buttons"], name


def test_distress_gives_the_listening_line_before_the_handoff():
    [variant] = domain()["responses"]["utter_distress"]
    assert "0 805 65 50 50" in variant["text"] and "15 ou le 112" in variant["text"]
    # The handoff that follows offers the adviser or the callback: no second offer here.
    assert "buttons" not in variant


def test_the_lines_said_before_a_handoff_read_well():
    # Before the outcome of a form's handoff, and before a fallback's handoff.
    assert rendered("utter_form_failed")["text"] == (
        "Je n'arrive pas à enregistrer cette réponse, désolé : j'arrête là les questions. "
        "Vos autres réponses sont gardées."
    )
    assert rendered("utter_fallback_handoff")["text"] == "Je n'arrive toujours pas à comprendre votre demande, désolé."


def test_a_form_that_fails_is_handed_off_by_a_rule_and_its_flag_is_featurized():
    slot = domain()["slots"]["form_failed"]
    assert slot["type"] == "bool" and slot["influence_conversation"] is True
    for path in (DOMAIN_FILE.parent / "nlu" / "train").glob("rules*.yml"):
        rules = yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
        for rule in rules:
            steps = rule["steps"]
            if {"action": "action_handoff_form_failed"} in steps:
                assert {"slot_was_set": [{"form_failed": True}]} in steps, rule["rule"]
