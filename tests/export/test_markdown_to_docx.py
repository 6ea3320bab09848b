"""Markdown -> Word rendering: structure, formatting, numbering and hostile input."""

from __future__ import annotations

import io
import re

import docx
from docx.oxml.ns import qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafting.export.markdown_to_docx import (
    MAX_PARAGRAPH_CHARS,
    append_markdown,
    clean_text,
)
from drafting.rendering import render_markdown, text_content


def render(markdown: str, heading_offset: int = 1):
    """Render into a fresh document, save and re-open it (proves the XML is readable)."""
    document = docx.Document()
    append_markdown(document, markdown, heading_offset=heading_offset)
    out = io.BytesIO()
    document.save(out)
    return docx.Document(io.BytesIO(out.getvalue()))


def texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def num_pr(paragraph) -> tuple[int, int] | None:
    ppr = paragraph._p.pPr
    if ppr is None or ppr.numPr is None:
        return None
    return ppr.numPr.ilvl.val, ppr.numPr.numId.val


def numbering_root(document):
    return document.part.numbering_part.element


def all_text(document) -> str:
    body = document.element.body
    return "".join(t.text or "" for t in body.iter(qn("w:t")))


def test_body_section_properties_stay_last():
    document = render("Hej\n\n- a\n\n| x |\n|---|\n| 1 |")
    assert document.element.body[-1].tag == qn("w:sectPr")


def test_headings_are_offset_and_clamped():
    document = render("# Ett\n\n## Två\n\n###### Sex", heading_offset=1)
    assert [(p.style.name, p.text) for p in document.paragraphs] == [
        ("Heading 2", "Ett"),
        ("Heading 3", "Två"),
        ("Heading 7", "Sex"),
    ]
    assert render("# Ett", heading_offset=0).paragraphs[0].style.name == "Heading 1"
    assert render("###### Djup", heading_offset=5).paragraphs[0].style.name == "Heading 9"


def test_inline_formatting_becomes_runs():
    document = render("Vi **tillstyrker** *delvis* med `kod` och ***båda***.")
    paragraph = document.paragraphs[0]
    assert paragraph.text == "Vi tillstyrker delvis med kod och båda."
    runs = {run.text: run for run in paragraph.runs}
    assert runs["tillstyrker"].bold and not runs["tillstyrker"].italic
    assert runs["delvis"].italic and not runs["delvis"].bold
    assert runs["kod"].font.name == "Courier New"
    assert runs["båda"].bold and runs["båda"].italic
    assert not runs["Vi "].bold


def test_links_are_real_hyperlinks_with_external_relationships():
    document = render(
        "Se [Trafikverket](https://www.trafikverket.se/plan?a=1&b=2) och <https://a.se>."
    )
    paragraph = document.paragraphs[0]
    assert paragraph.text == "Se Trafikverket och https://a.se."
    links = paragraph.hyperlinks
    assert [link.text for link in links] == ["Trafikverket", "https://a.se"]
    assert links[0].url == "https://www.trafikverket.se/plan?a=1&b=2"
    rel = document.part.rels[links[0]._hyperlink.rId]
    assert rel.is_external and rel.target_ref == "https://www.trafikverket.se/plan?a=1&b=2"
    run = links[0].runs[0]
    assert run.font.underline and str(run.font.color.rgb) == "0563C1"


def test_link_targets_are_percent_encoded_and_unsafe_schemes_stay_text():
    document = render(
        "[a](https://x.se/å b?q=100%&r=%C3%A5) [farlig](javascript:alert(1)) [fil](file://srv/x)"
    )
    links = document.paragraphs[0].hyperlinks
    assert [link.url for link in links] == ["https://x.se/%C3%A5%20b?q=100%25&r=%C3%A5"]
    assert "farlig" in document.paragraphs[0].text and "fil" in document.paragraphs[0].text


def test_nested_bullet_lists_use_styles_and_levels():
    document = render("- a\n- b\n    - c\n        - d\n- e")
    rows = [(p.text, p.style.name, num_pr(p)) for p in document.paragraphs]
    num_id = rows[0][2][1]
    assert rows == [
        ("a", "List Bullet", (0, num_id)),
        ("b", "List Bullet", (0, num_id)),
        ("c", "List Bullet 2", (1, num_id)),
        ("d", "List Bullet 3", (2, num_id)),
        ("e", "List Bullet", (0, num_id)),
    ]
    root = numbering_root(document)
    abstract_id = root.xpath(f"./w:num[@w:numId='{num_id}']/w:abstractNumId/@w:val")[0]
    formats = root.xpath(f"./w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl/w:numFmt/@w:val")
    assert len(formats) == 9 and set(formats) == {"bullet"}
    indents = root.xpath(
        f"./w:abstractNum[@w:abstractNumId='{abstract_id}']/w:lvl/w:pPr/w:ind/@w:left"
    )
    assert [int(x) for x in indents] == sorted(int(x) for x in indents)  # deeper = further in


def test_each_ordered_list_restarts_numbering():
    document = render("1. a\n2. b\n\nMellan.\n\n1. c\n2. d\n\n3. e\n4. f\n\nText\n\n7. sju")
    numbered = [(p.text, num_pr(p)) for p in document.paragraphs if num_pr(p)]
    ids = [n[1] for _, n in numbered]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
    assert [p.style.name for p in document.paragraphs if num_pr(p)][0] == "List Number"
    root = numbering_root(document)
    starts = {
        num_id: root.xpath(f"./w:num[@w:numId='{num_id}']/w:lvlOverride/w:startOverride/@w:val")
        for num_id in set(ids)
    }
    assert starts[ids[0]] == ["1"] and starts[ids[2]] == ["1"]
    assert starts[ids[-1]] == ["7"]  # "7. sju" keeps its start number
    # Schema order: all abstractNum before all num.
    tags = [el.tag for el in root]
    assert tags.index(qn("w:num")) > max(i for i, t in enumerate(tags) if t == qn("w:abstractNum"))


def test_ten_level_nested_list_clamps_to_level_eight_without_losing_text():
    markdown = "\n".join("    " * i + f"- nivå{i}" for i in range(10))
    document = render(markdown)
    items = [(p.text, num_pr(p)[0]) for p in document.paragraphs]
    assert [t for t, _ in items] == [f"nivå{i}" for i in range(10)]
    assert [lvl for _, lvl in items] == [0, 1, 2, 3, 4, 5, 6, 7, 8, 8]


def test_mixed_list_and_loose_items():
    document = render("1. första\n\n    fortsättning\n\n2. andra\n    - punkt")
    rows = [(p.text, num_pr(p)) for p in document.paragraphs]
    assert rows[0][0] == "första" and rows[0][1][0] == 0
    assert rows[1] == ("fortsättning", None)  # same item, not a new number
    assert rows[2][0] == "andra" and rows[2][1] == rows[0][1]
    assert rows[3][0] == "punkt" and rows[3][1][0] == 1


def test_tables_have_grid_style_bold_header_and_padding():
    document = render("| Åtgärd | Kostnad |\n|:--|--:|\n| Spår | 10 |\n| Väg |")
    table = document.tables[0]
    assert table.style.name == "Table Grid"
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Åtgärd", "Kostnad"],
        ["Spår", "10"],
        ["Väg", ""],
    ]
    assert all(run.bold for cell in table.rows[0].cells for run in cell.paragraphs[0].runs)
    assert not table.rows[1].cells[0].paragraphs[0].runs[0].bold
    assert table.rows[1].cells[1].paragraphs[0].alignment == 2  # right-aligned column


def test_blockquote_line_break_rule_image_and_code_block():
    document = render(
        "> citat\n\nrad ett  \nrad två\n\n---\n\n![Karta över regionen](karta.png)\n\n"
        "```\nkod 1\n  kod 2\n```"
    )
    rows = [(p.style.name, p.text) for p in document.paragraphs]
    assert rows[0] == ("Quote", "citat")
    assert rows[1] == ("Normal", "rad ett\nrad två")
    assert rows[2] == ("Normal", "Karta över regionen")
    assert rows[3] == ("Normal", "kod 1\n  kod 2")
    assert all(run.font.name == "Courier New" for run in document.paragraphs[3].runs if run.text)
    assert len(rows) == 4  # the rule produced nothing


def test_raw_html_reads_in_word_as_on_the_page():
    """Allowed tags format, every other tag is shown as the text the page shows."""
    source = (
        "<script>alert(1)</script>\n\nFöre <b>fet</b> <span onclick='x'>span</span>\n\n"
        "</body></html>efter\n\n<plaintext>slut"
    )
    document = render(source)
    assert texts(document) == text_content(render_markdown(source)).split("\n")
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert bold == ["fet"]
    body = document.element.body
    # Shown as text, never as markup: the body holds paragraphs, runs and text only.
    assert {el.tag.split("}")[1] for el in body.iter()} <= {
        "body", "p", "r", "t", "rPr", "b", "bCs", "sectPr", "pgSz", "pgMar", "cols", "docGrid"
    }


def test_control_characters_removed_everything_else_kept():
    source = (
        "a\x00b\x01c\x0bd\x1fe\ufffef\uffff emoji 😀👍🏽 مرحبا بالعالم שלום \u200f\x7f\x85 slut"
    )
    document = render(source)
    expected = "abcdef emoji 😀👍🏽 مرحبا بالعالم שלום \u200f\x7f\x85 slut"
    assert document.paragraphs[0].text == expected
    assert clean_text("x\ud800y\x08z\r\n\t") == "xyz\r\n\t"


def test_empty_and_whitespace_markdown_adds_nothing():
    for source in ("", "   ", "\n\n\n", "\x00\x01", "---"):
        assert render(source).paragraphs == []


def test_broken_markdown_renders_quickly_and_keeps_text():
    # Unhardened Python-Markdown needs ~6 s and ~30 s for the two bracket lines.
    document = render("**unclosed\n\n" + "[[[[[" * 1000 + "\n\n" + "[a](" * 2000 + "\n\n_x")
    text = "".join(texts(document))
    assert "**unclosed" in text
    assert text.count("[") == 5000 + 2000 and text.count("(") == 2000


def test_deeply_nested_quotes_do_not_crash():
    document = render("> " * 300 + "djupt")
    assert "djupt" in "".join(texts(document))


def test_one_megabyte_paragraph_is_kept_in_full():
    word = "ordet "
    document = render(word * (1_000_000 // len(word)))
    pieces = texts(document)
    assert all(len(piece) <= MAX_PARAGRAPH_CHARS for piece in pieces)
    assert sum(piece.count("ordet") for piece in pieces) == 1_000_000 // len(word)


def test_append_to_table_cell_and_header():
    document = docx.Document()
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    append_markdown(cell, "**fet** [länk](https://a.se)")
    header = document.sections[0].header
    append_markdown(header, "Sidhuvud *kursiv*")
    out = io.BytesIO()
    document.save(out)
    reopened = docx.Document(io.BytesIO(out.getvalue()))
    cell = reopened.tables[0].cell(0, 0)
    assert cell.paragraphs[-1].text == "fet länk"
    assert cell.paragraphs[-1].hyperlinks[0].url == "https://a.se"
    assert "Sidhuvud kursiv" in [p.text for p in reopened.sections[0].header.paragraphs]


def test_missing_styles_fall_back_without_crashing():
    document = docx.Document()
    styles = document.styles.element
    for style_id in ("ListBullet", "ListBullet2", "ListNumber", "Heading3", "TableGrid", "Quote"):
        style = styles.get_by_id(style_id)
        styles.remove(style)
    append_markdown(document, "## Rubrik\n\n- a\n    - b\n\n1. c\n\n> q\n\n| x |\n|---|\n| 1 |")
    out = io.BytesIO()
    document.save(out)
    reopened = docx.Document(io.BytesIO(out.getvalue()))
    assert [p.text for p in reopened.paragraphs] == ["Rubrik", "a", "b", "c", "q"]
    assert reopened.paragraphs[0].style.name == "Heading 3"  # created on demand
    assert all(num_pr(p) for p in reopened.paragraphs[1:4])
    assert reopened.tables[0].cell(1, 0).text == "1"


LETTERS = "abcåäöXYZ"
SYNTAX = " \n*_`[]#>-+=.|!\\1\t"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=LETTERS + SYNTAX + "\x00\x0b😀", max_size=200))
def test_arbitrary_markdown_never_loses_letters(source):
    document = render(source)
    rendered = all_text(document) + "".join(
        c.text for t in document.tables for row in t.rows for c in row.cells
    )
    for letter in set(LETTERS) | {"😀"}:
        # Table cells are counted twice above, so rendered may hold more, never fewer.
        assert rendered.count(letter) >= source.count(letter), (letter, source)
    assert not re.search("[\x00\x0b]", rendered)


# --------------------------------------------------------------------------------------------
# Writing direction

ARABIC = "مرحبا بالعالم، هذا نص عربي"
HEBREW = "שלום עולם"


def _is_bidi(paragraph) -> bool:
    ppr = paragraph._p.pPr
    return ppr is not None and ppr.find(qn("w:bidi")) is not None


def _runs(paragraph) -> list[tuple[str, bool]]:
    """(text, is w:rtl) of each text run, hyperlinks included."""
    out = []
    for r in paragraph._p.iter(qn("w:r")):
        text = "".join(t.text or "" for t in r.iter(qn("w:t")))
        if text:
            rpr = r.find(qn("w:rPr"))
            out.append((text, rpr is not None and rpr.find(qn("w:rtl")) is not None))
    return out


def _cell_paragraphs(document):
    return [p for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs]


def test_right_to_left_paragraphs_and_runs_are_marked():
    document = render(
        f"# {ARABIC}\n\n{ARABIC} 2024.\n\n{HEBREW}\n\nSvenska med {ARABIC} i mitten.\n\n"
        f"- {ARABIC}\n- Svensk punkt\n\n| {HEBREW} | Kolumn |\n|---|---|\n| **{ARABIC}** | cell |\n\n"
        f"«{ARABIC}» 😀"
    )
    paragraphs = {p.text: p for p in document.paragraphs if not p.style.name.startswith("Head")}
    heading = next(p for p in document.paragraphs if p.style.name == "Heading 2")
    assert heading.text == ARABIC and _is_bidi(heading)
    assert _runs(heading) == [(ARABIC, True)]
    # Digits and punctuation inside right-to-left text belong to it.
    assert _is_bidi(paragraphs[f"{ARABIC} 2024."])
    assert _runs(paragraphs[f"{ARABIC} 2024."]) == [(f"{ARABIC} 2024.", True)]
    assert _is_bidi(paragraphs[HEBREW])
    mixed = paragraphs[f"Svenska med {ARABIC} i mitten."]
    assert not _is_bidi(mixed)
    assert _runs(mixed) == [("Svenska med ", False), (ARABIC, True), (" i mitten.", False)]
    item = paragraphs[ARABIC]
    assert item.style.name == "List Bullet" and item._p.pPr.numPr is not None
    assert _is_bidi(item)
    assert not _is_bidi(paragraphs["Svensk punkt"])
    cells = {p.text: p for p in _cell_paragraphs(document)}
    assert _is_bidi(cells[HEBREW]) and not _is_bidi(cells["Kolumn"])
    assert _runs(cells[ARABIC]) == [(ARABIC, True)]
    # The paragraph starts with a neutral quote mark: its first strong letter decides.
    quoted = paragraphs[f"«{ARABIC}» 😀"]
    assert _is_bidi(quoted) and all(rtl for _, rtl in _runs(quoted))


def test_left_to_right_text_gets_no_direction_marks():
    document = render("Hej **världen** 😀 123, [länk](https://x.se) och `kod`.\n\n- a\n\n| x |\n|---|\n| 1 |")
    xml = document.element.xml
    assert "w:bidi" not in xml and "w:rtl" not in xml


def test_right_to_left_formatting_and_links_split_per_direction():
    document = render(f"Se **{ARABIC}** och [{HEBREW}](https://x.se/a) slut")
    paragraph = document.paragraphs[0]
    assert not _is_bidi(paragraph)
    assert _runs(paragraph) == [
        ("Se ", False), (ARABIC, True), (" och ", False), (HEBREW, True), (" slut", False)
    ]
    link = paragraph._p.find(qn("w:hyperlink"))
    assert "".join(t.text for t in link.iter(qn("w:t"))) == HEBREW
    bold = list(paragraph._p.iter(qn("w:r")))[1].find(qn("w:rPr"))
    assert [child.tag.rsplit("}", 1)[-1] for child in bold] == ["b", "bCs", "rtl"]  # schema order
    # A paragraph whose first letter is right-to-left is a right-to-left paragraph.
    assert _is_bidi(render(f"**{ARABIC}** och mer svenska").paragraphs[0])
