"""Tests of the barometer's actions: the offer (after a confirmed request, after thanks), each tap answering the
question just asked, skips, the answer recorded once, and taps that come too late."""

import asyncio
from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa_sdk.executor import CollectingDispatcher

from actions.barometer import ActionBarometerAnswer, ActionOfferBarometer, open_step
from actions.callback import ActionSubmitCallback
from actions.form_support import Services
from actions.pledge import ActionSubmitPledge
from tests.actions.fake_gateway import FakeGateway, run_with_gateway, unreachable_client
from tests.actions.trackers import answer_tracker, entity, message

OFFER = ("POST", "/internal/conversations/conversation-1/barometer/offer")
ANSWER = ("POST", "/internal/conversations/conversation-1/barometer/answer")
CLAIM = ("POST", "/internal/conversations/conversation-1/barometer/claim")
ASK_WITH_TRADE = (200, {"ask": True, "need_trade": True})
ASK = (200, {"ask": True, "need_trade": False})
NOT_NOW = (200, {"ask": False, "need_trade": False})
RECORDED = (201, {"recorded": True})
FORGET = [SlotSet(slot, None) for slot in ("barometer_step", "barometer_activity", "barometer_need", "barometer_need_trade")]
DOMAIN: Dict[str, Any] = {}


def user(text: str, intent: str, entities: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    return UserUttered(text, parse_data={"intent": {"name": intent, "confidence": 1.0}, "entities": entities or [], "text": text})


def conversation(*events: Dict[str, Any], slots: Optional[Dict[str, Any]] = None) -> Tracker:
    """A conversation that ends with the artisan's latest message (the last UserUttered of ``events``)."""
    latest = next(event for event in reversed(events) if event["event"] == "user")
    return Tracker("conversation-1", slots or {}, latest["parse_data"], list(events), False, None, {}, "action_listen")


def asked(step: str) -> List[Dict[str, Any]]:
    """What a barometer question leaves in the tracker: its step, its message, then the bot listens."""
    return [SlotSet("barometer_step", step), BotUttered(f"question {step}"), ActionExecuted("action_listen")]


def tap(intent: str, name: Optional[str] = None, value: Optional[str] = None) -> Dict[str, Any]:
    payload = f'/{intent}{{"{name}":"{value}"}}' if name else f"/{intent}"
    return user(payload, intent, [entity(name, value)] if name else [])


def run(action_class, fake: FakeGateway, tracker: Tracker):
    async def scenario(client):
        dispatcher = CollectingDispatcher()
        events = await action_class(Services(environ={}, gateway=client)).run(dispatcher, tracker, DOMAIN)
        if action_class is ActionBarometerAnswer and SlotSet("commune_wanted", True) not in events:
            # Every tap clears a commune question an FAQ interrupted, so that it never starts again.
            assert events[0] == SlotSet("commune_wanted", None)
            events = events[1:]
        return events, dispatcher.messages

    return run_with_gateway(fake, scenario)


# --- The offer ---------------------------------------------------------------------------------------------------


def test_thanks_after_an_faq_answer_ask_the_activity_when_the_gateway_says_it_is_time():
    fake = FakeGateway({OFFER: ASK_WITH_TRADE})
    events, messages = run(ActionOfferBarometer, fake, answer_tracker("merci", intent="thank"))
    assert events == [
        SlotSet("barometer_activity", None),
        SlotSet("barometer_need", None),
        SlotSet("barometer_need_trade", True),
        SlotSet("barometer_step", "activity"),
    ]
    assert messages == [message("utter_barometer_ask_activity")]
    [offered] = fake.requests
    assert (offered.method, offered.path) == OFFER


def test_asked_in_the_last_7_days_nothing_is_said():
    events, messages = run(ActionOfferBarometer, FakeGateway({OFFER: NOT_NOW}), answer_tracker("merci", intent="thank"))
    assert events == [] and messages == []


def test_a_gateway_down_or_refusing_asks_nothing():
    events, messages = run(ActionOfferBarometer, FakeGateway({OFFER: (400, {"error": "x"})}), answer_tracker("merci"))
    assert events == [] and messages == []
    dispatcher = CollectingDispatcher()
    action = ActionOfferBarometer(Services(environ={}, gateway=unreachable_client()))
    assert asyncio.run(action.run(dispatcher, answer_tracker("merci", intent="thank"), DOMAIN)) == []
    assert dispatcher.messages == []


FILLED_CALLBACK = {
    "caller_name": "Marie Durand", "phone": "+33612345678", "trade": "boulangère", "commune_code": "71270",
    "commune_name": "Mâcon", "subject": "faq_pge", "preferred_time": "morning",
}
FILLED_PLEDGE = {
    "mask_quantity": 300, "mask_type": "fabric", "commune_code": "71270", "commune_name": "Mâcon",
    "delivery": "drop_off", "phone": "+33612345678",
}


def test_a_confirmed_callback_is_followed_by_the_barometer_after_its_confirmation():
    created = (201, {"reference": "RAP-000123", "due_at": "2020-12-02T10:00:00+01:00", "due_text": "demain à 10h00"})
    fake = FakeGateway({("POST", "/internal/callbacks"): created, OFFER: ASK})
    events, messages = run(ActionSubmitCallback, fake, answer_tracker("oui", intent="affirm", slots=FILLED_CALLBACK))
    assert messages == [
        message("utter_callback_submitted", reference="RAP-000123", due_text="demain à 10h00"),
        message("utter_barometer_ask_activity"),
    ]
    assert events[-4:] == [
        SlotSet("barometer_activity", None),
        SlotSet("barometer_need", None),
        SlotSet("barometer_need_trade", False),
        SlotSet("barometer_step", "activity"),
    ]
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/internal/callbacks"), OFFER]


def test_a_confirmed_pledge_is_followed_by_the_barometer_after_its_thanks():
    created = (201, {"reference": "DON-000045", "total_pledged": 300, "total_handed_over": 0})
    fake = FakeGateway({("POST", "/internal/pledges"): created, OFFER: ASK_WITH_TRADE})
    events, messages = run(ActionSubmitPledge, fake, answer_tracker("oui", intent="affirm", slots=FILLED_PLEDGE))
    assert [m["response"] for m in messages] == ["utter_pledge_submitted", "utter_barometer_ask_activity"]
    assert events[-1] == SlotSet("barometer_step", "activity")


def test_a_pledge_not_stored_offers_nothing():
    fake = FakeGateway({("POST", "/internal/pledges"): (503, {"error": "x"}), OFFER: ASK})
    _, messages = run(ActionSubmitPledge, fake, answer_tracker("oui", intent="affirm", slots=FILLED_PLEDGE))
    assert [m["response"] for m in messages] == ["utter_service_unavailable"]
    assert [r.path for r in fake.requests] == ["/internal/pledges"]


# --- The answers -------------------------------------------------------------------------------------------------


def test_the_activity_tapped_asks_the_main_need():
    tracker = conversation(*asked("activity"), tap("barometer_activity", "activity", "reduite"))
    events, messages = run(ActionBarometerAnswer, FakeGateway(), tracker)
    assert events == [SlotSet("barometer_activity", "reduite"), SlotSet("barometer_step", "need")]
    assert messages == [message("utter_barometer_ask_need")]


def test_the_need_tapped_records_the_answer_when_the_sector_is_known():
    tracker = conversation(
        *asked("need"), tap("barometer_need", "need", "tresorerie"),
        slots={"barometer_activity": "reduite", "barometer_need_trade": False},
    )
    fake = FakeGateway({ANSWER: RECORDED})
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == FORGET
    assert messages == [message("utter_barometer_thanks")]
    [recorded] = fake.requests
    assert recorded.body == {"activity": "reduite", "need": "tresorerie", "trade_category": None}


def test_the_sector_is_asked_last_when_unknown_then_recorded_with_the_answer():
    slots = {"barometer_activity": "arretee", "barometer_need_trade": True}
    tracker = conversation(*asked("need"), tap("barometer_need", "need", "clients"), slots=slots)
    events, messages = run(ActionBarometerAnswer, FakeGateway(), tracker)
    assert events == [SlotSet("barometer_need", "clients"), SlotSet("barometer_step", "trade")]
    assert messages == [message("utter_barometer_ask_trade")]

    tracker = conversation(
        *asked("trade"), tap("barometer_trade", "trade_category", "batiment"),
        slots={**slots, "barometer_need": "clients"},
    )
    fake = FakeGateway({ANSWER: RECORDED})
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == FORGET and messages == [message("utter_barometer_thanks")]
    [recorded] = fake.requests
    assert recorded.body == {"activity": "arretee", "need": "clients", "trade_category": "batiment"}


def test_skipping_the_activity_says_d_accord_and_records_nothing():
    tracker = conversation(*asked("activity"), tap("barometer_skip"))
    fake = FakeGateway()
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == FORGET
    assert messages == [message("utter_barometer_skipped")]
    assert fake.requests == []


def test_skipping_the_need_still_records_the_activity():
    tracker = conversation(*asked("need"), tap("barometer_skip"), slots={"barometer_activity": "normale"})
    fake = FakeGateway({ANSWER: RECORDED})
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == FORGET and messages == [message("utter_barometer_thanks")]
    assert fake.requests[0].body == {"activity": "normale", "need": None, "trade_category": None}


def test_skipping_the_sector_records_the_rest():
    slots = {"barometer_activity": "normale", "barometer_need": "salaries", "barometer_need_trade": True}
    tracker = conversation(*asked("trade"), tap("barometer_skip"), slots=slots)
    fake = FakeGateway({ANSWER: RECORDED})
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == FORGET and messages == [message("utter_barometer_thanks")]
    assert fake.requests[0].body == {"activity": "normale", "need": "salaries", "trade_category": None}


def test_a_button_title_typed_is_the_answer():
    tracker = conversation(*asked("activity"), user("activité réduite", "barometer_activity"))
    events, _ = run(ActionBarometerAnswer, FakeGateway(), tracker)
    assert events[0] == SlotSet("barometer_activity", "reduite")
    slots = {"barometer_activity": "normale", "barometer_need": "autre", "barometer_need_trade": True}
    fake = FakeGateway({ANSWER: RECORDED})
    run(ActionBarometerAnswer, fake, conversation(*asked("trade"), user("Bâtiment", "barometer_trade"), slots=slots))
    assert fake.requests[0].body["trade_category"] == "batiment"


def test_a_tap_after_the_artisan_wrote_something_else_is_too_late():
    tracker = conversation(
        *asked("activity"),
        user("c'est quoi le PGE ?", "faq_pge"), ActionExecuted("utter_faq_pge"), BotUttered("Le PGE…"),
        ActionExecuted("action_listen"),
        tap("barometer_activity", "activity", "normale"),
    )
    fake = FakeGateway({CLAIM: NOT_NOW})
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == [] and messages == [message("utter_barometer_closed")]
    assert [(r.method, r.path) for r in fake.requests] == [CLAIM]  # was it a broadcast's? no: nothing recorded


def test_a_second_tap_on_the_last_question_records_nothing_more():
    slots = {"barometer_activity": "reduite", "barometer_need_trade": False}
    first_tap = tap("barometer_need", "need", "loyer")
    tracker = conversation(
        *asked("need"), first_tap, *[SlotSet(name, None) for name in ("barometer_step", "barometer_activity")],
        BotUttered("Merci, c'est noté."), ActionExecuted("action_listen"),
        tap("barometer_need", "need", "loyer"), slots=slots,
    )
    fake = FakeGateway({ANSWER: RECORDED})
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == [] and messages == [message("utter_barometer_closed")]
    assert fake.requests == []


def test_a_button_of_another_question_is_not_taken_for_this_one():
    tracker = conversation(*asked("activity"), tap("barometer_need", "need", "clients"))
    events, messages = run(ActionBarometerAnswer, FakeGateway(), tracker)
    assert events == [] and messages == [message("utter_barometer_closed")]


def test_an_old_passer_says_d_accord():
    events, messages = run(ActionBarometerAnswer, FakeGateway(), conversation(tap("barometer_skip")))
    assert events == [] and messages == [message("utter_barometer_skipped")]


def test_a_gateway_that_cannot_record_says_so():
    tracker = conversation(*asked("need"), tap("barometer_need", "need", "autre"), slots={"barometer_activity": "normale"})
    events, messages = run(ActionBarometerAnswer, FakeGateway({ANSWER: (500, {"error": "boom"})}), tracker)
    assert events == FORGET and messages == [message("utter_barometer_not_recorded")]


def test_the_open_step_is_the_question_just_before_the_latest_message():
    assert open_step(conversation(*asked("need"), tap("barometer_skip"))) == "need"
    assert open_step(conversation(tap("barometer_skip"))) is None
    assert open_step(conversation(*asked("need"), user("bonjour", "greet"), tap("barometer_skip"))) is None



# --- Under a broadcast, and the commune asked once -------------------------------------------------------------


def broadcast_tap(*taps: Dict[str, Any]) -> Tracker:
    """A conversation whose only barometer question came with a broadcast (not in the tracker), then ``taps``."""
    return conversation(user("bonjour", "greet"), ActionExecuted("utter_greet"), ActionExecuted("action_listen"), *taps)


def test_a_tap_under_a_broadcast_that_asked_is_the_activity_and_asks_the_need():
    fake = FakeGateway({CLAIM: ASK_WITH_TRADE})
    events, messages = run(ActionBarometerAnswer, fake, broadcast_tap(tap("barometer_activity", "activity", "arretee")))
    assert events == [
        SlotSet("barometer_need", None), SlotSet("barometer_need_trade", True),
        SlotSet("barometer_activity", "arretee"), SlotSet("barometer_step", "need"),
    ]
    assert messages == [message("utter_barometer_ask_need")]


def test_a_tap_under_a_broadcast_already_answered_or_not_asking_is_closed():
    fake = FakeGateway({CLAIM: NOT_NOW})
    events, messages = run(ActionBarometerAnswer, fake, broadcast_tap(tap("barometer_activity", "activity", "normale")))
    assert (events, messages) == ([], [message("utter_barometer_closed")])


def test_passer_under_a_broadcast_says_d_accord_and_records_nothing():
    fake = FakeGateway({CLAIM: ASK})
    events, messages = run(ActionBarometerAnswer, fake, broadcast_tap(tap("barometer_skip")))
    assert events[-len(FORGET):] == FORGET and messages == [message("utter_barometer_skipped")]
    assert [(r.method, r.path) for r in fake.requests] == [CLAIM]


def test_a_gateway_down_at_the_tap_closes_the_question_quietly():
    dispatcher = CollectingDispatcher()
    action = ActionBarometerAnswer(Services(environ={}, gateway=unreachable_client()))
    events = asyncio.run(action.run(dispatcher, broadcast_tap(tap("barometer_activity", "activity", "normale")), {}))
    assert dispatcher.messages == [message("utter_barometer_closed")]
    assert events == [SlotSet("commune_wanted", None)]


def test_the_last_answer_asks_the_commune_when_the_gateway_says_so_and_thanks_later():
    fake = FakeGateway({ANSWER: (201, {"recorded": True, "ask_commune": True})})
    tracker = conversation(*asked("need"), tap("barometer_need", "need", "clients"), slots={"barometer_activity": "reduite"})
    events, messages = run(ActionBarometerAnswer, fake, tracker)
    assert events == FORGET + [SlotSet("commune_asked_for", "barometer"), SlotSet("commune_wanted", True)]
    assert messages == []  # commune_form asks it, then thanks


def test_a_commune_question_left_open_by_an_faq_never_starts_again():
    fake = FakeGateway({ANSWER: RECORDED})
    tracker = conversation(
        *asked("need"), tap("barometer_need", "need", "clients"),
        slots={"barometer_activity": "reduite", "commune_wanted": True},
    )
    dispatcher = CollectingDispatcher()

    async def scenario(client):
        return await ActionBarometerAnswer(Services(environ={}, gateway=client)).run(dispatcher, tracker, DOMAIN)

    events = run_with_gateway(fake, scenario)
    assert events[0] == SlotSet("commune_wanted", None) and SlotSet("commune_wanted", True) not in events
    assert dispatcher.messages == [message("utter_barometer_thanks")]
