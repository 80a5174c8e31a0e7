"""Fixtures of the gateway's tests: a clock to move forward, the app with fast password hashing, staff accounts, seeded
requests, and a browser."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from argon2 import PasswordHasher

from bot import appkeys
from bot.app import create_app
from bot.settings import Settings
from bot.staff import Passwords, StaffAccounts
from bot.staff.csrf import LOGIN_CSRF_COOKIE
from bot.staff.sessions import SESSION_COOKIE
from bot.storage.message_log import Inbound

PASSWORD = "correct horse battery staple"
AGENT_EMAIL = "agent@cma-exemple.fr"
ADMIN_EMAIL = "admin@cma-exemple.fr"


class FakeClock:
    """The app's clock in tests: a fixed time, moved forward by `advance`."""

    def __init__(self) -> None:
        self.now = datetime(2020, 4, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def fast_passwords() -> Passwords:
    """argon2id with the smallest parameters: the same code path, milliseconds instead of a third of a second."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def staff_settings(database_url: str, clock: FakeClock, **changes: Any) -> Settings:
    return replace(
        Settings(), database_url=database_url, engine_token="test-token", rasa_port=9, actions_port=9,
        clock=clock, **changes,
    )


@pytest.fixture
def password() -> str:
    """The password of the `agent` and `admin` accounts."""
    return PASSWORD


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_settings(clock: FakeClock):
    """Settings for a test app on this database, with the test's clock: `make_settings(url, trust_proxy=True)`."""
    return lambda database_url, **changes: staff_settings(database_url, clock, **changes)


@pytest.fixture
def settings(make_settings, sqlite_url: str) -> Settings:
    """SQLite; modules where the database matters override this with `database_url` (SQLite and PostgreSQL)."""
    return make_settings(sqlite_url)


@pytest.fixture
def make_client(aiohttp_client):
    """Start an app on these settings; its test client."""

    async def make(settings: Settings):
        app = create_app(settings)
        app[appkeys.PASSWORDS] = fast_passwords()
        # No shared cookie jar: each Browser keeps its own cookies, as two real browsers would.
        return await aiohttp_client(app, cookie_jar=aiohttp.DummyCookieJar())

    return make


@pytest.fixture
async def client(make_client, settings: Settings):
    return await make_client(settings)


@pytest.fixture
def accounts(client) -> StaffAccounts:
    return client.app[appkeys.STAFF_ACCOUNTS]


@pytest.fixture
async def agent(accounts: StaffAccounts):
    return await accounts.create(AGENT_EMAIL, PASSWORD, "agent")


@pytest.fixture
async def admin(accounts: StaffAccounts):
    return await accounts.create(ADMIN_EMAIL, PASSWORD, "admin")


class Browser:
    """One browser on the staff pages: its own cookies, redirects not followed."""

    def __init__(self, client, headers: dict[str, str] | None = None) -> None:
        self.client = client
        self.headers = headers or {}
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any):
        sent = {**self.headers, **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = await self.client.request(method, path, headers=sent, allow_redirects=False, **kwargs)
        for name, morsel in response.cookies.items():
            if morsel.value and morsel["max-age"] != "0":
                self.cookies[name] = morsel.value
            else:
                self.cookies.pop(name, None)
        return response

    async def get(self, path: str, **kwargs: Any):
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any):
        return await self.request("POST", path, **kwargs)

    async def login(self, email: str, password: str = PASSWORD, *, next: str | None = None, **kwargs: Any):
        """Open the login form, then send it; returns the form's answer."""
        await self.get("/staff/login")
        data = {"email": email, "password": password, "csrf_token": self.cookies[LOGIN_CSRF_COOKIE]}
        if next is not None:
            data["next"] = next
        return await self.post("/staff/login", data=data, **kwargs)

    async def csrf_token(self) -> str:
        """This session's CSRF token, as the pages give it to their scripts."""
        page = await self.get("/staff/")
        assert page.status == 200, page.status
        return re.search(r'<meta name="csrf-token" content="([^"]+)"', await page.text()).group(1)

    @property
    def session(self) -> str | None:
        return self.cookies.get(SESSION_COOKIE)


@pytest.fixture
def browser(client) -> Browser:
    return Browser(client)


@pytest.fixture
def new_browser(client):
    """Make more browsers (another person, another device): `new_browser(headers={...}, client=...)`."""
    return lambda client=client, **kwargs: Browser(client, **kwargs)


class Seeder:
    """Callbacks and pledges recorded as the gateway records them (ArtisanRequests), each in a conversation of its own."""

    def __init__(self, app) -> None:
        self.intake = app[appkeys.ARTISAN_REQUESTS]
        self.log = app[appkeys.MESSAGE_LOG]
        self.count = 0

    async def conversation(self, text: str = "rappelez-moi") -> str:
        self.count += 1
        stored = await self.log.store_inbound(Inbound("rest", f"artisan-{self.count}", text))
        return stored.conversation.id

    async def callback(self, **changes: Any) -> int:
        conversation_id = changes.pop("conversation_id", None) or await self.conversation()
        data = {
            "conversation_id": conversation_id, "idempotency_key": "confirm", "name": "Marie Dupré",
            "phone": "+33612345678", "trade": "coiffeuse", "commune_code": "71270", "commune_name": "Mâcon",
            "subject": "faq_pge", "preferred_time": "morning", **changes,
        }
        return int((await self.intake.submit_callback(data)).reference.split("-")[1])

    async def pledge(self, **changes: Any) -> int:
        conversation_id = changes.pop("conversation_id", None) or await self.conversation("je donne des masques")
        data = {
            "conversation_id": conversation_id, "idempotency_key": "pledge", "quantity": 300,
            "mask_type": "surgical", "commune_code": "71076", "commune_name": "Chalon-sur-Saône",
            "delivery": "drop_off", "phone": "+33385000000", **changes,
        }
        return int((await self.intake.submit_pledge(data)).reference.split("-")[1])


@pytest.fixture
def seed(client) -> Seeder:
    return Seeder(client.app)


@pytest.fixture
def desk(client):
    return client.app[appkeys.REQUEST_DESK]
