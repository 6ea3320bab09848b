"""Creating municipalities and users (admin page and CLI share these rules)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..auth import MIN_PASSWORD_LENGTH, renew_session_nonce
from ..export.docx_builder import InvalidTemplate, sanitize_template
from ..export.remote_content import Removed, RemovedKind
from ..extensions import db
from ..models import Cooperation, CooperationRole, Membership, Municipality, Role, User
from ..rendering import strip_control_chars
from .audit import record_event
from .errors import InvalidInput

MUNICIPAL_ROLES = {Role.OFFICIAL, Role.DIRECTOR}


def _clean_name(name: str, column) -> str:
    """A name on one line without control characters, refused if longer than its column."""
    name = " ".join(strip_control_chars(name).split())
    if len(name) > column.type.length:
        raise InvalidInput(_("Namnet är för långt: högst %(max)d tecken.", max=column.type.length))
    return name


def create_cooperation(actor: User | None, name: str) -> Cooperation:
    """Create a cooperation; its name is unique, whatever its case."""
    name = _clean_name(name, Cooperation.__table__.c.name)
    if not name:
        raise InvalidInput(_("Ange samarbetets namn."))
    if db.session.scalar(select(Cooperation.id).where(func.lower(Cooperation.name) == name.lower())):
        raise InvalidInput(_("Det finns redan ett samarbete som heter %(name)s.", name=name))
    cooperation = Cooperation(name=name)
    db.session.add(cooperation)
    db.session.flush()
    record_event("cooperation_created", actor, cooperation_id=cooperation.id,
                 summary=_("Samarbetet %(name)s skapades.", name=name))
    return cooperation


def add_municipality(cooperation: Cooperation, actor: User | None, name: str,
                     formal_name: str = "") -> Municipality:
    """Add a member municipality, creating it if it is new to the system."""
    name = _clean_name(name, Municipality.__table__.c.name)
    formal_name = _clean_name(formal_name, Municipality.__table__.c.formal_name)
    if not name:
        raise InvalidInput(_("Ange kommunens namn."))
    municipality = db.session.scalars(
        select(Municipality).where(func.lower(Municipality.name) == name.lower())).first()
    if municipality is None:
        municipality = Municipality(name=name)
        db.session.add(municipality)
        db.session.flush()
    if any(m.municipality_id == municipality.id for m in cooperation.memberships):
        raise InvalidInput(_("%(name)s är redan medlem.", name=municipality.name))
    if formal_name:
        municipality.formal_name = formal_name
    cooperation.memberships.append(Membership(municipality_id=municipality.id))
    db.session.flush()
    record_event("municipality_added", actor, cooperation_id=cooperation.id,
                 summary=_("%(name)s lades till som medlem.", name=municipality.name))
    return municipality


def set_formal_name(cooperation: Cooperation, actor: User | None, municipality: Municipality,
                    formal_name: str) -> None:
    """Set the name documents use for a member ("Lunds kommun"); empty: the short name."""
    if not any(m.municipality_id == municipality.id for m in cooperation.memberships):
        raise InvalidInput(_("%(name)s är inte medlem i samarbetet.", name=municipality.name))
    municipality.formal_name = _clean_name(formal_name, Municipality.__table__.c.formal_name)
    db.session.flush()
    record_event("municipality_renamed", actor, cooperation_id=cooperation.id,
                 summary=_("%(name)s heter i dokument %(formal)s.", name=municipality.name,
                           formal=municipality.document_name))


def set_chair(cooperation: Cooperation, actor: User | None, municipality: Municipality) -> None:
    """Make a member the chair municipality (ordförandekommun), listed first among signatories."""
    if not any(m.municipality_id == municipality.id for m in cooperation.memberships):
        raise InvalidInput(_("%(name)s är inte medlem i samarbetet och kan inte vara "
                             "ordförandekommun.", name=municipality.name))
    cooperation.chair_municipality_id = municipality.id
    record_event("chair_set", actor, cooperation_id=cooperation.id,
                 summary=_("%(name)s är ordförandekommun.", name=municipality.name))


def create_user(*, email: str, name: str, password: str, cooperation: Cooperation, role: Role,
                municipality_id: int | None = None, title: str = "", actor: User | None = None) -> User:
    """Create a user with one role in one cooperation; officials and directors need a municipality."""
    email = strip_control_chars(email).strip().lower()
    if "@" not in email:
        raise InvalidInput(_("Ange en giltig e-postadress."))
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(_("Lösenordet måste ha minst %(min)d tecken.", min=MIN_PASSWORD_LENGTH))
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise InvalidInput(_("Det finns redan en användare med e-postadressen %(email)s.", email=email))
    if role in MUNICIPAL_ROLES:
        member_ids = {m.municipality_id for m in cooperation.memberships}
        if municipality_id not in member_ids:
            raise InvalidInput(_("En tjänsteman eller kommundirektör måste höra till en medlemskommun."))
    else:
        municipality_id = None
    user = User(email=email, name=strip_control_chars(name).strip(),
                title=strip_control_chars(title).strip(), municipality_id=municipality_id)
    user.set_password(password, current_app.config.get("PASSWORD_HASH_METHOD"))
    renew_session_nonce(user)
    db.session.add(user)
    db.session.flush()
    db.session.add(CooperationRole(user_id=user.id, cooperation_id=cooperation.id, role=role.value))
    db.session.flush()
    record_event("user_created", actor, cooperation_id=cooperation.id,
                 summary=_("Användaren %(email)s skapades med rollen %(role)s.", email=email, role=role.value))
    return user


MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
MAX_REMOVED_SHOWN = 5
MAX_REMOVED_LOGGED = 100


def set_word_template(
    cooperation: Cooperation, actor: User, data: bytes, filename: str
) -> tuple[str, ...]:
    """Store the cooperation's own Word template; returns what was stripped from it, described.

    What Word would fetch from elsewhere when a recipient opens an exported yttrande (an
    attached template, linked pictures, INCLUDEPICTURE and similar fields) is stripped, not
    refused: Word itself records the template a file was made from, and an administrator
    could hardly find and remove such links in Word. The notice says what went.
    """
    if len(data) > MAX_TEMPLATE_BYTES:
        raise InvalidInput(_("Mallen är för stor: högst 5 MB."))
    if not filename.lower().endswith((".docx", ".dotx")):
        raise InvalidInput(_("Mallen måste vara en Word-fil (.docx eller .dotx)."))
    try:
        scrubbed = sanitize_template(data)
    except InvalidTemplate as error:
        raise InvalidInput(str(error)) from error
    cooperation.word_template = scrubbed.data
    cooperation.word_template_name = filename[:255]
    removed = list(dict.fromkeys(describe_removed(item) for item in scrubbed.removed))
    record_event("word_template_uploaded", actor, cooperation_id=cooperation.id,
                 summary=_("Ny Word-mall: %(name)s", name=filename),
                 details={"removed": removed[:MAX_REMOVED_LOGGED]} if removed else None)
    if len(removed) > MAX_REMOVED_SHOWN:  # the notice travels in the session cookie
        rest = len(removed) - MAX_REMOVED_SHOWN
        removed = [*removed[:MAX_REMOVED_SHOWN], _("och %(n)d till", n=rest)]
    return tuple(removed)


def describe_removed(item: Removed) -> str:
    """One stripped reference, in words an administrator recognises."""
    detail = item.detail
    match item.kind:
        case RemovedKind.ATTACHED_TEMPLATE:
            return _("en bifogad mall (%(target)s)", target=detail)
        case RemovedKind.LINKED_IMAGE:
            return _("en länkad bild (%(target)s)", target=detail)
        case RemovedKind.FIELD:
            return _("fältet %(field)s", field=detail)
        case RemovedKind.UNSAFE_LINK:
            return _("en länk till en fil eller ett program (%(target)s)", target=detail)
        case RemovedKind.ACTIVE:
            return _("aktivt innehåll (%(what)s)", what=detail)
        case _:
            return _("länkat innehåll (%(target)s)", target=detail)


def clear_word_template(cooperation: Cooperation, actor: User) -> None:
    """Go back to the default template that ships with the application."""
    cooperation.word_template = None
    cooperation.word_template_name = None
    record_event("word_template_removed", actor, cooperation_id=cooperation.id,
                 summary=_("Word-mallen återställdes till standardmallen."))
