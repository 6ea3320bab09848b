"""The response page's document column is cached, and never shows anything stale or someone else's."""

from __future__ import annotations

import re

import pytest

from drafting.services import comments, drafting
from tests.conftest import login, official

TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def page(client, response_id: int) -> str:
    answer = client.get(f"/responses/{response_id}")
    assert answer.status_code == 200
    return answer.get_data(as_text=True)


def test_a_new_comment_resolving_and_replying_show_at_once(app, db, in_review):
    response_id = in_review.id
    section = drafting.working_sections(in_review)[0]
    db.session.commit()
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    assert "Busslinjerna saknas" not in page(lund, response_id)  # now cached

    comment = comments.add_comment(in_review, official("Malmö"), section, "Busslinjerna saknas")
    db.session.commit()
    assert "Busslinjerna saknas" in page(lund, response_id)

    comments.set_resolved(comment, official("Malmö"), True)
    db.session.commit()
    assert f'id="comment-{comment.id}"' in page(lund, response_id)
    assert re.search(rf'class="comment resolved[^"]*" id="comment-{comment.id}"', page(lund, response_id))

    comments.reply(comment, official("Lund"), "Håller med om linjerna")
    db.session.commit()
    assert "Håller med om linjerna" in page(lund, response_id)


def test_each_viewer_gets_their_own_token_and_their_own_controls(app, db, in_review):
    response_id = in_review.id
    section = drafting.working_sections(in_review)[0]
    comments.add_comment(in_review, official("Lund"), section, "Förslag", exact="",
                         suggested_text=None)
    db.session.commit()
    coordinator, lund, vellinge = app.test_client(), app.test_client(), app.test_client()
    login(coordinator, "koordinator@example.se")
    login(lund, "tjansteman.lund@example.se")
    login(vellinge, "tjansteman.vellinge@example.se")
    pages = {name: page(client, response_id)
             for name, client in (("coordinator", coordinator), ("lund", lund), ("vellinge", vellinge))}
    for name, html in pages.items():
        tokens = set(TOKEN_RE.findall(html))
        assert len(tokens) == 1, f"{name} sees another session's CSRF token"
    assert "Kommentera avsnittet" in pages["lund"]
    assert "Kommentera avsnittet" not in pages["vellinge"]  # never invited: no comment form
    # Cached for the second request too, still with the viewer's own token.
    again = page(lund, response_id)
    # The same session's token (signed anew each request: the signature's time may differ).
    assert {t.split(".")[0] for t in TOKEN_RE.findall(again)} == {
        t.split(".")[0] for t in TOKEN_RE.findall(pages["lund"])}


def test_positions_keep_the_cached_document_column_and_comments_renew_it(app, db, in_review):
    """The column's key moves with what it shows: a position (shown in the header, never
    cached) leaves it, a comment renews it."""
    from drafting.models import Decision
    from drafting.services import review
    from drafting.services.queries import get_response

    response_id = in_review.id

    def stamp() -> int | None:
        db.session.expire_all()
        return get_response(response_id, with_last_event=True).last_document_event_id

    section = drafting.working_sections(in_review)[0]
    before = stamp()
    review.record_position(in_review, official("Lund"), 1, Decision.OBJECT, "Finansieringen saknas")
    db.session.commit()
    assert stamp() == before
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    assert "Finansieringen saknas" in page(lund, response_id)  # the header is fresh all the same
    comments.add_comment(in_review, official("Malmö"), section, "Busslinjerna saknas")
    db.session.commit()
    assert stamp() != before
    assert "Busslinjerna saknas" in page(lund, response_id)


def test_the_page_cache_is_shared_by_workers_without_redis(tmp_path, monkeypatch):
    """Without Redis the cache is files in the instance folder, which every gunicorn worker
    reads; with Redis it is Redis; tests keep theirs in the process."""
    from drafting import create_app

    monkeypatch.delenv("REDIS_URL", raising=False)
    config = {"SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"}
    app = create_app(config)
    assert app.config["CACHE_TYPE"] == "FileSystemCache"
    assert app.config["CACHE_DIR"].startswith(app.instance_path)
    assert create_app({**config, "REDIS_URL": "redis://127.0.0.1:6379/0"}).config["CACHE_TYPE"] == "RedisCache"
    assert create_app({**config, "TESTING": True}).config["CACHE_TYPE"] == "SimpleCache"


def test_the_redis_page_cache_keeps_a_long_column_read_by_hiredis(tmp_path, redis_url):
    """The cached column of a long response is hundreds of kB, read on every page: hiredis
    reads the replies, and redis-py's own packer writes them (hiredis' copies every value)."""
    import uuid

    from redis.connection import PythonRespSerializer
    from redis.utils import HIREDIS_AVAILABLE

    from drafting import create_app
    from drafting.extensions import cache

    prefix = f"test-{uuid.uuid4().hex}:"
    app = create_app({"SECRET_KEY": "s", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
                      "REDIS_URL": redis_url, "CACHE_KEY_PREFIX": prefix})
    assert HIREDIS_AVAILABLE
    column = [bytes([n % 256]) * 10_000 for n in range(47)]  # a column cut at its CSRF marks
    with app.app_context():
        client = cache.cache._write_client
        packer = client.connection_pool.connection_kwargs["command_packer"]
        assert isinstance(packer, PythonRespSerializer)
        try:
            assert cache.set("column", column)
            assert cache.get("column") == column
        finally:
            for key in client.scan_iter(prefix + "*"):
                client.delete(key)


@pytest.fixture
def section_renders(app):
    """Which section fragments the requests render afresh (the rest come from the cache)."""
    from flask import template_rendered

    rendered: list[int] = []

    def record(sender, template, context, **extra):
        if template.name == "responses/_section.html":
            rendered.append(context["section"].section_id)

    with template_rendered.connected_to(record, app):
        yield rendered


def test_after_a_comment_only_its_section_is_rendered_again(app, db, in_review, section_renders):
    sections = drafting.working_sections(in_review)
    assert len(sections) >= 3
    db.session.commit()
    rendered = section_renders
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    page(lund, in_review.id)
    assert sorted(rendered) == sorted(s.id for s in sections)  # the first reader renders all
    rendered.clear()

    comment = comments.add_comment(in_review, official("Malmö"), sections[1], "Busslinjerna saknas")
    db.session.commit()
    html = page(lund, in_review.id)
    assert "Busslinjerna saknas" in html and rendered == [sections[1].id]
    rendered.clear()
    comments.reply(comment, official("Lund"), "Håller med om linjerna")
    comments.set_resolved(comment, official("Malmö"), True)
    db.session.commit()
    html = page(lund, in_review.id)
    assert "Håller med om linjerna" in html and rendered == [sections[1].id]
    assert re.search(rf'class="comment resolved[^"]*" id="comment-{comment.id}"', html)
    rendered.clear()

    comments.add_comment(in_review, official("Lund"), sections[2], "Tidplanen är för snäv")
    db.session.commit()
    html = page(lund, in_review.id)
    assert "Tidplanen är för snäv" in html and rendered == [sections[2].id]
    rendered.clear()

    # A new name of someone in the cooperation may stand in any thread: every section renews.
    official("Malmö").name = "Maja Malmö"
    db.session.commit()
    html = page(lund, in_review.id)
    assert sorted(rendered) == sorted(s.id for s in sections)
    assert "Maja Malmö" in html and "Tjänsteman Malmö" not in html


def test_the_column_from_cached_sections_reads_as_the_column_rendered_whole(app, db, in_review):
    """The two paths (fragments, and the whole template for a refused form) show the same."""
    from drafting.views.document_column import CSRF_MARK, document_context, render_column
    from drafting.views.responses import response_page_context

    sections = drafting.working_sections(in_review)
    lund, malmo = official("Lund"), official("Malmö")
    quoted = comments.add_comment(in_review, malmo, sections[0], "Ordet stämmer inte",
                                  exact=sections[0].body.split()[1])
    comments.reply(quoted, lund, "Vi ändrar det")
    comments.add_comment(in_review, lund, sections[1], "Skriv om meningen",
                         exact=sections[1].body.split()[0], suggested_text="En bättre mening.")
    resolved = comments.add_comment(in_review, malmo, sections[2], "Klart nu")
    comments.set_resolved(resolved, malmo, True)
    db.session.commit()
    client = app.test_client()
    login(client, "tjansteman.lund@example.se")
    assert "Vi ändrar det" in page(client, in_review.id)  # fragments in the cache now

    from drafting.services.queries import get_response

    with app.test_request_context(f"/responses/{in_review.id}"):
        from flask import render_template
        from flask_login import login_user

        login_user(lund)
        response = get_response(in_review.id, with_last_event=True)
        context = response_page_context(response, with_document=False)
        context["csrf"] = "TOKEN"
        from_fragments = render_column(response, context).decode()
        whole = render_template("responses/_document.html", **{
            **context, **document_context(response, context), "csrf": CSRF_MARK}).replace(
            CSRF_MARK, "TOKEN")

    def squeezed(html: str) -> str:
        return re.sub(r"\s+", "", html)

    assert "Vi ändrar det" in from_fragments and "En bättre mening." in from_fragments
    assert "data-anchor-start" in from_fragments  # the passages were found per section
    assert squeezed(from_fragments) == squeezed(whole)


def test_after_a_comment_the_page_builds_its_column_only_and_reads_as_one_built_whole(
        app, db, in_review, monkeypatch):
    """A new comment changes the column, not the status beside it: the page's cached content
    stays, the column is built from its own small context, and the page reads exactly as one
    built from nothing (a value the column's templates read and that context lacked would
    render as empty, silently)."""
    from drafting.extensions import cache
    from drafting.views import responses as response_views

    built = []
    full_context = response_views.response_page_context
    monkeypatch.setattr(response_views, "response_page_context",
                        lambda *args, **kwargs: built.append(1) or full_context(*args, **kwargs))
    sections = drafting.working_sections(in_review)
    db.session.commit()
    lund = app.test_client()
    login(lund, "tjansteman.lund@example.se")
    page(lund, in_review.id)
    assert built == [1]

    comments.add_comment(in_review, official("Malmö"), sections[1], "Busslinjerna saknas",
                         exact=sections[1].body.split()[0])
    db.session.commit()
    from_column_only = page(lund, in_review.id)
    assert "Busslinjerna saknas" in from_column_only and built == [1]

    cache.clear()
    from_nothing = page(lund, in_review.id)
    assert built == [1, 1]

    def without_tokens(html: str) -> str:
        return TOKEN_RE.sub('name="csrf_token" value=""', html)

    assert without_tokens(from_column_only) == without_tokens(from_nothing)


def test_after_a_comment_the_column_reads_the_threads_once_and_the_published_text_not_at_all(
        app, db, in_review):
    """The column built again after a comment asks for the commented section's threads and
    those left without a section in one query; the published text, which never changes,
    comes from the cache. Both kinds still show."""
    from tests.conftest import coordinator, statements_sent

    sections = drafting.working_sections(in_review)
    lund = official("Lund")
    comments.add_comment(in_review, lund, sections[2], "Om avsnittet som tas bort")
    drafting.remove_section(sections[2], coordinator(), in_review.revision)
    drafting.publish_version(in_review, coordinator(), "Ett avsnitt mindre")
    db.session.commit()
    reader = app.test_client()
    login(reader, "tjansteman.lund@example.se")
    assert "Om avsnittet som tas bort" in page(reader, in_review.id)

    comments.add_comment(in_review, official("Malmö"), sections[0], "Busslinjerna saknas")
    db.session.commit()
    with statements_sent() as statements:
        html = page(reader, in_review.id)
    assert "Busslinjerna saknas" in html
    left_over = html.index("Kommentarer till avsnitt som inte längre finns")
    assert html.index("Om avsnittet som tas bort") > left_over
    reads = [s for s in statements if s.lstrip().startswith("SELECT")]
    assert len([s for s in reads if "FROM comment" in s]) == 1, reads
    assert not [s for s in reads if "FROM version_section" in s], reads


def test_the_column_key_reads_the_latest_event_from_an_index_of_the_response_trail(app, db):
    """Every response page asks for the response's latest document event: with the trail
    indexed by (response, id) the database reads it from the index's end, however long the
    trail has grown, rather than reading the whole trail (the migration that adds it ran)."""
    from sqlalchemy import inspect

    indexes = inspect(db.engine).get_indexes("audit_event")
    assert ["response_id", "id"] in [index["column_names"] for index in indexes]


def test_after_a_position_the_readers_share_one_reading_of_the_overview_and_plan(app, db, in_review):
    """A position renews every reader's page. The overview's rows and the plan are read once
    for all of them (the first reader after it), then kept in the cache as plain records:
    the next reader's page reads none of them, and shows the position all the same."""
    import pickle

    from drafting.extensions import cache
    from drafting.models import Decision, User, local_today
    from drafting.services import review
    from drafting.services.queries import get_response
    from drafting.views.response_page import facts_key
    from tests.conftest import statements_sent

    db.session.commit()
    lund, vellinge = app.test_client(), app.test_client()
    login(lund, "tjansteman.lund@example.se")
    login(vellinge, "tjansteman.vellinge@example.se")
    page(lund, in_review.id)
    page(vellinge, in_review.id)

    review.record_position(in_review, official("Malmö"), 1, Decision.OBJECT, "Finansieringen saknas")
    db.session.commit()
    shared = ("FROM position", "FROM sign_off", "FROM version", "FROM meeting_date")

    def reads(client) -> list[str]:
        with statements_sent() as statements:
            assert "Finansieringen saknas" in page(client, in_review.id)
        return [s for s in statements if s.lstrip().startswith("SELECT")
                and any(table in s for table in shared)]

    assert reads(lund)  # the first reader after the position reads them
    assert reads(vellinge) == []  # the next one finds them in the cache

    # Nothing of an account is kept: no user rows, no password hashes.
    db.session.expire_all()
    kept = cache.get(facts_key(get_response(in_review.id), local_today()))
    assert kept is not None and kept.rows.positions
    blob = pickle.dumps(kept)
    for user in db.session.scalars(db.select(User)):
        assert user.password_hash.encode() not in blob
    assert b"drafting.models" not in blob


def test_a_transaction_that_changed_a_position_reads_its_own_overview(app, db, in_review):
    """The kept overview rows are for readers: a request that has just recorded a position
    and renders before it commits (a refused step after it, say) sees its own position."""
    from flask_login import login_user

    from drafting.models import Decision
    from drafting.services import review
    from drafting.services.queries import get_response
    from drafting.views.response_page import shared_facts

    db.session.commit()
    reader = app.test_client()
    login(reader, "tjansteman.lund@example.se")
    page(reader, in_review.id)  # the overview's rows are kept now
    malmo = official("Malmö")
    with app.test_request_context(f"/responses/{in_review.id}"):
        login_user(malmo)
        response = get_response(in_review.id)
        review.record_position(response, malmo, 1, Decision.OBJECT, "Finansieringen saknas")
        facts = shared_facts(response)
        assert [p.note for p in facts.rows.positions
                if p.municipality_id == malmo.municipality_id] == ["Finansieringen saknas"]
        db.session.rollback()
