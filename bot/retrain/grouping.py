"""This module contains `group`, which gathers similar messages, so forty variants of one question read as one group.

Each message becomes a sparse vector of its content words (lightly stemmed) and of their character 3-grams,
weighted by how rare they are in a reference corpus: the examples the bot is trained on, when the caller gives
them (`Background`), so the words the bot has never learned ("chèque numérique") are what a new question's
variants are grouped by; otherwise the batch itself (a word every message has tells little). A message joins the group
whose centroid is most similar (cosine) when the similarity reaches THRESHOLD, or starts a group of its own.
An inverted index from feature to groups keeps it near-linear: 2,000 messages take a fraction of a second.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")

# Tuned on paraphrases of the inbox's questions (tests/bot/retrain/test_grouping.py): paraphrases sharing their
# key words score 0.3 to 1 against their group; different questions mostly under 0.25.
THRESHOLD = 0.3
# Word features weigh more than 3-grams: a shared word is better evidence than a shared syllable.
WORD_WEIGHT = 2.0
GRAM_WEIGHT = 1.0

# Words that say nothing about what is asked (accents folded).
STOPWORDS = frozenset(
    """
    a ai as au aux avec avoir c ca ce ceci cela celle celles celui ces cet cette d dans de des du elle elles en
    es est et etc ete etes etre eu fait faire faut il ils j je l la le les leur leurs lui m ma mais me meme mes moi
    mon n ne ni nos notre nous on ont ou par pas peu peut peux plus pour qu que quel quelle quelles quels qui s sa
    sans se ses si sont son suis sur t ta te tes toi ton tu un une vos votre vous y bonjour bonsoir merci svp stp
    plait madame monsieur alors donc comment combien pourquoi quand ou est-ce estce ceux tout tous toute toutes
    aussi bien tres deja encore oui non ok peuvent pourrai pourrais pourrait pourra puis dois doit doivent veux
    voudrais voudrait savoir besoin
    """.split()
)
# The one feature of a message without any word ("?", "..."): such messages group together.
EMPTY = "w:"
MASKED_TOKEN = re.compile(r"‹([^›]{1,20})›")
NOT_WORD = re.compile(r"[^a-z0-9_]+")


def fold(text: str) -> str:
    """Lower case, accents folded: "Salariés" → "salaries"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> list[str]:
    """The message's words: lower case, accents folded, punctuation out; a masked token stays one word."""
    text = MASKED_TOKEN.sub(lambda m: " _" + NOT_WORD.sub("", fold(m.group(1))) + "_ ", text)
    return [word for word in NOT_WORD.split(fold(text).replace("'", " ").replace("’", " ")) if word]


def _stem(word: str) -> str:
    # Plurals and the feminine read as one word: masques/masque, gratuites/gratuit.
    if len(word) > 4 and word.endswith(("es", "ees")) and not word.endswith("ses"):
        return word[:-1].rstrip("e") if word.endswith("ees") else word[:-1]
    if len(word) > 3 and word[-1] in "sx":
        return word[:-1]
    return word


def features(text: str) -> Counter[str]:
    """Term counts: content words (stemmed) and the 3-grams of each, "#" marking a word's edges."""
    words = normalise(text)
    content = [w for w in words if w not in STOPWORDS] or words
    counts: Counter[str] = Counter()
    for word in content:
        stem = _stem(word)
        counts["w:" + stem] += 1
        if word.startswith("_"):
            continue  # a masked token is one feature, not three syllables
        padded = f"#{stem}#"
        for i in range(len(padded) - 2):
            counts[padded[i : i + 3]] += 1
    return counts


class Background:
    """How common each feature is in a reference corpus (the training examples): its inverse document frequency."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._set([features(text) for text in texts])

    @classmethod
    def of_counts(cls, term_counts: Sequence[Counter[str]]) -> Background:
        """The background of a batch itself, from its messages' term counts."""
        background = cls.__new__(cls)
        background._set(term_counts)
        return background

    def _set(self, term_counts: Sequence[Counter[str]]) -> None:
        document_frequency: Counter[str] = Counter()
        for counts in term_counts:
            document_frequency.update(counts.keys())
        self.size = len(term_counts)
        self._idf = {term: self._weight(df) for term, df in document_frequency.items()}
        self.unseen = self._weight(0)

    def _weight(self, df: int) -> float:
        return math.log((1 + self.size) / (1 + df)) + 1

    def idf(self, term: str) -> float:
        return self._idf.get(term, self.unseen)


def _vectors(
    texts: list[str], background: Background | None = None
) -> tuple[list[dict[str, float]], list[tuple[tuple[str, int], ...]]]:
    """TF-IDF vectors, unit length; and each text's term counts as a key (equal keys: equal vectors)."""
    term_counts = [features(text) or Counter({EMPTY: 1}) for text in texts]
    idf = (background or Background.of_counts(term_counts)).idf
    vectors = []
    for counts in term_counts:
        vector = {
            term: (WORD_WEIGHT if term.startswith("w:") else GRAM_WEIGHT) * count * idf(term)
            for term, count in counts.items()
        }
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vectors.append({term: w / norm for term, w in vector.items()})
    return vectors, [tuple(sorted(counts.items())) for counts in term_counts]


def similarity(a: str, b: str) -> float:
    """The cosine similarity of two messages (for tests and tuning)."""
    (left, right), _ = _vectors([a, b])
    return sum(w * right.get(term, 0.0) for term, w in left.items())


def group(
    items: Sequence[T], text: Callable[[T], str], threshold: float = THRESHOLD, background: Background | None = None
) -> list[list[T]]:
    """The items in groups of similar texts, largest groups first (then in order of their first item)."""
    vectors, keys = _vectors([text(item) for item in items], background)
    members: list[list[T]] = []
    sums: list[dict[str, float]] = []  # each group's centroid, unnormalised
    norms: list[float] = []  # its length
    index: dict[str, list[int]] = {}  # feature -> the groups whose centroid has it
    # The same words (in any order, with other greetings and punctuation) go where the first of them went:
    # inboxes are full of them, and it spares most of the work.
    placed: dict[tuple[tuple[str, int], ...], int] = {}
    for item, vector, key in zip(items, vectors, keys):
        if key in placed:
            members[placed[key]].append(item)
            continue
        scores: dict[int, float] = {}
        score_of = scores.get
        for term, weight in vector.items():
            postings = index.get(term)
            if postings:
                for g in postings:
                    scores[g] = score_of(g, 0.0) + weight * sums[g][term]
        best, best_score = -1, threshold
        for g, score in scores.items():
            cosine = score / norms[g]
            if cosine >= best_score:
                best, best_score = g, cosine
        if best < 0:
            best = len(members)
            members.append([])
            sums.append({})
            norms.append(0.0)
        centroid = sums[best]
        squared = norms[best] ** 2
        for term, weight in vector.items():
            old = centroid.get(term)
            if old is None:
                index.setdefault(term, []).append(best)
                old = 0.0
            centroid[term] = old + weight
            squared += 2 * old * weight + weight * weight
        norms[best] = math.sqrt(squared) or 1.0
        members[best].append(item)
        placed[key] = best
    order = sorted(range(len(members)), key=lambda g: -len(members[g]))
    return [members[g] for g in order]
