"""Text-quote anchoring: quotes round-trip, survive edits elsewhere, and detach when deleted."""

from __future__ import annotations

import random
import re
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from drafting.services.anchoring import (
    CONTEXT_CHARS,
    Anchor,
    TextQuote,
    locate,
    quote_from_exact,
    quote_from_selection,
)

TEXT = (
    "Kommunen tillstyrker förslaget om en ny skollag. Kommunen anser dock att "
    "finansieringen måste säkras innan reformen genomförs. Vidare anser kommunen att "
    "övergångstiden är för kort för mindre kommuner. Kommunen anser dock att "
    "uppföljningen bör ske efter tre år."
)


def collapse(text: str) -> str:
    return " ".join(text.split())


def test_quote_from_selection_takes_context() -> None:
    start = TEXT.index("finansieringen")
    quote = quote_from_selection(TEXT, start, start + len("finansieringen måste säkras"))
    assert quote.exact == "finansieringen måste säkras"
    assert quote.prefix == TEXT[start - CONTEXT_CHARS : start]
    assert len(quote.prefix) == CONTEXT_CHARS == 32
    assert quote.suffix == TEXT[start + len(quote.exact) :][:32]


def test_quote_at_the_edges_has_short_context() -> None:
    quote = quote_from_selection(TEXT, 0, 8)
    assert (quote.prefix, quote.exact) == ("", "Kommunen")
    end = quote_from_selection(TEXT, len(TEXT) - 4, len(TEXT))
    assert end.suffix == ""


def test_quote_from_selection_rejects_bad_ranges() -> None:
    for start, end in [(-1, 3), (5, 2), (0, len(TEXT) + 1)]:
        with pytest.raises(ValueError):
            quote_from_selection(TEXT, start, end)


def test_round_trip() -> None:
    start = TEXT.index("övergångstiden")
    end = start + len("övergångstiden är för kort")
    assert locate(TEXT, quote_from_selection(TEXT, start, end)) == Anchor(start, end, True)


def test_repeated_phrase_is_disambiguated_by_context() -> None:
    phrase = "Kommunen anser dock att"
    first, second = TEXT.index(phrase), TEXT.rindex(phrase)
    assert first != second
    for start in (first, second):
        quote = quote_from_selection(TEXT, start, start + len(phrase))
        assert locate(TEXT, quote) == Anchor(start, start + len(phrase), True)
        # Edit the context a little: the better-matching occurrence still wins.
        edited = TEXT.replace("genomförs.", "genomförs fullt ut.")
        found = locate(edited, quote)
        assert found is not None and found.exact_match
        assert edited[found.end :].startswith(" " + TEXT[start + len(phrase) :][:20].split()[0])


def test_second_occurrence_found_even_when_its_context_changed() -> None:
    phrase = "Kommunen anser dock att"
    start = TEXT.rindex(phrase)
    quote = quote_from_selection(TEXT, start, start + len(phrase))
    edited = TEXT.replace("mindre kommuner.", "små kommuner på landsbygden.")
    found = locate(edited, quote)
    assert found == Anchor(edited.rindex(phrase), edited.rindex(phrase) + len(phrase), True)


def test_insertions_elsewhere_do_not_matter() -> None:
    start = TEXT.index("finansieringen")
    end = start + len("finansieringen måste säkras")
    quote = quote_from_selection(TEXT, start, end)
    edited = "Ny inledande mening om något helt annat. " * 20 + TEXT + " Slutord."
    found = locate(edited, quote)
    shift = edited.index(TEXT)
    assert found == Anchor(start + shift, end + shift, True)


def test_whitespace_differences_do_not_break_matching() -> None:
    start = TEXT.index("finansieringen")
    end = start + len("finansieringen måste säkras innan")
    quote = quote_from_selection(TEXT, start, end)
    edited = TEXT.replace(" ", "  ").replace("måste  säkras", "måste\n\nsäkras")
    found = locate(edited, quote)
    assert found is not None and found.exact_match
    assert collapse(edited[found.start : found.end]) == collapse(quote.exact)
    assert edited[found.start : found.end].startswith("finansieringen")
    assert edited[found.end - 5 : found.end] == "innan"


def test_slightly_edited_passage_is_found_fuzzily() -> None:
    start = TEXT.index("finansieringen")
    end = start + len("finansieringen måste säkras innan reformen genomförs")
    quote = quote_from_selection(TEXT, start, end)
    edited = TEXT.replace("måste säkras innan", "måste tryggas innan")
    found = locate(edited, quote)
    assert found is not None and not found.exact_match
    assert (
        edited[found.start : found.end] == "finansieringen måste tryggas innan reformen genomförs"
    )


def test_edited_passage_with_edited_context_is_found_by_its_pieces() -> None:
    start = TEXT.index("övergångstiden")
    end = start + len("övergångstiden är för kort för mindre kommuner")
    quote = quote_from_selection(TEXT, start, end)
    edited = (
        "Helt ny inledning. Dessutom menar vi att övergångstiden är alldeles för kort för "
        "mindre kommuner. Slut."
    )
    found = locate(edited, quote)
    assert found is not None and not found.exact_match
    assert (
        edited[found.start : found.end] == "övergångstiden är alldeles för kort för mindre kommuner"
    )


def test_deleted_passage_detaches() -> None:
    start = TEXT.index("Vidare anser")
    end = TEXT.index("Kommunen anser dock att uppföljningen")
    quote = quote_from_selection(TEXT, start, end)
    edited = TEXT[:start] + TEXT[end:]
    assert locate(edited, quote) is None
    assert locate("Något helt annat.", quote) is None
    assert locate("", quote) is None


def test_rewritten_passage_detaches() -> None:
    start = TEXT.index("finansieringen")
    quote = quote_from_selection(TEXT, start, start + len("finansieringen måste säkras"))
    edited = TEXT.replace("finansieringen måste säkras", "staten betalar allt")
    assert locate(edited, quote) is None


def test_empty_or_blank_quote_never_anchors() -> None:
    assert locate(TEXT, TextQuote("", "a", "b")) is None
    assert locate(TEXT, TextQuote("  \n", "", "")) is None
    assert quote_from_exact(TEXT, "   ") is None


def test_quote_from_exact_builds_quote_from_our_text() -> None:
    quote = quote_from_exact(TEXT, "  finansieringen måste\nsäkras ")
    start = TEXT.index("finansieringen")
    assert quote == quote_from_selection(TEXT, start, start + len("finansieringen måste säkras"))


def test_quote_from_exact_uses_hints_to_pick_the_occurrence() -> None:
    phrase = "Kommunen anser dock att"
    second = TEXT.rindex(phrase)
    quote = quote_from_exact(TEXT, phrase, prefix_hint="för mindre kommuner. ",
                             suffix_hint=" uppföljningen")  # fmt: skip
    assert quote == quote_from_selection(TEXT, second, second + len(phrase))
    first = quote_from_exact(TEXT, phrase)
    assert first == quote_from_selection(TEXT, TEXT.index(phrase), TEXT.index(phrase) + len(phrase))


def test_quote_from_exact_not_found() -> None:
    assert quote_from_exact(TEXT, "finns inte i texten") is None
    # Only exact (whitespace-insensitive) matches: a browser selection is never guessed at.
    assert quote_from_exact(TEXT, "finansieringen måste tryggas") is None


# --- properties ---------------------------------------------------------------------------

ALPHABET = st.sampled_from(list("aab ba. \n\tÅé") + ["och", "att", " ", "  "])


@settings(max_examples=500, deadline=None)
@given(st.lists(ALPHABET, min_size=1, max_size=300).map("".join), st.data())
def test_locate_finds_any_selection(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assume(text[start:end].strip())
    quote = quote_from_selection(text, start, end)
    found = locate(text, quote)
    assert found is not None and found.exact_match
    assert text[found.start : found.end] == quote.exact


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=300), st.data())
def test_locate_finds_any_selection_in_any_text(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assume(text[start:end].strip())
    found = locate(text, quote_from_selection(text, start, end))
    assert found is not None
    assert text[found.start : found.end] == text[start:end]


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHABET, min_size=1, max_size=200).map("".join), st.data())
def test_locate_ignores_whitespace_changes(text: str, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    assume(text[start:end].strip())
    quote = quote_from_selection(text, start, end)
    spacing = data.draw(st.sampled_from([" ", "  ", "\n", " \n\t"]))
    changed = re.sub(r"\s+", lambda m: spacing if len(m.group()) % 2 else " ", text)
    found = locate(changed, quote)
    assert found is not None and found.exact_match
    assert collapse(changed[found.start : found.end]) == collapse(quote.exact)


# --- speed --------------------------------------------------------------------------------


def big_text(size: int = 200_000) -> str:
    rng = random.Random(4)
    vocabulary = ("kommunen anser att förslaget bör förtydligas och att remissen saknar en "
                  "konsekvensanalys för skolan region staten").split()  # fmt: skip
    vocabulary += [f"ord{i}" for i in range(3000)]
    lines = []
    while sum(map(len, lines)) < size:
        lines.append(" ".join(rng.choice(vocabulary) for _ in range(rng.randint(20, 80))) + ".")
    return "\n".join(lines)[:size]


def random_quotes(text: str, count: int, seed: int = 5) -> list[tuple[int, int, TextQuote]]:
    rng = random.Random(seed)
    quotes = []
    while len(quotes) < count:
        start = rng.randrange(len(text) - 200)
        end = start + rng.randint(5, 150)
        if text[start:end].strip():
            quotes.append((start, end, quote_from_selection(text, start, end)))
    return quotes


def test_thousand_exact_quotes_in_a_large_text_are_fast() -> None:
    text = big_text()
    quotes = random_quotes(text, 1000)
    shift = len("Ny inledning.\n" * 30)
    edited = "Ny inledning.\n" * 30 + text
    started = time.perf_counter()
    for start, end, quote in quotes:
        assert locate(edited, quote) == Anchor(start + shift, end + shift, True)
    assert time.perf_counter() - started < 10  # measured: about 0.1 s


def test_fuzzy_locate_is_bounded() -> None:
    text = big_text()
    worst = 0.0
    for start, end, quote in random_quotes(text, 40, seed=6):
        middle = (start + end) // 2
        edited = text[:middle] + "X" + text[middle + 1 :]
        locate(edited, quote)  # normalises the new text once (cached, as in real use)
        began = time.perf_counter()
        locate(edited, TextQuote(quote.exact + "Q", quote.prefix, quote.suffix))
        worst = max(worst, time.perf_counter() - began)
    assert worst < 1  # measured: about 40 ms at most


def test_pathological_texts_are_bounded() -> None:
    cases = [
        ("a" * 200_000, TextQuote("a" * 50 + "b", "a" * 32, "a" * 32)),
        ("a" * 200_000, TextQuote("a", "x", "y")),
        ("ab " * 66_000, TextQuote("ab ab ab ab ab xx ab ab ab", "ab ab", "ab ab")),
        ("ab " * 66_000, TextQuote(("ab " * 1500).replace("ab", "ac", 3), "", "")),
    ]
    for text, quote in cases:
        locate(text, TextQuote("zzz", "", ""))  # warm the normalisation cache
        began = time.perf_counter()
        locate(text, quote)
        assert time.perf_counter() - began < 1
