"""The response page, cached per viewer until anything it shows changes.

A response page read again with nothing new (the common case: officials open it many times a
day) costs the response's row, two cache reads and the page frame. The page's content (status,
plan, the viewer's actions, the participants) is cached per viewer, keyed on the response's page
stamp, which every change it shows bumps in its own transaction (drafting/freshness.py), and on
the viewer, language, date and filters. The document column beside it has its own cache
(views/document_column.py), shared by everyone with the same rights and keyed on the response
as loaded for each request: a comment changes the column only, and leaves the content cached. The frame around the
content (navigation, flash messages) is rendered afresh every time.

What a cached rendering cannot carry is the session's CSRF token: it is stored as a mark and
put back on the way out. A refused form is never cached: it is rendered by rerender_show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Response, current_app, render_template
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from ..extensions import cache
from ..models import JointResponse, local_today
from ..services.overview import OverviewRows, overview_rows
from ..services.planning import Plan, response_plan
from ..services.records import NamedMunicipality
from .document_column import (
    CSRF_MARK,
    ColumnView,
    cache_key,
    cached_column,
    column_context,
    column_key,
    may_cache,
    render_column,
)

# Where the document column goes in the page: a long response's column is most of its bytes,
# so it is kept (and cached) as encoded bytes and never copied into the page's string.
DOCUMENT_SLOT = Markup("\x00document\x00")
# Around the page's content in show.html, so the content can be cut out and cached.
CONTENT_MARK = Markup("\x00content\x00")


@dataclass(frozen=True)
class SharedFacts:
    """What every viewer's page reads alike: the overview's rows, today's plan, and the
    cooperation's members (chair first, then by name) for the column's comment filter."""

    rows: OverviewRows
    plan: Plan
    members: tuple[NamedMunicipality, ...]


def facts_key(response: JointResponse, today: date) -> str:
    return cache_key("facts", response, response.page_stamp, today.isoformat())


def shared_facts(response: JointResponse) -> SharedFacts:
    """The response's overview rows and plan, read once for all its viewers until the page
    stamp moves: a position renews every viewer's page, and each would otherwise read them
    again. Plain records (services/records.py), so nothing of an account goes into the cache."""
    today = local_today()
    key = facts_key(response, today)
    # A transaction that changed what a page shows reads its own rows, never the kept ones.
    facts = cache.get(key) if may_cache() else None
    if facts is None:
        rows = overview_rows([response.id])[response.id]
        facts = SharedFacts(rows, response_plan(response, today, signoffs=rows.signoffs),
                            tuple(NamedMunicipality(m.id, m.name)
                                  for m in response.cooperation.municipalities))
        if may_cache():
            cache.set(key, facts)
    return facts


def content_key(response: JointResponse, municipality_filter: int | None,
                comment_state: str | None) -> str:
    """Everything the page's content depends on beyond the page stamp's reach."""
    return cache_key("page", response, response.page_stamp, current_user.id, get_locale(),
                     local_today().isoformat(), municipality_filter, comment_state)


def _page(page: str, document: bytes) -> Response:
    before, after = page.split(DOCUMENT_SLOT, 1)
    return current_app.response_class([before.encode(), document, after.encode()],
                                      mimetype="text/html")


def show_page(response: JointResponse, build_context, *, municipality_filter: int | None,
              comment_state: str | None) -> Response:
    """The page from the cache when nothing in it changed, else rendered and kept.

    build_context() gives the page's full context (views/responses.response_page_context,
    without the document): only called when the cache has nothing.
    """
    csrf = generate_csrf()
    key = content_key(response, municipality_filter, comment_state)
    entry = cache.get(key)
    if entry is not None:
        content, view = entry
        # The column's key from the response's stamps now: a comment changes the column only.
        document_key = column_key(response, view)
        if document_key is not None:
            # After a comment only the column is stale: it is built again from its own context.
            document = cached_column(document_key, csrf)
            if document is None:
                facts = shared_facts(response)
                document = render_column(response, column_context(
                    response, view, csrf, latest=facts.rows.version, members=facts.members), view)
            page = render_template("responses/show.html", response=response,
                                   cached_content=Markup(content.replace(CSRF_MARK, csrf)))
            return _page(page, document)
    context = build_context()
    view = ColumnView.of(context)
    document = render_column(response, context, view)
    page = render_template("responses/show.html", **context, document_html=DOCUMENT_SLOT,
                           content_mark=CONTENT_MARK)
    head, content, tail = page.split(CONTENT_MARK)
    # Never the draft before version 1 (no column key), nor what a changing transaction saw.
    if column_key(response, view) is not None and may_cache():
        cache.set(key, (content.replace(csrf, CSRF_MARK), view))
    return _page(head + content + tail, document)
