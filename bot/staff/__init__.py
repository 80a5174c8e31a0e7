"""The staff web UI: accounts, logins with lockout, sessions, CSRF, access control, and the advisers' pages.

How a new staff page declares who may use it is in `bot.staff.middleware`'s docstring.
"""

from bot.errors import StaffAccountError
from bot.staff import (
    console,
    dashboard,
    exports,
    initiative_pages,
    news_pages,
    request_pages,
    retrain_answers,
    retrain_inbox,
    retrain_models,
    views,
)
from bot.staff.accounts import (
    DuplicateAccount,
    InvalidEmail,
    LoginOutcome,
    StaffAccounts,
    UnknownAccount,
    WeakPassword,
    normalize_email,
)
from bot.staff.csrf import CSRF_FIELD, CSRF_HEADER
from bot.staff.lockout import LoginThrottle
from bot.staff.middleware import Access, access_of, current_staff, public, require_role, staff_access
from bot.staff.passwords import MIN_PASSWORD_CHARS, Passwords
from bot.staff.sessions import SESSION_COOKIE, CurrentStaff, StaffSessions
from bot.staff.views import render, setup_templates

# Every staff page; create_app registers them.
routes = [
    *views.routes,
    *request_pages.routes,
    *exports.routes,
    *dashboard.routes,
    *console.routes,
    *retrain_inbox.routes,
    *retrain_answers.routes,
    *retrain_models.routes,
    *news_pages.routes,
    *initiative_pages.routes,
]

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "MIN_PASSWORD_CHARS",
    "SESSION_COOKIE",
    "Access",
    "CurrentStaff",
    "DuplicateAccount",
    "InvalidEmail",
    "LoginOutcome",
    "LoginThrottle",
    "Passwords",
    "StaffAccountError",
    "StaffAccounts",
    "StaffSessions",
    "UnknownAccount",
    "WeakPassword",
    "access_of",
    "current_staff",
    "normalize_email",
    "public",
    "render",
    "require_role",
    "routes",
    "setup_templates",
    "staff_access",
]
