"""The gateway's storage: models, engine and sessions, migrations, and the queries the message path runs."""

from bot.storage.database import create_engine, create_sessionmaker, migrate
from bot.storage.models import (
    Author,
    Base,
    Conversation,
    ConversationState,
    Direction,
    Message,
    MessageStatus,
)

__all__ = [
    "Author",
    "Base",
    "Conversation",
    "ConversationState",
    "Direction",
    "Message",
    "MessageStatus",
    "create_engine",
    "create_sessionmaker",
    "migrate",
]
