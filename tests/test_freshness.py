"""The response page is cached per viewer, and a change anywhere it looks makes it stale at once."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from drafting.extensions import db as _db
from drafting.freshness import SCOPES, UNSHOWN
from drafting.models import Decision, JointResponse, Notification, local_today
from drafting.services import calendars, comments, drafting, review
from tests.conftest import (
    coordinator,
    csrf_token_from,
    login,
    municipality,
    official,
    statements_sent,
    user_by_email,
)

TOKEN_RE = re.compile(r'name="csrf_token" value="[^"]+"')


def stamp(response_id: int) -> int:
    return _db.session.scalar(_db.select(JointResponse.page_stamp)
                              .where(JointResponse.id == response_id))


def test_every_table_is_either_placed_or_shown_on_no_response_page():
    models = {mapper.class_ for mapper in _db.Model.registry.mappers}
    unplaced = {model.__name__ for model in models - set(SCOPES) - UNSHOWN}
    assert not unplaced, f"add these to drafting/freshness.py SCOPES or UNSHOWN: {unplaced}"


def test_each_kind_of_change_bumps_the_stamp_in_its_own_transaction(db, in_review):
    response_id = in_review.id
    db.session.commit()  # the scenario's own transaction has bumped it once already
    before = stamp(response_id)
    review.record_position(in_review, official("Lund"), 1, Decision.APPROVE)
    db.session.commit()
    after_position = stamp(response_id)
    assert after_position > before

    # A comment is in the document column only: its section's threads stamp moves, the page
    # stamp (the content beside the text) does not.
    from drafting.services.comments import threads_stamps

    section = drafting.working_sections(in_review)[0]
    threads_before = threads_stamps(in_review)
    comments.add_comment(in_review, official("Malmö"), section, "Ett tillägg")
    db.session.commit()
    after_comment = stamp(response_id)
    assert after_comment == after_position
    assert threads_stamps(in_review)[section.id] > threads_before[section.id]

    # A meeting date belongs to a municipality: every response of its cooperations is stale.
    calendars.add_meeting(in_review.cooperation, municipality("Lund"), official("Lund"),
                          "Kommunstyrelsen", local_today() + timedelta(days=20), 7)
    db.session.commit()
    after_meeting = stamp(response_id)
    assert after_meeting > after_comment

    # A person renamed: their name is on the positions and threads.
    user_by_email("tjansteman.lund@example.se").name = "Anna Andersson"
    db.session.commit()
    after_rename = stamp(response_id)
    assert after_rename > after_meeting

    # Mail bookkeeping is on no response page, so it leaves the cached pages alone.
    db.session.execute(update(Notification).values(emailed=True))
    db.session.commit()
    assert stamp(response_id) == after_rename


def _counted(client, url: str) -> tuple[str, int]:
    with statements_sent() as statements:
        answer = client.get(url)
    assert answer.status_code == 200
    return answer.get_data(as_text=True), len([s for s in statements if s.startswith("SELECT")])


def test_a_page_read_again_is_cached_and_a_change_shows_at_once(app, db, in_review):
    response_id = in_review.id
    db.session.commit()
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    url = f"/responses/{response_id}"
    first, first_queries = _counted(lund, url)
    again, again_queries = _counted(lund, url)
    # The same page, but for the CSRF token's signature, which carries the time.
    assert TOKEN_RE.sub("token", again) == TOKEN_RE.sub("token", first)
    assert again_queries <= 2 < first_queries  # the viewer and the response, nothing else

    review.record_position(in_review, official("Malmö"), 1, Decision.OBJECT, "Finansieringen saknas")
    db.session.commit()
    changed, _ = _counted(lund, url)
    assert "Finansieringen saknas" in changed

    # A comment leaves the content cached, and the column beside it shows the comment at once.
    section = drafting.working_sections(in_review)[1]
    comment = comments.add_comment(in_review, official("Malmö"), section, "Busslinjerna saknas")
    db.session.commit()
    commented, _ = _counted(lund, url)
    assert "Busslinjerna saknas" in commented and "Finansieringen saknas" in commented
    comments.set_resolved(comment, official("Malmö"), True)
    db.session.commit()
    assert re.search(rf'class="comment resolved[^"]*" id="comment-{comment.id}"', _counted(lund, url)[0])

    # The viewer's own rename shows in their sign-off defaults and everywhere else at once.
    user_by_email("tjansteman.lund@example.se").name = "Anna Andersson"
    db.session.commit()
    assert "Anna Andersson" in _counted(lund, url)[0]


def test_each_viewer_has_their_own_cached_page(app, db, in_review):
    response_id = in_review.id
    db.session.commit()
    lund, boss = app.test_client(), app.test_client()
    login(lund, "tjansteman.lund@example.se")
    login(boss, coordinator().email)
    for _ in range(2):  # the second round from the cache
        lund_page = lund.get(f"/responses/{response_id}").get_data(as_text=True)
        boss_page = boss.get(f"/responses/{response_id}").get_data(as_text=True)
        assert 'id="position-form"' in lund_page and 'id="position-form"' not in boss_page
        assert 'id="coord-heading"' in boss_page and 'id="coord-heading"' not in lund_page


def test_a_flash_message_shows_once_around_a_cached_page(app, db, in_review):
    response_id = in_review.id
    section = drafting.working_sections(in_review)[0]
    db.session.commit()
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    lund.get(f"/responses/{response_id}")  # cached
    page = lund.get(f"/responses/{response_id}").get_data(as_text=True)
    answer = lund.post(f"/responses/{response_id}/sections/{section.id}/comments",
                       data={"body": "Tydligare om kollektivtrafiken", "csrf_token": csrf_token_from(page)},
                       follow_redirects=True)
    html = answer.get_data(as_text=True)
    assert "Tydligare om kollektivtrafiken" in html
    assert 'class="flash' in html or 'role="status"' in html
    flashed = html.count("Kommentaren")
    again = lund.get(f"/responses/{response_id}").get_data(as_text=True)
    assert again.count("Kommentaren") < flashed


def test_a_thread_stamps_only_its_own_section_and_a_rename_stamps_them_all(db, in_review):
    from drafting.services.comments import threads_stamps

    sections = drafting.working_sections(in_review)
    before = threads_stamps(in_review)
    comment = comments.add_comment(in_review, official("Malmö"), sections[1], "Busslinjerna saknas")
    db.session.commit()
    after = threads_stamps(in_review)
    assert {s for s in after if after[s] != before[s]} == {sections[1].id}
    comments.reply(comment, official("Lund"), "Håller med")
    db.session.commit()
    replied = threads_stamps(in_review)
    assert {s for s in replied if replied[s] != after[s]} == {sections[1].id}

    official("Lund").name = "Anna Andersson"
    db.session.commit()
    renamed = threads_stamps(in_review)
    assert all(renamed[s] != replied[s] for s in renamed)


def test_a_statement_outside_the_flush_makes_every_page_stale(db, in_review):
    from drafting.models import Section

    before = stamp(in_review.id)
    db.session.execute(update(Section).values(sort_order=Section.sort_order))
    db.session.commit()
    assert stamp(in_review.id) > before


def _stamp_updates(run) -> int:
    """How many UPDATEs of a page stamp `run` sends."""
    with statements_sent() as statements:
        run()
    return len([s for s in statements if s.startswith("UPDATE joint_response SET page_stamp")])


def test_a_transaction_bumps_each_stamp_once_however_often_it_flushes(db, in_review):
    review.record_position(in_review, official("Lund"), 1, Decision.APPROVE)
    db.session.commit()
    before = stamp(in_review.id)
    # A new position supersedes the old one: two flushes (the old one's flag, then the new row).
    updates = _stamp_updates(lambda: review.record_position(
        in_review, official("Lund"), 1, Decision.OBJECT, "Finansieringen saknas"))
    db.session.commit()
    assert updates == 1 and stamp(in_review.id) == before + 1
    # The next transaction bumps again.
    updates = _stamp_updates(lambda: review.record_position(in_review, official("Lund"), 1,
                                                            Decision.APPROVE))
    db.session.commit()
    assert updates == 1 and stamp(in_review.id) == before + 2


def test_a_savepoint_rolled_back_takes_its_bump_along_and_the_next_flush_bumps_again(db, in_review):
    db.session.commit()
    before = stamp(in_review.id)
    savepoint = db.session.begin_nested()
    in_review.title = "Ett namn som ångras"
    db.session.flush()
    savepoint.rollback()
    in_review.our_reference = "KSL 2026/14"
    db.session.flush()
    db.session.commit()
    assert stamp(in_review.id) == before + 1


def test_nothing_rendered_inside_a_transaction_that_changed_it_is_cached(app, db, in_review):
    """A page rendered after a flush may show what a rollback takes back, under the key the
    committed page will have: it is answered, never kept."""
    from flask_login import login_user

    from drafting.extensions import cache
    from drafting.views.common import load_response
    from drafting.views.document_column import column_key, may_cache
    from drafting.views.response_page import content_key, show_page
    from drafting.views.responses import response_page_context

    response_id = in_review.id
    db.session.commit()

    def render(change) -> tuple[object, object]:
        with app.test_request_context(f"/responses/{response_id}"):
            login_user(official("Lund"))
            response = load_response(response_id, with_last_event=True)
            change(response)
            page = show_page(response, lambda: response_page_context(response, with_document=False),
                             municipality_filter=None, comment_state=None)
            assert page.status_code == 200
            view_key = cache.get(content_key(response, None, None))
            kept_column = None
            if view_key is not None:
                kept_column = cache.get(column_key(response, view_key[1]))
            return view_key, kept_column

    def comment(response):
        section = drafting.working_sections(response)[0]
        comments.add_comment(response, official("Malmö"), section, "Ångras strax")
        assert not may_cache()

    assert render(comment) == (None, None)
    db.session.rollback()
    assert may_cache()
    kept_page, kept_column = render(lambda response: None)  # nothing changed: kept
    assert kept_page is not None and kept_column is not None
