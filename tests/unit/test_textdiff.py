"""Word diffs: ops rebuild both texts, numbers stay whole words, the work stays bounded."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafting.services.textdiff import (
    DiffOp,
    count_words,
    diff_words,
    new_budget,
    new_text,
    old_text,
    tokenize,
    word_count,
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
    assert "2010:800" in tokens and "\t" in tokens


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


@pytest.mark.parametrize(("text", "expected"), [
    ("0,8 procent", ["0,8", " ", "procent"]),
    ("SOU 2020:8", ["SOU", " ", "2020:8"]),
    ("1 200 kr", ["1 200", " ", "kr"]),
    ("750\u00a0000 invånare", ["750\u00a0000", " ", "invånare"]),
    ("2 000 000,50", ["2 000 000,50"]),
    ("dnr I2024/01234", ["dnr", " ", "I2024/01234"]),
    ("3,5–4,0 %", ["3,5–4,0", " ", "%"]),
    # Not numbers joined: a year and a count, a sentence end, a list of years.
    ("år 2020 200 personer", ["år", " ", "2020", " ", "200", " ", "personer"]),
    ("punkt 3.Det", ["punkt", " ", "3", ".", "Det"]),
    ("2020, 2021", ["2020", ",", " ", "2021"]),
    ("Lund,Malmö", ["Lund", ",", "Malmö"]),
])
def test_numbers_are_whole_words(text: str, expected: list[str]) -> None:
    assert tokenize(text) == expected


def test_a_changed_figure_is_one_replaced_word() -> None:
    # Before numbers were words: "~~0~~1,~~8~~1".
    assert diff_words("Andelen är 0,8 procent.", "Andelen är 1,1 procent.") == [
        DiffOp("equal", "Andelen är "), DiffOp("delete", "0,8"), DiffOp("insert", "1,1"),
        DiffOp("equal", " procent."),
    ]
    assert diff_words("enligt SOU 2020:8", "enligt SOU 2021:3") == [
        DiffOp("equal", "enligt SOU "), DiffOp("delete", "2020:8"), DiffOp("insert", "2021:3"),
    ]
    assert diff_words("kostar 1 200 kr", "kostar 1 300 kr") == [
        DiffOp("equal", "kostar "), DiffOp("delete", "1 200"), DiffOp("insert", "1 300"),
        DiffOp("equal", " kr"),
    ]
    assert word_count("1 200 kr, 0,8 procent") == 4


def test_a_shared_budget_bounds_many_diffs() -> None:
    """One comparison diffs many blocks: their matching work is capped together, not each."""
    rng = random.Random(5)
    pairs = [(" ".join(rng.choice("ab") for _ in range(120)),
              " ".join(rng.choice("ab") for _ in range(120))) for _ in range(40)]
    budget = new_budget()
    results = [diff_words(old, new, budget) for old, new in pairs]
    for (old, new), ops in zip(pairs, results, strict=True):
        assert_valid(ops, old, new)
    assert budget[0] <= 0
    # Once it is spent, what differs is shown as replaced: only prefix and suffix are matched.
    assert len(results[-1]) <= 4
    # Each with a budget of its own, the same diffs are all matched word by word.
    assert all(len(diff_words(old, new)) > 4 for old, new in pairs[-3:])


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
