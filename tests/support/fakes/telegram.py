"""This module contains FakeTelegram, a local Telegram Bot API server; the updates Telegram sends are built by
tests.support.fakes.telegram_updates (and importable from here).

The server runs in a thread of its own (tests.support.fakes.server). Point the gateway at it with
`TELEGRAM_API_URL=fake.url`.

    fake = FakeTelegram().start()
    ...                                  # the gateway sends; tests read fake.sent, fake.calls, fake.webhook
    fake.stop()

It answers what python-telegram-bot 22 calls (getMe, setWebhook, deleteWebhook, getUpdates, sendMessage,
answerCallbackQuery, editMessage*, sendChatAction) the way the Bot API does, refuses what Telegram would
refuse (an empty or too long text, callback data over 64 bytes), and answers `true` to any other method.
`fail_next()` makes the next calls of a method fail with a Telegram error (429 flood control by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.support.fakes.server import FakeServer
from tests.support.fakes.telegram_updates import (
    callback_update,
    contact_update,
    edited_update,
    message_update,
    photo_update,
    text_update,
    voice_update,
)

# The fake and the updates it is fed, from one module: `from tests.support.fakes import telegram as tg`.
__all__ = ["FakeTelegram", "callback_update", "contact_update", "edited_update", "message_update", "photo_update", "text_update", "voice_update"]

# getUpdates waits at most this long for an update, whatever `timeout` asks: tests and shutdowns stay quick.
LONG_POLL_CAP = 1.0
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64
# Parameters python-telegram-bot sends JSON-encoded inside a form, and those that are numbers.
JSON_PARAMS = frozenset(
    {"reply_markup", "allowed_updates", "entities", "caption_entities", "link_preview_options",
     "reply_parameters", "media", "commands", "results"}
)
INT_PARAMS = frozenset({"chat_id", "offset", "limit", "message_id", "message_thread_id", "cache_time", "user_id"})
FLOAT_PARAMS = frozenset({"timeout"})
BOOL_PARAMS = frozenset({"drop_pending_updates", "disable_notification", "show_alert", "protect_content"})
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def _decode(name: str, value: Any) -> Any:
    """A parameter as the Bot API reads it: JSON inside forms, numbers and booleans from their text."""
    if not isinstance(value, str):
        return value
    try:
        if name in JSON_PARAMS:
            return json.loads(value)
        if name in INT_PARAMS:
            return int(value)
        if name in FLOAT_PARAMS:
            return float(value)
    except ValueError:
        return value
    if name in BOOL_PARAMS:
        return value.lower() == "true"
    return value


class _Failure:
    def __init__(self, status: int, retry_after: int | None, description: str, times: int, after: int) -> None:
        self.status, self.retry_after, self.description, self.times = status, retry_after, description, times
        self.after = after

    def answer(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.status == 429 and self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


class FakeTelegram(FakeServer):
    """A Telegram Bot API server on 127.0.0.1, on a free port, recording every call."""

    name = "fake-telegram"

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        # A token shaped like Telegram's (bot id, colon, secret), fresh for each fake unless given.
        self.token = token or f"{secrets.randbelow(10**9) + 10**9}:{secrets.token_urlsafe(26)}"
        self.sent: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self.updates: list[dict[str, Any]] = []
        bot_id = self.token.split(":", 1)[0]
        self.bot_user = {
            "id": int(bot_id) if bot_id.isdigit() else 1,
            "is_bot": True,
            "first_name": "Crisisbot",
            "username": "crisisbot_test_bot",
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._message_ids = itertools.count(1)
        self._failures: dict[str, list[_Failure]] = {}
        self._pushed: asyncio.Event | None = None
        self._stopping = False

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._handle)

    async def _started(self) -> None:
        self._pushed = asyncio.Event()

    def _stopping_now(self) -> None:
        self._stopping = True
        if self._loop is not None and self._pushed is not None:
            self._loop.call_soon_threadsafe(self._pushed.set)  # pending long polls answer now

    # --- what tests drive and read ------------------------------------------------------------------------

    def texts_to(self, chat_id: int | str) -> list[str]:
        """The texts sent to a chat, in order."""
        with self._lock:
            return [m["text"] for m in self.sent if str(m["chat_id"]) == str(chat_id) and m["text"] is not None]

    def methods(self) -> list[str]:
        """The methods called so far, in order."""
        with self._lock:
            return [call["method"] for call in self.calls]

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """The next `times` calls of `method` answer this Telegram error (once `after` calls went through).

        `retry_after` is sent only with a 429 (as Telegram does); the description defaults to Telegram's own
        for the status ("Forbidden: bot was blocked by the user" for 403, ...).
        """
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else DEFAULT_DESCRIPTIONS.get(status, "Error")
            )
        with self._lock:
            self._failures.setdefault(method, []).append(_Failure(status, retry_after, description, times, after))

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode)."""
        with self._lock:
            self.updates.append(update)
        if self._loop is not None and self._pushed is not None:
            self._loop.call_soon_threadsafe(self._pushed.set)

    def _timeout_message(self, predicate: Callable[[], Any], timeout: float) -> str:
        with self._lock:
            methods = [call["method"] for call in self.calls[-10:]]
            texts = [(m["chat_id"], (m["text"] or "")[:60]) for m in self.sent[-5:]]
        return (
            f"FakeTelegram: the condition was still false after {timeout:g} s. "
            f"Last calls: {methods}; last messages sent (chat, text): {texts}"
        )

    # --- the Bot API --------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        params = await self._params(request)
        with self._lock:
            self.calls.append({"method": method, "params": params, "at": time.monotonic()})
            failures = self._failures.get(method)
            failure = failures[0] if failures else None
            if failure is not None and failure.after > 0:
                failure.after -= 1
                failure = None
            elif failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    failures.pop(0)
        if failure is not None:
            return failure.answer()
        if method == "getUpdates":
            return self._ok(await self._get_updates(params))
        if method.startswith("send") and method != "sendChatAction" and not await self.accepts(request):
            return web.Response(status=499)  # nobody to answer: nothing was sent
        handler = getattr(self, f"_api_{method}", None)
        if handler is not None:
            return handler(params)
        if method.startswith(("send", "edit")):
            return self._record_message(method, params, text=params.get("caption"))
        return self._ok(True)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            with contextlib.suppress(ValueError):
                body = await request.json()
                if isinstance(body, dict):
                    params.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            for name, value in (await request.post()).items():
                params[name] = value.filename if isinstance(value, web.FileField) else value
        return {name: _decode(name, value) for name, value in params.items()}

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return web.json_response({"ok": True, "result": result})

    @staticmethod
    def _bad_request(description: str) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": 400, "description": f"Bad Request: {description}"}, status=400
        )

    def _api_sendChatAction(self, _: dict[str, Any]) -> web.Response:
        return self._ok(True)

    def _api_getMe(self, _: dict[str, Any]) -> web.Response:
        return self._ok(self.bot_user)

    def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        url = params.get("url") or ""
        with self._lock:
            self.webhook = (
                {
                    "url": url,
                    "secret_token": params.get("secret_token"),
                    "allowed_updates": params.get("allowed_updates"),
                }
                if url
                else None
            )
        return self._ok(True)

    def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        with self._lock:
            self.webhook = None
            if params.get("drop_pending_updates"):
                self.updates.clear()
        return self._ok(True)

    def _api_getWebhookInfo(self, _: dict[str, Any]) -> web.Response:
        with self._lock:
            webhook, pending = self.webhook, len(self.updates)
        info: dict[str, Any] = {
            "url": webhook["url"] if webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": pending,
        }
        if webhook and webhook.get("allowed_updates"):
            info["allowed_updates"] = webhook["allowed_updates"]
        return self._ok(info)

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Updates from `offset` on; those before it are confirmed and forgotten, as Telegram does."""
        assert self._pushed is not None
        offset = params.get("offset") if isinstance(params.get("offset"), int) else None
        limit = params.get("limit") if isinstance(params.get("limit"), int) else 100
        timeout = params.get("timeout") if isinstance(params.get("timeout"), (int, float)) else 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(float(timeout), LONG_POLL_CAP)
        while True:
            self._pushed.clear()
            with self._lock:
                if offset is not None and offset > 0:
                    self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
                pending = list(self.updates[:limit])
            remaining = deadline - loop.time()
            if pending or remaining <= 0 or self._stopping:
                return pending
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._pushed.wait(), remaining)

    def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            return self._bad_request("message text is empty")
        if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
            return self._bad_request("message is too long")
        return self._record_message("sendMessage", params, text=text)

    def _api_editMessageText(self, params: dict[str, Any]) -> web.Response:
        return self._record_message("editMessageText", params, text=params.get("text"))

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> web.Response:
        return self._record_message("editMessageReplyMarkup", params, text=None)

    def _record_message(self, method: str, params: dict[str, Any], *, text: str | None) -> web.Response:
        chat_id = params.get("chat_id")
        markup = params.get("reply_markup")
        if not isinstance(markup, dict):
            markup = None
        if chat_id is None or chat_id == "":
            if method.startswith("edit") and params.get("inline_message_id"):
                return self._ok(True)
            return self._bad_request("chat_id is empty")
        for row in (markup or {}).get("inline_keyboard") or []:
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                    return self._bad_request("BUTTON_DATA_INVALID")
        if method.startswith("edit") and isinstance(params.get("message_id"), int):
            message_id = params["message_id"]
        else:
            message_id = next(self._message_ids)
        with self._lock:
            self.sent.append(
                {
                    "method": method,
                    "chat_id": chat_id,
                    "text": text,
                    "reply_markup": markup,
                    "at": time.monotonic(),
                    "message_id": message_id,
                }
            )
        numeric = isinstance(chat_id, int)
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"} if numeric else {"id": -1, "type": "channel", "username": str(chat_id)},
            "from": self.bot_user,
        }
        if text is not None:
            message["text" if method in ("sendMessage", "editMessageText") else "caption"] = text
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return self._ok(message)
