"""This module contains who acts on the admins' pages and commands (an Actor), and the audit of what they did."""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import AdminAuditEvent


@dataclass(frozen=True)
class Actor:
    """An admin on the staff pages (their account), or someone at the server's command line."""

    account_id: int | None
    name: str

    @classmethod
    def command_line(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "inconnu"
        return cls(None, f"ligne de commande ({user})")


def record(session: AsyncSession, actor: Actor, action: str, target: str | None = None, detail: str | None = None) -> None:
    """Add one audit entry to the session's transaction: it is kept exactly when the action is."""
    session.add(
        AdminAuditEvent(
            account_id=actor.account_id, actor=actor.name, action=action, target=target, detail=detail
        )
    )


async def recent(session: AsyncSession, limit: int = 200) -> list[AdminAuditEvent]:
    rows = await session.scalars(select(AdminAuditEvent).order_by(AdminAuditEvent.id.desc()).limit(limit))
    return list(rows)
