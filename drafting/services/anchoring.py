# TEMPORARY placeholder until the real module lands (being written in parallel).
from dataclasses import dataclass
@dataclass(frozen=True)
class TextQuote:
    exact: str
    prefix: str
    suffix: str
@dataclass(frozen=True)
class Anchor:
    start: int
    end: int
    exact_match: bool
def quote_from_selection(text, start, end):
    return TextQuote(text[start:end], text[max(0, start-32):start], text[end:end+32])
def quote_from_exact(text, exact, prefix_hint="", suffix_hint=""):
    i = text.find(exact)
    return None if i < 0 else quote_from_selection(text, i, i + len(exact))
def locate(text, quote):
    i = text.find(quote.exact)
    return None if i < 0 else Anchor(i, i + len(quote.exact), True)
