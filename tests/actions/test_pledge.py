"""Tests of the mask pledge's actions: each answer's validation, the summary, and the submission."""

import asyncio
from typing import Any

from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_support import Services
from actions.pledge import ActionSubmitPledge, ActionSummarizePledge, ValidatePledgeForm
from tests.actions.fake_gateway import FakeGateway, run_with_gateway
from tests.actions.trackers import answer_tracker, entity, message

DOMAIN = {
    "forms": {"pledge_form": {"required_slots": ["mask_quantity", "mask_type", "commune_code", "delivery", "phone"]}},
}
FILLED = {
    "mask_quantity": 2000,
    "mask_type": "ffp2",
    "commune_code": "71014",
    "commune_name": "Autun",
    "delivery": "collection",
    "phone": "+33385213000",
}


def validate(tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidatePledgeForm().run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def answer(slot: str, text: str, entities=None, **slots: Any):
    return answer_tracker(text, slots={"requested_slot": slot, **slots}, candidates={slot: text}, entities=entities)


def test_the_first_message_gives_the_quantity_and_type():
    events, messages = validate(answer_tracker("on a 500 masques FFP2 à donner", intent="pledge_masks"))
    assert events == [
        SlotSet("mask_quantity", 500),
        SlotSet("mask_type", "ffp2"),
        SlotSet("invalid_answers", None),
    ]
    assert messages == []


def test_a_quantity_in_words():
    events, messages = validate(answer("mask_quantity", "deux mille"))
    assert events == [SlotSet("mask_quantity", 2000), SlotSet("invalid_answers", None)]
    assert messages == []


def test_a_vague_quantity_asks_for_a_number():
    events, messages = validate(answer("mask_quantity", "une centaine"))
    assert events == [SlotSet("mask_quantity", None), SlotSet("invalid_answers", {"slot": "mask_quantity", "count": 1})]
    assert messages == [message(text="Pouvez-vous donner un nombre précis de masques, par exemple 300 ?")]


def test_a_quantity_out_of_bounds_is_explained():
    events, messages = validate(answer("mask_quantity", "200000"))
    assert events == [SlotSet("mask_quantity", None), SlotSet("invalid_answers", {"slot": "mask_quantity", "count": 1})]
    assert messages == [message(text="Je peux enregistrer jusqu'à 100 000 masques : combien pouvez-vous en donner ?")]


def test_a_mask_type_by_button_or_in_words():
    payload = '/inform{"mask_type":"fabric"}'
    events, _ = validate(answer("mask_type", payload, entities=[entity("mask_type", "fabric")]))
    assert events == [SlotSet("mask_type", "fabric"), SlotSet("invalid_answers", None)]
    events, _ = validate(answer("mask_type", "des chirurgicaux bleus"))
    assert events == [SlotSet("mask_type", "surgical"), SlotSet("invalid_answers", None)]


def test_an_unknown_mask_type_is_asked_again():
    events, messages = validate(answer("mask_type", "des gros"))
    assert events == [SlotSet("mask_type", None), SlotSet("invalid_answers", {"slot": "mask_type", "count": 1})]
    assert messages == [message("utter_invalid_mask_type")]


def test_a_third_unknown_mask_type_stops_the_form_for_an_adviser():
    events, messages = validate(answer("mask_type", "des gros", invalid_answers={"slot": "mask_type", "count": 2}))
    assert events == [
        SlotSet("mask_type", None),
        SlotSet("invalid_answers", None),
        SlotSet("form_failed", True),
        SlotSet("requested_slot", None),
    ]
    assert messages == [message("utter_form_failed")]


def test_a_drop_off_says_where():
    payload = '/inform{"delivery":"drop_off"}'
    events, messages = validate(answer("delivery", payload, entities=[entity("delivery", "drop_off")]))
    assert events == [SlotSet("delivery", "drop_off"), SlotSet("invalid_answers", None)]
    assert messages == [message("utter_pledge_drop_off_site")]


def test_a_collection_in_words():
    events, messages = validate(answer("delivery", "venez les chercher svp"))
    assert events == [SlotSet("delivery", "collection"), SlotSet("invalid_answers", None)]
    assert messages == []


def test_an_unclear_delivery_is_asked_again():
    events, messages = validate(answer("delivery", "euh"))
    assert events == [SlotSet("delivery", None), SlotSet("invalid_answers", {"slot": "delivery", "count": 1})]
    assert messages == [message("utter_invalid_delivery")]


def test_the_summary_reads_the_pledge_back():
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionSummarizePledge().run(dispatcher, answer_tracker("/affirm", slots=FILLED), DOMAIN))
    assert events == []
    assert dispatcher.messages == [
        message(
            "utter_pledge_summary", quantity_display="2 000", mask_type_label="FFP2", commune_name="Autun",
            delivery_label="la Chambre vient les chercher", phone_display="03 85 21 30 00",
        )
    ]


def submit(fake: FakeGateway, tracker):
    async def scenario(client):
        dispatcher = CollectingDispatcher()
        events = await ActionSubmitPledge(Services(environ={}, gateway=client)).run(dispatcher, tracker, DOMAIN)
        return events, dispatcher.messages

    return run_with_gateway(fake, scenario)


CLEARED = [
    SlotSet(slot, None)
    for slot in ("mask_quantity", "mask_type", "commune_code", "delivery", "phone", "commune_name", "invalid_answers")
]


def test_a_confirmed_pledge_is_sent_and_the_totals_given():
    created = (201, {"reference": "DON-000045", "total_pledged": 12300, "total_handed_over": 9000})
    fake = FakeGateway({("POST", "/internal/pledges"): created})
    events, messages = submit(fake, answer_tracker("oui", intent="affirm", slots=FILLED))
    assert events == CLEARED
    assert messages == [
        message("utter_pledge_submitted", reference="DON-000045", total_pledged="12 300", total_handed_over="9 000")
    ]
    sent, offered = fake.requests  # then whether to ask the barometer (tests/actions/test_barometer.py)
    assert offered.path == "/internal/conversations/conversation-1/barometer/offer"
    assert sent.body.pop("idempotency_key").startswith("pledge-")
    assert sent.body == {
        "conversation_id": "conversation-1", "quantity": 2000, "mask_type": "ffp2", "commune_code": "71014",
        "commune_name": "Autun", "delivery": "collection", "phone": "+33385213000",
    }


def test_a_failing_gateway_keeps_the_pledge_to_confirm_again():
    fake = FakeGateway({("POST", "/internal/pledges"): (500, {"error": "boom"})})
    events, messages = submit(fake, answer_tracker("oui", intent="affirm", slots=FILLED))
    assert events == [FollowupAction("action_summarize_pledge")]
    assert messages == [message("utter_service_unavailable")]


def test_a_drop_off_validated_again_does_not_repeat_the_address():
    events, messages = validate(answer_tracker('/inform{"field":"phone"}', candidates={"delivery": "drop_off"}))
    assert events == [SlotSet("delivery", "drop_off"), SlotSet("invalid_answers", None)]
    assert messages == []
