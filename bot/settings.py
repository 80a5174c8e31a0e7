"""This module contains Settings, the gateway's configuration, read once from the environment."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import ConfigurationError
from bot.shared.hours import (
    EXPECTED_CLOSED_DAYS_FORMAT,
    EXPECTED_FORMAT,
    OpeningHours,
    OpeningHoursError,
    parse_closed_days,
)

DEFAULT_CHAMBER_HOURS = "mon-fri 09:00-12:00 14:00-17:00"

ROOT = Path(__file__).resolve().parent.parent
# What Telegram accepts as a webhook's secret token.
TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}.") from None


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}.") from None


def _fraction(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if not 0 <= value <= 1:
        raise ConfigurationError(f"{name} must be between 0 and 1 (e.g. 0.7), not {value}.")
    return value


def _positive_float(env: Mapping[str, str], name: str, default: float) -> float:
    value = _float(env, name, default)
    if value <= 0:
        raise ConfigurationError(f"{name} must be more than 0, not {value}.")
    return value


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if value < 1:
        raise ConfigurationError(f"{name} must be 1 or more, not {value}.")
    return value


def _chamber_hours(env: Mapping[str, str], name: str = "CHAMBER_PHONE_HOURS") -> OpeningHours:
    """Opening hours from `name` (ADVISER_HOURS falls back to CHAMBER_PHONE_HOURS), with the closed days."""
    try:
        closed = parse_closed_days(env.get("CHAMBER_CLOSED_DAYS", ""))
        text = env.get(name) or env.get("CHAMBER_PHONE_HOURS") or DEFAULT_CHAMBER_HOURS
        return OpeningHours.parse(text, closed_days=closed)
    except OpeningHoursError as exc:
        raise ConfigurationError(
            f"{name} or CHAMBER_CLOSED_DAYS cannot be read: {exc}. "
            f"Expected hours as {EXPECTED_FORMAT}; closed days as {EXPECTED_CLOSED_DAYS_FORMAT}."
        ) from exc


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be 1 or 0, not {raw!r}.")


def _hour(env: Mapping[str, str], name: str, default: int) -> int:
    value = _int(env, name, default)
    if not 0 <= value <= 23:
        raise ConfigurationError(f"{name} must be an hour from 0 to 23, not {value}.")
    return value


def _utcnow() -> datetime:
    return datetime.now(UTC)


def async_database_url(url: str) -> str:
    """The SQLAlchemy URL with the asyncio driver the gateway uses (aiosqlite, asyncpg)."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    if url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        return url
    raise ConfigurationError(
        f"DATABASE_URL must start with sqlite:// or postgresql://, not {url.split('://', 1)[0]!r}."
    )


@dataclass(frozen=True)
class Settings:
    """Everything the gateway and `crisisbot run` need to know, with the defaults of a local run.

    Build it with `Settings.from_env()`; tests use `dataclasses.replace` on it.
    """

    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = f"sqlite:///{ROOT / 'var' / 'crisisbot.db'}"
    rasa_port: int = 5005
    actions_port: int = 5055
    # Shared secret between the gateway, Rasa and the action server. `crisisbot run` makes a fresh one per
    # run when none is set; `crisisbot serve` on its own needs it from the environment.
    engine_token: str = field(default="", repr=False)
    models_dir: Path = ROOT / "models"
    log_level: str = "INFO"
    # How long the REST webhook waits for the bot's answer before answering with what it has.
    reply_timeout: float = 25.0
    # Longer messages are stored and answered politely, without asking Rasa.
    max_message_chars: int = 2000
    # How many conversations are handled by Rasa at once.
    engine_concurrency: int = 8
    engine_timeout: float = 20.0
    rasa_venv: Path = ROOT / ".venv-rasa"
    # Rasa's input channels; the benchmark adds Rasa's own REST channel to compare with.
    rasa_credentials: Path = ROOT / "credentials.yml"
    project_dir: Path = field(default=ROOT)
    # Behind a reverse proxy that sets X-Forwarded-Proto and X-Forwarded-For: believe them (Secure cookies,
    # the client's address for the login limits). Never set it when clients reach the gateway directly.
    trust_proxy: bool = False
    # Staff logins: this many failures for one email within the window lock that email for the window;
    # this many failures from one address within the window refuse that address.
    staff_login_max_failures: int = 5
    staff_ip_max_failures: int = 20
    staff_lockout_minutes: int = 15
    # A staff session ends after this long without a request, and in any case this long after login.
    staff_session_idle_hours: int = 8
    staff_session_max_days: int = 7
    # Telegram: on when a bot token is set. "webhook" (Telegram calls TELEGRAM_WEBHOOK_URL, which must reach
    # /webhooks/telegram/webhook) or "polling" (no public address needed).
    telegram_bot_token: str = field(default="", repr=False)
    telegram_mode: str = "webhook"
    telegram_webhook_secret: str = field(default="", repr=False)
    telegram_webhook_url: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    # WhatsApp Cloud API: on when an access token is set.
    whatsapp_access_token: str = field(default="", repr=False)
    whatsapp_app_secret: str = field(default="", repr=False)
    whatsapp_verify_token: str = field(default="", repr=False)
    whatsapp_phone_number_id: str = ""
    whatsapp_api_url: str = "https://graph.facebook.com/v21.0"
    # An approved message template with one body parameter, used outside the 24-hour window (empty: none).
    whatsapp_template: str = ""
    whatsapp_template_language: str = "fr"
    # An approved template with two body parameters (the news' title, then its text), for a broadcast to an
    # artisan outside the 24-hour window (empty: those artisans are skipped).
    whatsapp_news_template: str = ""
    whatsapp_news_template_language: str = "fr"
    # How often scheduled broadcasts are looked for.
    news_check_seconds: float = 5.0
    # The department's communes (also read by the action server's forms).
    communes_file: Path = ROOT / "data" / "communes-71.csv"
    # Advisers answer handed-off conversations during these hours (Europe/Paris; the chamber's closed days
    # apply); a conversation waits at most this long for one; the wait announced is this much per
    # conversation ahead; waiting conversations, and advisers still there, are checked this often.
    adviser_hours: OpeningHours = field(default_factory=lambda: OpeningHours.parse(DEFAULT_CHAMBER_HOURS))
    handoff_max_wait_minutes: int = 15
    handoff_minutes_per_conversation: int = 5
    handoff_check_seconds: float = 15.0
    # How often the solidarity initiatives are checked: past their end, two weeks without a "still current",
    # a week without an answer to it.
    initiatives_check_seconds: float = 300.0
    # The partners' weekly report: checked this often; sent from Monday this hour (Europe/Paris) on, for the
    # week just ended, to the partners an admin listed.
    reports_check_seconds: float = 600.0
    reports_weekly_hour: int = 7
    # The SMTP server the weekly report goes out through (empty host: no mailing). STARTTLS before logging in
    # unless turned off (a local relay).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_starttls: bool = True
    # The chamber's opening hours (Europe/Paris) and closed days: the action server says when the telephone
    # reception is open, the gateway counts callback deadlines on them.
    chamber_hours: OpeningHours = field(default_factory=lambda: OpeningHours.parse(DEFAULT_CHAMBER_HOURS))
    # An adviser calls back within this many hours, counted on opening days.
    callback_within_hours: int = 24
    # Retraining (bot/retrain): an artisan message understood with less confidence than this reaches the
    # admins' inbox; a new model whose accuracy is more than this below the active model's is refused
    # (an admin may override, giving a reason).
    inbox_confidence_threshold: float = 0.7
    max_accuracy_drop: float = 0.02
    # How often the gateway checks that Rasa serves the active model (after a restart, or an activation
    # from the command line).
    model_check_seconds: float = 10.0
    # The current time, timezone-aware UTC; tests pass a clock they can move forward.
    clock: Callable[[], datetime] = field(default=_utcnow, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        defaults = cls()
        settings = cls(
            host=env.get("HOST", defaults.host),
            port=_int(env, "PORT", defaults.port),
            database_url=env.get("DATABASE_URL") or defaults.database_url,
            rasa_port=_int(env, "RASA_PORT", defaults.rasa_port),
            actions_port=_int(env, "ACTIONS_PORT", defaults.actions_port),
            engine_token=env.get("CRISISBOT_ENGINE_TOKEN", ""),
            models_dir=Path(env.get("MODELS_DIR") or defaults.models_dir),
            log_level=env.get("LOG_LEVEL", defaults.log_level).upper(),
            reply_timeout=_float(env, "REPLY_TIMEOUT", defaults.reply_timeout),
            max_message_chars=_int(env, "MAX_MESSAGE_CHARS", defaults.max_message_chars),
            engine_concurrency=_int(env, "ENGINE_CONCURRENCY", defaults.engine_concurrency),
            engine_timeout=_float(env, "ENGINE_TIMEOUT", defaults.engine_timeout),
            rasa_venv=Path(env.get("RASA_VENV") or defaults.rasa_venv),
            rasa_credentials=Path(env.get("RASA_CREDENTIALS") or defaults.rasa_credentials),
            trust_proxy=_bool(env, "TRUST_PROXY", defaults.trust_proxy),
            staff_login_max_failures=_positive_int(env, "STAFF_LOGIN_MAX_FAILURES", defaults.staff_login_max_failures),
            staff_ip_max_failures=_positive_int(env, "STAFF_IP_MAX_FAILURES", defaults.staff_ip_max_failures),
            staff_lockout_minutes=_positive_int(env, "STAFF_LOCKOUT_MINUTES", defaults.staff_lockout_minutes),
            staff_session_idle_hours=_positive_int(env, "STAFF_SESSION_IDLE_HOURS", defaults.staff_session_idle_hours),
            staff_session_max_days=_positive_int(env, "STAFF_SESSION_MAX_DAYS", defaults.staff_session_max_days),
            chamber_hours=_chamber_hours(env),
            adviser_hours=_chamber_hours(env, "ADVISER_HOURS"),
            handoff_max_wait_minutes=_positive_int(env, "HANDOFF_MAX_WAIT_MINUTES", defaults.handoff_max_wait_minutes),
            handoff_minutes_per_conversation=_positive_int(
                env, "HANDOFF_MINUTES_PER_CONVERSATION", defaults.handoff_minutes_per_conversation
            ),
            handoff_check_seconds=_positive_float(env, "HANDOFF_CHECK_SECONDS", defaults.handoff_check_seconds),
            news_check_seconds=_positive_float(env, "NEWS_CHECK_SECONDS", defaults.news_check_seconds),
            initiatives_check_seconds=_positive_float(
                env, "INITIATIVES_CHECK_SECONDS", defaults.initiatives_check_seconds
            ),
            reports_check_seconds=_positive_float(env, "REPORTS_CHECK_SECONDS", defaults.reports_check_seconds),
            reports_weekly_hour=_hour(env, "REPORTS_WEEKLY_HOUR", defaults.reports_weekly_hour),
            smtp_host=env.get("SMTP_HOST", "").strip(),
            smtp_port=_positive_int(env, "SMTP_PORT", defaults.smtp_port),
            smtp_username=env.get("SMTP_USERNAME", "").strip(),
            smtp_password=env.get("SMTP_PASSWORD", ""),
            smtp_from=env.get("SMTP_FROM", "").strip(),
            smtp_starttls=_bool(env, "SMTP_STARTTLS", defaults.smtp_starttls),
            callback_within_hours=_positive_int(env, "CALLBACK_WITHIN_HOURS", defaults.callback_within_hours),
            inbox_confidence_threshold=_fraction(env, "INBOX_CONFIDENCE_THRESHOLD", defaults.inbox_confidence_threshold),
            max_accuracy_drop=_fraction(env, "MAX_ACCURACY_DROP", defaults.max_accuracy_drop),
            telegram_bot_token=env.get("TELEGRAM_BOT_TOKEN", "").strip(),
            telegram_mode=(env.get("TELEGRAM_MODE", "").strip().lower() or defaults.telegram_mode),
            telegram_webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET", "").strip(),
            telegram_webhook_url=env.get("TELEGRAM_WEBHOOK_URL", "").strip(),
            telegram_api_url=(env.get("TELEGRAM_API_URL", "").strip().rstrip("/") or defaults.telegram_api_url),
            whatsapp_access_token=env.get("WHATSAPP_ACCESS_TOKEN", "").strip(),
            whatsapp_app_secret=env.get("WHATSAPP_APP_SECRET", "").strip(),
            whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN", "").strip(),
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", "").strip(),
            whatsapp_api_url=(env.get("WHATSAPP_API_URL", "").strip().rstrip("/") or defaults.whatsapp_api_url),
            whatsapp_template=env.get("WHATSAPP_TEMPLATE", "").strip(),
            whatsapp_template_language=(
                env.get("WHATSAPP_TEMPLATE_LANGUAGE", "").strip() or defaults.whatsapp_template_language
            ),
            communes_file=Path(env.get("COMMUNES_FILE") or defaults.communes_file),
            whatsapp_news_template=env.get("WHATSAPP_NEWS_TEMPLATE", "").strip(),
            whatsapp_news_template_language=(
                env.get("WHATSAPP_NEWS_TEMPLATE_LANGUAGE", "").strip()
                or env.get("WHATSAPP_TEMPLATE_LANGUAGE", "").strip()
                or defaults.whatsapp_news_template_language
            ),
        )
        async_database_url(settings.database_url)  # fail now on a URL we cannot use
        settings.check_channels()
        settings.check_smtp()
        return settings

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token)

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(self.whatsapp_access_token)

    def check_channels(self) -> None:
        """Refuse a half-configured channel now, saying what is missing, rather than fail on the first message."""
        if self.telegram_enabled:
            if self.telegram_mode not in ("webhook", "polling"):
                raise ConfigurationError(f"TELEGRAM_MODE must be webhook or polling, not {self.telegram_mode!r}.")
            if self.telegram_mode == "webhook" and not TELEGRAM_SECRET.fullmatch(self.telegram_webhook_secret):
                raise ConfigurationError(
                    "TELEGRAM_WEBHOOK_SECRET is required in webhook mode: 1 to 256 characters among A-Z, a-z, "
                    "0-9, _ and -. Make one with: python3 -c \"import secrets; print(secrets.token_urlsafe(32))\""
                )
        if self.whatsapp_enabled:
            missing = [
                name
                for name, value in (
                    ("WHATSAPP_APP_SECRET", self.whatsapp_app_secret),
                    ("WHATSAPP_VERIFY_TOKEN", self.whatsapp_verify_token),
                    ("WHATSAPP_PHONE_NUMBER_ID", self.whatsapp_phone_number_id),
                )
                if not value
            ]
            if missing:
                raise ConfigurationError(
                    f"WhatsApp is on (WHATSAPP_ACCESS_TOKEN is set) but {', '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} missing: copy them from the Meta app's WhatsApp set-up page."
                )

    @property
    def mailing_enabled(self) -> bool:
        return bool(self.smtp_host)

    def check_smtp(self) -> None:
        """Refuse an SMTP server without a sender, or a login without its password, before the first Monday."""
        if not self.mailing_enabled:
            return
        if "@" not in self.smtp_from:
            raise ConfigurationError(
                "SMTP_HOST is set but SMTP_FROM is missing: the sender's address of the weekly report, "
                "e.g. SMTP_FROM=rapports@cma-exemple.fr"
            )
        if self.smtp_username and not self.smtp_password:
            raise ConfigurationError("SMTP_USERNAME is set but SMTP_PASSWORD is missing, and has no default.")

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def async_database_url(self) -> str:
        return async_database_url(self.database_url)

    def with_engine_token(self) -> Settings:
        """These settings, with a fresh random engine token when none was configured."""
        if self.engine_token:
            return self
        return replace(self, engine_token=secrets.token_urlsafe(32))

    def require_engine_token(self) -> None:
        if not self.engine_token:
            raise ConfigurationError(
                "CRISISBOT_ENGINE_TOKEN is missing, and has no default: set it to the token Rasa was "
                "started with (`crisisbot run` sets it for you)."
            )
