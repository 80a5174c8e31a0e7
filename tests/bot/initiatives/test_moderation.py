"""Staff check the initiatives artisans propose: each step is kept in the initiative's history, and its proposer
is told on their channel through the outbox. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.errors import BadMessage, InitiativeRefused
from bot.storage.models import InitiativeStatus
from tests.bot.initiatives.conftest import ADVISER, AUTUN, MACON, SANCE, World, proposal


async def test_a_proposal_waits_to_be_checked_with_its_consent_kept(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.initiatives.propose(conversation, proposal(commune_codes=[MACON, SANCE]))

    assert initiative.reference == "INI-000001"
    assert initiative.status == InitiativeStatus.PENDING
    assert initiative.commune_names == ["Mâcon", "Sancé"]
    assert initiative.contact_consent_text.startswith("J’accepte que mon téléphone")
    assert initiative.contact_consent_at == world.clock.now
    assert [i.reference for i in await world.initiatives.waiting()] == ["INI-000001"]
    assert await world.actions(initiative.id) == [("artisan", "proposed", None)]
    assert world.sent == []


async def test_a_proposal_from_an_unknown_conversation_is_refused(world: World) -> None:
    with pytest.raises(InitiativeRefused) as refused:
        await world.initiatives.propose("nobody", proposal())
    assert refused.value.status == 404


async def test_the_same_proposal_within_a_minute_is_a_retry(world: World) -> None:
    conversation = await world.artisan()
    first, created = await world.initiatives.propose_once(conversation, proposal())
    again, created_again = await world.initiatives.propose_once(conversation, proposal())
    world.clock.advance(minutes=2)
    later, created_later = await world.initiatives.propose_once(conversation, proposal())
    other, _ = await world.initiatives.propose_once(conversation, proposal(category="transport"))

    assert (created, created_again, created_later) == (True, False, True)
    assert again.reference == first.reference
    assert later.reference != first.reference and other.reference not in (first.reference, later.reference)


async def test_approving_publishes_it_and_tells_the_artisan(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.proposed(conversation)
    world.clock.advance(hours=2)

    approved = await world.initiatives.approve(initiative.id, ADVISER)

    assert approved.status == InitiativeStatus.APPROVED
    assert approved.approved_at == approved.last_confirmed_at == world.clock.now
    [told] = await world.told(conversation)
    assert told["text"].startswith("Votre initiative INI-000001 est publiée")
    assert "jusqu’au 30 juin 2020" in told["text"]
    assert [m.conversation_id for m in world.sent] == [conversation]
    assert await world.actions(initiative.id) == [
        ("artisan", "proposed", None), ("conseillere@cma-exemple.fr", "approved", None)
    ]
    found = await world.initiatives.get(initiative.id)
    assert found is not None and found[1][1].account_id == 1


async def test_refusing_tells_the_artisan_why(world: World) -> None:
    conversation = await world.artisan()
    initiative = await world.proposed(conversation)

    refused = await world.initiatives.refuse(initiative.id, ADVISER, "  Ce n’est pas une aide  solidaire. ")

    assert refused.status == InitiativeStatus.REFUSED
    assert refused.refusal_reason == "Ce n’est pas une aide solidaire."
    [told] = await world.told(conversation)
    assert "INI-000001 n’a pas été publiée. Raison : Ce n’est pas une aide solidaire." in told["text"]
    assert (await world.actions(initiative.id))[-1] == (
        "conseillere@cma-exemple.fr", "refused", "Ce n’est pas une aide solidaire."
    )


@pytest.mark.parametrize("approve_first", [False, True])
async def test_retiring_tells_the_artisan_why(world: World, approve_first: bool) -> None:
    conversation = await world.artisan()
    initiative = await (world.approved if approve_first else world.proposed)(conversation)

    retired = await world.initiatives.retire(initiative.id, ADVISER, "Numéro injoignable")

    assert retired.status == InitiativeStatus.RETIRED and retired.retired_reason == "Numéro injoignable"
    told = await world.told(conversation)
    assert told[-1]["text"] == "Votre initiative INI-000001 a été retirée de la liste. Raison : Numéro injoignable"
    assert (await world.actions(initiative.id))[-1] == ("conseillere@cma-exemple.fr", "retired", "Numéro injoignable")


@pytest.mark.parametrize("step", ["refuse", "retire"])
async def test_a_refusal_or_a_retirement_needs_a_reason(world: World, step: str) -> None:
    initiative = await world.proposed()
    with pytest.raises(BadMessage) as refused:
        await getattr(world.initiatives, step)(initiative.id, ADVISER, "   ")
    assert (refused.value.status, refused.value.field) == (400, "reason")
    assert await world.status(initiative.id) == InitiativeStatus.PENDING


@pytest.mark.parametrize(
    "done, step, sentence",
    [
        ("approve", "approve", "Cette initiative est déjà publiée."),
        ("approve", "refuse", "Cette initiative est déjà publiée."),
        ("refuse", "approve", "Cette initiative a été refusée."),
        ("refuse", "retire", "Cette initiative a été refusée."),
        ("retire", "approve", "Cette initiative a été retirée."),
        ("retire", "refuse", "Cette initiative a été retirée."),
        ("retire", "retire", "Cette initiative a été retirée."),
    ],
)
async def test_steps_that_cannot_be_taken_now_are_refused(world: World, done: str, step: str, sentence: str) -> None:
    initiative = await world.proposed()
    await _take(world, done, initiative.id)
    events = await world.actions(initiative.id)

    with pytest.raises(InitiativeRefused) as refused:
        await _take(world, step, initiative.id)

    assert (refused.value.status, refused.value.message) == (409, sentence)
    assert await world.actions(initiative.id) == events


async def test_an_unknown_initiative_is_not_found(world: World) -> None:
    with pytest.raises(InitiativeRefused) as refused:
        await world.initiatives.approve(99, ADVISER)
    assert refused.value.status == 404
    assert await world.initiatives.get(99) is None


async def _take(world: World, step: str, initiative_id: int) -> None:
    if step == "approve":
        await world.initiatives.approve(initiative_id, ADVISER)
    else:
        await getattr(world.initiatives, step)(initiative_id, ADVISER, "Une raison")


async def test_an_edit_names_the_fields_changed(world: World) -> None:
    initiative = await world.approved()
    edited = await world.initiatives.edit(
        initiative.id, ADVISER, "Je livre les courses des soignants le soir, gratuitement.", "courses", "tous",
        [AUTUN, MACON], None, "www.exemple.fr", "2020-06-30",
    )

    assert (edited.audience, edited.phone, edited.website) == ("tous", None, "https://www.exemple.fr")
    assert edited.commune_names == ["Autun", "Mâcon"]
    assert edited.status == InitiativeStatus.APPROVED
    assert (await world.actions(initiative.id))[-1] == (
        "conseillere@cma-exemple.fr", "edited", "audience, phone, website, communes"
    )


async def test_an_edit_is_checked_like_a_proposal(world: World) -> None:
    initiative = await world.proposed()
    with pytest.raises(BadMessage) as refused:
        await world.initiatives.edit(
            initiative.id, ADVISER, "court", "courses", "tous", [MACON], "+33612345678", None, "2020-06-30"
        )
    assert refused.value.field == "description"
    with pytest.raises(BadMessage) as refused:
        await world.initiatives.edit(
            initiative.id, ADVISER, "Une description assez longue", "courses", "tous", [MACON], None, None,
            "2020-06-30",
        )
    assert refused.value.field == "phone"


async def test_an_edit_after_a_refusal_is_refused(world: World) -> None:
    initiative = await world.proposed()
    await world.initiatives.refuse(initiative.id, ADVISER, "Hors sujet")
    with pytest.raises(InitiativeRefused) as refused:
        await world.initiatives.edit(
            initiative.id, ADVISER, "Une description assez longue", "courses", "tous", [MACON], "+33612345678",
            None, "2020-06-30",
        )
    assert refused.value.status == 409


async def test_listing_by_status_and_counts(world: World) -> None:
    first = await world.approved()
    second = await world.proposed(await world.artisan("222"))
    third = await world.proposed(await world.artisan("333"))
    await world.initiatives.refuse(third.id, ADVISER, "Doublon")

    assert [i.id for i in await world.initiatives.listing()] == [third.id, second.id, first.id]
    assert [i.id for i in await world.initiatives.listing("approved")] == [first.id]
    assert [i.id for i in await world.initiatives.waiting()] == [second.id]
    counts = await world.initiatives.counts()
    assert counts == {"pending": 1, "approved": 1, "refused": 1, "retired": 0, "expired": 0}
