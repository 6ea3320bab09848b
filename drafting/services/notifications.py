"""In-app notifications, mirrored to e-mail by the send-reminders job when SMTP is configured."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from datetime import date
from email.message import EmailMessage

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import (
    CooperationRole,
    HomeReviewer,
    HomeRound,
    JointResponse,
    Notification,
    ParticipationStatus,
    Role,
    Stage,
    User,
    Version,
)
from . import consensus
from .errors import DomainError
from .signatures import missing_signatures

log = logging.getLogger(__name__)


def _users_of(response: JointResponse, municipality_ids: Iterable[int], roles: set[Role]) -> list[User]:
    ids = set(municipality_ids)
    if not ids:
        return []
    return list(db.session.scalars(
        select(User)
        .join(CooperationRole, CooperationRole.user_id == User.id)
        .where(
            CooperationRole.cooperation_id == response.cooperation_id,
            CooperationRole.role.in_([r.value for r in roles]),
            User.municipality_id.in_(ids),
            User.is_active_account.is_(True),
        )
    ))


def _coordinators(response: JointResponse) -> list[User]:
    return list(db.session.scalars(
        select(User).join(CooperationRole, CooperationRole.user_id == User.id).where(
            CooperationRole.cooperation_id == response.cooperation_id,
            CooperationRole.role == Role.COORDINATOR.value,
        )
    ))


def notify(users: Iterable[User], response: JointResponse | None, kind: str, message: str,
           dedupe_prefix: str | None = None) -> int:
    """Create one notification per user; with a dedupe prefix each user gets it only once."""
    created = 0
    for user in users:
        if not user.is_active_account:  # a deactivated account hears nothing more
            continue
        key = f"{dedupe_prefix}:{user.id}" if dedupe_prefix else None
        if key and db.session.scalar(select(Notification.id).where(Notification.dedupe_key == key)):
            continue
        notification = Notification(user_id=user.id, response_id=response.id if response else None,
                                    kind=kind, message=message, dedupe_key=key)
        if key:
            # A savepoint: a concurrent job that inserted the same key first wins quietly.
            try:
                with db.session.begin_nested():
                    db.session.add(notification)
            except IntegrityError:
                continue
        else:
            db.session.add(notification)
        created += 1
        log.info("notification to %s: %s", user.email, message)
    return created


def _joined_ids(response: JointResponse) -> list[int]:
    return [p.municipality_id for p in response.participations
            if p.status == ParticipationStatus.JOINED]


def version_published(response: JointResponse, version: Version) -> None:
    message = _("Version %(number)d av ”%(title)s” är ute för ställningstagande.",
                number=version.number, title=response.title)
    notify(_users_of(response, _joined_ids(response), {Role.OFFICIAL}), response,
           "version_published", message, f"version:{version.id}")
    # The colleagues reviewing it at home read each new version too.
    notify(_home_reviewers(response.id), response, "home_version",
           _("Version %(number)d av ”%(title)s” finns att granska i hemmaberedningen.",
             number=version.number, title=response.title), f"home-version:{version.id}")


def _home_reviewers(response_id: int, municipality_id: int | None = None) -> list[User]:
    """The internal reviewers of a response (of one municipality's home round, if given)."""
    statement = (select(User).join(HomeReviewer, HomeReviewer.user_id == User.id)
                 .where(HomeReviewer.response_id == response_id,
                        HomeReviewer.municipality_id == User.municipality_id))
    if municipality_id is not None:
        statement = statement.where(HomeReviewer.municipality_id == municipality_id)
    return list(db.session.scalars(statement))


def invited(response: JointResponse, municipality_id: int) -> None:
    message = _("Din kommun är inbjuden att delta i ”%(title)s”.", title=response.title)
    notify(_users_of(response, [municipality_id], {Role.OFFICIAL, Role.DIRECTOR}), response,
           "invited", message, f"invite:{response.id}:{municipality_id}")


def objection_raised(response: JointResponse, municipality_name: str, version: Version) -> None:
    message = _("%(municipality)s invänder mot version %(number)d av ”%(title)s”.",
                municipality=municipality_name, number=version.number, title=response.title)
    notify(_coordinators(response), response, "objection", message)


def consensus_reached(response: JointResponse, version: Version) -> None:
    message = _("Samsyn om version %(number)d av ”%(title)s”. Underskrift behövs.",
                number=version.number, title=response.title)
    users = _coordinators(response) + _users_of(response, _joined_ids(response),
                                                {Role.OFFICIAL, Role.DIRECTOR})
    notify(users, response, "consensus", message, f"consensus:{version.id}")


def reply_posted(response: JointResponse, parent_author_id: int, replier: User) -> None:
    """Someone answered my comment."""
    if parent_author_id == replier.id:
        return
    author = db.session.get(User, parent_author_id)
    message = _("%(name)s svarade på din kommentar i ”%(title)s”.",
                name=replier.display_name, title=response.title)
    notify([author] if author else [], response, "reply", message)


def suggestion_decided(response: JointResponse, author_id: int, accepted: bool) -> None:
    """My suggestion was taken in, or declined."""
    author = db.session.get(User, author_id)
    message = (_("Ditt ändringsförslag i ”%(title)s” är infört i utkastet.", title=response.title)
               if accepted else
               _("Ditt ändringsförslag i ”%(title)s” togs inte med; se svaret.", title=response.title))
    notify([author] if author else [], response, "suggestion_decided", message)


def comment_added(response: JointResponse, author: User, is_suggestion: bool, heading: str) -> None:
    """The coordinator hears of every new comment and suggestion."""
    message = (_("%(name)s föreslog en ändring i ”%(heading)s”.", name=author.display_name,
                 heading=heading) if is_suggestion else
               _("%(name)s kommenterade ”%(heading)s”.", name=author.display_name, heading=heading))
    notify([u for u in _coordinators(response) if u.id != author.id], response,
           "suggestion" if is_suggestion else "comment", message)


def response_sent(response: JointResponse) -> None:
    """Everyone who took part hears that the yttrande has gone to the ministry."""
    message = _("”%(title)s” är skickat till %(recipient)s.", title=response.title,
                recipient=response.consultation.sender)
    notify(_users_of(response, _joined_ids(response), {Role.OFFICIAL, Role.DIRECTOR}), response,
           "sent", message, f"sent:{response.id}")


def remind_now(response: JointResponse, today: date) -> int:
    """The coordinator's reminder: whoever the response waits for hears it, at most once a day."""
    stage = Stage(response.stage)
    invited = [p.municipality_id for p in response.participations
               if p.status == ParticipationStatus.INVITED]
    sent = notify(_users_of(response, invited, {Role.OFFICIAL, Role.DIRECTOR}), response, "reminder",
                  _("Påminnelse: svara på inbjudan till ”%(title)s”.", title=response.title),
                  f"remind:{response.id}:{today.isoformat()}:invited")
    if stage.takes_signoffs:
        names = set(missing_signatures(response))
        ids = [p.municipality_id for p in response.participations if p.municipality.name in names]
        sent += notify(_users_of(response, ids, {Role.DIRECTOR}), response, "reminder",
                       _("Påminnelse: registrera kommunens beslut och skriv under ”%(title)s”.",
                         title=response.title),
                       f"remind:{response.id}:{today.isoformat()}:sign")
    elif stage.takes_positions:
        waiting = set(consensus.current_status(response).not_answered)
        ids = [p.municipality_id for p in response.participations if p.municipality.name in waiting]
        sent += notify(_users_of(response, ids, {Role.OFFICIAL}), response, "reminder",
                       _("Påminnelse: ta ställning till den senaste versionen av ”%(title)s”.",
                         title=response.title),
                       f"remind:{response.id}:{today.isoformat()}:position")
    return sent


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
            message = _("%(days)d dagar kvar till sista svarsdag för ”%(title)s”, och din kommun "
                        "har inte skrivit under.", days=days_left, title=response.title)
        else:
            status = consensus.current_status(response)
            waiting = set(status.not_answered)
            ids = [p.municipality_id for p in response.participations
                   if p.municipality.name in waiting
                   or p.status == ParticipationStatus.INVITED]
            roles = {Role.OFFICIAL}
            message = _("%(days)d dagar kvar till sista svarsdag för ”%(title)s”, och din kommun "
                        "har inte svarat.", days=days_left, title=response.title)
        sent += notify(_users_of(response, ids, roles), response, "deadline", message,
                       f"deadline:{response.id}:{days_left}")
    return sent + _home_deadline_reminders(today)


def _home_deadline_reminders(today: date) -> int:
    """Two days before a home round's internal deadline its reviewers are reminded, once."""
    sent = 0
    for home in db.session.scalars(select(HomeRound).where(HomeRound.deadline.is_not(None))):
        if (home.deadline - today).days != 2:
            continue
        response = db.session.get(JointResponse, home.response_id)
        if response is None or not Stage(response.stage).discussion_is_open:
            continue
        sent += notify(_home_reviewers(response.id, home.municipality_id), response, "home_deadline",
                       _("2 dagar kvar till den interna svarsdagen för ”%(title)s” (%(day)s).",
                         title=response.title, day=home.deadline.isoformat()),
                       f"home-deadline-reminder:{home.id}:{home.deadline.isoformat()}")
    return sent


def send_plan_reminders(today: date) -> int:
    """Remind, before each of the plan's internal dates (services/planning.py), whoever that date
    waits for: the officials before the home round ends and before comments and positions are
    due (positions: those not yet answered); the coordinators when a body cannot decide in time."""
    from .planning import REMIND_DAYS_BEFORE, MilestoneKind, response_plan

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
            ids = _joined_ids(response)
            if kind is MilestoneKind.POSITIONS:
                if not Stage(response.stage).takes_positions:
                    continue
                waiting = set(consensus.current_status(response).not_answered)
                ids = [p.municipality_id for p in response.participations
                       if p.municipality.name in waiting]
            elif not Stage(response.stage).text_is_open or response.consensus_version_id:
                continue
            messages = {
                MilestoneKind.HOME_ROUND: _("Beredningen på hemmaplan av ”%(title)s” ska vara klar "
                                            "%(date)s enligt planen.", title=response.title,
                                            date=day.isoformat()),
                MilestoneKind.COMMENTS: _("Sista dag för synpunkter på ”%(title)s” är %(date)s "
                                          "enligt planen.", title=response.title, date=day.isoformat()),
                MilestoneKind.POSITIONS: _("Sista dag att ta ställning till ”%(title)s” är %(date)s "
                                           "enligt planen, så att alla hinner besluta.",
                                           title=response.title, date=day.isoformat()),
            }
            sent += notify(_users_of(response, ids, {Role.OFFICIAL}), response, "plan",
                           messages[kind], f"plan:{response.id}:{kind.value}:{day.isoformat()}")
        if plan.late:
            sent += notify(_coordinators(response), response, "plan",
                           _("Alla kommuner hinner inte besluta om ”%(title)s” före sista svarsdag: "
                             "%(names)s. Se planen; begär anstånd vid behov.", title=response.title,
                             names=", ".join(p.municipality for p in plan.late)),
                           f"plan-late:{response.id}:{','.join(p.municipality for p in plan.late)}")
    return sent


def deliver_pending_email() -> int:
    """E-mail notifications not yet sent, through SMTP if configured, else to the log."""
    pending = list(db.session.scalars(
        select(Notification).where(Notification.emailed.is_(False)).limit(500)
    ))
    server_name = current_app.config.get("MAIL_SERVER")
    smtp = None
    if server_name:
        smtp = smtplib.SMTP(server_name, int(current_app.config.get("MAIL_PORT", 25)), timeout=30)
    try:
        for notification in pending:
            user = db.session.get(User, notification.user_id)
            if smtp is not None and user is not None:
                mail = EmailMessage()
                mail["From"] = current_app.config["MAIL_SENDER"]
                mail["To"] = user.email
                mail["Subject"] = "Yttrande: " + notification.message[:120]
                mail.set_content(notification.message)
                smtp.send_message(mail)
            else:
                log.info("e-mail (not configured) to %s: %s", user.email if user else "?", notification.message)
            notification.emailed = True
    finally:
        if smtp is not None:
            smtp.quit()
    return len(pending)


class MailNotSent(DomainError):
    """The mail server could not be reached or refused the message."""

    status = 503


def send_mail(to: str, subject: str, body: str) -> None:
    """Send one e-mail now: through SMTP if configured, else to the log.

    The one door for mail that cannot wait for a job (invitations, password links), so that
    delivery can move elsewhere (a queue) without its callers changing.
    """
    server_name = current_app.config.get("MAIL_SERVER")
    if not server_name:
        # A warning, not info: without SMTP nobody receives it, and in development the log
        # is where the link is read.
        log.warning("e-mail (no MAIL_SERVER configured) to %s: %s\n%s", to, subject, body)
        return
    mail = EmailMessage()
    mail["From"] = current_app.config["MAIL_SENDER"]
    mail["To"] = to
    mail["Subject"] = subject
    mail.set_content(body)
    try:
        with smtplib.SMTP(server_name, int(current_app.config.get("MAIL_PORT", 25)),
                          timeout=30) as smtp:
            smtp.send_message(mail)
    except OSError as error:  # refused connections and SMTPException alike
        log.exception("e-mail to %s could not be sent", to)
        raise MailNotSent(_("E-postmeddelandet kunde inte skickas just nu. Inget sparades; "
                            "försök igen om en stund.")) from error
