"""Inline trackers for the action tests (the artisan's latest message, the slots Rasa extracted) and messages."""

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, SlotSet, UserUttered


def answer_tracker(
    text: str,
    intent: str = "inform",
    slots: Optional[Dict[str, Any]] = None,
    candidates: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    active_loop: Optional[str] = None,
    sender_id: str = "conversation-1",
) -> Tracker:
    """The artisan just wrote ``text``; ``candidates`` are the slots Rasa extracted from it, to validate."""
    parse_data = {"intent": {"name": intent, "confidence": 0.95}, "entities": entities or [], "text": text}
    candidates = candidates or {}
    events = [
        ActionExecuted("action_listen"),
        UserUttered(text, parse_data=parse_data),
        *[SlotSet(name, value) for name, value in candidates.items()],
    ]
    return Tracker(
        sender_id,
        {**(slots or {}), **candidates},
        parse_data,
        events,
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def entity(name: str, value: str) -> Dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": 0}


def message(response: Optional[str] = None, text: Optional[str] = None, buttons=None, **kwargs) -> Dict[str, Any]:
    """A message as CollectingDispatcher records it: a named response with its variables, or a text."""
    return {
        "text": text, "buttons": buttons or [], "elements": [], "custom": {}, "template": response,
        "response": response, "image": None, "attachment": None, **kwargs,
    }
