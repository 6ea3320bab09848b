"""Anchored comments across versions, replies, resolve/reopen, filters and suggestions."""

from __future__ import annotations

import io

import pytest
from docx import Document
from sqlalchemy import select

from drafting.models import AnchorState, Comment, SuggestionState
from drafting.services import anchoring, comments, drafting, responses
from drafting.services.errors import Conflict, InvalidInput, NotAllowed
from tests.conftest import coordinator, csrf_token_from, login, municipality, official


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


# --- a passage that occurs more than once: one finder decides everywhere ------------------

REPEATED = ("Vi anser att avgiften är för hög för barnfamiljer. "
            "Vi anser att avgiften är för hög för pensionärer.")
PASSAGE = "avgiften är för hög"


def repeated_section(demo):
    """A section in which PASSAGE occurs twice, published as version 2."""
    section = drafting.working_sections(demo)[0]
    edit(demo, section, REPEATED)
    drafting.publish_version(demo, coordinator(), "Upprepad mening")
    return section


def second_occurrence_hints(section) -> dict:
    """What a browser without page positions sends for the second occurrence."""
    text = anchoring.section_text(section.body_html)
    second = text.rindex(PASSAGE)
    quote = anchoring.quote_from_selection(text, second, second + len(PASSAGE))
    return {"exact": PASSAGE, "prefix": quote.prefix, "suffix": quote.suffix}


def second_occurrence_on_page(section) -> tuple[int, int]:
    page = anchoring.page_text(section.body_html)
    second = page.text.rindex(PASSAGE)
    return anchoring.page_range(page, anchoring.Anchor(second, second + len(PASSAGE), True))


def test_page_positions_choose_the_occurrence_selected(db, published):
    demo = published
    section = repeated_section(demo)
    comment = comments.add_comment(demo, official("Lund"), section, "Den andra", exact=PASSAGE,
                                   page_selection=second_occurrence_on_page(section))
    assert comment.anchor_exact == PASSAGE
    assert comment.anchor_prefix.endswith("för barnfamiljer. Vi anser att ")
    # Positions from a page that showed another text fall back to the quote: first occurrence.
    stale = comments.add_comment(demo, official("Malmö"), section, "Den första", exact=PASSAGE,
                                 page_selection=(0, 5))
    assert stale.anchor_prefix == "Vi anser att "


def test_the_same_remark_on_each_occurrence_is_two_comments(db, published):
    demo = published
    section = repeated_section(demo)
    first = comments.add_comment(demo, official("Lund"), section, "För hög?", exact=PASSAGE)
    second = comments.add_comment(demo, official("Lund"), section, "För hög?",
                                  **second_occurrence_hints(section))
    assert first.id != second.id  # not mistaken for a resubmitted form
    assert comments.add_comment(demo, official("Lund"), section, "För hög?", exact=PASSAGE).id == first.id


def test_accepting_a_suggestion_on_the_second_occurrence_replaces_that_one(db, published):
    demo = published
    section = repeated_section(demo)
    suggestion = comments.add_comment(demo, official("Lund"), section, "Lägre för pensionärer",
                                      suggested_text="avgiften bör sänkas",
                                      **second_occurrence_hints(section))
    comments.decide_suggestion(suggestion, coordinator(), accept=True)
    assert section.body == ("Vi anser att avgiften är för hög för barnfamiljer. "
                            "Vi anser att avgiften bör sänkas för pensionärer.")


def test_suggestion_on_a_passage_with_markup_inside_is_left_to_the_coordinator(db, published):
    demo = published
    section = drafting.working_sections(demo)[0]
    suggestion = comments.add_comment(demo, official("Lund"), section, "Mildare",
                                      exact="kommuner tillstyrker förslaget", suggested_text="x")
    with pytest.raises(Conflict):  # "**tillstyrker**" in the source: replacing would break it
        comments.decide_suggestion(suggestion, coordinator(), accept=True)
    assert "**tillstyrker**" in section.body


def test_publishing_without_the_commented_occurrence_detaches_it(db, published):
    demo = published
    section = repeated_section(demo)
    comment = comments.add_comment(demo, official("Lund"), section, "Pensionärerna?",
                                   **second_occurrence_hints(section))
    kept = comments.add_comment(demo, official("Malmö"), section, "Barnfamiljerna?",
                                exact=PASSAGE)  # no context sent: the first occurrence
    edit(demo, section, "Vi anser att avgiften är för hög för barnfamiljer.")
    drafting.publish_version(demo, coordinator(), "Strök pensionärerna")
    assert PASSAGE in section.body  # the other occurrence is still there ...
    assert comment.anchor_state == AnchorState.DETACHED  # ... but it is not the one commented on
    assert kept.anchor_state == AnchorState.ANCHORED


def test_page_and_review_copy_mark_the_occurrence_selected(app, db, published):
    demo = published
    section = repeated_section(demo)
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{demo.id}").get_data(as_text=True)
    start, end = second_occurrence_on_page(section)
    response = client.post(f"/responses/{demo.id}/sections/{section.id}/comments", data={
        "csrf_token": csrf_token_from(page), "body": "Den andra", "exact": PASSAGE,
        "prefix": "", "suffix": "", "start": str(start), "end": str(end)})
    assert response.status_code == 302
    comment = db.session.scalars(select(Comment).where(Comment.body == "Den andra")).one()
    # The page: the server gives the browser the positions to mark (app.js does not search).
    page = client.get(f"/responses/{demo.id}").get_data(as_text=True)
    assert f'id="comment-{comment.id}" data-anchor-state="anchored" data-anchor-start="{start}" data-anchor-end="{end}"' in page
    # The review copy: the Word comment covers the second occurrence.
    document = Document(io.BytesIO(client.get(
        f"/responses/{demo.id}/export/versions/2/review-copy.docx").data))
    (word_comment,) = list(document.comments)
    paragraph = next(p for p in document.paragraphs if "commentRangeStart" in p._p.xml)
    xml = paragraph._p.xml
    assert paragraph.text == REPEATED
    before = "".join(xml[: xml.index("commentRangeStart")].split("<w:t")[1:])
    assert "barnfamiljer" in before and "pensionärer" not in before


def test_a_comment_not_found_in_the_text_shown_is_not_marked(app, db, published):
    demo = published
    section = drafting.working_sections(demo)[0]
    comment = comments.add_comment(demo, official("Lund"), section, "Bra", exact="tillstyrker")
    comment.anchor_exact = "en mening som aldrig fanns"  # e.g. an anchor from an older text
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    page = client.get(f"/responses/{demo.id}").get_data(as_text=True)
    assert f'id="comment-{comment.id}" data-anchor-state="detached">' in page
