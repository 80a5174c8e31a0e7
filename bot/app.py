"""This module contains create_app, the gateway's aiohttp application factory: its route table, its
middlewares, and the cleanup contexts that open and close what it runs on."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot import appkeys
from bot.channels import PushChannel, push_channels
from bot.channels.rest import routes as rest_routes
from bot.desk.artisan_requests import ArtisanRequests
from bot.desk.barometer import BarometerDesk
from bot.desk.canned_answers import CannedAnswers
from bot.desk.dashboard import Dashboard
from bot.desk.handoff import Handoff
from bot.desk.handoff_queue import HandoffQueue
from bot.desk.handoff_watch import HandoffWatch
from bot.desk.internal_api import internal_only
from bot.desk.internal_api import routes as internal_routes
from bot.desk.live import Live
from bot.desk.request_desk import RequestDesk
from bot.errors import Refusal
from bot.initiatives.internal_api import routes as initiative_routes
from bot.initiatives.moderation import Initiatives
from bot.initiatives.public_page import routes as initiative_page_routes
from bot.initiatives.watch import InitiativeWatch
from bot.messaging.outbox import Outbox
from bot.messaging.rasa_client import RasaClient
from bot.messaging.router import ConversationRouter
from bot.news.broadcast import Broadcasts
from bot.news.internal_api import routes as news_routes
from bot.news.items import NewsItems
from bot.news.mentions import NewsMentions
from bot.news.subscriptions import DELIVERY_FAILED, Subscriptions
from bot.news.web_chat import routes as news_web_chat_routes
from bot.reports.mailing import WeeklyMailing
from bot.reports.pages import routes as report_routes
from bot.reports.pdf import report_pdf
from bot.retrain.answers import LiveAnswers
from bot.retrain.jobs import TrainingJobs
from bot.retrain.registry import ModelRegistry, ModelSwitcher
from bot.runtime.base_model import training_hash
from bot.settings import Settings
from bot.shared.communes import CommuneTable
from bot.staff import Passwords, StaffAccounts, StaffSessions, setup_templates, staff_access
from bot.staff import routes as staff_routes
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.deliveries import DeliveryLog
from bot.storage.message_log import MessageLog
from bot.web.json_api import json_error

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "web" / "static"
# Far above the longest message we accept (MAX_MESSAGE_CHARS), far below what would hurt.
MAX_BODY_BYTES = 256 * 1024


@web.middleware
async def errors_as_json(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Refused requests answer `{"error": ...}` in French; nothing unexpected leaks a stack trace.

    The one place where a Refusal (bot.errors) raised by a JSON handler becomes its answer; the staff pages
    that answer in HTML show the refusal's message on the page instead, before it gets here.
    """
    try:
        return await handler(request)
    except Refusal as exc:
        return json_error(exc.status, exc.message, exc.field)
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "Le message est trop long.")
    except web.HTTPException:
        raise
    except SQLAlchemyError:
        logger.exception("Database error on %s %s", request.method, request.path)
        return json_error(503, "Le service est momentanément indisponible. Réessayez dans un instant.")


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    """The database, migrated, and the stores every part reads and writes through."""
    settings = app[appkeys.SETTINGS]
    await asyncio.to_thread(migrate, settings.database_url)
    database = create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(database)
    app[appkeys.DATABASE] = database
    app[appkeys.MESSAGE_LOG] = MessageLog(sessionmaker)
    app[appkeys.DELIVERY_LOG] = DeliveryLog(sessionmaker)
    app[appkeys.ARTISAN_REQUESTS] = ArtisanRequests(sessionmaker, settings)
    app[appkeys.REQUEST_DESK] = RequestDesk(sessionmaker, settings.clock)
    app[appkeys.BAROMETER] = BarometerDesk(sessionmaker, settings.clock)
    app[appkeys.DASHBOARD] = Dashboard(sessionmaker, settings.clock)
    app[appkeys.HANDOFF_QUEUE] = HandoffQueue(sessionmaker, settings.clock)
    app[appkeys.CANNED_ANSWERS] = CannedAnswers(sessionmaker)
    app[appkeys.SUBSCRIPTIONS] = Subscriptions(sessionmaker, settings.clock)
    app[appkeys.NEWS] = NewsItems(sessionmaker, settings.clock)
    app[appkeys.COMMUNES] = await asyncio.to_thread(CommuneTable.load, settings.communes_file)
    app[appkeys.STAFF_ACCOUNTS] = StaffAccounts.from_settings(sessionmaker, app[appkeys.PASSWORDS], settings)
    app[appkeys.STAFF_SESSIONS] = StaffSessions.from_settings(sessionmaker, settings)
    yield
    await database.dispose()


async def rasa_ctx(app: web.Application) -> AsyncIterator[None]:
    """The client of Rasa and the action server, on its own HTTP session."""
    settings = app[appkeys.SETTINGS]
    async with aiohttp.ClientSession() as session:
        app[appkeys.RASA] = RasaClient(
            session,
            settings.rasa_url,
            settings.actions_url,
            settings.engine_token,
            timeout=settings.engine_timeout,
        )
        yield


async def message_path_ctx(app: web.Application) -> AsyncIterator[None]:
    """The router, the outbox it feeds, the hand-off and its watch, the broadcasts, the solidarity initiatives and
    their watch, and the push channels; then the router, the outbox and the broadcasts resume what a stop left
    unfinished.

    Channels connect (clients opened, webhook registered, polling started) before the outbox resumes sending
    through them, and disconnect only after the router and the outbox have stopped.
    """
    settings = app[appkeys.SETTINGS]
    live = app[appkeys.LIVE]
    sessionmaker = create_sessionmaker(app[appkeys.DATABASE])
    subscriptions = app[appkeys.SUBSCRIPTIONS]
    background: set[asyncio.Task[object]] = set()

    def recipient_gone(conversation_id: str, reason: str) -> None:
        """The platform refused for good: the artisan is not sent the news any more."""
        task = asyncio.create_task(subscriptions.end(conversation_id, DELIVERY_FAILED))
        background.add(task)
        task.add_done_callback(background.discard)

    outbox = Outbox(
        app[appkeys.DELIVERY_LOG], app[appkeys.CHANNELS], on_delivery=live.delivery, on_recipient_gone=recipient_gone
    )
    broadcasts = Broadcasts(sessionmaker, app[appkeys.NEWS], subscriptions, outbox, settings)
    handoff = Handoff(sessionmaker, app[appkeys.MESSAGE_LOG], app[appkeys.RASA], live, settings, outbox.enqueue)
    watch = HandoffWatch(handoff, sessionmaker, settings)
    answers = LiveAnswers(sessionmaker, settings.project_dir, settings.clock)
    await answers.load()
    router = ConversationRouter(
        app[appkeys.MESSAGE_LOG],
        app[appkeys.RASA],
        max_message_chars=settings.max_message_chars,
        concurrency=settings.engine_concurrency,
        deliver=outbox.enqueue,
        handoff=handoff,
        editors=(answers, NewsMentions(app[appkeys.NEWS], subscriptions)),
    )
    app[appkeys.OUTBOX], app[appkeys.ROUTER], app[appkeys.HANDOFF] = outbox, router, handoff
    app[appkeys.HANDOFF_WATCH], app[appkeys.ANSWERS], app[appkeys.BROADCASTS] = watch, answers, broadcasts
    initiatives = Initiatives(
        sessionmaker, app[appkeys.MESSAGE_LOG], outbox.enqueue, app[appkeys.COMMUNES], settings.clock
    )
    initiative_watch = InitiativeWatch(initiatives, settings.initiatives_check_seconds, settings.clock)
    app[appkeys.INITIATIVES], app[appkeys.INITIATIVE_WATCH] = initiatives, initiative_watch
    started: list[PushChannel] = []
    watches: list[asyncio.Task[None]] = []
    try:
        for channel in app[appkeys.CHANNELS]:
            await channel.start(app)
            started.append(channel)
            logger.info("Channel %s is on", channel.name)
        await outbox.recover()
        await router.recover()
        await broadcasts.recover()
        watches.append(asyncio.create_task(watch.run(), name="handoff-watch"))
        watches.append(asyncio.create_task(broadcasts.run_schedule(), name="broadcast-schedule"))
        watches.append(asyncio.create_task(initiative_watch.run(), name="initiative-watch"))
        yield
    finally:
        for task in watches:
            task.cancel()
        await asyncio.gather(*watches, return_exceptions=True)  # a check under way ends before the database closes
        await router.close()
        await broadcasts.close()
        await outbox.close()
        await asyncio.gather(*background, return_exceptions=True)
        for channel in reversed(started):
            await channel.stop()


async def retrain_ctx(app: web.Application) -> AsyncIterator[None]:
    """The model registry, the watch that keeps Rasa on the active model, and the training jobs."""
    settings = app[appkeys.SETTINGS]
    sessionmaker = create_sessionmaker(app[appkeys.DATABASE])
    registry = ModelRegistry(sessionmaker)
    rasa = app[appkeys.RASA]
    switcher = ModelSwitcher(
        registry, rasa.loaded_model, rasa.load_model,
        training_hash=lambda: training_hash(settings.project_dir), models_dir=settings.models_dir,
    )
    jobs = TrainingJobs(sessionmaker, settings, registry)
    app[appkeys.REGISTRY], app[appkeys.SWITCHER], app[appkeys.JOBS] = registry, switcher, jobs
    await jobs.recover()
    switcher.start(settings.model_check_seconds)
    yield
    await switcher.close()
    await jobs.close()


async def reports_ctx(app: web.Application) -> AsyncIterator[None]:
    """The partners' weekly report by e-mail, and its periodic check (none when SMTP_HOST is empty)."""
    settings = app[appkeys.SETTINGS]
    env = aiohttp_jinja2.get_env(app)
    mailing = WeeklyMailing(
        create_sessionmaker(app[appkeys.DATABASE]), app[appkeys.COMMUNES], settings, lambda report: report_pdf(env, report)
    )
    app[appkeys.REPORT_MAILING] = mailing
    task = asyncio.create_task(mailing.run(), name="weekly-report-mailing")
    yield
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)  # a mailing under way is recorded before the database closes


async def healthz(request: web.Request) -> web.Response:
    """Each part's state as JSON: 200 when all are up, 503 naming what is down."""
    app = request.app

    async def database_up() -> bool:
        try:
            async with app[appkeys.DATABASE].connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False

    database, engine = await asyncio.gather(database_up(), app[appkeys.RASA].status())
    parts = {
        "gateway": "up",
        "database": "up" if database else "down",
        "rasa": "up" if engine.rasa_up else "down",
        "action_server": "up" if engine.actions_up else "down",
    }
    down = [name for name, state in parts.items() if state != "up"]
    body = {**parts, "model": engine.model, "status": "ok" if not down else "down", "down": down}
    return web.json_response(body, status=200 if not down else 503)


async def index(_: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "index.html")


async def freeze_startup_objects(_: web.Application) -> None:
    """Keep the garbage collector's full passes short: what start-up loaded (modules, the ORM's mappings,
    python-telegram-bot's classes) lives as long as the process, so the collector stops scanning it. A full
    pass over it otherwise stalls every request for tens of milliseconds now and then."""
    gc.collect()
    gc.freeze()


async def close_consoles(app: web.Application) -> None:
    """Advisers' console websockets would hold the stop for seconds: they are told to go first."""
    app[appkeys.LIVE].close()


def create_app(settings: Settings) -> web.Application:
    settings.require_engine_token()
    app = web.Application(middlewares=[errors_as_json, internal_only, staff_access], client_max_size=MAX_BODY_BYTES)
    app[appkeys.SETTINGS] = settings
    app[appkeys.PASSWORDS] = Passwords()
    app[appkeys.LIVE] = Live()
    app[appkeys.CHANNELS] = channels = push_channels(settings)
    app.cleanup_ctx.extend([database_ctx, rasa_ctx, message_path_ctx, retrain_ctx, reports_ctx])
    app.on_startup.append(freeze_startup_objects)
    app.on_shutdown.append(close_consoles)
    setup_templates(app)
    app.router.add_routes(
        [
            web.get("/", index),
            web.get("/healthz", healthz),
            *rest_routes,
            *news_web_chat_routes,
            *(route for channel in channels for route in channel.routes()),
            *staff_routes,
            *report_routes,
            *internal_routes,
            *news_routes,
            *initiative_routes,
            *initiative_page_routes,
            web.static("/static", STATIC),
        ]
    )
    return app
