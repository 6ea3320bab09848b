"""The one CSV writer every export uses: opens in Excel, and runs no formulas.

Names, summaries and titles come from users. A spreadsheet runs a cell that begins with
=, +, -, @, a tab or a carriage return as a formula, so, following OWASP's CSV injection
guidance, such a text cell gets a leading single quote (shown as text, not run), every
cell is wrapped in double quotes with inner quotes doubled (so a ";" cannot start a new
cell in a Swedish Excel that splits on semicolons), and the file starts with a UTF-8 BOM
so Excel reads å, ä and ö.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

from .export.filenames import content_disposition

# The full-width forms too: some spreadsheets read them as the ASCII ones.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def safe_cell(value: object) -> object:
    """A cell's value, with a text that a spreadsheet would run as a formula defused."""
    if value is None or isinstance(value, int | float):
        return value  # numbers are written as numbers; a quoted "-5" is read as one, not run
    text = str(value)  # lazy translations and other objects are written as their text
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Sequence[object]]) -> str:
    """The rows as CSV text with a BOM, every cell quoted and defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return "\ufeff" + buffer.getvalue()


def csv_download(rows: Iterable[Sequence[object]], filename: str) -> Response:
    """A CSV file download of the rows (see csv_text)."""
    return Response(csv_text(rows), mimetype="text/csv",
                    headers={"Content-Disposition": content_disposition(filename)})
