"""The home round (förankring på hemmaplan): one municipality's internal review of a response.

An official invites colleagues of their own municipality as internal reviewers of one response;
they read the current version and comment. Internal comments are kept in their own table and
their audit events name the response only in `home_response_id`, so nothing of the joint
discussion (pages, API, exports, CSV, notifications) can find them. The official lifts chosen
points into the joint discussion as the municipality's comment; the internal thread stays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    AuditEvent,
    Comment,
    CooperationRole,
    HomeReviewer,
    HomeRound,
    InternalComment,
    JointResponse,
    Role,
    Section,
    User,
    Version,
    local_today,
    utcnow,
)
from ..permissions import Action, can, ensure
from ..rendering import strip_control_chars
from . import anchoring, notifications, passwords, people
from .audit import record_event
from .comments import PassageChoice, _chosen_quote, _render_comment, add_comment
from .drafting import DisplaySection, reader_sections
from .errors import Conflict, InvalidInput, NotFound
from .planning import home_round_due
from .queries import latest_version

_LATEST = object()  # "look it up": a caller that already has the value passes it

# Who may be invited as a colleague: people of the same municipality, in these roles here.
_COLLEAGUE_ROLES = {Role.OFFICIAL, Role.DIRECTOR, Role.REVIEWER}


@dataclass(frozen=True)
class InternalDeadline:
    """The internal deadline of one municipality's home round: the official's own where set,
    else the plan's home-round date (services/planning.py) as the default."""

    own: date | None
    plan: date | None

    @property
    def day(self) -> date | None:
        return self.own or self.plan

    @property
    def from_plan(self) -> bool:
        return self.own is None and self.plan is not None

    @property
    def later_than_plan(self) -> bool:
        """The official's own date falls after the plan's: worth a warning on the page."""
        return self.own is not None and self.plan is not None and self.own > self.plan


def internal_deadline(response: JointResponse, municipality_id: int,
                      today: date | None = None) -> InternalDeadline:
    """The internal deadline in effect for one municipality's home round of this response."""
    home = _round(response, municipality_id)
    return InternalDeadline(own=home.deadline if home else None,
                            plan=home_round_due(response, today or local_today()))


@dataclass
class HomeRoundView:
    """What one municipality's home round holds, as its own people see it."""

    response: JointResponse
    municipality_id: int
    own_deadline: date | None
    reviewers: list[HomeReviewer]
    comments: list[InternalComment]
    version: Version | None
    sections: list[DisplaySection] = field(default_factory=list)
    # The plan's home-round date when the caller knows it (services/planning.home_round_due).
    plan_due: date | None | object = field(default=_LATEST)

    @cached_property
    def internal_deadline(self) -> InternalDeadline:
        # The round's own date was read with the view: only the plan's may still be looked up.
        plan = (home_round_due(self.response, local_today()) if self.plan_due is _LATEST
                else self.plan_due)
        return InternalDeadline(own=self.own_deadline, plan=plan)

    @property
    def deadline(self) -> date | None:
        """The internal deadline in effect: the official's own, else the plan's."""
        return self.internal_deadline.day

    def comments_on(self, section_id: int) -> list[InternalComment]:
        return [c for c in self.comments if c.section_id == section_id]

    @property
    def lifted_count(self) -> int:
        return sum(1 for c in self.comments if c.lifted_comment_id is not None)


def _round(response: JointResponse, municipality_id: int) -> HomeRound | None:
    return db.session.scalars(select(HomeRound).where(
        HomeRound.response_id == response.id, HomeRound.municipality_id == municipality_id)).first()


def _started_round(response: JointResponse, municipality_id: int) -> HomeRound:
    """The municipality's home round, begun now if it was not: its row exists as soon as anything
    happens in it (an invitation, a comment, a deadline), so a page finds an untouched round in
    one query. The callers hold the response's row lock, so two first steps cannot both begin it."""
    home = _round(response, municipality_id)
    if home is None:
        home = HomeRound(response_id=response.id, municipality_id=municipality_id)
        db.session.add(home)
        db.session.flush()
    return home


def reviewers(response: JointResponse, municipality_id: int) -> list[HomeReviewer]:
    """The internal reviewers one municipality invited to this response, in invitation order."""
    return list(db.session.scalars(
        select(HomeReviewer).options(selectinload(HomeReviewer.user))
        .where(HomeReviewer.response_id == response.id,
               HomeReviewer.municipality_id == municipality_id)
        .order_by(HomeReviewer.created_at, HomeReviewer.id)))


def internal_comments(response: JointResponse, municipality_id: int) -> list[InternalComment]:
    """One municipality's internal comments on the response, oldest first."""
    return list(db.session.scalars(
        select(InternalComment).options(selectinload(InternalComment.author))
        .where(InternalComment.response_id == response.id,
               InternalComment.municipality_id == municipality_id)
        .order_by(InternalComment.created_at, InternalComment.id)))


def home_round(response: JointResponse, user: User, *, with_text: bool = True,
               version: Version | None | object = _LATEST,
               plan_due: date | None | object = _LATEST) -> HomeRoundView:
    """The home round of the user's own municipality; NotFound for anyone outside it.

    `version` is the latest published version and `plan_due` the plan's home-round date, when
    the caller has them already (fewer queries).
    """
    if not can(user, Action.VIEW_HOME_ROUND, response):
        raise NotFound(_("Yttrandet finns inte."))
    municipality_id = user.municipality_id
    assert municipality_id is not None  # VIEW_HOME_ROUND needs a municipality
    home = _round(response, municipality_id)
    if version is _LATEST:
        version = latest_version(response)
    begun = home is not None  # no reviewer and no comment before the round has begun
    view = HomeRoundView(response=response, municipality_id=municipality_id,
                         own_deadline=home.deadline if home else None,
                         reviewers=reviewers(response, municipality_id) if begun else [],
                         comments=internal_comments(response, municipality_id) if begun else [],
                         version=version, plan_due=plan_due)
    if with_text:
        view.sections = reader_sections(response, version)
    return view


def home_events(response: JointResponse, user: User) -> list[AuditEvent]:
    """The audit trail of the user's municipality's home round, oldest first."""
    if not can(user, Action.VIEW_HOME_ROUND, response):
        raise NotFound(_("Yttrandet finns inte."))
    return list(db.session.scalars(
        select(AuditEvent).options(selectinload(AuditEvent.user))
        .where(AuditEvent.home_response_id == response.id,
               AuditEvent.municipality_id == user.municipality_id)
        .order_by(AuditEvent.created_at, AuditEvent.id)))


def reviewed_responses(user: User) -> list[JointResponse]:
    """The responses this user was invited to review at home, newest first."""
    if user.municipality_id is None:
        return []
    return list(db.session.scalars(
        select(JointResponse).join(HomeReviewer, HomeReviewer.response_id == JointResponse.id)
        .options(selectinload(JointResponse.consultation))
        .where(HomeReviewer.user_id == user.id,
               HomeReviewer.municipality_id == user.municipality_id)
        .order_by(JointResponse.id.desc())))


def _insiders(response: JointResponse, municipality_id: int, *, exclude: User | None = None,
              roles: set[Role]) -> list[User]:
    """Active people inside one municipality's home round of this response, in these roles:
    officials and directors of the municipality, and (Role.REVIEWER) the invited reviewers."""
    municipal = [r.value for r in roles if r is not Role.REVIEWER]
    users = list(db.session.scalars(
        select(User).join(CooperationRole, CooperationRole.user_id == User.id).where(
            CooperationRole.cooperation_id == response.cooperation_id,
            CooperationRole.role.in_(municipal),
            User.municipality_id == municipality_id, User.is_active_account.is_(True)))
    ) if municipal else []
    if Role.REVIEWER in roles:
        known = {u.id for u in users}
        users += [r.user for r in reviewers(response, municipality_id)
                  if r.user.is_active_account and r.user.municipality_id == municipality_id
                  and r.user_id not in known]
    return [u for u in users if exclude is None or u.id != exclude.id]


def _home_event(action: str, user: User, response: JointResponse, summary: str,
                version_number: int | None = None, details: dict | None = None) -> None:
    # response=None: the event must not join the response's own (shared) audit trail.
    event = record_event(action, user, cooperation_id=response.cooperation_id, summary=summary,
                         version_number=version_number, details=details)
    event.home_response_id = response.id


def invite_reviewer(response: JointResponse, official: User, email: str, name: str,
                    title: str = "") -> tuple[HomeReviewer, bool]:
    """Invite a colleague of the official's own municipality to review this response at home.

    An existing account of the same municipality is added directly (and told so); a new address
    gets a reviewer-only account and the invitation with its one-time password link. Returns
    the reviewer and whether an account was created.
    """
    ensure(official, Action.MANAGE_HOME_ROUND, response)
    municipality_id = official.municipality_id
    email = strip_control_chars(email).strip().lower()
    if "@" not in email:
        raise InvalidInput(_("Ange en giltig e-postadress."), field="email")
    user = db.session.scalars(select(User).where(func.lower(User.email) == email)).first()
    created = False
    if user is None:
        if not strip_control_chars(name).strip():
            raise InvalidInput(_("Ange kollegans namn."), field="name")
        user = people.create_user(email=email, name=name, title=title,
                                  cooperation=response.cooperation, role=Role.REVIEWER,
                                  municipality_id=municipality_id, actor=official)
        created = True
    else:
        role = user.role_in(response.cooperation_id)
        if user.municipality_id != municipality_id or (role is not None and role not in _COLLEAGUE_ROLES):
            raise InvalidInput(_("Bara kollegor i %(municipality)s kan bjudas in till "
                                 "hemmaberedningen.", municipality=official.municipality.name),
                               field="email")
        if not user.is_active_account:
            raise InvalidInput(_("Kontot för %(email)s är inaktiverat.", email=email), field="email")
        if user.id == official.id:
            raise InvalidInput(_("Du leder själv hemmaberedningen och behöver inte bjuda in dig."),
                               field="email")
        if role is None:
            db.session.add(CooperationRole(user_id=user.id, cooperation_id=response.cooperation_id,
                                           role=Role.REVIEWER.value))
    if db.session.scalar(select(HomeReviewer.id).where(
            HomeReviewer.response_id == response.id, HomeReviewer.user_id == user.id)):
        raise InvalidInput(_("%(name)s är redan inbjuden till hemmaberedningen.", name=user.name),
                           field="email")
    _started_round(response, municipality_id)
    reviewer = HomeReviewer(response_id=response.id, municipality_id=municipality_id,
                            user_id=user.id, invited_by_id=official.id)
    db.session.add(reviewer)
    db.session.flush()
    db.session.expire(response, ["home_reviewers"])
    _home_event("home_reviewer_invited", official, response,
                _("%(official)s bjöd in %(name)s (%(email)s) till hemmaberedningen.",
                  official=official.name, name=user.name, email=user.email),
                details={"user_id": user.id})
    notifications.notify([user], response, "home_invited",
                         _l("%(official)s bjuder in dig att granska ”%(title)s” inom %(municipality)s.",
                           official=official.name, title=response.title,
                           municipality=official.municipality.name))
    if created:
        # A new account chooses its password from the one-time link, mailed by a job; an
        # existing colleague gets the notification above by e-mail, linked to the home round.
        passwords.queue_invitation(user, response.cooperation, official)
    return reviewer, created


def set_deadline(response: JointResponse, official: User, deadline: date | None) -> None:
    """Set (or clear) the internal deadline of the official's municipality's home round."""
    ensure(official, Action.MANAGE_HOME_ROUND, response)
    if deadline is not None:
        if deadline < local_today():
            raise InvalidInput(_("Den interna svarsdagen har redan passerat."), field="deadline")
        if deadline > response.deadline:
            raise InvalidInput(_("Den interna svarsdagen måste ligga före remissens sista "
                                 "svarsdag (%(day)s).", day=response.deadline.isoformat()),
                               field="deadline")
    home = _started_round(response, official.municipality_id)
    home.deadline = deadline
    home.deadline_set_by_id = official.id
    db.session.flush()
    if deadline is None:
        _home_event("home_deadline_set", official, response, _("Den interna svarsdagen togs bort."))
        return
    _home_event("home_deadline_set", official, response,
                _("Intern svarsdag: %(day)s.", day=deadline.isoformat()))
    notifications.notify(
        _insiders(response, official.municipality_id, exclude=official, roles={Role.REVIEWER}),
        response, "home_deadline",
        _l("Lämna dina synpunkter på ”%(title)s” senast %(day)s.", title=response.title,
          day=deadline.isoformat()),
        f"home-deadline:{home.id}:{deadline.isoformat()}")


def add_internal_comment(response: JointResponse, user: User, section: Section, body: str,
                         exact: str = "") -> InternalComment:
    """Comment inside the home round, on a section or on words of it (as they stand)."""
    ensure(user, Action.COMMENT_IN_HOME_ROUND, response)
    if section.response_id != response.id or section.is_removed:
        raise NotFound(_("Avsnittet finns inte."))
    html = _render_comment(body)
    version = latest_version(response)
    exact = strip_control_chars(exact).strip()
    if exact:
        shown = next((s for s in reader_sections(response, version) if s.section_id == section.id),
                     None)
        text = anchoring.section_text(shown.body_html if shown else section.body_html)
        exact = _chosen_quote(text, None, exact, "").exact
    _started_round(response, user.municipality_id)
    comment = InternalComment(
        response_id=response.id, municipality_id=user.municipality_id, section_id=section.id,
        version_id=version.id if version else None, author_id=user.id,
        body=strip_control_chars(body).strip(), body_html=html, anchor_exact=exact)
    db.session.add(comment)
    db.session.flush()
    _home_event("home_comment_added", user, response,
                _("Ny intern kommentar på ”%(heading)s”.", heading=section.heading),
                version_number=version.number if version else None,
                details={"internal_comment_id": comment.id, "section_id": section.id})
    # The officials leading the round hear of it; the text stays on the page.
    notifications.notify(
        _insiders(response, user.municipality_id, exclude=user, roles={Role.OFFICIAL}),
        response, "home_comment",
        _l("%(name)s kommenterade ”%(heading)s” i hemmaberedningen av ”%(title)s”.",
          name=user.name, heading=section.heading, title=response.title))
    return comment


def get_internal_comment(response: JointResponse, user: User, comment_id: int) -> InternalComment:
    """An internal comment of the user's own municipality; NotFound for any other."""
    comment = db.session.get(InternalComment, comment_id)
    if (comment is None or comment.response_id != response.id
            or comment.municipality_id != user.municipality_id
            or not can(user, Action.VIEW_HOME_ROUND, response)):
        raise NotFound(_("Kommentaren finns inte."))
    return comment


def lift(response: JointResponse, official: User, internal: InternalComment,
         body: str | None = None) -> Comment:
    """Bring an internal point into the joint discussion as the municipality's comment.

    The new comment is the official's, for their municipality, with the text they chose
    (by default the internal comment's); who said it at home stays inside the home round.
    """
    ensure(official, Action.MANAGE_HOME_ROUND, response)
    if internal.municipality_id != official.municipality_id or internal.response_id != response.id:
        raise NotFound(_("Kommentaren finns inte."))
    if internal.lifted_comment_id is not None:
        raise Conflict(_("Synpunkten är redan lyft till den gemensamma diskussionen."))
    section = db.session.get(Section, internal.section_id)
    text = internal.body if body is None or not body.strip() else body
    try:
        comment = add_comment(response, official, section, text,
                              choice=PassageChoice(typed=internal.anchor_exact)
                              if internal.anchor_exact else None)
    except InvalidInput as error:
        if not internal.anchor_exact or error.field not in ("replaced_text", "passage_block"):
            raise
        # The words are no longer in the text: the point goes to the whole section.
        comment = add_comment(response, official, section, text)
    internal.lifted_comment_id = comment.id
    internal.lifted_at = utcnow()
    internal.lifted_by_id = official.id
    db.session.flush()
    _home_event("home_comment_lifted", official, response,
                _("%(name)s lyfte en intern synpunkt på ”%(heading)s” till den gemensamma "
                  "diskussionen.", name=official.name, heading=section.heading),
                details={"internal_comment_id": internal.id, "comment_id": comment.id})
    return comment
