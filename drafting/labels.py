"""The Swedish words for stored values a person sees, so a raw value such as "coordinator"
never reaches a page. (The "pages" branch grows this module; roles are what admin needs.)
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from .models import Role

# Keys are the enum members; a StrEnum member equals its value, so templates may look up either.
ROLE_LABELS = {  # in the order a new user's role is offered: most users are officials
    Role.OFFICIAL: _l("Tjänsteman"),
    Role.DIRECTOR: _l("Kommundirektör"),
    Role.COORDINATOR: _l("Koordinator"),
    Role.ADMIN: _l("Administratör"),
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
