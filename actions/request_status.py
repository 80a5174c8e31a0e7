"""This module contains the artisan's requests after submission: their status, and cancelling one."""

import logging
import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.form_support import ServiceAction, Services
from actions.gateway_api import GatewayRejected, GatewayUnavailable

__all__ = ["ActionCancelRequest", "ActionPrepareCancel", "ActionRequestStatus", "describe_request"]

logger = logging.getLogger(__name__)

KINDS = {"callback": "Demande de rappel", "pledge": "Don de masques"}
# Statuses after which a request can no longer be cancelled; the gateway has the last word (409).
CLOSED_STATUSES = frozenset({"cancelled", "closed", "called_back", "unreachable", "collected", "handed_over"})
_REFERENCE = re.compile(r"\b(?:RAP|DON)-\d+\b", re.IGNORECASE)


def describe_request(request: Dict[str, Any]) -> str:
    """One line for one request: "Demande de rappel RAP-000123 : en attente (rappel au plus tard demain à 10h00)"."""
    line = f"{KINDS.get(request.get('kind'), 'Demande')} {request['reference']} : {request.get('status_text') or request.get('status')}"
    if request.get("due_text") and request.get("status") not in CLOSED_STATUSES:
        line += f" (rappel au plus tard {request['due_text']})"
    return line


async def list_requests(
    services: Services, dispatcher: CollectingDispatcher, tracker: Tracker
) -> Optional[List[Dict[str, Any]]]:
    """The conversation's requests from the gateway; None, said to the artisan, when it cannot give them."""
    try:
        return await services.gateway.list_requests(tracker.sender_id)
    except GatewayUnavailable as exc:
        logger.warning("Requests of conversation %s not listed: %s", tracker.sender_id, exc)
        dispatcher.utter_message(response="utter_service_unavailable_status")
    except GatewayRejected as exc:
        dispatcher.utter_message(text=exc.message)
    return None


class ActionRequestStatus(ServiceAction):
    """Give the status of every request made from this conversation."""

    def name(self) -> Text:
        return "action_request_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        requests = await list_requests(self.services, dispatcher, tracker)
        if requests is None:
            return []
        if not requests:
            dispatcher.utter_message(response="utter_no_requests")
            return []
        lines = "\n".join(f"– {describe_request(request)}" for request in requests)
        dispatcher.utter_message(text=f"Voici vos demandes :\n{lines}")
        return []


class ActionPrepareCancel(ServiceAction):
    """Find the request to cancel: the one named, the only open one, or ask which; then ask to confirm."""

    def name(self) -> Text:
        return "action_prepare_cancel"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        requests = await list_requests(self.services, dispatcher, tracker)
        if requests is None:
            return [SlotSet("cancel_reference", None)]
        open_requests = [request for request in requests if request.get("status") not in CLOSED_STATUSES]
        named = self._named_reference(tracker)
        chosen = [request for request in open_requests if request["reference"].upper() == named] if named else []
        if not chosen and len(open_requests) == 1:
            chosen = open_requests
        if chosen:
            reference = chosen[0]["reference"]
            dispatcher.utter_message(response="utter_confirm_cancel", reference=reference)
            return [SlotSet("cancel_reference", reference)]
        if not open_requests:
            dispatcher.utter_message(response="utter_no_request_to_cancel")
            return [SlotSet("cancel_reference", None)]
        buttons = [
            {
                "title": describe_request(request),
                "payload": f'/cancel_request{{"reference":"{request["reference"]}"}}',
            }
            for request in open_requests
        ]
        dispatcher.utter_message(response="utter_which_request_to_cancel", buttons=buttons)
        return [SlotSet("cancel_reference", None)]

    @staticmethod
    def _named_reference(tracker: Tracker) -> Optional[str]:
        for entity in tracker.get_latest_entity_values("reference"):
            return str(entity).upper()
        found = _REFERENCE.search(tracker.latest_message.get("text") or "")
        return found.group().upper() if found else None


class ActionCancelRequest(ServiceAction):
    """Cancel the request the artisan confirmed."""

    def name(self) -> Text:
        return "action_cancel_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        reference = tracker.get_slot("cancel_reference")
        if not reference:
            dispatcher.utter_message(response="utter_no_request_to_cancel")
            return []
        try:
            await self.services.gateway.cancel_request(reference, tracker.sender_id)
        except GatewayUnavailable as exc:
            logger.warning("Request %s not cancelled: %s", reference, exc)
            dispatcher.utter_message(response="utter_service_unavailable_status")
            return []
        except GatewayRejected as exc:
            dispatcher.utter_message(text=exc.message)
            return [SlotSet("cancel_reference", None)]
        logger.info("Request %s cancelled", reference)
        dispatcher.utter_message(response="utter_request_cancelled", reference=reference)
        return [SlotSet("cancel_reference", None)]
