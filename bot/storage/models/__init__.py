"""The database models, one module per part of the gateway; every model is importable from here.

base           Base (stable constraint names), Id, UTCDateTime, utcnow
conversations  Conversation, Message, their states, and EngineIncident (Rasa misbehaved on a message)
staff          StaffAccount, StaffSession, StaffLoginFailure
requests       CallbackRequest, MaskPledge, StatusChange
handoff        HandoffEvent, ConversationNote, CannedAnswer
news           Subscription, NewsItem, NewsDelivery
initiatives    Initiative, InitiativeCommune, InitiativeEvent, InitiativeStatus
reports        BarometerAnswer, ArtisanProfile, ReportMailing, and the barometer's Activity, Need, TradeCategory
retraining     InboxLabel, AdminIntent, Answer, AnswerVersion, TrainingJob, ModelRecord, ModelEvaluation,
               ModelActivation, AdminAuditEvent
"""

from bot.storage.models.base import (
    Base,
    Id,
    NAMING_CONVENTION,
    UTCDateTime,
    utcnow,
)
from bot.storage.models.conversations import (
    Author,
    Conversation,
    ConversationState,
    Direction,
    EngineIncident,
    IncidentKind,
    Message,
    MessageStatus,
)
from bot.storage.models.staff import (
    StaffAccount,
    StaffLoginFailure,
    StaffRole,
    StaffSession,
)
from bot.storage.models.news import (
    DeliveryState,
    NewsDelivery,
    NewsItem,
    NewsSource,
    NewsStatus,
    Subscription,
)
from bot.storage.models.initiatives import (
    Initiative,
    InitiativeCommune,
    InitiativeEvent,
    InitiativeStatus,
)
from bot.storage.models.reports import (
    Activity,
    ArtisanProfile,
    BarometerAnswer,
    Need,
    ReportMailing,
    TradeCategory,
)
from bot.storage.models.requests import (
    CallbackRequest,
    CallbackStatus,
    MaskPledge,
    PledgeStatus,
    StatusChange,
)
from bot.storage.models.handoff import (
    CannedAnswer,
    ConversationNote,
    HandoffEvent,
)
from bot.storage.models.retraining import (
    AdminAuditEvent,
    AdminIntent,
    Answer,
    AnswerVersion,
    InboxLabel,
    JobStatus,
    LabelKind,
    ModelActivation,
    ModelEvaluation,
    ModelRecord,
    TrainingJob,
)

__all__ = [
    "Activity",
    "ArtisanProfile",
    "BarometerAnswer",
    "Need",
    "ReportMailing",
    "TradeCategory",
    "AdminAuditEvent",
    "AdminIntent",
    "Answer",
    "AnswerVersion",
    "Author",
    "Base",
    "CallbackRequest",
    "CallbackStatus",
    "CannedAnswer",
    "Conversation",
    "ConversationNote",
    "ConversationState",
    "DeliveryState",
    "Direction",
    "EngineIncident",
    "HandoffEvent",
    "Id",
    "InboxLabel",
    "Initiative",
    "InitiativeCommune",
    "InitiativeEvent",
    "InitiativeStatus",
    "IncidentKind",
    "JobStatus",
    "LabelKind",
    "MaskPledge",
    "Message",
    "MessageStatus",
    "ModelActivation",
    "ModelEvaluation",
    "ModelRecord",
    "NAMING_CONVENTION",
    "NewsDelivery",
    "NewsItem",
    "NewsSource",
    "NewsStatus",
    "PledgeStatus",
    "StaffAccount",
    "StaffLoginFailure",
    "StaffRole",
    "StaffSession",
    "StatusChange",
    "Subscription",
    "TrainingJob",
    "UTCDateTime",
    "utcnow",
]
