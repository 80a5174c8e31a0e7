"""`make bench`: what the gateway's stored message path costs, next to Rasa's own REST endpoint.

It starts the whole assistant (`crisisbot run`, with Rasa's REST channel enabled beside ours), then sends the
same French conversations through the gateway's `/webhooks/rest/webhook` and straight to Rasa's
`/webhooks/rest/webhook`, alternating rounds so both see the same machine. It prints latency percentiles,
messages per second, the gateway/Rasa ratio, and the peak memory of each process. Then a burst of webhook
deliveries on Telegram and WhatsApp (bench/burst.py), against local fakes of the two platforms: webhook and
reply latencies, lost and repeated messages. Then a model switch under a conversation load (bench/switch.py):
its duration, errors, and latencies before, during and after. Last, a broadcast of the news to 10,000
subscribers (bench/broadcast.py): time next to the platforms' floor, duplicates, missed, memory, and the reply
latency of artisans conversing meanwhile. It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench import broadcast, burst, switch
from bench.burst import percentile
from bot.runtime.base_model import current_model
from bot.settings import ROOT
from tests.support.fakes.telegram import FakeTelegram
from tests.support.fakes.whatsapp import FakeWhatsApp
from tests.support.stack import channels_env, start_stack, stop_stack

CONVERSATIONS = [
    ["bonjour", "c quoi le fonds de solidarite", "et le pge ?", "merci", "au revoir"],
    ["slt", "chomage partiel pr mes 2 salariés comment faire", "je peux reporter mes cotisations urssaf ?", "merci bcp"],
    ["bonsoir", "mon loyer je peux pas le payer", "la banque me refuse le pret", "ok merci"],
    ["bonjour", "je suis coiffeuse je peux rouvrir quand", "faut des masques pour les clients ?", "au revoir"],
    ["menu", "/faq_apprentissage", "comment joindre la chambre", "merci"],
    ["allo", "les aides de la region bourgogne", "t'es un robot ?", "bonne journée"],
]


@dataclass
class Target:
    name: str
    url: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0
    messages: int = 0


async def converse(session: aiohttp.ClientSession, target: Target, script: list[str]) -> None:
    sender = f"bench-{target.name}-{uuid.uuid4().hex[:10]}"
    for text in script:
        started = time.perf_counter()
        try:
            async with session.post(target.url, json={"sender": sender, "message": text}) as response:
                body = await response.json()
                ok = response.status == 200 and isinstance(body, list) and body
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        target.latencies.append((time.perf_counter() - started) * 1000)
        target.messages += 1
        if not ok:
            target.errors += 1


async def round_of(session: aiohttp.ClientSession, target: Target, concurrency: int, conversations: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await converse(session, target, CONVERSATIONS[i % len(CONVERSATIONS)])

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(conversations)))
    target.elapsed += time.perf_counter() - started


async def measure(gateway_url: str, rasa_url: str, concurrency: int, conversations: int, rounds: int) -> list[Target]:
    targets = [Target("gateway", f"{gateway_url}/webhooks/rest/webhook"), Target("rasa", f"{rasa_url}/webhooks/rest/webhook")]
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=0)) as session:
        for target in targets:  # warm-up: first calls load lazily initialised parts
            await converse(session, Target(target.name, target.url), CONVERSATIONS[0])
        for r in range(rounds):
            for target in targets if r % 2 == 0 else reversed(targets):
                await round_of(session, target, concurrency, conversations)
    return targets


def peak_memory_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def process_tree(root: int) -> dict[str, int]:
    """The supervisor's children, by role."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines() if line.strip()]
    roles = {}
    for pid, ppid, args in rows:
        if int(ppid) != root:
            continue
        if "run actions" in args:
            roles["action server"] = int(pid)
        elif "engine.rasa_server" in args:
            roles["rasa"] = int(pid)
        elif "bot serve" in args:
            roles["gateway"] = int(pid)
    roles["supervisor"] = root
    return roles


def report(title: str, targets: list[Target]) -> None:
    print(f"\n{title}")
    print(f"  {'endpoint':<10} {'messages':>8} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'msg/s':>7}")
    for t in targets:
        print(
            f"  {t.name:<10} {t.messages:>8} {t.errors:>6} {percentile(t.latencies, 50):>8.1f} "
            f"{percentile(t.latencies, 95):>8.1f} {percentile(t.latencies, 99):>8.1f} "
            f"{statistics.fmean(t.latencies):>8.1f} {t.messages / t.elapsed:>7.1f}"
        )
    gateway, rasa = targets
    ratio = percentile(gateway.latencies, 50) / percentile(rasa.latencies, 50)
    print(f"  gateway p50 / rasa p50 = {ratio:.3f} (the gateway adds {100 * (ratio - 1):+.1f}%)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=24, help="conversations per round and endpoint")
    parser.add_argument("--concurrency", type=int, default=8, help="conversations at once in the loaded run")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--burst-conversations", type=int, default=100, help="conversations per channel in the burst")
    parser.add_argument("--burst-messages", type=int, default=10, help="messages per conversation in the burst")
    parser.add_argument(
        "--burst-rate", type=float, default=100, help="deliveries per second in the burst (Rasa answers about 50)"
    )
    parser.add_argument(
        "--database-url", default="", help="an empty database to use (default: a fresh SQLite file)"
    )
    parser.add_argument("--only-burst", action="store_true", help="skip the web chat comparison")
    parser.add_argument("--only-switch", action="store_true", help="only the model switch under load")
    parser.add_argument("--broadcast-subscribers", type=int, default=10_000, help="subscribers of the broadcast")
    parser.add_argument("--only-broadcast", action="store_true", help="only the broadcast of the news")
    args = parser.parse_args()

    # The fake platforms answer in threads of this process: hand the interpreter over quickly, so their work
    # does not add its 5 ms default switch interval to the latencies measured here.
    sys.setswitchinterval(0.0005)
    work = Path(tempfile.mkdtemp(prefix="crisisbot-bench-"))
    credentials = work / "credentials.yml"
    credentials.write_text(
        (ROOT / "credentials.yml").read_text() + "\n# The benchmark compares with Rasa's own REST channel.\nrest:\n"
    )
    print(f"Starting the assistant for the benchmark (log: {work / 'stack.log'})...", flush=True)
    telegram, whatsapp = FakeTelegram().start(), FakeWhatsApp().start()
    stack = start_stack(
        work,
        args.database_url or f"sqlite:///{work / 'bench.db'}",
        {
            "RASA_CREDENTIALS": str(credentials), "LOG_LEVEL": "WARNING", "WHATSAPP_NEWS_TEMPLATE": "annonce_cma",
            **channels_env(telegram, whatsapp),
        },
    )
    try:
        gateway_url, rasa_url = stack.url, stack.settings.rasa_url
        only = args.only_burst or args.only_switch or args.only_broadcast
        if not only:
            sequential = asyncio.run(measure(gateway_url, rasa_url, 1, len(CONVERSATIONS), 2))
            report("One conversation at a time (latency without queueing)", sequential)
            loaded = asyncio.run(measure(gateway_url, rasa_url, args.concurrency, args.conversations, args.rounds))
            report(
                f"{args.concurrency} conversations at once, {args.rounds} rounds of {args.conversations} per endpoint",
                loaded,
            )
        if not only or args.only_burst:
            asyncio.run(
                burst.run(stack, telegram, whatsapp, args.burst_conversations, args.burst_messages, args.burst_rate)
            )
        if not only or args.only_switch:
            asyncio.run(switch.run(stack, current_model(stack.settings), args.concurrency))
        if not only or args.only_broadcast:
            asyncio.run(broadcast.run(stack, telegram, whatsapp, args.broadcast_subscribers))
        print("\nPeak memory (VmHWM)")
        for role, pid in process_tree(stack.process.pid).items():
            print(f"  {role:<14} {peak_memory_mib(pid):>8.0f} MiB")
    finally:
        stop_stack(stack)
        telegram.stop()
        whatsapp.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
