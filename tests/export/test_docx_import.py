"""Word -> (heading, Markdown) sections."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

import docx
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafting.export.docx_builder import DocSection, FinalDocument, build_final_docx
from drafting.export.docx_import import DocxImportError, parse_docx
from drafting.export.markdown_to_docx import append_markdown


def import_sections(data: bytes) -> list[tuple[str, str]]:
    """(heading, Markdown) of the sections the import proposes."""
    return [(s.heading, s.body) for s in parse_docx(data).sections()]


def to_bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_link(paragraph, text: str, url: str) -> None:
    rid = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    paragraph._p.append(
        parse_xml(
            f'<w:hyperlink {nsdecls("w", "r")} r:id="{rid}"><w:r><w:t>{text}</w:t></w:r></w:hyperlink>'
        )
    )


def sample_document():
    document = docx.Document()
    document.add_paragraph("Text före första rubriken.")
    document.add_heading("Sammanfattning", 1)
    paragraph = document.add_paragraph("Vi ")
    paragraph.add_run("tillstyrker").bold = True
    paragraph.add_run(" förslaget ")
    paragraph.add_run("delvis").italic = True
    paragraph.add_run(".")
    document.add_heading("Kollektivtrafik", 2)
    document.add_paragraph("Spårväg", style="List Bullet")
    document.add_paragraph("Till Lund", style="List Bullet 2")
    document.add_paragraph("Pendeltåg", style="List Bullet")
    document.add_paragraph("Först", style="List Number")
    document.add_paragraph("Sedan", style="List Number")
    document.add_heading("Bakgrund", 1)
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {
        (0, 0): "Åtgärd",
        (0, 1): "Kostnad | kr",
        (1, 0): "Spår",
        (1, 1): "10",
    }.items():
        table.cell(row, col).text = text
    paragraph = document.add_paragraph("Läs mer hos ")
    add_link(paragraph, "Trafikverket", "https://www.trafikverket.se/plan")
    paragraph.add_run(".")
    return document


def test_round_trip_of_a_typical_word_document():
    sections = import_sections(to_bytes(sample_document()))
    assert sections == [
        ("", "Text före första rubriken."),  # an opening paragraph, no invented heading
        (
            "Sammanfattning",
            "Vi **tillstyrker** förslaget *delvis*.\n\n"
            "# Kollektivtrafik\n\n"
            "- Spårväg\n    - Till Lund\n- Pendeltåg\n\n"
            "1. Först\n1. Sedan",
        ),
        (
            "Bakgrund",
            "| Åtgärd | Kostnad \\| kr |\n| --- | --- |\n| Spår | 10 |\n\n"
            "Läs mer hos [Trafikverket](https://www.trafikverket.se/plan).",
        ),
    ]


def test_export_then_import_gives_the_same_sections():
    sections = import_sections(to_bytes(sample_document()))
    final = FinalDocument(
        cooperation_name="MLR",
        letterhead_lines=(),
        document_date=date(2026, 1, 1),
        recipient="Infrastrukturdepartementet",
        reference_number="I1",
        consultation_title="Plan",
        title="Plan",
        sections=tuple(DocSection(h, m) for h, m in sections),
        signatories=(),
        author="MLR",
    )
    preview = parse_docx(build_final_docx(final))
    again = [(s.heading, s.body) for s in preview.sections()]
    # The head is in the page header; recipient and heading are front matter; the signature
    # block comes last.
    assert preview.fields.recipient == "Infrastrukturdepartementet" and preview.fields.title == "Plan, I1"
    assert again[:3] == sections
    assert again[3] == ("Underskrifter", "Inga underskrifter är registrerade ännu.")


def test_no_headings_gives_one_introduction_section():
    document = docx.Document()
    document.add_paragraph("Bara text.")
    document.add_paragraph("")
    document.add_paragraph("Mer text.")
    assert import_sections(to_bytes(document)) == [("", "Bara text.\n\nMer text.")]
    assert import_sections(to_bytes(docx.Document())) == []


def test_top_most_heading_level_used_starts_sections():
    document = docx.Document()
    document.add_heading("Första", 2)
    document.add_paragraph("a")
    document.add_heading("Under", 3)
    document.add_heading("Andra", 2)
    document.add_paragraph("b")
    assert import_sections(to_bytes(document)) == [("Första", "a\n\n# Under"), ("Andra", "b")]


def test_outline_level_and_custom_heading_styles_count_as_headings():
    document = docx.Document()
    style = document.styles.add_style("Kapitelrubrik", 1)
    style.base_style = document.styles["Heading 1"]
    level_two = document.styles.add_style("Egen underrubrik", 1)
    level_two.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="1"/>'))
    document.add_paragraph("Kapitel", style="Kapitelrubrik")
    document.add_paragraph("Egen nivå två", style="Egen underrubrik")
    document.add_paragraph("Text")
    document.add_paragraph("Kapitel två", style="Kapitelrubrik")
    assert import_sections(to_bytes(document)) == [
        ("Kapitel", "# Egen nivå två\n\nText"), ("Kapitel två", "")
    ]


def _numbered(document, fmt: str) -> str:
    numbering = document.part.numbering_part.element
    abstract_id, num_id = 90 + len(numbering), 900 + len(numbering)
    numbering.insert(
        0,
        parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">'
            + "".join(f'<w:lvl w:ilvl="{i}"><w:numFmt w:val="{fmt}"/></w:lvl>' for i in range(3))
            + "</w:abstractNum>"
        ),
    )
    numbering.append(
        parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
        )
    )
    return str(num_id)


def test_direct_numbering_without_list_styles():
    document = docx.Document()
    bullets, numbers = _numbered(document, "bullet"), _numbered(document, "decimal")
    for text, num_id, level in (
        ("a", bullets, 0),
        ("b", bullets, 2),
        ("c", numbers, 0),
        ("d", numbers, 1),
    ):
        paragraph = document.add_paragraph(text)
        paragraph._p.get_or_add_pPr().append(
            parse_xml(
                f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
            )
        )
    # "b" claims level 2 right after level 0; Markdown cannot skip, so it becomes level 1.
    assert import_sections(to_bytes(document)) == [("", "- a\n    - b\n\n1. c\n    1. d")]


def test_tracked_changes_hidden_text_and_field_links():
    document = docx.Document()
    paragraph = document.add_paragraph("Kvar ")
    paragraph._p.append(
        parse_xml(
            f'<w:ins {nsdecls("w")} w:id="1" w:author="a"><w:r><w:t>infogad </w:t></w:r></w:ins>'
        )
    )
    paragraph._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="2" w:author="a"><w:r><w:delText>borttagen</w:delText>'
            "</w:r></w:del>"
        )
    )
    hidden = paragraph.add_run("dold")
    hidden.font.hidden = True
    for xml in (
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
        '<w:r><w:instrText xml:space="preserve"> HYPERLINK "https://a.se" </w:instrText></w:r>',
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
        "<w:r><w:t>fältlänk</w:t></w:r>",
        '<w:r><w:fldChar w:fldCharType="end"/></w:r>',
    ):
        paragraph._p.append(parse_xml(xml.replace("<w:r>", f"<w:r {nsdecls('w')}>", 1)))
    assert import_sections(to_bytes(document)) == [("", "Kvar infogad [fältlänk](https://a.se)")]


def test_markdown_syntax_in_plain_text_is_escaped():
    document = docx.Document()
    for text in (
        "# inte rubrik",
        "- inte lista",
        "1. inte numrerad",
        "> inte citat",
        "*stjärnor* och _under_ och snake_case och [klamrar] och `fnuttar`",
        "<script>x</script> & &amp; a<b",
    ):
        document.add_paragraph(text)
    markdown = import_sections(to_bytes(document))[0][1]
    assert markdown.split("\n\n") == [
        "\\# inte rubrik",
        "\\- inte lista",
        "1\\. inte numrerad",
        "\\> inte citat",
        "\\*stjärnor\\* och \\_under\\_ och snake_case och \\[klamrar\\] och \\`fnuttar\\`",
        "&lt;script>x&lt;/script> & &amp;amp; a&lt;b",
    ]


def test_merged_cells_and_multi_paragraph_cells():
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 0).merge(table.cell(0, 1))
    table.cell(0, 0).text = "Rubrik"
    table.cell(0, 2).text = "C"
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(1, 0).text = "Rad"
    table.cell(1, 1).add_paragraph("andra stycket")
    table.cell(1, 1).paragraphs[0].text = "första"
    markdown = import_sections(to_bytes(document))[0][1]
    assert markdown.splitlines() == [
        "| Rubrik |   | C |",
        "| --- | --- | --- |",
        "| Rad | första<br>andra stycket |   |",
        "|   |   |   |",
    ]


@pytest.mark.parametrize(
    "data", [b"", b"not a docx", b"PK\x03\x04junk", b"\xd0\xcf\x11\xe0" + b"\0" * 64]
)
def test_invalid_files_raise_swedish_errors(data):
    with pytest.raises(DocxImportError) as info:
        import_sections(data)
    assert isinstance(info.value, ValueError)
    assert re.search("[åäöÅÄÖ]|Filen", str(info.value))


def test_zip_bomb_is_rejected():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("word/document.xml", b"<w/>" + b" " * (51 * 1024 * 1024))
    with pytest.raises(DocxImportError, match="50 MB"):
        import_sections(out.getvalue())


PLAIN = st.text(alphabet="abcåö XYZ19*_`[]#>-+.!<&|\\()~:;", min_size=1, max_size=60)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(PLAIN)
def test_escaped_text_renders_back_to_the_same_text(text):
    """Whatever plain text Word holds, importing and rendering it shows the same text."""
    source = docx.Document()
    source.add_paragraph(text)
    sections = import_sections(to_bytes(source))
    rendered = docx.Document()
    for _, markdown in sections:
        append_markdown(rendered, markdown)
    shown = " ".join(p.text for p in rendered.paragraphs)
    normalise = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731
    assert normalise(shown) == normalise(text)


def test_formatting_survives_import_and_export():
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("fet ").bold = True
    paragraph.add_run("kursiv").italic = True
    code = paragraph.add_run(" kod`x")
    code.font.name = "Courier New"
    paragraph.add_run(" *slut*")
    markdown = import_sections(to_bytes(document))[0][1]
    assert markdown == "**fet** *kursiv* ``kod`x`` \\*slut\\*"
    rendered = docx.Document()
    append_markdown(rendered, markdown)
    runs = rendered.paragraphs[0].runs
    assert rendered.paragraphs[0].text == "fet kursiv kod`x *slut*"
    assert runs[0].bold and runs[2].italic
    assert any(r.font.name == "Courier New" and r.text == "kod`x" for r in runs)
    assert rendered.element.body.find(qn("w:p")) is not None
