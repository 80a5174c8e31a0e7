"""This module contains the public page of the solidarity initiatives, /initiatives (no login, phone first,
readable without JavaScript): the approved ones only, filtered by commune (a name, a postcode or an INSEE code)
and category, each with its contact and a "Signaler" form, and the department's map when the communes'
coordinates are known (bot.shared.department_map).

A report carries a double-submit token (a random cookie the form repeats); one client address may send at most
REPORTS_PER_HOUR of them. A reported initiative leaves the page until staff check it again.
"""

from __future__ import annotations

import hmac
import importlib
import secrets
import time
import weakref
from collections import Counter, deque
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot import appkeys
from bot.shared.communes import Commune
from bot.shared.french import french_date
from bot.shared.initiatives import AUDIENCES, CATEGORIES, initiative_id, initiative_reference
from bot.storage.models import Initiative
from bot.web.headers import SECURITY_HEADERS

PUBLIC_PATH = "/initiatives"
TEMPLATE = "initiatives_public.html"
REPORT_COOKIE = "crisisbot_report"
REPORTS_PER_HOUR = 5
MAX_REPORT_TEXT = 500
REPORT_REASONS = {
    "finie": "L’initiative n’existe plus",
    "contact": "Le contact est faux ou ne répond pas",
    "trompeuse": "L’initiative est trompeuse ou abusive",
    "autre": "Autre raison",
}
UNKNOWN_COMMUNE = "Nous ne trouvons pas la commune « {} » dans le département : voici toutes les initiatives."
BAD_TOKEN = "La vérification de sécurité du formulaire a échoué : rechargez la page, puis réessayez."
NO_REASON = "Choisissez la raison du signalement."
TOO_LONG = f"Votre précision ne doit pas dépasser {MAX_REPORT_TEXT} caractères."
TOO_MANY = "Vous avez envoyé beaucoup de signalements en peu de temps : réessayez dans une heure."
SEVERAL_COMMUNES = (
    "« {} » peut désigner plusieurs communes ({}) : écrivez le nom de la vôtre. Voici toutes les initiatives."
)
GONE = "Cette initiative n’est plus publiée : elle a peut-être déjà été signalée ou retirée."


class ReportLimit:
    """How many reports each client address sent in the last hour (in memory: a restart forgets)."""

    def __init__(self, per_hour: int = REPORTS_PER_HOUR, clock=time.monotonic) -> None:  # type: ignore[no-untyped-def]
        self._per_hour, self._clock = per_hour, clock
        self._sent: dict[str, deque[float]] = {}

    def allow(self, address: str) -> bool:
        """Count one report from `address`; False when it already sent its share this hour."""
        now = self._clock()
        sent = self._sent.setdefault(address, deque())
        while sent and sent[0] <= now - 3600:
            sent.popleft()
        if len(sent) >= self._per_hour:
            return False
        sent.append(now)
        if len(self._sent) > 10_000:  # forget the quiet addresses
            self._sent = {key: times for key, times in self._sent.items() if times and times[-1] > now - 3600}
        return True


_LIMITS: weakref.WeakKeyDictionary[web.Application, ReportLimit] = weakref.WeakKeyDictionary()


def report_limit(app: web.Application) -> ReportLimit:
    """The report limit of this running app."""
    limit = _LIMITS.get(app)
    if limit is None:
        limit = _LIMITS[app] = ReportLimit()
    return limit


def _token(request: web.Request) -> str:
    existing = request.cookies.get(REPORT_COOKIE, "")
    return existing if 32 <= len(existing) <= 64 else secrets.token_urlsafe(32)


def _tokens_match(sent: str, expected: str | None) -> bool:
    return bool(sent and expected) and hmac.compare_digest(sent.encode(), (expected or "").encode())


def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


# As bot.staff.proxy (a layer above this one) believes them: with TRUST_PROXY, the proxy's headers.
def _is_https(request: web.Request) -> bool:
    if request.secure:
        return True
    proto = request.headers.get("X-Forwarded-Proto", "") if request.app[appkeys.SETTINGS].trust_proxy else ""
    return proto.split(",")[-1].strip().lower() == "https"


def _client_ip(request: web.Request) -> str:
    if request.app[appkeys.SETTINGS].trust_proxy:
        last = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if last:
            return last
    return request.remote or "unknown"


def phone_display(phone: str) -> str:
    """A French number as people dial it (06 12 34 56 78); any other as stored."""
    if phone.startswith("+33") and len(phone) == 12 and phone[1:].isdigit():
        national = "0" + phone[3:]
        return " ".join(national[i : i + 2] for i in range(0, 10, 2))
    return phone


def _answer(request: web.Request, context: dict[str, Any], status: int = 200) -> web.Response:
    """The page (the list, the thanks, or what went wrong), with the report token's cookie."""
    token = _token(request)
    full = {
        "categories": CATEGORIES, "audiences": AUDIENCES, "reasons": REPORT_REASONS, "french_date": french_date,
        "phone_display": phone_display, "token": token, "max_text": MAX_REPORT_TEXT, "page": "list",
        "message": None, **context,
    }
    response = aiohttp_jinja2.render_template(TEMPLATE, request, full, status=status)
    response.headers.update(SECURITY_HEADERS)
    response.set_cookie(
        REPORT_COOKIE, token, path=PUBLIC_PATH, httponly=True, samesite="Strict", secure=_is_https(request),
        max_age=86400,
    )
    return response


def department_map(initiatives: list[Initiative], commune: Commune | None, request: web.Request) -> str | None:
    """The department's map, one circle per commune served sized by its initiatives, when
    bot.shared.department_map and the communes' coordinates exist."""
    try:
        drawing = importlib.import_module("bot.shared.department_map")
    except ImportError:
        return None
    table = request.app[appkeys.COMMUNES]
    served = Counter(code for item in initiatives for code in dict.fromkeys(item.commune_codes))
    points = []
    for code, count in served.items():
        found = table.by_code(code)
        if found is not None and getattr(found, "latitude", None) is not None:
            points.append((found.latitude, found.longitude, found.name, count))
    if not points:
        return None
    try:
        return drawing.department_svg(points, highlight=commune.name if commune else None)
    except Exception:  # noqa: BLE001 - a map that cannot be drawn is left out: the list is what matters
        return None


def _communes_named(text: str, table: Any) -> list[Commune]:
    """The communes a visitor's words may mean: a name, or digits that are an INSEE code or a postcode (in this
    department, many INSEE codes are also other communes' postcodes: then every one is a candidate)."""
    if not text.isdigit():
        return table.find(text)
    by_code = table.by_code(text)
    found = ([by_code] if by_code is not None else []) + table.by_postcode(text)
    return list({c.insee_code: c for c in found}.values())


async def initiatives_page(request: web.Request) -> web.Response:
    """The approved initiatives, for a commune (typed as a name or a code) and a category when asked."""
    typed = request.query.get("commune", "").strip()[:100]
    category = request.query.get("categorie", "")
    category = category if category in CATEGORIES else ""
    commune, message = None, None
    if typed:
        found = _communes_named(typed, request.app[appkeys.COMMUNES])
        if len(found) == 1:
            commune = found[0]
        elif found:
            message = SEVERAL_COMMUNES.format(typed, ", ".join(c.name for c in found))
        else:
            message = UNKNOWN_COMMUNE.format(typed)
    items = await request.app[appkeys.INITIATIVES].public(commune.insee_code if commune else None, category or None)
    context = {
        "items": items, "typed": typed, "category": category, "commune": commune, "message": message,
        "map_svg": department_map(items, commune, request),
    }
    return _answer(request, context)


async def report(request: web.Request) -> web.Response:
    """Someone says an initiative is wrong: staff check it again, and it is off the page until then."""
    data = await request.post()
    reference = request.match_info["reference"]
    if not _tokens_match(_field(data, "token"), request.cookies.get(REPORT_COOKIE)):
        return _answer(request, {"page": "error", "message": BAD_TOKEN}, status=403)
    reason, text = _field(data, "reason"), " ".join(_field(data, "details").split())
    if reason not in REPORT_REASONS:
        return _answer(request, {"page": "error", "message": NO_REASON}, status=400)
    if len(text) > MAX_REPORT_TEXT:
        return _answer(request, {"page": "error", "message": TOO_LONG}, status=400)
    if not report_limit(request.app).allow(_client_ip(request)):
        return _answer(request, {"page": "error", "message": TOO_MANY}, status=429)
    detail = REPORT_REASONS[reason] + (f" : {text}" if text else "")
    if not await request.app[appkeys.INITIATIVES].report(reference, detail):
        return _answer(request, {"page": "error", "message": GONE}, status=404)
    return _answer(request, {"page": "thanks", "reference": initiative_reference(initiative_id(reference) or 0)})


routes: list[Any] = [
    web.get(PUBLIC_PATH, initiatives_page),
    web.post(PUBLIC_PATH + "/{reference}/signaler", report),
]

__all__ = ["REPORTS_PER_HOUR", "REPORT_COOKIE", "ReportLimit", "department_map", "report_limit", "routes"]
