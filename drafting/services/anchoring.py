"""How a comment finds its passage: W3C Web Annotation text-quote selectors, one finder.

``locate`` decides, for everyone who asks, where a commented passage is: re-anchoring on
publish (services/drafting.py), the page's highlighting (``page_range``: the server computes
the offsets, static/app.js only marks them), accepting a suggestion (``source_range``: exactly
the located occurrence is replaced in the Markdown source) and the review copy's Word
comments (export/docx_builder.py, over the text of its paragraphs, all of a section at once
with ``locate_all``).

The text.  A comment is anchored in its section's plain text: the rendered HTML's text, one
line per block, whitespace collapsed (``section_text``, from drafting.rendering).  Offsets are
Python string indices into it.  The page and the Markdown source are mapped to and from it
here: ``page_range`` and ``quote_from_page_range`` for the browser (see
rendering.PlainText), ``source_range`` for the Markdown.

Without a selection (no JavaScript, keyboard only) a reader chooses a block of the text
(``block_spans``, ``quote_from_block``) or types the passage out (``quote_from_typed``);
either becomes a quote here, just as a selection does.

The quote.  ``exact`` (the selected text) with up to CONTEXT_CHARS characters of ``prefix``
before it and ``suffix`` after it, taken from that text when the comment was made.

The rule (differences in whitespace never count):

1. A place matches when the exact text stands there with its context: the whole recorded
   prefix just before it or the whole suffix just after it, or, when both were recorded, at
   least _MIN_CONTEXT characters of each right next to it.  (W3C asks for both sides whole;
   this is looser so that an edit on one side, or small ones close by on both, does not
   detach.)  A side recorded empty (the passage stood at the edge of the section)
   constrains nothing, so a quote with no context at all matches its first occurrence.
2. Of the matching places, the one where more characters of context agree (counted outward
   from the passage, both sides together) wins; ties go to the first.
3. If no place matches, the passage itself may have been edited.  Where both sides of the
   context stand (the whole of each, and at least _MIN_CONTEXT characters: fewer occur all
   over) the passage is what lies between them; where only one does, it begins (ends) there
   with at least its own first (last) _MIN_CONTEXT characters unchanged.  The text so placed
   is taken if at least FUZZY_THRESHOLD similar to the passage (``Anchor.exact_match`` is
   then False).  Prefix and suffix side by side mean the passage was deleted.
4. Otherwise the comment is detached (None), even when the same words occur elsewhere: an
   occurrence without the recorded context is another passage, not the one commented on.
"""

from __future__ import annotations

import hashlib
import re
import time
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from os.path import commonprefix

from ..rendering import MarkdownRejected, PlainText, plain_text, render_markdown, text_content
from .textdiff import BoundedMatcher, OverBudget

CONTEXT_CHARS = 32
FUZZY_THRESHOLD = 0.75
# Approximate matching is bounded twice: by matcher work (deterministic) and by wall time.
FUZZY_WORK_LIMIT = 300_000  # inner-loop steps of difflib per locate call
FUZZY_TIME_LIMIT = 0.03  # seconds per locate call
MAX_SOURCE_TRIES = 8  # renders spent telling repeated occurrences apart in Markdown source
_MAX_CANDIDATES = 5_000  # occurrences scored per probe (only very short quotes have more)
_MAX_WINDOWS = 16  # approximate-match windows examined per call
_MAX_HITS_PER_PROBE = 6  # occurrences of one context used as window seeds
_CHAR_ALIGN_LIMIT = 400  # quotes longer than this are aligned word by word
_MIN_CONTEXT = 8  # characters of context that place a passage, or prove a deletion

_WS_RE = re.compile(r"\s+")
_LONG_WS_RE = re.compile(r"\s{2,}")
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")


@dataclass(frozen=True)
class TextQuote:
    """A W3C TextQuoteSelector: the passage and its surrounding context."""

    exact: str
    prefix: str
    suffix: str


@dataclass(frozen=True)
class Anchor:
    """Where a quote was found: text[start:end]."""

    start: int
    end: int
    exact_match: bool  # False when found by approximate matching (rule 3)


def section_text(html: str) -> str:
    """The text comments on a section are anchored in: its rendered HTML's plain text."""
    return page_text(html).text


@lru_cache(maxsize=128)
def page_text(html: str) -> PlainText:
    """``section_text`` with each character's position on the page (for the browser).

    Cached: published texts never change, and every view of the page asks again (128
    sections: a few responses' worth, a few MB even for long texts).
    """
    return plain_text(html)


def quote_from_selection(text: str, start: int, end: int) -> TextQuote:
    """Build the quote for text[start:end] with up to CONTEXT_CHARS of context each side."""
    if not 0 <= start <= end <= len(text):
        raise ValueError(f"selection {start}:{end} outside text of length {len(text)}")
    return TextQuote(
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT_CHARS) : start],
        suffix=text[end : end + CONTEXT_CHARS],
    )


def quote_from_exact(
    text: str, exact: str, prefix_hint: str = "", suffix_hint: str = ""
) -> TextQuote | None:
    """Find a selected string (whitespace-insensitive) in text and build its quote, or None.

    For clients that send only the selected string and some context (the API): the hints
    choose among occurrences by agreement alone, as they come from another representation
    of the text; no hints, the first occurrence.
    """
    exact = exact.strip()  # a browser selection often carries surrounding spaces or line breaks
    if not exact:
        return None
    norm = _normalize(text)
    needle, prefix, suffix = _prepared(TextQuote(exact, prefix_hint, suffix_hint))
    found = _best(text, norm, exact, needle, prefix, suffix, _occurrences(norm.text, needle))
    if found is None:
        return None
    # The quote is taken from our own text, so it matches it exactly from now on.
    return quote_from_selection(text, found.start, found.end)


def block_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each block of a section's text (a paragraph, heading, item or cell).

    What a reader without a mouse chooses from instead of selecting: one line of the text.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n") if text else ():
        spans.append((start, start + len(line)))
        start += len(line) + 1
    return spans


def text_id(text: str) -> str:
    """A short fingerprint of a text, so that a block chosen on a page showing another text is noticed."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def quote_from_block(text: str, index: int) -> TextQuote | None:
    """The quote for the whole of block index (block_spans), or None if there is no such block."""
    spans = block_spans(text)
    if not 0 <= index < len(spans):
        return None
    start, end = spans[index]
    start, end = trimmed(text, Anchor(start, end, True))
    return quote_from_selection(text, start, end) if start < end else None


def quote_from_typed(
    text: str, typed: str, within: tuple[int, int] | None = None
) -> tuple[TextQuote | None, int]:
    """A passage typed out rather than selected: the quote of its first occurrence, and how many.

    Found whitespace-insensitively in text, or only in text[within] (a block_spans span);
    whole words count before parts of words ("kommun" is not in "kommunerna" when the word
    itself stands elsewhere).  The caller decides what none or several occurrences mean.
    """
    lo, hi = within if within is not None else (0, len(text))
    needle = _collapse(typed.strip())
    if not needle or not 0 <= lo <= hi <= len(text):
        return None, 0
    norm = _normalize(text[lo:hi])
    found = _occurrences(norm.text, needle)
    haystack = norm.text

    def whole(position: int) -> bool:
        end = position + len(needle)
        return not (needle[0].isalnum() and position and haystack[position - 1].isalnum()) and not (
            needle[-1].isalnum() and end < len(haystack) and haystack[end].isalnum())

    found = [p for p in found if whole(p)] or found
    if not found:
        return None, 0
    start, end = _original_span(norm, found[0], found[0] + len(needle), needle)
    return quote_from_selection(text, lo + start, lo + end), len(found)


def quote_from_page_range(page: PlainText, start: int, end: int, exact: str) -> TextQuote | None:
    """The quote for what a reader selected on the page, or None if it does not fit.

    start and end are page positions (rendering.PlainText) that static/app.js counted; exact
    is the DOM text of the selection, which must be what lies there (whitespace aside), else
    the page showed another text than this one.
    """
    text = page.text
    if not 0 <= start < end:
        return None
    indices = range(len(text) + 1)
    first = bisect_left(indices, start, key=page.position)  # the first character at or after start
    last = bisect_left(indices, end, key=page.position)  # text[:last] begins before end
    first, last = trimmed(text, Anchor(first, max(first, last), True))
    if first >= last or _squeezed(text[first:last]) != _squeezed(exact):
        return None
    return quote_from_selection(text, first, last)


def locate(text: str, quote: TextQuote) -> Anchor | None:
    """The one finder: where the quote's passage is in text, or None if detached (see rules)."""
    if not quote.exact.strip():
        return None
    return _locate_exact(text, quote) or _locate_fuzzy(text, quote)


def locate_all(text: str, quotes: Sequence[TextQuote]) -> list[Anchor | None]:
    """``locate`` for many quotes in one text (all comments of a section): the same anchors.

    The text is normalised once for all of them, and each quote whose passage and context
    stand unchanged is found with one search.
    """
    return [locate(text, quote) for quote in quotes]


def trimmed(text: str, anchor: Anchor) -> tuple[int, int]:
    """The located passage's span without whitespace at either end (may be empty)."""
    start, end = anchor.start, anchor.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def page_range(page: PlainText, anchor: Anchor) -> tuple[int, int] | None:
    """Page positions (rendering.PlainText) of a located passage, for static/app.js to mark."""
    start, end = trimmed(page.text, anchor)
    if start >= end:
        return None
    return page.position(start), page.position(end)


def source_range(source: str, text: str, quote: TextQuote) -> tuple[int, int] | None:
    """Where the located passage stands in the Markdown source that renders as text, or None.

    The passage must be found exactly (not approximately) and stand in the source as it
    reads (whitespace aside; markup inside it, e.g. emphasis, cannot be matched).  Of its
    occurrences in the source, the one that renders at the located place is chosen, checked
    by rendering the source with that occurrence replaced by a marker.
    """
    anchor = locate(text, quote)
    if anchor is None or not anchor.exact_match:
        return None
    start, end = trimmed(text, anchor)
    words = text[start:end].split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(map(re.escape, words)))
    matches: list[re.Match[str]] = []
    match = pattern.search(source)
    while match is not None and len(matches) < _MAX_CANDIDATES:
        matches.append(match)
        match = pattern.search(source, match.start() + 1)
    if not matches:
        return None
    marker = next((chr(c) for c in range(0xE000, 0xF900) if chr(c) not in source), None)
    if marker is None:
        return None
    expected = _squeezed(text[:start]) + marker + _squeezed(text[end:])
    # Occurrences usually keep their order between source and text: try that one first.
    rank = len(pattern.findall(_collapse(text[:start])))
    for index in sorted(range(len(matches)), key=lambda i: abs(i - rank))[:MAX_SOURCE_TRIES]:
        match = matches[index]
        try:
            shown = text_content(render_markdown(source[: match.start()] + marker + source[match.end() :]))
        except MarkdownRejected:
            continue
        if _squeezed(shown) == expected:
            return match.start(), match.end()
    return None


# --- text helpers -------------------------------------------------------------------------


class _Normalized:
    """Text with every whitespace run collapsed to one space, and the map back."""

    __slots__ = ("text", "run_positions", "removed_before")

    def __init__(self, original: str) -> None:
        self.text = _WS_RE.sub(" ", original)
        # Only runs longer than one character shift indices; remember where they are.
        self.run_positions: list[int] = []
        self.removed_before: list[int] = []
        removed = 0
        for match in _LONG_WS_RE.finditer(original):
            self.run_positions.append(match.start() - removed)
            removed += match.end() - match.start() - 1
            self.removed_before.append(removed)

    def to_original(self, index: int) -> int:
        """Map an index (or an end offset) in the normalised text to the original text."""
        k = bisect_left(self.run_positions, index)  # runs whose space lies before index
        return index + (self.removed_before[k - 1] if k else 0)


@lru_cache(maxsize=16)
def _normalize(text: str) -> _Normalized:
    """Cached: locating many quotes in one text normalises it once."""
    return _Normalized(text)


def _collapse(text: str) -> str:
    """Collapse whitespace runs to one space."""
    return _WS_RE.sub(" ", text)


def _squeezed(text: str) -> str:
    """Text without any whitespace: what two representations of one text always share."""
    return "".join(text.split())


def _common_suffix_length(a: str, b: str) -> int:
    """Length of the longest common suffix."""
    return len(commonprefix([a[::-1], b[::-1]]))


# --- exact matching (rules 1 and 2) -------------------------------------------------------


def _prepared(quote: TextQuote) -> tuple[str, str, str]:
    """Collapsed passage, prefix and suffix as they meet in collapsed text."""
    needle = _collapse(quote.exact)
    prefix = _collapse(quote.prefix)
    suffix = _collapse(quote.suffix)
    # When the quote starts/ends with whitespace that whitespace merges with the context's.
    if needle.startswith(" "):
        prefix = prefix.rstrip(" ")
    if needle.endswith(" "):
        suffix = suffix.lstrip(" ")
    return needle, prefix, suffix


def _occurrences(haystack: str, probe: str, offset: int = 0) -> list[int]:
    """Starts (shifted by offset) of the first _MAX_CANDIDATES occurrences, overlaps included."""
    found: list[int] = []
    position = haystack.find(probe)
    while position != -1 and len(found) < _MAX_CANDIDATES:
        found.append(position + offset)
        position = haystack.find(probe, position + 1)
    return found


def _locate_exact(text: str, quote: TextQuote) -> Anchor | None:
    """The best exact occurrence with its context (rules 1 and 2)."""
    # Fast path: exact text and full context unchanged (the common case).
    found = text.find(quote.prefix + quote.exact + quote.suffix)
    if found != -1:
        start = found + len(quote.prefix)
        return Anchor(start, start + len(quote.exact), True)

    norm = _normalize(text)
    needle, prefix, suffix = _prepared(quote)
    if not (prefix or suffix):
        return _best(text, norm, quote.exact, needle, prefix, suffix, _occurrences(norm.text, needle))
    # Places with the whole prefix before or the whole suffix after (found however many
    # occurrences there are), and, if both were recorded, any with some of each.
    candidates = set(_occurrences(norm.text, prefix + needle, len(prefix)) if prefix else [])
    candidates.update(_occurrences(norm.text, needle + suffix) if suffix else [])
    if prefix and suffix:
        candidates.update(_occurrences(norm.text, needle))
    return _best(text, norm, quote.exact, needle, prefix, suffix, sorted(candidates), strict=True)


def _best(
    text: str,
    norm: _Normalized,
    exact: str,
    needle: str,
    prefix: str,
    suffix: str,
    candidates: list[int],
    *,
    strict: bool = False,
) -> Anchor | None:
    """Of the candidate positions of needle, the one where most context agrees (rule 2).

    strict: only places with their context count (rule 1); else agreement only ranks them.
    """
    best_score = -1
    best_positions: list[int] = []
    for position in candidates:
        before = norm.text[max(0, position - len(prefix)) : position]
        after_start = position + len(needle)
        after = norm.text[after_start : after_start + len(suffix)]
        agree_before = _common_suffix_length(before, prefix)
        agree_after = len(commonprefix([after, suffix]))
        if strict and not _with_context(agree_before, prefix, agree_after, suffix):
            continue
        score = agree_before + agree_after
        if score > best_score:
            best_score, best_positions = score, [position]
        elif score == best_score:
            best_positions.append(position)
    if not best_positions:
        return None
    # Ties go to the first occurrence whose raw text equals exact (whitespace included).
    spans = [_original_span(norm, p, p + len(needle), exact) for p in best_positions]
    span = next((s for s in spans if text[s[0] : s[1]] == exact), spans[0])
    return Anchor(span[0], span[1], True)


def _with_context(agree_before: int, prefix: str, agree_after: int, suffix: str) -> bool:
    """Rule 1: a whole recorded side intact, or, both recorded, enough of each next to it."""
    if (prefix and agree_before == len(prefix)) or (suffix and agree_after == len(suffix)):
        return True
    return bool(prefix and suffix) and (
        agree_before >= min(len(prefix), _MIN_CONTEXT) and agree_after >= min(len(suffix), _MIN_CONTEXT)
    )


def _original_span(norm: _Normalized, start: int, end: int, exact: str) -> tuple[int, int]:
    """Map a normalised span back, keeping only as much edge whitespace as exact has."""
    raw_start = norm.to_original(start)
    raw_end = norm.to_original(end)
    if start < end and norm.text[start] == " ":
        run_end = norm.to_original(start + 1)
        lead = len(exact) - len(exact.lstrip())
        raw_start = run_end - min(lead, run_end - raw_start)
    if start < end and norm.text[end - 1] == " ":
        run_start = norm.to_original(end - 1)
        trail = len(exact) - len(exact.rstrip())
        raw_end = run_start + min(trail, raw_end - run_start)
    return raw_start, max(raw_start, raw_end)


# --- approximate matching (rule 3) --------------------------------------------------------


def _locate_fuzzy(text: str, quote: TextQuote) -> Anchor | None:
    """An edited passage next to an intact side of its context, if similar enough (rule 3)."""
    deadline = time.perf_counter() + FUZZY_TIME_LIMIT
    budget = [FUZZY_WORK_LIMIT]
    norm = _normalize(text)
    haystack = norm.text
    needle = _collapse(quote.exact).strip()
    prefix = _collapse(quote.prefix).strip()
    suffix = _collapse(quote.suffix).strip()
    if len(prefix) >= _MIN_CONTEXT and len(suffix) >= _MIN_CONTEXT:
        # Both contexts side by side: the passage itself was deleted.
        if prefix + " " + suffix in haystack or prefix + suffix in haystack:
            return None

    def after(hit: int) -> int:  # where a passage right after this prefix starts
        end = hit + len(prefix)
        return end + 1 if haystack[end : end + 1] == " " else end

    def before(hit: int) -> int:  # where a passage right before this suffix ends
        return hit - 1 if hit and haystack[hit - 1] == " " else hit

    # A few characters of context occur all over the text: they pin nothing down.
    prefix_ends = [after(hit) for hit in _hits(haystack, prefix)]
    suffix_starts = [before(hit) for hit in _hits(haystack, suffix)]
    size = len(needle)
    reach = size + size // 3 + 16  # an edited passage rarely grows by more than a third
    # Where both contexts stand, the passage is what lies between them; else one edge is known.
    windows = [(p_end, s_start, True, True) for p_end in prefix_ends for s_start in suffix_starts
               if p_end < s_start <= p_end + reach]  # fmt: skip
    if not windows:
        windows += [(p_end, p_end + reach, True, False) for p_end in prefix_ends]
        windows += [(s_start - reach, s_start, False, True) for s_start in suffix_starts]

    best: tuple[float, int, int] | None = None
    for lo, hi, pin_start, pin_end in windows[:_MAX_WINDOWS]:
        lo, hi = max(0, lo), min(len(haystack), hi)
        if hi <= lo:
            continue
        try:
            candidate = _alignment(needle, haystack, lo, hi, pin_start, pin_end, budget)
        except OverBudget:
            break
        if candidate and candidate[0] >= FUZZY_THRESHOLD and (best is None or candidate[0] > best[0]):
            best = candidate
        if time.perf_counter() > deadline or (best and best[0] >= 0.95):
            break  # out of time, or cannot get much better
    if best is None:
        return None
    return Anchor(norm.to_original(best[1]), norm.to_original(best[2]), False)


def _hits(haystack: str, context: str) -> list[int]:
    """First few occurrences of a context, if it is long enough to tell places apart."""
    if len(context) < _MIN_CONTEXT:
        return []
    return _occurrences(haystack, context)[:_MAX_HITS_PER_PROBE]


def _alignment(
    needle: str, haystack: str, lo: int, hi: int, pin_start: bool, pin_end: bool, budget: list[int]
) -> tuple[float, int, int] | None:
    """Best (similarity, start, end) of needle against haystack[lo:hi], pinned edges kept."""
    window = haystack[lo:hi]
    by_chars = len(needle) <= _CHAR_ALIGN_LIMIT
    if by_chars:
        units_a: list[str] = list(needle)
        units_b: list[str] = list(window)
        offsets = list(range(len(window)))
    else:
        # Long passages: align words and punctuation, which is much cheaper than characters.
        units_a = _TOKEN_RE.findall(needle)
        matches = list(_TOKEN_RE.finditer(window))
        units_b = [m.group() for m in matches]
        offsets = [m.start() for m in matches]
    blocks = [b for b in BoundedMatcher(units_a, units_b, budget).get_matching_blocks() if b.size]
    if not blocks:
        return None
    if pin_start != pin_end:
        # One intact side of context pins the place only together with the passage's own
        # edge beside it: else a copy of the passage nearby would do as well.
        edge = min(len(units_a), _MIN_CONTEXT if by_chars else 2)
        touching = blocks[0] if pin_start else blocks[-1]
        if pin_start and not (touching.a == 0 and touching.b == 0 and touching.size >= edge):
            return None
        if pin_end and not (touching.a + touching.size == len(units_a)
                            and touching.b + touching.size == len(units_b) and touching.size >= edge):
            return None
    # Stray short matches at a free edge would stretch the span: try dropping a few.
    firsts = [0] if pin_start else range(min(3, len(blocks)))
    best: tuple[float, int, int] | None = None
    for first in firsts:
        lasts = [len(blocks) - 1] if pin_end else range(len(blocks) - 1, max(first, len(blocks) - 4) - 1, -1)
        for last in lasts:
            matched = sum(block.size for block in blocks[first : last + 1])
            tail = blocks[last].b + blocks[last].size - 1
            start = 0 if pin_start else offsets[blocks[first].b]
            end = len(window) if pin_end else offsets[tail] + len(units_b[tail])
            start, end = _snap_to_words(window, start, end, needle)
            # Similarity as SequenceMatcher.ratio() computes it, from the blocks we have.
            span = end - start if by_chars else len(_TOKEN_RE.findall(window[start:end]))
            ratio = 2.0 * matched / (len(units_a) + span)
            if best is None or ratio > best[0]:
                best = (ratio, lo + start, lo + end)
    return best


def _snap_to_words(window: str, start: int, end: int, needle: str) -> tuple[int, int]:
    """Widen a span to whole words where the passage itself starts/ends with a word."""
    if needle[:1].isalnum():
        while start > 0 and window[start - 1].isalnum():
            start -= 1
    if needle[-1:].isalnum():
        while end < len(window) and window[end].isalnum():
            end += 1
    return start, end
