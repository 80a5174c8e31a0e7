"""A model switch under a conversation load: what artisans see while Rasa loads a model.

Conversations run through the gateway's web chat for a while; in the middle, Rasa is told to load a model
(`PUT /model`, what an activation does: bot/retrain/registry.py). It prints how long the switch took, the
messages sent during it, errors (no answer, an HTTP error, or the "cannot process your message" apology), and
latency percentiles before, during and after the switch.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.burst import percentile
from bot.messaging.replies import ENGINE_FAILED
from tests.support.stack import Stack

SCRIPT = ["bonjour", "c quoi le fonds de solidarite", "et le pge ?", "chomage partiel comment faire", "merci"]


@dataclass
class Sample:
    sent_at: float
    latency_ms: float
    ok: bool


@dataclass
class Load:
    samples: list[Sample] = field(default_factory=list)
    running: bool = True


async def converse(session: aiohttp.ClientSession, url: str, load: Load) -> None:
    while load.running:
        sender = f"switch-{uuid.uuid4().hex[:10]}"
        for text in SCRIPT:
            if not load.running:
                return
            started = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    body = await response.json()
                    ok = (
                        response.status == 200
                        and isinstance(body, list)
                        and bool(body)
                        and not any(m.get("text") == ENGINE_FAILED for m in body)
                    )
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                ok = False
            load.samples.append(Sample(started, (time.perf_counter() - started) * 1000, ok))


async def run(stack: Stack, model: Path, concurrency: int = 8, warmup: float = 10.0, after: float = 10.0) -> None:
    url = f"{stack.url}/webhooks/rest/webhook"
    load = Load()
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        workers = [asyncio.create_task(converse(session, url, load)) for _ in range(concurrency)]
        await asyncio.sleep(warmup)
        switch_start = time.perf_counter()
        async with session.put(
            f"{stack.settings.rasa_url}/model",
            params={"token": stack.settings.engine_token},
            json={"model_file": str(model)},
        ) as response:
            status = response.status
        switch_end = time.perf_counter()
        await asyncio.sleep(after)
        load.running = False
        await asyncio.gather(*workers)

    def phase(start: float, end: float) -> list[Sample]:
        return [s for s in load.samples if start <= s.sent_at < end]

    phases = {
        "before": phase(0, switch_start),
        "during": phase(switch_start, switch_end),
        "after": phase(switch_end, float("inf")),
    }
    errors = sum(1 for s in load.samples if not s.ok)
    print(f"\nModel switch under load ({concurrency} web chat conversations at once)")
    print(f"  PUT /model answered {status} after {switch_end - switch_start:.1f} s")
    print(f"  messages: {len(load.samples)} in all, {len(phases['during'])} sent during the switch, {errors} errors")
    print(f"  {'phase':<8} {'messages':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, samples in phases.items():
        latencies = sorted(s.latency_ms for s in samples)
        if latencies:
            print(
                f"  {name:<8} {len(latencies):>8} {percentile(latencies, 50):>8.0f} "
                f"{percentile(latencies, 99):>8.0f} {latencies[-1]:>8.0f}"
            )
