"""Consultations (remisser), joint responses and who takes part."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import Cooperation, Municipality, User


class Stage(StrEnum):
    DRAFT = "draft"
    REVIEW = "review"
    CONSENSUS = "consensus"
    SIGNED = "signed"
    SENT = "sent"
    WITHDRAWN = "withdrawn"


class FocusArea(StrEnum):
    PLANNING = "planning"
    LABOUR = "labour"
    BUSINESS = "business"
    OTHER = "other"


class ParticipationStatus(StrEnum):
    INVITED = "invited"
    JOINED = "joined"
    DECLINED = "declined"
    STEPPED_ASIDE = "stepped_aside"


class Consultation(db.Model):
    """A remiss: a proposal sent out for opinions by a deadline."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperation_id: Mapped[int] = mapped_column(ForeignKey("cooperation.id"))
    sender: Mapped[str] = mapped_column(String(200))
    reference_number: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(400))
    received_on: Mapped[date | None] = mapped_column(Date)
    deadline: Mapped[date] = mapped_column(Date)
    url: Mapped[str] = mapped_column(String(500), default="")

    cooperation: Mapped[Cooperation] = relationship()


class JointResponse(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    cooperation_id: Mapped[int] = mapped_column(ForeignKey("cooperation.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"))
    title: Mapped[str] = mapped_column(String(500))
    focus_area: Mapped[str] = mapped_column(String(20), default=FocusArea.OTHER.value)
    stage: Mapped[str] = mapped_column(String(20), default=Stage.DRAFT.value)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every change of the working draft's structure or stage: stale tabs are detected.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    consensus_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("version.id", use_alter=True, ondelete="SET NULL")
    )
    consensus_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")

    cooperation: Mapped[Cooperation] = relationship()
    consultation: Mapped[Consultation] = relationship()
    created_by: Mapped[User] = relationship()
    participations: Mapped[list[Participation]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )

    @property
    def deadline(self) -> date:
        return self.consultation.deadline


class Participation(db.Model):
    """An invited municipality's answer to the invitation; history lives in the audit trail."""

    __table_args__ = (UniqueConstraint("response_id", "municipality_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("joint_response.id", ondelete="CASCADE"))
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    status: Mapped[str] = mapped_column(String(20), default=ParticipationStatus.INVITED.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    response: Mapped[JointResponse] = relationship(back_populates="participations")
    municipality: Mapped[Municipality] = relationship()
