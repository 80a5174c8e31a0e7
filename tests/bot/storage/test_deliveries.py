"""What happens to the replies after they are stored (bot/storage/deliveries.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.storage import MessageStatus
from bot.storage.deliveries import WINDOW_CLOSED, DeliveryLog
from bot.storage.message_log import Inbound, MessageLog


async def test_a_platform_report_never_moves_a_status_back(log: MessageLog, deliveries: DeliveryLog) -> None:
    stored = await log.store_inbound(Inbound("scripted", "karim", "question"))
    [message] = await log.record_answer(stored.message, [{"text": "hello"}])
    await deliveries.record_delivery(message, MessageStatus.SENT, platform_message_id="wamid.1")
    assert await deliveries.record_platform_status("scripted", "wamid.1", MessageStatus.READ)
    assert await deliveries.record_platform_status("scripted", "wamid.1", MessageStatus.DELIVERED)  # late report
    assert (await log.get(message.id)).status == MessageStatus.READ
    assert not await deliveries.record_platform_status("scripted", "wamid.unknown", MessageStatus.READ)


async def test_a_reply_the_platform_says_came_too_late_is_held_then_released_when_the_artisan_writes(
    log: MessageLog, deliveries: DeliveryLog
) -> None:
    stored = await log.store_inbound(Inbound("whatsapp", "33612345678", "bonjour"))
    [reply] = await log.record_answer(stored.message, [{"text": "Réponse"}])
    await deliveries.record_delivery(reply, MessageStatus.SENT, platform_message_id="wamid.late")
    held = await deliveries.window_closed_by_platform("whatsapp", "wamid.late", "131047", resend=False)
    assert held is not None and held.status == MessageStatus.HELD and held.payload[WINDOW_CLOSED]
    assert await deliveries.window_closed_by_platform("whatsapp", "wamid.unknown", "131047", resend=False) is None
    [released] = await deliveries.release_held(stored.conversation.id)
    assert released.id == reply.id and released.status == MessageStatus.PENDING and WINDOW_CLOSED not in (released.payload or {})
    assert [m.id for m in await deliveries.pending_outbound(["whatsapp"])] == [reply.id]
    assert await deliveries.external_id(stored.conversation.id) == "33612345678"
    assert await deliveries.last_inbound_at(stored.conversation.id) == stored.message.created_at
