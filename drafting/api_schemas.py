"""What /api/v1 takes and gives, as typed models: the one description of the API's JSON.

Requests are validated with these models (views/api.py), responses are serialized through
them, and the OpenAPI document (views/api_spec.py) is generated from their JSON schemas, so
the document cannot drift from what the views do. Limits come from limits.py and enum values
from the model enums, as the forms and the database columns take them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from .limits import (
    DEFAULT_PAGE_SIZE,
    MAX_ANCHOR_CONTEXT_CHARS,
    MAX_COMMENT_CHARS,
    MAX_ID,
    MAX_MINUTES_CHARS,
    MAX_PAGE_SIZE,
    MAX_QUOTE_CHARS,
    MAX_SIGNATORY_CHARS,
)
from .models import (
    AnchorState,
    Decision,
    FocusArea,
    ParticipationStatus,
    Role,
    Stage,
    SuggestionState,
)
from .models.deciding_bodies import DecidingBody
from .models.drafting import ThreadState
from .rendering import strip_control_chars
from .services.review import MAX_REASON_CHARS

date_ = date  # for fields named "date"

# --- field types -------------------------------------------------------------------------------


def _clean_text(value: object) -> object:
    # Every text field is cleaned as a form field is (security.py) before its length is
    # checked. Also drops lone surrogates from "\ud800" escapes, which UTF-8 cannot hold.
    return strip_control_chars(value) if isinstance(value, str) else value


def _text(max_chars: int) -> Any:
    return Annotated[str, BeforeValidator(_clean_text), Field(max_length=max_chars)]


CommentText = _text(MAX_COMMENT_CHARS)
QuoteText = _text(MAX_QUOTE_CHARS)
AnchorContext = _text(MAX_ANCHOR_CONTEXT_CHARS)
ReasonText = _text(MAX_REASON_CHARS)
SignatoryText = _text(MAX_SIGNATORY_CHARS)
MinutesText = _text(MAX_MINUTES_CHARS)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    # Only "YYYY-MM-DD": pydantic would also take timestamps and other spellings.
    if isinstance(value, str) and _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PydanticCustomError("iso_date", "not a date as YYYY-MM-DD")


date_ = date  # for fields named "date"
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IsoDate = Annotated[date, BeforeValidator(_iso_date),
                    WithJsonSchema({"type": "string", "format": "date"})]
# Written as datetime.isoformat() ("+00:00"), as the API always has.
Timestamp = Annotated[datetime, PlainSerializer(datetime.isoformat, return_type=str),
                      WithJsonSchema({"type": "string", "format": "date-time"})]


# --- requests ----------------------------------------------------------------------------------


class RequestBody(BaseModel):
    """A JSON body: no other fields, and no coercion ("5", 5.0 and true are not integers)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class NewComment(RequestBody):
    section_id: Id
    body: CommentText = Field(description="Markdown; not empty.")
    exact: QuoteText = Field("", description="The quoted passage, as shown.")
    prefix: AnchorContext = Field("", description="Text just before the passage.")
    suffix: AnchorContext = Field("", description="Text just after the passage.")
    suggested_text: CommentText | None = Field(
        None, description="Replacement text for the quoted passage.")


class NewInternalComment(RequestBody):
    section_id: Id
    body: CommentText = Field(description="Markdown; not empty.")
    exact: QuoteText = Field("", description="Words of the section's text the comment is about, "
                                              "as they stand; empty: the whole section.")


class NewPosition(RequestBody):
    version_number: Id = Field(description="Must be the latest version.")
    decision: Decision = Field(strict=False)
    note: ReasonText = Field("", description="Required for object and approve_with_note.")


class NewSignOff(RequestBody):
    version_number: Id = Field(description="Must be the consensus version.")
    # An enum's value given as a JSON string: strict mode would want the Python member.
    deciding_body: DecidingBody = Field(
        strict=False, description="The body that decided for your municipality.")
    decision_date: IsoDate = Field(description="YYYY-MM-DD, not in the future.")
    signatory_name: SignatoryText = Field(description="Not empty.")
    signatory_title: SignatoryText = Field(description="Not empty.")
    minutes_paragraph: MinutesText = Field("", description="E.g. KS § 12.")


# Query strings: parsed field by field with the bounded integer parser (views/api.py), then
# validated here; described as parameters in the document.


class Paging(BaseModel):
    model_config = ConfigDict(extra="ignore")

    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    offset: Annotated[int, Field(ge=0, le=MAX_ID)] = 0


class ResponseQuery(Paging):
    stage: Stage | None = None


class CommentQuery(Paging):
    municipality_id: Id | None = Field(
        None, description="Only threads started by this municipality.")
    state: ThreadState | None = None


# --- responses ---------------------------------------------------------------------------------


class Out(BaseModel):
    """A response body: every field is always present, and nothing else."""

    model_config = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


class Ref(Out):
    id: int
    name: str


class MunicipalityRef(Ref):
    name: str = Field(description="The short name used in the interface, e.g. Lund.")
    formal_name: str = Field(
        description="The name used in documents, e.g. Lunds kommun; the short name until an "
                    "administrator sets one.")


class RoleInCooperation(Out):
    cooperation: Ref
    role: Role


class Me(Out):
    id: int
    name: str
    email: str
    title: str
    municipality: MunicipalityRef | None
    is_system_admin: bool
    roles: list[RoleInCooperation]


class Cooperation(Out):
    id: int
    name: str
    role: Role | None
    chair_municipality: MunicipalityRef | None
    municipalities: list[MunicipalityRef]


class Consultation(Out):
    id: int
    sender: str = Field(description="Who sent the remiss, e.g. Infrastrukturdepartementet.")
    reference_number: str = Field(description="The sender's diarienummer.")
    title: str
    received_on: date | None
    deadline: date = Field(description="Sista svarsdag.")
    url: str


class ResponseRef(Out):
    id: int
    title: str
    stage: Stage


class ConsultationWithResponses(Consultation):
    responses: list[ResponseRef]


class ResponseSummary(Out):
    id: int
    title: str
    stage: Stage
    stage_label: str = Field(description="The stage in the user's language.")
    focus_area: FocusArea
    our_reference: str = Field(
        description="The cooperation's own diarienummer for the matter (Vår beteckning); "
                    "empty when none is set.")
    cooperation: Ref
    consultation: Consultation
    deadline: date
    days_left: int = Field(description="Days until the deadline; negative when it has passed.")
    created_at: Timestamp


class Participant(Out):
    municipality: MunicipalityRef
    status: ParticipationStatus
    reason: str
    answered_at: Timestamp | None
    position: Decision | None
    signed: bool


class Objection(Out):
    municipality: str
    municipality_id: int
    reason: str


class StaleApproval(Out):
    municipality: str
    version_number: int = Field(description="The older version it approved.")


class ConsensusStatus(Out):
    reached: bool
    version_number: int | None
    approved: list[str]
    not_answered: list[str]
    objections: list[Objection]
    stale_approvals: list[StaleApproval]
    too_few_cosigners: bool


class ResponseDetail(ResponseSummary):
    latest_version_number: int | None
    consensus_version_number: int | None
    consensus_at: Timestamp | None
    signed_at: Timestamp | None
    sent_on: date | None
    withdrawn_reason: str
    participants: list[Participant]
    consensus: ConsensusStatus
    missing_signatures: list[str]
    missing: str = Field(description="What is still missing, in one sentence.")


class Version(Out):
    number: int
    change_note: str
    published_at: Timestamp
    published_by: Ref


class VersionSection(Out):
    section_id: int
    sort_order: int
    heading: str
    body: str = Field(description="Markdown.")
    body_html: str = Field(description="Sanitized HTML.")


class VersionDetail(Version):
    sections: list[VersionSection]
    text_fingerprint: str = Field(description="SHA-256 (hex) of the version's canonical text.")


class Reply(Out):
    id: int
    author: Ref
    municipality: Ref | None
    body: str = Field(description="Markdown as written.")
    body_html: str = Field(description="Sanitized HTML.")
    created_at: Timestamp


class Anchor(Out):
    state: AnchorState
    exact: str
    prefix: str
    suffix: str


class Suggestion(Out):
    text: str
    state: SuggestionState


class CommentThread(Reply):
    section_id: int | None
    version_number: int | None = Field(description="The version that was shown when commenting.")
    anchor: Anchor
    suggestion: Suggestion | None
    state: ThreadState
    resolved_at: Timestamp | None
    replies: list[Reply]


class InternalComment(Out):
    """A comment of the home round: seen only inside its municipality."""

    id: int
    author: Ref
    municipality: Ref
    section_id: int
    version_number: int | None = Field(description="The version that was shown when commenting.")
    exact: str = Field(description="The words it is about; empty: the whole section.")
    body: str = Field(description="Markdown as written.")
    body_html: str = Field(description="Sanitized HTML.")
    created_at: Timestamp
    lifted_comment_id: int | None = Field(
        description="The joint discussion's comment it was lifted into, if it was.")


class Position(Out):
    id: int
    version_number: int
    municipality: Ref
    user: Ref
    decision: Decision
    note: str
    is_current: bool
    created_at: Timestamp


class SignOff(Out):
    id: int
    version_number: int
    municipality: Ref
    user: Ref
    # Not an enum: sign-offs made through the API before the list was enforced may differ.
    deciding_body: str = Field(description="The deciding body's Swedish name.")
    decision_date: date
    minutes_paragraph: str
    signatory_name: str
    signatory_title: str
    text_fingerprint: str = Field(description="SHA-256 (hex) of the signed version's canonical text.")
    created_at: Timestamp


class PlanMilestone(Out):
    date: date_
    kind: str = Field(description="home_round, comments, positions, consensus, papers_due, meeting "
                                  "or deadline.")
    municipality: str = Field(description="For papers_due and meeting: whose; else empty.")
    body: str
    label: str = Field(description="What the date is, in the request's language.")
    adjusted: bool = Field(description="The coordinator set this date.")
    passed: bool


class PlanWarning(Out):
    problem: str
    municipality: str
    text: str = Field(description="The warning in one sentence, in the request's language.")


class PlanParticipant(Out):
    municipality: str
    deciding_body: str
    decides_on: date_ | None = Field(description="The meeting (or delegation) that decides in time.")
    papers_due: date_ | None
    in_time: bool
    next_possible: date_ | None = Field(
        description="When it cannot decide in time: its body's first reachable meeting.")


class Plan(Out):
    deadline: date_
    consensus_by: date_ = Field(description="The latest date the version decided on needs consensus.")
    feasible: bool = Field(description="Every participant's body can decide by the deadline.")
    extended_deadline: date_ | None = Field(
        description="When not feasible: the date an extension would need to reach.")
    participants: list[PlanParticipant]
    milestones: list[PlanMilestone]
    warnings: list[PlanWarning]


class Meeting(Out):
    id: int
    body: str
    meets_on: date_
    document_deadline_days: int
    papers_due: date_


class MeetingList(Out):
    municipality: Ref
    director_may_decide: bool
    items: list[Meeting]


class AuditEvent(Out):
    id: int
    action: str
    created_at: Timestamp
    user: Ref | None
    municipality: Ref | None
    version_number: int | None
    summary: str
    details: dict[str, Any]


class Page(Out):
    total: int = Field(ge=0, description="Number of items without limit and offset.")
    limit: int = Field(ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(ge=0)


class CooperationPage(Page):
    items: list[Cooperation]


class ConsultationPage(Page):
    items: list[ConsultationWithResponses]


class ResponsePage(Page):
    items: list[ResponseSummary]


class VersionPage(Page):
    items: list[Version]


class CommentPage(Page):
    items: list[CommentThread]


class InternalCommentPage(Page):
    items: list[InternalComment]


class PositionPage(Page):
    current: list[Position]
    items: list[Position]


class SignOffPage(Page):
    items: list[SignOff]


class AuditPage(Page):
    items: list[AuditEvent]


class ErrorDetail(Out):
    status: int = Field(ge=400, le=599)
    code: str = Field(description="Stable machine-readable code, e.g. NotFound, Conflict, "
                                  "InvalidRequest, NotAllowed, Unauthorized.")
    message: str = Field(description="What went wrong, for people, in Swedish.")


class Error(Out):
    error: ErrorDetail


REQUEST_MODELS: tuple[type[RequestBody], ...] = (NewComment, NewPosition, NewSignOff)


# --- what a field's error message says ---------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    """One field's rule as the document states it, for the message when a value breaks it."""

    kind: Literal["integer", "text", "choice", "date"]
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    choices: tuple[str, ...] = ()


@cache
def field_rules(model: type[BaseModel]) -> dict[str, FieldRule]:
    """The fields of a request or query model, in order, read from its JSON schema."""
    schema = model.model_json_schema()
    definitions = schema.get("$defs", {})
    rules: dict[str, FieldRule] = {}
    for name, field in schema["properties"].items():
        (option,) = [o for o in field.get("anyOf", [field]) if o != {"type": "null"}]
        if "$ref" in option:
            option = definitions[option["$ref"].rsplit("/", 1)[1]]
        if "enum" in option:
            rules[name] = FieldRule("choice", choices=tuple(option["enum"]))
        elif option.get("type") == "integer":
            rules[name] = FieldRule("integer", minimum=option.get("minimum"),
                                    maximum=option.get("maximum"))
        elif option.get("format") == "date":
            rules[name] = FieldRule("date")
        else:
            rules[name] = FieldRule("text", max_length=option.get("maxLength"))
    return rules
