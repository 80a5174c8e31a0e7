"""This module contains the model evaluator: every example parsed by every model, the predictions as JSON.

Runs in the engine environment (Rasa 3.6, Python 3.10), started by bot/retrain/evaluation.py:

    python engine/evaluate.py --examples examples.json --model A.tar.gz [--model B.tar.gz ...] --out out.json

examples.json is a list of {"text": ...} objects (other keys are ignored). out.json is
{"models": {"<model path as given>": [{"text", "intent", "confidence", "fallback"}, ...]}}, one prediction per
example, in order. Like `rasa test nlu`, the intent is the classifier's, not the FallbackClassifier's
`nlu_fallback`: "fallback" says whether the assistant would have fallen back instead.

Progress goes to stdout in French, one line at a time: an admin reads it in the job's log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional

# Before TensorFlow is imported (by Rasa): no C++ chatter.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

FALLBACK_INTENT = "nlu_fallback"
# How often a progress line is printed, in messages.
PROGRESS_EVERY = 100


class EvaluatorError(Exception):
    """A model or the examples cannot be read: the message says which, in French."""


def quiet() -> None:
    """Keep the log readable: Rasa's, TensorFlow's and the libraries' warnings are not for admins."""
    warnings.filterwarnings("ignore")
    # Some libraries put their own filters back while Rasa imports them: silence the output itself.
    warnings.showwarning = lambda *args, **kwargs: None
    logging.basicConfig(level=logging.ERROR)
    for name in ("rasa", "tensorflow", "absl", "sanic", "root"):
        logging.getLogger(name).setLevel(logging.ERROR)
    try:
        import structlog

        structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    except ImportError:
        pass


def read_examples(path: Path) -> List[str]:
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))
        return [str(row["text"]) for row in rows]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise EvaluatorError(f"Les exemples {path} ne peuvent pas être lus : {exc}") from exc


def prediction(text: str, parsed: Dict[str, Any]) -> Dict[str, Any]:
    """One example's prediction: the classifier's intent, as `rasa test nlu` reads it."""
    intent = parsed.get("intent") or {}
    fallback = intent.get("name") == FALLBACK_INTENT
    if fallback:
        # The FallbackClassifier puts nlu_fallback first in the ranking; the classifier's intent follows.
        ranking = [r for r in parsed.get("intent_ranking") or [] if r.get("name") != FALLBACK_INTENT]
        if ranking:
            intent = ranking[0]
    return {
        "text": text,
        "intent": intent.get("name"),
        "confidence": round(float(intent.get("confidence") or 0.0), 6),
        "fallback": fallback,
    }


def load(model: Path) -> Any:
    from rasa.core.agent import Agent

    if not model.is_file():
        raise EvaluatorError(f"Le modèle {model} n'existe pas.")
    try:
        agent = Agent.load(model)
    except Exception as exc:  # Rasa raises many kinds of errors for a broken or foreign archive.
        raise EvaluatorError(f"Le modèle {model.name} ne peut pas être chargé : {exc}") from exc
    if not agent.is_ready():
        raise EvaluatorError(f"Le modèle {model.name} ne peut pas être chargé.")
    return agent


async def evaluate_model(model: Path, texts: List[str], say: Any = print) -> List[Dict[str, Any]]:
    """Every text parsed by `model`, in order."""
    name = model.name.removesuffix(".tar.gz")
    total = len(texts)
    started = time.monotonic()
    say(f"Chargement du modèle {name}…")
    agent = load(model)
    loaded = time.monotonic()
    predictions = []
    for done, text in enumerate(texts, start=1):
        predictions.append(prediction(text, await agent.parse_message(text)))
        if done % PROGRESS_EVERY == 0 and done < total:
            say(f"Évaluation de {name} : {done}/{total} messages")
    say(
        f"Évaluation de {name} : {total}/{total} messages "
        f"(chargement {loaded - started:.0f} s, analyse {time.monotonic() - loaded:.0f} s)"
    )
    return predictions


async def evaluate(models: List[Path], texts: List[str], say: Any = print) -> Dict[str, List[Dict[str, Any]]]:
    results: Dict[str, List[Dict[str, Any]]] = {}
    for model in models:
        results[str(model)] = await evaluate_model(model, texts, say)
    return results


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Parse every example with every model; write the predictions.")
    parser.add_argument("--examples", type=Path, required=True, help="JSON list of {'text': ...}")
    parser.add_argument("--model", type=Path, action="append", required=True, help="a model archive (repeatable)")
    parser.add_argument("--out", type=Path, required=True, help="where the predictions JSON goes")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    quiet()
    try:
        texts = read_examples(args.examples)
        results = asyncio.run(evaluate(args.model, texts, say))
    except EvaluatorError as exc:
        print(f"Échec de l'évaluation : {exc}", file=sys.stderr, flush=True)
        return 2
    args.out.write_text(json.dumps({"models": results}, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
