"""This module contains the base model: the model for nlu/ alone, named by its training data, trained when missing.

A model is named `crisisbot-<hash>.tar.gz`, where the hash covers everything Rasa trains from (config.yml,
domain.yml, nlu/train/, and the Rasa version). A model matching the current files is reused; otherwise
`rasa train` runs in the engine environment, its progress shown as it goes.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import shutil
import subprocess
import time
from pathlib import Path

from bot.errors import ConfigurationError
from bot.runtime.processes import die_with_parent
from bot.runtime.rasa_env import RASA_VERSION, engine_environment, rasa_executable
from bot.settings import Settings

logger = logging.getLogger(__name__)

MODEL_PREFIX = "crisisbot-"


def training_files(project_dir: Path) -> list[Path]:
    files = [project_dir / "config.yml", project_dir / "domain.yml"]
    files += sorted(p for p in (project_dir / "nlu" / "train").rglob("*") if p.suffix in (".yml", ".yaml"))
    return files


def training_hash(project_dir: Path) -> str:
    """A short fingerprint of the training data and domain: the model's name."""
    digest = hashlib.sha256(RASA_VERSION.encode())
    for path in training_files(project_dir):
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def model_name(project_dir: Path) -> str:
    return f"{MODEL_PREFIX}{training_hash(project_dir)}"


def current_model(settings: Settings) -> Path:
    """Where the model for the current training data is (or will be)."""
    return settings.models_dir / f"{model_name(settings.project_dir)}.tar.gz"


def ensure_model(settings: Settings, *, force: bool = False) -> Path:
    """The model for the current training data, trained first when there is none."""
    target = current_model(settings)
    settings.models_dir.mkdir(parents=True, exist_ok=True)
    # One training at a time, even across processes (`make run` and `make test` side by side).
    with open(settings.models_dir / ".train.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and not force:
            return target
        train(settings, target)
    return target


def train(settings: Settings, target: Path) -> None:
    scratch = settings.models_dir / ".training"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    name = target.name.removesuffix(".tar.gz")
    project = settings.project_dir
    command = [
        str(rasa_executable(settings)),
        "train",
        "--data", str(project / "nlu" / "train"),
        "--domain", str(project / "domain.yml"),
        "--config", str(project / "config.yml"),
        "--out", str(scratch),
        "--fixed-model-name", name,
    ]
    print(f"Training model {name} (about 2 minutes)...", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=project, env=engine_environment(settings), preexec_fn=die_with_parent)
    try:
        returncode = process.wait()
    finally:
        if process.poll() is None:  # interrupted (Ctrl-C, SIGTERM): no training left running behind us
            process.terminate()
            process.wait()
    trained = scratch / target.name
    if returncode != 0 or not trained.exists():
        raise ConfigurationError(f"Training failed (rasa train exited with {returncode}); see its output above.")
    trained.replace(target)
    shutil.rmtree(scratch, ignore_errors=True)
    print(f"Model {name} trained in {time.monotonic() - started:.0f}s: {target}", flush=True)
