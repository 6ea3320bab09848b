"""Lists that scale: the overview's search, filters, archive and pages, and the log's filters.

The service chooses in SQL with a bounded number of queries; the pages are GET forms that work
without JavaScript, keep the chosen values and say how many matched.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from drafting.extensions import db as _db
from drafting.models import DeadlineWindow, Decision, FocusArea, JointResponse, Stage, local_today
from drafting.services import drafting, review, stages
from drafting.services.errors import InvalidInput
from drafting.services.overview import ResponseFilter, list_responses
from drafting.services.responses import ConsultationInput, open_response
from tests.conftest import coordinator, login, official, statements_sent

TODAY = local_today()


def opened(demo, title: str, *, sender="Finansdepartementet", reference="Fi2026/00100",
           days=30, focus=FocusArea.LABOUR, our_reference="") -> JointResponse:
    response = open_response(demo.cooperation, coordinator(), ConsultationInput(
        sender=sender, reference_number=reference, title=title,
        deadline=TODAY + timedelta(days=days), received_on=None, url=""),
        focus, "", our_reference=our_reference)
    return response


@pytest.fixture
def many(db, demo, join):
    """The demo response (Infrastrukturdepartementet, planning, 30 days) and five more."""
    found = {"demo": demo}
    found["soon"] = opened(demo, "Starkare kommuner", days=10, reference="Fi2020/00647/K",
                           our_reference="MLR 2026/3")
    found["passed"] = opened(demo, "Ett hållbart skattesystem", days=30, focus=FocusArea.BUSINESS,
                             sender="Skatteverket")
    # A deadline in the past can only be set by time passing: move it after opening.
    found["passed"].consultation.deadline = TODAY - timedelta(days=2)
    found["later"] = opened(demo, "Regional utvecklingsstrategi", days=60,
                            sender="Region Skåne", reference="RS 2026/77")
    found["sent"] = join(opened(demo, "Bostadsförsörjning", days=20), "Lund", "Malmö")
    drafting.add_section(found["sent"], coordinator(), "Sammanfattning", "Vi tillstyrker.")
    drafting.publish_version(found["sent"], coordinator(), "")
    for name in ("Lund", "Malmö"):
        review.record_position(found["sent"], official(name), 1, Decision.APPROVE)
    from tests.conftest import director, sign_data
    for name in ("Lund", "Malmö"):
        review.sign_off(found["sent"], director(name), 1, sign_data(name))
    stages.record_sent(found["sent"], coordinator(), TODAY)
    found["withdrawn"] = opened(demo, "Nedlagd utredning", days=20)
    stages.withdraw(found["withdrawn"], coordinator(), "Remissen drogs tillbaka.")
    db.session.commit()
    return found


def titles(wanted: ResponseFilter, demo, **kwargs) -> list[str]:
    listed = list_responses([demo.cooperation_id], wanted, TODAY, **kwargs)
    return [o.response.title for o in listed.overviews]


# --- the service ----------------------------------------------------------------------------


def test_the_active_list_leaves_out_the_archive_and_puts_the_most_urgent_first(many):
    demo = many["demo"]
    assert titles(ResponseFilter(), demo) == [
        "Yttrande över Ett hållbart skattesystem", "Yttrande över Starkare kommuner",
        demo.title, "Yttrande över Regional utvecklingsstrategi"]


def test_the_archive_lists_sent_and_withdrawn_the_latest_first(many):
    assert titles(ResponseFilter(archive=True), many["demo"]) == [
        "Yttrande över Nedlagd utredning", "Yttrande över Bostadsförsörjning"]
    assert titles(ResponseFilter(archive=True, stage=Stage.SENT), many["demo"]) == [
        "Yttrande över Bostadsförsörjning"]


@pytest.mark.parametrize("search, expected", [
    ("starkare", ["Yttrande över Starkare kommuner"]),  # the title, any case
    ("Fi2020/00647", ["Yttrande över Starkare kommuner"]),  # the sender's diarienummer
    ("MLR 2026/3", ["Yttrande över Starkare kommuner"]),  # our reference, both words
    ("region skåne utveckling", ["Yttrande över Regional utvecklingsstrategi"]),  # and sender
    ("skatteverket hållbart", ["Yttrande över Ett hållbart skattesystem"]),  # every word matches
    ("100%", []),  # LIKE wildcards are text, not patterns
    ("_", []),
])
def test_search_finds_title_reference_and_sender(many, search, expected):
    assert titles(ResponseFilter(search=search), many["demo"]) == expected


def test_filter_by_stage_and_focus_area(many, join):
    demo = many["demo"]
    join(demo, "Lund", "Malmö")
    drafting.publish_version(demo, coordinator(), "")
    assert titles(ResponseFilter(stage=Stage.REVIEW), demo) == [demo.title]
    assert titles(ResponseFilter(focus_area=FocusArea.BUSINESS), demo) == [
        "Yttrande över Ett hållbart skattesystem"]
    assert titles(ResponseFilter(focus_area=FocusArea.PLANNING, stage=Stage.DRAFT), demo) == []


@pytest.mark.parametrize("window, expected", [
    (DeadlineWindow.PASSED, ["Yttrande över Ett hållbart skattesystem"]),
    (DeadlineWindow.SOON, ["Yttrande över Starkare kommuner"]),
    (DeadlineWindow.LATER, [None, "Yttrande över Regional utvecklingsstrategi"]),
])
def test_filter_by_deadline(many, window, expected):
    expected = [many["demo"].title if title is None else title for title in expected]
    assert titles(ResponseFilter(deadline=window), many["demo"]) == expected


def test_the_deadline_window_includes_today_and_the_fourteenth_day(many):
    demo = many["demo"]
    many["soon"].consultation.deadline = TODAY
    many["later"].consultation.deadline = TODAY + timedelta(days=14)
    assert set(titles(ResponseFilter(deadline=DeadlineWindow.SOON), demo)) == {
        "Yttrande över Starkare kommuner", "Yttrande över Regional utvecklingsstrategi"}


def test_pages_count_all_matches_and_a_page_past_the_end_shows_the_last(many):
    demo = many["demo"]
    first = list_responses([demo.cooperation_id], ResponseFilter(), TODAY, page_size=3)
    assert (first.total, first.pages, len(first.overviews)) == (4, 2, 3)
    last = list_responses([demo.cooperation_id], ResponseFilter(page=99), TODAY, page_size=3)
    assert last.page == 2 and len(last.overviews) == 1


def test_other_cooperations_are_never_listed(many):
    assert list_responses([many["demo"].cooperation_id + 1], ResponseFilter(), TODAY).total == 0


def test_a_filter_refuses_what_its_form_never_offers(db):
    with pytest.raises(InvalidInput):
        ResponseFilter(search="x" * 201)
    with pytest.raises(InvalidInput):
        ResponseFilter(stage=Stage.SENT)  # the archive's stage on the active list


def test_the_list_takes_the_same_number_of_queries_for_two_or_twenty_responses(app, many, demo):
    def queries(wanted: ResponseFilter) -> int:
        _db.session.expire_all()
        with statements_sent() as statements:
            list_responses([demo.cooperation_id], wanted, TODAY)
        return len(statements)

    few = queries(ResponseFilter(search="starkare"))
    for number in range(16):
        opened(demo, f"Remiss nummer {number}")
    _db.session.commit()
    assert queries(ResponseFilter()) == few <= 8


# --- the page -------------------------------------------------------------------------------


def test_the_overview_form_keeps_its_values_and_counts_the_matches(client, many):
    login(client, "koordinator@example.se")
    page = client.get("/?q=starkare&stage=draft&focus_area=labour&deadline=soon").get_data(
        as_text=True).split('id="list-heading"')[1]  # the list, not the to-do list above it
    assert "1 träff" in page and "Yttrande över Starkare kommuner" in page
    assert "Regional utvecklingsstrategi" not in page
    assert 'value="starkare"' in page
    assert '<option value="draft" selected>' in page
    assert '<option value="labour" selected>' in page
    assert '<option value="soon" selected>' in page
    assert 'method="get"' in page
    assert "Visa alla" in page


def test_the_overview_says_so_when_nothing_matches(client, many):
    login(client, "koordinator@example.se")
    page = client.get("/?q=finns-inte").get_data(as_text=True)
    assert "0 träffar" in page
    assert "Inga yttranden matchar sökningen. Ändra sökningen eller visa alla." in page


def test_the_archive_page_lists_sent_and_withdrawn_and_links_back(client, many):
    login(client, "tjansteman.lund@example.se")
    overview = client.get("/").get_data(as_text=True)
    assert 'href="/archive"' in overview and "Bostadsförsörjning" not in overview
    assert "4 träffar" in overview
    archive = client.get("/archive").get_data(as_text=True)
    assert "2 träffar" in archive
    assert "Bostadsförsörjning" in archive and "Nedlagd utredning" in archive
    assert "Starkare kommuner" not in archive
    assert '<option value="sent"' in archive and '<option value="draft"' not in archive
    withdrawn = client.get("/archive?stage=withdrawn").get_data(as_text=True)
    assert "1 träff" in withdrawn and "Bostadsförsörjning" not in withdrawn


def test_paging_links_keep_the_filters(client, many, demo, monkeypatch):
    monkeypatch.setattr(list_responses, "__defaults__", (1,))  # one a page
    login(client, "koordinator@example.se")
    page = client.get("/?focus_area=labour").get_data(as_text=True)
    assert "2 träffar" in page and "Sida 1 av 2" in page
    assert 'href="/?focus_area=labour&amp;page=2"' in page
    second = client.get("/?focus_area=labour&page=2").get_data(as_text=True)
    assert "Sida 2 av 2" in second and 'href="/?focus_area=labour&amp;page=1"' in second


@pytest.mark.parametrize("query", ["stage=klar", "focus_area=x", "deadline=igår", "page=0",
                                   "page=abc", "page=99999999999", "q=" + "x" * 201,
                                   "stage=sent"])
def test_bad_filter_values_get_a_swedish_400(client, many, query):
    login(client, "koordinator@example.se")
    response = client.get(f"/?{query}")
    assert response.status_code == 400
    assert "<html" in response.get_data(as_text=True) and 'lang="sv"' in response.get_data(
        as_text=True)


# --- the log --------------------------------------------------------------------------------


@pytest.fixture
def logged(db, at_consensus):
    """Lund and Malmö approved version 1; Lund commented."""
    from drafting.services import comments

    section = drafting.working_sections(at_consensus)[0]
    comments.add_comment(at_consensus, official("Lund"), section, "En synpunkt.")
    db.session.commit()
    return at_consensus


def csv_rows(response) -> list[list[str]]:
    text = response.get_data(as_text=True).removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_log_events_filtered_by_municipality_kind_and_version(logged):
    from drafting.models import EventKind, Municipality
    from drafting.services.audit import events

    lund = _db.session.scalars(_db.select(Municipality).where(Municipality.name == "Lund")).one()
    everything = events(logged)
    assert len(everything) > 5
    by_lund = events(logged, municipality_id=lund.id)
    assert by_lund and all(e.municipality_id == lund.id for e in by_lund)
    positions = events(logged, kind=EventKind.POSITIONS)
    assert [e.summary for e in positions] == ["Lund godkänner version 1.", "Malmö godkänner version 1."]
    assert [e.summary for e in events(logged, kind=EventKind.POSITIONS, municipality_id=lund.id)] \
        == ["Lund godkänner version 1."]
    on_version_1 = events(logged, version_number=1)
    assert on_version_1 and all(e.version_number == 1 for e in on_version_1)
    assert events(logged, version_number=2) == []


def test_every_action_about_a_response_has_a_kind():
    """A new kind of event about a response cannot escape the log's filter."""
    import re
    from pathlib import Path

    from drafting.models import EVENT_ACTIONS

    root = Path(__file__).resolve().parent.parent / "drafting"
    recorded = set()
    for path in root.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call in re.finditer(r"record_event\(\s*((?:\"[a-z_]+\"(?:\s+if\s[^\"]+else\s+)?)+)", text):
            recorded.update(re.findall(r"\"([a-z_]+)\"", call.group(1)))
    about_accounts = {"logged_in", "password_changed", "password_set_by_link",
                      "password_link_sent", "invitation_sent", "user_created", "user_updated",
                      "user_deactivated", "user_reactivated", "api_token_created",
                      "api_token_revoked", "cooperation_created", "municipality_added",
                      "municipality_renamed", "chair_set", "word_template_uploaded",
                      "word_template_removed",
                      # the cooperation's, not a response's: calendars and background jobs
                      "meeting_added", "meeting_removed", "calendar_imported", "delegation_set",
                      "job_retried"}
    kinds = {action for actions in EVENT_ACTIONS.values() for action in actions}
    assert recorded - about_accounts <= kinds, recorded - about_accounts - kinds
    assert "position_recorded" in recorded and "participation_declined" in recorded


def test_the_log_page_filters_keep_their_values_and_the_csv_follows(client, logged):
    from drafting.models import Municipality

    lund = _db.session.scalars(_db.select(Municipality).where(Municipality.name == "Lund")).one()
    login(client, "tjansteman.lund@example.se")
    url = f"/responses/{logged.id}/audit?municipality={lund.id}&kind=positions&version=1"
    page = client.get(url).get_data(as_text=True)
    assert "1 träff" in page and "Lund godkänner version 1." in page
    assert "Malmö godkänner" not in page
    assert f'<option value="{lund.id}" selected>' in page
    assert '<option value="positions" selected>' in page
    assert '<option value="1" selected>' in page
    csv_url = f"/responses/{logged.id}/audit.csv?municipality={lund.id}&amp;kind=positions&amp;version=1"
    assert csv_url in page
    rows = csv_rows(client.get(csv_url.replace("&amp;", "&")))
    assert len(rows) == 2 and rows[1][-1] == "Lund godkänner version 1."
    assert rows[0] == ["tid_utc", "person", "kommun", "handelse", "version", "handelsetyp",
                       "beskrivning"]
    assert rows[1][3] == "position_recorded" and rows[1][5] == "Ställningstaganden"
    empty = client.get(f"/responses/{logged.id}/audit?kind=exports").get_data(as_text=True)
    assert "0 träffar" in empty and "Inga händelser matchar filtret." in empty


@pytest.mark.parametrize("query", ["municipality=abc", "kind=allt", "version=0", "version=x"])
def test_bad_log_filters_get_a_400(client, logged, query):
    login(client, "koordinator@example.se")
    assert client.get(f"/responses/{logged.id}/audit?{query}").status_code == 400
    assert client.get(f"/responses/{logged.id}/audit.csv?{query}").status_code == 400
