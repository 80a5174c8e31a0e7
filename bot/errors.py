"""This module contains the gateway's errors, one hierarchy for the whole package.

CrisisbotError
 ├── ConfigurationError        a setting is missing or malformed: the process cannot start
 ├── EngineError               Rasa or the action server did not answer as expected
 │    └── EngineUnavailable    not reachable at all (down, starting, timed out)
 ├── DeliveryProblem           a platform did not take a message (bot.channels.base's contract)
 │    ├── RetryLater           not now (rate limit, outage): the outbox tries again
 │    ├── DeliveryFailed       never (a blocked bot, an unknown number): recorded as failed
 │    └── Held                 not until the artisan writes again (WhatsApp's 24-hour window)
 ├── JobFailed                 a training or an evaluation did not finish (its log says why)
 │    └── EvaluationFailed     the evaluation of a model, in the engine environment
 └── Refusal                   a request refused: `status` (HTTP) and `message`, a French sentence for
      │                        whoever asked; bot.app answers it as `{"error": message}` (and
      │                        `"field"`, the body key at fault, when the refusal names one)
      ├── BadMessage           an inbound request's body (a webhook's, the web chat's, a JSON API's)
      │    └── TooDeep         JSON nested deeper than any real body (MAX_JSON_DEPTH in bot.web.json_api)
      ├── RequestRefused       an artisan's callback or pledge, or its cancellation (bot.desk.artisan_requests)
      ├── HandoffError         a hand-off step an adviser cannot take now (bot.desk.handoff)
      ├── DeskError            a change to a callback or a pledge (bot.desk.request_desk)
      ├── RegistryError        a model that cannot go live (bot.retrain.registry)
      ├── RetrainRefused       a label, a new intent or a live answer refused (bot.retrain)
      ├── NewsRefused          a news item or a broadcast refused (bot.news)
      ├── InitiativeRefused    a solidarity initiative's step refused (bot.initiatives)
      └── JobBusy              a training or an evaluation is already running (bot.retrain.jobs)
 └── StaffAccountError         an account the command line cannot create or change (bot.staff.accounts)

Outside errors (aiohttp client, SQLAlchemy, python-telegram-bot) are wrapped at the boundary with
`raise ... from exc`.
"""


class CrisisbotError(Exception):
    """Base of every error the gateway raises on purpose."""


class ConfigurationError(CrisisbotError):
    """A setting is missing or malformed."""


class EngineError(CrisisbotError):
    """Rasa answered, but not as the gateway expects."""


class EngineUnavailable(EngineError):
    """Rasa could not be reached, or did not answer in time."""


class DeliveryProblem(CrisisbotError):
    """A platform did not take a message; `reason` says why, in French, for staff."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(DeliveryProblem):
    """The platform could not take the message now (rate limit, outage): try again later.

    `delay` is the platform's own wait (Telegram's retry_after), or None for the outbox's backoff.
    `whole_channel` pauses every conversation of the channel (a global rate limit), not only this one.
    """

    def __init__(self, reason: str, delay: float | None = None, *, whole_channel: bool = False) -> None:
        super().__init__(reason)
        self.delay = delay
        self.whole_channel = whole_channel


class DeliveryFailed(DeliveryProblem):
    """The platform refused the message for good (blocked bot, unknown number, ...): recorded as failed.

    `recipient_gone` says the artisan cannot be reached any more (they blocked the bot, the number is
    unreachable), not that this message was wrong: their subscription to the news ends.
    """

    def __init__(self, reason: str, *, recipient_gone: bool = False) -> None:
        super().__init__(reason)
        self.recipient_gone = recipient_gone


class Held(DeliveryProblem):
    """The message may not be sent now (WhatsApp's 24-hour window is closed and no template is set).

    It is kept, shown to staff, and sent when the artisan writes again.
    """


class JobFailed(CrisisbotError):
    """A training or an evaluation job did not finish; `message` says why, in French, for the admin."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class EvaluationFailed(JobFailed):
    """The engine environment could not evaluate a model."""


class Refusal(CrisisbotError):
    """A request refused, with nothing changed: `status` is the HTTP status to answer with, `message` a French
    sentence that says what to do instead."""

    status: int = 400
    field: str | None = None

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class BadMessage(Refusal):
    """An inbound request the gateway cannot read (a body that is not JSON, too long, a wrong field...);
    `field` names the body key at fault, when there is one."""

    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(status, message)
        self.field = field


class TooDeep(BadMessage):
    """A JSON body nested deeper than any real one: refused before anything reads it (the web chat's 400), or
    acknowledged and dropped by a platform's webhook (a refusal would make the platform send it again)."""


class RequestRefused(Refusal):
    """An artisan's callback request or mask pledge, or its cancellation, refused."""


class HandoffError(Refusal):
    """A hand-off step that cannot be taken now (409), on an unknown conversation (404), by someone else (403)."""


class DeskError(Refusal):
    """A change to a callback or a pledge refused; nothing was changed."""


class RegistryError(Refusal):
    """A model that cannot be activated or rolled back to.

    `gated`: refused by the evaluation gate, which evaluating the model, or a reason to override, lets through.
    """

    def __init__(self, status: int, message: str, *, gated: bool = False) -> None:
        super().__init__(status, message)
        self.gated = gated


class RetrainRefused(Refusal):
    """An admin's label, new intent or live answer refused (400), or about something gone (404)."""


class NewsRefused(Refusal):
    """A news item that cannot be saved as written, or a broadcast that cannot start or stop now."""


class InitiativeRefused(Refusal):
    """A solidarity initiative's step that cannot be taken now (409) or on an unknown one (404)."""


class JobBusy(Refusal):
    """A training or an evaluation is running already: one at a time (409)."""

    def __init__(self, message: str) -> None:
        super().__init__(409, message)


class StaffAccountError(CrisisbotError):
    """A staff account that cannot be created or changed as asked; the message says why (the command line's)."""
