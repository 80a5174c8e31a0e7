"""This module contains JobLog, the live log of a training or an evaluation job, and how the staff pages read a job."""

from __future__ import annotations

from collections.abc import Callable

from bot.storage.models import TrainingJob

# The log kept for a job: its end, where the outcome is.
MAX_LOG_CHARS = 200_000


class JobLog:
    """The growing log of one job: lines, where a progress bar's carriage returns rewrite the last line."""

    def __init__(self, echo: Callable[[str], None] | None = None) -> None:
        self.lines: list[str] = []
        self._partial = ""
        self._rewrite = False
        self._echo = echo
        self.changed = False

    def feed(self, chunk: str) -> None:
        text = self._partial + chunk
        self._partial = ""
        for piece, end in _pieces(text):
            if end == "":
                self._partial = piece
                break
            self._line(piece, rewrite_next=end == "\r")
        self.changed = True

    def say(self, line: str) -> None:
        self._line(line, rewrite_next=False)
        self.changed = True

    def _line(self, line: str, *, rewrite_next: bool) -> None:
        line = line.rstrip()
        if self._rewrite and self.lines:
            self.lines[-1] = line
        elif line or not rewrite_next:
            self.lines.append(line)
        else:
            return
        if self._echo is not None and not rewrite_next:
            self._echo(line)  # a finished line; a progress bar only once it is done
        self._rewrite = rewrite_next

    def text(self) -> str:
        whole = "\n".join(self.lines + ([self._partial] if self._partial else []))
        return whole[-MAX_LOG_CHARS:]


def _pieces(text: str) -> list[tuple[str, str]]:
    """`text` cut after each "\\n" or "\\r": (piece, the separator); the unfinished rest has ""."""
    pieces: list[tuple[str, str]] = []
    start = 0
    for i, char in enumerate(text):
        if char in "\r\n":
            pieces.append((text[start:i], char))
            start = i + 1
    pieces.append((text[start:], ""))
    return pieces


def describe(job: TrainingJob) -> dict[str, object]:
    """A job as the staff pages' live view reads it."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "model": job.model_name,
        "actor": job.actor,
        "started_at": job.started_at.isoformat() if job.started_at else None,
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
        "log": job.log or "",
        "error": job.error,
    }
