"""The audit trail: every change is recorded with who, which municipality and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import AuditEvent, EventKind, JointResponse, User


def record_event(
    action: str,
    user: User | None,
    *,
    response: JointResponse | None = None,
    cooperation_id: int | None = None,
    summary: str = "",
    version_number: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append an audit event; events are never updated or deleted."""
    event = AuditEvent(
        action=action,
        user_id=user.id if user is not None else None,
        municipality_id=user.municipality_id if user is not None else None,
        response_id=response.id if response is not None else None,
        cooperation_id=response.cooperation_id if response is not None else cooperation_id,
        summary=summary,
        version_number=version_number,
        details=details or {},
    )
    db.session.add(event)
    return event


def events(response: JointResponse, *, municipality_id: int | None = None,
           kind: EventKind | None = None, version_number: int | None = None) -> list[AuditEvent]:
    """A response's log, oldest first, narrowed in SQL (one query, people and municipalities
    loaded in two more): by the municipality that acted, the kind of event, the version."""
    statement = (select(AuditEvent)
                 .options(selectinload(AuditEvent.user), selectinload(AuditEvent.municipality))
                 .where(AuditEvent.response_id == response.id))
    if municipality_id is not None:
        statement = statement.where(AuditEvent.municipality_id == municipality_id)
    if kind is not None:
        statement = statement.where(AuditEvent.action.in_(kind.actions))
    if version_number is not None:
        statement = statement.where(AuditEvent.version_number == version_number)
    return list(db.session.scalars(statement.order_by(AuditEvent.created_at, AuditEvent.id)))


def kind_of(action: str) -> EventKind | None:
    """The kind an action is filtered under, if any."""
    return next((kind for kind in EventKind if action in kind.actions), None)
