"""This module contains what channels do to text: make it safe to store, and cut it to a platform's limit."""

from __future__ import annotations

import collections
from collections.abc import Callable


def clean_text(value: str) -> str:
    """Text safe to store anywhere: no NUL byte (PostgreSQL refuses it), no lone surrogate (not UTF-8)."""
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def stored_as_sent(identifier: str) -> bool:
    """Whether an id can be stored exactly as sent: printable characters only, nothing around them.

    `clean_text` would change it (a NUL dropped, a lone surrogate replaced), and so would stripping: two
    senders would then share one conversation. `isprintable` refuses control and format characters,
    surrogates, unassigned code points and every space but the ASCII one.
    """
    return identifier.isprintable() and identifier == identifier.strip()


def is_utf8(value: str) -> bool:
    """Whether text can be written as UTF-8: False when it holds a lone surrogate (JSON's "\\ud800")."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def split_text(text: str, limit: int, fitting: Callable[[str, int], int] | None = None) -> list[str]:
    """`text` in parts that fit `limit`, cut between paragraphs, else lines, else words.

    `fitting(text, limit)` says how many characters of `text` fit (by default `limit` of them; Telegram
    counts UTF-16 units). A boundary in the first half of a part is passed over for a finer one further on
    (fewer, fuller messages); only a word longer than a whole part is cut.
    """
    fitting = fitting or (lambda text, limit: min(len(text), limit))
    parts: list[str] = []
    rest = text.strip()
    while rest:
        end = fitting(rest, limit)
        if end >= len(rest):
            parts.append(rest)
            break
        window = rest[: end + 1]  # a boundary right after the last character that fits counts too
        cut = next(
            (at for boundary in ("\n\n", "\n", " ") if (at := window.rfind(boundary, 0, end + 1)) >= end // 2), 0
        )
        if cut <= 0:
            cut = max(window.rfind(" ", 0, end + 1), 0) or end
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].strip()
    return parts


class SentParts:
    """The parts of a long message the platform already took, by stored message id: a retry sends the rest.

    In memory only (after a restart a part may go twice), and bounded: the oldest entries go first.
    """

    def __init__(self, limit: int = 1000) -> None:
        self._limit = limit
        self._sent: collections.OrderedDict[int, list[str]] = collections.OrderedDict()

    def of(self, message_id: int) -> list[str]:
        """The platform ids of the parts sent so far; append to it as more go out."""
        sent = self._sent.setdefault(message_id, [])
        self._sent.move_to_end(message_id)
        while len(self._sent) > self._limit:
            self._sent.popitem(last=False)
        return sent

    def forget(self, message_id: int) -> None:
        """The message needs no retry any more (all sent, or refused for good)."""
        self._sent.pop(message_id, None)
