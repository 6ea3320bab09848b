"""Import a Word document as (heading, Markdown) sections for a new draft."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from lxml import etree

from ..limits import MAX_IMPORT_CHARS, MAX_IMPORT_PARAGRAPHS
from .docx_builder import docx_archive_problem, open_docx
from .markdown_to_docx import R_NS, W_NS, W_P, W_R, W_T, W_VAL, clean_text, w

INTRO_HEADING = "Inledning"
_MONO_FONTS = frozenset(
    {
        "courier new",
        "courier",
        "consolas",
        "lucida console",
        "menlo",
        "monaco",
        "source code pro",
        "liberation mono",
        "dejavu sans mono",
        "cascadia code",
        "cascadia mono",
    }
)
_FALSE = frozenset({"0", "false", "off", "none"})
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_LIST_NAME = re.compile(r"^list\s+(bullet|number)(?:\s+([1-9]))?$", re.IGNORECASE)
_HYPERLINK_FIELD = re.compile(r'^\s*HYPERLINK\s+"([^"]+)"', re.IGNORECASE)
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)](?=\s|$))")
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")


class DocxImportError(ValueError):
    """The uploaded file cannot be imported; the message is Swedish and user-facing."""


@dataclass
class _Run:
    text: str
    bold: bool
    italic: bool
    code: bool
    link: str | None


def import_sections(data: bytes, *, subheading_level: int = 2) -> list[tuple[str, str]]:
    """Split a .docx into (heading, markdown) sections at its top-most heading level.

    Text before the first heading becomes a section called "Inledning". A heading one level
    below the section headings becomes "#" * subheading_level (default "##"); pass 1 for an
    exact round trip with build_final_docx, which renders "#" one level below the section.
    """
    problem = docx_archive_problem(data)
    if problem:
        raise DocxImportError(problem)
    ensure_importable_size(data)
    try:
        document = open_docx(data)
    except Exception:
        raise DocxImportError("Filen kunde inte läsas som ett Word-dokument.") from None
    reader = _Reader(document)
    blocks = list(_iter_blocks(document.element.body))
    levels = [
        reader.heading_level(el)
        for el in blocks
        if el.tag == W_P and _plain(reader.runs(el)).strip()
    ]
    top = min((lv for lv in levels if lv is not None), default=None)

    sections: list[tuple[str, str]] = []
    heading = INTRO_HEADING
    parts: list[tuple[str, str]] = []  # (kind, markdown); list items join without blank line
    list_level = -1

    def close() -> None:
        text = _join(parts)
        if text or heading != INTRO_HEADING:
            sections.append((heading, text))

    for el in blocks:
        if el.tag == w("tbl"):
            table = reader.table(el)
            if table:
                parts.append(("table", table))
            list_level = -1
            continue
        runs = reader.runs(el)
        level = reader.heading_level(el)
        if level is not None and _plain(runs).strip():
            text = re.sub(r"\s+", " ", _plain(runs)).strip()
            if level == top:
                close()
                heading, parts = text, []
            else:
                hashes = "#" * min(6, max(1, level - (top or 1) + subheading_level - 1))
                # "#" escaped: trailing ones would be read as closing the heading.
                escaped = _escape(text).replace("#", "\\#")
                parts.append(("heading", f"{hashes} {escaped}"))
            list_level = -1
            continue
        body = _inline_markdown(runs)
        if not body.strip():
            continue  # empty paragraphs (and empty bullets) only space things out in Word
        item = reader.list_item(el)
        if item is not None:
            item_level, ordered = item
            item_level = min(item_level, list_level + 1)  # Markdown cannot skip a level
            list_level = item_level
            marker = "1." if ordered else "-"
            # A list of the other kind at the same level needs a blank line to start anew.
            kind = f"li:{item_level}:{marker}"
            parts.append((kind, f"{'    ' * item_level}{marker} {body}"))
            continue
        list_level = -1
        parts.append(("p", body))
    close()
    return sections


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


def _join(parts: list[tuple[str, str]]) -> str:
    """Blocks separated by blank lines; items of one list by single newlines."""
    out: list[str] = []
    previous_level = -1
    markers: dict[int, str] = {}  # marker in use per level of the current list
    for kind, text in parts:
        if kind.startswith("li:"):
            _, raw_level, marker = kind.split(":")
            level = int(raw_level)
            same_list = previous_level >= 0 and (
                level > previous_level or markers.get(level) == marker
            )
            if out:
                out.append("\n" if same_list else "\n\n")
            if not same_list:
                markers = {}
            markers = {lv: m for lv, m in markers.items() if lv < level}
            markers[level] = marker
            previous_level = level
        else:
            if out:
                out.append("\n\n")
            markers, previous_level = {}, -1
        out.append(text)
    return "".join(out).strip("\n")


def _iter_blocks(container: Any) -> Iterator[Any]:
    """Paragraphs and tables in document order, looking inside content controls."""
    for child in container:
        if child.tag in (W_P, w("tbl")):
            yield child
        elif child.tag == w("sdt"):
            content = child.find(w("sdtContent"))
            if content is not None:
                yield from _iter_blocks(content)
        elif child.tag == w("customXml"):
            yield from _iter_blocks(child)


def _plain(runs: list[_Run]) -> str:
    return "".join(r.text for r in runs)


class _Reader:
    """Style, numbering and relationship lookups for one document."""

    def __init__(self, document: Any) -> None:
        part = document.part
        self.styles: dict[str, Any] = {}
        for el in part.styles.element.findall(w("style")):
            self.styles[el.get(w("styleId")) or ""] = el
        self.links: dict[str, str] = {
            rid: rel.target_ref for rid, rel in part.rels.items() if rel.is_external
        }
        self.formats: dict[tuple[str, int], str] = {}
        try:
            numbering = part.numbering_part.element
        except (NotImplementedError, KeyError):
            numbering = None
        if numbering is not None:
            abstract: dict[str, dict[int, str]] = {}
            for an in numbering.findall(w("abstractNum")):
                levels = {}
                for lvl in an.findall(w("lvl")):
                    fmt = lvl.find(w("numFmt"))
                    levels[_int(lvl.get(w("ilvl")), 0)] = (
                        fmt.get(W_VAL, "decimal") if fmt is not None else "decimal"
                    )
                abstract[an.get(w("abstractNumId"), "")] = levels
            for num in numbering.findall(w("num")):
                ref = num.find(w("abstractNumId"))
                levels = abstract.get(ref.get(W_VAL, "") if ref is not None else "", {})
                for ilvl, fmt in levels.items():
                    self.formats[(num.get(w("numId"), ""), ilvl)] = fmt

    # -- styles -----------------------------------------------------------------------------

    def _style_chain(self, style_id: str | None) -> Iterator[Any]:
        seen = set()
        while style_id and style_id not in seen and len(seen) < 20:
            seen.add(style_id)
            el = self.styles.get(style_id)
            if el is None:
                return
            yield el
            based = el.find(w("basedOn"))
            style_id = based.get(W_VAL) if based is not None else None

    @staticmethod
    def _name(style: Any) -> str:
        name = style.find(w("name"))
        return (name.get(W_VAL, "") if name is not None else "").strip()

    def _paragraph_style(self, p: Any) -> str | None:
        style = p.find(f"{w('pPr')}/{w('pStyle')}")
        return style.get(W_VAL) if style is not None else None

    def heading_level(self, p: Any) -> int | None:
        """1..9 for headings (by style name or outline level), None for body text."""
        direct = p.find(f"{w('pPr')}/{w('outlineLvl')}")
        if direct is not None:
            return _outline(direct)
        for style in self._style_chain(self._paragraph_style(p)):
            match = _HEADING_NAME.match(self._name(style))
            if match:
                return int(match.group(1))
            outline = style.find(f"{w('pPr')}/{w('outlineLvl')}")
            if outline is not None:
                return _outline(outline)
        return None

    def list_item(self, p: Any) -> tuple[int, bool] | None:
        """(level, ordered) if the paragraph is a list item."""
        style_id = self._paragraph_style(p)
        name_match = None
        for style in self._style_chain(style_id):
            name_match = _LIST_NAME.match(self._name(style))
            if name_match:
                break
        num_pr = p.find(f"{w('pPr')}/{w('numPr')}")
        num_id = ilvl = None
        if num_pr is not None:
            num_el, ilvl_el = num_pr.find(w("numId")), num_pr.find(w("ilvl"))
            num_id = num_el.get(W_VAL) if num_el is not None else None
            ilvl = _int(ilvl_el.get(W_VAL), 0) if ilvl_el is not None else None
            if num_id == "0":
                return None  # numbering explicitly switched off
        if num_id is None:
            for style in self._style_chain(style_id):
                style_num = style.find(f"{w('pPr')}/{w('numPr')}/{w('numId')}")
                if style_num is not None:
                    num_id = style_num.get(W_VAL)
                    break
        if num_id is None and name_match is None:
            return None
        if ilvl is None:
            ilvl = int(name_match.group(2)) - 1 if name_match and name_match.group(2) else 0
        fmt = self.formats.get((num_id or "", ilvl))
        if fmt is None:
            ordered = bool(name_match and name_match.group(1).lower() == "number")
        elif fmt == "none":
            return None
        else:
            ordered = fmt != "bullet"
        return max(0, min(ilvl, 8)), ordered

    def _char_style_flags(self, style_id: str | None) -> tuple[bool, bool]:
        bold = italic = False
        for style in self._style_chain(style_id):
            name = self._name(style).lower()
            bold = bold or name == "strong"
            italic = italic or name == "emphasis"
            rpr = style.find(w("rPr"))
            if rpr is not None:
                bold = bold or _on(rpr.find(w("b")))
                italic = italic or _on(rpr.find(w("i")))
        return bold, italic

    # -- runs -------------------------------------------------------------------------------

    def runs(self, p: Any) -> list[_Run]:
        """The visible runs of a paragraph with their formatting and link targets."""
        out: list[_Run] = []
        self._collect(p, out, None, [])
        return out

    def _collect(self, el: Any, out: list[_Run], link: str | None, fields: list[Any]) -> None:
        for child in el:
            tag = child.tag
            if tag == W_R:
                self._run(child, out, link, fields)
            elif tag == w("hyperlink"):
                target = self.links.get(child.get(f"{{{R_NS}}}id", ""))
                self._collect(child, out, target or link, fields)
            elif tag in (w("del"), w("moveFrom"), w("pPr")):
                continue  # deleted tracked changes are not part of the text
            elif isinstance(tag, str) and tag.startswith(f"{{{W_NS}}}"):
                self._collect(child, out, link, fields)  # ins, smartTag, sdt, fldSimple...

    def _run(self, r: Any, out: list[_Run], link: str | None, fields: list[Any]) -> None:
        rpr = r.find(w("rPr"))
        bold = italic = code = False
        if rpr is not None:
            if _on(rpr.find(w("vanish"))):
                return
            style = rpr.find(w("rStyle"))
            bold, italic = self._char_style_flags(style.get(W_VAL) if style is not None else None)
            b, i = rpr.find(w("b")), rpr.find(w("i"))
            bold = _on(b) if b is not None else bold
            italic = _on(i) if i is not None else italic
            fonts = rpr.find(w("rFonts"))
            if fonts is not None:
                code = (fonts.get(w("ascii")) or "").lower() in _MONO_FONTS
        text: list[str] = []
        for child in r:
            tag = child.tag
            if tag == w("fldChar"):
                kind = child.get(w("fldCharType"))
                if kind == "begin":
                    fields.append({"instr": "", "result": False})
                elif kind == "separate" and fields:
                    fields[-1]["result"] = True
                elif kind == "end" and fields:
                    fields.pop()
            elif tag == w("instrText") and fields:
                fields[-1]["instr"] += child.text or ""
            elif fields and not fields[-1]["result"]:
                continue  # inside a field's instructions
            elif tag == W_T:
                text.append(child.text or "")
            elif tag in (w("tab"), w("ptab")):
                text.append(" ")
            elif tag == w("br") and child.get(w("type"), "textWrapping") == "textWrapping":
                text.append("\n")
            elif tag == w("cr"):
                text.append("\n")
            elif tag == w("noBreakHyphen"):
                text.append("-")
        if text:
            field_link = None
            for field in fields:
                match = _HYPERLINK_FIELD.match(field["instr"])
                if match and field["result"]:
                    field_link = match.group(1)
            out.append(_Run(clean_text("".join(text)), bold, italic, code, link or field_link))

    # -- tables -----------------------------------------------------------------------------

    def table(self, tbl: Any) -> str:
        """A Markdown pipe table (first row as header); nested tables are flattened."""
        rows: list[list[str]] = []
        for row_index, tr in enumerate(tbl.findall(w("tr"))):
            cells: list[str] = []
            for tc in tr.findall(w("tc")):
                paragraphs = [
                    _inline_markdown(self.runs(p), header=row_index == 0) for p in tc.iter(W_P)
                ]
                text = "<br>".join(
                    x.replace("  \n", "<br>").replace("\n", "<br>") for x in paragraphs if x.strip()
                )
                text = text.replace("|", r"\|")
                merge = tc.find(f"{w('tcPr')}/{w('vMerge')}")
                if merge is not None and merge.get(W_VAL, "continue") == "continue":
                    text = ""  # continuation of a vertically merged cell
                cells.append(text)
                span = tc.find(f"{w('tcPr')}/{w('gridSpan')}")
                if span is not None:
                    cells.extend([""] * max(0, min(_int(span.get(W_VAL), 1), 63) - 1))
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


def _int(value: str | None, default: int) -> int:
    """Numbers from untrusted XML attributes."""
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _outline(el: Any) -> int | None:
    value = _int(el.get(W_VAL), 9)
    return value + 1 if 0 <= value <= 8 else None


def _on(el: Any) -> bool:
    return el is not None and el.get(W_VAL, "true").lower() not in _FALSE


# --------------------------------------------------------------------------------------------
# Markdown writing


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
            elif token == "=":
                pass  # '=' cannot be backslash-escaped; only matters under a text line
            else:
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


def _inline_markdown(runs: list[_Run], *, header: bool = False) -> str:
    """Markdown for a paragraph's runs: **bold**, *italic*, `code`, [text](url)."""
    merged: list[_Run] = []
    for run in runs:
        if not run.text:
            continue
        if header:  # a Markdown table header is bold anyway
            run = _Run(run.text, False, run.italic, run.code, run.link)
        last = merged[-1] if merged else None
        if last and (last.bold, last.italic, last.code, last.link) == (
            run.bold,
            run.italic,
            run.code,
            run.link,
        ):
            last.text += run.text
        else:
            merged.append(_Run(run.text, run.bold, run.italic, run.code, run.link))
    # Group consecutive runs of one link so its text keeps inner formatting.
    out: list[str] = []
    i = 0
    while i < len(merged):
        link = merged[i].link
        j = i
        while j < len(merged) and merged[j].link == link:
            j += 1
        inner = "".join(_format(run) for run in merged[i:j])
        if link and inner.strip():
            out.append(f"[{inner}]({_link_target(link)})")
        else:
            out.append(inner)
        i = j
    text = "".join(out)
    text = text.replace("\n", "  \n")  # hard line break
    return _escape_line_start(text).strip()


def _format(run: _Run) -> str:
    text = run.text
    if run.code and text.strip() and "\n" not in text:
        lead = text[: len(text) - len(text.lstrip())]
        trail = text[len(text.rstrip()) :]
        return f"{lead}{_code_span(text.strip())}{trail}"
    escaped = _escape(text)
    if not (run.bold or run.italic) or not text.strip():
        return escaped
    core = escaped.strip()
    lead = escaped[: len(escaped) - len(escaped.lstrip())]
    trail = escaped[len(escaped.rstrip()) :]
    marker = "***" if run.bold and run.italic else "**" if run.bold else "*"
    # Emphasis cannot span a hard line break: wrap each line on its own.
    wrapped = "\n".join(
        f"{marker}{line.strip()}{marker}" if line.strip() else line for line in core.split("\n")
    )
    return f"{lead}{wrapped}{trail}"
