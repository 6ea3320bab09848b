"""The home round (förankring på hemmaplan): a municipality's internal review of one response.

Everything here belongs to one municipality and one response and is seen only inside that
municipality (its officials, its director and the internal reviewers it invited). Internal
comments live in their own table, so no query of the joint discussion can ever find them.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import Municipality, User


class HomeRound(db.Model):
    """A municipality's home round of one response: its internal deadline."""

    __table_args__ = (UniqueConstraint("response_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("joint_response.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_set_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class HomeReviewer(db.Model):
    """A colleague invited to review one response inside their own municipality."""

    __table_args__ = (UniqueConstraint("response_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    municipality: Mapped[Municipality] = relationship()


class InternalComment(db.Model):
    """A comment of the home round; seen only inside its municipality until lifted.

    Lifting copies chosen text into the joint discussion as a Comment of the municipality;
    this row stays where it is and only remembers which comment it became.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # The words the comment is about, as typed or chosen; empty: the whole section.
    anchor_exact: Mapped[str] = mapped_column(Text, default="")
    lifted_comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="SET NULL"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    municipality: Mapped[Municipality] = relationship()
