"""Each municipality's decision basis (beslutsunderlag / tjänsteskrivelse) for one response.

What the municipality's official writes for its own deciding body: which body decides, the
municipality's own diarienummer, and a paragraph of local considerations. Stored as append-only
revisions (DecisionBasisRevision); an edit carries the revision it started from, and a stale one
is refused rather than overwriting what a colleague saved.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..limits import MAX_LOCAL_CONSIDERATIONS_CHARS, MAX_LOCAL_REFERENCE_CHARS
from ..models import DecisionBasisRevision, JointResponse, User
from ..models.deciding_bodies import DecidingBody
from ..permissions import Action, ensure
from ..rendering import MarkdownRejected, check_markdown, strip_control_chars
from .audit import record_event
from .errors import Conflict, InvalidInput


def current_basis(response: JointResponse, municipality_id: int) -> DecisionBasisRevision | None:
    """The municipality's latest saved decision basis for the response, if any."""
    return db.session.scalars(
        select(DecisionBasisRevision).where(
            DecisionBasisRevision.response_id == response.id,
            DecisionBasisRevision.municipality_id == municipality_id)
        .order_by(DecisionBasisRevision.number.desc()).limit(1)
    ).first()


def chosen_bodies(response: JointResponse) -> dict[int, str]:
    """Each municipality's chosen deciding body, where it has saved one."""
    latest = (select(DecisionBasisRevision.municipality_id,
                     func.max(DecisionBasisRevision.number).label("number"))
              .where(DecisionBasisRevision.response_id == response.id)
              .group_by(DecisionBasisRevision.municipality_id).subquery())
    rows = db.session.execute(
        select(DecisionBasisRevision.municipality_id, DecisionBasisRevision.deciding_body)
        .join(latest, (latest.c.municipality_id == DecisionBasisRevision.municipality_id)
              & (latest.c.number == DecisionBasisRevision.number))
        .where(DecisionBasisRevision.response_id == response.id))
    return {municipality_id: body for municipality_id, body in rows}


@dataclass(frozen=True)
class BasisInput:
    deciding_body: str
    local_reference: str = ""
    local_considerations: str = ""


def save_basis(response: JointResponse, user: User, data: BasisInput,
               base_number: int) -> DecisionBasisRevision:
    """Save a new revision of the user's municipality's decision basis (base_number: the one the
    edit started from, 0 for the first); a colleague's newer save makes it a conflict."""
    ensure(user, Action.EDIT_DECISION_BASIS, response)
    bodies = [body.value for body in DecidingBody]
    if data.deciding_body not in bodies:
        raise InvalidInput(_("Välj beslutande organ."), field="deciding_body")
    reference = " ".join(strip_control_chars(data.local_reference).split())
    considerations = strip_control_chars(data.local_considerations).replace("\r\n", "\n").strip()
    if len(reference) > MAX_LOCAL_REFERENCE_CHARS:
        raise InvalidInput(_("Diarienumret är för långt: högst %(max)d tecken.",
                             max=MAX_LOCAL_REFERENCE_CHARS), field="local_reference")
    try:  # Markdown, as the draft's sections: printed in the decision basis
        check_markdown(considerations, max_chars=MAX_LOCAL_CONSIDERATIONS_CHARS)
    except MarkdownRejected as error:
        raise InvalidInput(str(error), field="local_considerations") from error
    current = current_basis(response, user.municipality_id)
    current_number = current.number if current else 0
    if current_number != base_number:
        raise Conflict(_("%(name)s sparade beslutsunderlaget medan du skrev. Din text finns kvar "
                         "här; läs deras version och spara igen.",
                         name=current.author.name if current else ""))
    if current is not None and (current.deciding_body, current.local_reference,
                                current.local_considerations) == (data.deciding_body, reference,
                                                                  considerations):
        return current
    revision = DecisionBasisRevision(
        response_id=response.id, municipality_id=user.municipality_id, number=current_number + 1,
        deciding_body=data.deciding_body, local_reference=reference,
        local_considerations=considerations, author_id=user.id)
    db.session.add(revision)
    db.session.flush()
    record_event("decision_basis_saved", user, response=response,
                 summary=_("%(municipality)s sparade sitt beslutsunderlag (%(body)s, revision "
                           "%(number)d).", municipality=user.municipality.name,
                           body=data.deciding_body, number=revision.number),
                 details={"revision": revision.number, "deciding_body": data.deciding_body,
                          "local_reference": reference})
    return revision
