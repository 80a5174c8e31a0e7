"""Scores, the gate and the report on hand-made predictions with known answers; a real evaluation of the
current model in the engine environment; failures and cancellation of the evaluator."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from bot.errors import EvaluationFailed
from bot.retrain import evaluation
from bot.retrain.evaluation import IntentScore, Scores, gate, report, run_evaluation, score
from bot.retrain.export import Example, evaluation_set
from bot.runtime.base_model import current_model
from bot.settings import Settings

# Expected → predicted. By hand:
#   A: 2 right of 3 expected, predicted twice        → P 2/2 = 1,  R 2/3,     F1 2·2/(3+2) = 0.8
#   B: 1 right of 2 expected, predicted twice (e3)   → P 1/2,      R 1/2,     F1 0.5
#   C: 1 right of 2 expected, predicted twice (e5)   → P 1/2,      R 1/2,     F1 0.5
#   D: never expected, predicted once                → P 0, R 0, F1 0, support 0: not in the macro average
# accuracy 4/7; macro-F1 (0.8 + 0.5 + 0.5) / 3 = 0.6; inbox (e6, e7) 1 right of 2.
EXAMPLES = [
    Example("e1", "A", "heldout"),
    Example("e2", "A", "heldout"),
    Example("e3", "A", "heldout"),
    Example("e4", "B", "heldout"),
    Example("e5", "B", "heldout"),
    Example("e6", "C", "inbox"),
    Example("e7", "C", "inbox"),
]
PREDICTED = ["A", "A", "B", "B", "C", "C", "D"]


def predictions(intents: list[str], examples: list[Example] = EXAMPLES) -> list[dict]:
    return [
        {"text": e.text, "intent": intent, "confidence": 0.9, "fallback": e.text == "e3"}
        for e, intent in zip(examples, intents)
    ]


def test_scores_by_hand() -> None:
    scores = score(EXAMPLES, predictions(PREDICTED))
    assert scores.total == 7
    assert scores.accuracy == pytest.approx(4 / 7)
    assert scores.macro_f1 == pytest.approx(0.6)
    assert scores.per_intent["A"] == IntentScore(1.0, pytest.approx(2 / 3), pytest.approx(0.8), 3)
    assert scores.per_intent["B"] == IntentScore(0.5, 0.5, 0.5, 2)
    assert scores.per_intent["C"] == IntentScore(0.5, 0.5, 0.5, 2)
    assert scores.per_intent["D"] == IntentScore(0.0, 0.0, 0.0, 0)
    assert scores.confusions == [("A", "B", 1), ("B", "C", 1), ("C", "D", 1)]
    assert scores.sources == {"heldout": 5, "inbox": 2}
    assert scores.inbox_accuracy == 0.5
    assert scores.fallbacks == 1


def test_confusions_are_the_most_frequent_first_and_ten_at_most() -> None:
    examples = [Example(f"m{i}", f"gold{i % 12}", "heldout") for i in range(36)]
    intents = ["wrong" if i % 12 else "gold0" for i in range(36)]
    examples += [Example(f"x{i}", "gold5", "heldout") for i in range(4)]
    intents += ["other"] * 4
    scores = score(examples, predictions(intents, examples))
    assert len(scores.confusions) == 10  # of 12 confused pairs
    assert scores.confusions[:3] == [("gold5", "other", 4), ("gold1", "wrong", 3), ("gold10", "wrong", 3)]
    assert scores.inbox_accuracy is None


def test_an_intent_never_predicted_has_zero_precision() -> None:
    examples = [Example("a", "A", "heldout"), Example("b", "B", "heldout")]
    scores = score(examples, predictions(["A", "A"], examples))
    assert scores.per_intent["B"] == IntentScore(0.0, 0.0, 0.0, 1)
    assert scores.per_intent["A"] == IntentScore(0.5, 1.0, pytest.approx(2 / 3), 1)


def test_predictions_must_match_the_examples() -> None:
    with pytest.raises(ValueError):
        score(EXAMPLES, predictions(PREDICTED)[:-1])
    shuffled = predictions(PREDICTED)
    shuffled[0], shuffled[1] = shuffled[1], shuffled[0]
    with pytest.raises(ValueError):
        score(EXAMPLES, shuffled)


def test_scores_survive_json() -> None:
    scores = score(EXAMPLES, predictions(PREDICTED))
    assert Scores.from_json(json.loads(json.dumps(scores.to_json()))) == scores


def scores_with(right: int, total: int = 50) -> Scores:
    examples = [Example(f"m{i}", "A", "heldout") for i in range(total)]
    return score(examples, predictions(["A"] * right + ["B"] * (total - right), examples))


def test_without_an_active_model_the_gate_is_open() -> None:
    result = gate(scores_with(10), None, 0.02)
    assert result.allowed and result.accuracy_drop == 0.0
    assert "20,0 %" in result.message


def test_the_gate_at_the_boundary() -> None:
    baseline = scores_with(48)  # 96 %
    exactly = gate(scores_with(47), baseline, 0.02)  # 94 %: 2 points, the limit (0.96 - 0.94 > 0.02 in floats)
    assert exactly.allowed
    assert exactly.accuracy_drop == pytest.approx(0.02)
    assert exactly.message == (
        "Exactitude 94,0 % contre 96,0 % pour le modèle actif : baisse de 2,0 points, "
        "dans la limite des 2,0 points tolérés."
    )
    beyond = gate(scores_with(46), baseline, 0.02)  # 92 %
    assert not beyond.allowed
    assert beyond.message == (
        "Exactitude 92,0 % contre 96,0 % pour le modèle actif : baisse de 4,0 points, au-delà des 2,0 points tolérés."
    )
    assert not gate(scores_with(47), baseline, 0.019).allowed


def test_a_better_or_equal_model_passes_the_gate() -> None:
    better = gate(scores_with(49), scores_with(48), 0.0)
    assert better.allowed and better.accuracy_drop == pytest.approx(-0.02)
    assert better.message.endswith("hausse de 2,0 points.")
    assert gate(scores_with(48), scores_with(48), 0.0).allowed


def test_the_report_puts_intents_side_by_side_worst_first() -> None:
    candidate = score(EXAMPLES, predictions(PREDICTED))
    baseline = score(EXAMPLES, predictions(["A", "A", "A", "B", "B", "C", "C"]))  # all right
    result = report(candidate, baseline, "crisisbot-new", "crisisbot-old", 0.02)
    json.dumps(result)  # stored as JSON

    assert result["candidate"]["name"] == "crisisbot-new"
    assert result["candidate"]["accuracy"] == pytest.approx(4 / 7)  # where the registry reads it
    assert result["baseline"]["macro_f1"] == 1.0
    assert Scores.from_json(result["candidate"]) == candidate
    # F1 differences: B and C -0.5, A -0.2, D 0 (0 in both).
    assert [row["intent"] for row in result["intents"]] == ["B", "C", "A", "D"]
    assert result["intents"][0]["f1_difference"] == pytest.approx(-0.5)
    assert result["intents"][0]["baseline"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert result["intents"][3]["baseline"] is None
    assert result["gate"]["allowed"] is False
    assert result["gate"]["max_drop"] == 0.02
    assert "au-delà des 2,0 points tolérés" in result["gate"]["message"]


def test_a_report_without_an_active_model() -> None:
    result = report(score(EXAMPLES, predictions(PREDICTED)), None, "crisisbot-new", None, 0.02)
    assert result["baseline"] is None
    assert result["gate"]["allowed"] is True
    assert [row["intent"] for row in result["intents"]] == ["D", "B", "C", "A"]
    assert all(row["f1_difference"] is None for row in result["intents"])


# --------------------------------------------------------------------------- the engine, for real
@pytest.fixture(scope="module")
def model() -> Path:
    path = current_model(Settings())
    if not path.is_file():
        pytest.fail(f"No model for the current training data ({path.name}): run `crisisbot train` first.")
    return path


async def test_the_current_model_is_evaluated_for_real(model: Path) -> None:
    settings = Settings()
    examples = evaluation_set(settings.project_dir, [])[::11][:20]
    examples.append(Example("bonjour je voudrais un rendez vous", "request_callback", "inbox"))
    lines: list[str] = []

    found = await run_evaluation(settings, [model], examples, lines.append)

    assert list(found) == [model]
    rows = found[model]
    assert [row["text"] for row in rows] == [e.text for e in examples]
    assert all(set(row) == {"text", "intent", "confidence", "fallback"} for row in rows)
    assert all(0.0 <= row["confidence"] <= 1.0 and row["intent"] != "nlu_fallback" for row in rows)
    scores = score(examples, rows)
    assert scores.accuracy > 0.7, scores.confusions
    name = model.name.removesuffix(".tar.gz")
    assert f"Chargement du modèle {name}…" in lines
    assert any(line.startswith(f"Évaluation de {name} : 21/21 messages") for line in lines)
    assert not any("Warning" in line for line in lines), lines


async def test_a_missing_model_is_refused_before_starting(tmp_path: Path) -> None:
    with pytest.raises(EvaluationFailed, match="introuvable"):
        await run_evaluation(Settings(), [tmp_path / "nope.tar.gz"], [Example("a", "greet", "heldout")], print)


async def test_a_broken_model_fails_with_the_reason(tmp_path: Path) -> None:
    broken = tmp_path / "crisisbot-broken.tar.gz"
    broken.write_bytes(b"not a model")
    lines: list[str] = []
    with pytest.raises(EvaluationFailed) as caught:
        await run_evaluation(Settings(), [broken], [Example("a", "greet", "heldout")], lines.append)
    assert "code 2" in caught.value.message
    assert "crisisbot-broken.tar.gz ne peut pas être chargé" in caught.value.message


async def test_cancelling_the_evaluation_kills_the_evaluator(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[asyncio.subprocess.Process] = []
    spawn = asyncio.create_subprocess_exec

    async def recording(*args, **kwargs):
        process = await spawn(*args, **kwargs)
        started.append(process)
        return process

    monkeypatch.setattr(evaluation.asyncio, "create_subprocess_exec", recording)
    loading = asyncio.Event()
    task = asyncio.create_task(
        run_evaluation(Settings(), [model], [Example("a", "greet", "heldout")], lambda line: loading.set())
    )
    await asyncio.wait_for(loading.wait(), timeout=60)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert started and started[0].returncode is not None
