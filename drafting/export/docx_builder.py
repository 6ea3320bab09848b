"""Build the final remissvar and the review copy (with Word comments) as .docx bytes."""

from __future__ import annotations

import bisect
import copy
import io
import itertools
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.oxml.simpletypes import ST_DateTime
from docx.shared import Pt, RGBColor, Twips
from lxml import etree

from ..services import anchoring
from ..services.fingerprint import short_fingerprint
from .markdown_to_docx import (
    BOLD,
    TABLE_WIDTH,
    W_P,
    W_R,
    W_RPR,
    W_T,
    W_VAL,
    XML_SPACE,
    DocxWriter,
    clean_text,
    mark_direction,
    w,
    xml_text,
)
from .remote_content import Scrubbed, UnreadablePackage, strip_remote_content

try:
    from zoneinfo import ZoneInfo

    _LOCAL_TZ: Any = ZoneInfo("Europe/Stockholm")
except Exception:  # no tz database: show times as given
    _LOCAL_TZ = None

MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 5000
BASE_FONT = "Calibri"
LANGUAGE = "sv-SE"
DRAFT_COLOR = RGBColor(0xC0, 0x00, 0x00)
W_ID, W_TAB, W_BREAKS = w("id"), w("tab"), (w("br"), w("cr"))
W_COMMENT_RANGE_START, W_COMMENT_RANGE_END = w("commentRangeStart"), w("commentRangeEnd")
A4_WIDTH, A4_HEIGHT, MARGIN = Twips(11906), Twips(16838), Twips(1417)  # 21.0 x 29.7 cm, 2.5 cm

_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_DOTX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"


class InvalidTemplate(ValueError):
    """The uploaded Word template cannot be used; the message is Swedish and user-facing."""


@dataclass(frozen=True)
class Signatory:
    municipality: str
    deciding_body: str
    decision_date: date
    signatory_name: str
    signatory_title: str
    minutes_paragraph: str = ""


@dataclass(frozen=True)
class DocSection:
    heading: str
    markdown: str
    html: str = ""  # the sanitized HTML the page shows; rendered from markdown when empty


@dataclass(frozen=True)
class FinalDocument:
    cooperation_name: str
    letterhead_lines: tuple[str, ...]
    document_date: date
    recipient: str
    reference_number: str
    consultation_title: str
    title: str
    sections: tuple[DocSection, ...]
    signatories: tuple[Signatory, ...]
    author: str
    is_draft: bool = False
    version_number: int | None = None
    our_reference: str = ""  # the cooperation's own diarienummer ("Vår beteckning")
    document_type: str = "YTTRANDE"
    text_fingerprint: str = ""  # SHA-256 of the version's canonical text (services/fingerprint.py)


@dataclass(frozen=True)
class ReviewComment:
    section_index: int
    exact: str
    prefix: str
    suffix: str
    author_name: str
    municipality: str
    created_at: datetime
    body: str
    replies: tuple[tuple[str, str, datetime, str], ...] = ()
    is_suggestion: bool = False
    suggested_text: str = ""


@dataclass(frozen=True)
class ReviewCopy:
    cooperation_name: str
    title: str
    consultation_title: str
    reference_number: str
    deadline: date
    version_number: int
    published_at: datetime
    sections: tuple[DocSection, ...]
    comments: tuple[ReviewComment, ...]
    detached_comments: tuple[ReviewComment, ...]
    changes_since_previous: tuple[str, ...]
    # Set for a home round's copy: whose internal comments it holds (not for sending out).
    home_municipality: str = ""


# --------------------------------------------------------------------------------------------
# Opening and validating .docx files


def docx_archive_problem(data: bytes) -> str | None:
    """A Swedish explanation of why `data` is not a safe, readable .docx archive, or None."""
    if not isinstance(data, bytes | bytearray) or not data:
        return "Filen är tom."
    if data[:4] == b"\xd0\xcf\x11\xe0":
        return (
            "Filen är i det äldre Word-formatet (.doc) eller lösenordsskyddad. "
            "Spara den som .docx utan lösenord och försök igen."
        )
    if data[:2] != b"PK":
        return "Filen är inte ett Word-dokument (.docx)."
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        return "Filen är skadad eller inte ett Word-dokument (.docx)."
    # Zip-bomb guard before anything decompresses: zipfile never inflates a member beyond
    # its declared size (a lying header fails the CRC check instead).
    if len(infos) > MAX_ZIP_MEMBERS:
        return "Filen innehåller orimligt många delar för ett Word-dokument."
    if sum(info.file_size for info in infos) > MAX_UNCOMPRESSED_BYTES:
        return "Filen är för stor: uppackad får den vara högst 50 MB."
    if "word/document.xml" not in names or "[Content_Types].xml" not in names:
        return "Filen är inte ett Word-dokument (.docx): word/document.xml saknas."
    if any(info.flag_bits & 0x1 for info in infos):
        return "Filen är krypterad och kan inte läsas."
    return None


def _content_types(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("[Content_Types].xml").decode("utf-8", "replace")


def open_docx(data: bytes) -> DocxDocument:
    """Open checked .docx (or .dotx) bytes with python-docx; raises ValueError on failure."""
    content_types = _content_types(data)
    if "macroEnabled" in content_types:
        raise ValueError("Filen innehåller makron (.docm/.dotm). Spara den som .docx.")
    if _DOTX_MAIN in content_types:
        data = _dotx_as_docx(data, content_types)
    return docx.Document(io.BytesIO(data))


def _dotx_as_docx(data: bytes, content_types: str) -> bytes:
    """A Word template (.dotx) differs from a .docx only in its main content type."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                payload = content_types.replace(_DOTX_MAIN, _DOCX_MAIN).encode("utf-8")
            dst.writestr(info, payload, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def validate_template(data: bytes) -> None:
    """Raise InvalidTemplate (Swedish message) unless `data` is a usable .docx template."""
    problem = docx_archive_problem(data)
    if problem:
        raise InvalidTemplate(problem)
    try:
        open_docx(data)
    except ValueError as exc:
        if "makron" in str(exc):
            raise InvalidTemplate(str(exc)) from None
        raise InvalidTemplate("Mallen kunde inte läsas som ett Word-dokument.") from None
    except Exception:
        raise InvalidTemplate("Mallen kunde inte läsas som ett Word-dokument.") from None


def sanitize_template(data: bytes) -> Scrubbed:
    """Validate a template and strip what Word would fetch from elsewhere (see remote_content).

    Upload stores the result; every export runs it again, so a template stored before a rule
    was added cannot leak either.
    """
    validate_template(data)
    try:
        scrubbed = strip_remote_content(data)
    except UnreadablePackage as exc:
        raise InvalidTemplate(str(exc)) from None
    if scrubbed.removed:
        validate_template(scrubbed.data)
    return scrubbed


# --------------------------------------------------------------------------------------------
# The base document: house style or the cooperation's template


def _base_document(template: bytes | None) -> tuple[DocxDocument, bool]:
    """(document with an empty body, True if it is our default rather than a template)."""
    if template is not None:
        document = open_docx(sanitize_template(template).data)
    else:
        document = docx.Document()
        _apply_house_style(document)
    body = document.element.body
    sect_pr = body.find(w("sectPr"))
    for child in list(body):
        if child is not sect_pr:
            body.remove(child)
    if sect_pr is None:
        body.append(body.makeelement(w("sectPr"), {}))
    _drop_thumbnail(document)
    _drop_comments(document)
    _ensure_language(document, force=template is None)
    return document, template is None


def _set_fonts(rpr: Any, name: str) -> None:
    fonts = rpr.get_or_add_rFonts()  # python-docx inserts it in schema order
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(w(attr), None)  # theme fonts would win over the explicit name
    for attr in ("ascii", "hAnsi", "cs"):
        fonts.set(w(attr), name)


def _apply_house_style(document: DocxDocument) -> None:
    """Calibri 11 pt, Swedish, black headings, A4 with 2.5 cm margins."""
    styles = document.styles
    defaults = styles.element.find(w("docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{w('rPrDefault')}/{w('rPr')}")
        if rpr is not None:
            _set_fonts(rpr, BASE_FONT)
    normal = styles["Normal"]
    normal.font.name = BASE_FONT
    normal.font.size = Pt(11)
    sizes = {"Title": 22, "Heading 1": 16, "Heading 2": 13, "Heading 3": 12}
    for name in ["Title"] + [f"Heading {n}" for n in range(1, 10)]:
        try:
            style = styles[name]
        except KeyError:
            continue
        _set_fonts(style.element.get_or_add_rPr(), BASE_FONT)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.size = Pt(sizes.get(name, 11))
        style.font.bold = True
    section = document.sections[0]
    section.page_width, section.page_height = A4_WIDTH, A4_HEIGHT
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
    section.header_distance = section.footer_distance = Twips(709)


def _ensure_language(document: DocxDocument, *, force: bool) -> None:
    """Swedish proofing language by default; a template's own language is kept."""
    defaults = document.styles.element.find(w("docDefaults"))
    if defaults is None:
        return
    rpr = defaults.find(f"{w('rPrDefault')}/{w('rPr')}")
    if rpr is None:
        return
    lang = rpr.find(w("lang"))
    if lang is None:
        lang = rpr.makeelement(w("lang"), {})
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    elif not force:
        return
    lang.set(W_VAL, LANGUAGE)


def _drop_thumbnail(document: DocxDocument) -> None:
    """The template's preview image would show the template, not this document."""
    rels = document.part.package.rels
    for rid in [rid for rid, rel in rels.items() if rel.reltype == RT.THUMBNAIL]:
        rels.pop(rid)


def _drop_comments(document: DocxDocument) -> None:
    """A template's own comments would be orphans once its body is gone."""
    try:
        part = document.part.part_related_by(RT.COMMENTS)
    except KeyError:
        return
    for comment in list(part.element):
        part.element.remove(comment)


def _has_content(story: Any) -> bool:
    element = story._element  # the hdr/ftr element: text or pictures count as content
    return bool("".join(element.itertext()).strip()) or bool(
        element.xpath(".//w:drawing | .//w:pict")
    )


def _add_field(paragraph: Any, instruction: str) -> None:
    """Append a complex field (PAGE, NUMPAGES) that Word and LibreOffice update on render."""
    p = paragraph._p
    for kind, text in (
        ("begin", None),
        ("instr", instruction),
        ("separate", None),
        ("result", "1"),
        ("end", None),
    ):
        r = etree.SubElement(p, W_R)
        if kind == "instr":
            instr = etree.SubElement(r, w("instrText"))
            instr.text = f" {text} "
            instr.set(XML_SPACE, "preserve")
        elif kind == "result":
            etree.SubElement(r, W_T).text = text
        else:
            etree.SubElement(r, w("fldChar"), {w("fldCharType"): kind})


def _page_number_paragraph(footer: Any, first: bool) -> None:
    paragraph = footer.paragraphs[0] if first and footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.add_run("Sida ")
    _add_field(paragraph, "PAGE")
    paragraph.add_run(" av ")
    _add_field(paragraph, "NUMPAGES")


def _decorate_pages(
    document: DocxDocument,
    is_default: bool,
    letterhead: Sequence[str],
    marking: str | None,
) -> bool:
    """Header (letterhead, draft marking) and footer (page X of Y). True if letterhead placed."""
    section = document.sections[-1]
    header = section.header
    letterhead_placed = False
    if is_default or header.is_linked_to_previous or not _has_content(header):
        header.is_linked_to_previous = False
        for p in list(header._element):
            header._element.remove(p)
        for i, line in enumerate(line for line in letterhead if clean_text(line).strip()):
            paragraph = header.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(0)
            run = paragraph.add_run(clean_text(line))
            run.font.size = Pt(16 if i == 0 else 9)
            run.font.bold = i == 0
        letterhead_placed = True
    elif letterhead and clean_text(letterhead[0]) in "".join(header._element.itertext()):
        letterhead_placed = True  # the template's header already names the cooperation
    if marking:
        headers = [header]
        if section.different_first_page_header_footer:
            headers.append(section.first_page_header)
        if document.settings.odd_and_even_pages_header_footer:
            headers.append(section.even_page_header)
        for story in headers:
            story.is_linked_to_previous = False
            paragraph = story.add_paragraph()
            paragraph.paragraph_format.space_after = Pt(6)
            run = paragraph.add_run(marking)
            run.font.bold = True
            run.font.color.rgb = DRAFT_COLOR
            if len(story.paragraphs) > 1:  # marking first, above the template's own content
                story._element.insert(0, paragraph._p)
    footer = section.footer
    if is_default or footer.is_linked_to_previous or not _has_content(footer):
        footer.is_linked_to_previous = False
        _page_number_paragraph(footer, first=True)
    elif not footer._element.xpath(".//w:instrText[contains(., 'PAGE')] | .//w:fldSimple"):
        _page_number_paragraph(footer, first=False)
    return letterhead_placed


def _core_properties(
    document: DocxDocument,
    *,
    title: str,
    author: str,
    subject: str,
    when: datetime,
    revision: int,
    comments: str = "",
) -> None:
    props = document.core_properties
    props.title = clean_text(title)[:255]
    props.author = clean_text(author)[:255]
    props.last_modified_by = clean_text(author)[:255]
    props.subject = clean_text(subject)[:255]
    props.language = LANGUAGE
    props.category = "Remissvar"
    props.keywords = "yttrande; remissvar"
    props.comments = clean_text(comments)[:255]
    if when.tzinfo is not None:  # python-docx writes the wall time with a "Z" suffix
        when = when.astimezone(UTC).replace(tzinfo=None)
    props.created = when
    props.modified = when
    props.revision = max(1, revision)


def _noon(day: date) -> datetime:
    # Noon UTC keeps the calendar date the same in every Swedish-relevant time zone.
    return datetime.combine(day, time(12, 0), tzinfo=UTC)


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is not None and _LOCAL_TZ is not None:
        return moment.astimezone(_LOCAL_TZ)
    return moment


def _day(moment: date | datetime) -> str:
    if isinstance(moment, datetime):
        moment = _local(moment).date()
    return moment.isoformat()


def _save(document: DocxDocument) -> bytes:
    body = document.element.body
    sect_pr = body.find(w("sectPr"))
    if sect_pr is not None:
        body.append(sect_pr)  # everything was appended after it; it must be last
    _mark_story_directions(document)
    _application_properties(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


APPLICATION = "Yttrande"
_APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    f"<Application>{APPLICATION}</Application><DocSecurity>0</DocSecurity>"
    "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc>"
    "<HyperlinksChanged>false</HyperlinksChanged></Properties>"
)


def _application_properties(document: DocxDocument) -> None:
    """This product made the file: no "Normal.dotm", no Word version, no stale page counts;
    and the theme's language is Swedish like the text's."""
    package = document.part.package
    for rel in package.rels.values():
        if rel.reltype == RT.EXTENDED_PROPERTIES and not rel.is_external:
            rel.target_part._blob = _APP_XML.encode("utf-8")
    settings = document.settings.element
    lang = settings.find(w("themeFontLang"))
    if lang is not None:
        lang.set(W_VAL, LANGUAGE)


_STORY_CONTENT_TYPES = frozenset({CT.WML_HEADER, CT.WML_FOOTER, CT.WML_COMMENTS})


def _mark_story_directions(document: DocxDocument) -> None:
    """Right-to-left text that python-docx wrote (letterhead, comments) gets w:bidi/w:rtl too.

    The body is written by DocxWriter, which marks direction as it goes.
    """
    for part in document.part.package.iter_parts():
        if part.content_type in _STORY_CONTENT_TYPES:
            for p in part.element.iter(W_P):
                mark_direction(p)


# --------------------------------------------------------------------------------------------
# Shared body pieces


def _info_lines(writer: DocxWriter, body: Any, lines: Sequence[tuple[str, str]]) -> None:
    for label, value in lines:
        if clean_text(value).strip():
            writer.paragraph(body, [(f"{label}: ", BOLD, None), (value, 0, None)], space_after=0)
    writer.paragraph(body, "")


def _bullets(writer: DocxWriter, body: Any, lines: Sequence[str]) -> None:
    num_id = writer.numbering.bullet()
    writer.append_xml(
        body, [writer.paragraph_xml(line, style="List Bullet", num=(num_id, 0)) for line in lines]
    )


SIGNATURE_LINE = object()  # table-cell marker: an empty line to sign on
_SIGNATURE_LINE_XML = (
    '<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="auto"/>'
    '</w:pBdr><w:spacing w:before="600" w:after="60"/><w:ind w:right="567"/></w:pPr></w:p>'
)


def _table(
    writer: DocxWriter,
    body: Any,
    header: Sequence[str],
    rows: Sequence[Sequence[Sequence[Any]]],
    widths: Sequence[float],
) -> Any:
    """A bordered table; each cell is a list of paragraphs (strings or segment lists)."""
    twips = [int(TABLE_WIDTH * share) for share in widths]
    out = [writer.table_start(twips)]
    all_rows: list[tuple[Sequence[Sequence[Any]], bool]] = [([[h] for h in header], True)]
    all_rows += [(row, False) for row in rows]
    for cells, is_header in all_rows:
        # A signature row never breaks across pages; the header row repeats on each page.
        out.append(
            "<w:tr><w:trPr><w:cantSplit/>" + ("<w:tblHeader/>" if is_header else "") + "</w:trPr>"
        )
        for width, paragraphs in zip(twips, cells, strict=False):
            content = [
                _SIGNATURE_LINE_XML
                if item is SIGNATURE_LINE
                else writer.paragraph_xml(item, flags=BOLD if is_header else 0, space_after=0)
                for item in paragraphs or [""]
            ]
            out.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>'
                f"{''.join(content)}</w:tc>"
            )
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return writer.append_xml(body, out)[0]


# --------------------------------------------------------------------------------------------
# Final document


def _section_body(writer: DocxWriter, body: Any, section: DocSection) -> list[Any]:
    """A section's text as the page shows it (its stored HTML), headings one level down."""
    if section.html.strip():
        return writer.html(body, section.html, heading_offset=1)
    return writer.markdown(body, section.markdown, heading_offset=1)


def document_heading(title: str, reference_number: str) -> str:
    """The heading of the answer with the remiss's diarienummer, as remissvar guidance asks:
    "Yttrande över Starkare kommuner (SOU 2020:8), Fi2020/00647/K"."""
    title, reference = clean_text(title).strip(), clean_text(reference_number).strip()
    if not reference or reference in title:
        return title
    return f"{title}, {reference}"


def draft_marking(version_number: int | None) -> str:
    """The text that marks an undecided draft, e.g. "UTKAST – version 3 – ej beslutat"."""
    if version_number is None:
        return "UTKAST – ej beslutat"
    return f"UTKAST – version {version_number} – ej beslutat"


def build_final_docx(doc: FinalDocument, template: bytes | None = None) -> bytes:
    """The remissvar as .docx bytes: the official-letter head, addressing, heading with the
    diarienummer, body, and a signature block that stays on one page with the text before it."""
    document, is_default = _base_document(template)
    marking = draft_marking(doc.version_number) if doc.is_draft else None
    writer = DocxWriter(document)
    body = document.element.body
    _official_head(document, writer, doc, is_default, marking)

    if clean_text(doc.recipient).strip():
        writer.paragraph(body, doc.recipient, space_after=0)
        writer.paragraph(body, "")
    if clean_text(doc.consultation_title).strip() and doc.consultation_title not in doc.title:
        _info_lines(writer, body, [("Remiss", doc.consultation_title)])
    heading = document_heading(doc.title, doc.reference_number)
    title = f"UTKAST – {heading}" if doc.is_draft else heading
    writer.paragraph(body, title, style="Title")

    last_body: list[Any] = []
    for section in doc.sections:
        if clean_text(section.heading).strip():
            last_body = [writer.paragraph(body, section.heading, style="Heading 1")]
        last_body = _section_body(writer, body, section) or last_body

    signature = [writer.paragraph(body, "Underskrifter", style="Heading 1")]
    if doc.signatories:
        rows = []
        for s in doc.signatories:
            decision = [s.deciding_body, s.decision_date.isoformat()]
            if clean_text(s.minutes_paragraph).strip():
                decision.append(s.minutes_paragraph)
            signed = [SIGNATURE_LINE, [(s.signatory_name, BOLD, None)], s.signatory_title]
            rows.append([[[(s.municipality, BOLD, None)]], decision, signed])
        signature.append(
            _table(writer, body, ["Kommun", "Beslut", "Underskrift"], rows, (0.28, 0.36, 0.36))
        )
    else:
        signature.append(writer.paragraph(body, "Inga underskrifter är registrerade ännu."))
    if doc.text_fingerprint:
        signature.extend(fingerprint_paragraphs(writer, body, doc.text_fingerprint))
    # Never split, never alone: the text's last paragraph, the heading and every row but the
    # last keep with what follows.
    _keep_with_next(_last_paragraphs(last_body) + signature)

    _core_properties(
        document,
        title=title,
        author=doc.author or doc.cooperation_name,
        subject=doc.reference_number,
        when=_noon(doc.document_date),
        revision=doc.version_number or 1,
        comments=marking or "",
    )
    return _save(document)


FINGERPRINT_LABEL = "Textens kontrollsumma (SHA-256)"


def fingerprint_paragraphs(writer: DocxWriter, body: Any, fingerprint: str) -> list[Any]:
    """The text's fingerprint, short (to compare by eye) and in full (to check by machine)."""
    return [
        writer.paragraph(body, [(f"{FINGERPRINT_LABEL}: ", BOLD, None),
                                (short_fingerprint(fingerprint), 0, None)], space_after=0),
        writer.paragraph(body, f"Hela kontrollsumman: {fingerprint}"),
    ]


HEAD_SPACE_AFTER = 480  # twips (24 pt) between the head and the body


def head_lines(doc: FinalDocument) -> list[tuple[str, str]]:
    """The head's (label, value) lines: date, our reference, their reference."""
    lines = [
        ("Datum", doc.document_date.isoformat()),
        ("Vår beteckning", doc.our_reference),
        ("Er beteckning", doc.reference_number),
    ]
    return [(label, clean_text(value).strip()) for label, value in lines if clean_text(value).strip()]


def _field_xml(instruction: str, rpr: str) -> str:
    """A complex field (PAGE, NUMPAGES) that Word and LibreOffice update when they lay out."""
    return (
        f'<w:r>{rpr}<w:fldChar w:fldCharType="begin"/></w:r>'
        f'<w:r>{rpr}<w:instrText xml:space="preserve"> {instruction} </w:instrText></w:r>'
        f'<w:r>{rpr}<w:fldChar w:fldCharType="separate"/></w:r>'
        f"<w:r>{rpr}<w:t>1</w:t></w:r>"
        f'<w:r>{rpr}<w:fldChar w:fldCharType="end"/></w:r>'
    )


def _page_of_pages_xml(size: int) -> str:
    """ "1 (3)": this page and the number of pages, right-aligned."""
    rpr = f'<w:rPr><w:sz w:val="{size}"/></w:rPr>'
    return (
        '<w:p><w:pPr><w:spacing w:after="0"/><w:jc w:val="right"/></w:pPr>'
        f"{_field_xml('PAGE', rpr)}<w:r>{rpr}<w:t xml:space=\"preserve\"> (</w:t></w:r>"
        f"{_field_xml('NUMPAGES', rpr)}<w:r>{rpr}<w:t>)</w:t></w:r></w:p>"
    )


def _head_table_xml(cells: list[tuple[float, list[str]]]) -> str:
    """A borderless full-width table of the head; each cell a list of w:p strings."""
    widths = [int(TABLE_WIDTH * share) for share, _ in cells]
    borders = "".join(
        f'<w:{side} w:val="nil"/>' for side in ("top", "left", "bottom", "right", "insideH", "insideV")
    )
    out = [
        '<w:tbl><w:tblPr><w:tblW w:w="5000" w:type="pct"/>'
        f'<w:tblBorders>{borders}</w:tblBorders><w:tblLayout w:type="fixed"/>'
        '<w:tblCellMar><w:left w:w="0" w:type="dxa"/><w:right w:w="57" w:type="dxa"/></w:tblCellMar>'
        '<w:tblLook w:val="0000"/></w:tblPr><w:tblGrid>'
        + "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
        + '</w:tblGrid><w:tr><w:trPr><w:cantSplit/></w:trPr>'
    ]
    for width, (_, paragraphs) in zip(widths, cells, strict=True):
        content = "".join(paragraphs) or "<w:p/>"
        out.append(f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{content}</w:tc>')
    out.append("</w:tr></w:tbl>")
    return "".join(out)


def _official_head(
    document: DocxDocument, writer: DocxWriter, doc: FinalDocument, is_default: bool,
    marking: str | None,
) -> None:
    """The Swedish official-letter head: on the first page the letterhead, document type, date,
    our and their reference and "1 (3)"; on later pages a short head.  A template with a page
    header of its own keeps it, and the head opens the body instead."""

    def para(text: str, size: int, *, bold: bool = False) -> str:
        return _sized(writer.paragraph_xml([(text, BOLD if bold else 0, None)], space_after=0), size)

    letterhead = [
        para(line, 28 if i == 0 else 18, bold=i == 0)
        for i, line in enumerate([doc.cooperation_name, *doc.letterhead_lines])
        if clean_text(line).strip()
    ]
    facts = [para(doc.document_type, 24, bold=True)] + [
        para(f"{label}: {value}", 18) for label, value in head_lines(doc)
    ]
    first_head = _head_table_xml([(0.5, letterhead), (0.35, facts), (0.15, [_page_of_pages_xml(18)])])
    room = f'<w:p><w:pPr><w:spacing w:after="{HEAD_SPACE_AFTER}"/></w:pPr></w:p>'
    marking_xml = []
    if marking:
        marking_xml = [
            f'<w:p><w:pPr><w:spacing w:after="120"/></w:pPr><w:r><w:rPr><w:b/><w:bCs/>'
            f'<w:color w:val="{DRAFT_COLOR}"/><w:sz w:val="24"/></w:rPr>'
            f"<w:t>{xml_text(marking)}</w:t></w:r></w:p>"
        ]
    section = document.sections[-1]
    header = section.header
    own_header = not is_default and not header.is_linked_to_previous and _has_content(header)
    if own_header:
        _add_marking(document, section, marking)
        if clean_text(doc.cooperation_name) in "".join(header._element.itertext()):
            letterhead = []  # the template's header already names the cooperation
        first_head = _head_table_xml(
            [(0.5, letterhead), (0.35, facts), (0.15, [_page_of_pages_xml(18)])]
        )
        writer.append_xml(document.element.body, [*marking_xml, first_head, room])
        footer = section.footer
        if not footer._element.xpath(".//w:instrText[contains(., 'PAGE')] | .//w:fldSimple"):
            _page_number_paragraph(footer, first=not _has_content(footer))  # later pages too
        return
    else:
        section.different_first_page_header_footer = True
        first = section.first_page_header
        first.is_linked_to_previous = False
        _replace_story(writer, first._element, [*marking_xml, first_head, room])
        short = [
            para(" – ".join(x for x in (doc.cooperation_name, doc.document_type,
                                        doc.document_date.isoformat(), doc.reference_number)
                            if clean_text(x).strip()), 18)
        ]
        later = _head_table_xml([(0.85, short), (0.15, [_page_of_pages_xml(18)])])
        header.is_linked_to_previous = False
        _replace_story(writer, header._element, [*marking_xml, later, room])
    footer = section.footer
    if is_default or footer.is_linked_to_previous or not _has_content(footer):
        footer.is_linked_to_previous = False  # the page number is in the head
        _replace_story(writer, footer._element, ["<w:p/>"])
    if section.different_first_page_header_footer:
        first_footer = section.first_page_footer
        if first_footer.is_linked_to_previous or not _has_content(first_footer):
            first_footer.is_linked_to_previous = False
            _replace_story(writer, first_footer._element, ["<w:p/>"])


def _sized(xml: str, size: int) -> str:
    """Set the font size of every run of a paragraph built by DocxWriter.paragraph_xml."""
    sz = f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
    xml = xml.replace("<w:r><w:t", f"<w:r><w:rPr>{sz}</w:rPr><w:t")
    # In schema order: after bold (the only formatting used here), before the direction mark.
    return re.sub(r"<w:rPr>((?:<w:b/><w:bCs/>)?)(?!<w:sz )", lambda m: f"<w:rPr>{m[1]}{sz}", xml)


def _replace_story(writer: DocxWriter, element: Any, pieces: list[str]) -> None:
    """Replace the content of a header or footer."""
    for child in list(element):
        element.remove(child)
    writer.append_xml(element, pieces)


def _add_marking(document: DocxDocument, section: Any, marking: str | None) -> None:
    """The draft marking above a template's own header content."""
    if not marking:
        return
    headers = [section.header]
    if section.different_first_page_header_footer:
        headers.append(section.first_page_header)
    if document.settings.odd_and_even_pages_header_footer:
        headers.append(section.even_page_header)
    for story in headers:
        story.is_linked_to_previous = False
        paragraph = story.add_paragraph()
        paragraph.paragraph_format.space_after = Pt(6)
        run = paragraph.add_run(marking)
        run.font.bold = True
        run.font.color.rgb = DRAFT_COLOR
        if len(story.paragraphs) > 1:
            story._element.insert(0, paragraph._p)


def _last_paragraphs(elements: list[Any]) -> list[Any]:
    """The paragraph(s) that end a run of body elements: the last w:p, or a table's last row."""
    if not elements:
        return []
    last = elements[-1]
    if last.tag == w("tbl"):
        rows = last.findall(w("tr"))
        return rows[-1:] if rows else []
    return [last] if last.tag == W_P else []


def _keep_with_next(elements: list[Any]) -> None:
    """Keep each paragraph (in tables: every row but the last) with the next, unsplit."""
    for index, element in enumerate(elements):
        last = index == len(elements) - 1
        if element.tag == w("tbl"):
            rows = element.findall(w("tr"))
            targets = [p for row in (rows if not last else rows[:-1]) for p in row.iter(W_P)]
            lines = [p for p in element.iter(W_P)]
        elif element.tag == w("tr"):
            targets = lines = list(element.iter(W_P))
        else:
            targets = [] if last else [element]
            lines = [element]
        for p in targets:
            p.get_or_add_pPr().get_or_add_keepNext()
        for p in lines:
            p.get_or_add_pPr().get_or_add_keepLines()


# --------------------------------------------------------------------------------------------
# Review copy and comment anchoring


def build_review_copy_docx(copy: ReviewCopy, template: bytes | None = None) -> bytes:
    """A review copy of one version with every open comment as a real Word comment."""
    document, is_default = _base_document(template)
    marking = f"Granskningsexemplar – version {copy.version_number} – ej beslutat"
    if copy.home_municipality:
        marking = (f"Hemmaberedning inom {clean_text(copy.home_municipality)} – internt – "
                   f"version {copy.version_number} – ej beslutat")
    _decorate_pages(document, is_default, [copy.cooperation_name], marking)
    writer = DocxWriter(document)
    body = document.element.body

    writer.paragraph(body, copy.title, style="Title")
    published = _local(copy.published_at).strftime("%Y-%m-%d %H:%M")
    _info_lines(
        writer,
        body,
        [
            ("Remiss", copy.consultation_title),
            ("Diarienummer", copy.reference_number),
            ("Sista svarsdag", copy.deadline.isoformat()),
            ("Version", f"{copy.version_number}, publicerad {published}"),
        ],
    )
    if copy.home_municipality:
        writer.paragraph(body, f"Kommentarerna är interna för {clean_text(copy.home_municipality)} "
                               "och visas inte för de andra kommunerna eller koordinatorn.")
    else:
        writer.paragraph(body, "Ändringar sedan föregående version", style="Heading 1")
        if copy.changes_since_previous:
            _bullets(writer, body, copy.changes_since_previous)
        elif copy.version_number <= 1:
            writer.paragraph(body, "Första versionen.")
        else:
            writer.paragraph(body, "Inga ändringar i texten.")

    rendered: list[_RenderedSection] = []
    for section in copy.sections:
        heading = None
        if clean_text(section.heading).strip():
            heading = writer.paragraph(body, section.heading, style="Heading 1")
        new = _section_body(writer, body, section)
        rendered.append(_RenderedSection(heading, [p for el in new for p in el.iter(W_P)]))

    unanchored: list[ReviewComment] = []
    word_comments = _CommentAdder(document)
    for comment, runs in zip(copy.comments, _place_comments(copy.comments, rendered), strict=True):
        if not runs:
            unanchored.append(comment)
            continue
        word_comments.add(runs[0], runs[-1], text=_comment_text(comment),
                          author=_author(comment.author_name, comment.municipality),
                          initials=initials(comment.author_name), when=comment.created_at)
    word_comments.close()

    detached = [*copy.detached_comments, *unanchored]
    if detached:
        writer.paragraph(
            body, "Kommentarer som inte längre kan knytas till texten", style="Heading 1"
        )
        for comment in detached:
            _detached_entry(writer, body, comment, copy.sections)

    _core_properties(
        document,
        title=copy.title,
        author=copy.cooperation_name,
        subject=copy.reference_number,
        when=copy.published_at,
        revision=copy.version_number,
        comments=marking,
    )
    return _save(document)


class _CommentAdder:
    """Adds Word comments with ids from a counter of its own, the comments part parsed once.

    python-docx's Document.add_comment finds the next id by reading every existing comment id,
    which makes a review copy with a thousand comments quadratic. Ids only need to be unique
    in the document, so one counter per document does. The comments themselves are collected
    as XML text and parsed in one go by ``close`` (same XML as python-docx writes); the range
    marks and reference runs are made as elements, without parsing.
    """

    def __init__(self, document: DocxDocument) -> None:
        self._comments = document.comments  # creates the comments part when missing
        element = self._comments._comments_elm
        used = [int(value) for value in element.xpath("./w:comment/@w:id")]
        self._element = element
        self._next_id = max(used, default=-1) + 1
        self._pending: list[str] = []

    def add(self, first: Any, last: Any, *, text: str, author: str, initials: str,
            when: datetime) -> None:
        """A comment on the runs first to last (w:r elements of one paragraph)."""
        comment_id = str(self._next_id)
        self._next_id += 1
        paragraphs = []
        for index, line in enumerate(text.split("\n")):
            reference = ('<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
                         '<w:annotationRef/></w:r>') if index == 0 else ""
            runs = "<w:tab/>".join(
                f'<w:t xml:space="preserve">{xml_escape(part)}</w:t>' for part in line.split("\t"))
            paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="CommentText"/></w:pPr>{reference}'
                              f'<w:r>{runs}</w:r></w:p>')
        self._pending.append(
            f'<w:comment w:id="{comment_id}" w:author={quoteattr(author)} '
            f'w:initials={quoteattr(initials)} w:date="{ST_DateTime.convert_to_xml(when)}">'
            f'{"".join(paragraphs)}</w:comment>')
        # The range and the reference run, as Run.mark_comment_range writes them.
        ident = {W_ID: comment_id}
        first.addprevious(first.makeelement(W_COMMENT_RANGE_START, ident))
        end = last.makeelement(W_COMMENT_RANGE_END, ident)
        last.addnext(end)
        reference = last.makeelement(W_R, {})
        style = etree.SubElement(etree.SubElement(reference, W_RPR), w("rStyle"))
        style.set(w("val"), "CommentReference")
        etree.SubElement(reference, w("commentReference"), ident)
        end.addnext(reference)

    def close(self) -> None:
        """Put the collected comments into the comments part."""
        if self._pending:
            parsed = parse_xml(f'<w:comments {nsdecls("w")}>{"".join(self._pending)}</w:comments>')
            self._element.extend(list(parsed))
            self._pending = []


def initials(name: str) -> str:
    """Initials for a Word comment: first letter of each part of the name, at most four."""
    parts = [part for part in re.split(r"[\s\-]+", clean_text(name)) if part]
    return "".join(part[0].upper() for part in parts)[:4]


def _author(name: str, municipality: str) -> str:
    name, municipality = clean_text(name).strip(), clean_text(municipality).strip()
    return f"{name} ({municipality})" if municipality else name


def _comment_text(comment: ReviewComment) -> str:
    lines = []
    if comment.is_suggestion:
        suggestion = clean_text(comment.suggested_text).strip()
        lines.append(
            f"Förslag: ersätt med: ”{suggestion}”" if suggestion else "Förslag: stryk texten"
        )
    lines += [line for line in clean_text(comment.body).replace("\r", "").split("\n")]
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    lines[0] = f"{_day(comment.created_at)}: {lines[0]}" if lines else _day(comment.created_at)
    for author, municipality, created, text in comment.replies:
        reply = clean_text(text).replace("\r", "").strip()
        lines.append(f"— {_author(author, municipality)}, {_day(created)}: {reply}")
    return "\n".join(lines)


def _detached_entry(
    writer: DocxWriter, body: Any, comment: ReviewComment, sections: Sequence[DocSection]
) -> None:
    where = ""
    if 0 <= comment.section_index < len(sections):
        heading = clean_text(sections[comment.section_index].heading).strip()
        where = f" – avsnitt {comment.section_index + 1} ”{heading}”"
    author = _author(comment.author_name, comment.municipality)
    writer.paragraph(body, f"{author}, {_day(comment.created_at)}{where}", flags=BOLD)
    if clean_text(comment.exact).strip():
        style = "Quote" if writer.styles.paragraph("Quote") else None
        writer.paragraph(body, f"Citerad text: ”{comment.exact}”", style=style)
    for line in _comment_text(comment).split("\n"):
        writer.paragraph(body, line)


class _RenderedSection:
    """A section's heading and body paragraphs (w:p) in the review copy."""

    def __init__(self, heading: Any | None, paragraphs: list[Any]) -> None:
        self.heading = heading
        self.paragraphs = paragraphs
        texts = [_paragraph_text(p) for p in paragraphs]
        self.lengths = [len(text) for text in texts]
        self.starts: list[int] = []
        position = 0
        for text in texts:
            self.starts.append(position)
            position += len(text) + 1
        # The body as the passage finder reads it: a line per paragraph, like the section text.
        self.text = "\n".join(texts)

    def locate(self, pos: int) -> tuple[int, int]:
        """(paragraph index, offset in its text) of a position in ``text``."""
        index = bisect.bisect_right(self.starts, pos) - 1
        return index, pos - self.starts[index]


class _ParagraphRuns:
    """One paragraph's runs, split once at every comment boundary in it, with their offsets."""

    def __init__(self, p: Any) -> None:
        self.p = p
        self.cuts: set[int] = set()
        self.runs: list[Any] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def split(self) -> None:
        """Split the runs at all cuts in one pass (each run is cut into all its pieces at once)."""
        cuts = sorted(self.cuts)
        position = 0
        for r in list(self.p.iter(W_R)):
            length = len(_run_text(r))
            inside = cuts[bisect.bisect_right(cuts, position) : bisect.bisect_left(cuts, position + length)]
            for piece, size in _split_run(r, [cut - position for cut in inside], length):
                self.runs.append(piece)
                self.starts.append(position)
                self.ends.append(position + size)
                position += size

    def covering(self, begin: int, end: int) -> list[Any]:
        """The runs with text that lie wholly inside [begin, end) of the paragraph's text."""
        covered = []
        index = bisect.bisect_left(self.starts, begin)
        while index < len(self.runs) and self.ends[index] <= end:
            if self.ends[index] > self.starts[index]:
                covered.append(self.runs[index])
            index += 1
        return covered


def _paragraph_text(p: Any) -> str:
    return "".join(_run_text(r) for r in p.iter(W_R))


def _run_text(r: Any) -> str:
    out = []
    for child in r:
        if child.tag == W_T:
            out.append(child.text or "")
        elif child.tag == W_TAB:
            out.append("\t")
        elif child.tag in W_BREAKS:
            out.append("\n")
    return "".join(out)


def _place_comments(
    comments: Sequence[ReviewComment], rendered: list[_RenderedSection]
) -> list[list[Any] | None]:
    """For each comment, the w:r elements covering its passage (split as needed), or None if lost.

    The passages are found by the one passage finder (services/anchoring.py, all of a
    section's comments at once) in the text of the body paragraphs, which reads as the section
    text the comments were anchored in. Then each paragraph with comments has its runs split
    once, at all their boundaries, and each comment takes the runs between its own.
    """
    placed: list[tuple[_ParagraphRuns, int, int] | None] = [None] * len(comments)
    whole: list[int] = []  # comments on a whole section sit on its heading
    by_section: dict[int, list[int]] = {}
    for number, comment in enumerate(comments):
        if not 0 <= comment.section_index < len(rendered):
            continue
        if not clean_text(comment.exact).strip():
            whole.append(number)
        else:
            by_section.setdefault(comment.section_index, []).append(number)
    paragraphs: dict[int, _ParagraphRuns] = {}  # by id() of the w:p
    for section_index, numbers in by_section.items():
        section = rendered[section_index]
        quotes = [anchoring.TextQuote(clean_text(comments[n].exact), clean_text(comments[n].prefix),
                                      clean_text(comments[n].suffix)) for n in numbers]
        for number, found in zip(numbers, anchoring.locate_all(section.text, quotes), strict=True):
            if found is None:
                continue
            start, end = anchoring.trimmed(section.text, found)
            if start == end:
                continue
            para_index, begin = section.locate(start)
            end_para, last = section.locate(end - 1)
            # Word comments here cover runs of one paragraph: a passage across several gets the first.
            stop = last + 1 if end_para == para_index else section.lengths[para_index]
            p = section.paragraphs[para_index]
            runs = paragraphs.setdefault(id(p), _ParagraphRuns(p))
            runs.cuts.update((begin, stop))
            placed[number] = (runs, begin, stop)
    for runs in paragraphs.values():
        runs.split()
    result: list[list[Any] | None] = [None if where is None else where[0].covering(where[1], where[2]) or None
                                      for where in placed]
    for number in whole:
        section = rendered[comments[number].section_index]
        heading = [section.heading] if section.heading is not None else []
        result[number] = next(
            (runs for p in heading + section.paragraphs
             if (runs := [r for r in p.iter(W_R) if _run_text(r)])), None)
    return result


def _split_run(r: Any, offsets: list[int], length: int) -> list[tuple[Any, int]]:
    """Split a single-w:t run at `offsets`, every piece keeping its formatting: (run, length)s.

    Runs built here hold one w:t; anything else is left whole.
    """
    if not offsets:
        return [(r, length)]
    texts = [child for child in r if child.tag == W_T]
    if len(texts) != 1 or length != len(texts[0].text or ""):
        return [(r, length)]
    text = texts[0].text or ""
    bounds = [0, *offsets, length]
    pieces: list[tuple[Any, int]] = []
    previous = r
    for index, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        piece = r if index == 0 else copy.deepcopy(r)
        if index:
            previous.addnext(piece)
        node = piece.find(W_T)
        node.text = text[lo:hi]
        node.set(XML_SPACE, "preserve")
        pieces.append((piece, hi - lo))
        previous = piece
    return pieces
