"""This module contains the evaluation of models: scores on the evaluation set, the gate, and the report.

`run_evaluation` has every model parse every example (engine/evaluate.py, in the engine environment); `score`
turns one model's predictions into `Scores`; `gate` refuses a candidate whose accuracy falls too far below
the active model's; `report` is what the staff pages show and the database keeps.

Choices:

* The predicted intent is the classifier's, as `rasa test nlu` (`crisisbot nlu-eval`) reads it: when the
  FallbackClassifier says `nlu_fallback`, the intent ranked below it counts. How often that happened is kept
  apart (`fallbacks`).
* Macro-F1 averages the intents that have examples in the evaluation set (gold support > 0). An intent that
  is only ever predicted, never expected, cannot be measured by this set: its wrong predictions already cost
  the recall of the intents they were taken from, and averaging in its F1 of 0 would punish a model for
  knowing an intent the set does not test (a new intent with no kept-aside example yet). This is why the
  figure can differ slightly from `crisisbot nlu-eval`, which averages over every intent seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bot.errors import EvaluationFailed
from bot.retrain.export import Example
from bot.runtime.processes import background_child
from bot.runtime.rasa_env import engine_environment
from bot.settings import Settings

__all__ = [
    "EvaluationFailed",
    "Gate",
    "IntentScore",
    "Scores",
    "gate",
    "percent",
    "report",
    "run_evaluation",
    "score",
]

TOP_CONFUSIONS = 10
# Accuracies are fractions of whole counts: a drop exactly at the limit must not be refused by a rounding error.
EPSILON = 1e-9
# The longest output line read from the evaluator (a Python traceback's line can be long).
STREAM_LIMIT = 1 << 20


# ------------------------------------------------------------------------------------------ scores
@dataclass(frozen=True)
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int  # examples of this intent in the evaluation set


@dataclass(frozen=True)
class Scores:
    total: int
    accuracy: float
    macro_f1: float
    per_intent: dict[str, IntentScore]
    # The most frequent mistakes: (expected intent, predicted intent, count), most frequent first.
    confusions: list[tuple[str, str, int]]
    # Examples per source ("heldout", "inbox").
    sources: dict[str, int]
    # Accuracy on the admins' kept-aside labels alone; None when there are none.
    inbox_accuracy: float | None
    # Predictions where the assistant would have fallen back (confidence too low) instead of answering.
    fallbacks: int = 0

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["confusions"] = [list(c) for c in self.confusions]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Scores:
        return cls(
            total=int(data["total"]),
            accuracy=float(data["accuracy"]),
            macro_f1=float(data["macro_f1"]),
            per_intent={name: IntentScore(**values) for name, values in data["per_intent"].items()},
            confusions=[(str(g), str(p), int(n)) for g, p, n in data["confusions"]],
            sources={str(k): int(v) for k, v in data["sources"].items()},
            inbox_accuracy=None if data.get("inbox_accuracy") is None else float(data["inbox_accuracy"]),
            fallbacks=int(data.get("fallbacks", 0)),
        )


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def score(examples: Sequence[Example], predictions: Sequence[dict[str, Any]]) -> Scores:
    """One model's scores: `predictions[i]` (engine/evaluate.py's output) is its answer to `examples[i]`."""
    if len(examples) != len(predictions):
        raise ValueError(f"{len(predictions)} predictions for {len(examples)} examples.")
    if not examples:
        raise ValueError("No examples to score.")
    pairs = []
    for example, predicted in zip(examples, predictions):
        if predicted.get("text") is not None and predicted["text"] != example.text:
            raise ValueError(f"Prediction for {predicted['text']!r} where {example.text!r} was expected.")
        pairs.append((example.intent, str(predicted.get("intent") or "")))

    gold = Counter(g for g, _ in pairs)
    predicted_count = Counter(p for _, p in pairs)
    correct = Counter(g for g, p in pairs if g == p)
    per_intent: dict[str, IntentScore] = {}
    for intent in sorted(set(gold) | (set(predicted_count) - {""})):
        precision = _ratio(correct[intent], predicted_count[intent])
        recall = _ratio(correct[intent], gold[intent])
        f1 = _ratio(2 * correct[intent], gold[intent] + predicted_count[intent])  # = 2PR / (P + R)
        per_intent[intent] = IntentScore(precision, recall, f1, gold[intent])
    measured = [s.f1 for s in per_intent.values() if s.support > 0]

    confusions = Counter((g, p) for g, p in pairs if g != p)
    ranked = sorted(confusions.items(), key=lambda item: (-item[1], item[0]))[:TOP_CONFUSIONS]
    inbox = [(e, p) for e, p in zip(examples, pairs) if e.source == "inbox"]
    return Scores(
        total=len(pairs),
        accuracy=sum(correct.values()) / len(pairs),
        macro_f1=sum(measured) / len(measured),
        per_intent=per_intent,
        confusions=[(g, p, n) for (g, p), n in ranked],
        sources=dict(sorted(Counter(e.source for e in examples).items())),
        inbox_accuracy=(sum(1 for _, (g, p) in inbox if g == p) / len(inbox)) if inbox else None,
        fallbacks=sum(1 for p in predictions if p.get("fallback")),
    )


# -------------------------------------------------------------------------------------------- gate
@dataclass(frozen=True)
class Gate:
    allowed: bool
    # baseline accuracy - candidate accuracy, as a fraction (0.038 = 3.8 points); negative when better.
    accuracy_drop: float
    message: str


def percent(value: float) -> str:
    """0.912 → "91,2 %" (French decimal comma)."""
    return f"{value * 100:.1f} %".replace(".", ",")


def points(value: float) -> str:
    """0.038 → "3,8 points"."""
    return f"{value * 100:.1f} points".replace(".", ",")


def gate(candidate: Scores, baseline: Scores | None, max_drop: float) -> Gate:
    """Whether the candidate may be activated: its accuracy may fall at most `max_drop` below the active model's."""
    if baseline is None:
        return Gate(
            True, 0.0, f"Exactitude {percent(candidate.accuracy)} ; aucun modèle actif à comparer : activation possible."
        )
    drop = baseline.accuracy - candidate.accuracy
    versus = f"Exactitude {percent(candidate.accuracy)} contre {percent(baseline.accuracy)} pour le modèle actif"
    if drop > max_drop + EPSILON:
        return Gate(
            False, drop, f"{versus} : baisse de {points(drop)}, au-delà des {points(max_drop)} tolérés."
        )
    if drop > EPSILON:
        return Gate(True, drop, f"{versus} : baisse de {points(drop)}, dans la limite des {points(max_drop)} tolérés.")
    if drop < -EPSILON:
        return Gate(True, drop, f"{versus} : hausse de {points(-drop)}.")
    return Gate(True, drop, f"{versus} : exactitude identique.")


# ------------------------------------------------------------------------------------------ report
def _intent_json(value: IntentScore | None) -> dict[str, float] | None:
    if value is None:
        return None
    return {"precision": value.precision, "recall": value.recall, "f1": value.f1}


def report(
    candidate: Scores,
    baseline: Scores | None,
    candidate_name: str,
    baseline_name: str | None,
    max_drop: float,
) -> dict[str, Any]:
    """The evaluation as JSON (model_evaluations.report): both scores, intents side by side, the gate.

    {"candidate": {"name", **Scores.to_json()}, "baseline": same or None,
     "intents": [{"intent", "support", "candidate": {"precision", "recall", "f1"} | None, "baseline": same | None,
                  "f1_difference": candidate - baseline F1 | None}, ...] worst first,
     "gate": {"allowed", "accuracy_drop", "message", "max_drop"}}
    `Scores.from_json(report["candidate"])` reads the scores back (the extra "name" key is ignored).
    """
    decision = gate(candidate, baseline, max_drop)
    rows = []
    for intent in sorted(set(candidate.per_intent) | set(baseline.per_intent if baseline else ())):
        mine = candidate.per_intent.get(intent)
        theirs = baseline.per_intent.get(intent) if baseline else None
        support = (mine or theirs).support if (mine or theirs) else 0
        difference = None if baseline is None else (mine.f1 if mine else 0.0) - (theirs.f1 if theirs else 0.0)
        rows.append(
            {
                "intent": intent,
                "support": support,
                "candidate": _intent_json(mine),
                "baseline": _intent_json(theirs),
                "f1_difference": difference,
            }
        )
    # Worst first: the biggest F1 loss against the active model; without one, the weakest F1.
    if baseline is None:
        rows.sort(key=lambda r: ((r["candidate"] or {}).get("f1", 0.0), r["intent"]))
    else:
        rows.sort(key=lambda r: (r["f1_difference"], r["intent"]))
    return {
        "candidate": {"name": candidate_name, **candidate.to_json()},
        "baseline": {"name": baseline_name, **baseline.to_json()} if baseline is not None else None,
        "intents": rows,
        "gate": {**asdict(decision), "max_drop": max_drop},
    }


# ------------------------------------------------------------------------------------------ runner
def _evaluator(settings: Settings) -> Path:
    return settings.project_dir / "engine" / "evaluate.py"


async def run_evaluation(
    settings: Settings,
    model_paths: list[Path],
    examples: list[Example],
    on_line: Callable[[str], None],
) -> dict[Path, list[dict[str, Any]]]:
    """Every model parses every example, in the engine environment; its progress goes to `on_line`.

    Returns each model's predictions, in the order of `examples`. Raises EvaluationFailed (French message).
    """
    if not model_paths:
        raise EvaluationFailed("Aucun modèle à évaluer.")
    if not examples:
        raise EvaluationFailed("Le jeu d'évaluation est vide : rien à évaluer.")
    python = settings.rasa_venv / "bin" / "python"
    if not python.exists():
        raise EvaluationFailed(f"L'environnement de Rasa est introuvable ({python}) : lancez `make setup`.")
    models = [path.resolve() for path in model_paths]
    for path in models:
        if not path.is_file():
            raise EvaluationFailed(f"Le modèle {path.name} est introuvable sur le disque.")

    with tempfile.TemporaryDirectory(prefix="crisisbot-eval-") as scratch:
        examples_file, out_file = Path(scratch) / "examples.json", Path(scratch) / "predictions.json"
        examples_file.write_text(json.dumps([e.to_json() for e in examples], ensure_ascii=False), encoding="utf-8")
        command = [str(python), str(_evaluator(settings)), "--examples", str(examples_file), "--out", str(out_file)]
        for path in models:
            command += ["--model", str(path)]
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=settings.project_dir,
                env=engine_environment(settings),
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                preexec_fn=background_child,
                limit=STREAM_LIMIT,
            )
        except OSError as exc:
            raise EvaluationFailed(f"L'évaluation n'a pas pu démarrer : {exc}") from exc
        last = ""
        assert process.stdout is not None
        try:
            async for raw in process.stdout:
                line = raw.decode("utf-8", errors="replace").rstrip()
                if line:
                    last = line
                    on_line(line)
            returncode = await process.wait()
        finally:
            if process.returncode is None:  # cancelled, or on_line raised: no evaluator left behind
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await asyncio.shield(process.wait())
        if returncode != 0:
            raise EvaluationFailed(f"L'évaluation s'est arrêtée (code {returncode}). {last}".strip())
        try:
            found = json.loads(out_file.read_text(encoding="utf-8"))["models"]
            predictions = {path: found[str(path)] for path in models}
        except (OSError, ValueError, KeyError) as exc:
            raise EvaluationFailed("L'évaluation n'a pas rendu de résultats lisibles.") from exc
    for path, rows in predictions.items():
        if len(rows) != len(examples):
            raise EvaluationFailed(
                f"L'évaluation de {path.name} a rendu {len(rows)} réponses pour {len(examples)} messages."
            )
    # Keyed by the paths as given, so callers find their models again.
    return {given: predictions[resolved] for given, resolved in zip(model_paths, models)}
