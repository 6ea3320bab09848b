"""The Swedish words for stored values a person sees, so a raw value such as "coordinator" or
"review" never reaches a page, an export or the API's human texts: the one home of these labels.

The words follow the glossary (drafting/glossary.py); tests/test_words.py checks that they do.
Keys are the enum members; a StrEnum member equals its value, so templates may look up either.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from .models import (
    SOON_DAYS,
    DeadlineWindow,
    Decision,
    EventKind,
    FocusArea,
    ParticipationStatus,
    Role,
    Stage,
)
from .models.deciding_bodies import DecidingBody

ROLE_LABELS = {  # in the order a new user's role is offered: most users are officials
    Role.OFFICIAL: _l("Tjänsteman"),
    Role.DIRECTOR: _l("Kommundirektör"),
    Role.COORDINATOR: _l("Koordinator"),
    Role.ADMIN: _l("Administratör"),
    Role.REVIEWER: _l("Intern granskare"),
}
STAGE_LABELS = {
    Stage.DRAFT: _l("Utkast"),
    Stage.REVIEW: _l("Förankring"),
    Stage.CONSENSUS: _l("Samsyn"),
    Stage.SIGNED: _l("Undertecknat"),
    Stage.SENT: _l("Skickat"),
    Stage.WITHDRAWN: _l("Återkallat"),
}
FOCUS_AREA_LABELS = {
    FocusArea.PLANNING: _l("Fysisk planering och infrastruktur"),
    FocusArea.LABOUR: _l("Arbetsmarknad och utbildning"),
    FocusArea.BUSINESS: _l("Näringsliv"),
    FocusArea.OTHER: _l("Övrigt"),
}
PARTICIPATION_LABELS = {
    ParticipationStatus.INVITED: _l("Inbjuden, har inte svarat"),
    ParticipationStatus.JOINED: _l("Deltar"),
    ParticipationStatus.DECLINED: _l("Avböjde"),
    ParticipationStatus.STEPPED_ASIDE: _l("Avstår"),
}
# A municipality's position on a version of the draft (ställningstagande).
DECISION_LABELS = {
    Decision.APPROVE: _l("Godkänner"),
    Decision.APPROVE_WITH_NOTE: _l("Godkänner med synpunkter"),
    Decision.OBJECT: _l("Invänder"),
}

# A deciding body's name is Swedish in every language: it is printed as such in the Swedish
# yttrande's signature block, so its stored value is its label (models/deciding_bodies.py).
DECIDING_BODY_LABELS = {body: body.value for body in DecidingBody}
# The overview's deadline filter.
DEADLINE_WINDOW_LABELS = {
    DeadlineWindow.PASSED: _l("Har passerat"),
    DeadlineWindow.SOON: _l("Inom %(days)d dagar", days=SOON_DAYS),
    DeadlineWindow.LATER: _l("Om mer än %(days)d dagar", days=SOON_DAYS),
}
# The kinds of event the log can be filtered by (models/audit.py says which actions each holds).
EVENT_KIND_LABELS = {
    EventKind.PARTICIPATION: _l("Inbjudningar och deltagande"),
    EventKind.TEXT: _l("Utkast och versioner"),
    EventKind.COMMENTS: _l("Kommentarer och ändringsförslag"),
    EventKind.POSITIONS: _l("Ställningstaganden"),
    EventKind.SIGNATURES: _l("Underskrifter"),
    EventKind.STAGES: _l("Skeden"),
    EventKind.EXPORTS: _l("Nedladdningar"),
    EventKind.PLANNING: _l("Plan och beslutsunderlag"),
}


def label_choices(labels: Mapping) -> list[tuple[str, str]]:
    """(stored value, Swedish label) pairs in the enum's order, for a select or radio buttons."""
    return [(str(value), label) for value, label in labels.items()]

# The kinds of background job (jobs.TASKS), as the administrator's list of failed jobs names them.
JOB_TASK_LABELS = {
    "pdf.convert": _l("PDF av yttrandet"),
    "mail.notification": _l("E-post om en avisering"),
    "mail.digest": _l("Daglig sammanfattning med e-post"),
    "import.parse": _l("Inläsning av en Word-fil"),
    "mail.invitation": _l("E-post med en inbjudan"),
    "mail.password_reset": _l("E-post med en länk för nytt lösenord"),
}
