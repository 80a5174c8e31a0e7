"""The supervisor: waits for its children, restarts one that crashes, and stops them all, leaving nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap

import pytest

from bot.runtime.supervisor import Child, Supervisor
from tests.support.stack import free_port

# A child that serves HTTP and starts a grandchild in its own process group, as Rasa's workers would.
SERVER = textwrap.dedent(
    """
    import http.server, subprocess, sys
    subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()
    """
)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == pgid and alive(int(entry)):
                    members.append(int(entry))
            except ProcessLookupError:
                pass
    return members


def child(name: str) -> Child:
    port = free_port()
    return Child(name, [sys.executable, "-c", SERVER, str(port)], dict(os.environ), f"http://127.0.0.1:{port}/")


async def wait_for(predicate, timeout: float = 15) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


@pytest.fixture
async def running(tmp_path):
    ready = asyncio.Event()
    supervisor = Supervisor([child("one"), child("two")], cwd=tmp_path, on_ready=ready.set, ready_timeout=30)
    task = asyncio.create_task(supervisor.run())
    await asyncio.wait_for(ready.wait(), 30)
    yield supervisor, task
    supervisor.stop()
    await asyncio.wait_for(task, 30)


async def test_a_crashed_child_is_restarted(running, caplog: pytest.LogCaptureFixture) -> None:
    supervisor, _ = running
    crashed = supervisor.children[0]
    first_pid = crashed.process.pid
    os.kill(first_pid, signal.SIGKILL)

    await wait_for(lambda: crashed.process.pid != first_pid and crashed.process.returncode is None)
    assert crashed.restarts == 1
    assert "one exited with code -9; restarting it" in caplog.text
    assert supervisor.children[1].restarts == 0


async def test_stop_leaves_no_process_behind(running) -> None:
    supervisor, task = running
    groups = [c.process.pid for c in supervisor.children]
    await wait_for(lambda: all(len(group_members(g)) == 2 for g in groups))  # child and grandchild

    supervisor.stop()
    assert await asyncio.wait_for(task, 30) == 0
    assert [group_members(g) for g in groups] == [[], []]


async def test_a_child_that_cannot_start_fails_the_run(tmp_path) -> None:
    broken = Child("broken", [sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ), f"http://127.0.0.1:{free_port()}/")
    supervisor = Supervisor([broken], cwd=tmp_path, ready_timeout=30)
    assert await asyncio.wait_for(supervisor.run(), 30) == 1


def test_the_engine_token_reaches_rasa_through_its_environment_not_its_command_line(tmp_path) -> None:
    """Any local user reads a command line in `ps`; engine/rasa_server.py adds the token inside Rasa's process."""
    from dataclasses import replace

    from bot.runtime.supervisor import build_children
    from bot.settings import Settings

    settings = replace(Settings(), engine_token="-starts-with-a-dash")
    children = build_children(settings, tmp_path / "model.tar.gz")
    assert not [child.name for child in children if any("starts-with-a-dash" in arg for arg in child.argv)]
    rasa = next(child for child in children if child.name == "rasa")
    assert rasa.argv[1:4] == ["-m", "engine.rasa_server", "run"]
    assert rasa.env["CRISISBOT_ENGINE_TOKEN"] == "-starts-with-a-dash"


def test_the_launcher_gives_rasa_the_token_as_one_argument_even_when_it_starts_with_a_dash(monkeypatch) -> None:
    """secrets.token_urlsafe starts with "-" once in 64 runs: Rasa must not read it as an option."""
    import types

    from engine import rasa_server

    seen: list[list[str]] = []
    fake = types.ModuleType("rasa.__main__")
    fake.main = lambda: seen.append(list(sys.argv))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "rasa", types.ModuleType("rasa"))
    monkeypatch.setitem(sys.modules, "rasa.__main__", fake)
    monkeypatch.setenv("CRISISBOT_ENGINE_TOKEN", "-starts-with-a-dash")
    monkeypatch.setattr(sys, "argv", ["engine/rasa_server.py", "run", "--enable-api"])
    rasa_server.main()
    assert seen == [["rasa", "run", "--enable-api", "--auth-token=-starts-with-a-dash"]]


def test_the_launcher_refuses_to_start_rasa_without_a_token(monkeypatch) -> None:
    from engine import rasa_server

    monkeypatch.delenv("CRISISBOT_ENGINE_TOKEN", raising=False)
    with pytest.raises(SystemExit, match="CRISISBOT_ENGINE_TOKEN is missing"):
        rasa_server.main()
