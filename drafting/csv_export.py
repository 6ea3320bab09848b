"""The one CSV writer every export uses: opens in a Swedish Excel, and runs no formulas.

A Swedish Excel (list separator ";", decimal comma) opens a file with a double click only
when its cells are separated by semicolons; a comma-separated file lands in one column. So
by default the file has ";" between cells, decimal commas in numbers, and a UTF-8 BOM so
Excel reads å, ä and ö. `?sep=comma` gives the international form (",", decimal points, the
same BOM) for other tools.

Names, summaries and titles come from users. A spreadsheet runs a cell that begins with
=, +, -, @, a tab or a carriage return as a formula, so, following OWASP's CSV injection
guidance, such a text cell gets a leading single quote (shown as text, not run), and every
cell is wrapped in double quotes with inner quotes doubled (so a ";" or "," inside a name
cannot start a new cell).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response, request
from flask_babel import gettext as _

from .export.filenames import content_disposition
from .services.errors import InvalidInput

# The full-width forms too: some spreadsheets read them as the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# The value of ?sep= and the separator it gives; the first is the default.
SEPARATORS = {"semicolon": ";", "comma": ","}
DEFAULT_SEPARATOR = ";"


def safe_cell(value: object, delimiter: str = DEFAULT_SEPARATOR) -> object:
    """A cell's value, with a text that a spreadsheet would run as a formula defused."""
    if value is None or isinstance(value, int):
        return value  # numbers are written as numbers; a quoted "-5" is read as one, not run
    if isinstance(value, float):
        # A Swedish Excel (the ";" form) reads "12.5" as text and "12,5" as a number.
        return str(value).replace(".", ",") if delimiter == ";" else value
    text = str(value)  # lazy translations and other objects are written as their text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence[object]], delimiter: str = DEFAULT_SEPARATOR) -> str:
    """The rows as CSV text with a BOM, every cell quoted and defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(value, delimiter) for value in row])
    return "\ufeff" + buffer.getvalue()


def requested_separator() -> str:
    """The separator the request asks for with ?sep= (semicolon by default)."""
    name = request.args.get("sep", "")
    if not name:
        return DEFAULT_SEPARATOR
    if name not in SEPARATORS:
        raise InvalidInput(_("Okänd avgränsare: välj semikolon eller komma."), field="sep")
    return SEPARATORS[name]


def csv_download(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """A CSV file download of the rows (see csv_text), separated as the request asks."""
    return Response(csv_text(rows, requested_separator()), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(filename)})
