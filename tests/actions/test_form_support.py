"""Tests of what the forms share: changing one field, forgetting an abandoned form, idempotency keys."""

import asyncio

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_support import ActionChangeField, ActionClearForms, idempotency_key
from tests.actions.trackers import answer_tracker, entity


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, {}))
    return events, dispatcher.messages


def test_the_chosen_field_is_emptied():
    tracker = answer_tracker('/inform{"field":"phone"}', entities=[entity("field", "phone")])
    assert run(ActionChangeField(), tracker) == ([SlotSet("phone", None)], [])


def test_changing_the_commune_forgets_its_name():
    tracker = answer_tracker('/inform{"field":"commune_code"}', entities=[entity("field", "commune_code")])
    assert run(ActionChangeField(), tracker) == ([SlotSet("commune_code", None), SlotSet("commune_name", None)], [])


def test_a_new_contact_needs_a_new_consent():
    tracker = answer_tracker(
        '/inform{"field":"initiative_contact"}', entities=[entity("field", "initiative_contact")]
    )
    assert run(ActionChangeField(), tracker) == (
        [
            SlotSet("initiative_contact", None),
            SlotSet("initiative_phone", None),
            SlotSet("initiative_website", None),
            SlotSet("initiative_contact_consent", None),
        ],
        [],
    )


def test_an_unknown_field_changes_nothing():
    tracker = answer_tracker('/inform{"field":"requested_slot"}', entities=[entity("field", "requested_slot")])
    assert run(ActionChangeField(), tracker) == ([], [])


def test_an_abandoned_form_is_forgotten():
    events, messages = run(ActionClearForms(), answer_tracker("stop", intent="stop"))
    assert messages == []
    assert events == [
        SlotSet(slot, None)
        for slot in (
            "caller_name", "phone", "trade", "commune_code", "subject", "preferred_time",
            "mask_quantity", "mask_type", "delivery",
            "initiative_description", "initiative_category", "initiative_communes", "initiative_audience",
            "initiative_contact", "initiative_contact_consent", "initiative_ends_on",
            "commune_name", "initiative_commune_names", "initiative_phone", "initiative_website", "invalid_answers",
        )
    ]


def test_the_same_request_gets_the_same_key_and_another_one_another():
    values = {"name": "A", "phone": "+33612345678"}
    assert idempotency_key("callback", "c-1", values) == idempotency_key("callback", "c-1", dict(values))
    assert idempotency_key("callback", "c-1", values) != idempotency_key("callback", "c-2", values)
    assert idempotency_key("callback", "c-1", values) != idempotency_key("callback", "c-1", {**values, "name": "B"})
