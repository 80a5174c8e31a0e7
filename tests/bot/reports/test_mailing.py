"""The weekly report by e-mail, through a local fake SMTP server (aiosmtpd), on SQLite and PostgreSQL: sent from
Monday 07:00 (Paris) to the listed partners only, once per week and account even with two gateways, its PDF read
back; a failure kept and tried again; nothing without SMTP_HOST."""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import logging
import socket
from dataclasses import replace
from datetime import UTC, date, datetime
from email.message import EmailMessage

import jinja2
import pypdf
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from bot.reports.mailing import MAX_ATTEMPTS, WeeklyMailing
from bot.reports.pdf import report_pdf
from bot.settings import Settings
from bot.staff.views import TEMPLATES
from bot.storage.models import ReportMailing, StaffAccount
from tests.bot.conftest import FakeClock
from tests.bot.reports.conftest import COMMUNES, GIVRY, MACON, MERCUREY, World, paris

ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                         trim_blocks=True, lstrip_blocks=True)
SENDER = "rapports@cma-exemple.fr"


class Inbox:
    """The fake SMTP server's handler: every message it was given, parsed."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], email.message.Message]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


@pytest.fixture
def clock() -> FakeClock:
    clock = FakeClock()
    clock.now = datetime(2020, 4, 13, 4, 30, tzinfo=UTC)  # Monday 13 April 2020, 06:30 in Paris
    return clock


def mailing_settings(clock: FakeClock, port: int, **changes) -> Settings:
    wanted = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_from": SENDER, "smtp_starttls": False, **changes}
    return replace(Settings(), clock=clock, **wanted)


def make_mailing(sessionmaker, settings: Settings) -> WeeklyMailing:
    return WeeklyMailing(sessionmaker, COMMUNES, settings, lambda report: report_pdf(ENV, report))


async def add_partners(world: World) -> dict[str, int]:
    accounts = {
        "mairie@givry.fr": StaffAccount(email="mairie@givry.fr", role="partner", password_hash="-",
                                        territory=[GIVRY, MERCUREY], territory_label="Givry, Mercurey",
                                        weekly_report=True),
        "prefecture@saone-et-loire.gouv.fr": StaffAccount(
            email="prefecture@saone-et-loire.gouv.fr", role="partner", password_hash="-", territory=None,
            territory_label="Saône-et-Loire", weekly_report=True),
        "mairie@macon.fr": StaffAccount(email="mairie@macon.fr", role="partner", password_hash="-",
                                        territory=[MACON], territory_label="Mâcon", weekly_report=False),
        "ancien@givry.fr": StaffAccount(email="ancien@givry.fr", role="partner", password_hash="-", active=False,
                                        territory=[GIVRY], territory_label="Givry", weekly_report=True),
    }
    await world.add(*accounts.values())
    for _ in range(6):  # last week, in Givry
        artisan = await world.artisan(GIVRY)
        await world.says(artisan, paris(date(2020, 4, 8)), "faq_pge")
    return {address: account.id for address, account in accounts.items()}


async def mailings(sessionmaker) -> list[ReportMailing]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(ReportMailing).order_by(ReportMailing.account_id)))


def pdf_of(message: email.message.Message) -> tuple[str, str]:
    [attachment] = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    data = attachment.get_payload(decode=True)
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages).split())
    return attachment.get_filename(), text


async def test_from_monday_7_the_listed_partners_get_last_weeks_report_once(sessionmaker, world, smtp, clock) -> None:
    controller, inbox = smtp
    ids = await add_partners(world)
    mailing = make_mailing(sessionmaker, mailing_settings(clock, controller.port))
    assert await mailing.check() == {"sent": 0, "failed": 0}, "not before 07:00 on Monday"
    assert inbox.messages == [] and await mailings(sessionmaker) == []

    clock.advance(minutes=30)  # 07:00 in Paris
    assert await mailing.check() == {"sent": 2, "failed": 0}
    by_recipient = {tuple(rcpt): message for rcpt, message in inbox.messages}
    assert set(by_recipient) == {("mairie@givry.fr",), ("prefecture@saone-et-loire.gouv.fr",)}
    givry = by_recipient[("mairie@givry.fr",)]
    assert givry["Subject"] == (
        "Rapport hebdomadaire Givry, Mercurey : semaine du lundi 6 avril au dimanche 12 avril 2020"
    )
    assert givry["From"] == SENDER and givry["To"] == "mairie@givry.fr"
    body = next(p for p in givry.walk() if p.get_content_type() == "text/plain").get_content()
    assert "Bonjour" in body and "moins de 5 artisans" in body
    filename, text = pdf_of(givry)
    assert filename == "rapport-givry-mercurey-2020-04-06-2020-04-12.pdf"
    assert "Rapport Givry, Mercurey" in text and "Du lundi 6 avril au dimanche 12 avril 2020" in text
    assert "Prêt garanti (PGE) 6" in text
    rows = await mailings(sessionmaker)
    assert [(r.account_id, r.week_start, r.attempts, r.error) for r in rows] == [
        (ids["mairie@givry.fr"], date(2020, 4, 6), 1, None),
        (ids["prefecture@saone-et-loire.gouv.fr"], date(2020, 4, 6), 1, None),
    ]
    assert all(r.sent_at == clock() for r in rows)

    clock.advance(hours=30)  # Tuesday: the same week, already sent
    assert await mailing.check() == {"sent": 0, "failed": 0}
    assert len(inbox.messages) == 2


async def test_two_gateways_send_each_report_once(sessionmaker, world, smtp, clock) -> None:
    controller, inbox = smtp
    await add_partners(world)
    clock.advance(hours=1)
    settings = mailing_settings(clock, controller.port)
    first, second = make_mailing(sessionmaker, settings), make_mailing(sessionmaker, settings)
    results = await asyncio.gather(first.check(), second.check(), first.check())
    assert sum(r["sent"] for r in results) == 2
    assert sorted(rcpt for rcpt, _ in inbox.messages) == [["mairie@givry.fr"], ["prefecture@saone-et-loire.gouv.fr"]]


async def test_a_failed_send_is_kept_and_tried_again(sessionmaker, world, smtp, clock) -> None:
    controller, inbox = smtp
    await add_partners(world)
    clock.advance(hours=1)
    down = make_mailing(sessionmaker, mailing_settings(clock, free_port()))  # nobody listens there
    assert await down.check() == {"sent": 0, "failed": 2}
    rows = await mailings(sessionmaker)
    assert all(r.sent_at is None and r.attempts == 1 and "Connection" in r.error for r in rows), [r.error for r in rows]

    up = make_mailing(sessionmaker, mailing_settings(clock, controller.port))
    assert await up.check() == {"sent": 2, "failed": 0}
    rows = await mailings(sessionmaker)
    assert all(r.sent_at is not None and r.attempts == 2 and r.error is None for r in rows)
    assert len(inbox.messages) == 2


async def test_attempts_stop_after_the_last(sessionmaker, world, clock) -> None:
    await add_partners(world)
    clock.advance(hours=1)
    down = make_mailing(sessionmaker, mailing_settings(clock, free_port()))
    for _ in range(MAX_ATTEMPTS + 2):
        await down.check()
    assert {r.attempts for r in await mailings(sessionmaker)} == {MAX_ATTEMPTS}


async def test_starttls_refused_by_the_server_is_an_error_kept(sessionmaker, world, smtp, clock) -> None:
    controller, inbox = smtp
    await add_partners(world)
    clock.advance(hours=1)
    mailing = make_mailing(sessionmaker, mailing_settings(clock, controller.port, smtp_starttls=True))
    assert await mailing.check() == {"sent": 0, "failed": 2}
    assert inbox.messages == []
    assert all("STARTTLS" in r.error for r in await mailings(sessionmaker))


async def test_without_smtp_host_nothing_is_sent_and_the_log_says_it_once(sessionmaker, world, clock, caplog) -> None:
    await add_partners(world)
    clock.advance(hours=1)
    sent: list[EmailMessage] = []
    mailing = WeeklyMailing(sessionmaker, COMMUNES, replace(Settings(), clock=clock), lambda r: b"%PDF", sent.append)
    assert await mailing.check() == {"sent": 0, "failed": 0}
    with caplog.at_level(logging.INFO, logger="bot.reports.mailing"):
        await asyncio.wait_for(mailing.run(), timeout=1)  # returns at once: nothing to check
    assert [r.getMessage() for r in caplog.records] == ["The weekly report is not e-mailed: SMTP_HOST is empty"]
    assert sent == [] and await mailings(sessionmaker) == []
