"""The CSV exports: what French Excel needs (BOM, `;`, French headers, accents), filters, and admins only."""

from __future__ import annotations

import csv
import io

import pytest

from bot.staff.exports import safe_cell, to_csv


def parse(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte order mark"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


async def as_admin(new_browser, admin):
    browser = new_browser()
    await browser.login(admin.email)
    return browser


async def test_callbacks_csv(new_browser, admin, agent, seed, desk) -> None:
    mine = await seed.callback(name="Éloïse Bénard", trade="pâtissière")
    await seed.callback(subject="faq_loyers_factures", commune_code="71076", commune_name="Chalon-sur-Saône")
    await desk.assign_to(mine, agent.id)
    await desk.set_callback_status(mine, agent.id, "called_back", "Rappelée ; dossier PGE à compléter")
    browser = await as_admin(new_browser, admin)

    response = await browser.get("/staff/callbacks.csv?status=all&subject=faq_pge")
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="demandes-de-rappel-2020-04-06.csv"'
    body = await response.read()
    assert b";" in body.splitlines()[0] and b"\r\n" in body
    header, *rows = parse(body)
    assert header[:10] == [
        "Référence", "Nom", "Téléphone", "Métier", "Commune", "Code INSEE", "Sujet", "Créneau", "Statut", "Conseiller",
    ]
    assert {"Échéance", "Créée le", "Note"} <= set(header)
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert row["Référence"] == f"RAP-{mine:06d}" and row["Nom"] == "Éloïse Bénard" and row["Métier"] == "pâtissière"
    assert row["Téléphone"] == "06 12 34 56 78" and row["Commune"] == "Mâcon" and row["Sujet"] == "Prêt garanti (PGE)"
    assert row["Statut"] == "Rappelé" and row["Conseiller"] == agent.email
    assert row["Note"] == "Rappelée ; dossier PGE à compléter"
    assert row["Échéance"] == "07/04/2020 11:00" and row["Créée le"] == "06/04/2020 11:00"

    header, *rows = parse(await (await browser.get("/staff/callbacks.csv")).read())
    assert [dict(zip(header, r))["Commune"] for r in rows] == ["Chalon-sur-Saône"]  # open ones by default


async def test_pledges_csv(new_browser, admin, seed) -> None:
    await seed.pledge(quantity=300)
    await seed.pledge(quantity=40, mask_type="fabric", commune_code="71270", commune_name="Mâcon")
    browser = await as_admin(new_browser, admin)
    header, *rows = parse(await (await browser.get("/staff/pledges.csv?commune=71270")).read())
    assert header[:4] == ["Référence", "Quantité", "Type de masques", "Commune"] and "Statut" in header
    assert len(rows) == 1
    row = dict(zip(header, rows[0]))
    assert (row["Quantité"], row["Type de masques"], row["Commune"]) == ("40", "Tissu / grand public", "Mâcon")
    assert row["Téléphone"] == "03 85 00 00 00" and row["Statut"] == "Promis"


@pytest.mark.parametrize("path", ["/staff/callbacks.csv", "/staff/pledges.csv"])
async def test_agents_may_not_export(browser, agent, path: str) -> None:
    await browser.login(agent.email)
    assert (await browser.get(path)).status == 403


def test_a_cell_is_never_a_formula() -> None:
    assert safe_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert safe_cell("-2+3") == "'-2+3" and safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("+262692123456") == "+262692123456"  # a phone number stays a phone number
    assert safe_cell(None) == "" and safe_cell(12) == "12"
    assert to_csv(["a", "b"], [["x;y", 'dit "oui"']]) == '\ufeffa;b\r\n"x;y";"dit ""oui"""\r\n'.encode()
