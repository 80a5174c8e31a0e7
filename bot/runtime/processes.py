"""This module contains the small process helpers that keep `crisisbot run` from leaving anything behind."""

from __future__ import annotations

import ctypes
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Run in a child before exec: it receives SIGTERM when its parent dies, even by SIGKILL (Linux only)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal a child's whole process group (the child was started in a session of its own)."""
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def raise_on_sigterm() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so a stop during training cleans up like Ctrl-C does."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


# Training and evaluating models run below Rasa and the action server (nice 5): the artisans' conversations
# get the CPU first, the admins' training waits.
BACKGROUND_NICENESS = 10


def background_child() -> None:
    """Run in a training or evaluation process before exec: stop with its parent, at the lowest priority."""
    die_with_parent()
    os.nice(BACKGROUND_NICENESS)
