"""Anchored comments across versions, replies, resolve/reopen, filters and suggestions."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from drafting.models import AnchorState, Comment, SuggestionState
from drafting.services import comments, drafting, responses
from drafting.services.errors import Conflict, InvalidInput, NotAllowed
from tests.conftest import coordinator, login, municipality, official


@pytest.fixture
def published(db, demo):
    responses.invite(demo, coordinator(), [municipality(n).id for n in ("Lund", "Malmö")])
    for name in ("Lund", "Malmö"):
        responses.answer_invitation(demo, official(name), join=True)
    drafting.publish_version(demo, coordinator(), "")
    return demo


def edit(demo, section, body):
    drafting.save_section(section, coordinator(), section.heading, body, section.current_revision.number)


def test_comment_survives_edits_elsewhere_and_detaches_when_passage_goes(db, published):
    demo = published
    section = drafting.working_sections(demo)[0]
    kept = comments.add_comment(demo, official("Lund"), section, "Bra", exact="tillstyrker")
    doomed = comments.add_comment(demo, official("Malmö"), section, "Stryk?",
                                  exact="behovet av fler avgångar på Södra stambanan")
    edit(demo, section, "Ny inledning.\n\n" + section.body.replace(
        "- behovet av fler avgångar på Södra stambanan,\n", ""))
    drafting.publish_version(demo, coordinator(), "Strök stambanan")
    assert kept.anchor_state == AnchorState.ANCHORED
    assert doomed.anchor_state == AnchorState.DETACHED
    assert doomed.anchor_exact == "behovet av fler avgångar på Södra stambanan"  # never dropped


def test_comment_on_removed_section_is_detached_not_lost(db, published):
    demo = published
    section = drafting.working_sections(demo)[1]
    comment = comments.add_comment(demo, official("Lund"), section, "Om bakgrunden", exact="strukturbild")
    drafting.remove_section(section, coordinator(), demo.revision)
    drafting.publish_version(demo, coordinator(), "Tog bort bakgrunden")
    assert comment.anchor_state == AnchorState.DETACHED
    threads = comments.comment_threads(demo)
    assert threads[section.id][0].comment.id == comment.id


def test_selected_passage_must_exist(db, published):
    section = drafting.working_sections(published)[0]
    with pytest.raises(InvalidInput):
        comments.add_comment(published, official("Lund"), section, "x", exact="finns inte i texten")


def test_replies_resolve_reopen_and_filters(db, published):
    demo = published
    section = drafting.working_sections(demo)[0]
    first = comments.add_comment(demo, official("Lund"), section, "Lunds fråga")
    comments.add_comment(demo, official("Malmö"), section, "Malmös fråga")
    comments.reply(first, coordinator(), "Svar från koordinatorn")
    comments.set_resolved(first, official("Malmö"), True)
    by_lund = comments.comment_threads(demo, municipality_id=municipality("Lund").id)
    assert [t.comment.body for t in by_lund[section.id]] == ["Lunds fråga"]
    assert [r.body for r in by_lund[section.id][0].replies] == ["Svar från koordinatorn"]
    open_only = comments.comment_threads(demo, state="open")
    assert [t.comment.body for t in open_only[section.id]] == ["Malmös fråga"]
    comments.set_resolved(first, official("Lund"), False)
    assert len(comments.comment_threads(demo, state="open")[section.id]) == 2


def test_suggestion_accepted_changes_draft_with_attribution(db, published):
    demo = published
    section = drafting.working_sections(demo)[0]
    suggestion = comments.add_comment(demo, official("Lund"), section, "Mjukare ton",
                                      exact="tillstyrker", suggested_text="ställer sig positiva till")
    with pytest.raises(NotAllowed):
        comments.decide_suggestion(suggestion, official("Malmö"), accept=True)
    comments.decide_suggestion(suggestion, coordinator(), accept=True)
    assert "ställer sig positiva till" in section.body and "tillstyrker" not in section.body
    assert "Tjänsteman Lund" in section.current_revision.note
    assert suggestion.suggestion_state == SuggestionState.ACCEPTED
    with pytest.raises(Conflict):
        comments.decide_suggestion(suggestion, coordinator(), accept=False, reply_text="Nej")


def test_suggestion_declined_needs_a_reply(db, published):
    demo = published
    section = drafting.working_sections(demo)[0]
    suggestion = comments.add_comment(demo, official("Lund"), section, "Ta bort",
                                      exact="tillstyrker", suggested_text="avstyrker")
    with pytest.raises(InvalidInput):
        comments.decide_suggestion(suggestion, coordinator(), accept=False)
    comments.decide_suggestion(suggestion, coordinator(), accept=False, reply_text="Vi står fast.")
    assert suggestion.suggestion_state == SuggestionState.DECLINED
    assert "tillstyrker" in section.body
    replies = db.session.scalars(select(Comment).where(Comment.parent_id == suggestion.id)).all()
    assert [r.body for r in replies] == ["Vi står fast."]


def test_changes_since_my_approval_link_and_compare_page(app, db, published):
    from drafting.models import Decision
    from drafting.services import review

    demo = published
    review.record_position(demo, official("Lund"), 1, Decision.APPROVE)
    section = drafting.working_sections(demo)[2]
    edit(demo, section, section.body + "\n\nEn helt ny mening om stationer.")
    drafting.move_section(drafting.working_sections(demo)[3], coordinator(), -1, demo.revision)
    drafting.publish_version(demo, coordinator(), "Stationer och ny ordning")
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{demo.id}").get_data(as_text=True)
    assert "Ni godkände version 1, men inte version 2." in page
    compare = client.get(f"/responses/{demo.id}/compare?from=1&to=2").get_data(as_text=True)
    assert "<ins>" in compare and "stationer" in compare and "Flyttat" in compare
    side = client.get(f"/responses/{demo.id}/compare?from=1&to=2&layout=side")
    assert side.status_code == 200 and "side-by-side" in side.get_data(as_text=True)
