"""`make setup` on a machine without Python 3.10: it stops before building anything and says how to get one."""

import os
import shutil
import subprocess
from pathlib import Path

from bot.settings import ROOT


def test_a_missing_python_310_is_explained(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts" / "setup.sh")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    bare_path = tmp_path / "bin"
    bare_path.mkdir()
    for tool in ("bash", "cat", "dirname", "sha256sum", "cut", "grep", "sort", "mkdir", "python3"):  # no pyenv, no python3.10
        os.symlink(shutil.which(tool, path="/usr/bin:/bin"), bare_path / tool)

    result = subprocess.run(
        ["bash", "scripts/setup.sh"], cwd=tmp_path, env={"PATH": str(bare_path), "HOME": str(tmp_path)},
        capture_output=True, text=True,
    )

    assert result.returncode == 1
    assert "Python 3.10 is needed for Rasa" in result.stderr
    assert "pyenv install 3.10" in result.stderr and "PYTHON310=" in result.stderr
    assert not (tmp_path / ".venv").exists(), "nothing built before the check"
