"""Positions on versions and sign-offs: append-only records of who decided what."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..limits import MAX_MINUTES_CHARS, MAX_SIGNATORY_CHARS
from .base import UTCDateTime, utcnow
from .drafting import Version
from .people import Municipality, User


class Decision(StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_NOTE = "approve_with_note"
    OBJECT = "object"

    @property
    def approves(self) -> bool:
        return self is not Decision.OBJECT


class Position(db.Model):
    """A municipality's position on one version; a later one supersedes it (is_current)."""

    __table_args__ = (
        # The schema holds the rule: one current position per municipality and version.
        # Superseded rows get NULL, and NULLs never collide in a unique index (SQLite and PostgreSQL).
        UniqueConstraint("version_id", "municipality_id", "is_current"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decision: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # True while current, NULL once superseded; the record itself never changes.
    is_current: Mapped[bool | None] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[Version] = relationship()
    municipality: Mapped[Municipality] = relationship()
    user: Mapped[User] = relationship()


class SignOff(db.Model):
    """A director's sign-off of one version for their municipality; never changed afterwards.

    Like a position it belongs to a version: a new version makes it stale (kept in the history),
    and the director signs the new consensus version.
    """

    __table_args__ = (UniqueConstraint("version_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    deciding_body: Mapped[str] = mapped_column(String(200))
    decision_date: Mapped[date] = mapped_column(Date)
    minutes_paragraph: Mapped[str] = mapped_column(String(MAX_MINUTES_CHARS), default="")
    signatory_name: Mapped[str] = mapped_column(String(MAX_SIGNATORY_CHARS))
    signatory_title: Mapped[str] = mapped_column(String(MAX_SIGNATORY_CHARS))
    # SHA-256 of the signed version's canonical text (services/fingerprint.py), taken at signing.
    text_fingerprint: Mapped[str] = mapped_column(String(64), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    version: Mapped[Version] = relationship()
    municipality: Mapped[Municipality] = relationship()
    user: Mapped[User] = relationship()
