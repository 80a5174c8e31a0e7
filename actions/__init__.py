"""This package contains crisisbot's custom Rasa actions, one module per capability.

Run it with ``rasa run actions --actions actions``: rasa_sdk registers every Action subclass imported here.
"""

from actions.contact_chamber import ActionContactChamber
from actions.fallback import ActionFallback

__all__ = ["ActionContactChamber", "ActionFallback"]
