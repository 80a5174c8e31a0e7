"""This module declares the typed keys of the gateway's shared state on its aiohttp application."""

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import ConversationRouter
from bot.engine import EngineClient
from bot.settings import Settings
from bot.storage.message_log import MessageLog

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", AsyncEngine)
MESSAGE_LOG = web.AppKey("message_log", MessageLog)
ENGINE = web.AppKey("engine", EngineClient)
ROUTER = web.AppKey("router", ConversationRouter)
