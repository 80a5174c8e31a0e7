"""What the gateway believes about a request's origin, with and without TRUST_PROXY."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request

from bot import appkeys
from bot.errors import ConfigurationError
from bot.settings import Settings
from bot.staff.proxy import client_ip, from_own_origin, is_https


def request(trust_proxy: bool, headers: dict[str, str], scheme: str = "http"):
    app = {appkeys.SETTINGS: Settings(trust_proxy=trust_proxy)}
    mocked = make_mocked_request("GET", "/staff/", headers=headers, app=app)  # type: ignore[arg-type]
    return mocked.clone(scheme=scheme) if scheme != "http" else mocked


@pytest.mark.parametrize("value, expected", [("1", True), ("true", True), ("0", False), ("", False)])
def test_trust_proxy_is_read_from_the_environment(value: str, expected: bool) -> None:
    assert Settings.from_env({"TRUST_PROXY": value}).trust_proxy is expected


def test_a_malformed_trust_proxy_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="TRUST_PROXY"):
        Settings.from_env({"TRUST_PROXY": "maybe"})


@pytest.mark.parametrize(
    "name", ["STAFF_LOGIN_MAX_FAILURES", "STAFF_IP_MAX_FAILURES", "STAFF_LOCKOUT_MINUTES", "STAFF_SESSION_IDLE_HOURS", "STAFF_SESSION_MAX_DAYS"]
)
def test_staff_limits_are_read_and_must_be_positive(name: str) -> None:
    field = name.lower()
    assert getattr(Settings.from_env({name: "3"}), field) == 3
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: "0"})


def test_forwarded_headers_are_believed_only_behind_a_trusted_proxy() -> None:
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7, 198.51.100.1"}
    assert is_https(request(True, headers)) and client_ip(request(True, headers)) == "198.51.100.1"
    assert not is_https(request(False, headers)) and client_ip(request(False, headers)) != "198.51.100.1"


def test_a_direct_https_connection_is_https_either_way() -> None:
    assert is_https(request(False, {}, scheme="https"))


@pytest.mark.parametrize(
    "trust_proxy, headers, own",
    [
        (False, {"Host": "127.0.0.1:8080", "Origin": "http://127.0.0.1:8080"}, True),
        (False, {"Host": "127.0.0.1:8080", "Origin": "http://127.0.0.1:8081"}, False),
        (False, {"Host": "127.0.0.1:8080", "Origin": "https://127.0.0.1:8080"}, False),
        (False, {"Host": "127.0.0.1:8080"}, False),
        (False, {"Host": "127.0.0.1:8080", "Origin": "null"}, False),
        (True, {"Host": "bot.cma.fr", "Origin": "https://BOT.cma.fr", "X-Forwarded-Proto": "https"}, True),
        (True, {"Host": "bot.cma.fr", "Origin": "https://bot.cma.fr:443", "X-Forwarded-Proto": "https"}, True),
        (True, {"Host": "bot.cma.fr", "Origin": "http://bot.cma.fr", "X-Forwarded-Proto": "https"}, False),
        (False, {"Host": "bot.cma.fr", "Origin": "https://bot.cma.fr", "X-Forwarded-Proto": "https"}, False),
    ],
)
def test_the_own_origin_is_the_scheme_as_believed_with_the_requests_host(trust_proxy, headers, own) -> None:
    assert from_own_origin(request(trust_proxy, headers)) is own


async def test_without_trust_proxy_a_forwarded_address_does_not_dodge_the_limit(client, new_browser, agent) -> None:
    for n in range(20):
        attempt = new_browser(headers={"X-Forwarded-For": f"10.0.0.{n}"})
        assert (await attempt.login(f"essai{n}@cma-exemple.fr", "wrong password")).status == 401
    response = await new_browser(headers={"X-Forwarded-For": "10.0.0.99"}).login(agent.email)
    assert response.status == 429
