"""W3C Web Annotation text-quote selectors: anchor comments to passages of a section's text.

A quote is the selected text (``exact``) with up to ``CONTEXT_CHARS`` characters of context
on each side.  ``locate`` finds the quote again in a later version of the text: first as an
exact occurrence (whitespace-insensitive, the best match of the context wins), then, if the
passage itself was lightly edited, by bounded approximate matching near where its context or
its pieces still occur.  An approximate match needs a similarity of at least
FUZZY_THRESHOLD and, for short passages, either half of its words intact or its context right
next to it; when prefix and suffix now stand side by side the passage was deleted (None).

Offsets are Python string indices (code points) into the plain text from
``drafting.rendering.text_content``, not the UTF-16 offsets a browser uses.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache
from os.path import commonprefix

from .textdiff import BoundedMatcher, OverBudget

CONTEXT_CHARS = 32
FUZZY_THRESHOLD = 0.75
# Approximate matching is bounded twice: by matcher work (deterministic) and by wall time.
FUZZY_WORK_LIMIT = 300_000  # inner-loop steps of difflib per locate call
FUZZY_TIME_LIMIT = 0.03  # seconds per locate call
_MAX_CANDIDATES = 5_000  # exact occurrences scored per call (only very short quotes have more)
_MAX_WINDOWS = 16  # approximate-match windows examined per call
_MAX_HITS_PER_PROBE = 6  # occurrences of one context/piece used as window seeds
_CHAR_ALIGN_LIMIT = 400  # quotes longer than this are aligned word by word
_MIN_CONTEXT = 8  # characters of context that count as evidence of the right place

_WS_RE = re.compile(r"\s+")
_LONG_WS_RE = re.compile(r"\s{2,}")
_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
_WORD_RE = re.compile(r"\w+")


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
    exact_match: bool  # False when found by approximate matching


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
    """Find a selected string (whitespace-insensitive) in text and build its quote, or None."""
    if not exact.strip():
        return None
    # Strip: a browser selection often carries surrounding spaces or line breaks.
    found = _locate_exact(text, TextQuote(exact.strip(), prefix_hint, suffix_hint))
    if found is None:
        return None
    # The quote is taken from our own text, so it matches it exactly from now on.
    return quote_from_selection(text, found.start, found.end)


def locate(text: str, quote: TextQuote) -> Anchor | None:
    """Find the quote in text: exactly if possible, else approximately; None if detached."""
    if not quote.exact.strip():
        return None
    return _locate_exact(text, quote) or _locate_fuzzy(text, quote)


# --- whitespace normalisation -------------------------------------------------------------


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


def _common_suffix_length(a: str, b: str) -> int:
    """Length of the longest common suffix."""
    return len(commonprefix([a[::-1], b[::-1]]))


# --- exact matching -----------------------------------------------------------------------


def _locate_exact(text: str, quote: TextQuote) -> Anchor | None:
    """Best-context exact occurrence of quote.exact, ignoring whitespace differences."""
    # Fast path: exact text and full context unchanged (the common case).
    full = quote.prefix + quote.exact + quote.suffix
    found = text.find(full)
    if found != -1:
        start = found + len(quote.prefix)
        return Anchor(start, start + len(quote.exact), True)

    norm = _normalize(text)
    needle = _collapse(quote.exact)
    prefix = _collapse(quote.prefix)
    suffix = _collapse(quote.suffix)
    # When the quote starts/ends with whitespace that whitespace merges with the context's.
    if needle.startswith(" "):
        prefix = prefix.rstrip(" ")
    if needle.endswith(" "):
        suffix = suffix.lstrip(" ")

    best_score = -1
    best_positions: list[int] = []
    position = norm.text.find(needle)
    examined = 0
    while position != -1 and examined < _MAX_CANDIDATES:
        examined += 1
        score = 0
        if prefix:
            before = norm.text[max(0, position - len(prefix)) : position]
            score += _common_suffix_length(before, prefix)
        if suffix:
            after_start = position + len(needle)
            score += len(commonprefix([norm.text[after_start : after_start + len(suffix)], suffix]))
        if score > best_score:
            best_score, best_positions = score, [position]
        elif score == best_score:
            best_positions.append(position)
        position = norm.text.find(needle, position + 1)
    if not best_positions:
        return None
    # Ties go to the first occurrence whose raw text equals exact (whitespace included).
    spans = (_original_span(norm, p, p + len(needle), quote.exact) for p in best_positions)
    first = None
    for span in spans:
        first = first or span
        if text[span[0] : span[1]] == quote.exact:
            return Anchor(span[0], span[1], True)
    assert first is not None
    return Anchor(first[0], first[1], True)


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


# --- approximate matching -----------------------------------------------------------------


def _locate_fuzzy(text: str, quote: TextQuote) -> Anchor | None:
    """Best approximate match (similarity >= FUZZY_THRESHOLD) near surviving context."""
    deadline = time.perf_counter() + FUZZY_TIME_LIMIT
    budget = [FUZZY_WORK_LIMIT]
    norm = _normalize(text)
    haystack = norm.text
    needle = _collapse(quote.exact).strip()
    prefix = _collapse(quote.prefix).strip()
    suffix = _collapse(quote.suffix).strip()
    size = len(needle)
    if len(prefix) >= _MIN_CONTEXT and len(suffix) >= _MIN_CONTEXT:
        # Both contexts side by side: the passage itself was deleted.
        if prefix + " " + suffix in haystack or prefix + suffix in haystack:
            return None

    windows: list[tuple[int, int]] = []
    prefix_ends = [hit + len(prefix) for hit in _hits(haystack, prefix, _MIN_CONTEXT)]
    suffix_starts = _hits(haystack, suffix, _MIN_CONTEXT)
    reach = size + size // 3 + 16  # an edited passage rarely grows by more than a third
    # Where both contexts survive, the passage is what lies between them.
    for p_end in prefix_ends:
        for s_start in suffix_starts:
            if p_end < s_start <= p_end + reach:
                windows.append((p_end, s_start))
    windows.extend((p_end, p_end + reach) for p_end in prefix_ends)
    windows.extend((s_start - reach, s_start) for s_start in suffix_starts)
    # Pieces of the passage that survived the edit pin down where the rest is.
    for offset, piece in _pieces(needle):
        for hit in _hits(haystack, piece, 1):
            start = hit - offset
            windows.append((start - size // 3 - 8, start + reach))

    best: tuple[float, int, int] | None = None
    done: list[tuple[int, int]] = []
    for window in windows:
        lo, hi = max(0, window[0]), min(len(haystack), window[1])
        middle = (lo + hi) // 2
        if hi <= lo or any(a <= middle < b for a, b in done):
            continue
        done.append((lo, hi))
        try:
            candidate = _best_alignment(needle, haystack, lo, hi, budget)
            if candidate and (best is None or candidate[0] > best[0]):
                if _plausible(candidate, needle, haystack, prefix, suffix, budget):
                    best = candidate
        except OverBudget:
            break
        if len(done) >= _MAX_WINDOWS or time.perf_counter() > deadline:
            break
        if best and best[0] >= 0.95:
            break  # cannot get much better
    if best is None:
        return None
    return Anchor(norm.to_original(best[1]), norm.to_original(best[2]), False)


def _hits(haystack: str, probe: str, min_length: int) -> list[int]:
    """First few occurrences of probe (none if it is shorter than min_length)."""
    hits: list[int] = []
    if len(probe) < min_length:
        return hits
    position = haystack.find(probe)
    while position != -1 and len(hits) < _MAX_HITS_PER_PROBE:
        hits.append(position)
        position = haystack.find(probe, position + 1)
    return hits


def _pieces(needle: str) -> list[tuple[int, str]]:
    """Up to six evenly spaced pieces of the passage, with their offsets."""
    if len(needle) < 12:
        return []
    count = min(6, len(needle) // 6)
    length = max(6, len(needle) // count)
    return [(offset, needle[offset : offset + length])
            for offset in range(0, len(needle) - length + 1, length)][:count]  # fmt: skip


def _best_alignment(
    needle: str, haystack: str, lo: int, hi: int, budget: list[int]
) -> tuple[float, int, int] | None:
    """Best (similarity, start, end) of needle against a stretch of haystack[lo:hi]."""
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
    best: tuple[float, int, int] | None = None
    # Stray short matches at the edges would stretch the span: try dropping a few.
    for first in range(min(3, len(blocks))):
        for last in range(len(blocks) - 1, max(first, len(blocks) - 4) - 1, -1):
            matched = sum(block.size for block in blocks[first : last + 1])
            tail = blocks[last].b + blocks[last].size - 1
            start, end = offsets[blocks[first].b], offsets[tail] + len(units_b[tail])
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


def _plausible(
    candidate: tuple[float, int, int],
    needle: str,
    haystack: str,
    prefix: str,
    suffix: str,
    budget: list[int],
) -> bool:
    """Similar enough, and either most words survive or the context confirms the place."""
    ratio, start, end = candidate
    if ratio < FUZZY_THRESHOLD:
        return False
    if len(needle) > _CHAR_ALIGN_LIMIT:
        return True  # long passages were already compared word by word
    # Character similarity alone is weak evidence for short passages ("ord12" ~ "ord21"),
    # so also ask for half the words to survive, or for context right next to the span.
    old_words = _WORD_RE.findall(needle)
    new_words = _WORD_RE.findall(haystack[start:end])
    if BoundedMatcher(old_words, new_words, budget).ratio() >= 0.5:
        return True
    before = haystack[max(0, start - len(prefix) - 1) : start].rstrip()
    after = haystack[end : end + len(suffix) + 1].lstrip()
    enough_before = min(_MIN_CONTEXT, len(prefix)) or _MIN_CONTEXT
    enough_after = min(_MIN_CONTEXT, len(suffix)) or _MIN_CONTEXT
    return (
        _common_suffix_length(before, prefix) >= enough_before
        or len(commonprefix([after, suffix])) >= enough_after
    )
