"""The advisers' pages of callbacks, pledges and conversations, through the app as a browser uses them."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot import appkeys
from bot.storage.message_log import Inbound
from bot.storage.models import CallbackRequest, MaskPledge, StatusChange


def rows_of(html: str) -> list[str]:
    """The references in the order the queue lists them."""
    return re.findall(r">(RAP-\d{6})</a>", html)


async def logged_in(browser, account) -> str:
    await browser.login(account.email)
    return await browser.csrf_token()


async def stored(client, model, record_id: int):
    async with client.app[appkeys.REQUEST_DESK]._sessionmaker() as session:
        return await session.get(model, record_id)


async def changes_of(client, callback_id: int) -> list[StatusChange]:
    async with client.app[appkeys.REQUEST_DESK]._sessionmaker() as session:
        return list(await session.scalars(select(StatusChange).where(StatusChange.callback_id == callback_id)))


# The queue


async def test_the_queue_is_sorted_by_deadline_and_highlights_the_late_ones(browser, agent, seed, clock) -> None:
    first = await seed.callback(name="Premier")  # Monday 11:00 in Paris: due Tuesday 11:00
    clock.advance(hours=2)
    second = await seed.callback(name="Second")
    clock.advance(hours=1)
    third = await seed.callback(name="Troisième")
    await logged_in(browser, agent)

    page = await (await browser.get("/staff/callbacks")).text()
    assert rows_of(page) == [f"RAP-{i:06d}" for i in (first, second, third)]
    assert "overdue" not in page and "en retard</strong>" not in page
    assert "07/04/2020 à 11:00" in page  # Paris time of the first deadline (09:00 UTC)
    assert "Marie" not in page and "Premier" in page and "06 12 34 56 78" in page

    # The desk closes 12:00-14:00: the two later ones are due on Tuesday at 14:00.
    clock.advance(hours=23, minutes=30)  # Tuesday 13:30 in Paris: only the first is late
    await logged_in(browser, agent)  # the session ended while idle
    page = await (await browser.get("/staff/callbacks")).text()
    assert re.findall(r'<tr class="status-new overdue">\s*<td>07/04/2020 à 11:00', page)
    assert page.count(" overdue") == 1 and page.count("en retard</strong>") == 1
    clock.advance(minutes=31)
    await logged_in(browser, agent)
    page = await (await browser.get("/staff/callbacks")).text()
    assert page.count(" overdue") == 3


async def test_a_callback_done_is_not_late_and_leaves_the_default_view(browser, agent, seed, clock, desk) -> None:
    callback_id = await seed.callback()
    await desk.assign_to(callback_id, agent.id)
    await desk.set_callback_status(callback_id, agent.id, "called_back", "ok")
    clock.advance(days=3)
    await logged_in(browser, agent)  # after the clock moved: sessions end when idle
    assert rows_of(await (await browser.get("/staff/callbacks")).text()) == []
    page = await (await browser.get("/staff/callbacks?status=all")).text()
    assert rows_of(page) == [f"RAP-{callback_id:06d}"] and "overdue" not in page


async def test_the_filters_apply_and_stay_in_the_links(browser, agent, seed) -> None:
    macon_pge = await seed.callback()
    await seed.callback(subject="faq_loyers_factures")
    await seed.callback(commune_code="71076", commune_name="Chalon-sur-Saône")
    await logged_in(browser, agent)

    page = await (await browser.get("/staff/callbacks?subject=faq_pge&commune=71270")).text()
    assert rows_of(page) == [f"RAP-{macon_pge:06d}"]
    assert '<option value="71270" selected>Mâcon</option>' in page
    assert '<option value="faq_pge" selected>Prêt garanti (PGE)</option>' in page
    # The detail link and the assign form bring the adviser back to the same filtered view.
    assert "back=/staff/callbacks%3Fsubject%3Dfaq_pge%26commune%3D71270" in page
    assert 'name="back" value="/staff/callbacks?subject=faq_pge&amp;commune=71270"' in page

    assert len(rows_of(await (await browser.get("/staff/callbacks?commune=71076")).text())) == 1
    assert len(rows_of(await (await browser.get("/staff/callbacks?status=in_progress")).text())) == 0
    assert len(rows_of(await (await browser.get("/staff/callbacks?status=bogus")).text())) == 3


async def test_assign_to_me_takes_the_callback_and_goes_back_to_the_queue(browser, agent, seed, client) -> None:
    callback_id = await seed.callback()
    token = await logged_in(browser, agent)
    response = await browser.post(
        f"/staff/callbacks/{callback_id}/assign",
        data={"csrf_token": token, "seen_status": "new", "back": "/staff/callbacks?subject=faq_pge"},
    )
    assert response.status == 303
    assert response.headers["Location"] == "/staff/callbacks?subject=faq_pge&ok=assigned"
    row = await stored(client, CallbackRequest, callback_id)
    assert (row.status, row.assigned_to_id) == ("in_progress", agent.id)
    [change] = await changes_of(client, callback_id)
    assert (change.account_id, change.from_status, change.to_status) == (agent.id, "new", "in_progress")

    page = await (await browser.get("/staff/callbacks?ok=assigned")).text()
    assert "La demande vous est attribuée." in page and agent.email in page


async def test_assign_refuses_a_callback_already_mine(browser, agent, seed, client, desk) -> None:
    callback_id = await seed.callback()
    await desk.assign_to(callback_id, agent.id)
    token = await logged_in(browser, agent)
    response = await browser.post(f"/staff/callbacks/{callback_id}/assign", data={"csrf_token": token})
    assert response.status == 409 and "déjà attribuée" in await response.text()


async def test_another_adviser_can_take_over_a_callback_in_progress(browser, agent, admin, seed, client, desk) -> None:
    callback_id = await seed.callback()
    await desk.assign_to(callback_id, agent.id)
    token = await logged_in(browser, admin)
    page = await (await browser.get(f"/staff/callbacks/{callback_id}")).text()
    assert "M’attribuer" in page
    response = await browser.post(
        f"/staff/callbacks/{callback_id}/assign", data={"csrf_token": token, "seen_status": "in_progress"}
    )
    assert response.status == 303
    assert (await stored(client, CallbackRequest, callback_id)).assigned_to_id == admin.id


# Who sees which callback (issue 15, hole 9): agents the open ones and their own, admins every one


async def test_an_agent_sees_the_open_callbacks_and_their_own_finished_ones_only(
    browser, new_browser, agent, admin, accounts, seed, desk
) -> None:
    colleague = await accounts.create("collegue@cma.example", "mot de passe assez long", "agent")
    waiting = await seed.callback(name="Attend Toujours")
    mine = await seed.callback(name="Rappele Parmoi")
    theirs = await seed.callback(name="Rappele Parlautre")
    for callback_id, adviser in ((mine, agent), (theirs, colleague)):
        await desk.assign_to(callback_id, adviser.id)
        await desk.set_callback_status(callback_id, adviser.id, "called_back", "ok")

    token = await logged_in(browser, agent)
    page = await (await browser.get("/staff/callbacks?status=all")).text()
    assert rows_of(page) == [f"RAP-{i:06d}" for i in (waiting, mine)]
    assert "Parlautre" not in page
    assert (await browser.get(f"/staff/callbacks/{mine}")).status == 200
    # Another adviser's finished callback is unknown to this agent, read or written, and stays as it was.
    assert (await browser.get(f"/staff/callbacks/{theirs}")).status == 404
    refused = await browser.post(f"/staff/callbacks/{theirs}/status", data={"csrf_token": token, "status": "closed"})
    assert refused.status == 409 and "un autre conseiller" in await refused.text()
    assert "Parlautre" not in await refused.text()
    assert (await desk.callback(theirs))[0].callback.status == "called_back"

    admin_browser = new_browser()
    await logged_in(admin_browser, admin)
    page = await (await admin_browser.get("/staff/callbacks?status=all")).text()
    assert rows_of(page) == [f"RAP-{i:06d}" for i in (waiting, mine, theirs)]
    assert (await admin_browser.get(f"/staff/callbacks/{theirs}")).status == 200


# Status changes


@pytest.mark.parametrize(
    "path, final",
    [
        (["in_progress", "called_back"], "called_back"),
        (["in_progress", "unreachable"], "unreachable"),
        (["in_progress", "closed"], "closed"),
        (["closed"], "closed"),
        (["in_progress", "unreachable", "in_progress", "called_back", "closed"], "closed"),
        (["in_progress", "unreachable", "called_back"], "called_back"),
        (["in_progress", "unreachable", "closed"], "closed"),
    ],
)
async def test_every_allowed_transition(browser, agent, seed, client, path: list[str], final: str) -> None:
    callback_id = await seed.callback()
    token = await logged_in(browser, agent)
    for number, status in enumerate(path):
        response = await browser.post(
            f"/staff/callbacks/{callback_id}/status",
            data={"csrf_token": token, "status": status, "note": f"étape {number}"},
        )
        assert response.status == 303, await response.text()
        assert response.headers["Location"].startswith(f"/staff/callbacks/{callback_id}?")
    row = await stored(client, CallbackRequest, callback_id)
    assert row.status == final and row.note == f"étape {len(path) - 1}"
    changes = await changes_of(client, callback_id)
    assert [c.to_status for c in changes] == path
    assert [c.note for c in changes] == [f"étape {n}" for n in range(len(path))]
    assert {c.account_id for c in changes} == {agent.id}


@pytest.mark.parametrize(
    "before, to_status",
    [
        ([], "called_back"),  # nobody took it yet
        ([], "unreachable"),
        ([], "cancelled"),  # only the artisan cancels
        (["in_progress", "called_back"], "unreachable"),
        (["closed"], "in_progress"),
        ([], "bogus"),
    ],
)
async def test_a_forbidden_transition_is_refused_in_french_and_changes_nothing(
    browser, agent, seed, client, desk, before: list[str], to_status: str
) -> None:
    callback_id = await seed.callback()
    for status in before:
        await desk.set_callback_status(callback_id, agent.id, status, None)
    was = (await stored(client, CallbackRequest, callback_id)).status
    token = await logged_in(browser, agent)
    response = await browser.post(
        f"/staff/callbacks/{callback_id}/status", data={"csrf_token": token, "status": to_status, "note": "x"}
    )
    assert response.status == 409
    assert "Impossible de passer une demande" in await response.text()
    row = await stored(client, CallbackRequest, callback_id)
    assert row.status == was and row.note is None
    assert len(await changes_of(client, callback_id)) == len(before)


async def test_a_change_on_a_stale_page_is_refused(browser, agent, admin, seed, client, desk) -> None:
    callback_id = await seed.callback()
    await desk.assign_to(callback_id, admin.id)
    await desk.set_callback_status(callback_id, admin.id, "called_back", None)
    token = await logged_in(browser, agent)
    # The agent's page still showed "in progress".
    response = await browser.post(
        f"/staff/callbacks/{callback_id}/status",
        data={"csrf_token": token, "status": "unreachable", "seen_status": "in_progress"},
    )
    assert response.status == 409 and "a changé entre-temps" in await response.text()
    assert (await stored(client, CallbackRequest, callback_id)).status == "called_back"


async def test_a_note_too_long_is_refused(browser, agent, seed, client) -> None:
    callback_id = await seed.callback()
    token = await logged_in(browser, agent)
    response = await browser.post(
        f"/staff/callbacks/{callback_id}/status", data={"csrf_token": token, "status": "closed", "note": "x" * 2001}
    )
    assert response.status == 400 and "2000 caractères" in await response.text()
    assert (await stored(client, CallbackRequest, callback_id)).status == "new"


async def test_a_note_with_a_lone_surrogate_is_refused_in_french_and_changes_nothing(browser, agent, seed, client) -> None:
    callback_id = await seed.callback()
    token = await logged_in(browser, agent)
    # As a hand-made client sends it: the note's bytes are a surrogate's UTF-8 form, which no browser sends.
    parts = [(b"csrf_token", token.encode()), (b"status", b"closed"), (b"note", "Rappeler \ud800".encode("utf-8", "surrogatepass"))]
    body = b"".join(b'--B\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % part for part in parts) + b"--B--\r\n"
    response = await browser.post(
        f"/staff/callbacks/{callback_id}/status", data=body, headers={"Content-Type": "multipart/form-data; boundary=B"}
    )
    assert response.status == 400 and "caractère" in await response.text()
    row = await stored(client, CallbackRequest, callback_id)
    assert (row.status, row.note) == ("new", None)


async def test_the_detail_shows_the_artisan_the_next_steps_and_the_history(browser, agent, seed, desk, clock) -> None:
    conversation_id = await seed.conversation()
    callback_id = await seed.callback(conversation_id=conversation_id, name="Éloïse Bénard")
    await desk.assign_to(callback_id, agent.id)
    clock.advance(minutes=5)
    await desk.set_callback_status(callback_id, agent.id, "unreachable", "Messagerie <pleine>")
    await logged_in(browser, agent)
    page = await (await browser.get(f"/staff/callbacks/{callback_id}")).text()
    assert "Éloïse Bénard" in page and 'href="tel:+33612345678"' in page
    assert f'href="/staff/conversations/{conversation_id}"' in page
    assert "Messagerie &lt;pleine&gt;" in page and "<pleine>" not in page
    assert "Nouvelle → En cours" in page and "En cours → Injoignable" in page
    assert "06/04/2020 à 11:05" in page  # when, in Paris
    buttons = re.findall(r'name="status" value="(\w+)"', page)
    assert buttons == ["called_back", "in_progress", "closed"]


async def test_unknown_records_are_404(browser, agent) -> None:
    await logged_in(browser, agent)
    assert (await browser.get("/staff/callbacks/999")).status == 404
    assert (await browser.get("/staff/callbacks/abc")).status == 404
    assert (await browser.get("/staff/conversations/nope")).status == 404


# CSRF on every form of these pages


@pytest.mark.parametrize("token", [None, "", "wrong"])
@pytest.mark.parametrize(
    "path, data",
    [
        ("/staff/callbacks/{id}/assign", {}),
        ("/staff/callbacks/{id}/status", {"status": "closed"}),
        ("/staff/pledges/status", {"action": "collected", "pledge": "{pledge}"}),
    ],
)
async def test_every_form_needs_the_csrf_token(browser, agent, seed, client, token, path: str, data: dict) -> None:
    callback_id = await seed.callback()
    pledge_id = await seed.pledge()
    await logged_in(browser, agent)
    sent = {name: value.format(pledge=pledge_id) for name, value in data.items()}
    if token is not None:
        sent["csrf_token"] = token
    response = await browser.post(path.format(id=callback_id), data=sent)
    assert response.status == 403
    assert (await stored(client, CallbackRequest, callback_id)).status == "new"
    assert (await stored(client, MaskPledge, pledge_id)).status == "pledged"


# Conversations


async def test_the_conversation_shows_every_message_in_order_and_its_requests(browser, agent, seed, client) -> None:
    conversation_id = await seed.conversation("bonjour")
    log = client.app[appkeys.MESSAGE_LOG]
    conversation = await log.find_conversation("rest", f"artisan-{seed.count}")
    await log.store_inbound(Inbound("rest", conversation.external_id, "rappelez-moi pour le PGE"))
    callback_id = await seed.callback(conversation_id=conversation_id)
    pledge_id = await seed.pledge(conversation_id=conversation_id)
    await logged_in(browser, agent)
    page = await (await browser.get(f"/staff/conversations/{conversation_id}")).text()
    assert page.index("bonjour") < page.index("rappelez-moi pour le PGE")
    assert f"RAP-{callback_id:06d}" in page and f"DON-{pledge_id:06d}" in page
    assert "2 messages" in page


# Pledges


async def test_pledge_totals_by_type_commune_and_status(browser, agent, seed, desk) -> None:
    a = await seed.pledge(quantity=300)
    await seed.pledge(quantity=50, mask_type="ffp2", commune_code="71270", commune_name="Mâcon")
    await seed.pledge(quantity=20, mask_type="fabric", commune_code="71270", commune_name="Mâcon")
    await desk.set_pledges_status([a], agent.id, "collected")
    totals, communes = await desk.pledge_totals()
    assert totals.by_status == {"pledged": (2, 70), "collected": (1, 300)}
    assert totals.by_type == {"surgical": 300, "ffp2": 50, "fabric": 20}
    assert totals.by_commune == {"Chalon-sur-Saône": 300, "Mâcon": 70}
    assert totals.masks == 370
    assert communes == [("71076", "Chalon-sur-Saône"), ("71270", "Mâcon")]

    await logged_in(browser, agent)
    page = await (await browser.get("/staff/pledges")).text()
    assert "<tr><td>Collecté</td><td>1</td><td>300</td></tr>" in page
    assert "<tr><td>FFP2</td><td>50</td></tr>" in page
    assert "<tr><td>Mâcon</td><td>70</td></tr>" in page
    filtered = await (await browser.get("/staff/pledges?type=ffp2")).text()
    assert filtered.count('name="pledge"') == 1


async def test_mark_collected_then_hand_a_batch_to_the_prefecture(browser, agent, seed, client, clock) -> None:
    ids = [await seed.pledge(quantity=q) for q in (100, 200, 300)]
    token = await logged_in(browser, agent)
    response = await browser.post(
        "/staff/pledges/status", data={"csrf_token": token, "action": "collected", "pledge": str(ids[0])}
    )
    assert response.status == 303 and response.headers["Location"] == "/staff/pledges?ok=collected"
    assert (await stored(client, MaskPledge, ids[0])).status == "collected"

    response = await browser.post(
        "/staff/pledges/status",
        data=[("csrf_token", token), ("action", "handed_over"), ("date", "2020-04-04"),
              ("pledge", str(ids[0])), ("pledge", str(ids[1])), ("back", "/staff/pledges?status=all")],
    )
    assert response.status == 303
    for pledge_id in ids[:2]:
        row = await stored(client, MaskPledge, pledge_id)
        assert row.status == "handed_over"
        assert row.handed_over_at == datetime(2020, 4, 4, 10, 0, tzinfo=UTC)  # noon in Paris
    assert (await stored(client, MaskPledge, ids[2])).status == "pledged"
    page = await (await browser.get("/staff/pledges?ok=handed_over")).text()
    assert "remises à la préfecture" in page and "le 04/04/2020 à 12:00" in page


async def test_a_hand_over_today_keeps_the_time(browser, agent, seed, client, clock) -> None:
    pledge_id = await seed.pledge()
    token = await logged_in(browser, agent)
    page = await (await browser.get("/staff/pledges")).text()
    assert 'type="date" value="2020-04-06"' in page  # today, by default
    await browser.post(
        "/staff/pledges/status",
        data={"csrf_token": token, "action": "handed_over", "date": "2020-04-06", "pledge": str(pledge_id)},
    )
    assert (await stored(client, MaskPledge, pledge_id)).handed_over_at == clock.now


@pytest.mark.parametrize(
    "data, message",
    [
        ({"action": "handed_over", "date": "2020-04-07"}, "dans le futur"),
        ({"action": "handed_over", "date": "demain"}, "n’est pas valide"),
        ({"action": "handed_over", "date": ""}, "n’est pas valide"),
        ({"action": "collected", "pledge": ""}, "Cochez au moins"),
        ({"action": "explode"}, "Choisissez une action"),
    ],
)
async def test_a_bad_batch_changes_nothing(browser, agent, seed, client, data: dict, message: str) -> None:
    pledge_id = await seed.pledge()
    token = await logged_in(browser, agent)
    response = await browser.post(
        "/staff/pledges/status", data={"csrf_token": token, "pledge": str(pledge_id), **data}
    )
    assert response.status == 400 and message in await response.text()
    assert (await stored(client, MaskPledge, pledge_id)).status == "pledged"


async def test_a_batch_with_one_pledge_not_allowed_is_refused_whole(browser, agent, seed, client, desk) -> None:
    done = await seed.pledge()
    fresh = await seed.pledge()
    await desk.set_pledges_status([done], agent.id, "handed_over", datetime(2020, 4, 6).date())
    token = await logged_in(browser, agent)
    response = await browser.post(
        "/staff/pledges/status",
        data=[("csrf_token", token), ("action", "collected"), ("pledge", str(done)), ("pledge", str(fresh))],
    )
    assert response.status == 409 and f"DON-{done:06d}" in await response.text()
    assert (await stored(client, MaskPledge, fresh)).status == "pledged"


# Links


async def test_the_home_page_and_the_layout_link_the_new_pages(browser, agent) -> None:
    await logged_in(browser, agent)
    page = await (await browser.get("/staff/")).text()
    for path in ("/staff/callbacks", "/staff/pledges", "/staff/dashboard"):
        assert page.count(f'href="{path}"') == 2  # the bar and the home page's list
    assert "/staff/admin/" not in page


async def test_only_admins_see_the_export_links(browser, new_browser, agent, admin, seed) -> None:
    await seed.callback()
    await logged_in(browser, agent)
    assert ".csv" not in await (await browser.get("/staff/callbacks")).text()
    other = new_browser()
    await logged_in(other, admin)
    page = await (await other.get("/staff/callbacks?status=all")).text()
    assert 'href="/staff/callbacks.csv?status=all"' in page


async def test_a_pledge_page_shows_its_history(browser, agent, seed, desk) -> None:
    conversation_id = await seed.conversation()
    pledge_id = await seed.pledge(conversation_id=conversation_id, quantity=120, mask_type="ffp2")
    await desk.set_pledges_status([pledge_id], agent.id, "collected")
    await logged_in(browser, agent)
    listing = await (await browser.get("/staff/pledges?type=ffp2")).text()
    assert f'href="/staff/pledges/{pledge_id}?back=/staff/pledges%3Ftype%3Dffp2"' in listing
    page = await (await browser.get(f"/staff/pledges/{pledge_id}?back=/staff/pledges%3Ftype%3Dffp2")).text()
    assert "120 · FFP2" in page and "Promis → Collecté" in page and agent.email in page
    assert f'href="/staff/conversations/{conversation_id}"' in page
    assert 'href="/staff/pledges?type=ffp2"' in page
    assert (await browser.get("/staff/pledges/999")).status == 404
