"""The administration commands, through Flask's CLI runner."""

from __future__ import annotations

from sqlalchemy import func, select

from drafting.models import AuditEvent, Cooperation, Municipality


def cooperation_named(db, name: str) -> Cooperation:
    db.session.expire_all()
    return db.session.scalars(select(Cooperation).where(Cooperation.name == name)).one()


def test_create_cooperation_with_chair_makes_it_the_first_member_and_chair(app, db):
    result = app.test_cli_runner().invoke(
        args=["create-cooperation", "Familjen Helsingborg", "--chair", " Helsingborg\x07 "])
    assert result.exit_code == 0, result.output
    assert "Helsingborg is its chair municipality." in result.output
    cooperation = cooperation_named(db, "Familjen Helsingborg")
    assert [m.name for m in cooperation.municipalities] == ["Helsingborg"]
    assert cooperation.chair_municipality.name == "Helsingborg"
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.cooperation_id == cooperation.id).order_by(AuditEvent.id)).all()
    assert actions == ["cooperation_created", "municipality_added", "chair_set"]
    # Further members do not take the chair; --chair on add-municipality moves it.
    runner = app.test_cli_runner()
    assert runner.invoke(args=["add-municipality", "Familjen Helsingborg", "Höganäs"]).exit_code == 0
    assert cooperation_named(db, "Familjen Helsingborg").chair_municipality.name == "Helsingborg"
    moved = runner.invoke(args=["add-municipality", "Familjen Helsingborg", "Ängelholm", "--chair"])
    assert moved.exit_code == 0, moved.output
    cooperation = cooperation_named(db, "Familjen Helsingborg")
    assert [m.name for m in cooperation.municipalities] == ["Ängelholm", "Helsingborg", "Höganäs"]


def test_create_cooperation_without_chair_has_no_members(app, db):
    result = app.test_cli_runner().invoke(args=["create-cooperation", "Skåne Nordost"])
    assert result.exit_code == 0, result.output
    cooperation = cooperation_named(db, "Skåne Nordost")
    assert cooperation.chair_municipality_id is None and cooperation.memberships == []


def test_create_cooperation_refuses_clearly_and_creates_nothing(app, db):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-cooperation", "Skåne Nordost"]).exit_code == 0
    for args, message in [
        (["create-cooperation", "skåne nordost", "--chair", "Kristianstad"],
         "Det finns redan ett samarbete som heter skåne nordost."),
        (["create-cooperation", "Ny", "--chair", "  \x01 "], "Ange kommunens namn."),
        (["create-cooperation", "\x02", "--chair", "Lund"], "Ange samarbetets namn."),
        (["create-cooperation", "x" * 161], "Namnet är för långt: högst 160 tecken."),
        (["create-cooperation", "Ny", "--chair", "x" * 121], "Namnet är för långt: högst 120 tecken."),
    ]:
        result = runner.invoke(args=args)
        assert result.exit_code == 1 and f"Error: {message}" in result.output, (args, result.output)
    db.session.expire_all()
    assert db.session.scalars(select(Cooperation.name)).all() == ["Skåne Nordost"]
    assert db.session.scalar(select(func.count(Municipality.id))) == 0


def test_create_user_invite_prints_a_link_the_first_admin_sets_a_password_with(app, db):
    import re

    from tests.test_accounts import authenticate

    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-cooperation", "Skåne Nordost"]).exit_code == 0
    result = runner.invoke(args=["create-user", "--email", "forsta@example.se", "--name", "Första",
                                 "--cooperation", "Skåne Nordost", "--role", "admin", "--invite"])
    assert result.exit_code == 0, result.output
    # No password was asked for; the link is printed (and mailed).
    assert "Password" not in result.output
    secret = re.search(r"http://127\.0\.0\.1:5000/set-password/(\S+)", result.output).group(1)
    assert authenticate("forsta@example.se", "") is None
    client = app.test_client()
    done = client.post(f"/set-password/{secret}", data={"new_password": "forsta-losenordet",
                                                         "confirm": "forsta-losenordet"})
    assert done.status_code == 302
    assert client.post("/login", data={"email": "forsta@example.se",
                                       "password": "forsta-losenordet"}).status_code == 302


def test_create_user_with_a_password_still_works_and_refuses_both_ways_at_once(app, db):
    from tests.test_accounts import authenticate

    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-cooperation", "Skåne Nordost"]).exit_code == 0
    given = runner.invoke(args=["create-user", "--email", "k@example.se", "--name", "K",
                                "--cooperation", "Skåne Nordost", "--role", "coordinator",
                                "--password", "ett-bra-losenord"])
    assert given.exit_code == 0, given.output
    prompted = runner.invoke(args=["create-user", "--email", "p@example.se", "--name", "P",
                                   "--cooperation", "Skåne Nordost", "--role", "coordinator"],
                             input="ett-annat-losenord\nett-annat-losenord\n")
    assert prompted.exit_code == 0, prompted.output
    assert authenticate("k@example.se", "ett-bra-losenord") is not None
    assert authenticate("p@example.se", "ett-annat-losenord") is not None
    both = runner.invoke(args=["create-user", "--email", "b@example.se", "--name", "B",
                               "--cooperation", "Skåne Nordost", "--role", "coordinator",
                               "--password", "ett-bra-losenord", "--invite"])
    assert both.exit_code != 0 and "either --invite or --password" in both.output


def test_seed_demo_shows_the_plan_and_a_home_round_and_runs_once(app, db):
    from drafting.demo import DEMO_INTERNAL_COMMENT, SHOWCASE_REFERENCE
    from drafting.models import (
        Consultation,
        InternalComment,
        JointResponse,
        MeetingDate,
        local_today,
    )
    from drafting.services.planning import response_plan

    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Demo data created." in first.output, first.output
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(JointResponse)) == 2
    assert db.session.scalar(select(func.count()).select_from(MeetingDate)) == 11
    assert db.session.scalars(select(InternalComment.body)).all() == [DEMO_INTERNAL_COMMENT]
    response = db.session.scalars(select(JointResponse).join(Consultation).where(
        Consultation.reference_number == SHOWCASE_REFERENCE)).one()
    plan = response_plan(response, local_today())
    assert [p.municipality for p in plan.late] == ["Eslöv"] and len(plan.warnings) == 1
