"""This module contains FakeWhatsApp, a local stand-in for Meta's Graph API, and builders of webhook bodies.

The fake runs an aiohttp server on 127.0.0.1 in a thread with its own event loop, so a test's event loop,
a blocking test and a gateway in another process can all use it. It checks what Meta checks where that is
cheap (the token, the phone number id, the limits of interactive messages) and records every request.
The builders copy the structure of real webhook bodies (`text_message`, `button_reply`, `status_update`);
`FakeWhatsApp.signed` signs them as Meta does, with the app secret.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.support.fakes.server import FakeServer

GRAPH_VERSION = "v21.0"
BUSINESS_ACCOUNT_ID = "102290129340398"
DISPLAY_PHONE_NUMBER = "33970000000"


class FakeWhatsApp(FakeServer):
    """A Graph API that accepts `POST /<version>/<phone number id>/messages` like Meta's Cloud API."""

    name = "fake-whatsapp"

    def __init__(
        self,
        access_token: str | None = None,
        phone_number_id: str = "1122334455667",
        app_secret: str | None = None,
    ) -> None:
        super().__init__()
        # Fresh credentials for each fake unless given: nothing secret-looking is written down.
        self.access_token = access_token or secrets.token_urlsafe(24)
        self.phone_number_id = phone_number_id
        self.app_secret = app_secret or secrets.token_hex(16)
        self.sent: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        # What the next message requests get: None lets one through, (code, status, message) refuses it.
        self._failures: list[tuple[int, int, str] | None] = []
        self._ids = itertools.count(1)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)

    def url_for(self, host: str, port: int) -> str:
        return f"http://{host}:{port}/{GRAPH_VERSION}"

    # --- What tests arrange and read -----------------------------------------------------------------------

    def fail_next(
        self, *, code: int = 130429, status: int = 400, message: str = "Rate limit hit", times: int = 1, after: int = 0
    ) -> None:
        """Answer the next `times` message requests (once `after` more went through) with this Graph error."""
        with self._lock:
            self._failures.extend([None] * after + [(code, status, message)] * times)

    def texts_to(self, wa_id: str) -> list[str]:
        """What `wa_id` was sent, in order: text bodies, interactive bodies and template parameters."""
        texts = []
        for body in self.sent_to(wa_id):
            kind = body.get("type")
            if kind == "text":
                texts.append(body["text"]["body"])
            elif kind == "interactive":
                texts.append(body["interactive"].get("body", {}).get("text", ""))
            elif kind == "template":
                for component in body["template"].get("components", []):
                    texts.extend(p.get("text", "") for p in component.get("parameters", []) if p.get("type") == "text")
        return texts

    def sent_to(self, wa_id: str) -> list[dict[str, Any]]:
        """The accepted message bodies sent to `wa_id`, in order."""
        with self._lock:
            return [body for body in self.sent if body.get("to") == wa_id]

    def signed(self, body: dict[str, Any] | bytes) -> tuple[bytes, dict[str, str]]:
        """A webhook body and the headers Meta would send with it (a valid X-Hub-Signature-256)."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        signature = hmac.new(self.app_secret.encode(), raw, hashlib.sha256).hexdigest()
        return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": f"sha256={signature}"}

    def _timeout_message(self, predicate: Callable[[], Any], timeout: float) -> str:
        with self._lock:
            recent = [_summary(body) for body in self.sent[-5:]]
            refused = sum(1 for request in self.requests if request["status"] >= 400)
        name = getattr(predicate, "__name__", "the condition")
        return (
            f"{name} still false after {timeout:.0f} s; the fake WhatsApp accepted {len(self.sent)} message(s) "
            f"(last: {recent}) and refused {refused} request(s)."
        )

    # --- The Graph API -------------------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            body = None
        record: dict[str, Any] = {
            "at": time.monotonic(),
            "path": request.path,
            "authorization": request.headers.get("Authorization", ""),
            "body": body,
        }
        if not await self.accepts(request):
            return web.Response(status=499)  # the client hung up: nothing was sent
        response = self._answer(request, body)
        record["status"] = response.status
        with self._lock:
            self.requests.append(record)
        return response

    def _answer(self, request: web.Request, body: Any) -> web.Response:
        if request.headers.get("Authorization", "") != f"Bearer {self.access_token}":
            return _graph_error(401, 190, "Error validating access token: Session has expired.")
        if request.match_info["phone_number_id"] != self.phone_number_id:
            return _graph_error(
                400, 100, f"Unsupported post request. Object with ID '{request.match_info['phone_number_id']}' does not exist."
            )
        if not isinstance(body, dict):
            return _graph_error(400, 100, "Invalid parameter", "The request body is not a JSON object.")
        problem = _problem(body)
        if problem:
            return _graph_error(400, 100, "Invalid parameter", problem)
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            code, status, message = failure
            return _graph_error(status, code, message, message)
        wamid = f"wamid.fake{next(self._ids):06d}{uuid.uuid4().hex[:12]}"
        with self._lock:
            self.sent.append({**body, "at": time.monotonic(), "id": wamid})
        to = body["to"]
        return web.json_response(
            {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]}
        )


def _graph_error(status: int, code: int, message: str, details: str | None = None) -> web.Response:
    error: dict[str, Any] = {
        "message": f"(#{code}) {message}",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": uuid.uuid4().hex[:20],
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return web.json_response({"error": error}, status=status)


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str) else -1


def _problem(body: dict[str, Any]) -> str | None:
    """What Meta would refuse in a message body, or None."""
    if body.get("messaging_product") != "whatsapp":
        return "messaging_product must be whatsapp"
    if not isinstance(body.get("to"), str) or not body["to"]:
        return "to is required"
    kind = body.get("type", "text")
    if kind == "text":
        text = body.get("text") if isinstance(body.get("text"), dict) else {}
        if not 1 <= _length(text.get("body")) <= 4096:
            return "text.body must be 1 to 4096 characters"
        return None
    if kind == "interactive":
        return _interactive_problem(body.get("interactive"))
    if kind == "template":
        template = body.get("template") if isinstance(body.get("template"), dict) else {}
        if not _length(template.get("name")) > 0 or not isinstance(template.get("language"), dict):
            return "template.name and template.language are required"
        for component in template.get("components") or []:
            for parameter in component.get("parameters") or []:
                text = parameter.get("text", "")
                if not 1 <= _length(text) <= 1024 or any(c in text for c in "\n\t") or "     " in text:
                    return "template parameter text must be 1 to 1024 characters without newlines, tabs or 5 spaces"
        return None
    return f"unsupported message type {kind!r}"


def _interactive_problem(interactive: Any) -> str | None:
    if not isinstance(interactive, dict):
        return "interactive is required"
    body_text = (interactive.get("body") or {}).get("text")
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        if not 1 <= _length(body_text) <= 1024:
            return "interactive.body.text must be 1 to 1024 characters"
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= 3:
            return "action.buttons must hold 1 to 3 buttons"
        replies = [b.get("reply") or {} for b in buttons]
        if any(not 1 <= _length(r.get("title")) <= 20 for r in replies):
            return "a reply button title must be 1 to 20 characters"
        if any(not 1 <= _length(r.get("id")) <= 256 for r in replies):
            return "a reply button id must be 1 to 256 characters"
        if len({r["id"] for r in replies}) != len(replies) or len({r["title"] for r in replies}) != len(replies):
            return "reply button ids and titles must be unique"
        return None
    if interactive.get("type") == "list":
        if not 1 <= _length(body_text) <= 4096:
            return "interactive.body.text must be 1 to 4096 characters"
        if not 1 <= _length(action.get("button")) <= 20:
            return "action.button must be 1 to 20 characters"
        sections = action.get("sections") or []
        rows = [row for section in sections for row in section.get("rows") or []]
        if not 1 <= len(sections) <= 10 or not 1 <= len(rows) <= 10:
            return "a list holds 1 to 10 sections and 1 to 10 rows in all"
        if any(not 1 <= _length(row.get("title")) <= 24 for row in rows):
            return "a row title must be 1 to 24 characters"
        if any("description" in row and not 0 <= _length(row["description"]) <= 72 for row in rows):
            return "a row description must be at most 72 characters"
        if any(not 1 <= _length(row.get("id")) <= 200 for row in rows) or len({r["id"] for r in rows}) != len(rows):
            return "row ids must be unique, 1 to 200 characters"
        return None
    return f"unsupported interactive type {interactive.get('type')!r}"


def _summary(body: dict[str, Any]) -> str:
    kind = body.get("type")
    if kind == "text":
        return f"text {body['text']['body'][:40]!r}"
    if kind == "interactive":
        return f"{body['interactive'].get('type')} {str(body['interactive'].get('body', {}).get('text', ''))[:40]!r}"
    return str(kind)


# --- Webhook bodies, shaped like Meta's ----------------------------------------------------------------------


def _envelope(value: dict[str, Any], phone_number_id: str) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": BUSINESS_ACCOUNT_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": phone_number_id},
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def _new_wamid() -> str:
    return f"wamid.in{uuid.uuid4().hex}"


def inbound_message(
    wa_id: str, message: dict[str, Any], *, name: str = "Marie", phone_number_id: str = "1122334455667"
) -> dict[str, Any]:
    """A webhook body carrying one artisan message (`message` holds its type, content and optionally its id)."""
    message = {"from": wa_id, "id": _new_wamid(), "timestamp": str(int(time.time())), **message}
    contact = {"profile": {"name": name}, "wa_id": wa_id}
    return _envelope({"contacts": [contact], "messages": [message]}, phone_number_id)


def text_message(wa_id: str, text: str, wamid: str | None = None, name: str = "Marie") -> dict[str, Any]:
    """The webhook body of a text message from `wa_id`."""
    return inbound_message(wa_id, {"id": wamid or _new_wamid(), "type": "text", "text": {"body": text}}, name=name)


def button_reply(wa_id: str, button_id: str, title: str, wamid: str | None = None) -> dict[str, Any]:
    """The webhook body of a tap on a reply button (`button_id` is the id we sent)."""
    return inbound_message(
        wa_id,
        {
            "id": wamid or _new_wamid(),
            "type": "interactive",
            "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
        },
    )


def list_reply(wa_id: str, row_id: str, title: str, wamid: str | None = None, description: str | None = None) -> dict[str, Any]:
    """The webhook body of a choice in a list message (`row_id` is the id we sent)."""
    reply = {"id": row_id, "title": title, **({"description": description} if description else {})}
    return inbound_message(
        wa_id,
        {"id": wamid or _new_wamid(), "type": "interactive", "interactive": {"type": "list_reply", "list_reply": reply}},
    )


def status_update(
    wamid: str, status: str, errors: list[dict[str, Any]] | None = None, recipient_id: str = "33612345678"
) -> dict[str, Any]:
    """The webhook body of a status (sent, delivered, read, failed) of a message we sent."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient_id,
    }
    if status == "failed":
        entry["errors"] = errors or [
            {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Message Undeliverable."},
            }
        ]
    else:
        entry["conversation"] = {"id": uuid.uuid4().hex[:30], "origin": {"type": "service"}}
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
        if errors:
            entry["errors"] = errors
    return _envelope({"statuses": [entry]}, "1122334455667")
