"""The permission layer as matrices: every role and municipality, and every stage, against every action."""

from __future__ import annotations

import pytest

from drafting.models import Cooperation, ParticipationStatus, Role, Stage
from drafting.permissions import (
    Action,
    CooperationAction,
    can,
    can_in_cooperation,
    ensure,
    role_allows,
    stage_allows,
)
from drafting.services import home, people, responses
from drafting.services.errors import Conflict, NotAllowed
from tests.conftest import coordinator, director, municipality, official, user_by_email

A = Action
MUNICIPAL_READ = {A.VIEW, A.EXPORT}
# The home round of one's own municipality: its official runs it, its director takes part.
HOME_OFFICIAL = {A.VIEW_HOME_ROUND, A.COMMENT_IN_HOME_ROUND, A.MANAGE_HOME_ROUND}
HOME_DIRECTOR = {A.VIEW_HOME_ROUND, A.COMMENT_IN_HOME_ROUND}
EXPECTED: dict[tuple[str, str | None], set[Action]] = {
    ("coordinator", None): {A.VIEW, A.EXPORT, A.EDIT_DRAFT, A.PUBLISH_VERSION, A.MANAGE_PARTICIPANTS,
                            A.REMIND, A.COMMENT, A.DECIDE_SUGGESTION, A.WITHDRAW, A.RECORD_SENT,
                            A.ADJUST_PLAN, A.REQUEST_EXTENSION},
    ("admin", None): MUNICIPAL_READ,
    ("outsider", None): set(),
    ("official", "joined"): MUNICIPAL_READ | HOME_OFFICIAL | {A.COMMENT, A.RECORD_POSITION,
                                                              A.STEP_ASIDE, A.EDIT_DECISION_BASIS,
                                                              A.DECISION_BASIS},
    ("official", "invited"): MUNICIPAL_READ | HOME_OFFICIAL | {A.COMMENT, A.ANSWER_INVITATION},
    ("official", "declined"): MUNICIPAL_READ | {A.ANSWER_INVITATION, A.VIEW_HOME_ROUND},
    ("official", "stepped_aside"): MUNICIPAL_READ | {A.VIEW_HOME_ROUND},
    ("official", "not_invited"): MUNICIPAL_READ,
    ("director", "joined"): MUNICIPAL_READ | HOME_DIRECTOR | {A.COMMENT, A.SIGN_OFF, A.STEP_ASIDE,
                                                              A.EDIT_DECISION_BASIS, A.DECISION_BASIS},
    ("director", "invited"): MUNICIPAL_READ | HOME_DIRECTOR | {A.COMMENT, A.ANSWER_INVITATION},
    ("director", "declined"): MUNICIPAL_READ | {A.ANSWER_INVITATION, A.VIEW_HOME_ROUND},
    ("director", "stepped_aside"): MUNICIPAL_READ | {A.VIEW_HOME_ROUND},
    ("director", "not_invited"): MUNICIPAL_READ,
    # An internal reviewer: only the home round they were invited to, nothing else.
    ("reviewer", "invited"): {A.VIEW_HOME_ROUND, A.COMMENT_IN_HOME_ROUND},
    ("reviewer", "not_invited"): set(),
}
STATUS_BY_MUNICIPALITY = {
    "Lund": ParticipationStatus.JOINED, "Malmö": ParticipationStatus.INVITED,
    "Höör": ParticipationStatus.DECLINED, "Eslöv": ParticipationStatus.STEPPED_ASIDE,
    "Vellinge": None,
}


@pytest.fixture
def arranged(db, demo):
    names = [n for n, s in STATUS_BY_MUNICIPALITY.items() if s is not None]
    responses.invite(demo, coordinator(), [municipality(n).id for n in names])
    for participation in demo.participations:
        status = STATUS_BY_MUNICIPALITY[participation.municipality.name]
        participation.status = status.value
    other = Cooperation(name="Familjen Helsingborg")
    db.session.add(other)
    db.session.flush()
    people.add_municipality(other, None, "Helsingborg")
    people.create_user(email="ks@helsingborg.example.se", name="Utomstående", password="x" * 12,
                       cooperation=other, role=Role.COORDINATOR)
    # Two reviewer-only accounts of Lund: one invited to this response's home round.
    home.invite_reviewer(demo, official("Lund"), "invited@lund.example.se", "Inbjuden")
    people.create_user(email="not_invited@lund.example.se", name="Inte inbjuden",
                       password="x" * 12, cooperation=demo.cooperation, role=Role.REVIEWER,
                       municipality_id=municipality("Lund").id)
    db.session.flush()
    return demo


def cases():
    for name, status in STATUS_BY_MUNICIPALITY.items():
        key = status.value if status else "not_invited"
        yield "official", name, key
        yield "director", name, key
    yield "coordinator", None, None
    yield "admin", None, None
    yield "outsider", None, None
    yield "reviewer", "Lund", "invited"
    yield "reviewer", "Lund", "not_invited"


@pytest.mark.parametrize(("role", "municipality_name", "status"), list(cases()))
def test_matrix(arranged, role, municipality_name, status):
    user = {
        "official": lambda: official(municipality_name),
        "director": lambda: director(municipality_name),
        "coordinator": coordinator,
        "admin": lambda: user_by_email("admin@example.se"),
        "outsider": lambda: user_by_email("ks@helsingborg.example.se"),
        "reviewer": lambda: user_by_email(f"{status}@lund.example.se"),
    }[role]()
    allowed = {action for action in Action if role_allows(user, action, arranged)}
    assert allowed == EXPECTED[(role, status)], (role, municipality_name)


OPEN_TEXT = {A.EDIT_DRAFT, A.PUBLISH_VERSION, A.DECIDE_SUGGESTION, A.COMMENT,
             A.MANAGE_PARTICIPANTS, A.REMIND, A.ANSWER_INVITATION, A.STEP_ASIDE,
             A.COMMENT_IN_HOME_ROUND, A.MANAGE_HOME_ROUND,
             A.ADJUST_PLAN, A.REQUEST_EXTENSION, A.EDIT_DECISION_BASIS}
ALWAYS = {A.VIEW, A.EXPORT, A.VIEW_HOME_ROUND}
STAGE_EXPECTED: dict[Stage, set[Action]] = {
    Stage.DRAFT: ALWAYS | OPEN_TEXT | {A.WITHDRAW},
    Stage.REVIEW: ALWAYS | OPEN_TEXT | {A.WITHDRAW, A.RECORD_POSITION},
    Stage.CONSENSUS: ALWAYS | OPEN_TEXT | {A.WITHDRAW, A.RECORD_POSITION, A.SIGN_OFF,
                                           A.DECISION_BASIS},
    # Signed: the text and its discussion are final (no comments, replies or resolving).
    Stage.SIGNED: ALWAYS | {A.WITHDRAW, A.RECORD_SENT, A.DECISION_BASIS},
    Stage.SENT: ALWAYS | {A.DECISION_BASIS},
    Stage.WITHDRAWN: ALWAYS,
}


@pytest.mark.parametrize("stage", list(Stage))
def test_stage_matrix(arranged, stage):
    arranged.stage = stage
    assert {action for action in Action if stage_allows(action, arranged)} == STAGE_EXPECTED[stage]


@pytest.mark.parametrize("stage", list(Stage))
def test_can_is_role_and_stage_together(arranged, stage):
    arranged.stage = stage
    for user in (coordinator(), official("Lund"), director("Lund"), official("Vellinge")):
        for action in Action:
            assert can(user, action, arranged) == (
                role_allows(user, action, arranged) and stage_allows(action, arranged))


def test_ensure_says_403_for_the_role_and_409_for_the_stage(arranged):
    arranged.stage = Stage.SIGNED
    with pytest.raises(NotAllowed):
        ensure(official("Vellinge"), A.COMMENT, arranged)
    with pytest.raises(Conflict, match="undertecknat"):
        ensure(official("Lund"), A.COMMENT, arranged)


def test_anonymous_may_do_nothing(arranged):
    assert not any(can(None, action, arranged) for action in Action)


@pytest.mark.parametrize(("email", "expected"), [
    ("koordinator@example.se", {CooperationAction.VIEW, CooperationAction.OPEN_RESPONSE}),
    ("admin@example.se", {CooperationAction.VIEW, CooperationAction.ADMINISTER}),
    ("tjansteman.lund@example.se", {CooperationAction.VIEW}),
    ("direktor.lund@example.se", {CooperationAction.VIEW}),
    ("ks@helsingborg.example.se", set()),
    ("invited@lund.example.se", set()),  # a reviewer sees nothing cooperation-wide
])
def test_cooperation_matrix(arranged, email, expected):
    user = user_by_email(email)
    allowed = {a for a in CooperationAction if can_in_cooperation(user, a, arranged.cooperation)}
    assert allowed == expected


@pytest.mark.parametrize(("email", "keeps"), [
    ("tjansteman.lund@example.se", {"Lund"}),
    ("direktor.lund@example.se", {"Lund"}),
    ("tjansteman.malmo@example.se", {"Malmö"}),
    ("admin@example.se", {"Lund", "Malmö", "Vellinge"}),
    ("koordinator@example.se", set()),
    ("ks@helsingborg.example.se", set()),
])
def test_who_keeps_a_municipalitys_meeting_calendar(arranged, email, keeps):
    user = user_by_email(email)
    names = ("Lund", "Malmö", "Vellinge", "Helsingborg")
    allowed = {n for n in names if can_in_cooperation(
        user, CooperationAction.KEEP_CALENDAR, arranged.cooperation, municipality(n).id)}
    assert allowed == keeps
