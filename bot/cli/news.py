"""This module contains `crisisbot news`: the chamber's news from the server's command line (list, show with the
preview, create, edit, publish, send, schedule, stop). The running gateway sends the broadcasts: `send` and
`schedule` hand it the news item, `stop` stops it within a second."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import NewsRefused
from bot.settings import Settings
from bot.shared.french import PARIS, french_date

STATUS = {
    "draft": "brouillon", "published": "publiée", "scheduled": "programmée", "sending": "en cours d'envoi",
    "sent": "envoyée", "stopped": "arrêtée",
}


@dataclass
class _News:
    items: object
    broadcasts: object
    communes: object


@contextlib.asynccontextmanager
async def _news(settings: Settings) -> AsyncIterator[_News]:
    from bot.channels import push_channels
    from bot.messaging.outbox import Outbox
    from bot.news.broadcast import Broadcasts
    from bot.news.items import NewsItems
    from bot.news.subscriptions import Subscriptions
    from bot.shared.communes import CommuneTable
    from bot.storage import create_engine, create_sessionmaker, migrate
    from bot.storage.deliveries import DeliveryLog

    await asyncio.to_thread(migrate, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        sessionmaker = create_sessionmaker(engine)
        items = NewsItems(sessionmaker, settings.clock)
        # An outbox that never sends: the preview asks it which channels are on and what their windows are.
        outbox = Outbox(DeliveryLog(sessionmaker), push_channels(settings))
        broadcasts = Broadcasts(sessionmaker, items, Subscriptions(sessionmaker, settings.clock), outbox, settings)
        yield _News(items, broadcasts, CommuneTable.load(settings.communes_file))
    finally:
        await engine.dispose()


def _when(value: datetime | None) -> str:
    return value.astimezone(PARIS).strftime("%d/%m/%Y %H:%M") if value else "—"


def _fields(args: argparse.Namespace) -> dict[str, str]:
    text = args.text
    if args.text_file:
        text = sys.stdin.read() if args.text_file == "-" else Path(args.text_file).read_text(encoding="utf-8")
    return {
        "title": args.title or "", "text": text or "", "source": args.source or "",
        "effective_on": args.effective_on or "", "link": args.link or "", "topic": args.topic or "",
        "communes": args.communes or "", "audience_topic": args.audience_topic or "", "channels": args.channels or "",
        "barometer": "on" if args.barometer else "",
    }


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.news.items import NewsDraft
    from bot.storage.audit import Actor

    actor = Actor.command_line()
    async with _news(settings) as news:
        command = args.news_command
        if command == "list":
            for item in await news.items.all():
                print(f"{item.id:>5}  {STATUS.get(item.status, item.status):<17} {french_date(item.effective_on):<18} {item.title}")
            return 0
        if command == "create":
            item = await news.items.create(NewsDraft.from_fields(_fields(args), news.communes), actor)
            print(f"News item {item.id} written (draft). `crisisbot news show {item.id}` previews it.")
            return 0
        item = await news.items.get(args.id)
        if item is None:
            print(f"No news item {args.id}.", file=sys.stderr)
            return 1
        if command == "show":
            print(f"{item.title}\n{STATUS.get(item.status, item.status)}; published {_when(item.published_at)}; "
                  f"scheduled {_when(item.scheduled_at)}; started {_when(item.started_at)}; finished {_when(item.finished_at)}")
            if item.status in ("sending", "sent", "stopped"):
                progress = await news.broadcasts.progress(item.id)
                print("Broadcast: " + ", ".join(f"{key} {value}" for key, value in progress.as_json().items() if key != "reasons"))
                for reason, count in progress.reasons:
                    print(f"  {count} × {reason}")
            else:
                preview = await news.broadcasts.preview(item.id)
                counts = ", ".join(f"{channel} {count}" for channel, count in sorted(preview.recipients.items())) or "none"
                print(f"Recipients: {counts}; WhatsApp outside the 24-hour window {preview.whatsapp_outside_window}; "
                      f"unreachable {preview.unreachable}; would receive it: {preview.reachable}")
                print("\n--- Telegram, WhatsApp within the window, web chat ---\n" + preview.text)
                if preview.template:
                    print(f"--- WhatsApp outside the window: template {preview.template.name} ---")
                    for number, parameter in enumerate(preview.template.parameters, 1):
                        print(f"{{{{{number}}}}} {parameter}")
            return 0
        if command == "edit":
            await news.items.update(item.id, NewsDraft.from_fields(_fields(args), news.communes), actor)
            print(f"News item {item.id} updated.")
        elif command == "publish":
            await news.items.publish(item.id, actor)
            print(f"News item {item.id} published: the bot answers with it.")
        elif command == "send":
            await news.items.send_soon(item.id, actor)
            print(f"News item {item.id} handed to the gateway: it starts sending within {settings.news_check_seconds:g} s.")
        elif command == "schedule":
            try:
                at = datetime.fromisoformat(args.at).replace(tzinfo=PARIS)
            except ValueError:
                print("The time must read YYYY-MM-DD HH:MM (Paris time).", file=sys.stderr)
                return 2
            await news.items.schedule(item.id, at, actor)
            print(f"News item {item.id} will be sent on {_when(at)} (Paris time).")
        elif command == "unschedule":
            await news.items.unschedule(item.id, actor)
            print(f"News item {item.id} is no longer scheduled.")
        elif command == "stop":
            await news.broadcasts.stop(item.id, actor)
            print(f"Broadcast of news item {item.id} stopped: recipients not reached yet will not be.")
        return 0


def cmd_news(settings: Settings, args: argparse.Namespace) -> int:
    """`crisisbot news ...`; a refusal is printed as the staff pages word it."""
    try:
        return asyncio.run(_run(settings, args))
    except NewsRefused as exc:
        print(f"crisisbot: {exc.message}", file=sys.stderr)
        return 1


def add_parser(sub: argparse._SubParsersAction, command: object) -> None:
    news = sub.add_parser("news", help="the chamber's news: write, preview, publish, send, stop")
    commands = news.add_subparsers(dest="news_command", required=True)
    commands.add_parser("list", help="every news item, newest first").set_defaults(func=command)

    def draft_options(parser: argparse.ArgumentParser, required: bool) -> None:
        parser.add_argument("--title", required=required)
        text = parser.add_mutually_exclusive_group(required=required)
        text.add_argument("--text")
        text.add_argument("--text-file", help="read the text from this file (- for stdin)")
        parser.add_argument("--source", required=required, choices=["prefecture", "etat", "region", "chambre"])
        parser.add_argument("--effective-on", required=required, help="YYYY-MM-DD")
        parser.add_argument("--link")
        parser.add_argument("--topic", help="a subject (faq_pge...), for the FAQ answer that names it")
        parser.add_argument("--communes", help="audience: communes (names, postcodes or INSEE codes), comma-separated")
        parser.add_argument("--audience-topic", help="audience: the subscribers of this subject")
        parser.add_argument("--channels", help="audience: telegram, whatsapp, rest (comma-separated)")
        parser.add_argument(
            "--barometer", action="store_true", help="ask the barometer's first question under it (once in 7 days)"
        )

    create = commands.add_parser("create", help="write a news item (a draft)")
    draft_options(create, required=True)
    create.set_defaults(func=command)
    edit = commands.add_parser("edit", help="rewrite a news item not sent yet (every field again)")
    edit.add_argument("id", type=int)
    draft_options(edit, required=True)
    edit.set_defaults(func=command)
    for name, help_text in (
        ("show", "a news item, its preview and recipients, or its broadcast's progress"),
        ("publish", "publish without sending: the bot answers with it"),
        ("send", "send it to its audience now (through the running gateway)"),
        ("unschedule", "cancel its scheduled broadcast"),
        ("stop", "stop its broadcast"),
    ):
        parser = commands.add_parser(name, help=help_text)
        parser.add_argument("id", type=int)
        parser.set_defaults(func=command)
    schedule = commands.add_parser("schedule", help="send it at a set time (Paris time)")
    schedule.add_argument("id", type=int)
    schedule.add_argument("at", help='"YYYY-MM-DD HH:MM"')
    schedule.set_defaults(func=command)
