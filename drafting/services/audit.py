"""The audit trail: every change is recorded with who, which municipality and when."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from ..models import AuditEvent, JointResponse, User


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
