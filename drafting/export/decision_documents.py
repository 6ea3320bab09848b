"""Word documents for each municipality's own decision, in the cooperation's template:
the decision basis (tjänsteskrivelse) and the request for an extension (anstånd).

Built from the final document's pieces (docx_builder): the same official-letter head, house
style, Markdown pipeline and fingerprint line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .docx_builder import (
    DocSection,
    FinalDocument,
    _base_document,
    _bullets,
    _core_properties,
    _noon,
    _official_head,
    _save,
    _section_body,
    document_heading,
    fingerprint_paragraphs,
)
from .markdown_to_docx import DocxWriter, clean_text

# Who "ställer sig bakom" in the proposed decision, by deciding body.
_SUBJECT = {
    "Kommundirektören på delegation": "Kommundirektören",
}


def genitive(name: str) -> str:
    """ "MalmöLundregionens", "Lunds kommuns"; names ending in s, x or z stay as they are."""
    return name if name[-1:].lower() in ("s", "x", "z") else f"{name}s"


def joined_names(names: list[str] | tuple[str, ...]) -> str:
    """ "Malmö stad, Lunds kommun och Eslövs kommun"."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " och " + names[-1]


@dataclass(frozen=True)
class DecisionBasis:
    municipality: str  # the formal name: "Lunds kommun"
    cooperation_name: str
    letterhead_lines: tuple[str, ...]
    document_date: date
    local_reference: str  # the municipality's own diarienummer
    sender: str
    reference_number: str
    consultation_title: str
    deadline: date
    title: str
    deciding_body: str
    other_participants: tuple[str, ...]  # formal names
    local_considerations: str  # Markdown
    version_number: int
    version_published: date
    sections: tuple[DocSection, ...]
    text_fingerprint: str


def proposed_decision(basis: DecisionBasis) -> str:
    subject = _SUBJECT.get(basis.deciding_body, basis.deciding_body)
    return (f"{subject} ställer sig bakom {genitive(basis.cooperation_name)} gemensamma yttrande "
            f"över {basis.consultation_title} och överlämnar det som kommunens svar.")


def build_decision_basis_docx(basis: DecisionBasis, template: bytes | None = None) -> bytes:
    """The municipality's decision basis: proposed decision, background, local considerations and
    the consensus version in full with its fingerprint."""
    document, is_default = _base_document(template)
    writer = DocxWriter(document)
    body = document.element.body
    head = FinalDocument(
        cooperation_name=basis.municipality, letterhead_lines=(basis.cooperation_name,),
        document_date=basis.document_date, recipient="", reference_number=basis.reference_number,
        consultation_title=basis.consultation_title, title=basis.title, sections=(), signatories=(),
        author=basis.municipality, our_reference=basis.local_reference,
        document_type="TJÄNSTESKRIVELSE")
    _official_head(document, writer, head, is_default, None)
    writer.paragraph(body, f"Gemensamt yttrande över {clean_text(basis.consultation_title)}",
                     style="Title")

    writer.paragraph(body, "Förslag till beslut", style="Heading 1")
    writer.paragraph(body, proposed_decision(basis))

    writer.paragraph(body, "Bakgrund", style="Heading 1")
    reference = f" ({basis.reference_number})" if clean_text(basis.reference_number).strip() else ""
    writer.paragraph(body, f"{basis.sender} har remitterat {basis.consultation_title}{reference} "
                           f"med sista svarsdag {basis.deadline.isoformat()}.")
    others = joined_names(basis.other_participants)
    together = f" tillsammans med {others}" if others else ""
    writer.paragraph(body, f"Kommunerna i {basis.cooperation_name} svarar gemensamt på remisser som "
                           f"berör hela regionen. {basis.municipality} har deltagit i arbetet med "
                           f"yttrandet{together}.")
    writer.paragraph(body, "Samarbetets koordinator har tagit fram ett utkast som kommunerna har "
                           "kommenterat och berett på hemmaplan. Version "
                           f"{basis.version_number}, publicerad {basis.version_published.isoformat()}, "
                           "har godkänts av samtliga deltagande kommuner. Varje kommun beslutar om "
                           "den likalydande texten i sitt eget beslutande organ; kontrollsumman "
                           "nedan visar att det är samma text.")

    if clean_text(basis.local_considerations).strip():
        writer.paragraph(body, "Kommunens överväganden", style="Heading 1")
        writer.markdown(body, basis.local_considerations, heading_offset=1)

    writer.paragraph(body, f"Det gemensamma yttrandet (version {basis.version_number})",
                     style="Heading 1")
    fingerprint_paragraphs(writer, body, basis.text_fingerprint)
    writer.paragraph(body, document_heading(basis.title, basis.reference_number), style="Heading 2")
    for section in basis.sections:
        if clean_text(section.heading).strip():
            writer.paragraph(body, section.heading, style="Heading 3")
        _section_body(writer, body, DocSection(section.heading, section.markdown, section.html))

    _core_properties(document, title=f"Tjänsteskrivelse – {basis.title}", author=basis.municipality,
                     subject=basis.local_reference or basis.reference_number,
                     when=_noon(basis.document_date), revision=basis.version_number, comments="")
    return _save(document)


@dataclass(frozen=True)
class LateMunicipality:
    municipality: str  # formal name
    deciding_body: str
    could_decide_on: date | None  # its body's first meeting after the deadline, if known


@dataclass(frozen=True)
class ExtensionRequest:
    cooperation_name: str
    letterhead_lines: tuple[str, ...]
    document_date: date
    recipient: str
    reference_number: str
    our_reference: str
    consultation_title: str
    deadline: date
    requested_deadline: date | None
    participants: tuple[str, ...]  # formal names
    late: tuple[LateMunicipality, ...]
    signatory_name: str
    signatory_title: str


def build_extension_request_docx(letter: ExtensionRequest, template: bytes | None = None) -> bytes:
    """A short letter to the ministry asking for more time, naming who cannot decide in time."""
    document, is_default = _base_document(template)
    writer = DocxWriter(document)
    body = document.element.body
    head = FinalDocument(
        cooperation_name=letter.cooperation_name, letterhead_lines=letter.letterhead_lines,
        document_date=letter.document_date, recipient=letter.recipient,
        reference_number=letter.reference_number, consultation_title=letter.consultation_title,
        title="", sections=(), signatories=(), author=letter.cooperation_name,
        our_reference=letter.our_reference, document_type="BEGÄRAN OM ANSTÅND")
    _official_head(document, writer, head, is_default, None)
    if clean_text(letter.recipient).strip():
        writer.paragraph(body, letter.recipient, space_after=0)
        writer.paragraph(body, "")
    writer.paragraph(body, document_heading(
        f"Begäran om anstånd med yttrande över {letter.consultation_title}",
        letter.reference_number), style="Title")
    writer.paragraph(body, f"{letter.cooperation_name} har fått remissen {letter.consultation_title} "
                           f"med sista svarsdag {letter.deadline.isoformat()}. Yttrandet är "
                           f"gemensamt för {joined_names(letter.participants)}, och varje kommun "
                           "beslutar om den likalydande texten i sitt eget beslutande organ.")
    writer.paragraph(body, "Följande kommuners beslutande organ sammanträder inte i tid före "
                           "sista svarsdag:")
    _bullets(writer, body, [
        f"{late.municipality}: {late.deciding_body} "
        + (f"kan besluta {late.could_decide_on.isoformat()}" if late.could_decide_on
           else "har inget sammanträde inplanerat ännu")
        for late in letter.late])
    if letter.requested_deadline:
        writer.paragraph(body, f"{letter.cooperation_name} ber därför om anstånd med yttrandet till "
                               f"och med {letter.requested_deadline.isoformat()}.")
    else:
        writer.paragraph(body, f"{letter.cooperation_name} ber därför om anstånd med yttrandet och "
                               "återkommer med ett datum så snart kommunernas sammanträden är "
                               "bestämda.")
    writer.paragraph(body, "Med vänlig hälsning", space_after=0)
    writer.paragraph(body, "")
    writer.paragraph(body, letter.signatory_name, space_after=0)
    if clean_text(letter.signatory_title).strip():
        writer.paragraph(body, letter.signatory_title, space_after=0)
    writer.paragraph(body, letter.cooperation_name)
    _core_properties(document, title=f"Begäran om anstånd – {letter.consultation_title}",
                     author=letter.cooperation_name, subject=letter.reference_number,
                     when=_noon(letter.document_date), revision=1, comments="")
    return _save(document)
