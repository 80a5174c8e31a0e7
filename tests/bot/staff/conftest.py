"""Fixtures of the staff pages' tests: a partner's account (a mayor's, for two communes) and how its browser finds
its CSRF token (its home is the reports page)."""

from __future__ import annotations

import re

import pytest

from bot.staff import StaffAccounts
from tests.bot.conftest import PASSWORD

PARTNER_EMAIL = "mairie@givry.fr"
GIVRY, MERCUREY = "71221", "71294"


@pytest.fixture
async def partner(accounts: StaffAccounts):
    return await accounts.create(
        PARTNER_EMAIL, PASSWORD, "partner", territory=[GIVRY, MERCUREY], territory_label="Givry, Mercurey"
    )


async def partner_csrf_token(browser) -> str:
    """A partner's CSRF token, from its reports page (its /staff/ goes there)."""
    page = await browser.get("/staff/reports/")
    assert page.status == 200, page.status
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', await page.text()).group(1)
