"""Word and section diffs: ops rebuild both texts, sections are matched by key."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafting.services.textdiff import (
    DiffOp,
    SectionChange,
    SectionInput,
    count_words,
    diff_sections,
    diff_words,
    new_text,
    old_text,
    summarize_changes,
    tokenize,
)

# --- word diff ----------------------------------------------------------------------------


def assert_valid(ops: list[DiffOp], old: str, new: str) -> None:
    """Ops rebuild both texts, are never empty, and never repeat a kind back to back."""
    assert old_text(ops) == old
    assert new_text(ops) == new
    assert all(op.text for op in ops)
    assert all(a.kind != b.kind for a, b in zip(ops, ops[1:], strict=False))


def test_tokenize_keeps_every_character() -> None:
    text = "Kommunen anser, att förslaget (SFS 2010:800) bör\tändras!  🎉"
    tokens = tokenize(text)
    assert "".join(tokens) == text
    assert tokens[:4] == ["Kommunen", " ", "anser", ","]
    assert "2010" in tokens and ":" in tokens and "\t" in tokens


def test_single_word_change() -> None:
    ops = diff_words("Kommunen anser att förslaget bör förtydligas.",
                     "Kommunen anser att förslaget ska förtydligas.")  # fmt: skip
    assert ops == [
        DiffOp("equal", "Kommunen anser att förslaget "),
        DiffOp("delete", "bör"),
        DiffOp("insert", "ska"),
        DiffOp("equal", " förtydligas."),
    ]


def test_insertion_and_deletion() -> None:
    ops = diff_words("a b c d", "a b x c")
    assert_valid(ops, "a b c d", "a b x c")
    assert count_words(ops) == (1, 1)


def test_replaced_words_are_grouped_across_spaces() -> None:
    ops = diff_words("start ett två tre slut", "start fyra fem sex slut")
    assert ops == [
        DiffOp("equal", "start "),
        DiffOp("delete", "ett två tre"),
        DiffOp("insert", "fyra fem sex"),
        DiffOp("equal", " slut"),
    ]


def test_identical_texts_are_all_equal() -> None:
    assert diff_words("", "") == []
    assert diff_words("samma text", "samma text") == [DiffOp("equal", "samma text")]


def test_empty_sides() -> None:
    assert diff_words("", "ny") == [DiffOp("insert", "ny")]
    assert diff_words("gammal", "") == [DiffOp("delete", "gammal")]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.text(max_size=300))
def test_ops_rebuild_both_texts(old: str, new: str) -> None:
    assert_valid(diff_words(old, new), old, new)


WORDS = st.sampled_from(["och", "att", "kommunen", "förslaget", " ", "  ", "\n", "\n\n", ".", ",",
                         "skolan", "bör", "ska", "x", "å"])  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.lists(WORDS, max_size=200), st.data())
def test_ops_rebuild_related_texts(words: list[str], data: st.DataObject) -> None:
    old = "".join(words)
    edited = list(words)
    for _ in range(data.draw(st.integers(0, 5))):
        position = data.draw(st.integers(0, len(edited)))
        if data.draw(st.booleans()) and position < len(edited):
            del edited[position]
        else:
            edited.insert(position, data.draw(WORDS))
    new = "".join(edited)
    ops = diff_words(old, new)
    assert_valid(ops, old, new)
    if old == new:
        assert all(op.kind == "equal" for op in ops)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=500))
def test_diff_of_identical_text_is_all_equal(text: str) -> None:
    ops = diff_words(text, text)
    assert all(op.kind == "equal" for op in ops)
    assert old_text(ops) == text


def large_text(size: int, seed: int = 1) -> str:
    """Swedish-looking paragraphs of about size characters."""
    rng = random.Random(seed)
    vocabulary = ("kommunen anser att förslaget bör förtydligas och att remissen saknar en "
                  "konsekvensanalys för skolan region staten ansvar kostnader").split()  # fmt: skip
    vocabulary += [f"ord{i}" for i in range(500)]
    paragraphs = []
    while sum(map(len, paragraphs)) < size:
        words = [rng.choice(vocabulary) for _ in range(rng.randint(20, 80))]
        paragraphs.append(" ".join(words).capitalize() + ".")
    return "\n\n".join(paragraphs)[:size]


def scattered_edits(text: str, count: int, seed: int = 2) -> str:
    rng = random.Random(seed)
    chars = list(text)
    for _ in range(count):
        position = rng.randrange(len(chars))
        chars[position : position + 5] = list(" nytt ord ")
    return "".join(chars)


@pytest.mark.parametrize("edits", [1, 10, 100])
def test_large_texts_differing_a_little_diff_fast(edits: int) -> None:
    old = large_text(200_000)
    new = scattered_edits(old, edits)
    ops = diff_words(old, new)
    assert_valid(ops, old, new)
    inserted, deleted = count_words(ops)
    # Each edit writes " nytt ord " over five characters: at most four words in, two out.
    assert 0 < inserted <= 4 * edits and deleted <= 2 * edits
    assert max(len(op.text) for op in ops if op.kind != "equal") < 40


@pytest.mark.parametrize(
    "make_new",
    [
        lambda old: large_text(200_000, seed=9),  # entirely different
        lambda old: "\n\n".join(reversed(old.split("\n\n"))),  # paragraphs reordered
        lambda old: old.replace("\n\n", " "),  # one huge paragraph
        lambda old: old.replace(".", "").replace("\n", " ").replace("att", "som"),
        lambda old: "a " * 100_000,
        lambda old: "x" + "." * 199_998 + "y",  # one long run of punctuation
    ],
)
def test_worst_case_large_diffs_stay_bounded(make_new) -> None:  # type: ignore[no-untyped-def]
    old = large_text(200_000)
    new = make_new(old)
    ops = diff_words(old, new)  # bounded by MAX_TOTAL_TOKEN_WORK; speed is in bench/
    assert_valid(ops, old, new)


def test_small_vocabulary_worst_case_is_bounded() -> None:
    rng = random.Random(3)
    old = " ".join(rng.choice("ab") for _ in range(3000))
    new = " ".join(rng.choice("ab") for _ in range(3000))
    ops = diff_words(old, new)
    assert_valid(ops, old, new)


# --- html ---------------------------------------------------------------------------------


def test_diff_macro_escapes_everything(app) -> None:
    ops = [
        DiffOp("equal", "a < b & "),
        DiffOp("delete", "<script>alert('x')</script>"),
        DiffOp("insert", '"citat" > '),
        DiffOp("equal", "slut"),
    ]
    with app.test_request_context():
        html = str(app.jinja_env.get_template("_macros.html").make_module({}).diff_ops(ops))
    assert html == (
        "a &lt; b &amp; <del>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</del>"
        "<ins>&#34;citat&#34; &gt; </ins>slut"
    )


def test_diff_macro_of_nothing(app) -> None:
    with app.test_request_context():
        assert str(app.jinja_env.get_template("_macros.html").make_module({}).diff_ops([])) == ""


# --- section diff -------------------------------------------------------------------------


def sections(*items: tuple[int, str, str]) -> list[SectionInput]:
    return [SectionInput(key, heading, body) for key, heading, body in items]


def kinds(changes: list[SectionChange]) -> list[tuple[int, str]]:
    return [(change.key, change.kind) for change in changes]


def test_unchanged_sections() -> None:
    old = sections((1, "Inledning", "Text."), (2, "Bakgrund", "Mer text."))
    changes = diff_sections(old, old)
    assert kinds(changes) == [(1, "unchanged"), (2, "unchanged")]
    assert changes[0].body_ops == [DiffOp("equal", "Text.")]
    assert summarize_changes(changes) == []


def test_added_removed_and_changed_sections() -> None:
    old = sections((1, "Inledning", "Text."), (2, "Bakgrund", "Gammal text."), (3, "X", "Bort."))
    new = sections((1, "Inledning", "Text."), (2, "Bakgrund", "Ny text."), (4, "Synpunkter", "Ja."))
    changes = diff_sections(old, new)
    assert kinds(changes) == [(1, "unchanged"), (2, "changed"), (3, "removed"), (4, "added")]
    changed, removed, added = changes[1], changes[2], changes[3]
    assert (changed.old_index, changed.new_index) == (1, 1)
    assert changed.body_ops == [
        DiffOp("delete", "Gammal"),
        DiffOp("insert", "Ny"),
        DiffOp("equal", " text."),
    ]
    assert (removed.old_heading, removed.new_heading) == ("X", None)
    assert (removed.old_index, removed.new_index) == (2, None)
    assert removed.body_ops == [DiffOp("delete", "Bort.")]
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


def test_summary_counts_words() -> None:
    old_body = "Kommunen tillstyrker förslaget i sin helhet utan invändningar."
    new_body = ("Kommunen tillstyrker förslaget i sin helhet men vill framhålla att "
                "finansieringen måste säkras innan reformen genomförs.")  # fmt: skip
    changes = diff_sections(sections((1, "Bakgrund", old_body)),
                            sections((1, "Bakgrund", new_body)))  # fmt: skip
    assert count_words(changes[0].body_ops) == (10, 2)
    assert summarize_changes(changes) == [
        "Avsnitt ”Bakgrund” har ändrats (10 ord tillagda, 2 borttagna)"
    ]


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
    new = [SectionInput(k, f"R{k}", f"text {k} ny" if k in edited else f"text {k}")
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
