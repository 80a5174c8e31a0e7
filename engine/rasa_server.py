"""This module contains the launcher of Rasa's server, which gives Rasa the engine token from the environment.

Runs in the engine environment (Rasa 3.6, Python 3.10), started by bot/runtime/supervisor.py:

    python -m engine.rasa_server run --enable-api --port 5005 ...

It takes CRISISBOT_ENGINE_TOKEN from its environment and adds `--auth-token` to sys.argv inside the process,
before Rasa's own command line reads it: the token never reaches the kernel's copy of the command line
(/proc/<pid>/cmdline, `ps`), which any local user can read; the environment only the service's user can.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    token = os.environ.get("CRISISBOT_ENGINE_TOKEN", "")
    if not token:
        raise SystemExit("CRISISBOT_ENGINE_TOKEN is missing: Rasa's API would run without authentication.")
    from rasa.__main__ import main as rasa_main

    # One argument: a token may start with "-", which would read as an option.
    sys.argv = ["rasa", *sys.argv[1:], f"--auth-token={token}"]
    rasa_main()


if __name__ == "__main__":
    main()
