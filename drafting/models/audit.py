"""The append-only audit trail and in-app notifications."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .people import Municipality, User


class EventKind(StrEnum):
    """The kinds of event a registrar looks for in the log: each a set of actions."""

    PARTICIPATION = "participation"
    TEXT = "text"
    COMMENTS = "comments"
    POSITIONS = "positions"
    SIGNATURES = "signatures"
    STAGES = "stages"
    EXPORTS = "exports"
    PLANNING = "planning"

    @property
    def actions(self) -> tuple[str, ...]:
        return EVENT_ACTIONS[self]


EVENT_ACTIONS: dict[EventKind, tuple[str, ...]] = {
    EventKind.PARTICIPATION: ("municipality_invited", "participation_joined",
                              "participation_declined", "participation_stepped_aside"),
    EventKind.TEXT: ("response_opened", "section_added", "section_saved", "section_moved",
                     "section_removed", "section_restored", "draft_imported", "version_published",
                     "document_fields_changed"),
    EventKind.COMMENTS: ("comment_added", "comment_replied", "comment_resolved",
                         "comment_reopened", "suggestion_accepted", "suggestion_declined"),
    EventKind.POSITIONS: ("position_recorded",),
    EventKind.SIGNATURES: ("signed_off", "signoffs_discarded"),
    EventKind.STAGES: ("stage_changed",),
    EventKind.EXPORTS: ("exported", "decision_basis_exported", "extension_requested"),
    EventKind.PLANNING: ("plan_adjusted", "decision_basis_saved"),
}


class AuditEvent(db.Model):
    """Who did what, for which municipality, when. Rows are only ever inserted."""

    # A response's trail by id: its latest events are read on every response page
    # (JointResponse.last_document_event_id), from the end of the index, however long the trail.
    __table_args__ = (Index("ix_audit_event_response_id_id", "response_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperation_id: Mapped[int | None] = mapped_column(ForeignKey("cooperation.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("joint_response.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipality.id"))
    # An event of a municipality's home round: it names that response here, never in
    # response_id, so no query of the response's own trail can show it to anyone else.
    home_response_id: Mapped[int | None] = mapped_column(
        ForeignKey("joint_response.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(60))
    version_number: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    user: Mapped[User | None] = relationship()
    municipality: Mapped[Municipality | None] = relationship()


class Notification(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int | None] = mapped_column(
        ForeignKey("joint_response.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    # Makes each reminder go out once, even when two cron runs overlap.
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    emailed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def page_endpoint(self) -> str:
        """The page a notification leads to, on the notifications page and in its e-mail: a home
        round's own page for what happens in it, else the response."""
        return "home.show" if self.kind.startswith("home_") else "responses.show"


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _refuse_changing_history(_mapper, _connection, target: AuditEvent) -> None:
    # The audit trail is append-only: no code path may rewrite or remove an event.
    raise RuntimeError(f"audit event {target.id} is append-only")
