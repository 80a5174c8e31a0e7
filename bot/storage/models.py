"""This module contains the database models: conversations, messages, staff accounts, requests and their changes."""

from __future__ import annotations

import enum
import uuid
from pathlib import Path
from datetime import UTC, date, datetime
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# Stable constraint names, so migrations can name what they change.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
Id = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: store times in UTC, timezone-aware")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ConversationState(enum.StrEnum):
    """Who answers the artisan: the bot, nobody yet (queued for an adviser), an adviser; or nobody, ever."""

    BOT = "bot"
    WAITING = "waiting"
    AGENT = "agent"
    CLOSED = "closed"


class Direction(enum.StrEnum):
    IN = "in"
    OUT = "out"


class MessageStatus(enum.StrEnum):
    """Where a message is on its path.

    Inbound: received → done (or failed: answered with an apology).
    Outbound: pending → sent → delivered → read (as far as the platform tells); or failed (with the reason in
    `error`); or held (WhatsApp's 24-hour window is closed: kept for staff, sent when the artisan writes again).
    """

    RECEIVED = "received"
    DONE = "done"
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    HELD = "held"


class Author(enum.StrEnum):
    ARTISAN = "artisan"
    BOT = "bot"
    AGENT = "agent"


class Conversation(Base):
    """One artisan on one channel. Its id is also the Rasa sender id."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "external_id"), Index("ix_conversations_state", "state"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    channel: Mapped[str] = mapped_column(String(16))
    # The platform's id of the chat: the web chat's sender id, a Telegram chat id, a WhatsApp number.
    external_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16), default=ConversationState.BOT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The hand-off to an adviser (bot/handoff.py): why, how urgent, since when it waits, who has it, and
    # whether the artisan was told (once) that their messages reach the adviser.
    handoff_reason: Mapped[Optional[str]] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting_since: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    messages: Mapped[list[Message]] = relationship(
        back_populates="conversation", order_by="Message.id", lazy="raise"
    )


class Message(Base):
    """One message in or out of a conversation, stored before anything acts on it."""

    __tablename__ = "messages"
    __table_args__ = (
        # A redelivered platform message is recognised and dropped.
        UniqueConstraint("channel", "platform_message_id"),
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        Index("ix_messages_status", "status"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    direction: Mapped[str] = mapped_column(String(3))
    channel: Mapped[str] = mapped_column(String(16))
    platform_message_id: Mapped[Optional[str]] = mapped_column(String(128))
    author: Mapped[str] = mapped_column(String(16))
    text: Mapped[Optional[str]] = mapped_column(Text)
    # Buttons and any other rich part of a message, as the channel needs them.
    payload: Mapped[Optional[dict[str, Any]]] = mapped_column(JSON)
    intent: Mapped[Optional[str]] = mapped_column(String(128))
    confidence: Mapped[Optional[float]] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    # The inbound message an outbound message answers.
    reply_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("messages.id"))
    error: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    # Outbound on a push channel: how many times the outbox tried to send it, and when it tries next.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())

    conversation: Mapped[Conversation] = relationship(back_populates="messages", lazy="raise")

    @property
    def buttons(self) -> list[dict[str, str]]:
        return list((self.payload or {}).get("buttons") or [])


class IncidentKind(enum.StrEnum):
    """How Rasa misbehaved on one message (the gateway answered the artisan with one bubble anyway)."""

    REPEATED = "repeated"  # the same bubble more than once in one answer
    CIRCUIT_BREAKER = "circuit_breaker"  # Rasa's turn would not end and was stopped


class EngineIncident(Base):
    """An artisan message Rasa misbehaved on: staff see the count, and the inbox does not take its answer
    for a misunderstanding."""

    __tablename__ = "engine_incidents"
    __table_args__ = (Index("ix_engine_incidents_at", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    kind: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StaffRole(enum.StrEnum):
    """What a staff account may do: agents (advisers) work the queues; admins also manage accounts and content."""

    AGENT = "agent"
    ADMIN = "admin"


class StaffAccount(Base):
    """An adviser or admin who logs in to the staff web UI."""

    __tablename__ = "staff_accounts"
    __table_args__ = (
        # Stored lowercased, so unique regardless of case.
        UniqueConstraint("email"),
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        CheckConstraint("role IN ('agent', 'admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))
    # argon2id, in its encoded form ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())


class StaffSession(Base):
    """A logged-in browser: only the sha256 of its cookie's token is stored, never the token."""

    __tablename__ = "staff_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index("ix_staff_sessions_account_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"))
    # Every state-changing request of this session carries it (form field or header).
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The absolute end; the idle end is last_seen_at plus the idle timeout.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class StaffLoginFailure(Base):
    """A failed staff login, kept only while it counts towards a lock (minutes).

    The email is kept as its sha256 (it may be a typo, or someone else's address); the address is the
    client's, for the per-address limit. The failure that locks an email carries `locked_until`.
    """

    __tablename__ = "staff_login_failures"
    __table_args__ = (
        Index("ix_staff_login_failures_email_digest_failed_at", "email_digest", "failed_at"),
        Index("ix_staff_login_failures_ip_failed_at", "ip", "failed_at"),
        Index("ix_staff_login_failures_failed_at", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    email_digest: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())


class CallbackStatus(enum.StrEnum):
    """A callback request's life: an adviser takes it, calls, and records how it went."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    CALLED_BACK = "called_back"
    UNREACHABLE = "unreachable"
    CLOSED = "closed"
    CANCELLED = "cancelled"  # by the artisan, from the conversation


class PledgeStatus(enum.StrEnum):
    """A mask pledge's life: pledged by the artisan, collected by the chamber, handed to the prefecture."""

    PLEDGED = "pledged"
    COLLECTED = "collected"
    HANDED_OVER = "handed_over"
    CANCELLED = "cancelled"


class CallbackRequest(Base):
    """An artisan's request to be called back by an adviser; its reference is RAP-<id>."""

    __tablename__ = "callback_requests"
    __table_args__ = (
        # A retried or repeated confirmation of one form is one request.
        UniqueConstraint("conversation_id", "idempotency_key"),
        Index("ix_callback_requests_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(20))  # E.164
    trade: Mapped[str] = mapped_column(String(200))
    commune_code: Mapped[str] = mapped_column(String(5))  # INSEE code
    commune_name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(64))
    preferred_time: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=CallbackStatus.NEW)
    note: Mapped[Optional[str]] = mapped_column(Text)
    assigned_to_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def reference(self) -> str:
        return f"RAP-{self.id:06d}"


class MaskPledge(Base):
    """Masks an artisan offers for the prefecture; its reference is DON-<id>."""

    __tablename__ = "mask_pledges"
    __table_args__ = (UniqueConstraint("conversation_id", "idempotency_key"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    quantity: Mapped[int] = mapped_column(Integer)
    mask_type: Mapped[str] = mapped_column(String(16))
    commune_code: Mapped[str] = mapped_column(String(5))
    commune_name: Mapped[str] = mapped_column(String(200))
    delivery: Mapped[str] = mapped_column(String(16))
    phone: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=PledgeStatus.PLEDGED)
    handed_over_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def reference(self) -> str:
        return f"DON-{self.id:06d}"


class StatusChange(Base):
    """One change of a callback's or a pledge's status by a staff member: who, from what to what, when, why.

    Exactly one of `callback_id` and `pledge_id` is set.
    """

    __tablename__ = "status_changes"
    __table_args__ = (
        CheckConstraint("(callback_id IS NULL) <> (pledge_id IS NULL)", name="one_request"),
        Index("ix_status_changes_callback_id", "callback_id"),
        Index("ix_status_changes_pledge_id", "pledge_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    callback_id: Mapped[Optional[int]] = mapped_column(ForeignKey("callback_requests.id"))
    pledge_id: Mapped[Optional[int]] = mapped_column(ForeignKey("mask_pledges.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[Optional[str]] = mapped_column(Text)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HandoffEvent(Base):
    """One step of a hand-off: who (an adviser, or nobody for the bot and the clock), what, when."""

    __tablename__ = "handoff_events"
    __table_args__ = (Index("ix_handoff_events_conversation_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    # requested, refused_closed, taken, transferred, given_back, closed, expired, released, reopened, replied,
    # noted
    action: Mapped[str] = mapped_column(String(24))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConversationNote(Base):
    """An adviser's internal note on a conversation: staff read it, the artisan never does."""

    __tablename__ = "conversation_notes"
    __table_args__ = (Index("ix_conversation_notes_conversation_id", "conversation_id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CannedAnswer(Base):
    """A ready answer advisers insert in their reply (managed by admins)."""

    __tablename__ = "canned_answers"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(120))
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


# ---------------------------------------------------------------- retraining (bot/retrain)
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
    """Who did what, when, on the retraining pages and commands (labels, answers, trainings, models)."""

    __tablename__ = "admin_audit"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    account_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_accounts.id"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[Optional[str]] = mapped_column(String(200))
    detail: Mapped[Optional[str]] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
