"""The dashboard: counts, and the per-day chart as inline SVG with a table for those who cannot see it."""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.staff.dashboard import nice_top, per_day_chart


def test_the_chart_scale_is_round() -> None:
    assert [nice_top(v) for v in (0, 1, 3, 7, 12, 60, 101)] == [1, 1, 5, 10, 20, 100, 200]


def test_the_chart_draws_two_bars_a_day_within_its_box() -> None:
    days = [(date(2020, 4, 1) + timedelta(days=i), i % 4, i % 3) for i in range(30)]
    chart = per_day_chart(days)
    assert len(chart.bars) == 60
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.y >= 0 and all(bar.x + bar.width <= chart.width for bar in chart.bars)
    assert all(abs(bar.y + bar.height - chart.baseline) < 0.2 for bar in chart.bars)
    assert chart.bars[2].title == "02/04 : 1 demande(s) de rappel"
    assert [value for _, value in chart.ticks] == [0, 2, 5]


async def test_the_dashboard_page(browser, agent, seed, desk, clock) -> None:
    late = await seed.callback()
    await seed.callback()
    await seed.pledge(quantity=250)
    handed = await seed.pledge(quantity=50)
    await desk.set_pledges_status([handed], agent.id, "handed_over", date(2020, 4, 6))
    await desk.assign_to(late, agent.id)
    clock.advance(days=2)
    await browser.login(agent.email)
    page = await (await browser.get("/staff/dashboard")).text()
    assert re.search(r'id="overdue">2<', page)
    assert re.search(r'id="callbacks-new">1<', page) and re.search(r'id="callbacks-in_progress">1<', page)
    assert re.search(r'id="masks-pledged">250<', page) and re.search(r'id="masks-handed_over">50<', page)
    assert '<svg class="chart"' in page and 'role="img"' in page and "<desc" in page
    assert page.count('<rect class="callbacks"') == 30 and page.count('<rect class="pledges"') == 30
    assert "<tr><td>06/04/2020</td><td>2</td><td>2</td></tr>" in page  # the table under the chart
    assert "<script" not in page and "style=" not in page  # no script, nothing the CSP would block


async def test_replies_that_did_not_reach_the_artisan_are_listed_with_the_reason(browser, agent, client) -> None:
    from bot import appkeys
    from bot.storage import MessageStatus
    from bot.storage.message_log import Inbound

    log = client.app[appkeys.MESSAGE_LOG]
    stored = await log.store_inbound(Inbound("whatsapp", "33612345678", "bonjour", platform_message_id="wamid.a"))
    held, refused, fine = await log.record_answer(
        stored.message, [{"text": "Réponse retenue"}, {"text": "Réponse refusée"}, {"text": "Réponse partie"}]
    )
    await client.app[appkeys.DELIVERY_LOG].record_delivery(held, MessageStatus.HELD, error="Fenêtre de 24 h fermée")
    await client.app[appkeys.DELIVERY_LOG].record_delivery(refused, MessageStatus.FAILED, error="131026: Message undeliverable")
    await client.app[appkeys.DELIVERY_LOG].record_delivery(fine, MessageStatus.SENT, platform_message_id="wamid.b")
    await browser.login(agent.email)
    page = await (await browser.get("/staff/dashboard")).text()
    table = page.split('id="undelivered"')[1].split("</table>")[0]
    assert "Réponse retenue" in table and "Fenêtre de 24 h fermée" in table
    assert "Réponse refusée" in table and "131026: Message undeliverable" in table
    assert "Réponse partie" not in table
    assert f'/staff/conversations/{stored.conversation.id}' in table

    transcript = await (await browser.get(f"/staff/conversations/{stored.conversation.id}")).text()
    assert "Canal : WhatsApp" in transcript
    assert "Retenu (fenêtre WhatsApp de 24 h fermée) : Fenêtre de 24 h fermée" in transcript
    assert "Non remis : 131026: Message undeliverable" in transcript and ">Envoyé<" in transcript


async def test_the_dashboard_says_when_every_reply_went_out(browser, agent) -> None:
    await browser.login(agent.email)
    page = await (await browser.get("/staff/dashboard")).text()
    assert 'id="undelivered-none"' in page
