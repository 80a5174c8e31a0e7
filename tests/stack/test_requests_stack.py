"""Callback and pledge forms on the whole stack: chatted through the web chat's endpoint, rows in the database."""

from __future__ import annotations

import re
import uuid

import aiohttp
import pytest
from sqlalchemy import select

from bot.storage import create_engine, create_sessionmaker
from bot.storage.models import CallbackRequest, Conversation, MaskPledge
from tests.support.stack import Stack

pytestmark = pytest.mark.stack


async def chat(session: aiohttp.ClientSession, stack: Stack, sender: str, text: str) -> str:
    async with session.post(f"{stack.url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as response:
        assert response.status == 200, await response.text()
        return "\n".join(reply.get("text", "") for reply in await response.json())


async def rows(stack: Stack, model, sender: str) -> list:
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            result = await session.scalars(
                select(model).join(Conversation, Conversation.id == model.conversation_id).where(
                    Conversation.external_id == sender
                )
            )
            return list(result)
    finally:
        await engine.dispose()


async def test_a_callback_request_is_collected_confirmed_stored_once_and_its_status_told(stack: Stack) -> None:
    sender = f"callback-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        for text in (
            "je voudrais qu'un conseiller m'appelle demain",
            "Sophie Martin",
            "06 12 34 56 78",
            "coiffeuse",
            "chalon sur saone",
            '/inform{"subject":"faq_fonds_solidarite"}',
            '/inform{"preferred_time":"morning"}',
        ):
            last = await chat(session, stack, sender, text)
        assert "Sophie Martin" in last and "06 12 34 56 78" in last, "the summary before confirming"
        confirmed = await chat(session, stack, sender, "/affirm")
        reference = re.search(r"RAP-\d{6}", confirmed)
        assert reference, confirmed
        await chat(session, stack, sender, "/affirm")  # a second confirmation creates nothing
        status = await chat(session, stack, sender, "où en est ma demande ?")

    [stored] = await rows(stack, CallbackRequest, sender)
    assert stored.reference == reference.group()
    assert (stored.name, stored.phone, stored.trade) == ("Sophie Martin", "+33612345678", "coiffeuse")
    assert (stored.commune_code, stored.commune_name) == ("71076", "Chalon-sur-Saône")
    assert (stored.subject, stored.preferred_time, stored.status) == ("faq_fonds_solidarite", "morning", "new")
    assert reference.group() in status


async def test_a_mask_pledge_is_stored_with_the_running_total(stack: Stack) -> None:
    sender = f"pledge-{uuid.uuid4().hex[:8]}"
    async with aiohttp.ClientSession() as session:
        for text in (
            "j'ai 300 masques à donner",
            '/inform{"mask_type":"surgical"}',
            "Autun",
            '/inform{"delivery":"drop_off"}',
            "03 85 21 30 00",
        ):
            await chat(session, stack, sender, text)
        thanks = await chat(session, stack, sender, "/affirm")

    [stored] = await rows(stack, MaskPledge, sender)
    assert stored.reference in thanks and "300" in thanks
    assert (stored.quantity, stored.mask_type, stored.delivery) == (300, "surgical", "drop_off")
    assert (stored.commune_name, stored.phone) == ("Autun", "+33385213000")
