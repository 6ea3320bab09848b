"""All models, importable from one place."""

from sqlalchemy import func, select
from sqlalchemy.orm import column_property, relationship

from .audit import EVENT_ACTIONS, AuditEvent, EventKind, Notification
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
from .home import HomeReviewer, HomeRound, InternalComment
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
from .planning import DecisionBasisRevision, MeetingDate
from .responses import (
    SOON_DAYS,
    Consultation,
    DeadlineWindow,
    FocusArea,
    JointResponse,
    Participation,
    ParticipationStatus,
    Stage,
)
from .review import Decision, Position, SignOff

# Audit events that change nothing the response page's document column shows (the text of a
# version and its comment threads): positions and sign-offs stand in the header and the
# matrix, which are never cached, and an export changes nothing at all. (A change of stage
# that follows one is an event of its own, and changes what the viewer may do.)
EVENTS_BESIDE_THE_DOCUMENT = ("position_recorded", "signed_off", "signoffs_discarded", "exported")

# The id of a response's latest audit event that may change its document column: every
# change anyone makes to a response is recorded there, so this one number tells whether a
# cached rendering of the column is still current.
# Declared here, where both classes exist; loaded only when asked for (undefer).
JointResponse.last_document_event_id = column_property(
    select(func.max(AuditEvent.id)).where(AuditEvent.response_id == JointResponse.id,
                                          AuditEvent.action.not_in(EVENTS_BESIDE_THE_DOCUMENT))
    .correlate_except(AuditEvent).scalar_subquery(),
    deferred=True,
)

# The sum of the response's sections' threads stamps (drafting/freshness.py): each change of a
# thread adds one to its section's, so the sum grows with every change. With the last document
# event, the key of the cached document column. Loaded only when asked for.
JointResponse.threads_stamp_total = column_property(
    select(func.coalesce(func.sum(Section.threads_stamp), 0))
    .where(Section.response_id == JointResponse.id)
    .correlate_except(Section).scalar_subquery(),
    deferred=True,
)

# Who reviews the response in a home round: asked by the permission layer (loaded when asked).
JointResponse.home_reviewers = relationship(HomeReviewer, lazy="select", viewonly=True)

__all__ = [
    "EVENTS_BESIDE_THE_DOCUMENT", "EVENT_ACTIONS", "SOON_DAYS", "AnchorState", "ApiToken", "AuditEvent",
    "Comment", "Consultation", "Cooperation", "CooperationRole", "Decision", "DeadlineWindow",
    "DecisionBasisRevision", "EventKind", "FocusArea", "HomeReviewer", "HomeRound", "InternalComment",
    "Job", "JobStatus", "JointResponse", "MeetingDate", "Membership", "Municipality",
    "Notification", "Participation", "ParticipationStatus", "PasswordLink", "PasswordLinkPurpose",
    "Position", "Role", "Section",
    "SectionRevision", "SignOff", "Stage", "StoredFile", "SuggestionState", "User", "Version",
    "VersionSection", "local_date", "local_today", "utcnow",
]
