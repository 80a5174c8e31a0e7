"""This module contains create_app, the gateway's aiohttp application factory, and its route table."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot import keys
from bot.channels import PushChannel, json_error, push_channels
from bot.channels.rest import routes as rest_routes
from bot.conversations import ConversationRouter
from bot.engine import EngineClient
from bot.errors import BadMessage
from bot.handoff import Handoff
from bot.intake import Intake
from bot.internal_api import internal_only
from bot.live import Live
from bot.internal_api import routes as internal_routes
from bot.outbox import Outbox
from bot.retrain.answers import LiveAnswers
from bot.retrain.jobs import TrainingJobs
from bot.retrain.registry import ModelRegistry, ModelSwitcher
from bot.settings import Settings
from bot.staff import Passwords, StaffAccounts, StaffSessions, setup_templates, staff_access
from bot.staff import routes as staff_routes
from bot.staff.desk import RequestDesk
from bot.storage import create_engine, create_sessionmaker, migrate
from bot.storage.message_log import MessageLog
from bot.training import training_hash

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent / "web" / "static"
# Far above the longest message we accept (MAX_MESSAGE_CHARS), far below what would hurt.
MAX_BODY_BYTES = 256 * 1024


@web.middleware
async def errors_as_json(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Refused requests answer `{"error": ...}` in French; nothing unexpected leaks a stack trace."""
    try:
        return await handler(request)
    except BadMessage as exc:
        return json_error(exc.status, exc.user_message)
    except web.HTTPRequestEntityTooLarge:
        return json_error(413, "Le message est trop long.")
    except web.HTTPException:
        raise
    except SQLAlchemyError:
        logger.exception("Database error on %s %s", request.method, request.path)
        return json_error(503, "Le service est momentanément indisponible. Réessayez dans un instant.")


async def database_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    await asyncio.to_thread(migrate, settings.database_url)
    engine = create_engine(settings.database_url)
    app[keys.DATABASE] = engine
    app[keys.MESSAGE_LOG] = MessageLog(create_sessionmaker(engine))
    app[keys.INTAKE] = Intake(create_sessionmaker(engine), settings)
    yield
    await engine.dispose()


async def staff_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    sessionmaker = create_sessionmaker(app[keys.DATABASE])
    app[keys.STAFF_ACCOUNTS] = StaffAccounts.from_settings(sessionmaker, app[keys.PASSWORDS], settings)
    app[keys.STAFF_SESSIONS] = StaffSessions.from_settings(sessionmaker, settings)
    app[keys.STAFF_DESK] = RequestDesk(sessionmaker, settings.clock)
    yield


async def engine_ctx(app: web.Application) -> AsyncIterator[None]:
    settings = app[keys.SETTINGS]
    async with aiohttp.ClientSession() as session:
        app[keys.ENGINE] = EngineClient(
            session,
            settings.rasa_url,
            settings.actions_url,
            settings.engine_token,
            timeout=settings.engine_timeout,
        )
        yield


async def message_path_ctx(app: web.Application) -> AsyncIterator[None]:
    """The router, the outbox it feeds, and the push channels; then both resume what a stop left unfinished.

    Channels connect (clients opened, webhook registered, polling started) before the outbox resumes sending
    through them, and disconnect only after the router and the outbox have stopped.
    """
    settings = app[keys.SETTINGS]
    live = app[keys.LIVE]
    outbox = Outbox(app[keys.MESSAGE_LOG], app[keys.CHANNELS], on_delivery=live.delivery)
    handoff = Handoff(
        create_sessionmaker(app[keys.DATABASE]), app[keys.MESSAGE_LOG], app[keys.ENGINE], live, settings, outbox.enqueue
    )
    answers = LiveAnswers(create_sessionmaker(app[keys.DATABASE]), settings.project_dir, settings.clock)
    await answers.load()
    app[keys.ANSWERS] = answers
    router = ConversationRouter(
        app[keys.MESSAGE_LOG],
        app[keys.ENGINE],
        max_message_chars=settings.max_message_chars,
        concurrency=settings.engine_concurrency,
        deliver=outbox.enqueue,
        handoff=handoff,
        answers=answers,
    )
    app[keys.OUTBOX], app[keys.ROUTER], app[keys.HANDOFF] = outbox, router, handoff
    started: list[PushChannel] = []
    watch: asyncio.Task[None] | None = None
    try:
        for channel in app[keys.CHANNELS]:
            await channel.start(app)
            started.append(channel)
            logger.info("Channel %s is on", channel.name)
        await outbox.recover()
        await router.recover()
        watch = asyncio.create_task(watch_waiting(handoff, settings.handoff_check_seconds), name="handoff-watch")
        yield
    finally:
        if watch is not None:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)  # a check under way ends before the database closes
        await router.close()
        await outbox.close()
        for channel in reversed(started):
            await channel.stop()


async def retrain_ctx(app: web.Application) -> AsyncIterator[None]:
    """The model registry, the watch that keeps Rasa on the active model, and the training jobs."""
    settings = app[keys.SETTINGS]
    sessionmaker = create_sessionmaker(app[keys.DATABASE])
    registry = ModelRegistry(sessionmaker)
    engine = app[keys.ENGINE]
    switcher = ModelSwitcher(
        registry, engine.loaded_model, engine.load_model,
        training_hash=lambda: training_hash(settings.project_dir), models_dir=settings.models_dir,
    )
    jobs = TrainingJobs(sessionmaker, settings, registry)
    app[keys.REGISTRY], app[keys.SWITCHER], app[keys.JOBS] = registry, switcher, jobs
    await jobs.recover()
    switcher.start(settings.model_check_seconds)
    yield
    await switcher.close()
    await jobs.close()


async def watch_waiting(handoff: Handoff, every: float) -> None:
    """No conversation waits forever unseen: hand back to the bot those past the maximum wait or the hours,
    and those whose adviser's session ended (idle, expired, account disabled)."""
    while True:
        await asyncio.sleep(every)
        try:
            await handoff.expire_overdue()
            await handoff.release_absent()
        except Exception:
            logger.exception("Checking the conversations waiting for an adviser failed")


async def healthz(request: web.Request) -> web.Response:
    """Each part's state as JSON: 200 when all are up, 503 naming what is down."""
    app = request.app

    async def database_up() -> bool:
        try:
            async with app[keys.DATABASE].connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False

    database, engine = await asyncio.gather(database_up(), app[keys.ENGINE].status())
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
    app[keys.LIVE].close()


def create_app(settings: Settings) -> web.Application:
    settings.require_engine_token()
    app = web.Application(middlewares=[errors_as_json, internal_only, staff_access], client_max_size=MAX_BODY_BYTES)
    app[keys.SETTINGS] = settings
    app[keys.PASSWORDS] = Passwords()
    app[keys.LIVE] = Live()
    app[keys.CHANNELS] = channels = push_channels(settings)
    app.cleanup_ctx.extend([database_ctx, staff_ctx, engine_ctx, message_path_ctx, retrain_ctx])
    app.on_startup.append(freeze_startup_objects)
    app.on_shutdown.append(close_consoles)
    setup_templates(app)
    app.router.add_routes(
        [
            web.get("/", index),
            web.get("/healthz", healthz),
            *rest_routes,
            *(route for channel in channels for route in channel.routes()),
            *staff_routes,
            *internal_routes,
            web.static("/static", STATIC),
        ]
    )
    return app
