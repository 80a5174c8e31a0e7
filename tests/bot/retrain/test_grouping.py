"""Similar inbox messages grouped: paraphrases of one question together, different questions apart, fast."""

from __future__ import annotations

import random
import time

from bot.retrain.grouping import group, normalise, similarity

MASKS = [
    "les masques sont ils gratuits pour mes salariés",
    "masques gratuits pour les salariés ?",
    "est-ce que les masques pour mes employés sont gratuits",
    "Les MASQUES pour les salariés, c'est gratuit ?",
]
HAIRDRESSERS = [
    "quand rouvrent les salons de coiffure",
    "date de réouverture des salons de coiffure ?",
    "quand est-ce que je pourrai rouvrir mon salon de coiffure",
]
RENT = ["je ne peux plus payer mon loyer", "puis-je reporter le paiement de mon loyer", "report des loyers ?"]
GEL = ["où acheter du gel hydroalcoolique", "gel hydroalcoolique pas cher, où en trouver ?"]


def texts(groups: list[list[str]]) -> list[set[str]]:
    return [set(g) for g in groups]


def test_normalise_folds_case_accents_punctuation_and_keeps_masked_tokens() -> None:
    assert normalise("Salariés, GRATUITS ?! Appelez ‹téléphone›") == ["salaries", "gratuits", "appelez", "_telephone_"]


def test_paraphrases_group_together_and_different_questions_apart() -> None:
    messages = [*MASKS, *HAIRDRESSERS, *RENT, *GEL]
    random.Random(3).shuffle(messages)
    groups = texts(group(messages, lambda text: text))
    assert set(MASKS) in groups
    assert set(HAIRDRESSERS) in groups
    assert set(RENT) in groups
    assert set(GEL) in groups
    assert len(groups) == 4


def test_forty_variants_read_as_one_group_of_forty_largest_first() -> None:
    rng = random.Random(7)
    variants = [
        rng.choice(["", "Bonjour, ", "bonjour "]) + rng.choice(MASKS) + rng.choice(["", " ?", " merci", " svp !"])
        for _ in range(40)
    ]
    items = [{"id": i, "text": t} for i, t in enumerate([*HAIRDRESSERS, *variants, *GEL])]
    groups = group(items, lambda item: item["text"])
    assert [len(g) for g in groups] == [40, 3, 2]
    assert [item["id"] for item in groups[0]] == list(range(3, 43))  # in their order


def test_different_questions_score_low_and_paraphrases_high() -> None:
    assert similarity(MASKS[0], MASKS[1]) > 0.5
    assert similarity(MASKS[0], HAIRDRESSERS[0]) < 0.15
    assert similarity("‹téléphone› rappelez moi", "rappelez moi au ‹téléphone›") > 0.9


def test_empty_and_odd_input() -> None:
    assert group([], str) == []
    assert group(["?", "!!", "..."], str) == [["?", "!!", "..."]]


def test_two_thousand_messages_are_each_put_in_exactly_one_group() -> None:
    # How long it takes is printed (and measured by `make bench`), never asserted: on a loaded machine it varies.
    rng = random.Random(11)
    questions = [*MASKS, *HAIRDRESSERS, *RENT, *GEL]
    words = "alpha beta gamma delta epsilon zeta theta iota kappa lambda sigma omega".split()
    messages = [rng.choice(["", "Bonjour, "]) + rng.choice(questions) + rng.choice(["", " ?", " merci"]) for _ in range(1500)]
    messages += [" ".join(rng.choice(words) + str(rng.randint(0, 99)) for _ in range(6)) for _ in range(500)]
    rng.shuffle(messages)
    started = time.perf_counter()
    groups = group(messages, lambda text: text)
    elapsed = time.perf_counter() - started
    print(f"grouped {len(messages)} messages into {len(groups)} groups in {elapsed * 1000:.0f} ms")
    assert sum(len(g) for g in groups) == 2000
    assert max(len(g) for g in groups) >= 100  # the 1,500 questions fall in a few large groups


def test_variants_of_a_new_question_group_by_the_words_the_bot_never_learned() -> None:
    # Against the training examples, "chèque numérique" is what these share: the rest is common wording.
    from bot.retrain.export import nlu_examples
    from bot.retrain.grouping import Background
    from bot.settings import ROOT

    background = Background([text for text, _ in nlu_examples(sorted((ROOT / "nlu" / "train").glob("*.yml")))])
    cheque = [
        "comment obtenir le chèque numérique de 500 euros",
        "le chèque numérique pour mon site internet c'est quoi",
        "bonjour je voudrais demander le chèque numérique merci",
        "aide de 500 € pour créer mon site web, le chèque numérique",
        "est ce que j'ai droit au cheque numerique ?",
        "chèque numérique : comment ça marche",
    ]
    others = ["quand rouvrent les salons de coiffure", "le marché du samedi est il maintenu a macon"]
    groups = group(cheque + others, lambda t: t, background=background)
    assert sorted(groups[0]) == sorted(cheque)
    assert all(len(g) == 1 for g in groups[1:])
