"""Comments, replies and suggestions on the draft."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import or_, select

from ..extensions import db
from ..models import (
    AnchorState,
    Comment,
    JointResponse,
    Municipality,
    Section,
    SuggestionState,
    User,
    Version,
    utcnow,
)
from ..permissions import Action, ensure
from ..rendering import (
    MAX_COMMENT_CHARS,
    MarkdownRejected,
    render_plain_comment,
    strip_control_chars,
)
from . import anchoring, notifications
from .audit import record_event
from .drafting import DisplaySection, reader_sections, save_section
from .errors import Conflict, InvalidInput, NotFound
from .queries import latest_version


def _render_comment(body: str) -> str:
    body = strip_control_chars(body).strip()
    if not body:
        raise InvalidInput(_("Skriv en kommentar."))
    if len(body) > MAX_COMMENT_CHARS:
        raise InvalidInput(_("Kommentaren är för lång: högst %(max)d tecken, du skrev %(count)d.",
                             max=MAX_COMMENT_CHARS, count=len(body)))
    try:
        return render_plain_comment(body)
    except MarkdownRejected as error:
        raise InvalidInput(error.message) from error


@dataclass(frozen=True)
class PassageChoice:
    """A passage chosen without selecting it: a block of the section, the words typed, or both.

    text_id is the fingerprint (anchoring.text_id) of the text the block was chosen in.
    """

    block: int | None = None
    typed: str = ""
    text_id: str = ""


@dataclass(frozen=True)
class PassageChoices:
    """A section's blocks as offered to choose from: how each begins, and which text they are of."""

    text_id: str
    starts: tuple[str, ...]


PASSAGE_START_CHARS = 60


def passage_choices(html: str) -> PassageChoices:
    """The blocks of a section's text as a reader without a mouse chooses among them."""
    text = anchoring.section_text(html)
    starts = []
    for start, end in anchoring.block_spans(text):
        block = text[start:end]
        if len(block) > PASSAGE_START_CHARS:
            cut = block[:PASSAGE_START_CHARS]
            block = (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,.;:") + " …"
        starts.append(block)
    return PassageChoices(anchoring.text_id(text), tuple(starts))


def add_comment(response: JointResponse, user: User, section: Section, body: str,
                exact: str = "", prefix: str = "", suffix: str = "",
                suggested_text: str | None = None,
                page_selection: tuple[int, int] | None = None,
                choice: PassageChoice | None = None) -> Comment:
    """Comment on a section, or on a passage of it; optionally suggest replacement text.

    The passage is the selected string ``exact``; the browser also sends where it selected it
    (``page_selection``, page positions as in anchoring.page_range), which decides between
    repeated occurrences.  Clients without it send context (``prefix``/``suffix``) instead.
    Without a selection, ``choice`` names the passage: a block, or words typed out (within
    the block, if one is chosen too); typed words that differ from the selection win.
    """
    body = strip_control_chars(body).strip()
    exact, prefix, suffix = map(strip_control_chars, (exact, prefix, suffix))
    choice = choice or PassageChoice()
    typed = strip_control_chars(choice.typed).strip()
    if suggested_text is not None:
        suggested_text = strip_control_chars(suggested_text)
    ensure(user, Action.COMMENT, response)
    if section.response_id != response.id or section.is_removed:
        raise NotFound(_("Avsnittet finns inte."))
    html = _render_comment(body)
    state = AnchorState.SECTION
    exact = exact.strip()
    version = latest_version(response)
    if exact or typed or choice.block is not None:
        # The passage was chosen in what the reader saw: the latest version, else the draft.
        shown = next((s for s in reader_sections(response, version) if s.section_id == section.id), None)
        shown_html = shown.body_html if shown else section.body_html
        if exact and (not typed or typed.split() == exact.split()):
            quote = _selected_quote(shown_html, exact, prefix, suffix, page_selection)
        else:
            quote = _chosen_quote(anchoring.section_text(shown_html), choice.block, typed,
                                  choice.text_id)
        exact, prefix, suffix = quote.exact, quote.prefix, quote.suffix
        state = AnchorState.ANCHORED
    if suggested_text is not None:
        if not exact:
            raise InvalidInput(_("Välj det stycke som förslaget gäller, eller skriv texten som "
                                 "ska ersättas."), field="passage_block")
        if len(suggested_text) > MAX_COMMENT_CHARS:
            raise InvalidInput(_("Förslaget är för långt."), field="suggested_text")
    duplicate = _recent_duplicate(response, user, section, body,
                                  anchoring.TextQuote(exact, prefix, suffix), suggested_text)
    if duplicate is not None:
        return duplicate  # a resubmitted form: the comment is already there
    comment = Comment(
        response_id=response.id, section_id=section.id, version_id=version.id if version else None,
        author_id=user.id, municipality_id=user.municipality_id,
        body=body, body_html=html,
        anchor_exact=exact, anchor_prefix=prefix, anchor_suffix=suffix, anchor_state=state.value,
        suggested_text=suggested_text,
        suggestion_state=SuggestionState.OPEN.value if suggested_text is not None else None,
    )
    db.session.add(comment)
    db.session.flush()
    record_event("comment_added", user, response=response,
                 version_number=version.number if version else None,
                 summary=(_("Nytt ändringsförslag på ”%(heading)s”.", heading=section.heading)
                          if suggested_text is not None else
                          _("Ny kommentar på ”%(heading)s”.", heading=section.heading)),
                 details={"comment_id": comment.id, "section_id": section.id})
    notifications.comment_added(response, user, suggested_text is not None, section.heading)
    return comment


def _selected_quote(shown_html: str, exact: str, prefix: str, suffix: str,
                    page_selection: tuple[int, int] | None) -> anchoring.TextQuote:
    """The quote of a passage selected on the page."""
    quote = None
    if page_selection is not None:
        quote = anchoring.quote_from_page_range(anchoring.page_text(shown_html), *page_selection, exact)
    if quote is None:  # no position, or one from a page showing another text
        quote = anchoring.quote_from_exact(anchoring.section_text(shown_html), exact, prefix, suffix)
    if quote is None:
        raise InvalidInput(_("Det markerade stycket finns inte i avsnittets nuvarande text. "
                             "Ladda om sidan och markera igen."))
    return quote


def _chosen_quote(text: str, block: int | None, typed: str, text_id: str) -> anchoring.TextQuote:
    """The quote of a passage chosen without a selection: a block, or words typed out."""
    span = None
    if block is not None:
        spans = anchoring.block_spans(text)
        if not 0 <= block < len(spans):
            raise InvalidInput(_("Stycket finns inte i avsnittets nuvarande text. Välj stycket "
                                 "igen i listan."), field="passage_block")
        if text_id != anchoring.text_id(text):
            # Blocks are counted in the text the page showed; this one has changed since.
            raise InvalidInput(_("Avsnittets text har ändrats sedan sidan visades. Välj stycket "
                                 "igen i listan."), field="passage_block")
        span = spans[block]
        if not typed:
            quote = anchoring.quote_from_block(text, block)
            if quote is not None:
                return quote
    quote, count = anchoring.quote_from_typed(text, typed, span)
    shown = typed if len(typed) <= 80 else typed[:79] + "…"
    if quote is None:
        raise InvalidInput(
            _("”%(text)s” står inte i det valda stycket. Skriv texten exakt som den står, eller "
              "välj bara stycket.", text=shown) if span else
            _("”%(text)s” står inte i avsnittet. Skriv texten exakt som den står, eller välj ett "
              "stycke i listan.", text=shown), field="replaced_text")
    if count > 1:
        raise InvalidInput(
            _("”%(text)s” står %(count)d gånger i stycket. Skriv en längre del av texten, så att "
              "den bara står på ett ställe.", text=shown, count=count) if span else
            _("”%(text)s” står %(count)d gånger i avsnittet. Välj också stycket i listan, eller "
              "skriv en längre del av texten.", text=shown, count=count), field="replaced_text")
    return quote


DUPLICATE_WINDOW = timedelta(minutes=2)


def _recent_duplicate(response: JointResponse, user: User, section: Section, body: str,
                      quote: anchoring.TextQuote, suggested_text: str | None) -> Comment | None:
    """The same comment by the same person on the same passage, made moments ago.

    The same passage is the same quote, context included: the same words elsewhere are
    another passage.
    """
    return db.session.scalars(select(Comment).where(
        Comment.response_id == response.id, Comment.section_id == section.id,
        Comment.author_id == user.id, Comment.parent_id.is_(None), Comment.body == body,
        Comment.anchor_exact == quote.exact, Comment.anchor_prefix == quote.prefix,
        Comment.anchor_suffix == quote.suffix, Comment.created_at >= utcnow() - DUPLICATE_WINDOW,
    )).first() if suggested_text is None else None


def reply(parent: Comment, user: User, body: str, *, notify_author: bool = True) -> Comment:
    """Reply to a comment; its author hears of it."""
    body = strip_control_chars(body).strip()  # stored as comments are: what was rendered
    response = db.session.get(JointResponse, parent.response_id)
    ensure(user, Action.COMMENT, response)
    if parent.parent_id is not None:
        parent = db.session.get(Comment, parent.parent_id)
    comment = Comment(response_id=response.id, section_id=parent.section_id,
                      version_id=parent.version_id, parent_id=parent.id, author_id=user.id,
                      municipality_id=user.municipality_id, body=body,
                      body_html=_render_comment(body))
    db.session.add(comment)
    db.session.flush()
    record_event("comment_replied", user, response=response,
                 summary=_("Svarade på en kommentar."), details={"comment_id": comment.id,
                                                                "parent_id": parent.id})
    if notify_author:
        notifications.reply_posted(response, parent.author_id, user)
    return comment


def set_resolved(comment: Comment, user: User, resolved: bool) -> None:
    """Resolve or reopen a comment thread."""
    response = db.session.get(JointResponse, comment.response_id)
    ensure(user, Action.COMMENT, response)
    if comment.parent_id is not None:
        raise InvalidInput(_("Bara en hel kommentarstråd kan markeras som löst."))
    if resolved == (comment.resolved_at is not None):
        return
    comment.resolved_at = utcnow() if resolved else None
    comment.resolved_by_id = user.id if resolved else None
    record_event("comment_resolved" if resolved else "comment_reopened", user, response=response,
                 summary=_("Markerade en kommentar som löst.") if resolved
                 else _("Öppnade en kommentar igen."),
                 details={"comment_id": comment.id})


def decide_suggestion(comment: Comment, user: User, accept: bool, reply_text: str = "",
                      base_revision: int | None = None) -> None:
    """Accept a suggestion into the working draft (with attribution) or decline it with a reply."""
    response = db.session.get(JointResponse, comment.response_id)
    ensure(user, Action.DECIDE_SUGGESTION, response)
    if not comment.is_suggestion or comment.suggestion_state != SuggestionState.OPEN.value:
        raise Conflict(_("Förslaget är redan hanterat."))
    section = db.session.get(Section, comment.section_id)
    if accept:
        body = section.body
        # Exactly the occurrence the comment is anchored on, found in the draft's Markdown.
        span = anchoring.source_range(body, anchoring.section_text(section.body_html), _quote(comment))
        if span is None:
            raise Conflict(_("Stycket som förslaget gäller finns inte längre ordagrant i texten. "
                             "För in ändringen för hand."))
        new_body = body[:span[0]] + (comment.suggested_text or "") + body[span[1]:]
        save_section(section, user, section.heading, new_body,
                     base_revision if base_revision is not None else section.current_revision.number,
                     note=_("Förslag från %(name)s (%(municipality)s)", name=comment.author.name,
                            municipality=comment.municipality.name if comment.municipality else "-"))
        comment.suggestion_state = SuggestionState.ACCEPTED.value
    else:
        if not reply_text.strip():
            raise InvalidInput(_("Skriv ett svar som förklarar varför förslaget inte tas med."))
        comment.suggestion_state = SuggestionState.DECLINED.value
    if reply_text.strip():
        reply(comment, user, reply_text, notify_author=False)  # the decision below says it
    notifications.suggestion_decided(response, comment.author_id, accept)
    comment.resolved_at = utcnow()
    comment.resolved_by_id = user.id
    record_event("suggestion_accepted" if accept else "suggestion_declined", user, response=response,
                 summary=_("Tog in ett ändringsförslag.") if accept else _("Avböjde ett ändringsförslag."),
                 details={"comment_id": comment.id})


def _quote(comment: Comment | CommentView) -> anchoring.TextQuote:
    return anchoring.TextQuote(comment.anchor_exact, comment.anchor_prefix, comment.anchor_suffix)


class Passage(NamedTuple):
    """Where a comment's passage stands in the text shown: page positions for static/app.js."""

    start: int
    end: int
    exact: bool  # False: found approximately (the passage was edited after the comment)


def page_ranges(sections: Iterable[DisplaySection],
                threads: dict[int | None, list[Thread]]) -> dict[int, Passage]:
    """Where each comment on a passage finds it in the sections shown, by comment id.

    A comment on a passage that is missing here is outdated: its quote is not in the text
    shown.  Those detached when the version was published (services/drafting.py re-anchors
    every open comment then, against this same text) are not searched for again: the
    approximate search is the costly part, and it would fail again.
    """
    ranges: dict[int, Passage] = {}
    for section in sections:
        quoted = [t.comment for t in threads.get(section.section_id, ())
                  if t.comment.anchor_state == AnchorState.ANCHORED.value]
        if not quoted:
            continue
        page = anchoring.page_text(section.body_html)
        for comment in quoted:
            found = anchoring.locate(page.text, _quote(comment))
            where = anchoring.page_range(page, found) if found else None
            if where is not None:
                ranges[comment.id] = Passage(where[0], where[1], found.exact_match)
    return ranges


class Thread:
    """A top-level comment and its replies."""

    __slots__ = ("comment", "replies")

    def __init__(self, comment: Comment) -> None:
        self.comment = comment
        self.replies: list[Comment] = []


class CommentView(SimpleNamespace):
    """A comment as pages and exports read it: plain attributes, no ORM bookkeeping."""

    @property
    def is_suggestion(self) -> bool:
        return self.suggested_text is not None


def comment_threads(response: JointResponse, *, municipality_id: int | None = None,
                    state: str | None = None, sections: Collection[int] | None = None,
                    other_than: Collection[int] | None = None) -> dict[int | None, list[Thread]]:
    """Threads by section id, filtered by municipality and open/resolved, in one query.

    When asked, only those on the given sections and those on no section of other_than (the
    threads left without their section), or either kind alone: the document column reads just
    the sections it renders afresh and the threads listed after the text. A reply is on its
    thread's section. Plain rows rather than ORM objects: a response may carry thousands of
    comments.
    """
    where = [Comment.response_id == response.id]
    kinds = []
    if sections is not None:
        kinds.append(Comment.section_id.in_(sorted(sections)))
    if other_than is not None:
        kinds.extend((Comment.section_id.is_(None), Comment.section_id.not_in(sorted(other_than))))
    if kinds:
        where.append(or_(*kinds))
    result = db.session.execute(
        select(Comment.__table__, User.name.label("author_name"),
               Municipality.name.label("municipality_name"),
               Version.number.label("version_number"))  # the version it was made on
        .join(User, User.id == Comment.author_id)
        .outerjoin(Municipality, Municipality.id == Comment.municipality_id)
        .outerjoin(Version, Version.id == Comment.version_id)
        .where(*where)
        .order_by(Comment.created_at, Comment.id)
    )
    keys = list(result.keys())
    rows = result.all()
    # One shared object per author and municipality, as the ORM would give.
    authors: dict[int, SimpleNamespace] = {}
    municipalities: dict[int, SimpleNamespace] = {}
    for row in rows:
        authors.setdefault(row.author_id, SimpleNamespace(id=row.author_id, name=row.author_name))
        if row.municipality_id is not None:
            municipalities.setdefault(row.municipality_id, SimpleNamespace(
                id=row.municipality_id, name=row.municipality_name))
    threads: dict[int, Thread] = {}
    replies: list[CommentView] = []
    for row in rows:
        fields = dict(zip(keys, row, strict=True))  # the row's fields by name, cheaply
        del fields["author_name"], fields["municipality_name"]
        view = CommentView(**fields, author=authors[row.author_id],
                           municipality=municipalities.get(row.municipality_id))
        if view.parent_id is None:
            threads[view.id] = Thread(view)
        else:
            replies.append(view)
    for view in replies:
        if view.parent_id in threads:
            threads[view.parent_id].replies.append(view)
    by_section: dict[int | None, list[Thread]] = {}
    for thread in threads.values():
        comment = thread.comment
        if municipality_id is not None and comment.municipality_id != municipality_id:
            continue
        if state == "open" and comment.resolved_at is not None:
            continue
        if state == "resolved" and comment.resolved_at is None:
            continue
        by_section.setdefault(comment.section_id, []).append(thread)
    return by_section


def threads_stamps(response: JointResponse) -> dict[int, int]:
    """Each section's threads stamp (drafting/freshness.py), by section id."""
    return dict(db.session.execute(select(Section.id, Section.threads_stamp)
                                   .where(Section.response_id == response.id)).all())


def get_comment(response: JointResponse, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.response_id != response.id:
        raise NotFound(_("Kommentaren finns inte."))
    return comment
