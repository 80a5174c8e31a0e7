"""This module contains the filters of the advisers' lists of callbacks and pledges, read from a page's query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, exists, or_

from bot.desk.request_statuses import CALLBACK_TRANSITIONS, OPEN_CALLBACK, PLEDGE_TRANSITIONS
from bot.storage.models import CallbackRequest, MaskPledge, StatusChange


@dataclass(frozen=True)
class CallbackFilters:
    """The queue's filters, from the page's GET parameters. `status` is a status, "open" (default) or "all".

    `handled_by`: an agent's account id. An agent sees the open callbacks (anyone may take one) and the others
    only when they handled them (assigned, or a status they set); the finished callbacks of every adviser, with their names and phones, are for
    admins (None). Fewer people see every artisan's data, as with the exports (README, "Staff")."""

    status: str = "open"
    subject: str = ""
    commune: str = ""  # INSEE code
    handled_by: int | None = None

    @classmethod
    def from_query(cls, query: Any, handled_by: int | None = None) -> CallbackFilters:
        status = query.get("status", "open")
        if status not in (*CALLBACK_TRANSITIONS, "open", "all"):
            status = "open"
        return cls(status, query.get("subject", "")[:64], query.get("commune", "")[:5], handled_by)

    def params(self) -> dict[str, str]:
        """The non-default filters, to keep in links."""
        values = {"status": self.status, "subject": self.subject, "commune": self.commune}
        return {name: value for name, value in values.items() if value and not (name == "status" and value == "open")}

    def apply(self, query: Select) -> Select:
        if self.status == "open":
            query = query.where(CallbackRequest.status.in_(OPEN_CALLBACK))
        elif self.status != "all":
            query = query.where(CallbackRequest.status == self.status)
        if self.subject:
            query = query.where(CallbackRequest.subject == self.subject)
        if self.commune:
            query = query.where(CallbackRequest.commune_code == self.commune)
        if self.handled_by is not None:
            query = query.where(visible_to(self.handled_by))
        return query


def visible_to(account_id: int) -> Any:
    """The callbacks an agent may see: the open ones, those assigned to them, and those whose status they
    changed."""
    return or_(
        CallbackRequest.status.in_(OPEN_CALLBACK),
        CallbackRequest.assigned_to_id == account_id,
        exists().where(StatusChange.callback_id == CallbackRequest.id, StatusChange.account_id == account_id),
    )


@dataclass(frozen=True)
class PledgeFilters:
    """The pledges list's filters: a status or "all" (default), a mask type, a commune's INSEE code."""

    status: str = "all"
    mask_type: str = ""
    commune: str = ""

    @classmethod
    def from_query(cls, query: Any) -> PledgeFilters:
        status = query.get("status", "all")
        if status not in (*PLEDGE_TRANSITIONS, "all"):
            status = "all"
        return cls(status, query.get("type", "")[:16], query.get("commune", "")[:5])

    def params(self) -> dict[str, str]:
        values = {"status": self.status, "type": self.mask_type, "commune": self.commune}
        return {name: value for name, value in values.items() if value and not (name == "status" and value == "all")}

    def apply(self, query: Select) -> Select:
        if self.status != "all":
            query = query.where(MaskPledge.status == self.status)
        if self.mask_type:
            query = query.where(MaskPledge.mask_type == self.mask_type)
        if self.commune:
            query = query.where(MaskPledge.commune_code == self.commune)
        return query
