"""The live log of a job an admin reads (bot/retrain/job_log.py): progress bars rewrite their line."""

from bot.retrain.job_log import JobLog, describe
from bot.storage.models import TrainingJob


def test_the_log_keeps_lines_and_rewrites_a_progress_bar_in_place() -> None:
    echoed: list[str] = []
    log = JobLog(echo=echoed.append)
    log.feed("Training model...\nEpochs:   0%| 0/80\r")
    log.feed("Epochs:  50%| 40/80\rEpochs: 100%| 80/80\n")
    log.feed("Your Rasa model is trai")
    assert log.text() == "Training model...\nEpochs: 100%| 80/80\nYour Rasa model is trai"
    log.feed("ned.\n")
    log.say("Modèle entraîné en 60 s.")
    assert log.text().splitlines()[-2:] == ["Your Rasa model is trained.", "Modèle entraîné en 60 s."]
    # The command line prints whole lines only, never a progress bar's every step.
    assert echoed == ["Training model...", "Epochs: 100%| 80/80", "Your Rasa model is trained.", "Modèle entraîné en 60 s."]


def test_a_job_reads_for_the_live_page_with_its_log_and_outcome() -> None:
    job = TrainingJob(id=7, kind="train", status="failed", model_name=None, actor="admin", log="ligne 1", error="Erreur")
    assert describe(job) == {
        "id": 7, "kind": "train", "status": "failed", "model": None, "actor": "admin",
        "started_at": None, "finished_at": None, "log": "ligne 1", "error": "Erreur",
    }
