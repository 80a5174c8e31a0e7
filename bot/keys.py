"""This module declares the typed keys of the gateway's shared state on its aiohttp application and requests."""

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.conversations import ConversationRouter
from bot.engine import EngineClient
from bot.handoff import Handoff
from bot.intake import Intake
from bot.live import Live
from bot.outbox import Outbox
from bot.retrain.answers import LiveAnswers
from bot.retrain.jobs import TrainingJobs
from bot.retrain.registry import ModelRegistry, ModelSwitcher
from bot.settings import Settings
from bot.staff.accounts import StaffAccounts
from bot.staff.desk import RequestDesk
from bot.staff.passwords import Passwords
from bot.staff.sessions import CurrentStaff, StaffSessions
from bot.storage.message_log import MessageLog

SETTINGS = web.AppKey("settings", Settings)
DATABASE = web.AppKey("database", AsyncEngine)
MESSAGE_LOG = web.AppKey("message_log", MessageLog)
ENGINE = web.AppKey("engine", EngineClient)
ROUTER = web.AppKey("router", ConversationRouter)
OUTBOX = web.AppKey("outbox", Outbox)
HANDOFF = web.AppKey("handoff", Handoff)
LIVE = web.AppKey("live", Live)
# The push channels turned on (bot.channels.base.PushChannel), in start order.
CHANNELS = web.AppKey("channels", list)
INTAKE = web.AppKey("intake", Intake)
PASSWORDS = web.AppKey("passwords", Passwords)
STAFF_ACCOUNTS = web.AppKey("staff_accounts", StaffAccounts)
STAFF_SESSIONS = web.AppKey("staff_sessions", StaffSessions)
STAFF_DESK = web.AppKey("staff_desk", RequestDesk)
# Retraining: the model registry, the switch of Rasa to the active model, training and evaluation jobs.
REGISTRY = web.AppKey("registry", ModelRegistry)
SWITCHER = web.AppKey("switcher", ModelSwitcher)
JOBS = web.AppKey("jobs", TrainingJobs)
# The FAQ answers' live text, edited by admins (bot.retrain.answers).
ANSWERS = web.AppKey("answers", LiveAnswers)

# The logged-in staff account of a request under /staff, set by bot.staff's access middleware.
STAFF = web.RequestKey("staff", CurrentStaff)
