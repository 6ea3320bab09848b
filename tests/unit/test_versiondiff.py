"""Diffs of what readers see: blocks of the rendered text, tables cell by cell, lists item by item."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafting.rendering import render_markdown, text_content
from drafting.services import versiondiff
from drafting.services.textdiff import MAX_TOKEN_PRODUCT, DiffOp, new_budget, new_text, old_text
from drafting.services.versiondiff import (
    BlockChange,
    SectionChange,
    SectionInput,
    diff_blocks,
    diff_sections,
    group_blocks,
    parse_blocks,
    summarize_changes,
)


def blocks_of(markdown: str):
    return parse_blocks(render_markdown(markdown))


def diff(old: str, new: str) -> list[BlockChange]:
    return diff_blocks(blocks_of(old), blocks_of(new))


def changed(changes: list[BlockChange]) -> list[BlockChange]:
    return [c for c in changes if c.status != "equal"]


def all_op_texts(changes) -> list[str]:
    texts = []
    for change in changes:
        texts += [op.text for op in change.ops]
        if change.table:
            texts += [op.text for row in change.table.rows for cell in row.cells for op in cell.ops]
    return texts


# --- blocks -------------------------------------------------------------------------------


def test_blocks_are_what_a_reader_sees() -> None:
    blocks = blocks_of(
        "## Finansiering\n\n"
        "Kommunen **tillstyrker** förslaget, se [SOU 2020:8](https://example.se/sou).\n\n"
        "- första\n- andra\n    - inre\n\n"
        "1. ett\n2. två\n\n"
        "> Ett citat.\n\n"
        "| Åtgärd | Ansvar |\n|---|---|\n| Fyrspår | Staten |\n")
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Finansiering"),
        ("paragraph", "Kommunen tillstyrker förslaget, se SOU 2020:8."),
        ("item", "första"), ("item", "andra"), ("item", "inre"),
        ("item", "ett"), ("item", "två"),
        ("paragraph", "Ett citat."),
        ("table", "Åtgärd Ansvar Fyrspår Staten"),
    ]
    heading, _, first, second, inner, one, two, quote, table = blocks
    assert heading.level == 2
    assert (first.level, inner.level, inner.number) == (1, 2, 1)
    assert (one.ordered, two.ordered, two.number) == (True, True, 2) and not first.ordered
    assert quote.quoted == 1
    assert [[c.text for c in row] for row in table.rows] == [["Åtgärd", "Ansvar"], ["Fyrspår", "Staten"]]
    assert table.head_rows == 1 and table.rows[0][0].header and not table.rows[1][0].header


def test_a_loose_list_item_is_one_block_with_its_paragraphs() -> None:
    blocks = blocks_of("- första stycket\n\n    andra stycket\n\n- nästa")
    assert [(b.kind, b.text) for b in blocks] == [("item", "första stycket andra stycket"),
                                                  ("item", "nästa")]


def test_empty_html_has_no_blocks() -> None:
    assert parse_blocks("") == [] and parse_blocks("  \n ") == []


def test_deep_html_is_read_without_recursion_errors() -> None:
    html = "<blockquote>" * 300 + "djupt" + "</blockquote>" * 300
    assert [b.text for b in parse_blocks(html)] == ["djupt"]


# --- words within blocks ------------------------------------------------------------------


def test_numbers_change_as_whole_words() -> None:
    (change,) = changed(diff("Andelen är 0,8 procent av 1 200 kronor (SOU 2020:8).",
                             "Andelen är 1,1 procent av 1 300 kronor (SOU 2021:3)."))
    assert change.status == "changed"
    assert [(op.kind, op.text) for op in change.ops if op.kind != "equal"] == [
        ("delete", "0,8"), ("insert", "1,1"), ("delete", "1 200"), ("insert", "1 300"),
        ("delete", "2020:8"), ("insert", "2021:3"),
    ]


def test_links_show_their_text_only() -> None:
    changes = diff("Se [utredningen](https://example.se/a) och [lagen](https://example.se/l).",
                   "Se [betänkandet](https://example.se/b) och [lagen](https://example.se/l).")
    (change,) = changed(changes)
    assert old_text(change.ops) == "Se utredningen och lagen."
    assert new_text(change.ops) == "Se betänkandet och lagen."
    assert not any("http" in text or "](" in text for text in all_op_texts(changes))


def test_a_new_link_target_alone_is_a_formatting_change() -> None:
    (change,) = changed(diff("Se [lagen](https://example.se/a).", "Se [lagen](https://example.se/b)."))
    assert change.status == "formatting"
    assert change.ops == (DiffOp("equal", "Se lagen."),)


def test_emphasis_alone_is_a_formatting_change() -> None:
    (change,) = changed(diff("Kommunen tillstyrker.", "Kommunen **tillstyrker**."))
    assert change.status == "formatting" and "**" not in change.ops[0].text


def test_an_edited_paragraph_among_others_is_paired_with_its_old_self() -> None:
    old = "Första stycket.\n\nKommunen anser att avgiften är för hög.\n\nSista stycket."
    new = ("Första stycket.\n\nHelt nytt stycke om något annat.\n\n"
           "Kommunen anser att avgiften är alldeles för hög.\n\nSista stycket.")
    statuses = [(c.status, c.block.text) for c in diff(old, new)]
    assert statuses == [
        ("equal", "Första stycket."),
        ("added", "Helt nytt stycke om något annat."),
        ("changed", "Kommunen anser att avgiften är alldeles för hög."),
        ("equal", "Sista stycket."),
    ]


# --- lists --------------------------------------------------------------------------------


def test_lists_are_compared_item_by_item() -> None:
    changes = diff("- behovet av fler avgångar,\n- bostäder beaktas,\n- statens ansvar.",
                   "- behovet av fler avgångar,\n- cykelvägar,\n- bostäder och verksamheter beaktas,\n")
    assert [(c.status, c.block.kind) for c in changes] == [
        ("equal", "item"), ("added", "item"), ("changed", "item"), ("removed", "item")]
    assert changes[1].ops == (DiffOp("insert", "cykelvägar,"),)
    assert [op.text.strip() for op in changes[2].ops if op.kind == "insert"] == ["och verksamheter"]
    (group,) = group_blocks(changes)
    assert group.is_list and not group.ordered and len(group.changes) == 4


def test_ordered_items_keep_their_numbers_on_each_side() -> None:
    changes = diff("1. ett\n2. två\n3. tre", "1. ett\n2. tre")
    assert [(c.status, c.number_on("old"), c.number_on("new")) for c in changes] == [
        ("equal", 1, 1), ("removed", 2, 2), ("equal", 3, 2)]
    (group,) = group_blocks(changes)
    assert group.ordered


def test_lists_of_different_kinds_are_separate_groups() -> None:
    groups = group_blocks(diff("Text.\n\n- a\n- b\n\n1. c", "Text.\n\n- a\n- b\n\n1. c"))
    assert [(g.is_list, g.ordered, len(g.changes)) for g in groups] == [
        (False, False, 1), (True, False, 2), (True, True, 1)]


# --- tables -------------------------------------------------------------------------------

TABLE = ("| Åtgärd | Ansvar enligt förslaget | Kommunernas syn |\n|---|---|---|\n"
         "| Fyrspår Malmö–Lund | Staten | Instämmer |\n| Nya stationer | Kommunerna | Bör delas |\n")


def cells(change: BlockChange) -> list[list[tuple[str, str]]]:
    return [[(cell.status, "".join(f"{op.kind[0]}:{op.text} " for op in cell.ops).strip())
             for cell in row.cells] for row in change.table.rows]


def test_tables_are_compared_cell_by_cell() -> None:
    new = TABLE.replace("| Kommunerna | Bör delas |", "| Regionen | Bör delas |").replace(
        "Instämmer", "Instämmer, 0,8 mdkr")
    (change,) = diff(TABLE, new)
    assert change.status == "changed"
    assert [row.status for row in change.table.rows] == ["equal", "changed", "changed"]
    assert cells(change)[1] == [("equal", "e:Fyrspår Malmö–Lund"), ("equal", "e:Staten"),
                                ("changed", "e:Instämmer i:, 0,8 mdkr")]
    assert cells(change)[2][1] == ("changed", "d:Kommunerna i:Regionen")
    assert change.table.rows[0].head and not change.table.rows[1].head
    assert all(cell.header for cell in change.table.rows[0].cells)
    # No table syntax anywhere: cells hold their text only.
    assert not any("|" in t or "---" in t for t in all_op_texts([change]))


def test_added_and_removed_rows() -> None:
    new = TABLE.replace("| Nya stationer | Kommunerna | Bör delas |\n",
                        "| Cykelvägar | Regionen | Instämmer |\n")
    (change,) = diff(TABLE, new)
    assert [row.status for row in change.table.rows] == ["equal", "equal", "removed", "added"]
    assert cells(change)[3][0] == ("added", "i:Cykelvägar")


def test_an_added_column_is_found_by_the_head_row() -> None:
    new = ("| Åtgärd | Kostnad | Ansvar enligt förslaget | Kommunernas syn |\n|---|---|---|---|\n"
           "| Fyrspår Malmö–Lund | 1 200 mnkr | Staten | Instämmer |\n"
           "| Nya stationer | 300 mnkr | Kommunerna | Bör delas |\n")
    (change,) = diff(TABLE, new)
    assert [(c.in_old, c.in_new) for c in change.table.columns] == [
        (True, True), (False, True), (True, True), (True, True)]
    assert [row.status for row in change.table.rows] == ["changed"] * 3
    assert [c.status for c in change.table.rows[1].cells] == ["equal", "added", "equal", "equal"]
    assert cells(change)[1][1] == ("added", "i:1 200 mnkr")


def test_unchanged_table_and_removed_table() -> None:
    (same,) = diff(TABLE, TABLE)
    assert same.status == "equal" and all(r.status == "equal" for r in same.table.rows)
    changes = diff("Före.\n\n" + TABLE, "Före.")
    assert [c.status for c in changes] == ["equal", "removed"]
    assert all(cell.status == "removed" for row in changes[1].table.rows for cell in row.cells)


# --- no Markdown syntax ever, and the texts rebuild -------------------------------------

WORDS = ["kommunen", "anser", "att", "förslaget", "0,8", "1 200", "SOU 2020:8", "bör", "ska",
         "regionen", "staten"]


@st.composite
def markdown_documents(draw) -> str:
    """Paragraphs, headings, lists, quotes and tables made of words with emphasis and links."""
    def phrase() -> str:
        words = draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
        style = draw(st.sampled_from(["plain", "bold", "em", "link"]))
        text = " ".join(words)
        return {"plain": text, "bold": f"**{text}**", "em": f"*{text}*",
                "link": f"[{text}](https://example.se/{len(text)})"}[style]

    def line() -> str:
        return " ".join(phrase() for _ in range(draw(st.integers(1, 3))))

    blocks = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["p", "h", "ul", "ol", "quote", "table"]))
        if kind == "p":
            blocks.append(line())
        elif kind == "h":
            blocks.append("## " + line())
        elif kind in ("ul", "ol"):
            marker = "-" if kind == "ul" else "1."
            blocks.append("\n".join(f"{marker} {line()}" for _ in range(draw(st.integers(1, 4)))))
        elif kind == "quote":
            blocks.append("> " + line())
        else:
            width = draw(st.integers(1, 3))
            rows = [" | ".join(line() for _ in range(width)) for _ in range(draw(st.integers(1, 3)))]
            blocks.append("\n".join([f"| {rows[0]} |", "|" + "---|" * width,
                                     *(f"| {r} |" for r in rows[1:])]))
    return "\n\n".join(blocks)


MARKDOWN_SYNTAX = re.compile(r"\*\*|\]\(|\|-|^#|^\s*[-*] |https?://|<|>")


@settings(max_examples=150, deadline=None)
@given(markdown_documents(), markdown_documents())
def test_no_markdown_syntax_ever_appears_and_both_texts_rebuild(old: str, new: str) -> None:
    old_blocks, new_blocks = blocks_of(old), blocks_of(new)
    changes = diff_blocks(old_blocks, new_blocks)
    for text in all_op_texts(changes):
        assert not MARKDOWN_SYNTAX.search(text), text
    # Every block of each side appears once, in order, and its words rebuild its text.
    assert [c.old for c in changes if c.old is not None] == old_blocks
    assert [c.new for c in changes if c.new is not None] == new_blocks
    for change in changes:
        if change.table is None:
            if change.old is not None:
                assert old_text(change.ops) == change.old.text
            if change.new is not None:
                assert new_text(change.ops) == change.new.text
    # What is read is the rendered text, word for word.
    assert " ".join(b.text for b in old_blocks).split() == text_content(render_markdown(old)).split()


# --- bounded work -------------------------------------------------------------------------


def test_many_changed_blocks_cost_linear_pairing_and_one_budget(monkeypatch) -> None:
    """Thousands of blocks, all changed and alike: pairing is linear, word diffs share a budget."""
    calls = []
    real = versiondiff._similarity

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(versiondiff, "_similarity", counting)
    rng = random.Random(4)
    count = 1400

    def paragraphs() -> str:  # two words only: every pair is alike, every word diff is costly
        return "\n\n".join(" ".join(rng.choice("ab") for _ in range(60)) for _ in range(count))

    old, new = paragraphs(), paragraphs()
    budget = new_budget()
    changes = diff_sections([SectionInput(1, "A", render_markdown(old))],
                            [SectionInput(1, "A", render_markdown(new))], budget)
    assert len(calls) <= 3 * 2 * count  # a few looks per block, not count²
    assert -MAX_TOKEN_PRODUCT < budget[0] <= 0  # spent, and not overrun by more than one matcher
    body = changes[0].changes
    assert [c.old.text for c in body if c.old] == [b.text for b in blocks_of(old)]
    assert [c.new.text for c in body if c.new] == [b.text for b in blocks_of(new)]
    for change in body:
        assert old_text(change.ops) == change.old.text and new_text(change.ops) == change.new.text


# --- sections -----------------------------------------------------------------------------


def sections(*items: tuple[int, str, str]) -> list[SectionInput]:
    return [SectionInput(key, heading, render_markdown(body)) for key, heading, body in items]


def kinds(changes: list[SectionChange]) -> list[tuple[int, str]]:
    return [(change.key, change.kind) for change in changes]


def test_unchanged_sections() -> None:
    old = sections((1, "Inledning", "Text."), (2, "Bakgrund", "Mer text."))
    changes = diff_sections(old, old)
    assert kinds(changes) == [(1, "unchanged"), (2, "unchanged")]
    assert [c.status for c in changes[0].changes] == ["equal"]
    assert summarize_changes(changes) == []


def test_added_removed_and_changed_sections() -> None:
    old = sections((1, "Inledning", "Text."), (2, "Bakgrund", "Gammal text."), (3, "X", "Bort."))
    new = sections((1, "Inledning", "Text."), (2, "Bakgrund", "Ny text."), (4, "Synpunkter", "Ja."))
    changes = diff_sections(old, new)
    assert kinds(changes) == [(1, "unchanged"), (2, "changed"), (3, "removed"), (4, "added")]
    changed_section, removed, added = changes[1], changes[2], changes[3]
    assert (changed_section.old_index, changed_section.new_index) == (1, 1)
    assert changed_section.changes[0].ops == (
        DiffOp("delete", "Gammal"), DiffOp("insert", "Ny"), DiffOp("equal", " text."))
    assert (removed.old_heading, removed.new_heading) == ("X", None)
    assert (removed.old_index, removed.new_index) == (2, None)
    assert [c.status for c in removed.changes] == ["removed"]
    assert (added.old_index, added.new_index) == (None, 2)
    assert added.heading_ops == [DiffOp("insert", "Synpunkter")]
    assert summarize_changes(changes) == [
        "Avsnitt ”Bakgrund” har ändrats (1 ord tillagt, 1 borttaget)",
        "Avsnittet ”X” har tagits bort",
        "Nytt avsnitt ”Synpunkter”",
    ]


def test_removed_sections_appear_at_their_old_position() -> None:
    old = sections((1, "A", ""), (2, "B", ""), (3, "C", ""), (4, "D", ""), (5, "E", ""))
    new = sections((6, "Ny", ""), (3, "C", ""), (5, "E", ""))
    assert kinds(diff_sections(old, new)) == [
        (1, "removed"), (2, "removed"), (6, "added"), (3, "unchanged"), (4, "removed"),
        (5, "unchanged"),
    ]  # fmt: skip


def test_single_move_among_forty_marks_only_that_section() -> None:
    old = sections(*[(key, f"Avsnitt {key}", f"Text {key}.") for key in range(40)])
    new = list(old)
    moved = new.pop(5)
    new.insert(30, moved)
    changes = diff_sections(old, new)
    assert [change.key for change in changes] == [section.key for section in new]
    assert [change.key for change in changes if change.kind == "moved"] == [5]
    assert all(change.kind == "unchanged" for change in changes if change.key != 5)
    assert summarize_changes(changes) == ["Avsnittet ”Avsnitt 5” har flyttats"]


def test_moving_a_section_to_the_front_marks_only_that_section() -> None:
    old = sections(*[(key, str(key), "") for key in range(10)])
    new = [old[9], *old[:9]]
    assert [c.key for c in diff_sections(old, new) if c.kind == "moved"] == [9]


def test_moved_and_changed() -> None:
    old = sections((1, "A", "ett"), (2, "B", "två"), (3, "C", "tre"))
    new = sections((3, "C", "tre fyra"), (1, "A", "ett"), (2, "B", "två"))
    changes = diff_sections(old, new)
    assert kinds(changes) == [(3, "moved_and_changed"), (1, "unchanged"), (2, "unchanged")]
    assert summarize_changes(changes) == ["Avsnitt ”C” har flyttats och ändrats (1 ord tillagt)"]


def test_heading_change() -> None:
    old = sections((1, "Bakgrund", "Text."))
    assert summarize_changes(diff_sections(old, sections((1, "Bakgrunden", "Text.")))) == [
        "Avsnittet ”Bakgrund” har bytt rubrik till ”Bakgrunden”"
    ]
    both = diff_sections(old, sections((1, "Bakgrunden", "Ny text.")))
    assert both[0].heading_ops == [DiffOp("delete", "Bakgrund"), DiffOp("insert", "Bakgrunden")]
    assert summarize_changes(both) == [
        "Avsnitt ”Bakgrunden” (tidigare ”Bakgrund”) har ändrats (2 ord tillagda, 1 borttaget)"
    ]


def test_summary_counts_rendered_words_not_markup() -> None:
    old = sections((1, "Bakgrund", "Kommunen tillstyrker förslaget."))
    new = sections((1, "Bakgrund", "Kommunen **tillstyrker** förslaget, se [SOU 2020:8](https://e.se)."))
    assert summarize_changes(diff_sections(old, new)) == [
        "Avsnitt ”Bakgrund” har ändrats (3 ord tillagda)"]  # se, SOU, 2020:8
    only_bold = sections((1, "Bakgrund", "Kommunen **tillstyrker** förslaget."))
    assert summarize_changes(diff_sections(old, only_bold)) == [
        "Avsnitt ”Bakgrund” har ändrats (endast formatering)"]


def test_summary_for_punctuation_only_and_untitled_sections() -> None:
    changes = diff_sections(sections((1, "", "Ja")), sections((1, "", "Ja!"), (2, " ", "x")))
    assert summarize_changes(changes) == [
        "Avsnitt nr 1 (utan rubrik) har ändrats (endast skiljetecken eller blanksteg)",
        "Nytt avsnitt nr 2 (utan rubrik)",
    ]


def test_duplicate_keys_are_an_error() -> None:
    with pytest.raises(ValueError):
        diff_sections(sections((1, "A", ""), (1, "B", "")), [])


@settings(max_examples=200, deadline=None)
@given(st.permutations(list(range(12))), st.sets(st.integers(0, 11)), st.sets(st.integers(0, 11)))
def test_section_diff_properties(order: list[int], dropped: set[int], edited: set[int]) -> None:
    old = sections(*[(key, f"R{key}", f"text {key}") for key in range(12)])
    new = [SectionInput(k, f"R{k}", render_markdown(f"text {k} ny" if k in edited else f"text {k}"))
           for k in order if k not in dropped] + sections((99, "Ny", "x"))  # fmt: skip
    changes = diff_sections(old, new)
    # Every section appears once; kept and added ones in new order.
    assert sorted(change.key for change in changes) == sorted({*range(12), 99})
    assert [c.key for c in changes if c.kind != "removed"] == [s.key for s in new]
    assert {c.key for c in changes if c.kind == "removed"} == dropped
    for change in changes:
        if change.kind in ("changed", "moved_and_changed"):
            assert change.key in edited
        if change.kind in ("unchanged", "moved"):
            assert change.key not in edited or change.key in dropped
    # The kept sections not marked moved are in their old relative order.
    still = [c.old_index for c in changes if c.kind in ("unchanged", "changed")]
    assert still == sorted(still)


# --- the template -------------------------------------------------------------------------


def test_the_diff_macros_escape_everything(app) -> None:
    ops = [DiffOp("equal", "a < b & "), DiffOp("delete", "<script>alert('x')</script>"),
           DiffOp("insert", '"citat" > '), DiffOp("equal", "slut")]
    with app.test_request_context():
        html = str(app.jinja_env.get_template("drafting/_diff.html").make_module({}).words(ops))
    assert html == (
        "a &lt; b &amp; <del><span class=\"visually-hidden\">borttaget: </span>"
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</del>"
        "<ins><span class=\"visually-hidden\">tillagt: </span>&#34;citat&#34; &gt; </ins>slut"
    )


def test_the_diff_macros_of_nothing(app) -> None:
    with app.test_request_context():
        module = app.jinja_env.get_template("drafting/_diff.html").make_module({})
        assert str(module.words([])) == "" and str(module.blocks(())).strip() == ""


def test_each_side_draws_only_its_own_text(app) -> None:
    changes = diff("- kvar\n- borta\n\n" + TABLE, "- kvar\n- ny\n\n" + TABLE.replace("Staten", "Regionen"))
    groups = group_blocks(changes)
    with app.test_request_context():
        module = app.jinja_env.get_template("drafting/_diff.html").make_module({})
        inline, before, after = (str(module.blocks(groups, side)) for side in ("both", "old", "new"))
    assert "borta" in inline and "ny" in inline and "Staten" in inline and "Regionen" in inline
    assert "borta" in before and ">ny<" not in before and "Regionen" not in before
    assert "borta" not in after and "Staten" not in after and "Regionen" in after
    for html in (inline, before, after):
        assert "|" not in html and "**" not in html and "<th scope=\"col\"" in html
