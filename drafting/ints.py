"""One bounded parser for every integer that comes from outside: URL, query string, form, JSON.

An unbounded int() lets a 20-digit number reach the database, which refuses it with an
error (a 500); an INTEGER column ends at 2**31 - 1, and no id or number beyond that exists.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from .limits import MAX_ID
from .services.errors import InvalidInput

# ASCII digits only: int() would also take " 1", "+1", "1_000" and other scripts' digits.
_INTEGER = re.compile(r"-?[0-9]{1,20}")


class InvalidNumber(InvalidInput, ValueError):
    """Not an integer within its bounds. A ValueError too, so WTForms reports it as invalid."""


def parse_int(raw: object, *, name: str, minimum: int = 1, maximum: int = MAX_ID) -> int:
    """`raw` (text, or an int from JSON) as an int from minimum to maximum, else InvalidNumber."""
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and _INTEGER.fullmatch(raw):
        value = int(raw)
    if value is None or not minimum <= value <= maximum:
        raise InvalidNumber(_("Parametern ”%(name)s” måste vara ett heltal från %(min)d till %(max)d.",
                              name=name[:40], min=minimum, max=maximum))
    return value


def form_id(raw: object) -> int:
    """WTForms `coerce` for choices that are ids (0 stands for "none")."""
    return parse_int(raw, name="id", minimum=0)


class BoundedIntConverter(IntegerConverter):
    """<int:...> URL parts that fit the database's INTEGER: larger ids are simply not found."""

    regex = "[0-9]+"  # werkzeug's \\d+ also matches other scripts' digits
    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's signature
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
