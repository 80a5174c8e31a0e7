"""This module contains what a live answer is (its text, buttons and "updated on" date), its versions as the admins'
pages show them, the defaults the domain gives, and the checks an admin's edit goes through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.errors import RetrainRefused
from bot.shared.french import french_date

FAQ_PREFIX = "utter_faq_"
MAX_TEXT_CHARS = 4000
MAX_BUTTONS = 10
MAX_BUTTON_TITLE_CHARS = 40
MAX_BUTTON_PAYLOAD_CHARS = 200


def updated_on_line(day: date) -> str:
    return f"Mis à jour le {french_date(day)}."


@dataclass(frozen=True)
class AnswerContent:
    """What the artisan reads: the text, the buttons ([{"title", "payload"}]) and the "updated on" date."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()
    updated_on: date | None = None

    @property
    def button_dicts(self) -> list[dict[str, str]]:
        return [{"title": title, "payload": payload} for title, payload in self.buttons]

    def message_text(self) -> str:
        if self.updated_on is None:
            return self.text
        return f"{self.text}\n\n{updated_on_line(self.updated_on)}"


@dataclass(frozen=True)
class AnswerView:
    """One editable answer as the admins' list shows it."""

    response: str
    intent: str
    title: str
    current: AnswerContent
    # False: the domain's text (or, for a new intent, no answer yet).
    edited: bool
    # The domain's text ("" for a new intent's answer).
    default: AnswerContent
    updated_by: str | None = None
    updated_at: datetime | None = None

    @property
    def text(self) -> str:
        return self.current.text

    @property
    def buttons(self) -> list[dict[str, str]]:
        return self.current.button_dicts

    @property
    def updated_on(self) -> date | None:
        return self.current.updated_on


@dataclass(frozen=True)
class AnswerChange:
    """One saved version of an answer, with who saved it (their e-mail; None from outside the staff pages)."""

    id: int
    response: str
    content: AnswerContent
    editor: str | None
    changed_at: datetime

    @property
    def text(self) -> str:
        return self.content.text

    @property
    def buttons(self) -> list[dict[str, str]]:
        return self.content.button_dicts

    @property
    def updated_on(self) -> date | None:
        return self.content.updated_on


@dataclass(frozen=True)
class Editable:
    """An answer admins may edit: the intent it answers, its title on the pages, its text in the domain."""

    intent: str
    title: str
    default: AnswerContent


def buttons_of(raw: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(raw, list):
        return ()
    return tuple(
        (str(b.get("title") or ""), str(b.get("payload") or ""))
        for b in raw
        if isinstance(b, dict)
    )


def read_domain_answers(project_dir: Path) -> dict[str, AnswerContent]:
    """The domain's `utter_faq_*` responses (their first variation), in the domain's order. Blocking."""
    domain = project_dir / "domain.yml"
    files = sorted(domain.rglob("*.yml")) if domain.is_dir() else [domain]
    answers: dict[str, AnswerContent] = {}
    for path in files:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variations in (data.get("responses") or {}).items():
            if not name.startswith(FAQ_PREFIX) or not variations or not isinstance(variations[0], dict):
                continue
            first = variations[0]
            answers[name] = AnswerContent(str(first.get("text") or ""), buttons_of(first.get("buttons")))
    return answers


def readable(intent: str) -> str:
    words = intent.removeprefix("faq_").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _clean_buttons(buttons: Iterable[dict[str, str]]) -> tuple[tuple[str, str], ...]:
    cleaned = []
    for number, button in enumerate(buttons, start=1):
        title = " ".join(str(button.get("title") or "").split())
        payload = str(button.get("payload") or "").strip()
        if not title:
            raise RetrainRefused(400, f"Bouton {number} : le titre est vide.")
        if len(title) > MAX_BUTTON_TITLE_CHARS:
            raise RetrainRefused(400, f"Bouton {number} : le titre dépasse {MAX_BUTTON_TITLE_CHARS} caractères.")
        if not payload:
            raise RetrainRefused(400, f"Bouton {number} : ce qu’il envoie (après « | ») est vide.")
        if len(payload) > MAX_BUTTON_PAYLOAD_CHARS or "\n" in payload:
            raise RetrainRefused(400, f"Bouton {number} : ce qu’il envoie dépasse {MAX_BUTTON_PAYLOAD_CHARS} caractères.")
        cleaned.append((title, payload))
    if len(cleaned) > MAX_BUTTONS:
        raise RetrainRefused(400, f"Une réponse a au plus {MAX_BUTTONS} boutons.")
    return tuple(cleaned)


def validated(text: str, buttons: Iterable[dict[str, str]], updated_on: date | None) -> AnswerContent:
    """The content as saved, or RetrainRefused saying what to fix, in French."""
    text = "\n".join(line.rstrip() for line in (text or "").replace("\r\n", "\n").split("\n")).strip()
    if not text:
        raise RetrainRefused(400, "Le texte de la réponse est vide.")
    if len(text) > MAX_TEXT_CHARS:
        raise RetrainRefused(400, f"Le texte dépasse {MAX_TEXT_CHARS} caractères ({len(text)}).")
    return AnswerContent(text, _clean_buttons(buttons), updated_on)
