"""Reminders before dates, sent by the daily run (`flask send-reminders`, `flask scheduler`).

Before the remiss deadline, before a home round's internal deadline and before the plan's
internal dates (services/planning.py), each once. They sit above notifications, the home round
and the plan, whose rules they use; the coordinator's "remind now" is `notifications.remind_now`.
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import HomeReviewer, HomeRound, JointResponse, ParticipationStatus, Role, Stage
from . import consensus
from .home import internal_deadline
from .notifications import coordinators, home_reviewers, joined_ids, notify, users_of
from .planning import REMIND_DAYS_BEFORE, MilestoneKind, response_plan
from .signatures import missing_signatures


def send_deadline_reminders(today: date) -> int:
    """Remind, 7 and 2 days before the deadline, the municipalities that have not yet answered."""
    sent = 0
    responses = db.session.scalars(
        select(JointResponse).where(JointResponse.stage.in_(
            [stage for stage in Stage if stage.text_is_open]))
    )
    for response in responses:
        days_left = (response.deadline - today).days
        if days_left not in (7, 2):
            continue
        if Stage(response.stage).takes_signoffs:
            names = set(missing_signatures(response))
            ids = [p.municipality_id for p in response.participations if p.municipality.name in names]
            roles = {Role.DIRECTOR}
            message = _l("%(days)d dagar kvar till sista svarsdag för ”%(title)s”, och din kommun "
                        "har inte skrivit under.", days=days_left, title=response.title)
        else:
            status = consensus.current_status(response)
            waiting = set(status.not_answered)
            ids = [p.municipality_id for p in response.participations
                   if p.municipality.name in waiting
                   or p.status == ParticipationStatus.INVITED]
            roles = {Role.OFFICIAL}
            message = _l("%(days)d dagar kvar till sista svarsdag för ”%(title)s”, och din kommun "
                         "har inte svarat.", days=days_left, title=response.title)
        sent += notify(users_of(response, ids, roles), response, "deadline", message,
                       f"deadline:{response.id}:{days_left}")
    return sent + _home_deadline_reminders(today)


def _home_deadline_reminders(today: date) -> int:
    """Two days before a home round's internal deadline in effect (the official's own, else the
    plan's home-round date: services/home.py) its invited colleagues are reminded, once."""
    sent = 0
    rounds = db.session.execute(select(HomeReviewer.response_id, HomeReviewer.municipality_id)
                                .distinct().order_by(HomeReviewer.response_id,
                                                     HomeReviewer.municipality_id)).all()
    for response_id, municipality_id in rounds:
        response = db.session.get(JointResponse, response_id)
        if response is None or not Stage(response.stage).discussion_is_open:
            continue
        day = internal_deadline(response, municipality_id, today).day
        if day is None or (day - today).days != 2:
            continue
        sent += notify(home_reviewers(response.id, municipality_id), response, "home_deadline",
                       _l("2 dagar kvar till den interna svarsdagen för ”%(title)s” (%(day)s).",
                         title=response.title, day=day.isoformat()),
                       f"home-deadline-reminder:{response.id}:{municipality_id}:{day.isoformat()}")
    return sent


def send_plan_reminders(today: date) -> int:
    """Remind, before each of the plan's internal dates (services/planning.py), whoever that date
    waits for: the officials before the home round ends and before comments and positions are
    due (positions: those not yet answered); the coordinators when a body cannot decide in time."""
    sent = 0
    responses = db.session.scalars(
        select(JointResponse).where(JointResponse.stage.in_(
            [stage for stage in Stage if stage.can_be_planned]))
    )
    for response in responses:
        plan = response_plan(response, today)
        for kind, day in plan.due.items():
            days_left = (day - today).days
            if days_left not in REMIND_DAYS_BEFORE:
                continue
            ids = joined_ids(response)
            if kind is MilestoneKind.POSITIONS:
                if not Stage(response.stage).takes_positions:
                    continue
                waiting = set(consensus.current_status(response).not_answered)
                ids = [p.municipality_id for p in response.participations
                       if p.municipality.name in waiting]
            elif not Stage(response.stage).text_is_open or response.consensus_version_id:
                continue
            users = users_of(response, ids, {Role.OFFICIAL})
            if kind is MilestoneKind.HOME_ROUND:
                # The plan's date is each home round's default (services/home.py): its officials
                # are reminded of it here unless they set their own internal deadline; the
                # invited colleagues hear of the date in effect from _home_deadline_reminders.
                own = set(db.session.scalars(select(HomeRound.municipality_id).where(
                    HomeRound.response_id == response.id, HomeRound.deadline.is_not(None))))
                users = users_of(response, [i for i in ids if i not in own], {Role.OFFICIAL})
            messages = {
                MilestoneKind.HOME_ROUND: _l("Beredningen på hemmaplan av ”%(title)s” ska vara klar "
                                            "%(date)s enligt planen.", title=response.title,
                                            date=day.isoformat()),
                MilestoneKind.COMMENTS: _l("Sista dag för synpunkter på ”%(title)s” är %(date)s "
                                          "enligt planen.", title=response.title, date=day.isoformat()),
                MilestoneKind.POSITIONS: _l("Sista dag att ta ställning till ”%(title)s” är %(date)s "
                                           "enligt planen, så att alla hinner besluta.",
                                           title=response.title, date=day.isoformat()),
            }
            sent += notify(users, response, "plan", messages[kind],
                           f"plan:{response.id}:{kind.value}:{day.isoformat()}")
        if plan.late:
            sent += notify(coordinators(response), response, "plan",
                           _l("Alla kommuner hinner inte besluta om ”%(title)s” före sista svarsdag: "
                             "%(names)s. Se planen; begär anstånd vid behov.", title=response.title,
                             names=", ".join(p.municipality for p in plan.late)),
                           f"plan-late:{response.id}:{','.join(p.municipality for p in plan.late)}")
    return sent
