"""This module declares the typed keys of the gateway's shared state on its aiohttp application and requests.

A leaf: the types are imported for the type checker only, so any module may import this one without pulling
in the rest of the gateway (and without import cycles). `bot.app.create_app` fills them in.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

    from bot.channels.base import PushChannel
    from bot.desk.artisan_requests import ArtisanRequests
    from bot.desk.barometer import BarometerDesk
    from bot.desk.canned_answers import CannedAnswers
    from bot.desk.dashboard import Dashboard
    from bot.desk.handoff import Handoff
    from bot.desk.handoff_queue import HandoffQueue
    from bot.desk.handoff_watch import HandoffWatch
    from bot.desk.live import Live
    from bot.desk.request_desk import RequestDesk
    from bot.initiatives.moderation import Initiatives
    from bot.initiatives.watch import InitiativeWatch
    from bot.messaging.outbox import Outbox
    from bot.messaging.rasa_client import RasaClient
    from bot.messaging.router import ConversationRouter
    from bot.news.broadcast import Broadcasts
    from bot.news.items import NewsItems
    from bot.news.subscriptions import Subscriptions
    from bot.reports.mailing import WeeklyMailing
    from bot.retrain.answers import LiveAnswers
    from bot.retrain.jobs import TrainingJobs
    from bot.retrain.registry import ModelRegistry, ModelSwitcher
    from bot.settings import Settings
    from bot.shared.communes import CommuneTable
    from bot.staff.accounts import StaffAccounts
    from bot.staff.passwords import Passwords
    from bot.staff.sessions import CurrentStaff, StaffSessions
    from bot.storage.deliveries import DeliveryLog
    from bot.storage.message_log import MessageLog

SETTINGS: web.AppKey[Settings] = web.AppKey("settings")
# The SQLAlchemy engine of the gateway's database.
DATABASE: web.AppKey[AsyncEngine] = web.AppKey("database")

# The message path: stored messages, Rasa, the router that answers them, the outbox that sends the answers.
MESSAGE_LOG: web.AppKey[MessageLog] = web.AppKey("message_log")
DELIVERY_LOG: web.AppKey[DeliveryLog] = web.AppKey("delivery_log")
RASA: web.AppKey[RasaClient] = web.AppKey("rasa")
ROUTER: web.AppKey[ConversationRouter] = web.AppKey("router")
OUTBOX: web.AppKey[Outbox] = web.AppKey("outbox")
# The push channels turned on, in start order.
CHANNELS: web.AppKey[list[PushChannel]] = web.AppKey("channels")

# The advisers' desk: hand-offs (their steps, their queue, their watch, canned answers), the consoles' live
# feed, the artisans' callbacks and pledges.
HANDOFF: web.AppKey[Handoff] = web.AppKey("handoff")
HANDOFF_QUEUE: web.AppKey[HandoffQueue] = web.AppKey("handoff_queue")
HANDOFF_WATCH: web.AppKey[HandoffWatch] = web.AppKey("handoff_watch")
CANNED_ANSWERS: web.AppKey[CannedAnswers] = web.AppKey("canned_answers")
LIVE: web.AppKey[Live] = web.AppKey("live")
ARTISAN_REQUESTS: web.AppKey[ArtisanRequests] = web.AppKey("artisan_requests")
REQUEST_DESK: web.AppKey[RequestDesk] = web.AppKey("request_desk")
# The barometer asked in conversation: when to offer it, its anonymous answers, the artisans' profiles.
BAROMETER: web.AppKey[BarometerDesk] = web.AppKey("barometer")
# The staff dashboard's figures.
DASHBOARD: web.AppKey[Dashboard] = web.AppKey("dashboard")

# The chamber's news: artisans' subscriptions, the news items, their broadcasts.
SUBSCRIPTIONS: web.AppKey[Subscriptions] = web.AppKey("subscriptions")
NEWS: web.AppKey[NewsItems] = web.AppKey("news")
BROADCASTS: web.AppKey[Broadcasts] = web.AppKey("broadcasts")
# The solidarity initiatives, and their periodic check.
INITIATIVES: web.AppKey[Initiatives] = web.AppKey("initiatives")
INITIATIVE_WATCH: web.AppKey[InitiativeWatch] = web.AppKey("initiative_watch")
# The partners' weekly report by e-mail.
REPORT_MAILING: web.AppKey[WeeklyMailing] = web.AppKey("report_mailing")
# The department's communes (COMMUNES_FILE).
COMMUNES: web.AppKey[CommuneTable] = web.AppKey("communes")

# Staff accounts and their sessions.
PASSWORDS: web.AppKey[Passwords] = web.AppKey("passwords")
STAFF_ACCOUNTS: web.AppKey[StaffAccounts] = web.AppKey("staff_accounts")
STAFF_SESSIONS: web.AppKey[StaffSessions] = web.AppKey("staff_sessions")

# Retraining: the model registry, the switch of Rasa to the active model, training and evaluation jobs,
# and the FAQ answers' live text.
REGISTRY: web.AppKey[ModelRegistry] = web.AppKey("registry")
SWITCHER: web.AppKey[ModelSwitcher] = web.AppKey("switcher")
JOBS: web.AppKey[TrainingJobs] = web.AppKey("jobs")
ANSWERS: web.AppKey[LiveAnswers] = web.AppKey("answers")

# The logged-in staff account of a request under /staff, set by bot.staff's access middleware.
STAFF: web.RequestKey[CurrentStaff] = web.RequestKey("staff")
