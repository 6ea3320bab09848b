"""The response page's document column: the text of a version and its comment threads.

It is most of a long response's page (tens of sections, a thousand comments), so it is cached
on two levels, in the shared page cache (extensions.cache):

* the whole column, keyed on the latest audit event that may change it and the sum of the
  sections' threads stamps: a page shown again with nothing new costs one cache read;
* each section with its threads and comment form, keyed on the version (whose text never
  changes) and the section's threads stamp (drafting/freshness.py), which moves with every
  change of its threads and of the names in them: after a new comment, a reply or a resolved
  thread only that section's threads are read and rendered again.

Both are stored as UTF-8 bytes with a mark where the session's CSRF token goes. A change of
anything a fragment shows changes its key in the same transaction, so no fragment can show a
stale thread. `document_context` gives what the templates read, for the uncached path too.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..extensions import cache, db
from ..freshness import changed_in_transaction
from ..models import JointResponse, Version
from ..services.comments import comment_threads, page_ranges, passage_choices, threads_stamps
from ..services.drafting import DisplaySection, reader_sections
from ..services.records import NamedMunicipality, PublishedVersion

# The CSRF token is per session: cached renderings carry this mark, replaced on the way out.
CSRF_MARK = "\x00csrf\x00"


def cache_key(kind: str, response: JointResponse, *parts: object) -> str:
    """The key of a cached rendering about a response. The response is named by its id and
    creation time: a database restored or recreated reuses ids, never both."""
    return ":".join(map(str, (kind, f"{response.id}@{response.created_at.timestamp()}", *parts)))


def may_cache() -> bool:
    """May what this request renders now be cached? Not after it changed something a page
    shows: a rollback could take that back, or a later flush add to it, under the same key."""
    return not changed_in_transaction(db.session())


def cached_column(key: str, csrf: str) -> bytes | None:
    """The cached column under a key column_key gave, with the session's CSRF token."""
    parts = cache.get(key)
    return None if parts is None else csrf.encode().join(parts)


def page_strings(response: JointResponse, version: Version | None) -> dict[str, str]:
    """Strings and URLs resolved once per page: the templates' loops run per section and comment."""
    comments_url = url_for("drafting.reply", response_id=response.id, comment_id=0).rsplit("/", 2)[0]
    sections_url = url_for("drafting.add_comment", response_id=response.id,
                           section_id=0).rsplit("/", 2)[0]
    return {
        "t_resolved": _("Löst"), "t_suggestion": _("Ändringsförslag"), "t_added": _("infört"),
        "t_declined": _("avböjt"), "t_proposal": _("Förslag"), "t_reply": _("Svara"),
        "t_reopen": _("Öppna igen"), "t_resolve": _("Markera som löst"),
        "t_on_draft": _("Kommentar till arbetsutkastet"),
        "t_outdated": (_("Inaktuell: det kommenterade stycket finns inte i version %(n)d.",
                         n=version.number) if version
                       else _("Inaktuell: det kommenterade stycket finns inte längre i texten.")),
        "t_edited_since": _("Stycket har ändrats något sedan kommentaren skrevs."),
        "t_comment_section": _("Kommentera avsnittet"), "t_selected": _("Markerat"),
        "t_comment": _("Kommentar"),
        "t_passage": _("Vilken text gäller det? (valfritt)"),
        "t_passage_hint": _("Välj inget, så gäller kommentaren hela avsnittet. Med mus kan du i "
                            "stället markera texten i avsnittet."),
        "t_block": _("Stycke"), "t_whole": _("Hela avsnittet"),
        "t_replaced": _("Text som ska ersättas eller kommenteras"),
        "t_replaced_hint": _("Bara om det gäller en del av stycket: skriv den exakt som den står i "
                             "texten."),
        "t_suggestion_part": _("Ändringsförslag (valfritt)"),
        "t_suggest": _("Föreslå ny text i stället för den valda texten"),
        "t_suggested": _("Föreslagen ny text"),
        "t_suggested_hint": _("Lämna tomt och kryssa i rutan för att föreslå att texten stryks."),
        "t_save": _("Spara kommentar"), "t_comments_on": _("Kommentarer till"),
        "compare_url": url_for("drafting.compare", response_id=response.id),
        "comments_url": comments_url, "sections_url": sections_url,
    }


def document_context(response: JointResponse, context: dict) -> dict:
    """The text and all its threads, as the column's templates read them (the column rendered
    whole: the working draft, a refused form)."""
    sections = reader_sections(response, context["version"])
    threads = comment_threads(response, municipality_id=context["municipality_filter"],
                              state=context["comment_state"])
    return {"sections": sections, "threads": threads,
            "passages": page_ranges(sections, threads),
            "passage_options": _passage_options(sections, context["may_comment"]),
            **page_strings(response, context["version"])}


def _passage_options(sections: list[DisplaySection], may_comment: bool) -> dict:
    # The blocks of each section's text, to choose a passage from without a mouse.
    return {s.section_id: passage_choices(s.body_html) for s in sections} if may_comment else {}


@dataclass(frozen=True)
class ColumnView:
    """Which column a viewer sees: the version, what they may do in it, the filters. With the
    response's stamps, the column's cache key; kept with a cached page (views/response_page.py)."""

    version_id: int | None
    may_comment: bool
    may_decide: bool
    municipality_filter: int | None
    comment_state: str | None

    @classmethod
    def of(cls, context: dict) -> ColumnView:
        version = context["version"]
        return cls(version.id if version else None, context["may_comment"],
                   context["may_decide"], context["municipality_filter"], context["comment_state"])


def column_key(response: JointResponse, view: ColumnView) -> str | None:
    """What the whole column depends on; None when it must be rendered fresh. Its stamps are
    the response's as loaded now (with_last_event): a comment leaves the page stamp alone."""
    if view.version_id is None or response.last_document_event_id is None:
        return None  # the draft before version 1 changes without events of its own
    return cache_key("document", response, view.version_id, response.last_document_event_id,
                     response.threads_stamp_total, get_locale(), view.may_comment,
                     view.may_decide, view.municipality_filter, view.comment_state)


def _section_key(response: JointResponse, view: ColumnView, section: DisplaySection,
                 threads_stamp: int) -> str:
    """What one section's fragment shows: a published version's text, which never changes, and
    its threads, whose stamp moves with every change of them or of a name in them
    (drafting/freshness.py); who may act, the filters, the language."""
    return cache_key("section", response, view.version_id, section.section_id, section.order,
                     threads_stamp, get_locale(), view.may_comment, view.may_decide,
                     view.municipality_filter, view.comment_state)


def _render(template: str, context: dict) -> bytes:
    return render_template(template, **{**context, "csrf": CSRF_MARK}).encode()


def _published_sections(response: JointResponse, version: Version) -> list[DisplaySection]:
    """A published version's text, which never changes: read once, then from the cache."""
    key = cache_key("version-text", response, version.id)
    sections = cache.get(key)
    if sections is None:
        sections = reader_sections(response, version)
        if may_cache():  # not a version this transaction made: a rollback could reuse its id
            cache.set(key, sections)
    return sections


def _fresh_column(response: JointResponse, context: dict, view: ColumnView) -> bytes:
    """The column from its parts, each section from the cache unless its threads changed: only
    the threads of the sections rendered afresh are read."""
    version = context["version"]
    sections = _published_sections(response, version)
    stamps = threads_stamps(response)
    keys = [_section_key(response, view, s, stamps.get(s.section_id, 0)) for s in sections]
    cached = cache.get_many(*keys) if keys else []
    filters = {"municipality_id": view.municipality_filter, "state": view.comment_state}
    stale = [s for s, html in zip(sections, cached, strict=True) if html is None]
    shown = {s.section_id for s in sections}
    # One query: the stale sections' threads, and those whose section is not in this version
    # (listed after the text).
    threads = comment_threads(response, **filters, sections=[s.section_id for s in stale],
                              other_than=shown)
    left_over = {section_id: found for section_id, found in threads.items() if section_id not in shown}
    data = {**context, "sections": sections, "threads": left_over,
            **page_strings(response, version)}
    parts = [_render("responses/_document_head.html", {**data, "passages": {}})]
    fresh = {}
    for section, key, html in zip(sections, keys, cached, strict=True):
        if html is None:
            own = {section.section_id: threads.get(section.section_id, [])}
            html = _render("responses/_section.html", {
                **data, "section": section, "threads": own,
                "passages": page_ranges([section], own),
                "passage_options": _passage_options([section], context["may_comment"])})
            fresh[key] = html
        parts.append(html)
    if not sections:
        parts.append(_render("responses/_no_sections.html", data))
    parts.append(_render("responses/_document_tail.html", {**data, "passages": {}}))
    if fresh and may_cache():
        cache.set_many(fresh)
    return b"".join(parts)


def column_context(response: JointResponse, view: ColumnView, csrf: str, *,
                   latest: PublishedVersion | None,
                   members: tuple[NamedMunicipality, ...]) -> dict:
    """What the column's templates read beyond the column itself, for a page whose content
    came from the cache: a new comment changes the column only, and building the whole page's
    context again for it would cost more than the column. `latest` and `members`: what all the
    response's viewers share (views/response_page.SharedFacts)."""
    version: PublishedVersion | Version | None = latest
    if version is None or version.id != view.version_id:  # published since the page was kept
        version = db.session.get(Version, view.version_id,
                                 options=(joinedload(Version.published_by),))
    return {"response": response, "version": version, "may_comment": view.may_comment,
            "may_decide": view.may_decide, "municipality_filter": view.municipality_filter,
            "comment_state": view.comment_state, "comment_form": None, "csrf": csrf,
            "members": members}


def render_column(response: JointResponse, context: dict, view: ColumnView | None = None) -> bytes:
    """The document column as UTF-8 with the session's CSRF token, cached where it can be."""
    view = view or ColumnView.of(context)
    key = column_key(response, view)
    if key is None:  # the working draft: rendered whole, nothing kept
        html = _render("responses/_document.html", {**context, **document_context(response, context)})
        return html.replace(CSRF_MARK.encode(), context["csrf"].encode())
    column = cached_column(key, context["csrf"])
    if column is None:
        # Kept cut at the token's places: the token is put back by one join, not by a search
        # through the whole column.
        parts = _fresh_column(response, context, view).split(CSRF_MARK.encode())
        if may_cache():
            cache.set(key, parts)
        column = context["csrf"].encode().join(parts)
    return column
