"""The safety net under the dialogue, on the whole stack: when Rasa loses track of a conversation, the artisan
gets one bubble, the log says which conversation, the staff dashboard counts it, and the next messages are
answered as usual.

The conversation is left as issue 19's bug left them in Rasa's tracker: ten actions since the bot last
listened, so that Rasa's circuit breaker stops the next turn at once.
"""

from __future__ import annotations

import re
import uuid

import aiohttp
import pytest

from bot.messaging.replies import LOST_TRACK
from tests.stack.people import PASSWORD, add_adviser, answer, chat, conversation_of
from tests.stack.test_handoff_endings_stack import the_bot_answers_again
from tests.support.stack import Stack, staff_login

pytestmark = pytest.mark.stack


async def incidents_on_the_dashboard(stack: Stack, session: aiohttp.ClientSession) -> int:
    async with session.get(f"{stack.url}/staff/dashboard") as response:
        assert response.status == 200
        found = re.search(r'id="incidents-recent">(\d+)<', await response.text())
    assert found, "the dashboard shows the incidents"
    return int(found.group(1))


async def leave_stuck(stack: Stack, http: aiohttp.ClientSession, conversation_id: str) -> None:
    events = [
        {"event": "user", "text": "c quoi le PGE ?", "parse_data": {"intent": {"name": "faq_pge", "confidence": 0.98}}},
        *[{"event": "action", "name": "action_fallback"} for _ in range(10)],
    ]
    async with http.post(
        f"{stack.settings.rasa_url}/conversations/{conversation_id}/tracker/events",
        json=events,
        params={"token": stack.settings.engine_token},
    ) as response:
        assert response.status == 200, await response.text()


async def test_a_conversation_rasa_lost_track_of_gets_one_bubble_an_alarm_and_normal_answers_after(
    stack: Stack,
) -> None:
    sender = f"stuck-{uuid.uuid4().hex[:8]}"
    staff, _ = await staff_login(stack.url, add_adviser(stack), PASSWORD)
    try:
        async with aiohttp.ClientSession() as session:
            before = await incidents_on_the_dashboard(stack, staff)
            assert await chat(session, stack, sender, "bonjour") == [answer("utter_greet")]
            conversation = await conversation_of(stack, "rest", sender)
            await leave_stuck(stack, session, conversation.id)

            assert await chat(session, stack, sender, "et le chomage partiel ?") == [LOST_TRACK]
            assert await incidents_on_the_dashboard(stack, staff) == before + 1
            alarms = [line for line in stack.log().splitlines() if conversation.id in line and "ERROR" in line]
            assert alarms, "the log names the conversation at error level"
            await the_bot_answers_again(session, stack, sender)
    finally:
        await staff.close()
