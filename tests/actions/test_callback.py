"""Tests of the callback request's actions: each answer's validation, the summary, and the submission."""

import asyncio
from typing import Any, Dict, Optional

from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.callback import ActionSubmitCallback, ActionSummarizeCallback, ValidateCallbackForm
from actions.form_support import Services
from tests.actions.fake_gateway import TOKEN, FakeGateway, run_with_gateway, unreachable_client
from tests.actions.trackers import answer_tracker, entity, message

DOMAIN = {
    "forms": {
        "callback_form": {
            "required_slots": ["caller_name", "phone", "trade", "commune_code", "subject", "preferred_time"]
        }
    },
}
FILLED = {
    "caller_name": "Marie Durand",
    "phone": "+33612345678",
    "trade": "boulangère",
    "commune_code": "71270",
    "commune_name": "Mâcon",
    "subject": "faq_pge",
    "preferred_time": "morning",
}


def validate(tracker, services: Optional[Services] = None):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateCallbackForm(services).run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def asking(slot: str, **slots: Any) -> Dict[str, Any]:
    return {"requested_slot": slot, **slots}


# ------------------------------------------------------------------ name, trade
def test_a_name_is_kept_as_written():
    events, messages = validate(
        answer_tracker("  Marie   Durand ", slots=asking("caller_name"), candidates={"caller_name": "  Marie   Durand "})
    )
    assert events == [SlotSet("caller_name", "Marie Durand"), SlotSet("invalid_answers", None)]
    assert messages == []


def test_a_phone_number_is_not_a_name():
    events, messages = validate(
        answer_tracker("0612345678", slots=asking("caller_name"), candidates={"caller_name": "0612345678"})
    )
    assert events == [SlotSet("caller_name", None), SlotSet("invalid_answers", {"slot": "caller_name", "count": 1})]
    assert messages == [message("utter_invalid_caller_name")]


def test_a_trade_is_kept():
    events, messages = validate(
        answer_tracker("plombier chauffagiste", slots=asking("trade"), candidates={"trade": "plombier chauffagiste"})
    )
    assert events == [SlotSet("trade", "plombier chauffagiste"), SlotSet("invalid_answers", None)]
    assert messages == []


def test_a_trade_needs_letters():
    events, messages = validate(answer_tracker("?", slots=asking("trade"), candidates={"trade": "?"}))
    assert events == [SlotSet("trade", None), SlotSet("invalid_answers", {"slot": "trade", "count": 1})]
    assert messages == [message("utter_invalid_trade")]


# ------------------------------------------------------------------ phone
def test_a_french_number_is_stored_in_e164():
    events, messages = validate(
        answer_tracker("06.12.34.56.78", slots=asking("phone"), candidates={"phone": "06.12.34.56.78"})
    )
    assert events == [SlotSet("phone", "+33612345678"), SlotSet("invalid_answers", None)]
    assert messages == []


def test_an_incomplete_number_is_explained():
    events, messages = validate(answer_tracker("06 12 34", slots=asking("phone"), candidates={"phone": "06 12 34"}))
    assert events == [SlotSet("phone", None), SlotSet("invalid_answers", {"slot": "phone", "count": 1})]
    assert messages == [message(text="Ce numéro semble incomplet : il faut 10 chiffres, par exemple 06 12 34 56 78.")]


def test_the_third_invalid_answer_to_the_same_question_stops_the_form_for_an_adviser():
    slots = asking("phone", invalid_answers={"slot": "phone", "count": 2})
    events, messages = validate(answer_tracker("aucune idée", slots=slots, candidates={"phone": "aucune idée"}))
    # requested_slot None ends the form; form_failed makes the rule choose action_handoff_form_failed.
    assert events == [
        SlotSet("phone", None),
        SlotSet("invalid_answers", None),
        SlotSet("form_failed", True),
        SlotSet("requested_slot", None),
    ]
    assert messages == [message("utter_form_failed")]


def test_the_second_invalid_answer_is_explained_and_asked_again():
    slots = asking("phone", invalid_answers={"slot": "phone", "count": 1})
    events, messages = validate(answer_tracker("aucune idée", slots=slots, candidates={"phone": "aucune idée"}))
    assert events == [SlotSet("phone", None), SlotSet("invalid_answers", {"slot": "phone", "count": 2})]
    assert messages == [
        message(
            text="Je n'ai pas trouvé de numéro de téléphone : pouvez-vous l'écrire en chiffres, "
            "par exemple 06 12 34 56 78 ?"
        )
    ]


def test_invalid_answers_to_another_question_start_a_new_count():
    slots = asking("phone", invalid_answers={"slot": "caller_name", "count": 2})
    events, _ = validate(answer_tracker("12", slots=slots, candidates={"phone": "12"}))
    assert events == [SlotSet("phone", None), SlotSet("invalid_answers", {"slot": "phone", "count": 1})]


# ------------------------------------------------------------------ commune
def test_a_commune_is_stored_by_insee_code_with_its_name():
    events, messages = validate(answer_tracker("macon", slots=asking("commune_code"), candidates={"commune_code": "macon"}))
    assert events == [
        SlotSet("commune_code", "71270"),
        SlotSet("commune_name", "Mâcon"),
        SlotSet("invalid_answers", None),
    ]
    assert messages == []


def test_an_ambiguous_commune_offers_the_candidates_as_buttons():
    events, messages = validate(
        answer_tracker("71210", slots=asking("commune_code"), candidates={"commune_code": "71210"})
    )
    assert events == [SlotSet("commune_code", None), SlotSet("invalid_answers", None)]
    assert len(messages) == 1
    assert messages[0]["text"].startswith("Le code postal 71210 couvre")
    assert messages[0]["buttons"][0]["payload"].startswith('/inform{"commune_code":"71')
    assert all(button["title"].endswith(")") for button in messages[0]["buttons"])


def test_an_ambiguous_commune_never_stops_the_form():
    # Several communes match: the answer is not wrong, only incomplete, so it does not count.
    slots = asking("commune_code", invalid_answers={"slot": "commune_code", "count": 2})
    events, messages = validate(answer_tracker("71210", slots=slots, candidates={"commune_code": "71210"}))
    assert events == [
        SlotSet("commune_code", None), SlotSet("invalid_answers", {"slot": "commune_code", "count": 2})
    ]
    assert messages[0]["text"].startswith("Le code postal 71210 couvre")


def test_a_commune_button_is_read_back_by_its_code():
    payload = '/inform{"commune_code":"71278"}'
    tracker = answer_tracker(
        payload, slots=asking("commune_code"), candidates={"commune_code": payload},
        entities=[entity("commune_code", "71278")],
    )
    events, messages = validate(tracker)
    assert events == [
        SlotSet("commune_code", "71278"),
        SlotSet("commune_name", "Marigny"),
        SlotSet("invalid_answers", None),
    ]
    assert messages == []


def test_an_unknown_commune_is_explained():
    events, messages = validate(
        answer_tracker("Paris", slots=asking("commune_code"), candidates={"commune_code": "Paris"})
    )
    assert events == [SlotSet("commune_code", None), SlotSet("invalid_answers", {"slot": "commune_code", "count": 1})]
    assert messages == [
        message(
            text="Je ne trouve pas cette commune en Saône-et-Loire : pouvez-vous vérifier l'orthographe "
            "ou donner son code postal ?"
        )
    ]


# ------------------------------------------------------------------ subject, preferred time
def test_a_subject_button_sets_the_subject():
    payload = '/inform{"subject":"faq_loyers_factures"}'
    tracker = answer_tracker(
        payload, slots=asking("subject"), candidates={"subject": payload}, entities=[entity("subject", "faq_loyers_factures")]
    )
    events, messages = validate(tracker)
    assert events == [SlotSet("subject", "faq_loyers_factures"), SlotSet("invalid_answers", None)]
    assert messages == []


def test_an_faq_question_given_as_the_subject_is_the_subject():
    # "pge" is understood as the FAQ intent, which the slot mapping excludes: the form reads the intent.
    events, messages = validate(answer_tracker("pour le pge", intent="faq_pge", slots=asking("subject")))
    assert events == [SlotSet("subject", "faq_pge"), SlotSet("invalid_answers", None)]
    assert messages == []


def test_a_subject_in_words():
    events, _ = validate(
        answer_tracker("mes cotisations urssaf", slots=asking("subject"), candidates={"subject": "mes cotisations urssaf"})
    )
    assert events == [SlotSet("subject", "faq_report_charges"), SlotSet("invalid_answers", None)]


def test_anything_else_is_another_subject():
    events, _ = validate(
        answer_tracker("mon dossier de stage", slots=asking("subject"), candidates={"subject": "mon dossier de stage"})
    )
    assert events == [SlotSet("subject", "other"), SlotSet("invalid_answers", None)]


def test_a_preferred_time_in_words_or_by_button():
    events, _ = validate(
        answer_tracker("plutot l aprem", slots=asking("preferred_time"), candidates={"preferred_time": "plutot l aprem"})
    )
    assert events == [SlotSet("preferred_time", "afternoon"), SlotSet("invalid_answers", None)]
    payload = '/inform{"preferred_time":"any"}'
    events, _ = validate(
        answer_tracker(payload, slots=asking("preferred_time"), candidates={"preferred_time": payload},
                       entities=[entity("preferred_time", "any")])
    )
    assert events == [SlotSet("preferred_time", "any"), SlotSet("invalid_answers", None)]


def test_an_unclear_preferred_time_is_asked_again():
    events, messages = validate(
        answer_tracker("bof", slots=asking("preferred_time"), candidates={"preferred_time": "bof"})
    )
    assert events == [SlotSet("preferred_time", None), SlotSet("invalid_answers", {"slot": "preferred_time", "count": 1})]
    assert messages == [message("utter_invalid_preferred_time")]


# ------------------------------------------------------------------ the first message
def test_the_first_message_gives_phone_and_subject():
    tracker = answer_tracker("rappelez moi au 06 12 34 56 78 pour le PGE", intent="request_callback")
    events, messages = validate(tracker)
    assert events == [
        SlotSet("phone", "+33612345678"),
        SlotSet("subject", "faq_pge"),
        SlotSet("invalid_answers", None),
    ]
    assert messages == []


def test_a_first_message_without_details_fills_nothing():
    events, messages = validate(answer_tracker("rappelez-moi svp", intent="request_callback"))
    assert events == []
    assert messages == []


# ------------------------------------------------------------------ summary and submission
def test_the_summary_reads_the_request_back():
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSummarizeCallback().run(dispatcher, answer_tracker("/affirm", slots=FILLED), DOMAIN))
    assert events == []
    assert dispatcher.messages == [
        message(
            "utter_callback_summary", caller_name="Marie Durand", phone_display="06 12 34 56 78",
            trade="boulangère", commune_name="Mâcon", subject_label="Prêt garanti (PGE)", time_label="le matin",
        )
    ]


def submit(fake: FakeGateway, tracker) -> tuple:
    async def scenario(client):
        dispatcher = CollectingDispatcher()
        action = ActionSubmitCallback(Services(environ={}, gateway=client))
        events = await action.run(dispatcher, tracker, DOMAIN)
        return events, dispatcher.messages

    return run_with_gateway(fake, scenario)


CREATED = (201, {"reference": "RAP-000123", "due_at": "2020-12-02T10:00:00+01:00", "due_text": "demain à 10h00"})
CLEARED = [
    SlotSet(slot, None)
    for slot in ("caller_name", "phone", "trade", "commune_code", "subject", "preferred_time", "commune_name",
                 "invalid_answers")
]


def test_a_confirmed_request_is_sent_and_its_reference_given():
    fake = FakeGateway({("POST", "/internal/callbacks"): CREATED})
    events, messages = submit(fake, answer_tracker("oui", intent="affirm", slots=FILLED))
    assert events == CLEARED
    assert messages == [message("utter_callback_submitted", reference="RAP-000123", due_text="demain à 10h00")]
    sent, offered = fake.requests  # then whether to ask the barometer (tests/actions/test_barometer.py)
    assert offered.path == "/internal/conversations/conversation-1/barometer/offer"
    assert sent.authorization == f"Bearer {TOKEN}"
    key = sent.body.pop("idempotency_key")
    assert key.startswith("callback-")
    assert sent.body == {
        "conversation_id": "conversation-1", "name": "Marie Durand", "phone": "+33612345678",
        "trade": "boulangère", "commune_code": "71270", "commune_name": "Mâcon", "subject": "faq_pge",
        "preferred_time": "morning",
    }


def test_a_repeated_confirmation_sends_the_same_idempotency_key():
    fake = FakeGateway({("POST", "/internal/callbacks"): [CREATED, (200, CREATED[1])]})
    first, _ = submit(fake, answer_tracker("oui", intent="affirm", slots=FILLED))
    again, messages = submit(fake, answer_tracker("oui oui", intent="affirm", slots=FILLED))
    assert first == again == CLEARED
    assert messages == [message("utter_callback_submitted", reference="RAP-000123", due_text="demain à 10h00")]
    first_sent, again_sent = [r for r in fake.requests if r.path == "/internal/callbacks"]
    assert first_sent.body["idempotency_key"] == again_sent.body["idempotency_key"]


def test_a_failing_gateway_keeps_the_answers_and_shows_the_summary_again():
    fake = FakeGateway({("POST", "/internal/callbacks"): (503, {"error": "indisponible"})})
    events, messages = submit(fake, answer_tracker("oui", intent="affirm", slots=FILLED))
    assert events == [FollowupAction("action_summarize_callback")]
    assert messages == [message("utter_service_unavailable")]


def test_an_unreachable_gateway_is_unavailable():
    dispatcher = CollectingDispatcher()
    action = ActionSubmitCallback(Services(environ={}, gateway=unreachable_client()))
    events = asyncio.run(action.run(dispatcher, answer_tracker("oui", intent="affirm", slots=FILLED), DOMAIN))
    assert events == [FollowupAction("action_summarize_callback")]
    assert dispatcher.messages == [message("utter_service_unavailable")]


def test_a_refusal_says_the_gateway_s_sentence():
    fake = FakeGateway({("POST", "/internal/callbacks"): (422, {"error": "Le numéro de téléphone est invalide."})})
    events, messages = submit(fake, answer_tracker("oui", intent="affirm", slots=FILLED))
    assert events == [FollowupAction("action_summarize_callback")]
    assert messages == [message(text="Le numéro de téléphone est invalide.")]


def test_nothing_is_sent_without_a_complete_request():
    fake = FakeGateway()
    events, messages = submit(fake, answer_tracker("oui", intent="affirm", slots={}))
    assert events == []
    assert messages == [message("utter_nothing_to_confirm")]
    assert fake.requests == []


def test_answers_given_before_are_kept_when_the_form_asks_one_field_again():
    # After "Modifier", the form starts again and validates the answers it already has.
    kept = {key: value for key, value in FILLED.items() if key not in ("phone", "commune_name")}
    tracker = answer_tracker('/inform{"field":"phone"}', slots={"commune_name": "Mâcon"}, candidates=kept)
    events, messages = validate(tracker)
    assert events == [
        SlotSet("caller_name", "Marie Durand"),
        SlotSet("trade", "boulangère"),
        SlotSet("commune_code", "71270"),
        SlotSet("subject", "faq_pge"),
        SlotSet("preferred_time", "morning"),
        SlotSet("invalid_answers", None),
        SlotSet("commune_name", "Mâcon"),
    ]
    assert messages == []
