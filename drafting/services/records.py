"""Plain records of the rows a response's overview shows: versions, positions and sign-offs.

The overview (services/overview.py) reads these instead of ORM objects, so that it can be kept in
the shared page cache and read by every viewer (views/response_page.py): they carry what pages,
the plan and the API read of each row, with the names they show, and nothing else (no account's
password hash, no session). Their fields are named as the models' columns, so templates and
services read them as they would the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Person:
    """Who published a version or recorded a position, as pages name them."""

    id: int
    name: str
    title: str | None


@dataclass(frozen=True)
class NamedMunicipality:
    id: int
    name: str


@dataclass(frozen=True)
class NumberedVersion:
    """A version as a sign-off names it."""

    id: int
    number: int


@dataclass(frozen=True)
class PublishedVersion:
    id: int
    response_id: int
    number: int
    change_note: str
    published_by_id: int
    published_at: datetime
    published_by: Person


@dataclass(frozen=True)
class RecordedPosition:
    id: int
    response_id: int
    version_id: int
    version_number: int
    municipality_id: int
    user_id: int
    decision: str
    note: str
    is_current: bool | None
    created_at: datetime
    user: Person


@dataclass(frozen=True)
class RecordedSignOff:
    id: int
    response_id: int
    version_id: int
    municipality_id: int
    user_id: int
    deciding_body: str
    decision_date: date
    minutes_paragraph: str
    signatory_name: str
    signatory_title: str
    text_fingerprint: str
    created_at: datetime
    version: NumberedVersion
    municipality: NamedMunicipality
