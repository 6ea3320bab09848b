"""What each person should do next on a response, in one sentence with one button.

A pure function over the response overview and the person: pages decide nothing of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext as _
from flask_babel import ngettext

from ..models import ParticipationStatus, Role, Stage, User
from .overview import ResponseOverview


class Target(StrEnum):
    """Where the button of a next step leads; the page turns it into a link."""

    ANSWER_INVITATION = "answer_invitation"
    INVITE = "invite"
    REMIND = "remind"
    DRAFT = "draft"
    POSITION = "position"
    COMPARE = "compare"
    SIGN = "sign"
    RECORD_SENT = "record_sent"


@dataclass(frozen=True)
class NextStep:
    text: str
    button: str
    target: Target
    # For COMPARE: the versions to compare.
    compare_from: int | None = None
    compare_to: int | None = None


def next_step(summary: ResponseOverview, user: User, *, unpublished: bool = False) -> NextStep | None:
    """The one thing this person should do now on this response, or None when nothing waits."""
    if summary.stage.is_closed:
        return None
    role = user.role_in(summary.response.cooperation_id)
    if role is Role.COORDINATOR:
        return _coordinator(summary, unpublished)
    if role in (Role.OFFICIAL, Role.DIRECTOR) and user.municipality_id is not None:
        mine = next((p for p in summary.participations
                     if p.municipality_id == user.municipality_id), None)
        if mine is None:
            return None
        status = ParticipationStatus(mine.status)
        if status is ParticipationStatus.INVITED and summary.stage.participation_is_open:
            return NextStep(_("Svara på inbjudan: deltar %(name)s i yttrandet?",
                              name=mine.municipality.name), _("Svara på inbjudan"),
                            Target.ANSWER_INVITATION)
        if status is not ParticipationStatus.JOINED:
            return None
        if role is Role.OFFICIAL:
            return _official(summary, user)
        return _director(summary, user)
    return None


def _coordinator(summary: ResponseOverview, unpublished: bool) -> NextStep | None:
    stage, status, version = summary.stage, summary.status, summary.version
    if stage.is_frozen:
        return NextStep(_("Alla har skrivit under – ladda ner yttrandet, skicka det och ange "
                          "när det skickades."), _("Markera som skickat"), Target.RECORD_SENT)
    if not summary.participations:
        return NextStep(_("Bjud in medlemskommunerna till yttrandet."), _("Bjud in kommuner"),
                        Target.INVITE)
    if summary.unanswered_invitations:
        count = len(summary.unanswered_invitations)
        return NextStep(ngettext("%(num)d kommun har inte svarat på inbjudan – påminn den.",
                                 "%(num)d kommuner har inte svarat på inbjudan – påminn dem.",
                                 count), _("Skicka påminnelse"), Target.REMIND)
    if version is None or unpublished:
        number = (version.number + 1) if version else 1
        return NextStep(_("Skriv klart utkastet och publicera version %(n)d.", n=number),
                        _("Redigera utkast"), Target.DRAFT)
    if status.objections:
        names = ", ".join(o.name for o in status.objections)
        return NextStep(_("%(names)s invänder mot version %(n)d – läs invändningen och "
                          "publicera en ny version.", names=names, n=version.number),
                        _("Redigera utkast"), Target.DRAFT)
    if stage.takes_signoffs and summary.missing_signatures:
        return NextStep(_("Väntar på underskrift från %(names)s – påminn dem.",
                          names=", ".join(summary.missing_signatures)),
                        _("Skicka påminnelse"), Target.REMIND)
    if status.not_answered:
        count = len(status.not_answered)
        return NextStep(ngettext("%(num)d kommun har inte tagit ställning till version %(n)d "
                                 "– påminn den.",
                                 "%(num)d kommuner har inte tagit ställning till version %(n)d "
                                 "– påminn dem.", count, n=version.number),
                        _("Skicka påminnelse"), Target.REMIND)
    return None


def _official(summary: ResponseOverview, user: User) -> NextStep | None:
    version = summary.version
    if version is None or not summary.stage.takes_positions:
        return None
    if user.municipality_id in summary.positions:
        return None
    name = user.municipality.name
    old = summary.status.stale_approvals.get(name)
    if old is not None:
        return NextStep(_("Ta ställning till version %(new)d – ni godkände version %(old)d, "
                          "se vad som ändrats.", new=version.number, old=old),
                        _("Se vad som ändrats"), Target.COMPARE, old, version.number)
    objected = summary.earlier_objections.get(user.municipality_id)
    if objected is not None:
        return NextStep(_("Ni invände mot version %(old)d – se vad som ändrats och ta ställning "
                          "till version %(new)d.", old=objected.version_number, new=version.number),
                        _("Se vad som ändrats"), Target.COMPARE, objected.version_number,
                        version.number)
    return NextStep(_("Ta ställning till version %(n)d för %(name)s.", n=version.number,
                      name=name), _("Ta ställning"), Target.POSITION)


def _director(summary: ResponseOverview, user: User) -> NextStep | None:
    if summary.stage is not Stage.CONSENSUS or summary.version is None:
        return None
    state = summary.signoffs.get(user.municipality_id)
    if state is not None and state.current is not None:
        return None
    return NextStep(_("Version %(n)d har samsyn – registrera kommunens beslut och skriv under.",
                      n=summary.version.number), _("Skriv under"), Target.SIGN)

