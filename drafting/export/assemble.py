"""Turn a stored response into the plain data the Word builders take."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Cooperation, JointResponse, Stage, Version
from ..services.drafting import reader_sections
from ..services.queries import latest_version
from ..services.review import signoffs_in_signing_order
from .docx_builder import DocSection, FinalDocument, Signatory


def is_final(response: JointResponse) -> bool:
    return response.stage in (Stage.SIGNED.value, Stage.SENT.value)


def final_document(response: JointResponse, today: date | None = None) -> FinalDocument:
    """The signed consensus version, or the latest version marked as a draft before sign-off."""
    final = is_final(response)
    version = db.session.get(Version, response.consensus_version_id) if final else latest_version(response)
    sections = reader_sections(response, version)
    signatories = tuple(
        Signatory(municipality=s.municipality.name, deciding_body=s.deciding_body,
                  decision_date=s.decision_date, signatory_name=s.signatory_name,
                  signatory_title=s.signatory_title, minutes_paragraph=s.minutes_paragraph)
        for s in signoffs_in_signing_order(response)
    ) if response.consensus_version_id else ()
    cooperation: Cooperation = response.cooperation
    document_date = response.sent_on or (response.signed_at.date() if response.signed_at else None) or today or date.today()
    consultation = response.consultation
    return FinalDocument(
        cooperation_name=cooperation.name,
        letterhead_lines=tuple(line for line in cooperation.letterhead.splitlines() if line.strip()),
        document_date=document_date,
        recipient=consultation.sender,
        reference_number=consultation.reference_number,
        consultation_title=consultation.title,
        title=response.title,
        sections=tuple(DocSection(s.heading, s.body) for s in sections),
        signatories=signatories,
        author=cooperation.name,
        is_draft=not final,
        version_number=version.number if version else None,
    )


def cooperation_template(cooperation_id: int) -> bytes | None:
    return db.session.scalar(select(Cooperation.word_template).where(Cooperation.id == cooperation_id))
