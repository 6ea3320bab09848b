"""Administration of a cooperation: municipalities and users."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..extensions import db
from ..forms import FormalNameForm, MunicipalityForm, UserForm, choices
from ..models import Cooperation, CooperationRole, Municipality, Role, User
from ..permissions import CooperationAction, ensure_in_cooperation
from ..services import people
from ..services.errors import DomainError
from .common import commit

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _cooperation(cooperation_id: int) -> Cooperation:
    cooperation = db.session.get(Cooperation, cooperation_id)
    if cooperation is None:
        abort(404)
    ensure_in_cooperation(current_user, CooperationAction.ADMINISTER, cooperation)
    return cooperation


def _user_form(cooperation: Cooperation, formdata=None) -> UserForm:
    form = UserForm(formdata=formdata) if formdata is not None else UserForm()
    form.municipality_id.choices = choices(
        [(0, _("Ingen (koordinator/administratör)"))]
        + [(m.id, m.name) for m in cooperation.municipalities])
    return form


def _page(cooperation: Cooperation, municipality_form=None, user_form=None, status: int = 200,
          formal_forms: dict[int, FormalNameForm] | None = None):
    users = list(db.session.scalars(
        select(User).join(CooperationRole, CooperationRole.user_id == User.id)
        .where(CooperationRole.cooperation_id == cooperation.id).order_by(User.name)
    ))
    return render_template(
        "admin/cooperation.html", cooperation=cooperation, users=users,
        municipality_form=municipality_form or MunicipalityForm(prefix="m"),
        user_form=user_form or _user_form(cooperation), Role=Role,
        formal_forms={**{m.id: FormalNameForm(prefix=f"f{m.id}", formal_name=m.formal_name)
                         for m in cooperation.municipalities}, **(formal_forms or {})},
    ), status


@bp.post("/cooperations/<int:cooperation_id>/municipalities/<int:municipality_id>/formal-name")
@login_required
def set_formal_name(cooperation_id: int, municipality_id: int):
    cooperation = _cooperation(cooperation_id)
    municipality = db.session.get(Municipality, municipality_id) or abort(404)
    form = FormalNameForm(prefix=f"f{municipality_id}")
    if form.validate_on_submit():
        try:
            people.set_formal_name(cooperation, current_user, municipality, form.formal_name.data or "")
            commit()
            flash(_("Det formella namnet är sparat."), "success")
            return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
        except DomainError as error:
            db.session.rollback()
            form.formal_name.errors.append(error.message)
    return _page(_cooperation(cooperation_id), status=400, formal_forms={municipality_id: form})


@bp.route("/cooperations/<int:cooperation_id>")
@login_required
def cooperation(cooperation_id: int):
    return _page(_cooperation(cooperation_id))


@bp.post("/cooperations/<int:cooperation_id>/municipalities")
@login_required
def add_municipality(cooperation_id: int):
    cooperation = _cooperation(cooperation_id)
    form = MunicipalityForm(prefix="m")
    if form.validate_on_submit():
        try:
            people.add_municipality(cooperation, current_user, form.name.data,
                                    form.formal_name.data or "")
            commit()
            flash(_("Kommunen är tillagd."), "success")
            return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
        except DomainError as error:
            db.session.rollback()
            form.name.errors.append(error.message)
    return _page(_cooperation(cooperation_id), municipality_form=form, status=400)


@bp.post("/cooperations/<int:cooperation_id>/users")
@login_required
def add_user(cooperation_id: int):
    cooperation = _cooperation(cooperation_id)
    form = _user_form(cooperation)
    if form.validate_on_submit():
        try:
            people.create_user(
                email=form.email.data, name=form.name.data, password=form.password.data,
                title=form.title.data or "", cooperation=cooperation, role=Role(form.role.data),
                municipality_id=form.municipality_id.data or None, actor=current_user,
            )
            commit()
            flash(_("Användaren är skapad."), "success")
            return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
        except DomainError as error:
            db.session.rollback()
            form.email.errors.append(error.message)
    return _page(_cooperation(cooperation_id), user_form=form, status=400)


@bp.post("/cooperations/<int:cooperation_id>/template")
@login_required
def upload_template(cooperation_id: int):
    cooperation = _cooperation(cooperation_id)
    if request.form.get("remove"):
        people.clear_word_template(cooperation, current_user)
        commit()
        flash(_("Standardmallen används igen."), "success")
        return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
    upload = request.files.get("template")
    if upload is None or not upload.filename:
        flash(_("Välj en Word-fil att ladda upp."), "error")
        return _page(cooperation, status=400)
    try:
        removed = people.set_word_template(cooperation, current_user, upload.read(), upload.filename)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _page(_cooperation(cooperation_id), status=error.status)
    commit()
    flash(_("Word-mallen är uppladdad och används för nya exporter."), "success")
    if removed:
        flash(_("Mallen innehöll sådant som Word hämtar från andra adresser när dokumentet "
                "öppnas (då ser den som äger adressen vem som läser yttrandet). Det har tagits "
                "bort: %(items)s. Bädda in logotyper och bilder i mallen i stället för att länka "
                "till dem.", items="; ".join(removed)), "info")
    return redirect(url_for("admin.cooperation", cooperation_id=cooperation.id))
