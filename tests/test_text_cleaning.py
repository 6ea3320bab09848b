"""Stored text has no control characters, whichever way it came in.

Forms are cleaned before a view reads them (security.py), API text fields where they are
read (views/api.py); the services that store free text clean it too, for every other caller.
All use rendering.strip_control_chars.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from drafting.models import Comment, Role, User
from drafting.services import comments, drafting, people, responses
from tests.conftest import coordinator, municipality, official

DIRTY = "Svar\x00 med\x07 kontroll\x1btecken\ud800\x0b"
CLEAN = "Svar med kontrolltecken"


@pytest.fixture
def published(db, demo):
    responses.invite(demo, coordinator(), [municipality(n).id for n in ("Lund", "Malmö")])
    for name in ("Lund", "Malmö"):
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    return demo


def test_a_reply_is_cleaned_like_a_comment(db, published):
    section = drafting.working_sections(published)[0]
    comment = comments.add_comment(published, official("Lund"), section, "Kommentar\x07")
    reply = comments.reply(comment, official("Malmö"), f"  {DIRTY}  ")
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Comment, reply.id)
    assert (db.session.get(Comment, comment.id).body, stored.body) == ("Kommentar", CLEAN)
    assert stored.body_html == f"<p>{CLEAN}</p>"


def test_a_suggestion_and_the_reply_that_declines_it_are_cleaned(db, published):
    section = drafting.working_sections(published)[0]
    suggestion = comments.add_comment(published, official("Lund"), section, "Byt ut",
                                      exact="tillstyrker", prefix="\x01", suffix="\x02",
                                      suggested_text=DIRTY)
    comments.decide_suggestion(suggestion, coordinator(), accept=False, reply_text=DIRTY)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Comment, suggestion.id)
    assert stored.suggested_text == CLEAN
    assert "\x01" not in stored.anchor_prefix and "\x02" not in stored.anchor_suffix
    replies = db.session.scalars(select(Comment.body).where(Comment.parent_id == suggestion.id)).all()
    assert replies == [CLEAN]


def test_people_and_municipality_names_are_cleaned(db, demo):
    cooperation = demo.cooperation
    added = people.add_municipality(cooperation, None, "Höganäs\x07")
    user = people.create_user(email="ny\x00@example.se", name=DIRTY, title="Handläggare\x1b",
                              password="losenord-123", cooperation=cooperation,
                              role=Role.OFFICIAL, municipality_id=added.id)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(User, user.id)
    assert (added.name, stored.name, stored.title, stored.email) == (
        "Höganäs", CLEAN, "Handläggare", "ny@example.se")
