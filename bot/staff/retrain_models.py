"""This module contains the admins' model pages: train, follow the job live, read an evaluation beside the
active model, activate (through the evaluation gate, or overriding it with a reason), roll back; and the
audit of everything done on the retraining pages."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

from bot import appkeys
from bot.errors import JobBusy, JobFailed, RegistryError
from bot.retrain.job_log import describe
from bot.staff.forms import record_id
from bot.staff.middleware import current_staff, require_role
from bot.staff.views import render, see_other
from bot.storage import audit
from bot.storage.audit import Actor
from bot.storage.models import StaffRole
from bot.web.json_api import json_error

MODELS_PATH = "/staff/models"
AUDIT_PATH = "/staff/audit"
MODEL_NAME = re.compile(r"[A-Za-z0-9._-]{1,80}")
DONE = {
    "training": "Entraînement lancé : suivez-le ci-dessous. Le modèle actif ne change pas tant que vous ne l'activez pas.",
    "evaluating": "Évaluation lancée : suivez-la ci-dessous.",
    "activated": "Modèle activé : Rasa le charge sans interrompre les conversations.",
    "rolled-back": "Retour au modèle choisi : Rasa le charge sans interrompre les conversations.",
}
ACTIONS = {
    "label": "Messages étiquetés",
    "ignore": "Messages ignorés",
    "unlabel": "Étiquette annulée",
    "create_intent": "Intention créée",
    "edit_answer": "Réponse modifiée",
    "restore_answer": "Réponse rétablie",
    "start_train": "Entraînement lancé",
    "start_evaluate": "Évaluation lancée",
    "train": "Modèle entraîné",
    "evaluate": "Modèle évalué",
    "activate": "Modèle activé",
    "rollback": "Retour à un modèle",
    "prune": "Fichiers de modèles supprimés",
    "news_create": "Annonce écrite",
    "news_edit": "Annonce modifiée",
    "news_publish": "Annonce publiée",
    "news_schedule": "Envoi d’annonce programmé",
    "news_unschedule": "Programmation d’annonce annulée",
    "news_send": "Envoi d’annonce lancé",
    "news_stop": "Envoi d’annonce arrêté",
}
KINDS = {"first": "premier démarrage", "activate": "activation", "override": "activation forcée", "rollback": "retour arrière"}


def actor_of(request: web.Request) -> Actor:
    staff = current_staff(request)
    return Actor(staff.account_id, staff.email)


def _name(request: web.Request) -> str:
    name = request.match_info["name"]
    if not MODEL_NAME.fullmatch(name):
        raise web.HTTPNotFound(text="Modèle inconnu.")
    return name


async def _models_page(request: web.Request, *, error: str | None = None, status: int = 200) -> web.Response:
    app = request.app
    registry, jobs = app[appkeys.REGISTRY], app[appkeys.JOBS]
    views, recent, active = await asyncio.gather(registry.models(), jobs.recent(5), registry.active())
    latest = recent[0] if recent else None
    done = DONE.get(request.query.get("ok", "")) if error is None else None
    return render(
        request,
        "staff/models.html",
        {
            "models": views,
            "active": active,
            "job": describe(latest) if latest else None,
            "busy": latest is not None and latest.status in ("queued", "running"),
            "recent_jobs": recent,
            "activations": await registry.activations(10),
            "kinds": KINDS,
            "error": error,
            "done": done,
            "switch_error": app[appkeys.SWITCHER].last_error,
        },
        status=status,
    )


@require_role(StaffRole.ADMIN)
async def models_page(request: web.Request) -> web.Response:
    """The registry: the active model, the latest job live, every model with its scores."""
    return await _models_page(request)


@require_role(StaffRole.ADMIN)
async def train(request: web.Request) -> web.Response:
    try:
        await request.app[appkeys.JOBS].start_training(actor_of(request))
    except JobBusy as exc:
        return await _models_page(request, error=exc.message, status=409)
    return see_other(MODELS_PATH + "?ok=training")


@require_role(StaffRole.ADMIN)
async def live(request: web.Request) -> web.Response:
    """The latest job (its log so far) and the active model, for the page's live view."""
    app = request.app
    recent = await app[appkeys.JOBS].recent(1)
    active = await app[appkeys.REGISTRY].active()
    return web.json_response(
        {
            "job": describe(recent[0]) if recent else None,
            "active": {"name": active.model_name, "loaded": active.loaded_at is not None} if active else None,
            "switch_error": app[appkeys.SWITCHER].last_error,
        }
    )


@require_role(StaffRole.ADMIN)
async def job(request: web.Request) -> web.Response:
    job_id = record_id(request.match_info["id"])
    found = await request.app[appkeys.JOBS].get(job_id) if job_id is not None else None
    if found is None:
        return json_error(404, "Tâche inconnue.")
    return web.json_response(describe(found))


async def _model_page(
    request: web.Request, name: str, *, error: str | None = None, status: int = 200, reason: str = ""
) -> web.Response:
    registry = request.app[appkeys.REGISTRY]
    views = {v.record.name: v for v in await registry.models()}
    view = views.get(name)
    if view is None:
        raise web.HTTPNotFound(text=f"Aucun modèle ne s'appelle {name}.")
    active = await registry.active()
    busy = await request.app[appkeys.JOBS].current() is not None
    done = DONE.get(request.query.get("ok", "")) if error is None else None
    evaluation = view.evaluation
    stale = evaluation is not None and active is not None and evaluation.baseline_name != active.model_name
    return render(
        request,
        "staff/model.html",
        {
            "view": view,
            "active": active,
            "report": evaluation.report if evaluation else None,
            "evaluation": evaluation,
            "stale": stale and not view.active,
            "busy": busy,
            "error": error,
            "done": done,
            "override_reason": reason,
        },
        status=status,
    )


@require_role(StaffRole.ADMIN)
async def model_page(request: web.Request) -> web.Response:
    """One model's evaluation beside the active model's, and what can be done with it."""
    return await _model_page(request, _name(request))


@require_role(StaffRole.ADMIN)
async def activate(request: web.Request) -> web.Response:
    name = _name(request)
    form = await request.post()
    reason = form.get("reason")
    reason = reason if isinstance(reason, str) else None
    try:
        await request.app[appkeys.REGISTRY].activate(name, actor_of(request), override_reason=reason)
    except RegistryError as exc:
        return await _model_page(request, name, error=exc.message, status=exc.status, reason=reason or "")
    request.app[appkeys.SWITCHER].sync_soon()
    return see_other(MODELS_PATH + "?ok=activated")


@require_role(StaffRole.ADMIN)
async def evaluate(request: web.Request) -> web.Response:
    name = _name(request)
    try:
        await request.app[appkeys.JOBS].start_evaluation(name, actor_of(request))
    except (JobBusy, JobFailed) as exc:
        message = exc.message if isinstance(exc, JobBusy) else str(exc)
        return await _model_page(request, name, error=message, status=409)
    return see_other(MODELS_PATH + "?ok=evaluating")


@require_role(StaffRole.ADMIN)
async def rollback(request: web.Request) -> web.Response:
    """Back to the previous model (from the list), or to this model (from its page): one click."""
    form = await request.post()
    to = form.get("to")
    to = to if isinstance(to, str) and MODEL_NAME.fullmatch(to) else None
    try:
        await request.app[appkeys.REGISTRY].rollback(actor_of(request), to)
    except RegistryError as exc:
        return await _models_page(request, error=exc.message, status=exc.status)
    request.app[appkeys.SWITCHER].sync_soon()
    return see_other(MODELS_PATH + "?ok=rolled-back")


@require_role(StaffRole.ADMIN)
async def audit_page(request: web.Request) -> web.Response:
    """Who did what, when, on the retraining pages and commands."""
    from bot.storage import create_sessionmaker

    async with create_sessionmaker(request.app[appkeys.DATABASE])() as session:
        events = await audit.recent(session, 300)
    return render(request, "staff/audit.html", {"events": events, "actions": ACTIONS})


routes: list[Any] = [
    web.get(MODELS_PATH, models_page),
    web.post(MODELS_PATH + "/train", train),
    web.post(MODELS_PATH + "/rollback", rollback),
    web.get(MODELS_PATH + "/live", live),
    web.get(MODELS_PATH + "/jobs/{id}", job),
    web.get(MODELS_PATH + "/{name}", model_page),
    web.post(MODELS_PATH + "/{name}/activate", activate),
    web.post(MODELS_PATH + "/{name}/evaluate", evaluate),
    web.get(AUDIT_PATH, audit_page),
]

__all__ = ["routes"]
