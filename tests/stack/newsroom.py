"""The chamber's newsroom on the running stack: an admin writing, previewing, sending and stopping news through the
staff pages, and subscribers put straight into the stack's database (thousands would take too long to sign up
one conversation at a time; the sign-up itself is tested in conversation)."""

from __future__ import annotations

import random
import re
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
from sqlalchemy import select

from bot.storage import Direction, MessageStatus, create_engine, create_sessionmaker
from bot.storage.models import Conversation, Message, NewsDelivery, Subscription
from tests.stack.people import PASSWORD, add_adviser, until
from tests.support.stack import Stack, staff_login

NEWS = {
    "title": "Marchés de Noël maintenus", "text": "Les marchés de Noël de plein air restent autorisés, masque obligatoire.",
    "source": "prefecture", "effective_on": "2020-12-05", "link": "https://www.saone-et-loire.gouv.fr",
    "topic": "", "communes": "", "audience_topic": "",
}


class Newsroom:
    """An admin on the news pages."""

    def __init__(self, stack: Stack, session: aiohttp.ClientSession, csrf: str) -> None:
        self.stack, self.session, self.csrf = stack, session, csrf

    @classmethod
    async def open(cls, stack: Stack) -> Newsroom:
        session, csrf = await staff_login(stack.url, add_adviser(stack, role="admin"), PASSWORD)
        return cls(stack, session, csrf)

    async def close(self) -> None:
        await self.session.close()

    async def write(self, **fields: str) -> int:
        data = {**NEWS, "title": f"{NEWS['title']} {uuid.uuid4().hex[:4]}", **fields, "csrf_token": self.csrf}
        async with self.session.post(f"{self.stack.url}/staff/news", data=data, allow_redirects=False) as response:
            assert response.status == 303, await response.text()
            return int(response.headers["Location"].split("?")[0].rsplit("/", 1)[1])

    async def page(self, news_id: int) -> str:
        async with self.session.get(f"{self.stack.url}/staff/news/{news_id}") as response:
            assert response.status == 200, response.status
            return await response.text()

    async def reachable(self, news_id: int) -> tuple[int, int]:
        """The preview's figures: who will receive it, and who cannot be reached outside WhatsApp's window."""
        page = await self.page(news_id)
        reachable = re.search(r'id="reachable">(\d+)<', page).group(1)
        unreachable = re.search(r'id="unreachable">(\d+)<', page).group(1)
        return int(reachable), int(unreachable)

    async def act(self, news_id: int, action: str) -> None:
        data = {"csrf_token": self.csrf}
        url = f"{self.stack.url}/staff/news/{news_id}/{action}"
        async with self.session.post(url, data=data, allow_redirects=False) as response:
            assert response.status == 303, f"{action}: {response.status} {await response.text()}"

    async def progress(self, news_id: int) -> dict:
        async with self.session.get(f"{self.stack.url}/staff/news/{news_id}/progress") as response:
            assert response.status == 200, response.status
            return await response.json()

    async def until_finished(self, news_id: int, timeout: float = 120) -> dict:
        async def finished() -> bool:
            return (await self.progress(news_id))["status"] in ("sent", "stopped")

        await until(finished, timeout, what=f"the end of broadcast {news_id}")
        return await self.progress(news_id)


async def subscribers(stack: Stack, channel: str, count: int, *, wrote_hours_ago: float = 1) -> list[str]:
    """`count` artisans of `channel` who wrote `wrote_hours_ago` hours ago and subscribed: their chat ids."""
    engine = create_engine(stack.settings.database_url)
    wrote_at = datetime.now(UTC) - timedelta(hours=wrote_hours_ago)
    chats = [
        str(random.randrange(10**9, 10**10)) if channel == "telegram" else f"3362{random.randrange(10**7):07d}"
        for _ in range(count)
    ]
    try:
        async with create_sessionmaker(engine)() as session:
            for chat in chats:
                conversation = Conversation(channel=channel, external_id=chat)
                session.add(conversation)
                await session.flush()
                session.add(Message(
                    conversation_id=conversation.id, direction=Direction.IN, channel=channel, author="artisan",
                    text="je veux recevoir les infos", status=MessageStatus.DONE, created_at=wrote_at,
                    platform_message_id=uuid.uuid4().hex,
                ))
                session.add(Subscription(
                    conversation_id=conversation.id, channel=channel, consent_text="(test) oui", consent_at=wrote_at,
                ))
            await session.commit()
    finally:
        await engine.dispose()
    return chats


async def deliveries(stack: Stack, news_id: int) -> list[NewsDelivery]:
    engine = create_engine(stack.settings.database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(select(NewsDelivery).where(NewsDelivery.news_id == news_id)))
    finally:
        await engine.dispose()
