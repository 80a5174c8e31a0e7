"""Settings: read once from the environment, with loud failures for what cannot work."""

import secrets

import pytest

from bot.errors import ConfigurationError
from bot.settings import Settings, async_database_url


def test_defaults_run_locally_on_sqlite_under_var() -> None:
    settings = Settings.from_env({})
    assert settings.port == 8080
    assert settings.database_url.startswith("sqlite:///") and "/var/" in settings.database_url
    assert settings.rasa_url == "http://127.0.0.1:5005"
    assert settings.engine_token == ""


def test_environment_overrides() -> None:
    settings = Settings.from_env(
        {"PORT": "9000", "DATABASE_URL": "postgresql://u@db/crisis", "CRISISBOT_ENGINE_TOKEN": "t0k3n", "LOG_LEVEL": "debug"}
    )
    assert (settings.port, settings.engine_token, settings.log_level) == (9000, "t0k3n", "DEBUG")
    assert settings.async_database_url == "postgresql+asyncpg://u@db/crisis"
    assert Settings.from_env({"HANDOFF_CHECK_SECONDS": "2.5"}).handoff_check_seconds == 2.5
    news = Settings.from_env({"NEWS_CHECK_SECONDS": "1", "WHATSAPP_NEWS_TEMPLATE": " annonce ", "WHATSAPP_TEMPLATE_LANGUAGE": "fr_FR"})
    assert (news.news_check_seconds, news.whatsapp_news_template, news.whatsapp_news_template_language) == (
        1.0, "annonce", "fr_FR"
    ), "the news template's language defaults to the other template's"


@pytest.mark.parametrize(
    "name, value",
    [("PORT", "http"), ("RASA_PORT", "5.5"), ("REPLY_TIMEOUT", "soon"), ("HANDOFF_CHECK_SECONDS", "0"),
     ("HANDOFF_CHECK_SECONDS", "-1"), ("HANDOFF_CHECK_SECONDS", "souvent"), ("NEWS_CHECK_SECONDS", "0")],
)
def test_a_malformed_number_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigurationError, match=name):
        Settings.from_env({name: value})


def test_an_unsupported_database_is_refused_at_start() -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        Settings.from_env({"DATABASE_URL": "mysql://root@localhost/crisis"})


@pytest.mark.parametrize(
    "url, expected",
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("postgres://u:p@h:5432/d", "postgresql+asyncpg://u:p@h:5432/d"),
        ("postgresql+asyncpg://h/d", "postgresql+asyncpg://h/d"),
    ],
)
def test_database_urls_get_the_asyncio_driver(url: str, expected: str) -> None:
    assert async_database_url(url) == expected


def test_the_gateway_refuses_to_start_without_the_engine_token() -> None:
    with pytest.raises(ConfigurationError, match="CRISISBOT_ENGINE_TOKEN"):
        Settings.from_env({}).require_engine_token()


def test_run_makes_a_fresh_token_when_none_is_set() -> None:
    a, b = Settings().with_engine_token(), Settings().with_engine_token()
    assert len(a.engine_token) >= 32 and a.engine_token != b.engine_token
    assert Settings(engine_token="kept").with_engine_token().engine_token == "kept"


def test_malformed_chamber_hours_stop_the_start_with_the_expected_format() -> None:
    with pytest.raises(ConfigurationError, match="CHAMBER_PHONE_HOURS.*mon-thu 09:00-12:00"):
        Settings.from_env({"CHAMBER_PHONE_HOURS": "lundi-vendredi 9h-17h"})
    with pytest.raises(ConfigurationError, match="CHAMBER_CLOSED_DAYS"):
        Settings.from_env({"CHAMBER_CLOSED_DAYS": "25/12/2020"})


def test_chamber_hours_and_closed_days_are_read() -> None:
    settings = Settings.from_env({"CHAMBER_PHONE_HOURS": "mon-fri 08:30-18:00", "CHAMBER_CLOSED_DAYS": "2020-12-25"})
    assert [str(i) for i in settings.chamber_hours.weekly[0]] == ["08:30-18:00"]
    assert len(settings.chamber_hours.closed_days) == 1


def test_channels_are_off_until_their_token_is_set() -> None:
    settings = Settings.from_env({})
    assert not settings.telegram_enabled and not settings.whatsapp_enabled


def test_telegram_in_webhook_mode_needs_a_valid_secret() -> None:
    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc"})
    with pytest.raises(ConfigurationError, match="TELEGRAM_WEBHOOK_SECRET"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_WEBHOOK_SECRET": "has spaces"})
    polling = Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_MODE": "Polling"})
    assert polling.telegram_enabled and polling.telegram_mode == "polling"
    with pytest.raises(ConfigurationError, match="TELEGRAM_MODE"):
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_MODE": "push"})


def test_whatsapp_names_every_missing_setting() -> None:
    with pytest.raises(ConfigurationError, match="WHATSAPP_APP_SECRET, WHATSAPP_VERIFY_TOKEN are missing"):
        Settings.from_env({"WHATSAPP_ACCESS_TOKEN": "EAAG", "WHATSAPP_PHONE_NUMBER_ID": "123"})
    settings = Settings.from_env(
        {
            "WHATSAPP_ACCESS_TOKEN": "EAAG",
            "WHATSAPP_APP_SECRET": "s",
            "WHATSAPP_VERIFY_TOKEN": "v",
            "WHATSAPP_PHONE_NUMBER_ID": "123",
            "WHATSAPP_API_URL": "http://127.0.0.1:9999/v21.0/",
        }
    )
    assert settings.whatsapp_enabled and settings.whatsapp_api_url == "http://127.0.0.1:9999/v21.0"


def test_channel_secrets_never_show_in_the_settings_repr() -> None:
    given = {
        name: secrets.token_urlsafe(16)
        for name in ("TELEGRAM_WEBHOOK_SECRET", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
    }
    given["TELEGRAM_BOT_TOKEN"] = f"1:{secrets.token_urlsafe(16)}"
    shown = repr(Settings.from_env({**given, "WHATSAPP_PHONE_NUMBER_ID": "123", "CRISISBOT_ENGINE_TOKEN": "t0k3n-x"}))
    assert not any(value in shown for value in [*given.values(), "t0k3n-x"])


def test_the_weekly_reports_smtp_settings() -> None:
    settings = Settings.from_env({"SMTP_HOST": "smtp.cma-exemple.fr", "SMTP_FROM": "rapports@cma-exemple.fr",
                                  "SMTP_USERNAME": "rapports", "SMTP_PASSWORD": "s3cret-pass"})
    assert (settings.smtp_port, settings.smtp_starttls, settings.reports_weekly_hour) == (587, True, 7)
    assert settings.mailing_enabled and "s3cret-pass" not in repr(settings)
    assert not Settings.from_env({}).mailing_enabled
    for env, message in (
        ({"SMTP_HOST": "smtp.cma-exemple.fr"}, "SMTP_FROM is missing"),
        ({"SMTP_HOST": "x", "SMTP_FROM": "a@b.fr", "SMTP_USERNAME": "u"}, "SMTP_PASSWORD is missing"),
        ({"REPORTS_WEEKLY_HOUR": "24"}, "an hour from 0 to 23"),
        ({"SMTP_STARTTLS": "peut-être"}, "SMTP_STARTTLS must be 1 or 0"),
    ):
        with pytest.raises(ConfigurationError, match=message):
            Settings.from_env(env)
