"""`crisisbot news`: write, preview, publish, hand to the gateway, stop; refusals in French with exit code 1."""

from __future__ import annotations

import asyncio

import pytest

from bot.cli import main
from bot.news.items import NewsItems
from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import NewsStatus

CREATE = [
    "news", "create", "--title", "Couvre-feu à 20 h", "--text", "Le couvre-feu commence à 20 h.",
    "--source", "prefecture", "--effective-on", "2020-12-15", "--link", "https://www.saone-et-loire.gouv.fr",
]


def item(url: str, news_id: int):
    async def read():
        engine = create_engine(url)
        try:
            return await NewsItems(create_sessionmaker(engine), lambda: None).get(news_id)
        finally:
            await engine.dispose()

    return asyncio.run(read())


@pytest.fixture
def database(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    return sqlite_url


def test_write_preview_publish_and_send(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(CREATE) == 0
    assert "News item 1 written (draft)" in capsys.readouterr().out
    assert main(["news", "show", "1"]) == 0
    shown = capsys.readouterr().out
    assert "brouillon" in shown and "would receive it: 0" in shown
    assert "📰 Couvre-feu à 20 h" in shown and "Préfecture · en vigueur le 15 décembre 2020" in shown
    assert main(["news", "list"]) == 0
    assert "brouillon" in capsys.readouterr().out
    assert main(["news", "publish", "1"]) == 0
    assert item(database, 1).status == NewsStatus.PUBLISHED
    assert main(["news", "send", "1"]) == 0
    assert "starts sending within" in capsys.readouterr().out
    assert item(database, 1).status == NewsStatus.SCHEDULED, "the running gateway picks it up"
    assert main(["news", "unschedule", "1"]) == 0
    assert item(database, 1).status == NewsStatus.PUBLISHED


def test_refusals_are_said_and_exit_non_zero(database: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["news", "show", "7"]) == 1
    assert "No news item 7" in capsys.readouterr().err
    assert main([*CREATE[:3], "", *CREATE[4:]]) == 1
    assert "Donnez un titre à l’annonce." in capsys.readouterr().err
    assert main(CREATE) == 0
    assert main(["news", "stop", "1"]) == 1
    assert "n’est pas en cours d’envoi" in capsys.readouterr().err
    assert main(["news", "schedule", "1", "demain"]) == 2
    assert main(["news", "schedule", "1", "2020-01-01 10:00"]) == 1
    assert "à venir" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["news", "create", "--title", "x"])


def test_a_news_item_may_carry_the_barometer_and_its_preview_shows_the_question(
    database: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*CREATE, "--barometer"]) == 0 and main(CREATE) == 0
    assert (item(database, 1).barometer, item(database, 2).barometer) == (True, False)
    capsys.readouterr()
    assert main(["news", "show", "1"]) == 0
    assert "où en est votre activité ?" in capsys.readouterr().out
