"""Demo data: MalmöLundregionen, its eleven members, their people and one realistic remiss."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from .extensions import db
from .models import Consultation, Cooperation, FocusArea, Municipality, Role, User, local_today
from .services import calendars, drafting, home, passwords, people, responses

DEMO_PASSWORD = "demo-losenord"
COOPERATION_NAME = "MalmöLundregionen"
MUNICIPALITIES = ["Burlöv", "Eslöv", "Höör", "Kävlinge", "Lomma", "Lund", "Malmö",
                  "Staffanstorp", "Svedala", "Trelleborg", "Vellinge"]
CHAIR = "Malmö"

DRAFT_SECTIONS = [
    ("Sammanfattning",
     "MalmöLundregionens elva kommuner **tillstyrker** förslaget om en utbyggd regional "
     "kollektivtrafik i sydvästra Skåne, men anser att finansieringen måste klargöras innan "
     "beslut fattas.\n\n"
     "Kommunerna vill särskilt lyfta fram:\n\n"
     "- behovet av fler avgångar på Södra stambanan,\n"
     "- att kommunernas egna planer för bostäder och verksamheter beaktas,\n"
     "- att staten tar ett tydligt ansvar för den nationella infrastrukturen."),
    ("Bakgrund",
     "MalmöLundregionen är ett samarbete mellan Burlöv, Eslöv, Höör, Kävlinge, Lomma, Lund, "
     "Malmö, Staffanstorp, Svedala, Trelleborg och Vellinge. Regionen har omkring 750 000 "
     "invånare och växer med cirka 10 000 invånare per år.\n\n"
     "Kommunerna arbetar sedan flera år gemensamt med en **strukturbild** för fysisk planering "
     "och infrastruktur, där kollektivtrafiken är bärande."),
    ("Synpunkter på förslaget",
     "## Trafikering\n\n"
     "Kommunerna delar bedömningen att tågtrafiken behöver byggas ut. Utan fler spår mellan "
     "Malmö och Lund riskerar regionens arbetsmarknad att hämmas.\n\n"
     "## Finansiering\n\n"
     "Förslaget saknar en redovisning av hur kostnaderna ska fördelas mellan staten, regionen "
     "och kommunerna. Kommunerna kan inte ta ställning till medfinansiering utan ett sådant "
     "underlag.\n\n"
     "| Åtgärd | Ansvar enligt förslaget | Kommunernas syn |\n"
     "|---|---|---|\n"
     "| Fyrspår Malmö–Lund | Staten | Instämmer |\n"
     "| Nya stationer | Kommunerna | Bör delas med regionen |\n"),
    ("Avslutning",
     "Kommunerna står gärna till förfogande för fortsatt dialog. Kontaktperson är "
     "MalmöLundregionens koordinator."),
]


def email_for(municipality: str, role: str) -> str:
    slug = (municipality.lower().replace("å", "a").replace("ä", "a").replace("ö", "o"))
    return f"{role}.{slug}@example.se"


# Names in documents: most are "<name>s kommun"; a few keep the name as it is; Malmö is a "stad".
_FORMAL_EXCEPTIONS = {"Malmö": "Malmö stad", "Kävlinge": "Kävlinge kommun", "Lomma": "Lomma kommun",
                      "Svedala": "Svedala kommun", "Vellinge": "Vellinge kommun"}


def formal_name(name: str) -> str:
    """The demo municipality's formal name ("Lunds kommun")."""
    return _FORMAL_EXCEPTIONS.get(name, f"{name}s kommun")


def seed_demo(today: date | None = None) -> bool:
    """Create the demo data once; returns False when it is already there."""
    if db.session.scalar(select(Cooperation.id).where(Cooperation.name == COOPERATION_NAME)):
        return False
    today = today or local_today()
    cooperation = Cooperation(name=COOPERATION_NAME,
                              letterhead="Samarbete mellan elva kommuner i sydvästra Skåne")
    db.session.add(cooperation)
    db.session.flush()
    by_name: dict[str, Municipality] = {}
    for name in MUNICIPALITIES:
        by_name[name] = people.add_municipality(cooperation, None, name, formal_name(name))
    cooperation.chair_municipality_id = by_name[CHAIR].id
    coordinator = people.create_user(
        email="koordinator@example.se", name="Karin Koordinator", password=DEMO_PASSWORD,
        title="Koordinator", cooperation=cooperation, role=Role.COORDINATOR)
    people.create_user(email="admin@example.se", name="Adam Administratör", password=DEMO_PASSWORD,
                       title="Systemförvaltare", cooperation=cooperation, role=Role.ADMIN)
    for name, municipality in by_name.items():
        people.create_user(email=email_for(name, "tjansteman"), name=f"Tjänsteman {name}",
                           password=DEMO_PASSWORD, title="Strateg", cooperation=cooperation,
                           role=Role.OFFICIAL, municipality_id=municipality.id)
        people.create_user(email=email_for(name, "direktor"), name=f"Direktör {name}",
                           password=DEMO_PASSWORD, title="Kommundirektör", cooperation=cooperation,
                           role=Role.DIRECTOR, municipality_id=municipality.id)
    response = responses.open_response(
        cooperation, coordinator,
        responses.ConsultationInput(
            sender="Infrastrukturdepartementet", reference_number="I2026/01234",
            title="Regional kollektivtrafik i sydvästra Skåne (Ds 2026:12)",
            received_on=today - timedelta(days=10), deadline=today + timedelta(days=30),
        ),
        FocusArea.PLANNING,
    )
    for heading, body in DRAFT_SECTIONS:
        drafting.add_section(response, coordinator, heading, body)
    db.session.flush()
    return True


# The second demo remiss, already out for positions: a real plan and a home round to look at.
SHOWCASE_REFERENCE = "N2026/00456"
SHOWCASE_PARTICIPANTS = ["Eslöv", "Lomma", "Lund", "Malmö"]
SHOWCASE_SECTIONS = [
    ("Sammanfattning",
     "MalmöLundregionens kommuner **tillstyrker** en regional cykelstrategi, under förutsättning "
     "att regionen tar ansvar för de regionala stråken mellan tätorterna."),
    ("Synpunkter på förslaget",
     "Kommunerna vill att stråken mellan tågstationerna byggs först, och att strategin anger hur "
     "underhållet ska finansieras."),
]
# Each member's kommunstyrelse meets once before the remiss deadline, except Eslöv's, whose only
# meeting falls after it: the plan warns about that.
SHOWCASE_DEADLINE_DAYS = 40
_MEETING_DAYS = {"Burlöv": 24, "Eslöv": 46, "Höör": 27, "Kävlinge": 25, "Lomma": 30, "Lund": 28,
                 "Malmö": 26, "Staffanstorp": 29, "Svedala": 23, "Trelleborg": 27, "Vellinge": 31}
DEMO_REVIEWER = "planerare.lund@example.se"
DEMO_INTERNAL_COMMENT = ("Planavdelningen: stråket Lund–Dalby saknas i avsnittet; det finns med i "
                         "vår översiktsplan.")


def _user(email: str) -> User:
    return db.session.scalars(select(User).where(User.email == email)).one()


def seed_showcase(today: date | None = None) -> bool:
    """Add, once, the second demo remiss with the members' meeting dates and a small home round
    in Lund (one colleague, one internal comment); False when it is already there."""
    cooperation = db.session.scalars(select(Cooperation).where(
        Cooperation.name == COOPERATION_NAME)).first()
    if cooperation is None or db.session.scalar(select(Consultation.id).where(
            Consultation.cooperation_id == cooperation.id,
            Consultation.reference_number == SHOWCASE_REFERENCE)):
        return False
    today = today or local_today()
    by_name = {m.name: m for m in cooperation.municipalities}
    officials = {name: _user(email_for(name, "tjansteman")) for name in MUNICIPALITIES}
    for name, days in _MEETING_DAYS.items():
        calendars.add_meeting(cooperation, by_name[name], officials[name], "Kommunstyrelsen",
                              today + timedelta(days=days), 10)
    coordinator = _user("koordinator@example.se")
    response = responses.open_response(
        cooperation, coordinator,
        responses.ConsultationInput(
            sender="Region Skåne", reference_number=SHOWCASE_REFERENCE,
            title="Regional cykelstrategi för Skåne", received_on=today - timedelta(days=5),
            deadline=today + timedelta(days=SHOWCASE_DEADLINE_DAYS)),
        FocusArea.PLANNING,
    )
    for heading, body in SHOWCASE_SECTIONS:
        drafting.add_section(response, coordinator, heading, body)
    responses.invite(response, coordinator, [by_name[n].id for n in SHOWCASE_PARTICIPANTS])
    for name in SHOWCASE_PARTICIPANTS:
        responses.answer_invitation(response, officials[name], join=True)
    drafting.publish_version(response, coordinator, "")
    reviewer, _created = home.invite_reviewer(response, officials["Lund"], DEMO_REVIEWER,
                                              "Petra Planerare", "Planavdelningen")
    passwords.set_password(reviewer.user, DEMO_PASSWORD)
    home.add_internal_comment(response, reviewer.user, drafting.working_sections(response)[1],
                              DEMO_INTERNAL_COMMENT)
    db.session.flush()
    return True
