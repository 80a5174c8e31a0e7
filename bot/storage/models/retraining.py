"""This module contains the retraining's tables (bot/retrain): the inbox's labels, the admins' intents, the live
answers with their history, the training jobs, the model registry with evaluations and activations, and the
admins' audit."""

from __future__ import annotations

import enum
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models.base import Base, Id, UTCDateTime, utcnow

class LabelKind(enum.StrEnum):
    INTENT = "intent"  # a training example of `intent` (an existing one, or one an admin created)
    IGNORE = "ignore"  # not worth learning: it leaves the inbox and never reaches the training data


class InboxLabel(Base):
    """An admin's decision on one misunderstood artisan message, with the text as it may be learned.

    `text` is the message with personal data masked (bot/retrain/masking.py): the training data never sees
    the original. `heldout` examples are kept aside to evaluate models, never trained on.
    """

    __tablename__ = "inbox_labels"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(8))
    intent: Mapped[Optional[str]] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    heldout: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    labelled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AdminIntent(Base):
    """An intent an admin created from the inbox; its answer is the live answer `utter_<name>`."""

    __tablename__ = "admin_intents"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Answer(Base):
    """The live text of one of the bot's answers (a response such as `utter_faq_pge`), edited by admins.

    It replaces the domain's text from the next message on, without retraining. Every change is also kept
    in answer_versions.
    """

    __tablename__ = "answers"

    response: Mapped[str] = mapped_column(String(128), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    # [{"title": ..., "payload": ...}]
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    # Shown to the artisan as "Mis à jour le ..." (None: not shown).
    updated_on: Mapped[Optional[date]] = mapped_column(Date)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AnswerVersion(Base):
    """One saved version of a live answer: who changed it, when, to what."""

    __tablename__ = "answer_versions"
    __table_args__ = (Index("ix_answer_versions_response", "response"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    response: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    updated_on: Mapped[Optional[date]] = mapped_column(Date)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class TrainingJob(Base):
    """A training (then its evaluation), or an evaluation alone, run in the background one at a time."""

    __tablename__ = "training_jobs"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # train | evaluate
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    model_name: Mapped[Optional[str]] = mapped_column(String(80))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    actor: Mapped[str] = mapped_column(String(200))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    finished_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    log: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[Optional[str]] = mapped_column(Text)


class ModelRecord(Base):
    """A trained model in the registry: its file, who trained it, when, from which data."""

    __tablename__ = "models"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    data_hash: Mapped[str] = mapped_column(String(64))
    # Admins' labelled examples in its training data (the rest is nlu/train).
    label_count: Mapped[int] = mapped_column(Integer, default=0)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def file_present(self) -> bool:
        """False once the file was deleted (pruned): the model stays listed, with its scores, but cannot go live."""
        return Path(self.path).is_file()


class ModelEvaluation(Base):
    """A model scored beside the model active at the time, on the held-out set and the kept-aside labels.

    `report` holds both models' figures (bot/retrain/evaluation.py): accuracy, macro-F1, per intent
    precision/recall/F1/support, and the most confused pairs.
    """

    __tablename__ = "model_evaluations"
    __table_args__ = (Index("ix_model_evaluations_model_name", "model_name"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(ForeignKey("models.name"))
    baseline_name: Mapped[Optional[str]] = mapped_column(String(80))
    examples: Mapped[int] = mapped_column(Integer)
    eval_set_hash: Mapped[str] = mapped_column(String(64))
    report: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ModelActivation(Base):
    """A model put live (the latest row is the active model), and when Rasa had actually loaded it."""

    __tablename__ = "model_activations"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    model_name: Mapped[str] = mapped_column(ForeignKey("models.name"))
    previous_name: Mapped[Optional[str]] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(16))  # first | activate | override | rollback
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    loaded_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())


class AdminAuditEvent(Base):
    """Who did what, when, on the admins' pages and commands (labels, answers, trainings, models, news)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[Optional[str]] = mapped_column(String(200))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
