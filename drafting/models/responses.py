"""Consultations (remisser), joint responses and who takes part."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import Cooperation, Municipality, User


class Stage(StrEnum):
    """The stages of a joint response, and what each one allows: the one home of that rule.

    draft -> review -> consensus -> signed -> sent, and withdrawn from any stage before sent.
    Permissions (drafting/permissions.py) ask these properties; nobody restates them.
    """

    DRAFT = "draft"
    REVIEW = "review"
    CONSENSUS = "consensus"
    SIGNED = "signed"
    SENT = "sent"
    WITHDRAWN = "withdrawn"

    @property
    def text_is_open(self) -> bool:
        """The working draft may change and new versions be published."""
        return self in (Stage.DRAFT, Stage.REVIEW, Stage.CONSENSUS)

    @property
    def discussion_is_open(self) -> bool:
        """Comments, replies, suggestions and resolving threads: closed once the text is final,
        because nothing said afterwards can change the text that was signed."""
        return self.text_is_open

    @property
    def participation_is_open(self) -> bool:
        """Invitations may be sent and answered, and participants may step aside."""
        return self.text_is_open

    @property
    def takes_positions(self) -> bool:
        """Municipalities record positions on the current version."""
        return self in (Stage.REVIEW, Stage.CONSENSUS)

    @property
    def takes_signoffs(self) -> bool:
        """Directors sign off the consensus version."""
        return self is Stage.CONSENSUS

    @property
    def is_frozen(self) -> bool:
        """Everyone has signed: the text can no longer change."""
        return self in (Stage.SIGNED, Stage.SENT)

    @property
    def is_closed(self) -> bool:
        """Finished one way or the other: listed in the archive."""
        return self in (Stage.SENT, Stage.WITHDRAWN)

    @property
    def can_be_withdrawn(self) -> bool:
        return not self.is_closed

    @property
    def can_be_marked_sent(self) -> bool:
        return self is Stage.SIGNED

    @property
    def has_consensus_text(self) -> bool:
        """A consensus version exists that the municipalities decide on (decision bases)."""
        return self in (Stage.CONSENSUS, Stage.SIGNED, Stage.SENT)

    @property
    def can_be_planned(self) -> bool:
        """The plan towards the deadline may still be adjusted, and an extension asked for."""
        return self.text_is_open

    @property
    def has_final_document(self) -> bool:
        """The export is the co-signed yttrande rather than a draft."""
        return self.is_frozen


# "Within 14 days" on the overview's deadline filter.
SOON_DAYS = 14


class DeadlineWindow(StrEnum):
    """Where a remiss deadline lies, as the overview filters responses by it."""

    PASSED = "passed"  # before today
    SOON = "soon"  # from today to SOON_DAYS days ahead
    LATER = "later"  # after that


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
    # The cooperation's own diarienummer for the matter ("Vår beteckning"), printed in the head.
    our_reference: Mapped[str] = mapped_column(String(80), default="", server_default="")
    focus_area: Mapped[str] = mapped_column(String(20), default=FocusArea.OTHER.value)
    # Stored as its value in a VARCHAR(20), as before; read back as the Stage enum.
    stage: Mapped[Stage] = mapped_column(
        SqlEnum(Stage, native_enum=False, create_constraint=False, length=20,
                values_callable=lambda enum: [member.value for member in enum]),
        default=Stage.DRAFT,
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Bumped on every change of the working draft's structure or stage: stale tabs are detected.
    revision: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped in the same transaction as any change the response's pages show (drafting/freshness.py):
    # the cached response page is keyed on it.
    page_stamp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    consensus_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("version.id", use_alter=True, ondelete="SET NULL")
    )
    consensus_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_on: Mapped[date | None] = mapped_column(Date)
    withdrawn_reason: Mapped[str] = mapped_column(Text, default="")
    # The coordinator's own internal deadlines; None: the plan's (services/planning.py).
    plan_home_round_due: Mapped[date | None] = mapped_column(Date)
    plan_comments_due: Mapped[date | None] = mapped_column(Date)
    plan_positions_due: Mapped[date | None] = mapped_column(Date)

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
