"""Tests of the news actions: the offer, subscribing (topic, commune, consent), stopping, and the latest news page
by page (the commune question: test_commune.py)."""

import asyncio

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_support import Services
from actions.news import (
    ActionLatestNews,
    ActionOfferSubscription,
    ActionSubscribe,
    ActionUnsubscribe,
)
from tests.actions.fake_gateway import FakeGateway, run_action, unreachable_client
from tests.actions.trackers import answer_tracker, entity, message

SUBSCRIPTION = "/internal/conversations/conversation-1/subscription"
NEWS = ("GET", "/internal/news")
OFFER = "Voulez-vous recevoir ici les annonces de la Chambre ?"
DOMAIN = {"responses": {"utter_offer_subscription": [{"text": OFFER}]}}
SUBSCRIBED_ALL = {"subscribed": True, "topic": None, "commune_name": None, "new": True}


def run(action_class, fake: FakeGateway, tracker, domain=None):
    return run_action(action_class, fake, tracker, domain or DOMAIN)


def test_the_offer_when_not_subscribed():
    fake = FakeGateway({("GET", SUBSCRIPTION): (200, {"subscribed": False})})
    events, messages = run(ActionOfferSubscription, fake, answer_tracker("je veux les infos", "subscribe_news"))
    assert (events, messages) == ([], [message("utter_offer_subscription")])


def test_already_subscribed_says_to_what():
    found = {"subscribed": True, "topic": "faq_pge", "commune_name": "Givry"}
    fake = FakeGateway({("GET", SUBSCRIPTION): (200, found)})
    events, messages = run(ActionOfferSubscription, fake, answer_tracker("je veux les infos", "subscribe_news"))
    assert messages == [
        message(
            "utter_news_already_subscribed",
            topic_text="sur le sujet « Prêt garanti (PGE) »",
            commune_text=" (et celles qui concernent Givry)",
        )
    ]


def test_every_topic_with_the_button_sends_the_consent_and_asks_the_commune():
    fake = FakeGateway({("PUT", SUBSCRIPTION): (201, SUBSCRIBED_ALL)})
    tracker = answer_tracker("/confirm_subscription", "confirm_subscription", entities=[entity("subject", "all")])
    events, messages = run(ActionSubscribe, fake, tracker)
    assert fake.requests[0].body == {"topic": "all", "commune_code": None, "consent_text": OFFER}
    assert messages == [message("utter_news_subscribed", topic_text="sur tous les sujets", commune_text="")]
    assert events == [SlotSet("commune_asked_for", "news"), SlotSet("commune_wanted", True)]


def test_a_typed_topic_after_the_question_is_the_topic():
    fake = FakeGateway({("PUT", SUBSCRIPTION): (201, {**SUBSCRIBED_ALL, "topic": "faq_activite_partielle"})})
    run(ActionSubscribe, fake, answer_tracker("le chômage partiel", "faq_activite_partielle"))
    assert fake.requests[0].body["topic"] == "faq_activite_partielle"


def test_a_yes_is_every_topic_and_the_form_commune_goes_along():
    fake = FakeGateway({("PUT", SUBSCRIPTION): (201, {**SUBSCRIBED_ALL, "commune_name": "Givry"})})
    tracker = answer_tracker("oui", "affirm", slots={"commune_code": "71221"})
    events, messages = run(ActionSubscribe, fake, tracker)
    assert fake.requests[0].body["topic"] == "all"
    assert fake.requests[0].body["commune_code"] == "71221"
    assert messages[0]["commune_text"] == " (et celles qui concernent Givry)"
    assert events == [SlotSet("commune_wanted", False)]  # known: not asked


def test_subscribing_again_does_not_ask_the_commune_again():
    fake = FakeGateway({("PUT", SUBSCRIPTION): (200, {**SUBSCRIBED_ALL, "new": False})})
    events, _ = run(ActionSubscribe, fake, answer_tracker("oui", "affirm"))
    assert events == [SlotSet("commune_wanted", False)]


def test_subscribing_when_the_gateway_is_down():
    dispatcher = CollectingDispatcher()
    action = ActionSubscribe(Services(environ={}, gateway=unreachable_client()))
    events = asyncio.run(action.run(dispatcher, answer_tracker("oui", "affirm"), DOMAIN))
    assert (events, dispatcher.messages) == ([], [message("utter_service_unavailable_news")])


def test_a_refusal_is_said_in_the_gateways_words():
    fake = FakeGateway({("PUT", SUBSCRIPTION): (404, {"error": "Cette conversation est inconnue."})})
    events, messages = run(ActionSubscribe, fake, answer_tracker("oui", "affirm"))
    assert (events, messages) == ([], [message(text="Cette conversation est inconnue.")])


def test_stop_infos_when_subscribed_and_when_not():
    fake = FakeGateway({("DELETE", SUBSCRIPTION): [(200, {"ended": True}), (200, {"ended": False})]})
    assert run(ActionUnsubscribe, fake, answer_tracker("stop infos", "unsubscribe_news"))[1] == [
        message("utter_news_unsubscribed")
    ]
    assert run(ActionUnsubscribe, fake, answer_tracker("stop infos", "unsubscribe_news"))[1] == [
        message("utter_news_not_subscribed")
    ]


def _page(count, total, start=0):
    return {"items": [{"id": i, "entry": f"• annonce {i}"} for i in range(start, start + count)], "total": total}


def test_the_latest_news_three_at_a_time_with_plus():
    fake = FakeGateway({NEWS: (200, _page(3, 5))})
    events, messages = run(ActionLatestNews, fake, answer_tracker("quoi de neuf", "latest_news"))
    assert fake.requests[0].query == "offset=0&limit=3"
    assert messages == [
        message(
            "utter_latest_news",
            news_list="• annonce 0\n\n• annonce 1\n\n• annonce 2",
            buttons=[{"title": "Plus d'annonces", "payload": "/more_news"}],
        )
    ]
    assert events == [SlotSet("news_offset", 3)]


def test_plus_gives_the_next_ones_without_a_button_at_the_end():
    fake = FakeGateway({NEWS: (200, _page(2, 5, start=3))})
    tracker = answer_tracker("plus", "more_news", slots={"news_offset": 3})
    events, messages = run(ActionLatestNews, fake, tracker)
    assert fake.requests[0].query == "offset=3&limit=3"
    assert messages == [message("utter_latest_news_more", news_list="• annonce 3\n\n• annonce 4")]
    assert events == [SlotSet("news_offset", 5)]


def test_plus_at_the_end_and_no_news_at_all():
    fake = FakeGateway({NEWS: [(200, _page(0, 5)), (200, _page(0, 0))]})
    assert run(ActionLatestNews, fake, answer_tracker("plus", "more_news", slots={"news_offset": 5}))[1] == [
        message("utter_no_more_news")
    ]
    assert run(ActionLatestNews, fake, answer_tracker("quoi de neuf", "latest_news"))[1] == [message("utter_no_news")]


def test_a_new_question_starts_from_the_latest_again():
    fake = FakeGateway({NEWS: (200, _page(3, 3))})
    run(ActionLatestNews, fake, answer_tracker("quoi de neuf", "latest_news", slots={"news_offset": 3}))
    assert fake.requests[0].query == "offset=0&limit=3"


def test_the_news_when_the_gateway_is_down():
    dispatcher = CollectingDispatcher()
    action = ActionLatestNews(Services(environ={}, gateway=unreachable_client()))
    asyncio.run(action.run(dispatcher, answer_tracker("quoi de neuf", "latest_news"), {}))
    assert dispatcher.messages == [message("utter_service_unavailable_news")]
