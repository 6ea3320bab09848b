"""Write the sanitized HTML that the page shows into a python-docx document.

There is one Markdown pipeline: drafting.rendering renders (and bounds, and sanitizes) a text
once when it is saved, the page shows that HTML, and the Word document is built from the same
HTML, so what officials approved on screen is what the document says.  Footnotes of the page
("footnotes" extension) become Word footnotes.

The HTML is parsed into a small Node tree and walked to produce WordprocessingML. The XML of a
whole block of content is built as strings, parsed once and appended at the end of its parent:
python-docx's ``add_paragraph`` searches for the body's ``w:sectPr`` on every call (quadratic on
big documents) and creating elements one by one is several times slower. Whoever writes into a
body moves its ``w:sectPr`` back to the end afterwards.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part, XmlPart
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.parts.numbering import NumberingPart
from docx.shared import Pt
from lxml import etree

from ..rendering import MarkdownRejected, render_markdown

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def w(tag: str) -> str:
    """Clark name of a WordprocessingML element or attribute."""
    return f"{{{W_NS}}}{tag}"


W_P, W_R, W_T, W_PPR, W_RPR = w("p"), w("r"), w("t"), w("pPr"), w("rPr")
W_VAL = w("val")

MONO_FONT = "Courier New"
HYPERLINK_COLOR = "0563C1"
LINK_SCHEMES = frozenset({"http", "https", "mailto"})
MAX_LIST_LEVEL = 8  # Word supports ilvl 0..8
MAX_TREE_DEPTH = 80  # deeper HTML is flattened to text instead of recursing
LIST_INDENT = 567  # twips per list level (1 cm)
LIST_HANGING = 340
TABLE_WIDTH = 9070  # twips: 16 cm, A4 with 2.5 cm margins
# Word and LibreOffice lay out one huge paragraph in quadratic time (1 MB: ~90 s in
# LibreOffice); longer paragraphs are split into several at a space.
MAX_PARAGRAPH_CHARS = 20_000

# XML 1.0 cannot hold C0 controls (except tab, LF, CR), U+FFFE/U+FFFF or lone surrogates.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_TAB_OR_BREAK = re.compile(r"([\t\n])")

BOLD, ITALIC, CODE, STRIKE, UNDERLINE, SUPER, SUB, FOOTNOTE = 1, 2, 4, 8, 16, 32, 64, 128

_INLINE_FLAGS = {
    "strong": BOLD,
    "b": BOLD,
    "em": ITALIC,
    "i": ITALIC,
    "cite": ITALIC,
    "var": ITALIC,
    "dfn": ITALIC,
    "code": CODE,
    "kbd": CODE,
    "samp": CODE,
    "tt": CODE,
    "del": STRIKE,
    "s": STRIKE,
    "strike": STRIKE,
    "u": UNDERLINE,
    "ins": UNDERLINE,
    "sup": SUPER,
    "sub": SUB,
}
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
# Raw-HTML wrappers whose children are walked as blocks (their text is kept, the tag ignored).
_CONTAINERS = frozenset(
    {
        "div",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "main",
        "figure",
        "figcaption",
        "details",
        "summary",
        "address",
        "fieldset",
        "form",
        "dl",
        "dd",
        "dt",
        "center",
        "body",
        "html",
        "li",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "td",
        "th",
        "caption",
        "colgroup",
        "noscript",
        "object",
        "iframe",
        "template",
    }
)
_BLOCKS = frozenset({"p", "ul", "ol", "table", "blockquote", "pre", "hr"}) | _HEADINGS.keys()
_VOID = frozenset(
    {
        "br",
        "img",
        "hr",
        "input",
        "meta",
        "link",
        "base",
        "area",
        "col",
        "embed",
        "param",
        "source",
        "track",
        "wbr",
    }
)


def clean_text(text: str) -> str:
    """Remove the characters XML 1.0 (and so Word) cannot hold; everything else is kept."""
    return _XML_INVALID.sub("", text) if text else ""


# --------------------------------------------------------------------------------------------
# HTML -> small tree (stdlib parser: it never restructures or drops text the way libxml2's
# HTML parser does with stray </body>, <plaintext> and the like)


class Node:
    """An HTML element: tag, attributes and children (Nodes or text strings)."""

    __slots__ = ("tag", "attrs", "children")

    def __init__(self, tag: str, attrs: dict[str, str] | None = None) -> None:
        self.tag = tag
        self.attrs = attrs or {}
        self.children: list[Node | str] = []


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: clean_text(v or "") for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        # Close the nearest open element with this tag; a stray end tag is ignored. Only the
        # innermost 100 are searched so thousands of unclosed tags cannot go quadratic.
        for i in range(len(self.stack) - 1, max(0, len(self.stack) - 101), -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(clean_text(data))

    def unknown_decl(self, data: str) -> None:
        if data.startswith("CDATA["):
            self.stack[-1].children.append(data[6:])


def parse_html(html: str) -> Node:
    """Parse an HTML fragment into a Node tree; never raises on malformed markup."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    return builder.root


def node_text(node: Node | str) -> str:
    """All text below a node, without recursion (the tree may be arbitrarily deep)."""
    out: list[str] = []
    stack: list[Node | str] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif item.tag == "img":
            out.append(item.attrs.get("alt", ""))
        else:
            stack.extend(reversed(item.children))
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Styles and numbering


class StyleMap:
    """Look up style ids by (case-insensitive) style name; create missing heading styles."""

    def __init__(self, doc_part: Any) -> None:
        self._doc_part = doc_part
        self._ids: dict[tuple[str, int], str] = {}
        for el in doc_part.styles.element.findall(w("style")):
            name_el = el.find(w("name"))
            name = (name_el.get(W_VAL) if name_el is not None else el.get(w("styleId"))) or ""
            kind = {"paragraph": 1, "character": 2, "table": 3}.get(el.get(w("type"), ""), 4)
            self._ids.setdefault((name.lower(), kind), el.get(w("styleId")) or "")

    def paragraph(self, name: str) -> str | None:
        """Style id of a paragraph style, or None if the document lacks it."""
        return self._ids.get((name.lower(), 1))

    def character(self, name: str) -> str | None:
        """Style id of a character style, or None."""
        return self._ids.get((name.lower(), 2))

    def table(self, name: str) -> str | None:
        """Style id of a table style, or None."""
        return self._ids.get((name.lower(), 3))

    def first_paragraph(self, *names: str) -> str | None:
        """Id of the first existing paragraph style among names."""
        for name in names:
            style_id = self.paragraph(name)
            if style_id:
                return style_id
        return None

    def footnote_text(self) -> str:
        """Id of the "footnote text" paragraph style, created (9 pt) if missing."""
        style_id = self.paragraph("footnote text")
        if style_id:
            return style_id
        styles = self._doc_part.styles
        style = styles.add_style("Footnote Text", WD_STYLE_TYPE.PARAGRAPH)
        try:
            style.base_style = styles["Normal"]
        except KeyError:
            pass
        style.font.size = Pt(9)
        style.paragraph_format.space_after = Pt(0)
        self._ids[("footnote text", 1)] = style.style_id
        return style.style_id

    def footnote_reference(self) -> str:
        """Id of the "footnote reference" character style, created (superscript) if missing."""
        style_id = self.character("footnote reference")
        if style_id:
            return style_id
        style = self._doc_part.styles.add_style("Footnote Reference", WD_STYLE_TYPE.CHARACTER)
        style.font.superscript = True
        self._ids[("footnote reference", 2)] = style.style_id
        return style.style_id

    def heading(self, level: int) -> str:
        """Id of "Heading N" (or "Title" for 0), creating a plain one if the template lacks it."""
        name = "Title" if level == 0 else f"Heading {level}"
        style_id = self.paragraph(name)
        if style_id:
            return style_id
        styles = self._doc_part.styles
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        try:
            style.base_style = styles["Normal"]
        except KeyError:
            pass
        style.font.bold = True
        style.font.size = Pt(max(11, 20 - 2 * level))
        style.paragraph_format.keep_with_next = True
        style.paragraph_format.space_before = Pt(12 if level <= 2 else 6)
        if level:
            ppr = style.element.get_or_add_pPr()
            outline = ppr.makeelement(w("outlineLvl"), {W_VAL: str(level - 1)})
            ppr.append(outline)
        self._ids[(name.lower(), 1)] = style.style_id
        return style.style_id


class Numbering:
    """Creates the list definitions (w:abstractNum/w:num) the rendered lists point at."""

    def __init__(self, doc_part: Any) -> None:
        try:
            self.root = doc_part.numbering_part.element
        except NotImplementedError:  # python-docx cannot create the part itself
            package = doc_part.package
            element = parse_xml(f"<w:numbering {nsdecls('w')}/>")
            part = NumberingPart(
                package.next_partname("/word/numbering%d.xml"), CT.WML_NUMBERING, element, package
            )
            doc_part.relate_to(part, RT.NUMBERING)
            self.root = element
        # Ids from a template are untrusted: ignore anything that is not a number.
        abstract_ids = [
            int(x) for x in self.root.xpath("./w:abstractNum/@w:abstractNumId") if x.isdigit()
        ]
        num_ids = [int(x) for x in self.root.xpath("./w:num/@w:numId") if x.isdigit()]
        self._next_abstract = max(abstract_ids, default=-1) + 1
        self._next_num = max(num_ids, default=0) + 1
        self._bullet_num: int | None = None
        self._ordered_abstract: int | None = None

    def _add_abstract(self, ordered: bool) -> int:
        abstract_id = self._next_abstract
        self._next_abstract += 1
        el = etree.SubElement(self.root, w("abstractNum"), {w("abstractNumId"): str(abstract_id)})
        etree.SubElement(el, w("multiLevelType"), {W_VAL: "hybridMultilevel"})
        for level in range(MAX_LIST_LEVEL + 1):
            lvl = etree.SubElement(el, w("lvl"), {w("ilvl"): str(level)})
            etree.SubElement(lvl, w("start"), {W_VAL: "1"})
            if ordered:
                fmt, text = [("decimal", "%{}."), ("lowerLetter", "%{})"), ("lowerRoman", "%{}.")][
                    level % 3
                ]
                text = text.format(level + 1)
            else:
                fmt, text = "bullet", ["\u2022", "\u25e6", "\u25aa"][level % 3]
            etree.SubElement(lvl, w("numFmt"), {W_VAL: fmt})
            etree.SubElement(lvl, w("lvlText"), {W_VAL: text})
            etree.SubElement(lvl, w("lvlJc"), {W_VAL: "left"})
            ppr = etree.SubElement(lvl, W_PPR)
            etree.SubElement(
                ppr,
                w("ind"),
                {w("left"): str(LIST_INDENT * (level + 1)), w("hanging"): str(LIST_HANGING)},
            )
        # Schema order: every w:abstractNum precedes every w:num.
        following = self.root.find(w("num"))
        if following is None:
            following = self.root.find(w("numIdMacAtCleanup"))
        if following is not None:
            following.addprevious(el)
        return abstract_id

    def _add_num(self, abstract_id: int, restart_level: int | None, start: int) -> int:
        num_id = self._next_num
        self._next_num += 1
        el = etree.SubElement(self.root, w("num"), {w("numId"): str(num_id)})
        etree.SubElement(el, w("abstractNumId"), {W_VAL: str(abstract_id)})
        if restart_level is not None:
            override = etree.SubElement(el, w("lvlOverride"), {w("ilvl"): str(restart_level)})
            etree.SubElement(override, w("startOverride"), {W_VAL: str(start)})
        cleanup = self.root.find(w("numIdMacAtCleanup"))
        if cleanup is not None:
            cleanup.addprevious(el)
        return num_id

    def bullet(self) -> int:
        """numId shared by all bullet lists (bullets have no counter to restart)."""
        if self._bullet_num is None:
            self._bullet_num = self._add_num(self._add_abstract(ordered=False), None, 1)
        return self._bullet_num

    def ordered(self, level: int, start: int = 1) -> int:
        """A fresh numId for one ordered list, restarting its level at `start`."""
        if self._ordered_abstract is None:
            self._ordered_abstract = self._add_abstract(ordered=True)
        return self._add_num(self._ordered_abstract, level, start)


# --------------------------------------------------------------------------------------------
# Footnotes: the page's <div class="footnote"> notes become Word footnotes

_SEPARATOR_NOTES = "".join(
    f'<w:footnote w:type="{kind}" w:id="{number}"><w:p><w:pPr><w:spacing w:after="0"'
    f' w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:{kind}/></w:r></w:p></w:footnote>'
    for kind, number in (("separator", -1), ("continuationSeparator", 0))
)


def _take_footnotes(tree: Node) -> dict[str, Node]:
    """Remove the footnotes block from a rendered tree: note id -> its list item."""
    notes: dict[str, Node] = {}
    for child in list(tree.children):
        if isinstance(child, Node) and child.tag == "div" and child.attrs.get("class") == "footnote":
            tree.children.remove(child)
            for ol in child.children:
                if isinstance(ol, Node) and ol.tag == "ol":
                    for li in ol.children:
                        if isinstance(li, Node) and li.tag == "li" and li.attrs.get("id"):
                            _drop_backlinks(li)
                            notes[li.attrs["id"]] = li
    return notes


def _drop_backlinks(node: Node) -> None:
    """The "↩" link back to the reference (and the no-break space before it) is not text."""
    stack = [node]
    while stack:
        current = stack.pop()
        kept: list[Node | str] = []
        for child in current.children:
            if isinstance(child, Node) and child.attrs.get("class") == "footnote-backref":
                if kept and isinstance(kept[-1], str):
                    kept[-1] = kept[-1].rstrip("\xa0 ")
                continue
            kept.append(child)
            if isinstance(child, Node):
                stack.append(child)
        current.children = kept


def _footnote_target(node: Node) -> str | None:
    """The note id a footnote reference (<sup><a class="footnote-ref" href="#id">) points to."""
    if node.tag != "sup":
        return None
    for child in node.children:
        if isinstance(child, Node) and child.tag == "a" and child.attrs.get("class") == "footnote-ref":
            return child.attrs.get("href", "").lstrip("#") or None
    return None


class Footnotes:
    """The document's footnotes part (created with Word's two separator notes if missing)."""

    def __init__(self, doc_part: Any, styles: StyleMap) -> None:
        try:
            part = doc_part.part_related_by(RT.FOOTNOTES)
        except KeyError:
            element = parse_xml(f"<w:footnotes {_NS_DECLS}>{_SEPARATOR_NOTES}</w:footnotes>")
            part = XmlPart(
                PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, element, doc_part.package
            )
            doc_part.relate_to(part, RT.FOOTNOTES)
        self.part: Part = part
        if isinstance(part, XmlPart):
            self.element = part.element
        else:  # python-docx keeps parts it does not model as bytes
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            self.element = etree.fromstring(part.blob, parser)
        ids = [int(x) for x in self.element.xpath("./w:footnote/@w:id", namespaces={"w": W_NS})
               if x.lstrip("-").isdigit()]  # fmt: skip
        self._next = max([0, *ids]) + 1
        self.text_style = styles.footnote_text()
        self.reference_style = styles.footnote_reference()

    def reference_rpr(self) -> str:
        """Run properties of a footnote mark: the reference style, or plain superscript."""
        if self.reference_style:
            return f'<w:rPr><w:rStyle w:val="{xml_attr(self.reference_style)}"/></w:rPr>'
        return '<w:rPr><w:vertAlign w:val="superscript"/></w:rPr>'

    def add(self, pieces: list[str]) -> int:
        """Add a footnote made of block XML strings; returns its id."""
        number = self._next
        self._next += 1
        content = "".join(pieces) or "<w:p/>"
        note = parse_xml(f'<w:footnote {_NS_DECLS} w:id="{number}">{content}</w:footnote>')
        first = note.find(W_P)
        if first is not None:
            mark = parse_xml(
                f"<w:r {_NS_DECLS}>{self.reference_rpr()}<w:footnoteRef/></w:r>"
            )
            space = parse_xml(f'<w:r {_NS_DECLS}><w:t xml:space="preserve"> </w:t></w:r>')
            ppr = first.find(W_PPR)
            at = 0 if ppr is None else 1
            first.insert(at, mark)
            first.insert(at + 1, space)
        self.element.append(note)
        if not isinstance(self.part, XmlPart):
            self.part._blob = etree.tostring(  # type: ignore[attr-defined]
                self.element, xml_declaration=True, encoding="UTF-8", standalone=True
            )
        return number


# --------------------------------------------------------------------------------------------
# Writing direction: Word lays a paragraph out right to left only when it says so (w:bidi), and
# treats the digits, spaces and punctuation of a run as right-to-left only in a w:rtl run.

# Every strong right-to-left character (Unicode bidi classes R and AL) is in these blocks or is
# U+200F RIGHT-TO-LEFT MARK: text without any of them needs no per-character look-up.
_MAYBE_RTL = re.compile(
    "[\u0590-\u08ff\u200f\ufb1d-\ufdff\ufe70-\ufefe\U00010800-\U00010fff\U0001e800-\U0001efff]"
)
_RTL_CLASSES = frozenset({"R", "AL"})


def _strong_direction(char: str) -> bool | None:
    """True for a strong right-to-left character, False for strong left-to-right, else None."""
    bidi_class = unicodedata.bidirectional(char)
    if bidi_class in _RTL_CLASSES:
        return True
    return False if bidi_class == "L" else None


def is_rtl(text: str) -> bool:
    """True if the first strong character of `text` is right-to-left (the Unicode rule P2)."""
    if not _MAYBE_RTL.search(text):
        return False
    for char in text:
        direction = _strong_direction(char)
        if direction is not None:
            return direction
    return False


def _direction_pieces(texts: list[str], rtl_paragraph: bool) -> list[list[tuple[str, bool]]]:
    """Each text cut into (piece, is_rtl) of one direction, read as one paragraph.

    Neutral and weak characters (spaces, punctuation, digits, emoji) between two strong ones of
    the same direction take that direction, otherwise the paragraph's (Unicode rules N1, N2).
    """
    joined = "".join(texts)
    if not rtl_paragraph and not _MAYBE_RTL.search(joined):
        return [[(text, False)] for text in texts]
    strong = [_strong_direction(char) for char in joined]
    resolved: list[bool] = []
    previous = rtl_paragraph
    i = 0
    while i < len(strong):
        direction = strong[i]
        if direction is not None:
            resolved.append(direction)
            previous = direction
            i += 1
            continue
        j = i
        while j < len(strong) and strong[j] is None:
            j += 1
        following = strong[j] if j < len(strong) else rtl_paragraph
        fill = previous if previous == following else rtl_paragraph
        resolved.extend([bool(fill)] * (j - i))
        i = j
    out: list[list[tuple[str, bool]]] = []
    start = 0
    for text in texts:
        pieces: list[tuple[str, bool]] = []
        begin = start
        for k in range(start + 1, start + len(text) + 1):
            if k == start + len(text) or resolved[k] != resolved[begin]:
                pieces.append((joined[begin:k], resolved[begin]))
                begin = k
        out.append(pieces)
        start += len(text)
    return out


def mark_direction(p: Any) -> None:
    """Mark an existing w:p (built by python-docx) right to left where its text is."""
    runs = [r for r in p.iter(W_R) if any(t.text for t in r.iter(W_T))]
    texts = ["".join(t.text or "" for t in r.iter(W_T)) for r in runs]
    if not _MAYBE_RTL.search("".join(texts)):
        return
    if is_rtl("".join(texts)):
        ppr = p.get_or_add_pPr()
        if ppr.find(w("bidi")) is None:
            ppr.insert_element_before(etree.Element(w("bidi")), *_PPR_AFTER_BIDI)
    for r, text in zip(runs, texts, strict=True):
        if is_rtl(text):
            r.get_or_add_rPr().get_or_add_rtl()


_PPR_AFTER_BIDI = (
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)


# --------------------------------------------------------------------------------------------
# The writer: builds WordprocessingML as strings and parses each block once, which is several
# times faster than creating every element through lxml/python-docx one by one.


Segment = tuple[str, int, str | None]  # text, format flags, hyperlink URL

_NS_DECLS = f'xmlns:w="{W_NS}" xmlns:r="{R_NS}"'
MAX_TABLE_NESTING = 3  # raw-HTML tables inside tables beyond this are flattened to text


def xml_text(text: str) -> str:
    """Escape text for element content."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def xml_attr(text: str) -> str:
    """Escape text for a double-quoted attribute value."""
    return xml_text(text).replace('"', "&quot;")


class _Item:
    """State of one list item: its first paragraph carries the bullet/number."""

    __slots__ = ("num_id", "level", "ordered", "used")

    def __init__(self, num_id: int, level: int, ordered: bool) -> None:
        self.num_id, self.level, self.ordered, self.used = num_id, level, ordered, False


class _Ctx:
    __slots__ = (
        "out", "part", "item", "level", "quote", "flags", "align", "offset", "tables", "footnote"
    )  # fmt: skip

    def __init__(self, out: list[str], part: Any, offset: int) -> None:
        self.out = out  # XML strings of the blocks written so far
        self.part = part
        self.item: _Item | None = None
        self.level = -1  # list nesting level, -1 outside lists
        self.quote = 0
        self.flags = 0  # formatting inherited by every run (e.g. bold table headers)
        self.align: str | None = None
        self.offset = offset
        self.tables = 0  # table nesting depth
        self.footnote = False  # writing the text of a footnote

    def derive(self, **changes: Any) -> _Ctx:
        new = _Ctx.__new__(_Ctx)
        for slot in _Ctx.__slots__:
            setattr(new, slot, changes.get(slot, getattr(self, slot)))
        return new


def safe_url(href: str) -> str | None:
    """Normalise a link target for a Word relationship; None for schemes we do not link."""
    href = clean_text(href).strip()
    if not href:
        return None
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    if scheme not in LINK_SCHEMES:
        return None  # javascript:, file: (NTLM leaks), relative paths... stay plain text
    # Word refuses relationship targets that are not valid URIs (spaces, raw non-ASCII, a
    # stray "%"); existing %XX escapes are kept as they are.
    href = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", href)
    return quote(href, safe="%:/?#[]@!$&'()*+,;=~-._")


class DocxWriter:
    """Appends paragraphs, runs, lists and tables built from Markdown to a python-docx document."""

    def __init__(self, document: Any) -> None:
        self.document = document
        self.doc_part = document.part
        self.styles = StyleMap(self.doc_part)
        self._numbering: Numbering | None = None
        self._footnotes: Footnotes | None = None
        self._notes: dict[str, Node] = {}  # footnote id on the page -> its list item
        self._rels: dict[tuple[int, str], str] = {}
        self._rpr: dict[tuple[int, bool, bool], str] = {}
        self._hyperlink_style = self.styles.character("Hyperlink")

    @property
    def numbering(self) -> Numbering:
        """The numbering definitions, created on first use."""
        if self._numbering is None:
            self._numbering = Numbering(self.doc_part)
        return self._numbering

    # -- public entry points ------------------------------------------------------------------

    def markdown(
        self, parent: Any, text: str, *, heading_offset: int = 1, part: Any = None
    ) -> list[Any]:
        """Append Markdown to the oxml element `parent`, rendered as the page renders it."""
        try:
            html = render_markdown(text or "")
        except MarkdownRejected:  # never stored (refused at save), but the text must export
            html = "".join(
                f"<p>{xml_text(block)}</p>" for block in re.split(r"\n\s*\n", text) if block.strip()
            )
        return self.html(parent, html, heading_offset=heading_offset, part=part)

    def html(
        self, parent: Any, html: str, *, heading_offset: int = 1, part: Any = None
    ) -> list[Any]:
        """Append sanitized HTML (as drafting.rendering makes it) to `parent`; returns the new
        elements.  Its footnotes become Word footnotes."""
        tree = parse_html(html or "")
        self._notes = _take_footnotes(tree)
        out: list[str] = []
        self.blocks(tree, _Ctx(out, part or self.doc_part, heading_offset), 0)
        return self.append_xml(parent, out)

    @property
    def footnotes(self) -> Footnotes:
        """The document's footnotes part, created on first use."""
        if self._footnotes is None:
            self._footnotes = Footnotes(self.doc_part, self.styles)
        return self._footnotes

    def _footnote(self, note_id: str, ctx: _Ctx, depth: int) -> int | None:
        """Write the page's footnote `note_id` into the footnotes part; its Word id."""
        node = self._notes.pop(note_id, None)
        if node is None:
            return None
        notes = self.footnotes
        out: list[str] = []
        note_ctx = ctx.derive(out=out, part=notes.part, item=None, level=-1, quote=0, flags=0,
                              align=None, tables=0, footnote=True)
        self.blocks(node, note_ctx, depth + 1)
        return notes.add(out)

    @staticmethod
    def append_xml(parent: Any, pieces: list[str]) -> list[Any]:
        """Parse block-level XML strings (w:p, w:tbl) and append them to `parent`."""
        if not pieces:
            return []
        wrapper = parse_xml(f"<w:wrap {_NS_DECLS}>{''.join(pieces)}</w:wrap>")
        children = list(wrapper)
        parent.extend(children)
        return children

    def paragraph(
        self,
        parent: Any,
        text: str | Iterable[Segment] = "",
        *,
        style: str | None = None,
        flags: int = 0,
        align: str | None = None,
        space_after: int | None = None,
        num: tuple[int, int] | None = None,
        part: Any = None,
    ) -> Any:
        """Append one paragraph (style given by *name*) and return its w:p element."""
        xml = self.paragraph_xml(
            text,
            style=style,
            flags=flags,
            align=align,
            space_after=space_after,
            num=num,
            part=part,
        )
        return self.append_xml(parent, [xml])[0]

    def paragraph_xml(
        self,
        text: str | Iterable[Segment] = "",
        *,
        style: str | None = None,
        flags: int = 0,
        align: str | None = None,
        space_after: int | None = None,
        num: tuple[int, int] | None = None,
        part: Any = None,
    ) -> str:
        """XML of one paragraph; `num` = (numId, level) makes it a list item."""
        if isinstance(text, str):
            segments: list[Segment] = [(clean_text(text), flags, None)] if text else []
        else:
            segments = [(clean_text(t), f | flags, link) for t, f, link in text]
        style_id = None
        if style:
            style_id = self.styles.paragraph(style)
            if style_id is None and style.lower().startswith(("heading", "title")):
                level = 0 if style.lower() == "title" else int(style.split()[-1])
                style_id = self.styles.heading(level)
        spacing = f'<w:spacing w:after="{space_after}"/>' if space_after is not None else ""
        indent = LIST_INDENT * (num[1] + 1) if num else None
        merged = list(_merge(segments))
        rtl = is_rtl("".join(text for text, _, _ in merged))
        ppr = _ppr(style_id, num, indent, align, spacing, bidi=rtl)
        return f"<w:p>{ppr}{self.runs_xml(merged, part or self.doc_part, rtl=rtl)}</w:p>"

    # -- runs ---------------------------------------------------------------------------------

    def runs_xml(self, segments: list[Segment], part: Any, *, rtl: bool | None = None) -> str:
        """Runs (and w:hyperlink wrappers) for merged segments, in a paragraph that is `rtl`."""
        out: list[str] = []
        current_link: str | None = None
        merged = [(text.replace("\r", ""), f, link) for text, f, link in _merge(segments)]
        if rtl is None:
            rtl = is_rtl("".join(text for text, _, _ in merged))
        directions = _direction_pieces([text for text, _, _ in merged], rtl)
        for (_text, flags, link), by_direction in zip(merged, directions, strict=True):
            if link != current_link:
                if current_link is not None:
                    out.append("</w:hyperlink>")
                if link is not None:
                    rid = xml_attr(self._relationship(link, part))
                    out.append(f'<w:hyperlink r:id="{rid}" w:history="1">')
                current_link = link
            if flags & FOOTNOTE:
                out.append(
                    f'<w:r>{self.footnotes.reference_rpr()}<w:footnoteReference w:id="{_text}"/></w:r>'
                )
                continue
            for text, rtl_piece in by_direction:
                self._runs(out, text, self._rpr_xml(flags, link is not None, rtl_piece))
        if current_link is not None:
            out.append("</w:hyperlink>")
        return "".join(out)

    @staticmethod
    def _runs(out: list[str], text: str, rpr: str) -> None:
        if "\t" in text or "\n" in text:
            pieces = [x for x in _TAB_OR_BREAK.split(text) if x]
        else:
            pieces = [text]
        for piece in pieces:  # one content element per run keeps runs easy to split
            if piece == "\t":
                out.append(f"<w:r>{rpr}<w:tab/></w:r>")
            elif piece == "\n":
                out.append(f"<w:r>{rpr}<w:br/></w:r>")
            elif piece[0].isspace() or piece[-1].isspace():
                out.append(f'<w:r>{rpr}<w:t xml:space="preserve">{xml_text(piece)}</w:t></w:r>')
            else:
                out.append(f"<w:r>{rpr}<w:t>{xml_text(piece)}</w:t></w:r>")

    def _rpr_xml(self, flags: int, is_link: bool, rtl: bool = False) -> str:
        key = (flags, is_link, rtl)
        cached = self._rpr.get(key)
        if cached is not None:
            return cached
        # Children in the order CT_RPr requires (Word rejects out-of-order rPr children).
        parts = []
        if is_link and self._hyperlink_style:
            parts.append(f'<w:rStyle w:val="{xml_attr(self._hyperlink_style)}"/>')
        if flags & CODE:
            parts.append(
                f'<w:rFonts w:ascii="{MONO_FONT}" w:hAnsi="{MONO_FONT}" w:eastAsia="{MONO_FONT}"'
                f' w:cs="{MONO_FONT}"/>'
            )
        if flags & BOLD:
            parts.append("<w:b/><w:bCs/>")
        if flags & ITALIC:
            parts.append("<w:i/><w:iCs/>")
        if flags & STRIKE:
            parts.append("<w:strike/>")
        if is_link:
            parts.append(f'<w:color w:val="{HYPERLINK_COLOR}"/>')
        if is_link or flags & UNDERLINE:
            parts.append('<w:u w:val="single"/>')
        if flags & (SUPER | SUB):
            parts.append(
                f'<w:vertAlign w:val="{"superscript" if flags & SUPER else "subscript"}"/>'
            )
        if rtl:
            parts.append("<w:rtl/>")
        xml = f"<w:rPr>{''.join(parts)}</w:rPr>" if parts else ""
        self._rpr[key] = xml
        return xml

    def _relationship(self, url: str, part: Any) -> str:
        key = (id(part), url)
        rid = self._rels.get(key)
        if rid is None:
            rid = part.relate_to(url, RT.HYPERLINK, is_external=True)
            self._rels[key] = rid
        return rid

    # -- blocks -------------------------------------------------------------------------------

    def blocks(self, node: Node, ctx: _Ctx, depth: int) -> None:
        """Walk a container's children: block children become paragraphs/lists/tables."""
        pending: list[Segment] = []
        for child in node.children:
            if isinstance(child, str):
                self._text(child, pending, ctx.flags, None, False)
                continue
            tag = child.tag
            if depth > MAX_TREE_DEPTH:
                self._text(node_text(child), pending, ctx.flags, None, False)
            elif tag in _BLOCKS or tag in _CONTAINERS:
                # A list directly inside an item: the item's own bullet comes first.
                force = tag in ("ul", "ol") and ctx.item is not None and not ctx.item.used
                self._para(ctx, pending, force=force)
                pending = []
                self._block(child, ctx, depth + 1)
            else:
                self.inline(child, pending, ctx.flags, None, depth + 1, False)
        self._para(ctx, pending)

    def _block(self, node: Node, ctx: _Ctx, depth: int) -> None:
        tag = node.tag
        if tag == "p" and any(
            isinstance(c, Node) and (c.tag in _BLOCKS or c.tag in _CONTAINERS)
            for c in node.children
        ):  # e.g. a raw-HTML <table> Markdown wrapped in <p>
            self.blocks(node, ctx, depth)
        elif tag == "p":
            segments: list[Segment] = []
            self.inline(node, segments, ctx.flags, None, depth, False, include_self=False)
            self._para(ctx, segments)
        elif tag in _HEADINGS:
            segments = []
            self.inline(node, segments, ctx.flags, None, depth, False, include_self=False)
            level = min(max(_HEADINGS[tag] + ctx.offset, 1), 9)
            self._para(ctx, segments, style_id=self.styles.heading(level))
        elif tag in ("ul", "ol"):
            self._list(node, ctx, depth)
        elif tag == "table":
            if ctx.tables >= MAX_TABLE_NESTING:
                self._para(ctx, [(node_text(node), ctx.flags, None)])
            else:
                self._table(node, ctx, depth)
        elif tag == "blockquote":
            self.blocks(node, ctx.derive(quote=ctx.quote + 1), depth)
        elif tag == "pre":
            text = node_text(node)
            if text.endswith("\n"):
                text = text[:-1]
            self._para(ctx, [(text, ctx.flags | CODE, None)], pre=True)
        elif tag == "hr":
            return
        else:  # raw-HTML containers: keep their content, ignore the tag
            self.blocks(node, ctx, depth)

    def _list(self, node: Node, ctx: _Ctx, depth: int) -> None:
        level = min(ctx.level + 1, MAX_LIST_LEVEL)
        ordered = node.tag == "ol"
        if ordered:
            try:
                start = max(0, min(int(node.attrs.get("start", "1")), 32767))
            except ValueError:
                start = 1
            num_id = self.numbering.ordered(level, start)
        else:
            num_id = self.numbering.bullet()
        stray: list[Segment] = []
        for child in node.children:
            if isinstance(child, str):
                self._text(child, stray, ctx.flags, None, False)
                continue
            if child.tag != "li":  # raw HTML inside a list: keep the text as an item
                item_node = Node("li")
                item_node.children.append(child)
                child = item_node
            item = _Item(num_id, level, ordered)
            item_ctx = ctx.derive(item=item, level=level)
            if stray:
                self._para(item_ctx, stray)
                stray = []
                item = item_ctx.item = _Item(num_id, level, ordered)
            self.blocks(child, item_ctx, depth + 1)
            if not item.used:  # an empty item still shows its bullet/number
                self._para(item_ctx, [], force=True)
        if stray:
            self._para(ctx.derive(item=_Item(num_id, level, ordered), level=level), stray)

    def _table(self, node: Node, ctx: _Ctx, depth: int) -> None:
        rows: list[tuple[list[Node], bool]] = []
        captions: list[Node] = []
        for child in node.children:
            if isinstance(child, str):
                continue
            if child.tag in ("thead", "tbody", "tfoot"):
                for row in child.children:
                    if isinstance(row, Node) and row.tag == "tr":
                        rows.append((_cells(row), child.tag == "thead"))
            elif child.tag == "tr":
                rows.append((_cells(child), False))
            elif child.tag == "caption":
                captions.append(child)
        for caption in captions:
            self._para(ctx, [(node_text(caption), ctx.flags | BOLD, None)])
        ncols = max((len(cells) for cells, _ in rows), default=0)
        if not ncols:
            return
        col_width = TABLE_WIDTH // ncols
        out = ctx.out
        out.append(self.table_start([col_width] * ncols))
        for cells, in_head in rows:
            is_header = in_head or (bool(cells) and all(c.tag == "th" for c in cells))
            out.append("<w:tr><w:trPr><w:tblHeader/></w:trPr>" if is_header else "<w:tr>")
            for i in range(ncols):
                cell_out: list[str] = []
                if i < len(cells):
                    cell = cells[i]
                    flags = ctx.flags | (BOLD if is_header or cell.tag == "th" else 0)
                    cell_ctx = ctx.derive(
                        out=cell_out,
                        item=None,
                        level=-1,
                        quote=0,
                        flags=flags,
                        align=_cell_align(cell),
                        tables=ctx.tables + 1,
                    )
                    self.blocks(cell, cell_ctx, depth + 1)
                if not cell_out or not cell_out[-1].startswith("<w:p>"):
                    cell_out.append("<w:p/>")  # a cell must end with a paragraph
                out.append(_cell_xml(col_width, cell_out))
            out.append("</w:tr>")
        out.append("</w:tbl>")

    def table_start(self, widths: list[int]) -> str:
        """Opening XML of a full-width table (style "Table Grid" or plain borders)."""
        grid_style = self.styles.table("Table Grid")
        if grid_style:
            look = f'<w:tblStyle w:val="{xml_attr(grid_style)}"/><w:tblW w:w="5000" w:type="pct"/>'
        else:
            borders = "".join(
                f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="auto"/>'
                for side in ("top", "left", "bottom", "right", "insideH", "insideV")
            )
            look = f'<w:tblW w:w="5000" w:type="pct"/><w:tblBorders>{borders}</w:tblBorders>'
        grid = "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
        return (
            f'<w:tbl><w:tblPr>{look}<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0"'
            ' w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>"
        )

    # -- inline -------------------------------------------------------------------------------

    def inline(
        self,
        node: Node,
        out: list[Segment],
        flags: int,
        link: str | None,
        depth: int,
        pre: bool,
        *,
        include_self: bool = True,
    ) -> None:
        """Collect the text segments of an inline element (and its children) into `out`."""
        if include_self:
            tag = node.tag
            if depth > MAX_TREE_DEPTH:
                self._text(node_text(node), out, flags, link, pre)
                return
            if tag == "br":
                if out and out[-1][0] != "\n" and not pre:
                    text, f, lnk = out[-1]
                    out[-1] = (text.rstrip(" "), f, lnk)
                out.append(("\n", flags, link))
                return
            if tag == "img":
                alt = node.attrs.get("alt", "")
                if alt:
                    self._text(alt, out, flags, link, pre)
                return
            note = _footnote_target(node)
            if note is not None:
                out.append((note, flags | FOOTNOTE, None))
                return
            flags |= _INLINE_FLAGS.get(tag, 0)
            if tag == "a" and link is None:
                link = safe_url(node.attrs.get("href", ""))
        for child in node.children:
            if isinstance(child, str):
                self._text(child, out, flags, link, pre)
            else:
                self.inline(child, out, flags, link, depth + 1, pre)

    @staticmethod
    def _text(text: str, out: list[Segment], flags: int, link: str | None, pre: bool) -> None:
        if not text:
            return
        text = text.replace("\r", "")
        if not pre:
            text = text.replace("\n", " ")  # soft line break
            if out and out[-1][0] == "\n":
                text = text.lstrip(" ")  # HTML drops the source newline after <br>
                if not text:
                    return
        out.append((text, flags, link))

    # -- paragraphs ---------------------------------------------------------------------------

    def _para(
        self,
        ctx: _Ctx,
        segments: list[Segment],
        *,
        style_id: str | None = None,
        force: bool = False,
        pre: bool = False,
    ) -> None:
        if not pre:
            segments = _trim(segments)
        if not segments and not force:
            return
        if sum(len(text) for text, _, _ in segments) > MAX_PARAGRAPH_CHARS:
            for group in _split_long(segments, MAX_PARAGRAPH_CHARS):
                self._para(ctx, group, style_id=style_id, pre=True)
            return
        item = ctx.item
        num: tuple[int, int] | None = None
        indent: int | None = None
        if style_id is None and item is not None:
            if not item.used:
                item.used = True
                num = (item.num_id, item.level)
                style_id = self._list_style(item.ordered, item.level)
            else:  # a later paragraph of the same item: indented, unnumbered
                style_id = self.styles.first_paragraph(
                    f"List Continue {item.level + 1}" if item.level else "List Continue",
                    "List Continue",
                )
            indent = LIST_INDENT * (item.level + 1)
        elif style_id is None and ctx.quote:
            style_id = self.styles.paragraph("Quote")
            if style_id is None or ctx.quote > 1:
                indent = LIST_INDENT * ctx.quote
        if style_id is None and ctx.footnote:
            style_id = self.styles.footnote_text()
        if any(f & FOOTNOTE for _, f, _ in segments):
            segments = self._resolve_footnotes(segments, ctx)
        merged = list(_merge(segments))
        rtl = is_rtl("".join(text for text, _, _ in merged))
        ppr = _ppr(style_id, num, indent, ctx.align, "", bidi=rtl)
        ctx.out.append(f"<w:p>{ppr}{self.runs_xml(merged, ctx.part, rtl=rtl)}</w:p>")

    def _resolve_footnotes(self, segments: list[Segment], ctx: _Ctx) -> list[Segment]:
        """Footnote segments carry the page's note id: write each note, keep its Word id."""
        out: list[Segment] = []
        for text, flags, link in segments:
            if flags & FOOTNOTE:
                number = None if ctx.footnote else self._footnote(text, ctx, 0)
                if number is None:  # a note the page does not hold: its mark stays as text
                    out.append((text.rsplit("-", 1)[-1], (flags & ~FOOTNOTE) | SUPER, link))
                    continue
                text = str(number)
            out.append((text, flags, link))
        return out

    def _list_style(self, ordered: bool, level: int) -> str | None:
        base = "List Number" if ordered else "List Bullet"
        names = [f"{base} {level + 1}"] if level else []
        return self.styles.first_paragraph(*names, base, "List Paragraph")


def _ppr(
    style_id: str | None,
    num: tuple[int, int] | None,
    indent: int | None,
    align: str | None,
    spacing: str,
    *,
    bidi: bool = False,
) -> str:
    """Paragraph properties, children in schema order: pStyle, numPr, bidi, spacing, ind, jc."""
    if not (style_id or num or indent is not None or align or spacing or bidi):
        return ""
    parts = []
    if style_id:
        parts.append(f'<w:pStyle w:val="{xml_attr(style_id)}"/>')
    if num is not None:
        parts.append(f'<w:numPr><w:ilvl w:val="{num[1]}"/><w:numId w:val="{num[0]}"/></w:numPr>')
    if bidi:
        parts.append("<w:bidi/>")
    parts.append(spacing)
    if indent is not None:
        hanging = f' w:hanging="{LIST_HANGING}"' if num is not None else ""
        parts.append(f'<w:ind w:left="{indent}"{hanging}/>')
    if align:
        parts.append(f'<w:jc w:val="{align}"/>')
    return f"<w:pPr>{''.join(parts)}</w:pPr>"


def _cell_xml(width: int, content: list[str]) -> str:
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{"".join(content)}</w:tc>'


def _cells(row: Node) -> list[Node]:
    return [c for c in row.children if isinstance(c, Node) and c.tag in ("td", "th")]


def _cell_align(cell: Node) -> str | None:
    style = cell.attrs.get("style", "").replace(" ", "").lower()
    align = cell.attrs.get("align", "").lower()
    for value, jc in (("center", "center"), ("right", "right")):
        if f"text-align:{value}" in style or align == value:
            return jc
    return None


def _trim(segments: list[Segment]) -> list[Segment]:
    """Drop leading/trailing whitespace of a paragraph (line breaks are content)."""
    segs = [s for s in segments if s[0]]
    while segs and segs[0][0] != "\n" and not segs[0][0].lstrip(" \t"):
        segs.pop(0)
    while segs and segs[-1][0] != "\n" and not segs[-1][0].rstrip(" \t"):
        segs.pop()
    if segs:
        text, flags, link = segs[0]
        if text != "\n":
            segs[0] = (text.lstrip(" \t"), flags, link)
        text, flags, link = segs[-1]
        if text != "\n":
            segs[-1] = (text.rstrip(" \t"), flags, link)
    return segs


def _split_long(segments: list[Segment], limit: int) -> list[list[Segment]]:
    """Cut a huge paragraph into pieces of at most `limit` characters, at spaces if possible."""
    groups: list[list[Segment]] = []
    current: list[Segment] = []
    size = 0
    for text, flags, link in segments:
        while len(text) > limit - size:
            room = limit - size
            cut = text.rfind(" ", max(0, room - 2000), room + 1)
            if cut <= 0:
                cut = room
            if cut > 0:
                current.append((text[:cut], flags, link))
            groups.append(current)
            current, size = [], 0
            text = text[cut:].lstrip(" ")
        if text:
            current.append((text, flags, link))
            size += len(text)
    if current:
        groups.append(current)
    return groups


def _merge(segments: list[Segment]) -> Iterator[Segment]:
    """Join adjacent segments with identical formatting so each becomes one run."""
    buf: list[str] = []
    key: tuple[int, str | None] | None = None
    for text, flags, link in segments:
        if not text:
            continue
        if (flags, link) != key or flags & FOOTNOTE:
            if buf and key is not None:
                yield "".join(buf), key[0], key[1]
            buf, key = [], (flags, link)
        buf.append(text)
    if buf and key is not None:
        yield "".join(buf), key[0], key[1]


def _container(obj: Any) -> tuple[Any, Any]:
    """(oxml parent element, part owning its relationships) for a Document or block container."""
    if isinstance(obj, DocxDocument):
        return obj.element.body, obj.part
    element = getattr(obj, "_element", None)
    part = getattr(obj, "part", None)
    if element is None or part is None:
        raise TypeError(f"cannot append Markdown to {type(obj).__name__}")
    return element, part


def append_markdown(
    document_or_container: Any, markdown_text: str, *, heading_offset: int = 1
) -> None:
    """Render `markdown_text` and append it to a Document, table cell, header, comment..."""
    parent, part = _container(document_or_container)
    package = part.package
    document = package.main_document_part.document
    writer = DocxWriter(document)
    sect_pr = parent.find(w("sectPr"))
    writer.markdown(parent, markdown_text or "", heading_offset=heading_offset, part=part)
    if sect_pr is not None:
        parent.append(sect_pr)  # keep the body's section properties last
