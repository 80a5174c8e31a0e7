"""This module contains the staff pages of the solidarity initiatives, for advisers and admins: the list by status
(those to check first, with their reports), one initiative with every field, its contact and the consent given,
its history, the form to correct it, and the buttons to approve, refuse or retire it (with the reason the artisan
will read)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot import appkeys
from bot.errors import Refusal
from bot.initiatives.moderation import EDITABLE, Initiatives
from bot.shared.communes import CommuneTable
from bot.shared.french import french_date
from bot.shared.initiatives import AUDIENCES, CATEGORIES
from bot.staff.forms import field, record_id
from bot.staff.middleware import current_staff, require_role
from bot.staff.views import render, see_other
from bot.storage.audit import Actor
from bot.storage.models import Initiative, InitiativeEvent, InitiativeStatus, StaffRole

INITIATIVES_PATH = "/staff/initiatives"
# The tabs of the list: key in ?statut= → (label, the statuses shown).
TABS = {
    "waiting": ("À vérifier", (InitiativeStatus.PENDING,)),
    "approved": ("Publiées", (InitiativeStatus.APPROVED,)),
    "refused": ("Refusées", (InitiativeStatus.REFUSED,)),
    "ended": ("Retirées ou expirées", (InitiativeStatus.RETIRED, InitiativeStatus.EXPIRED)),
}
STATUS_LABELS = {
    InitiativeStatus.PENDING: "À vérifier",
    InitiativeStatus.APPROVED: "Publiée",
    InitiativeStatus.REFUSED: "Refusée",
    InitiativeStatus.RETIRED: "Retirée",
    InitiativeStatus.EXPIRED: "Expirée",
}
ACTION_LABELS = {
    "proposed": "Proposée par l’artisan",
    "edited": "Modifiée",
    "approved": "Approuvée",
    "refused": "Refusée",
    "retired": "Retirée",
    "expired": "Expirée (date de fin passée)",
    "reminded": "Question « toujours d’actualité ? » envoyée",
    "confirmed": "Confirmée par l’artisan",
    "reported": "Signalée sur la page publique",
}
ACTOR_LABELS = {"artisan": "l’artisan", "public": "un visiteur", "system": "automatique"}
DONE = {
    "saved": "Initiative modifiée.",
    "approved": "Initiative approuvée : elle est publiée, et l’artisan en est prévenu.",
    "refused": "Initiative refusée : l’artisan reçoit la raison.",
    "retired": "Initiative retirée : elle n’est plus publiée, et l’artisan reçoit la raison.",
}
EDIT_FIELDS = ("description", "category", "audience", "communes", "phone", "website", "ends_on")
MAX_FIELD_CHARS = 2000


def _initiatives(request: web.Request) -> Initiatives:
    return request.app[appkeys.INITIATIVES]


def _actor(request: web.Request) -> Actor:
    staff = current_staff(request)
    return Actor(staff.account_id, staff.email)


def _context() -> dict[str, Any]:
    return {
        "tabs": {key: label for key, (label, _) in TABS.items()},
        "categories": CATEGORIES,
        "audiences": AUDIENCES,
        "status_labels": STATUS_LABELS,
        "action_labels": ACTION_LABELS,
        "actor_labels": ACTOR_LABELS,
        "french_date": french_date,
    }


@require_role(StaffRole.AGENT)
async def initiatives_page(request: web.Request) -> web.Response:
    """The initiatives of one tab (those to check by default, oldest first), with how many each tab holds."""
    tab = request.query.get("statut", "waiting")
    if tab not in TABS:
        tab = "waiting"
    service = _initiatives(request)
    counts = await service.counts()
    if tab == "waiting":
        items = await service.waiting()
    else:
        items = [item for status in TABS[tab][1] for item in await service.listing(status)]
        items.sort(key=lambda item: item.id, reverse=True)
    tab_counts = {key: sum(counts.get(status, 0) for status in statuses) for key, (_, statuses) in TABS.items()}
    return render(
        request, "staff/initiatives.html", {**_context(), "tab": tab, "items": items, "tab_counts": tab_counts}
    )


def _form_of(initiative: Initiative) -> dict[str, str]:
    return {
        "description": initiative.description, "category": initiative.category, "audience": initiative.audience,
        "communes": ", ".join(initiative.commune_names), "phone": initiative.phone or "",
        "website": initiative.website or "", "ends_on": initiative.ends_on.isoformat(),
    }


async def _found(request: web.Request) -> tuple[Initiative, list[InitiativeEvent]]:
    initiative_id = record_id(request.match_info["id"])
    found = await _initiatives(request).get(initiative_id) if initiative_id is not None else None
    if found is None:
        raise web.HTTPNotFound(text="Cette initiative n’existe pas.")
    return found


async def _page(
    request: web.Request,
    found: tuple[Initiative, list[InitiativeEvent]],
    *,
    form: dict[str, str] | None = None,
    reasons: dict[str, str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    initiative, events = found
    context = {
        **_context(),
        "item": initiative,
        "events": events,
        "form": form or _form_of(initiative),
        "reasons": reasons or {"refuse": "", "retire": ""},
        "editable": initiative.status in EDITABLE,
        "error": error,
        "done": DONE.get(request.query.get("ok", "")) if error is None else None,
    }
    return render(request, "staff/initiative.html", context, status=status)


@require_role(StaffRole.AGENT)
async def initiative_page(request: web.Request) -> web.Response:
    return await _page(request, await _found(request))


def commune_codes(text: str, communes: CommuneTable) -> list[str]:
    """The INSEE codes of communes written as names or codes, separated by commas; Refusal names the unknown."""
    codes: list[str] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        found = communes.find(part)
        if not found:
            raise Refusal(400, f"Commune introuvable : « {part} ». Écrivez son nom ou son code INSEE.")
        if len(found) > 1:
            names = ", ".join(f"{c.name} ({c.insee_code})" for c in found)
            raise Refusal(400, f"« {part} » désigne plusieurs communes : {names}. Écrivez le code INSEE.")
        codes.append(found[0].insee_code)
    return codes


@require_role(StaffRole.AGENT)
async def edit_initiative(request: web.Request) -> web.Response:
    """Correct what the initiative says; every field is checked as a proposal's."""
    found = await _found(request)
    data = await request.post()
    form = {name: field(data, name)[:MAX_FIELD_CHARS] for name in EDIT_FIELDS}
    try:
        await _initiatives(request).edit(
            found[0].id, _actor(request), form["description"], form["category"], form["audience"],
            commune_codes(form["communes"], request.app[appkeys.COMMUNES]), form["phone"].strip() or None,
            form["website"].strip() or None, form["ends_on"].strip(),
        )
    except Refusal as exc:
        return await _page(request, await _found(request), form=form, error=exc.message, status=exc.status)
    return see_other(f"{INITIATIVES_PATH}/{found[0].id}?ok=saved")


def _step(name: str, ok: str):  # type: ignore[no-untyped-def]
    """A POST that approves, refuses or retires the initiative, then back to its page with the outcome."""

    @require_role(StaffRole.AGENT)
    async def handler(request: web.Request) -> web.Response:
        found = await _found(request)
        service, actor = _initiatives(request), _actor(request)
        reason = field(await request.post(), "reason")
        try:
            if name == "approve":
                await service.approve(found[0].id, actor)
            elif name == "refuse":
                await service.refuse(found[0].id, actor, reason)
            else:
                await service.retire(found[0].id, actor, reason)
        except Refusal as exc:
            reasons = {"refuse": "", "retire": "", name: reason[:MAX_FIELD_CHARS]}
            return await _page(request, await _found(request), reasons=reasons, error=exc.message, status=exc.status)
        return see_other(f"{INITIATIVES_PATH}/{found[0].id}?ok={ok}")

    handler.__name__ = f"initiative_{name}"
    return handler


routes: list[Any] = [
    web.get(INITIATIVES_PATH, initiatives_page),
    web.get(INITIATIVES_PATH + "/{id}", initiative_page),
    web.post(INITIATIVES_PATH + "/{id}", edit_initiative),
    *(
        web.post(f"{INITIATIVES_PATH}/{{id}}/{name}", _step(name, ok))
        for name, ok in (("approve", "approved"), ("refuse", "refused"), ("retire", "retired"))
    ),
]

__all__ = ["commune_codes", "routes"]
