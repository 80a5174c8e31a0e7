"""This module contains the filters of the advisers' lists of callbacks and pledges, read from a page's query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select

from bot.desk.request_statuses import CALLBACK_TRANSITIONS, OPEN_CALLBACK, PLEDGE_TRANSITIONS
from bot.storage.models import CallbackRequest, MaskPledge


@dataclass(frozen=True)
class CallbackFilters:
    """The queue's filters, from the page's GET parameters. `status` is a status, "open" (default) or "all"."""

    status: str = "open"
    subject: str = ""
    commune: str = ""  # INSEE code

    @classmethod
    def from_query(cls, query: Any) -> CallbackFilters:
        status = query.get("status", "open")
        if status not in (*CALLBACK_TRANSITIONS, "open", "all"):
            status = "open"
        return cls(status, query.get("subject", "")[:64], query.get("commune", "")[:5])

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
        return query


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
