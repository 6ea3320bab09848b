"""Read a municipality's Word letter into sections for a draft.

mammoth turns the .docx into semantic HTML (headings by style, lists from numbering, tables,
footnotes, accepted tracked changes, no comments); this module walks that HTML once into
blocks, writes each block as Markdown, and finds the letter's structure:

* front matter before the first section: letterhead tables, address block, reference lines
  ("Er referens", "Dnr", "Datum"), the letter's own title (Title style, a lone top-level
  heading, or a heading that reads "Yttrande över ...");
* the closing (greeting, signatory names and titles) after the last paragraph;
* the section level: the top-most heading level once the title is set aside.

`parse_docx` is a pure function (bytes -> ImportPreview) so that it can run in a job;
`ImportPreview.sections(...)` then applies the coordinator's choices.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

import mammoth
from flask_babel import gettext as _
from lxml import etree
from lxml import html as lxml_html

from ..limits import MAX_IMPORT_CHARS, MAX_IMPORT_PARAGRAPHS
from .docx_builder import docx_archive_problem
from .markdown_to_docx import W_P, W_T, clean_text

# Word's and LibreOffice's quote styles become block quotes; Title and Subtitle are marked.
STYLE_MAP = "\n".join(
    [
        "p[style-name='Title'] => p.doc-title:fresh",
        "p[style-name='Subtitle'] => p.doc-subtitle:fresh",
        "r[style-name='Code'] => code",
        *(
            f"p[style-name='{name}'] => blockquote > p:fresh"
            for name in ("Quote", "Quotations", "Intense Quote", "Block Text", "Citat")
        ),
    ]
)
QUOTE_INDENT_TWIPS = 500  # a plain paragraph indented this far (~0.9 cm) is a quotation
SHORT_LINE = 80  # front matter and closings are lines at most this long
_MONO_FONTS = frozenset(
    {
        "courier new", "courier", "consolas", "lucida console", "menlo", "monaco",
        "source code pro", "liberation mono", "dejavu sans mono", "cascadia code", "cascadia mono",
    }
)  # fmt: skip
_LIST_STYLE_RE = re.compile(r"^list (?:bullet|number) ([2-9])$", re.IGNORECASE)
_PLAIN_STYLES = frozenset({"normal", "standard", "body text", "text body", "default paragraph style"})
_TITLE_RE = re.compile(
    r"^(?:yttrande|remissvar|remissyttrande|svar på remiss(?:en)?|remiss)\b", re.IGNORECASE
)
# Labels of reference lines; "Er/Ert" is the remitting body's number, "Vår/Vårt" ours.
_THEIR_LABEL = r"(?:er|ert)\s+(?:referens|ref\.?|beteckning|dnr|diarienummer|diarienr)"
_OUR_LABEL = r"(?:vår|vårt)\s+(?:referens|ref\.?|beteckning|dnr|diarienummer|diarienr)"
_PLAIN_LABEL = r"(?:dnr|diarienummer|diarienr|diarie-?nr)"
_LABEL_RE = re.compile(
    rf"^\s*(?P<label>{_THEIR_LABEL}|{_OUR_LABEL}|{_PLAIN_LABEL}|datum|handläggare|"
    r"telefon|e-post|beslutsdatum|remissens datum)\b\.?\s*:?\s*(?P<value>.*)$",
    re.IGNORECASE,
)
# A Government Offices diarienummer: Fi2020/00647/K, I2024/00321, LI2023/03321.
_MINISTRY_DNR_RE = re.compile(r"\b[A-ZÅÄÖ][A-Za-zÅÄÖåäö]{0,3}\d{4}/\d{3,6}(?:/[A-ZÅÄÖ]{1,4})?\b")
_TITLE_DNR_RE = re.compile(r"\((?:dnr|diarienummer)\s+([^)]+)\)", re.IGNORECASE)
_DATE_RE = re.compile(r"\b(?:19|20)\d{2}-[01]\d-[0-3]\d\b")
_RECIPIENT_RE = re.compile(
    r"\w*departementet\b|regeringskansliet|\w+(?:verket|myndigheten|inspektionen)\b|länsstyrelsen",
    re.IGNORECASE,
)
_CLOSING_RE = re.compile(
    r"hälsning|ordförande|direktör|\bchef\b|kommun$|stad$|^region\b|sekreterare|handläggare"
    r"|kommunstyrelsen$|^för\s",
    re.IGNORECASE,
)
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)](?=\s|$))")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
_WS_RE = re.compile(r"\s+")
_FOOTNOTE_REF = re.compile(r"\[\^(fn\d+)\]")
_INLINE_TAGS = {"strong": "**", "b": "**", "em": "*", "i": "*"}


class DocxImportError(ValueError):
    """The uploaded file cannot be imported; the message is Swedish and user-facing."""


@dataclass(frozen=True)
class Block:
    """One top-level piece of the letter, as Markdown and as plain text."""

    kind: str  # "heading", "title", "subtitle", "p", "table", "list", "quote"
    markdown: str
    text: str
    level: int = 0  # heading level 1..6; 0 for everything else


@dataclass(frozen=True)
class Fields:
    """What the front matter says about the remiss and about us."""

    reference: str = ""  # the remitting body's diarienummer
    our_reference: str = ""
    date: str = ""
    recipient: str = ""
    title: str = ""


@dataclass(frozen=True)
class ImportedSection:
    heading: str  # "" for an opening paragraph without a heading
    body: str


@dataclass(frozen=True)
class ImportPreview:
    """A parsed letter: its blocks, and what the import proposes to do with them."""

    blocks: tuple[Block, ...]
    footnotes: dict[str, str] = field(default_factory=dict)  # "fn2" -> Markdown text
    split_level: int = 0  # headings at this level or above start sections; 0: no headings
    title: int | None = None  # index of the letter's own title, never a section
    front: tuple[int, ...] = ()  # indexes of blocks proposed to drop (front matter)
    closing: tuple[int, ...] = ()  # indexes of the closing proposed to drop
    fields: Fields = Fields()

    @property
    def levels(self) -> tuple[int, ...]:
        """Heading levels the coordinator can split at."""
        return tuple(sorted({b.level for b in self.blocks if b.kind == "heading"}))

    def with_split_level(self, level: int) -> ImportPreview:
        """The same letter split at another heading level (front matter found anew)."""
        if level not in self.levels:
            return self
        front, closing = _front_and_closing(self.blocks, level, self.title)
        return replace(self, split_level=level, front=front, closing=closing)

    def sections(self, keep: frozenset[int] = frozenset()) -> list[ImportedSection]:
        """Sections with the proposed front matter and closing dropped, except `keep`."""
        dropped = (set(self.front) | set(self.closing)) - set(keep)
        sections: list[ImportedSection] = []
        heading: str | None = None
        parts: list[str] = []

        def close() -> None:
            body = _with_footnotes("\n\n".join(parts), self.footnotes)
            if heading is not None or body:
                sections.append(ImportedSection(heading or "", body))

        for index, block in enumerate(self.blocks):
            if index in dropped:
                continue
            if block.kind == "heading" and block.level <= self.split_level and index != self.title:
                close()
                heading, parts = block.text, []
            elif block.kind == "heading":
                hashes = "#" * min(6, max(1, block.level - self.split_level))
                parts.append(f"{hashes} {block.markdown}")
            elif block.kind in ("title", "subtitle") or index == self.title:
                parts.append(f"**{block.markdown}**")  # kept front matter: shown as it was
            else:
                parts.append(block.markdown)
        close()
        return sections

    def to_data(self) -> dict[str, Any]:
        """Plain JSON-able data (for a form round trip or a job result)."""
        return {
            "blocks": [[b.kind, b.markdown, b.text, b.level] for b in self.blocks],
            "footnotes": self.footnotes,
            "split_level": self.split_level,
            "title": self.title,
            "front": list(self.front),
            "closing": list(self.closing),
            "fields": self.fields.__dict__,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ImportPreview:
        """Inverse of to_data; raises ValueError on data of another shape."""
        try:
            blocks = tuple(
                Block(str(k), str(m), str(t), int(lv)) for k, m, t, lv in data["blocks"]
            )
            return cls(
                blocks=blocks,
                footnotes={str(k): str(v) for k, v in dict(data["footnotes"]).items()},
                split_level=int(data["split_level"]),
                title=None if data["title"] is None else int(data["title"]),
                front=tuple(int(i) for i in data["front"]),
                closing=tuple(int(i) for i in data["closing"]),
                fields=Fields(**{k: str(v) for k, v in dict(data["fields"]).items()}),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError("not an import preview") from error


def parse_docx(data: bytes) -> ImportPreview:
    """Read a .docx into an ImportPreview; raises DocxImportError (Swedish) if it cannot."""
    problem = docx_archive_problem(data)
    if problem:
        raise DocxImportError(problem)
    ensure_importable_size(data)
    try:
        data = _without_hidden_text(data)
        result = mammoth.convert_to_html(
            io.BytesIO(data), style_map=STYLE_MAP, transform_document=_transform(data)
        )
        root = lxml_html.fragment_fromstring(
            result.value or "<p></p>", create_parent="div",
            parser=lxml_html.HTMLParser(huge_tree=True),
        )
    except Exception:
        raise DocxImportError("Filen kunde inte läsas som ett Word-dokument.") from None
    blocks, footnotes = _blocks(root)
    title = _title_index(blocks)
    level = _split_level(blocks, title)
    front, closing = _front_and_closing(blocks, level, title)
    return ImportPreview(
        blocks=blocks, footnotes=footnotes, split_level=level, title=title, front=front,
        closing=closing, fields=_fields(blocks, front),
    )


def ensure_importable_size(data: bytes) -> None:
    """Raise DocxImportError if the document has too many paragraphs or characters to import.

    One streaming pass over word/document.xml that stops at the first limit exceeded, before
    python-docx builds the whole tree; `data` must already have passed docx_archive_problem,
    which bounds the unpacked size.
    """
    paragraphs = chars = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open("word/document.xml") as xml:
            for _event, element in etree.iterparse(
                xml, events=("end",), tag=(W_P, W_T), resolve_entities=False, load_dtd=False,
                no_network=True, huge_tree=False,
            ):
                if element.tag == W_T:
                    chars += len(element.text or "")
                    if chars > MAX_IMPORT_CHARS:
                        raise DocxImportError(_(
                            "Word-filen har mer än %(max)d tecken text och är för stor för att läsas in "
                            "på en gång. Dela upp den och läs in en del i taget.", max=MAX_IMPORT_CHARS))
                    continue
                paragraphs += 1
                if paragraphs > MAX_IMPORT_PARAGRAPHS:
                    raise DocxImportError(_(
                        "Word-filen har fler än %(max)d stycken och är för stor för att läsas in på en "
                        "gång. Dela upp den och läs in en del i taget.", max=MAX_IMPORT_PARAGRAPHS))
                # Counted: free the paragraph and what came before it, so memory stays flat.
                element.clear(keep_tail=False)
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
    except (etree.XMLSyntaxError, zipfile.BadZipFile, zlib.error, OSError, EOFError, KeyError):
        raise DocxImportError(_("Filen kunde inte läsas som ett Word-dokument.")) from None


# --------------------------------------------------------------------------------------------
# What mammoth does not know: headings by custom styles, indented quotations, code fonts


def _heading_styles(data: bytes) -> dict[str, int]:
    """style id -> heading level for styles based on a heading or with an outline level."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            xml = archive.read("word/styles.xml")
    except (KeyError, zipfile.BadZipFile):
        return {}
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    parent: dict[str, str] = {}
    own: dict[str, int] = {}
    for style in root.iter(f"{w}style"):
        sid = style.get(f"{w}styleId") or ""
        name = style.find(f"{w}name")
        match = re.match(r"heading\s*([1-6])$", (name.get(f"{w}val") if name is not None else "") or "", re.I)
        outline = style.find(f"{w}pPr/{w}outlineLvl")
        if match:
            own[sid] = int(match.group(1))
        elif outline is not None and (outline.get(f"{w}val") or "").isdigit():
            value = int(outline.get(f"{w}val") or "9")
            if value < 6:
                own[sid] = value + 1
        based = style.find(f"{w}basedOn")
        if based is not None:
            parent[sid] = based.get(f"{w}val") or ""
    levels: dict[str, int] = {}
    for sid in parent.keys() | own.keys():
        seen, current = 0, sid
        while current and current not in own and seen < 20:
            current, seen = parent.get(current, ""), seen + 1
        if current in own:
            levels[sid] = own[current]
    return levels


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _without_hidden_text(data: bytes) -> bytes:
    """The file with hidden runs (w:vanish) removed: hidden text is not part of the letter."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("word/document.xml")
        if b"vanish" not in xml:
            return data
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
        root = etree.fromstring(xml, parser)
        for vanish in list(root.iter(f"{_W}vanish")):
            rpr = vanish.getparent()
            run = rpr.getparent() if rpr is not None else None
            value = vanish.get(f"{_W}val", "true").lower()
            if run is not None and run.tag == f"{_W}r" and value not in ("0", "false", "off"):
                run.getparent().remove(run)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy_:
            for info in archive.infolist():
                payload = etree.tostring(root) if info.filename == "word/document.xml" else archive.read(info)
                copy_.writestr(info.filename, payload)
    return out.getvalue()


def _transform(data: bytes) -> Any:
    heading_levels = _heading_styles(data)

    def paragraph(p: Any) -> Any:
        level = heading_levels.get(p.style_id or "")
        if level and not re.match(r"heading\s*\d", p.style_name or "", re.I):
            return p.copy(style_name=f"heading {level}")
        match = _LIST_STYLE_RE.match(p.style_name or "")
        if match and p.numbering is not None and str(p.numbering.level_index) == "0":
            # "List Bullet 2" is the second level even where its numbering says the first.
            level = str(int(match.group(1)) - 1)
            return p.copy(numbering=mammoth.documents.numbering_level(level, p.numbering.is_ordered))
        plain = (p.style_name or "normal").lower() in _PLAIN_STYLES
        indent = p.indent.start if p.indent is not None else None
        if plain and p.numbering is None and _twips(indent) >= QUOTE_INDENT_TWIPS:
            return p.copy(style_name="Quote")
        return p

    def run(r: Any) -> Any:
        if (r.font or "").lower() in _MONO_FONTS and not r.style_name:
            return r.copy(style_name="Code")
        return r

    def transform(document: Any) -> Any:
        return mammoth.transforms.run(run)(mammoth.transforms.paragraph(paragraph)(document))

    return transform


def _twips(value: str | None) -> int:
    try:
        return int(float(value)) if value else 0
    except ValueError:
        return 0


# --------------------------------------------------------------------------------------------
# HTML -> blocks of Markdown


def _blocks(root: Any) -> tuple[tuple[Block, ...], dict[str, str]]:
    footnotes: dict[str, str] = {}
    blocks: list[Block] = []
    for child in root:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag
        if tag == "ol" and all((li.get("id") or "").startswith("footnote-") for li in child):
            for li in child:
                for a in li.xpath(".//a[starts-with(@href, '#footnote-ref-')]"):
                    _drop(a)
                key = "fn" + (li.get("id") or "").removeprefix("footnote-")
                footnotes[key] = " ".join(_paragraphs(li)).strip()
            continue
        if not _WS_RE.sub("", child.text_content()):
            continue
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            text = _text(child, " ")
            blocks.append(Block("heading", _escape_heading(_inline(child)), text, int(tag[1])))
        elif tag == "p":
            kind = {"doc-title": "title", "doc-subtitle": "subtitle"}.get(child.get("class", ""), "p")
            markdown = _inline(child)
            if kind != "p":
                markdown = _escape_heading(markdown)
            blocks.append(Block(kind, markdown, _text(child, "\n" if kind == "p" else " ")))
        elif tag == "table":
            markdown = _table(child)
            blocks.append(Block("table", markdown, _cells_text(child)))
        elif tag in ("ul", "ol"):
            markdown = _list(child, 0)
            blocks.append(Block("list", markdown, _text(child, "\n")))
        elif tag == "blockquote":
            quote = "\n\n".join(_paragraphs(child))
            markdown = "\n".join(f"> {line}".rstrip() for line in quote.split("\n"))
            blocks.append(Block("quote", markdown, _text(child, "\n")))
        else:
            markdown = "\n\n".join(_paragraphs(child))
            blocks.append(Block("p", markdown, _text(child, "\n")))
    return tuple(blocks), footnotes


def _drop(element: Any) -> None:
    """Remove an element but keep its tail text."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _paragraphs(element: Any, active: frozenset[str] = frozenset()) -> list[str]:
    """Markdown of each paragraph inside a container (or the container itself)."""
    paragraphs = [p for p in element if isinstance(p.tag, str) and p.tag == "p"]
    if not paragraphs:
        return [_inline(element, active)]
    return [md for md in (_inline(p, active) for p in paragraphs) if md]


def _text(element: Any, separator: str) -> str:
    """Plain text of an element: lines (breaks, paragraphs, list items) joined by separator."""
    element = copy.deepcopy(element)
    for node in element.iter("br", "p", "li"):
        node.tail = "\n" + (node.tail or "")
        if node.tag != "br":
            node.text = "\n" + (node.text or "")
    lines = (_WS_RE.sub(" ", line).strip() for line in element.text_content().split("\n"))
    return separator.join(line for line in lines if line)


def _cells_text(table: Any) -> str:
    """Rows on lines, cells separated by " | ", lines inside a cell by " / "."""
    rows = []
    for tr in table.iter("tr"):
        cells = [_text(td, " / ") for td in tr if isinstance(td.tag, str)]
        rows.append(" | ".join(cells))
    return "\n".join(rows)


def _table(table: Any) -> str:
    """A pipe table, the first row as its header; merged cells repeat as empty cells."""
    rows: list[list[str]] = []
    spanned: dict[int, int] = {}  # column -> rows still covered by a cell merged from above
    for tr in table.iter("tr"):
        cells: list[str] = []
        tds = [td for td in tr if isinstance(td.tag, str) and td.tag in ("td", "th")]
        while tds or spanned.get(len(cells), 0) > 0:
            column = len(cells)
            if spanned.get(column, 0) > 0:
                spanned[column] -= 1
                cells.append("")
                continue
            td = tds.pop(0)
            header = frozenset({"**"}) if not rows else frozenset()
            text = "<br>".join(md.replace("\n", "<br>") for md in _paragraphs(td, header))
            cells.append(text.replace("|", "\\|").replace("  <br>", "<br>"))
            colspan, rowspan = _span(td.get("colspan")), _span(td.get("rowspan"))
            for offset in range(colspan):
                if rowspan > 1:
                    spanned[column + offset] = rowspan - 1
            cells.extend([""] * (colspan - 1))
        rows.append(cells)
    ncols = max((len(r) for r in rows), default=0)
    if not ncols:
        return ""
    lines = []
    for index, row in enumerate(rows):
        row = row + [""] * (ncols - len(row))
        lines.append("| " + " | ".join(cell or " " for cell in row) + " |")
        if index == 0:
            lines.append("|" + "|".join([" --- "] * ncols) + "|")
    return "\n".join(lines)


def _span(value: str | None) -> int:
    """colspan/rowspan from the HTML, bounded (Word allows 63 columns)."""
    try:
        return max(1, min(int(value or "1"), 63))
    except ValueError:
        return 1


def _list(element: Any, depth: int) -> str:
    marker = "1." if element.tag == "ol" else "-"
    lines: list[str] = []
    for li in element:
        if not isinstance(li.tag, str) or li.tag != "li":
            continue
        nested = [c for c in li if isinstance(c.tag, str) and c.tag in ("ul", "ol")]
        for sub in nested:
            li.remove(sub)  # tails of nested lists are whitespace in mammoth's HTML
        text = " ".join(_paragraphs(li)).replace("\n", "\n" + "    " * (depth + 1))
        if not text.strip() and nested:  # a skipped level: Markdown cannot skip one
            lines.extend(_list(sub, depth) for sub in nested)
            continue
        lines.append(f"{'    ' * depth}{marker} {text}".rstrip())
        lines.extend(_list(sub, depth + 1) for sub in nested)
    return "\n".join(line for line in lines if line)


def _inline(element: Any, active: frozenset[str] = frozenset()) -> str:
    """Markdown of an element's inline content: emphasis, code, links, footnotes, breaks.
    `active` emphasis markers are not repeated (a table's header row is bold anyway)."""
    out: list[str] = []
    _inline_into(element, out, set(active))
    text = "".join(out)
    text = re.sub(r"[ \t]*\n[ \t]*", "  \n", text.strip())  # hard line breaks
    text = _WS_RE.sub(lambda m: m.group() if "\n" in m.group() else " ", text)
    return _escape_line_start(text).strip()


def _inline_into(element: Any, out: list[str], active: set[str]) -> None:
    if element.text:
        out.append(_escape(clean_text(element.text)))
    for child in element:
        if isinstance(child.tag, str):
            _inline_child(child, out, active)
        if child.tail:
            out.append(_escape(clean_text(child.tail)))


def _inline_child(child: Any, out: list[str], active: set[str]) -> None:
    tag = child.tag
    if tag == "br":
        out.append("\n")
    elif tag == "sup" and child.find("a") is not None and (
        child.find("a").get("href") or ""
    ).startswith("#footnote-"):
        out.append(f"[^fn{child.find('a').get('href').removeprefix('#footnote-')}]")
    elif tag == "code":
        text = clean_text(child.text_content())
        core = text.strip()
        lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()) :]
        out.append(f"{lead}{_code_span(core)}{trail}" if core else text)
    elif tag in _INLINE_TAGS and _INLINE_TAGS[tag] not in active:
        inner: list[str] = []
        _inline_into(child, inner, active | {_INLINE_TAGS[tag]})
        out.append(_wrap("".join(inner), _INLINE_TAGS[tag]))
    elif tag in ("s", "del", "strike"):
        inner = []
        _inline_into(child, inner, active)
        out.append(f"<del>{''.join(inner)}</del>" if "".join(inner).strip() else "".join(inner))
    elif tag in ("sup", "sub"):
        inner = []
        _inline_into(child, inner, active)
        out.append(f"<{tag}>{''.join(inner)}</{tag}>")
    elif tag == "a" and child.get("href", "").startswith(("http://", "https://", "mailto:")):
        inner = []
        _inline_into(child, inner, active)
        label = "".join(inner).strip()
        target = child.get("href", "")
        out.append(f"[{label}]({_link_target(target)})" if label else "")
    elif tag == "img":
        out.append(_escape(child.get("alt", "")))
    else:
        _inline_into(child, out, active)


def _wrap(inner: str, marker: str) -> str:
    """Emphasis around the text, whitespace outside it (and never across a line break)."""
    lines = []
    for line in inner.split("\n"):
        core = line.strip()
        if not core:
            lines.append(line)
            continue
        lead = line[: len(line) - len(line.lstrip())]
        trail = line[len(line.rstrip()) :]
        lines.append(f"{lead}{marker}{core}{marker}{trail}")
    return "\n".join(lines)


def _escape_heading(text: str) -> str:
    """A heading's Markdown on one line; '#' escaped (a trailing one would close it)."""
    return _WS_RE.sub(" ", text.replace("  \n", " ")).replace("#", "\\#").strip()


def _escape(text: str) -> str:
    """Escape characters Markdown would read as syntax."""
    text = text.replace("\\", "\\\\").replace("`", "\\`").replace("*", "\\*")
    text = text.replace("[", "\\[").replace("]", "\\]")
    # "_" only matters at word edges (Python-Markdown ignores intra-word underscores).
    text = re.sub(r"(?<![0-9A-Za-zÀ-ÿ])_|_(?![0-9A-Za-zÀ-ÿ])", r"\\_", text)
    text = _ENTITY_LIKE.sub("&amp;", text)
    return _TAG_LIKE.sub("&lt;", text)


def _escape_line_start(text: str) -> str:
    """Keep a line from starting a heading, quote, list or rule."""
    lines = []
    for line in text.split("\n"):
        line = line.lstrip(" \t")  # four leading spaces would start a code block
        match = _LINE_START.match(line)
        if match:
            token = match.group(2)
            if token[0].isdigit():
                line = line[: match.start(2)] + token[:-1] + "\\" + token[-1] + line[match.end(2) :]
            elif token != "=":  # '=' cannot be backslash-escaped; only matters under a text line
                line = line[: match.start(2)] + "\\" + line[match.start(2) :]
        lines.append(line)
    return "\n".join(lines)


def _code_span(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _link_target(url: str) -> str:
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29").replace("<", "%3C")


def _with_footnotes(body: str, footnotes: dict[str, str]) -> str:
    """Number the section's footnote references 1, 2, ... and append their texts."""
    order: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in order:
            order[key] = len(order) + 1
        return f"[^{order[key]}]"

    body = _FOOTNOTE_REF.sub(number, body)
    if not order:
        return body
    notes = "\n".join(f"[^{n}]: {footnotes.get(key, '')}" for key, n in order.items())
    return f"{body}\n\n{notes}"


# --------------------------------------------------------------------------------------------
# The letter's structure


def _lines(block: Block) -> list[str]:
    return [line.strip() for line in re.split(r"\n| \| | / ", block.text) if line.strip()]


def _is_reference(line: str) -> bool:
    return bool(_LABEL_RE.match(line) or _DATE_RE.fullmatch(line.strip()))


def _short(block: Block) -> bool:
    """Address lines, letterheads, names: short lines that are not sentences."""
    if block.kind not in ("p", "table", "subtitle"):
        return False
    lines = _lines(block)
    return bool(lines) and all(
        len(line) <= SHORT_LINE and not line.endswith((".", "!", "?", ":")) or _is_reference(line)
        for line in lines
    )


def _title_index(blocks: tuple[Block, ...]) -> int | None:
    """The letter's own title: Title style, "Yttrande över ..." before any sentence, or a lone
    top-level heading above the others."""
    for index, block in enumerate(blocks):
        if block.kind == "title":
            return index
        if block.kind in ("heading", "p") and _TITLE_RE.match(block.text):
            if all(_short(b) for b in blocks[:index]):
                return index
        if block.kind not in ("table", "subtitle") and not _short(block):
            break
    levels = Counter(b.level for b in blocks if b.kind == "heading")
    if len(levels) > 1 and levels[min(levels)] == 1:
        index = next(i for i, b in enumerate(blocks) if b.kind == "heading" and b.level == min(levels))
        if all(_short(b) for b in blocks[:index]):
            return index
    return None


def _split_level(blocks: tuple[Block, ...], title: int | None) -> int:
    """The top-most heading level once the title is set aside; 0 without headings."""
    return min((b.level for i, b in enumerate(blocks) if b.kind == "heading" and i != title), default=0)


def _front_and_closing(
    blocks: tuple[Block, ...], level: int, title: int | None
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Indexes of the front matter and of the closing, for sections at heading `level`."""
    first = next(
        (i for i, b in enumerate(blocks) if b.kind == "heading" and b.level <= level and i != title),
        len(blocks),
    )
    end = title + 1 if title is not None and title < first else 0
    front = list(range(end))
    # After the title (or from the top): reference lines, subtitle, short lines; but never
    # the whole text, which would leave nothing to import.
    start = end
    while end < first and _short(blocks[end]):
        end += 1
    if end < len(blocks) or first < len(blocks):
        front.extend(range(start, end))
    else:
        end = start
    closing: list[int] = []
    last = len(blocks) - 1
    floor = first if first < len(blocks) else end  # the closing follows some body text
    while last > floor and blocks[last].kind == "p" and _short(blocks[last]):
        closing.append(last)
        last -= 1
    if not any(_CLOSING_RE.search(line) for k in closing for line in _lines(blocks[k])):
        closing = []
    return tuple(front), tuple(sorted(closing))


def _fields(blocks: tuple[Block, ...], front: tuple[int, ...]) -> Fields:
    reference = our = day = recipient = title = ""
    for index in front:
        block = blocks[index]
        if block.kind in ("title", "heading") or _TITLE_RE.match(block.text):
            title = title or block.text
            match = _TITLE_DNR_RE.search(block.text) or _MINISTRY_DNR_RE.search(block.text)
            if match and not reference:
                reference = match.group(1) if match.re is _TITLE_DNR_RE else match.group()
            continue
        for label, value in _labelled(block):
            label = label.lower()
            if label.startswith(("er", "ert")) and value and not reference:
                reference = value
            elif label.startswith(("vår", "vårt")) and value and not our:
                our = value
            elif label in ("dnr", "diarienummer", "diarienr", "diarie-nr", "diarienr.") and value:
                if _MINISTRY_DNR_RE.fullmatch(value) and not reference:
                    reference = value
                elif not our:
                    our = value
            elif label == "datum" and _DATE_RE.search(value) and not day:
                day = _DATE_RE.search(value).group()  # type: ignore[union-attr]
        for line in _lines(block):
            if not day and _DATE_RE.fullmatch(line):
                day = line
            if not recipient and _RECIPIENT_RE.search(line) and not _LABEL_RE.match(line):
                recipient = line
    return Fields(reference=reference, our_reference=our, date=day, recipient=recipient, title=title)


def _labelled(block: Block) -> list[tuple[str, str]]:
    """(label, value) pairs: "Dnr: X" lines, label/value cell pairs, label row over value row."""
    pairs: list[tuple[str, str]] = []
    if block.kind == "table":
        rows = [[c.strip() for c in row.split(" | ")] for row in block.text.split("\n")]
        for row in rows:
            for cell in row:
                pairs.extend(_line_pairs(cell.replace(" / ", "\n")))
            if len(row) == 2 and _LABEL_RE.match(row[0]) and not _LABEL_RE.match(row[0]).group("value"):
                pairs.append((_LABEL_RE.match(row[0]).group("label"), row[1]))  # type: ignore[union-attr]
        for above, below in zip(rows, rows[1:], strict=False):
            if any(_LABEL_RE.match(cell) for cell in below):
                continue  # a row of its own labels: not the values of the row above
            for label, value in zip(above, below, strict=False):
                match = _LABEL_RE.match(label)
                if match and not match.group("value"):
                    pairs.append((match.group("label"), value))
        return pairs
    for line in block.text.split("\n"):
        pairs.extend(_line_pairs(line))
    return pairs


def _line_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for line in re.split(r"\n", text):
        match = _LABEL_RE.match(line)
        if match and match.group("value").strip():
            pairs.append((_WS_RE.sub(" ", match.group("label")), match.group("value").strip()))
    return pairs
