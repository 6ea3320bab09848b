"""Cooperations, municipalities and user accounts (the admin page and the CLI share these rules)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..auth import renew_session_nonce
from ..export.docx_builder import InvalidTemplate, sanitize_template
from ..export.remote_content import Removed, RemovedKind
from ..extensions import db
from ..labels import ROLE_LABELS
from ..models import Cooperation, CooperationRole, Membership, Municipality, Role, User
from ..rendering import strip_control_chars
from . import passwords, tokens
from .audit import record_event
from .errors import InvalidInput, NotAllowed, NotFound

MUNICIPAL_ROLES = {Role.OFFICIAL, Role.DIRECTOR, Role.REVIEWER}
# What update_user's audit summary calls each field it changed.
FIELD_LABELS = {"name": _l("namn"), "title": _l("titel"), "municipality_id": _l("kommun"),
                "role": _l("roll")}


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


def _account_municipality(cooperation: Cooperation, role: Role, municipality_id: int | None) -> int | None:
    """Officials and directors belong to a member municipality; other roles to none."""
    if role not in MUNICIPAL_ROLES:
        return None
    if municipality_id not in {m.municipality_id for m in cooperation.memberships}:
        raise InvalidInput(_("En tjänsteman eller kommundirektör måste höra till en medlemskommun."),
                           field="municipality_id")
    return municipality_id


def create_user(*, email: str, name: str, cooperation: Cooperation, role: Role,
                password: str | None = None, municipality_id: int | None = None, title: str = "",
                actor: User | None = None) -> User:
    """Create a user with one role in one cooperation; officials and directors need a municipality.

    Without a password the account cannot log in until its person chooses one through an
    invitation link (passwords.send_invitation); the command line and the demo give one.
    """
    email = strip_control_chars(email).strip().lower()
    if "@" not in email:
        raise InvalidInput(_("Ange en giltig e-postadress."), field="email")
    if password is not None:
        passwords.check_new_password(password)
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise InvalidInput(_("Det finns redan en användare med e-postadressen %(email)s.", email=email),
                           field="email")
    municipality_id = _account_municipality(cooperation, role, municipality_id)
    user = User(email=email, name=_clean_name(name, User.__table__.c.name),
                title=_clean_name(title, User.__table__.c.title), municipality_id=municipality_id)
    if password is None:
        passwords.set_unusable_password(user)
    else:
        passwords.set_password(user, password)
    db.session.add(user)
    db.session.flush()
    db.session.add(CooperationRole(user_id=user.id, cooperation_id=cooperation.id, role=role.value))
    db.session.flush()
    record_event("user_created", actor, cooperation_id=cooperation.id,
                 summary=_("Användaren %(email)s skapades med rollen %(role)s.",
                           email=email, role=ROLE_LABELS[role]),
                 details={"user_id": user.id, "role": role.value})
    return user


def cooperation_users(cooperation: Cooperation) -> list[User]:
    """Everyone with a role in the cooperation, deactivated accounts included, by name."""
    return list(db.session.scalars(
        select(User).join(CooperationRole, CooperationRole.user_id == User.id)
        .where(CooperationRole.cooperation_id == cooperation.id)
        .options(selectinload(User.roles), joinedload(User.municipality))
        .order_by(func.lower(User.name), User.id)
    ).unique())


def cooperation_user(cooperation: Cooperation, user_id: int) -> User:
    """A user with a role in this cooperation; others are not found, so ids reveal nothing."""
    user = db.session.get(User, user_id)
    if user is None or user.role_in(cooperation.id) is None:
        raise NotFound(_("Användaren finns inte i samarbetet."))
    return user


def _ensure_may_change_account(actor: User, cooperation: Cooperation, user: User) -> None:
    """An account is shared by all its cooperations: changing it for all of them, or a system
    administrator's, takes a system administrator."""
    if actor.is_system_admin:
        return
    if user.is_system_admin:
        raise NotAllowed(_("Bara en systemadministratör kan ändra en systemadministratörs konto."))
    others = sorted(role.cooperation.name for role in user.roles
                    if role.cooperation_id != cooperation.id)
    if others:
        raise NotAllowed(_("%(name)s har också en roll i %(others)s. Kontot gäller alla samarbetena, "
                           "så bara en systemadministratör kan ändra det; rollen här kan du ändra.",
                           name=user.name, others=", ".join(others)))


def update_user(actor: User, cooperation: Cooperation, user: User, *, name: str, title: str,
                role: Role, municipality_id: int | None) -> dict[str, list]:
    """Change a user's name, title, municipality and role here; returns what changed (old, new)."""
    name = _clean_name(name, User.__table__.c.name)
    if not name:
        raise InvalidInput(_("Ange användarens namn."), field="name")
    title = _clean_name(title, User.__table__.c.title)
    current_role = user.role_in(cooperation.id)
    if user.id == actor.id and role is not current_role:
        raise InvalidInput(_("Du kan inte ändra din egen roll. Be en annan administratör om det."),
                           field="role")
    municipality_id = _account_municipality(cooperation, role, municipality_id)
    changes: dict[str, list] = {}
    account = {"name": name, "title": title, "municipality_id": municipality_id}
    for field, value in account.items():
        if getattr(user, field) != value:
            changes[field] = [getattr(user, field), value]
    if changes:
        _ensure_may_change_account(actor, cooperation, user)
        for field, (_old, value) in changes.items():
            setattr(user, field, value)
    if role is not current_role:
        membership = next(r for r in user.roles if r.cooperation_id == cooperation.id)
        membership.role = role.value
        changes["role"] = [current_role.value if current_role else None, role.value]
    if changes:
        db.session.flush()
        record_event("user_updated", actor, cooperation_id=cooperation.id,
                     summary=_("Uppgifterna om %(email)s ändrades: %(fields)s.", email=user.email,
                               fields=", ".join(str(FIELD_LABELS[field]) for field in changes)),
                     details={"user_id": user.id, "changes": changes})
    return changes


def deactivate_user(actor: User, cooperation: Cooperation, user: User) -> None:
    """The account can no longer log in; its sessions, links and API tokens stop working at
    once (the tokens are revoked for good), and everything it did stays in the history."""
    if user.id == actor.id:
        raise InvalidInput(_("Du kan inte inaktivera ditt eget konto."))
    _ensure_may_change_account(actor, cooperation, user)
    if not user.is_active_account:
        return
    user.is_active_account = False
    renew_session_nonce(user)  # every session cookie issued to it stops working now
    passwords.expire_links(user)
    revoked = tokens.revoke_all_tokens(user)
    record_event("user_deactivated", actor, cooperation_id=cooperation.id,
                 summary=_("Kontot för %(email)s inaktiverades.", email=user.email),
                 details={"user_id": user.id, "api_tokens_revoked": revoked})


def reactivate_user(actor: User, cooperation: Cooperation, user: User) -> None:
    """The account may log in again, with the password it had."""
    _ensure_may_change_account(actor, cooperation, user)
    if user.is_active_account:
        return
    user.is_active_account = True
    record_event("user_reactivated", actor, cooperation_id=cooperation.id,
                 summary=_("Kontot för %(email)s aktiverades igen.", email=user.email),
                 details={"user_id": user.id})


def resend_invitation(actor: User, cooperation: Cooperation, user: User) -> None:
    """A new invitation link for an account whose person has not yet chosen a password."""
    if not user.is_active_account:
        raise InvalidInput(_("Kontot är inaktiverat. Aktivera det först."))
    if user.password_set_at is not None:
        raise InvalidInput(_("%(name)s har redan valt ett lösenord. Har hen glömt det kan hen be om "
                             "en ny länk på inloggningssidan.", name=user.name))
    passwords.queue_invitation(user, cooperation, actor)


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
