"""This module contains RasaClient, the gateway's client for Rasa and the action server (loopback, token)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from bot.errors import EngineError, EngineUnavailable

logger = logging.getLogger(__name__)

# Loading a model takes Rasa some seconds on 2 cores; far more means something is wrong.
MODEL_LOAD_TIMEOUT = 300.0


@dataclass(frozen=True)
class RasaReply:
    """What Rasa made of one artisan message: its answer, and the intent it recognised.

    `incident` names what went wrong inside Rasa while it answered ("circuit_breaker": its turn would not
    end and was stopped), None when nothing did.
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    intent: str | None = None
    confidence: float | None = None
    incident: str | None = None


@dataclass(frozen=True)
class EngineStatus:
    rasa_up: bool
    actions_up: bool
    model: str | None


class RasaClient:
    """Talks to Rasa through its `gateway` channel (engine/gateway_channel.py) and its HTTP API.

    The aiohttp session is injected: the app opens and closes it in its cleanup context.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        rasa_url: str,
        actions_url: str,
        token: str,
        timeout: float = 20.0,
    ) -> None:
        self._session = session
        self._rasa_url = rasa_url.rstrip("/")
        self._actions_url = actions_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def send(
        self,
        conversation_id: str,
        text: str,
        message_id: str,
        *,
        retry: bool = False,
        metadata: dict[str, Any] | None = None,
    ) -> RasaReply:
        """Hand one artisan message to Rasa and return its answer.

        `retry` says the message may already have reached Rasa (the gateway stopped before storing the
        answer): Rasa then returns the answer it gave instead of handling the message twice.
        """
        body = {
            "sender": conversation_id,
            "message": text,
            "message_id": message_id,
            "retry": retry,
            "metadata": metadata or {},
        }
        url = f"{self._rasa_url}/webhooks/gateway/webhook"
        try:
            async with self._session.post(
                url, json=body, headers=self._headers, timeout=self._timeout
            ) as response:
                if response.status >= 500 or response.status == 404:
                    # 404: Rasa is up but still loading its channels, or has no model yet.
                    raise EngineUnavailable(f"Rasa answered {response.status}")
                if response.status != 200:
                    raise EngineError(f"Rasa refused the message: {response.status} {await response.text()}")
                data = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise EngineUnavailable(f"Rasa is not reachable: {exc!r}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
            raise EngineError(f"Rasa's answer has an unexpected shape: {str(data)[:200]}")
        confidence = data.get("confidence")
        incident = data.get("incident")
        return RasaReply(
            messages=[m for m in data["messages"] if isinstance(m, dict)],
            intent=data.get("intent"),
            confidence=float(confidence) if confidence is not None else None,
            incident=str(incident) if incident else None,
        )

    async def resume(self, conversation_id: str, *, offered_callback: bool = False) -> None:
        """Resume a Rasa conversation the handoff action paused, with no form left active: the bot starts
        afresh on the artisan's next message, the conversation's history kept.

        The closing `action_listen` is what makes the next message a new exchange. Every turn of Rasa ends
        with it, but a paused conversation stops predicting before it: without it, the next message is read
        as coming straight after the handoff action, a state no rule covers, and Rasa's circuit breaker counts
        the actions since the last `action_listen`, so a turn that hit it would leave the next one no action
        at all (issue 19: nine "je n'ai pas compris", then silence).

        `offered_callback` says the gateway's last words asked whether an adviser should call back (the wait
        expired, the adviser left): `utter_offer_callback` marks it in the tracker, so that a typed "oui"
        starts the callback form (nlu/train/rules_requests.yml).
        """
        events: list[dict[str, Any]] = [
            {"event": "resume"},
            {"event": "active_loop", "name": None},
            {"event": "slot", "name": "requested_slot", "value": None},
        ]
        if offered_callback:
            events.append({"event": "action", "name": "utter_offer_callback"})
        events.append({"event": "action", "name": "action_listen"})
        url = f"{self._rasa_url}/conversations/{conversation_id}/tracker/events"
        try:
            async with self._session.post(
                url,
                json=events,
                params={"token": self._token, "include_events": "NONE"},
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise EngineError(f"Rasa refused to resume: {response.status} {(await response.text())[:200]}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise EngineUnavailable(f"Rasa is not reachable: {exc!r}") from exc

    async def load_model(self, path: Path) -> None:
        """Have the running Rasa server load the model file at `path` and serve it from the next message on.

        Rasa loads it beside the model it serves, then swaps them; it may answer nothing for the seconds
        the loading takes, which the message path waits through (it retries, never fails, on a timeout).
        """
        url = f"{self._rasa_url}/model"
        timeout = aiohttp.ClientTimeout(total=MODEL_LOAD_TIMEOUT)
        try:
            async with self._session.put(
                url, json={"model_file": str(path)}, params={"token": self._token}, timeout=timeout
            ) as response:
                if response.status != 204:
                    raise EngineError(f"Rasa could not load {path.name}: {response.status} {(await response.text())[:300]}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise EngineUnavailable(f"Rasa is not reachable: {exc!r}") from exc

    async def loaded_model(self) -> str | None:
        """The name of the model Rasa serves (its file name without .tar.gz), or None when Rasa is down."""
        return await self._rasa_status()

    async def status(self) -> EngineStatus:
        """Whether Rasa and the action server answer, and the name of the model Rasa has loaded."""
        rasa, actions = await asyncio.gather(self._rasa_status(), self._actions_up())
        return EngineStatus(rasa_up=rasa is not None, actions_up=actions, model=rasa)

    async def _rasa_status(self) -> str | None:
        timeout = aiohttp.ClientTimeout(total=3)
        try:
            async with self._session.get(
                f"{self._rasa_url}/status", params={"token": self._token}, timeout=timeout
            ) as response:
                if response.status != 200:
                    return None
                data = await response.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
            return None
        model_file = str(data.get("model_file") or "")
        return model_file.rsplit("/", 1)[-1].removesuffix(".tar.gz") or None

    async def _actions_up(self) -> bool:
        timeout = aiohttp.ClientTimeout(total=3)
        try:
            async with self._session.get(f"{self._actions_url}/health", timeout=timeout) as response:
                return response.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return False
