"""The home round: Lund's official invites two colleagues, they comment, Lund lifts one point.

Services, pages, the API, the exports and the notifications, with the proof that nothing Lund's
colleagues wrote reaches Malmö's people or the coordinator unless Lund lifted it.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from drafting import jobs
from drafting.extensions import db as _db
from drafting.models import (
    AuditEvent,
    Comment,
    HomeReviewer,
    InternalComment,
    Notification,
    PasswordLink,
    Role,
    Stage,
    local_today,
)
from drafting.permissions import Action, can
from drafting.services import drafting, home, passwords
from drafting.services.errors import Conflict, InvalidInput, NotAllowed, NotFound
from drafting.services.reminders import send_deadline_reminders
from drafting.services.tokens import create_token
from tests.conftest import coordinator, director, login, official, user_by_email

PLANNING = "Planavdelningen tycker att dagvattenfrågan saknas helt i avsnittet."
ENVIRONMENT = "Miljöförvaltningen vill se en skrivning om buller längs Södra stambanan."
LIFTED = "Lund vill se en skrivning om buller längs Södra stambanan."
SECRETS = (PLANNING, ENVIRONMENT, "dagvattenfrågan", "Miljöförvaltningen", "Petra Plan",
           "Mira Miljö")


@pytest.fixture
def lund_home(in_review):
    """Lund's home round: two colleagues invited, each has commented; nothing lifted yet."""
    lund = official("Lund")
    planner, _ = home.invite_reviewer(in_review, lund, "petra.plan@lund.example.se", "Petra Plan",
                                      "Planavdelningen")
    ecologist, _ = home.invite_reviewer(in_review, lund, "mira.miljo@lund.example.se", "Mira Miljö",
                                        "Miljöförvaltningen")
    for reviewer in (planner, ecologist):
        passwords.set_password(reviewer.user, "demo-losenord")
    sections = drafting.working_sections(in_review)
    home.add_internal_comment(in_review, planner.user, sections[0], PLANNING)
    home.add_internal_comment(in_review, ecologist.user, sections[2], ENVIRONMENT,
                              exact="tågtrafiken")
    _db.session.commit()
    return in_review


def _internal(text: str) -> InternalComment:
    return _db.session.scalars(select(InternalComment).where(InternalComment.body == text)).one()


def _readable(result) -> str:
    data = result.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    if result.is_json:  # as the text reads, not \u-escaped
        return json.dumps(result.get_json(), ensure_ascii=False)
    return data.decode("utf-8", "replace")


# --- services ----------------------------------------------------------------------------------


def test_a_new_colleague_gets_a_reviewer_account_and_a_set_password_link(db, in_review, caplog):
    with caplog.at_level(logging.WARNING):
        reviewer, created = home.invite_reviewer(in_review, official("Lund"),
                                                 "Petra.Plan@lund.example.se", "Petra Plan")
        _db.session.commit()
        jobs.run_queued()  # the invitation is mailed by a job, never inside the request
    assert created
    user = reviewer.user
    assert user.email == "petra.plan@lund.example.se"
    assert user.role_in(in_review.cooperation_id) is Role.REVIEWER
    assert user.municipality.name == "Lund" and user.password_set_at is None
    assert db.session.scalar(select(func.count()).select_from(PasswordLink)
                             .where(PasswordLink.user_id == user.id)) == 1
    assert "/set-password/" in caplog.text
    # Limited to that municipality and that response.
    assert can(user, Action.COMMENT_IN_HOME_ROUND, in_review)
    assert not can(user, Action.VIEW, in_review) and not can(user, Action.COMMENT, in_review)
    assert not can(user, Action.MANAGE_HOME_ROUND, in_review)


def test_an_existing_colleague_is_added_directly_others_are_refused(db, in_review, caplog):
    from drafting.services import people

    colleague = people.create_user(email="kollega@lund.example.se", name="Kalle Kollega",
                                   cooperation=in_review.cooperation, role=Role.OFFICIAL,
                                   municipality_id=official("Lund").municipality_id,
                                   password="losenord-123")
    with caplog.at_level(logging.WARNING):
        _reviewer, created = home.invite_reviewer(in_review, official("Lund"), colleague.email, "")
        _db.session.commit()
        jobs.run_queued()  # the notification's e-mail, linked to the home round
    assert not created
    assert db.session.scalar(select(func.count()).select_from(PasswordLink)
                             .where(PasswordLink.user_id == colleague.id)) == 0
    assert f"/responses/{in_review.id}/home" in caplog.text
    with pytest.raises(InvalidInput):  # twice
        home.invite_reviewer(in_review, official("Lund"), colleague.email, "")
    with pytest.raises(InvalidInput):  # another municipality's official
        home.invite_reviewer(in_review, official("Lund"), official("Malmö").email, "")
    with pytest.raises(InvalidInput):  # the coordinator
        home.invite_reviewer(in_review, official("Lund"), coordinator().email, "")
    with pytest.raises(InvalidInput):  # a new address needs a name
        home.invite_reviewer(in_review, official("Lund"), "ny@lund.example.se", "")


def test_only_the_municipalitys_official_runs_its_home_round(db, lund_home):
    planner = user_by_email("petra.plan@lund.example.se")
    for outsider in (coordinator(), director("Lund"), planner):
        with pytest.raises(NotAllowed):
            home.invite_reviewer(lund_home, outsider, "x@lund.example.se", "X")
        with pytest.raises(NotAllowed):
            home.set_deadline(lund_home, outsider, None)
    with pytest.raises(NotFound):
        home.home_round(lund_home, coordinator())
    # Malmö's official runs Malmö's own round, which holds nothing of Lund's.
    malmo = home.home_round(lund_home, official("Malmö"))
    assert malmo.comments == [] and malmo.reviewers == []
    with pytest.raises(NotFound):
        home.get_internal_comment(lund_home, official("Malmö"), _internal(PLANNING).id)
    with pytest.raises(NotAllowed):
        home.add_internal_comment(lund_home, coordinator(), drafting.working_sections(lund_home)[0],
                                  "Koordinatorn")


def test_an_internal_comment_on_words_must_quote_the_text(db, in_review):
    section = drafting.working_sections(in_review)[0]
    with pytest.raises(InvalidInput):
        home.add_internal_comment(in_review, official("Lund"), section, "Fel", exact="står inte här")
    comment = home.add_internal_comment(in_review, director("Lund"), section, "Rätt",
                                        exact="Södra  stambanan")
    assert comment.anchor_exact == "Södra stambanan"


def test_lifting_brings_one_point_into_the_joint_discussion_as_the_municipalitys(db, lund_home):
    internal = _internal(ENVIRONMENT)
    with pytest.raises(NotAllowed):
        home.lift(lund_home, user_by_email("mira.miljo@lund.example.se"), internal, LIFTED)
    comment = home.lift(lund_home, official("Lund"), internal, LIFTED)
    assert comment.body == LIFTED and comment.municipality.name == "Lund"
    assert comment.author_id == official("Lund").id
    assert comment.anchor_exact == "tågtrafiken"  # the same words, now in the joint thread
    assert internal.lifted_comment_id == comment.id and internal.body == ENVIRONMENT
    with pytest.raises(Conflict):
        home.lift(lund_home, official("Lund"), internal, LIFTED)
    joint = [c.body for c in db.session.scalars(select(Comment))]
    assert LIFTED in joint and not any(s in body for body in joint for s in SECRETS)


def test_the_home_rounds_events_never_join_the_responses_trail(db, lund_home):
    home.lift(lund_home, official("Lund"), _internal(ENVIRONMENT), LIFTED)
    shared = db.session.scalars(select(AuditEvent).where(
        AuditEvent.response_id == lund_home.id)).all()
    assert not any(e.action.startswith("home_") for e in shared)
    assert not any(s in e.summary for e in shared for s in SECRETS)
    inside = home.home_events(lund_home, official("Lund"))
    assert {e.action for e in inside} == {"home_reviewer_invited", "home_comment_added",
                                          "home_comment_lifted"}
    assert home.home_events(lund_home, official("Malmö")) == []


def test_internal_deadline_is_checked_and_reviewers_hear_of_it_and_are_reminded(db, lund_home):
    lund = official("Lund")
    with pytest.raises(InvalidInput):
        home.set_deadline(lund_home, lund, lund_home.deadline + timedelta(days=1))
    with pytest.raises(InvalidInput):
        home.set_deadline(lund_home, lund, local_today() - timedelta(days=1))
    day = lund_home.deadline - timedelta(days=10)
    home.set_deadline(lund_home, lund, day)
    reviewers = {user_by_email(e).id for e in ("petra.plan@lund.example.se",
                                                "mira.miljo@lund.example.se")}
    told = set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "home_deadline")))
    assert told == reviewers
    assert send_deadline_reminders(day - timedelta(days=2)) == 2
    assert send_deadline_reminders(day - timedelta(days=2)) == 0


def test_the_plans_home_round_date_is_the_default_and_an_own_date_replaces_it(db, lund_home):
    from drafting.services.planning import home_round_due
    from drafting.services.reminders import send_plan_reminders

    lund, today = official("Lund"), local_today()
    plan_day = home_round_due(lund_home, today)
    view = home.home_round(lund_home, lund, with_text=False)
    assert view.deadline == plan_day and view.internal_deadline.from_plan
    own = plan_day - timedelta(days=3)
    home.set_deadline(lund_home, lund, own)
    view = home.home_round(lund_home, lund, with_text=False)
    assert view.deadline == own and not view.internal_deadline.later_than_plan
    # Two days before the plan's date only Malmö's official hears of it: Lund has its own date.
    day = plan_day - timedelta(days=2)
    assert send_deadline_reminders(day) == 0
    send_plan_reminders(day)
    told = {n.user_id for n in db.session.scalars(select(Notification).where(
        Notification.kind == "plan")) if "hemmaplan" in n.message}
    assert told == {official("Malmö").id}
    home.set_deadline(lund_home, lund, plan_day + timedelta(days=1))
    assert home.home_round(lund_home, lund, with_text=False).internal_deadline.later_than_plan


def _new_version(response) -> None:
    section = drafting.working_sections(response)[3]
    drafting.save_section(section, coordinator(), section.heading, section.body + "\n\nTillägg.",
                          section.current_revision.number)
    drafting.publish_version(response, coordinator(), "Ny version")


def test_notifications_reach_only_the_inside_and_never_carry_the_text(db, lund_home):
    _new_version(lund_home)
    reviewers = {user_by_email(e).id for e in ("petra.plan@lund.example.se",
                                                "mira.miljo@lund.example.se")}
    assert set(db.session.scalars(select(Notification.user_id).where(
        Notification.kind == "home_version"))) == reviewers
    commented = db.session.scalars(select(Notification).where(
        Notification.kind == "home_comment")).all()
    assert {n.user_id for n in commented} == {official("Lund").id}
    outside = {coordinator().id, official("Malmö").id, director("Malmö").id}
    for note in db.session.scalars(select(Notification)):
        assert not any(s in note.message for s in SECRETS[:3])
        if note.user_id in outside:
            assert not note.kind.startswith("home_")


# --- pages, exports, API -------------------------------------------------------------------


def _everything_seen_by(client, response_id: int, cooperation_id: int,
                        token: str) -> dict[str, str]:
    """Every page, file and API answer about the response that this person can fetch."""
    headers = {"Authorization": f"Bearer {token}"}
    urls = [f"/responses/{response_id}", f"/responses/{response_id}/home",
            f"/responses/{response_id}/matrix", f"/responses/{response_id}/audit",
            f"/responses/{response_id}/audit.csv", f"/responses/{response_id}/versions",
            f"/responses/{response_id}/export/final.docx",
            f"/responses/{response_id}/export/versions/1/review-copy.docx",
            f"/responses/{response_id}/export/versions/2/review-copy.docx",
            f"/responses/{response_id}/home/review-copy.docx", "/", "/notifications",
            f"/cooperations/{cooperation_id}/report.csv"]
    seen = {url: _readable(client.get(url)) for url in urls}
    api = ["/me", f"/responses/{response_id}", f"/responses/{response_id}/comments",
           f"/responses/{response_id}/audit", f"/responses/{response_id}/home/comments",
           f"/responses/{response_id}/export.docx", "/responses"]
    seen |= {f"API {url}": _readable(client.get("/api/v1" + url, headers=headers)) for url in api}
    return seen


def test_malmo_and_the_coordinator_see_only_the_lifted_point(app, db, lund_home):
    home.lift(lund_home, official("Lund"), _internal(ENVIRONMENT), LIFTED)
    _new_version(lund_home)
    db.session.commit()
    for person in (official("Malmö"), director("Malmö"), coordinator()):
        _token, plaintext = create_token(person, "bevis")
        db.session.commit()
        client = app.test_client()
        login(client, person.email)
        seen = _everything_seen_by(client, lund_home.id, lund_home.cooperation_id, plaintext)
        for where, text in seen.items():
            for secret in SECRETS:
                assert secret not in text, f"{person.email} sees {secret!r} in {where}"
        assert LIFTED in seen[f"/responses/{lund_home.id}"], person.email
        assert LIFTED in seen[f"API /responses/{lund_home.id}/comments"]
    # The same fetches by Lund's official do carry the internal text: the proof can see it.
    _token, plaintext = create_token(official("Lund"), "kontroll")
    db.session.commit()
    client = app.test_client()
    login(client, official("Lund").email)
    seen = _everything_seen_by(client, lund_home.id, lund_home.cooperation_id, plaintext)
    for where in (f"/responses/{lund_home.id}", f"/responses/{lund_home.id}/home",
                  f"/responses/{lund_home.id}/home/review-copy.docx",
                  f"API /responses/{lund_home.id}/home/comments"):
        assert PLANNING[:60] in seen[where], where


def test_inside_lund_the_home_round_is_seen_whole(app, db, lund_home):
    for email in ("tjansteman.lund@example.se", "direktor.lund@example.se",
                  "petra.plan@lund.example.se"):
        client = app.test_client()
        login(client, email)
        page = client.get(f"/responses/{lund_home.id}/home")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert PLANNING in text and ENVIRONMENT in text and "Mira Miljö" in text
        copy = _readable(client.get(f"/responses/{lund_home.id}/home/review-copy.docx"))
        assert PLANNING in copy and "Mira Miljö (Lund)" in copy and "w:commentReference" in copy


def test_a_reviewer_sees_no_response_page_list_or_export(app, db, lund_home):
    client = app.test_client()
    login(client, "petra.plan@lund.example.se")
    for url in (f"/responses/{lund_home.id}", f"/responses/{lund_home.id}/audit",
                f"/responses/{lund_home.id}/export/final.docx", "/cooperations/1/report"):
        assert client.get(url).status_code in (403, 404), url
    notes = client.get("/notifications").get_data(as_text=True)
    assert f'href="/responses/{lund_home.id}/home"' in notes  # where the reviewer can go
    dashboard = client.get("/").get_data(as_text=True)
    assert f"/responses/{lund_home.id}/home" in dashboard
    assert f'href="/responses/{lund_home.id}"' not in dashboard
    _t, plaintext = create_token(user_by_email("petra.plan@lund.example.se"), "api")
    db.session.commit()
    listed = client.get("/api/v1/responses", headers={"Authorization": f"Bearer {plaintext}"})
    assert listed.get_json()["items"] == []


def test_the_response_page_shows_the_home_round_beside_the_position_form(app, db, lund_home):
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{lund_home.id}").get_data(as_text=True)
    summary = page.index('id="home-summary-heading"')
    assert summary < page.index('id="position-form"')
    assert PLANNING[:60] in page and "Mira Miljö" in page
    assert "2 inbjudna kollegor" in page


def test_pages_invite_comment_lift_and_set_the_deadline(app, db, in_review, caplog):
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    base = f"/responses/{in_review.id}/home"
    with caplog.at_level(logging.WARNING):
        done = client.post(f"{base}/reviewers", data={"email": "petra.plan@lund.example.se",
                                                       "name": "Petra Plan", "title": "Plan"})
        jobs.run_queued()
    assert done.status_code == 302 and "/set-password/" in caplog.text
    refused = client.post(f"{base}/reviewers", data={"email": "tjansteman.malmo@example.se",
                                                      "name": "Fel"})
    assert refused.status_code == 400
    assert "Bara kollegor i Lund" in refused.get_data(as_text=True)
    section = drafting.working_sections(in_review)[0]
    wrong = client.post(f"{base}/sections/{section.id}/comments",
                        data={f"s{section.id}-body": PLANNING, f"s{section.id}-exact": "finns ej"})
    assert wrong.status_code == 400 and PLANNING in wrong.get_data(as_text=True)  # kept
    ok = client.post(f"{base}/sections/{section.id}/comments",
                     data={f"s{section.id}-body": PLANNING})
    assert ok.status_code == 302
    internal = _internal(PLANNING)
    lifted = client.post(f"{base}/comments/{internal.id}/lift",
                         data={f"lift{internal.id}-body": LIFTED})
    assert lifted.status_code == 302
    assert db.session.scalar(select(Comment.body).where(Comment.id == _internal(PLANNING)
                                                        .lifted_comment_id)) == LIFTED
    day = (in_review.deadline - timedelta(days=5)).isoformat()
    assert client.post(f"{base}/deadline", data={"deadline": day}).status_code == 302
    assert day in client.get(base).get_data(as_text=True)
    late = (in_review.deadline + timedelta(days=5)).isoformat()
    assert client.post(f"{base}/deadline", data={"deadline": late}).status_code == 400
    # Malmö's official cannot reach Lund's comment, not even by its id.
    other = app.test_client()
    login(other, "tjansteman.malmo@example.se")
    assert other.post(f"{base}/comments/{internal.id}/lift",
                      data={f"lift{internal.id}-body": "x"}).status_code == 404


def test_api_comments_inside_and_404_outside(app, db, lund_home):
    section = drafting.working_sections(lund_home)[1]
    planner = user_by_email("petra.plan@lund.example.se")
    _t, token = create_token(planner, "api")
    _t, coordinator_token = create_token(coordinator(), "api")
    db.session.commit()
    client = app.test_client()
    url = f"/api/v1/responses/{lund_home.id}/home/comments"
    made = client.post(url, json={"section_id": section.id, "body": "Via API, internt."},
                       headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201 and made.get_json()["municipality"]["name"] == "Lund"
    listed = client.get(url, headers={"Authorization": f"Bearer {token}"}).get_json()
    assert listed["total"] == 3 and PLANNING in [c["body"] for c in listed["items"]]
    for method in ("get", "post"):
        answer = getattr(client, method)(url, json={"section_id": section.id, "body": "x"},
                                         headers={"Authorization": f"Bearer {coordinator_token}"})
        assert answer.status_code == 404


def test_no_internal_comment_once_the_text_is_frozen(db, lund_home):
    lund_home.stage = Stage.SIGNED
    with pytest.raises(Conflict):
        home.add_internal_comment(lund_home, official("Lund"),
                                  drafting.working_sections(lund_home)[0], "Sent")
    assert home.home_round(lund_home, official("Lund")).comments  # still readable
    assert db.session.scalar(select(func.count()).select_from(HomeReviewer)) == 2


def test_a_home_round_has_its_row_from_its_first_step_and_the_migration_gives_older_ones_theirs(
        app, db, lund_home):
    """The response page reads an untouched round in one query: a round with reviewers or
    comments always has its row (services create it; migration 0012 did for older rounds)."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import text

    from drafting.models import HomeRound

    lund = official("Lund")
    rounds = db.session.scalars(select(HomeRound)).all()
    assert [(r.response_id, r.municipality_id, r.deadline) for r in rounds] == [
        (lund_home.id, lund.municipality_id, None)]
    view = home.home_round(lund_home, lund, with_text=False)
    assert len(view.reviewers) == 2 and len(view.comments) == 2
    # Malmö has not begun one: nothing to show, and nothing was created by looking.
    malmo = home.home_round(lund_home, official("Malmö"), with_text=False)
    assert malmo.reviewers == [] and malmo.comments == [] and malmo.own_deadline is None
    assert db.session.scalar(select(func.count(HomeRound.id))) == 1

    db.session.commit()
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM home_round"))  # as before the services made them
    path = Path(app.root_path) / "migrations" / "versions" / "0012_home_round_rows.py"
    spec = importlib.util.spec_from_file_location("migration_0012", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.engine.begin() as connection:
        with Operations.context(MigrationContext.configure(connection)):
            migration.upgrade()
            migration.upgrade()  # a second run adds nothing
    db.session.expire_all()
    restored = db.session.scalars(select(HomeRound)).all()
    assert [(r.response_id, r.municipality_id) for r in restored] == [
        (lund_home.id, lund.municipality_id)]
    assert restored[0].created_at is not None
    assert len(home.home_round(lund_home, lund, with_text=False).comments) == 2
