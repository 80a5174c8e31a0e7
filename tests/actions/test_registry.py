"""The action server starts: rasa_sdk registers the package as `rasa run actions --actions actions` does, and every
custom action the domain names is there (an abstract base class registered by mistake stops the server)."""

import json
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
REGISTER = (
    "import json; from rasa_sdk.executor import ActionExecutor; e = ActionExecutor(); "
    "e.register_package('actions'); print(json.dumps(sorted(e.actions)))"
)


def test_every_custom_action_of_the_domain_is_registered() -> None:
    # In a process of its own, from the repository, as the action server imports it.
    done = subprocess.run([sys.executable, "-c", REGISTER], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    registered = set(json.loads(done.stdout.strip().splitlines()[-1]))
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    custom = {name for name in domain["actions"] if not name.startswith("utter_")}
    assert custom <= registered, f"missing: {sorted(custom - registered)}"
