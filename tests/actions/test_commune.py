"""Tests of the commune asked once (actions/commune.py): checked like the forms' commune, skipped, given up
without an adviser, and kept for what it was asked for: the news subscription or the barometer answer."""

import asyncio

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.commune import ActionCommuneGiven, ActionCommuneSkipped, ValidateCommuneForm
from actions.form_support import Services
from actions.validation import CommuneDirectory
from tests.actions.fake_gateway import FakeGateway, run_action as run, unreachable_client
from tests.actions.trackers import answer_tracker, message

SUBSCRIPTION = "/internal/conversations/conversation-1/subscription"
BAROMETER_COMMUNE = ("POST", "/internal/conversations/conversation-1/barometer/commune")
SUBSCRIBED_ALL = {"subscribed": True, "topic": None, "commune_name": None, "new": True}
DONE = [SlotSet("commune_wanted", None), SlotSet("commune_asked_for", None)]


def _validate(text, intent="inform", counter=None):
    action = ValidateCommuneForm(Services(environ={}, communes=CommuneDirectory.load(
        "data/communes-71.csv")))
    dispatcher = CollectingDispatcher()
    tracker = answer_tracker(text, intent, slots={"invalid_answers": counter}, active_loop="commune_form")
    return action.validate_commune_code(text, dispatcher, tracker, {}), dispatcher.messages


def test_the_commune_answer_is_checked_like_the_forms():
    assert _validate("Givry")[0]["commune_code"] == "71221"


def test_passer_skips_the_commune():
    result, messages = _validate("Passer")
    assert result == {"commune_code": None, "requested_slot": None}
    assert messages == []


def test_a_third_unknown_commune_ends_the_question_without_an_adviser():
    result, messages = _validate("Zzyzx", counter={"slot": "commune_code", "count": 2})
    assert result["requested_slot"] is None and result["commune_code"] is None
    assert "form_failed" not in result
    assert messages == []


def test_the_commune_given_is_kept():
    fake = FakeGateway({("PATCH", SUBSCRIPTION): (200, {**SUBSCRIBED_ALL, "commune_name": "Givry"})})
    events, messages = run(ActionCommuneGiven, fake, answer_tracker("Givry", slots={"commune_code": "71221"}))
    assert fake.requests[0].body == {"commune_code": "71221"}
    assert messages == [message("utter_news_commune_set", commune_name="Givry")]
    assert events == DONE


def test_no_commune_given_is_the_whole_department():
    events, messages = run(ActionCommuneGiven, FakeGateway(), answer_tracker("Zzyzx"))
    assert messages == [message("utter_news_commune_skipped")]


def test_skipping():
    events, messages = run(ActionCommuneSkipped, FakeGateway(), answer_tracker("/deny", "deny"))
    assert messages == [message("utter_news_commune_skipped")]
    assert events == [SlotSet("requested_slot", None), *DONE]


BAROMETER = {"commune_asked_for": "barometer"}


def test_the_commune_given_after_a_barometer_answer_goes_to_the_answer_then_thanks():
    fake = FakeGateway({BAROMETER_COMMUNE: (200, {"commune_name": "Givry"})})
    events, messages = run(
        ActionCommuneGiven, fake, answer_tracker("Givry", slots={**BAROMETER, "commune_code": "71221"})
    )
    assert [request.body for request in fake.requests] == [{"commune_code": "71221"}]
    assert messages == [message("utter_barometer_thanks")]
    assert events == DONE


def test_the_barometer_commune_skipped_or_given_up_is_said_to_the_gateway():
    fake = FakeGateway({BAROMETER_COMMUNE: [(200, {"commune_name": None}), (200, {"commune_name": None})]})
    skipped = run(ActionCommuneSkipped, fake, answer_tracker("/deny", "deny", slots=BAROMETER))
    given_up = run(ActionCommuneGiven, fake, answer_tracker("Zzyzx", slots=BAROMETER))
    assert [request.body for request in fake.requests] == [{"commune_code": None}, {"commune_code": None}]
    assert skipped[1] == given_up[1] == [message("utter_barometer_thanks")]
    assert skipped[0] == [SlotSet("requested_slot", None), *DONE] and given_up[0] == DONE


def test_the_barometer_is_thanked_even_when_the_gateway_is_down():
    dispatcher = CollectingDispatcher()
    action = ActionCommuneGiven(Services(environ={}, gateway=unreachable_client()))
    tracker = answer_tracker("Givry", slots={**BAROMETER, "commune_code": "71221"})
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    assert (events, dispatcher.messages) == (DONE, [message("utter_barometer_thanks")])
