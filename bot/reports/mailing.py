"""This module contains WeeklyMailing: every `REPORTS_CHECK_SECONDS` (600 by default), from Monday
`REPORTS_WEEKLY_HOUR` (7 by default, Europe/Paris) on, it e-mails last week's report (Monday to Sunday, the PDF
attached) to each active partner an admin listed for it (`weekly_report`).

Each (week, account) is one `report_mailings` row, claimed before sending: inserted (the unique constraint lets
only one gateway have it), or, after a failure, taken back by a conditional update (attempts + 1, the error
cleared) that only one gateway wins. So the report of a week is never sent twice to a partner, by a restart or by
a second gateway; a failed one (its error kept) is tried again at the next checks, up to MAX_ATTEMPTS times. A
send cut by a crash after its claim is not tried again: twice is worse than once late.

SMTP settings come from the environment (SMTP_HOST empty: no mailing, said once in the log); the standard
library's smtplib sends, in a thread.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.reports.figures import Report, build_report
from bot.reports.pdf import pdf_filename
from bot.reports.period import Period
from bot.reports.territory import Territory
from bot.settings import Settings
from bot.shared.communes import CommuneTable
from bot.shared.french import PARIS
from bot.storage.models import ReportMailing, StaffAccount, StaffRole

__all__ = ["MAX_ATTEMPTS", "WeeklyMailing", "smtp_sender", "weekly_message"]

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
MAX_ERROR_CHARS = 500
SMTP_TIMEOUT_SECONDS = 30


def due_week(now: datetime, hour: int) -> Period | None:
    """The week whose report is due at `now`: last week, once this Monday's `hour` (Paris) has come; else None."""
    today = now.astimezone(PARIS).date()
    monday = today - timedelta(days=today.weekday())
    if now < datetime.combine(monday, time(hour), PARIS):
        return None
    return Period.week_of(monday - timedelta(days=7))


def weekly_message(report: Report, sender: str, recipient: str, pdf: bytes) -> EmailMessage:
    """The e-mail of a weekly report: French text, the PDF attached."""
    message = EmailMessage()
    message["Subject"] = f"Rapport hebdomadaire {report.territory.label} : semaine {report.period.label}"
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(
        "Bonjour,\n\n"
        f"Vous trouverez ci-joint le rapport hebdomadaire de la Chambre de Métiers et de l’Artisanat pour "
        f"{report.territory.label}, semaine {report.period.label} : les sujets des questions des artisans, "
        "les demandes de rappel, les masques donnés, le baromètre de leur activité et les initiatives solidaires.\n\n"
        "Ces chiffres sont agrégés : aucun nom, aucun téléphone, aucun message ; une case qui compte moins de "
        "5 artisans est affichée « < 5 ».\n\n"
        "Le rapport de toute autre période est sur la page Rapports de votre espace partenaire.\n\n"
        "Pour ne plus recevoir ce rapport, répondez à ce message.\n"
    )
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_filename(report))
    return message


def smtp_sender(settings: Settings) -> Callable[[EmailMessage], None]:
    """Send a message through the SMTP server of the settings (STARTTLS, then the login, when set). Blocking."""

    def send(message: EmailMessage) -> None:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if settings.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message)

    return send


@dataclass(frozen=True)
class Partner:
    account_id: int
    email: str
    territory: Territory


class WeeklyMailing:
    """The weekly report's e-mails: `check` sends what is due; `run` checks every `every_seconds`."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker,
        communes: CommuneTable,
        settings: Settings,
        pdf_of: Callable[[Report], bytes],
        send: Callable[[EmailMessage], None] | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._communes = communes
        self._settings = settings
        self._pdf_of = pdf_of
        self._send = send or smtp_sender(settings)
        self._clock = settings.clock
        self._stopping = False

    @property
    def enabled(self) -> bool:
        return self._settings.mailing_enabled

    async def check(self) -> dict[str, int]:
        """Send last week's report to every listed partner not sent it yet (from Monday's hour on)."""
        counts = {"sent": 0, "failed": 0}
        now = self._clock()
        week = due_week(now, self._settings.reports_weekly_hour)
        if not self.enabled or week is None:
            return counts
        for partner in await self._partners():
            if self._stopping:
                break
            if not await self._claim(week.start, partner.account_id, now):
                continue
            error = await self._mail(partner, week, now)
            await self._record(week.start, partner.account_id, error)
            counts["failed" if error else "sent"] += 1
        if any(counts.values()):
            logger.info("Weekly report of %s: %s", week.start, counts)
        return counts

    async def run(self) -> None:
        """Check every `every_seconds`, until cancelled; a failed check is logged and tried again."""
        if not self.enabled:
            logger.info("The weekly report is not e-mailed: SMTP_HOST is empty")
            return
        while True:
            await asyncio.sleep(self._settings.reports_check_seconds)
            check = asyncio.ensure_future(self.check())
            try:
                await asyncio.shield(check)
            except asyncio.CancelledError:
                # Stopping: the mailing under way is finished and recorded (a claimed row left unrecorded would
                # never be sent), the next partners wait for the next start.
                self._stopping = True
                await asyncio.gather(check, return_exceptions=True)
                raise
            except Exception:
                logger.exception("Sending the weekly reports failed")

    async def _partners(self) -> list[Partner]:
        async with self._sessionmaker() as session:
            rows = await session.scalars(
                select(StaffAccount)
                .where(StaffAccount.role == StaffRole.PARTNER, StaffAccount.active, StaffAccount.weekly_report)
                .order_by(StaffAccount.id)
            )
            return [Partner(a.id, a.email, Territory.of_account(a.territory, a.territory_label)) for a in rows]

    async def _claim(self, week_start: date, account_id: int, now: datetime) -> bool:
        """Take this week's mailing to this account, for this gateway alone: a new row, or a failed one taken
        back (its error cleared while it is tried again)."""
        async with self._sessionmaker() as session:
            session.add(ReportMailing(week_start=week_start, account_id=account_id, attempts=1, created_at=now))
            try:
                await session.commit()
                return True
            except IntegrityError:
                await session.rollback()
            retried = await session.execute(
                update(ReportMailing)
                .where(
                    ReportMailing.week_start == week_start,
                    ReportMailing.account_id == account_id,
                    ReportMailing.sent_at.is_(None),
                    ReportMailing.error.is_not(None),
                    ReportMailing.attempts < MAX_ATTEMPTS,
                )
                .values(attempts=ReportMailing.attempts + 1, error=None)
            )
            await session.commit()
            return retried.rowcount == 1

    async def _mail(self, partner: Partner, week: Period, now: datetime) -> str | None:
        """Build, lay out and send one partner's report; the error's text when any step failed."""
        try:
            report = await build_report(self._sessionmaker, self._communes, week, partner.territory, now)
            pdf = await asyncio.to_thread(self._pdf_of, report)
            message = weekly_message(report, self._settings.smtp_from, partner.email, pdf)
            await asyncio.to_thread(self._send, message)
        except Exception as exc:  # whatever failed, the row must say so, to be tried again
            logger.warning("Weekly report to staff account %s not sent: %s", partner.account_id, type(exc).__name__)
            return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS] or type(exc).__name__
        logger.info("Weekly report of %s sent to staff account %s", week.start, partner.account_id)
        return None

    async def _record(self, week_start: date, account_id: int, error: str | None) -> None:
        values = {"error": error} if error else {"sent_at": self._clock(), "error": None}
        async with self._sessionmaker() as session:
            await session.execute(
                update(ReportMailing)
                .where(ReportMailing.week_start == week_start, ReportMailing.account_id == account_id)
                .values(**values)
            )
            await session.commit()
