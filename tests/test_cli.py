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
