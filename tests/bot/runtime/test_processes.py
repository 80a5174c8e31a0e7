"""The process helpers (bot/runtime/processes.py): a training runs below everything, and dies with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from bot.runtime.processes import BACKGROUND_NICENESS, background_child, raise_on_sigterm, signal_group


def test_a_background_child_runs_at_the_lowest_priority() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import os; print(os.nice(0))"], preexec_fn=background_child, capture_output=True, text=True
    )
    assert int(out.stdout) == os.nice(0) + BACKGROUND_NICENESS


def test_sigterm_stops_like_ctrl_c() -> None:
    previous = signal.getsignal(signal.SIGTERM)
    try:
        raise_on_sigterm()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_signalling_a_group_that_is_gone_is_no_error() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"], start_new_session=True)
    child.wait()
    signal_group(child.pid, signal.SIGTERM)
