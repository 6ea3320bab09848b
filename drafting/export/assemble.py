"""Turn a stored response into the plain data the Word builders take."""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from ..models import (
    AnchorState,
    Cooperation,
    JointResponse,
    Municipality,
    Stage,
    Version,
    local_date,
    local_today,
)
from ..services.comments import comment_threads
from ..services.decision_basis import current_basis
from ..services.drafting import reader_sections
from ..services.fingerprint import version_fingerprint
from ..services.planning import DEFAULT_BODY
from ..services.queries import joined_participations, latest_version
from ..services.signatures import signoffs_in_signing_order
from ..services.versiondiff import SectionInput, diff_sections, summarize_changes
from .decision_documents import DecisionBasis, ExtensionRequest, LateMunicipality
from .docx_builder import (
    DocSection,
    FinalDocument,
    ReviewComment,
    ReviewCopy,
    Signatory,
)


def is_final(response: JointResponse) -> bool:
    return Stage(response.stage).has_final_document


def final_document(response: JointResponse, today: date | None = None) -> FinalDocument:
    """The signed consensus version, or the latest version marked as a draft before sign-off."""
    final = is_final(response)
    version = db.session.get(Version, response.consensus_version_id) if final else latest_version(response)
    sections = reader_sections(response, version)
    signatories = tuple(
        Signatory(municipality=s.municipality.document_name, deciding_body=s.deciding_body,
                  decision_date=s.decision_date, signatory_name=s.signatory_name,
                  signatory_title=s.signatory_title, minutes_paragraph=s.minutes_paragraph)
        for s in signoffs_in_signing_order(response)
    ) if response.consensus_version_id else ()
    cooperation: Cooperation = response.cooperation
    # The Swedish date, as the municipalities decided and signed it.
    document_date = response.sent_on or (local_date(response.signed_at) if response.signed_at else None) or today or local_today()
    consultation = response.consultation
    return FinalDocument(
        cooperation_name=cooperation.name,
        letterhead_lines=tuple(line for line in cooperation.letterhead.splitlines() if line.strip()),
        document_date=document_date,
        recipient=consultation.sender,
        reference_number=consultation.reference_number,
        consultation_title=consultation.title,
        title=response.title,
        sections=tuple(DocSection(s.heading, s.body, s.body_html) for s in sections),
        signatories=signatories,
        author=cooperation.name,
        is_draft=not final,
        version_number=version.number if version else None,
        our_reference=response.our_reference,
        # Only the signed text carries it: it says what every municipality decided on.
        text_fingerprint=version_fingerprint(version) if final and version else "",
    )


def email_subject(response: JointResponse) -> str:
    """The subject of the e-mail that sends the answer: the remiss's diarienummer first, as the
    Government Offices ask, then the answer's title and who answers."""
    parts = (response.consultation.reference_number, response.title, response.cooperation.name)
    return " – ".join(part.strip() for part in parts if part and part.strip())


def cooperation_template(cooperation_id: int) -> bytes | None:
    return db.session.scalar(select(Cooperation.word_template).where(Cooperation.id == cooperation_id))


def review_copy(response: JointResponse, version: Version) -> ReviewCopy:
    """A version with its open comments (as Word comments) and what changed since the previous one."""
    sections = reader_sections(response, version)
    index_of = {s.section_id: i for i, s in enumerate(sections)}
    anchored: list[ReviewComment] = []
    detached: list[ReviewComment] = []
    for section_id, threads in comment_threads(response, state="open").items():
        for thread in threads:
            comment = thread.comment
            item = ReviewComment(
                section_index=index_of.get(section_id, 0),
                exact=comment.anchor_exact, prefix=comment.anchor_prefix, suffix=comment.anchor_suffix,
                author_name=comment.author.name,
                municipality=comment.municipality.name if comment.municipality else response.cooperation.name,
                created_at=comment.created_at, body=comment.body,
                replies=tuple((r.author.name, r.municipality.name if r.municipality else "",
                               r.created_at, r.body) for r in thread.replies),
                is_suggestion=comment.is_suggestion, suggested_text=comment.suggested_text or "",
            )
            if section_id not in index_of or comment.anchor_state == AnchorState.DETACHED.value:
                detached.append(item)
            else:
                anchored.append(item)
    changes: tuple[str, ...] = ()
    if version.number > 1:
        previous = db.session.scalars(select(Version).where(
            Version.response_id == response.id, Version.number == version.number - 1)).one()
        old = [SectionInput(s.section_id, s.heading, s.body_html) for s in reader_sections(response, previous)]
        new = [SectionInput(s.section_id, s.heading, s.body_html) for s in sections]
        with force_locale("sv"):  # the document is Swedish, whatever language the page is in
            changes = tuple(summarize_changes(diff_sections(old, new)))
    consultation = response.consultation
    return ReviewCopy(
        cooperation_name=response.cooperation.name, title=response.title,
        consultation_title=consultation.title, reference_number=consultation.reference_number,
        deadline=consultation.deadline, version_number=version.number,
        published_at=version.published_at,
        sections=tuple(DocSection(s.heading, s.body, s.body_html) for s in sections),
        comments=tuple(anchored), detached_comments=tuple(detached),
        changes_since_previous=changes,
    )


def home_review_copy(response: JointResponse, version: Version, municipality_name: str,
                     internal: list) -> ReviewCopy:
    """A version with one municipality's internal comments (InternalComment) as Word comments.

    For the home round only: the joint discussion's comments are not in it, and it is marked
    as internal to the municipality.
    """
    sections = reader_sections(response, version)
    index_of = {s.section_id: i for i, s in enumerate(sections)}
    anchored: list[ReviewComment] = []
    detached: list[ReviewComment] = []
    for comment in internal:
        item = ReviewComment(
            section_index=index_of.get(comment.section_id, 0), exact=comment.anchor_exact,
            prefix="", suffix="", author_name=comment.author.name, municipality=municipality_name,
            created_at=comment.created_at, body=comment.body)
        (anchored if comment.section_id in index_of else detached).append(item)
    consultation = response.consultation
    return ReviewCopy(
        cooperation_name=response.cooperation.name, title=response.title,
        consultation_title=consultation.title, reference_number=consultation.reference_number,
        deadline=consultation.deadline, version_number=version.number,
        published_at=version.published_at,
        sections=tuple(DocSection(s.heading, s.body, s.body_html) for s in sections),
        comments=tuple(anchored), detached_comments=tuple(detached),
        changes_since_previous=(), home_municipality=municipality_name,
    )


def decision_basis(response: JointResponse, municipality_id: int,
                   today: date | None = None) -> DecisionBasis:
    """One municipality's decision basis for its own body: the consensus version in full."""
    version = db.session.get(Version, response.consensus_version_id)
    municipality = db.session.get(Municipality, municipality_id)
    saved = current_basis(response, municipality_id)
    others = [p.municipality for p in joined_participations(response)
              if p.municipality_id != municipality_id]
    chair = response.cooperation.chair_municipality_id
    others.sort(key=lambda m: (m.id != chair, m.name))
    cooperation = response.cooperation
    consultation = response.consultation
    return DecisionBasis(
        municipality=municipality.document_name, cooperation_name=cooperation.name,
        letterhead_lines=tuple(line for line in cooperation.letterhead.splitlines() if line.strip()),
        document_date=today or local_today(),
        local_reference=saved.local_reference if saved else "",
        sender=consultation.sender, reference_number=consultation.reference_number,
        consultation_title=consultation.title, deadline=consultation.deadline, title=response.title,
        deciding_body=saved.deciding_body if saved else DEFAULT_BODY,
        other_participants=tuple(m.document_name for m in others),
        local_considerations=saved.local_considerations if saved else "",
        version_number=version.number, version_published=local_date(version.published_at),
        sections=tuple(DocSection(s.heading, s.body, s.body_html)
                       for s in reader_sections(response, version)),
        text_fingerprint=version_fingerprint(version),
    )


def extension_request(response: JointResponse, user, plan, today: date | None = None) -> ExtensionRequest:
    """The letter asking the ministry for more time, naming the municipalities the plan finds late."""
    joined = sorted(joined_participations(response),
                    key=lambda p: (p.municipality_id != response.cooperation.chair_municipality_id,
                                   p.municipality.name))
    formal = {p.municipality.name: p.municipality.document_name for p in joined}
    cooperation = response.cooperation
    consultation = response.consultation
    return ExtensionRequest(
        cooperation_name=cooperation.name,
        letterhead_lines=tuple(line for line in cooperation.letterhead.splitlines() if line.strip()),
        document_date=today or local_today(), recipient=consultation.sender,
        reference_number=consultation.reference_number, our_reference=response.our_reference,
        consultation_title=consultation.title, deadline=consultation.deadline,
        requested_deadline=plan.extended_deadline,
        participants=tuple(formal.values()),
        late=tuple(LateMunicipality(formal.get(p.municipality, p.municipality), p.body,
                                    p.next_possible.on if p.next_possible else None)
                   for p in plan.late),
        signatory_name=user.name, signatory_title=user.title or "",
    )
