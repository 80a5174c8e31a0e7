"""Tests of GatewayClient against a fake internal API: success, refusals, failures, configuration."""

import pytest

from actions.gateway_api import CallbackCreated, GatewayClient, GatewayRejected, GatewayUnavailable
from tests.actions.fake_gateway import HANDOFF_QUEUED, TOKEN, FakeGateway, handoff_path, run_with_gateway


def test_a_callback_is_posted_with_the_token():
    created = {"reference": "RAP-000001", "due_at": "2020-12-02T10:00:00+01:00", "due_text": "demain à 10h00"}
    fake = FakeGateway({("POST", "/internal/callbacks"): (201, created)})
    result = run_with_gateway(fake, lambda client: client.create_callback({"name": "A"}))
    assert result == CallbackCreated("RAP-000001", "2020-12-02T10:00:00+01:00", "demain à 10h00")
    assert [(r.method, r.path, r.authorization, r.body) for r in fake.requests] == [
        ("POST", "/internal/callbacks", f"Bearer {TOKEN}", {"name": "A"})
    ]


def test_a_handoff_is_posted_with_its_reason_and_the_token():
    fake = FakeGateway({handoff_path("c-1"): HANDOFF_QUEUED})
    result = run_with_gateway(fake, lambda client: client.request_handoff("c-1", "distress"))
    assert result == HANDOFF_QUEUED[1]
    assert [(r.method, r.path, r.authorization, r.body) for r in fake.requests] == [
        ("POST", "/internal/conversations/c-1/handoff", f"Bearer {TOKEN}", {"reason": "distress"})
    ]


def test_an_unknown_conversation_s_handoff_is_refused():
    fake = FakeGateway({handoff_path("c-9"): (404, {"error": "Conversation inconnue."})})
    with pytest.raises(GatewayRejected) as refused:
        run_with_gateway(fake, lambda client: client.request_handoff("c-9", "asked"))
    assert refused.value.status == 404


def test_a_4xx_is_a_refusal_with_the_gateway_s_sentence():
    fake = FakeGateway({("POST", "/internal/requests/RAP-1/cancel"): (404, {"error": "Demande inconnue."})})
    with pytest.raises(GatewayRejected) as refused:
        run_with_gateway(fake, lambda client: client.cancel_request("RAP-1", "c-1"))
    assert (refused.value.status, refused.value.message) == (404, "Demande inconnue.")


def test_a_5xx_is_unavailable():
    fake = FakeGateway({("GET", "/internal/conversations/c-1/requests"): (502, {})})
    with pytest.raises(GatewayUnavailable):
        run_with_gateway(fake, lambda client: client.list_requests("c-1"))


def test_the_client_needs_its_settings():
    with pytest.raises(GatewayUnavailable, match="CRISISBOT_GATEWAY_URL and CRISISBOT_ENGINE_TOKEN missing"):
        GatewayClient.from_environ({})
    client = GatewayClient.from_environ({"CRISISBOT_GATEWAY_URL": "http://127.0.0.1:8080/", "CRISISBOT_ENGINE_TOKEN": "t"})
    assert client.base_url == "http://127.0.0.1:8080"


def test_a_refused_initiative_names_the_field():
    refusal = (400, {"error": "Cette date est déjà passée.", "field": "ends_on"})
    fake = FakeGateway({("POST", "/internal/initiatives"): refusal})
    with pytest.raises(GatewayRejected) as refused:
        run_with_gateway(fake, lambda client: client.propose_initiative({"description": "x"}))
    assert (refused.value.status, refused.value.message, refused.value.field) == (
        400, "Cette date est déjà passée.", "ends_on"
    )


def test_the_initiatives_search_and_the_still_current_answer():
    page = {"items": [], "total": 0, "offset": 0, "commune_name": "Givry"}
    fake = FakeGateway({
        ("GET", "/internal/initiatives/search"): (200, page),
        ("POST", "/internal/initiatives/INI-000001/still-current"): (200, {"reference": "INI-000001"}),
    })
    assert run_with_gateway(fake, lambda client: client.find_initiatives("71221", None, 3, 3)) == page
    assert fake.requests[0].query == "commune_code=71221&offset=3&limit=3"
    run_with_gateway(fake, lambda client: client.initiative_still_current("INI-000001", "c-1", False))
    assert fake.requests[1].body == {"conversation_id": "c-1", "still_current": False}
