"""Tests of the status and cancellation of the artisan's requests."""

import asyncio

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_support import Services
from actions.request_status import ActionCancelRequest, ActionPrepareCancel, ActionRequestStatus
from tests.actions.fake_gateway import FakeGateway, run_action as run, unreachable_client
from tests.actions.trackers import answer_tracker, entity, message

LIST = ("GET", "/internal/conversations/conversation-1/requests")
CALLBACK = {
    "reference": "RAP-000123", "kind": "callback", "status": "new", "status_text": "en attente d'un conseiller",
    "created_at": "2020-12-01T09:00:00Z", "due_text": "demain à 10h00",
}
PLEDGE = {
    "reference": "DON-000045", "kind": "pledge", "status": "pledged", "status_text": "promis",
    "created_at": "2020-11-30T09:00:00Z",
}
DONE = {
    "reference": "RAP-000100", "kind": "callback", "status": "called_back", "status_text": "rappelé",
    "created_at": "2020-11-20T09:00:00Z", "due_text": "lundi à 9h00",
}


def test_the_status_lists_every_request():
    fake = FakeGateway({LIST: (200, {"requests": [CALLBACK, PLEDGE, DONE]})})
    events, messages = run(ActionRequestStatus, fake, answer_tracker("où en est ma demande", intent="request_status"))
    assert events == []
    assert messages == [
        message(
            text="Voici vos demandes :\n"
            "– Demande de rappel RAP-000123 : en attente d'un conseiller (rappel au plus tard demain à 10h00)\n"
            "– Don de masques DON-000045 : promis\n"
            "– Demande de rappel RAP-000100 : rappelé"
        )
    ]


def test_no_request_yet():
    fake = FakeGateway({LIST: (200, {"requests": []})})
    events, messages = run(ActionRequestStatus, fake, answer_tracker("ma demande ?", intent="request_status"))
    assert (events, messages) == ([], [message("utter_no_requests")])


def test_the_status_when_the_gateway_is_down():
    dispatcher = CollectingDispatcher()
    action = ActionRequestStatus(Services(environ={}, gateway=unreachable_client()))
    events = asyncio.run(action.run(dispatcher, answer_tracker("ma demande ?", intent="request_status"), {}))
    assert (events, dispatcher.messages) == ([], [message("utter_service_unavailable_status")])


def test_the_only_open_request_is_the_one_to_cancel():
    fake = FakeGateway({LIST: (200, {"requests": [CALLBACK, DONE]})})
    events, messages = run(ActionPrepareCancel, fake, answer_tracker("annuler ma demande", intent="cancel_request"))
    assert events == [SlotSet("cancel_reference", "RAP-000123")]
    assert messages == [message("utter_confirm_cancel", reference="RAP-000123")]


def test_several_open_requests_are_offered_as_buttons():
    fake = FakeGateway({LIST: (200, {"requests": [CALLBACK, PLEDGE]})})
    events, messages = run(ActionPrepareCancel, fake, answer_tracker("annuler ma demande", intent="cancel_request"))
    assert events == [SlotSet("cancel_reference", None)]
    assert messages == [
        message(
            "utter_which_request_to_cancel",
            buttons=[
                {
                    "title": "Demande de rappel RAP-000123 : en attente d'un conseiller "
                    "(rappel au plus tard demain à 10h00)",
                    "payload": '/cancel_request{"reference":"RAP-000123"}',
                },
                {"title": "Don de masques DON-000045 : promis", "payload": '/cancel_request{"reference":"DON-000045"}'},
            ],
        )
    ]


def test_the_chosen_request_is_confirmed():
    fake = FakeGateway({LIST: (200, {"requests": [CALLBACK, PLEDGE]})})
    tracker = answer_tracker(
        '/cancel_request{"reference":"DON-000045"}', intent="cancel_request", entities=[entity("reference", "DON-000045")]
    )
    events, messages = run(ActionPrepareCancel, fake, tracker)
    assert events == [SlotSet("cancel_reference", "DON-000045")]
    assert messages == [message("utter_confirm_cancel", reference="DON-000045")]


def test_nothing_to_cancel():
    fake = FakeGateway({LIST: (200, {"requests": [DONE]})})
    events, messages = run(ActionPrepareCancel, fake, answer_tracker("annuler ma demande", intent="cancel_request"))
    assert events == [SlotSet("cancel_reference", None)]
    assert messages == [message("utter_no_request_to_cancel")]


def test_a_confirmed_cancellation():
    fake = FakeGateway({("POST", "/internal/requests/RAP-000123/cancel"): (200, {"reference": "RAP-000123", "status": "cancelled"})})
    tracker = answer_tracker("oui", intent="affirm", slots={"cancel_reference": "RAP-000123"})
    events, messages = run(ActionCancelRequest, fake, tracker)
    assert events == [SlotSet("cancel_reference", None)]
    assert messages == [message("utter_request_cancelled", reference="RAP-000123")]
    assert fake.requests[0].body == {"conversation_id": "conversation-1"}


def test_a_request_already_closed_cannot_be_cancelled():
    answer = (409, {"error": "Cette demande est déjà close."})
    fake = FakeGateway({("POST", "/internal/requests/RAP-000123/cancel"): answer})
    tracker = answer_tracker("oui", intent="affirm", slots={"cancel_reference": "RAP-000123"})
    events, messages = run(ActionCancelRequest, fake, tracker)
    assert events == [SlotSet("cancel_reference", None)]
    assert messages == [message(text="Cette demande est déjà close.")]


def test_a_confirmation_without_a_chosen_request():
    events, messages = run(ActionCancelRequest, FakeGateway(), answer_tracker("oui", intent="affirm"))
    assert (events, messages) == ([], [message("utter_no_request_to_cancel")])
