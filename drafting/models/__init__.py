"""All models, importable from one place."""

from .audit import AuditEvent, Notification
from .base import local_date, utcnow
from .drafting import (
    AnchorState,
    Comment,
    Section,
    SectionRevision,
    SuggestionState,
    Version,
    VersionSection,
)
from .people import ApiToken, Cooperation, CooperationRole, Membership, Municipality, Role, User
from .responses import (
    Consultation,
    FocusArea,
    JointResponse,
    Participation,
    ParticipationStatus,
    Stage,
)
from .review import Decision, Position, SignOff

__all__ = [
    "AnchorState", "ApiToken", "AuditEvent", "Comment", "Consultation", "Cooperation",
    "CooperationRole", "Decision", "FocusArea", "JointResponse", "Membership", "Municipality",
    "Notification", "Participation", "ParticipationStatus", "Position", "Role", "Section",
    "SectionRevision", "SignOff", "Stage", "SuggestionState", "User", "Version",
    "VersionSection", "local_date", "utcnow",
]
