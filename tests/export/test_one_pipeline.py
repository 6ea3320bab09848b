"""The page and the Word file come from one parse of the same text: compared block by block."""

from __future__ import annotations

import io
import re

import docx
import pytest
from lxml import etree
from lxml import html as lxml_html

from drafting.export.docx_import import parse_docx
from drafting.export.markdown_to_docx import DocxWriter
from drafting.rendering import render_markdown
from tests.corpus.letters import LETTERS
from tests.export.test_corpus import corpus_path

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_WS = re.compile(r"\s+")

# Markdown that officials write by hand, including what the two old paths disagreed on.
HAND_WRITTEN = [
    "# Rubrik\n\nStycke med **fet**, *kursiv*, `kod` och [länk](https://www.regeringen.se).",
    "- ett\n- två\n    - två a\n\n1. först\n2. sedan\n\n7. sju",
    "> Citat i två stycken.\n>\n> Andra stycket.\n\nEfter citatet.",
    "| Åtgärd | Kostnad |\n|:---|---:|\n| Spår | 10 mnkr |\n| Buss | 2 mnkr |",
    "| Ensam rad |\n| --- |",
    "Text med fotnot[^1] och en till[^två].\n\n[^1]: Första noten.\n[^två]: Andra *noten*.",
    "<div>rå HTML-block</div>\n\n<p>stycke</p>\n\n<b>fet</b> och <script>x()</script>",
    "```\nkodblock\n  indraget\n```\n\nRad ett  \nrad två",
    "Rubrik med understrykning\n===\n\n---\n\n## Nivå två\n\n### Nivå tre",
    "Emoji 😀 och مرحبا بالعالم i samma stycke.",
    "1. punkt\n\n    fortsättning i samma punkt\n\n2. nästa",
]


def _text(element) -> str:
    parts = []
    for node in element.iter():
        if node.tag == "a" and node.get("class") in ("footnote-ref", "footnote-backref"):
            continue  # the mark is a Word footnote reference, the way back is navigation
        if node.tag == "br":
            parts.append(" ")  # a line break reads as a space in both
        if node.text:
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return _WS.sub(" ", "".join(parts)).strip()


def page_blocks(html: str) -> list[tuple[str, str]]:
    """(kind, text) of each block the page shows, in order."""
    root = lxml_html.fragment_fromstring(html or "<p></p>", create_parent="div")
    for a in root.xpath("//a[@class='footnote-ref' or @class='footnote-backref']"):
        a.drop_tree()
    blocks: list[tuple[str, str]] = []

    def walk(element, context: str) -> None:
        for child in element:
            if not isinstance(child.tag, str):
                continue
            tag = child.tag
            if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
                blocks.append((f"heading{int(tag[1]) + 1}", _text(child)))
            elif tag == "p":
                blocks.append((context, _text(child)))
            elif tag == "pre":
                blocks.append(("code", _WS.sub(" ", child.text_content()).strip()))
            elif tag == "blockquote":
                walk(child, "quote")
            elif tag in ("ul", "ol"):
                walk(child, "footnote" if context == "footnote" else "item")
            elif tag == "li":
                if any(isinstance(c.tag, str) and c.tag in ("p", "ul", "ol") for c in child):
                    own = child.text.strip() if child.text else ""
                    if own:
                        blocks.append((context if context != "footnote" else "footnote", own))
                    walk(child, context)
                else:
                    blocks.append((context, _text(child)))
            elif tag == "table":
                for cell in child.iter("td", "th"):
                    blocks.append(("cell", _text(cell)))
            elif tag == "div" and child.get("class") == "footnote":
                walk(child, "footnote")
            elif tag == "hr":
                continue
            else:
                walk(child, context)

    walk(root, "paragraph")
    body = [b for b in blocks if b[0] != "footnote"]
    notes = [b for b in blocks if b[0] == "footnote"]
    return [b for b in body + notes if b[1]]


def word_blocks(data: bytes) -> list[tuple[str, str]]:
    """(kind, text) of each block of the Word body, then of its footnotes."""
    document = docx.Document(io.BytesIO(data))
    styles = {s.style_id: s.name for s in document.styles}
    blocks: list[tuple[str, str]] = []

    def kind(p, in_cell: bool) -> str:
        if in_cell:
            return "cell"
        ppr = p.find(f"{W}pPr")
        style = ""
        if ppr is not None and ppr.find(f"{W}pStyle") is not None:
            style = styles.get(ppr.find(f"{W}pStyle").get(f"{W}val"), "")
        if style.startswith("Heading"):
            return "heading" + style.split()[-1]
        if style.startswith(("List", "List Continue")) or (ppr is not None and ppr.find(f"{W}numPr") is not None):
            return "item"
        if style == "Quote":
            return "quote"
        runs = [r for r in p.iter(f"{W}r") if r.find(f"{W}t") is not None]
        if runs and all(r.find(f"{W}rPr/{W}rFonts") is not None for r in runs):
            return "code"
        return "paragraph"

    def text(p) -> str:
        pieces = [(t.text or "") if t.tag == f"{W}t" else " " for t in p.iter(f"{W}t", f"{W}br")]
        return _WS.sub(" ", "".join(pieces)).strip()

    for child in document.element.body:
        if child.tag == f"{W}p":
            blocks.append((kind(child, False), text(child)))
        elif child.tag == f"{W}tbl":
            for cell_p in child.iter(f"{W}tc"):
                blocks.append(("cell", " ".join(text(p) for p in cell_p.iter(f"{W}p")).strip()))
    for rel in document.part.rels.values():
        if rel.reltype.endswith("/footnotes"):
            root = etree.fromstring(rel.target_part.blob)
            for note in root.iter(f"{W}footnote"):
                if note.get(f"{W}type"):
                    continue
                for p in note.iter(f"{W}p"):
                    blocks.append(("footnote", text(p)))
    return [b for b in blocks if b[1]]


def word_of(html: str) -> bytes:
    document = docx.Document()
    DocxWriter(document).html(document.element.body, html, heading_offset=1)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def markdown_corpus() -> list[tuple[str, str]]:
    """(name, Markdown): the hand-written snippets and every section of the letter corpus."""
    items = [(f"hand-{i}", md) for i, md in enumerate(HAND_WRITTEN)]
    for letter in LETTERS:
        preview = parse_docx(corpus_path(letter).read_bytes())
        items += [(f"{letter.name}-{i}", s.body) for i, s in enumerate(preview.sections())]
    return items


@pytest.mark.parametrize(("name", "markdown"), markdown_corpus(), ids=lambda v: v if len(v) < 40 else None)
def test_page_and_word_agree_block_by_block(name, markdown):
    html = render_markdown(markdown)
    assert word_blocks(word_of(html)) == page_blocks(html), name


def test_raw_html_blocks_read_the_same_on_the_page_and_in_word():
    """The old Word path rendered raw HTML blocks the page showed as text."""
    html = render_markdown("<div>rå HTML-block</div>")
    assert page_blocks(html) == [("paragraph", "<div>rå HTML-block</div>")]
    assert word_blocks(word_of(html)) == page_blocks(html)


def test_a_one_row_table_stays_one_row_on_the_page_and_in_word():
    """Python-Markdown gave a header-only table an empty body row; the import makes such tables."""
    html = render_markdown("| Samlad bedömning: tillstyrks |\n| --- |")
    assert html.count("<tr>") == 1
    document = docx.Document(io.BytesIO(word_of(html)))
    assert [[c.text for c in row.cells] for row in document.tables[0].rows] == [
        ["Samlad bedömning: tillstyrks"]
    ]


def test_footnotes_are_word_footnotes_with_unique_ids_on_the_page():
    first = render_markdown("Ett[^1].\n\n[^1]: Första.")
    second = render_markdown("Två[^1].\n\n[^1]: Andra.")
    ids = lambda html: set(re.findall(r'id="([^"]+)"', html))  # noqa: E731
    assert ids(first) and not ids(first) & ids(second)  # one page shows many sections
    document = docx.Document(io.BytesIO(word_of(first)))
    body = document.element.body
    assert body.find(f".//{W}footnoteReference") is not None
    assert ("footnote", "Första.") in word_blocks(word_of(first))
