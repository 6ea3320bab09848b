"""Each municipality's own decision: its meeting calendar and its decision basis per response."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..limits import MAX_LOCAL_REFERENCE_CHARS
from .base import UTCDateTime, utcnow
from .people import Municipality, User


class MeetingDate(db.Model):
    """A coming meeting (sammanträde) of one of a municipality's deciding bodies."""

    __table_args__ = (UniqueConstraint("municipality_id", "body", "meets_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(String(200))  # a DecidingBody value
    meets_on: Mapped[date] = mapped_column(Date)
    # Papers are due this many days before the meeting.
    document_deadline_days: Mapped[int] = mapped_column(Integer, default=10)
    # Where it came from: "" typed by hand, else the UID of the imported calendar event.
    source_uid: Mapped[str] = mapped_column(String(255), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    municipality: Mapped[Municipality] = relationship()

    @property
    def papers_due(self) -> date:
        return self.meets_on - timedelta(days=self.document_deadline_days)


class DecisionBasisRevision(db.Model):
    """One saved state of a municipality's decision basis for one response; never updated.

    The current one is the highest number; an edit carries the number it started from.
    """

    __table_args__ = (UniqueConstraint("response_id", "municipality_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True
    )
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    number: Mapped[int] = mapped_column(Integer)
    deciding_body: Mapped[str] = mapped_column(String(200))  # a DecidingBody value
    local_reference: Mapped[str] = mapped_column(String(MAX_LOCAL_REFERENCE_CHARS), default="")
    local_considerations: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()
    municipality: Mapped[Municipality] = relationship()
