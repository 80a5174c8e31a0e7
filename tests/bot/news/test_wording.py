"""How a news item reads on every channel."""

from __future__ import annotations

from datetime import date

from bot.news.wording import broadcast_text, list_entry, mention, template_parameters
from bot.storage.models import NewsItem


def item(**changes: object) -> NewsItem:
    fields = dict(
        title="Couvre-feu à 20 h", text="Le couvre-feu commence à 20 h.", source="prefecture",
        effective_on=date(2020, 12, 15), link="https://www.saone-et-loire.gouv.fr",
    )
    return NewsItem(**{**fields, **changes})


def test_the_broadcast_message_says_who_when_where_and_how_to_stop() -> None:
    assert broadcast_text(item()) == (
        "📰 Couvre-feu à 20 h\n\nLe couvre-feu commence à 20 h.\n\n"
        "Préfecture · en vigueur le 15 décembre 2020\nhttps://www.saone-et-loire.gouv.fr\n\n"
        "Pour ne plus recevoir ces annonces, écrivez « stop infos »."
    )
    assert "https" not in broadcast_text(item(link=None))


def test_the_list_entry_is_short_and_keeps_the_link() -> None:
    entry = list_entry(item(text="mot " * 200, source="chambre"))
    first, text, link = entry.split("\n")
    assert first == "• Couvre-feu à 20 h (Chambre de Métiers · en vigueur le 15 décembre 2020)"
    assert len(text) <= 220 and text.endswith("…")
    assert link == "https://www.saone-et-loire.gouv.fr"


def test_the_templates_parameters_and_the_faq_mention() -> None:
    title, text = template_parameters(item(source="region"))
    assert title == "Couvre-feu à 20 h"
    assert text == "Le couvre-feu commence à 20 h. (Région · en vigueur le 15 décembre 2020) https://www.saone-et-loire.gouv.fr"
    assert mention(item(source="etat")) == (
        "📰 Dernière annonce sur ce sujet (État · en vigueur le 15 décembre 2020) : Couvre-feu à 20 h. "
        "Pour la lire : « dernières annonces »."
    )


def test_the_barometer_under_a_broadcast_is_the_engines_first_question_with_the_same_buttons() -> None:
    from pathlib import Path

    import yaml

    from bot.news.wording import BAROMETER_BUTTONS, BAROMETER_QUESTION, with_barometer

    domain = yaml.safe_load((Path(__file__).parents[3] / "domain.yml").read_text(encoding="utf-8"))
    [question] = domain["responses"]["utter_barometer_ask_activity"]
    assert question["text"] == BAROMETER_QUESTION
    # Rasa's responses double their braces ({{ }}) for the template; what a tap sends has single ones.
    assert [
        {"title": b["title"], "payload": b["payload"].replace("{{", "{").replace("}}", "}")} for b in question["buttons"]
    ] == BAROMETER_BUTTONS
    assert with_barometer("📰 Annonce").endswith("\n\n" + BAROMETER_QUESTION)
