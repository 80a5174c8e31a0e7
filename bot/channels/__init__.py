"""The channels artisans write on: one module per platform, each turning its requests into `Inbound` messages."""

from bot.channels.base import json_error
from bot.channels.rest import routes as rest_routes

__all__ = ["json_error", "rest_routes"]
