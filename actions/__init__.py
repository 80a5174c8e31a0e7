"""This package contains crisisbot's custom Rasa actions, one module per capability.

Run it with ``rasa run actions --actions actions``: rasa_sdk registers every Action subclass imported here.
"""

from actions.barometer import ActionBarometerAnswer, ActionOfferBarometer
from actions.callback import ActionSubmitCallback, ActionSummarizeCallback, ValidateCallbackForm
from actions.commune import ActionCommuneGiven, ActionCommuneSkipped, ValidateCommuneForm
from actions.contact_chamber import ActionContactChamber
from actions.fallback import ActionFallback
from actions.form_support import ActionChangeField, ActionClearForms
from actions.handoff import ActionHandoff, ActionHandoffDistress, ActionHandoffFormFailed
from actions.initiative import ActionSubmitInitiative, ActionSummarizeInitiative, ValidateInitiativeForm
from actions.initiative_search import ActionFindInitiatives, ActionInitiativeStillCurrent, ValidateInitiativeSearchForm
from actions.news import (
    ActionLatestNews,
    ActionOfferSubscription,
    ActionSubscribe,
    ActionUnsubscribe,
)
from actions.pledge import ActionSubmitPledge, ActionSummarizePledge, ValidatePledgeForm
from actions.request_status import ActionCancelRequest, ActionPrepareCancel, ActionRequestStatus

__all__ = [
    "ActionBarometerAnswer",
    "ActionCancelRequest",
    "ActionChangeField",
    "ActionClearForms",
    "ActionCommuneGiven",
    "ActionCommuneSkipped",
    "ActionContactChamber",
    "ActionFallback",
    "ActionFindInitiatives",
    "ActionHandoff",
    "ActionHandoffDistress",
    "ActionHandoffFormFailed",
    "ActionInitiativeStillCurrent",
    "ActionLatestNews",
    "ActionOfferBarometer",
    "ActionOfferSubscription",
    "ActionPrepareCancel",
    "ActionRequestStatus",
    "ActionSubscribe",
    "ActionSubmitCallback",
    "ActionSubmitInitiative",
    "ActionSubmitPledge",
    "ActionSummarizeCallback",
    "ActionSummarizeInitiative",
    "ActionSummarizePledge",
    "ActionUnsubscribe",
    "ValidateCallbackForm",
    "ValidateCommuneForm",
    "ValidateInitiativeForm",
    "ValidateInitiativeSearchForm",
    "ValidatePledgeForm",
]
