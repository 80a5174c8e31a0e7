"""The canned answers advisers insert in their replies."""

from __future__ import annotations

import pytest

from bot.errors import Refusal
from tests.bot.desk.handoff_world import World


async def test_canned_answers_are_kept_sorted_and_editable(world: World) -> None:
    await world.canned.save(world.admin.id, "PGE", "Le PGE se demande à votre banque.")
    await world.canned.save(world.admin.id, "Fonds", "Le fonds de solidarité se demande sur impots.gouv.fr.")
    answers = await world.canned.all()
    assert [a.title for a in answers] == ["Fonds", "PGE"]
    await world.canned.save(world.admin.id, "PGE", "Voyez votre banque.", answers[1].id)
    await world.canned.delete(answers[0].id)
    assert [(a.title, a.text) for a in await world.canned.all()] == [("PGE", "Voyez votre banque.")]
    with pytest.raises(Refusal):
        await world.canned.save(world.admin.id, "", "texte")
