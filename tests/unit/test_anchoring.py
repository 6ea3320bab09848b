"""Text-quote anchoring: quotes round-trip, survive edits elsewhere, and detach when deleted."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from drafting.rendering import render_markdown
from drafting.services.anchoring import (
    CONTEXT_CHARS,
    Anchor,
    TextQuote,
    block_spans,
    locate,
    locate_all,
    page_range,
    page_text,
    quote_from_block,
    quote_from_exact,
    quote_from_page_range,
    quote_from_selection,
    quote_from_typed,
    section_text,
    source_range,
    text_id,
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


def test_edited_passage_next_to_one_intact_side_of_context_is_found() -> None:
    start = TEXT.index("övergångstiden")
    end = start + len("övergångstiden är för kort för mindre kommuner")
    quote = quote_from_selection(TEXT, start, end)
    # The passage and its prefix were rewritten; the suffix still stands right after it.
    edited = TEXT.replace("Vidare anser kommunen att övergångstiden är för kort",
                          "Dessutom menar vi att övergångstiden är alldeles för kort")  # fmt: skip
    found = locate(edited, quote)
    assert found is not None and not found.exact_match
    assert edited[found.start : found.end].endswith("för kort för mindre kommuner")
    assert "alldeles" in edited[found.start : found.end]


def test_small_edits_on_both_sides_close_by_keep_the_anchor() -> None:
    start = TEXT.index("finansieringen")
    end = start + len("finansieringen måste säkras")
    quote = quote_from_selection(TEXT, start, end)
    edited = TEXT.replace("Kommunen anser dock att finansieringen", "Kommunen menar dock att finansieringen")
    edited = edited.replace("innan reformen genomförs.", "innan reformerna genomförs.")
    shift = len("menar") - len("anser")
    assert locate(edited, quote) == Anchor(start + shift, end + shift, True)


def test_passage_whose_context_changed_on_both_sides_detaches() -> None:
    # Rule 4: without an intact side of context it is another passage, even with the same
    # words (here: the passage reworded a little and every word around it new).
    start = TEXT.index("övergångstiden")
    end = start + len("övergångstiden är för kort för mindre kommuner")
    quote = quote_from_selection(TEXT, start, end)
    edited = (
        "Helt ny inledning. Dessutom menar vi att övergångstiden är alldeles för kort för "
        "mindre kommuner. Slut."
    )
    assert locate(edited, quote) is None
    unchanged_words = "Helt ny inledning. Vi menar att övergångstiden är för kort för mindre kommuner."
    assert locate(unchanged_words, quote) is None


def test_deleting_the_commented_occurrence_detaches_though_another_remains() -> None:
    phrase = "Kommunen anser dock att"
    second = TEXT.rindex(phrase)
    quote = quote_from_selection(TEXT, second, second + len(phrase))
    sentence = TEXT.index("Kommunen anser dock att uppföljningen")
    without_it = TEXT[:sentence].rstrip()  # the last sentence, and so the second phrase, is gone
    assert phrase in without_it  # the first occurrence remains, with other context
    assert locate(without_it, quote) is None
    # The same with text in its place: neither its prefix nor its suffix stands by the first.
    replaced = TEXT[:sentence] + "Uppföljningen sker årligen."
    assert locate(replaced, quote) is None


def test_deleting_the_other_occurrence_keeps_the_commented_one() -> None:
    phrase = "Kommunen anser dock att"
    first, second = TEXT.index(phrase), TEXT.rindex(phrase)
    quote = quote_from_selection(TEXT, first, first + len(phrase))
    edited = TEXT[:second] + TEXT[second + len(phrase) :]
    assert locate(edited, quote) == Anchor(first, first + len(phrase), True)


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


# --- repeated passages: the recorded context decides ------------------------------------

PHRASE_WORDS = ["kommunen", "anser", "att", "förslaget", "bör", "staten", "och", "é", "🎉", "ŉ"]
SEPARATORS = [" ", "  ", "\n", ". ", ", ", "\n\n"]


@dataclass(frozen=True)
class Repeated:
    """A text in which one phrase stands at several known places, each with its own context."""

    text: str
    phrase: str
    spans: tuple[tuple[int, int], ...]


@st.composite
def repeated_texts(draw: st.DrawFn, *, markdown: bool = False) -> Repeated:
    phrase = " ".join(draw(st.lists(st.sampled_from(PHRASE_WORDS), min_size=1, max_size=4)))
    count = draw(st.integers(2, 5))
    # Fillers may contain the phrase too (more repeats), but each is marked at both ends
    # with tokens of its own, so each deliberate occurrence has context of its own.
    words = st.sampled_from([*PHRASE_WORDS, phrase, "**fet**" if markdown else "fet", "_kursiv_" if markdown else "kursiv"])
    separators = st.sampled_from(["\n\n", " "] if markdown else SEPARATORS)
    text, spans = "", []
    for index in range(count + 1):
        middle = " ".join(draw(st.lists(words, max_size=8)))
        text += f"q{index}a {middle} q{index}b".replace("  ", " ")
        if index < count:
            text += draw(separators)
            spans.append((len(text), len(text) + len(phrase)))
            text += phrase + draw(separators)
    return Repeated(text, phrase, tuple(spans))


def squeezed(text: str) -> str:
    return "".join(text.split())


@settings(max_examples=300, deadline=None)
@given(repeated_texts(), st.data())
def test_each_occurrence_is_found_by_its_own_context(case: Repeated, data: st.DataObject) -> None:
    start, end = data.draw(st.sampled_from(case.spans))
    quote = quote_from_selection(case.text, start, end)
    assert locate(case.text, quote) == Anchor(start, end, True)
    # The browser's selected string plus the context it saw picks the same occurrence.
    assert quote_from_exact(case.text, case.phrase, quote.prefix, quote.suffix) == quote


@settings(max_examples=300, deadline=None)
@given(repeated_texts(), st.data())
def test_edits_elsewhere_keep_the_commented_occurrence(case: Repeated, data: st.DataObject) -> None:
    start, end = data.draw(st.sampled_from(case.spans))
    quote = quote_from_selection(case.text, start, end)
    # Insert anything, the phrase itself included, outside the passage and its context.
    outside = [i for i in range(len(case.text) + 1)
               if i <= start - CONTEXT_CHARS or i >= end + CONTEXT_CHARS]  # fmt: skip
    assume(outside)
    at = data.draw(st.sampled_from(outside))
    inserted = data.draw(st.sampled_from([case.phrase, f" {case.phrase} ", "Ny mening. ", "\n\n"]))
    edited = case.text[:at] + inserted + case.text[at:]
    shift = len(inserted) if at <= start else 0
    assert locate(edited, quote) == Anchor(start + shift, end + shift, True)


@settings(max_examples=300, deadline=None)
@given(repeated_texts(), st.data())
def test_one_intact_side_of_context_is_enough(case: Repeated, data: st.DataObject) -> None:
    start, end = data.draw(st.sampled_from(case.spans))
    quote = quote_from_selection(case.text, start, end)
    width = data.draw(st.integers(1, CONTEXT_CHARS))
    new = data.draw(st.sampled_from(["ändrat ", "helt annan text här ", "x"]))
    if data.draw(st.booleans()):  # rewrite what stands before the passage
        cut = max(0, start - width)
        edited = case.text[:cut] + new + case.text[start:]
        shift = len(new) - (start - cut)
    else:  # or what stands after it
        edited = case.text[:end] + new + case.text[end + width :]
        shift = 0
    found = locate(edited, quote)
    assert found == Anchor(start + shift, end + shift, True)


@settings(max_examples=300, deadline=None)
@given(repeated_texts(), st.data())
def test_small_edits_close_by_on_both_sides_keep_it(case: Repeated, data: st.DataObject) -> None:
    start, end = data.draw(st.sampled_from(case.spans))
    quote = quote_from_selection(case.text, start, end)
    assume(len(quote.prefix) >= CONTEXT_CHARS and len(quote.suffix) >= CONTEXT_CHARS)
    # Change one character on each side, at least _MIN_CONTEXT (8) characters away (runs of
    # whitespace count as one character).
    before = start - data.draw(st.integers(9, CONTEXT_CHARS))
    after = end + data.draw(st.integers(8, CONTEXT_CHARS - 1))
    assume(len(re.sub(r"\s+", " ", case.text[before + 1 : start])) >= 8)
    assume(len(re.sub(r"\s+", " ", case.text[end:after])) >= 8)
    edited = (case.text[:before] + "§" + case.text[before + 1 : after] + "§"
              + case.text[after + 1 :])  # fmt: skip
    assert locate(edited, quote) == Anchor(start, end, True)


@settings(max_examples=300, deadline=None)
@given(repeated_texts(), st.data())
def test_deleting_the_commented_occurrence_detaches(case: Repeated, data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(case.spans) - 1))
    start, end = case.spans[index]
    quote = quote_from_selection(case.text, start, end)
    # Delete the occurrence with some of what separates it from its neighbours, perhaps
    # writing something else there; the phrase still stands at the other places.  (Deleting
    # up to a neighbouring occurrence would give that one this one's context: W3C quotes
    # cannot tell the two apart, so neither can we.)
    left = case.text.rindex(f"q{index}b", 0, start) + 3
    right = case.text.index(f"q{index + 1}a", end)
    cut_start = data.draw(st.integers(left, start))
    cut_end = data.draw(st.integers(end, right))
    filler = data.draw(st.sampled_from(["", " ", " Något nytt. "]))
    edited = case.text[:cut_start] + filler + case.text[cut_end:]
    assert case.phrase in edited
    assert locate(edited, quote) is None


@settings(max_examples=300, deadline=None)
@given(repeated_texts(), st.data())
def test_deleting_another_occurrence_keeps_this_one(case: Repeated, data: st.DataObject) -> None:
    mine, other = data.draw(st.permutations(range(len(case.spans))))[:2]
    start, end = case.spans[mine]
    quote = quote_from_selection(case.text, start, end)
    o_start, o_end = case.spans[other]
    edited = case.text[:o_start] + case.text[o_end:]
    shift = -(o_end - o_start) if o_start < start else 0
    assert locate(edited, quote) == Anchor(start + shift, end + shift, True)


@settings(max_examples=300, deadline=None)
@given(repeated_texts(), st.data())
def test_context_rewritten_on_both_sides_detaches(case: Repeated, data: st.DataObject) -> None:
    start, end = data.draw(st.sampled_from(case.spans))
    quote = quote_from_selection(case.text, start, end)
    width = data.draw(st.integers(6, CONTEXT_CHARS))
    edited = (case.text[: max(0, start - width)] + "Ny början: " + case.text[start:end]
              + " ny fortsättning." + case.text[end + width :])  # fmt: skip
    assume(edited.count(case.phrase) >= 2)  # the phrase stays, here and elsewhere
    assert locate(edited, quote) is None


# --- page positions (what static/app.js counts) -------------------------------------------


def dom_text(html: str) -> str:
    """The section body's DOM text, as a browser's textContent (all text nodes)."""
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    return "".join(root.itertext())


def page_slice(dom: str, start: int, end: int) -> str:
    """dom between two page positions, counted as app.js counts them."""
    out, position = [], 0
    for char in dom:
        if char in "\t\n\f\r ":
            if start < position < end:
                out.append(char)
            continue
        if start <= position < end:
            out.append(char)
        position += 2 if ord(char) > 0xFFFF else 1
    return "".join(out)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repeated_texts(markdown=True), st.data())
def test_page_positions_round_trip_through_the_page(case: Repeated, data: st.DataObject) -> None:
    page = page_text(render_markdown(case.text))
    assert page.text == section_text(render_markdown(case.text))
    index = data.draw(st.integers(0, len(case.spans) - 1))
    # The index-th deliberate occurrence in the rendered text: right after its marker token.
    marker = f"q{index}b"
    start = page.text.index(case.phrase, page.text.index(marker) + len(marker))
    quote = quote_from_selection(page.text, start, start + len(case.phrase))
    found = locate(page.text, quote)
    assert found == Anchor(start, start + len(case.phrase), True)
    where = page_range(page, found)
    assert where is not None
    selected = page_slice(dom_text(render_markdown(case.text)), *where)
    assert squeezed(selected) == squeezed(case.phrase)
    # And back: what the browser sends for that selection is that occurrence's quote.
    assert quote_from_page_range(page, *where, selected) == quote


def test_page_positions_skip_whitespace_between_tags_and_count_utf16() -> None:
    html = "<p>Ett 🎉 två</p>\n<ul>\n<li>tre <em>ett 🎉 två</em></li>\n</ul>"
    page = page_text(html)
    assert page.text == "Ett 🎉 två\ntre ett 🎉 två"
    second = page.text.rindex("ett 🎉 två")
    anchor = locate(page.text, quote_from_selection(page.text, second, second + len("ett 🎉 två")))
    assert anchor is not None
    # "Ett🎉två" counts 3 + 2 + 3, "tre" 3: the second passage starts at 11.
    assert page_range(page, anchor) == (11, 19)
    # A parser that drops the whitespace between tags reads the same positions.
    assert squeezed(page_slice(dom_text(html.replace("\n", "")), 11, 19)) == "ett🎉två"


CHUNKS = st.text(st.sampled_from(list("ab é🎉") + ["\xa0", "\u2003", "\n", "\t"]), max_size=6)


@st.composite
def html_fragments(draw: st.DrawFn) -> str:
    blocks = []
    for _ in range(draw(st.integers(1, 4))):
        inline = "".join(
            f"<em>{chunk}</em>" if draw(st.booleans()) else chunk + draw(st.sampled_from(["", "<br>"]))
            for chunk in draw(st.lists(CHUNKS, max_size=4))
        )
        tag = draw(st.sampled_from(["p", "li", "h2", "td"]))
        blocks.append(f"<{tag}>{inline}</{tag}>")
    return draw(st.sampled_from(["", "\n", " \n "])).join(blocks)


@settings(max_examples=400, deadline=None)
@given(html_fragments())
def test_page_positions_are_those_a_browser_counts(html: str) -> None:
    # Every character of the text other than whitespace sits where counting the DOM's
    # characters other than HTML whitespace (in UTF-16 units, as app.js does) puts it.
    page = page_text(html)
    counted, position = [], 0
    for char in dom_text(html):
        if char not in "\t\n\f\r ":
            if not char.isspace():
                counted.append((char, position))
            position += 2 if ord(char) > 0xFFFF else 1
    ours = [(char, page.position(i)) for i, char in enumerate(page.text) if not char.isspace()]
    assert ours == counted
    assert page.position(len(page.text)) <= position


def test_a_selection_from_another_text_is_refused() -> None:
    page = page_text("<p>Kommunen anser att staten bör betala.</p>")
    assert quote_from_page_range(page, 0, 8, "Kommunen").exact == "Kommunen"
    assert quote_from_page_range(page, 0, 8, "Regionen") is None  # the page showed other text
    assert quote_from_page_range(page, 8, 8, "") is None
    assert quote_from_page_range(page, 500, 520, "x") is None


# --- the Markdown source of a located passage ---------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(repeated_texts(markdown=True), st.data())
def test_source_range_is_the_located_occurrence(case: Repeated, data: st.DataObject) -> None:
    html = render_markdown(case.text)
    text = section_text(html)
    index = data.draw(st.integers(0, len(case.spans) - 1))
    marker = f"q{index}b"
    start = text.index(case.phrase, text.index(marker) + len(marker))
    quote = quote_from_selection(text, start, start + len(case.phrase))
    assert source_range(case.text, text, quote) == case.spans[index]


def test_source_range_skips_occurrences_that_do_not_render_there() -> None:
    source = "Läs [avgiften](https://example.se/avgiften) här. Sedan: avgiften är hög."
    text = section_text(render_markdown(source))
    second = text.rindex("avgiften")
    quote = quote_from_selection(text, second, second + len("avgiften"))
    start, end = source_range(source, text, quote)
    assert start == source.rindex("avgiften") and source[start:end] == "avgiften"
    # Only an exactly located passage standing verbatim in the source can be replaced.
    emphasised = "Vi anser att **avgiften** är hög. Vi anser att avgiften är låg."
    text = section_text(render_markdown(emphasised))
    first = quote_from_selection(text, text.index("att avgiften är"), text.index(" hög"))
    assert source_range(emphasised, text, first) is None
    gone = quote_from_selection(text, 0, 2)
    assert source_range("Något annat.", "Något annat.", gone) is None


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
    for start, end, quote in quotes:
        assert locate(edited, quote) == Anchor(start + shift, end + shift, True)


def test_fuzzy_locate_is_bounded() -> None:
    text = big_text()
    for start, end, quote in random_quotes(text, 40, seed=6):
        middle = (start + end) // 2
        edited = text[:middle] + "X" + text[middle + 1 :]
        locate(edited, quote)  # normalises the new text once (cached, as in real use)
        # Fuzzy search is bounded work (one SequenceMatcher budget); speed is in bench/.
        locate(edited, TextQuote(quote.exact + "Q", quote.prefix, quote.suffix))


def test_pathological_texts_are_bounded() -> None:
    cases = [
        ("a" * 200_000, TextQuote("a" * 50 + "b", "a" * 32, "a" * 32)),
        ("a" * 200_000, TextQuote("a", "x", "y")),
        ("ab " * 66_000, TextQuote("ab ab ab ab ab xx ab ab ab", "ab ab", "ab ab")),
        ("ab " * 66_000, TextQuote(("ab " * 1500).replace("ab", "ac", 3), "", "")),
    ]
    for text, quote in cases:
        locate(text, TextQuote("zzz", "", ""))  # warm the normalisation cache
        locate(text, quote)  # must finish: pytest-timeout stops a hang; speed is measured in bench/


# --- passages chosen without a selection ------------------------------------------------

BLOCKS = "Rubrik\nKommunen anser att avgiften är för hög.\nKommunerna delar  bedömningen.\nKommunen"


def test_block_spans_are_the_lines_of_the_text() -> None:
    spans = block_spans(BLOCKS)
    assert [BLOCKS[a:b] for a, b in spans] == BLOCKS.split("\n")
    assert block_spans("") == []


def test_a_whole_block_becomes_a_quote_that_locates_it() -> None:
    quote = quote_from_block(BLOCKS, 1)
    assert quote.exact == "Kommunen anser att avgiften är för hög."
    assert quote.prefix == "Rubrik\n"
    anchor = locate(BLOCKS, quote)
    assert BLOCKS[anchor.start:anchor.end] == quote.exact
    assert quote_from_block(BLOCKS, 4) is None and quote_from_block(BLOCKS, -1) is None


def test_typed_text_is_found_whitespace_aside_and_counted() -> None:
    quote, count = quote_from_typed(BLOCKS, "delar\n bedömningen")
    assert (quote.exact, count) == ("delar  bedömningen", 1)
    assert quote_from_typed(BLOCKS, "finns inte") == (None, 0)
    assert quote_from_typed(BLOCKS, "   ") == (None, 0)
    # Whole words first: "Kommunen" stands twice as a word (and once inside "Kommunerna").
    quote, count = quote_from_typed(BLOCKS, "Kommunen")
    assert count == 2 and quote.prefix == "Rubrik\n"
    # Only part of a word anywhere: the parts count.
    assert quote_from_typed(BLOCKS, "ommun")[1] == 3


def test_typed_text_within_one_block() -> None:
    spans = block_spans(BLOCKS)
    quote, count = quote_from_typed(BLOCKS, "Kommunen", spans[3])
    assert count == 1
    anchor = locate(BLOCKS, quote)
    assert (anchor.start, anchor.end) == spans[3]
    assert quote_from_typed(BLOCKS, "avgiften", spans[2]) == (None, 0)


def test_text_id_tells_texts_apart() -> None:
    assert text_id(BLOCKS) == text_id(str(BLOCKS)) != text_id(BLOCKS + ".")


# --- many quotes at once (the review copy) ------------------------------------------------


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, min_size=1, max_size=300).map("".join), st.data())
def test_locate_all_gives_the_anchors_locate_gives(text: str, data: st.DataObject) -> None:
    """The batch path (all comments of a section) and the single path agree, quote by quote,
    also for quotes taken from an edited text and for blank ones."""
    edited = data.draw(st.sampled_from([text, text.replace("a", "o", 1), "och " + text, text[::-1]]))
    quotes = []
    for _ in range(data.draw(st.integers(0, 8))):
        start = data.draw(st.integers(0, len(edited)))
        end = data.draw(st.integers(start, len(edited)))
        quotes.append(quote_from_selection(edited, start, end))
    assert locate_all(text, quotes) == [locate(text, quote) for quote in quotes]
