"""This module contains FakeServer, what every fake platform shares: an aiohttp server on 127.0.0.1, on a free port,
served from a thread of its own with its own event loop, so that it serves whoever calls it (a test's loop,
the gateway in a subprocess, the benchmark)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from aiohttp import web


class FakeServer:
    """Subclasses add their routes (`add_routes`), say how a timeout reads (`_timeout_message`), and may set up
    loop-bound state once serving (`_started`) or wake waiting requests before stopping (`_stopping_now`)."""

    name = "fake"

    def __init__(self) -> None:
        self.url = ""
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        # Seconds the platform takes before it accepts a message (its round trip); a client that hangs up
        # meanwhile (the gateway killed) has sent nothing.
        self.latency = 0.0
        self._held = threading.Event()

    def hold(self) -> None:
        """From now on, messages wait before the platform accepts them, until `release()`."""
        self._held.set()

    def release(self) -> None:
        self._held.clear()

    async def accepts(self, request: web.Request) -> bool:
        """Wait `latency` (and while held); False when the client is gone by then: the message never reached
        the platform."""
        if self.latency:
            await asyncio.sleep(self.latency)
        while self._held.is_set():
            await asyncio.sleep(0.01)
        transport = request.transport
        return transport is not None and not transport.is_closing()

    def add_routes(self, app: web.Application) -> None:
        raise NotImplementedError

    def url_for(self, host: str, port: int) -> str:
        """The URL the gateway is given (e.g. with the API's version)."""
        return f"http://{host}:{port}"

    async def _started(self) -> None:
        """Runs in the server's loop once it serves."""

    def _stopping_now(self) -> None:
        """Runs in the caller's thread before the server stops."""

    def _timeout_message(self, predicate: Callable[[], Any], timeout: float) -> str:
        return f"{self.name}: the condition was still false after {timeout:g} s"

    # --- running ------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Serve in a background thread; returns once `self.url` answers."""
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to start()'s caller below
                errors.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._thread = threading.Thread(target=run, name=self.name, daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"{self.name} did not start within 10 s")
        if errors:
            raise RuntimeError(f"{self.name} could not start: {errors[0]!r}") from errors[0]
        return self

    async def _serve(self) -> None:
        app = web.Application()
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.url = self.url_for(host, port)
        await self._started()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._stopping_now()
        if self._runner is not None and thread.is_alive():
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(10)
        if thread.is_alive():
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
        self._loop = self._thread = self._runner = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    # --- waiting for what the gateway sends ------------------------------------------------------------------

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 30) -> None:
        """Block until `predicate()` is true; AssertionError saying what was sent if it never is."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_message(predicate, timeout))
            time.sleep(0.02)

    async def until(self, predicate: Callable[[], Any], timeout: float = 30) -> None:
        """Wait (asynchronously) until `predicate()` is true; AssertionError if it never is."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                raise AssertionError(self._timeout_message(predicate, timeout))
            await asyncio.sleep(0.02)
