"""The working draft (sections with append-only revisions), published versions and comments."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..limits import MAX_ANCHOR_CONTEXT_CHARS
from .base import UTCDateTime, utcnow
from .people import Municipality, User


class Section(db.Model):
    """A section of the working draft; its text lives in SectionRevision rows."""

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True
    )
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    is_removed: Mapped[bool] = mapped_column(default=False)
    current_revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("section_revision.id", use_alter=True)
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # One more with every change of a thread on this section or of a name in them: the cached
    # section of the document column is keyed on it (drafting/freshness.py,
    # views/document_column.py).
    threads_stamp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    current_revision: Mapped[SectionRevision | None] = relationship(
        foreign_keys=[current_revision_id], post_update=True
    )

    @property
    def heading(self) -> str:
        return self.current_revision.heading if self.current_revision else ""

    @property
    def body(self) -> str:
        return self.current_revision.body if self.current_revision else ""

    @property
    def body_html(self) -> str:
        return self.current_revision.body_html if self.current_revision else ""


class SectionRevision(db.Model):
    """One saved state of a section; never updated."""

    __table_args__ = (UniqueConstraint("section_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship()


class Version(db.Model):
    """A published, immutable snapshot of the whole draft."""

    __table_args__ = (UniqueConstraint("response_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    change_note: Mapped[str] = mapped_column(Text, default="")
    published_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    published_by: Mapped[User] = relationship()
    sections: Mapped[list[VersionSection]] = relationship(
        order_by="VersionSection.sort_order", cascade="all, delete-orphan"
    )


class VersionSection(db.Model):
    __table_args__ = (UniqueConstraint("version_id", "sort_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("section.id"))
    sort_order: Mapped[int] = mapped_column(Integer)
    heading: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")


class AnchorState(StrEnum):
    SECTION = "section"  # a comment on a whole section
    ANCHORED = "anchored"
    DETACHED = "detached"


class ThreadState(StrEnum):
    """Whether a comment thread is still open; stored as Comment.resolved_at."""

    OPEN = "open"
    RESOLVED = "resolved"


class SuggestionState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class Comment(db.Model):
    """A comment, reply or suggestion; text-quote anchored so it survives edits."""

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    anchor_exact: Mapped[str] = mapped_column(Text, default="")
    anchor_prefix: Mapped[str] = mapped_column(String(MAX_ANCHOR_CONTEXT_CHARS), default="")
    anchor_suffix: Mapped[str] = mapped_column(String(MAX_ANCHOR_CONTEXT_CHARS), default="")
    anchor_state: Mapped[str] = mapped_column(String(20), default=AnchorState.SECTION.value)
    suggested_text: Mapped[str | None] = mapped_column(Text)
    suggestion_state: Mapped[str | None] = mapped_column(String(20))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    municipality: Mapped[Municipality | None] = relationship()
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def is_suggestion(self) -> bool:
        return self.suggested_text is not None
