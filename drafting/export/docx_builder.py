"""Build the final remissvar and the review copy (with Word comments) as .docx bytes."""

from __future__ import annotations

import bisect
import copy
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import docx
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt, RGBColor, Twips
from docx.text.run import Run
from lxml import etree

from ..services import anchoring
from .markdown_to_docx import (
    BOLD,
    TABLE_WIDTH,
    W_P,
    W_R,
    W_T,
    W_VAL,
    XML_SPACE,
    DocxWriter,
    clean_text,
    mark_direction,
    w,
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
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


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


def draft_marking(version_number: int | None) -> str:
    """The text that marks an undecided draft, e.g. "UTKAST – version 3 – ej beslutat"."""
    if version_number is None:
        return "UTKAST – ej beslutat"
    return f"UTKAST – version {version_number} – ej beslutat"


def build_final_docx(doc: FinalDocument, template: bytes | None = None) -> bytes:
    """The remissvar as .docx bytes: letterhead, addressing, title, body, signature block."""
    document, is_default = _base_document(template)
    marking = draft_marking(doc.version_number) if doc.is_draft else None
    letterhead = [doc.cooperation_name, *doc.letterhead_lines]
    in_header = _decorate_pages(document, is_default, letterhead, marking)
    writer = DocxWriter(document)
    body = document.element.body

    if marking:
        p = writer.paragraph(body, marking, flags=BOLD)
        for r in p.iter(W_R):
            run = Run(r, document)
            run.font.color.rgb = DRAFT_COLOR
            run.font.size = Pt(14)
    if not in_header:
        for i, line in enumerate(letterhead):
            if clean_text(line).strip():
                writer.paragraph(body, line, flags=BOLD if i == 0 else 0, space_after=0)
        writer.paragraph(body, "")
    lines = [
        ("Datum", doc.document_date.isoformat()),
        ("Er beteckning", doc.reference_number),
        ("Till", doc.recipient),
    ]
    if clean_text(doc.consultation_title).strip() and doc.consultation_title not in doc.title:
        lines.append(("Remiss", doc.consultation_title))
    _info_lines(writer, body, lines)
    title = f"UTKAST – {doc.title}" if doc.is_draft else doc.title
    writer.paragraph(body, title, style="Title")

    for section in doc.sections:
        if clean_text(section.heading).strip():
            writer.paragraph(body, section.heading, style="Heading 1")
        writer.markdown(body, section.markdown, heading_offset=1)

    writer.paragraph(body, "Underskrifter", style="Heading 1")
    if doc.signatories:
        rows = []
        for s in doc.signatories:
            decision = [s.deciding_body, s.decision_date.isoformat()]
            if clean_text(s.minutes_paragraph).strip():
                decision.append(s.minutes_paragraph)
            signature = [SIGNATURE_LINE, [(s.signatory_name, BOLD, None)], s.signatory_title]
            rows.append([[[(s.municipality, BOLD, None)]], decision, signature])
        _table(writer, body, ["Kommun", "Beslut", "Underskrift"], rows, (0.28, 0.36, 0.36))
    else:
        writer.paragraph(body, "Inga underskrifter är registrerade ännu.")

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


# --------------------------------------------------------------------------------------------
# Review copy and comment anchoring


def build_review_copy_docx(copy: ReviewCopy, template: bytes | None = None) -> bytes:
    """A review copy of one version with every open comment as a real Word comment."""
    document, is_default = _base_document(template)
    marking = f"Granskningsexemplar – version {copy.version_number} – ej beslutat"
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
        new = writer.markdown(body, section.markdown, heading_offset=1)
        rendered.append(_RenderedSection(heading, [p for el in new for p in el.iter(W_P)]))

    unanchored: list[ReviewComment] = []
    add_comment = _CommentAdder(document)
    for comment in copy.comments:
        runs = _anchor_runs(comment, rendered)
        if runs is None:
            unanchored.append(comment)
            continue
        add_comment(Run(runs[0], document), Run(runs[-1], document),
                    text=_comment_text(comment),
                    author=_author(comment.author_name, comment.municipality),
                    initials=initials(comment.author_name), when=comment.created_at)

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
    """Adds Word comments with ids from a counter of its own.

    python-docx's Document.add_comment finds the next id by reading every existing comment id,
    which makes a review copy with a thousand comments quadratic. Ids only need to be unique
    in the document, so one counter per document does (same XML as python-docx writes).
    """

    def __init__(self, document: DocxDocument) -> None:
        self._comments = document.comments  # creates the comments part when missing
        element = self._comments._comments_elm
        used = [int(value) for value in element.xpath("./w:comment/@w:id")]
        self._element = element
        self._next_id = max(used, default=-1) + 1

    def __call__(self, first: Run, last: Run, *, text: str, author: str, initials: str,
                 when: datetime) -> None:
        comment_id = self._next_id
        self._next_id += 1
        # The whole comment parsed at once: python-docx's add_paragraph/add_run insert one
        # element at a time with a scan of the siblings each, slow for a thousand comments.
        paragraphs = []
        for index, line in enumerate(text.split("\n")):
            reference = ('<w:r><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
                         '<w:annotationRef/></w:r>') if index == 0 else ""
            runs = "<w:tab/>".join(
                f'<w:t xml:space="preserve">{xml_escape(part)}</w:t>' for part in line.split("\t"))
            paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="CommentText"/></w:pPr>{reference}'
                              f'<w:r>{runs}</w:r></w:p>')
        element = parse_xml(
            f'<w:comment {nsdecls("w")} w:id="{comment_id}" w:author="">{"".join(paragraphs)}'
            '</w:comment>'
        )
        element.author = author
        element.initials = initials
        element.date = when
        self._element.append(element)
        # The range and the reference run, as Run.mark_comment_range writes them, built directly.
        ident = {qn("w:id"): str(comment_id)}
        start = OxmlElement("w:commentRangeStart", attrs=ident)
        first._r.addprevious(start)
        end = OxmlElement("w:commentRangeEnd", attrs=ident)
        last._r.addnext(end)
        reference = parse_xml(
            f'<w:r {nsdecls("w")}><w:rPr><w:rStyle w:val="CommentReference"/></w:rPr>'
            f'<w:commentReference w:id="{comment_id}"/></w:r>')
        end.addnext(reference)


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
        self._text: str | None = None
        self._starts: list[int] = []

    @property
    def text(self) -> str:
        """The body as the passage finder reads it: a line per paragraph, like the section text."""
        if self._text is None:
            texts = [_paragraph_text(p) for p in self.paragraphs]
            position = 0
            for text in texts:
                self._starts.append(position)
                position += len(text) + 1
            self._text = "\n".join(texts)
        return self._text

    def locate(self, pos: int) -> tuple[int, int]:
        """(paragraph index, offset in its text) of a position in ``text``."""
        index = bisect.bisect_right(self._starts, pos) - 1
        return index, pos - self._starts[index]


def _paragraph_text(p: Any) -> str:
    return "".join(_run_text(r) for r in p.iter(W_R))


def _run_text(r: Any) -> str:
    out = []
    for child in r:
        if child.tag == W_T:
            out.append(child.text or "")
        elif child.tag == w("tab"):
            out.append("\t")
        elif child.tag in (w("br"), w("cr")):
            out.append("\n")
    return "".join(out)


def _anchor_runs(comment: ReviewComment, rendered: list[_RenderedSection]) -> list[Any] | None:
    """The w:r elements covering the comment's passage (split as needed), or None if lost.

    The passage is found by the one passage finder (services/anchoring.py) in the text of
    the body paragraphs, which reads as the section text the comment was anchored in.
    """
    if not 0 <= comment.section_index < len(rendered):
        return None
    section = rendered[comment.section_index]
    if not clean_text(comment.exact).strip():  # a comment on the whole section sits on its heading
        heading = [section.heading] if section.heading is not None else []
        for p in heading + section.paragraphs:
            runs = [r for r in p.iter(W_R) if _run_text(r)]
            if runs:
                return runs
        return None
    quote = anchoring.TextQuote(clean_text(comment.exact), clean_text(comment.prefix), clean_text(comment.suffix))
    found = anchoring.locate(section.text, quote)
    if found is None:
        return None
    start, end = anchoring.trimmed(section.text, found)
    if start == end:
        return None
    para_index, begin = section.locate(start)
    end_para, last = section.locate(end - 1)
    p = section.paragraphs[para_index]
    # Word comments here cover runs of one paragraph: a passage across several gets the first.
    stop = last + 1 if end_para == para_index else len(_paragraph_text(p))
    return _split_runs(p, begin, stop) or None


def _split_runs(p: Any, begin: int, end: int) -> list[Any]:
    """Split runs of paragraph `p` at character offsets and return those inside [begin, end)."""
    for cut in (begin, end):
        pos = 0
        for r in list(p.iter(W_R)):
            length = len(_run_text(r))
            if pos < cut < pos + length:
                _split_run(r, cut - pos)
                break
            pos += length
    covered, pos = [], 0
    for r in p.iter(W_R):
        length = len(_run_text(r))
        if length and begin <= pos and pos + length <= end:
            covered.append(r)
        pos += length
    return covered


def _split_run(r: Any, offset: int) -> None:
    """Split a single-w:t run in two at `offset`, both halves keeping its formatting."""
    texts = [child for child in r if child.tag == W_T]
    if len(texts) != 1 or len(_run_text(r)) != len(texts[0].text or ""):
        return  # runs built here hold one w:t; anything else is left whole
    text = texts[0].text or ""
    clone = copy.deepcopy(r)
    r.addnext(clone)
    for node, piece in ((texts[0], text[:offset]), (clone.find(W_T), text[offset:])):
        node.text = piece
        node.set(XML_SPACE, "preserve")
