"""This module contains the admins' pages of the FAQ answers: the list, the edit form with its history, the restore."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from bot import appkeys
from bot.errors import RetrainRefused
from bot.retrain.answer_content import MAX_TEXT_CHARS, AnswerContent, AnswerView
from bot.retrain.answers import LiveAnswers
from bot.shared.french import french_date
from bot.staff.forms import field, record_id
from bot.staff.middleware import current_staff, require_role
from bot.staff.views import render, see_other
from bot.storage.audit import Actor
from bot.storage.models import StaffRole

ANSWERS_PATH = "/staff/answers"
DONE = {
    "saved": "Réponse enregistrée : elle est utilisée dès le prochain message.",
    "restored": "Version rétablie : elle est utilisée dès le prochain message.",
}
UNKNOWN_ANSWER = "Cette réponse n’existe pas ou ne se modifie pas ici."
BAD_DATE = "La date « Mis à jour le » n’est pas valide."
# A form value longer than this is refused before any parsing (the text's own limit is checked after).
MAX_FIELD_CHARS = 20_000


def buttons_as_lines(buttons: list[dict[str, str]]) -> str:
    """`Titre | /payload` one per line; `Titre` alone when the button sends its own title."""
    return "\n".join(
        b["title"] if b["payload"] == b["title"] else f"{b['title']} | {b['payload']}" for b in buttons
    )


def parse_buttons(lines: str) -> list[dict[str, str]]:
    """The buttons typed one per line, `Titre` or `Titre | /payload`; a title alone sends that title."""
    buttons = []
    for line in lines.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        title, separator, payload = line.partition("|")
        title, payload = title.strip(), payload.strip()
        buttons.append({"title": title, "payload": payload if separator else title})
    return buttons


def parse_date(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise RetrainRefused(400, BAD_DATE) from None


def answers_of(request: web.Request) -> LiveAnswers:
    return request.app[appkeys.ANSWERS]


def actor_of(request: web.Request) -> Actor:
    staff = current_staff(request)
    return Actor(staff.account_id, staff.email)


def _not_found(request: web.Request) -> web.Response:
    return render(request, "staff/error.html", {"message": UNKNOWN_ANSWER, "status": 404}, status=404)


def _preview(content: AnswerContent) -> dict[str, Any]:
    return {"paragraphs": content.message_text().split("\n\n"), "buttons": content.button_dicts}


async def _answer_page(
    request: web.Request,
    answer: AnswerView,
    *,
    form: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> web.Response:
    answers = answers_of(request)
    today = answers.today()
    if form is None:
        form = {
            "text": answer.text,
            "buttons": buttons_as_lines(answer.buttons),
            "updated_on": today.isoformat(),
            "show_date": answer.updated_on is not None or not answer.edited,
        }
    done = DONE.get(request.query.get("ok", "")) if error is None else None
    context = {
        "answer": answer,
        "form": form,
        "error": error,
        "done": done,
        "preview": _preview(answer.current),
        "history": await answers.history(answer.response),
        "max_text_chars": MAX_TEXT_CHARS,
        "french_date": french_date,
        "today": today,
    }
    return render(request, "staff/answer.html", context, status=status)


@require_role(StaffRole.ADMIN)
async def answers_page(request: web.Request) -> web.Response:
    """List the answers admins can edit: which are edited, by whom, when, and their "updated on" date."""
    views = await answers_of(request).list()
    return render(request, "staff/answers.html", {"answers": views, "french_date": french_date})


@require_role(StaffRole.ADMIN)
async def answer_page(request: web.Request) -> web.Response:
    """Show one answer's edit form, what the artisan sees, and its history."""
    answer = await answers_of(request).get(request.match_info["response"])
    if answer is None:
        return _not_found(request)
    return await _answer_page(request, answer)


@require_role(StaffRole.ADMIN)
async def answer_save(request: web.Request) -> web.Response:
    """Save the answer's new text, buttons and date; back to its page, or the form again with what to fix."""
    answers = answers_of(request)
    answer = await answers.get(request.match_info["response"])
    if answer is None:
        return _not_found(request)
    data = await request.post()
    form = {
        "text": field(data, "text"),
        "buttons": field(data, "buttons"),
        "updated_on": field(data, "updated_on"),
        "show_date": field(data, "show_date") == "on",
    }
    try:
        if any(len(value) > MAX_FIELD_CHARS for value in form.values() if isinstance(value, str)):
            raise RetrainRefused(400, "Le formulaire est trop long.")
        updated_on = parse_date(form["updated_on"]) if form["show_date"] else None
        await answers.save(answer.response, form["text"], parse_buttons(form["buttons"]), updated_on, actor_of(request))
    except RetrainRefused as exc:
        return await _answer_page(request, answer, form=form, error=exc.message, status=exc.status)
    return see_other(f"{ANSWERS_PATH}/{answer.response}?ok=saved")


@require_role(StaffRole.ADMIN)
async def answer_restore(request: web.Request) -> web.Response:
    """Make an earlier version of the answer the live one again."""
    answers = answers_of(request)
    answer = await answers.get(request.match_info["response"])
    version_id = record_id(request.match_info["version"])
    if answer is None or version_id is None:
        return _not_found(request)
    try:
        await answers.restore(answer.response, version_id, actor_of(request))
    except RetrainRefused as exc:
        return await _answer_page(request, answer, error=exc.message, status=exc.status)
    return see_other(f"{ANSWERS_PATH}/{answer.response}?ok=restored")


routes: list[Any] = [
    web.get(ANSWERS_PATH, answers_page),
    web.get(ANSWERS_PATH + "/{response}", answer_page),
    web.post(ANSWERS_PATH + "/{response}", answer_save),
    web.post(ANSWERS_PATH + "/{response}/restore/{version}", answer_restore),
]
