"""This module contains the gateway's errors, one hierarchy for the whole package.

CrisisbotError
 ├── ConfigurationError       a setting is missing or malformed: the process cannot start
 ├── EngineError              Rasa or the action server did not answer as expected
 │    └── EngineUnavailable   not reachable at all (down, starting, timed out)
 └── BadMessage               an inbound request we refuse, with a French sentence for the user

Outside errors (aiohttp client, SQLAlchemy) are wrapped at the boundary with `raise ... from exc`.
"""


class CrisisbotError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigurationError(CrisisbotError):
    """A setting is missing or malformed."""


class EngineError(CrisisbotError):
    """Rasa answered, but not as the gateway expects."""


class EngineUnavailable(EngineError):
    """Rasa could not be reached, or did not answer in time."""


class BadMessage(CrisisbotError):
    """An inbound request the gateway refuses.

    `status` is the HTTP status to answer with, `user_message` a French sentence the web chat shows.
    """

    def __init__(self, status: int, user_message: str, detail: str = "") -> None:
        super().__init__(detail or user_message)
        self.status = status
        self.user_message = user_message
