"""Tests of the solidarity initiatives in conversation: the proposal's form (what the opening message gives, each
answer, the consent), its summary and submission (reference, a refused field asked again, the gateway down), the
search three at a time, and the proposer's answer to the reminder."""

import asyncio
from datetime import date
from typing import Any

from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.form_support import Services
from actions.initiative import ActionSubmitInitiative, ActionSummarizeInitiative, ValidateInitiativeForm
from actions.initiative_search import ActionFindInitiatives, ActionInitiativeStillCurrent, ValidateInitiativeSearchForm
from tests.actions.fake_gateway import (
    INITIATIVES,
    FakeGateway,
    initiatives_search,
    run_action as run,
    still_current_path,
    unreachable_client,
)
from tests.actions.trackers import answer_tracker, entity, message

INITIATIVE_SLOTS = [
    "initiative_description", "initiative_category", "initiative_communes", "initiative_audience",
    "initiative_contact", "initiative_contact_consent", "initiative_ends_on",
]
DOMAIN = {
    "forms": {
        "initiative_form": {"required_slots": INITIATIVE_SLOTS},
        "initiative_search_form": {"required_slots": ["search_commune_code"]},
    },
}
FILLED = {
    "initiative_description": "Trajets gratuits pour les soignants",
    "initiative_category": "transport",
    "initiative_communes": ["71221", "71070"],
    "initiative_commune_names": ["Givry", "Buxy"],
    "initiative_audience": "soignants",
    "initiative_contact": "06 12 34 56 78",
    "initiative_phone": "+33612345678",
    "initiative_website": None,
    "initiative_contact_consent": True,
    "initiative_ends_on": "2027-01-31",
}
OK = SlotSet("invalid_answers", None)


class Fixed(ValidateInitiativeForm):
    today = staticmethod(lambda: date(2026, 12, 4))


def validate(tracker, form=Fixed):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(form().run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def answer(slot: str, text: Any, entities=None, intent="inform", **slots: Any):
    return answer_tracker(
        str(text), intent=intent, slots={"requested_slot": slot, **slots}, candidates={slot: text}, entities=entities
    )


# ------------------------------------------------------------------ the form
def test_the_opening_message_gives_the_description_category_audience_and_commune():
    text = "Je propose des trajets gratuits pour les soignants à Givry"
    events, messages = validate(answer_tracker(text, intent="propose_initiative"))
    assert SlotSet("initiative_description", text) in events
    assert SlotSet("initiative_category", "transport") in events
    assert SlotSet("initiative_audience", "soignants") in events
    assert SlotSet("initiative_communes", ["71221"]) in events
    assert SlotSet("initiative_commune_names", ["Givry"]) in events
    assert messages == []


def test_an_offer_of_deliveries_to_the_elderly():
    text = "je peux livrer des courses aux personnes âgées"
    events, _ = validate(answer_tracker(text, intent="propose_initiative"))
    assert SlotSet("initiative_category", "courses") in events
    assert SlotSet("initiative_audience", "fragiles") in events
    assert not any(event["name"] == "initiative_communes" for event in events)


def test_the_menu_button_prefills_nothing():
    events, _ = validate(answer_tracker("/propose_initiative", intent="propose_initiative"))
    assert events == []
    events, _ = validate(answer_tracker("je veux proposer une initiative", intent="propose_initiative"))
    assert events == []


def test_a_too_short_description_is_asked_again():
    events, messages = validate(answer("initiative_description", "aide"))
    assert SlotSet("initiative_description", None) in events
    assert messages[0]["text"].startswith("Décrivez votre initiative en une phrase")


def test_a_category_by_button_or_in_words():
    payload = '/inform{"initiative_category":"garde"}'
    events, _ = validate(answer("initiative_category", payload, entities=[entity("initiative_category", "garde")]))
    assert events == [SlotSet("initiative_category", "garde"), OK]
    events, _ = validate(answer("initiative_category", "des repas"))
    assert events == [SlotSet("initiative_category", "repas"), OK]
    events, messages = validate(answer("initiative_category", "euh"))
    assert messages == [message("utter_invalid_initiative_category")]


def test_several_communes_in_one_answer():
    events, messages = validate(answer("initiative_communes", "Givry et Buxy"))
    assert events == [
        SlotSet("initiative_communes", ["71221", "71070"]),
        SlotSet("initiative_commune_names", ["Givry", "Buxy"]),
        OK,
    ]
    assert messages == []


def test_an_unknown_commune_among_several_is_named():
    events, messages = validate(answer("initiative_communes", "Givry et Zzyzx"))
    assert SlotSet("initiative_communes", None) in events
    assert messages[0]["text"].startswith("« Zzyzx » : Je ne trouve pas cette commune")


def test_an_audience_by_button():
    payload = '/inform{"initiative_audience":"tous"}'
    events, _ = validate(answer("initiative_audience", payload, entities=[entity("initiative_audience", "tous")]))
    assert events == [SlotSet("initiative_audience", "tous"), OK]


def test_a_phone_and_a_website_as_the_contact():
    events, messages = validate(answer("initiative_contact", "06 12 34 56 78 et www.taxi-givry.fr"))
    assert events == [
        SlotSet("initiative_contact", "06 12 34 56 78 / www.taxi-givry.fr"),
        SlotSet("initiative_phone", "+33612345678"),
        SlotSet("initiative_website", "www.taxi-givry.fr"),
        OK,
    ]
    events, _ = validate(answer("initiative_contact", "https://entraide-buxy.org"))
    assert SlotSet("initiative_phone", None) in events
    assert SlotSet("initiative_website", "https://entraide-buxy.org") in events


def test_no_contact_is_asked_again():
    events, messages = validate(answer("initiative_contact", "appelez la mairie"))
    assert SlotSet("initiative_contact", None) in events
    assert messages[0]["text"].startswith("Je n’ai trouvé ni numéro de téléphone ni site internet")


def test_the_consent_is_an_explicit_yes():
    events, _ = validate(answer("initiative_contact_consent", "/affirm", intent="affirm"))
    assert events == [SlotSet("initiative_contact_consent", True), OK]


def test_a_refused_consent_is_explained_and_stopping_offered():
    events, messages = validate(answer("initiative_contact_consent", "/deny", intent="deny"))
    assert SlotSet("initiative_contact_consent", None) in events
    assert messages == [message("utter_initiative_consent_needed")]


def test_an_end_date_in_french():
    events, _ = validate(answer("initiative_ends_on", "fin janvier"))
    assert events == [SlotSet("initiative_ends_on", "2027-01-31"), OK]
    events, messages = validate(answer("initiative_ends_on", "31/05/2026"))
    assert SlotSet("initiative_ends_on", None) in events
    assert messages[0]["text"] == "Cette date est déjà passée : jusqu’à quand votre initiative dure-t-elle ?"


# ------------------------------------------------------------------ summary and submission
def test_the_summary_reads_everything_back():
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionSummarizeInitiative().run(dispatcher, answer_tracker("oui", slots=FILLED), {}))
    assert dispatcher.messages == [
        message(
            "utter_initiative_summary",
            description="Trajets gratuits pour les soignants",
            category_label="Transport",
            communes_text="Givry, Buxy",
            audience_label="Soignants",
            contact_text="06 12 34 56 78",
            ends_on_text="31 janvier 2027",
        )
    ]


def test_a_confirmed_proposal_is_sent_and_its_reference_given():
    fake = FakeGateway({INITIATIVES: (201, {"reference": "INI-000007", "status": "pending"})})
    events, messages = run(ActionSubmitInitiative, fake, answer_tracker("/affirm", "affirm", slots=FILLED))
    assert fake.requests[0].body == {
        "conversation_id": "conversation-1",
        "description": "Trajets gratuits pour les soignants",
        "category": "transport",
        "audience": "soignants",
        "commune_codes": ["71221", "71070"],
        "phone": "+33612345678",
        "website": None,
        "contact_consent": True,
        "consent_text": "J’accepte que ce contact soit publié : 06 12 34 56 78",
        "ends_on": "2027-01-31",
    }
    assert messages == [message("utter_initiative_submitted", reference="INI-000007")]
    assert SlotSet("initiative_description", None) in events and SlotSet("initiative_phone", None) in events


def test_a_field_refused_by_the_gateway_is_asked_again_with_its_sentence():
    refusal = (400, {"error": "Ce numéro ne peut pas être publié.", "field": "phone"})
    fake = FakeGateway({INITIATIVES: refusal})
    events, messages = run(ActionSubmitInitiative, fake, answer_tracker("/affirm", "affirm", slots=FILLED))
    assert messages == [message(text="Ce numéro ne peut pas être publié.")]
    assert events == [
        SlotSet("initiative_contact", None),
        SlotSet("initiative_phone", None),
        SlotSet("initiative_website", None),
        SlotSet("initiative_contact_consent", None),
        FollowupAction("initiative_form"),
    ]


def test_the_gateway_down_keeps_the_answers():
    async def scenario():
        dispatcher = CollectingDispatcher()
        action = ActionSubmitInitiative(Services(environ={}, gateway=unreachable_client()))
        return await action.run(dispatcher, answer_tracker("/affirm", "affirm", slots=FILLED), {}), dispatcher.messages

    events, messages = asyncio.run(scenario())
    assert messages == [message("utter_service_unavailable")]
    assert events == [FollowupAction("action_summarize_initiative")]


# ------------------------------------------------------------------ search
ENTRY_HERE = "🤝 Trajets gratuits — Givry — Pour : Soignants — Contact : 06 12 34 56 78 — jusqu’au 31/01/2027 (INI-000001)"
ENTRY_NEAR = "🤝 Courses livrées — Buxy — Pour : Tout le monde — Contact : www.b.fr — jusqu’au 15/01/2027 (INI-000002)"
PAGE = {
    "items": [
        {"reference": "INI-000001", "entry": ENTRY_HERE, "commune_names": ["Givry"], "here": True},
        {"reference": "INI-000002", "entry": ENTRY_NEAR, "commune_names": ["Buxy"], "here": False},
    ],
    "total": 5, "offset": 0, "commune_name": "Givry",
}


def test_the_search_reads_the_commune_and_category_of_the_request():
    tracker = answer_tracker("un taxi gratuit pour aller à l’hôpital à Chalon", intent="find_initiative")
    events, messages = validate(tracker, ValidateInitiativeSearchForm)
    assert SlotSet("search_commune_code", "71076") in events
    assert SlotSet("search_category", "transport") in events
    assert messages == []


def test_the_search_asks_the_commune_when_the_request_has_none():
    events, _ = validate(answer_tracker("/find_initiative", intent="find_initiative"), ValidateInitiativeSearchForm)
    assert SlotSet("search_commune_code", None) in events


def test_those_in_the_commune_first_then_those_near():
    fake = FakeGateway({initiatives_search(): (200, PAGE)})
    tracker = answer_tracker("y a-t-il des initiatives à Givry ?", "find_initiative",
                             slots={"search_commune_code": "71221", "search_category": "transport"})
    events, messages = run(ActionFindInitiatives, fake, tracker)
    assert fake.requests[0].query == "commune_code=71221&offset=0&limit=3&category=transport"
    assert messages == [
        message(
            "utter_initiatives_found", commune_name="Givry",
            initiatives_list=f"{ENTRY_HERE}\n\nPrès de Givry :\n{ENTRY_NEAR}",
            buttons=[{"title": "Plus d’initiatives", "payload": "/more_initiatives"}],
        )
    ]
    assert events == [SlotSet("initiatives_offset", 2)]


def test_more_initiatives_from_the_offset():
    fake = FakeGateway({initiatives_search(): (200, {**PAGE, "offset": 3})})
    tracker = answer_tracker("/more_initiatives", "more_initiatives",
                             slots={"search_commune_code": "71221", "initiatives_offset": 3})
    events, messages = run(ActionFindInitiatives, fake, tracker)
    assert fake.requests[0].query == "commune_code=71221&offset=3&limit=3"
    assert messages[0]["response"] == "utter_initiatives_more" and messages[0]["buttons"] == []
    assert events == [SlotSet("initiatives_offset", 5)]


def test_a_bare_plus_after_a_list_gives_the_next_initiatives():
    fake = FakeGateway({initiatives_search(): (200, {**PAGE, "offset": 3})})
    tracker = answer_tracker("plus", "more_news", slots={"search_commune_code": "71221", "initiatives_offset": 3})
    events, messages = run(ActionFindInitiatives, fake, tracker)
    assert fake.requests[0].query == "commune_code=71221&offset=3&limit=3"
    assert messages[0]["response"] == "utter_initiatives_more"


def test_none_found_offers_the_news_or_proposing_one():
    fake = FakeGateway({initiatives_search(): (200, {"items": [], "total": 0, "offset": 0, "commune_name": "Givry"})})
    tracker = answer_tracker("initiatives à Givry", "find_initiative", slots={"search_commune_code": "71221"})
    _, messages = run(ActionFindInitiatives, fake, tracker)
    assert messages == [
        message("utter_no_initiatives", commune_name="Givry", buttons=[
            {"title": "Recevoir les annonces", "payload": "/subscribe_news"},
            {"title": "Proposer une initiative", "payload": "/propose_initiative"},
        ])
    ]


def test_the_search_with_the_gateway_down():
    async def scenario():
        dispatcher = CollectingDispatcher()
        action = ActionFindInitiatives(Services(environ={}, gateway=unreachable_client()))
        tracker = answer_tracker("initiatives à Givry", "find_initiative", slots={"search_commune_code": "71221"})
        return await action.run(dispatcher, tracker, {}), dispatcher.messages

    assert asyncio.run(scenario()) == ([], [message("utter_service_unavailable_initiatives")])


# ------------------------------------------------------------------ the reminder's answer
def reminder(answer_word: str):
    payload = f'/initiative_still_current{{"initiative_ref":"INI-000007","still_current":"{answer_word}"}}'
    return answer_tracker(payload, "initiative_still_current",
                          entities=[entity("initiative_ref", "INI-000007"), entity("still_current", answer_word)])


def test_still_current_yes_and_no():
    fake = FakeGateway({still_current_path("INI-000007"): (200, {"reference": "INI-000007", "status": "approved"})})
    _, messages = run(ActionInitiativeStillCurrent, fake, reminder("oui"))
    assert fake.requests[0].body == {"conversation_id": "conversation-1", "still_current": True}
    assert messages == [message("utter_initiative_kept")]
    _, messages = run(ActionInitiativeStillCurrent, fake, reminder("non"))
    assert fake.requests[1].body == {"conversation_id": "conversation-1", "still_current": False}
    assert messages == [message("utter_initiative_retired")]


def test_an_answer_the_gateway_refuses_is_explained():
    refusal = (409, {"error": "Cette initiative n’attend pas de réponse."})
    fake = FakeGateway({still_current_path("INI-000007"): refusal})
    _, messages = run(ActionInitiativeStillCurrent, fake, reminder("oui"))
    assert messages == [message(text="Cette initiative n’attend pas de réponse.")]


def test_an_answer_without_its_reference_is_unclear():
    fake = FakeGateway()
    _, messages = run(ActionInitiativeStillCurrent, fake, answer_tracker("oui", "initiative_still_current"))
    assert messages == [message("utter_initiative_answer_unclear")] and fake.requests == []


# ------------------------------------------------------------------ the words read
def test_the_place_at_the_end_of_a_request():
    from actions.initiative_words import communes_in_message

    directory = Services(environ={}).communes
    assert [c.name for c in communes_in_message(directory, "qui livre des courses près de Tournus")] == ["Tournus"]
    assert [c.name for c in communes_in_message(directory, "je livre à Givry et Buxy")] == ["Givry", "Buxy"]
    assert [c.name for c in communes_in_message(directory, "je fais des repas au Creusot")] == ["Le Creusot"]
    assert communes_in_message(directory, "je peux livrer des courses aux personnes âgées") == []


def test_an_incomplete_number_is_explained():
    events, messages = validate(answer("initiative_contact", "03 85 00"))
    assert messages == [message(text="Ce numéro semble incomplet : il faut 10 chiffres, par exemple 06 12 34 56 78.")]
