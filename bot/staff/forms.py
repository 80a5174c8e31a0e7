"""This module contains how the staff pages read what a browser sends: form fields, and record ids in paths and
forms (ASCII digits only, at most 18 of them: anything else is no id at all)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from multidict import MultiDictProxy

MAX_ID_DIGITS = 18


def field(form: MultiDictProxy[Any], name: str) -> str:
    """A form's text field as sent ("" when missing or a file); a password keeps its spaces."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def record_id(raw: Any) -> int | None:
    """A database id written in a path or a form, or None."""
    if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) <= MAX_ID_DIGITS:
        return int(raw)
    return None


def record_ids(values: Iterable[Any]) -> list[int]:
    """The ids among `values` (a form's checked boxes), once each, in order."""
    return sorted({id_ for id_ in map(record_id, values) if id_ is not None})
