"""All models, importable from one place."""

from sqlalchemy import func, select
from sqlalchemy.orm import column_property

from .audit import AuditEvent, Notification
from .base import local_date, local_today, utcnow
from .drafting import (
    AnchorState,
    Comment,
    Section,
    SectionRevision,
    SuggestionState,
    Version,
    VersionSection,
)
from .jobs import Job, JobStatus, StoredFile
from .people import (
    ApiToken,
    Cooperation,
    CooperationRole,
    Membership,
    Municipality,
    PasswordLink,
    PasswordLinkPurpose,
    Role,
    User,
)
from .responses import (
    Consultation,
    FocusArea,
    JointResponse,
    Participation,
    ParticipationStatus,
    Stage,
)
from .review import Decision, Position, SignOff

# The id of a response's latest audit event: every change anyone makes to a response is
# recorded there, so this one number tells whether a cached rendering of it is still current.
# Declared here, where both classes exist; loaded only when asked for (undefer).
JointResponse.last_event_id = column_property(
    select(func.max(AuditEvent.id)).where(AuditEvent.response_id == JointResponse.id)
    .correlate_except(AuditEvent).scalar_subquery(),
    deferred=True,
)

__all__ = [
    "AnchorState", "ApiToken", "AuditEvent", "Comment", "Consultation", "Cooperation",
    "CooperationRole", "Decision", "FocusArea", "Job", "JobStatus", "JointResponse", "Membership", "Municipality",
    "Notification", "Participation", "ParticipationStatus", "PasswordLink", "PasswordLinkPurpose",
    "Position", "Role", "Section",
    "SectionRevision", "SignOff", "Stage", "StoredFile", "SuggestionState", "User", "Version",
    "VersionSection", "local_date", "local_today", "utcnow",
]
