"""The whole assistant as `make run` starts it: real action server, Rasa and gateway, chatted with over HTTP."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid

import aiohttp
import pytest

from bot.settings import ROOT
from tests.support.stack import Stack

pytestmark = pytest.mark.stack


async def chat(session: aiohttp.ClientSession, stack: Stack, sender: str, text: str) -> list[dict]:
    async with session.post(
        f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def transcript(stack: Stack, conversation: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "transcript", conversation],
        cwd=ROOT,
        env=dict(os.environ, DATABASE_URL=stack.settings.database_url),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


async def test_health_reports_every_part_and_the_model(stack: Stack) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.url}/healthz") as response:
            body = await response.json()
    assert response.status == 200
    assert {k: body[k] for k in ("gateway", "database", "rasa", "action_server")} == dict.fromkeys(
        ("gateway", "database", "rasa", "action_server"), "up"
    )
    assert body["model"].startswith("crisisbot-")


async def test_a_conversation_of_several_turns_is_answered_and_stored(stack: Stack) -> None:
    sender = f"artisan-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        greeting = await chat(session, stack, sender, "Bonjour")
        assert "bonjour" in texts(greeting).lower()
        buttons = [b for r in greeting for b in r.get("buttons", [])]
        assert buttons, "the greeting offers the menu"

        menu = await chat(session, stack, sender, "menu")
        topics = {b["payload"] for r in menu for b in r.get("buttons", [])}
        assert {"/faq_pge", "/faq_fonds_solidarite", "/faq_activite_partielle", "/contact_chambre"} <= topics

        pge = await chat(session, stack, sender, "/faq_pge")  # a click on the menu's button
        assert "25 %" in texts(pge) or "25%" in texts(pge)

        partial = await chat(session, stack, sender, "chomage partiel pr mon salarie c koi les demarches")
        assert "activitepartielle.emploi.gouv.fr" in texts(partial)

        distress = await chat(session, stack, sender, "je vais tout perdre je n'en peux plus")
        assert "0 805 65 50 50" in texts(distress)
        assert "conseiller" in texts(distress), "and a person is on the way"

        # The conversation now waits for an adviser: the bot only says, once, that the message was passed on.
        passed_on = await chat(session, stack, sender, "merci au revoir")
        assert "transmis" in texts(passed_on)

    printed = transcript(stack, f"rest:{sender}")
    lines = printed.splitlines()
    assert [line.split()[2] for line in lines][:2] == ["artisan", "bot"]
    assert "chomage partiel pr mon salarie" in printed and "[faq_activite_partielle" in printed
    assert "[distress" in printed
    assert printed.count(" artisan ") == 6


async def test_misunderstood_twice_hands_the_artisan_to_a_person(stack: Stack) -> None:
    sender = f"lost-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        first = await chat(session, stack, sender, "zorglub quantique bidule")
        second = await chat(session, stack, sender, "plouf tralala schmilblick")
    assert "reformuler" in texts(first).lower() or "compris" in texts(first).lower()
    assert any(b["payload"] == "/faq_pge" for r in first for b in r.get("buttons", [])), "first, topics to choose"
    assert "conseiller" in texts(second) and "continuer à écrire" in texts(second), "then a person"


async def test_a_crashed_action_server_is_restarted_and_health_says_so(stack: Stack) -> None:
    log_before = stack.log()
    actions_pid = next(
        pid for pid in stack.group_pids()
        if "run actions" in open(f"/proc/{pid}/cmdline").read().replace("\0", " ")
    )
    os.killpg(actions_pid, signal.SIGKILL)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.url}/healthz") as response:
            down = await response.json()
        assert response.status == 503 and down["down"] == ["action_server"]
        for _ in range(120):
            await asyncio.sleep(0.5)
            async with session.get(f"{stack.url}/healthz") as response:
                if response.status == 200:
                    break
        assert response.status == 200, "the action server came back"
    assert "actions exited with code -9; restarting it" in stack.log()[len(log_before):]


async def test_the_engine_token_is_on_no_command_line_and_rasa_still_requires_it(stack: Stack) -> None:
    """Any local user reads command lines in `ps`: Rasa takes the token from its environment (engine/rasa_server.py)."""
    token = stack.settings.engine_token.encode()
    command_lines = {}
    for pid in stack.group_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command_lines[pid] = f.read()
        except FileNotFoundError:
            continue
    assert any(b"engine.rasa_server" in line for line in command_lines.values())
    assert [pid for pid, line in command_lines.items() if token in line] == []
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{stack.settings.rasa_url}/status") as response:
            assert response.status == 401
        async with session.get(f"{stack.settings.rasa_url}/status", params={"token": stack.settings.engine_token}) as response:
            assert response.status == 200


def test_rasa_and_the_action_server_yield_the_cpu_to_the_gateway(stack: Stack) -> None:
    """When Rasa is saturated, the gateway must still answer webhooks at once: the engine runs at nice 5."""
    niceness = {}
    for pid in stack.group_pids():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                nice = int(f.read().rsplit(")", 1)[1].split()[16])
        except FileNotFoundError:
            continue
        if b"serve" in argv:
            niceness["gateway"] = nice
        elif b"actions" in argv and b"run" in argv:
            niceness["actions"] = nice
        elif b"engine.rasa_server" in argv:
            niceness["rasa"] = nice
    assert niceness == {"gateway": 0, "actions": 5, "rasa": 5}
