"""The working draft: sections with append-only revisions, and publishing versions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..limits import MAX_BODY_CHARS, MAX_HEADING_CHARS, MAX_SECTIONS_PER_DRAFT
from ..models import (
    AnchorState,
    Comment,
    JointResponse,
    Section,
    SectionRevision,
    User,
    Version,
    VersionSection,
)
from ..permissions import Action, ensure
from ..rendering import MarkdownRejected, render_markdown, strip_control_chars
from . import anchoring, notifications
from .audit import record_event
from .errors import ConfirmationNeeded, Conflict, EditConflict, InvalidInput, NotFound
from .queries import latest_version
from .signatures import signoffs_a_new_version_would_discard
from .stages import on_version_published


def working_sections(response: JointResponse) -> list[Section]:
    """The draft's sections in order, with their current revision loaded."""
    return list(db.session.scalars(
        select(Section)
        .options(joinedload(Section.current_revision))
        .where(Section.response_id == response.id, Section.is_removed.is_(False))
        .order_by(Section.sort_order, Section.id)
    ))


def _render(body: str) -> str:
    if len(body) > MAX_BODY_CHARS:
        raise InvalidInput(_("Texten är för lång: högst %(max)d tecken, du skrev %(count)d.",
                             max=MAX_BODY_CHARS, count=len(body)))
    try:
        return render_markdown(body)
    except MarkdownRejected as error:
        raise InvalidInput(error.message) from error


def _clean_heading(heading: str) -> str:
    """One line; may be empty only on the opening section (see _ensure_heading)."""
    heading = " ".join((heading or "").split())
    if len(heading) > MAX_HEADING_CHARS:
        raise InvalidInput(_("Rubriken är för lång: högst %(max)d tecken.", max=MAX_HEADING_CHARS))
    return heading


@dataclass(frozen=True)
class SectionText:
    """A section's heading and Markdown body, checked, with the body rendered.

    prepare_text makes one without the database, so a view can do the slow part (rendering)
    before its write transaction begins: on SQLite that transaction holds everyone's lock.
    """

    heading: str
    body: str
    body_html: str


def prepare_text(heading: str, body: str) -> SectionText:
    """Clean and check a heading and render its body; raises InvalidInput. No database."""
    heading = _clean_heading(heading)
    body = strip_control_chars(body)  # PostgreSQL refuses NUL; Word cannot hold C0 controls
    return SectionText(heading, body, _render(body))


def prepare_texts(sections: Sequence[tuple[str, str]]) -> list[SectionText]:
    """prepare_text for many (heading, body) pairs, refusing more than any draft may hold."""
    ensure_room(0, len(sections))
    prepared = []
    for heading, body in sections:
        try:
            prepared.append(prepare_text(heading, body))
        except InvalidInput as error:
            raise InvalidInput(_("Avsnittet ”%(heading)s”: %(message)s",
                                 heading=" ".join(heading.split())[:80], message=error.message)) from None
    return prepared


def _ensure_heading(text: SectionText, position: int) -> None:
    """Every section has a heading, except the draft's first: a letter may open with a short
    paragraph before its first heading."""
    if not text.heading and position > 0:
        raise InvalidInput(_("Avsnittet behöver en rubrik. Bara det första avsnittet kan vara "
                             "utan rubrik."), field="heading")


def ensure_room(existing: int, adding: int) -> None:
    """Refuse a draft of more sections than MAX_SECTIONS_PER_DRAFT."""
    if existing + adding > MAX_SECTIONS_PER_DRAFT:
        raise InvalidInput(_("Ett utkast kan ha högst %(max)d avsnitt, och det här skulle få %(count)d. "
                             "Slå ihop avsnitt eller ta bort några först.",
                             max=MAX_SECTIONS_PER_DRAFT, count=existing + adding))


def _new_revision(section: Section, user: User, text: SectionText, note: str = "") -> SectionRevision:
    number = (section.current_revision.number + 1) if section.current_revision else 1
    revision = SectionRevision(section_id=section.id, number=number, heading=text.heading, body=text.body,
                               body_html=text.body_html, author_id=user.id, note=note)
    db.session.add(revision)
    db.session.flush()
    section.current_revision = revision
    return revision


def add_section(response: JointResponse, user: User, heading: str, body: str = "") -> Section:
    """Append a section to the working draft."""
    ensure(user, Action.EDIT_DRAFT, response)
    return add_sections(response, user, [prepare_text(heading, body)])[0]


def add_sections(response: JointResponse, user: User, texts: Sequence[SectionText]) -> list[Section]:
    """Append prepared sections (see prepare_text) to the working draft, within its limit."""
    ensure(user, Action.EDIT_DRAFT, response)
    existing = db.session.scalar(select(func.count()).select_from(Section).where(
        Section.response_id == response.id, Section.is_removed.is_(False)))
    ensure_room(existing or 0, len(texts))
    for position, text in enumerate(texts, start=existing or 0):
        _ensure_heading(text, position)
    last = db.session.scalar(
        select(func.max(Section.sort_order)).where(Section.response_id == response.id)
    ) or 0
    sections = [Section(response_id=response.id, sort_order=last + offset)
                for offset in range(1, len(texts) + 1)]
    db.session.add_all(sections)
    db.session.flush()
    for section, text in zip(sections, texts, strict=True):
        _new_revision(section, user, text)
        record_event("section_added", user, response=response,
                     summary=_("Lade till avsnittet ”%(heading)s”.",
                               heading=text.heading or _("utan rubrik")),
                     details={"section_id": section.id})
    response.revision += 1
    return sections


def save_section(section: Section, user: User, heading: str, body: str, base_revision: int,
                 note: str = "") -> SectionRevision:
    """Save a new revision, unless someone else saved since base_revision: then a conflict."""
    response = db.session.get(JointResponse, section.response_id)
    ensure(user, Action.EDIT_DRAFT, response)
    return save_text(section, user, prepare_text(heading, body), base_revision, note)


def save_text(section: Section, user: User, text: SectionText, base_revision: int,
              note: str = "") -> SectionRevision:
    """save_section with a prepared text (see prepare_text)."""
    response = db.session.get(JointResponse, section.response_id)
    ensure(user, Action.EDIT_DRAFT, response)
    if section.is_removed:
        raise NotFound(_("Avsnittet har tagits bort."))
    _ensure_heading(text, 0 if working_sections(response)[:1] == [section] else 1)
    current = section.current_revision
    if current is not None and current.number != base_revision:
        raise EditConflict(
            _("%(name)s sparade avsnittet medan du redigerade. Din text finns kvar: jämför och slå ihop.",
              name=current.author.name),
            theirs=current, base_revision=base_revision,
        )
    if current is not None and current.heading == text.heading and current.body == text.body:
        return current
    revision = _new_revision(section, user, text, note)
    record_event("section_saved", user, response=response,
                 summary=_("Sparade avsnittet ”%(heading)s” (revision %(number)d).",
                           heading=text.heading, number=revision.number),
                 details={"section_id": section.id, "revision": revision.number})
    return revision


def move_section(section: Section, user: User, direction: int, expected_revision: int) -> None:
    """Move a section one step up (-1) or down (+1)."""
    response = db.session.get(JointResponse, section.response_id)
    ensure(user, Action.EDIT_DRAFT, response)
    _ensure_structure_fresh(response, expected_revision)
    sections = working_sections(response)
    index = next((i for i, s in enumerate(sections) if s.id == section.id), None)
    if index is None:
        raise NotFound(_("Avsnittet har tagits bort."))
    target = index + direction
    if direction not in (-1, 1) or not 0 <= target < len(sections):
        return
    sections[index], sections[target] = sections[target], sections[index]
    for order, each in enumerate(sections, start=1):
        each.sort_order = order
    response.revision += 1
    record_event("section_moved", user, response=response,
                 summary=_("Flyttade avsnittet ”%(heading)s”.", heading=section.heading),
                 details={"section_id": section.id, "direction": direction})


def remove_section(section: Section, user: User, expected_revision: int) -> None:
    """Remove a section from the working draft; its revisions and published copies remain."""
    response = db.session.get(JointResponse, section.response_id)
    ensure(user, Action.EDIT_DRAFT, response)
    _ensure_structure_fresh(response, expected_revision)
    section.is_removed = True
    response.revision += 1
    record_event("section_removed", user, response=response,
                 summary=_("Tog bort avsnittet ”%(heading)s”.", heading=section.heading),
                 details={"section_id": section.id})


def restore_section(section: Section, user: User, expected_revision: int) -> None:
    """Bring a removed section back into the working draft, at its end."""
    response = db.session.get(JointResponse, section.response_id)
    ensure(user, Action.EDIT_DRAFT, response)
    _ensure_structure_fresh(response, expected_revision)
    if not section.is_removed:
        return
    existing = db.session.scalar(select(func.count()).select_from(Section).where(
        Section.response_id == response.id, Section.is_removed.is_(False)))
    ensure_room(existing or 0, 1)
    last = db.session.scalar(select(func.max(Section.sort_order)).where(
        Section.response_id == response.id, Section.is_removed.is_(False)))
    section.is_removed = False
    section.sort_order = (last or 0) + 1
    response.revision += 1
    record_event("section_restored", user, response=response,
                 summary=_("Återställde avsnittet ”%(heading)s”.", heading=section.heading),
                 details={"section_id": section.id})


def removed_sections(response: JointResponse) -> list[Section]:
    """Sections taken out of the working draft, which can be brought back."""
    return list(db.session.scalars(
        select(Section).options(joinedload(Section.current_revision))
        .where(Section.response_id == response.id, Section.is_removed.is_(True))
        .order_by(Section.sort_order, Section.id)
    ))


def _ensure_structure_fresh(response: JointResponse, expected_revision: int) -> None:
    if response.revision != expected_revision:
        raise Conflict(_("Utkastet har ändrats sedan du öppnade sidan. Ladda om och försök igen."))


def publish_version(response: JointResponse, user: User, change_note: str,
                    discard_signatures: bool = False) -> Version:
    """Snapshot the whole working draft as the next immutable version.

    After sign-offs have begun, a new version makes them stale: only when the coordinator has
    confirmed it (discard_signatures), else ConfirmationNeeded names whose signatures they are.
    """
    ensure(user, Action.PUBLISH_VERSION, response)
    sections = working_sections(response)
    if not sections:
        raise InvalidInput(_("Utkastet har inga avsnitt att publicera."))
    change_note = change_note.strip()
    number = (db.session.scalar(
        select(func.max(Version.number)).where(Version.response_id == response.id)
    ) or 0) + 1
    if number > 1 and not has_unpublished_changes(response, latest_version(response)):
        # Also what a double-clicked or resubmitted publish form runs into.
        raise InvalidInput(_("Inget har ändrats sedan version %(number)d; det finns inget nytt att publicera.",
                             number=number - 1))
    if number > 1 and not change_note:
        raise InvalidInput(_("Beskriv kort vad som ändrats sedan förra versionen."))
    discarded = [s.municipality.name for s in signoffs_a_new_version_would_discard(response)]
    if discarded and not discard_signatures:
        raise ConfirmationNeeded(
            _("%(names)s har redan skrivit under version %(number)d. En ny version gör "
              "underskrifterna inaktuella: de finns kvar i historiken, men direktörerna måste "
              "skriva under den nya versionen när den har samsyn.",
              names=", ".join(discarded), number=number - 1),
            names=discarded)
    version = Version(response_id=response.id, number=number,
                      change_note=change_note or _("Första versionen."), published_by_id=user.id)
    db.session.add(version)
    db.session.flush()
    for order, section in enumerate(sections, start=1):
        db.session.add(VersionSection(
            version_id=version.id, section_id=section.id, sort_order=order,
            heading=section.heading, body=section.body, body_html=section.body_html,
        ))
    db.session.flush()
    record_event("version_published", user, response=response, version_number=number,
                 summary=_("Publicerade version %(number)d: %(note)s", number=number,
                           note=version.change_note))
    reanchor_comments(response, {s.id: s for s in sections})
    on_version_published(response, user)
    notifications.version_published(response, version)
    return version


def reanchor_comments(response: JointResponse, sections: dict[int, Section]) -> None:
    """Find each open anchored comment's passage in the new text (anchoring.locate), or detach it."""
    comments = db.session.scalars(
        select(Comment).where(
            Comment.response_id == response.id, Comment.parent_id.is_(None),
            Comment.resolved_at.is_(None), Comment.anchor_state != AnchorState.SECTION.value,
        )
    )
    texts: dict[int, str] = {}
    for comment in comments:
        section = sections.get(comment.section_id)
        if section is None:
            comment.anchor_state = AnchorState.DETACHED.value
            continue
        if section.id not in texts:
            texts[section.id] = anchoring.section_text(section.body_html)
        quote = anchoring.TextQuote(comment.anchor_exact, comment.anchor_prefix, comment.anchor_suffix)
        found = anchoring.locate(texts[section.id], quote)
        comment.anchor_state = (AnchorState.ANCHORED if found else AnchorState.DETACHED).value


def get_section(response: JointResponse, section_id: int) -> Section:
    # With its current text: whoever asks for a section reads its heading or body.
    section = db.session.get(Section, section_id, options=[joinedload(Section.current_revision)])
    if section is None or section.response_id != response.id:
        raise NotFound(_("Avsnittet finns inte."))
    return section


class DisplaySection:
    """A section as readers see it: the latest published text, or the draft before version 1."""

    __slots__ = ("section_id", "heading", "body", "body_html", "order")

    def __init__(self, section_id: int, heading: str, body: str, body_html: str, order: int) -> None:
        self.section_id = section_id
        self.heading = heading
        self.body = body
        self.body_html = body_html
        self.order = order


def reader_sections(response: JointResponse, version: Version | None) -> list[DisplaySection]:
    """What participants read and comment on: the given version, or the working draft."""
    if version is not None:
        return versions_sections([version])[version.id]
    return [DisplaySection(s.id, s.heading, s.body, s.body_html, i)
            for i, s in enumerate(working_sections(response), start=1)]


def versions_sections(versions: Sequence[Version]) -> dict[int, list[DisplaySection]]:
    """The sections of several versions in one query, by version id (in reading order)."""
    found: dict[int, list[DisplaySection]] = {version.id: [] for version in versions}
    rows = db.session.scalars(
        select(VersionSection).where(VersionSection.version_id.in_(list(found)))
        .order_by(VersionSection.version_id, VersionSection.sort_order)
    )
    for r in rows:
        found[r.version_id].append(DisplaySection(r.section_id, r.heading, r.body, r.body_html, r.sort_order))
    return found


def has_unpublished_changes(response: JointResponse, version: Version | None) -> bool:
    """Does the working draft differ from the latest version?"""
    working = [(s.id, s.heading, s.body) for s in working_sections(response)]
    if version is None:
        return bool(working)
    published = [(s.section_id, s.heading, s.body) for s in reader_sections(response, version)]
    return working != published
