"""Meeting calendars of the municipalities' deciding bodies, and calendars in iCalendar form.

A municipality keeps the coming meetings (sammanträden) of its bodies, each with its document
deadline, and whether its director may decide on delegation. Calendars come in from a meeting
system's iCalendar export (`import_calendar`) and each response's plan goes out as one
(`plan_calendar`), both through the maintained `icalendar` library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..limits import MAX_CALENDAR_BYTES, MAX_CALENDAR_EVENTS, MAX_DOCUMENT_DEADLINE_DAYS
from ..models import Cooperation, MeetingDate, Municipality, User, local_today
from ..models.deciding_bodies import DecidingBody
from ..permissions import CooperationAction, ensure_in_cooperation
from .audit import record_event
from .errors import InvalidInput, NotFound
from .planning import DELEGATION, MilestoneKind, Plan, milestone_label

# Bodies that meet (the director on delegation has no meetings).
MEETING_BODIES = tuple(b.value for b in DecidingBody if b.value != DELEGATION)


def meetings(municipality: Municipality, today: date | None = None) -> list[MeetingDate]:
    """The municipality's coming meetings, soonest first."""
    return list(db.session.scalars(select(MeetingDate).where(
        MeetingDate.municipality_id == municipality.id,
        MeetingDate.meets_on >= (today or local_today()))
        .order_by(MeetingDate.meets_on, MeetingDate.body)))


def _check(body: str, on: date, days: int, today: date) -> None:
    if body not in MEETING_BODIES:
        raise InvalidInput(_("Välj ett organ som sammanträder."), field="meeting_body")
    if on < today:
        raise InvalidInput(_("Sammanträdet ligger redan bakom oss; lägg in kommande sammanträden."),
                           field="meets_on")
    if not 0 <= days <= MAX_DOCUMENT_DEADLINE_DAYS:
        raise InvalidInput(_("Ange ett antal dagar mellan 0 och %(max)d.",
                             max=MAX_DOCUMENT_DEADLINE_DAYS), field="document_deadline_days")


def add_meeting(cooperation: Cooperation, municipality: Municipality, user: User, body: str,
                on: date, document_deadline_days: int) -> MeetingDate:
    """Add one coming meeting of one of the municipality's bodies."""
    ensure_in_cooperation(user, CooperationAction.KEEP_CALENDAR, cooperation, municipality.id)
    _check(body, on, document_deadline_days, local_today())
    if db.session.scalar(select(MeetingDate.id).where(
            MeetingDate.municipality_id == municipality.id, MeetingDate.body == body,
            MeetingDate.meets_on == on)):
        raise InvalidInput(_("%(body)s har redan ett sammanträde %(date)s.", body=body,
                             date=on.isoformat()), field="meets_on")
    meeting = MeetingDate(municipality_id=municipality.id, body=body, meets_on=on,
                          document_deadline_days=document_deadline_days, created_by_id=user.id)
    db.session.add(meeting)
    db.session.flush()
    record_event("meeting_added", user, cooperation_id=cooperation.id,
                 summary=_("%(municipality)s: %(body)s sammanträder %(date)s (handlingar %(days)d "
                           "dagar före).", municipality=municipality.name, body=body,
                           date=on.isoformat(), days=document_deadline_days),
                 details={"municipality_id": municipality.id, "body": body,
                          "meets_on": on.isoformat(), "document_deadline_days": document_deadline_days})
    return meeting


def remove_meeting(cooperation: Cooperation, municipality: Municipality, user: User,
                   meeting_id: int) -> None:
    """Take a meeting off the calendar (cancelled or moved); the audit trail keeps it."""
    ensure_in_cooperation(user, CooperationAction.KEEP_CALENDAR, cooperation, municipality.id)
    meeting = db.session.get(MeetingDate, meeting_id)
    if meeting is None or meeting.municipality_id != municipality.id:
        raise NotFound(_("Sammanträdet finns inte."))
    record_event("meeting_removed", user, cooperation_id=cooperation.id,
                 summary=_("%(municipality)s: sammanträdet med %(body)s %(date)s är borttaget.",
                           municipality=municipality.name, body=meeting.body,
                           date=meeting.meets_on.isoformat()),
                 details={"municipality_id": municipality.id, "body": meeting.body,
                          "meets_on": meeting.meets_on.isoformat()})
    db.session.delete(meeting)
    db.session.flush()


def set_delegation(cooperation: Cooperation, municipality: Municipality, user: User,
                   allowed: bool) -> None:
    """Whether the municipality's director may decide on joint responses on delegation."""
    ensure_in_cooperation(user, CooperationAction.KEEP_CALENDAR, cooperation, municipality.id)
    if municipality.director_may_decide == allowed:
        return
    municipality.director_may_decide = allowed
    record_event("delegation_set", user, cooperation_id=cooperation.id,
                 summary=(_("%(municipality)s: kommundirektören får besluta på delegation.",
                            municipality=municipality.name) if allowed else
                          _("%(municipality)s: kommundirektören får inte besluta på delegation.",
                            municipality=municipality.name)),
                 details={"municipality_id": municipality.id, "director_may_decide": allowed})
    db.session.flush()


# --------------------------------------------------------------------------------------------
# iCalendar in


# What a meeting system calls each body, most specific first ("KSAU", "Kommunstyrelsens
# arbetsutskott", "Kommunstyrelsen", "KF").
_BODY_PATTERNS: tuple[tuple[re.Pattern[str], str | None], ...] = (
    (re.compile(r"arbetsutskott|\bksau\b|\bau\b", re.I), DecidingBody.BOARD_WORKING_COMMITTEE.value),
    (re.compile(r"utskott|nämnd|beredning|presidium", re.I), None),  # not a deciding body here
    (re.compile(r"kommunstyrelse|\bks\b", re.I), DecidingBody.MUNICIPAL_EXECUTIVE_BOARD.value),
    (re.compile(r"fullmäktige|\bkf\b", re.I), DecidingBody.MUNICIPAL_COUNCIL.value),
)


def body_of_event(summary: str) -> str | None:
    """The deciding body an event's title names, or None (another body, or not a meeting)."""
    for pattern, body in _BODY_PATTERNS:
        if pattern.search(summary):
            return body
    return None


@dataclass(frozen=True)
class ImportResult:
    added: tuple[MeetingDate, ...]
    already_there: int  # the same body and date was on the calendar
    not_deciding: int  # meetings of other bodies (nämnder), cancelled ones and past ones


def parse_calendar(data: bytes) -> list[tuple[str, str, date]]:
    """(uid, summary, date) of every event in an iCalendar file; InvalidInput if it is none."""
    if len(data) > MAX_CALENDAR_BYTES:
        raise InvalidInput(_("Filen är för stor: högst %(max)d kB.", max=MAX_CALENDAR_BYTES // 1000),
                           field="calendar")
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except (ValueError, IndexError, KeyError, UnicodeDecodeError) as error:
        raise InvalidInput(_("Filen är ingen kalender i iCalendar-format (.ics)."),
                           field="calendar") from error
    events = []
    for component in calendar.walk("VEVENT"):
        if len(events) >= MAX_CALENDAR_EVENTS:
            raise InvalidInput(_("Kalendern har fler än %(max)d händelser; exportera ett kortare "
                                 "tidsintervall.", max=MAX_CALENDAR_EVENTS), field="calendar")
        start = component.get("DTSTART")
        if start is None or str(component.get("STATUS", "")).upper() == "CANCELLED":
            events.append(("", "", None))
            continue
        when = start.dt
        # A meeting's day is its day in Sweden; a date-time in UTC is converted.
        if isinstance(when, datetime):
            if when.tzinfo is not None:
                when = when.astimezone(ZoneInfo("Europe/Stockholm"))
            when = when.date()
        events.append((str(component.get("UID", "")), str(component.get("SUMMARY", "")), when))
    if not events:
        raise InvalidInput(_("Kalendern innehåller inga sammanträden."), field="calendar")
    return events


def import_calendar(cooperation: Cooperation, municipality: Municipality, user: User, data: bytes,
                    document_deadline_days: int) -> ImportResult:
    """Add the coming meetings of the municipality's deciding bodies from a meeting system's
    iCalendar export; other bodies' meetings and those already on the calendar are left out."""
    ensure_in_cooperation(user, CooperationAction.KEEP_CALENDAR, cooperation, municipality.id)
    today = local_today()
    _check(MEETING_BODIES[0], today, document_deadline_days, today)
    existing = {(m.body, m.meets_on) for m in meetings(municipality, today)}
    added: list[MeetingDate] = []
    already = other = 0
    for uid, summary, on in parse_calendar(data):
        body = body_of_event(summary) if on else None
        if body is None or on < today:
            other += 1
            continue
        if (body, on) in existing:
            already += 1
            continue
        existing.add((body, on))
        meeting = MeetingDate(municipality_id=municipality.id, body=body, meets_on=on,
                              document_deadline_days=document_deadline_days,
                              source_uid=uid[:255], created_by_id=user.id)
        db.session.add(meeting)
        added.append(meeting)
    db.session.flush()
    record_event("calendar_imported", user, cooperation_id=cooperation.id,
                 summary=_("%(municipality)s: %(added)d sammanträden inlästa från en kalenderfil.",
                           municipality=municipality.name, added=len(added)),
                 details={"municipality_id": municipality.id, "added": len(added),
                          "already_there": already, "not_deciding": other})
    return ImportResult(tuple(added), already, other)


# --------------------------------------------------------------------------------------------
# iCalendar out


def plan_calendar(plan: Plan, *, response_id: int, title: str, host: str) -> bytes:
    """The plan as an iCalendar file: one all-day event per date, stable UIDs so that a
    calendar that subscribes to it updates rather than duplicates."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Yttrande//Plan//SV")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", title)
    stamp = datetime.now().astimezone()
    for milestone in plan.milestones:
        event = icalendar.Event()
        who = re.sub(r"[^a-z0-9]+", "-", milestone.municipality.lower()) or "alla"
        event.add("uid", f"plan-{response_id}-{milestone.kind.value}-{who}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", milestone.on)
        event.add("dtend", milestone.on + timedelta(days=1))
        event.add("summary", f"{milestone_label(milestone)} – {title}")
        if milestone.kind in (MilestoneKind.DEADLINE, MilestoneKind.CONSENSUS):
            event.add("categories", ["Yttrande"])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
