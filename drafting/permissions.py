"""Who may do what, and when: every permission rule of the application, in one place.

`can(user, action, response)` answers "may this person do this now?": their role and
municipality must allow the action (the tables below), and the response's stage must allow
it (the Stage enum says what each stage allows). `ensure` raises NotAllowed (403) for the
first and Conflict (409, saying why not now) for the second. Views, templates, services and
the API all ask here.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from flask_babel import lazy_gettext as _l
from werkzeug.local import LocalProxy

from .models import Cooperation, JointResponse, ParticipationStatus, Role, Stage, User
from .services.errors import Conflict, NotAllowed


class Action(StrEnum):
    VIEW = "view"
    EDIT_DRAFT = "edit_draft"
    PUBLISH_VERSION = "publish_version"
    MANAGE_PARTICIPANTS = "manage_participants"
    REMIND = "remind"
    ANSWER_INVITATION = "answer_invitation"
    STEP_ASIDE = "step_aside"
    COMMENT = "comment"
    DECIDE_SUGGESTION = "decide_suggestion"
    RECORD_POSITION = "record_position"
    SIGN_OFF = "sign_off"
    WITHDRAW = "withdraw"
    RECORD_SENT = "record_sent"
    EXPORT = "export"
    # The home round: inside one municipality only (see _HOME_ACTIONS).
    VIEW_HOME_ROUND = "view_home_round"
    COMMENT_IN_HOME_ROUND = "comment_in_home_round"
    MANAGE_HOME_ROUND = "manage_home_round"
    ADJUST_PLAN = "adjust_plan"
    REQUEST_EXTENSION = "request_extension"
    EDIT_DECISION_BASIS = "edit_decision_basis"
    DECISION_BASIS = "decision_basis"


class CooperationAction(StrEnum):
    VIEW = "view"
    OPEN_RESPONSE = "open_response"
    ADMINISTER = "administer"
    KEEP_CALENDAR = "keep_calendar"  # one municipality's meeting calendar and delegation


_COORDINATOR_ACTIONS = {
    Action.VIEW,
    Action.EDIT_DRAFT,
    Action.PUBLISH_VERSION,
    Action.MANAGE_PARTICIPANTS,
    Action.REMIND,
    Action.COMMENT,
    Action.DECIDE_SUGGESTION,
    Action.WITHDRAW,
    Action.RECORD_SENT,
    Action.EXPORT,
    Action.ADJUST_PLAN,
    Action.REQUEST_EXTENSION,
}
# Actions a municipality's people take for their own municipality, by participation status.
# The home round belongs to the user's own municipality: its officials run it, its director
# reads and comments, and what was said stays readable after the municipality declined.
_MUNICIPAL_ACTIONS: dict[Role, dict[ParticipationStatus | None, set[Action]]] = {
    Role.OFFICIAL: {
        ParticipationStatus.INVITED: {
            Action.ANSWER_INVITATION, Action.COMMENT,
            Action.VIEW_HOME_ROUND, Action.COMMENT_IN_HOME_ROUND, Action.MANAGE_HOME_ROUND,
        },
        ParticipationStatus.JOINED: {
            Action.STEP_ASIDE, Action.COMMENT, Action.RECORD_POSITION,
            Action.VIEW_HOME_ROUND, Action.COMMENT_IN_HOME_ROUND, Action.MANAGE_HOME_ROUND,
            Action.EDIT_DECISION_BASIS, Action.DECISION_BASIS,
        },
        ParticipationStatus.DECLINED: {Action.ANSWER_INVITATION, Action.VIEW_HOME_ROUND},
        ParticipationStatus.STEPPED_ASIDE: {Action.VIEW_HOME_ROUND},
    },
    Role.DIRECTOR: {
        ParticipationStatus.INVITED: {
            Action.ANSWER_INVITATION, Action.COMMENT,
            Action.VIEW_HOME_ROUND, Action.COMMENT_IN_HOME_ROUND,
        },
        ParticipationStatus.JOINED: {
            Action.STEP_ASIDE, Action.COMMENT, Action.SIGN_OFF,
            Action.VIEW_HOME_ROUND, Action.COMMENT_IN_HOME_ROUND,
            Action.EDIT_DECISION_BASIS, Action.DECISION_BASIS,
        },
        ParticipationStatus.DECLINED: {Action.ANSWER_INVITATION, Action.VIEW_HOME_ROUND},
        ParticipationStatus.STEPPED_ASIDE: {Action.VIEW_HOME_ROUND},
    },
}
# An internal reviewer sees nothing of the cooperation but the home round of the responses
# their municipality invited them to: no response page, no list, no export, no API.
_REVIEWER_ACTIONS = {Action.VIEW_HOME_ROUND, Action.COMMENT_IN_HOME_ROUND}
# The actions about one municipality's home round; nobody outside that municipality has them.
HOME_ACTIONS = frozenset({Action.VIEW_HOME_ROUND, Action.COMMENT_IN_HOME_ROUND,
                          Action.MANAGE_HOME_ROUND})


def participation_status(response: JointResponse, municipality_id: int | None) -> ParticipationStatus | None:
    for participation in response.participations:
        if participation.municipality_id == municipality_id:
            return ParticipationStatus(participation.status)
    return None


# Which stage property allows each action (see Stage in models/responses.py).
_STAGE_ALLOWS: dict[Action, Callable[[Stage], bool]] = {
    Action.VIEW: lambda stage: True,
    Action.EXPORT: lambda stage: True,
    Action.EDIT_DRAFT: lambda stage: stage.text_is_open,
    Action.PUBLISH_VERSION: lambda stage: stage.text_is_open,
    Action.DECIDE_SUGGESTION: lambda stage: stage.text_is_open,
    Action.COMMENT: lambda stage: stage.discussion_is_open,
    Action.MANAGE_PARTICIPANTS: lambda stage: stage.participation_is_open,
    Action.REMIND: lambda stage: stage.text_is_open,
    Action.ANSWER_INVITATION: lambda stage: stage.participation_is_open,
    Action.STEP_ASIDE: lambda stage: stage.participation_is_open,
    Action.RECORD_POSITION: lambda stage: stage.takes_positions,
    Action.SIGN_OFF: lambda stage: stage.takes_signoffs,
    Action.WITHDRAW: lambda stage: stage.can_be_withdrawn,
    Action.RECORD_SENT: lambda stage: stage.can_be_marked_sent,
    Action.VIEW_HOME_ROUND: lambda stage: True,
    Action.COMMENT_IN_HOME_ROUND: lambda stage: stage.discussion_is_open,
    Action.MANAGE_HOME_ROUND: lambda stage: stage.discussion_is_open,
    Action.ADJUST_PLAN: lambda stage: stage.can_be_planned,
    Action.REQUEST_EXTENSION: lambda stage: stage.can_be_planned,
    Action.EDIT_DECISION_BASIS: lambda stage: stage.text_is_open,
    Action.DECISION_BASIS: lambda stage: stage.has_consensus_text,
}


def stage_allows(action: Action, response: JointResponse) -> bool:
    """Does the response's stage allow this action now, whoever asks?"""
    return _STAGE_ALLOWS[action](Stage(response.stage))


def _behind(user: User | None) -> User | None:
    """The user behind Flask-Login's current_user: through the proxy, every attribute read
    finds the request's user again (a page asks dozens of questions; make bench)."""
    return user._get_current_object() if isinstance(user, LocalProxy) else user


def can(user: User | None, action: Action, response: JointResponse) -> bool:
    """May this user take this action on this response now (role, municipality and stage)?"""
    return role_allows(user, action, response) and stage_allows(action, response)


def role_allows(user: User | None, action: Action, response: JointResponse) -> bool:
    """May this user take this action at all, by role and municipality, whatever the stage?"""
    user = _behind(user)
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    role = user.role_in(response.cooperation_id)
    if role is None:
        return False
    if role is Role.REVIEWER:
        return action in _REVIEWER_ACTIONS and is_home_reviewer(user, response)
    if action in (Action.VIEW, Action.EXPORT):
        return True
    if role is Role.COORDINATOR:
        return action in _COORDINATOR_ACTIONS
    if role in _MUNICIPAL_ACTIONS and user.municipality_id is not None:
        status = participation_status(response, user.municipality_id)
        if status is None:
            return False
        return action in _MUNICIPAL_ACTIONS[role][status]
    return False


def is_home_reviewer(user: User, response: JointResponse) -> bool:
    """Was this user invited, by their own municipality, to review this response at home?"""
    return user.municipality_id is not None and any(
        reviewer.user_id == user.id and reviewer.municipality_id == user.municipality_id
        for reviewer in response.home_reviewers)


def can_in_cooperation(user: User | None, action: CooperationAction, cooperation: Cooperation,
                       municipality_id: int | None = None) -> bool:
    """May this user take this cooperation-wide action (for this member municipality)?"""
    user = _behind(user)
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_system_admin:
        return True
    role = user.role_in(cooperation.id)
    if role is None or role is Role.REVIEWER:  # a reviewer sees only their home rounds
        return False
    if action is CooperationAction.VIEW:
        return True
    if action is CooperationAction.OPEN_RESPONSE:
        return role is Role.COORDINATOR
    if action is CooperationAction.ADMINISTER:
        return role is Role.ADMIN
    if action is CooperationAction.KEEP_CALENDAR:
        # The municipality's own official or director, or the cooperation's administrator.
        if municipality_id is None or municipality_id not in {
                m.municipality_id for m in cooperation.memberships}:
            return False
        return role is Role.ADMIN or (role in (Role.OFFICIAL, Role.DIRECTOR)
                                      and user.municipality_id == municipality_id)
    return False


_DENIED_MESSAGES = {
    Action.RECORD_POSITION: _l("Bara en tjänsteman i en deltagande kommun kan ta ställning för sin kommun."),
    Action.SIGN_OFF: _l("Bara kommundirektören i en deltagande kommun kan skriva under för sin kommun."),
    Action.EDIT_DRAFT: _l("Bara koordinatorn kan redigera utkastet."),
    Action.PUBLISH_VERSION: _l("Bara koordinatorn kan publicera versioner."),
    Action.MANAGE_HOME_ROUND: _l("Bara kommunens tjänsteman kan leda hemmaberedningen."),
    Action.ADJUST_PLAN: _l("Bara koordinatorn kan ändra planen."),
    Action.REQUEST_EXTENSION: _l("Bara koordinatorn kan begära anstånd."),
    Action.EDIT_DECISION_BASIS: _l("Bara en deltagande kommuns tjänsteman eller kommundirektör "
                                   "kan skriva kommunens beslutsunderlag."),
    Action.DECISION_BASIS: _l("Beslutsunderlaget är till för den deltagande kommunens egna "
                              "tjänstemän och kommundirektör."),
}


_STAGE_REFUSALS = {
    Action.RECORD_POSITION: _l("Ställningstaganden tas bara under förankringen, "
                               "innan yttrandet undertecknas."),
    Action.SIGN_OFF: _l("Underskrift kan bara ske när samsyn har nåtts om en version "
                        "och innan yttrandet är klart."),
    Action.MANAGE_PARTICIPANTS: _l("Det går inte att bjuda in till ett avslutat yttrande."),
    Action.RECORD_SENT: _l("Bara ett yttrande som alla har skrivit under kan markeras som skickat."),
    Action.WITHDRAW: _l("Ett skickat eller redan återkallat yttrande kan inte återkallas."),
    Action.ANSWER_INVITATION: _l("Yttrandet är redan undertecknat eller avslutat; "
                                 "det går inte att ansluta nu."),
    Action.STEP_ASIDE: _l("Yttrandet är redan undertecknat; kommunen kan inte längre avstå."),
    Action.DECISION_BASIS: _l("Beslutsunderlaget kan tas fram först när samsyn har nåtts om en "
                              "version: det är den texten kommunen beslutar om."),
    Action.EDIT_DECISION_BASIS: _l("Yttrandet är undertecknat eller avslutat; beslutsunderlaget "
                                   "kan inte längre ändras."),
}


def stage_refusal(action: Action, response: JointResponse) -> str:
    """Why the response's stage does not allow this action now, in one sentence."""
    if action in _STAGE_REFUSALS:
        return str(_STAGE_REFUSALS[action])
    stage = Stage(response.stage)
    if stage is Stage.WITHDRAWN:
        return str(_l("Yttrandet är återkallat och kan inte ändras."))
    if stage is Stage.SENT:
        return str(_l("Yttrandet är skickat och kan inte längre ändras."))
    if stage is Stage.SIGNED:
        return str(_l("Yttrandet är undertecknat och texten kan inte längre ändras."))
    return str(_l("Det går inte att göra detta i yttrandets nuvarande skede."))


def ensure(user: User | None, action: Action, response: JointResponse) -> None:
    """Raise NotAllowed unless the role allows the action, Conflict unless the stage does now."""
    ensure_role(user, action, response)
    ensure_stage(action, response)


def ensure_role(user: User | None, action: Action, response: JointResponse) -> None:
    """Raise NotAllowed unless the role and municipality allow the action at all."""
    if not role_allows(user, action, response):
        message = _DENIED_MESSAGES.get(action, _l("Du har inte behörighet att göra detta."))
        raise NotAllowed(str(message))


def ensure_stage(action: Action, response: JointResponse) -> None:
    """Raise Conflict, saying why, unless the response's stage allows the action now."""
    if not stage_allows(action, response):
        raise Conflict(stage_refusal(action, response))


def ensure_in_cooperation(user: User | None, action: CooperationAction, cooperation: Cooperation,
                          municipality_id: int | None = None) -> None:
    if not can_in_cooperation(user, action, cooperation, municipality_id):
        raise NotAllowed(str(_l("Du har inte behörighet att göra detta.")))
